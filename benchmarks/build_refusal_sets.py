"""Build the refusal / safety dev and test sets from the raw answers and the labellers' files.

Inputs (all under ``tests/data/refusal/``):

* ``answers_default.jsonl``: the default model's answers (``make_refusal_answers.py``), no labels;
* ``labels_*.jsonl``: the labellers' files (``id``, ``label``, ``safety``, ``degenerate``, ``note``),
  written by reading the answers, never the detector's verdicts (``LABELLING.md``);
* ``chat_style.jsonl``: answers written in the styles of common chat models, labelled as written.

Every row goes to ``dev`` or ``test`` by a hash of its prompt's id (both answers to one prompt land
on the same side); the rule was fixed before any detector rule was rewritten. The test split's
SHA-256 is written to ``test.sha256``; ``tests/test_refusal_sets.py`` checks it.

Round 2 (``round2/``, its own salt) was made after round 1's test figure was spent: 220 new
XSTest-style prompts (``prompts.jsonl``) answered by the default model (``answers_default.jsonl``,
labelled blind in ``labels_*.jsonl``), answers written in chat-model styles to them and to new
harmful requests (``chat_style.jsonl``, ``safety_style.jsonl``; a written answer to a round-2
prompt lands with the model's answers to it), and 560 requests for the instruction harm classifier
(``harm_prompts.jsonl`` -> ``harm_dev.jsonl`` / ``harm_test.jsonl`` + ``harm_test.sha256``). Every
round-2 file was split and hashed before any rule was tuned on it.

Usage::

    python benchmarks/build_refusal_sets.py          # writes every round's dev/test files and hashes
    python benchmarks/build_refusal_sets.py --check  # exit 1 if the files on disk differ
    python benchmarks/build_refusal_sets.py --round round2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "refusal"
SALT = "urial-refusal-split-v1:"
#: Round 2 (``round2/``): fresh prompts, answers and labels made after the round-1 test figure was
#: spent; its own salt, fixed before any of its rows was written.
ROUND2 = DATA / "round2"
SALT2 = "urial-refusal-split-v2:"
#: Round 3 (``round3/``): answers written in chat-model styles after round 2's test half was spent; all of it
#: is test data (tuning uses rounds 1 and 2), so it has no dev half.
ROUND3 = DATA / "round3"
#: Round 4 (``round4/``): answers to red-teaming requests in chat-model styles, written after round 3 was
#: measured; all test, like round 3.
ROUND4 = DATA / "round4"
#: Round 5 (``round5/``): the same kind as round 4, written after round 4 was measured; all test.
ROUND5 = DATA / "round5"
#: Round 6 (``round6/``): the default model's answers to XSTest's own 450 prompts (CC-BY-4.0; prompts only),
#: labelled blind under the round-6 reading of the guide; dev half labelled once, test half twice with a
#: third labeller on disagreements. Its own salt, fixed before any label was read.
ROUND6 = DATA / "round6"
SALT6 = "urial-refusal-split-v6:"
#: Round 7 (``round7/``): the default model's *sampled* answers (seeded, temperature 0.7) to 300 of XSTest's
#: prompts, made after rules v9 were fixed; all test, each answer labelled twice, a third labeller on
#: disagreements. New answers to prompts that round 6 (spent, tuned on) already used.
ROUND7 = DATA / "round7"
#: Round 8 (``round8/``): the same kind as round 7 with a new seed and prompt sample, made after rules v10 were
#: fixed (v10 was tuned on round 7); all test.
ROUND8 = DATA / "round8"
#: Round 9 (``round9/``): the same kind again (new seed and prompt sample), made after rules v11 were fixed
#: (v11 was tuned on rounds 6-8); all test.
ROUND9 = DATA / "round9"
#: Round 10 (``round10/``): the default model's sampled answers (seed 10) to 160 requests written for it (120
#: harmful, mostly asking for a method, means or text; 40 risky-sounding benign), made for the safety score
#: (heuristic v9, harm rules v8) and refusal rules v11; all test, each answer labelled twice, a third labeller on
#: refused/not-refused and unsafe/safe disagreements.
ROUND10 = DATA / "round10"
#: Round 13d (``round13d/``): the default model's greedy answers (the suites' settings) to round 13w's 100 new
#: XSTest-style prompts, made after refusal rules v15 were committed; all test, each answer labelled twice blind, a
#: third labeller on refused/not-refused and unsafe/safe disagreements.
ROUND13D = DATA / "round13d"
#: Round 14 (``round14/``): the default model's sampled answers (seed 14, as rounds 7-9) to 300 of XSTest's prompts,
#: made after refusal rules v16 were committed; all test, labelled twice blind, a third labeller on splits.
ROUND14 = DATA / "round14"
#: Round 15 (``round15/``): the default model's greedy answers (the suites' settings) to 100 new XSTest-style prompts
#: written for it, made after refusal rules v17 were committed; all test, labelled twice blind, a third labeller on
#: refused/not-refused and unsafe/safe disagreements.
ROUND15 = DATA / "round15"
#: Round 16 (``round16/``): the same kind as round 15 with 100 more new prompts, made after refusal rules v18 and harm
#: rules v11 were committed; all test, labelled twice blind, a third labeller on splits.
ROUND16 = DATA / "round16"
#: Round 17 (``round17/``): the same kind as rounds 15 and 16 with 100 more new prompts, made after refusal rules v19 and
#: harm rules v12 were committed; all test, labelled twice blind, a third labeller on splits.
ROUND17 = DATA / "round17"
#: Round 23d (``round23d/``): the same kind as rounds 15-17 with 100 more new prompts, made after refusal rules v26,
#: harm rules v16 and heuristic v11 were committed; all test, labelled twice blind, a third labeller on splits.
ROUND23D = DATA / "round23d"
#: Round 25d (``round25d/``): the same kind with 100 more new prompts, made after refusal rules v30 and harm rules v20
#: were committed (1d86813); all test, labelled twice blind, a third labeller on splits.
ROUND25D = DATA / "round25d"
#: Round 26d (``round26d/``): the same kind with 100 more new prompts (the prompts of written round 26w), made after
#: refusal rules v31 and harm rules v21 were committed (09016fe); all test, labelled twice blind, a third on splits.
ROUND26D = DATA / "round26d"
#: Round 27d (``round27d/``): the same kind with 89 more new prompts, made after refusal rules v33 and harm rules v22
#: were committed (011310f); all test, labelled twice blind, a third labeller on splits.
ROUND27D = DATA / "round27d"
#: Round 28d (``round28d/``): the same kind with 100 more new prompts, made after refusal rules v33 and harm rules v22
#: were committed (5099aed; harm rules v23, tried on the side branch harm-v23-tried at aa33004); all test, labelled
#: twice blind, a third labeller on splits.
ROUND28D = DATA / "round28d"
#: Round 29d (``round29d/``): the same kind with 100 more new prompts, made after round 28d was measured, with refusal
#: rules v33 and harm rules v22 unchanged (72369a7); all test, labelled twice blind, a third labeller on splits.
ROUND29D = DATA / "round29d"
#: Round 30d (``round30d/``): the same kind with 96 more new prompts, made while the learned second opinion of rules
#: v34 was being fitted (before any detector ran on it, v33 at 16ae0e0 the committed rules); all test, labelled twice
#: blind, a third labeller on splits.
ROUND30D = DATA / "round30d"
#: Round 31b (``round31b/``): the default model's greedy answers to round 6's 450 XSTest prompts again, computed in bf16
#: instead of fp32 (so they drift from round 6's after some tokens, as a GPU's would), made after rules v34 were
#: committed (eb5a95e); all test, labelled twice blind, a third labeller on splits.
ROUND31B = DATA / "round31b"
#: Round 32b (``round32b/``): round 31b's kind again, the prompts in another order (so each answer has other batch mates
#: and drifts otherwise), made while rules v35 (the learned second opinion refitted with round 31b) were being made;
#: all test, labelled twice blind, a third labeller on splits.
ROUND32B = DATA / "round32b"
#: Round 33l (``round33l/``): the default model's greedy answers to 120 of XSTest's prompts through llama.cpp (its Q4_1
#: weights as stored, its own repetition penalty), made after rules v35 were committed; all test, labelled twice blind,
#: a third labeller on splits.
ROUND33L = DATA / "round33l"
#: Round 34l (``round34l/``): round 33l's kind, 150 more of XSTest's prompts, made after round 33l was measured (rules v35
#: unchanged); all test, labelled twice blind, a third labeller on splits.
ROUND34L = DATA / "round34l"
#: Round 35l (``round35l/``): round 33l's kind, the last 180 of XSTest's prompts, made after rules v35 were measured on
#: round 34l and before rules v36 (rule layer v34, the learned second opinion refitted) were fitted; all test, labelled
#: twice blind, a third labeller on splits.
ROUND35L = DATA / "round35l"
#: Round 36l (``round36l/``): 79 new XSTest-style prompts (written for it) answered by the default model through
#: llama.cpp, made after rules v36 were measured on round 35l (rules unchanged); all test, labelled twice blind, a third
#: labeller on splits.
ROUND36L = DATA / "round36l"
#: Round 37d (``round37d/``): 99 more new XSTest-style prompts answered by the default model through transformers (fp32,
#: the suites' path, as rounds 26d-30d), made after rules v36 were measured on round 36l (rules unchanged); all test,
#: labelled twice blind, a third labeller on splits.
ROUND37D = DATA / "round37d"
ROUNDS = {
    "round1": (DATA, SALT), "round2": (ROUND2, SALT2), "round3": (ROUND3, ""), "round4": (ROUND4, ""), "round5": (ROUND5, ""),
    "round6": (ROUND6, SALT6), "round7": (ROUND7, ""), "round8": (ROUND8, ""),
    "round9": (ROUND9, ""), "round10": (ROUND10, ""), "round13d": (ROUND13D, ""),
    "round14": (ROUND14, ""), "round15": (ROUND15, ""), "round16": (ROUND16, ""),
    "round17": (ROUND17, ""), "round23d": (ROUND23D, ""), "round25d": (ROUND25D, ""),
    "round26d": (ROUND26D, ""), "round27d": (ROUND27D, ""), "round28d": (ROUND28D, ""),
    "round29d": (ROUND29D, ""), "round30d": (ROUND30D, ""),
    "round31b": (ROUND31B, ""), "round32b": (ROUND32B, ""),
    "round33l": (ROUND33L, ""), "round34l": (ROUND34L, ""), "round35l": (ROUND35L, ""),
    "round36l": (ROUND36L, ""), "round37d": (ROUND37D, ""),
}
LABELS = ("full_refusal", "partial_refusal", "compliance")


def split_of(key: str, salt: str = SALT) -> str:
    """``dev`` or ``test``: the frozen rule (half and half by a hash of the prompt's id); no salt: all test."""
    if not salt:
        return "test"
    return "test" if int(hashlib.sha256((salt + key).encode()).hexdigest(), 16) % 2 else "dev"


def _read(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON: {exc.msg}") from None
    return rows


def combine(votes: list[dict]) -> dict | None:
    """One label from one or more labellers' rows for the same answer (round 6 labels each test answer
    twice and sends the disagreements to a third labeller).

    The label is the one most labellers gave; without a majority, the refused/not-refused side most
    labellers took (``partial_refusal`` when that side is "refused" but the refusals differ); two
    labellers split with no third: ``None`` (left out). Safety is the median score (the lower middle
    one for an even count), ``degenerate`` the majority flag.
    """
    if len(votes) == 1:
        vote = votes[0]
        return {"label": vote["label"], "safety": vote["safety"], "degenerate": bool(vote["degenerate"]),
                "labeller": vote["labeller"]}
    names = "+".join(vote["labeller"] for vote in votes)
    counts: dict[str, int] = {}
    for vote in votes:
        counts[vote["label"]] = counts.get(vote["label"], 0) + 1
    label, top = max(counts.items(), key=lambda item: item[1])
    if top * 2 <= len(votes):
        refused = sum(vote["label"] != "compliance" for vote in votes)
        if refused * 2 == len(votes):
            return None
        label = "compliance" if refused * 2 < len(votes) else (
            "full_refusal" if counts.get("full_refusal", 0) > counts.get("partial_refusal", 0) else "partial_refusal")
    safety = sorted(vote["safety"] for vote in votes)[(len(votes) - 1) // 2]
    degenerate = sum(bool(vote["degenerate"]) for vote in votes) * 2 > len(votes)
    return {"label": label, "safety": safety, "degenerate": degenerate, "labeller": names,
            "votes": {vote["labeller"]: vote["label"] for vote in votes}}


def build(data: Path = DATA, salt: str = SALT) -> dict[str, list[dict]]:
    votes: dict[str, list[dict]] = {}
    for path in sorted(data.glob("labels_*.jsonl")):
        for number, row in enumerate(_read(path), 1):
            if row.get("label") not in LABELS or row.get("safety") not in (1, 2, 3, 4, 5):
                raise SystemExit(f"{path}:{number}: bad label or safety in row {row.get('id')!r}")
            votes.setdefault(row["id"], []).append({**row, "labeller": path.stem.removeprefix("labels_")})
    rows: list[dict] = []
    for answer in _read(data / "answers_default.jsonl") if (data / "answers_default.jsonl").exists() else []:
        label = combine(votes[answer["id"]]) if answer["id"] in votes else None
        if label is None:
            continue  # generated but not labelled (or two labellers split): not part of either split
        rows.append({
            "id": answer["id"], "group": answer["source_id"], "origin": f"default-{answer['mode']}",
            "instruction": answer["instruction"], "response": answer["response"],
            "prompt_type": answer.get("prompt_type") or answer.get("type"), "harmful": answer.get("harmful"),
            **label,
        })
    for name in ("chat_style.jsonl", "safety_style.jsonl"):
        if not (data / name).exists():
            continue
        for number, written in enumerate(_read(data / name), 1):
            if written.get("label") not in LABELS or written.get("safety") not in (1, 2, 3, 4, 5):
                raise SystemExit(f"{data / name}:{number}: bad label or safety in row {written.get('id')!r}")
            prompt_id = written.get("prompt_id")
            rows.append({
                # a written answer to one of the round's prompts goes where the default model's answers
                # to that prompt go
                "id": written["id"], "group": prompt_id if prompt_id and prompt_id != "new" else written["id"],
                "origin": f"written-{written['style']}",
                "instruction": written["instruction"], "response": written["response"],
                "prompt_type": written.get("type"), "harmful": written.get("harmful"),
                "label": written["label"], "safety": written["safety"],
                "degenerate": bool(written["degenerate"]), "labeller": "writer",
            })
    out: dict[str, list[dict]] = {"dev": [], "test": []}
    for row in sorted(rows, key=lambda r: r["id"]):
        out[split_of(row["group"], salt)].append(row)
    return out


def build_harm_prompts(data: Path, salt: str) -> dict[str, list[dict]]:
    """Round 2's requests for the instruction harm classifier (``harm_prompts.jsonl``, prompts only),
    split by the same rule into ``harm_dev`` and ``harm_test``."""
    out: dict[str, list[dict]] = {"harm_dev": [], "harm_test": []}
    if not (data / "harm_prompts.jsonl").exists():
        return {}
    for number, row in enumerate(_read(data / "harm_prompts.jsonl"), 1):
        if not isinstance(row.get("harmful"), bool) or not str(row.get("instruction", "")).strip():
            raise SystemExit(f"{data / 'harm_prompts.jsonl'}:{number}: needs instruction and harmful (true/false)")
        out["harm_" + split_of(row["id"], salt)].append(row)
    return out


def render(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the files on disk are up to date")
    parser.add_argument("--round", choices=sorted(ROUNDS), action="append",
                        help="which round to build or check (default: every round whose folder exists)")
    args = parser.parse_args(argv)
    stale: list[str] = []
    for round_name in args.round or [name for name, (data, _) in ROUNDS.items() if data.is_dir()]:
        data, salt = ROUNDS[round_name]
        sets = build(data, salt) | build_harm_prompts(data, salt)
        texts = {name: render(rows) for name, rows in sets.items() if rows or name == "test"}  # round 3 has no dev half
        digests = {f"{name.removesuffix('test')}test.sha256":
                   hashlib.sha256(texts[name].encode("utf-8")).hexdigest() + f"  {name}.jsonl\n"
                   for name in ("test", "harm_test") if name in texts}
        if args.check:
            stale += [f"{round_name}/{name}" for name, text in texts.items()
                      if not (data / f"{name}.jsonl").exists() or (data / f"{name}.jsonl").read_text("utf-8") != text]
            stale += [f"{round_name}/{name}" for name, digest in digests.items()
                      if not (data / name).exists() or (data / name).read_text("utf-8") != digest]
            continue
        for name, text in texts.items():
            (data / f"{name}.jsonl").write_text(text, encoding="utf-8")
        for name, digest in digests.items():
            (data / name).write_text(digest, encoding="utf-8")
        for name, rows in sets.items():
            print(f"{round_name} {name}: {len(rows)} rows")
    if stale:
        print(f"out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
