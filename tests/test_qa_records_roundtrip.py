"""QA: every CaseRecord / RunRecord field survives objects -> JSON text -> objects, and a record
the loader accepts is one the metrics can read (hypothesis over random records)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from urial_check.records import metrics
from urial_check.records.records import (
    AlignedAnswer,
    CaseRecord,
    CheckRecord,
    GateResult,
    GateRow,
    JudgeScores,
    ModelInfo,
    PromptRef,
    RefusalRecord,
    RepeatAnswer,
    Repeats,
    RunRecord,
    ShiftSummary,
)
from urial_check.records.run_record import validate_run_record

# Text as JSON can carry it (no lone surrogates), with unicode, control characters and long runs.
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_long_text = _text | st.builds(lambda s, n: s * n, _text, st.integers(0, 400))
_name = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
# Finite floats, -0.0, subnormals and extremes included.
_float = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([-0.0, 0.0, 1e-300, 5e-324, 2.2250738585072014e-308])
_unit = st.floats(0, 1) | st.sampled_from([0.0, 1.0, 5e-324, 1e-300, 1 - 1e-16])
_score = st.floats(1, 5) | st.sampled_from([1.0, 5.0, 1 + 5e-16])
_json_scalar = st.none() | st.booleans() | st.integers(-2**63, 2**63) | _float | _text
_json = st.recursive(_json_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=8)

_refusal = st.builds(RefusalRecord, st.sampled_from(["full_refusal", "partial_refusal", "compliance", "error"]), _text,
                     st.none() | _name, st.none() | _name)
_check = st.builds(CheckRecord, _text, st.booleans(), st.booleans(), _text)
_judge = st.builds(JudgeScores, _name, st.dictionaries(_name, _score, max_size=4), st.dictionaries(_name, _text, max_size=3))
_shift = st.builds(ShiftSummary, st.integers(0, 10**6), _unit, _unit, _unit, st.floats(0, 1e6) | st.just(0.0),
                   st.lists(st.tuples(st.integers(0, 10**6), _text), max_size=3).map(tuple), st.booleans())
_repeat = st.builds(RepeatAnswer, _text, st.sampled_from(["full_refusal", "compliance"]), st.booleans(),
                    st.none() | st.integers(0, 2**32), st.none() | _judge, st.none() | _text)
_repeats = st.builds(Repeats, st.integers(0, 50), st.integers(0, 50), st.none() | _text,
                     st.lists(_repeat, max_size=3).map(tuple))
_aligned = st.builds(AlignedAnswer, _text, st.none() | _refusal, st.sampled_from(["passed", "failed"]),
                     st.lists(_check, max_size=2).map(tuple), st.none() | _judge, st.none() | _text, st.none() | _text)
_model = st.builds(ModelInfo, _name, st.none() | _text, st.none() | _text, st.none() | _text,
                   st.none() | st.floats(0, 1e6))
_prompt = st.builds(PromptRef, _text, st.text("0123456789abcdef", min_size=64, max_size=64))
# Extra (unknown) properties a newer writer added: never a known field name.
_extra = st.dictionaries(_name.filter(lambda k: k not in CaseRecord.__dataclass_fields__ and k not in {
    "expect", "token_shift_detail", "tags", "turns", "id"}).map(lambda k: "x_" + k), _json, max_size=2)


@st.composite
def case_records(draw: Any, suite: str | None = None, case_id: str | None = None) -> CaseRecord:
    error = draw(st.none() | _name)
    return CaseRecord(
        suite=suite or draw(_name), id=case_id or draw(_name), file=draw(_text), line=draw(st.integers(0, 10**6)),
        instruction=draw(_long_text), expect_refusal=draw(st.sampled_from(["required", "forbidden", "any"])),
        answer=draw(_long_text), refusal=draw(_refusal), outcome=draw(st.sampled_from(["passed", "failed"])),
        turns=tuple(draw(st.lists(_text, max_size=3))), tags=tuple(draw(st.lists(_text, max_size=3))),
        checks=tuple(draw(st.lists(_check, max_size=3))), raw_generation=draw(st.none() | _long_text),
        decoding=draw(st.dictionaries(_text, _json, max_size=3)), num_tokens=draw(st.none() | st.integers(0, 10**6)),
        finish_reason=draw(st.none() | _text), generation_seconds=draw(st.none() | st.floats(0, 1e6) | st.just(5e-324)),
        cached=draw(st.none() | st.booleans()), judge=draw(st.none() | _judge), judge_error=draw(st.none() | _text),
        repeats=draw(st.none() | _repeats), token_shift=draw(st.dictionaries(_name, _shift, max_size=2)),
        token_shift_file=draw(st.none() | _text), aligned=draw(st.none() | _aligned), model=draw(st.none() | _model),
        prompt=draw(st.none() | _prompt), error=error, extra=draw(_extra),
    )


def _same(a: Any, b: Any) -> bool:
    """Equal, and -0.0 stays -0.0 (== cannot tell)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_records())
def test_a_case_record_round_trips_through_json_text(case: CaseRecord) -> None:
    text = json.dumps(case.to_json(), ensure_ascii=False, allow_nan=False)
    again = CaseRecord.from_json(json.loads(text))
    assert again == case
    assert json.loads(json.dumps(again.to_json(), ensure_ascii=False)) == json.loads(text)
    assert _same(again.generation_seconds, case.generation_seconds)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b/c", "ü"]), _name), max_size=6, unique=True).flatmap(
    lambda keys: st.tuples(*[case_records(s, i) for s, i in keys])))
def test_a_run_record_round_trips_and_what_loads_the_metrics_can_read(cases: tuple[CaseRecord, ...]) -> None:
    gate = GateResult("a", len(cases), (GateRow("refusal_rate", None, ">= 0.9", True, 0), GateRow("pass_rate", -0.0, "> 0", False, 1)),
                      suite_cases=len(cases))
    run = RunRecord.new(model=ModelInfo("m", None), cases=cases, started=0.0, run_id="r", gates=[gate])
    text = json.dumps(run.to_json(), ensure_ascii=False, allow_nan=False)
    data = json.loads(text)
    validate_run_record(data)
    again = RunRecord.from_json(data)
    assert again == run
    assert _same(again.gates[0].rows[1].value, -0.0)
    # Whatever validated, every figure computes without error and stays finite.
    for summary in again.suites:
        json.dumps(summary.to_json(), allow_nan=False)
    for name in ("pass_rate", "refusal_rate", "over_refusal_rate", "mean.average", "token_shift.shifted"):
        value, _ = metrics.metric_value(name, list(again.cases), metrics.first_shift_context(again.cases))
        assert value is None or math.isfinite(value)
