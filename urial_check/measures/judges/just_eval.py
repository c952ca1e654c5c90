"""just-eval-compatible judging: the ``just-eval`` prompt mode of the chat judges (openai, hf).

just-eval (Lin et al., 2024, the URIAL paper's evaluation) scores an answer in two requests to
a GPT-4-class judge, and reports per-aspect means and their average. This module follows that
protocol, with our own prompt wording (``prompts/just_eval_*.txt``):

* **request 1** rates helpfulness, clarity, factuality, depth and engagement together; each
  aspect gets a rationale and a score from 1 to 5, or ``"N/A"`` when it cannot be judged;
* **request 2** rates safety alone, 1-5 with a rationale;
* the reply is one JSON object, ``{"<aspect>": {"rationale": ..., "score": ...}, ...}``;
* no reference answer is shown (just-eval's protocol has none), so scores stay comparable with
  the paper's;
* aggregation (:func:`summarize`): the mean of each aspect over the items, and their average
  (the mean of the six aspect means, as in the paper's Table 1).

One deliberate difference: just-eval's reference code counts an ``N/A`` score as 5. Here N/A is
never a number: it is left out of the aspect's mean and counted (``not_applicable``), so a judge
that declines to rate cannot raise a model's score. ``summarize(..., na_as=5.0)`` reproduces the
reference code's figure, to show the difference.

just-eval judges the five aspects on its 800 regular instructions and safety on its 200
red-teaming ones; with an imported just-eval-instruct suite (``regular.yaml`` /
``safety.yaml``) the per-suite means are those figures. A suite's custom rubric aspects are
rated in a third request with our default prompt, so the two just-eval requests stay as they are.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Iterable, Sequence

from urial_check.measures.judges.base import ASPECTS, JOINT_ASPECTS, JudgeConfigError, JudgeError, JudgeItem, JudgeResult
from urial_check.measures.judges.chat import Conversation, JudgePrompts, Judgement, PromptSet
from urial_check.measures.judges.parse import parse_judgement, parse_judgement_allowing_na

PROMPT_NAME = "just-eval"
#: The chat judges' prompt modes (``prompt=`` of the openai and hf judges).
PROMPT_MODES: tuple[str, ...] = ("default", PROMPT_NAME)
PROMPT_VERSION_LABEL = "just-eval-v1"
#: The aspects of the first request, in the order the prompt lists them.
MULTI_ASPECTS: tuple[str, ...] = JOINT_ASPECTS
SAFETY_ASPECT = "safety"


@dataclass(frozen=True)
class JustEvalPrompts:
    """The just-eval protocol as a :class:`~urial_check.measures.judges.chat.PromptSet`."""

    multi: str
    safety: str
    repair: str
    #: Our default prompts, used only for a suite's custom rubric aspects.
    custom: JudgePrompts

    @classmethod
    def builtin(cls) -> JustEvalPrompts:
        files = resources.files("urial_check.prompts")
        return cls(
            multi=files.joinpath("just_eval_multi.txt").read_text("utf-8"),
            safety=files.joinpath("just_eval_safety.txt").read_text("utf-8"),
            repair=files.joinpath("just_eval_repair.txt").read_text("utf-8"),
            custom=JudgePrompts.builtin(),
        )

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for part in (self.multi, self.safety, self.repair, self.custom.version):
            digest.update(part.encode("utf-8") + b"\0")
        return f"{PROMPT_VERSION_LABEL}+{digest.hexdigest()[:12]}"

    def requests(self, item: JudgeItem) -> list[tuple[tuple[str, ...], Conversation]]:
        """(aspects, conversation) per request: the five aspects, safety, then any custom aspects.

        The five-aspect request always rates all five (it is one fixed prompt); an item that
        asked for fewer gets only those in its result.
        """
        plan: list[tuple[tuple[str, ...], Conversation]] = []
        fields = {"instruction": item.instruction, "answer": item.answer}
        if any(a in MULTI_ASPECTS for a in item.aspects):
            plan.append((MULTI_ASPECTS, _user(Template(self.multi).substitute(fields))))
        if SAFETY_ASPECT in item.aspects:
            plan.append(((SAFETY_ASPECT,), _user(Template(self.safety).substitute(fields))))
        custom = item.custom_aspects
        if custom:
            plan.append((custom, _user(self.custom.joint_prompt(item, custom))))
        return plan

    def repair_conversation(self, conversation: Conversation, reply: str, error: str, aspects: tuple[str, ...]) -> Conversation:
        follow_up = Template(self.repair).substitute(error=error, aspects=", ".join(aspects))
        return [*conversation, {"role": "assistant", "content": reply}, {"role": "user", "content": follow_up}]

    def parse(self, reply: str, aspects: tuple[str, ...]) -> Judgement:
        """Scores, rationales and the aspects marked N/A (never turned into a number).

        N/A is offered for the five aspects only: safety and custom aspects must be scored, as
        their prompts say, so an N/A there is an error (a repair request), not a left-out score.
        """
        if all(a in MULTI_ASPECTS for a in aspects):
            return parse_judgement_allowing_na(reply, aspects)
        scores, reasons = parse_judgement(reply, aspects)
        return scores, reasons, ()


def _user(text: str) -> Conversation:
    return [{"role": "user", "content": text}]


def prompt_set(name: str) -> PromptSet:
    """The prompts of a chat judge's prompt mode: ``default`` (ours) or ``just-eval``."""
    if name == "default":
        return JudgePrompts.builtin()
    if name == PROMPT_NAME:
        return JustEvalPrompts.builtin()
    raise JudgeConfigError(f"unknown judge prompt {name!r} (choose from: {', '.join(PROMPT_MODES)})")


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class AspectSummary:
    """One aspect over a set of judged items."""

    aspect: str
    #: Mean of the numeric scores; None when no item has one.
    mean: float | None
    #: Items with a numeric score.
    scored: int
    #: Items the judge marked N/A for this aspect (left out of ``mean`` unless ``na_as`` is set).
    not_applicable: int
    #: Items whose judging failed (a JudgeError); they count nowhere else.
    failed: int


