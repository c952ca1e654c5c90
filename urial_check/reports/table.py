"""Several run records side by side: one row per run, one column per suite metric.

A team training a model runs the same suites on checkpoint after checkpoint; ``urial-check table``
(:mod:`urial_check.cli`) lays the runs' figures out as a table so a trend shows, and draws each
metric across the runs as an inline SVG line plot (one line per suite) in a self-contained HTML
page (Jinja2 template ``urial_check/reports/templates/table.html.j2``, autoescaping on, no
scripts, no network).

Every figure comes from :mod:`urial_check.records.metrics` on the run's case records; nothing
here computes a metric. A cell is ``None`` when the suite ran but the metric had nothing to
measure (shown ``n/a``) and absent when the run has no such suite (shown ``-``). A column with no
figure in any run is left out.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping, Sequence

from urial_check.records import metrics
from urial_check.records.records import RunRecord
from urial_check.reports.terminal import printable, table as text_table

TEMPLATE_RESOURCE = "templates/table.html.j2"

#: The columns shown per suite without ``--metric``.
DEFAULT_METRICS = ("pass_rate", "refusal_rate", "over_refusal_rate", "partial_refusals", "mean.average")
#: ``partial_refusals`` is a count (the metrics module's summary figure), not a gate metric.
PARTIAL = "partial_refusals"
SORTS = ("given", "time")
MISSING = "-"
NOT_MEASURED = "n/a"
#: Line colours, one per suite (cycled when there are more suites).
COLOURS = ("#1f5fa8", "#d1495b", "#2e7d32", "#edae49", "#7b4ea3", "#00798c", "#8c564b", "#555555")


class TableError(ValueError):
    """A metric name the table cannot show; the command prints it as one line (exit 2)."""


def metric_kind(metric: str) -> str:
    """How a metric's values read: ``rate`` (0-1, shown as a percentage), ``score`` (1-5),
    ``count`` (whole numbers) or ``number`` (mean KL)."""
    if metric in metrics.RATE_METRICS or metric in {f"token_shift.{s}" for s in metrics.SHIFT_STATS if s != "mean_kl"}:
        return "rate"
    if metric.startswith("mean."):
        return "score"
    if metric == PARTIAL:
        return "count"
    return "number"


def format_value(metric: str, value: float | None) -> str:
    """A cell's text: ``83.3%``, ``3.50``, ``2`` or ``n/a``."""
    if value is None:
        return NOT_MEASURED
    kind = metric_kind(metric)
    if kind == "rate":
        return f"{100 * value:.1f}%"
    if kind == "count":
        return str(int(value))
    return f"{value:.2f}" if kind == "score" else f"{value:.3f}"


def check_metrics(names: Sequence[str], runs: Sequence[RunRecord]) -> tuple[str, ...]:
    """The metric names, validated against :mod:`~urial_check.records.metrics`, the runs' judge
    aspects (a ``mean.<aspect>`` no run was scored on is a typo, not an empty column) and their
    token-shift data (likewise for a ``token_shift.<stat>`` no run measured); duplicates dropped."""
    aspects = metrics.aspects_of(c for run in runs for c in run.cases)
    shift_measured = metrics.first_shift_context(c for run in runs for c in run.cases) is not None
    out: list[str] = []
    for name in names:
        if name.startswith("mean."):
            aspect = name.split(".", 1)[1]
            if aspect != metrics.AVERAGE and aspect not in aspects:
                scored = ", ".join(aspects) if aspects else "none"
                raise TableError(f"no run has judge scores on {aspect!r} (scored aspects: {scored}; or mean.average)")
        elif name != PARTIAL:
            try:
                metrics.metric_value(name, ())
            except ValueError:
                known = ", ".join((*metrics.RATE_METRICS, PARTIAL, "mean.average", "mean.<aspect>",
                                   *(f"token_shift.{s}" for s in metrics.SHIFT_STATS)))
                raise TableError(f"unknown metric {name!r} (known: {known})") from None
            if name.startswith("token_shift.") and not shift_measured:
                raise TableError(f"no run has token-shift data for {name!r} (measured with --urial-aligned-model)")
        if name not in out:
            out.append(name)
    return tuple(out)


