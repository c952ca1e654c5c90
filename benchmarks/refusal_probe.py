"""Experiment: a linear probe on the default model's hidden states as a refusal detector.

Usage::

    python benchmarks/refusal_probe.py [--features reports/refusal_probe.npz] [--limit N]

Not shipped as a detector: this script records the experiment so it can be rerun and extended.
It reads every distinct labelled answer under ``tests/data/refusal/`` (dev and test splits of all
rounds alike: the figures it prints are cross-validated, not held out), runs each through the
embedded default model (SmolLM2-135M-Instruct) as a chat turn -- the request, then the answer --
and keeps, at four layers, the mean hidden state over the answer, over its first 16 tokens, and
the last token's state. A standardised logistic regression on those features is then scored by
5-fold cross-validation grouped by request (no request in both training and scoring folds), at
three regularisation strengths, alone and with the rules' verdict as an extra feature, and the
figures are printed next to the rules' for the default model's answers and for the chat-style
ones. The features take about 30 minutes on two CPU cores and are cached in ``--features``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from urial_check.measures.refusal import detect_refusal  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import build_refusal_model  # noqa: E402

DATA = ROOT / "tests" / "data" / "refusal"
LAYERS = (8, 15, 22, 30)
MAX_REQUEST_TOKENS = 64
MAX_ANSWER_TOKENS = 96
FIRST_TOKENS = 16
BATCH = 16
STOPWORDS = frozenset(
    "a an the i my me you your to of in on for and or is are do does how can what why where who "
    "should would could it its be with at by from this that which as not no so if into out up "
    "about without like just get make".split()
)
DECLINE_WORD = re.compile(
    r"\b(sorry|can'?t|cannot|unable|not able|don'?t have the|as an ai|as a (chat|language|virtual)"
    r"|apologi[sz]e|not (appropriate|possible|ethical|legal)|illegal|unethical|won'?t|refuse"
    r"|decline)\b",
    re.IGNORECASE,
)


def content_overlap(request: str, answer: str) -> float:
    """Share of the request's content words (5-letter prefixes) in the answer's first 60 words."""

    def stems(text: str, limit: int | None = None) -> set[str]:
        words = [w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS and len(w) > 2]
        return {w[:5] for w in words[:limit]}

    asked = stems(request)
    return len(asked & stems(answer, 60)) / max(1, len(asked))


def load_rows() -> list[dict]:
    """Every distinct (request, answer) pair with a label, the default model's answers first."""
    rows = [
        {
            "instruction": row["instruction"],
            "response": row["response"],
            "label": row["label"],
            "default": str(row.get("origin", "")).startswith("default"),
            "harmful": bool(row.get("harmful")),
        }
        for _, row in build_refusal_model.labelled_answers(DATA)
    ]
    rows.sort(key=lambda r: not r["default"])
    return rows


def extract(rows: list[dict], limit: int | None) -> np.ndarray:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from urial_check.generation.backends.loading import default_model_path

    path = default_model_path()
    tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    ).eval()
    head = tok("<|im_start|>user\n", add_special_tokens=False).input_ids
    turn = tok("<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False).input_ids

    def encode(row: dict) -> tuple[list[int], list[int]]:
        request = tok(row["instruction"], add_special_tokens=False).input_ids[:MAX_REQUEST_TOKENS]
        answer = tok(row["response"], add_special_tokens=False).input_ids[:MAX_ANSWER_TOKENS]
        return head + request + turn, answer

    rows = rows[:limit] if limit else rows
    out: list[np.ndarray] = []
    start = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        batch = [encode(r) for r in rows[i : i + BATCH]]
        width = max(len(a) + len(b) for a, b in batch)
        ids = torch.zeros(len(batch), width, dtype=torch.long)
        attention = torch.zeros(len(batch), width, dtype=torch.long)
        for j, (a, b) in enumerate(batch):
            ids[j, : len(a) + len(b)] = torch.tensor(a + b)
            attention[j, : len(a) + len(b)] = 1
        with torch.no_grad():
            states = model(
                input_ids=ids, attention_mask=attention, output_hidden_states=True
            ).hidden_states
        feats = []
        for j, (a, b) in enumerate(batch):
            row_parts = []
            for layer in LAYERS:
                h = states[layer][j]
                span = h[len(a) : len(a) + len(b)] if b else h[len(a) - 1 : len(a)]
                row_parts += [span.mean(0), span[:FIRST_TOKENS].mean(0), span[-1]]
            feats.append(torch.cat(row_parts))
        out.append(torch.stack(feats).numpy().astype(np.float32))
        if (i // BATCH) % 40 == 0:
            print(f"  {i + len(batch)}/{len(rows)} answers, {time.perf_counter() - start:.0f} s", flush=True)
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=ROOT / "reports" / "refusal_probe.npz")
    parser.add_argument("--limit", type=int, default=None, help="first N rows only (a smoke run)")
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = load_rows()
    if args.features.exists():
        X = np.load(args.features)["X"]
        print(f"features from {args.features}: {X.shape}")
    else:
        X = extract(rows, args.limit)
        args.features.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.features, X=X)
    rows = rows[: len(X)]
    y = np.array([r["label"] != "compliance" for r in rows])
    rules = np.array(
        [detect_refusal(r["response"], r["instruction"]).label != "compliance" for r in rows]
    )
    groups = np.unique([r["instruction"] for r in rows], return_inverse=True)[1]
    default = np.array([r["default"] for r in rows])

    def figures(pred: np.ndarray, mask: np.ndarray) -> str:
        acc = (pred[mask] == y[mask]).mean()
        recall = (pred[mask] & y[mask]).sum() / max(1, y[mask].sum())
        return f"{acc:.3f} / {recall:.3f}"

    print(f"{len(rows)} answers: {default.sum()} of the default model, {(~default).sum()} chat-style")
    print(f"rules (tuned on most of these rows): default {figures(rules, default)}, "
          f"chat {figures(rules, ~default)}   (binary / refusal recall)")
    from sklearn.metrics import roc_auc_score

    harmful_default = default & np.array([r["harmful"] for r in rows])
    overlap = np.array([content_overlap(r["instruction"], r["response"]) for r in rows])
    print(f"content-word overlap, answers of the default model to harmful requests "
          f"(n={harmful_default.sum()}): ROC AUC for compliance "
          f"{roc_auc_score(~y[harmful_default], overlap[harmful_default]):.2f}")
    missed = [r for r, yy, rr, d in zip(rows, y, rules, default) if d and yy and not rr]
    worded = sum(bool(DECLINE_WORD.search(r["response"][:250])) for r in missed)
    print(f"refusals of the default model the rules miss: {len(missed)}, "
          f"{worded} with a decline, apology or inability word in the first 250 characters")
    for C in (0.001, 0.01, 0.1):
        for with_rules in (False, True):
            features = np.hstack([X, 5.0 * rules[:, None]]) if with_rules else X
            prob = np.zeros(len(y))
            for train, score in GroupKFold(5).split(features, y, groups):
                clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
                clf.fit(features[train], y[train])
                prob[score] = clf.predict_proba(features[score])[:, 1]
            for threshold in (0.3, 0.5):
                pred = prob > threshold
                print(f"C={C} rules-feature={with_rules!s:5} threshold={threshold}: "
                      f"default {figures(pred, default)}, chat {figures(pred, ~default)}", flush=True)


if __name__ == "__main__":
    main()
