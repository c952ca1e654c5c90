"""The HTML report: chart layout, page content, escaping, self-containment, and a real headless browser."""

from __future__ import annotations

import dataclasses
import random
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from test_run_record import make_case, make_record
from urial_check.records.records import CaseRecord, GateResult, RunRecord, Selection
from urial_check.records.baseline import compare_runs
from urial_check.reports.html import histogram, rate_chart, render_html_report, shift_chart, suite_figures, write_html_report

EVIL = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"


def harm_cases(refusing: int, *, seed: int, unshifted: float) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for i in range(30):
        refused = i < refusing
        out.append(make_case(
            "safety/harm", f"h{i:02d}", refused=refused, answer=None if refused else f"Sure.\n{EVIL}\nstep {i}",
            scores={"helpfulness": rnd.choice([1, 2, 2, 3]), "safety": 5 if refused else rnd.choice([1, 2])},
            shift={"zero_shot": {"positions": 20, "unshifted": unshifted, "marginal": (1 - unshifted) / 2,
                                 "shifted": (1 - unshifted) / 2, "mean_kl": 1 - unshifted}},
        ))
    return out


def benign_cases(refusing: int) -> list[dict[str, Any]]:
    cases = [make_case("safety/benign", f"b{i:02d}", expect="forbidden", refused=i < refusing,
                       scores={"helpfulness": 4 if i >= refusing else 1, "safety": 5}) for i in range(12)]
    del cases[-1]["judge"]
    cases[-1]["judge_error"] = "judge returned no JSON"
    return cases


@pytest.fixture
def base() -> RunRecord:
    return make_record(harm_cases(27, seed=1, unshifted=0.85) + benign_cases(0), run_id="base-run", model="ckpt-n")


@pytest.fixture
def cand() -> RunRecord:
    return make_record(harm_cases(18, seed=2, unshifted=0.7) + benign_cases(2), run_id="cand-run", model="ckpt-n1")


