"""Typed run records: what one finished case, one suite gate and one whole run hold.

Data travels one way: a finished case's outcome becomes a :class:`CaseRecord` once (in the case's
test item), and everything after that (the run recorder, the gate and baseline items, the terminal
summary, the HTML report, the ``urial-check`` command) reads these objects. JSON appears only at
the edges: files (``run-<id>.json``, baselines) and the pytest-xdist wire, each through
``to_json()`` / ``from_json()``. The JSON layout is the run record's (see
:mod:`urial_check.records.run_record`, which holds its versioned schema and validation).

Properties a file carries that these classes do not know are kept in ``extra`` and written back
unchanged, so a newer writer's additions survive a read-merge-write (baselines).
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from urial_check.measures.token_shift import CaseShift
from urial_check.records.metrics import SuiteSummary, VersusSummary, suite_summaries, versus_summaries
from urial_check.records.run_record import (
    RUN_RECORD_SCHEMA,
    RUN_RECORD_VERSION,
    RunRecordError,
    load_run_record,
    validate_run_record,
)
from urial_check.version import __version__

if TYPE_CHECKING:
    from urial_check.answers import CaseAnswer
    from urial_check.session import CaseOutcome


def _known(data: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The properties of ``data`` not in ``names`` (kept as ``extra``)."""
    return {k: v for k, v in data.items() if k not in names}


@dataclass(frozen=True)
class ModelInfo:
    """Which model answered: the id given on the command line and the weights' fingerprint."""

    id: str
    fingerprint: str | None
    device: str | None = None
    dtype: str | None = None
    #: Seconds the model took to load (None when every answer came from the cache).
    load_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "fingerprint": self.fingerprint, "device": self.device, "dtype": self.dtype,
                "load_seconds": self.load_seconds}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelInfo:
        return cls(str(data["id"]), data.get("fingerprint"), data.get("device"), data.get("dtype"), data.get("load_seconds"))


@dataclass(frozen=True)
class PromptRef:
    """The URIAL prompt a case was asked with: its source and the sha256 of its text."""

    source: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PromptRef:
        return cls(str(data["source"]), str(data["sha256"]))


#: Refusal labels that mean the model refused (``compliance`` and :data:`NO_ANSWER_LABEL` do not).
REFUSED_LABELS = ("full_refusal", "partial_refusal")
#: The refusal label of a case that got no answer (its generation failed; see ``CaseRecord.error``).
NO_ANSWER_LABEL = "error"


@dataclass(frozen=True)
class RefusalRecord:
    """The refusal verdict: label, the evidence, the rule family and the detector that decided."""

    label: str
    evidence: str
    rule: str | None = None
    detector: str | None = None

    @property
    def refused(self) -> bool:
        """A full or a partial refusal (``error``: there was no answer to decide on)."""
        return self.label in REFUSED_LABELS

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "refused": self.refused, "evidence": self.evidence}
        out.update({k: v for k, v in (("rule", self.rule), ("detector", self.detector)) if v is not None})
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RefusalRecord:
        return cls(str(data["label"]), str(data["evidence"]), data.get("rule"), data.get("detector"))


@dataclass(frozen=True)
class CheckRecord:
    """One check's result (``asserted``: the suite asked for it, so it decides the outcome)."""

    name: str
    passed: bool
    asserted: bool = True
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "asserted": self.asserted, "message": self.message}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckRecord:
        return cls(str(data["name"]), bool(data["passed"]), bool(data.get("asserted", True)), str(data.get("message") or ""))


@dataclass(frozen=True)
class JudgeScores:
    """One judge's scores (aspect -> 1..5) and reasons of one answer."""

    judge_id: str
    scores: Mapping[str, float]
    reasons: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.judge_id, "scores": dict(self.scores), "reasons": dict(self.reasons)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JudgeScores:
        return cls(str(data["id"]), {str(a): float(s) for a, s in data["scores"].items()}, dict(data.get("reasons") or {}))


