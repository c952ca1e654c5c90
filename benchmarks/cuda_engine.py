"""The in-process engine on a CUDA GPU over ``suites/safety``: figures and agreement with ``generate``.

Runs every single-turn case of ``suites/safety/*.yaml`` (or ``--cases N`` of them) through
``urial_check.generation.engine.generate`` on the GPU, with and without continuous batching
(interleaved: off, on, off, on), and ``--reference`` of them through plain transformers
``generate`` one at a time; prints cases/s and new tokens/s per mode and how many answers are
identical to plain ``generate``. Device and batch size are automatic (CUDA; the engine starts
at 64 rows and halves on out-of-memory); ``--dtype`` defaults to float32, where the answers are
expected to match (in bfloat16 near-ties make batched answers drift after some tokens).

Not run in this repository's CI, which has no GPU: written and checked on CPU-only machines
only, where it stops at once with a clear message (tests/test_cuda_engine_script.py).

    python benchmarks/cuda_engine.py [--cases N] [--max-new-tokens 160] [--reference 24]
                                     [--dtype float32|bfloat16|float16] [--model ID_OR_PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from urial_check.generation.backends.base import GenerationRequest  # noqa: E402
from urial_check.generation.decoding import Decoding  # noqa: E402
from urial_check.generation.prompt import UrialPrompt  # noqa: E402

NO_CUDA = "cuda_engine.py needs a CUDA GPU, and torch sees none (torch.cuda.is_available() is False)"


def safety_instructions(limit: int | None) -> list[str]:
    from urial_check.suites.loader import load_suite

    found: list[str] = []
    for path in sorted((ROOT / "suites" / "safety").glob("*.yaml")):
        found.extend(case.turns[-1] for case in load_suite(path).cases if len(case.turns) == 1)
    return found[:limit] if limit else found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=None, help="first N cases (default: all)")
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--reference", type=int, default=24, help="cases also run through plain generate")
    parser.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32")
    parser.add_argument("--model", default=None, help="model id or path (default: the embedded default model)")
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print(NO_CUDA, file=sys.stderr)
        return 2

    from urial_check.generation import engine
    from urial_check.generation.backends.loading import load_model_and_tokenizer, resolve_model

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_generation import reference_generate

    model, tokenizer = load_model_and_tokenizer(resolve_model(args.model), "cuda", getattr(torch, args.dtype))
    prompt = UrialPrompt.default()
    decoding = Decoding(max_new_tokens=args.max_new_tokens)
    requests = [GenerationRequest(prompt.render([q]), decoding, prompt.text) for q in safety_instructions(args.cases)]
    print(f"{torch.cuda.get_device_name()}, {args.dtype}, {len(requests)} cases, {args.max_new_tokens} new tokens max")
    store = engine.PrefixStore()
    engine.generate(model, tokenizer, requests[:1], batch_size=None, prefix_store=store)  # warm-up
    wall = {False: 0.0, True: 0.0}
    tokens = {False: 0, True: 0}
    texts: dict[bool, list[str]] = {}
    for continuous in (False, True, False, True):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        results = engine.generate(model, tokenizer, requests, batch_size=None, prefix_store=store,
                                  continuous=continuous)
        torch.cuda.synchronize()
        wall[continuous] += time.perf_counter() - t0
        tokens[continuous] += sum(r.num_tokens for r in results)
        texts.setdefault(continuous, [r.text for r in results])
    t0 = time.perf_counter()
    plain = [reference_generate(model, tokenizer, r) for r in requests[: args.reference]]
    plain_wall = time.perf_counter() - t0
    n = 2 * len(requests)
    print(f"plain generate per case:          {len(plain) / plain_wall:8.2f} cases/s "
          f"{sum(r.num_tokens for r in plain) / plain_wall:8.1f} new tokens/s ({len(plain)} cases)")
    for continuous, label in ((False, "engine, one batch at a time:     "), (True, "engine, continuous batching:     ")):
        agree = sum(a.text == b for a, b in zip(plain, texts[continuous]))
        print(f"{label} {n / wall[continuous]:8.2f} cases/s {tokens[continuous] / wall[continuous]:8.1f} "
              f"new tokens/s, {agree}/{len(plain)} answers identical to plain generate")
    print(f"speedup={(n / wall[True]) / (len(plain) / plain_wall):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
