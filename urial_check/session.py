"""The run's core object: plans the selected cases, generates their answers in batches, checks them.

Plain Python (no pytest): the plugin builds one :class:`UrialSession` per test session, tells it
which cases were selected (:meth:`plan`), and each test calls :meth:`evaluate`. The first call
generates answers for all pending cases (or a window of them under ``-x``), so tests only assert.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Mapping, Protocol, Sequence, Union

from urial_check.answers import CaseAnswer
from urial_check.generation.backends.base import BackendError, GenerationRequest, GenerationResult, Generator, LocalModel
from urial_check.generation.cache import generation_key
from urial_check.generation.engine import ENGINE_VERSION
from urial_check.measures.detectors import DetectorError, DetectorUnavailable, RefusalDetector, RulesDetector, detect_cached
from urial_check.reports.progress import GenerationProgress
from urial_check.suites.checks import DEFAULT_CHECKS, Check, CheckResult
from urial_check.generation.decoding import Decoding
from urial_check.generation.prompt import STOP_STRINGS, UrialPrompt, cut_answer
from urial_check.suites.loader import Case

if TYPE_CHECKING:
    # Types only: config imports this module (build_session makes a UrialSession).
    from urial_check.config import RunConfig

#: A detector, or a function that builds one on first use (None: the rules).
DetectorSpec = Union[RefusalDetector, Callable[[], RefusalDetector], None]


@dataclass(frozen=True)
class SessionSettings:
    """Prompt, decoding overrides, windows and progress of a run (part of :class:`~urial_check.config.RunConfig`)."""

    prompt_path: Path | None = None
    #: Decoding settings from the command line; they override suites and cases.
    decoding_overrides: tuple[tuple[str, Any], ...] = ()
    #: Generate at most this many pending cases at a time (None: all pending at once).
    window: int | None = None
    progress: bool = True


@dataclass(frozen=True)
class _Generated:
    """An answer whose refusal verdict is not decided yet (verdicts are decided in batches)."""

    fields: Mapping[str, Any]
    instruction: str


@dataclass(frozen=True)
class CaseOutcome:
    """A case's answer together with its check results (for every run when it repeats)."""

    case: Case
    answer: CaseAnswer
    checks: tuple[CheckResult, ...]
    #: With ``repeats > 1``: each run's answer and check results (the first is ``answer``/``checks``).
    runs: tuple[tuple[CaseAnswer, tuple[CheckResult, ...]], ...] = ()
    #: Why the case has no answer: its own generation failed (e.g. its prompt does not fit the
    #: model's context). The case then fails with this one check, ``answer`` holds no text to check.
    error: str | None = None

    @classmethod
    def failed_generation(cls, case: Case, answer: CaseAnswer, error: str) -> CaseOutcome:
        """The outcome of a case that got no answer: failed, with ``error`` as its only check."""
        return cls(case=case, answer=answer, checks=(CheckResult("generation", False, f"no answer: {error}"),), error=error)

    @property
    def runs_passed(self) -> int:
        return sum(all(c.passed for c in checks) for _, checks in self.runs)

    @property
    def passed(self) -> bool:
        if self.error is not None:
            return False
        if self.runs:
            wanted = self.case.pass_if
            return self.runs_passed == len(self.runs) if wanted is None else wanted.check(self.runs_passed)
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        if self.error is not None:
            return self.checks
        if self.runs:
            if self.passed:
                return ()
            wanted = self.case.pass_if.text if self.case.pass_if else f"== {len(self.runs)}"
            first_failure = next((c for _, checks in self.runs for c in checks if not c.passed), None)
            detail = f" (e.g. {first_failure.message})" if first_failure else ""
            message = f"{self.runs_passed} of {len(self.runs)} runs passed, expected {wanted}{detail}"
            return (CheckResult("repeats", False, message),)
        return tuple(c for c in self.checks if not c.passed)

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"


class CaseFailure(AssertionError):
    """A case's checks failed; carries the outcome so the plugin can tell the story."""

    def __init__(self, outcome: CaseOutcome, model_id: str) -> None:
        self.outcome = outcome
        self.model_id = model_id
        super().__init__("; ".join(f.message for f in outcome.failures))


class MeasurementError(RuntimeError):
    """A measurer cannot run at all (e.g. models with different vocabularies); one line for the user."""


class Measurement(Protocol):
    """What one measurer found about one answer; it fills its own typed fields of the answer."""

    def apply(self, answer: CaseAnswer) -> CaseAnswer:
        """``answer`` with this measurement's fields set (``dataclasses.replace``)."""
        ...


