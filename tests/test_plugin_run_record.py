"""The run record through the plugin: interrupted runs, the selection, the file mode, pruning."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from test_plugin import SUITE, run, suite_dir  # noqa: F401  (suite_dir: a fixture)
from urial_check.cli import main as cli_main


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


LONG_SUITE = """\
suite: demo/long
gate: {pass_rate: ">= 1.0"}
defaults: {generation: {max_new_tokens: 4}}
cases:
  - id: long
    instruction: "%s"
  - id: short
    instruction: Hi
""" % ("word " * 5000).strip()


def test_a_case_too_long_for_the_model_is_recorded_as_failed_and_the_run_is_complete(pytester: pytest.Pytester,
                                                                                     tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "long.yaml").write_text(LONG_SUITE)
    result = run(pytester, tiny_model, "suites", "--urial-baseline", "base.json", "-rs")
    result.assert_outcomes(passed=1, failed=2, skipped=1)  # short passes; long and the gate fail
    result.stdout.fnmatch_lines([
        "urial-check: case 'long': the prompt (* tokens) + max_new_tokens (4) exceed the model's context length*",
        "*demo/long*failed (pass_rate >= 1.0) over 2 of 2 cases*",
        "*urial-check summary*",
        "| demo/long *|*2 |*1 |*",
    ])
    result.stdout.no_fnmatch_line("*run interrupted*")
    result.stdout.no_fnmatch_line("*Traceback*")
    record = latest(pytester)
    assert record["status"] == "complete" and record["status_reason"] is None
    assert record["selection"]["finished"] == 2 and record["selection"]["complete"] is True
    cases = {c["id"]: c for c in record["cases"]}
    assert cases["long"]["outcome"] == "failed" and "exceed the model's context length" in cases["long"]["error"]
    assert cases["long"]["answer"] == "" and cases["long"]["refusal"]["label"] == "error"
    assert cases["long"]["refusal"]["refused"] is False
    assert record["suites"][0]["cases"] == 2 and record["suites"][0]["passed"] == 1
    # A case without an answer does not enter the baseline (it would be compared as if it had one).
    result.stdout.fnmatch_lines(["baseline created (there was none)*: *base.json; left out 1 case with no answer: demo/long::long"])
    base = json.loads((pytester.path / "base.json").read_text())
    assert [c["id"] for c in base["cases"]] == ["short"] and base["selection"]["complete"] is False


BAD_SUITE = "cases:\n  - id: a\n    instruction: hi\n    colour: red\n"
GOOD_SUITE = "cases:\n  - id: fine\n    instruction: hi\n    generation: {max_new_tokens: 3}\n"


def test_a_run_stopped_by_a_collection_error_writes_no_record_and_prunes_nothing(pytester: pytest.Pytester,
                                                                                 tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    folder = pytester.mkdir("suites")
    (folder / "good.yaml").write_text(GOOD_SUITE)
    run(pytester, tiny_model, "suites", "--urial-keep-runs", "1").assert_outcomes(passed=1)
    reports = pytester.path / "reports"
    before = sorted(p.name for p in reports.iterdir())
    good = latest(pytester)
    (folder / "bad.yaml").write_text(BAD_SUITE)
    for _ in range(2):
        stopped = run(pytester, tiny_model, "suites", "--urial-keep-runs", "1")
        assert stopped.ret == pytest.ExitCode.INTERRUPTED
        stopped.stdout.no_fnmatch_line("*urial-check summary*")
    assert sorted(p.name for p in reports.iterdir()) == before
    assert latest(pytester) == good
    # Nothing selected: no record either.
    (folder / "bad.yaml").unlink()
    run(pytester, tiny_model, "suites", "-k", "nothing-matches", "--urial-keep-runs", "1")
    assert sorted(p.name for p in reports.iterdir()) == before


def test_a_suite_file_that_failed_to_collect_is_named_in_the_record(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    folder = pytester.mkdir("suites")
    (folder / "good.yaml").write_text(GOOD_SUITE)
    (folder / "bad.yaml").write_text(BAD_SUITE)
    result = run(pytester, tiny_model, "suites", "--continue-on-collection-errors", "--urial-baseline", "base.json")
    result.assert_outcomes(passed=1, errors=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*urial-check summary*",
        "run interrupted: 1 suite file failed to collect: suites/bad.yaml; 1 of 1 selected cases finished",
        "baseline not written (the run was interrupted): *base.json is unchanged",
    ])
    record = latest(pytester)
    assert record["status"] == "interrupted"
    assert record["status_reason"] == "1 suite file failed to collect: suites/bad.yaml"
    assert record["collection_errors"] == ["suites/bad.yaml"]
    assert record["selection"]["complete"] is False
    assert not (pytester.path / "base.json").exists()


GATED_SUITE = """\
suite: demo/gated
gate: {pass_rate: ">= 0.0"}
defaults: {generation: {max_new_tokens: 3}}
cases:
  - id: easy-one
    instruction: Hi
    tags: [easy]
  - id: hard-one
    instruction: Hello there
"""


def test_a_gate_says_over_how_many_of_its_suites_cases_it_was_computed(pytester: pytest.Pytester,
                                                                      tiny_model: Path) -> None:
    import xml.etree.ElementTree as ET

    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "gated.yaml").write_text(GATED_SUITE)
    result = run(pytester, tiny_model, "suites", "-m", "easy", "--junitxml", "out.xml")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*suite gates*", "demo/gated: passed over 1 of 2 cases (pass_rate 1.000 >= 0.0)"])
    gate = next(t for t in ET.parse(pytester.path / "out.xml").iter("testcase") if t.get("name") == "[gate]")
    props = {p.get("name"): p.get("value") for p in gate.iter("property")}
    assert props["urial.gate.cases"] == "1 of 2"
    record = latest(pytester)
    assert record["gates"][0]["cases"] == 1 and record["gates"][0]["suite_cases"] == 2


def test_a_gate_selected_without_its_cases_is_skipped_and_generates_nothing(pytester: pytest.Pytester,
                                                                           tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "gated.yaml").write_text(GATED_SUITE)
    result = run(pytester, tiny_model, "suites", "-m", "urial_gate", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * no case of suite 'demo/gated' was selected*"])
    assert not (pytester.path / "reports").exists() or not list((pytester.path / "reports").glob("run-*.json"))


def test_an_invalid_record_is_written_aside_not_lost(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "good.yaml").write_text(GOOD_SUITE)
    pytester.makeconftest(
        "import pytest\n"
        "from scripted import ScriptedGenerator\n"
        "from urial_check.generation.backends.base import GenerationResult\n\n\n"
        "class Negative(ScriptedGenerator):\n"
        "    def generate(self, requests, on_result=None, progress=None):\n"
        "        for i, request in enumerate(requests):\n"
        "            on_result(i, GenerationResult('Hello.', -1, 'stop', 0.01))\n\n\n"
        "@pytest.fixture(scope='session')\n"
        "def urial_generator():\n"
        "    return Negative()\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "suites")
    result.stdout.fnmatch_lines([
        "urial-check: the run record is invalid (at $.cases?0?.num_tokens: -1 is less than the minimum of 0); "
        "written aside to *reports/run-*.invalid.json, latest.json unchanged",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    reports = pytester.path / "reports"
    aside = list(reports.glob("run-*.invalid.json"))
    assert [p.name for p in reports.iterdir()] == [aside[0].name]  # no run-<id>.json, no latest.json
    assert json.loads(aside[0].read_text())["cases"][0]["num_tokens"] == -1
