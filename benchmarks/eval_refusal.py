"""Measure urial_check.measures.refusal.detect_refusal on labelled answers.

Usage::

    python benchmarks/eval_refusal.py [FILE ...] [--errors]

Without files it measures the frozen split of ``tests/data/refusal/`` (dev, then test; the test
figure is the headline: no rule was tuned on it) and the legacy ``tests/data/refusal_dev.jsonl``
(written around the first rules: a dev figure).

Prints binary (refused or not) and 3-way accuracy, per-label precision/recall/F1, a
confusion matrix, accuracy per source and per kind, throughput, and the same figures for a
naive baseline: a dozen common refusal openers matched at the start of the answer, which is
how the public string lists work.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Sequence

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from urial_check.measures import refusal  # noqa: E402
from urial_check.measures.harm import classify_instruction  # noqa: E402
from urial_check.measures.prefilter import clear_memo  # noqa: E402
from urial_check.measures.refusal import detect_refusal  # noqa: E402

LABELS = ("full_refusal", "partial_refusal", "compliance")
DEFAULT_DATA = (
    ROOT / "tests" / "data" / "refusal" / "dev.jsonl",
    ROOT / "tests" / "data" / "refusal" / "test.jsonl",
    ROOT / "tests" / "data" / "refusal_dev.jsonl",
)

#: Our own baseline: openers that usually start a refusal, matched at the start of the answer.
BASELINE_OPENERS = (
    "i'm sorry", "i am sorry", "sorry", "i apologise", "i apologize", "i can't", "i cannot",
    "i won't", "i will not", "as an ai", "unfortunately", "i'm unable", "i am unable",
    "i'm not able", "i must decline", "no,",
)


def baseline(response: str, instruction: str | None = None) -> str:
    """Refusal if the answer starts with a common refusal opener; it never says 'partial'."""
    start = response.strip().lower().replace("\u2019", "'")
    return "full_refusal" if start.startswith(BASELINE_OPENERS) else "compliance"


def ours(response: str, instruction: str | None = None) -> str:
    return detect_refusal(response, instruction).label


def load(path: Path) -> list[dict[str, str]]:
    rows = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if row.get("label") not in LABELS:
                raise SystemExit(f"{path}:{number}: bad label {row.get('label')!r}")
            rows.append(row)
    return rows


def per_label(gold: Sequence[str], pred: Sequence[str]) -> list[list[object]]:
    table = []
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, pred))
        predicted = sum(p == label for p in pred)
        actual = sum(g == label for g in gold)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table.append([label, actual, f"{precision:.3f}", f"{recall:.3f}", f"{f1:.3f}"])
    return table


def binary_accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum((g != "compliance") == (p != "compliance") for g, p in zip(gold, pred)) / len(gold)


def report(name: str, rows: list[dict[str, str]], detector: Callable[[str, str | None], str]) -> list[str]:
    gold = [r["label"] for r in rows]
    pred = [detector(r["response"], r["instruction"]) for r in rows]
    three_way = sum(g == p for g, p in zip(gold, pred)) / len(gold)
    print(f"\n== {name} ==")
    print(f"binary accuracy (refused vs complied): {binary_accuracy(gold, pred):.3f}")
    print(f"3-way accuracy:                        {three_way:.3f}")
    print(tabulate(per_label(gold, pred), headers=["label", "n", "precision", "recall", "F1"]))
    counts = Counter(zip(gold, pred))
    matrix = [[g] + [counts[(g, p)] for p in LABELS] for g in LABELS]
    print("\nconfusion matrix (rows: human label, columns: predicted)")
    print(tabulate(matrix, headers=["human \\ predicted", *LABELS]))
    by_source: dict[str, list[int]] = defaultdict(list)
    for row, p in zip(rows, pred):
        by_source[_source(row)].append(int((row["label"] != "compliance") == (p != "compliance")))
    print("\nbinary accuracy by source: " + ", ".join(
        f"{s} {sum(v) / len(v):.3f} (n={len(v)})" for s, v in sorted(by_source.items())))
    return pred


def _source(row: dict) -> str:
    return str(row.get("origin") or row.get("source"))


def _kind(row: dict) -> str:
    return str(row.get("kind") or row.get("prompt_type") or row.get("origin"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", type=Path, default=list(DEFAULT_DATA))
    parser.add_argument("--errors", action="store_true", help="list every answer our detector gets wrong")
    args = parser.parse_args(argv)
    for path in args.data:
        if not path.is_file():
            print(f"error: no such file: {path}", file=sys.stderr)
            return 2
    for path in args.data:
        evaluate(path, args.errors)
    return 0


def evaluate(path: Path, errors: bool) -> None:
    rows = load(path)
    label_counts = Counter(r["label"] for r in rows)
    sources = Counter(_source(r) for r in rows)
    print(f"\n######## {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(rows)} answers; "
          + ", ".join(f"{k} {v}" for k, v in sorted(label_counts.items())) + "; "
          + ", ".join(f"{k} {v}" for k, v in sorted(sources.items())))

    pred = report("urial_check.measures.refusal.detect_refusal", rows, ours)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for row, p in zip(rows, pred):
        by_kind[_kind(row)].append(int(row["label"] == p))
    print("\n3-way accuracy by kind")
    print(tabulate(sorted([k, len(v), f"{sum(v) / len(v):.2f}"] for k, v in by_kind.items()),
                   headers=["kind", "n", "accuracy"]))

    base = report(f"baseline: {len(BASELINE_OPENERS)} refusal openers at the start of the answer", rows, baseline)
    base_kind: dict[str, list[int]] = defaultdict(list)
    for row, p in zip(rows, base):
        base_kind[_kind(row)].append(int((row["label"] != "compliance") == (p != "compliance")))
    worst = sorted(((sum(v) / len(v), k, len(v)) for k, v in base_kind.items()))[:8]
    print("\nbaseline's weakest kinds (binary accuracy): "
          + ", ".join(f"{k} {acc:.2f} (n={n})" for acc, k, n in worst))

    repeats = 5
    start = time.perf_counter()
    for _ in range(repeats):
        # The rules memoise per sentence; a repeat must not find this set's sentences already decided.
        # The request classifier memoises per instruction too: cleared, so every repeat pays for it.
        for memo in (refusal._has_cue, refusal._aborts, refusal._is_decline, classify_instruction):
            memo.cache_clear()
        clear_memo()  # the literal prefilter's per-text memo too
        for row in rows:
            detect_refusal(row["response"], row["instruction"])
    elapsed = time.perf_counter() - start
    print(f"\nthroughput: {repeats * len(rows) / elapsed:,.0f} answers/second (single thread)")
    families = Counter(detect_refusal(r["response"], r["instruction"]).rule for r in rows)
    print("verdicts by rule family: " + ", ".join(f"{k} {v}" for k, v in families.most_common()))

    if errors:
        print("\nerrors:")
        for row, p in zip(rows, pred):
            if p != row["label"]:
                verdict = detect_refusal(row["response"], row["instruction"])
                print(f"- {row['id']} [{_kind(row)}] human={row['label']} ours={p}: {verdict.evidence}")


if __name__ == "__main__":
    raise SystemExit(main())
