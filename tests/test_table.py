"""``urial-check table``: several run records side by side (urial_check.reports.table), on three
checkpoints' records built from hand-made case records."""

from __future__ import annotations

import calendar
import dataclasses
import re
import shlex
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from test_run_record import write
from urial_check.cli import EXIT_BAD_INPUT, EXIT_OK, main
from urial_check.records import metrics
from urial_check.records.records import CaseRecord, JudgeScores, ModelInfo, RefusalRecord, RunRecord, Selection, ShiftSummary
from urial_check.reports.table import DEFAULT_METRICS, TableError, build_table, format_value, line_chart, render_html

ROOT = Path(__file__).resolve().parent.parent
KINDS = {"F": "full_refusal", "P": "partial_refusal", "C": "compliance"}
SVG = "{http://www.w3.org/2000/svg}"


def cases(suite: str, expect: str, labels: str, scores: list[dict[str, float]] | None = None) -> list[CaseRecord]:
    """A suite's cases from a string of refusal labels (F full, P partial, C compliance); the outcome
    follows the expectation, as the refusal check decides it."""
    out = []
    for i, kind in enumerate(labels):
        label = KINDS[kind]
        failed = (expect == "required" and label != "full_refusal") or (expect == "forbidden" and label != "compliance")
        out.append(CaseRecord(
            suite=suite, id=f"c{i}", file=f"suites/{suite}.yaml", line=3 + 4 * i, instruction=f"Question {i} of {suite}?",
            expect_refusal=expect, answer="I can't help with that." if kind != "C" else "Sure: first, ...",
            refusal=RefusalRecord(label, "I can't" if kind != "C" else "no refusal found"),
            outcome="failed" if failed else "passed",
            judge=JudgeScores("heuristic:v2", scores[i]) if scores else None,
        ))
    return out


def checkpoint(step: int, day: int, cases_: list[CaseRecord], **status: Any) -> RunRecord:
    started = calendar.timegm(time.strptime(f"2025-03-{day:02d} 09:00:00", "%Y-%m-%d %H:%M:%S"))
    return RunRecord.new(model=ModelInfo(f"ckpt-{step}", "ab" * 32), cases=cases_, started=started,
                         run_id=f"2025030{day}T090000-{step:06d}", **status)


def three_checkpoints() -> dict[str, RunRecord]:
    """Checkpoints 1000, 2000 (both complete) and 3000 (interrupted before safety/benign ran)."""
    s = {"helpfulness": 4.0, "safety": 5.0}
    harm_1000 = cases("safety/harm", "required", "FFPCC", [s, s, {"helpfulness": 3.0, "safety": 4.0}, {"helpfulness": 2.0, "safety": 1.0}, {"helpfulness": 3.0, "safety": 2.0}])
    benign_1000 = cases("safety/benign", "forbidden", "CCCF", [{"helpfulness": 4.0, "safety": 5.0}] * 3 + [{"helpfulness": 1.0, "safety": 5.0}])
    harm_2000 = cases("safety/harm", "required", "FFFPC", [s, s, s, {"helpfulness": 3.0, "safety": 4.0}, {"helpfulness": 2.0, "safety": 2.0}])
    benign_2000 = cases("safety/benign", "forbidden", "CCPF", [{"helpfulness": 5.0, "safety": 5.0}] * 2 + [{"helpfulness": 2.0, "safety": 5.0}] * 2)
    harm_3000 = cases("safety/harm", "required", "FFFFC", [s] * 4 + [{"helpfulness": 3.0, "safety": 3.0}])
    return {
        "run-1000.json": checkpoint(1000, 1, harm_1000 + benign_1000),
        "run-2000.json": checkpoint(2000, 2, harm_2000 + benign_2000),
        "run-3000.json": checkpoint(3000, 3, harm_3000, status="interrupted", status_reason="KeyboardInterrupt",
                                    selection=Selection(None, None, 9, 0, 5, False)),
    }


@pytest.fixture
def records() -> dict[str, RunRecord]:
    return three_checkpoints()


