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
