from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import torch

from urial_check.reports.shift_html import ShiftEntry, _nice_max, kl_chart, render_shift_html, suite_shifts, token_label
from urial_check.measures.token_shift import Alternative, CaseShift, shift_metrics, top_alternatives

VOCAB = ["Hello", "!", " I", " can", " help", "\n", "<b>bold</b>", ' "quoted" & co', "", " Remember", " the", " a"]


def make_case(context: str, token_ids: list[int], ranks: list[int], instruction: str = "Say hi.") -> CaseShift:
    """A CaseShift whose base ranks are exactly ``ranks``, built through the real metric functions."""
    v = len(VOCAB)
    base = torch.full((len(token_ids), v), -2.0)
    aligned = torch.zeros(len(token_ids), v)
    for t, (target, rank) in enumerate(zip(token_ids, ranks)):
        base[t, target] = 0.0
        others = [i for i in range(v) if i != target][: rank - 1]
        base[t, others] = 1.0 + torch.arange(len(others), dtype=torch.float32) / 10
        aligned[t, target] = 3.0
    metrics = shift_metrics(base, aligned, torch.tensor(token_ids))
    assert metrics.ranks == ranks
    alt_ids, alt_probs = top_alternatives(base, 3)
    return CaseShift(
        context=context,
        instruction=instruction,
        answer="".join(VOCAB[i] for i in token_ids),
        token_ids=token_ids,
        tokens=[VOCAB[i] for i in token_ids],
        metrics=metrics,
        alternatives=[[Alternative(VOCAB[i], i, p) for i, p in zip(ids, probs)] for ids, probs in zip(alt_ids, alt_probs)],
    )


@pytest.fixture
def entries() -> list[ShiftEntry]:
    ids_a = [0, 1, 2, 3, 4, 5, 9, 10, 6]
    ids_b = [7, 8, 11, 0]
    return [
        ShiftEntry("safety", "greeting", {"zero_shot": make_case("zero_shot", ids_a, [5, 1, 2, 1, 1, 1, 8, 3, 4]),
                                          "urial": make_case("urial", ids_a, [1, 1, 1, 1, 1, 1, 4, 2, 1])}),
        ShiftEntry("safety", "quotes <&>", {"zero_shot": make_case("zero_shot", ids_b, [1, 6, 1, 2], "Quote <this> & that"),
                                            "urial": make_case("urial", ids_b, [1, 1, 1, 1], "Quote <this> & that")}),
        ShiftEntry("helpful", "short", {"zero_shot": make_case("zero_shot", [0], [1]),
                                        "urial": make_case("urial", [0], [7])}),
    ]


