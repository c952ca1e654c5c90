"""The ``rules`` detector (the default): the offline rule detector of :mod:`urial_check.measures.refusal`."""

from __future__ import annotations

import dataclasses
from typing import Sequence

from urial_check.measures.refusal import RULES_VERSION, RefusalVerdict, detect_refusal
from urial_check.measures.detectors.base import BaseDetector, DetectItem, DetectorError

RULES_ID = f"rules:{RULES_VERSION}"


class RulesDetector(BaseDetector):
    """Wraps :func:`~urial_check.measures.refusal.detect_refusal`; its verdicts carry ``detector = "rules:v5"``
    (``rules:`` and :data:`~urial_check.measures.refusal.RULES_VERSION`)."""

    id = RULES_ID
    cacheable = False  # thousands of answers a second: faster than a cache lookup, and never stale

    def detect(self, response: str, instruction: str | None = None) -> RefusalVerdict:
        return dataclasses.replace(detect_refusal(response, instruction), detector=self.id)

    def detect_outcomes(self, items: Sequence[DetectItem]) -> list[RefusalVerdict | DetectorError]:
        return [self.detect(response, instruction) for response, instruction in items]

    def detect_many(self, items: Sequence[DetectItem]) -> list[RefusalVerdict]:
        return [self.detect(response, instruction) for response, instruction in items]

    def __repr__(self) -> str:
        return "RulesDetector()"
