"""report.py's file writing: artifact names derived from user text, file modes."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urial_check.reports.summary import artifact_name, write_json_atomic


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=400), min_size=1, max_size=3))
def test_artifact_names_are_short_safe_and_distinct(parts: list[str]) -> None:
    name = artifact_name(*parts)
    assert 0 < len(name) <= 80 and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", name)
    assert ".." not in name
    assert artifact_name(*parts) == name
    assert artifact_name(*parts, "x") != name  # the hash covers every part


def test_artifact_names_keep_a_readable_slug() -> None:
    assert artifact_name("demo/shift", "strict").startswith("demo-shift--strict-")
    assert artifact_name("a/b", "c") != artifact_name("a", "b/c")  # no collisions from the separator
    assert len(artifact_name("s" * 300, "c" * 300)) <= 80


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        write_json_atomic(tmp_path / "out.json", {"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == 0o666 & ~umask


def test_temporary_names_do_not_grow_with_the_target_name(tmp_path: Path) -> None:
    target = tmp_path / ("x" * 240 + ".json")  # 245 characters: fine for the file system, too long with a prefix
    write_json_atomic(target, [1])
    assert target.read_text(encoding="utf-8") == "[\n  1\n]\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_pruning_keeps_the_newer_of_two_runs_started_in_the_same_second(tmp_path: Path) -> None:
    from urial_check.reports.summary import prune_run_records

    # Same second, random suffixes: the name orders them at random; the newer must stay.
    older, newer, current = (tmp_path / f"run-20261203T120000-{h}.json" for h in ("ffffff", "000000", "aaaaaa"))
    for i, path in enumerate((older, newer, current)):
        path.write_text("{}")
        os.utime(path, ns=(1_000_000_000 * (i + 1),) * 2)
    assert prune_run_records(tmp_path, 2, current=current) == [older]
    assert newer.exists() and current.exists()


def test_a_lone_surrogate_in_an_answer_does_not_lose_the_record(tmp_path: Path) -> None:
    # An endpoint reply with the JSON escape "\ud800" gives such a string; the record must still be written.
    import json

    from urial_check.reports.summary import write_json_atomic

    path = tmp_path / "run.json"
    write_json_atomic(path, {"answer": "ok \ud800 end", "other": "héllo"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"answer": "ok \ud800 end", "other": "héllo"}
