"""Reading scores out of a judge's reply.

Judges, small local ones above all, rarely reply with clean JSON. The lenient part (prose
around the object, code fences, single quotes, trailing commas, unescaped quotes and braces
inside reasons) is left to ``json_repair``, a maintained parser built for LLM output. The
part that decides what counts as a score is ours and strict:

* a score is a number, a numeric string, ``"N/5"`` or ``"N out of 5"``; each aspect's value
  is a score or a mapping with a ``score`` (or ``rating``) key and optionally a ``reason``;
* it must lie in 1-5; anything else (``"N/A"``, ``null``, ``true``, ``"8/10"``, ``0``, ``6``)
  is rejected, and so is a missing aspect. Nothing is ever filled in with a default.

Every failure is a :class:`JudgeParseError` that carries the raw text.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterator, Sequence

import json_repair

from urial_check.measures.judges.base import ASPECTS, SCORE_MAX, SCORE_MIN, JudgeParseError

_FENCE_RE = re.compile(r"```[ \t]*(?:json5?|javascript|js|python)?[ \t]*\r?\n?(.*?)```", re.DOTALL | re.IGNORECASE)
_FENCE_MARK_RE = re.compile(r"^[ \t]*```[ \t]*(?:json5?|javascript|js|python)?[ \t]*$", re.MULTILINE | re.IGNORECASE)
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_SCORE_TEXT_RE = re.compile(
    rf"^\s*(?:score\s*[:=]?\s*)?({_NUMBER})\s*(?:(?:/|out\s+of|of)\s*({_NUMBER}))?\s*\.?\s*$", re.IGNORECASE
)
_NO_SCORE = {"n/a", "na", "none", "null", "nan", "-", "", "not applicable", "unknown"}
_SCORE_KEYS = ("score", "rating")
_REASON_KEYS = ("reason", "rationale", "explanation", "justification", "reasoning")
#: Nested wrappers are looked into this deep (e.g. {"evaluation": {"scores": {...}}}).
_MAX_DEPTH = 3
#: At most this many ``{`` are tried as the start of a strict JSON object when looking for repeats.
_MAX_STRICT_STARTS = 200
_MAX_RAW_IN_MESSAGE = 160
#: A reply with more ``{`` than this is not given to the lenient parser (see :func:`_lenient_load`).
_MAX_BRACES = 200


def parse_scores(text: str, aspects: Sequence[str] = ASPECTS) -> dict[str, float]:
    """Scores for exactly ``aspects`` from a judge's reply; JudgeParseError if any is missing or bad."""
    return parse_judgement(text, aspects)[0]


def parse_judgement(text: str, aspects: Sequence[str] = ASPECTS) -> tuple[dict[str, float], dict[str, str]]:
    """Scores and reasons for exactly ``aspects``.

    Reasons are stripped of surrounding whitespace; a judge that gave none gets ``""``.
    """
    scores, reasons, _ = _parse(text, aspects, allow_not_applicable=False)
    return scores, reasons


def parse_judgement_allowing_na(
    text: str, aspects: Sequence[str] = ASPECTS
) -> tuple[dict[str, float], dict[str, str], tuple[str, ...]]:
    """Like :func:`parse_judgement`, but an aspect scored ``"N/A"`` is reported, not rejected.

    Returns (scores of the scored aspects, reasons of every aspect, the aspects marked N/A).
    Only an explicit ``N/A`` / ``NA`` / ``not applicable`` counts; ``null``, an empty score and a
    missing aspect are still errors, and nothing is filled in with a default.
    """
    return _parse(text, aspects, allow_not_applicable=True)


