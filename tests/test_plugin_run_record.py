"""The run record through the plugin: interrupted runs, the selection, the file mode, pruning."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from test_plugin import SUITE, run
from urial_check.cli import main as cli_main


@pytest.fixture
def suite_dir(pytester: pytest.Pytester) -> Path:
    pytester.makeini("[pytest]\n")
    folder = pytester.mkdir("suites")
    (folder / "weapons.yaml").write_text(SUITE)
    return folder


def latest(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "reports" / "latest.json").read_text())


def test_a_model_that_cannot_load_still_leaves_an_interrupted_record_and_a_summary(pytester: pytest.Pytester,
                                                                                   suite_dir: Path,
                                                                                   garbage_weights_model: Path) -> None:
    broken = garbage_weights_model
    # In a subprocess: a failed tokenizer load followed by model loads in one process can crash the
    # garbage collector (seen with test_plugin.py's broken-model test followed by a tiny-model run).
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "suites", "--urial-model", str(broken))
    result.stdout.fnmatch_lines([
        "*urial-check summary*",
        "run interrupted: urial-check: cannot load model *; 0 of 3 selected cases finished",
        "run record: *reports/run-*.json",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")
    record = latest(pytester)
    assert record["status"] == "interrupted" and "cannot load model" in record["status_reason"]
    assert record["cases"] == [] and record["model"]["id"] == str(broken)
    assert record["selection"]["selected"] == 3 and record["selection"]["finished"] == 0


def test_a_stop_after_the_first_failure_records_what_finished(pytester: pytest.Pytester, suite_dir: Path,
                                                             tiny_model: Path) -> None:
    # The tiny random model never refuses: the first case (refusal required) fails and -x stops the run.
    result = run(pytester, tiny_model, "suites", "-x")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*urial-check summary*",
        "run interrupted: stopping after 1 failures; 1 of 3 selected cases finished",
        "| demo/weapons *|*1 |*0 |*",
        "run record: *",
    ])
    record = latest(pytester)
    assert record["status"] == "interrupted" and record["status_reason"] == "stopping after 1 failures"
    assert [c["id"] for c in record["cases"]] == ["pipe-bomb"]
    assert record["selection"]["complete"] is False


def test_the_selection_is_recorded_and_compare_warns_on_a_subset(pytester: pytest.Pytester, suite_dir: Path,
                                                                 tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(pytester, tiny_model, "suites").assert_outcomes(passed=2, failed=1)
    full = latest(pytester)
    assert full["status"] == "complete" and full["status_reason"] is None
    assert full["selection"] == {"keyword": None, "markers": None, "selected": 3, "deselected": 0, "finished": 3,
                                 "complete": True}
    (pytester.path / "full.json").write_text(json.dumps(full))
    result = run(pytester, tiny_model, "suites", "-k", "kill or follow", "-m", "not weapons")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["selection: -k 'kill or follow' -m 'not weapons': 2 of 3 cases (a partial record)"])
    subset = latest(pytester)
    assert subset["status"] == "complete"
    assert subset["selection"] == {"keyword": "kill or follow", "markers": "not weapons", "selected": 2, "deselected": 1,
                                   "finished": 2, "complete": False}
    # Selecting by node id narrows a suite as well.
    run(pytester, tiny_model, "suites/weapons.yaml::kill-process").assert_outcomes(passed=1)
    assert latest(pytester)["selection"]["complete"] is False
    capsys.readouterr()
    code = cli_main(["compare", str(pytester.path / "full.json"), str(pytester.path / "reports" / "latest.json")])
    out, err = capsys.readouterr()
    assert code == 0
    assert err.startswith("urial-check compare: warning: the candidate record covers a subset") and err.count("\n") == 1
    assert "note: the candidate record covers a subset" in out
    code = cli_main(["compare", str(pytester.path / "full.json"), str(pytester.path / "reports" / "latest.json"),
                     "--require-complete"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "error: the candidate record covers a subset" in err


def test_records_follow_the_umask_and_old_ones_are_pruned(pytester: pytest.Pytester, suite_dir: Path,
                                                          tiny_model: Path) -> None:
    reports = pytester.mkdir("reports")
    old = [f"run-2000010{i}T000000-abcde{i}" for i in range(1, 4)]
    for run_id in old:
        (reports / f"{run_id}.json").write_text("{}")
        (reports / run_id).mkdir()
        (reports / run_id / "token_shift.html").write_text("<p>")
    (reports / "run-notes.json").write_text("mine")  # not a run record's name: never touched
    previous = os.umask(0o022)
    try:
        run(pytester, tiny_model, "suites", "--urial-keep-runs", "2").assert_outcomes(passed=2, failed=1)
    finally:
        os.umask(previous)
    written = reports / f"run-{latest(pytester)['run_id']}.json"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        [old[2], f"{old[2]}.json", written.name, "latest.json", "run-notes.json"])
    pytester.makeini("[pytest]\nurial_keep_runs = 1\n")
    run(pytester, tiny_model, "suites").assert_outcomes(passed=2, failed=1)
    assert len(list(reports.glob("run-2*.json"))) == 1


def test_keep_runs_must_not_be_negative(pytester: pytest.Pytester, suite_dir: Path) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-keep-runs", "-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --urial-keep-runs must be 0 (keep every run) or more, got -1"])
