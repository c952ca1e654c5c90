"""Generate the default model's answers for the refusal / safety labelling sets.

Each instruction is answered twice by the embedded default model (SmolLM2-135M-Instruct):
through urial-check's URIAL prompt (what the suites do) and through the model's own chat
template (how the model is used as a chat assistant). Greedy decoding with the suites' default
settings, or seeded sampling with ``--temperature`` (each answer's seed comes from ``--seed``, its
id and its mode, so a rerun gives the same answers). The output has no labels and no detector
verdicts: it is what the labellers read.

Usage::

    python benchmarks/make_refusal_answers.py INSTRUCTIONS.jsonl OUT.jsonl [--modes urial,chat]

``INSTRUCTIONS.jsonl`` rows need ``id`` and ``instruction``; other keys are carried over.
``--llama-cpp`` answers through llama.cpp instead (``llama-cpp-python``, as ``.ci/run`` installs it; the
default model's Q4_1 weights computed as stored, greedy, llama.cpp's own repetition penalty over the last 64 tokens,
the GGUF's chat template): what a user serving the model with llama.cpp gets. ``--dtype bfloat16`` runs the model in bf16 (greedy answers then drift from the fp32 ones, as they
do on a GPU). Rows already in OUT (same id and mode) are kept, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from urial_check.generation.backends.base import GenerationRequest  # noqa: E402
from urial_check.generation.backends.transformers_backend import ModelSettings, TransformersBackend  # noqa: E402
from urial_check.generation.decoding import Decoding  # noqa: E402
from urial_check.generation.prompt import STOP_STRINGS, UrialPrompt, cut_answer  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instructions", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--modes", default="urial,chat")
    parser.add_argument("--max-new-tokens", type=int, default=Decoding().max_new_tokens)
    parser.add_argument("--chunk", type=int, default=32)
    parser.add_argument(
        "--temperature",
        type=float,
        default=None,
        help="sample at this temperature instead of greedy decoding (each answer seeded from --seed and its id)",
    )
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dtype",
        default="auto",
        help="the model's dtype (as --urial-dtype): bfloat16 on CPU gives answers that drift from fp32 ones as a GPU's do",
    )
    parser.add_argument("--llama-cpp", action="store_true", help="answer through llama.cpp (llama-cpp-python), greedy")
    args = parser.parse_args(argv)

    rows = [json.loads(line) for line in args.instructions.read_text("utf-8").splitlines() if line.strip()]
    done: set[tuple[str, str]] = set()
    if args.out.exists():
        for line in args.out.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                done.add((row["source_id"], row["mode"]))
    prompt = UrialPrompt.default()
    if args.llama_cpp:
        if args.temperature is not None:
            parser.error("--llama-cpp answers greedily; drop --temperature")
        _llama_cpp(rows, done, args, prompt)
        return
    backend = TransformersBackend(ModelSettings(cache_dir=ROOT / ".urial-cache", dtype=args.dtype))
    _, tokenizer = backend.load()
    decoding = Decoding(max_new_tokens=args.max_new_tokens)
    if args.temperature is not None:
        decoding = decoding.updated({"do_sample": True, "temperature": args.temperature, "top_p": args.top_p})

    def decoding_for(row_id: str, mode: str) -> Decoding:
        if not decoding.do_sample:
            return decoding
        digest = hashlib.sha256(f"{args.seed}:{row_id}:{mode}".encode()).digest()
        return decoding.updated({"seed": int.from_bytes(digest[:7], "big")})

    for mode in args.modes.split(","):
        todo = [r for r in rows if (r["id"], mode) not in done]
        for start in range(0, len(todo), args.chunk):
            chunk = todo[start : start + args.chunk]
            if mode == "urial":
                requests = [
                    GenerationRequest(
                        prompt=prompt.render([r["instruction"]]), decoding=decoding_for(r["id"], mode), prefix=prompt.text
                    )
                    for r in chunk
                ]
            else:
                requests = [
                    GenerationRequest(
                        prompt=tokenizer.apply_chat_template(
                            [{"role": "user", "content": r["instruction"]}], tokenize=False, add_generation_prompt=True
                        ),
                        decoding=decoding_for(r["id"], mode),
                        stop=(),
                    )
                    for r in chunk
                ]
            t0 = time.perf_counter()
            results = backend.generate(requests)
            with args.out.open("a", encoding="utf-8") as out:
                for row, result in zip(chunk, results):
                    text = cut_answer(result.text) if mode == "urial" else result.text.strip()
                    record = _record(row, mode, text, result.finish_reason, result.num_tokens)
                    if decoding.do_sample:
                        record["decoding"] = decoding_for(row["id"], mode).as_dict()
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            print(f"{mode}: {start + len(chunk)}/{len(todo)} ({time.perf_counter() - t0:.1f} s)", flush=True)


def _record(row: dict, mode: str, text: str, finish_reason: str | None, num_tokens: int) -> dict:
    """One output row: the instruction row's keys (its ``id`` as ``source_id``) with the answer in one mode."""
    record = {k: v for k, v in row.items() if k != "id"}
    record.update(id=f"{row['id']}:{mode}", source_id=row["id"], mode=mode, response=text,
                  finish_reason=finish_reason, num_tokens=num_tokens)
    return record


def _llama_cpp(rows: list[dict], done: set[tuple[str, str]], args: argparse.Namespace, prompt: UrialPrompt) -> None:
    """Greedy answers from llama.cpp, in process (one at a time; the URIAL prompt's tokens are reused between them)."""
    from llama_cpp import Llama

    from urial_check.generation.backends.loading import default_model_path

    decoding = Decoding(max_new_tokens=args.max_new_tokens)
    # use_extra_bufts=False: llama-cpp-python 0.3.36's AMX matmul crashes on first decode on some CPUs
    llm = Llama(model_path=str(default_model_path()), n_ctx=4096, verbose=False, use_extra_bufts=False, seed=0)
    settings = {"max_tokens": decoding.max_new_tokens, "temperature": 0.0, "top_k": 1,
                "repeat_penalty": decoding.repetition_penalty}
    for mode in args.modes.split(","):
        todo = [r for r in rows if (r["id"], mode) not in done]
        t0 = time.perf_counter()
        for count, row in enumerate(todo, 1):
            if mode == "urial":
                out = llm.create_completion(prompt.render([row["instruction"]]), stop=list(STOP_STRINGS), **settings)
                text, choice = cut_answer(out["choices"][0]["text"]), out["choices"][0]
            else:
                out = llm.create_chat_completion([{"role": "user", "content": row["instruction"]}], **settings)
                choice = out["choices"][0]
                text = (choice["message"]["content"] or "").strip()
            record = _record(row, mode, text, choice["finish_reason"], out["usage"]["completion_tokens"])
            record["backend"] = "llama.cpp"
            with args.out.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            if count % 32 == 0 or count == len(todo):
                print(f"{mode}: {count}/{len(todo)} ({time.perf_counter() - t0:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
