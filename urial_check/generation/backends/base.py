"""The seam between urial-check and whatever produces answers.

A backend turns :class:`GenerationRequest` objects into :class:`GenerationResult` objects.
The transformers backend is the built-in one; server backends (vLLM, OpenAI-compatible) fit
the same Protocol. Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

from urial_check.generation.decoding import Decoding
from urial_check.generation.prompt import STOP_STRINGS


class BackendError(RuntimeError):
    """The model cannot be loaded or used; the message is one line meant for the user."""


class GenerationError(RuntimeError):
    """One request could not be generated (the others were); the message is one line for the user."""


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt to continue.

    ``prefix`` is the part of ``prompt`` shared by many requests (the URIAL preamble and
    examples); backends may cache its computation. ``prompt`` always starts with ``prefix``.
    """

    prompt: str
    decoding: Decoding = field(default_factory=Decoding)
    prefix: str = ""
    stop: tuple[str, ...] = STOP_STRINGS

    def __post_init__(self) -> None:
        if not self.prompt.startswith(self.prefix):
            raise ValueError("GenerationRequest.prefix must be a prefix of prompt")


@dataclass(frozen=True)
class GenerationResult:
    """A backend's continuation of one request."""

    #: Generated text, cut just before the stop string that ended it (if any).
    text: str
    #: Number of generated tokens (up to and including the one that completed a stop string).
    num_tokens: int
    #: Why generation ended: "stop" (a stop string), "eos", "length" (max_new_tokens) or "error".
    finish_reason: str
    #: Wall-clock seconds attributed to this request (its batch's time shared evenly).
    seconds: float
    #: True when served from the result cache rather than generated now.
    cached: bool = False
    #: Why this request produced no answer (``finish_reason`` is then "error"): its prompt and
    #: ``max_new_tokens`` exceed the model's context, or the model's logits were not finite.
    #: Such results are never cached.
    error: str | None = None


ResultCallback = Callable[[int, GenerationResult], None]


@runtime_checkable
class Backend(Protocol):
    """Generates continuations for URIAL prompts."""

    #: Human-readable model id for reports (a path, hub id or "default:...").
    @property
    def model_id(self) -> str: ...

    #: Content fingerprint of the weights (hex); used in cache keys and run records.
    @property
    def fingerprint(self) -> str: ...

    def generate(
        self,
        requests: Sequence[GenerationRequest],
        on_result: ResultCallback | None = None,
        progress: Callable[[Any], None] | None = None,
    ) -> list[GenerationResult]:
        """Generate every request; call ``on_result(index, result)`` as each one finishes and
        ``progress(event)`` (an ``engine.ProgressEvent``) as generation advances, where supported."""
        ...

    def close(self) -> None:
        """Release the model (memory, GPU)."""
        ...
