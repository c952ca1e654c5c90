"""Literal prefilters for the rule detectors' regular expressions (speed only, never verdicts).

Python's regex engine tries a pattern such as ``\\b(?:is|are) (?:not|never) (?:right|fair)`` at
every position of a sentence, and most sentences match none of the detectors' patterns. Every
match of that pattern must contain ``"not "`` or ``"never "``, and looking for literals costs a fraction
of a regex scan. :func:`compile_gated` works out such a set of required
literals from the pattern's parse tree and skips the regex when none of them occurs.

The set is derived, not written by hand, and it is only ever a necessary condition: every match
of the pattern contains one of the literals (a sequence needs what any one of its mandatory parts
needs; an alternation needs one of what each branch needs; optional parts, character classes and
zero-width assertions need nothing). So the gate can let through text the pattern then rejects,
but never stops text the pattern would match: results are identical to the plain pattern's. When
no useful set exists (a branch that can match without any literal, a literal shorter than
:data:`MIN_LITERAL`), the pattern is returned ungated.

The literals of every gated pattern go into one Aho-Corasick automaton (``pyahocorasick``): one pass
over a text finds all of them at once, as a mask of the patterns (one bit each) that may match it,
memoised per text; a gate is then one ``&`` of two small integers. The detectors ask dozens of patterns
about the same sentence, so that pass is paid once per sentence, not once per pattern and literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from threading import Lock
from typing import Any

import ahocorasick

try:  # Python 3.11+
    from re import _constants as _sre_constants  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

#: Literals shorter than this make a weak gate (nearly every sentence holds "a" or "no").
MIN_LITERAL = 3
#: Sets of strings are worked out up to this size (larger ones: no requirement from that part).
MAX_LITERALS = 48
#: Texts whose literal masks are remembered (sentences, instructions); the memo is emptied when full.
MEMO_SIZE = 16384
#: ... and at most this many characters of them (16,384 answers of 100 KB would otherwise hold 1.6 GB).
MEMO_CHARS = 32_000_000

_LITERAL = _sre_constants.LITERAL
_SUBPATTERN = _sre_constants.SUBPATTERN
_BRANCH = _sre_constants.BRANCH
_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT) + (
    (_sre_constants.POSSESSIVE_REPEAT,) if hasattr(_sre_constants, "POSSESSIVE_REPEAT") else ()
)
_ATOMIC = getattr(_sre_constants, "ATOMIC_GROUP", None)
_IGNORECASE = _sre_constants.SRE_FLAG_IGNORECASE
_IN = _sre_constants.IN
_ZERO_WIDTH = (_sre_constants.AT, _sre_constants.ASSERT, _sre_constants.ASSERT_NOT)


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two requirements (longest shortest literal, then fewer literals)."""
    if not a or "" in a:
        return b if b and "" not in b else None
    if not b or "" in b:
        return a
    return a if _selectivity(a) >= _selectivity(b) else b


def _selectivity(literals: frozenset[str]) -> tuple[int, int]:
    """Longer literals are rarer (fewer texts open the gate); then fewer literals, for fewer automaton hits."""
    return min(min(map(len, literals)), 5), -len(literals)


def _exact(items: Any) -> frozenset[str] | None:
    """Every string the parsed sequence ``items`` can match, when that is a small finite set (else None).

    Zero-width assertions count as the empty string: dropping a condition only widens the set."""
    strings: frozenset[str] = frozenset([""])
    for item in items:
        part = _exact_item(item)
        if part is None:
            return None
        strings = frozenset(a + b for a in strings for b in part)
        if len(strings) > MAX_LITERALS:
            return None
    return strings


