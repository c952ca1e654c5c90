"""What the plugin prints: escaped control characters, collection errors, progress output."""

from __future__ import annotations

from pathlib import Path

import pytest

ESCAPING_SUITE = """\
suite: "demo/\\e]0;pwned\\a"
defaults:
  expect: {refusal: required}
  generation: {max_new_tokens: 4}
cases:
  - id: clear-screen
    instruction: "Please answer \\e[2J\\e[H now"
gate:
  pass_rate: ">= 0.9"
"""


def run(pytester: pytest.Pytester, tiny_model: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--urial-model", str(tiny_model), "-p", "no:cacheprovider", *args)


def test_escape_sequences_are_printed_as_text(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "evil.yaml").write_text(ESCAPING_SUITE)
    result = run(pytester, tiny_model, "suites")
    result.assert_outcomes(failed=2)  # the tiny random model never refuses: the case and the gate fail
    out = result.stdout.str() + result.stderr.str()
    assert "\x1b" not in out and "\x07" not in out
    result.stdout.fnmatch_lines([
        "  instruction: Please answer \\x1b[2J\\x1b[H now",
        "*gate of suite 'demo/\\x1b]0;pwned\\x07' failed*",
        "| demo/\\x1b]0;pwned\\x07 *",
    ])
