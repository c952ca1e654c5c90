"""Control characters from suites and models never reach the terminal raw (escape sequences shown as text)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_run_record import make_case, make_record
from urial_check.records.baseline import compare_runs, render_table
from urial_check.cli import main
from urial_check.records.thresholds import parse_threshold
from urial_check.generation.decoding import Decoding
from urial_check.records.gates import GateResult, GateRow, render_gate
from urial_check.measures.refusal import detect_refusal
from urial_check.reports.summary import failure_story, scores_table, summary_table
from urial_check.suites.checks import CheckResult
from urial_check.answers import CaseAnswer
from urial_check.session import CaseOutcome
from urial_check.suites.loader import Case, Expect
from urial_check.reports.terminal import printable

CLEAR_SCREEN = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;pwned\x07"
RLO = "\u202e"  # right-to-left override (Trojan Source)


def test_printable_escapes_control_characters() -> None:
    assert printable(f"a{CLEAR_SCREEN}b") == "a\\x1b[2J\\x1b[Hb"
    assert printable(TITLE) == "\\x1b]0;pwned\\x07"
    assert printable("x\ry\bz\x00\x7f\x9b") == "x\\ry\\x08z\\x00\\x7f\\x9b"
    assert printable(f"abc{RLO}def") == "abc\\u202edef"
    assert printable("line 1\n\tline 2") == "line 1\n\tline 2"
    assert printable("line 1\nline 2", newlines=False) == "line 1\\nline 2"
    assert printable("Grüße, 日本語, emoji 🙂") == "Grüße, 日本語, emoji 🙂"


@given(st.text())
def test_printable_leaves_no_control_character(text: str) -> None:
    out = printable(text)
    assert not any(ch in out for ch in "\x1b\x07\r\x00\x9b\u202e\u2066")
    assert out == text or "\\" in out


def _outcome(instruction: str, answer_text: str) -> CaseOutcome:
    case = Case(id="a", turns=(instruction,), tags=(), expect=Expect(refusal="required"), generation=(),
                suite="demo", path=Path("suites/demo.yaml"), line=3)
    answer = CaseAnswer(case_key="demo::a", prompt="p", text=answer_text, raw=answer_text, decoding=Decoding(),
                    num_tokens=5, finish_reason="stop", seconds=0.1, cached=False,
                    verdict=detect_refusal(answer_text, instruction))
    return CaseOutcome(case=case, answer=answer, checks=(CheckResult("refusal", False, "expected refusal, model complied"),))


def test_failure_story_escapes_instruction_and_answer() -> None:
    story = failure_story(_outcome(f"Say {CLEAR_SCREEN} now", f"Sure {TITLE}\nstep {RLO}two"), "m\x1b[31m")
    assert "\x1b" not in story and "\x07" not in story and RLO not in story
    assert "\\x1b[2J" in story and "\\x1b]0;pwned\\x07" in story and "\\u202e" in story
    assert "m\\x1b[31m" in story
    assert "    | step \\u202etwo" in story.splitlines()  # the answer keeps its lines


def test_tables_escape_suite_names() -> None:
    evil = f"demo{CLEAR_SCREEN}"
    records = make_record([make_case(evil, "a", scores={"helpfulness": 3})]).cases
    for table in (summary_table(records), scores_table(records)):
        assert "\x1b" not in table and "demo\\x1b[2J" in table
    gate = render_gate(GateResult(suite=evil, cases=1, rows=(GateRow(f"pass_rate{TITLE}", 0.5, ">= 0.9", False, 1),)))
    assert "\x1b" not in gate and "\\x07" in gate


def test_baseline_comparison_text_escapes_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = make_record([make_case("s", f"c{i}", refused=True) for i in range(8)], run_id="b")
    cand = make_record([make_case("s", f"c{i}", refused=False, answer=f"Sure{CLEAR_SCREEN} {i}") for i in range(8)], run_id="c")
    text = render_table(compare_runs(base, cand))
    assert "\x1b" not in text and "Sure\\x1b[2J" in text
    (tmp_path / "b.json").write_text(json.dumps(base.to_json()))
    (tmp_path / "c.json").write_text(json.dumps(cand.to_json()))
    for fmt in ("table", "markdown", "json"):
        main(["compare", str(tmp_path / "b.json"), str(tmp_path / "c.json"), "--format", fmt])
        assert "\x1b" not in capsys.readouterr().out


def test_threshold_text_is_kept() -> None:
    # Sanity: ordinary report text passes through unchanged.
    assert printable(parse_threshold(">= 0.9").text) == ">= 0.9"


def test_a_pipe_in_a_suite_name_does_not_break_github_tables() -> None:
    records = make_record([make_case("team|a", "x", scores={"helpfulness": 3})]).cases
    for text in (summary_table(records), scores_table(records)):
        header, rule, row = text.splitlines()[:3]
        # Every line of a github table has as many unescaped column bars as the header.
        bars = lambda line: len(re.findall(r"(?<!\\)\|", line))  # noqa: E731
        assert bars(row) == bars(header) == bars(rule), text
        assert "team\\|a" in row


def test_table_headers_are_escaped_too() -> None:
    from urial_check.reports.terminal import table

    text = table([["x"]], ["suite\x1b[2J"], tablefmt="github")
    assert "\x1b" not in text and "suite\\x1b[2J" in text


def test_wide_characters_keep_the_columns_aligned() -> None:
    # tabulate measures display width only when wcwidth is installed (a dependency for this reason).
    from wcwidth import wcswidth

    text = summary_table(make_record([make_case("安全/武器", "x"), make_case("plain", "y")]).cases)
    assert len({wcswidth(line) for line in text.splitlines()}) == 1, text
