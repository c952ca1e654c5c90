"""Asking the session's model from Python tests: the ``urial`` fixture's object and its answers.

``urial.ask("...")`` builds an ad-hoc :class:`~urial_check.suites.loader.Case` (suite ``python``, an id
derived from the turns and generation settings) and answers it through
:meth:`UrialSession.answer_many <urial_check.session.UrialSession.answer_many>`: the same model,
URIAL prompt, decoding defaults (command-line overrides still win) and generation cache as the
YAML suites. Asking the same thing twice in a session generates once, so hypothesis replays and
shrinking are cheap; a suite :class:`Case` passed as it is shares its YAML item's generation.

Plain Python: nothing here imports pytest or torch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, Union

from urial_check.answers import CaseAnswer
from urial_check.generation.backends.base import GenerationError
from urial_check.generation.decoding import FIELD_TYPES, Decoding, DecodingError, check_field
from urial_check.measures.judges.base import JudgeError, JudgeItem, JudgeResult
from urial_check.measures.judges.heuristic import HeuristicJudge
from urial_check.measures.refusal import RefusalVerdict
from urial_check.suites.loader import Case, Expect

if TYPE_CHECKING:
    from urial_check.session import UrialSession
    from urial_check.measures.token_shift import CaseShift

#: What ``ask`` accepts: one instruction, a conversation (user, assistant, ..., user) or a suite case.
Question = Union[str, Sequence[str], Case]

PYTHON_SUITE = "python"
_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Answer:
    """The model's answer to one question asked from Python, and what was measured about it.

    ``scores`` is computed on first access: the session's judge result if it has one, else the
    offline heuristic judge's; ``token_shift`` only exists with ``--urial-aligned-model`` (and
    single-turn questions).
    """

    turns: tuple[str, ...]
    text: str
    verdict: RefusalVerdict
    num_tokens: int
    seconds: float
    cached: bool
    finish_reason: str
    decoding: Decoding
    #: ``path:line`` of the code that asked (for assertion messages).
    where: str = ""
    case: Case | None = field(default=None, repr=False, compare=False)
    #: The session judge's scores of this answer (None: judging is off; see :attr:`scores`).
    judge: JudgeResult | None = field(default=None, repr=False, compare=False)
    #: Why the session's judge could not score this answer (:attr:`scores` raises it).
    judge_error: JudgeError | None = field(default=None, repr=False, compare=False)
    #: Token shift against the aligned model, by base-model context; None when not measured
    #: (without ``--urial-aligned-model``, and for multi-turn questions).
    token_shift: Mapping[str, CaseShift] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_session(cls, answer: CaseAnswer, case: Case, where: str = "") -> Answer:
        return cls(
            turns=case.turns,
            text=answer.text,
            verdict=answer.verdict,
            num_tokens=answer.num_tokens,
            seconds=answer.seconds,
            cached=answer.cached,
            finish_reason=answer.finish_reason,
            decoding=answer.decoding,
            where=where,
            case=case,
            judge=answer.judge,
            judge_error=answer.judge_error,
            token_shift=dict(answer.token_shift) if answer.token_shift else None,
        )

    @property
    def instruction(self) -> str:
        """The last user turn: what the model answered."""
        return self.turns[-1]

    @property
    def refused(self) -> bool:
        """True for a full or partial refusal (see :mod:`urial_check.measures.refusal`)."""
        return self.verdict.refused

    @cached_property
    def scores(self) -> JudgeResult:
        """Judge scores (1-5 per aspect): the session judge's, else the offline heuristic judge's."""
        if self.judge_error is not None:
            raise self.judge_error
        if self.judge is not None:
            return self.judge
        reference = self.case.reference if self.case is not None else None
        item = JudgeItem(instruction=self.instruction, answer=self.text, reference=reference, refusal=self.verdict.label)
        return HeuristicJudge().score(item)


class Urial:
    """What the ``urial`` fixture returns: ask the session's model, one question or a batch."""

    def __init__(self, session: UrialSession) -> None:
        self.session = session
        # One Case per question, so a question asked from several places is answered once.
        self._cases: dict[str, Case] = {}

    def __repr__(self) -> str:
        model = self.session.backend.model_id if self.session.backend_started else "not loaded yet"
        return f"<Urial model: {model}>"

    def ask(self, question: Question, **generation: Any) -> Answer:
        """Answer one instruction (a string), conversation (odd-length list of turns) or suite case.

        ``generation`` takes decoding settings (``max_new_tokens=64``, ``do_sample=True``, ...);
        the session's command-line settings override them, as they override suites.
        """
        __tracebackhide__ = True  # a call mistake or a failed generation shows the test's line, not ours
        origin = _caller()
        case = self._case(question, generation, origin, "ask")
        return self._answers([case], origin, "ask")[0]

    def ask_many(self, questions: Iterable[Question], **generation: Any) -> list[Answer]:
        """Answer several questions together (generated in batches); answers in the same order."""
        __tracebackhide__ = True
        origin = _caller()
        if isinstance(questions, (str, Case)):
            raise TypeError("urial.ask_many() takes a list of questions; use urial.ask() for one")
        if not isinstance(questions, Iterable) or isinstance(questions, (bytes, bytearray)):
            raise TypeError(f"urial.ask_many() takes a list of questions, got {type(questions).__name__}")
        cases = [self._case(q, generation, origin, "ask_many") for q in questions]
        return self._answers(cases, origin, "ask_many")

    def _answers(self, cases: Sequence[Case], origin: tuple[Path, int], method: str) -> list[Answer]:
        __tracebackhide__ = True
        answers = self.session.answer_many(cases)
        where = f"{_display_path(origin[0])}:{origin[1]}"
        failed = next((i for i, a in enumerate(answers) if a.error is not None), None)
        if failed is not None:
            # The others are answered (and kept by the session): name the one that was not.
            instruction = " ".join(cases[failed].instruction.split())
            if len(instruction) > 80:
                instruction = instruction[:80].rstrip() + " [...]"
            which = f"question {failed + 1} of {len(cases)} ({instruction!r})" if len(cases) > 1 else repr(instruction)
            raise GenerationError(f"{where}: urial.{method}(): {which} got no answer: {answers[failed].error}")
        return [Answer.from_session(a, c, where) for a, c in zip(answers, cases)]

    def _case(self, question: Question, generation: Mapping[str, Any], origin: tuple[Path, int], method: str) -> Case:
        __tracebackhide__ = True
        _check_generation(generation, method)
        if isinstance(question, Case):
            if not generation:
                return question  # the suite's own case: shares its YAML item's answer
            # The same case (prompt, reference, rubrics) under other settings: a sibling question.
            settings = tuple(sorted({**dict(question.generation), **generation}.items()))
            return dataclasses.replace(question, id=f"{question.id}+{question_id(question.turns, settings)[3:11]}",
                                       generation=settings, repeats=1, pass_if=None)
        return self._adhoc(_turns(question, method), dict(generation), origin)

    def _adhoc(self, turns: tuple[str, ...], generation: Mapping[str, Any], origin: tuple[Path, int]) -> Case:
        settings = tuple(sorted(generation.items()))
        case_id = question_id(turns, settings)
        if case_id not in self._cases:
            self._cases[case_id] = Case(
                id=case_id,
                turns=turns,
                tags=(),
                expect=Expect(),
                generation=settings,
                suite=PYTHON_SUITE,
                path=origin[0],
                line=origin[1],
            )
        return self._cases[case_id]


