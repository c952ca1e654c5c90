"""Token distribution shift as a session measurement, and the check on it.

With ``--urial-aligned-model``, each single-turn case's instruction is answered greedily by the
aligned (tuned) model with its own chat template; that answer is teacher-forced through the base
model under each requested context (:mod:`urial_check.measures.token_shift`). Assertions and gates use
the first context listed (``zero_shot`` by default: the paper's setting).

When the base model is served (``--urial-endpoint``) by a server that reports ranked prompt
log-probabilities (vLLM), the answer is teacher-forced through the server instead
(:mod:`urial_check.measures.served_shift`: exact ranks, approximate KL); the aligned model is then
local (``--urial-aligned-model``) or served too (``--urial-aligned-endpoint``).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from urial_check.answers import CaseAnswer
from urial_check.generation.backends.base import BackendError, LocalModel, ScoresPrompts
from urial_check.measures.served_shift import DEFAULT_SERVED_TOP_K, served_case_shift, served_shift_metrics
from urial_check.measures.token_shift import (
    CaseShift,
    aligned_pass,
    base_pass,
    check_shared_vocabulary,
    context_prompt,
    measure_shift_batch,
)
from urial_check.suites.checks import CheckResult
from urial_check.session import MeasurementError

if TYPE_CHECKING:
    from urial_check.session import UrialSession
    from urial_check.suites.loader import Case

NAME = "token_shift"
CONTEXT_CHOICES = {"zero_shot": ("zero_shot",), "urial": ("urial",), "both": ("zero_shot", "urial")}


@dataclass(frozen=True)
class ShiftMeasurement:
    """An answer's token shift against the aligned model, by base-model context."""

    shifts: Mapping[str, CaseShift]

    def apply(self, answer: CaseAnswer) -> CaseAnswer:
        return dataclasses.replace(answer, token_shift=dict(self.shifts))


#: Teacher-forcing requests in flight per served model (its backend's own limit also applies).
SERVED_WORKERS = 16