class Measurer(Protocol):
    """Adds a measurement to answers after they are generated (judge scores, token shift, ...)."""

    name: str

    def measure(self, session: UrialSession, items: Sequence[tuple[Case, CaseAnswer]]) -> Sequence[Measurement | None]:
        """One measurement per item, in order (None where it does not apply)."""
        ...

    def close(self) -> None: ...


def case_key(case: Case) -> str:
    return f"{case.path}::{case.id}"


def run_key(case: Case, run: int = 0) -> str:
    return case_key(case) if run == 0 else f"{case_key(case)}#{run}"


class UrialSession:
    """Owns the backend, the prompts, the generated answers and the outcomes of one run."""

    def __init__(
        self,
        settings: SessionSettings,
        backend_factory: Callable[[], Generator],
        *,
        checks: Sequence[Check] = DEFAULT_CHECKS,
        measurers: Sequence[Measurer] = (),
        cache: Any = None,
        progress_guard: Callable[[], ContextManager[Any]] = contextlib.nullcontext,
        detector: DetectorSpec = None,
        config: RunConfig | None = None,
    ) -> None:
        self.settings = settings
        #: The run's configuration when the session was built from one (:func:`urial_check.config.build_session`).
        self.config = config
        self._backend_factory = backend_factory
        self._backend: Generator | None = None
        self.checks = tuple(checks)
        self.measurers = tuple(measurers)
        #: Entered around progress-bar output (the plugin lifts pytest's output capture there).
        self._progress_guard = progress_guard
        self.cache = cache
        self._prompts: dict[Path | None, UrialPrompt] = {}
        self._planned: list[Case] = []
        self._answers: dict[str, CaseAnswer] = {}
        self._detector_spec = detector
        self._detector: RefusalDetector | None = None
        #: Generated answers waiting for their verdicts, and answers whose verdict could not be decided.
        self._undecided: dict[str, _Generated] = {}
        self._verdict_errors: dict[str, DetectorError] = {}
        #: (measurer name, run key) of every answer each measurer has measured (or found it does not apply to).
        self._measured: set[tuple[str, str]] = set()
        self.outcomes: dict[str, CaseOutcome] = {}

    # ------------------------------------------------------------------ backend and prompts

    @property
    def backend(self) -> Generator:
        if self._backend is None:
            self._backend = self._backend_factory()
        return self._backend

    @property
    def detector(self) -> RefusalDetector:
        """The refusal detector: the one given, built on first use; the rules by default."""
        if self._detector is None:
            spec = self._detector_spec
            try:
                if spec is None:
                    self._detector = RulesDetector()
                elif isinstance(spec, RefusalDetector):
                    self._detector = spec
                else:
                    self._detector = spec()
            except DetectorError as exc:
                raise MeasurementError(f"refusal detector: {exc}") from None
        return self._detector

    @property
    def backend_started(self) -> bool:
        return self._backend is not None

    def prompt_for(self, case: Case) -> UrialPrompt:
        path = case.prompt_path or self.settings.prompt_path
        if path not in self._prompts:
            self._prompts[path] = UrialPrompt.from_file(path) if path else UrialPrompt.default()
        return self._prompts[path]

    def decoding_for(self, case: Case) -> Decoding:
        return Decoding().updated(dict(case.generation)).updated(dict(self.settings.decoding_overrides))

    def request_for(self, case: Case, run: int = 0) -> GenerationRequest:
        """The generation request for one run of a case (sampled repeats get consecutive seeds)."""
        prompt = self.prompt_for(case)
        decoding = self.decoding_for(case)
        if run and decoding.do_sample:
            decoding = decoding.updated({"seed": (decoding.seed or 0) + run})
        return GenerationRequest(prompt=prompt.render(case.turns), decoding=decoding, prefix=prompt.text, stop=STOP_STRINGS)

    # ------------------------------------------------------------------ planning and generation

    def plan(self, cases: Sequence[Case]) -> None:
        """Declare the selected cases in run order (after ``-k``/``-m`` deselection)."""
        self._planned = list(cases)

    @property
    def planned(self) -> list[Case]:
        return list(self._planned)

    def pending(self) -> list[Case]:
        return [c for c in self._planned if not self._has_all_runs(c)]

    def _has_all_runs(self, case: Case) -> bool:
        return all(self._done(run_key(case, i)) for i in range(case.repeats))

    def _done(self, key: str) -> bool:
        return key in self._answers or key in self._verdict_errors

    def _raise_verdict_error(self, case: Case) -> None:
        for i in range(case.repeats):
            error = self._verdict_errors.get(run_key(case, i))
            if error is not None:
                raise error

    def answer(self, case: Case) -> CaseAnswer:
        """The case's (first) answer, generating it and a batch of other pending cases if needed."""
        return self.answers(case)[0]

    def answers(self, case: Case) -> list[CaseAnswer]:
        """Every run's answer of a case (one unless the case has ``repeats``)."""
        if not self._has_all_runs(case):
            key = case_key(case)
            pending = self.pending()
            index = next((i for i, c in enumerate(pending) if case_key(c) == key), None)
            if index is None:
                pending.insert(0, case)
            else:
                pending = pending[index:] + pending[:index]
            if self.settings.window:
                pending = pending[: self.settings.window]
            self._produce(pending)
        self._raise_verdict_error(case)
        return [self._answers[run_key(case, i)] for i in range(case.repeats)]

    def answer_many(self, cases: Sequence[Case]) -> list[CaseAnswer]:
        """First answers for ad-hoc cases (not necessarily planned), generated together in batches."""
        missing = list({case_key(c): c for c in cases if not self._has_all_runs(c)}.values())
        if missing:
            self._produce(missing)
        for case in cases:
            self._raise_verdict_error(case)
        return [self._answers[run_key(c, 0)] for c in cases]

    def _produce(self, cases: Sequence[Case]) -> None:
        units = [(c, i) for c in cases for i in range(c.repeats) if not self._done(run_key(c, i))]
        self._generate(units)
        self._decide()
        self._measure([(c, i) for c in cases for i in range(c.repeats) if run_key(c, i) in self._answers])

    def _decide(self) -> None:
        """Verdicts for every answer waiting for one, in one batch through the session's detector."""
        if not self._undecided:
            return
        keys = list(self._undecided)
        unique: dict[tuple[str, str], int] = {}
        for key in keys:
            waiting = self._undecided[key]
            unique.setdefault((waiting.fields["text"], waiting.instruction), len(unique))
        try:
            outcomes = detect_cached(self.detector, list(unique), self.cache)
        except DetectorUnavailable as exc:
            raise MeasurementError(f"refusal detector unavailable: {exc}") from None
        for key in keys:
            waiting = self._undecided.pop(key)
            outcome = outcomes[unique[(waiting.fields["text"], waiting.instruction)]]
            if isinstance(outcome, DetectorError):
                self._verdict_errors[key] = outcome
            else:
                self._answers[key] = CaseAnswer(**waiting.fields, verdict=outcome)

    def _measure(self, units: Sequence[tuple[Case, int]]) -> None:
        for measurer in self.measurers:
            todo = [u for u in units if (measurer.name, run_key(*u)) not in self._measured
                    and self._answers[run_key(*u)].error is None]
            if not todo:
                continue
            values = measurer.measure(self, [(c, self._answers[run_key(c, i)]) for c, i in todo])
            for (case, i), value in zip(todo, values):
                key = run_key(case, i)
                self._measured.add((measurer.name, key))
                if value is not None:
                    self._answers[key] = value.apply(self._answers[key])

    def _generate(self, units: Sequence[tuple[Case, int]]) -> None:
        requests = [self.request_for(c, i) for c, i in units]
        # Identical requests (greedy repeats, one question asked twice) are generated once.
        first: dict[GenerationRequest, int] = {}
        todo: list[int] = []
        followers: dict[int, list[int]] = {}
        for i, request in enumerate(requests):
            if request in first:
                followers.setdefault(first[request], []).append(i)
                continue
            first[request] = i
            hit = self._cache_get(request)
            if hit is not None:
                self._store(units[i], request, hit)
            else:
                todo.append(i)
        for leader, others in followers.items():
            if run_key(*units[leader]) in self._undecided:
                for i in others:
                    self._copy(units[leader], units[i])
        if not todo:
            return
        backend = self.backend

        reported: set[int] = set()

        def on_result(j: int, result: GenerationResult) -> None:
            reported.add(j)
            i = todo[j]
            self._cache_put(requests[i], result)
            self._store(units[i], requests[i], result)
            for other in followers.get(i, []):
                self._copy(units[i], units[other])

        with self._progress_guard():
            progress = self._progress(len(todo))
            try:
                batch = [requests[i] for i in todo]
                if progress is None:  # backends without progress reporting stay usable
                    returned = backend.generate(batch, on_result=on_result)
                else:
                    returned = backend.generate(batch, on_result=on_result, progress=progress)
                # A backend may only return its results (in request order): those are answers too.
                missing = [j for j in range(len(batch)) if j not in reported]
                if missing:
                    results = list(returned or ())
                    if len(results) != len(batch):
                        raise BackendError(f"the {backend.model_id} backend returned {len(results)} "
                                           f"result{'s' if len(results) != 1 else ''} for {len(batch)} requests "
                                           "(generate() must return one result per request, in request order)")
                    for j in missing:
                        on_result(j, results[j])
            finally:
                if progress is not None:
                    progress.close()

    def _copy(self, source: tuple[Case, int], target: tuple[Case, int]) -> None:
        waiting = self._undecided[run_key(*source)]
        self._undecided[run_key(*target)] = _Generated({**waiting.fields, "case_key": run_key(*target)}, target[0].instruction)

    def _progress(self, total: int) -> Any:
        """A bar per decode step on a terminal, one line per batch elsewhere (see :mod:`urial_check.reports.progress`)."""
        if not self.settings.progress or total < 2:
            return None
        return GenerationProgress(total)

    def _store(self, unit: tuple[Case, int], request: GenerationRequest, result: GenerationResult) -> None:
        fields = {
            "case_key": run_key(*unit),
            "prompt": request.prompt,
            "text": cut_answer(result.text, request.stop),
            "raw": result.text,
            "decoding": request.decoding,
            "num_tokens": result.num_tokens,
            "finish_reason": result.finish_reason,
            "seconds": result.seconds,
            "cached": result.cached,
            "error": result.error,
        }
        self._undecided[run_key(*unit)] = _Generated(fields, unit[0].instruction)

    def _cache_key(self, request: GenerationRequest) -> str | None:
        if self.cache is None:
            return None
        return generation_key(
            model_fingerprint=self.backend_fingerprint,
            prompt=request.prompt,
            decoding=request.decoding,
            stop=request.stop,
            engine_version=ENGINE_VERSION,
        )

    @property
    def primary_shift_context(self) -> str | None:
        """The token-shift context assertions and gates use (None when token shift is off)."""
        for measurer in self.measurers:
            context = getattr(measurer, "primary_context", None)
            if context:
                return str(context)
        return None

    def model_info(self) -> dict[str, Any]:
        """Model id, weight fingerprint and device, for records."""
        backend = self.backend
        local = backend if isinstance(backend, LocalModel) else None
        return {
            "id": backend.model_id,
            "fingerprint": backend.fingerprint,
            "device": local.device if local else None,
            "dtype": local.dtype if local else None,
            # None when every answer came from the cache and the model was never loaded.
            "load_seconds": local.load_seconds if local else None,
        }

    @property
    def backend_fingerprint(self) -> str:
        return self.backend.fingerprint

    def _cache_get(self, request: GenerationRequest) -> GenerationResult | None:
        key = self._cache_key(request)
        return None if key is None else self.cache.get(key)

    def _cache_put(self, request: GenerationRequest, result: GenerationResult) -> None:
        if result.error is not None:
            return  # no answer: nothing to serve later
        key = self._cache_key(request)
        if key is not None:
            self.cache.put(key, result)

    # ------------------------------------------------------------------ checking

    def evaluate(self, case: Case) -> CaseOutcome:
        """Answer the case (every run) and run every check; remember and return the outcome.

        A case whose own generation failed (a prompt too long for the model, non-finite logits)
        is not checked: its outcome is failed, with the error (:attr:`CaseOutcome.error`).
        """
        answers = self.answers(case)
        failed = next((a for a in answers if a.error is not None), None)
        if failed is not None and failed.error is not None:
            outcome = CaseOutcome.failed_generation(case, failed, failed.error)
            self.outcomes[case_key(case)] = outcome
            return outcome
        runs = tuple((a, tuple(r for check in self.checks if (r := check(case, a)) is not None)) for a in answers)
        outcome = CaseOutcome(case=case, answer=runs[0][0], checks=runs[0][1], runs=runs if case.repeats > 1 else ())
        self.outcomes[case_key(case)] = outcome
        return outcome

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
        for measurer in self.measurers:
            measurer.close()
        if self._backend is not None:
            self._backend.close()
        if self.cache is not None:
            self.cache.close()


__all__ = [
    "CaseFailure", "CaseOutcome", "Measurement", "MeasurementError", "Measurer", "SessionSettings", "UrialSession",
    "case_key", "run_key",
]