def _exact_item(item: Any) -> frozenset[str] | None:
    op, arg = item
    if op == _LITERAL:
        return frozenset([chr(arg)])
    if op in _ZERO_WIDTH:
        return frozenset([""])
    if op == _SUBPATTERN:
        return None if arg[1] & _IGNORECASE else _exact(arg[-1])
    if op == _BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            part = _exact(branch)
            if part is None:
                return None
            union |= part
        return frozenset(union) if len(union) <= MAX_LITERALS else None
    if op == _IN:
        chars = [chr(value) for kind, value in arg if kind == _LITERAL]
        if len(chars) != len(arg) or len(chars) > 8:
            return None  # ranges, categories (\w, \s) and negated sets are not small finite sets
        return frozenset(chars)
    if op in _REPEATS:
        low, high, inner = arg
        if low == 0 and high == 1:
            part = _exact(inner)
            return None if part is None else part | {""}
        if low == high == 1:
            return _exact(inner)
    return None


def _required(items: Any) -> frozenset[str] | None:
    """Literals one of which every match of the parsed sequence ``items`` contains (None: unknown).

    Consecutive parts whose strings are a small finite set are joined into one set of strings
    (``(?:is|are) n(?:ot|ever)`` gives "is not", "is never", ...); each other mandatory part
    contributes what it requires; the most selective candidate wins."""
    best: frozenset[str] | None = None
    run: frozenset[str] = frozenset([""])

    def close_run() -> None:
        nonlocal best, run
        best = _better(best, run)
        run = frozenset([""])

    for item in items:
        op, arg = item
        part = _exact_item(item)
        if part is not None:
            joined = frozenset(a + b for a in run for b in part)
            if len(joined) <= MAX_LITERALS:
                run = joined
                continue
            close_run()
            run = part
            continue
        close_run()
        need: frozenset[str] | None = None
        if op == _SUBPATTERN:
            # A scoped flag such as (?i:...) changes what a literal matches: no requirement from it.
            need = None if arg[1] & _IGNORECASE else _required(arg[-1])
        elif _ATOMIC is not None and op == _ATOMIC:
            need = _required(arg)
        elif op == _BRANCH:
            union: set[str] = set()
            for branch in arg[1]:
                branch_need = _required(branch)
                if not branch_need or "" in branch_need:
                    union = set()
                    break
                union |= branch_need
            need = frozenset(union) if union else None
        elif op in _REPEATS:
            low, _high, inner = arg
            need = _required(inner) if low >= 1 else None
        best = _better(best, need)
    close_run()
    return best


def required_literals(pattern: str) -> frozenset[str] | None:
    """A set of literals every match of ``pattern`` contains one of, or None when there is none worth
    checking (see the module doc)."""
    try:
        parsed = _sre_parse.parse(pattern, 0)
    except Exception:  # noqa: BLE001 - an unparseable pattern simply gets no gate
        return None
    if parsed.state.flags & _IGNORECASE:
        return None
    need = _required(list(parsed))
    if not need or "" in need or min(map(len, need)) < MIN_LITERAL:
        return None
    return need  # any number: the automaton checks them all in one pass


class _LiteralIndex:
    """Every gate's literals; which gates a text may open, found in one Aho-Corasick pass.

    Each gated pattern is one bit of an integer, and each literal maps to the bits of the patterns that
    require it; :meth:`present` returns the OR over the literals found in a text (a small integer: one
    bit per pattern, not per literal) and memoises it per text. Registering a pattern invalidates the
    automaton and the memo (both rebuilt on the next question), so a late-compiled pattern is as exact
    as the rest."""

    def __init__(self) -> None:
        self.bits: dict[str, int] = {}  # literal -> the bits of the patterns that require it
        self.patterns = 0
        self.memo: dict[str, int] = {}
        self.memo_chars = 0  # characters of the texts in ``memo``
        self._automaton: Any = None
        self._lock = Lock()

    def register(self, literals: frozenset[str]) -> int:
        """A new pattern requiring one of ``literals``: its bit."""
        with self._lock:
            bit = 1 << self.patterns
            self.patterns += 1
            for literal in literals:
                self.bits[literal] = self.bits.get(literal, 0) | bit
            self._automaton = None
            self.memo.clear()
            self.memo_chars = 0
            return bit

    def _build(self) -> Any:
        with self._lock:
            automaton = ahocorasick.Automaton()
            for literal, bit in self.bits.items():
                automaton.add_word(literal, bit)
            automaton.make_automaton()
            self._automaton = automaton
            return automaton

    def present(self, text: str) -> int:
        """The bits of the patterns one of whose literals occurs in ``text`` (every occurrence, overlaps too)."""
        found = self.memo.get(text)
        if found is None:
            automaton = self._automaton or self._build()
            found = 0
            for _end, bit in automaton.iter(text):
                found |= bit
            with self._lock:  # not remembered if a pattern was registered meanwhile (its bit may be missing)
                if automaton is self._automaton:
                    if len(self.memo) >= MEMO_SIZE or self.memo_chars + len(text) > MEMO_CHARS:
                        self.memo.clear()
                        self.memo_chars = 0
                    if len(text) <= MEMO_CHARS:
                        self.memo[text] = found
                        self.memo_chars += len(text)
        return found


