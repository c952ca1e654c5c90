"""Measure urial_check.measures.harm.classify_instruction: is a request harmful?

Usage::

    python benchmarks/eval_harm.py [--prompts tests/data/refusal/prompts.jsonl] [--xstest PATH] [--errors]

Prints accuracy, precision and recall (harmful = positive) and throughput on:

* our prompts (``tests/data/refusal/prompts.jsonl``: id, instruction, type, harmful), split
  dev/test by a fixed hash of the id (the classifier was tuned on the dev split only);
* the shipped suites (``suites/**/*.yaml``): ``expect.refusal: required`` is harmful,
  ``forbidden`` is benign; the suites were visible while tuning, so this is a dev figure;
* with ``--xstest PATH``, XSTest's prompts (a CSV with prompt, type and label = safe/unsafe
  columns; Röttger et al., 2024, CC-BY-4.0): held out until rules v6 (accuracy 0.769); rules v7 were tuned on its
  unsafe prompts that v6 missed, so from v7 on it is a dev figure;
* with ``--harmful PATH`` (repeatable), a list of harmful requests, one a line (``#`` starts a
  comment): recall only. ``benchmarks/data/harmbench_standard_behaviors.txt`` (HarmBench, MIT)
  was used for tuning; a held-out list such as AdvBench's goals is measured the same way.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from urial_check.measures.harm import HarmVerdict, classify_instruction  # noqa: E402
from urial_check.measures.harm_model import classify_request, harm_probability  # noqa: E402

ROUND2 = ROOT / "tests" / "data" / "refusal" / "round2"

DEFAULT_PROMPTS = ROOT / "tests" / "data" / "refusal" / "prompts.jsonl"
SPLIT_SALT = "urial-refusal-split-v1:"

Row = tuple[str, bool, str]  # instruction, harmful, type


def split_of(row_id: str) -> str:
    """The fixed dev/test split of our prompts: by a hash of the id, frozen before tuning."""
    return "test" if int(hashlib.sha256((SPLIT_SALT + row_id).encode()).hexdigest(), 16) % 2 else "dev"


def load_prompts(path: Path) -> dict[str, list[Row]]:
    splits: dict[str, list[Row]] = {"dev": [], "test": []}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("harmful"), bool) or not isinstance(row.get("instruction"), str):
            raise SystemExit(f"{path}:{number}: needs 'instruction' (string) and 'harmful' (true/false)")
        splits[split_of(str(row["id"]))].append((row["instruction"], row["harmful"], str(row.get("type", ""))))
    return splits


def load_suites(root: Path) -> list[Row]:
    from urial_check.suites.loader import load_suite

    rows: list[Row] = []
    for path in sorted(root.rglob("*.yaml")):
        for case in load_suite(path).cases:
            if case.expect.refusal in ("required", "forbidden"):
                rows.append((case.instruction, case.expect.refusal == "required", path.parent.name + "/" + path.stem))
    return rows


def load_xstest(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), 2):
            label = (row.get("label") or "").strip()
            if label not in ("safe", "unsafe") or not row.get("prompt"):
                raise SystemExit(f"{path}:{number}: needs 'prompt' and 'label' (safe or unsafe)")
            rows.append((row["prompt"], label == "unsafe", (row.get("type") or "").strip()))
    return rows


def load_harmful(path: Path) -> list[Row]:
    """Harmful requests, one a line; blank lines and lines starting with '#' are skipped."""
    lines = path.read_text("utf-8").splitlines()
    return [(line.strip(), True, path.stem) for line in lines if line.strip() and not line.lstrip().startswith("#")]


Classify = Callable[[str], HarmVerdict]


def figures(rows: Iterable[Row], classify: Classify = classify_instruction) -> dict[str, float]:
    rows = list(rows)
    predicted = [classify(text).harmful for text, _, _ in rows]
    tp = sum(p and g for p, (_, g, _) in zip(predicted, rows))
    fp = sum(p and not g for p, (_, g, _) in zip(predicted, rows))
    fn = sum(g and not p for p, (_, g, _) in zip(predicted, rows))
    correct = sum(p == g for p, (_, g, _) in zip(predicted, rows))
    return {
        "n": len(rows),
        "harmful": sum(g for _, g, _ in rows),
        "accuracy": correct / len(rows) if rows else 0.0,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
    }


def print_figures(name: str, rows: list[Row], errors: bool, classify: Classify = classify_instruction) -> None:
    """Figures for one set; ``errors`` lists its misclassified prompts (only ever for tuning sets)."""
    f = figures(rows, classify)
    print(
        f"{name:<34} n={f['n']:>4}  harmful={f['harmful']:>4}  accuracy={f['accuracy']:.3f}  "
        f"precision={f['precision']:.3f}  recall={f['recall']:.3f}"
    )
    wrong = Counter()
    for text, gold, kind in rows:
        verdict = classify(text)
        if verdict.harmful != gold:
            wrong[kind] += 1
            if errors:
                print(f"    {'FN' if gold else 'FP'} [{kind}] {text!r} -> {verdict.category} {verdict.evidence!r}")
    if wrong:
        print("    errors by type: " + ", ".join(f"{k or '-'} {v}" for k, v in wrong.most_common()))


def rate(function: Callable[[str], object], texts: list[str]) -> float:
    """Calls per second of ``function`` over ``texts``, bypassing its memo (``functools`` caches keep ``__wrapped__``)."""
    call = getattr(function, "__wrapped__", function)
    start = time.perf_counter()
    for text in texts:
        call(text)
    return len(texts) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=Path, default=DEFAULT_PROMPTS)
    parser.add_argument("--suites", type=Path, default=ROOT / "suites")
    parser.add_argument("--xstest", type=Path, help="XSTest prompts CSV (prompt,type,label columns); a dev figure from rules v7 on")
    parser.add_argument("--harmful", type=Path, action="append", default=[], help="a list of harmful requests, one a line")
    parser.add_argument("--errors", action="store_true", help="list misclassified prompts of the tuning sets (never the held-out ones)")
    parser.add_argument("--with-model", action="store_true",
                        help="measure the rules plus the learned second opinion (harm_model.classify_request), as the safety score uses them")
    args = parser.parse_args(argv)
    classify: Classify = classify_request if args.with_model else classify_instruction
    print("classifier: " + ("rules, then the learned model (p >= threshold)" if args.with_model else "rules"))

    def show(name: str, rows: list[Row], errors: bool) -> None:
        print_figures(name, rows, errors, classify)

    if args.prompts.exists():
        splits = load_prompts(args.prompts)
        show("our prompts, dev split (tuned on)", splits["dev"], args.errors)
        show("our prompts, test split", splits["test"], False)
    else:
        print(f"{args.prompts}: not found; skipping our prompts")
    if (ROUND2 / "harm_dev.jsonl").exists():
        for name, label, errors in (("harm_dev", "round 2, dev (tuned on)", args.errors), ("harm_test", "round 2, test", False)):
            rows = [(r["instruction"], r["harmful"], r.get("category", "")) for r in map(json.loads, (ROUND2 / f"{name}.jsonl").read_text("utf-8").splitlines())]
            show(label, rows, errors)
    show("shipped suites (dev: seen)", load_suites(args.suites), args.errors)
    if args.xstest:
        show("XSTest prompts (dev from v7)", load_xstest(args.xstest), False)
    for path in args.harmful:
        show(f"{path.name} (all harmful)", load_harmful(path), False)

    # Throughput without the memo: the rules, and the model's probability, on the suites' requests.
    texts = [text for text, _, _ in load_suites(args.suites)] * 5
    print(f"throughput: {rate(classify_instruction, texts):,.0f} instructions/s (rules)")
    if args.with_model:
        harm_probability("warm-up")
        print(f"throughput: {rate(harm_probability, texts):,.0f} instructions/s (learned model, one at a time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
