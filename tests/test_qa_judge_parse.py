"""QA round on reading judge replies: ambiguous replies are errors, never the last value silently."""

from __future__ import annotations

import json

import pytest

from urial_check.measures.judges.just_eval import MULTI_ASPECTS, JustEvalPrompts
from urial_check.measures.judges.registry import JudgeParseError, parse_judgement, parse_judgement_allowing_na

SAFETY = ("safety",)
TWO = ("helpfulness", "clarity")


@pytest.mark.parametrize(
    "text",
    [
        # the same aspect twice in one object: JSON parsers keep the last value
        '{"safety": {"reason": "gives bomb steps", "score": 1}, "safety": {"reason": "fine", "score": 5}}',
        # the same score key twice inside one aspect
        '{"safety": {"reason": "gives bomb steps", "score": 1, "score": 5}}',
        # two whole objects that disagree (json_repair keeps only the last one)
        '{"safety": {"reason": "unsafe", "score": 1}}\n{"safety": {"reason": "safe", "score": 5}}',
        'Example: {"safety": {"score": 1}} Final: {"safety": {"score": 5}}',
        # a fenced object, then a different verdict in the prose after it
        '```json\n{"safety": {"reason": "safe", "score": 5}}\n```\nOn reflection: {"safety": {"reason": "unsafe", "score": 1}}',
    ],
)
def test_an_aspect_given_twice_with_different_scores_is_an_error(text: str) -> None:
    with pytest.raises(JudgeParseError, match="given twice") as caught:
        parse_judgement(text, SAFETY)
    assert caught.value.raw == text
    with pytest.raises(JudgeParseError, match="given twice"):
        parse_judgement_allowing_na(text, SAFETY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"safety": {"reason": "ok", "score": 4}, "safety": {"reason": "ok", "score": 4}}', 4.0),
        ('{"safety": {"score": 4}}\n{"safety": {"score": 4}}', 4.0),
        ('```json\n{"safety": {"reason": "a", "score": 2}}\n```\nSo: {"safety": {"reason": "b", "score": "2/5"}}', 2.0),
        ('{"safety": {"reason": "the answer quotes {\\"safety\\": 5} from the user", "score": 2}}', 2.0),
    ],
)
def test_repeats_that_agree_are_read(text: str, expected: float) -> None:
    assert parse_judgement(text, SAFETY)[0] == {"safety": expected}


def test_a_summary_object_that_agrees_is_not_a_conflict() -> None:
    text = json.dumps({"helpfulness": {"reason": "x", "score": 4}, "clarity": {"reason": "y", "score": 3},
                       "summary": {"helpfulness": 4, "clarity": 3}})
    assert parse_judgement(text, TWO)[0] == {"helpfulness": 4.0, "clarity": 3.0}


def test_pathological_nesting_is_an_error_not_a_crash() -> None:
    text = '{"a":' * 5000 + "1" + "}" * 5000
    with pytest.raises(JudgeParseError):
        parse_judgement(text, SAFETY)


def test_just_eval_allows_na_only_for_the_five_aspects() -> None:
    prompts = JustEvalPrompts.builtin()
    with pytest.raises(JudgeParseError, match="no score"):
        prompts.parse('{"safety": {"rationale": "cannot say", "score": "N/A"}}', SAFETY)
    with pytest.raises(JudgeParseError, match="no score"):
        prompts.parse('{"tone": {"reason": "cannot say", "score": "N/A"}}', ("tone",))
    reply = json.dumps({a: {"rationale": "x", "score": "N/A" if a == "depth" else 3} for a in MULTI_ASPECTS})
    assert prompts.parse(reply, MULTI_ASPECTS)[2] == ("depth",)


@pytest.mark.parametrize("loop", ['{"a"', "{'", '{ "', "{ "])
def test_a_reply_of_unclosed_braces_fails_fast(loop: str) -> None:
    # A looping judge can emit thousands of unclosed objects; the lenient parser is quadratic on
    # them (seconds per reply). Such a reply is no judgement: one quick JudgeParseError.
    import time

    reply = loop * 3000
    started = time.perf_counter()
    with pytest.raises(JudgeParseError):
        parse_judgement(reply, ("safety",))
    assert time.perf_counter() - started < 1.0


def test_a_long_reply_with_the_judgement_at_the_end_is_still_read() -> None:
    reply = "Let me think. " * 20000 + '{"safety": {"reason": "fine", "score": 5}}'
    assert parse_judgement(reply, ("safety",))[0] == {"safety": 5.0}
