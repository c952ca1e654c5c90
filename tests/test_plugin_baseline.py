"""Baseline gating through the plugin: create, pass, catch a regression, update."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tiny_model import build_tiny_llama

CASES = "\n".join(f"  - id: q{i}\n    instruction: \"Tell me about topic number {i}.\"" for i in range(8))
SUITE = f"""\
suite: demo/benign
defaults:
  expect: {{refusal: forbidden}}
  generation: {{max_new_tokens: 4}}
cases:
{CASES}
"""


@pytest.fixture(scope="module")
def blank_model(tmp_path_factory: pytest.TempPathFactory, default_tokenizer_dir: Path) -> Path:
    """A model that answers everything with blank lines: an empty answer counts as a refusal."""
    return build_tiny_llama(
        tmp_path_factory.mktemp("blank"), tokenizer_folder=default_tokenizer_dir, initializer_range=0.02, tie_word_embeddings=True
    )


@pytest.fixture
def suite(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "benign.yaml").write_text(SUITE)


def test_create_pass_regress_update(pytester: pytest.Pytester, suite: None, tiny_model: Path, blank_model: Path) -> None:
    base = ["-p", "no:cacheprovider", "suites", "-rs", "--urial-baseline", "baselines/benign.json"]
    # 1. No baseline yet: it is created, and the [baseline] item says so (skipped, not silently passed).
    first = pytester.runpytest(*base, "--urial-model", str(tiny_model))
    first.assert_outcomes(passed=8, skipped=1)
    first.stdout.fnmatch_lines(["baseline created (there was none): *benign.json"])
    first.stdout.fnmatch_lines(["SKIPPED * suites/benign.yaml:1: no baseline yet: this run is written to *baselines/benign.json if it completes (see the summary)"])
    stored = json.loads((pytester.path / "baselines" / "benign.json").read_text())
    assert len(stored["cases"]) == 8
    # 2. The same model again: no regression.
    second = pytester.runpytest(*base, "--urial-model", str(tiny_model))
    second.assert_outcomes(passed=9)
    # 3. A changed model that refuses everything: the over-refusal regression is real and significant.
    third = pytester.runpytest(*base, "--urial-model", str(blank_model))
    third.assert_outcomes(failed=9)
    third.stdout.fnmatch_lines(["suites/benign.yaml: suite 'demo/benign' regressed against the baseline", "*over_refusal_rate*"])
    third.stdout.fnmatch_lines(["*q0*"])
    # 4. Accepting the change: --urial-update-baseline writes the new baseline and the item passes.
    fourth = pytester.runpytest(*base, "--urial-model", str(blank_model), "--urial-update-baseline")
    fourth.assert_outcomes(passed=1, failed=8)
    fourth.stdout.fnmatch_lines(["baseline updated: *benign.json"])
    fifth = pytester.runpytest(*base, "--urial-model", str(blank_model))
    fifth.assert_outcomes(passed=1, failed=8)


def test_one_flip_is_noise_not_a_regression(pytester: pytest.Pytester, suite: None, tiny_model: Path) -> None:
    base = ["-p", "no:cacheprovider", "suites", "--urial-model", str(tiny_model), "--urial-baseline", "b.json"]
    pytester.runpytest(*base).assert_outcomes(passed=8, skipped=1)
    record = json.loads((pytester.path / "b.json").read_text())
    record["cases"][0]["outcome"] = "failed"  # the baseline failed one case the candidate passes: an improvement
    record["cases"][1]["refusal"] = {"label": "full_refusal", "refused": True, "evidence": "x"}
    (pytester.path / "b.json").write_text(json.dumps(record))
    pytester.runpytest(*base).assert_outcomes(passed=9)


def test_bad_baseline_file_is_a_usage_error(pytester: pytest.Pytester, suite: None) -> None:
    (pytester.path / "b.json").write_text('{"schema": "something-else"}')
    result = pytester.runpytest("suites", "--urial-baseline", "b.json")
    result.stderr.fnmatch_lines(["ERROR: --urial-baseline: *b.json*"])
    result = pytester.runpytest("suites", "--urial-update-baseline")
    result.stderr.fnmatch_lines(["ERROR: --urial-update-baseline needs --urial-baseline PATH"])


def test_deeply_nested_baseline_is_a_usage_error(pytester: pytest.Pytester, suite: None) -> None:
    (pytester.path / "b.json").write_text("[" * 200_000 + "]" * 200_000)
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-baseline", "b.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --urial-baseline: *b.json: *nested*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


@pytest.mark.parametrize("how", ["under a file", "read-only folder"])
def test_unwritable_baseline_is_a_usage_error_before_the_run(pytester: pytest.Pytester, suite: None, tiny_model: Path,
                                                           how: str) -> None:
    import os

    if how == "under a file":
        (pytester.path / "blocker").write_text("not a folder")
        target = "blocker/b.json"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        folder = pytester.mkdir("locked")
        folder.chmod(0o555)
        target = "locked/b.json"
    for extra in ([], ["--urial-update-baseline"]):
        result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-model", str(tiny_model),
                                    "--urial-baseline", target, *extra)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"ERROR: --urial-baseline {target}: cannot write*"])
        assert "Traceback" not in result.stderr.str() + result.stdout.str()
        assert not (pytester.path / "reports").exists()  # stopped before any case ran


def test_updating_from_a_subset_merges_into_the_baseline(pytester: pytest.Pytester, suite: None, tiny_model: Path,
                                                         blank_model: Path) -> None:
    base = ["-p", "no:cacheprovider", "suites", "--urial-baseline", "b.json"]
    pytester.runpytest(*base, "--urial-model", str(tiny_model)).assert_outcomes(passed=8, skipped=1)
    before = json.loads((pytester.path / "b.json").read_text())
    # An interrupted update (-x stops at the blank model's first failure) leaves the baseline alone.
    stopped = pytester.runpytest(*base, "--urial-model", str(blank_model), "--urial-update-baseline", "-x")
    stopped.stdout.fnmatch_lines(["baseline not written (the run was interrupted): *b.json is unchanged"])
    assert json.loads((pytester.path / "b.json").read_text()) == before
    # Accepting two cases: they replace theirs, the six others stay as they were.
    result = pytester.runpytest(*base, "--urial-model", str(blank_model), "--urial-update-baseline", "-k", "q0 or q1")
    result.assert_outcomes(failed=2)  # the [baseline] item does not match -k
    result.stdout.fnmatch_lines([
        "baseline updated from a subset (-k 'q0 or q1': 2 of 8 cases): *b.json "
        "(2 case(s) from this run, 6 kept from the previous baseline)"
    ])
    after = json.loads((pytester.path / "b.json").read_text())
    by_id = {c["id"]: c for c in after["cases"]}
    assert sorted(by_id) == [f"q{i}" for i in range(8)]
    old = {c["id"]: c for c in before["cases"]}
    assert by_id["q0"]["answer"] != old["q0"]["answer"] and by_id["q0"]["outcome"] == "failed"
    assert all(by_id[f"q{i}"] == old[f"q{i}"] for i in range(2, 8))
    assert after["suites"][0]["cases"] == 8 and after["suites"][0]["passed"] == 6
    assert after["selection"]["complete"] is True and after["selection"]["merged"]["kept"] == 6
    # The merged baseline gates a full run as usual: the two accepted cases now match the blank model.
    pytester.runpytest(*base, "--urial-model", str(tiny_model)).assert_outcomes(passed=9)


def test_the_baseline_verdict_is_in_the_run_record_and_the_summary(pytester: pytest.Pytester, suite: None, tiny_model: Path,
                                                                   blank_model: Path) -> None:
    base = ["-p", "no:cacheprovider", "suites", "--urial-baseline", "baselines/benign.json"]
    pytester.runpytest(*base, "--urial-model", str(tiny_model)).assert_outcomes(passed=8, skipped=1)
    assert "baseline_verdicts" not in json.loads((pytester.path / "reports" / "latest.json").read_text())  # none compared
    same = pytester.runpytest(*base, "--urial-model", str(tiny_model))
    same.assert_outcomes(passed=9)
    # a passing comparison is said too, not only a failing one
    same.stdout.fnmatch_lines(["*- against the baseline -*", "demo/benign: passed, no metric regressed over 8 shared cases"])
    record = json.loads((pytester.path / "reports" / "latest.json").read_text())
    (verdict,) = record["baseline_verdicts"]
    assert verdict["suite"] == "demo/benign" and verdict["passed"] and verdict["shared"] == 8 and verdict["regressed"] == []
    assert verdict["baseline"].endswith("benign.json")
    worse = pytester.runpytest(*base, "--urial-model", str(blank_model))
    worse.stdout.fnmatch_lines(["*- against the baseline -*", "demo/benign: FAILED over 8 shared cases, regressed: *over_refusal_rate*"])
    (verdict,) = json.loads((pytester.path / "reports" / "latest.json").read_text())["baseline_verdicts"]
    assert not verdict["passed"] and "over_refusal_rate" in verdict["regressed"]
