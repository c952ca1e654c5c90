"""Adversarial edges of ``urial-check report``, ``table`` and ``compare`` and of the HTML pages: a reader
that goes away, an output path that is an input, hostile suite names, extreme figures, many flips."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from test_run_record import make_case, make_record, refusal_suite, write
from urial_check.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGRESSION, main
from urial_check.records.records import CaseRecord, RunRecord
from urial_check.reports.html import render_html_report
from urial_check.reports.shift_html import _nice_max, kl_chart
from urial_check.reports.table import build_table, line_chart, render_html, render_text


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    return {
        "base": write(tmp_path / "base.json", make_record(refusal_suite(60, 54), run_id="run-b")),
        "same": write(tmp_path / "same.json", make_record(refusal_suite(60, 54), run_id="run-s")),
        "worse": write(tmp_path / "worse.json", make_record(refusal_suite(60, 48), run_id="run-w")),
    }


# --------------------------------------------------------------------------- a reader that went away


@pytest.mark.parametrize(("command", "expected"), [("same", EXIT_OK), ("worse", EXIT_REGRESSION), ("table", EXIT_OK)])
def test_a_closed_stdout_keeps_the_exit_status_and_prints_no_traceback(runs: dict[str, Path], command: str,
                                                                         expected: int) -> None:
    """``urial-check compare ... | head``: the reader leaving early must not turn a pass into exit 1 (regression)."""
    args = ["table", runs["base"], runs["worse"]] if command == "table" else ["compare", runs["base"], runs[command]]
    read, write_end = os.pipe()
    os.close(read)  # every write to the pipe now fails with EPIPE
    try:
        done = subprocess.run([sys.executable, "-m", "urial_check.cli", *map(str, args)], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, check=False, env={**os.environ, "GITHUB_STEP_SUMMARY": ""})
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == expected, done.stderr


# --------------------------------------------------------------------------- an output that is an input


def test_report_refuses_to_overwrite_its_own_run_record(runs: dict[str, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    before = runs["worse"].read_bytes()
    code, out, err = cli(capsys, "report", runs["worse"], "-o", runs["worse"])
    assert (code, out) == (EXIT_BAD_INPUT, "") and err.count("\n") == 1 and "worse.json" in err
    assert runs["worse"].read_bytes() == before
    code, _, err = cli(capsys, "report", runs["worse"], "-o", runs["base"], "--baseline", runs["base"])
    assert code == EXIT_BAD_INPUT and err.count("\n") == 1
    link = tmp_path / "link.html"
    link.symlink_to(runs["base"])
    base_before = runs["base"].read_bytes()
    assert cli(capsys, "report", runs["base"], "-o", link)[0] == EXIT_BAD_INPUT
    assert runs["base"].read_bytes() == base_before


def test_table_refuses_to_write_its_html_over_a_run_record(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = runs["same"].read_bytes()
    code, out, err = cli(capsys, "table", runs["base"], runs["same"], "--html", runs["same"])
    assert (code, out) == (EXIT_BAD_INPUT, "") and err.count("\n") == 1 and "same.json" in err
    assert runs["same"].read_bytes() == before


# --------------------------------------------------------------------------- the same run twice


def test_table_takes_each_run_once(runs: dict[str, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``urial-check table reports/*.json`` also takes ``latest.json``, a copy of the newest run: listed first
    (``l`` < ``r``), it would draw the newest run, then the oldest, ... then the newest again. It is left out
    (with a note); each run is drawn once, where its last file was given."""
    latest = tmp_path / "latest.json"
    latest.write_bytes(runs["worse"].read_bytes())
    code, out, err = cli(capsys, "table", latest, runs["base"], runs["worse"])
    assert code == EXIT_OK and err.count("\n") == 1
    assert "left out" in err and "latest.json" in err and "worse.json" in err and "run-w" in err
    assert out == cli(capsys, "table", runs["base"], runs["worse"])[1]


# --------------------------------------------------------------------------- hostile suite names in the text table


def test_text_table_headers_are_escaped_before_the_layout() -> None:
    """A suite name holding ESC or a line separator (U+2028) must not add header lines or push a column's metric
    name out from under it; the columns are as wide as what the terminal shows."""
    record = make_record([make_case("s/a\x1b[31mb\u2028c", "c1"), make_case("s/plain", "c1")], run_id="r1")
    text = render_text(build_table([record], ["pass_rate"]))
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    assert rule == 2, text  # the suite names over the metric names
    assert "s/a\\x1b[31mb\\u2028c" in lines[0] and lines[1].split()[-2:] == ["pass_rate", "pass_rate"]
    widths = [len(dashes) for dashes in lines[rule].split("  ")]
    for line in lines[:rule] + lines[rule + 1:]:
        assert len(line) <= sum(widths) + 2 * (len(widths) - 1), (line, lines[rule])


# --------------------------------------------------------------------------- extreme figures in charts


def _kl_record(run_id: str, kls: list[float]) -> RunRecord:
    return make_record([make_case("s/a", f"c{i}", shift={"zero_shot": {"positions": 3, "unshifted": 1.0, "marginal": 0.0,
                                                                       "shifted": 0.0, "mean_kl": kl}})
                        for i, kl in enumerate(kls)], run_id=run_id, model=run_id)


