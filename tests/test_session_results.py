"""A backend may report its results through ``on_result`` or only return them: both are answers."""

from __future__ import annotations

from typing import Any, Sequence

import pytest

from urial_check.ask import Urial
from urial_check.generation.backends.base import BackendError, GenerationRequest, GenerationResult
from urial_check.session import SessionSettings, UrialSession


class ReturnsOnly:
    """A user's backend that returns its results in request order and never calls ``on_result``."""

    model_id = "returns-only"
    fingerprint = "returns-only"

    def __init__(self, drop: int = 0) -> None:
        self.drop = drop

    def generate(self, requests: Sequence[GenerationRequest], on_result: Any = None,
                 progress: Any = None) -> list[GenerationResult]:
        # The prompt ends with the query and the answer header: its tail tells the questions apart.
        results = [GenerationResult("Two." if "one plus one" in r.prompt[-200:] else "Blue.", 3, "stop", 0.0)
                   for r in requests]
        return results[: len(results) - self.drop]

    def close(self) -> None:
        pass


def test_results_only_returned_are_stored_in_request_order() -> None:
    urial = Urial(UrialSession(SessionSettings(progress=False), lambda: ReturnsOnly()))
    first, second = urial.ask_many(["What is one plus one?", "Name a colour."])
    assert (first.text, second.text) == ("Two.", "Blue.")


def test_a_backend_that_returns_too_few_results_is_one_clear_error() -> None:
    urial = Urial(UrialSession(SessionSettings(progress=False), lambda: ReturnsOnly(drop=1)))
    with pytest.raises(BackendError, match=r"^the returns-only backend returned 1 result for 2 requests"):
        urial.ask_many(["What is one plus one?", "Name a colour."])
