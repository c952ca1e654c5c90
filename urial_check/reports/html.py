"""A self-contained HTML report of one run record, optionally against a baseline run.

One file, no scripts, no network, no web fonts: a headline verdict (cases, suite gates and the
baseline comparison together), per-suite tables, suite gates, the comparison (when a baseline is
given) with a word-level diff of each flipped case's two answers, per-case details (answer, refusal
evidence, judge scores and reasons, token shift), how many verdicts each refusal rule family decided
per suite, and three kinds of plots drawn as inline SVG:

* refusal and over-refusal rate per suite, this run against the baseline (paired on shared cases),
* the distribution of each judge aspect's 1-5 scores (this run against the baseline),
* token-shift ratios per suite (unshifted / marginal / shifted, pooled over answer positions).

The SVG is a few rectangles and labels laid out here and written by the Jinja2 template
``urial_check/reports/templates/report.html.j2`` (autoescaping on): small, crisp at any zoom, its text
selectable, and free of a plotting dependency such as matplotlib, whose SVG output would be
hundreds of kilobytes of glyph paths for the same bars.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

from urial_check.records.baseline import Comparison, compare_runs, format_change, format_test, format_value
from urial_check.records.metrics import SHIFT_STATS, SuiteSummary, by_suite, rule_counts, summarize, versus_summaries
from urial_check.records.records import CaseRecord, GateResult, RunRecord

TEMPLATE_RESOURCE = "templates/report.html.j2"
NOW_COLOUR = "#1f5fa8"
BASE_COLOUR = "#a7adb8"
SHIFT_COLOURS = {"unshifted": "#9fd09f", "marginal": "#f2c94c", "shifted": "#e06666"}
RATE_METRICS = (("refusal_rate", "refusal", "higher is better"), ("over_refusal_rate", "over-refusal", "lower is better"))
SCORE_BINS = (1, 2, 3, 4, 5)
#: Unchanged words kept around each change in an answer diff (longer unchanged runs are elided).
DIFF_CONTEXT_WORDS = 8
#: Gate metrics shown as percentages (the others, mean scores and KL, as numbers).
PERCENT_GATE_METRICS = ("refusal_rate", "over_refusal_rate", "pass_rate", "token_shift.unshifted",
                        "token_shift.marginal", "token_shift.shifted")


@dataclass(frozen=True)
class Bar:
    """One horizontal bar of a rate chart (coordinates in SVG user units)."""

    label: str
    metric: str
    now: float
    baseline: float | None
    n: int
    y: float
    width_now: float
    width_base: float | None


def _label_width(labels: Sequence[str]) -> int:
    """Room for right-aligned 11px labels (about 6.5 units a character in the usual sans-serif fonts)."""
    return int(max((len(label) for label in labels), default=10) * 6.5) + 16


def rate_chart(rows: Sequence[tuple[str, str, float, float | None, int]], *, track_w: int = 360) -> dict[str, Any]:
    """Layout of horizontal bars for ``(label, metric, now, baseline or None, n)`` rates in 0-1."""
    row_h, top = 34, 24
    label_w = _label_width([r[0] for r in rows])
    bars = [Bar(label, metric, now, base, n, top + i * row_h, track_w * _clip(now), None if base is None else track_w * _clip(base))
            for i, (label, metric, now, base, n) in enumerate(rows)]
    ticks = [{"x": label_w + track_w * f, "label": f"{int(100 * f)}%"} for f in (0, 0.25, 0.5, 0.75, 1)]
    height = top + row_h * len(bars) + 24
    return {"width": label_w + track_w + 230, "height": height, "left": label_w, "track_w": track_w, "bars": bars,
            "ticks": ticks, "axis_y": height - 20, "top": top - 8}


def histogram(aspect: str, now: Sequence[float], baseline: Sequence[float] | None, *, mean_now: float | None = None,
              mean_base: float | None = None, width: int = 240, height: int = 170) -> dict[str, Any]:
    """Side-by-side bars of the share of scores in each bin 1..5 (a score is binned to the nearest whole point),
    captioned with the aspect's means (from the suite summaries)."""
    left, bottom_pad, top = 42, 34, 38
    plot_h = height - bottom_pad - top
    plot_w = width - left - 8
    share_now = _shares(now)
    share_base = _shares(baseline) if baseline else None
    peak = max(share_now + (share_base or [])) or 1.0
    slot = plot_w / len(SCORE_BINS)
    bars = []
    for i, score in enumerate(SCORE_BINS):
        x = left + i * slot
        for series, shares, offset in (("baseline", share_base, 0.12), ("now", share_now, 0.5)):
            if shares is None:
                continue
            h = plot_h * shares[i] / peak
            bars.append({"series": series, "score": score, "share": shares[i], "x": x + slot * offset, "w": slot * 0.38,
                         "y": top + plot_h - h, "h": h})
    labels = [{"x": left + (i + 0.5) * slot, "label": str(s)} for i, s in enumerate(SCORE_BINS)]
    return {"aspect": aspect, "width": width, "height": height, "left": left, "top": top, "bottom": top + plot_h,
            "right": left + plot_w, "bars": bars, "labels": labels, "peak": peak,
            "mean_now": mean_now, "mean_base": mean_base if baseline else None, "n_now": len(now),
            "n_base": len(baseline) if baseline else 0}


