"""Adversarial tests of the detector seam: a detector that answers for the wrong number of items."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pytest

from urial_check.generation.cache import ResultCache
from urial_check.measures.detectors import DetectorUnavailable, detect_cached
from urial_check.measures.refusal import RefusalVerdict


class Short:
    """A buggy classifier that drops its last verdict."""

    cacheable = True
    id = "fake:short"

    def detect_outcomes(self, items: Sequence[tuple[str, str | None]]) -> list[Any]:
        return [RefusalVerdict("compliance", "fake", "classifier", self.id) for _ in items][:-1]


@pytest.mark.parametrize("cached", [False, True])
def test_a_detector_that_loses_verdicts_is_never_zipped_against_the_wrong_answers(tmp_path: Path, cached: bool) -> None:
    items = [("a", None), ("b", None), ("c", None)]
    with ResultCache(tmp_path, "rw") as cache:
        with pytest.raises(DetectorUnavailable, match="fake:short gave 2 verdicts for 3 answers"):
            detect_cached(Short(), items, cache if cached else None)  # type: ignore[arg-type]
        assert cache.stats()["json_values"] == 0
