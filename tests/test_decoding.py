"""Decoding settings: every field's documented limits, accepted up to the limit and refused past it."""

from __future__ import annotations

from typing import Any

import pytest

from urial_check.generation.decoding import LIMITS, Decoding, DecodingError, check_field

ACCEPTED = [
    ("max_new_tokens", 1), ("max_new_tokens", LIMITS["max_new_tokens"]),
    ("temperature", 1e-6), ("temperature", LIMITS["temperature"]),
    ("top_p", 1), ("top_p", 0.01),
    ("top_k", 0), ("top_k", LIMITS["top_k"]),
    ("repetition_penalty", 0.5), ("repetition_penalty", LIMITS["repetition_penalty"]),
    ("seed", 0), ("seed", LIMITS["seed"]), ("seed", None), ("do_sample", True),
]
REFUSED = [
    ("max_new_tokens", 0), ("max_new_tokens", LIMITS["max_new_tokens"] + 1), ("max_new_tokens", 100_000_000),
    ("max_new_tokens", True), ("max_new_tokens", 2.0),
    ("temperature", 0), ("temperature", LIMITS["temperature"] * 1.01), ("temperature", float("inf")),
    ("temperature", float("nan")),
    ("top_p", 0), ("top_p", 1.5), ("top_p", float("nan")),
    ("top_k", -1), ("top_k", LIMITS["top_k"] + 1),
    ("repetition_penalty", 0), ("repetition_penalty", float("inf")), ("repetition_penalty", LIMITS["repetition_penalty"] + 1),
    ("seed", -1), ("seed", LIMITS["seed"] + 1), ("seed", 1.5), ("do_sample", "yes"),
]


@pytest.mark.parametrize(("name", "value"), ACCEPTED)
def test_values_within_the_limits_are_accepted(name: str, value: Any) -> None:
    check_field(name, value)
    assert getattr(Decoding().updated({name: value}), name) == value


@pytest.mark.parametrize(("name", "value"), REFUSED)
def test_values_past_the_limits_are_one_clear_error(name: str, value: Any) -> None:
    with pytest.raises(DecodingError, match=rf"^generation\.{name} must be .*, got "):
        check_field(name, value)


def test_limit_is_named_in_the_message() -> None:
    with pytest.raises(DecodingError, match=r"generation.max_new_tokens must be an integer from 1 to 32768, got 100000000"):
        check_field("max_new_tokens", 100_000_000)