class TokenShiftMeasurer:
    """Measures the base model (the session's) against an aligned model loaded (or reached) on first use."""

    name = NAME

    def __init__(
        self,
        aligned_model: str,
        contexts: Sequence[str],
        *,
        batch_size: int = 8,
        chat_template: str | None = None,
        sequential: bool = False,
        aligned_server: Callable[[], ScoresPrompts] | None = None,
        aligned_local: Callable[[], LocalModel] | None = None,
        top_k: int = DEFAULT_SERVED_TOP_K,
    ) -> None:
        #: The aligned model's name in messages (a model spec, or the served model's id).
        self.aligned_spec = aligned_model
        self.contexts = tuple(contexts)
        self.batch_size = batch_size
        self.chat_template = chat_template
        #: Load the two models one after the other (for when both do not fit in memory at once).
        self.sequential = sequential
        #: Makes the aligned model's server (``--urial-aligned-endpoint``); None: the aligned model is local.
        self.aligned_server = aligned_server
        #: Loads the aligned model when the base model is served (a local base makes its own sibling).
        self.aligned_local = aligned_local
        #: Log-probabilities asked of a server at each position (``prompt_logprobs``).
        self.top_k = top_k
        self._aligned: LocalModel | None = None
        self._aligned_served: ScoresPrompts | None = None

    @property
    def primary_context(self) -> str:
        return self.contexts[0]

    def _local_models(self, session: UrialSession) -> tuple[LocalModel, LocalModel]:
        """The base model (the session's generator) and the aligned one, both local models."""
        base = session.backend
        if not isinstance(base, LocalModel):
            raise MeasurementError(
                f"token shift needs the base model's logits in this process or on a vLLM server; {base.model_id} is "
                f"answered by {type(base).__name__}, which cannot teacher-force (use --urial-model, or --urial-endpoint)")
        if self.aligned_server is not None:
            raise MeasurementError("--urial-aligned-endpoint needs the base model on a server too (--urial-endpoint); "
                                   "with a local base model use --urial-aligned-model")
        if self._aligned is None:
            self._aligned = base.sibling(self.aligned_spec)  # the same model named twice is loaded once
        return base, self._aligned

    def measure(self, session: UrialSession, items: Sequence[tuple[Case, CaseAnswer]]) -> list[ShiftMeasurement | None]:
        served = session.backend if isinstance(session.backend, ScoresPrompts) else None
        if served is None:
            base_backend, aligned_backend = self._local_models(session)
        results: list[ShiftMeasurement | None] = [None] * len(items)
        groups: dict[tuple[Any, int], list[int]] = {}
        for index, (case, answer) in enumerate(items):
            if len(case.turns) == 1:  # multi-turn cases are not measured (the chat answer needs one query)
                key = (case.prompt_path or session.settings.prompt_path, answer.decoding.max_new_tokens)
                groups.setdefault(key, []).append(index)
        if not groups:
            return results
        try:
            if served is not None:
                self._measure_served(session, served, items, groups, results)
            elif self.sequential and aligned_backend is not base_backend:
                self._measure_sequentially(session, base_backend, aligned_backend, items, groups, results)
            else:
                self._measure_together(session, base_backend, aligned_backend, items, groups, results)
        except (ValueError, BackendError) as exc:
            raise MeasurementError(f"token shift against {self.aligned_spec}: {exc}") from None
        return results

    def _measure_served(self, session: UrialSession, base: ScoresPrompts, items: Sequence[tuple[Case, CaseAnswer]],
                        groups: dict[tuple[Any, int], list[int]], results: list[ShiftMeasurement | None]) -> None:
        """The base model on a server: the aligned answers (local or served) teacher-forced through it."""
        for (_, max_new_tokens), indices in groups.items():
            instructions = [items[i][0].instruction for i in indices]
            prompt = session.prompt_for(items[indices[0]][0])
            aligned = self._served_aligned(instructions, max_new_tokens)

            def shift_of(k: int) -> dict[str, CaseShift]:
                text, ids, side = aligned[k]
                shifts = {}
                for context in self.contexts:
                    prompt_ids = base.tokenize(context_prompt(context, instructions[k], prompt))
                    rows = base.prompt_logprobs(prompt_ids + ids, len(prompt_ids), self.top_k)
                    metrics = served_shift_metrics(rows, side, top_k=self.top_k)
                    shifts[context] = served_case_shift(context, instructions[k], text, ids, rows, metrics)
                return shifts

            for i, shift in zip(indices, _in_parallel(shift_of, len(indices))):
                results[i] = ShiftMeasurement(shift)

    def _served_aligned(self, instructions: Sequence[str], max_new_tokens: int) -> list[tuple[str, list[int], Any]]:
        """(answer, answer ids, aligned side) per instruction: the aligned server's ranked log-probabilities
        of its own greedy answer, or the local aligned model's logits."""
        if self.aligned_server is None:
            if self.aligned_local is None:
                raise MeasurementError("token shift with a served base model needs --urial-aligned-model or "
                                       "--urial-aligned-endpoint")
            if self._aligned is None:
                self._aligned = self.aligned_local()
            model, tokenizer = self._aligned.load()
            answers = aligned_pass(model, tokenizer, instructions, max_new_tokens=max_new_tokens,
                                   chat_template=self.chat_template, batch_size=self.batch_size)
            return [(a.answer, list(a.token_ids), a.logits) for a in answers]
        if self._aligned_served is None:
            self._aligned_served = self.aligned_server()
        server = self._aligned_served

        def answer(k: int) -> tuple[str, list[int], Any]:
            chat_ids = server.tokenize_chat(instructions[k], self.chat_template)
            ids, text = server.greedy_ids(chat_ids, max_new_tokens)
            return text, ids, server.prompt_logprobs(chat_ids + ids, len(chat_ids), self.top_k)

        return _in_parallel(answer, len(instructions))

    def _measure_together(self, session: UrialSession, base_backend: LocalModel, aligned_backend: LocalModel,
                          items: Sequence[tuple[Case, CaseAnswer]], groups: dict[tuple[Any, int], list[int]],
                          results: list[ShiftMeasurement | None]) -> None:
        base_model, tokenizer = base_backend.load()
        aligned_model, aligned_tokenizer = aligned_backend.load()
        for (_, max_new_tokens), indices in groups.items():
            shifts = measure_shift_batch(
                base_model,
                aligned_model,
                tokenizer,
                [items[i][0].instruction for i in indices],
                contexts=self.contexts,
                prompt=session.prompt_for(items[indices[0]][0]),
                max_new_tokens=max_new_tokens,
                chat_template=self.chat_template,
                aligned_tokenizer=aligned_tokenizer,
                batch_size=self.batch_size,
            )
            for i, shift in zip(indices, shifts):
                results[i] = ShiftMeasurement(shift)

    def _measure_sequentially(self, session: UrialSession, base_backend: LocalModel, aligned_backend: LocalModel,
                              items: Sequence[tuple[Case, CaseAnswer]], groups: dict[tuple[Any, int], list[int]],
                              results: list[ShiftMeasurement | None]) -> None:
        """Aligned model alone first (answers and logits kept on the CPU), then the base model alone."""
        _, tokenizer = base_backend.load()
        base_backend.close()
        aligned_model, aligned_tokenizer = aligned_backend.load()
        check_shared_vocabulary(tokenizer, aligned_tokenizer)
        aligned = {
            key: aligned_pass(aligned_model, aligned_tokenizer, [items[i][0].instruction for i in indices],
                              max_new_tokens=key[1], chat_template=self.chat_template, batch_size=self.batch_size)
            for key, indices in groups.items()
        }
        del aligned_model
        aligned_backend.close()
        base_model, tokenizer = base_backend.load()
        for key, indices in groups.items():
            shifts = base_pass(base_model, tokenizer, [items[i][0].instruction for i in indices], aligned[key],
                               contexts=self.contexts, prompt=session.prompt_for(items[indices[0]][0]),
                               batch_size=self.batch_size)
            for i, shift in zip(indices, shifts):
                results[i] = ShiftMeasurement(shift)

    def close(self) -> None:
        if self._aligned is not None:
            self._aligned.close()
        self._aligned = None
        if self._aligned_served is not None:
            close = getattr(self._aligned_served, "close", None)
            if callable(close):
                close()
        self._aligned_served = None


