"""The seam between urial-check and whatever produces answers.

Runtime-checkable Protocols:

* :class:`Generator` is all that generation needs: turn :class:`GenerationRequest` objects into
  :class:`GenerationResult` objects, name the model (``model_id``), fingerprint it (cache keys, run
  records) and release it (``close``). The transformers backend is the built-in one; a server
  backend (an OpenAI-compatible completions endpoint, vLLM) is a Generator and nothing more.
* :class:`LocalModel` is an optional capability of a generator whose model runs in this process:
  the loaded transformers model and tokenizer (logits for teacher forcing), its device, and
  siblings (other models on the same device and dtype). The token-shift measurer and the ``hf``
  judge ask for it with ``isinstance(generator, LocalModel)`` and say so when it is missing.
* :class:`ScoresPrompts` is an optional capability of a served model that reports ranked prompt
  log-probabilities (vLLM's ``prompt_logprobs``): token shift over a server.

Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

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
class Generator(Protocol):
    """Generates continuations for URIAL prompts: the one thing a backend must do.

    A session calls ``generate`` with batches of requests (identical requests and cache hits are
    already taken out), reads ``model_id`` for reports and ``fingerprint`` for cache keys, and calls
    ``close`` once at the end. Loading is the generator's business: do it on first ``generate``,
    so a run served from the cache never loads a model. Results come back in request order; a
    request that cannot be answered gets a result with ``finish_reason="error"`` and ``error``
    set (the other requests still count), and a generator that cannot work at all raises
    :class:`BackendError` with one line for the user.
    """

    #: Human-readable model id for reports (a path, hub id, served model name or "default:...").
    @property
    def model_id(self) -> str: ...

    #: Identity of what answers (hex, e.g. a digest of the weights, or of endpoint + served model):
    #: part of every cache key and run record, so it must change whenever the answers may.
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
        """Release the model (memory, GPU, connections)."""
        ...


@runtime_checkable
class LocalModel(Protocol):
    """Optional capability: the generator's model is a transformers causal LM in this process.

    What teacher forcing and local judges need beyond :class:`Generator`: the loaded model (its
    logits) and tokenizer, the device it sits on, and siblings loaded the same way.
    """

    @property
    def model_id(self) -> str: ...

    #: The device the model is on ("cpu", "cuda:0"); None until it is loaded.
    @property
    def device(self) -> str | None: ...

    #: The dtype the model computes in ("float32", "bfloat16", "float16"); known before it loads.
    @property
    def dtype(self) -> str: ...

    #: Seconds the load took; None until it is loaded (e.g. every answer came from the cache).
    @property
    def load_seconds(self) -> float | None: ...

    def load(self) -> tuple[Any, Any]:
        """Load (once) and return ``(model, tokenizer)``: a transformers causal LM and its tokenizer."""
        ...

    def sibling(self, model: str) -> LocalModel:
        """Another model (a spec as ``--urial-model`` takes) on the same device, dtype and cache;
        this very object when ``model`` names the model it already is (loaded once)."""
        ...

    def close(self) -> None:
        """Release the model; a later :meth:`load` loads it again."""
        ...


@runtime_checkable
class ReportsUsage(Protocol):
    """An optional capability: a generator that can say what it has cost (a served model's requests
    and tokens). The terminal summary prints :meth:`usage_summary` after the run."""

    def usage_summary(self) -> str:
        """One line: requests, retries, errors, prompt and completion tokens so far."""
        ...



@dataclass(frozen=True)
class RankedLogprobs:
    """A server's log-probabilities at one prompt position (vLLM's ``prompt_logprobs`` entry).

    ``token_id`` is the prompt token at this position, ``logprob`` its log-probability given the
    tokens before it and ``rank`` its exact rank over the whole vocabulary (1 + the number of tokens
    more probable); ``top`` maps each of the server's k most probable token ids (and ``token_id``)
    to its log-probability, ``decoded`` is ``token_id``'s text as the server decodes it and
    ``texts`` the decoded text of each id in ``top`` (where the server sent it).
    """

    token_id: int
    logprob: float
    rank: int
    decoded: str
    top: Mapping[int, float]
    texts: Mapping[int, str] = field(default_factory=dict)


@runtime_checkable
class ScoresPrompts(Protocol):
    """Optional capability: a served model that teacher-forces token ids and reports, at every
    prompt position, the prompt token's exact rank and the top-k log-probabilities (vLLM's
    ``prompt_logprobs``), tokenizes with the served tokenizer and generates greedily to token ids.
    The token-shift measurer uses it when the base (or aligned) model is on a server.

    Whether a server can do it is known only when it answers: a server that cannot raises
    :class:`BackendError` with one line naming it and what is needed.
    """

    @property
    def model_id(self) -> str: ...

    def tokenize(self, text: str) -> list[int]:
        """``text``'s token ids with the tokenizer's usual special tokens (BOS)."""
        ...

    def tokenize_chat(self, instruction: str, chat_template: str | None = None) -> list[int]:
        """The ids of a one-turn chat with ``instruction``, rendered by the served chat template (or
        ``chat_template``) with the generation prompt added."""
        ...

    def greedy_ids(self, prompt_ids: Sequence[int], max_new_tokens: int) -> tuple[list[int], str]:
        """Pure greedy continuation of ``prompt_ids``: its token ids, cut before the stop token that
        ended it (EOS), and its text."""
        ...

    def prompt_logprobs(self, ids: Sequence[int], start: int, top_k: int) -> list[RankedLogprobs]:
        """Teacher forcing: one :class:`RankedLogprobs` for each position ``start..len(ids)-1``."""
        ...
