"""Fast start for GGUF models: keep a dequantised copy in the user cache.

transformers dequantises a GGUF file tensor by tensor on every load (about 20 s for the
default 135M model on two CPU cores). The first load writes the result as a plain Hugging Face
folder, ``<cache dir>/models/<fingerprint>/`` (float32 ``model.safetensors``, config, generation
config, tokenizer files and ``urial-manifest.json``); later loads read that folder, which takes
well under a second.

Safety:

* the copy is written into a temporary folder beside the target, checked (it is loaded back and
  every tensor compared with the freshly dequantised ones, and a probe text must tokenise the
  same), and only then renamed into place, so a crash leaves no partial copy under the final name;
* a lock file keeps concurrent processes (xdist workers) from building the same copy twice;
* on every load the manifest is checked: every file's size, the safetensors header (which must
  describe exactly the file's length) and every file's SHA-256 (sizes and mtimes cannot see a
  flipped byte). A copy that fails is removed and rebuilt, with one :class:`CacheWarning`.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import struct
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from urial_check.generation.cache import CacheWarning
from urial_check.generation.backends.loading import ModelSource, file_sha256, load_model_and_tokenizer

MANIFEST = "urial-manifest.json"
#: Layout of the copy folder; copies in another layout are rebuilt.
COPY_FORMAT = 1
WEIGHTS = "model.safetensors"
LOCK_TIMEOUT_S = 600.0
#: Free disk space to leave beyond the copy itself.
DISK_MARGIN_BYTES = 1 << 30
_PROBE_TEXT = "Probe: tokenizer round trip.\n\n# Query:\n```\nWhat's 2+2? Ünïcödé ✓\n```\n"


class CopyInvalid(Exception):
    """A stored copy failed validation; the message says why."""


def copy_folder(cache_dir: Path, fingerprint: str) -> Path:
    """Where the dequantised copy of the model with ``fingerprint`` lives."""
    return Path(cache_dir) / "models" / fingerprint


def load_gguf_fast(source: ModelSource, fingerprint: str, device: Any, dtype: Any, cache_dir: Path) -> tuple[Any, Any]:
    """Load a GGUF model from its dequantised copy, building the copy on the first call."""
    from filelock import FileLock, Timeout

    folder = copy_folder(cache_dir, fingerprint)
    try:
        return _load_copy(folder, fingerprint, device, dtype)
    except CopyInvalid as exc:
        stale_reason: str | None = str(exc)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder) + ".lock", timeout=LOCK_TIMEOUT_S)
        lock.acquire()
    except (OSError, Timeout) as exc:
        _warn(f"cannot use the model cache {folder.parent} ({exc}); loading {source.model_id} the slow way")
        return load_model_and_tokenizer(source, str(device), dtype)
    try:
        try:  # another process may have built it while we waited for the lock
            return _load_copy(folder, fingerprint, device, dtype)
        except CopyInvalid as exc:
            stale_reason = str(exc) if folder.exists() else stale_reason
        if folder.exists():
            _warn(f"dequantised model copy {folder} is unusable ({stale_reason}); rebuilding it")
            shutil.rmtree(folder, ignore_errors=True)
        return _build_copy(source, folder, fingerprint, device, dtype)
    finally:
        lock.release()


def remove_model_copies(cache_dir: Path) -> int:
    """Delete every dequantised model copy under ``cache_dir``; returns how many were removed."""
    models = Path(cache_dir) / "models"
    if not models.is_dir():
        return 0
    removed = 0
    for item in models.iterdir():
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
            removed += not item.name.startswith(".tmp-")
        elif item.suffix == ".lock":
            item.unlink(missing_ok=True)
    return removed


def _load_copy(folder: Path, fingerprint: str, device: Any, dtype: Any) -> tuple[Any, Any]:
    """Validate and load the copy; raise :class:`CopyInvalid` if it is missing or damaged."""
    if not (folder / MANIFEST).is_file():
        raise CopyInvalid("missing" if not folder.exists() else "no manifest (partial copy)")
    validate_copy(folder, fingerprint)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any load failure means the copy cannot be used
        first_line = (str(exc).strip().splitlines() or [""])[0]
        raise CopyInvalid(f"does not load: {type(exc).__name__}: {first_line}") from None
    model.to(device)
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def validate_copy(folder: Path, fingerprint: str) -> None:
    """Check a copy against its manifest; raise :class:`CopyInvalid` saying what is wrong."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CopyInvalid(f"unreadable manifest ({exc})") from None
    if manifest.get("format") != COPY_FORMAT or manifest.get("fingerprint") != fingerprint:
        raise CopyInvalid("manifest of another format or model")
    if WEIGHTS not in files:
        raise CopyInvalid(f"manifest lists no {WEIGHTS}")
    for name, entry in files.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            raise CopyInvalid(f"{name} is missing") from None
        if size != entry["size"]:
            raise CopyInvalid(f"{name} has {size} bytes, expected {entry['size']}")
    _check_safetensors_header(folder / WEIGHTS)
    # Every load hashes every file: size and mtime say nothing about a flipped byte, and a copy
    # that loads wrong weights would put wrong answers in the result cache under the real
    # model's fingerprint. About 0.4 s for the default model's 540 MB (benchmarks/bench_copy_verify.py).
    for name, entry in files.items():
        if file_sha256(folder / name) != entry["sha256"]:
            raise CopyInvalid(f"{name} does not match its recorded SHA-256")