def shift_chart(rows: Sequence[tuple[str, Mapping[str, float]]], *, track_w: int = 360) -> dict[str, Any]:
    """100% stacked bars of the three token-shift ratios, one row per ``(label, ratios)``."""
    row_h, top = 28, 12
    label_w = _label_width([r[0] for r in rows])
    out = []
    for i, (label, ratios) in enumerate(rows):
        x = float(label_w)
        parts = []
        for category in SHIFT_COLOURS:
            w = track_w * _clip(ratios.get(category, 0.0))
            parts.append({"category": category, "x": x, "w": w, "ratio": ratios.get(category, 0.0), "colour": SHIFT_COLOURS[category]})
            x += w
        out.append({"label": label, "y": top + i * row_h, "parts": parts, "mean_kl": ratios.get("mean_kl")})
    return {"width": label_w + track_w + 200, "height": top + row_h * len(out) + 26, "left": label_w, "track_w": track_w,
            "rows": out, "legend_y": top + row_h * len(out) + 14}


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


def _shares(scores: Sequence[float] | None) -> list[float]:
    counts = [0] * len(SCORE_BINS)
    for s in scores or ():
        counts[min(4, max(0, int(math.floor(s + 0.5)) - 1))] += 1
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


# --------------------------------------------------------------------------- answer diffs

Segment = tuple[str, str]  # (kind, text); kind: "same", "del", "ins" or "gap" (elided unchanged words)


