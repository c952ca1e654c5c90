"""What a session keeps for each answer it generated: :class:`CaseAnswer`.

Below both the session (which makes them) and the checks (which judge them), so neither imports
the other for it. Not to be confused with :class:`urial_check.ask.Answer`, what ``urial.ask()``
returns to a Python test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from urial_check.generation.decoding import Decoding
from urial_check.measures.refusal import RefusalVerdict


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
    #: What measurers added (e.g. "token_shift": {context: CaseShift}, "judge": JudgeResult).
    measurements: Mapping[str, Any] = field(default_factory=dict)
    #: Why there is no answer (see ``GenerationResult.error``); such answers fail their case.
    error: str | None = None


__all__ = ["CaseAnswer"]
