"""Threshold comparisons written in suite files: ``">= 4"``, ``"== 5"``, ``"< 0.1"``, ``"<= 0.05"``.

A threshold is an operator (``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``) followed by a plain
decimal number. Anything else (``"=> 4"``, a bare ``4``, ``">= x"``, ``">= nan"``) is a
:class:`ThresholdError` whose message says what was expected. ``==`` and ``!=`` compare with a
tiny tolerance, so a mean such as 0.1 + 0.2 equals 0.3.

:func:`range_problem` says when a threshold lies outside the values its metric can take
(:class:`MetricRange`), so a gate that could never pass (or never fail) is refused up front.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

Op = Literal[">=", ">", "<=", "<", "==", "!="]
OPERATORS: tuple[Op, ...] = (">=", ">", "<=", "<", "==", "!=")
_TOLERANCE = 1e-9
# Any whitespace (a no-break space pasted from a document is still a space); ASCII digits only.
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_THRESHOLD_RE = re.compile(rf"^\s*(>=|<=|==|!=|>|<)\s*({_NUMBER})\s*$")
_EXPONENT_RE = re.compile(rf"^{_NUMBER}[eE][+-]?[0-9]+$")
#: Dashes that typeset text uses for a minus sign (U+2212 minus, U+2013 en dash, U+2012 figure dash, U+FE63, U+FF0D).
_MINUS_SIGNS = "\u2212\u2013\u2012\ufe63\uff0d"
_SWAPPED = {"=>": ">=", "=<": "<=", "=": "==", "<>": "!=", "≥": ">=", "≤": "<="}


class ThresholdError(ValueError):
    """A threshold string is malformed; the message is one line for the user."""


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)


_CHECKS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda x, v: x >= v or _close(x, v),
    ">": lambda x, v: x > v and not _close(x, v),
    "<=": lambda x, v: x <= v or _close(x, v),
    "<": lambda x, v: x < v and not _close(x, v),
    "==": _close,
    "!=": lambda x, v: not _close(x, v),
}


@dataclass(frozen=True)
class Threshold:
    """``op value``; ``text`` is what the user wrote, for messages."""

    op: Op
    value: float
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ThresholdError(f"unknown comparison operator {self.op!r} (use one of {' '.join(OPERATORS)})")
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise ThresholdError(f"threshold value must be a finite number, got {self.value!r}")
        object.__setattr__(self, "value", float(self.value))
        if not self.text:
            object.__setattr__(self, "text", str(self))

    def check(self, x: float) -> bool:
        """Whether a measured value meets the threshold (NaN never does)."""
        if math.isnan(x):
            return False
        return _CHECKS[self.op](float(x), self.value)

    def __str__(self) -> str:
        return f"{self.op} {_decimal(self.value)}"


def _decimal(value: float) -> str:
    """Shortest round-tripping decimal, without an exponent (``0.0001``, ``4``, ``-2.5``)."""
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def parse_threshold(text: Any) -> Threshold:
    """Parse ``"<op> <number>"`` into a :class:`Threshold`; ThresholdError if malformed."""
    if isinstance(text, float) and not math.isfinite(text):
        written = ".nan (not a number)" if math.isnan(text) else f"{'' if text > 0 else '-'}.inf (not a finite number)"
        raise ThresholdError(f"threshold must be a comparison like '>= 0.9', got {written}")
    if isinstance(text, bool) or isinstance(text, (int, float)):
        raise ThresholdError(f"threshold {text!r} needs a comparison operator, e.g. '>= {text}' (quote it in YAML)")
    if not isinstance(text, str):
        raise ThresholdError(f"threshold must be a string like '>= 4', got {type(text).__name__}")
    match = _THRESHOLD_RE.match(text)
    if match:
        return Threshold(op=match.group(1), value=float(match.group(2)), text=text.strip())  # type: ignore[arg-type]
    raise ThresholdError(_explain(text))


def _explain(text: str) -> str:
    stripped = text.strip()
    head = re.match(r"^\s*([<>=!≥≤]+)\s*(.*)$", text)
    if not stripped:
        return "empty threshold; write a comparison like '>= 4'"
    if head is None:
        return f"threshold {text!r} needs a comparison operator first, e.g. '>= {stripped}'"
    op, rest = head.group(1), head.group(2).strip()
    if op in OPERATORS and not rest:
        return f"threshold {text!r}: the number is missing, e.g. '{op} 4'"
    if op not in OPERATORS:
        hint = f" (did you mean '{_SWAPPED[op]}'?)" if op in _SWAPPED else ""
        return f"threshold {text!r}: unknown operator {op!r}{hint}; use one of {' '.join(OPERATORS)}"
    if _EXPONENT_RE.match(rest) and math.isfinite(float(rest)):
        return f"threshold {text!r}: {rest!r} is not a number in plain decimals; write '{op} {_decimal(float(rest))}'"
    if rest[0] in _MINUS_SIGNS and re.fullmatch(_NUMBER, "-" + rest[1:]):
        return (f"threshold {text!r}: {rest[0]!r} (U+{ord(rest[0]):04X}) is not a minus sign; "
                f"write '{op} -{rest[1:]}'")
    return f"threshold {text!r}: {rest!r} is not a number; write a comparison like '{op} 4'"


@dataclass(frozen=True)
class MetricRange:
    """The values a metric can take, for rejecting thresholds that could never pass or never fail.

    ``low``/``high`` are inclusive (None: unbounded); ``name`` is what messages call the metric,
    ``fraction`` marks a rate written as a fraction (so ``>= 95`` gets the hint ``>= 0.95``).
    """

    name: str
    low: float | None
    high: float | None
    fraction: bool = False
    why: str = ""

    def describe(self) -> str:
        if self.high is None:
            return f"{_decimal(float(self.low or 0))} or more"
        if self.low is None:
            return f"{_decimal(float(self.high))} or less"
        return f"{_decimal(float(self.low))} to {_decimal(float(self.high))}"


def range_problem(threshold: Threshold, bounds: MetricRange) -> str | None:
    """Why ``threshold`` cannot be meant for a metric with ``bounds`` (a one-line message), or None.

    A value outside the range is an error (``refusal_rate >= 95`` can never pass, ``<= 5`` never
    fail), and so is a strict comparison with the end of the range (``> 1`` on a rate).
    """
    value, low, high = threshold.value, bounds.low, bounds.high
    outside = (low is not None and value < low and not _close(value, low)) or (
        high is not None and value > high and not _close(value, high))
    if outside:
        message = f"threshold {threshold.text!r} is outside the range of {bounds.name} ({bounds.describe()})"
        if bounds.why:
            message += f": {bounds.why}"
        if bounds.fraction and 1 < value <= 100:
            message += f"; rates are fractions: did you mean '{threshold.op} {_decimal(value / 100)}'?"
        return message
    never = (threshold.op == ">" and high is not None and _close(value, high)) or (
        threshold.op == "<" and low is not None and _close(value, low))
    if never:
        return f"threshold {threshold.text!r} can never hold: {bounds.name} goes from {bounds.describe()}"
    return None
