"""What ``--urial-baseline`` writes after a run: created, replaced, or merged from a subset."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from test_run_record import as_json, make_case, make_record
from urial_check.records.baseline_gate import BaselineGate
from urial_check.records.records import RunRecord, Selection
from urial_check.records.run_record import validate_run_record


def gate(tmp_path: Path, previous: RunRecord | None, *, update: bool = True) -> BaselineGate:
    return BaselineGate(path=tmp_path / "b.json", baseline=previous, update=update)


def ids(record: dict[str, Any]) -> list[str]:
    return sorted(f"{c['suite']}::{c['id']}" for c in record["cases"])


@pytest.fixture
def previous() -> RunRecord:
    return make_record([make_case("a", i, answer="old") for i in ("1", "2", "3")] + [make_case("b", "1", answer="old")],
                       run_id="old")


@pytest.mark.parametrize(
    ("left_out", "expected"),
    [
        # Suite a ran cases 1 and 2; case 3 was deselected: kept. Suite b did not run: kept.
        ({"a": {"3"}}, ["a::1", "a::2", "a::3", "b::1"]),
        # Case 3 is no longer in the file (nothing left out): dropped. Suite b still kept.
        ({"a": set()}, ["a::1", "a::2", "b::1"]),
        # Unknown (xdist with -k): every case the run did not answer is kept.
        (None, ["a::1", "a::2", "a::3", "b::1"]),
    ],
)
def test_an_update_merges_this_run_into_the_stored_cases(tmp_path: Path, previous: RunRecord,
                                                         left_out: Any, expected: list[str]) -> None:
    run = make_record([make_case("a", i, answer="new") for i in ("1", "2")], run_id="new")
    record, note = gate(tmp_path, previous).next_baseline(run, left_out=left_out)
    merged = as_json(record)
    validate_run_record(merged)
    assert ids(merged) == expected
    assert {c["answer"] for c in merged["cases"] if c["suite"] == "a" and c["id"] in ("1", "2")} == {"new"}
    assert {c["answer"] for c in merged["cases"] if (c["suite"], c["id"]) in (("a", "3"), ("b", "1"))} <= {"old"}
    assert [s["suite"] for s in merged["suites"]] == ["a", "b"]
    assert merged["selection"]["merged"] == {"run_id": "new", "from_run": 2, "kept": len(expected) - 2, "previous_run_id": "old"}
    assert note.startswith(f"baseline updated: {tmp_path / 'b.json'} (2 case(s) from this run, ")


def test_create_and_replace(tmp_path: Path, previous: RunRecord) -> None:
    run = make_record([make_case("a", "1")], run_id="new")
    run = dataclasses.replace(run, selection=Selection("1", None, selected=1, deselected=2, finished=1, complete=False))
    written, note = gate(tmp_path, None, update=False).next_baseline(run, left_out={"a": {"2", "3"}})
    assert written == run and note == f"baseline created (there was none) from a subset (-k '1': 1 of 3 cases): {tmp_path / 'b.json'}"
    broken = BaselineGate(path=tmp_path / "b.json", baseline=None, update=True, unreadable="b.json: not JSON")
    written, note = broken.next_baseline(run, left_out={})
    assert written == run and note.endswith("; the old file was unreadable: b.json: not JSON")


def test_write_creates_the_file_and_says_so(tmp_path: Path) -> None:
    run = make_record([make_case("a", "1")], run_id="new")
    note = gate(tmp_path, None, update=False).write(run, left_out={})
    assert note == f"baseline created (there was none): {tmp_path / 'b.json'}"
    assert RunRecord.load(tmp_path / "b.json").run_id == "new"


def test_a_baseline_created_meanwhile_by_another_run_is_not_overwritten(tmp_path: Path, previous: RunRecord) -> None:
    # Two first runs start with no baseline; the one that finishes second must neither replace the
    # other's baseline nor claim to have created it.
    late = gate(tmp_path, None, update=False)
    first = gate(tmp_path, None, update=False)
    assert first.write(previous, left_out={}).startswith("baseline created")
    stored = (tmp_path / "b.json").read_bytes()
    note = late.write(make_record([make_case("a", "1")], run_id="new"), left_out={})
    assert note == (f"baseline not written: {tmp_path / 'b.json'} was created by another run meanwhile "
                    "(this run was not compared with it)")
    assert (tmp_path / "b.json").read_bytes() == stored
    assert not [p.name for p in tmp_path.iterdir() if p.name != "b.json"]  # no temporary file left


def test_an_update_replaces_whatever_is_there(tmp_path: Path, previous: RunRecord) -> None:
    (tmp_path / "b.json").write_text("{}")
    note = gate(tmp_path, previous).write(make_record([make_case("a", "1")], run_id="new"), left_out={})
    assert note.startswith("baseline updated")
    assert RunRecord.load(tmp_path / "b.json").run_id == "new"