def question_id(turns: Sequence[str], generation: Sequence[tuple[str, Any]] = ()) -> str:
    """A stable case id for a question: ``py-`` and a hash of its turns and generation settings."""
    payload = json.dumps({"turns": list(turns), "generation": [list(kv) for kv in generation]}, sort_keys=True)
    return "py-" + _digest(payload)[:16]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _turns(question: Any, method: str) -> tuple[str, ...]:
    __tracebackhide__ = True
    if isinstance(question, str):
        turns: tuple[Any, ...] = (question,)
    elif isinstance(question, Sequence) and not isinstance(question, (bytes, bytearray)):
        turns = tuple(question)
        if len(turns) % 2 == 0:
            raise ValueError(
                f"urial.{method}(): a conversation needs an odd number of turns (user, assistant, ..., user), got {len(turns)}"
            )
    else:
        raise TypeError(f"urial.{method}(): expected an instruction string or a list of turns, got {type(question).__name__}")
    for index, turn in enumerate(turns):
        if not isinstance(turn, str):
            raise TypeError(f"urial.{method}(): turn {index} must be a string, got {type(turn).__name__}")
        if not turn.strip():
            what = "the instruction" if len(turns) == 1 else f"turn {index}"
            raise ValueError(f"urial.{method}(): {what} is empty")
    return turns


def _check_generation(generation: Mapping[str, Any], method: str) -> None:
    __tracebackhide__ = True
    for name, value in generation.items():
        try:
            check_field(name, value)
        except DecodingError as exc:
            types = FIELD_TYPES.get(name, ((), ""))[0]
            wrong_type = name not in FIELD_TYPES or not isinstance(value, types) or (
                isinstance(value, bool) and bool not in types
            )
            raise (TypeError if wrong_type else ValueError)(f"urial.{method}(): {exc}") from None


def _caller() -> tuple[Path, int]:
    """File and line of the nearest frame outside this package (the test that asked)."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            path = Path(frame.f_code.co_filename).resolve()
            if not path.is_relative_to(_PACKAGE_DIR):
                return path, frame.f_lineno
            frame = frame.f_back
        return Path("<python>"), 0
    finally:
        del frame


def _display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies under it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


__all__ = ["Answer", "Question", "Urial", "question_id"]