def _judged(answer: CaseAnswer) -> tuple[JudgeScores | None, str | None]:
    """The judge's verdict on an answer as (scores, None), (None, error message) or (None, None)."""
    if answer.judge_error is not None:
        return None, " ".join(str(answer.judge_error).split())
    if answer.judge is not None:
        return JudgeScores(answer.judge.judge_id, dict(answer.judge.scores), dict(answer.judge.reasons)), None
    return None, None


@dataclass(frozen=True)
class ShiftSummary:
    """The token shift of an answer under one base-model context, as the run record keeps it."""

    positions: int
    unshifted: float
    marginal: float
    shifted: float
    mean_kl: float
    #: (position, token text) of each shifted position.
    shifted_tokens: tuple[tuple[int, str], ...] = ()
    #: ``mean_kl`` comes from a server's top-k log-probabilities (a lower bound; ranks stay exact).
    kl_approximate: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {"positions": self.positions, "unshifted": self.unshifted, "marginal": self.marginal,
               "shifted": self.shifted, "mean_kl": self.mean_kl,
               "shifted_tokens": [{"position": p, "token": t} for p, t in self.shifted_tokens]}
        if self.kl_approximate:
            out["kl_approximate"] = True
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShiftSummary:
        return cls(int(data["positions"]), float(data["unshifted"]), float(data["marginal"]), float(data["shifted"]),
                   float(data["mean_kl"]), tuple((int(t["position"]), str(t["token"])) for t in data.get("shifted_tokens") or ()),
                   bool(data.get("kl_approximate", False)))

    @classmethod
    def of(cls, shift: Any) -> ShiftSummary:
        """The summary of a :class:`~urial_check.measures.token_shift.CaseShift`."""
        m = shift.metrics
        return cls(m.positions, m.unshifted, m.marginal, m.shifted, m.mean_kl, tuple(shift.shifted_tokens()),
                   m.kl_approximate)


@dataclass(frozen=True)
class RepeatAnswer:
    """One run's answer of a case that repeats."""

    answer: str
    refusal: str
    passed: bool
    seed: int | None = None
    judge: JudgeScores | None = None
    judge_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"answer": self.answer, "refusal": self.refusal, "passed": self.passed, "seed": self.seed}
        if self.judge is not None:
            out["judge"] = self.judge.to_json()
        if self.judge_error is not None:
            out["judge_error"] = self.judge_error
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RepeatAnswer:
        judge = data.get("judge")
        return cls(str(data["answer"]), str(data["refusal"]), bool(data["passed"]), data.get("seed"),
                   JudgeScores.from_json(judge) if judge else None, data.get("judge_error"))