def answer_diff(before: str, after: str, *, context: int = DIFF_CONTEXT_WORDS) -> tuple[list[Segment], list[Segment]]:
    """Word-level diff of two answers (``difflib.SequenceMatcher`` over words with their trailing
    whitespace): the segments to show for ``before`` (unchanged and deleted words) and for
    ``after`` (unchanged and inserted words). Unchanged runs longer than ``2 * context`` words
    keep ``context`` words next to each change."""
    a, b = re.findall(r"\S+\s*", before), re.findall(r"\S+\s*", after)
    left: list[Segment] = []
    right: list[Segment] = []
    opcodes = difflib.SequenceMatcher(a=[w.strip() for w in a], b=[w.strip() for w in b], autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            kept = _elide(a[i1:i2], context, first=index == 0, last=index == len(opcodes) - 1)
            left += kept
            right += kept
            continue
        if i2 > i1:
            left.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            right.append(("ins", "".join(b[j1:j2])))
    return left, right


def _elide(words: Sequence[str], context: int, *, first: bool, last: bool) -> list[Segment]:
    if first and last:
        return [("same", "".join(words))]
    head = 0 if first else context
    tail = 0 if last else context
    if len(words) <= head + tail + 1:
        return [("same", "".join(words))]
    out: list[Segment] = []
    if head:
        out.append(("same", "".join(words[:head])))
    out.append(("gap", "… "))
    if tail:
        out.append(("same", "".join(words[-tail:])))
    return out


# --------------------------------------------------------------------------- views of the record


def _by_suite(record: RunRecord | None) -> dict[str, list[CaseRecord]]:
    return by_suite(record.cases) if record is not None else {}


def suite_figures(cases: Sequence[CaseRecord]) -> SuiteSummary:
    """Counts and rates of one suite's cases, judge scores, and pooled token shift of the primary context
    (:func:`urial_check.records.metrics.summarize`)."""
    return summarize(cases[0].suite if cases else "", cases)


def _case_view(case: CaseRecord, base: CaseRecord | None, flipped: str | None) -> dict[str, Any]:
    judge = case.judge
    reasons = judge.reasons if judge else {}
    base_judge = base.judge if base is not None else None
    same_judge = judge is not None and base_judge is not None and base_judge.judge_id == judge.judge_id
    scores = [{"aspect": a, "score": float(s), "reason": reasons.get(a, ""),
               "baseline": base_judge.scores.get(a) if same_judge and base_judge is not None else None}
              for a, s in (judge.scores if judge else {}).items()]
    return {
        "suite": case.suite, "id": case.id, "file": case.file, "line": case.line,
        "outcome": case.outcome, "expect": case.expect_refusal, "turns": list(case.turns or (case.instruction,)),
        "answer": case.answer, "refusal": case.refusal, "tags": list(case.tags),
        "failures": [c.message or c.name for c in case.checks if not c.passed],
        "judge_id": judge.judge_id if judge else None, "scores": scores, "judge_error": case.judge_error,
        "shift": [{"context": ctx, "kl_approximate": m.kl_approximate, **{k: getattr(m, k) for k in ("positions", *SHIFT_STATS)}}
                  for ctx, m in case.token_shift.items()],
        "num_tokens": case.num_tokens, "finish_reason": case.finish_reason, "cached": case.cached,
        "baseline": None if base is None else {"outcome": base.outcome, "answer": base.answer,
                                                "refusal": base.refusal, "same": base.answer == case.answer},
        "flipped": flipped,
        "aligned": case.aligned,
    }


def _versus_view(summary: Any) -> dict[str, Any]:
    """A suite's URIAL (base) vs aligned table: one row of text cells per metric."""
    from urial_check.reports.summary import versus_cells

    return {"cases": summary.cases,
            "rows": [{"metric": r.metric, "n": r.n, "cells": versus_cells(r), "significant": r.significant} for r in summary.rows]}


def _gate_view(gate: GateResult) -> dict[str, Any]:
    rows = []
    for row in gate.rows:
        if row.value is None:
            shown = "n/a"
        elif row.metric in PERCENT_GATE_METRICS:
            shown = f"{100 * row.value:.1f}%"
        else:
            shown = f"{row.value:.2f}"
        rows.append({"metric": row.metric, "value": shown, "threshold": row.threshold, "n": row.n, "passed": row.passed})
    return {"suite": gate.suite, "cases": gate.cases, "passed": gate.passed, "rows": rows}


def headline(run: RunRecord, comparison: Comparison | None) -> dict[str, Any]:
    """The page's overall verdict: every case passed, every suite gate passed, and (with a
    baseline) no metric regressed. A run that passed so far but was interrupted is INCOMPLETE,
    never PASSED; an interrupted run and a subset (``-k``, ``-m``, node ids) say how many cases
    they cover."""
    cases = run.cases
    failed = sum(1 for c in cases if not c.passed)
    gates = run.gates
    gates_failed = sum(1 for g in gates if not g.passed)
    regressions = len(comparison.regressions) if comparison is not None else 0
    failing = bool(failed or gates_failed or regressions)
    interrupted = not run.complete
    parts = []
    sel = run.selection
    if interrupted:
        selected = f"{sel.finished} of {sel.selected} selected cases" if sel is not None else f"{len(cases)} cases"
        parts.append(f"run {run.status} after {selected} ({run.status_reason or 'no reason recorded'})")
    elif sel is not None and not sel.complete:
        parts.append(f"covers a subset ({sel.describe()})")
    if failed:
        parts.append(f"{failed} of {len(cases)} cases failed")
    elif not cases:
        parts.append("no case finished" if interrupted else "no case ran")
    else:
        parts.append(f"all {len(cases)} cases passed")
    if gates:
        noun = "gate" if len(gates) == 1 else "gates"
        parts.append(f"{gates_failed} of {len(gates)} {noun} failed" if gates_failed else f"{len(gates)} {noun} passed")
    if comparison is not None:
        parts.append(f"{regressions} metric(s) regressed against the baseline" if regressions
                     else "no regression against the baseline")
    verdict = "fail" if failing else "incomplete" if interrupted or not cases else "pass"  # no case ran: nothing passed
    word = {"fail": "FAILED", "incomplete": "INCOMPLETE", "pass": "PASSED"}[verdict]
    return {"passed": verdict == "pass", "verdict": verdict, "text": f"{word}: " + "; ".join(parts) + "."}


def _comparison_view(comparison: Comparison) -> dict[str, Any]:
    suites = {}
    for s in comparison.suites:
        suites[s.suite] = {
            "suite": s, "rows": [{"row": r, "baseline": format_value(r, r.baseline), "now": format_value(r, r.now),
                                  "change": format_change(r, r.difference), "test": format_test(r),
                                  "margin": format_change(r, r.margin, signed=False)} for r in s.metrics],
        }
    return {"comparison": comparison, "suites": suites}


def render_html_report(
    run: RunRecord,
    *,
    baseline: RunRecord | None = None,
    comparison: Comparison | None = None,
    title: str | None = None,
) -> str:
    """The report page as one string. With ``baseline`` and no ``comparison``, the comparison is computed."""
    if baseline is not None and comparison is None:
        comparison = compare_runs(baseline, run)
    runs = _by_suite(run)
    base_runs = _by_suite(baseline)
    base_index = {c.key: c for cs in base_runs.values() for c in cs}
    now_index = {c.key: c for cs in runs.values() for c in cs}
    compared = _comparison_view(comparison) if comparison is not None else None
    flips: dict[tuple[str, str], str] = {}
    if comparison is not None:
        for s in comparison.suites:
            flips.update({(s.suite, f.case_id): "newly failing" for f in s.newly_failing})
            flips.update({(s.suite, f.case_id): "newly passing" for f in s.newly_passing})

    gates = {g.suite: _gate_view(g) for g in run.gates}
    versus = {v.suite: _versus_view(v) for v in versus_summaries(run.cases)}
    diffs = {}
    if comparison is not None:
        for s in comparison.suites:
            for f in s.newly_failing + s.newly_passing:
                now_case = now_index.get((s.suite, f.case_id))
                base_case = base_index.get((s.suite, f.case_id))
                if now_case is not None and base_case is not None:
                    diffs[(s.suite, f.case_id)] = answer_diff(base_case.answer, now_case.answer)

    suites: list[dict[str, Any]] = []
    rate_rows: list[tuple[str, str, float, float | None, int]] = []
    shift_rows: list[tuple[str, Mapping[str, float]]] = []
    compared_suites = {s.suite for s in comparison.suites} if comparison is not None else set()
    for name in sorted(set(runs) | set(gates) | compared_suites):  # a suite only the baseline has: its removed cases
        now = summarize(name, runs.get(name, []))
        base = summarize(name, base_runs[name]) if name in base_runs else None
        s_cmp = comparison.suite(name) if comparison is not None else None
        for metric, label, _ in RATE_METRICS:
            row = s_cmp.metric(metric) if s_cmp is not None else None
            if row is not None:
                rate_rows.append((f"{name} · {label}", metric, row.now, row.baseline, row.n))
            elif (value := getattr(now, metric)) is not None:
                n = now.required if metric == "refusal_rate" else now.forbidden
                rate_rows.append((f"{name} · {label}", metric, value, None, n))
        if now.shift is not None:
            shift_rows.append((f"{name} · {now.shift.context}", {k: now.shift.value(k) for k in SHIFT_STATS}))
            if base is not None and base.shift is not None:
                shift_rows.append((f"{name} · {base.shift.context}, baseline", {k: base.shift.value(k) for k in SHIFT_STATS}))
        suites.append({
            "name": name, "now": now, "base": base,
            "histograms": [histogram(a, v, base.scores.get(a) if base is not None else None, mean_now=now.aspect_means.get(a),
                                     mean_base=base.aspect_means.get(a) if base is not None else None)
                           for a, v in now.scores.items()],
            "comparison": compared["suites"].get(name) if compared else None,
            "gate": gates.get(name),
            "versus": versus.get(name),
            "diffs": {case_id: d for (suite, case_id), d in diffs.items() if suite == name},
            "cases": [_case_view(c, base_index.get(c.key), flips.get(c.key)) for c in runs.get(name, [])],
        })
    page_title = title or f"urial-check run {run.run_id}"
    suite_anchors = unique_anchors({s["name"]: f"suite-{_readable(s['name'])}" for s in suites})
    case_anchors = unique_anchors({(s["name"], c["id"]): f"case-{_readable(s['name'])}--{_readable(c['id'])}"
                                   for s in suites for c in s["cases"]})

    def case_anchor(suite: str, case_id: str) -> str:
        return case_anchors.get((suite, case_id)) or f"case-{_readable(suite)}--{_readable(case_id)}"

    return str(_template().render(
        title=page_title, run=run, baseline=baseline, compared=compared, suites=suites,
        suite_anchor=lambda name: suite_anchors.get(name) or f"suite-{_readable(name)}", case_anchor=case_anchor,
        rule_families=rule_counts(run.cases),
        headline=headline(run, comparison), coverage=run.coverage_warning(),
        rate_chart=rate_chart(rate_rows) if rate_rows else None,
        shift_chart=shift_chart(shift_rows) if shift_rows else None,
        now_colour=NOW_COLOUR, base_colour=BASE_COLOUR, shift_colours=SHIFT_COLOURS,
        rate_help={m: h for m, _, h in RATE_METRICS},
    ))


def _readable(name: str) -> str:
    """A name as it reads in an anchor: ``demo/weapons`` -> ``demo--weapons``."""
    return name.replace("/", "--")


def unique_anchors(readable: Mapping[Any, str]) -> dict[Any, str]:
    """``{key: anchor}`` from each key's readable anchor, made unique: where two keys read the same (``a/b`` and
    ``a--b``), the first in sorted order keeps it and the next get ``~2``, ``~3``."""
    anchors: dict[Any, str] = {}
    taken: set[str] = set()
    clashing = []
    for key in sorted(readable, key=repr):  # first every readable anchor that is free, then the clashing ones
        if readable[key] in taken:
            clashing.append(key)
        else:
            anchors[key] = readable[key]
            taken.add(readable[key])
    for key in clashing:
        n = 2
        while f"{readable[key]}~{n}" in taken:
            n += 1
        anchors[key] = f"{readable[key]}~{n}"
        taken.add(anchors[key])
    return anchors


def write_html_report(path: Path, run: RunRecord, **options: Any) -> Path:
    """Render and write the report; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html_report(run, **options), encoding="utf-8", errors="replace")  # a lone surrogate: "?"
    return path


def _template() -> Any:
    from jinja2 import Environment, StrictUndefined, select_autoescape

    source = resources.files("urial_check.reports").joinpath(TEMPLATE_RESOURCE).read_text("utf-8")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: "-" if x is None else f"{100 * x:.1f}%"
    env.filters["num"] = lambda x, digits=2: "-" if x is None else f"{x:.{digits}f}"
    return env.from_string(source)