def suite_value(metric: str, cases: Sequence[Any]) -> float | None:
    """One suite's figure, from the metrics module."""
    if metric == PARTIAL:
        return float(metrics.partial_refusals(cases))
    value, _ = metrics.metric_value(metric, cases, metrics.first_shift_context(cases))
    return value


@dataclass(frozen=True)
class RunRow:
    """One run's identity, status and figures: (suite, metric) -> value; a suite it lacks has no keys."""

    run_id: str
    started: str
    model: str
    #: ``complete``, ``interrupted`` or ``subset``.
    status: str
    #: Why the record may not cover whole suites (None when it does).
    note: str | None
    values: Mapping[tuple[str, str], "float | None"]

    @property
    def marked_status(self) -> str:
        """The status, starred when a note explains it."""
        return f"{self.status}*" if self.note else self.status

    def has(self, suite: str, metric: str) -> bool:
        return (suite, metric) in self.values

    def cell(self, suite: str, metric: str) -> str:
        return format_value(metric, self.values[(suite, metric)]) if self.has(suite, metric) else MISSING


@dataclass(frozen=True)
class CheckpointTable:
    """Runs (in the order shown) by suite metrics."""

    rows: tuple[RunRow, ...]
    suites: tuple[str, ...]
    metrics: tuple[str, ...]

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(suite, metric) per value column, suite by suite; a column no run has a figure in (a rate
        with no case of its kind in the suite, e.g. ``refusal_rate`` of a suite of benign requests)
        is left out."""
        return [(s, m) for s in self.suites for m in self.metrics
                if any(row.values.get((s, m)) is not None for row in self.rows)]

    def metrics_of(self, suite: str) -> list[str]:
        """The metrics shown for ``suite``."""
        return [m for s, m in self.columns if s == suite]


def _status(run: RunRecord) -> str:
    if run.status == "interrupted":
        return "interrupted"
    return "subset" if run.selection is not None and not run.selection.complete else run.status


def build_table(runs: Sequence[RunRecord], metric_names: Sequence[str] = DEFAULT_METRICS, *, sort: str = "given") -> CheckpointTable:
    """The table of ``runs`` (``sort``: ``given`` keeps their order, ``time`` orders by start time, stably)."""
    if sort not in SORTS:
        raise TableError(f"unknown sort {sort!r} (choose from: {', '.join(SORTS)})")
    chosen = check_metrics(metric_names, runs)
    ordered = sorted(runs, key=lambda r: r.started) if sort == "time" else list(runs)
    rows = []
    for run in ordered:
        values = {(suite, m): suite_value(m, cases) for suite, cases in metrics.by_suite(run.cases).items() for m in chosen}
        warning = run.coverage_warning()
        rows.append(RunRow(run.run_id, run.started, run.model.id, _status(run),
                           f"the record {warning}" if warning else None, values))
    suites = sorted({suite for row in rows for suite, _ in row.values})
    return CheckpointTable(tuple(rows), tuple(suites), chosen)


def render_text(view: CheckpointTable) -> str:
    """The table for a terminal: two-line headers (the suite over its first column, the metric), then a
    note per starred run. Header text is escaped before the layout (the cells are, by ``text_table``), so a
    suite name's control characters or line separators neither widen nor split its header."""
    headers = ["run", "started", "model", "status"] + [f"{printable(s, newlines=False) if i == 0 else ''}\n{printable(m, newlines=False)}"
                                                        for s in view.suites for i, m in enumerate(view.metrics_of(s))]
    body = [[r.run_id, r.started, r.model, r.marked_status] + [r.cell(s, m) for s, m in view.columns] for r in view.rows]
    align = ("left",) * 4 + ("right",) * len(view.columns)
    out = text_table(body, headers, tablefmt="simple", disable_numparse=True, colalign=align)
    notes = [printable(f"* {r.run_id}: {r.note}", newlines=False) for r in view.rows if r.note]  # one line each
    return printable("\n".join([out, *notes]))


