"""The judge seam: a judge turns (instruction, answer) pairs into 1-5 scores per aspect.

The six built-in aspects are just-eval's (Lin et al., 2024): five judged together
(helpfulness, clarity, factuality, depth, engagement) and safety, judged with its own rubric.
A suite may add custom aspects, each with a rubric saying what a 5 and a 1 mean.

A judge that cannot be used at all raises :class:`JudgeUnavailable` for the session. When that happens
part-way through a batch, the results complete before are kept: a :class:`StreamingJudge` hands each over
as it is complete (the judge measurer caches it at once), and the error carries them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol, Sequence, runtime_checkable

ASPECTS: tuple[str, ...] = ("helpfulness", "clarity", "factuality", "depth", "engagement", "safety")
#: The aspects judged in one request; safety always gets its own.
JOINT_ASPECTS: tuple[str, ...] = ASPECTS[:5]
SCORE_MIN = 1.0
SCORE_MAX = 5.0
_ASPECT_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class JudgeError(Exception):
    """A judge could not score an item; the message is one line meant for the user."""


class JudgeParseError(JudgeError):
    """The judge's output could not be read as scores; ``raw`` holds the text it produced."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw

    def __reduce__(self) -> tuple[type[JudgeParseError], tuple[str, str]]:
        return (type(self), (self.message, self.raw))


class JudgeUnavailable(JudgeError):
    """The judge cannot be used at all this session (endpoint unreachable, bad credentials...).

    ``results``: the results it gave before it became unavailable part-way through a batch, by the
    item's index in that batch (complete results, to keep; the items without one were not scored).
    """

    def __init__(self, message: str, results: Mapping[int, JudgeResult] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.results = dict(results or {})

    def __reduce__(self) -> tuple[type[JudgeUnavailable], tuple[str, dict[int, JudgeResult]]]:
        return (type(self), (self.message, self.results))


class JudgeConfigError(JudgeError):
    """The judge was set up or asked wrongly (bad URL, an aspect it cannot score...)."""


def check_aspect_name(name: str) -> str:
    """Return ``name`` if it can be an aspect name (lowercase identifier), else raise JudgeConfigError."""
    if not isinstance(name, str) or not _ASPECT_NAME_RE.match(name):
        raise JudgeConfigError(f"aspect name {name!r} must be a lowercase identifier (letters, digits, '_')")
    return name


@dataclass(frozen=True)
class JudgeItem:
    """One answer to be judged.

    ``rubrics`` maps custom aspect names to what a 5 and a 1 mean; every rubric name is
    appended to ``aspects`` if it is not there already. A built-in aspect cannot be redefined.
    ``harmful`` is the suite author's judgement of the request when the case states one
    (``expect.refusal: required`` -> True, ``forbidden`` -> False), else None; the heuristic
    judge's safety score uses it, model judges ignore it.
    """

    instruction: str
    answer: str
    reference: str | None = None
    aspects: tuple[str, ...] = ASPECTS
    rubrics: Mapping[str, str] = field(default_factory=dict)
    #: The session detector's refusal label for this answer, for judges that use one (heuristic).
    refusal: str | None = None
    #: The suite's judgement of the request: True for ``refusal: required``, False for ``forbidden``.
    harmful: bool | None = None

    def __post_init__(self) -> None:
        aspects = tuple(self.aspects)
        for name, text in self.rubrics.items():
            check_aspect_name(name)
            if name in ASPECTS:
                raise JudgeConfigError(f"rubric {name!r}: built-in aspects cannot be redefined")
            if not isinstance(text, str) or not text.strip():
                raise JudgeConfigError(f"rubric {name!r} must be a non-empty string")
            if name not in aspects:
                aspects += (name,)
        if not aspects:
            raise JudgeConfigError("a judge item needs at least one aspect")
        for name in aspects:
            check_aspect_name(name)
            if name not in ASPECTS and name not in self.rubrics:
                raise JudgeConfigError(f"aspect {name!r} is not built in and has no rubric")
        if len(set(aspects)) != len(aspects):
            raise JudgeConfigError(f"aspects listed twice in {aspects}")
        object.__setattr__(self, "aspects", aspects)
        object.__setattr__(self, "rubrics", dict(self.rubrics))

    @property
    def custom_aspects(self) -> tuple[str, ...]:
        return tuple(a for a in self.aspects if a not in ASPECTS)


@dataclass(frozen=True)
class JudgeResult:
    """Scores (1-5) and a short reason per aspect, with the judge's raw output.

    ``not_applicable`` lists aspects the judge marked N/A (only the ``just-eval`` prompt
    allows that): they have a reason but no score, and are never counted as any number.
    """

    scores: dict[str, float]
    reasons: dict[str, str]
    raw: str
    judge_id: str
    not_applicable: tuple[str, ...] = ()

    @property
    def average(self) -> float:
        """Mean over the scored aspects (N/A ones left out); NaN when none was scored."""
        return sum(self.scores.values()) / len(self.scores) if self.scores else math.nan


@runtime_checkable
class Judge(Protocol):
    """Scores answers on aspects. Implementations: heuristic, openai, hf."""

    #: Stable id for reports and cache keys, e.g. "heuristic:v1" or "openai:gpt-4o@https://...".
    id: str
    #: Changes whenever the judge's prompt or formulas change (part of cache keys).
    prompt_version: str
    #: Whether rubric-defined custom aspects can be scored.
    supports_custom_aspects: bool

    def score_many(self, items: Sequence[JudgeItem]) -> list[JudgeResult]:
        """Score every item, in order. Raises the first item's JudgeError, or JudgeUnavailable."""
        ...

    def score_outcomes(self, items: Sequence[JudgeItem]) -> list[JudgeResult | JudgeError]:
        """Like score_many, but one item's failure is returned in its place instead of raised.

        JudgeUnavailable is still raised: it concerns the whole session, not one item.
        """
        ...

    def close(self) -> None:
        """Release connections or models held by the judge."""
        ...


#: Called with (the item's index, its result) as each result is complete.
ResultCallback = Callable[[int, JudgeResult], None]


@runtime_checkable
class StreamingJudge(Protocol):
    """Optional: a judge whose results arrive one by one (a remote model) hands each over as soon as all its
    requests are in, so an outage later in the batch loses none of them (the judge measurer caches each at once)."""

    def score_streaming(self, items: Sequence[JudgeItem], on_result: ResultCallback) -> list[JudgeResult | JudgeError]:
        """``score_outcomes``, calling ``on_result(index, result)`` in the calling thread as each result is complete."""
        ...


class BaseJudge:
    """Implements ``score_many`` on top of ``score_outcomes``."""

    id: str
    prompt_version: str
    supports_custom_aspects: bool = True

    def score_outcomes(self, items: Sequence[JudgeItem]) -> list[JudgeResult | JudgeError]:
        raise NotImplementedError

    def score_many(self, items: Sequence[JudgeItem]) -> list[JudgeResult]:
        results: list[JudgeResult] = []
        for outcome in self.score_outcomes(items):
            if isinstance(outcome, JudgeError):
                raise outcome
            results.append(outcome)
        return results

    def check_items(self, items: Sequence[JudgeItem]) -> None:
        """Raise JudgeConfigError if an item asks for an aspect this judge cannot score."""
        if self.supports_custom_aspects:
            return
        for item in items:
            if item.custom_aspects:
                raise JudgeConfigError(
                    f"the {self.id} judge cannot score custom aspects ({', '.join(item.custom_aspects)}); "
                    "use --urial-judge openai or hf"
                )

    def close(self) -> None:
        return None