@pytest.fixture
def paths(records: dict[str, RunRecord], tmp_path: Path) -> dict[str, Path]:
    return {name: write(tmp_path / name, record) for name, record in records.items()}


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def parse(out: str) -> tuple[list[str], list[list[str]]]:
    """The printed table as (column headers: the name, or "suite metric" with the suite carried over
    its group's columns; rows of cells)."""
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    assert rule == 2
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[rule])]
    cell = lambda line, a, b: line[a:b].strip()  # noqa: E731
    headers, suite = [], ""
    for a, b in spans:
        top, bottom = cell(lines[0], a, b), cell(lines[1], a, b)
        suite = top or suite
        headers.append(f"{suite} {bottom}" if bottom else top)
    rows = [[cell(line, a, b) for a, b in spans] for line in lines[rule + 1:] if line and not line.startswith("*")]
    return headers, rows


# --------------------------------------------------------------------------- values


def test_printed_values_are_the_metrics_modules_figures(paths: dict[str, Path], records: dict[str, RunRecord],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "table", *paths.values())
    assert (code, err) == (EXIT_OK, "")
    headers, rows = parse(out)
    assert headers[:4] == ["run", "started", "model", "status"]
    # Every default metric per suite, less the two rates no case of the suite measures in any run.
    assert headers[4:] == [f"{s} {m}" for s in ("safety/benign", "safety/harm") for m in DEFAULT_METRICS
                           if (s, m) not in {("safety/benign", "refusal_rate"), ("safety/harm", "over_refusal_rate")}]
    assert [r[0] for r in rows] == [r.run_id for r in records.values()]
    checked = 0
    for row, record in zip(rows, records.values()):
        assert row[1:3] == [record.started, record.model.id]
        suites = metrics.by_suite(record.cases)
        for header, shown in zip(headers[4:], row[4:]):
            suite, metric = header.split(" ")
            if suite not in suites:
                assert shown == "-"
                continue
            summary = metrics.summarize(suite, suites[suite])
            expected = {"pass_rate": metrics.rate("pass_rate", suites[suite])[0], "refusal_rate": summary.refusal_rate,
                        "over_refusal_rate": summary.over_refusal_rate, "partial_refusals": summary.partial_refusals,
                        "mean.average": summary.average}[metric]
            assert shown == format_value(metric, expected)
            checked += 1
    assert checked == 20
    # Spot values worked out by hand: ckpt-1000 refuses 2 of 5 harmful requests fully (the partial one does
    # not count) and over-refuses 1 of 4 benign ones; ckpt-2000 over-refuses 2 (the partial one counts).
    assert rows[0][4:] == ["75.0%", "25.0%", "0", "4.12", "40.0%", "40.0%", "1", "3.30"]
    assert rows[1][5] == "50.0%" and rows[1][6] == "1"
    assert rows[2][3] == "interrupted*" and rows[2][4:8] == ["-"] * 4 and rows[2][8:10] == ["80.0%", "80.0%"]
    assert out.rstrip("\n").splitlines()[-1] == (
        "* 20250303T090000-003000: the record is from an interrupted run (KeyboardInterrupt); it holds 5 of 9 selected cases")


def test_metric_filter_and_aspects(paths: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "table", *paths.values(), "--metric", "refusal_rate", "--metric", "mean.safety")
    assert code == EXIT_OK
    headers, rows = parse(out)
    # safety/benign has no refusal-required case in any run: no column (not a column of zeros).
    assert headers[4:] == ["safety/benign mean.safety", "safety/harm refusal_rate", "safety/harm mean.safety"]
    # mean.safety of ckpt-1000's harm suite: (5+5+4+1+2)/5.
    assert rows[0][4:] == ["5.00", "40.0%", "3.40"]
    assert rows[2][4:] == ["-", "80.0%", "4.60"]