@dataclass(frozen=True)
class Repeats:
    """A repeated case's runs: how many passed, the ``pass_if`` rule and each run's answer."""

    runs: int
    passed: int
    pass_if: str | None
    answers: tuple[RepeatAnswer, ...]

    def to_json(self) -> dict[str, Any]:
        return {"runs": self.runs, "passed": self.passed, "pass_if": self.pass_if, "answers": [a.to_json() for a in self.answers]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Repeats:
        return cls(int(data["runs"]), int(data["passed"]), data.get("pass_if"),
                   tuple(RepeatAnswer.from_json(a) for a in data.get("answers") or ()))


@dataclass(frozen=True)
class AlignedAnswer:
    """The aligned (tuned) model's answer to a case (``--urial-versus-aligned``), checked like the base answer.

    The answer is the one the token shift teacher-forces; its refusal verdict, judge scores and
    checks come from the session's detector, judge and checks. ``outcome`` is what the case's
    outcome would be on this answer (the case itself is decided on the base model's answer).
    ``error`` says why there is no verdict (then ``outcome`` is ``failed`` and the answer is left
    out of the side-by-side figures).
    """

    answer: str
    refusal: RefusalRecord | None
    outcome: str
    checks: tuple[CheckRecord, ...] = ()
    judge: JudgeScores | None = None
    judge_error: str | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"answer": self.answer, "outcome": self.outcome, "checks": [c.to_json() for c in self.checks]}
        if self.refusal is not None:
            out["refusal"] = self.refusal.to_json()
        optional = (("judge", self.judge.to_json() if self.judge else None), ("judge_error", self.judge_error),
                    ("error", self.error))
        out.update({k: v for k, v in optional if v is not None})
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlignedAnswer:
        refusal, judge = data.get("refusal"), data.get("judge")
        return cls(str(data["answer"]), RefusalRecord.from_json(refusal) if refusal else None, str(data["outcome"]),
                   tuple(CheckRecord.from_json(c) for c in data.get("checks") or ()),
                   JudgeScores.from_json(judge) if judge else None, data.get("judge_error"), data.get("error"))

    @classmethod
    def of(cls, outcome: Any) -> AlignedAnswer:
        """The record of a :class:`~urial_check.measures.versus.AlignedOutcome`."""
        answer = outcome.answer
        if answer is None:
            return cls(outcome.text, None, "failed", error=outcome.error)
        verdict = answer.verdict
        judge, judge_error = _judged(answer)
        return cls(outcome.text, RefusalRecord(verdict.label, verdict.evidence, verdict.rule, verdict.detector),
                   "passed" if outcome.passed else "failed",
                   tuple(CheckRecord(c.name, c.passed, c.asserted, c.message) for c in outcome.checks), judge, judge_error)


_CASE_FIELDS = ("id", "suite", "file", "line", "tags", "turns", "instruction", "expect", "answer", "raw_generation",
                "decoding", "num_tokens", "finish_reason", "generation_seconds", "cached", "refusal", "checks", "outcome",
                "judge", "judge_error", "repeats", "token_shift", "token_shift_file", "token_shift_detail", "aligned", "model",
                "prompt", "error")


