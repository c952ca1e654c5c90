"""Threshold strings from suite files: parsing, checking, and clear errors."""

from __future__ import annotations

import dataclasses
import math
import operator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from urial_check.records.thresholds import OPERATORS, Threshold, ThresholdError, parse_threshold

PY_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne}


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [(">= 4", ">=", 4.0), ("== 5", "==", 5.0), ("< 0.1", "<", 0.1), ("<= 0.05", "<=", 0.05), (">=4", ">=", 4.0),
     ("  >  -1.5 ", ">", -1.5), ("!= .5", "!=", 0.5), ("<= 3.", "<=", 3.0)],
)
def test_parses(text: str, op: str, value: float) -> None:
    threshold = parse_threshold(text)
    assert (threshold.op, threshold.value, threshold.text) == (op, value, text.strip())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("=> 4", "unknown operator '=>' (did you mean '>='?)"),
        ("=< 4", "did you mean '<='?"),
        ("= 4", "did you mean '=='?"),
        ("4", "needs a comparison operator first, e.g. '>= 4'"),
        (">= x", "'x' is not a number"),
        (">=", "the number is missing"),
        ("", "empty threshold"),
        (">= 4 5", "'4 5' is not a number"),
        (">= nan", "'nan' is not a number"),
        (">= inf", "'inf' is not a number"),
        (">= 1e3", "'1e3' is not a number"),
        ("at least 4", "needs a comparison operator first"),
        (4, "needs a comparison operator, e.g. '>= 4'"),
        (0.5, "'>= 0.5'"),
        (True, "needs a comparison operator"),
        (None, "must be a string like '>= 4', got NoneType"),
        ([">= 4"], "got list"),
    ],
)
def test_malformed_thresholds_are_one_clear_line(text: object, message: str) -> None:
    with pytest.raises(ThresholdError) as info:
        parse_threshold(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_threshold_is_frozen_and_validates() -> None:
    threshold = parse_threshold(">= 4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        threshold.value = 3  # type: ignore[misc]
    with pytest.raises(ThresholdError):
        Threshold("=>", 4)  # type: ignore[arg-type]
    with pytest.raises(ThresholdError):
        Threshold(">=", math.inf)
    assert Threshold(">=", 4) == parse_threshold(">=4.0")  # text is not part of equality


def test_equality_tolerates_float_noise() -> None:
    assert parse_threshold("== 0.3").check(0.1 + 0.2)
    assert parse_threshold("<= 0.3").check(0.1 + 0.2)
    assert not parse_threshold("> 0.3").check(0.1 + 0.2)
    assert not parse_threshold("!= 0.3").check(0.1 + 0.2)


def test_nan_never_passes() -> None:
    for op in OPERATORS:
        assert not Threshold(op, 1.0).check(math.nan)


values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.integers(-10, 10).map(float)


@given(op=st.sampled_from(OPERATORS), value=values, spaces=st.sampled_from(["", " ", "  "]))
def test_str_round_trips(op: str, value: float, spaces: str) -> None:
    threshold = Threshold(op, value)  # type: ignore[arg-type]
    assert parse_threshold(str(threshold)) == threshold
    assert parse_threshold(f"{spaces}{op}{spaces}{str(threshold).split(' ', 1)[1]}{spaces}") == threshold


@given(op=st.sampled_from(OPERATORS), value=values, x=values)
def test_check_agrees_with_python_away_from_ties(op: str, value: float, x: float) -> None:
    threshold = Threshold(op, value)  # type: ignore[arg-type]
    if math.isclose(x, value, rel_tol=1e-9, abs_tol=1e-9):
        assert threshold.check(x) == (op in (">=", "<=", "=="))
    else:
        assert threshold.check(x) == PY_OPS[op](x, value)


@given(op=st.sampled_from(OPERATORS), value=values)
def test_complements(op: str, value: float) -> None:
    opposite = {">=": "<", "<": ">=", "<=": ">", ">": "<=", "==": "!=", "!=": "=="}[op]
    a, b = Threshold(op, value), Threshold(opposite, value)  # type: ignore[arg-type]
    for x in (value - 1, value, value + 1, value + 1e-12):
        assert a.check(x) != b.check(x)


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=20))
def test_text_without_digits_is_never_a_threshold(text: str) -> None:
    with pytest.raises(ThresholdError):
        parse_threshold(text)


def test_only_ascii_digits() -> None:
    with pytest.raises(ThresholdError):
        parse_threshold(">= \u0664")  # ARABIC-INDIC DIGIT FOUR
