"""The run's core object: plans the selected cases, generates their answers in batches, checks them.

Plain Python (no pytest): the plugin builds one :class:`UrialSession` per test session, tells it
which cases were selected (:meth:`plan`), and each test calls :meth:`evaluate`. The first call
generates answers for all pending cases (or a window of them under ``-x``), so tests only assert.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

from .backends.base import Backend, GenerationRequest, GenerationResult
from .checks import DEFAULT_CHECKS, Check, CheckResult
from .decoding import Decoding
from .prompt import STOP_STRINGS, UrialPrompt, cut_answer
from .suite import Case

if TYPE_CHECKING:
    from .refusal import RefusalVerdict


@dataclass(frozen=True)
class SessionSettings:
    """Everything a run needs besides the cases. Built from pytest options by the plugin."""

    prompt_path: Path | None = None
    #: Decoding settings from the command line; they override suites and cases.
    decoding_overrides: tuple[tuple[str, Any], ...] = ()
    #: Generate at most this many pending cases at a time (None: all pending at once).
    window: int | None = None
    progress: bool = True


@dataclass(frozen=True)
class Answer:
    """A case's answer and everything measured about it."""

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


@dataclass(frozen=True)
class CaseOutcome:
    """A case's answer together with its check results."""

    case: Case
    answer: Answer
    checks: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
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


class Measurer(Protocol):
    """Adds a measurement to answers after they are generated (judge scores, token shift, ...)."""

    name: str

    def measure(self, session: UrialSession, items: Sequence[tuple[Case, Answer]]) -> list[Any]:
        """One measurement per item, in order (None where it does not apply)."""
        ...

    def close(self) -> None: ...


def case_key(case: Case) -> str:
    return f"{case.path}::{case.id}"