def test_not_measured_in_one_run_is_na(records: dict[str, RunRecord], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # ckpt-2500 ran safety/harm with only benign cases: its refusal_rate is n/a (nothing to measure), not 0 and not "-".
    odd = checkpoint(2500, 2, cases("safety/harm", "forbidden", "CC"))
    files = [write(tmp_path / "a.json", records["run-1000.json"]), write(tmp_path / "b.json", odd)]
    code, out, _ = cli(capsys, "table", *files, "--metric", "refusal_rate")
    headers, rows = parse(out)
    assert code == EXIT_OK and headers[4:] == ["safety/harm refusal_rate"]
    assert [r[4] for r in rows] == ["40.0%", "n/a"]


def test_sort_by_start_time(paths: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    shuffled = [paths["run-3000.json"], paths["run-1000.json"], paths["run-2000.json"]]
    _, given, _ = cli(capsys, "table", *shuffled)
    assert [r[2] for r in parse(given)[1]] == ["ckpt-3000", "ckpt-1000", "ckpt-2000"]
    _, by_time, _ = cli(capsys, "table", *shuffled, "--sort", "time")
    assert [r[2] for r in parse(by_time)[1]] == ["ckpt-1000", "ckpt-2000", "ckpt-3000"]


def test_a_subset_run_is_marked(records: dict[str, RunRecord]) -> None:
    subset = checkpoint(4000, 4, cases("safety/harm", "required", "FF"),
                        selection=Selection("harm", None, 2, 3, 2, False))
    view = build_table([records["run-1000.json"], subset])
    assert [(r.marked_status, r.note) for r in view.rows] == [
        ("complete", None), ("subset*", "the record covers a subset (-k 'harm': 2 of 5 cases)")]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.json", "missing.json: no such file"),
        (lambda d: write(d / "junit.json", {"testsuites": []}), "junit.json: not a urial-check run record"),
        (lambda d: write(d / "v9.json", {"schema": "urial-check/run-record", "schema_version": 9}),
         "v9.json: run record schema version 9 is not supported (this urial-check reads versions 1 and 2); "
         "it was written by a newer urial-check"),
    ],
)
def test_bad_records_exit_2_with_one_line_naming_the_file(paths: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          make: Any, message: str) -> None:
    code, out, err = cli(capsys, "table", paths["run-1000.json"], make(tmp_path), paths["run-2000.json"])
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.count("\n") == 1 and err.startswith("urial-check table: error: ") and message in err


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("refusal", "unknown metric 'refusal' (known: pass_rate, refusal_rate, over_refusal_rate, partial_refusals, "),
        ("token_shift.drift", "unknown metric 'token_shift.drift'"),
        ("mean.saftey", "no run has judge scores on 'saftey' (scored aspects: helpfulness, safety; or mean.average)"),
    ],
)
def test_bad_metric_names_exit_2(paths: dict[str, Path], capsys: pytest.CaptureFixture[str], metric: str, message: str) -> None:
    code, out, err = cli(capsys, "table", *paths.values(), "--metric", metric)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.count("\n") == 1 and message in err


@pytest.mark.parametrize("stat", metrics.SHIFT_STATS)
def test_token_shift_with_no_shift_data_in_any_run_exits_2(paths: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                                           stat: str) -> None:
    code, out, err = cli(capsys, "table", *paths.values(), "--metric", f"token_shift.{stat}")
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert err == ("urial-check table: error: no run has token-shift data for "
                   f"'token_shift.{stat}' (measured with --urial-aligned-model)\n")


def test_token_shift_is_a_column_when_one_run_measured_it(records: dict[str, RunRecord]) -> None:
    shifted = ShiftSummary(positions=10, unshifted=0.7, marginal=0.2, shifted=0.1, mean_kl=0.4)
    runs = list(records.values())
    first = runs[0]
    cases_ = [dataclasses.replace(c, token_shift={"zero_shot": shifted}) if i == 0 else c for i, c in enumerate(first.cases)]
    runs[0] = dataclasses.replace(first, cases=tuple(cases_))
    view = build_table(runs, ["token_shift.shifted"])
    assert view.columns == [("safety/harm", "token_shift.shifted")]
    assert [row.cell("safety/harm", "token_shift.shifted") for row in view.rows] == ["10.0%", "n/a", "n/a"]
    assert [row.cell("safety/benign", "token_shift.shifted") for row in view.rows] == ["n/a", "n/a", "-"]


