"""Edge cases of the token shift found by trying to break it: non-finite logits, empty aligned answers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from urial_check.answers import CaseAnswer
from urial_check.generation.decoding import Decoding
from urial_check.measures.refusal import RefusalVerdict
from urial_check.measures.served_shift import served_shift_metrics
from urial_check.measures.shift_measure import TokenShiftCheck
from urial_check.measures.token_shift import CaseShift, ShiftMetrics, shift_metrics
from urial_check.records.thresholds import parse_threshold
from urial_check.suites.loader import Assertion, Case, Expect

INF = math.inf


@pytest.mark.parametrize(
    ("base", "aligned", "message"),
    [
        # float16 logits overflow to +inf; the softmax of such a row is NaN, and the KL came out 0.0 or NaN.
        ([[INF, 1.0, 0.0]], [[1.0, 0.0, 0.0]], r"base logits contain \+inf"),
        ([[1.0, 1.0, 0.0]], [[INF, 0.0, 0.0]], r"aligned logits contain \+inf"),
        # A position where every token is masked has no distribution at all.
        ([[-INF, -INF, -INF]], [[1.0, 0.0, 0.0]], "base logits have no finite value at position 0"),
        ([[0.0, 1.0, 0.0]], [[-INF, -INF, -INF]], "aligned logits have no finite value at position 0"),
    ],
)
def test_non_finite_logits_are_refused_not_measured(base: list[list[float]], aligned: list[list[float]],
                                                    message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shift_metrics(torch.tensor(base), torch.tensor(aligned), torch.tensor([1]))


def test_float16_overflow_in_the_aligned_logits_is_refused_over_a_server_too() -> None:
    from urial_check.generation.backends.base import RankedLogprobs

    row = RankedLogprobs(token_id=1, logprob=math.log(0.5), rank=1, decoded="b", top={0: math.log(0.5), 1: math.log(0.5)},
                         texts={0: "a", 1: "b"})
    with pytest.raises(ValueError, match="aligned logits contain"):
        served_shift_metrics([row], torch.tensor([[INF, 0.0, 0.0]], dtype=torch.float16))


def test_minus_infinity_is_still_allowed() -> None:
    m = shift_metrics(torch.tensor([[0.0, -INF, 1.0]]), torch.tensor([[0.0, -INF, 1.0]]), torch.tensor([2]))
    assert m.ranks == [1] and m.kl == [0.0]


def _case(*assertions: tuple[str, str]) -> Case:
    expect = Expect(token_shift=tuple(Assertion(metric, parse_threshold(text), 3) for metric, text in assertions))
    return Case(id="c", turns=("Name a fruit.",), tags=(), expect=expect, generation=(), suite="s", path=Path("s.yaml"),
                line=1)


def _answer(positions: int) -> CaseAnswer:
    metrics = ShiftMetrics(ranks=[5] * positions, kl=[1.0] * positions, base_prob=[0.1] * positions,
                           aligned_prob_of_base_top1=[0.1] * positions, base_top1=[0] * positions)
    shift = CaseShift("zero_shot", "Name a fruit.", "x" * positions, [7] * positions, ["x"] * positions, metrics,
                      [[] for _ in range(positions)])
    verdict = RefusalVerdict("compliance", "scripted", "table", "test")  # type: ignore[arg-type]
    return CaseAnswer(case_key="s.yaml::c", prompt="p", text="t", raw="t", decoding=Decoding(), num_tokens=1,
                      finish_reason="stop", seconds=0.0, cached=False, verdict=verdict, token_shift={"zero_shot": shift})


@pytest.mark.parametrize("assertion", [("shifted", "<= 0.0"), ("unshifted", ">= 0.8"), ("mean_kl", "<= 0.1")])
def test_an_empty_aligned_answer_asserts_nothing(assertion: tuple[str, str]) -> None:
    # No answer token, no position: "shifted <= 0" used to pass and "unshifted >= 0.8" to fail on 0.0 ratios.
    result = TokenShiftCheck("zero_shot")(_case(assertion), _answer(0))
    assert result is not None
    assert (result.passed, result.asserted) == (True, False)
    assert result.message == "token shift not measured (the aligned answer has no tokens)"
    # With tokens the same assertions are checked as before.
    measured = TokenShiftCheck("zero_shot")(_case(assertion), _answer(2))
    assert measured is not None and measured.asserted and not measured.passed


class _NoTemplateTokenizer:
    pad_token_id = 0
    chat_template = None


def test_a_missing_chat_template_names_the_option_a_pytest_user_can_give() -> None:
    from urial_check.measures.token_shift import aligned_pass

    with pytest.raises(ValueError, match="no chat template; pass chat_template=") as info:
        aligned_pass(None, _NoTemplateTokenizer(), ["Hi"], aligned_answers=["Hello"])
    assert "--urial-chat-template FILE" in str(info.value)
