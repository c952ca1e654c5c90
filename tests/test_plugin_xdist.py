"""pytest-xdist: workers generate their own share; only the controller writes the run record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("xdist")

CASES = "\n".join(f"  - id: c{i}\n    instruction: \"Name thing number {i}.\"" for i in range(6))
SUITE = f"""\
suite: demo/xdist
gate:
  pass_rate: ">= 1.0"
defaults:
  generation: {{max_new_tokens: 4}}
cases:
{CASES}
"""


def test_two_workers_share_the_cases(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "x.yaml").write_text(SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "suites", "-n", "2", "--urial-model", str(tiny_model))
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(["*urial-check summary*", "| demo/xdist *|*6 |*6 |*", "run record: *"])
    runs = list((pytester.path / "reports").glob("run-*.json"))
    assert len(runs) == 1  # written once, by the controller
    record = json.loads((pytester.path / "reports" / "latest.json").read_text())
    assert sorted(c["id"] for c in record["cases"]) == [f"c{i}" for i in range(6)]
    assert record["gates"][0]["passed"] is True
    assert record["status"] == "complete"
    assert record["selection"] == {"keyword": None, "markers": None, "selected": 6, "deselected": 0, "finished": 6,
                                   "complete": True}


def test_a_subset_under_xdist_is_recorded_as_partial(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "x.yaml").write_text(SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "suites", "-n", "2", "--urial-model", str(tiny_model),
                                           "-k", "c1 or c2")
    result.assert_outcomes(passed=2)
    # The workers collect; they tell the controller what the selection left out, so the counts are known.
    result.stdout.fnmatch_lines(["selection: -k 'c1 or c2': 2 of 6 cases (a partial record)"])
    record = json.loads((pytester.path / "reports" / "latest.json").read_text())
    assert record["status"] == "complete"
    assert record["selection"]["complete"] is False and record["selection"]["selected"] == 2
    assert record["selection"]["deselected"] == 4


def test_an_update_from_a_subset_under_xdist_drops_cases_removed_from_the_file(
        pytester: pytest.Pytester, tiny_model: Path) -> None:
    # With the left-out ids known under xdist, a baseline update keeps the deselected cases and drops
    # a case that is no longer in the suite file (before, every unanswered stored case was kept).
    pytester.makeini("[pytest]\n")
    suite = pytester.mkdir("suites") / "x.yaml"
    suite.write_text(SUITE)
    base = ["-p", "no:cacheprovider", "suites", "-n", "2", "--urial-model", str(tiny_model), "--urial-baseline", "b.json"]
    pytester.runpytest_subprocess(*base).assert_outcomes(passed=7, skipped=1)
    suite.write_text(SUITE.replace('  - id: c5\n    instruction: "Name thing number 5."\n', ""))
    result = pytester.runpytest_subprocess(*base, "--urial-update-baseline", "-k", "c1 or c2")
    result.assert_outcomes(passed=2)  # -k leaves out the [gate] and [baseline] items; the update still happens
    result.stdout.fnmatch_lines(["baseline updated from a subset (-k 'c1 or c2': 2 of 5 cases): *b.json*"])
    stored = json.loads((pytester.path / "b.json").read_text())
    assert sorted(c["id"] for c in stored["cases"]) == ["c0", "c1", "c2", "c3", "c4"]
