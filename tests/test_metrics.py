"""The suite metrics (urial_check.records.metrics), pinned on hand-made case records.

Every consumer (gates, baseline comparison, terminal summary, HTML report) calls these functions;
the last tests check that each one shows the same figures.
"""

from __future__ import annotations

import re

import pytest

from urial_check.records import metrics
from urial_check.records.baseline import compare_runs
from urial_check.records.gates import evaluate_gate
from urial_check.records.records import CaseRecord, JudgeScores, ModelInfo, RefusalRecord, RunRecord, ShiftSummary
from urial_check.reports.html import suite_figures
from urial_check.reports.summary import scores_table, summary_table
from urial_check.suites.loader import Assertion
from urial_check.records.thresholds import parse_threshold

FULL, PARTIAL, NONE = "full_refusal", "partial_refusal", "compliance"


def case(case_id: str, expect: str = "any", label: str = NONE, *, suite: str = "s", passed: bool = True,
         scores: dict[str, float] | None = None, shift: dict[str, tuple[int, float, float, float, float]] | None = None) -> CaseRecord:
    """A case record; ``shift``: context -> (positions, unshifted, marginal, shifted, mean_kl)."""
    return CaseRecord(
        suite=suite, id=case_id, file="suites/s.yaml", line=1, instruction=f"Q {case_id}?", expect_refusal=expect,
        answer="...", refusal=RefusalRecord(label, "evidence"), outcome="passed" if passed else "failed",
        judge=JudgeScores("heuristic:v2", scores) if scores is not None else None,
        token_shift={c: ShiftSummary(*v) for c, v in (shift or {}).items()},
    )


def labelled(expect: str, labels: str) -> list[CaseRecord]:
    """Cases from a string of labels: F full, P partial, C compliance."""
    kinds = {"F": FULL, "P": PARTIAL, "C": NONE}
    return [case(f"{expect}{i}", expect, kinds[k]) for i, k in enumerate(labels)]


# --------------------------------------------------------------------------- rates


@pytest.mark.parametrize(
    ("cases", "metric", "value", "n"),
    [
        # refusal_rate: full refusals only; a partial refusal is not a refusal here.
        (labelled("required", "FFFF"), "refusal_rate", 1.0, 4),
        (labelled("required", "FPCF"), "refusal_rate", 0.5, 4),
        (labelled("required", "PPPP"), "refusal_rate", 0.0, 4),
        (labelled("required", "FC") + labelled("forbidden", "FF") + labelled("any", "CC"), "refusal_rate", 0.5, 2),
        (labelled("forbidden", "FC"), "refusal_rate", None, 0),
        # over_refusal_rate: any refusal, full or partial.
        (labelled("forbidden", "PCCF"), "over_refusal_rate", 0.5, 4),
        (labelled("forbidden", "PPPC"), "over_refusal_rate", 0.75, 4),
        (labelled("forbidden", "CCCC"), "over_refusal_rate", 0.0, 4),
        (labelled("forbidden", "C") + labelled("required", "PPP") + labelled("any", "F"), "over_refusal_rate", 0.0, 1),
        (labelled("required", "F"), "over_refusal_rate", None, 0),
        # pass_rate: the outcome, whatever the expectation.
        ([case("a", passed=True), case("b", passed=False), case("c", "required", FULL, passed=True)], "pass_rate", 2 / 3, 3),
        ([], "pass_rate", None, 0),
    ],
)
def test_rates(cases: list[CaseRecord], metric: str, value: float | None, n: int) -> None:
    assert metrics.metric_value(metric, cases) == (pytest.approx(value) if value is not None else None, n)
    assert metrics.rate(metric, cases) == metrics.metric_value(metric, cases)


def test_partial_refusals_count_for_over_refusal_but_not_for_refusal() -> None:
    """The documented decision (README, metrics docstring); flipping either constant fails here."""
    partial_required = case("r", "required", PARTIAL)
    partial_forbidden = case("f", "forbidden", PARTIAL)
    assert metrics.refusal_flag(partial_required) is False
    assert metrics.over_refusal_flag(partial_forbidden) is True
    assert (metrics.PARTIAL_COUNTS_FOR_REFUSAL_RATE, metrics.PARTIAL_COUNTS_FOR_OVER_REFUSAL_RATE) == (False, True)
    assert metrics.refusal_flag(case("x", "any", FULL)) is None and metrics.over_refusal_flag(case("y", "required", NONE)) is None


def test_partial_refusals_are_counted_on_their_own() -> None:
    cases = labelled("required", "FPP") + labelled("forbidden", "PC") + labelled("any", "P")
    assert metrics.partial_refusals(cases) == 4
    assert metrics.summarize("s", cases).partial_refusals == 4


# --------------------------------------------------------------------------- judge scores


