"""The dequantised copy of GGUF models, on a tiny GGUF file written here with the gguf package.

The tiny file has the default model's layout (llama architecture, byte-level BPE tokenizer,
Q8_0 and F32 tensors), so loading it goes through the same transformers GGUF code.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

from urial_check.generation.backends.fast_start import (
    MANIFEST,
    WEIGHTS,
    copy_folder,
    load_gguf_fast,
    remove_model_copies,
)
from urial_check.generation.backends.loading import ModelSource, fingerprint, load_model_and_tokenizer, resolve_model
from urial_check.generation.cache import CacheWarning

torch = pytest.importorskip("torch")
gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")

PROBE = "the Query: ```\nhello there\n```\n"


def _byte_symbols() -> list[str]:
    """GPT-2 byte-level BPE's printable stand-ins for the 256 byte values, in byte order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


def write_tiny_gguf(path: Path, seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    from gguf import GGMLQuantizationType, GGUFWriter
    from gguf.quants import quantize

    rng = np.random.default_rng(seed)
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("`", "`"), ("``", "`")]
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tokens = special + _byte_symbols() + [a + b for a, b in merges]
    heads, kv_heads, ff = 4, 2, 128
    writer = GGUFWriter(str(path), "llama")
    writer.add_block_count(layers)
    writer.add_context_length(2048)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types([3] * len(special) + [1] * (len(tokens) - len(special)))
    writer.add_token_merges([f"{a} {b}" for a, b in merges])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_pad_token_id(2)
    writer.add_add_bos_token(False)

    def tensor(name: str, shape: tuple[int, ...], quantised: bool = True) -> None:
        data = (rng.standard_normal(shape) * 0.5).astype(np.float32)
        if quantised:
            writer.add_tensor(name, quantize(data, GGMLQuantizationType.Q8_0), raw_dtype=GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(name, data)

    kv = kv_heads * hidden // heads
    tensor("token_embd.weight", (len(tokens), hidden))
    tensor("output_norm.weight", (hidden,), quantised=False)
    for i in range(layers):
        for norm in ("attn_norm", "ffn_norm"):
            tensor(f"blk.{i}.{norm}.weight", (hidden,), quantised=False)
        for name, shape in (("attn_q", (hidden, hidden)), ("attn_k", (kv, hidden)), ("attn_v", (kv, hidden)),
                            ("attn_output", (hidden, hidden)), ("ffn_gate", (ff, hidden)), ("ffn_up", (ff, hidden)),
                            ("ffn_down", (hidden, ff))):
            tensor(f"blk.{i}.{name}.weight", shape)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelSource, str, Any]:
    path = write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")
    source = resolve_model(str(path))
    model, tokenizer = load_model_and_tokenizer(source, "cpu", torch.float32)
    return source, fingerprint(source), probe_logits(model, tokenizer)


def probe_logits(model: Any, tokenizer: Any) -> Any:
    with torch.no_grad():
        return model(**tokenizer(PROBE, return_tensors="pt")).logits.float()


def load(tiny: tuple[ModelSource, str, Any], cache_dir: Path, dtype: Any = None) -> tuple[Any, Any]:
    source, fp, _ = tiny
    return load_gguf_fast(source, fp, "cpu", dtype or torch.float32, cache_dir)