class UrialSession:
    """Owns the backend, the prompts, the generated answers and the outcomes of one run."""

    def __init__(
        self,
        settings: SessionSettings,
        backend_factory: Callable[[], Backend],
        *,
        checks: Sequence[Check] = DEFAULT_CHECKS,
        measurers: Sequence[Measurer] = (),
        cache: Any = None,
    ) -> None:
        self.settings = settings
        self._backend_factory = backend_factory
        self._backend: Backend | None = None
        self.checks = tuple(checks)
        self.measurers = tuple(measurers)
        self.cache = cache
        self._prompts: dict[Path | None, UrialPrompt] = {}
        self._planned: list[Case] = []
        self._answers: dict[str, Answer] = {}
        self.outcomes: dict[str, CaseOutcome] = {}
        self.generated_seconds = 0.0
        self.started = time.time()

    # ------------------------------------------------------------------ backend and prompts

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = self._backend_factory()
        return self._backend

    @property
    def backend_started(self) -> bool:
        return self._backend is not None

    def prompt_for(self, case: Case) -> UrialPrompt:
        path = case.prompt_path or self.settings.prompt_path
        if path not in self._prompts:
            self._prompts[path] = UrialPrompt.from_file(path) if path else UrialPrompt.default()
        return self._prompts[path]

    @property
    def prompts(self) -> dict[Path | None, UrialPrompt]:
        return dict(self._prompts)

    def decoding_for(self, case: Case) -> Decoding:
        return Decoding().updated(dict(case.generation)).updated(dict(self.settings.decoding_overrides))

    def request_for(self, case: Case) -> GenerationRequest:
        prompt = self.prompt_for(case)
        return GenerationRequest(
            prompt=prompt.render(case.turns), decoding=self.decoding_for(case), prefix=prompt.text, stop=STOP_STRINGS
        )

    # ------------------------------------------------------------------ planning and generation

    def plan(self, cases: Sequence[Case]) -> None:
        """Declare the selected cases in run order (after ``-k``/``-m`` deselection)."""
        self._planned = list(cases)

    def pending(self) -> list[Case]:
        return [c for c in self._planned if case_key(c) not in self._answers]

    def answer(self, case: Case) -> Answer:
        """The case's answer, generating it (and a batch of other pending cases) if needed."""
        key = case_key(case)
        if key not in self._answers:
            pending = self.pending()
            if case_key(case) not in {case_key(c) for c in pending}:
                pending.insert(0, case)
            else:
                index = next(i for i, c in enumerate(pending) if case_key(c) == key)
                pending = pending[index:] + pending[:index]
            if self.settings.window:
                pending = pending[: self.settings.window]
            self._generate(pending)
            self._measure(pending)
        return self._answers[key]

    def answer_many(self, cases: Sequence[Case]) -> list[Answer]:
        """Answers for ad-hoc cases (not necessarily planned), generated together in batches."""
        missing = list({case_key(c): c for c in cases if case_key(c) not in self._answers}.values())
        if missing:
            self._generate(missing)
            self._measure(missing)
        return [self._answers[case_key(c)] for c in cases]

    def _measure(self, cases: Sequence[Case]) -> None:
        for measurer in self.measurers:
            todo = [c for c in cases if measurer.name not in self._answers[case_key(c)].measurements]
            if not todo:
                continue
            values = measurer.measure(self, [(c, self._answers[case_key(c)]) for c in todo])
            for case, value in zip(todo, values):
                old = self._answers[case_key(case)]
                self._answers[case_key(case)] = dataclasses.replace(
                    old, measurements={**old.measurements, measurer.name: value}
                )

    def _generate(self, cases: Sequence[Case]) -> None:
        requests = [self.request_for(c) for c in cases]
        todo: list[int] = []
        for i, request in enumerate(requests):
            hit = self._cache_get(request)
            if hit is not None:
                self._store(cases[i], request, hit)
            else:
                todo.append(i)
        if not todo:
            return
        backend = self.backend
        t0 = time.perf_counter()

        def on_result(j: int, result: GenerationResult) -> None:
            i = todo[j]
            self._cache_put(requests[i], result)
            self._store(cases[i], requests[i], result)

        bar = self._progress_bar(len(todo))
        try:
            backend.generate([requests[i] for i in todo], on_result=_tee(on_result, bar))
        finally:
            if bar is not None:
                bar.close()
            self.generated_seconds += time.perf_counter() - t0

    def _progress_bar(self, total: int) -> Any:
        if not self.settings.progress or total < 2:
            return None
        from tqdm import tqdm

        return tqdm(total=total, desc="urial-check: generating", unit="case", leave=False, dynamic_ncols=True)

    def _store(self, case: Case, request: GenerationRequest, result: GenerationResult) -> None:
        from .refusal import detect_refusal

        text = cut_answer(result.text, request.stop)
        self._answers[case_key(case)] = Answer(
            case_key=case_key(case),
            prompt=request.prompt,
            text=text,
            raw=result.text,
            decoding=request.decoding,
            num_tokens=result.num_tokens,
            finish_reason=result.finish_reason,
            seconds=result.seconds,
            cached=result.cached,
            verdict=detect_refusal(text, case.instruction),
        )

    def _cache_key(self, request: GenerationRequest) -> str | None:
        if self.cache is None:
            return None
        from .cache import generation_key
        from .engine import ENGINE_VERSION

        return generation_key(
            model_fingerprint=self.backend_fingerprint,
            prompt=request.prompt,
            decoding=request.decoding,
            stop=request.stop,
            engine_version=ENGINE_VERSION,
        )

    def model_info(self) -> dict[str, Any]:
        """Model id, weight fingerprint and device, for records."""
        backend = self.backend
        return {"id": backend.model_id, "fingerprint": backend.fingerprint, "device": getattr(backend, "device", None)}

    @property
    def backend_fingerprint(self) -> str:
        return self.backend.fingerprint

    def _cache_get(self, request: GenerationRequest) -> GenerationResult | None:
        key = self._cache_key(request)
        return None if key is None else self.cache.get(key)

    def _cache_put(self, request: GenerationRequest, result: GenerationResult) -> None:
        key = self._cache_key(request)
        if key is not None:
            self.cache.put(key, result)

    # ------------------------------------------------------------------ checking

    def evaluate(self, case: Case) -> CaseOutcome:
        """Answer the case and run every check; remember and return the outcome."""
        answer = self.answer(case)
        results = [r for check in self.checks if (r := check(case, answer)) is not None]
        outcome = CaseOutcome(case=case, answer=answer, checks=tuple(results))
        self.outcomes[case_key(case)] = outcome
        return outcome

    def close(self) -> None:
        for measurer in self.measurers:
            measurer.close()
        if self._backend is not None:
            self._backend.close()
        if self.cache is not None:
            self.cache.close()


def _tee(on_result: Callable[[int, GenerationResult], None], bar: Any) -> Callable[[int, GenerationResult], None]:
    if bar is None:
        return on_result
    tokens = [0]
    start = time.perf_counter()

    def both(index: int, result: GenerationResult) -> None:
        on_result(index, result)
        tokens[0] += result.num_tokens
        elapsed = max(time.perf_counter() - start, 1e-9)
        bar.set_postfix_str(f"{tokens[0] / elapsed:.1f} tok/s", refresh=False)
        bar.update(1)

    return both


__all__ = [
    "Answer", "CaseFailure", "CaseOutcome", "MeasurementError", "Measurer", "SessionSettings", "UrialSession", "case_key",
]
