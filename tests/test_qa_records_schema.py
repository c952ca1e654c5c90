"""QA: a record the loader accepts must be one it can read; anything else is one RunRecordError line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from test_run_record import as_json, make_case, make_record
from urial_check.records.records import RunRecord
from urial_check.records.run_record import RunRecordError


@pytest.fixture
def record() -> dict[str, Any]:
    return as_json(make_record([make_case("s", "a", scores={"helpfulness": 4}),
                                make_case("s", "b", expect="forbidden", refused=False)]))


def _v1(d: dict[str, Any], key: str, value: Any) -> None:
    d["schema_version"] = 1
    d[key] = value


@pytest.mark.parametrize(("mutate", "where"), [
    (lambda d: d.__setitem__("gates", [1]), "$.gates[0]"),
    (lambda d: d.__setitem__("gates", "abc"), "$.gates"),
    (lambda d: d.__setitem__("gates", [{"suite": "s", "rows": [{"metric": "x"}]}]), "$.gates[0].rows[0]"),
    (lambda d: d.__setitem__("gates", [{"rows": []}]), "$.gates[0]"),
    (lambda d: d.__setitem__("gates", [{"suite": "s", "cases": 1, "rows": [
        {"metric": "x", "value": "hi", "threshold": ">= 1", "passed": True}]}]), "$.gates[0].rows[0].value"),
    (lambda d: d["cases"][0].__setitem__("repeats", {"runs": "x"}), "$.cases[0].repeats"),
    (lambda d: d["cases"][0].__setitem__("repeats", [1]), "$.cases[0].repeats"),
    (lambda d: d["cases"][0].__setitem__("repeats", {"runs": 1, "passed": 1, "answers": [{"answer": 1}]}),
     "$.cases[0].repeats.answers[0]"),
    (lambda d: d["cases"][0].__setitem__("model", {"x": 1}), "$.cases[0].model"),
    (lambda d: d["cases"][0].__setitem__("prompt", "p"), "$.cases[0].prompt"),
    (lambda d: d["cases"][0].__setitem__("token_shift_file", 3), "$.cases[0].token_shift_file"),
    (lambda d: d["model"].__setitem__("load_seconds", "x"), "$.model.load_seconds"),
    (lambda d: d["selection"].__setitem__("merged", [1]), "$.selection.merged"),
    (lambda d: _v1(d, "baseline_verdicts", [1]), "$.baseline_verdicts[0]"),
    (lambda d: _v1(d, "selection", {"selected": "x"}), "$.selection"),
    (lambda d: _v1(d, "collection_errors", 5), "$.collection_errors"),
])
def test_a_record_that_validates_is_one_that_loads(record: dict[str, Any], tmp_path: Path,
                                                    mutate: Callable[[dict[str, Any]], Any], where: str) -> None:
    mutate(record)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    for load in (lambda: RunRecord.load(path), lambda: RunRecord.from_json(record, source=str(path))):
        with pytest.raises(RunRecordError) as info:
            load()
        message = str(info.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
        assert where in message


def test_a_wire_detail_in_a_file_that_cannot_be_read_is_one_line(record: dict[str, Any]) -> None:
    # token_shift_detail is the xdist wire form and never in a file; garbage there is still one line.
    record["cases"][0]["token_shift_detail"] = {"c": 1}
    with pytest.raises(RunRecordError) as info:
        RunRecord.from_json(record, source="f.json")
    assert str(info.value).startswith("f.json: ") and "\n" not in str(info.value)
