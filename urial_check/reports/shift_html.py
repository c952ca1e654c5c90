"""A self-contained HTML page of token shift results: no scripts, no network, no external fonts.

Each answer is shown with its tokens coloured by category (one row per base-model context); a
token's tooltip gives its position, rank η, base probability and the base model's top
alternatives. Per suite and context: the three ratios, mean KL, KL by position as an inline SVG
line chart, and the most frequently shifted tokens. The template is
``urial_check/reports/templates/token_shift.html.j2``, rendered by Jinja2 with autoescaping on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping, Sequence

from urial_check.measures.token_shift import CATEGORIES, CaseShift, SuiteShift, aggregate_cases, categorize

TEMPLATE_RESOURCE = "templates/token_shift.html.j2"
#: One colour per context line in the KL chart (cycled).
SERIES_COLOURS = ("#1f5fa8", "#c4581b", "#2e8540", "#7b3fa0")
CHART_WIDTH = 640
CHART_HEIGHT = 220
_MARGIN = {"left": 52, "right": 16, "top": 26, "bottom": 34}


@dataclass(frozen=True)
class ShiftEntry:
    """One test case's shift results, keyed by context name (all with the same answer)."""

    suite: str
    case_id: str
    shifts: Mapping[str, CaseShift]


def token_label(text: str) -> str:
    """How a token's text is shown inline: newlines visible as ↵ (and kept), empty as ∅."""
    if not text:
        return "∅"
    return text.replace("\n", "↵\n")


def inline_label(text: str) -> str:
    """A token's text on one line (for lists): newlines as ↵, empty as ∅."""
    return text.replace("\n", "↵") if text else "∅"


def token_tooltip(case: CaseShift, position: int) -> str:
    """Plain-text tooltip for one token: position, η, category, base probability, alternatives."""
    m = case.metrics
    rank = m.ranks[position]
    lines = [
        f"position {position}: {json.dumps(case.tokens[position], ensure_ascii=False)} (id {case.token_ids[position]})",
        f"base rank η = {rank} ({categorize(rank)}), base p = {m.base_prob[position]:.4g}",
        f"KL = {m.kl[position]:.4g}{' (approx.)' if m.kl_approximate else ''}, "
        f"aligned p of base top-1 = {m.aligned_prob_of_base_top1[position]:.4g}",
        "base top: " + ", ".join(f"{json.dumps(a.token, ensure_ascii=False)} {a.prob:.3g}"
                                 for a in case.alternatives[position]),
    ]
    return "\n".join(lines)


def _tokens_view(case: CaseShift) -> list[dict[str, Any]]:
    return [
        {"label": token_label(text), "category": category, "rank": case.metrics.ranks[t], "tip": token_tooltip(case, t)}
        for t, (text, category) in enumerate(zip(case.tokens, case.metrics.categories))
    ]


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2 or 5 times a power of ten); ``value`` itself where
    no round number is a finite float at or above it (near the largest float, or among subnormal ones)."""
    if not value > 0 or math.isinf(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    nice = next((step * power for step in (1, 2, 5, 10) if step * power >= value * (1 - 1e-12)), value)
    return nice if math.isfinite(nice) and nice > 0 else value


def kl_chart(series: Mapping[str, Sequence[float]], width: int = CHART_WIDTH, height: int = CHART_HEIGHT) -> dict[str, Any]:
    """Geometry of a line chart of mean KL by answer position, one line per context.

    Returns plain numbers and point strings for the template: the plot box, y ticks (4
    intervals up to a round maximum), x ticks and one polyline (or a single dot) per series.
    """
    longest = max((len(v) for v in series.values()), default=0)
    top_value = max((x for v in series.values() for x in v), default=0.0)
    y_max = _nice_max(top_value)
    left, top = _MARGIN["left"], _MARGIN["top"]
    plot_w = width - left - _MARGIN["right"]
    plot_h = height - top - _MARGIN["bottom"]

    def x_of(t: int) -> float:
        return left + (plot_w * t / (longest - 1) if longest > 1 else plot_w / 2)

    def y_of(v: float) -> float:
        return top + plot_h * (1 - min(v, y_max) / y_max)

    lines = []
    for index, (name, values) in enumerate(series.items()):
        points = " ".join(f"{x_of(t):.1f},{y_of(v):.1f}" for t, v in enumerate(values))
        lines.append({"name": name, "colour": SERIES_COLOURS[index % len(SERIES_COLOURS)], "points": points,
                      "single": len(values) == 1, "x": x_of(0), "y": y_of(values[0]) if values else 0.0,
                      "count": len(values)})
    y_ticks = [{"y": y_of(y_max * (i / 4)), "label": f"{y_max * (i / 4):.3g}"} for i in range(5)]
    step = max(1, -(-longest // 8))
    x_ticks = [{"x": x_of(t), "label": str(t)} for t in range(0, longest, step)]
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "bottom": top + plot_h, "right": left + plot_w, "y_ticks": y_ticks, "x_ticks": x_ticks,
            "lines": lines, "empty": longest == 0}


def suite_shifts(entries: Sequence[ShiftEntry], top_n: int = 20) -> dict[str, dict[str, SuiteShift]]:
    """suite -> context -> :class:`SuiteShift` (per-position curves and the most shifted tokens, for this
    page), pooled over the entries of each suite. The pooled ratios and mean KL equal
    :func:`urial_check.records.metrics.pooled_shift`'s, which reports and gates use."""
    grouped: dict[str, dict[str, list[CaseShift]]] = {}
    for entry in entries:
        for context, case in entry.shifts.items():
            grouped.setdefault(entry.suite, {}).setdefault(context, []).append(case)
    return {suite: {context: aggregate_cases(cases, top_n=top_n) for context, cases in by_context.items()}
            for suite, by_context in grouped.items()}


def _load_template() -> Any:
    from jinja2 import Environment, StrictUndefined, select_autoescape

    source = resources.files("urial_check.reports").joinpath(TEMPLATE_RESOURCE).read_text("utf-8")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(source)


def render_shift_html(
    entries: Sequence[ShiftEntry],
    *,
    suites: Mapping[str, Mapping[str, SuiteShift]] | None = None,
    title: str = "Token distribution shift",
    top_n: int = 20,
) -> str:
    """The whole page as one string. ``suites`` defaults to :func:`suite_shifts` of ``entries``."""
    summaries = suite_shifts(entries, top_n) if suites is None else suites
    suite_views = []
    for suite, by_context in summaries.items():
        suite_views.append({
            "name": suite,
            "contexts": [{"name": context, "summary": s, "top_shifted": [(inline_label(t), n) for t, n in s.top_shifted[:top_n]],
                          "bars": [{"category": c, "ratio": getattr(s, c)} for c in CATEGORIES]}
                         for context, s in by_context.items()],
            "chart": kl_chart({context: s.kl_by_position for context, s in by_context.items()}),
        })
    case_views = []
    for entry in entries:
        first = next(iter(entry.shifts.values()), None)
        case_views.append({
            "suite": entry.suite,
            "case_id": entry.case_id,
            "instruction": first.instruction if first else "",
            "contexts": [{"name": context, "metrics": case.metrics, "tokens": _tokens_view(case),
                          "shifted": [(t, inline_label(text)) for t, text in case.shifted_tokens()]}
                         for context, case in entry.shifts.items()],
        })
    approximate = any(case.metrics.kl_approximate for entry in entries for case in entry.shifts.values())
    return str(_load_template().render(title=title, suites=suite_views, cases=case_views, categories=CATEGORIES,
                                       approximate=approximate))
