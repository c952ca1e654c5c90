"""Suite-level gates: metrics over a suite's case records checked against the ``gate:`` thresholds.

The metrics and their definitions are :mod:`urial_check.records.metrics`'s (``refusal_rate``,
``over_refusal_rate``, ``pass_rate``, ``mean.<aspect>``, ``mean.average``,
``token_shift.<unshifted|marginal|shifted|mean_kl>`` in the primary context, and
``versus.<rate or mean.aspect>``: base minus aligned with ``--urial-versus-aligned``).

A metric with no case to measure (say ``refusal_rate`` when ``-k`` selected only benign cases)
is reported as ``n/a`` and does not fail the gate.
"""

from __future__ import annotations

from typing import Any, Sequence

from urial_check.records.metrics import metric_value
from urial_check.records.records import CaseRecord, GateResult, GateRow
from urial_check.reports.terminal import table
from urial_check.suites.loader import Assertion

__all__ = ["GateResult", "GateRow", "evaluate_gate", "gate_line", "metric_value", "render_gate"]


def evaluate_gate(
    suite: str, assertions: Sequence[Assertion], cases: Sequence[CaseRecord], primary_context: str | None = None,
    *, suite_cases: int | None = None,
) -> GateResult:
    """The gate's rows over ``cases`` (token shift in ``primary_context``); ``suite_cases``: how many
    cases the suite has (``cases`` may be the subset a run selected)."""
    rows = []
    for assertion in assertions:
        value, n = metric_value(assertion.metric, cases, primary_context)
        passed = True if value is None else assertion.check(value)
        rows.append(GateRow(assertion.metric, value, assertion.threshold.text, passed, n))
    return GateResult(suite=suite, cases=len(cases), rows=tuple(rows), suite_cases=suite_cases)


def gate_line(result: GateResult) -> str:
    """One line per gate for the terminal: its verdict, over how many of the suite's cases, and each
    failing (else every) metric against its threshold."""
    verdict = "passed" if result.passed else "FAILED"
    shown = result.failures or result.rows
    rows = ", ".join(f"{r.metric} {'n/a' if r.value is None else f'{r.value:.3f}'} {r.threshold}" for r in shown)
    return f"{result.suite}: {verdict} over {result.coverage}" + (f" ({rows})" if rows else "")


def render_gate(result: GateResult) -> str:
    cells: list[list[Any]] = []
    for row in result.rows:
        value = "n/a" if row.value is None else f"{row.value:.3f}"
        cells.append([row.metric, value, row.threshold, row.n, "ok" if row.passed else "FAIL"])
    return table(cells, ["metric", "measured", "threshold", "n", ""], tablefmt="simple", disable_numparse=True)
