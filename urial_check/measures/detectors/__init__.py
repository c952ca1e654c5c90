"""Refusal detectors: one Protocol (:class:`RefusalDetector`), three implementations.

``rules`` (default, offline), ``openai`` (an LLM classifier over an OpenAI-compatible chat
endpoint) and ``hf`` (a local sequence-classification model or causal guard model). Chosen with
``--urial-refusal-detector``; :func:`make_detector` builds one by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from urial_check.measures.detectors.base import (
    LABELS,
    BaseDetector,
    PromptTemplate,
    DetectorConfigError,
    DetectorError,
    DetectorUnavailable,
    RefusalDetector,
    detect_cached,
    parse_label_map,
    verdict_key,
)
from urial_check.measures.detectors.hf import HFDetector, check_hf_detector, load_hf_detector
from urial_check.measures.detectors.rules import RULES_ID, RulesDetector

DETECTOR_KINDS: tuple[str, ...] = ("rules", "openai", "hf")


def make_detector(kind: str, **options: Any) -> RefusalDetector:
    """Build a detector by name.

    * ``rules``: no options.
    * ``openai``: ``model`` (required), ``base_url``, ``api_key_env``, ``concurrency``, ``timeout_s``,
      ``max_retries``, ``prompt`` (text with ``{instruction}`` and ``{response}``).
    * ``hf``: ``model`` and ``tokenizer`` (already loaded), ``model_id``, ``fingerprint``, ``label_map``,
      ``template``, ``batch_size``.
    """
    if kind == "rules":
        if options:
            raise DetectorConfigError(f"the rules detector takes no options, got {', '.join(sorted(options))}")
        return RulesDetector()
    if kind == "openai":
        from urial_check.measures.detectors.openai import OpenAIDetector  # lazy: imports httpx2

        return OpenAIDetector(**options)
    if kind == "hf":
        return HFDetector(**options)
    raise DetectorConfigError(f"unknown refusal detector {kind!r} (choose from: {', '.join(DETECTOR_KINDS)})")


@dataclass(frozen=True)
class DetectorSettings:
    """``--urial-refusal-detector`` and its options, validated; the detector is built on first use."""

    kind: str = "rules"
    #: openai: the served model's name; hf: a local model folder.
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    #: hf: model class name (lowercased) -> our label.
    label_map: tuple[tuple[str, str], ...] = ()
    #: A prompt template file ({instruction}, {response}); openai: replaces our prompt.
    template: Path | None = None
    #: hf guard models: read the word after this text instead of the first word.
    answer_after: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 16
    concurrency: int = 4
    timeout_s: float = 60.0


def _openai_options(settings: DetectorSettings, template: PromptTemplate | None) -> dict[str, Any]:
    options: dict[str, Any] = {"model": settings.model or "", "api_key_env": settings.api_key_env,
                               "concurrency": settings.concurrency, "timeout_s": settings.timeout_s, "prompt": template}
    if settings.base_url:
        options["base_url"] = settings.base_url
    return options


def check_detector(settings: DetectorSettings, *, probe: bool = True) -> None:
    """Before any answer is generated: everything about the detector that can be checked without
    loading a model. The template fills in the answer; an hf folder's config.json names a classifier
    (whose classes the label map covers) or a causal guard model (with a template and a map);
    with ``probe``, an openai endpoint answers and serves the model (one ``GET /models``).
    Raises a one-line DetectorError."""
    if settings.kind == "rules":
        return
    template = PromptTemplate.from_file(settings.template) if settings.template else None
    if settings.kind == "hf":
        if not settings.model:
            raise DetectorConfigError("hf refusal detector: give the model folder with --urial-refusal-model PATH")
        check_hf_detector(settings.model, label_map=dict(settings.label_map) or None, template=template)
    elif settings.kind == "openai" and probe:
        from urial_check.measures.detectors.openai import OpenAIDetector  # lazy: imports httpx2

        detector = OpenAIDetector(**_openai_options(settings, template))
        try:
            detector.probe()
        finally:
            detector.close()


def build_detector(
    settings: DetectorSettings, *, fingerprint_memo: Callable[[Path, Callable[[], str]], str] | None = None
) -> RefusalDetector:
    """Make the detector the settings name (loads an hf model; errors are one-line DetectorErrors)."""
    if settings.kind == "rules":
        return make_detector("rules")
    template = PromptTemplate.from_file(settings.template) if settings.template else None
    if settings.kind == "openai":
        return make_detector("openai", **_openai_options(settings, template))
    if settings.kind == "hf":
        if not settings.model:
            raise DetectorConfigError("hf refusal detector: give the model folder with --urial-refusal-model PATH")
        return load_hf_detector(settings.model, device=settings.device, dtype=settings.dtype,
                                label_map=dict(settings.label_map) or None, template=template,
                                batch_size=settings.batch_size, answer_after=settings.answer_after,
                                fingerprint_memo=fingerprint_memo)
    return make_detector(settings.kind)


__all__ = [
    "DetectorSettings", "PromptTemplate", "build_detector", "check_detector",
    "DETECTOR_KINDS", "LABELS", "RULES_ID", "BaseDetector", "DetectorConfigError", "DetectorError",
    "DetectorUnavailable", "RefusalDetector", "RulesDetector", "detect_cached", "make_detector",
    "parse_label_map", "verdict_key",
]