def _parse(
    text: str, aspects: Sequence[str], *, allow_not_applicable: bool
) -> tuple[dict[str, float], dict[str, str], tuple[str, ...]]:
    if not isinstance(text, str):
        raise JudgeParseError(f"judge output must be text, got {type(text).__name__}", raw=repr(text))
    aspects = tuple(aspects)
    if not aspects:
        raise ValueError("parse_judgement needs at least one aspect")
    if not text.strip():
        raise JudgeParseError("judge output is empty", raw=text)

    entries: dict[str, Any] = {}
    found_any = False
    for candidates in _candidate_groups(text, aspects):
        found_any = found_any or bool(candidates)
        entries = _merge(candidates, aspects, text)
        if all(a in entries for a in aspects):
            break
    if not found_any:
        raise JudgeParseError(f"no JSON object in judge output: {_excerpt(text)}", raw=text)
    missing = [a for a in aspects if a not in entries]
    if missing:
        raise JudgeParseError(f"judge output lacks aspect(s) {', '.join(missing)}: {_excerpt(text)}", raw=text)
    _check_repeats(text, aspects, entries)

    scores: dict[str, float] = {}
    reasons: dict[str, str] = {}
    not_applicable: list[str] = []
    for aspect in aspects:
        if allow_not_applicable and _is_not_applicable(entries[aspect]):
            not_applicable.append(aspect)
            reasons[aspect] = _reason(entries[aspect])
            continue
        try:
            scores[aspect], reasons[aspect] = _aspect_value(entries[aspect])
        except ValueError as exc:
            raise JudgeParseError(f"aspect {aspect!r}: {exc}", raw=text) from None
    return scores, reasons, tuple(not_applicable)


def normalise_score(value: Any) -> float:
    """A judge's score value as a float in 1-5; ValueError (with a short reason) otherwise."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"no score ({_show(value)})")
    if isinstance(value, (int, float)):
        score = float(value)
    elif isinstance(value, str):
        stripped = value.strip()
        if stripped.lower() in _NO_SCORE:
            raise ValueError(f"no score ({_show(value)})")
        match = _SCORE_TEXT_RE.match(stripped)
        if not match:
            raise ValueError(f"not a score: {_show(value)}")
        score = float(match.group(1))
        if match.group(2) is not None and float(match.group(2)) != SCORE_MAX:
            raise ValueError(f"score {_show(value)} is not on the 1-5 scale")
    else:
        raise ValueError(f"not a score: {_show(value)}")
    if not math.isfinite(score):
        raise ValueError(f"not a score: {_show(value)}")
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise ValueError(f"score {_show(value)} is out of range 1-5")
    return score


# --------------------------------------------------------------------------- internals

_NOT_APPLICABLE = {"n/a", "na", "not applicable"}


def _is_not_applicable(value: Any) -> bool:
    if isinstance(value, dict):
        keyed = {_norm_key(k): v for k, v in value.items() if isinstance(k, str)}
        value = next((keyed[k] for k in _SCORE_KEYS if k in keyed), None)
    return isinstance(value, str) and value.strip().rstrip(".").lower() in _NOT_APPLICABLE


def _reason(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    keyed = {_norm_key(k): v for k, v in value.items() if isinstance(k, str)}
    reason = next((keyed[k] for k in _REASON_KEYS if k in keyed), "")
    return _join_surrogates(reason if isinstance(reason, str) else str(reason)).strip()



def _aspect_value(value: Any) -> tuple[float, str]:
    if isinstance(value, dict):
        keyed = {_norm_key(k): v for k, v in value.items() if isinstance(k, str)}
        score_key = next((k for k in _SCORE_KEYS if k in keyed), None)
        if score_key is None:
            raise ValueError(f"no 'score' in {_show(value)}")
        reason = next((keyed[k] for k in _REASON_KEYS if k in keyed), "")
        return normalise_score(keyed[score_key]), _join_surrogates(reason if isinstance(reason, str) else str(reason)).strip()
    return normalise_score(value), ""


def _join_surrogates(text: str) -> str:
    """Pairs of ``\\ud83d\\ude00`` escapes decoded one by one become the character they encode."""
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:  # a lone surrogate: leave the text as it is
        return text


def _candidate_groups(text: str, aspects: tuple[str, ...]) -> Iterator[list[dict[str, Any]]]:
    """Mappings found in the text (keys normalised, wrappers opened), fenced blocks first.

    The fenced blocks are tried on their own first; then the whole text (prose around a bare
    object, or a fence that a reason containing backticks cut short).
    """
    fences = list(_FENCE_RE.finditer(text))
    if fences:
        yield [
            mapping
            for m in fences
            for mapping in _mappings(_lenient_load(_quote_bare_fractions(m.group(1), aspects)), 0)
        ]
    whole = text
    if fences:  # keep the fenced text, drop the fence markers so they do not read as strings
        whole = _FENCE_MARK_RE.sub("\n", text)
    yield list(_mappings(_lenient_load(_quote_bare_fractions(whole, aspects)), 0))


def _lenient_load(text: str) -> Any:
    if text.count("{") > _MAX_BRACES:
        # A looping reply of unclosed objects: json_repair is quadratic on it (seconds), and no
        # judgement has this many objects. Strict JSON is still read; otherwise, no object here.
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return None
    try:
        return json_repair.loads(text)
    except Exception:  # noqa: BLE001 - a lenient parser giving up on garbage means "no object here"
        return None


def _mappings(obj: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(obj, list):
        for element in obj:
            yield from _mappings(element, depth + 1)
    elif isinstance(obj, dict):
        normalised = {_norm_key(k): v for k, v in obj.items() if isinstance(k, str)}
        yield normalised
        for value in normalised.values():
            if isinstance(value, (dict, list)):
                yield from _mappings(value, depth + 1)


def _merge(candidates: list[dict[str, Any]], aspects: tuple[str, ...], text: str) -> dict[str, Any]:
    """Each aspect's value from whichever object gives it; the same aspect twice must agree."""
    merged: dict[str, Any] = {}
    for candidate in candidates:
        for aspect in aspects:
            if aspect not in candidate:
                continue
            if aspect in merged and not _same(merged[aspect], candidate[aspect]):
                raise JudgeParseError(f"aspect {aspect!r} is given twice with different values: {_excerpt(text)}", raw=text)
            merged.setdefault(aspect, candidate[aspect])
    return merged