@dataclass(frozen=True)
class CaseRecord:
    """One finished case: where it is written, what was asked and expected, the answer and every measurement."""

    suite: str
    id: str
    file: str
    line: int
    instruction: str
    #: ``required``, ``forbidden`` or ``any``.
    expect_refusal: str
    answer: str
    refusal: RefusalRecord
    #: ``passed`` or ``failed``.
    outcome: str
    turns: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    checks: tuple[CheckRecord, ...] = ()
    raw_generation: str | None = None
    decoding: Mapping[str, Any] = field(default_factory=dict)
    num_tokens: int | None = None
    finish_reason: str | None = None
    generation_seconds: float | None = None
    #: The answer came from the generation cache.
    cached: bool | None = None
    judge: JudgeScores | None = None
    #: Why the judge could not score the answer (then ``judge`` is None).
    judge_error: str | None = None
    repeats: Repeats | None = None
    #: Context -> shift summary; the first context is the primary one.
    token_shift: Mapping[str, ShiftSummary] = field(default_factory=dict)
    #: Where the per-position detail was written (relative to the report folder).
    token_shift_file: str | None = None
    #: Context -> full per-position :class:`~urial_check.measures.token_shift.CaseShift`; travels
    #: from xdist workers but is written to its own artifact file, never into the run record.
    shift_detail: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The aligned model's answer, checked the same way (``--urial-versus-aligned``; single-turn cases).
    aligned: AlignedAnswer | None = None
    model: ModelInfo | None = None
    prompt: PromptRef | None = None
    #: Why the case has no answer (its own generation failed); it then failed, ``answer`` is empty
    #: and ``refusal`` has the label :data:`NO_ANSWER_LABEL`.
    error: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """``(suite, id)``: unique within a run record."""
        return self.suite, self.id

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def judge_errors(self) -> tuple[str, ...]:
        """The judge's error messages for this case, in any of its runs."""
        errors = [self.judge_error] if self.judge_error else []
        errors += [a.judge_error for a in (self.repeats.answers if self.repeats else ()) if a.judge_error]
        return tuple(errors)

    @property
    def was_judged(self) -> bool:
        """The judge scored, or tried to score, this case (in any of its runs)."""
        runs = self.repeats.answers if self.repeats else ()
        return bool(self.judge or self.judge_error or any(a.judge or a.judge_error for a in runs))

    def to_json(self, *, detail: bool = False) -> dict[str, Any]:
        """The case as the run record holds it; ``detail`` adds the per-position token shift (the xdist wire form)."""
        out: dict[str, Any] = {
            "id": self.id, "suite": self.suite, "file": self.file, "line": self.line, "tags": list(self.tags),
            "turns": list(self.turns), "instruction": self.instruction, "expect": {"refusal": self.expect_refusal},
            "answer": self.answer,
        }
        optional = (("raw_generation", self.raw_generation), ("decoding", dict(self.decoding) if self.decoding else None),
                    ("num_tokens", self.num_tokens), ("finish_reason", self.finish_reason),
                    ("generation_seconds", self.generation_seconds), ("cached", self.cached))
        out.update({k: v for k, v in optional if v is not None})
        out["refusal"] = self.refusal.to_json()
        out["checks"] = [c.to_json() for c in self.checks]
        out["outcome"] = self.outcome
        if self.judge is not None:
            out["judge"] = self.judge.to_json()
        if self.judge_error is not None:
            out["judge_error"] = self.judge_error
        if self.repeats is not None:
            out["repeats"] = self.repeats.to_json()
        if self.token_shift:
            out["token_shift"] = {c: s.to_json() for c, s in self.token_shift.items()}
        if self.token_shift_file is not None:
            out["token_shift_file"] = self.token_shift_file
        if detail and self.shift_detail:
            out["token_shift_detail"] = {c: s.to_dict() for c, s in self.shift_detail.items()}
        if self.aligned is not None:
            out["aligned"] = self.aligned.to_json()
        if self.model is not None:
            out["model"] = self.model.to_json()
        if self.prompt is not None:
            out["prompt"] = self.prompt.to_json()
        if self.error is not None:
            out["error"] = self.error
        return {**out, **{k: v for k, v in self.extra.items() if k not in out}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseRecord:
        """Inverse of :meth:`to_json` (also reads the wire form's ``token_shift_detail``)."""
        detail: dict[str, Any] = {}
        if data.get("token_shift_detail"):
            detail = {c: CaseShift.from_dict(d) for c, d in data["token_shift_detail"].items()}
        judge, repeats, model, prompt = data.get("judge"), data.get("repeats"), data.get("model"), data.get("prompt")
        return cls(
            suite=str(data["suite"]), id=str(data["id"]), file=str(data["file"]), line=int(data["line"]),
            instruction=str(data["instruction"]), expect_refusal=str(data["expect"]["refusal"]), answer=str(data["answer"]),
            refusal=RefusalRecord.from_json(data["refusal"]), outcome=str(data["outcome"]),
            turns=tuple(data.get("turns") or ()), tags=tuple(data.get("tags") or ()),
            checks=tuple(CheckRecord.from_json(c) for c in data.get("checks") or ()),
            raw_generation=data.get("raw_generation"), decoding=dict(data.get("decoding") or {}),
            num_tokens=data.get("num_tokens"), finish_reason=data.get("finish_reason"),
            generation_seconds=data.get("generation_seconds"), cached=data.get("cached"),
            judge=JudgeScores.from_json(judge) if judge else None, judge_error=data.get("judge_error"),
            repeats=Repeats.from_json(repeats) if repeats else None,
            token_shift={c: ShiftSummary.from_json(s) for c, s in (data.get("token_shift") or {}).items()},
            token_shift_file=data.get("token_shift_file"), shift_detail=detail,
            aligned=AlignedAnswer.from_json(data["aligned"]) if data.get("aligned") else None,
            model=ModelInfo.from_json(model) if model else None, prompt=PromptRef.from_json(prompt) if prompt else None,
            error=data.get("error"), extra=_known(data, _CASE_FIELDS),
        )

    @classmethod
    def from_outcome(cls, outcome: CaseOutcome, *, model: ModelInfo | None = None, prompt: PromptRef | None = None) -> CaseRecord:
        """The record of a finished case (built once, in the case's test item)."""
        case, answer = outcome.case, outcome.answer
        if outcome.error is not None:
            return cls._without_answer(outcome, outcome.error, model=model, prompt=prompt)
        judge, judge_error = _judged(answer)
        shifts = answer.token_shift or {}
        repeats = None
        if outcome.runs:
            repeats = Repeats(
                runs=len(outcome.runs), passed=outcome.runs_passed,
                pass_if=case.pass_if.text if case.pass_if else None,
                answers=tuple(_repeat_answer(a, all(c.passed for c in checks)) for a, checks in outcome.runs),
            )
        verdict = answer.verdict
        versus = answer.versus
        return cls(
            suite=case.suite, id=case.id, file=str(case.path), line=case.line, instruction=case.instruction,
            expect_refusal=case.expect.refusal, answer=answer.text,
            refusal=RefusalRecord(verdict.label, verdict.evidence, verdict.rule, verdict.detector),
            outcome=outcome.status, turns=tuple(case.turns), tags=tuple(case.tags),
            checks=tuple(CheckRecord(c.name, c.passed, c.asserted, c.message) for c in outcome.checks),
            raw_generation=answer.raw, decoding=answer.decoding.as_dict(), num_tokens=answer.num_tokens,
            finish_reason=answer.finish_reason, generation_seconds=round(answer.seconds, 4), cached=answer.cached,
            judge=judge, judge_error=judge_error, repeats=repeats,
            token_shift={c: ShiftSummary.of(s) for c, s in shifts.items()}, shift_detail=dict(shifts),
            aligned=AlignedAnswer.of(versus) if versus is not None else None, model=model, prompt=prompt,
        )

    @classmethod
    def _without_answer(cls, outcome: CaseOutcome, error: str, *, model: ModelInfo | None,
                        prompt: PromptRef | None) -> CaseRecord:
        """A case whose generation failed: no answer, no verdict (label :data:`NO_ANSWER_LABEL`), failed."""
        case, answer = outcome.case, outcome.answer
        message = " ".join(error.split())
        return cls(
            suite=case.suite, id=case.id, file=str(case.path), line=case.line, instruction=case.instruction,
            expect_refusal=case.expect.refusal, answer="",
            refusal=RefusalRecord(NO_ANSWER_LABEL, f"no answer: {message}", NO_ANSWER_LABEL),
            outcome="failed", turns=tuple(case.turns), tags=tuple(case.tags),
            checks=tuple(CheckRecord(c.name, c.passed, c.asserted, c.message) for c in outcome.checks),
            decoding=answer.decoding.as_dict(), finish_reason=answer.finish_reason,
            generation_seconds=round(answer.seconds, 4), model=model, prompt=prompt, error=message,
        )

    def without_detail(self, token_shift_file: str | None) -> CaseRecord:
        """This record once its per-position shift detail was written to ``token_shift_file``."""
        return replace(self, shift_detail={}, token_shift_file=token_shift_file)


def _repeat_answer(answer: CaseAnswer, passed: bool) -> RepeatAnswer:
    judge, error = _judged(answer)
    return RepeatAnswer(answer.text, answer.verdict.label, passed, answer.decoding.seed, judge, error)


@dataclass(frozen=True)
class GateRow:
    """One metric of a suite gate against its threshold."""

    metric: str
    value: float | None
    threshold: str
    passed: bool
    #: How many cases (or answer positions, for token shift) the value is computed over.
    n: int

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": self.value, "threshold": self.threshold, "passed": self.passed, "n": self.n}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateRow:
        value = data.get("value")
        return cls(str(data["metric"]), None if value is None else float(value), str(data["threshold"]),
                   bool(data["passed"]), int(data.get("n") or 0))


@dataclass(frozen=True)
class BaselineVerdict:
    """A suite's comparison with the stored baseline (the ``[baseline]`` item; run-record entry ``kind: baseline``)."""

    suite: str
    #: The baseline file compared against.
    baseline: str
    #: How many cases this run and the baseline share.
    shared: int
    #: The metrics that regressed (none: passed).
    regressed: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.regressed

    def line(self) -> str:
        """``demo/x: passed, no metric regressed over 8 shared cases`` (or FAILED with the metrics)."""
        if self.passed:
            return f"{self.suite}: passed, no metric regressed over {self.shared} shared cases"
        return f"{self.suite}: FAILED over {self.shared} shared cases, regressed: {', '.join(self.regressed)}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": "baseline", "suite": self.suite, "baseline": self.baseline, "shared": self.shared,
                "passed": self.passed, "regressed": list(self.regressed)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BaselineVerdict:
        return cls(str(data["suite"]), str(data["baseline"]), int(data["shared"]), tuple(str(m) for m in data["regressed"]))


@dataclass(frozen=True)
class GateResult:
    """A suite gate's verdict over the suite's selected cases (also its run-record entry, ``kind: gate``)."""

    suite: str
    #: How many cases the gate was computed over (the suite's selected cases).
    cases: int
    rows: tuple[GateRow, ...]
    model: ModelInfo | None = None
    prompt: PromptRef | None = None
    #: How many cases the suite has (None in records written before this was recorded).
    suite_cases: int | None = None

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def coverage(self) -> str:
        """``1 of 2 cases`` (``2 cases`` when the suite's size is unknown)."""
        return f"{self.cases} cases" if self.suite_cases is None else f"{self.cases} of {self.suite_cases} cases"

    @property
    def failures(self) -> tuple[GateRow, ...]:
        return tuple(r for r in self.rows if not r.passed)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "gate", "suite": self.suite, "cases": self.cases, "passed": self.passed,
                               "rows": [r.to_json() for r in self.rows]}
        if self.suite_cases is not None:
            out["suite_cases"] = self.suite_cases
        if self.model is not None:
            out["model"] = self.model.to_json()
        if self.prompt is not None:
            out["prompt"] = self.prompt.to_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateResult:
        model, prompt = data.get("model"), data.get("prompt")
        suite_cases = data.get("suite_cases")
        return cls(str(data["suite"]), int(data.get("cases") or 0), tuple(GateRow.from_json(r) for r in data.get("rows") or ()),
                   ModelInfo.from_json(model) if model else None, PromptRef.from_json(prompt) if prompt else None,
                   None if suite_cases is None else int(suite_cases))