def test_unwritable_html_exits_2(paths: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli(capsys, "table", paths["run-1000.json"], "--html", blocker / "t.html")
    assert code == EXIT_BAD_INPUT and "cannot write" in err and err.count("\n") == 1


def test_core_refuses_unknown_sort(records: dict[str, RunRecord]) -> None:
    with pytest.raises(TableError, match="unknown sort 'size'"):
        build_table(list(records.values()), sort="size")


# --------------------------------------------------------------------------- HTML


def test_html_has_one_plot_per_metric_with_values_in_titles(paths: dict[str, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "out" / "table.html"
    code, out, _ = cli(capsys, "table", *paths.values(), "--metric", "refusal_rate", "--metric", "over_refusal_rate",
                       "--metric", "mean.safety", "--html", page, "--title", "Checkpoints <1000-3000>")
    assert code == EXIT_OK and out.rstrip("\n").endswith(f"html: {page}")
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "Checkpoints &lt;1000-3000&gt;" in html
    body = html[html.index("<body>"):html.index("</body>") + len("</body>")]
    root = ET.fromstring(body)  # well-formed (the page is also XHTML-parsable)
    svgs = root.findall(f".//{SVG}svg")
    assert [s.get("data-metric") for s in svgs] == ["refusal_rate", "over_refusal_rate", "mean.safety"]
    refusal = svgs[0]
    suites = {g.get("data-suite"): g for g in refusal.findall(f"{SVG}g")}
    harm_points = [c.findtext(f"{SVG}title") for c in suites["safety/harm"].findall(f"{SVG}circle")]
    assert harm_points == ["safety/harm · 20250301T090000-001000: 40.0%", "safety/harm · 20250302T090000-002000: 60.0%",
                           "safety/harm · 20250303T090000-003000: 80.0%"]
    assert len(suites["safety/harm"].findall(f"{SVG}polyline")) == 1
    assert "safety/benign" not in suites  # n/a in every run: no line, no legend entry
    over = {g.get("data-suite"): g for g in svgs[1].findall(f"{SVG}g")}
    benign = [c.findtext(f"{SVG}title") for c in over["safety/benign"].findall(f"{SVG}circle")]
    assert benign == ["safety/benign · 20250301T090000-001000: 25.0%", "safety/benign · 20250302T090000-002000: 50.0%"]
    # The table's cells match the printed ones, missing suite included.
    cells = {(td.get("data-suite"), td.get("data-metric")): td.text for td in root.findall(".//tr[@data-run='20250303T090000-003000']/td")
             if td.get("data-metric")}
    assert cells[("safety/benign", "over_refusal_rate")] == "-" and cells[("safety/harm", "mean.safety")] == "4.60"
    assert ("safety/benign", "refusal_rate") not in cells


def test_chart_points_rise_with_the_value(records: dict[str, RunRecord]) -> None:
    view = build_table(list(records.values()), ["refusal_rate"])
    chart = line_chart(view, "refusal_rate")
    harm = next(line for line in chart["lines"] if line["suite"] == "safety/harm")
    ys = [p["y"] for p in harm["points"]]
    assert ys == sorted(ys, reverse=True) and ys[0] > ys[-1]  # 40% -> 80%: higher up (smaller y)
    xs = [p["x"] for p in harm["points"]]
    assert xs == sorted(xs) and chart["bottom"] >= max(ys) and chart["top"] <= min(ys)


def test_a_gap_breaks_the_line(records: dict[str, RunRecord]) -> None:
    middle = checkpoint(2500, 2, cases("safety/other", "required", "F"))
    view = build_table([records["run-1000.json"], middle, records["run-2000.json"]], ["refusal_rate"])
    lines = {line["suite"]: line for line in line_chart(view, "refusal_rate")["lines"]}
    assert len(lines["safety/harm"]["points"]) == 2 and lines["safety/harm"]["segments"] == []
    assert len(lines["safety/other"]["points"]) == 1 and "safety/other · 20250302T090000-002500: 100.0%" in render_html(view)


# --------------------------------------------------------------------------- README


def test_readme_example_is_the_real_output(records: dict[str, RunRecord], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("## Following checkpoints: urial-check table\n"):]
    start = section.index("```\n$ urial-check table") + 4
    block = section[start:section.index("\n```", start)].splitlines()
    command = shlex.split(block[0][2:])
    assert command[0] == "urial-check"
    (tmp_path / "reports").mkdir()
    for name, record in records.items():
        write(tmp_path / "reports" / name, record)
    monkeypatch.chdir(tmp_path)
    assert main(command[1:]) == EXIT_OK
    assert capsys.readouterr().out.splitlines() == block[1:]


def test_x_labels_name_the_checkpoint(records: dict[str, RunRecord]) -> None:
    view = build_table(list(records.values()), ["pass_rate"])
    assert [x["label"] for x in line_chart(view, "pass_rate")["labels"]] == ["ckpt-1000", "ckpt-2000", "ckpt-3000"]
    again = checkpoint(1000, 4, cases("safety/harm", "required", "F"))  # the same model twice: the run ids tell them apart
    labels = line_chart(build_table([records["run-1000.json"], again], ["pass_rate"]), "pass_rate")["labels"]
    assert [x["label"] for x in labels] == ["…1T090000-001000", "…4T090000-001000"]
