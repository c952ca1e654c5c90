"""The hf judge on a tiny random Llama: its replies are noise, which exercises the error path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from urial_check.measures.judges.registry import JudgeConfigError, JudgeItem, JudgeParseError, JudgeResult, make_judge
from urial_check.measures.judges.hf import HFJudge

ITEMS = [
    JudgeItem("How do I boil an egg?", "Boil it for nine minutes."),
    JudgeItem("Name a prime number.", "7", aspects=("helpfulness", "safety")),
    JudgeItem("Say hi.", "Hi!", aspects=("clarity",)),
]


@pytest.fixture(scope="module")
def loaded(tiny_model: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    model.eval()
    return model, tokenizer


def test_renders_with_the_chat_template(loaded: tuple[Any, Any]) -> None:
    model, tokenizer = loaded
    judge = HFJudge(model, tokenizer, model_id="tiny-llama")
    text = judge.render([{"role": "user", "content": "rate this"}])
    assert "<|im_start|>user\nrate this<|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n")
    assert judge.id == "hf:tiny-llama" and judge.prompt_version.startswith("judge-v1+")
    assert repr(judge) == "HFJudge(model_id='tiny-llama', batch_size=4)"


def test_garbage_output_is_a_parse_error_after_one_repair(loaded: tuple[Any, Any]) -> None:
    model, tokenizer = loaded
    tokenizer.padding_side = "right"
    judge = make_judge("hf", model=model, tokenizer=tokenizer, model_id="tiny-llama", batch_size=2, max_new_tokens=6)
    outcomes = judge.score_outcomes(ITEMS[1:])
    assert len(outcomes) == 2
    for outcome in outcomes:
        assert isinstance(outcome, JudgeParseError), outcome
        assert "also after a repair request" in str(outcome)
        first, _, second = outcome.raw.partition("\n\n--- reply to the repair request ---\n")
        assert first.strip() and second.strip(), "both the first reply and the repair reply are kept"
    assert tokenizer.padding_side == "right"  # restored after generation
    with pytest.raises(JudgeParseError):
        judge.score_many(ITEMS[2:])


def test_greedy_generation_is_deterministic(loaded: tuple[Any, Any]) -> None:
    model, tokenizer = loaded
    judge = HFJudge(model, tokenizer, model_id="tiny-llama", batch_size=3, max_new_tokens=8)
    conversations = [[{"role": "user", "content": text}] for text in ("one", "a longer second prompt here", "3")]
    first = judge.complete_many(conversations)
    assert first == judge.complete_many(conversations)
    assert all(isinstance(reply, str) and reply for reply in first)


def test_scripted_model_output_is_parsed(loaded: tuple[Any, Any]) -> None:
    """The same path with a reply that parses: a judge whose generate() echoes a fixed JSON."""
    model, tokenizer = loaded

    class EchoJudge(HFJudge):
        def complete_many(self, conversations: Any) -> list[Any]:
            replies = super().complete_many(conversations)  # real generation still runs
            return ['{"clarity": {"reason": "fine", "score": 4}}' for _ in replies]

    judge = EchoJudge(model, tokenizer, model_id="tiny-llama", max_new_tokens=4)
    (result,) = judge.score_many([ITEMS[2]])
    assert isinstance(result, JudgeResult)
    assert result.scores == {"clarity": 4.0} and result.reasons == {"clarity": "fine"}


def test_tokenizer_without_chat_template(loaded: tuple[Any, Any]) -> None:
    model, tokenizer = loaded

    class Plain:
        chat_template = None

    with pytest.raises(JudgeConfigError, match="has no chat template"):
        HFJudge(model, Plain(), model_id="base-model")