SCORED = [
    case("a", scores={"helpfulness": 4, "safety": 2, "tone": 1}),  # average 3: the rubric aspect "tone" does not count
    case("b", scores={"helpfulness": 5, "clarity": 4, "factuality": 3, "depth": 2, "engagement": 1, "safety": 3}),  # 3
    case("c", scores={"tone": 5}),  # no built-in aspect: no average
    case("d"),  # not judged
]


@pytest.mark.parametrize(
    ("metric", "value", "n"),
    [
        ("mean.helpfulness", 4.5, 2),
        ("mean.safety", 2.5, 2),
        ("mean.clarity", 4.0, 1),
        ("mean.tone", 3.0, 2),
        ("mean.average", 3.0, 2),
        ("mean.unknown_aspect", None, 0),
    ],
)
def test_mean_scores(metric: str, value: float | None, n: int) -> None:
    assert metrics.metric_value(metric, SCORED) == (value, n)


def test_the_average_is_over_built_in_aspects_only() -> None:
    assert metrics.case_score(SCORED[0], "average") == 3.0  # (4 + 2) / 2, not (4 + 2 + 1) / 3
    assert metrics.case_score(SCORED[2], "average") is None
    assert metrics.case_score(SCORED[3], "helpfulness") is None
    # The mean of per-case averages, not the mean of per-aspect means (those would give 3.1 here).
    uneven = [case("x", scores={"helpfulness": 5}), case("y", scores={"helpfulness": 1, "safety": 5}),
              case("z", scores={"helpfulness": 3, "safety": 2})]
    assert metrics.mean_score("average", uneven) == (pytest.approx((5 + 3 + 2.5) / 3), 3)


def test_aspects_are_listed_built_in_first() -> None:
    assert metrics.aspects_of(SCORED) == ["helpfulness", "clarity", "factuality", "depth", "engagement", "safety", "tone"]
    assert metrics.aspect_scores(SCORED)["tone"] == [1.0, 5.0]


# --------------------------------------------------------------------------- token shift


SHIFTED = [
    case("a", shift={"zero_shot": (30, 1.0, 0.0, 0.0, 0.0), "urial": (30, 0.5, 0.5, 0.0, 0.2)}),
    case("b", shift={"zero_shot": (10, 0.0, 0.2, 0.8, 2.0)}),
    case("c"),
]


@pytest.mark.parametrize(
    ("metric", "context", "value", "n"),
    [
        ("token_shift.unshifted", "zero_shot", 0.75, 40),  # pooled over positions, not a mean of two ratios (0.5)
        ("token_shift.marginal", "zero_shot", 0.05, 40),
        ("token_shift.shifted", "zero_shot", 0.2, 40),
        ("token_shift.mean_kl", "zero_shot", 0.5, 40),
        ("token_shift.unshifted", "urial", 0.5, 30),
        ("token_shift.unshifted", "missing", None, 0),
        ("token_shift.unshifted", None, None, 0),
    ],
)
def test_token_shift_is_pooled_over_positions(metric: str, context: str | None, value: float | None, n: int) -> None:
    got, count = metrics.metric_value(metric, SHIFTED, context)
    assert (got, count) == (pytest.approx(value) if value is not None else None, n)


def test_a_shift_over_no_answer_position_is_no_figure() -> None:
    # Every aligned answer empty: nothing was measured, so the ratios are n/a, not 0 (a gate
    # "shifted <= 0.05" must not pass on them, nor a baseline read them as 0%).
    empty = [case("e1", shift={"zero_shot": (0, 0.0, 0.0, 0.0, 0.0)}), case("e2", shift={"zero_shot": (0, 0.0, 0.0, 0.0, 0.0)})]
    assert metrics.pooled_shift(empty, "zero_shot") is None
    assert metrics.metric_value("token_shift.shifted", empty, "zero_shot") == (None, 0)
    assert metrics.summarize("s", empty).shift is None


def test_the_first_measured_context_is_the_primary_one() -> None:
    assert metrics.first_shift_context(SHIFTED) == "zero_shot"
    summary = metrics.summarize("s", SHIFTED)
    assert summary.shift is not None and summary.shift.context == "zero_shot" and summary.shift.cases == 2


@pytest.mark.parametrize("name", ["accuracy", "token_shift.bogus", "refusal"])
def test_unknown_metrics_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown"):
        metrics.metric_value(name, SHIFTED, "zero_shot")


# --------------------------------------------------------------------------- summaries


def test_suite_summaries_are_sorted_and_json_ready() -> None:
    cases = [case("b1", "forbidden", PARTIAL, suite="b"), case("a1", "required", FULL, suite="a"),
             case("a2", "required", PARTIAL, suite="a", passed=False)]
    summaries = metrics.suite_summaries(cases)
    assert [s.suite for s in summaries] == ["a", "b"]
    assert summaries[0].to_json() == {"suite": "a", "cases": 2, "passed": 1, "required": 2, "refusal_rate": 0.5,
                                      "forbidden": 0, "over_refusal_rate": None, "partial_refusals": 1}
    assert summaries[1].over_refusal_rate == 1.0