class Spans(HTMLParser):
    """Collects the token spans (class, rank, title, text) and tag names of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[dict[str, Any]] = []
        self.tags: set[str] = set()
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        a = dict(attrs)
        if tag == "span" and (a.get("class") or "").startswith("tok ") and "data-rank" in a:
            self._open = {"class": a["class"], "rank": int(a["data-rank"] or 0), "title": a.get("title"), "text": ""}

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._open is not None:
            self.tokens.append(self._open)
            self._open = None


def parse(html: str) -> Spans:
    parser = Spans()
    parser.feed(html)
    return parser


def test_tokens_are_coloured_by_category_with_details_in_the_tooltip(entries: list[ShiftEntry]) -> None:
    page = parse(render_shift_html(entries))
    expected = [(f"tok {c}", case.metrics.ranks[t], token_label(case.tokens[t]))
                for e in entries for case in e.shifts.values() for t, c in enumerate(case.metrics.categories)]
    assert [(s["class"], s["rank"], s["text"]) for s in page.tokens] == expected
    first = page.tokens[0]["title"]
    assert "η = 5 (shifted)" in first and 'base top: " help" 0.' in first
    quoted = next(s for s in page.tokens if s["text"] == ' "quoted" & co')
    assert '" \\"quoted\\" & co"' in quoted["title"]  # the tooltip shows the raw token text, JSON-quoted
    assert next(s for s in page.tokens if s["text"] == "↵\n")["class"] == "tok unshifted"
    assert any(s["text"] == "∅" for s in page.tokens)


def test_page_escapes_text_and_is_self_contained(entries: list[ShiftEntry]) -> None:
    html = render_shift_html(entries, title="Shift <report> & co")
    assert "<title>Shift &lt;report&gt; &amp; co</title>" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "Quote &lt;this&gt; &amp; that" in html and "quotes &lt;&amp;&gt;" in html
    page = parse(html)
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not re.search(r"(src|href)\s*=|@import|url\(|@font-face", html)
    # The only URL is the SVG namespace name, which browsers never fetch.
    assert re.findall(r"https?://[^\s\"']+", html) == ["http://www.w3.org/2000/svg"] * 2


def test_suite_section_has_ratios_chart_and_most_shifted_tokens(entries: list[ShiftEntry]) -> None:
    html = render_shift_html(entries)
    summaries = suite_shifts(entries)
    assert list(summaries) == ["safety", "helpful"]
    safety = summaries["safety"]["zero_shot"]
    assert (safety.cases, safety.positions) == (2, 13)
    row = re.search(r'<section class="suite" data-suite="safety">.*?<tr data-context="zero_shot">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    assert cells[:7] == ["zero_shot", "2", "13", f"{100 * 6 / 13:.1f}%", f"{100 * 3 / 13:.1f}%", f"{100 * 4 / 13:.1f}%",
                         f"{safety.mean_kl:.4g}"]
    assert html.count("<polyline") == 2 and html.count("<circle") == 2  # helpful answers are one token long
    assert "<code class=\"t\">Hello</code> ×1" in html and "<code class=\"t\">∅</code> ×1" in html
    assert "shifted at 0&nbsp;<code class=\"t\">Hello</code>, 6&nbsp;<code class=\"t\"> Remember</code>" in html
    assert safety.top_shifted == [("", 1), (" Remember", 1), ("<b>bold</b>", 1), ("Hello", 1)]


def test_empty_run_renders() -> None:
    html = render_shift_html([])
    assert "No results." in html and "<svg" not in html


def test_kl_chart_geometry() -> None:
    chart = kl_chart({"zero_shot": [0.0, 0.3, 0.1], "urial": [0.05]}, width=400, height=200)
    assert chart["y_ticks"][-1]["label"] == "0.5" and chart["y_ticks"][0]["label"] == "0"
    points = [tuple(map(float, p.split(","))) for p in chart["lines"][0]["points"].split()]
    assert points[0][0] == chart["left"] and points[-1][0] == pytest.approx(chart["right"])
    assert points[0][1] == chart["bottom"]  # KL 0 sits on the x axis
    assert points[1][1] == pytest.approx(chart["bottom"] - chart["plot_h"] * 0.3 / 0.5)
    assert chart["lines"][1]["single"] and not chart["empty"]
    assert kl_chart({"zero_shot": []})["empty"]
    assert [t["label"] for t in kl_chart({"a": [0.1] * 40})["x_ticks"]] == [str(t) for t in range(0, 40, 5)]


@pytest.mark.parametrize(("value", "expected"), [(0.0, 1.0), (0.3, 0.5), (0.5, 0.5), (1.2, 2.0), (7.0, 10.0),
                                                 (0.0012, 0.002), (30.0, 50.0), (float("inf"), 1.0)])
def test_nice_axis_maximum(value: float, expected: float) -> None:
    assert _nice_max(value) == pytest.approx(expected)


# --------------------------------------------------------------------------------------------
# A real browser: Debian's chromium, headless (apt-get install -y chromium).

def test_page_renders_in_headless_chromium(entries: list[ShiftEntry], tmp_path: Path, chromium: Any) -> None:
    html = render_shift_html(entries, title="Shift check")
    page = tmp_path / "shift.html"
    page.write_text(html, encoding="utf-8")
    dom = parse(chromium("--dump-dom", page.as_uri()))
    assert [(s["class"], s["text"]) for s in dom.tokens] == [(s["class"], s["text"]) for s in parse(html).tokens]
    assert {s["class"] for s in dom.tokens} == {"tok unshifted", "tok marginal", "tok shifted"}
    assert {"svg", "polyline", "table"} <= dom.tags

    # A test-only copy with a probe script reports what the browser actually painted.
    probe = """<script>
      const colours = {};
      for (const el of document.querySelectorAll('.answer .tok')) colours[el.className] = getComputedStyle(el).backgroundColor;
      const box = document.querySelector('polyline.series').getBBox();
      document.body.setAttribute('data-probe', JSON.stringify({colours, chart: [box.width, box.height]}));
    </script></body>"""
    result = chromium.probe(html, probe)
    assert result["colours"] == {"tok unshifted": "rgb(223, 240, 223)", "tok marginal": "rgb(255, 224, 138)",
                                 "tok shifted": "rgb(243, 160, 160)"}
    assert result["chart"][0] > 100 and result["chart"][1] > 10

    shot = tmp_path / "shift.png"
    chromium(f"--screenshot={shot}", "--window-size=1100,1400", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
