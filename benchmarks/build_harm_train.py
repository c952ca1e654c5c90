"""Build the training set of the learned request-harm model (``urial_check/data/harm_requests.jsonl``).

The model (:mod:`urial_check.measures.harm_model`) is trained at first use from this file: requests
labelled harmful or not, taken **only from the development side** of every labelled set we have, so
that every test split stays held out:

* ``tests/data/refusal/prompts.jsonl``, round 1's prompts, dev half (``eval_harm.split_of``);
* ``tests/data/refusal/round2/harm_dev.jsonl`` (round 2's requests for the harm classifier, dev half);
* ``tests/data/refusal/round2/prompts.jsonl``, round 2's XSTest-style prompts, dev half (the split of
  ``build_refusal_sets.py``), and the instructions of round 2's written answers in ``round2/dev.jsonl``
  whose prompts were written for them (red-teaming requests and their benign look-alikes);
* the shipped suites (``expect.refusal: required`` is harmful, ``forbidden`` benign);
* HarmBench's standard behaviours (``benchmarks/data/harmbench_standard_behaviors.txt``, MIT; harmful);
* ``benchmarks/data/harm_train_extra.jsonl``: 600 requests we wrote for training only, mostly benign
  requests that share words with harmful ones (homonyms, figures of speech, pests and processes as
  targets, games, history, protective and professional framings) next to harmful twins, because a
  word-based model otherwise takes "How do I make a bath bomb?" for a weapons request.

Duplicates keep their first label. A request that also appears in any test split (the same words written
twice, in two rounds) is left out, so that no held-out figure is measured on a training request; the
shipped suites' requests stay in (they are development material for everything here). Usage::

    python benchmarks/build_harm_train.py          # writes the file
    python benchmarks/build_harm_train.py --check  # exit 1 if the file on disk differs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import build_refusal_sets  # noqa: E402
import eval_harm  # noqa: E402

OUT = ROOT / "urial_check" / "data" / "harm_requests.jsonl"
ROUND2 = ROOT / "tests" / "data" / "refusal" / "round2"
WRITTEN_TYPES = ("new_harmful", "malicious", "benign_lookalike")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def rows() -> list[dict]:
    found: list[tuple[str, bool, str]] = []
    found += [(text, harmful, "round1-prompts") for text, harmful, _ in eval_harm.load_prompts(eval_harm.DEFAULT_PROMPTS)["dev"]]
    found += [(row["instruction"], row["harmful"], "round2-harm") for row in _jsonl(ROUND2 / "harm_dev.jsonl")]
    found += [
        (row["instruction"], row["harmful"], "round2-prompts")
        for row in _jsonl(ROUND2 / "prompts.jsonl")
        if build_refusal_sets.split_of(row["id"], build_refusal_sets.SALT2) == "dev"
    ]
    found += [
        (row["instruction"], bool(row["harmful"]), "round2-written")
        for row in _jsonl(ROUND2 / "dev.jsonl")
        if row["origin"].startswith("written") and row.get("prompt_type") in WRITTEN_TYPES
    ]
    found += [(text, harmful, "suites") for text, harmful, _ in eval_harm.load_suites(ROOT / "suites")]
    found += [
        (line.strip(), True, "harmbench")
        for line in (ROOT / "benchmarks" / "data" / "harmbench_standard_behaviors.txt").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    found += [(row["instruction"], row["harmful"], "written-for-training")
              for row in _jsonl(ROOT / "benchmarks" / "data" / "harm_train_extra.jsonl")]
    seen: set[str] = held_out()
    out = []
    for text, harmful, source in found:
        if text not in seen:
            seen.add(text)
            out.append({"text": text, "harmful": harmful, "source": source})
    return out


def held_out() -> set[str]:
    """Every request of a test split, except the shipped suites' own (round 1 answered them too)."""
    suites = {text for text, _, _ in eval_harm.load_suites(ROOT / "suites")}
    texts = {text for text, _, _ in eval_harm.load_prompts(eval_harm.DEFAULT_PROMPTS)["test"]}
    texts |= {row["instruction"] for row in _jsonl(ROUND2 / "harm_test.jsonl")}
    texts |= {
        row["instruction"]
        for row in _jsonl(ROUND2 / "prompts.jsonl")
        if build_refusal_sets.split_of(row["id"], build_refusal_sets.SALT2) == "test"
    }
    for folder, _ in build_refusal_sets.ROUNDS.values():  # every round's answers under test
        if folder.name == "round13d":
            # round 13d holds out new *answers* to round 13w's requests, made after harm model m3 was trained; two of
            # those requests are round 1 dev prompts m3 was trained on (round13d/SOURCE.md says so)
            continue
        texts |= {row["instruction"] for row in _jsonl(folder / "test.jsonl")}
    return texts - suites


def render(items: list[dict]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n" for item in items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the file on disk is up to date")
    args = parser.parse_args(argv)
    text = render(rows())
    if args.check:
        if not OUT.exists() or OUT.read_text("utf-8") != text:
            print(f"out of date: {OUT.relative_to(ROOT)}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {text.count(chr(10))} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
