"""Token distribution shift as a session measurement, and the check on it.

With ``--urial-aligned-model``, each single-turn case's instruction is answered greedily by the
aligned (tuned) model with its own chat template; that answer is teacher-forced through the base
model under each requested context (:mod:`urial_check.measures.token_shift`). Assertions and gates use
the first context listed (``zero_shot`` by default: the paper's setting).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from urial_check.answers import CaseAnswer
from urial_check.generation.backends.base import LocalModel
from urial_check.measures.token_shift import CaseShift, aligned_pass, base_pass, check_shared_vocabulary, measure_shift_batch
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


class TokenShiftMeasurer:
    """Measures the base model (the session's) against an aligned model loaded on first use."""

    name = NAME

    def __init__(
        self,
        aligned_model: str,
        contexts: Sequence[str],
        *,
        batch_size: int = 8,
        chat_template: str | None = None,
        sequential: bool = False,
    ) -> None:
        self.aligned_spec = aligned_model
        self.contexts = tuple(contexts)
        self.batch_size = batch_size
        self.chat_template = chat_template
        #: Load the two models one after the other (for when both do not fit in memory at once).
        self.sequential = sequential
        self._aligned: LocalModel | None = None

    @property
    def primary_context(self) -> str:
        return self.contexts[0]

    def _local_models(self, session: UrialSession) -> tuple[LocalModel, LocalModel]:
        """The base model (the session's generator) and the aligned one, both local models."""
        base = session.backend
        if not isinstance(base, LocalModel):
            raise MeasurementError(
                f"token shift needs the base model's logits in this process; {base.model_id} is answered by "
                f"{type(base).__name__}, which cannot teacher-force (use a local model with --urial-model)")
        if self._aligned is None:
            self._aligned = base.sibling(self.aligned_spec)  # the same model named twice is loaded once
        return base, self._aligned

    def measure(self, session: UrialSession, items: Sequence[tuple[Case, CaseAnswer]]) -> list[ShiftMeasurement | None]:
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
            if self.sequential and aligned_backend is not base_backend:
                self._measure_sequentially(session, base_backend, aligned_backend, items, groups, results)
            else:
                self._measure_together(session, base_backend, aligned_backend, items, groups, results)
        except ValueError as exc:
            raise MeasurementError(f"token shift against {self.aligned_spec}: {exc}") from None
        return results

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
        failed = [a for a in case.expect.token_shift if not a.check(getattr(metrics, a.metric))]
        if not failed:
            return CheckResult(self.name, True)
        parts = [f"{a.metric} = {getattr(metrics, a.metric):.3f}, expected {a.threshold.text}" for a in failed]
        return CheckResult(self.name, False, f"token shift ({self.primary_context}): " + "; ".join(parts))