def _same(a: Any, b: Any) -> bool:
    """Whether two values given for one aspect (or one score key) say the same: equal, or the same score."""
    if a == b:
        return True
    first, second = _score_or_none(a), _score_or_none(b)
    return first is not None and first == second


def _score_or_none(value: Any) -> float | str | None:
    if _is_not_applicable(value):
        return "n/a"
    try:
        return _aspect_value(value)[0]
    except ValueError:
        return None


class _Repeated(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _check_repeats(text: str, aspects: tuple[str, ...], entries: dict[str, Any]) -> None:
    """JudgeParseError when the reply gives an aspect (or its score) twice with different values.

    JSON parsers, strict and lenient, keep the last of two equal keys, and ``json_repair`` keeps
    only the last of two objects with the same keys: ``{"safety": 1, "safety": 5}`` and a
    revised verdict after a first one would silently read as the last value. The reply's strict
    JSON objects are read once more here, repeated keys kept, and must agree with ``entries``.
    """
    watched = frozenset((*aspects, *_SCORE_KEYS))
    try:
        for obj in _strict_objects(text, watched):
            for mapping in _mappings(obj, 0):
                for aspect in aspects:
                    if aspect in mapping and not _same(mapping[aspect], entries[aspect]):
                        raise _Repeated(aspect)
    except _Repeated as repeated:
        raise JudgeParseError(f"{repeated.key!r} is given twice with different values: {_excerpt(text)}", raw=text) from None


def _strict_objects(text: str, watched: frozenset[str]) -> Iterator[Any]:
    """The outermost strict-JSON objects in ``text``; _Repeated when one repeats a watched key with another value."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in items:
            norm = _norm_key(key)
            if norm in watched and norm in obj and not _same(obj[norm], value):
                raise _Repeated(norm)
            obj[norm] = value
        return obj

    decoder = json.JSONDecoder(object_pairs_hook=pairs)
    start = text.find("{")
    for _ in range(_MAX_STRICT_STARTS):
        if start < 0:
            return
        try:
            obj, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            start = text.find("{", start + 1)
            continue
        yield obj
        start = text.find("{", end)


def _quote_bare_fractions(text: str, aspects: tuple[str, ...]) -> str:
    """``"score": 4/5`` and ``"clarity": 4 out of 5`` are not JSON; quote them before parsing."""
    keys = "|".join(re.escape(k) for k in (*_SCORE_KEYS, *aspects))
    pattern = re.compile(
        rf"""(["']?\b(?:{keys})\b["']?\s*:\s*)({_NUMBER}\s*(?:/|out\s+of)\s*{_NUMBER})(?=\s*[,}}\]\r\n])""",
        re.IGNORECASE,
    )
    return pattern.sub(lambda m: f'{m.group(1)}"{m.group(2)}"', text)


def _norm_key(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", key.strip().strip("*` ").lower())


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= _MAX_RAW_IN_MESSAGE else flat[: _MAX_RAW_IN_MESSAGE - 3] + "...")
