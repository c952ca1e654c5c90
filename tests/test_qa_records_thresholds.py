"""QA: threshold strings as people paste them."""

from __future__ import annotations

import pytest

from urial_check.records.thresholds import ThresholdError, parse_threshold


@pytest.mark.parametrize(("text", "op", "value"), [
    (">=0.9", ">=", 0.9), (">= .9", ">=", 0.9), ("== 1", "==", 1.0), (" >= 0.9 ", ">=", 0.9), (">= +0.9", ">=", 0.9),
    (">=\u00a00.9", ">=", 0.9),  # a no-break space, pasted from a document
    ("\u2009>= 0.9\u3000", ">=", 0.9),  # thin and ideographic spaces
    ("<= -0.05", "<=", -0.05),
])
def test_thresholds_that_parse(text: str, op: str, value: float) -> None:
    threshold = parse_threshold(text)
    assert (threshold.op, threshold.value) == (op, value)


@pytest.mark.parametrize(("text", "hint"), [
    (">= 9e-1", "'>= 0.9'"),  # a number, but with an exponent: say how to write it
    (">= 1E2", "'>= 100'"),
    (">= \u22120.05", "'>= -0.05'"),  # U+2212 MINUS SIGN, as typeset documents write it
    ("<= \u20130.5", "'<= -0.5'"),  # an en dash used as a minus
])
def test_near_misses_say_what_to_write(text: str, hint: str) -> None:
    with pytest.raises(ThresholdError) as info:
        parse_threshold(text)
    message = str(info.value)
    assert hint in message and "\n" not in message
    assert "plain decimals" in message if "e" in text.lower() else "is not a minus sign" in message


@pytest.mark.parametrize("text", [">= nan", ">= inf", ">= 0,9", ">= 90%", "> = 0.9", ">= 0.9 # note", ">= ٠.٩"])
def test_what_stays_refused(text: str) -> None:
    with pytest.raises(ThresholdError):
        parse_threshold(text)
