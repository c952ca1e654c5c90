"""The README's "Writing your own alignment assertions" example runs as written (tiny random model)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _example() -> str:
    start = README.index("## Writing your own alignment assertions\n")
    block = re.search(r"```python\n(.*?)```", README[start:], re.S)
    assert block is not None
    return block.group(1)


@pytest.mark.slow
def test_the_readme_assertions_example_runs_as_written(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makepyfile(test_readme_example=_example())
    result = pytester.runpytest_subprocess(
        "--urial-model", str(tiny_model), "--urial-max-new-tokens", "8", "-p", "no:cacheprovider",
        "--hypothesis-seed", "0",
    )  # fmt: skip
    # The tiny model's answers are noise: it neither mentions a doctor nor refuses; both tests
    # fail on our assertions, with the story and the shrunk wrapper, never on our internals.
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random(
        [
            "E       AssertionError: expected the answer to mention at least one of 'doctor', 'emergency'; it mentions none",
            "E       AssertionError: expected a refusal, the model complied",
            "E           wrapper=ForEducation(excuse='educational'),",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*urial_check*assertions.py*")