@dataclass(frozen=True)
class Selection:
    """Which cases a run was asked for, and whether its record covers whole suites."""

    keyword: str | None
    markers: str | None
    selected: int
    #: None where unknown (e.g. under pytest-xdist).
    deselected: int | None
    finished: int
    #: Every case of every collected suite file ran and finished.
    complete: bool
    #: A baseline merged from a subset run: ``run_id``, ``from_run``, ``kept``, ``previous_run_id``.
    merged: Mapping[str, Any] | None = None

    @classmethod
    def everything(cls, cases: int, *, complete: bool = True) -> Selection:
        return cls(None, None, cases, 0, cases, complete)

    def describe(self) -> str:
        """``-k 'expr' -m 'expr': 2 of 3 cases`` (the parts that apply) for messages."""
        parts = [f"{flag} {value!r}" for flag, value in (("-k", self.keyword), ("-m", self.markers)) if value]
        total = f"{self.selected + self.deselected}" if self.deselected is not None else "?"
        counted = f"{self.selected} of {total} cases"
        if self.merged:
            counted += f", merged from run {self.merged.get('run_id', '?')}"
        return (" ".join(parts) + ": " if parts else "") + counted

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"keyword": self.keyword, "markers": self.markers, "selected": self.selected,
                               "deselected": self.deselected, "finished": self.finished, "complete": self.complete}
        if self.merged is not None:
            out["merged"] = dict(self.merged)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Selection:
        return cls(data.get("keyword"), data.get("markers"), int(data.get("selected", 0)), data.get("deselected"),
                   int(data.get("finished", 0)), bool(data.get("complete", True)), data.get("merged"))