def _check_safetensors_header(path: Path) -> None:
    """The header must be JSON whose tensors end exactly where the file does."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as handle:
            (header_len,) = struct.unpack("<Q", handle.read(8))
            if header_len > min(size - 8, 100 << 20):
                raise CopyInvalid(f"{path.name}: header length {header_len} does not fit the file")
            header = json.loads(handle.read(header_len))
    except (OSError, struct.error, ValueError) as exc:
        raise CopyInvalid(f"{path.name}: unreadable safetensors header ({exc})") from None
    ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
    if not ends or 8 + header_len + max(ends) != size:
        raise CopyInvalid(f"{path.name}: tensors do not cover the file ({size} bytes)")


def _build_copy(source: ModelSource, folder: Path, fingerprint: str, device: Any, dtype: Any) -> tuple[Any, Any]:
    """Load the GGUF file the slow way, write and verify the copy, then hand the model over."""
    import torch

    model, tokenizer = load_model_and_tokenizer(source, "cpu", torch.float32)
    needed = sum(p.numel() * 4 for p in model.parameters()) + (8 << 20)
    try:
        free = shutil.disk_usage(folder.parent).free
    except OSError:
        free = 0
    if free < needed + DISK_MARGIN_BYTES:
        _warn(f"not enough free disk space in {folder.parent} for a {needed >> 20} MiB copy of "
              f"{source.model_id}; it will be dequantised again next time")
    else:
        try:
            _write_copy(model, tokenizer, folder, fingerprint)
        except (OSError, CopyInvalid) as exc:
            _warn(f"could not store a dequantised copy of {source.model_id} in {folder} ({exc}); "
                  "it will be dequantised again next time")
    model.to(device=device, dtype=dtype)
    return model, tokenizer


def _write_copy(model: Any, tokenizer: Any, folder: Path, fingerprint: str) -> None:
    import torch
    from safetensors.torch import save_file

    temp = Path(tempfile.mkdtemp(prefix=f".tmp-{fingerprint[:16]}-", dir=folder.parent))
    try:
        config = copy.deepcopy(model.config)
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # the copy holds plain float32 tensors
        config.save_pretrained(temp)
        if getattr(model, "generation_config", None) is not None:
            model.generation_config.save_pretrained(temp)
        tokenizer.save_pretrained(temp)
        tensors: dict[str, Any] = {}
        seen: set[int] = set()
        for name, tensor in model.state_dict().items():  # tied weights once, under their first name
            if tensor.data_ptr() in seen:
                continue
            seen.add(tensor.data_ptr())
            tensors[name] = tensor.detach().to("cpu", torch.float32).contiguous()
        save_file(tensors, str(temp / WEIGHTS), metadata={"format": "pt"})
        _verify_written(temp, model, tokenizer)
        files = {}
        for path in sorted(temp.iterdir()):
            stat = path.stat()
            files[path.name] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": file_sha256(path)}
        manifest = {"format": COPY_FORMAT, "fingerprint": fingerprint, "created": time.time(), "files": files}
        _write_json_atomically(temp / MANIFEST, manifest)
        os.replace(temp, folder)
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)


def _verify_written(folder: Path, model: Any, tokenizer: Any) -> None:
    """Load the written copy back: every tensor and a probe tokenisation must match exactly."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    copy_model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True)
    ours = model.state_dict()
    theirs = copy_model.state_dict()
    if set(ours) != set(theirs):
        raise CopyInvalid(f"reloaded copy has other tensors: {sorted(set(ours) ^ set(theirs))[:3]}")
    for name, tensor in ours.items():
        if not torch.equal(tensor.to("cpu", torch.float32), theirs[name]):
            raise CopyInvalid(f"reloaded tensor {name} differs")
    copy_tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    if copy_tokenizer(_PROBE_TEXT)["input_ids"] != tokenizer(_PROBE_TEXT)["input_ids"]:
        raise CopyInvalid("reloaded tokenizer tokenises differently")


def _write_json_atomically(path: Path, value: Any) -> None:
    temp = path.with_name(path.name + f".{os.getpid()}.tmp")
    temp.write_text(json.dumps(value, indent=1, sort_keys=True), "utf-8")
    os.replace(temp, path)


def _warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=3)