def test_first_load_builds_a_copy_later_loads_use_it(tiny_gguf: tuple[ModelSource, str, Any],
                                                     tmp_path: Path) -> None:
    source, fp, want = tiny_gguf
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        model, tokenizer = load(tiny_gguf, tmp_path)
    assert torch.equal(probe_logits(model, tokenizer), want)
    folder = copy_folder(tmp_path, fp)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["fingerprint"] == fp and WEIGHTS in manifest["files"]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")]
    # The copy alone is enough: the GGUF file is not read again.
    hidden = source.folder / (source.gguf_file + ".away")
    os.replace(source.folder / source.gguf_file, hidden)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", CacheWarning)
            model, tokenizer = load(tiny_gguf, tmp_path)
    finally:
        os.replace(hidden, source.folder / source.gguf_file)
    assert torch.equal(probe_logits(model, tokenizer), want)
    assert tokenizer.pad_token_id is not None
    half, _ = load(tiny_gguf, tmp_path, dtype=torch.bfloat16)
    assert next(half.parameters()).dtype == torch.bfloat16


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(16)
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated weights": lambda f: (f / WEIGHTS).write_bytes((f / WEIGHTS).read_bytes()[:-100]),
    "flipped bytes in weights": lambda f: _flip_bytes(f / WEIGHTS),
    "no manifest (interrupted)": lambda f: (f / MANIFEST).unlink(),
    "garbage manifest": lambda f: (f / MANIFEST).write_text("{not json"),
    "tokenizer missing": lambda f: (f / "tokenizer.json").unlink(),
    "config garbage": lambda f: (f / "config.json").write_text("[]"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_copy_is_detected_and_rebuilt(tiny_gguf: tuple[ModelSource, str, Any], tmp_path: Path,
                                              damage: str) -> None:
    _, fp, want = tiny_gguf
    load(tiny_gguf, tmp_path)
    folder = copy_folder(tmp_path, fp)
    DAMAGE[damage](folder)
    with pytest.warns(CacheWarning, match="is unusable .*rebuilding it"):
        model, tokenizer = load(tiny_gguf, tmp_path)
    assert torch.equal(probe_logits(model, tokenizer), want)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        model, tokenizer = load(tiny_gguf, tmp_path)  # rebuilt copy is valid again
    assert torch.equal(probe_logits(model, tokenizer), want)


def test_touched_but_intact_copy_is_verified_by_content_not_rebuilt(tiny_gguf: tuple[ModelSource, str, Any],
                                                                     tmp_path: Path) -> None:
    _, fp, _ = tiny_gguf
    load(tiny_gguf, tmp_path)
    folder = copy_folder(tmp_path, fp)
    weights = folder / WEIGHTS
    os.utime(weights, ns=(10**18, 10**18))
    before = weights.stat().st_ino
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        load(tiny_gguf, tmp_path)
    assert weights.stat().st_ino == before


def test_leftover_temp_folder_and_removal(tiny_gguf: tuple[ModelSource, str, Any], tmp_path: Path) -> None:
    _, fp, want = tiny_gguf
    leftover = tmp_path / "models" / f".tmp-{fp[:16]}-crashed"
    leftover.mkdir(parents=True)
    (leftover / WEIGHTS).write_bytes(b"partial")
    model, tokenizer = load(tiny_gguf, tmp_path)
    assert torch.equal(probe_logits(model, tokenizer), want)
    assert remove_model_copies(tmp_path) == 1
    assert not any((tmp_path / "models").iterdir())
    assert remove_model_copies(tmp_path / "nothing") == 0


def test_unusable_cache_directory_still_loads(tiny_gguf: tuple[ModelSource, str, Any], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.warns(CacheWarning, match="loading .* the slow way"):
        model, tokenizer = load(tiny_gguf, blocker)
    assert torch.equal(probe_logits(model, tokenizer), tiny_gguf[2])


def _load_in_child(gguf_path: str, fp: str, cache_dir: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        load_gguf_fast(resolve_model(gguf_path), fp, "cpu", torch.float32, Path(cache_dir))


def test_concurrent_first_loads_build_one_copy(tiny_gguf: tuple[ModelSource, str, Any], tmp_path: Path) -> None:
    source, fp, _ = tiny_gguf
    ctx = multiprocessing.get_context("spawn")
    path = str(source.folder / source.gguf_file)
    procs = [ctx.Process(target=_load_in_child, args=(path, fp, str(tmp_path))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    folder = copy_folder(tmp_path, fp)
    assert (folder / MANIFEST).is_file()
    assert [p.name for p in folder.parent.iterdir() if p.is_dir()] == [fp]


@pytest.mark.slow
def test_default_model_copy_matches_the_gguf_load(tmp_path: Path) -> None:
    import time

    source = resolve_model(None)
    fp = fingerprint(source)
    slow_model, tokenizer = load_model_and_tokenizer(source, "cpu", torch.float32)
    want = probe_logits(slow_model, tokenizer)
    del slow_model
    load_gguf_fast(source, fp, "cpu", torch.float32, tmp_path)  # builds the copy
    t0 = time.perf_counter()
    model, tokenizer = load_gguf_fast(source, fp, "cpu", torch.float32, tmp_path)
    print(f"warm start: {time.perf_counter() - t0:.2f} s")
    assert torch.equal(probe_logits(model, tokenizer), want)
    shutil.rmtree(copy_folder(tmp_path, fp))


def test_flipped_byte_with_mtime_restored_is_detected(tiny_gguf: tuple[ModelSource, str, Any], tmp_path: Path) -> None:
    """Size, mtime and the safetensors header all still match: only the content hash can tell."""
    _, fp, want = tiny_gguf
    load(tiny_gguf, tmp_path)
    weights = copy_folder(tmp_path, fp) / WEIGHTS
    stat = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-7] ^= 0xFF  # inside the last tensor's data
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (weights.stat().st_size, weights.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    with pytest.warns(CacheWarning, match="does not match its recorded SHA-256.*rebuilding it"):
        model, tokenizer = load(tiny_gguf, tmp_path)
    assert torch.equal(probe_logits(model, tokenizer), want)