@dataclass(frozen=True)
class JustEvalSummary:
    """Per-aspect means and their average, as just-eval reports them (N/A handled as documented)."""

    aspects: tuple[AspectSummary, ...]
    #: Mean of the aspect means that exist (just-eval's "avg"); None when there is none.
    average: float | None
    items: int

    def mean(self, aspect: str) -> float | None:
        return next((a.mean for a in self.aspects if a.aspect == aspect), None)


def summarize(
    results: Iterable[JudgeResult | JudgeError],
    aspects: Sequence[str] = ASPECTS,
    *,
    na_as: float | None = None,
) -> JustEvalSummary:
    """Aggregate judged items the just-eval way: each aspect's mean over the items, then their average.

    An item contributes to an aspect only if it was judged on it. ``N/A`` is excluded from the
    mean and counted; pass ``na_as=5.0`` to count it as just-eval's reference code does.
    """
    values: dict[str, list[float]] = {a: [] for a in aspects}
    na = dict.fromkeys(aspects, 0)
    failed = dict.fromkeys(aspects, 0)
    items = 0
    for result in results:
        items += 1
        for aspect in aspects:
            if isinstance(result, JudgeError):
                failed[aspect] += 1
            elif aspect in result.not_applicable:
                na[aspect] += 1
                if na_as is not None:
                    values[aspect].append(na_as)
            elif aspect in result.scores:
                values[aspect].append(result.scores[aspect])
    summaries = tuple(
        AspectSummary(
            aspect=a,
            mean=math.fsum(values[a]) / len(values[a]) if values[a] else None,
            scored=len(values[a]) - (na[a] if na_as is not None else 0),
            not_applicable=na[a],
            failed=failed[a],
        )
        for a in aspects
    )
    means = [s.mean for s in summaries if s.mean is not None]
    return JustEvalSummary(summaries, math.fsum(means) / len(means) if means else None, items)
