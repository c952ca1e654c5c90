"""Which YAML files are suites: ``urial_suite_globs`` patterns matched path-aware, against the
file's path relative to pytest's rootdir.

Semantics (those of ``.gitignore`` and ``pathlib``'s ``**``):

* a pattern is matched against the whole rootdir-relative path, ``/``-separated
  (``evals/*.yaml`` matches ``evals/one.yaml``, not ``x/evals/one.yaml``);
* ``*``, ``?`` and ``[...]`` never match ``/``; ``**`` as a whole path segment matches zero or
  more folders (``**/evals/**/*.yaml`` matches ``evals/one.yaml`` and ``a/evals/b/c/two.yaml``);
* a pattern without ``/`` matches the file name in any folder (``*.urial.yaml``);
* a file outside the rootdir is matched on its absolute path without the leading ``/``.

Only the part of the path below the rootdir counts, so a project that sits in a folder named
``suites/`` (``/home/me/suites/myproj``) does not make every YAML file in it a suite.

Plain Python: no pytest here.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from pathlib import Path, PurePosixPath
from typing import Iterable

#: Default ``urial_suite_globs``: any ``*.yaml``/``*.yml`` below a folder named ``suites/`` (at any
#: depth below the rootdir), and any ``*.urial.yaml``/``*.urial.yml`` anywhere.
DEFAULT_SUITE_GLOBS = ("**/suites/**/*.yaml", "**/suites/**/*.yml", "*.urial.yaml", "*.urial.yml")
SUITE_SUFFIXES = (".yaml", ".yml")


def relative_parts(path: Path, root: Path | None) -> tuple[str, ...]:
    """``path``'s segments relative to ``root`` (both resolved); absolute segments when outside it."""
    resolved = Path(path).resolve()
    if root is not None:
        try:
            return resolved.relative_to(Path(root).resolve()).parts
        except ValueError:
            pass
    return resolved.parts[1:] if resolved.is_absolute() else resolved.parts


def glob_matches(pattern: str, parts: tuple[str, ...] | list[str]) -> bool:
    """Whether the ``/``-separated ``pattern`` matches a path given as its segments."""
    segments = _segments(pattern)
    if len(segments) == 1 and segments[0] != "**":
        return bool(parts) and _segment_regex(segments[0]).match(parts[-1]) is not None
    return _match(segments, tuple(parts))


def is_suite_path(path: Path, globs: Iterable[str], root: Path | None) -> bool:
    """Whether ``path`` (a .yaml/.yml file) matches one of ``globs``, relative to ``root`` (pytest's rootdir)."""
    if Path(path).suffix not in SUITE_SUFFIXES:
        return False
    parts = relative_parts(path, root)
    return any(glob_matches(pattern, parts) for pattern in globs if pattern.strip())


@functools.lru_cache(maxsize=256)
def _segments(pattern: str) -> tuple[str, ...]:
    text = pattern.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    segments = [s for s in text.strip("/").split("/") if s not in ("", ".")]
    collapsed: list[str] = []
    for segment in segments:  # a/**/**/b is a/**/b
        if not (segment == "**" and collapsed and collapsed[-1] == "**"):
            collapsed.append(segment)
    return tuple(collapsed)


@functools.lru_cache(maxsize=1024)
def _segment_regex(segment: str) -> re.Pattern[str]:
    # Within one segment fnmatch's ``*`` cannot cross a "/": there is none to cross.
    return re.compile(fnmatch.translate(segment))


def _match(segments: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not segments:
        return not parts
    head, rest = segments[0], segments[1:]
    if head == "**":
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    if not parts or _segment_regex(head).match(parts[0]) is None:
        return False
    return _match(rest, parts[1:])


__all__ = ["DEFAULT_SUITE_GLOBS", "glob_matches", "is_suite_path", "relative_parts"]
