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


def test_one_bad_suite_stops_the_run_unless_collection_errors_may_continue(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    folder = pytester.mkdir("suites")
    (folder / "bad.yaml").write_text("cases:\n  - id: a\n    instruction: hi\n    colour: red\n")
    (folder / "good.yaml").write_text("cases:\n  - id: fine\n    instruction: hi\n    generation: {max_new_tokens: 3}\n")
    stopped = run(pytester, tiny_model, "suites")  # pytest's default: right for CI
    stopped.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])
    assert stopped.ret == pytest.ExitCode.INTERRUPTED
    result = run(pytester, tiny_model, "suites", "--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["suites/bad.yaml:4: case 'a': unknown key 'colour'*", "*urial-check summary*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the collection error still fails the run


def test_quiet_run_prints_no_third_party_loading_bars(pytester: pytest.Pytester, tmp_path: Path, tiny_model: Path,
                                                     capfd: pytest.CaptureFixture[str]) -> None:
    # tiny_model: transformers' llama modules are imported here, outside the in-process runs
    # (pytester drops modules first imported inside a run, and transformers cannot import twice).
    from test_fast_start import write_tiny_gguf
    import transformers.modeling_gguf_pytorch_utils  # noqa: F401

    gguf = write_tiny_gguf(tmp_path / "tiny.Q8_0.gguf")
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "s.yaml").write_text(
        "defaults:\n  generation: {max_new_tokens: 3}\ncases:\n"
        "  - id: a\n    instruction: hi\n  - id: b\n    instruction: hello there\n"
    )
    # A short prompt: the tiny GGUF's byte-level vocabulary turns the default prompt into ~4,000
    # tokens, past its context (which is now a per-case error).
    prompt = tmp_path / "short.txt"
    prompt.write_text("Be brief.\n\n# Query:\n```\nHi\n```\n\n# Answer:\n```\nHello!\n```\n", encoding="utf-8")
    for args in (("-q",), ("-q", "-s")):  # a cold start (dequantise, write the copy), then a warm one
        result = pytester.runpytest("--urial-model", str(gguf), "--urial-prompt", str(prompt), "-p", "no:cacheprovider",
                                    "--urial-cache", "off", *args, "suites")
        result.assert_outcomes(passed=2)
        captured = capfd.readouterr()
        out = "\n".join((result.stdout.str(), result.stderr.str(), captured.out, captured.err))
        assert "de-quantizing" not in out and "Loading weights" not in out, out
        assert "urial-check: generat" not in out  # -q: no bar of ours either


def test_progress_is_one_line_per_batch_when_not_a_terminal(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "s.yaml").write_text(
        "defaults:\n  generation: {max_new_tokens: 3}\ncases:\n"
        "  - id: a\n    instruction: hi\n  - id: b\n    instruction: hello there\n  - id: c\n    instruction: hey\n"
    )
    result = run(pytester, tiny_model, "--urial-batch-size", "2", "suites")
    result.assert_outcomes(passed=3)
    out = result.stdout.str() + "\n" + result.stderr.str()
    lines = [ln for ln in out.splitlines() if ln.startswith("urial-check: generated")]
    assert len(lines) == 2, out
    assert lines[0].startswith("urial-check: generated 2/3 cases (67%), ") and lines[0].endswith(" left")
    assert lines[1].startswith("urial-check: generated 3/3 cases (100%), ")
    assert "\r" not in out