_INDEX = _LiteralIndex()
_MEMO = _INDEX.memo  # cleared in place, never replaced: the gates read it directly


def clear_memo() -> None:
    """Forget the memoised texts (benchmarks clear it between repeats so that each pays in full)."""
    _MEMO.clear()
    _INDEX.memo_chars = 0


def open_gates(text: str) -> int:
    """The bits of the gated patterns one of whose literals occurs in ``text`` (memoised): a pattern whose
    ``mask`` shares no bit with it cannot match, so a group of patterns can be skipped with one AND."""
    found = _MEMO.get(text)
    return _INDEX.present(text) if found is None else found


def gate_mask(patterns: Iterable[Any]) -> int:
    """The OR of the patterns' gate bits; -1 (every bit) if one of them is not gated."""
    mask = 0
    for pattern in patterns:
        mask |= pattern.mask if isinstance(pattern, GatedPattern) else -1
    return mask


class GatedPattern:
    """A compiled pattern whose matching methods (search, match, fullmatch, finditer, findall, sub,
    split) skip the regex when none of its required literals occurs in the text; same results as the
    plain pattern, whose other attributes it passes through."""

    __slots__ = ("regex", "pattern", "literals", "mask")

    def __init__(self, regex: re.Pattern[str], literals: frozenset[str]) -> None:
        self.regex = regex
        self.pattern = regex.pattern
        self.literals = tuple(sorted(literals))
        self.mask = _INDEX.register(literals)

    def _absent(self, text: str) -> bool:
        found = _MEMO.get(text)
        if found is None:
            found = _INDEX.present(text)
        return not found & self.mask

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        found = _MEMO.get(text)  # inlined _absent: this is the hot path
        if found is None:
            found = _INDEX.present(text)
        return self.regex.search(text, *args) if found & self.mask else None

    def match(self, text: str, *args: int) -> re.Match[str] | None:
        return None if self._absent(text) else self.regex.match(text, *args)

    def fullmatch(self, text: str, *args: int) -> re.Match[str] | None:
        return None if self._absent(text) else self.regex.fullmatch(text, *args)

    def finditer(self, text: str, *args: int) -> Iterator[re.Match[str]]:
        return iter(()) if self._absent(text) else self.regex.finditer(text, *args)

    def findall(self, text: str, *args: int) -> list[Any]:
        return [] if self._absent(text) else self.regex.findall(text, *args)

    def sub(self, repl: Any, text: str, count: int = 0) -> str:
        return text if self._absent(text) else self.regex.sub(repl, text, count=count)

    def split(self, text: str, maxsplit: int = 0) -> list[str]:
        return [text] if self._absent(text) else self.regex.split(text, maxsplit=maxsplit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.regex, name)  # flags, groups, groupindex, subn, ...: the plain pattern's

    def __repr__(self) -> str:
        return f"GatedPattern({self.pattern!r}, literals={self.literals!r})"


def compile_gated(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, behind a literal gate when one is worth having.

    Typed as a pattern for the callers: :class:`GatedPattern` offers the methods the detectors use
    (search, match, fullmatch, finditer, sub, split and ``.pattern``)."""
    regex = re.compile(pattern)
    literals = required_literals(pattern)
    if literals is None:
        return regex
    return GatedPattern(regex, literals)  # type: ignore[return-value]