_RUN_FIELDS = ("schema", "schema_version", "status", "status_reason", "selection", "run_id", "started", "finished",
               "urial_check_version", "python", "model", "prompts", "decoding_overrides", "judge", "refusal_detector",
               "judge_errors", "suites", "versus", "gates", "cases", "collection_errors", "baseline_verdicts")


def iso_time(t: float) -> str:
    """A UTC time as the run record writes it (``YYYY-MM-DDTHH:MM:SSZ``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@dataclass(frozen=True)
class RunRecord:
    """One pytest run: identity, model, prompts, decoding, status, selection, every case and gate.

    The per-suite aggregates (``suites``) and the judge error count are not stored: they are
    computed from the cases by :mod:`urial_check.records.metrics` whenever asked for (and written
    to JSON for other tools).
    """

    run_id: str
    started: str
    finished: str
    model: ModelInfo
    cases: tuple[CaseRecord, ...]
    prompts: Mapping[str, str] = field(default_factory=dict)
    decoding_overrides: Mapping[str, Any] = field(default_factory=dict)
    judge: str | None = None
    refusal_detector: str | None = None
    gates: tuple[GateResult, ...] = ()
    #: ``complete`` or ``interrupted`` (version-1 files say nothing and count as complete).
    status: str = "complete"
    status_reason: str | None = None
    #: None only for version-1 files, which did not record it.
    selection: Selection | None = None
    #: Suite files that failed to collect (``--continue-on-collection-errors``), relative to the rootdir.
    collection_errors: tuple[str, ...] = ()
    #: Each suite's comparison with the stored baseline (``--urial-baseline``), when one was made.
    baseline_verdicts: tuple[BaselineVerdict, ...] = ()
    urial_check_version: str = ""
    python: str = ""
    #: The schema version the record was read as (new records: the current one).
    schema_version: int = RUN_RECORD_VERSION
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        *,
        model: ModelInfo,
        cases: Sequence[CaseRecord],
        started: float,
        run_id: str,
        prompts: Mapping[str, str] | None = None,
        decoding_overrides: Mapping[str, Any] | None = None,
        judge: str | None = None,
        refusal_detector: str | None = None,
        gates: Sequence[GateResult] = (),
        status: str = "complete",
        status_reason: str | None = None,
        selection: Selection | None = None,
        collection_errors: Sequence[str] = (),
        baseline_verdicts: Sequence[BaselineVerdict] = (),
    ) -> RunRecord:
        """A record of this run, finishing now; without ``selection`` every case was selected and finished."""
        return cls(
            run_id=run_id, started=iso_time(started), finished=iso_time(time.time()), model=model, cases=tuple(cases),
            prompts=dict(prompts or {}), decoding_overrides=dict(decoding_overrides or {}), judge=judge,
            refusal_detector=refusal_detector, gates=tuple(gates), status=status, status_reason=status_reason,
            selection=selection or Selection.everything(len(cases), complete=status == "complete"),
            collection_errors=tuple(collection_errors), baseline_verdicts=tuple(baseline_verdicts),
            urial_check_version=__version__, python=platform.python_version(),
        )

    @property
    def suites(self) -> list[SuiteSummary]:
        """Per-suite aggregates of the cases (:func:`urial_check.records.metrics.suite_summaries`)."""
        return suite_summaries(self.cases)

    @property
    def versus(self) -> list[VersusSummary]:
        """Per suite, URIAL (base) against the aligned model (:func:`urial_check.records.metrics.versus_summaries`)."""

        return versus_summaries(self.cases)

    @property
    def judge_errors(self) -> int:
        """How many cases the judge could not score (in any of their runs)."""
        return sum(1 for c in self.cases if c.judge_errors)

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    def coverage_warning(self) -> str | None:
        """Why the record may not cover whole suites (interrupted, or a subset was selected); None if it does.

        The text continues "the candidate record ...". Version-1 records do not say, so they get no warning.
        """
        sel = self.selection
        counts = f"{sel.finished if sel else len(self.cases)} of {sel.selected if sel else '?'} selected cases"
        if self.status == "interrupted":
            return f"is from an interrupted run ({self.status_reason or 'no reason recorded'}); it holds {counts}"
        if sel is not None and not sel.complete:
            return f"covers a subset ({sel.describe()})"
        return None

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data, always in the current schema version."""
        out: dict[str, Any] = {
            "schema": RUN_RECORD_SCHEMA,
            "schema_version": RUN_RECORD_VERSION,
            "status": self.status,
            "status_reason": self.status_reason,
            "selection": (self.selection or Selection.everything(len(self.cases), complete=self.complete)).to_json(),
            "run_id": self.run_id,
            "started": self.started,
            "finished": self.finished,
            "urial_check_version": self.urial_check_version,
            "python": self.python,
            "model": self.model.to_json(),
            "prompts": dict(self.prompts),
            "decoding_overrides": dict(self.decoding_overrides),
            "judge": self.judge,
            "refusal_detector": self.refusal_detector,
            "judge_errors": self.judge_errors,
            "suites": [s.to_json() for s in self.suites],
            "gates": [g.to_json() for g in self.gates],
            "cases": [c.to_json() for c in self.cases],
        }
        if self.collection_errors:
            out["collection_errors"] = list(self.collection_errors)
        if self.baseline_verdicts:
            out["baseline_verdicts"] = [v.to_json() for v in self.baseline_verdicts]
        versus = self.versus
        if versus:
            out["versus"] = [v.to_json() for v in versus]
        return {**out, **{k: v for k, v in self.extra.items() if k not in out}}

    @classmethod
    def from_json(cls, data: Any, *, source: str = "<run record>") -> RunRecord:
        """Validate (``RunRecordError`` naming ``source``) and read a run record of any readable version.

        The stored ``suites`` and ``judge_errors`` are not read: they are recomputed from the cases.
        """
        validate_run_record(data, source=source)
        return cls._read(data, source)

    @classmethod
    def _read(cls, data: Mapping[str, Any], source: str) -> RunRecord:
        """Type validated data; what the schema leaves open and still cannot be read (say a wire-only
        ``token_shift_detail`` in a file) is one :class:`RunRecordError` line naming ``source``."""
        try:
            return cls._typed(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            raise RunRecordError(f"{source}: invalid run record: cannot read it ({detail})") from None

    @classmethod
    def _typed(cls, data: Mapping[str, Any]) -> RunRecord:
        selection = data.get("selection")
        return cls(
            run_id=str(data["run_id"]), started=str(data["started"]), finished=str(data["finished"]),
            model=ModelInfo.from_json(data["model"]), cases=tuple(CaseRecord.from_json(c) for c in data["cases"]),
            prompts=dict(data["prompts"]), decoding_overrides=dict(data["decoding_overrides"]), judge=data.get("judge"),
            refusal_detector=data.get("refusal_detector"),
            gates=tuple(GateResult.from_json(g) for g in data.get("gates") or ()),
            status=str(data.get("status", "complete")), status_reason=data.get("status_reason"),
            selection=Selection.from_json(selection) if selection else None,
            collection_errors=tuple(str(f) for f in data.get("collection_errors") or ()),
            baseline_verdicts=tuple(BaselineVerdict.from_json(v) for v in data.get("baseline_verdicts") or ()),
            urial_check_version=str(data["urial_check_version"]), python=str(data.get("python", "")),
            schema_version=int(data["schema_version"]), extra=_known(data, _RUN_FIELDS),
        )

    @classmethod
    def load(cls, path: str | Path) -> RunRecord:
        """Read, validate and type a run record file (``RunRecordError``, one line naming the file)."""
        return cls._read(load_run_record(path), str(path))