def _in_parallel(work: Callable[[int], Any], count: int) -> list[Any]:
    """``[work(0), ..., work(count - 1)]`` over a few threads (requests to servers); the first error is raised."""
    if count <= 1:
        return [work(k) for k in range(count)]
    with ThreadPoolExecutor(max_workers=min(SERVED_WORKERS, count), thread_name_prefix="urial-shift") as pool:
        return list(pool.map(work, range(count)))


class TokenShiftCheck:
    """``expect.token_shift``: thresholds on the primary context's ratios and mean KL."""

    name = NAME

    def __init__(self, primary_context: str | None) -> None:
        self.primary_context = primary_context

    def __call__(self, case: Case, answer: CaseAnswer) -> CheckResult | None:
        if not case.expect.token_shift:
            return None
        shifts = answer.token_shift
        if self.primary_context is None or not shifts:
            why = "no --urial-aligned-model" if self.primary_context is None else "multi-turn case"
            return CheckResult(self.name, True, f"token shift not measured ({why})", asserted=False)
        metrics = shifts[self.primary_context].metrics
        if metrics.positions == 0:  # its ratios are 0.0 by definition: nothing to assert on
            return CheckResult(self.name, True, "token shift not measured (the aligned answer has no tokens)",
                               asserted=False)
        failed = [a for a in case.expect.token_shift if not a.check(getattr(metrics, a.metric))]
        if not failed:
            return CheckResult(self.name, True)
        parts = [f"{a.metric} = {getattr(metrics, a.metric):.3f}, expected {a.threshold.text}" for a in failed]
        return CheckResult(self.name, False, f"token shift ({self.primary_context}): " + "; ".join(parts))
