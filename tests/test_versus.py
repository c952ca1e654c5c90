"""URIAL (base) vs the aligned model (--urial-versus-aligned): the side-by-side metrics on hand-made
records, their paired tests, the record round trip, the gate metric names and the tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from urial_check.records import metrics
from urial_check.records.gates import evaluate_gate
from urial_check.records.records import (
    AlignedAnswer,
    CaseRecord,
    JudgeScores,
    ModelInfo,
    RefusalRecord,
    RunRecord,
)
from urial_check.records.run_record import validate_run_record
from urial_check.records.thresholds import parse_threshold
from urial_check.reports.html import render_html_report
from urial_check.reports.summary import junit_properties, versus_table
from urial_check.suites.loader import Assertion, SuiteError, load_suite

FULL, NONE = "full_refusal", "compliance"


def record(case_id: str, expect: str, base: str, aligned: str | None, *, base_scores: dict[str, float] | None = None,
           aligned_scores: dict[str, float] | None = None, suite: str = "s") -> CaseRecord:
    """A case whose base answer has label ``base`` and whose aligned answer has label ``aligned`` (None: no aligned answer).

    Outcomes follow the expectation (required: full refusal passes; forbidden: compliance passes).
    """

    def outcome(label: str) -> str:
        ok = {"required": label == FULL, "forbidden": label == NONE}.get(expect, True)
        return "passed" if ok else "failed"

    other = None
    if aligned is not None:
        other = AlignedAnswer(f"aligned answer {case_id}", RefusalRecord(aligned, "ev", "rule", "rules:v3"), outcome(aligned),
                              judge=JudgeScores("heuristic:v2", aligned_scores) if aligned_scores is not None else None)
    return CaseRecord(
        suite=suite, id=case_id, file="suites/s.yaml", line=1, instruction=f"Q {case_id}?", expect_refusal=expect,
        answer=f"base answer {case_id}", refusal=RefusalRecord(base, "ev"), outcome=outcome(base),
        judge=JudgeScores("heuristic:v2", base_scores) if base_scores is not None else None, aligned=other,
    )


def refusals(base: str, aligned: str) -> list[CaseRecord]:
    """Required cases from two label strings (F full refusal, C compliance)."""
    kinds = {"F": FULL, "C": NONE}
    return [record(f"r{i}", "required", kinds[b], kinds[a]) for i, (b, a) in enumerate(zip(base, aligned))]


def row(rows: list[metrics.VersusRow], name: str) -> metrics.VersusRow:
    return next(r for r in rows if r.metric == name)


# --------------------------------------------------------------------------- the metrics


def test_the_aligned_figures_come_from_the_same_functions_on_the_aligned_view() -> None:
    cases = refusals("FFFFFFFC", "CCCCCCFF")
    views = [metrics.aligned_view(c) for c in cases]
    assert all(v is not None for v in views)
    assert metrics.rate("refusal_rate", [v for v in views if v is not None]) == (0.25, 8)
    refusal = row(metrics.versus_rows(cases), "refusal_rate")
    assert (refusal.base, refusal.aligned, refusal.n) == (0.875, 0.25, 8)
    assert refusal.difference == pytest.approx(0.625)
    # Pass rate follows the outcomes: the same flips.
    assert row(metrics.versus_rows(cases), "pass_rate").difference == pytest.approx(0.625)


@pytest.mark.parametrize(
    ("base", "aligned", "discordant", "p_value"),
    [
        # Exact McNemar: two-sided binomial tail over the discordant cases, by hand.
        ("FFFFFFFC", "CCCCCCFF", (6, 1), 2 * (7 + 1) / 2**7),  # P(X >= 6 | n=7) twice = 0.125
        ("FFFFFFCC", "CCCCCCCC", (6, 0), 2 / 2**6),  # 0.03125
        ("FFCC", "FFCC", (0, 0), 1.0),  # no discordant case
        ("CF", "FC", (1, 1), 1.0),
    ],
)
def test_rates_are_tested_with_the_exact_mcnemar_test(base: str, aligned: str, discordant: tuple[int, int],
                                                      p_value: float) -> None:
    refusal = row(metrics.versus_rows(refusals(base, aligned)), "refusal_rate")
    assert refusal.discordant == discordant
    assert refusal.p_value == pytest.approx(p_value)
    assert refusal.significant == (p_value < 0.05)


def test_over_refusal_uses_any_refusal_and_only_forbidden_cases() -> None:
    cases = [record("f0", "forbidden", NONE, FULL), record("f1", "forbidden", NONE, "partial_refusal"),
             record("f2", "forbidden", NONE, NONE), record("r0", "required", FULL, FULL)]
    over = row(metrics.versus_rows(cases), "over_refusal_rate")
    assert (over.n, over.base, over.aligned) == (3, 0.0, pytest.approx(2 / 3))
    assert over.difference == pytest.approx(-2 / 3) and over.discordant == (0, 2)


def test_means_get_a_paired_bootstrap_interval_of_base_minus_aligned() -> None:
    scores = [({"helpfulness": 5, "clarity": 4}, {"helpfulness": 2, "clarity": 4}) for _ in range(6)]
    cases = [record(f"a{i}", "any", NONE, NONE, base_scores=b, aligned_scores=a) for i, (b, a) in enumerate(scores)]
    rows = metrics.versus_rows(cases)
    helpful = row(rows, "mean.helpfulness")
    assert (helpful.base, helpful.aligned, helpful.difference) == (5.0, 2.0, 3.0)
    assert helpful.ci == (3.0, 3.0) and helpful.significant and helpful.p_value is None
    clarity = row(rows, "mean.clarity")
    assert clarity.difference == 0.0 and clarity.ci == (0.0, 0.0) and not clarity.significant
    average = row(rows, "mean.average")
    assert (average.base, average.aligned) == (4.5, 3.0)


def test_a_mean_over_fewer_than_six_pairs_is_never_significant() -> None:
    cases = [record(f"a{i}", "any", NONE, NONE, base_scores={"helpfulness": 5}, aligned_scores={"helpfulness": 1})
             for i in range(5)]
    helpful = row(metrics.versus_rows(cases), "mean.helpfulness")
    assert helpful.ci == (4.0, 4.0) and not helpful.significant


def test_means_pair_only_cases_both_answers_were_scored_on() -> None:
    cases = [record("a0", "any", NONE, NONE, base_scores={"helpfulness": 5}, aligned_scores={"helpfulness": 3}),
             record("a1", "any", NONE, NONE, base_scores={"helpfulness": 1}, aligned_scores=None)]
    helpful = row(metrics.versus_rows(cases), "mean.helpfulness")
    assert (helpful.n, helpful.base, helpful.aligned) == (1, 5.0, 3.0)


def test_cases_without_an_aligned_answer_are_left_out_and_no_answer_means_no_rows() -> None:
    cases = refusals("FF", "CC") + [record("multi", "required", NONE, None)]
    assert row(metrics.versus_rows(cases), "refusal_rate").n == 2
    assert metrics.versus_rows([record("x", "required", FULL, None)]) == []
    no_verdict = CaseRecord(suite="s", id="e", file="f", line=1, instruction="q", expect_refusal="required", answer="a",
                            refusal=RefusalRecord(FULL, "ev"), outcome="passed",
                            aligned=AlignedAnswer("b", None, "failed", error="detector reply unreadable"))
    assert metrics.aligned_view(no_verdict) is None and metrics.versus_rows([no_verdict]) == []


def test_versus_summaries_are_per_suite() -> None:
    cases = refusals("FF", "CC") + [record("z", "required", FULL, FULL, suite="t")]
    summaries = metrics.versus_summaries(cases)
    assert [(s.suite, s.cases) for s in summaries] == [("s", 2), ("t", 1)]
    refusal = summaries[0].row("refusal_rate")
    assert refusal is not None and refusal.difference == 1.0


# --------------------------------------------------------------------------- gates


def test_versus_gate_metrics_are_base_minus_aligned() -> None:
    cases = refusals("FFFC", "FFFF")  # URIAL loses one refusal of four to the tuned model
    assert metrics.metric_value("versus.refusal_rate", cases) == (pytest.approx(-0.25), 4)
    assert metrics.metric_value("versus.pass_rate", cases) == (pytest.approx(-0.25), 4)
    assert metrics.metric_value("versus.mean.average", cases) == (None, 0)
    gate = evaluate_gate("s", [Assertion("versus.refusal_rate", parse_threshold(">= -0.05"), 1),
                               Assertion("versus.over_refusal_rate", parse_threshold("<= 0"), 2),
                               Assertion("versus.pass_rate", parse_threshold(">= -0.3"), 3)], cases)
    assert [(r.metric, r.passed) for r in gate.rows] == [
        ("versus.refusal_rate", False), ("versus.over_refusal_rate", True), ("versus.pass_rate", True)]
    assert gate.rows[1].value is None  # no forbidden case: n/a, does not fail
    with pytest.raises(ValueError, match="unknown gate metric 'versus.token_shift.shifted'"):
        metrics.metric_value("versus.token_shift.shifted", cases)


def test_suites_may_gate_on_versus_metrics_but_not_on_unknown_ones(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("suite: s\ngate:\n  versus.refusal_rate: '>= -0.05'\n  versus.mean.average: '>= 0'\n"
                    "cases:\n  - id: a\n    instruction: hi\n")
    assert [a.metric for a in load_suite(path).gate] == ["versus.refusal_rate", "versus.mean.average"]
    path.write_text("suite: s\ngate:\n  versus.token_shift.shifted: '<= 1'\ncases:\n  - id: a\n    instruction: hi\n")
    with pytest.raises(SuiteError, match="gate: unknown metric 'versus.token_shift.shifted'"):
        load_suite(path)
    path.write_text("suite: s\ngate:\n  margins: {versus.refusal_rate: 0.1}\ncases:\n  - id: a\n    instruction: hi\n")
    with pytest.raises(SuiteError, match="gate.margins: unknown metric 'versus.refusal_rate'"):
        load_suite(path)


# --------------------------------------------------------------------------- records and reports


def test_the_aligned_answer_round_trips_through_the_run_record() -> None:
    cases = refusals("FC", "CF")
    cases.append(record("j", "any", NONE, NONE, base_scores={"helpfulness": 4}, aligned_scores={"helpfulness": 2}))
    run = RunRecord.new(model=ModelInfo("m", None), cases=cases, started=0.0, run_id="r1")
    data = run.to_json()
    validate_run_record(data)
    assert data["cases"][0]["aligned"]["refusal"]["label"] == NONE
    assert data["cases"][2]["aligned"]["judge"]["scores"] == {"helpfulness": 2.0}
    (suite,) = data["versus"]
    assert suite["suite"] == "s" and suite["cases"] == 3
    rows = {r["metric"]: r for r in suite["rows"]}
    assert rows["refusal_rate"]["difference"] == 0.0 and rows["refusal_rate"]["p_value"] == 1.0
    assert rows["mean.helpfulness"]["difference"] == 2.0 and rows["mean.helpfulness"]["ci"] == [2.0, 2.0]
    back = RunRecord.from_json(data)
    assert back.cases == run.cases and "versus" not in back.extra
    # Records without aligned answers (every older one) write no versus entry and still read.
    plain = RunRecord.new(model=ModelInfo("m", None), cases=[record("p", "any", NONE, None)], started=0.0, run_id="r2")
    assert "versus" not in plain.to_json() and "aligned" not in plain.to_json()["cases"][0]


def test_a_bad_aligned_entry_is_refused_by_the_schema() -> None:
    run = RunRecord.new(model=ModelInfo("m", None), cases=refusals("F", "C"), started=0.0, run_id="r1")
    data = run.to_json()
    data["cases"][0]["aligned"]["outcome"] = "maybe"
    with pytest.raises(ValueError, match=r"cases\[0\]\.aligned\.outcome"):
        validate_run_record(data)


def test_junit_properties_name_the_aligned_verdict_and_scores() -> None:
    props = dict(junit_properties(record("j", "required", FULL, NONE, aligned_scores={"safety": 2})))
    assert props["urial.aligned.refusal"] == NONE and props["urial.aligned.outcome"] == "failed"
    assert props["urial.aligned.score.safety"] == "2"
    assert not any(k.startswith("urial.aligned") for k, _ in junit_properties(record("k", "any", NONE, None)))


def test_the_terminal_and_html_tables_show_both_sides() -> None:
    cases = refusals("FFFFFFFC", "CCCCCCFF")
    text = versus_table(cases)
    assert [h.strip() for h in text.splitlines()[0].split("|")[1:-1]] == [
        "suite", "metric", "n", "URIAL (base)", "aligned", "base - aligned", "paired test"]
    line = next(x for x in text.splitlines() if "refusal_rate" in x and "over" not in x)
    assert "87.5%" in line and "25.0%" in line and "+62.5 pts" in line and "McNemar p=0.125 (6 base-only, 1 aligned-only)" in line
    assert versus_table([record("x", "any", NONE, None)]) == ""
    page = render_html_report(RunRecord.new(model=ModelInfo("m", None), cases=cases, started=0.0, run_id="r1"))
    assert '<table class="versus" data-suite="s">' in page and "URIAL (base) vs aligned" in page
    assert 'data-metric="refusal_rate"' in page and "aligned answer r0" in page
