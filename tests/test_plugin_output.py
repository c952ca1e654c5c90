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


def test_binary_prompt_file_is_a_collection_error_of_its_suite(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    folder = pytester.mkdir("suites")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    (folder / "bad.yaml").write_text("suite: bad\nprompt: logo.png\ncases:\n  - id: a\n    instruction: hi\n")
    (folder / "good.yaml").write_text("suite: good\ncases:\n  - id: fine\n    instruction: hi\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-model", "default")
    result.stdout.fnmatch_lines([
        "*ERROR collecting suites/bad.yaml*",
        "suites/bad.yaml:2: prompt: *logo.png:1: prompt file is not valid UTF-8",
        "*1 error*",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*good.yaml::fine*FAILED*")


def test_prompt_file_without_examples_warns_at_collection(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    folder = pytester.mkdir("suites")
    (folder / "plain.txt").write_text("Be brief.\n")
    (folder / "s.yaml").write_text("prompt: plain.txt\ncases:\n  - id: a\n    instruction: hi\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q", "suites")
    result.stdout.fnmatch_lines(["*SuiteWarning: suites/s.yaml:1: prompt: *plain.txt has no '# Query:' / '# Answer:' example*"])
    assert result.ret == 0
