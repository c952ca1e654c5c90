"""URIAL against the tuned model, answer for answer (``--urial-versus-aligned``).

The token-shift measurer (:mod:`urial_check.measures.shift_measure`) already has the aligned
model answer each single-turn case greedily under its own chat template. This measurer takes that
answer (it never generates again) and puts it through what the base model's answer went through:
the session's refusal detector, the session's judge and the same checks (refusal, scores). The
result is the base answer's ``versus`` field; the case still passes or fails
on the base model's answer alone. :mod:`urial_check.records.metrics` turns these into the
side-by-side figures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from urial_check.measures.detectors import DetectorError, DetectorUnavailable, detect_cached
from urial_check.session import MeasurementError, case_key
from urial_check.suites.checks import Check, CheckResult

if TYPE_CHECKING:
    from urial_check.answers import CaseAnswer
    from urial_check.measures.judges.measure import JudgeMeasurer
    from urial_check.measures.shift_measure import TokenShiftMeasurer
    from urial_check.session import UrialSession
    from urial_check.suites.loader import Case

NAME = "versus"


@dataclass(frozen=True)
class AlignedOutcome:
    """The aligned model's answer to a case with its verdict, judge measurement and check results.

    ``answer`` is None (and ``error`` says why) when the detector could not decide its verdict.
    """

    text: str
    answer: CaseAnswer | None
    checks: tuple[CheckResult, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.answer is not None and all(c.passed for c in self.checks)

    def apply(self, answer: CaseAnswer) -> CaseAnswer:
        """The base model's ``answer`` with this side-by-side result (a session ``Measurement``)."""
        return dataclasses.replace(answer, versus=self)


class VersusMeasurer:
    """Checks the aligned model's answers (those the token shift produced) like the base model's."""

    name = NAME

    def __init__(self, shift: TokenShiftMeasurer, judge: JudgeMeasurer | None, checks: Sequence[Check]) -> None:
        self.shift = shift
        self.judge = judge
        #: The checks run on the aligned answer (the session's, without the token-shift check).
        self.checks = tuple(checks)

    def measure(self, session: UrialSession, items: Sequence[tuple[Case, CaseAnswer]]) -> list[AlignedOutcome | None]:
        results: list[AlignedOutcome | None] = [None] * len(items)
        todo: list[tuple[int, str]] = []
        for index, (case, answer) in enumerate(items):
            shifts = answer.token_shift
            # The first run of single-turn cases: the ones the token shift answered with the aligned model.
            if shifts and answer.case_key == case_key(case) and self.shift.primary_context in shifts:
                todo.append((index, str(shifts[self.shift.primary_context].answer)))
        if not todo:
            return results
        try:
            verdicts = detect_cached(session.detector, [(text, items[i][0].instruction) for i, text in todo], session.cache)
        except DetectorUnavailable as exc:
            raise MeasurementError(f"refusal detector unavailable (aligned answers): {exc}") from None
        answered: list[tuple[int, str, CaseAnswer]] = []
        for (index, text), verdict in zip(todo, verdicts):
            if isinstance(verdict, DetectorError):
                results[index] = AlignedOutcome(text, None, error=" ".join(str(verdict).split()))
                continue
            base = items[index][1]
            aligned = dataclasses.replace(base, text=text, raw=text, verdict=verdict, judge=None, judge_error=None,
                                          token_shift=None, cached=False,
                                          seconds=0.0, num_tokens=len(self._token_ids(base)), finish_reason="aligned")
            answered.append((index, text, aligned))
        judged: list[Any] = [None] * len(answered)
        if self.judge is not None and answered:
            judged = self.judge.measure(session, [(items[i][0], a) for i, _, a in answered])
        for (index, text, aligned), judgement in zip(answered, judged):
            if judgement is not None:
                aligned = judgement.apply(aligned)
            case = items[index][0]
            checks = tuple(r for check in self.checks if (r := check(case, aligned)) is not None)
            results[index] = AlignedOutcome(text, aligned, checks)
        return results

    def _token_ids(self, answer: CaseAnswer) -> list[int]:
        assert answer.token_shift is not None  # only answers the token shift measured get here
        shift = answer.token_shift[self.shift.primary_context]
        return list(shift.token_ids)

    def close(self) -> None:
        """Nothing of its own to release (the judge and the aligned model belong to other measurers)."""


__all__ = ["AlignedOutcome", "NAME", "VersusMeasurer"]
