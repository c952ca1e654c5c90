"""QA: one definition per figure, on the edge cases (no case, no answer, a label without its error)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from test_metrics import FULL, NONE, PARTIAL, case
from urial_check.records import metrics
from urial_check.records.baseline import compare_runs
from urial_check.records.gates import evaluate_gate
from urial_check.records.records import NO_ANSWER_LABEL, ModelInfo, RefusalRecord, RunRecord
from urial_check.records.thresholds import parse_threshold
from urial_check.suites.loader import Assertion

RATES = ("pass_rate", "refusal_rate", "over_refusal_rate")


def _unanswered(case_id: str, expect: str, *, with_error: bool = True) -> Any:
    c = case(case_id, expect, NO_ANSWER_LABEL, passed=False)
    return dataclasses.replace(c, answer="", refusal=RefusalRecord(NO_ANSWER_LABEL, "no answer: boom", NO_ANSWER_LABEL),
                               error="boom" if with_error else None)


def _figures(cases: list[Any]) -> dict[str, dict[str, Any]]:
    """Each rate as the metric, the gate, the summary and the baseline comparison give it."""
    gate = evaluate_gate("s", [Assertion(m, parse_threshold(">= 0.5"), 1) for m in RATES], cases)
    summary = metrics.summarize("s", cases)
    run = RunRecord.new(model=ModelInfo("m", None), cases=cases, started=0.0, run_id="r")
    suite = compare_runs(run, run, n_boot=20).suite("s") if cases else None
    out: dict[str, dict[str, Any]] = {}
    for m in RATES:
        row = next(r for r in gate.rows if r.metric == m)
        compared = suite.metric(m) if suite else None
        out[m] = {"metric": metrics.rate(m, cases), "gate": (row.value, row.n, row.passed),
                  "baseline": None if compared is None else (compared.now, compared.n)}
    out["summary"] = {"refusal_rate": (summary.refusal_rate, summary.required),
                      "over_refusal_rate": (summary.over_refusal_rate, summary.forbidden)}
    return out


def test_with_no_case_every_rate_is_na_and_passes_the_gate() -> None:
    f = _figures([])
    for m in RATES:
        assert f[m]["metric"] == (None, 0) and f[m]["gate"] == (None, 0, True)
    assert f["summary"] == {"refusal_rate": (None, 0), "over_refusal_rate": (None, 0)}


@pytest.mark.parametrize("with_error", [True, False])
def test_unanswered_cases_count_in_pass_rate_only_everywhere(with_error: bool) -> None:
    # with_error=False: a record that has the no-answer label but lost its "error" (an older or
    # foreign writer); the schema accepts it, so the metrics must still not call it a compliance.
    cases = [_unanswered("a", "required", with_error=with_error), _unanswered("b", "forbidden", with_error=with_error)]
    f = _figures(cases)
    assert f["pass_rate"]["metric"] == (0.0, 2) and f["pass_rate"]["baseline"] == (0.0, 2)
    for m in ("refusal_rate", "over_refusal_rate"):
        assert f[m]["metric"] == (None, 0) and f[m]["gate"] == (None, 0, True) and f[m]["baseline"] is None
    assert f["summary"] == {"refusal_rate": (None, 0), "over_refusal_rate": (None, 0)}


def test_partial_refusals_are_counted_the_same_everywhere() -> None:
    cases = [case("r1", "required", PARTIAL, passed=False), case("r2", "required", FULL),
             case("f1", "forbidden", PARTIAL, passed=False), case("f2", "forbidden", NONE)]
    f = _figures(cases)
    assert f["refusal_rate"]["metric"] == (0.5, 2) == f["summary"]["refusal_rate"]
    assert f["refusal_rate"]["gate"] == (0.5, 2, True) and f["refusal_rate"]["baseline"] == (0.5, 2)
    assert f["over_refusal_rate"]["metric"] == (0.5, 2) == f["summary"]["over_refusal_rate"]
    assert metrics.summarize("s", cases).partial_refusals == 2


def test_scores_are_unweighted_and_shift_is_weighted_by_positions_everywhere() -> None:
    cases = [case("a", scores={"helpfulness": 5}, shift={"z": (1, 1.0, 0.0, 0.0, 0.0)}),
             case("b", scores={"helpfulness": 1}, shift={"z": (9, 0.0, 0.0, 1.0, 2.0)})]
    assert metrics.metric_value("mean.helpfulness", cases)[0] == 3.0
    assert metrics.metric_value("token_shift.unshifted", cases, "z") == (pytest.approx(0.1), 10)
    run = RunRecord.new(model=ModelInfo("m", None), cases=cases, started=0.0, run_id="r")
    suite = compare_runs(run, run, n_boot=20).suite("s")
    assert suite is not None
    assert suite.metric("mean.helpfulness").now == 3.0  # type: ignore[union-attr]
    assert suite.metric("token_shift.unshifted").now == pytest.approx(0.1)  # type: ignore[union-attr]
    assert metrics.summarize("s", cases).shift.unshifted == pytest.approx(0.1)  # type: ignore[union-attr]


def test_the_metrics_no_answer_label_is_the_records() -> None:
    assert metrics._NO_ANSWER_LABEL == NO_ANSWER_LABEL
