"""Loading faults that must be one clear line, never answers from weights that were not there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from urial_check.generation.backends.base import BackendError, GenerationRequest
from urial_check.generation.backends.loading import fingerprint, resolve_model
from urial_check.generation.backends.transformers_backend import ModelSettings, TransformersBackend
from urial_check.generation.decoding import Decoding

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


def _copy(tiny_model: Path, folder: Path) -> Path:
    shutil.copytree(tiny_model, folder)
    return folder


def test_a_checkpoint_without_its_lm_head_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    # A base checkpoint saved without its head (LlamaModel): transformers would fill the missing
    # lm_head with random numbers, and those answers would be checked and cached as the model's.
    folder = _copy(tiny_model, tmp_path / "headless")
    weights = safetensors_torch.load_file(folder / "model.safetensors")
    del weights["lm_head.weight"]
    safetensors_torch.save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    backend = TransformersBackend(ModelSettings(model=str(folder), device="cpu"))
    with pytest.raises(BackendError) as info:
        backend.generate([GenerationRequest("Hello", Decoding(max_new_tokens=2))])
    message = str(info.value)
    assert "\n" not in message and str(folder) in message and "lm_head.weight" in message


def test_a_checkpoint_of_another_architecture_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_model, tmp_path / "bert")
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="bert", architectures=["BertModel"])
    (folder / "config.json").write_text(json.dumps(config))
    backend = TransformersBackend(ModelSettings(model=str(folder), device="cpu"))
    with pytest.raises(BackendError, match="no weights for"):
        backend.load()


@pytest.mark.parametrize("name", ["added_tokens.json", "spiece.model", "vocab.txt", "tokenizer.tiktoken"])
def test_every_tokenizer_file_is_part_of_the_fingerprint(tiny_model: Path, tmp_path: Path, name: str) -> None:
    # A tokenizer file changes how prompts tokenise, hence the answers: editing it must change the
    # fingerprint that keys the result cache.
    folder = _copy(tiny_model, tmp_path / "model")
    (folder / name).write_text("one")
    before = fingerprint(resolve_model(str(folder)))
    (folder / name).write_text("two")
    assert fingerprint(resolve_model(str(folder))) != before


def test_max_new_tokens_below_one_is_refused_not_one_token(tiny_model: Path) -> None:
    # Decoding() itself does not validate (Decoding.updated does): asked for 0 new tokens, the
    # engine generated one.
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from urial_check.generation import engine

    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    requests = [GenerationRequest("Hello", Decoding(max_new_tokens=2)), GenerationRequest("Hi", Decoding(max_new_tokens=0))]
    with pytest.raises(ValueError, match="request 1: max_new_tokens must be at least 1, got 0"):
        engine.generate(model, tokenizer, requests)