# --------------------------------------------------------------------------- HTML


def _y_range(metric: str, values: Sequence[float]) -> tuple[float, float]:
    kind = metric_kind(metric)
    if kind == "rate":
        return 0.0, 1.0
    if kind == "score":
        return 1.0, 5.0
    top = max((v for v in values if math.isfinite(v)), default=0.0)  # a pooled figure may overflow to inf
    if kind == "count":
        return 0.0, float(max(4, int(top) + (-int(top) % 4)))
    return 0.0, min(top * 1.1, sys.float_info.max) if top > 0 else 1.0


def line_chart(view: CheckpointTable, metric: str, *, width: int = 560, height: int = 250) -> dict[str, Any]:
    """Layout of one metric across the runs: x = the runs in table order, one line per suite.

    A run without the suite, or with nothing to measure, breaks the suite's line there; a suite with
    no figure in any run has no line. Each suite keeps its colour across the charts.
    """
    left, right, top, bottom = 56, 170, 16, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(view.rows)
    xs = [left + (plot_w * (i + 0.5) / n if n else 0) for i in range(n)]
    present = [v for r in view.rows for s in view.suites if (v := r.values.get((s, metric))) is not None]
    low, high = _y_range(metric, present)

    def y(value: float) -> float:
        clipped = min(max(value, low), high)
        return top + plot_h * (1 - (clipped - low) / (high - low))

    lines: list[dict[str, Any]] = []
    for k, suite in enumerate(view.suites):
        colour = COLOURS[k % len(COLOURS)]
        points: list[dict[str, Any]] = []
        segments: list[str] = []
        current: list[str] = []
        for i, row in enumerate(view.rows):
            value = row.values.get((suite, metric))
            if value is None:
                if len(current) > 1:
                    segments.append(" ".join(current))
                current = []
                continue
            px, py = round(xs[i], 1), round(y(value), 1)
            current.append(f"{px},{py}")
            points.append({"x": px, "y": py, "title": f"{suite} · {row.run_id}: {format_value(metric, value)}"})
        if len(current) > 1:
            segments.append(" ".join(current))
        if points:
            lines.append({"suite": suite, "colour": colour, "segments": segments, "points": points,
                          "legend_y": top + 14 * len(lines) + 6})
    ticks = [{"y": round(y(low + (high - low) * f), 1), "label": format_value(metric, low + (high - low) * f)}
             for f in (0, 0.25, 0.5, 0.75, 1)]
    # Checkpoints differ by model id (a path's tail is its step), so it names the runs when it tells them apart.
    by_model = len({r.model for r in view.rows}) == len(view.rows)
    labels = [{"x": round(x, 1), "label": _tail(r.model if by_model else r.run_id), "title": f"{r.run_id} ({r.model})"}
              for x, r in zip(xs, view.rows)]
    return {"metric": metric, "width": width, "height": height, "left": left, "right": left + plot_w, "top": top,
            "bottom": top + plot_h, "ticks": ticks, "labels": labels, "lines": lines, "legend_x": left + plot_w + 14}


def _tail(text: str, width: int = 16) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1):]


def render_html(view: CheckpointTable, *, title: str | None = None) -> str:
    """A self-contained page: the table, then one line plot per metric."""
    page_title = title or f"urial-check: {len(view.rows)} runs"
    return str(_template().render(title=page_title, view=view, charts=[line_chart(view, m) for m in view.metrics]))


def _template() -> Any:
    from jinja2 import Environment, StrictUndefined, select_autoescape

    source = resources.files("urial_check.reports").joinpath(TEMPLATE_RESOURCE).read_text("utf-8")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(source)
