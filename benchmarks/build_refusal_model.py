"""Fit the learned second opinion of the refusal rules (``urial_check/data/refusal_model.json``).

The model (:mod:`urial_check.measures.refusal_model`) is a logistic regression over the words of an answer's opening
and of its request, the rules' verdict and family, and the request's harm. It is fitted here on every labelled answer
under ``tests/data/refusal`` (``*.jsonl`` rows with ``label`` and ``response``; a repeated request and answer keeps its
first row, in path order) except:

* ``test.jsonl`` at the top: round 1's frozen test split (its default-model answers stay held out, but for 2 that
  other files repeat; its written answers are also in ``chat_style.jsonl``, the round's written set in full, which is
  fitted on, so on them the model's figure is a dev figure, as every other figure on that split has been since v3);
* ``round2/``: labelled under the guide's first, broader reading of a wandering answer (HISTORY.md, round 2);
* the rounds in :data:`HELD_OUT` (made to measure this model once; added to the fit, with a new model version, only
  after that figure is in the README).

Every other round has already been measured once and tuned on by earlier rules versions (README, held-out tables).
Usage::

    python benchmarks/build_refusal_model.py              # fit and write the weights file
    python benchmarks/build_refusal_model.py --check      # exit 1 if the training rows' hash differs from the file's
    python benchmarks/build_refusal_model.py --folds      # out-of-fold probabilities per round (for the threshold)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from urial_check.measures import refusal_model  # noqa: E402
from urial_check.measures.harm import HARM_CLASSIFIER_VERSION, classify_instruction  # noqa: E402
from urial_check.measures.refusal import RULE_LAYER_VERSION, rule_verdict  # noqa: E402

DATA = ROOT / "tests" / "data" / "refusal"
OUT = ROOT / "urial_check" / "data" / "refusal_model.json"
#: Rounds made to measure this model version once: never fitted on.
HELD_OUT = ("round35l", "round36l", "round37d")
EXCLUDED = ("test.jsonl", "round2") + HELD_OUT


def labelled_answers(data: Path = DATA, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, dict]]:
    """Every labelled answer under ``data`` (``*.jsonl`` rows with ``label`` and ``response``), each (request, answer)
    once, in path order, with the first part of its path; parts named in ``skip`` are left out."""
    seen: set[tuple[str, str]] = set()
    for path in sorted(data.rglob("*.jsonl")):
        part = path.relative_to(data).parts[0]
        if part in skip:
            continue
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if "label" not in row or "response" not in row:
                continue
            key = (row.get("instruction") or "", row["response"])
            if key not in seen:
                seen.add(key)
                yield part, {**row, "instruction": key[0]}


def training_rows(data: Path = DATA) -> list[dict]:
    """The labelled answers the model is fitted on: ``instruction``, ``response``, ``refused`` and ``round`` each."""
    return [{"instruction": row["instruction"], "response": row["response"], "refused": row["label"] != "compliance",
             "round": part.removesuffix(".jsonl"), "origin": str(row.get("origin", ""))}
            for part, row in labelled_answers(data, EXCLUDED)]


def digest(rows: list[dict]) -> str:
    """A hash of the training rows (request, answer, label), order included."""
    sha = hashlib.sha256()
    for row in rows:
        sha.update(json.dumps([row["instruction"], row["response"], row["refused"]]).encode())
    return sha.hexdigest()


def featurised(rows: list[dict]) -> list[tuple[dict[str, float], bool]]:
    found = []
    for row in rows:
        verdict = rule_verdict(row["response"], row["instruction"])
        row["rule"] = verdict.rule
        harmful = bool(row["instruction"]) and classify_instruction(row["instruction"]).harmful
        found.append((refusal_model.features(row["instruction"], row["response"], verdict.refused, verdict.rule,
                                             harmful), row["refused"]))
    return found


def build(data: Path = DATA) -> dict:
    rows = training_rows(data)
    intercept, weights = refusal_model.fit(featurised(rows))
    return {
        "version": refusal_model.REFUSAL_MODEL_VERSION,
        "rule_layer": RULE_LAYER_VERSION,
        "harm_rules": HARM_CLASSIFIER_VERSION,
        "fit": {"C": refusal_model.C, "min_rows": refusal_model.MIN_ROWS, "opening_chars": refusal_model.OPENING_CHARS,
                "request_weight": refusal_model.REQUEST_WEIGHT},
        "rows": len(rows),
        "rounds": sorted({row["round"] for row in rows}),
        "sha256": digest(rows),
        "intercept": intercept,
        "weights": dict(sorted(weights.items())),
    }


def folds(data: Path = DATA) -> list[dict]:
    """Each round's rows scored by a model fitted on every other round (out of fold)."""
    rows = training_rows(data)
    found = featurised(rows)
    out = []
    for name in sorted({row["round"] for row in rows}):
        intercept, weights = refusal_model.fit(item for item, row in zip(found, rows) if row["round"] != name)
        for (features, refused), row in zip(found, rows):
            if row["round"] == name:
                score = intercept + sum(weights.get(key, 0.0) * value for key, value in features.items())
                out.append({"round": name, "instruction": row["instruction"], "response": row["response"],
                            "origin": row["origin"], "refused": refused,
                            "rule": row["rule"], "rules_refused": features["r:refused"] == 1.0,
                            "probability": 1 / (1 + math.exp(-score)) if score > -30 else 0.0})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the training rows differ from the file's")
    parser.add_argument("--folds", type=Path, metavar="OUT.json", help="write out-of-fold probabilities per round")
    args = parser.parse_args(argv)
    if args.check:
        shipped = json.loads(OUT.read_text("utf-8"))
        rows = training_rows()
        if shipped["sha256"] != digest(rows) or shipped["rule_layer"] != RULE_LAYER_VERSION:
            print(f"build_refusal_model: {OUT} is stale: rerun benchmarks/build_refusal_model.py", file=sys.stderr)
            return 1
        print(f"{OUT}: {len(rows)} rows, sha256 {shipped['sha256'][:12]}, up to date")
        return 0
    if args.folds:
        args.folds.write_text(json.dumps(folds()), "utf-8")
        print(f"wrote {args.folds}")
        return 0
    model = build()
    OUT.write_text(json.dumps(model, indent=0, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {OUT}: {model['rows']} rows, {len(model['weights'])} weights, sha256 {model['sha256'][:12]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
