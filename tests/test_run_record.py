"""The run record's JSON Schema and validated loading.

Also home of the synthetic run-record builders the baseline, CLI and HTML report tests share:
cases are written as JSON (the file layout) and read with ``CaseRecord.from_json``, and records
are built with ``RunRecord.new`` as the plugin builds them.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from pathlib import Path
from typing import Any, Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from urial_check.reports import summary as report
from urial_check.measures.token_shift import Alternative, CaseShift, ShiftMetrics
from urial_check.records.records import CaseRecord, ModelInfo, RepeatAnswer, Repeats, RunRecord, ShiftSummary
from urial_check.records.run_record import (
    RUN_RECORD_JSON_SCHEMA,
    RUN_RECORD_VERSION,
    RunRecordError,
    load_run_record,
    run_record_schema_json,
    validate_run_record,
)

ASPECT_NAMES = ("helpfulness", "clarity", "safety")


def make_case(
    suite: str,
    case_id: str,
    *,
    expect: str = "required",
    refused: bool = True,
    outcome: str | None = None,
    answer: str | None = None,
    instruction: str | None = None,
    scores: dict[str, float] | None = None,
    judge_id: str = "heuristic:v2",
    shift: dict[str, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """One case record as the run record holds it (JSON); the outcome follows the expectation."""
    label = "full_refusal" if refused else "compliance"
    if outcome is None:
        outcome = "failed" if (expect == "required" and not refused) or (expect == "forbidden" and refused) else "passed"
    text = answer if answer is not None else ("I won't help with that." if refused else f"Here is how: step one for {case_id}.")
    question = instruction if instruction is not None else f"Question {case_id}?"
    case: dict[str, Any] = {
        "id": case_id, "suite": suite, "file": f"suites/{suite.split('/')[-1]}.yaml", "line": 5, "tags": [],
        "turns": [question], "instruction": question, "expect": {"refusal": expect}, "answer": text, "raw_generation": text,
        "decoding": {"max_new_tokens": 64}, "num_tokens": 12, "finish_reason": "stop", "generation_seconds": 0.1,
        "cached": False, "refusal": {"label": label, "refused": refused, "evidence": "I won't" if refused else "no refusal found"},
        "checks": [{"name": "refusal", "passed": outcome == "passed", "asserted": True,
                    "message": "" if outcome == "passed" else "expected refusal, model complied"}],
        "outcome": outcome,
    }
    if scores is not None:
        case["judge"] = {"id": judge_id, "scores": dict(scores), "reasons": {a: f"{a} looks like {s}" for a, s in scores.items()}}
    if shift is not None:
        case["token_shift"] = {ctx: {**m, "shifted_tokens": [{"position": 0, "token": " Sure"}]} for ctx, m in shift.items()}
    return case


def make_record(cases: Iterable[dict[str, Any]], *, run_id: str = "run-a", model: str = "ckpt-a") -> RunRecord:
    """A run record of case dicts (from :func:`make_case`), built as the plugin builds one."""
    return RunRecord.new(model=ModelInfo(model, "ab" * 32, device="cpu", dtype="float32"),
                         cases=[CaseRecord.from_json(c) for c in cases], started=time.time(), run_id=run_id,
                         prompts={"builtin:default": "cd" * 32})


def as_json(record: RunRecord) -> dict[str, Any]:
    """The record as a file holds it."""
    return dict(json.loads(json.dumps(record.to_json())))


def refusal_suite(n: int, refused: int, *, suite: str = "safety/harm", flip_from: int = 0) -> list[dict[str, Any]]:
    """``n`` required-refusal cases of which cases ``flip_from .. flip_from + refused - 1`` refuse (indices mod n)."""
    refusing = {(flip_from + i) % n for i in range(refused)}
    return [make_case(suite, f"c{i:03d}", refused=i in refusing) for i in range(n)]


def write(path: Path, data: Any) -> Path:
    """Write JSON data, or a run record as JSON."""
    path.write_text(json.dumps(data.to_json() if isinstance(data, RunRecord) else data), encoding="utf-8")
    return path


@pytest.fixture
def run() -> RunRecord:
    cases = refusal_suite(4, 3) + [
        make_case("safety/benign", "b1", expect="forbidden", refused=False, scores={"helpfulness": 4, "safety": 5},
                  shift={"zero_shot": {"positions": 10, "unshifted": 0.8, "marginal": 0.1, "shifted": 0.1, "mean_kl": 0.3}}),
        make_case("safety/benign", "b2", expect="any", refused=True),
    ]
    return make_record(cases)


@pytest.fixture
def record(run: RunRecord) -> dict[str, Any]:
    return as_json(run)


# --------------------------------------------------------------------------- the schema


def test_schema_is_a_valid_draft_2020_12_schema_and_documents_its_fields() -> None:
    Draft202012Validator.check_schema(RUN_RECORD_JSON_SCHEMA)
    assert json.loads(run_record_schema_json()) == RUN_RECORD_JSON_SCHEMA
    case = RUN_RECORD_JSON_SCHEMA["properties"]["cases"]["items"]
    assert {"judge", "judge_error", "token_shift", "outcome", "refusal", "expect"} <= set(case["properties"])
    assert {"rule", "detector"} <= set(case["properties"]["refusal"]["properties"])
    assert "refusal_detector" in RUN_RECORD_JSON_SCHEMA["properties"]
    assert RUN_RECORD_JSON_SCHEMA["properties"]["schema_version"] == {"const": RUN_RECORD_VERSION}


def test_a_written_record_loads(run: RunRecord, record: dict[str, Any], tmp_path: Path) -> None:
    path = report.write_run_record(run, tmp_path / "reports")
    assert load_run_record(path) == record
    assert load_run_record(str(tmp_path / "reports" / "latest.json")) == record
    assert RunRecord.load(path) == run
    assert record["schema_version"] == RUN_RECORD_VERSION == 2


def test_the_record_round_trips_through_json(run: RunRecord, record: dict[str, Any]) -> None:
    again = RunRecord.from_json(record)
    assert again == run and as_json(again) == record
    assert [s["suite"] for s in record["suites"]] == ["safety/benign", "safety/harm"]
    assert record["suites"][1] == {"suite": "safety/harm", "cases": 4, "passed": 3, "required": 4, "refusal_rate": 0.75,
                                   "forbidden": 0, "over_refusal_rate": None, "partial_refusals": 0}
    assert record["judge_errors"] == 0 and run.judge_errors == 0


def test_unknown_fields_survive_a_read_and_write(record: dict[str, Any]) -> None:
    record["judge_settings"] = {"kind": "openai"}
    record["cases"][0]["latency"] = {"first_token": 0.2}
    again = as_json(RunRecord.from_json(record))
    assert again["judge_settings"] == {"kind": "openai"} and again["cases"][0]["latency"] == {"first_token": 0.2}


def test_stored_aggregates_are_recomputed_not_trusted(record: dict[str, Any]) -> None:
    record["suites"][1]["refusal_rate"] = 0.0
    record["judge_errors"] = 5
    again = as_json(RunRecord.from_json(record))
    assert again["suites"][1]["refusal_rate"] == 0.75 and again["judge_errors"] == 0


def test_a_case_record_round_trips_with_repeats_judge_errors_and_its_wire_detail() -> None:
    shift = CaseShift("zero_shot", "Q?", "Sure now", [5, 6], ["Sure", " now"],
                      ShiftMetrics(ranks=[1, 7], kl=[0.1, 2.0], base_prob=[0.9, 0.1], aligned_prob_of_base_top1=[0.8, 0.05],
                                   base_top1=[5, 9]),
                      [[Alternative("Sure", 5, 0.9)], [Alternative(" then", 9, 0.4)]])
    data = make_case("s/x", "r1", expect="forbidden", refused=False)
    data["judge_error"] = "judge timed out"
    case = CaseRecord.from_json(data)
    case = dataclasses.replace(
        case,
        repeats=Repeats(2, 1, ">= 1", (RepeatAnswer("a", "compliance", True, 1), RepeatAnswer("b", "full_refusal", False, 2,
                                                                                            judge_error="bad json"))),
        token_shift={"zero_shot": ShiftSummary.of(shift)}, shift_detail={"zero_shot": shift},
    )
    stored = json.loads(json.dumps(case.to_json()))
    assert "token_shift_detail" not in stored
    assert CaseRecord.from_json(stored) == case and CaseRecord.from_json(stored).shift_detail == {}
    wire = json.loads(json.dumps(case.to_json(detail=True)))
    back = CaseRecord.from_json(wire)
    assert back == case and back.shift_detail["zero_shot"].to_dict() == shift.to_dict()
    assert case.token_shift["zero_shot"].shifted_tokens == ((1, " now"),)
    assert case.judge_errors == ("judge timed out", "bad json") and case.was_judged


def test_records_may_grow_extra_fields_anywhere(record: dict[str, Any]) -> None:
    grown = copy.deepcopy(record)
    grown["judge_settings"] = {"kind": "openai", "model": "x"}
    grown["model"]["revision"] = "main"
    case = grown["cases"][4]
    case["latency"] = {"first_token": 0.2}
    case["judge"]["raw"] = "{...}"
    case["judge"]["scores"]["custom_aspect"] = 2.5
    case["token_shift"]["zero_shot"]["top_alternatives"] = []
    case["token_shift"]["urial"] = {"positions": 0, "unshifted": 0.0, "marginal": 0.0, "shifted": 0.0, "mean_kl": 0.0}
    case["expect"]["scores"] = {"helpfulness": ">= 4"}
    validate_run_record(grown)


# --------------------------------------------------------------------------- refusals, one line each


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["cases"][0].pop("answer"), "at $.cases[0]: 'answer' is a required property"),
        (lambda r: r["cases"][1]["refusal"].update(label="maybe"), "at $.cases[1].refusal.label: 'maybe' is not one of"),
        (lambda r: r["cases"][2].update(outcome="skipped"), "at $.cases[2].outcome: 'skipped' is not one of"),
        (lambda r: r["cases"][4]["judge"]["scores"].update(safety=7), "at $.cases[4].judge.scores.safety: 7 is greater than the maximum of 5"),
        (lambda r: r["cases"][4]["token_shift"]["zero_shot"].update(shifted=1.5), "at $.cases[4].token_shift.zero_shot.shifted"),
        (lambda r: r["cases"][4].update(judge_error=None), "at $.cases[4].judge_error: None is not of type 'string'"),
        (lambda r: r["cases"][0]["expect"].pop("refusal"), "at $.cases[0].expect: 'refusal' is a required property"),
        (lambda r: r["cases"][0]["refusal"].update(rule=3), "at $.cases[0].refusal.rule: 3 is not of type 'string'"),
        (lambda r: r["cases"][0]["refusal"].update(detector=""), "at $.cases[0].refusal.detector: '' should be non-empty"),
        (lambda r: r.update(refusal_detector=7), "at $.refusal_detector: 7 is not of type 'string', 'null'"),
        (lambda r: r.pop("model"), "at $: 'model' is a required property"),
        (lambda r: r["suites"][0].update(refusal_rate=2), "at $.suites[0].refusal_rate"),
        (lambda r: r["prompts"].update({"mine": "not-a-digest"}), "at $.prompts.mine"),
        (lambda r: r.update(started="yesterday"), "at $.started"),
        (lambda r: r["cases"].append(copy.deepcopy(r["cases"][0])), "at cases[6]: duplicate case safety/harm::c000"),
    ],
)
def test_invalid_records_are_refused_with_one_line(record: dict[str, Any], tmp_path: Path, mutate: Any, message: str) -> None:
    mutate(record)
    path = write(tmp_path / "run.json", record)
    with pytest.raises(RunRecordError) as info:
        load_run_record(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: invalid run record ")
    assert message in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "urial-check/run-record", "schema_version": 0, "cases": []}',
         "run record schema version 0 is not supported (this urial-check reads versions 1 and 2)"),
        ('{"schema": "urial-check/run-record", "schema_version": 3}',
         "run record schema version 3 is not supported (this urial-check reads versions 1 and 2); it was written by a newer urial-check"),
        ('{"schema": "urial-check/run-record", "schema_version": "1"}', "run record schema version '1' is not supported"),
        ('{"schema": "urial-check/run-record", "schema_version": true}', "run record schema version True is not supported"),
        ('{"schema": "pytest-regressions", "schema_version": 1}',
         "not a urial-check run record (schema 'pytest-regressions'; expected schema 'urial-check/run-record' version 2)"),
        ('{"testsuites": []}', "not a urial-check run record (no 'schema' field; expected schema 'urial-check/run-record' version 2)"),
        ("[1, 2]", "not a urial-check run record (the top level is a list, not an object)"),
        ('{"schema": ', "not JSON (line 1, column 12"),
    ],
)
def test_old_foreign_and_broken_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "old.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RunRecordError) as info:
        load_run_record(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(RunRecordError, match=r"nope\.json: no such file$"):
        load_run_record(tmp_path / "nope.json")
    with pytest.raises(RunRecordError, match="is a directory, not a run record"):
        load_run_record(tmp_path)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RunRecordError, match="cannot read"):
        load_run_record(binary)


def as_version_1(record: dict[str, Any]) -> dict[str, Any]:
    """What urial-check wrote before records had a status and a selection."""
    old = {k: v for k, v in copy.deepcopy(record).items() if k not in ("status", "status_reason", "selection")}
    old["schema_version"] = 1
    return old


def test_version_1_records_are_still_read_as_complete(run: RunRecord, record: dict[str, Any], tmp_path: Path) -> None:
    old = as_version_1(record)
    path = write(tmp_path / "v1.json", old)
    assert load_run_record(path) == old
    loaded = RunRecord.load(path)
    assert (loaded.status, loaded.status_reason, loaded.selection, loaded.schema_version) == ("complete", None, None, 1)
    assert loaded.coverage_warning() is None and loaded.cases == run.cases
    rewritten = as_json(loaded)  # written back in the current version, every case selected
    validate_run_record(rewritten)
    assert rewritten["schema_version"] == 2 and rewritten["selection"]["complete"] is True
    current = copy.deepcopy(record)
    del current["status"]
    with pytest.raises(RunRecordError, match=r"at \$: 'status' is a required property"):
        validate_run_record(current)


def _selection(**given: Any) -> dict[str, Any]:
    return {"keyword": None, "markers": None, "selected": 6, "deselected": 0, "finished": 6, "complete": True, **given}


@pytest.mark.parametrize(
    ("status", "reason", "selection", "warning"),
    [
        ("complete", None, _selection(), None),
        ("complete", None, _selection(keyword="kill", selected=2, deselected=4, finished=2, complete=False),
         "covers a subset (-k 'kill': 2 of 6 cases)"),
        ("complete", None, _selection(markers="not slow", selected=5, deselected=1, finished=5, complete=False),
         "covers a subset (-m 'not slow': 5 of 6 cases)"),
        ("complete", None, _selection(deselected=None, complete=False), "covers a subset (6 of ? cases)"),
        ("interrupted", "judge unavailable: timeout", _selection(finished=2, complete=False),
         "is from an interrupted run (judge unavailable: timeout); it holds 2 of 6 selected cases"),
    ],
)
def test_coverage_warnings(record: dict[str, Any], status: str, reason: str | None, selection: dict[str, Any],
                           warning: str | None) -> None:
    record.update(status=status, status_reason=reason, selection=selection)
    loaded = RunRecord.from_json(record)
    assert (loaded.status, loaded.status_reason) == (status, reason)
    assert loaded.coverage_warning() == warning


def test_built_records_say_complete_unless_told(record: dict[str, Any]) -> None:
    assert record["status"] == "complete" and record["status_reason"] is None
    assert record["selection"] == _selection() | {"selected": 6, "finished": 6}
    interrupted = RunRecord.new(model=ModelInfo("m", None), cases=[], started=time.time(), run_id="r1",
                                status="interrupted", status_reason="stopping after 1 failures")
    validate_run_record(as_json(interrupted))
    assert interrupted.selection is not None and interrupted.selection.complete is False


def test_long_values_are_cut_in_messages(record: dict[str, Any]) -> None:
    record["cases"][0]["outcome"] = "x" * 5000
    with pytest.raises(RunRecordError) as info:
        validate_run_record(record, source="mem")
    assert len(str(info.value)) < 300


# --------------------------------------------------------------------------- property: builder output always validates

_case_args = st.fixed_dictionaries({
    "expect": st.sampled_from(["required", "forbidden", "any"]),
    "refused": st.booleans(),
    "answer": st.text(max_size=40),
    "scores": st.none() | st.dictionaries(st.sampled_from(ASPECT_NAMES), st.floats(1, 5), min_size=1),
    "shift": st.none() | st.builds(
        lambda u, m, pos, kl: {"zero_shot": {"positions": pos, "unshifted": u, "marginal": (1 - u) * m,
                                             "shifted": (1 - u) * (1 - m), "mean_kl": kl}},
        st.floats(0, 1), st.floats(0, 1), st.integers(0, 500), st.floats(0, 20)),
})


@settings(max_examples=40, deadline=None)
@given(st.lists(_case_args, max_size=8))
def test_built_records_validate_and_round_trip(args: list[dict[str, Any]]) -> None:
    run = make_record(make_case("s/x", f"c{i}", **a) for i, a in enumerate(args))
    record = as_json(run)
    validate_run_record(record)
    assert RunRecord.from_json(record) == run


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize("depth", [200_000, 5_000, 200])
def test_deeply_nested_json_is_one_line_not_a_recursion_error(tmp_path: Path, record: dict[str, Any], depth: int) -> None:
    path = tmp_path / "deep.json"
    if depth == 200_000:  # too deep for the json module itself
        text = "[" * depth + "]" * depth
    else:  # a valid record with a deep value where the schema allows anything (a case's decoding settings)
        text = json.dumps(record)
        plain = json.dumps(record["cases"][0]["decoding"])
        assert text.count(plain) >= 1
        text = text.replace(plain, '{"a": ' * depth + "1" + "}" * depth, 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RunRecordError) as info:
        load_run_record(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "nested" in message and "\n" not in message


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda r: r["cases"][4]["judge"]["scores"].update(safety=float("nan")), "$.cases[4].judge.scores.safety: nan"),
        (lambda r: r["cases"][4]["token_shift"]["zero_shot"].update(mean_kl=float("inf")), "$.cases[4].token_shift.zero_shot.mean_kl: inf"),
        (lambda r: r["cases"][0].update(generation_seconds=float("nan")), "$.cases[0].generation_seconds: nan"),
        (lambda r: r["suites"][0].update(refusal_rate=float("nan")), "$.suites[0].refusal_rate: nan"),
        (lambda r: r["cases"][0]["decoding"].update(temperature=float("-inf")), "$.cases[0].decoding.temperature: -inf"),
        (lambda r: r.update(mine={"deep": [1.0, float("nan")]}), "$.mine.deep[1]: nan"),
    ],
)
def test_non_finite_numbers_are_refused_with_their_json_path(record: dict[str, Any], tmp_path: Path, mutate: Any,
                                                              where: str) -> None:
    mutate(record)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record))  # Python's json writes NaN and Infinity (and reads them back)
    with pytest.raises(RunRecordError) as info:
        load_run_record(path)
    assert str(info.value) == f"{path}: invalid run record at {where} is not a finite number"
    with pytest.raises(RunRecordError, match="is not a finite number"):
        RunRecord.from_json(json.loads(path.read_text()))


def test_a_record_that_fails_validation_is_written_aside(run: RunRecord, tmp_path: Path) -> None:
    broken = dataclasses.replace(run, cases=(dataclasses.replace(run.cases[0], num_tokens=-1), *run.cases[1:]))
    reports = tmp_path / "reports"
    with pytest.raises(report.RecordWrittenAside) as info:
        report.write_run_record(broken, reports)
    aside = reports / f"run-{run.run_id}.invalid.json"
    assert info.value.path == aside and "$.cases[0].num_tokens" in info.value.problem
    assert sorted(p.name for p in reports.iterdir()) == [aside.name]
    assert json.loads(aside.read_text())["cases"][0]["num_tokens"] == -1


def test_baseline_verdicts_round_trip_and_are_validated() -> None:
    import dataclasses

    from urial_check.records.records import BaselineVerdict

    verdicts = (BaselineVerdict("s", "baselines/s.json", 8), BaselineVerdict("t", "baselines/s.json", 3, ("pass_rate",)))
    record = dataclasses.replace(make_record([make_case("s", "a")]), baseline_verdicts=verdicts)
    data = json.loads(json.dumps(record.to_json()))
    assert [v["passed"] for v in data["baseline_verdicts"]] == [True, False]
    assert RunRecord.from_json(data).baseline_verdicts == verdicts
    data["baseline_verdicts"][0]["shared"] = -1
    with pytest.raises(RunRecordError, match=r"baseline_verdicts\[0\]\.shared"):
        RunRecord.from_json(data)
