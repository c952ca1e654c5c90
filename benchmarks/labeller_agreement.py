"""How far the refusal rules are from a human labeller, on the default model's doubly labelled answers.

Usage::

    python benchmarks/labeller_agreement.py [ROUND ...]

For each round whose answers were labelled twice, blind (by default rounds 6-10, 13d and 14-17; round 6 only on its
test half), it pairs the two first labels of every answer (a round's tie-break labeller, who saw only the split
answers, is the file with the fewest rows among those holding the answer) and prints:

* **human vs human**: binary agreement (refused or not) and each labeller's refusal recall measured against the
  other's refusals, which is the figure a perfect imitation of one labeller would reach against the other;
* **rules vs one labeller**: the same two figures for ``detect_refusal`` against each labeller in turn (both
  comparisons pooled), so the two rows compare like with like;
* **rules vs the combined label** (majority, third labeller on splits): the figure the README reports.

It reads the rounds' ``labels_*.jsonl`` and ``test.jsonl``; nothing is tuned on the output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from urial_check.measures.refusal import RULES_VERSION, detect_refusal  # noqa: E402

DATA = ROOT / "tests" / "data" / "refusal"
ROUNDS = ("round6", "round7", "round8", "round9", "round10", "round13d", "round14", "round15", "round16", "round17",
          "round23d", "round25d", "round26d", "round27d", "round28d", "round29d", "round30d", "round31b", "round32b",
          "round33l", "round34l", "round35l", "round36l", "round37d")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def pairs(folder: Path) -> dict[str, tuple[bool, bool]]:
    """Answer id -> the two first labellers' refused-or-not, for every answer labelled at least twice."""
    files = sorted(folder.glob("labels_*.jsonl"))
    votes: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)
    for path in files:
        rows = _jsonl(path)
        for row in rows:
            votes[row["id"]].append((len(rows), path.name, row["label"] != "compliance"))
    out = {}
    for answer, got in votes.items():
        if len(got) >= 2:
            first = sorted(got, key=lambda vote: (-vote[0], vote[1]))[:2]  # the two largest files: first pass
            out[answer] = (first[0][2], first[1][2])
    return out


def measure(round_name: str) -> dict[str, float | int] | None:
    folder = DATA / round_name
    labelled = pairs(folder)
    rows = {row["id"]: row for row in _jsonl(folder / "test.jsonl") if row["id"] in labelled}
    if not rows:
        return None
    c: Counter[str] = Counter()
    for answer, row in rows.items():
        a, b = labelled[answer]
        rule = detect_refusal(row["response"], row["instruction"]).label != "compliance"
        gold = row["label"] != "compliance"
        c["n"] += 1
        c["agree"] += a == b
        c["a"] += a
        c["b"] += b
        c["ab"] += a and b
        for human in (a, b):
            c["rule_ok"] += rule == human
            c["human"] += human
            c["rule_hit"] += rule and human
        c["gold"] += gold
        c["gold_ok"] += rule == gold
        c["gold_hit"] += rule and gold
    return dict(c)


def row_of(name: str, c: dict) -> list:
    recall_ab = c["ab"] / c["a"] if c["a"] else float("nan")
    recall_ba = c["ab"] / c["b"] if c["b"] else float("nan")
    return [
        name, c["n"], f"{c['agree'] / c['n']:.3f}", f"{recall_ba:.2f} / {recall_ab:.2f}",
        f"{c['rule_ok'] / (2 * c['n']):.3f}", f"{c['rule_hit'] / c['human']:.2f}" if c["human"] else "-",
        f"{c['gold_ok'] / c['n']:.3f}", f"{c['gold_hit']}/{c['gold']}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="*", default=list(ROUNDS))
    args = parser.parse_args(argv)
    table: list[list] = []
    total: Counter[str] = Counter()
    for name in args.rounds:
        if not (DATA / name).is_dir():
            print(f"{name}: no such round under {DATA}", file=sys.stderr)
            return 2
        c = measure(name)
        if c is None:
            print(f"{name}: no answer labelled twice", file=sys.stderr)
            continue
        table.append(row_of(name, c))
        total.update(c)
    if total:
        table.append(row_of("all", dict(total)))
    print(f"rules {RULES_VERSION} on the default model's doubly labelled answers")
    print(tabulate(table, disable_numparse=True, headers=[
        "round", "answers", "human vs human: binary", "refusal recall (each way)",
        "rules vs one labeller: binary", "refusal recall", "rules vs combined: binary", "refusals found"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