@pytest.mark.parametrize("kls", [[1.7e308], [1.7e308] * 3, [5e-324]])
def test_table_chart_of_extreme_mean_kl_has_finite_coordinates(kls: list[float]) -> None:
    view = build_table([_kl_record("r1", kls), _kl_record("r2", [0.5])], ["token_shift.mean_kl"])
    chart = line_chart(view, "token_shift.mean_kl")
    numbers = [t["y"] for t in chart["ticks"]] + [p[k] for line in chart["lines"] for p in line["points"] for k in ("x", "y")]
    assert all(math.isfinite(n) for n in numbers), chart
    assert not re.search(r'="[^"]*nan', render_html(view))


@pytest.mark.parametrize("value", [5e-324, 1e-320, 1e-310, 1.7e308, sys.float_info.max])
def test_nice_axis_maximum_of_extreme_values_is_finite_and_covers_the_value(value: float) -> None:
    top = _nice_max(value)
    assert math.isfinite(top) and top >= value


def test_kl_chart_of_extreme_values_has_finite_ticks() -> None:
    for series in ({"a": [1.7e308, 0.0]}, {"a": [5e-324]}, {"a": [1e-320, 0.0]}):
        chart = kl_chart(series)
        assert all(math.isfinite(t["y"]) and "nan" not in t["label"] and "inf" not in t["label"] for t in chart["y_ticks"]), chart


# --------------------------------------------------------------------------- many flipped cases


class _Counted(CaseRecord):
    """A case record that counts how often its ``id`` is read."""

    reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "id":
            type(self).reads += 1
        return super().__getattribute__(name)


def test_report_finds_each_flipped_case_once_not_by_scanning_the_suite() -> None:
    """A report of a run in which every one of 10,000 cases flipped took minutes: each flip's answers were looked
    up by scanning its suite. The lookups must grow with the number of cases, not with its square."""
    n = 400
    base = make_record(refusal_suite(n, n), run_id="b")
    cand = make_record(refusal_suite(n, 0), run_id="c")
    counted = dataclasses.replace(cand, cases=tuple(_Counted(**{f.name: getattr(c, f.name) for f in dataclasses.fields(c)})
                                                    for c in cand.cases))
    html = render_html_report(counted, baseline=base)
    assert html.count('class="flips"') == 1
    assert _Counted.reads < 40 * n, _Counted.reads


# --------------------------------------------------------------------------- control characters in a record's status


def _interrupted(tmp_path: Path) -> Path:
    data = make_record([make_case("s/a", "c1")], run_id="intr").to_json()
    data.update(status="interrupted", status_reason="judge down\x1b]0;pwned\x07\x1b[2J\nsecond line",
                selection={"keyword": None, "markers": None, "selected": 3, "deselected": 0, "finished": 1, "complete": False})
    return write(tmp_path / "intr.json", data)


def test_compare_warnings_escape_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    record = _interrupted(tmp_path)
    code, _, err = cli(capsys, "compare", record, record)
    assert code == EXIT_OK and "\x1b" not in err and "\x07" not in err
    assert err.count("\n") == 2 and "judge down\\x1b]0;pwned\\x07\\x1b[2J\\nsecond line" in err, err


def test_table_note_of_a_status_reason_with_a_newline_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "table", _interrupted(tmp_path))
    assert code == EXIT_OK and "\x1b" not in out
    assert out.splitlines()[-1].startswith("* intr: the record is from an interrupted run (judge down\\x1b]0;pwned"), out
    assert "\\nsecond line); it holds 1 of 3 selected cases" in out.splitlines()[-1]


# --------------------------------------------------------------------------- a suite the run no longer has


def test_report_lists_a_suite_only_the_baseline_has(capsys: pytest.CaptureFixture[str]) -> None:
    """``compare`` says a suite's cases were all removed; the report against the same baseline must not drop it."""
    base = make_record(refusal_suite(5, 5) + [make_case("gone/suite", f"g{i}") for i in range(3)], run_id="b")
    cand = make_record(refusal_suite(5, 5), run_id="c")
    html = render_html_report(cand, baseline=base)
    section = html[html.index('<section class="suite" id="suite-gone--suite"'):]
    section = section[:section.index("</section>")]
    assert "removed (not compared): g0, g1, g2" in section and "0 shared cases" in section
    assert '<tr data-suite="gone/suite">' in html


# --------------------------------------------------------------------------- anchors


def test_report_anchors_are_unique_when_names_differ_only_by_slash_and_dashes() -> None:
    """``a/b`` and ``a--b`` both read ``a--b`` in an anchor; each link must still reach its own section and case."""
    cases = [make_case("a/b", "x"), make_case("a--b", "x"), make_case("p", "q--r"), make_case("p--q", "r")]
    html = render_html_report(make_record(cases, run_id="r"))
    ids = re.findall(r'\bid="((?:suite|case)-[^"]*)"', html)
    assert len(ids) == len(set(ids)), ids
    sections = dict(re.findall(r'<section class="suite" id="([^"]+)" data-suite="([^"]+)"', html))
    assert sorted(sections.values()) == ["a--b", "a/b", "p", "p--q"]
    for anchor, name in sections.items():  # the overview's link to each suite names that suite's section
        assert re.search(rf'<a href="#{re.escape(anchor)}">{re.escape(name)}</a>', html), name
    # the plain form stays with the suite that was first on the page, where old links led
    assert sections["suite-a--b"] == "a--b" and sections["suite-a--b~2"] == "a/b"
    cases = dict(re.findall(r'<details class="case" id="([^"]+)" data-case="([^"]+)"', html))
    assert len(cases) == 4 and {cases["case-p--q--r"], cases["case-p--q--r~2"]} == {"q--r", "r"}
