"""A tiny randomly initialised Llama saved as a Hugging Face folder, for fast tests and examples.

It shares the default model's tokenizer (taken from the embedded GGUF file), so prompts tokenise
exactly as they would for the real model; its answers are noise, produced in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

from urial_check.generation.backends.loading import default_model_path


def save_default_tokenizer(folder: Path) -> Path:
    """Write the embedded default model's tokenizer as plain tokenizer files into ``folder``."""
    from transformers import AutoTokenizer

    gguf = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_llama(
    folder: Path,
    *,
    seed: int = 0,
    tokenizer_folder: Path | None = None,
    layers: int = 2,
    initializer_range: float = 0.3,
    tie_word_embeddings: bool = False,
) -> Path:
    """Create a tiny random Llama (hidden size 32) with the default tokenizer in ``folder``.

    The defaults make input-dependent noise. ``initializer_range=0.02, tie_word_embeddings=True``
    makes a model that answers every prompt with blank lines (an empty answer).
    """
    import shutil

    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    if tokenizer_folder is None:
        save_default_tokenizer(folder)
    else:
        for item in tokenizer_folder.iterdir():
            if item.is_file():
                shutil.copy2(item, folder / item.name)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=initializer_range,
        tie_word_embeddings=tie_word_embeddings,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    return folder
