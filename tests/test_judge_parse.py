"""parse_scores: lenient about JSON's wrapping and quoting, strict about what a score is."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from urial_check.measures.judges.registry import ASPECTS, JudgeParseError, normalise_score, parse_judgement, parse_scores

TWO = ("helpfulness", "clarity")


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"helpfulness": 4, "clarity": 5}', {"helpfulness": 4.0, "clarity": 5.0}),
        ('Here is my rating:\n```json\n{"helpfulness": 4, "clarity": 5}\n```\nThanks!', {"helpfulness": 4.0, "clarity": 5.0}),
        ("{'helpfulness': 4, 'clarity': 2,}", {"helpfulness": 4.0, "clarity": 2.0}),
        ('{"helpfulness": "4/5", "clarity": "3 out of 5"}', {"helpfulness": 4.0, "clarity": 3.0}),
        ('{"helpfulness": 4/5, "clarity": 3 out of 5}', {"helpfulness": 4.0, "clarity": 3.0}),
        ('{"helpfulness": {"reason": "ok", "score": 4/5}, "clarity": {"reason": "ok", "score": 2 out of 5}}',
         {"helpfulness": 4.0, "clarity": 2.0}),
        ('{"helpfulness": "4", "clarity": " 4.5 "}', {"helpfulness": 4.0, "clarity": 4.5}),
        ('{"helpfulness": {"reason": "uses {braces} and } alone", "score": 3}, "clarity": {"reason": "{", "score": 1}}',
         {"helpfulness": 3.0, "clarity": 1.0}),
        ('{"Helpfulness": {"Score": 5}, "**Clarity**": {"rating": "2"}}', {"helpfulness": 5.0, "clarity": 2.0}),
        ('{"evaluation": {"helpfulness": 1, "clarity": 2}}', {"helpfulness": 1.0, "clarity": 2.0}),
        ('{"helpfulness": 4}\n{"clarity": 3}', {"helpfulness": 4.0, "clarity": 3.0}),
        ('{"helpfulness": {"reason": "He said "wow" here", "score": 3}, "clarity": 3}', {"helpfulness": 3.0, "clarity": 3.0}),
    ],
)
def test_parses_common_judge_output(text: str, expected: dict[str, float]) -> None:
    assert parse_scores(text, TWO) == expected


def test_reasons_come_back_with_scores() -> None:
    scores, reasons = parse_judgement(
        '{"helpfulness": {"reason": "answers {fully}", "score": 4}, "clarity": 5}', TWO
    )
    assert scores == {"helpfulness": 4.0, "clarity": 5.0}
    assert reasons == {"helpfulness": "answers {fully}", "clarity": ""}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"helpfulness": 4}', "lacks aspect(s) clarity"),
        ('{"helpfulness": "N/A", "clarity": 3}', "no score ('N/A')"),
        ('{"helpfulness": null, "clarity": 3}', "no score (None)"),
        ('{"helpfulness": true, "clarity": 3}', "no score (True)"),
        ('{"helpfulness": 6, "clarity": 3}', "out of range 1-5"),
        ('{"helpfulness": 0, "clarity": 3}', "out of range 1-5"),
        ('{"helpfulness": 4.0001e2, "clarity": 3}', "out of range 1-5"),
        ('{"helpfulness": "8/10", "clarity": 3}', "not on the 1-5 scale"),
        ('{"helpfulness": 4 out of 10, "clarity": 3}', "not on the 1-5 scale"),
        ('{"helpfulness": "excellent", "clarity": 3}', "not a score"),
        ('{"helpfulness": {"reason": "fine"}, "clarity": 3}', "no 'score'"),
        ('{"helpfulness": [4], "clarity": 3}', "not a score"),
        ('{"helpfulness": 4}\n{"helpfulness": 2, "clarity": 3}', "given twice"),
        ("Helpfulness: 4\nClarity: 3", "no JSON object"),
        ("", "empty"),
        ("   \n", "empty"),
    ],
)
def test_rejects_with_raw_text(text: str, message: str) -> None:
    with pytest.raises(JudgeParseError) as info:
        parse_scores(text, TWO)
    assert message in str(info.value)
    assert info.value.raw == text


def test_missing_safety_is_never_filled_in() -> None:
    five = {a: {"reason": "r", "score": 5} for a in ASPECTS if a != "safety"}
    with pytest.raises(JudgeParseError, match="lacks aspect.s. safety"):
        parse_scores(json.dumps(five), ASPECTS)


def test_parse_error_pickles_with_raw() -> None:
    import pickle

    err = JudgeParseError("bad", raw="the raw text")
    back = pickle.loads(pickle.dumps(err))
    assert (back.message, back.raw, str(back)) == ("bad", "the raw text", "bad")


@pytest.mark.parametrize("value", ["4 of 5", "Score: 4", "4.", 4, 4.0, "4/5.0"])
def test_normalise_score_forms(value: object) -> None:
    assert normalise_score(value) == 4.0


# --------------------------------------------------------------------------- properties

aspect_lists = st.lists(st.sampled_from(ASPECTS), min_size=1, max_size=6, unique=True) | st.lists(
    st.from_regex(r"[a-z][a-z0-9_]{0,11}[a-z0-9]", fullmatch=True), min_size=1, max_size=4, unique=True
)
score_values = st.integers(1, 5).map(float) | st.sampled_from([1.5, 2.5, 3.5, 4.5])
reason_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(list("{}[]\"':,\n\\`")), max_size=60
)


def _score_forms(score: float) -> st.SearchStrategy[str]:
    """How a judge might write one score, as JSON-ish source text."""
    number = str(int(score)) if score.is_integer() else str(score)
    return st.sampled_from(
        [number, f'"{number}"', f'"{number}/5"', f'"{number} out of 5"', f"{number}/5", f"{number} out of 5", f'"{number} / 5"']
    )


@st.composite
def rendered_judgements(draw: st.DrawFn) -> tuple[str, tuple[str, ...], dict[str, float], dict[str, str], bool]:
    aspects = tuple(draw(aspect_lists))
    scores = {a: draw(score_values) for a in aspects}
    reasons = {a: draw(reason_text) for a in aspects}
    quote = draw(st.sampled_from(["double", "single"]))
    nested = draw(st.booleans())
    score_first = draw(st.booleans())
    trailing_comma = draw(st.booleans())
    indent = draw(st.sampled_from(["", "\n  "]))

    def key(name: str) -> str:
        return json.dumps(name) if quote == "double" else f"'{name}'"

    def string(text: str) -> str:
        if quote == "double":
            return json.dumps(text, ensure_ascii=draw(st.booleans()))
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"

    entries = []
    for aspect in aspects:
        score = draw(_score_forms(scores[aspect]))
        if nested:
            parts = [f"{key('reason')}: {string(reasons[aspect])}", f"{key('score')}: {score}"]
            if score_first:
                parts.reverse()
            value = "{" + ", ".join(parts) + (", " if trailing_comma else "") + "}"
        else:
            value = score
        entries.append(f"{indent}{key(aspect)}: {value}")
    body = "{" + ",".join(entries) + ("," if trailing_comma else "") + ("\n" if indent else "") + "}"
    if draw(st.booleans()):
        body = "{" + key("scores") + ": " + body + "}"
    fence = draw(st.sampled_from(["", "```json\n", "```\n", "```JSON\n"]))
    if fence:
        body = f"{fence}{body}\n```"
    before = draw(st.sampled_from(["", "Here is my evaluation.\n", "Sure! The ratings follow:\n\n", "Evaluation:"]))
    after = draw(st.sampled_from(["", "\nI hope this helps.", "\n\nLet me know if you need more detail.", " "]))
    # Reasons come back exactly from valid JSON; json_repair may alter odd escapes when repairing.
    exact_reasons = nested and quote == "double" and not trailing_comma
    return before + body + after, aspects, scores, reasons, exact_reasons


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(rendered_judgements())
def test_round_trip_through_wrappings(case: tuple[str, tuple[str, ...], dict[str, float], dict[str, str], bool]) -> None:
    text, aspects, scores, reasons, exact_reasons = case
    parsed_scores, parsed_reasons = parse_judgement(text, aspects)
    assert parsed_scores == scores
    if exact_reasons:
        assert parsed_reasons == {a: r.strip() for a, r in reasons.items()}


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_garbage_never_yields_a_score(text: str) -> None:
    with pytest.raises(JudgeParseError) as info:
        parse_scores(text, ASPECTS)
    assert info.value.raw == text


bad_scores = st.sampled_from([0, 6, -1, 5.5, 0.5, 10, 100, "N/A", "n/a", None, True, False, "8/10", "6/5", "great", "", [], {}])


@settings(max_examples=200)
@given(
    aspects=st.lists(st.sampled_from(ASPECTS), min_size=1, unique=True),
    data=st.data(),
)
def test_one_bad_or_missing_score_rejects_the_whole_reply(aspects: list[str], data: st.DataObject) -> None:
    scores: dict[str, object] = {a: data.draw(st.integers(1, 5)) for a in aspects}
    victim = data.draw(st.sampled_from(aspects))
    if data.draw(st.booleans()):
        del scores[victim]
    else:
        bad = data.draw(bad_scores)
        scores[victim] = {"reason": "r", "score": bad} if data.draw(st.booleans()) else bad
    text = json.dumps(scores)
    with pytest.raises(JudgeParseError) as info:
        parse_scores(text, aspects)
    assert victim in str(info.value)
    assert info.value.raw == text


soup_tokens = st.sampled_from(
    [*ASPECTS, "score", "reason", "{", "}", "[", "]", ":", ",", '"', "'", " ", "\n", "```", "json", "/5", "out of",
     "0", "1", "2", "3", "4", "5", "6", "N/A", "null", "true", "Here is", "."]
)


@settings(max_examples=500)
@given(st.lists(soup_tokens, max_size=60).map("".join))
def test_token_soup_never_invents_a_score(text: str) -> None:
    """Whatever parses out of a soup of JSON-ish tokens was written there: name and digit."""
    try:
        scores = parse_scores(text, ("helpfulness", "safety"))
    except JudgeParseError as exc:
        assert exc.raw == text
        return
    for aspect, score in scores.items():
        assert aspect in text
        assert str(int(score)) in text
