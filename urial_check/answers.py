"""What a session keeps for each answer it generated: :class:`CaseAnswer`.

Below both the session (which makes them) and the checks (which judge them), so neither imports
the other for it. Not to be confused with :class:`urial_check.ask.Answer`, what ``urial.ask()``
returns to a Python test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from urial_check.generation.decoding import Decoding
from urial_check.measures.judges.base import JudgeError, JudgeResult
from urial_check.measures.refusal import RefusalVerdict

if TYPE_CHECKING:
    from urial_check.measures.token_shift import CaseShift
    from urial_check.measures.versus import AlignedOutcome


@dataclass(frozen=True)
class CaseAnswer:
    """A case's answer in a run (one per run of a repeated case) and everything measured about it."""

    case_key: str
    prompt: str
    text: str
    raw: str
    decoding: Decoding
    num_tokens: int
    finish_reason: str
    seconds: float
    cached: bool
    verdict: RefusalVerdict
    #: The session judge's scores (None: judging is off, or the judge failed: see ``judge_error``).
    judge: JudgeResult | None = None
    #: Why the session's judge could not score this answer.
    judge_error: JudgeError | None = None
    #: Token shift against the aligned model, by base-model context (None: not measured).
    token_shift: Mapping[str, CaseShift] | None = None
    #: The aligned model's answer to the same case, checked the same way (``--urial-versus-aligned``).
    versus: AlignedOutcome | None = None
    #: Why there is no answer (see ``GenerationResult.error``); such answers fail their case.
    error: str | None = None


__all__ = ["CaseAnswer"]
