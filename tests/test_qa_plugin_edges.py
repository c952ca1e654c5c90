"""The plugin under pytest options that change what runs: plans, duplicates, stepwise, ini files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Mapping

import pytest

from test_plugin import SUITE, suite_dir  # noqa: F401  (suite_dir: a fixture)

#: A generator that answers every case and logs how many requests each generate() call got.
COUNTING_CONFTEST = """
import pytest
from scripted import ScriptedGenerator


class Counting(ScriptedGenerator):
    def generate(self, requests, on_result=None, progress=None):
        with open("generate.log", "a") as log:
            log.write(f"{len(requests)}\\n")
        return super().generate(requests, on_result=on_result)


@pytest.fixture(scope="session")
def urial_generator():
    return Counting({}, default="Sure, here it is.")
"""


def _records(pytester: pytest.Pytester) -> list[str]:
    return sorted(p.name for p in (pytester.path / "reports").glob("run-*.json"))


def _latest(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "reports" / "latest.json").read_text())


@pytest.mark.parametrize("flag", ["--setup-plan", "--setup-only"])
def test_a_setup_plan_runs_nothing_and_writes_no_record(pytester: pytest.Pytester, suite_dir: Path,
                                                        script_answers: Callable[[Mapping[str, str]], None],
                                                        flag: str) -> None:
    script_answers({})  # nothing may be generated
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", flag)
    assert result.ret == 0
    result.stdout.no_fnmatch_line("*urial-check summary*")
    assert not (pytester.path / "reports").exists()


@pytest.mark.parametrize("how", ["--keep-duplicates", "a linked folder"])
def test_a_suite_file_collected_twice_is_recorded_once(pytester: pytest.Pytester, suite_dir: Path, how: str) -> None:
    pytester.makeconftest(COUNTING_CONFTEST)
    (suite_dir / "weapons.yaml").write_text(SUITE + 'gate:\n  pass_rate: ">= 0.5"\n')
    if how == "--keep-duplicates":
        args = ["--keep-duplicates", "suites/weapons.yaml", "suites/weapons.yaml"]
    else:
        (pytester.path / "linked").symlink_to(suite_dir, target_is_directory=True)
        args = ["suites", "linked"]
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=6, failed=2)
    record = _latest(pytester)
    assert record["status"] == "complete"
    assert [c["id"] for c in record["cases"]] == ["pipe-bomb", "kill-process", "follow-up"]
    assert record["selection"]["selected"] == 3 and record["selection"]["finished"] == 3
    assert [g["suite"] for g in record["gates"]] == ["demo/weapons"]
    assert (pytester.path / "generate.log").read_text().split() == ["3"]


def test_stepwise_generates_a_window_not_the_whole_selection(pytester: pytest.Pytester, suite_dir: Path) -> None:
    # --sw stops at the first failure like -x: the cases after it must not all be generated first.
    pytester.makeconftest(COUNTING_CONFTEST)
    result = pytester.runpytest("--urial-cache", "off", "--urial-batch-size", "1", "--sw", "suites")
    result.assert_outcomes(failed=1)
    assert (pytester.path / "generate.log").read_text().split() == ["1"]


def test_a_config_error_names_an_ini_key_only_where_the_ini_file_sets_it(pytester: pytest.Pytester,
                                                                          suite_dir: Path) -> None:
    result = pytester.runpytest("suites", "--urial-judge-prompt", "just-eval")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --urial-judge-prompt just-eval needs a model judge (--urial-judge openai or hf)"])
    result.stderr.no_fnmatch_line("*set in*")
    pytester.makeini("[pytest]\nurial_judge_prompt = just-eval\n")
    result = pytester.runpytest("suites")
    result.stderr.fnmatch_lines(["*(--urial-judge-prompt is set in tox.ini as urial_judge_prompt)"])
    result.stderr.no_fnmatch_line("*--urial-judge is set in*")


@pytest.mark.parametrize("line", ["urial_rehash = maybe", "urial_versus_aligned = 2"])
def test_a_bad_boolean_ini_value_names_its_key(pytester: pytest.Pytester, suite_dir: Path, line: str) -> None:
    pytester.makeini(f"[pytest]\n{line}\n")
    result = pytester.runpytest("--co", "suites")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {line.split()[0]}*"])


def test_bad_suite_globs_are_one_usage_error(pytester: pytest.Pytester, suite_dir: Path) -> None:
    pytester.makepyprojecttoml('[tool.pytest]\nurial_suite_globs = "*.yaml"\n')
    (pytester.path / "tox.ini").unlink()
    result = pytester.runpytest("--co", "suites")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *urial_suite_globs*"])
    result.stdout.no_fnmatch_line("*error*during collection*")


def test_ini_file_paths_are_relative_to_the_ini_file_from_a_subfolder(pytester: pytest.Pytester, suite_dir: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A model folder that passes the start-up checks (config, tokenizer and weight files present);
    # --collect-only never loads it.
    model = pytester.mkdir("models") / "tiny"
    model.mkdir()
    for name, text in {"config.json": '{"model_type": "llama"}', "tokenizer.json": "{}", "model.safetensors": "x"}.items():
        (model / name).write_text(text)
    (pytester.path / "refusal.txt").write_text("Refusal? {instruction} {response}\n")
    pytester.makeini("[pytest]\nurial_model = models/tiny\nurial_refusal_template = refusal.txt\n")
    result = pytester.runpytest("--co", "-q", "suites")
    assert result.ret == 0, result.stderr.str()
    monkeypatch.chdir(pytester.mkdir("sub"))
    result = pytester.runpytest("--co", "-q", "../suites")
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["3 tests collected*"])
    # A name that is not a path beside the ini file stays as written (a hub id, a served model).
    pytester.makeini("[pytest]\nurial_model = org/not-here\n")
    result = pytester.runpytest("--co", "-q", "../suites")
    result.stderr.fnmatch_lines(["ERROR: --urial-model org/not-here: *"])


def test_a_suite_warning_turned_into_an_error_is_one_line(pytester: pytest.Pytester, suite_dir: Path) -> None:
    # CI often runs with filterwarnings = error: the warning is then a collection error, told in one line.
    (pytester.path / "plain.txt").write_text("Just be helpful.\n")
    (suite_dir / "weapons.yaml").write_text("prompt: ../plain.txt\n" + SUITE)
    result = pytester.runpytest("--co", "-W", "error::urial_check.suites.loader.SuiteWarning", "suites")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["suites/weapons.yaml:1: prompt: *plain.txt has no '# Query:' / '# Answer:' example*"])
    result.stdout.no_fnmatch_line("*items.py*")
    result.stdout.no_fnmatch_line("*Traceback*")
