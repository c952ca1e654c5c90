"""Text for terminals: control characters from suites, models and endpoints are shown, not obeyed.

An instruction or an answer may hold escape sequences (``ESC [ 2 J`` clears the screen, ``ESC ]``
sets the window title, a bidi override reorders what follows). Everything urial-check prints
goes through :func:`printable`, which writes such characters as Python escapes (``\\x1b``).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any, Iterable, Sequence

#: Characters kept as they are: they only lay text out.
_LAYOUT = frozenset("\n\t")


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` with every control or format character (C0, DEL, C1, bidi controls, ...) escaped.

    Newlines and tabs are kept unless ``newlines`` is false (for one-line contexts). Letters,
    punctuation and emoji of any script pass unchanged; zero-width joiners are kept so emoji
    sequences stay whole.
    """
    if text.isprintable():
        return text
    return "".join(_escape(ch, newlines) for ch in text)


def _escape(ch: str, newlines: bool) -> str:
    if ch in _LAYOUT and newlines:
        return ch
    category = unicodedata.category(ch)
    if category == "Cc" or (category == "Cf" and ch not in "\u200c\u200d") or category in ("Cs", "Zl", "Zp"):
        code = ord(ch)
        if ch == "\n":
            return "\\n"
        if ch == "\r":
            return "\\r"
        if ch == "\t":
            return "\\t"
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return ch


def printable_json(text: str) -> str:
    """JSON text (as ``json.dumps`` writes it) with the characters :func:`printable` escapes written
    as JSON ``\\u`` escapes, so it stays valid JSON and loads back to the same values."""
    if text.isprintable():
        return text
    return "".join(json.dumps(ch)[1:-1] if _escape(ch, True) != ch else ch for ch in text)


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str], **options: Any) -> str:
    """``tabulate`` of ``rows`` with every text cell passed through :func:`printable` first (so the
    column widths are those of what the terminal shows); in a ``github`` table a ``|`` in a cell is
    written ``\\|``, as Markdown reads it, so it does not split the cell."""
    from tabulate import tabulate

    pipes = options.get("tablefmt") == "github"
    cells = [[_cell(c, pipes) if isinstance(c, str) else c for c in row] for row in rows]
    shown = [printable(h) if isinstance(h, str) else h for h in headers]  # line breaks kept: two-line headers
    return str(tabulate(cells, headers=shown, **options))


def _cell(text: str, pipes: bool) -> str:
    text = printable(text, newlines=False)
    return text.replace("|", "\\|") if pipes else text