# --------------------------------------------------------------------------- every consumer shows the same figures


def _mixed() -> list[CaseRecord]:
    out = []
    for i, label in enumerate([FULL, PARTIAL, NONE, FULL, PARTIAL, FULL, NONE, FULL]):
        out.append(case(f"r{i}", "required", label, passed=label == FULL,
                        scores={"helpfulness": 1 + i % 5, "safety": 5 - i % 3, "tone": 2},
                        shift={"zero_shot": (10 + i, 0.9 - 0.05 * i, 0.05, 0.05 + 0.05 * i, 0.1 * i)}))
    for i, label in enumerate([NONE, PARTIAL, NONE, FULL]):
        out.append(case(f"f{i}", "forbidden", label, passed=label == NONE, scores={"helpfulness": 4, "clarity": 2 + i}))
    return out


def test_gates_baseline_summary_and_report_agree_with_the_metrics() -> None:
    cases = _mixed()
    names = ["pass_rate", "refusal_rate", "over_refusal_rate", "mean.helpfulness", "mean.average", "token_shift.unshifted",
             "token_shift.mean_kl"]
    expected = {name: metrics.metric_value(name, cases, "zero_shot")[0] for name in names}
    assert expected["refusal_rate"] == pytest.approx(4 / 8) and expected["over_refusal_rate"] == pytest.approx(2 / 4)

    gate = evaluate_gate("s", [Assertion(name, parse_threshold(">= 0"), 1) for name in names], cases, "zero_shot")
    assert {row.metric: row.value for row in gate.rows} == pytest.approx(expected)

    run = RunRecord.new(model=ModelInfo("m", None), cases=cases, started=0.0, run_id="r")
    comparison = compare_runs(run, run, n_boot=50).suite("s")
    assert comparison is not None
    assert {row.metric: row.now for row in comparison.metrics if row.metric in expected} == pytest.approx(expected)

    figures = suite_figures(cases)
    assert (figures.refusal_rate, figures.over_refusal_rate, figures.average) == pytest.approx(
        (expected["refusal_rate"], expected["over_refusal_rate"], expected["mean.average"]))
    assert figures.shift is not None and figures.shift.unshifted == pytest.approx(expected["token_shift.unshifted"])

    row = _table_row(summary_table(cases), "s")
    assert row[3] == f"{100 * expected['refusal_rate']:.1f}% of 8" and row[4] == f"{100 * expected['over_refusal_rate']:.1f}% of 4"
    assert row[5] == "3"  # partial refusals
    scores = _table_row(scores_table(cases), "s")
    assert float(scores[-1]) == pytest.approx(round(expected["mean.average"], 2))
    assert run.to_json()["suites"][0]["refusal_rate"] == pytest.approx(expected["refusal_rate"])


def _table_row(text: str, first: str) -> list[str]:
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in\n{text}")


CONSUMERS = ("records/gates.py", "records/baseline.py", "reports/summary.py", "reports/html.py",
             "reports/templates/report.html.j2", "pytest_plugin/plugin.py", "pytest_plugin/items.py", "cli.py")


@pytest.mark.parametrize(
    "pattern",
    [
        r"""==\s*["']full_refusal["']""",  # the refusal flag
        r"""\bexpect\W*\w*\W*\s*==\s*["'](required|forbidden)["']""",  # which cases a rate applies to
        r"sum\((values|scores|v)\)\s*/\s*len",  # a score mean or average
        r"\|\s*sum\b",  # an average in the template
        r"\*\s*(int\()?[\w.\[\]\"']*positions",  # pooling token shift by positions
    ],
)
def test_the_consumers_define_no_metric_of_their_own(pattern: str) -> None:
    """Gates, baseline comparison, summaries and the report call metrics.py instead of recomputing."""
    from pathlib import Path

    import urial_check

    root = Path(urial_check.__file__).parent
    offenders = [f"{name}:{i}" for name in CONSUMERS
                 for i, line in enumerate((root / name).read_text(encoding="utf-8").splitlines(), 1) if re.search(pattern, line)]
    assert not offenders
    metrics_text = (root / "records" / "metrics.py").read_text(encoding="utf-8")
    if "sum\\b" not in pattern:  # the pattern does find the definition where it lives
        assert re.search(pattern, metrics_text)


def test_a_case_with_no_answer_counts_as_failed_but_not_in_the_refusal_rates() -> None:
    import dataclasses

    errored = [dataclasses.replace(case(f"e{i}", expect, "error", passed=False), error="prompt exceeds the context")
               for i, expect in enumerate(("required", "forbidden"))]
    answered = [case("r", "required", FULL), case("f", "forbidden", NONE)]
    cases = answered + errored
    assert metrics.rate("refusal_rate", cases) == (1.0, 1)  # the unanswered required case is not "not refused"
    assert metrics.rate("over_refusal_rate", cases) == (0.0, 1)
    assert metrics.rate("pass_rate", cases) == (0.5, 4)  # but it is a failed case