class Dom(HTMLParser):
    """Elements as (tag, attributes) plus the page's visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, cls: str | None = None, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and (cls is None or cls in a.get("class", "").split())
                and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


# --------------------------------------------------------------------------- chart layout


def test_histogram_shares_and_bins() -> None:
    h = histogram("helpfulness", [1, 1.4, 1.5, 2, 4.49, 5], [3, 3], mean_now=2.5, mean_base=3)
    now = [b for b in h["bars"] if b["series"] == "now"]
    assert [b["share"] for b in now] == pytest.approx([2 / 6, 2 / 6, 0, 1 / 6, 1 / 6])
    assert [b["share"] for b in h["bars"] if b["series"] == "baseline"] == [0, 0, 1, 0, 0]
    tallest = max(h["bars"], key=lambda b: b["h"])
    assert tallest["series"] == "baseline" and tallest["h"] == pytest.approx(h["bottom"] - h["top"])
    assert h["mean_now"] == 2.5 and h["mean_base"] == 3
    assert not [b for b in histogram("x", [2], None)["bars"] if b["series"] == "baseline"]


def test_rate_chart_bars_are_proportional() -> None:
    c = rate_chart([("a · refusal", "refusal_rate", 0.5, 0.9, 30), ("b · over-refusal", "over_refusal_rate", 0.1, None, 10)])
    first, second = c["bars"]
    assert first.width_now == pytest.approx(c["track_w"] * 0.5) and first.width_base == pytest.approx(c["track_w"] * 0.9)
    assert second.width_base is None and second.y > first.y
    assert c["left"] >= len("b · over-refusal") * 6


def test_shift_chart_stacks_to_the_track() -> None:
    c = shift_chart([("s", {"unshifted": 0.6, "marginal": 0.3, "shifted": 0.1, "mean_kl": 0.2})])
    parts = c["rows"][0]["parts"]
    assert [p["category"] for p in parts] == ["unshifted", "marginal", "shifted"]
    assert sum(p["w"] for p in parts) == pytest.approx(c["track_w"])
    assert parts[1]["x"] == pytest.approx(parts[0]["x"] + parts[0]["w"])


def test_suite_figures_pool_token_shift_by_positions() -> None:
    cases = [make_case("s", "a", shift={"zero_shot": {"positions": 30, "unshifted": 1.0, "marginal": 0, "shifted": 0, "mean_kl": 0}}),
             make_case("s", "b", shift={"zero_shot": {"positions": 10, "unshifted": 0.0, "marginal": 0, "shifted": 1, "mean_kl": 2}})]
    shift = suite_figures([CaseRecord.from_json(c) for c in cases]).shift
    assert shift is not None
    assert shift.unshifted == pytest.approx(0.75) and shift.mean_kl == pytest.approx(0.5) and shift.positions == 40


# --------------------------------------------------------------------------- page content


def test_report_without_baseline(cand: RunRecord) -> None:
    html = render_html_report(cand)
    dom = Dom(html)
    assert len(dom.find("tr", data_suite="safety/harm")) == 1
    assert len(dom.find("details", "case")) == 42
    assert len(dom.find("details", "case", data_outcome="failed")) == 12 + 2
    assert not dom.find("div", "verdict") and not dom.find("table", "comparison")
    assert dom.find("svg", "rate-chart") and dom.find("svg", "shift-chart")
    assert not dom.find("rect", "baseline")
    assert {h["data-aspect"] for h in dom.find("svg", "histogram")} == {"helpfulness", "safety"}


def test_report_against_baseline(base: RunRecord, cand: RunRecord) -> None:
    comparison = compare_runs(base, cand)
    html = render_html_report(cand, baseline=base)
    dom = Dom(html)
    assert dom.find("div", "verdict", data_verdict="regression")
    rows = {r["data-metric"]: r["data-status"] for r in dom.find("tr") if "data-metric" in r}
    harm = comparison.suite("safety/harm")
    assert harm is not None
    for row in harm.metrics:
        assert row.metric in rows
    assert rows["refusal_rate"] == "regressed"
    flips = dom.find("table", "flips")
    assert flips and len([r for r in dom.find("tr") if r.get("data-case", "").startswith("h")]) == 9
    # Rate bars: this run and the baseline, from the paired comparison.
    assert len(dom.find("rect", "now")) >= 2 and dom.find("rect", "baseline") and dom.find("line", "marker")
    assert "Baseline answer (passed, full refusal)" in html
    assert len(dom.find("div", "baseline-answer")) == 9 + 2  # the harm and benign cases whose answers changed
    assert len(dom.find("svg", "histogram")) == 4


def test_every_case_detail_is_there(cand: RunRecord) -> None:
    html = render_html_report(cand)
    text = " ".join(Dom(html).text)
    assert "helpfulness looks like" in text and "Judge error: judge returned no JSON" in text
    assert "expected refusal, model complied" in text
    assert "I won't" in text  # refusal evidence
    assert "Question h05?" in text
    assert len(Dom(html).find("table", "shift")) == 30


def test_answers_are_escaped_and_the_page_is_self_contained(cand: RunRecord) -> None:
    html = render_html_report(cand)
    assert "<script" not in html and "<img" not in html and "<link" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "@import" not in html and "url(" not in html
    for _, attrs in Dom(html).elements:
        assert "src" not in attrs and attrs.get("href", "#").startswith("#")


def test_write_html_report(cand: RunRecord, tmp_path: Path) -> None:
    path = write_html_report(tmp_path / "sub" / "r.html", cand, title="T & <U>")
    assert "<title>T &amp; &lt;U&gt;</title>" in path.read_text(encoding="utf-8")


def test_records_without_measurements_render() -> None:
    record = make_record([make_case("plain", "p1", expect="any", answer="")])
    dom = Dom(render_html_report(record))
    assert not dom.find("svg", "histogram") and not dom.find("svg", "shift-chart") and not dom.find("svg", "rate-chart")
    assert "<empty answer>" in " ".join(dom.text)


# --------------------------------------------------------------------------- a real browser (Debian chromium, headless)

def test_report_in_headless_chromium(base: RunRecord, cand: RunRecord, tmp_path: Path, chromium: Any) -> None:
    html = render_html_report(cand, baseline=base)
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    dom = Dom(chromium("--dump-dom", page.as_uri()))
    assert len(dom.find("table", "suite-summary")) == 1
    assert len(dom.find("table", "comparison")) == 2
    assert len(dom.find("svg", "rate-chart")) == 1 and len(dom.find("svg", "shift-chart")) == 1
    assert len(dom.find("svg", "histogram")) == 4
    assert len(dom.find("details", "case")) == 42

    # A test-only copy with a probe script reports what the browser laid out.
    probe = """<script>
      const box = s => { const b = document.querySelector(s).getBBox(); return [b.width, b.height]; };
      const bars = [...document.querySelectorAll('svg.rate-chart rect.bar')].map(r => [r.classList[1], r.dataset.metric, r.getBBox().width]);
      const verdict = getComputedStyle(document.querySelector('.verdict')).backgroundColor;
      document.body.setAttribute('data-probe', JSON.stringify({bars, verdict, hist: box('svg.histogram rect.now'),
        shift: box('svg.shift-chart rect.unshifted')}));
    </script></body>"""
    result = chromium.probe(html, probe)
    by_bar = {(kind, metric): width for kind, metric, width in result["bars"]}
    track = 360
    assert by_bar[("baseline", "refusal_rate")] == pytest.approx(track * 27 / 30, abs=0.2)
    assert by_bar[("now", "refusal_rate")] == pytest.approx(track * 18 / 30, abs=0.2)
    assert by_bar[("now", "over_refusal_rate")] == pytest.approx(track * 2 / 12, abs=0.2)
    assert result["verdict"] == "rgb(251, 227, 227)"
    assert result["hist"][1] > 5 and result["shift"][0] == pytest.approx(track * 0.7, abs=0.2)

    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rule_families_per_suite() -> None:
    from urial_check.measures.refusal import RULE_FAMILIES

    cases = harm_cases(18, seed=2, unshifted=0.7) + benign_cases(2)
    for case in cases:
        if case["suite"] == "safety/harm":
            case["refusal"]["rule"] = "referral" if case["id"] in ("h00", "h01") else (
                "decline" if case["refusal"]["refused"] else "answered")
    dom = Dom(render_html_report(make_record(cases)))
    rows = {(r["data-rule-suite"], r["data-rule"]): int(r["data-verdicts"]) for r in dom.find("tr", "rule-family")}
    assert rows == {("safety/harm", "decline"): 16, ("safety/harm", "answered"): 12, ("safety/harm", "referral"): 2,
                    ("safety/benign", "unspecified"): 12}
    text = " ".join(dom.text)
    assert "Refusal verdicts by rule family" in text
    for rule in ("decline", "answered", "referral", "unspecified"):
        assert RULE_FAMILIES[rule] in text
    assert "16 of 30" in text and "2 full_refusal" in text


# --------------------------------------------------------------------------- gates, headline verdict, answer diffs


def with_gates(record: RunRecord, *gates: tuple[str, bool]) -> RunRecord:
    return dataclasses.replace(record, gates=tuple(GateResult.from_json(
        {"kind": "gate", "suite": suite, "cases": 30, "passed": passed,
         "rows": [{"metric": "refusal_rate", "value": 0.6 if not passed else 0.95, "threshold": ">= 0.9", "passed": passed, "n": 30},
                  {"metric": "mean.helpfulness", "value": None, "threshold": ">= 3", "passed": True, "n": 0}]})
        for suite, passed in gates
    ))


def test_suite_gates_are_shown(cand: RunRecord) -> None:
    dom = Dom(render_html_report(with_gates(cand, ("safety/harm", False), ("safety/benign", True))))
    tables = dom.find("table", "gate")
    assert [t["data-suite"] for t in tables] == ["safety/benign", "safety/harm"]
    assert [t["data-passed"] for t in tables] == ["true", "false"]
    rows = [(r["data-metric"], r["data-status"]) for r in dom.find("tr") if "data-status" in r and "data-metric" in r]
    assert ("refusal_rate", "failed") in rows and ("refusal_rate", "passed") in rows and ("mean.helpfulness", "passed") in rows
    text = " ".join(dom.text)
    assert ">= 0.9" in text and "60.0%" in text and "n/a" in text


@pytest.mark.parametrize(
    ("failing", "gates", "verdict", "words"),
    [
        (0, [("safety/harm", True)], "pass", ["PASSED", "all 12 cases", "1 gate"]),
        (2, [("safety/harm", True)], "fail", ["FAILED", "2 of 12 cases failed"]),
        (0, [("safety/harm", False), ("safety/benign", True)], "fail", ["FAILED", "1 of 2 gates failed"]),
        (0, [], "pass", ["PASSED", "all 12 cases"]),
    ],
)
def test_headline_verdict(failing: int, gates: list[tuple[str, bool]], verdict: str, words: list[str]) -> None:
    record = with_gates(make_record(benign_cases(failing)), *gates)
    dom = Dom(render_html_report(record))
    headline = dom.find("div", "headline")
    assert len(headline) == 1 and headline[0]["data-verdict"] == verdict
    html = render_html_report(record)
    block = html[html.index('class="headline'):]
    block = block[:block.index("</div>")]
    for word in words:
        assert word in block, block


def test_headline_counts_a_baseline_regression(base: RunRecord) -> None:
    passing = make_record([dict(c, outcome="passed", checks=[{"name": "refusal", "passed": True, "asserted": False, "message": ""}])
                           for c in harm_cases(18, seed=2, unshifted=0.7)], run_id="c")
    dom = Dom(render_html_report(passing, baseline=base))
    assert dom.find("div", "headline")[0]["data-verdict"] == "fail"
    assert "regressed against the baseline" in " ".join(dom.text)


def test_flipped_answers_show_a_word_level_diff() -> None:
    same_start = "Sure, here is a detailed overview of the topic you asked about, step by step, with all the details:"
    base = make_record([make_case("s", "x", refused=True, answer=same_start + " first, I will not explain how to do that.")],
                       run_id="b")
    cand = make_record([make_case("s", "x", refused=False, answer=same_start + " first, buy the parts and assemble them.")],
                       run_id="c")
    html = render_html_report(cand, baseline=base)
    row = html[html.index('<tr data-case="x">'):]
    row = row[:row.index("</tr>")]
    assert "<del>I will not explain how to do that.</del>" in row or "<del>I will not explain how to do" in row, row
    assert "<ins>buy the parts and assemble them.</ins>" in row or "<ins>buy the parts and assemble" in row, row
    assert row.count("first,") == 2  # shared words are shown in both columns, not cut away


def test_headline_gates_and_diff_in_headless_chromium(base: RunRecord, cand: RunRecord, chromium: Any) -> None:
    html = render_html_report(with_gates(cand, ("safety/harm", False)), baseline=base)
    probe = """<script>
      const head = document.querySelector('#headline');
      const gate = document.querySelector('table.gate');
      const flip = document.querySelector('table.flips td.diff');
      document.body.setAttribute('data-probe', JSON.stringify({
        headline: head.textContent.trim(), headlineColour: getComputedStyle(head).backgroundColor,
        headlineTop: head.getBoundingClientRect().top, gateRows: gate.querySelectorAll('tr[data-metric]').length,
        failedRow: getComputedStyle(gate.querySelector('tr.failed td')).backgroundColor,
        del: document.querySelectorAll('table.flips del').length, ins: document.querySelectorAll('table.flips ins').length,
        insDecoration: getComputedStyle(document.querySelector('table.flips ins')).textDecorationLine,
        delDecoration: getComputedStyle(document.querySelector('table.flips del')).textDecorationLine,
        flipVisible: flip.getBoundingClientRect().height > 0}));
    </script></body>"""
    result = chromium.probe(html, probe)
    assert result["headline"].startswith("FAILED: 14 of 42 cases failed; 1 of 1 gate failed;")
    assert result["headlineColour"] == "rgb(251, 227, 227)" and result["headlineTop"] < 200  # near the top of the page
    assert result["gateRows"] == 2 and result["failedRow"] == "rgb(251, 227, 227)"
    assert result["ins"] >= 9 and result["del"] >= 9  # every flipped case shows what changed
    assert result["insDecoration"] == "none" and result["delDecoration"] == "line-through"
    assert result["flipVisible"]


# --------------------------------------------------------------------------- interrupted and subset runs


def with_status(record: RunRecord, status: str, reason: str | None, selection: Selection) -> RunRecord:
    return dataclasses.replace(record, status=status, status_reason=reason, selection=selection)


def headline_of(html: str) -> tuple[str, str]:
    dom = Dom(html)
    (head,) = dom.find("div", "headline")
    block = html[html.index('class="headline'):]
    return head["data-verdict"], unescape(block[block.index(">") + 1:block.index("</div>")])


@pytest.mark.parametrize(
    ("status", "reason", "selection", "failing", "verdict", "words"),
    [
        # interrupted after 36 of 60 selected cases, every finished case passed: not PASSED
        ("interrupted", "interrupted (Ctrl-C or a plugin)", Selection(None, None, 60, 0, 12, False), 0, "incomplete",
         ["INCOMPLETE", "interrupted after 12 of 60 selected cases", "Ctrl-C or a plugin", "all 12 cases passed"]),
        # interrupted before any case finished
        ("interrupted", "stopping after 1 failures", Selection(None, None, 68, 0, 0, False), None, "incomplete",
         ["INCOMPLETE", "interrupted after 0 of 68 selected cases", "stopping after 1 failures", "no case finished"]),
        # interrupted with failures: FAILED, and still says it was interrupted
        ("interrupted", None, Selection(None, None, 20, 0, 12, False), 2, "fail",
         ["FAILED", "interrupted after 12 of 20 selected cases", "no reason recorded", "2 of 12 cases failed"]),
        # a -k subset that passed: PASSED, but says it covers 12 of 40 cases
        ("complete", None, Selection("bomb or poison", None, 12, 28, 12, False), 0, "pass",
         ["PASSED", "subset", "-k 'bomb or poison': 12 of 40 cases", "all 12 cases passed"]),
        # a subset that selected no case: nothing passed, so not PASSED
        ("complete", None, Selection("nomatch", None, 0, 40, 0, False), None, "incomplete",
         ["INCOMPLETE", "0 of 40 cases", "no case ran"]),
        # a complete run says nothing of either
        ("complete", None, Selection(None, None, 12, 0, 12, True), 0, "pass", ["PASSED: all 12 cases passed."]),
    ],
)
def test_headline_of_interrupted_and_subset_runs(status: str, reason: str | None, selection: Selection, failing: int | None,
                                                 verdict: str, words: list[str]) -> None:
    record = with_status(make_record(benign_cases(failing or 0) if failing is not None else []), status, reason, selection)
    shown, text = headline_of(render_html_report(record))
    assert shown == verdict, text
    for word in words:
        assert word in text, text
    if status == "complete" and selection.complete:
        assert "interrupted" not in text and "subset" not in text


def test_page_notes_why_an_interrupted_or_subset_record_is_partial() -> None:
    record = with_status(make_record(benign_cases(0)), "interrupted", "interrupted (Ctrl-C or a plugin)",
                         Selection(None, None, 60, 0, 12, False))
    dom = Dom(render_html_report(record))
    (note,) = dom.find("p", "note", id="coverage")
    text = " ".join(dom.text)
    assert "interrupted run (interrupted (Ctrl-C or a plugin)); it holds 12 of 60 selected cases" in text
    subset = with_status(make_record(benign_cases(0)), "complete", None, Selection(None, "slow", 12, 3, 12, False))
    assert "covers a subset (-m 'slow': 12 of 15 cases)" in " ".join(Dom(render_html_report(subset)).text)
    assert not Dom(render_html_report(make_record(benign_cases(0)))).find("p", "note", id="coverage")


def test_a_lone_surrogate_in_an_answer_still_writes_the_page(tmp_path: Path) -> None:
    run = make_record([make_case("s", "c1", answer="ok \ud800 end")], run_id="r1")
    page = write_html_report(tmp_path / "report.html", run)
    assert "ok ? end" in page.read_text(encoding="utf-8")
