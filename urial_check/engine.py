"""Batched generation on a transformers model.

First version: batches of left-padded prompts through ``model.generate``; sequences are cut at
their first stop string afterwards.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from .backends.base import GenerationRequest, GenerationResult, ResultCallback
from .prompt import find_stop


def generate(
    model: Any,
    tokenizer: Any,
    requests: Sequence[GenerationRequest],
    *,
    batch_size: int | None = 8,
    on_result: ResultCallback | None = None,
    progress: Any = None,
) -> list[GenerationResult]:
    import torch

    batch_size = batch_size or 8

    results: list[GenerationResult | None] = [None] * len(requests)
    order = sorted(range(len(requests)), key=lambda i: len(requests[i].prompt))
    device = next(model.parameters()).device
    tokenizer.padding_side = "left"
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        decoding = requests[chunk[0]].decoding
        t0 = time.perf_counter()
        enc = tokenizer([requests[i].prompt for i in chunk], return_tensors="pt", padding=True).to(device)
        with torch.no_grad():
            out = model.generate(
                **enc,
                max_new_tokens=decoding.max_new_tokens,
                do_sample=decoding.do_sample,
                repetition_penalty=decoding.repetition_penalty,
                pad_token_id=tokenizer.pad_token_id,
            )
        elapsed = (time.perf_counter() - t0) / len(chunk)
        for row, index in enumerate(chunk):
            ids = out[row, enc["input_ids"].shape[1] :].tolist()
            text = tokenizer.decode(ids, skip_special_tokens=True)
            stop = find_stop(text, requests[index].stop)
            reason = "stop" if stop is not None else ("eos" if tokenizer.eos_token_id in ids else "length")
            result = GenerationResult(text=text if stop is None else text[:stop], num_tokens=len(ids),
                                      finish_reason=reason, seconds=elapsed)
            results[index] = result
            if on_result is not None:
                on_result(index, result)
    return [r for r in results if r is not None]
