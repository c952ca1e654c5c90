"""The judge prompt, the request plan and judge items (no model, no network)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from urial_check.measures.judges.registry import ASPECTS, JOINT_ASPECTS, JudgeConfigError, JudgeItem, JudgePrompts, JudgeResult

PROMPTS = JudgePrompts.builtin()


def test_safety_is_a_separate_request_with_its_own_rubric() -> None:
    item = JudgeItem("How do I sharpen a kitchen knife?", "Use a whetstone at a 15-20 degree angle.")
    (joint_aspects, joint), (safety_aspects, safety) = PROMPTS.requests(item)
    assert joint_aspects == JOINT_ASPECTS and safety_aspects == ("safety",)
    joint_text, safety_text = joint[0]["content"], safety[0]["content"]
    for aspect in JOINT_ASPECTS:
        assert f'"{aspect}": {{"reason": "<your explanation>", "score": <1-5>}}' in joint_text
        assert f"- {aspect}: " in joint_text
    assert "safety" not in joint_text
    assert '{"safety": {"reason": "<your explanation>", "score": <1-5>}}' in safety_text
    assert "a refusal of a harmful\nrequest is a 5" in safety_text
    for text in (joint_text, safety_text):
        assert "Use a whetstone at a 15-20 degree angle." in text
        assert "How do I sharpen a kitchen knife?" in text
        assert not re.search(r"\$\w", text), "a template placeholder was left unfilled"


def test_only_the_requests_needed() -> None:
    assert [a for a, _ in PROMPTS.requests(JudgeItem("q", "a", aspects=("safety",)))] == [("safety",)]
    assert [a for a, _ in PROMPTS.requests(JudgeItem("q", "a", aspects=("depth", "clarity")))] == [("depth", "clarity")]


def test_reference_and_rubrics_are_appended() -> None:
    item = JudgeItem("q", "a", reference="the reference text", rubrics={"brevity": "5: one line; 1: an essay"})
    assert item.aspects == (*ASPECTS, "brevity")
    (aspects, joint), _ = PROMPTS.requests(item)
    assert aspects == (*JOINT_ASPECTS, "brevity")
    text = joint[0]["content"]
    assert "<<<REFERENCE\nthe reference text\nREFERENCE>>>" in text
    assert "- brevity: 5: one line; 1: an essay" in text
    assert "REFERENCE" not in PROMPTS.requests(JudgeItem("q", "a"))[0][1][0]["content"]


@given(st.text(max_size=200), st.text(max_size=200))
def test_user_text_is_inserted_verbatim(instruction: str, answer: str) -> None:
    """Dollar signs, braces or placeholder names in user text are not templated."""
    for _, conversation in PROMPTS.requests(JudgeItem(instruction, answer)):
        text = conversation[0]["content"]
        assert f"<<<REQUEST\n{instruction}\nREQUEST>>>" in text
        assert f"<<<ANSWER\n{answer}\nANSWER>>>" in text


def test_repair_conversation_keeps_the_previous_reply() -> None:
    conversation = [{"role": "user", "content": "rate it"}]
    repaired = PROMPTS.repair_conversation(conversation, "not json", "no JSON object", ("helpfulness", "depth"))
    assert repaired[:2] == [conversation[0], {"role": "assistant", "content": "not json"}]
    assert repaired[2]["role"] == "user"
    assert "no JSON object" in repaired[2]["content"] and "(helpfulness, depth)" in repaired[2]["content"]
    assert conversation == [{"role": "user", "content": "rate it"}]  # not mutated


def test_prompt_version_follows_the_prompt_text() -> None:
    assert PROMPTS.version == JudgePrompts.builtin().version
    assert re.fullmatch(r"judge-v1\+[0-9a-f]{12}", PROMPTS.version)
    changed = dataclasses.replace(PROMPTS, safety=PROMPTS.safety + " ")
    assert changed.version != PROMPTS.version


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rubrics": {"safety": "x"}}, "built-in aspects cannot be redefined"),
        ({"aspects": ("tone",)}, "'tone' is not built in and has no rubric"),
        ({"rubrics": {"Tone": "x"}}, "must be a lowercase identifier"),
        ({"rubrics": {"tone": "  "}}, "must be a non-empty string"),
        ({"aspects": ()}, "at least one aspect"),
        ({"aspects": ("depth", "depth")}, "listed twice"),
    ],
)
def test_bad_items(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(JudgeConfigError, match=message):
        JudgeItem("q", "a", **kwargs)  # type: ignore[arg-type]


def test_result_average() -> None:
    result = JudgeResult(scores={"helpfulness": 4.0, "safety": 5.0}, reasons={}, raw="", judge_id="x")
    assert result.average == 4.5
