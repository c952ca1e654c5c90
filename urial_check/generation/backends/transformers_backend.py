"""The built-in backend: a causal LM loaded with transformers, on CPU or CUDA."""

from __future__ import annotations

import gc
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from urial_check.generation import engine
from urial_check.generation.backends.base import BackendError, GenerationRequest, GenerationResult, ResultCallback
from urial_check.generation.backends.fast_start import load_gguf_fast
from urial_check.generation.backends.loading import (
    ModelSource,
    check_device,
    check_dtype,
    check_finite_logits,
    fingerprint,
    load_model_and_tokenizer,
    pick_device,
    pick_dtype,
    resolve_model,
)
from urial_check.reports.progress import quiet_loading


@dataclass(frozen=True)
class ModelSettings:
    """What the user asked for: ``--urial-model``, ``--urial-device``, ``--urial-dtype``, batch size."""

    model: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int | None = None
    cache_dir: Path | None = None

    def validate(self) -> ModelSource | None:
        """Raise a one-line :class:`BackendError` for a setting that cannot work (before any load).

        Returns the resolved model when one was named (None for the default model).
        """
        check_device(self.device)
        check_dtype(self.dtype)
        if self.batch_size is not None and self.batch_size < 1:
            raise BackendError("--urial-batch-size must be a positive integer")
        return resolve_model(self.model) if self.model else None


class TransformersBackend:
    """A :class:`Generator` and a :class:`LocalModel`: a causal LM loaded with transformers.

    Loads lazily on first use; ``model_id`` and ``fingerprint`` are known without loading.
    ``fingerprint`` names what answers: the weights (``weights_fingerprint``) together with the
    effective dtype and device type (``numerics``), since bf16 or CUDA answers drift from fp32 CPU
    ones and must never be served for them from the result cache.
    """

    def __init__(
        self,
        settings: ModelSettings,
        *,
        fingerprint_memo: Callable[[Path, Callable[[], str]], str] | None = None,
        source: ModelSource | None = None,
    ) -> None:
        self.settings = settings
        #: ``source``: the model already resolved from ``settings.model`` (see ``RunConfig``).
        self.source = source if source is not None else resolve_model(settings.model)
        self.model_id = self.source.model_id
        self._fingerprint_memo = fingerprint_memo
        self._prefix_store: Any = None
        self._fingerprint: str | None = None
        self._weights_fingerprint: str | None = None
        self._numerics: tuple[str, str] | None = None
        self._model: Any = None
        self._tokenizer: Any = None
        self.device: str | None = None
        self.load_seconds: float | None = None

    @property
    def weights_fingerprint(self) -> str:
        """SHA-256 over the weight, config and tokenizer files (what the fast-start copy is named by)."""
        if self._weights_fingerprint is None:
            self._weights_fingerprint = fingerprint(self.source, self._fingerprint_memo)
        return self._weights_fingerprint

    @property
    def fingerprint(self) -> str:
        """Identity of the answers: the weights' fingerprint with the dtype and device type they run in."""
        if self._fingerprint is None:
            device_type, dtype = self.numerics
            blob = f"{self.weights_fingerprint}\0{device_type}\0{dtype}".encode()
            self._fingerprint = hashlib.sha256(blob).hexdigest()
        return self._fingerprint

    @property
    def numerics(self) -> tuple[str, str]:
        """``(device type, dtype)`` the model runs in, e.g. ``("cpu", "float32")`` or ``("cuda", "bfloat16")``.

        Resolved from ``--urial-device``/``--urial-dtype`` without loading the model (``auto`` asks
        torch whether CUDA is there). ``cuda:0`` and ``cuda:1`` compute alike; CPU, CUDA and MPS do not.
        """
        if self._numerics is None:
            device = pick_device(self.settings.device)
            dtype = pick_dtype(self.settings.dtype, device)
            self._numerics = (device.partition(":")[0], str(dtype).replace("torch.", ""))
        return self._numerics

    @property
    def dtype(self) -> str:
        """The dtype the model computes in ("float32", "bfloat16", "float16"), known before it loads."""
        return self.numerics[1]

    def sibling(self, model: str) -> TransformersBackend:
        """A backend for another model on the same device, dtype and cache (aligned models, judges);
        this backend itself when ``model`` resolves to the same files (the model is loaded once)."""
        other = TransformersBackend(
            ModelSettings(model=model, device=self.settings.device, dtype=self.settings.dtype, cache_dir=self.settings.cache_dir),
            fingerprint_memo=self._fingerprint_memo,
        )
        return self if other.source == self.source else other

    def load(self) -> tuple[Any, Any]:
        """Load (once) and return ``(model, tokenizer)``."""
        if self._model is None:
            t0 = time.perf_counter()
            device = pick_device(self.settings.device)
            dtype = pick_dtype(self.settings.dtype, device)
            with quiet_loading():  # no third-party loading bars
                model, tokenizer = self._load(device, dtype)
            check_finite_logits(model, tokenizer, self.model_id)  # before any answer exists
            self._model, self._tokenizer = model, tokenizer
            self.device = device
            self.load_seconds = time.perf_counter() - t0
        return self._model, self._tokenizer

    def _load(self, device: str, dtype: Any) -> tuple[Any, Any]:
        if self.source.gguf_file and self.settings.cache_dir is not None:
            return load_gguf_fast(self.source, self.weights_fingerprint, device, dtype, self.settings.cache_dir)
        return load_model_and_tokenizer(self.source, device, dtype)

    def generate(
        self,
        requests: Sequence[GenerationRequest],
        on_result: ResultCallback | None = None,
        progress: Any = None,
    ) -> list[GenerationResult]:
        model, tokenizer = self.load()
        if self._prefix_store is None:
            self._prefix_store = engine.PrefixStore()  # the URIAL prefix is computed once per session
        return engine.generate(
            model,
            tokenizer,
            requests,
            batch_size=self.settings.batch_size,
            on_result=on_result,
            progress=progress,
            prefix_store=self._prefix_store,
        )

    def close(self) -> None:
        if self._model is None:
            return
        device = self.device or "cpu"
        self._model = None
        self._tokenizer = None
        self._prefix_store = None
        gc.collect()
        if device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()


__all__ = ["BackendError", "ModelSettings", "TransformersBackend"]
