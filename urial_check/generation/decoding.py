"""Decoding settings: what a generation request asks of a backend.

Settings come in layers: the built-in defaults, a suite's ``defaults.generation``, a case's
``generation`` and finally the command line. :meth:`Decoding.updated` applies one layer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

#: Upper limits of the numeric settings (documented in the README's suite format section). Past
#: them a value is a mistake, not a setting: 100 million new tokens would only fail later in the
#: allocator, a temperature of 1e9 is uniform noise. A model's context length bounds
#: ``max_new_tokens`` further, per case, when the prompt's length is known (at run time).
LIMITS: dict[str, int | float] = {
    "max_new_tokens": 32768,
    "temperature": 100.0,
    "top_k": 1_000_000,
    "repetition_penalty": 10.0,
    "seed": 2**63 - 1,
}

#: Field name -> (accepted Python types, human description). Used to validate YAML and options.
FIELD_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "max_new_tokens": ((int,), f"an integer from 1 to {LIMITS['max_new_tokens']}"),
    "do_sample": ((bool,), "true or false"),
    "temperature": ((int, float), f"a number in (0, {LIMITS['temperature']:g}]"),
    "top_p": ((int, float), "a number in (0, 1]"),
    "top_k": ((int,), f"an integer from 0 to {LIMITS['top_k']}"),
    "repetition_penalty": ((int, float), f"a number in (0, {LIMITS['repetition_penalty']:g}]"),
    "seed": ((int,), "an integer from 0 to 2**63-1, or null"),
}


class DecodingError(ValueError):
    """A decoding setting has a bad value; the message names the field."""


@dataclass(frozen=True)
class Decoding:
    """Decoding settings for one generation.

    Defaults follow the URIAL paper's setting for base models (greedy decoding, repetition
    penalty 1.1) with a ``max_new_tokens`` small enough for CPU runs.
    """

    max_new_tokens: int = 160
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.1
    seed: int | None = None

    def updated(self, overrides: Mapping[str, Any]) -> Decoding:
        """Return a copy with ``overrides`` applied, validating each value."""
        for name, value in overrides.items():
            check_field(name, value)
        return dataclasses.replace(self, **dict(overrides))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def key(self) -> str:
        """A canonical string of the settings that change the output (for cache keys)."""
        d = self.as_dict()
        if not self.do_sample:
            # Sampling knobs do not matter for greedy decoding.
            for name in ("temperature", "top_p", "top_k", "seed"):
                d.pop(name)
        return ",".join(f"{k}={d[k]!r}" for k in sorted(d))


def check_field(name: str, value: Any) -> None:
    """Raise :class:`DecodingError` unless ``name`` is a known field and ``value`` fits it."""
    if name not in FIELD_TYPES:
        allowed = ", ".join(sorted(FIELD_TYPES))
        raise DecodingError(f"unknown generation setting {name!r} (allowed: {allowed})")
    types, desc = FIELD_TYPES[name]
    if name == "seed" and value is None:
        return
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if ok and name in ("max_new_tokens", "temperature", "repetition_penalty"):
        ok = 0 < value <= LIMITS[name]
    elif ok and name == "top_p":
        ok = 0 < value <= 1
    elif ok and name in ("top_k", "seed"):
        ok = 0 <= value <= LIMITS[name]
    if not ok:
        raise DecodingError(f"generation.{name} must be {desc}, got {value!r}")
