"""A persistent cache of generated answers (and other JSON results) on stdlib ``sqlite3``.

One database file, ``<directory>/cache.sqlite3``, in WAL mode with a busy timeout, so several
processes (pytest-xdist workers, parallel runs) can read and write it at once. Every write is
its own committed transaction: a run stopped by Ctrl-C or a crash keeps every answer stored
before it stopped, and the next run resumes from there.

Keys come from :func:`generation_key`: a SHA-256 over a canonical JSON of everything that can
change an answer (model fingerprint, full prompt, decoding settings, stop strings, engine
version), so one model's answers are never served for another. A generator's fingerprint names
what answers: for a local model the weights together with the effective dtype and device type
(``TransformersBackend.fingerprint``), so bf16 or CUDA answers are never served for fp32 CPU ones.

A damaged database file (truncated, overwritten, not SQLite) is moved aside as
``cache.sqlite3.corrupt-<time>`` and rebuilt empty, with one :class:`CacheWarning`. A damaged
entry in a healthy file (an answer row with an invalid field, a JSON value that does not parse or
does not have the shape its reader expects) is a miss: it is recomputed and overwritten, with one
:class:`CacheWarning` per cache however many such entries there are. A cache that
cannot be used at all (unwritable directory, say) warns once and behaves as ``off``. Cache
trouble never fails a test run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence, TypeVar
from urllib.parse import quote

from urial_check.generation.backends.base import GenerationResult
from urial_check.generation.decoding import Decoding

CacheMode = Literal["rw", "ro", "off"]
CACHE_MODES: tuple[str, ...] = ("rw", "ro", "off")
DB_NAME = "cache.sqlite3"
#: Layout of the tables; a file written with an unknown layout is set aside and rebuilt. Layout 1
#: (a fingerprint memo keyed on path, size and mtime only) is upgraded in place: its memo is
#: dropped, its answers are kept.
SCHEMA_VERSION = 2
_UPGRADABLE = (1,)
#: Version of the key recipe in :func:`generation_key`.
KEY_VERSION = 1
BUSY_TIMEOUT_S = 60.0

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS results (
        key TEXT PRIMARY KEY, text TEXT NOT NULL, num_tokens INTEGER NOT NULL,
        finish_reason TEXT NOT NULL, seconds REAL NOT NULL, meta TEXT, created REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS json_values (
        namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, created REAL NOT NULL,
        PRIMARY KEY (namespace, key))""",
    """CREATE TABLE IF NOT EXISTS fingerprints (
        path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
        ctime_ns INTEGER NOT NULL, digest TEXT NOT NULL)""",
)
_CORRUPT_CODES = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
#: Why a stored answer ended (a generation that failed is never stored).
_STORED_FINISH_REASONS = frozenset({"stop", "eos", "length"})

T = TypeVar("T")


def _identity(value: Any) -> Any:
    return value


class CacheWarning(UserWarning):
    """The result cache had a problem it worked around (the run goes on)."""


class CacheError(RuntimeError):
    """A cache operation the user asked for cannot be done; the message is one line."""


def default_cache_dir() -> Path:
    """``$URIAL_CHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/urial-check``, else ``~/.cache/urial-check``."""
    explicit = os.environ.get("URIAL_CHECK_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "urial-check"


def generation_key(
    *,
    model_fingerprint: str,
    prompt: str,
    decoding: Decoding,
    stop: Sequence[str],
    engine_version: str,
) -> str:
    """Hex SHA-256 naming one generation: equal when (and only when) the answer must be equal.

    Settings that cannot change the answer are normalised away: sampling knobs under greedy
    decoding, ints against equal floats, the order and repeats of stop strings.
    """
    parts = {
        "key_version": KEY_VERSION,
        "model": model_fingerprint,
        "prompt": prompt,
        "decoding": _canonical_decoding(decoding),
        "stop": sorted(set(stop)),
        "engine": engine_version,
    }
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def _canonical_decoding(decoding: Decoding) -> dict[str, Any]:
    canonical: dict[str, Any] = {
        "max_new_tokens": int(decoding.max_new_tokens),
        "do_sample": bool(decoding.do_sample),
        "repetition_penalty": float(decoding.repetition_penalty),
    }
    if decoding.do_sample:
        canonical.update(temperature=float(decoding.temperature), top_p=float(decoding.top_p),
                         top_k=int(decoding.top_k), seed=decoding.seed)
    return canonical


class ResultCache:
    """Answers and JSON values by key, in ``directory``; ``mode`` is rw, ro (never writes) or off."""

    def __init__(self, directory: Path, mode: CacheMode = "rw") -> None:
        if mode not in CACHE_MODES:
            raise CacheError(f"cache mode must be one of {', '.join(CACHE_MODES)}, got {mode!r}")
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        self.mode: CacheMode = mode
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._counts = {"hits": 0, "misses": 0, "writes": 0}
        self._warned_unreadable = False
        #: False for a read-only cache of an older layout (answers readable, fingerprint memo not).
        self._current_layout = True
        if mode != "off":
            self._conn = self._open()

    # -- answers -----------------------------------------------------------------------------

    def get(self, key: str) -> GenerationResult | None:
        """The stored answer for ``key`` (``cached=True``), or None."""
        row = self._query("SELECT text, num_tokens, finish_reason, seconds FROM results WHERE key = ?", (key,))
        result = None if row is None else _stored_result(*row)
        if result is None:
            if row is not None:
                self._unreadable_entry(f"an answer ({_problem(row)})")
            self._counts["misses"] += 1
            return None
        self._counts["hits"] += 1
        return result

    def put(self, key: str, result: GenerationResult, meta: Mapping[str, Any] | None = None) -> None:
        """Store ``result`` under ``key`` (committed at once); does nothing unless mode is rw."""
        meta_text = json.dumps(dict(meta), sort_keys=True, default=str) if meta else None
        self._write(
            "INSERT OR REPLACE INTO results (key, text, num_tokens, finish_reason, seconds, meta, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, result.text, result.num_tokens, result.finish_reason, result.seconds, meta_text, time.time()),
        )

    # -- other JSON results (judges) -------------------------------------------------------------

    def get_json(self, namespace: str, key: str, parse: Callable[[Any], T] = _identity) -> T | None:
        """``parse(value)`` of the stored JSON value, or None (a miss) when there is none.

        A value that is not JSON, or that ``parse`` rejects (KeyError, TypeError, ValueError), is a
        miss too: the caller recomputes it and :meth:`put_json` overwrites it (one warning per cache).
        """
        row = self._query("SELECT value FROM json_values WHERE namespace = ? AND key = ?", (namespace, key))
        if row is None:
            self._counts["misses"] += 1
            return None
        try:
            value = parse(json.loads(row[0]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # JSONDecodeError is a ValueError
            self._unreadable_entry(f"a {namespace!r} value ({type(exc).__name__}: {_shorten(str(exc))})")
            self._counts["misses"] += 1
            return None
        self._counts["hits"] += 1
        return value

    def put_json(self, namespace: str, key: str, value: Any) -> None:
        """Store a JSON-serialisable ``value``; does nothing unless mode is rw."""
        text = json.dumps(value, sort_keys=True)
        self._write("INSERT OR REPLACE INTO json_values (namespace, key, value, created) VALUES (?, ?, ?, ?)",
                    (namespace, key, text, time.time()))

    # -- fingerprint memo ----------------------------------------------------------------------

    def remember_fingerprint(self, path: Path | str, compute: Callable[[], str], *, refresh: bool = False) -> str:
        """``compute()`` once per file version; ``refresh=True`` computes anew (and remembers that).

        A version is the resolved path with its size, mtime, inode and ctime: replacing a file by
        another of the same size and mtime gives a new inode, and rewriting it in place (even with
        its mtime put back) a new ctime, which no user can set.
        """
        resolved = Path(path).resolve()
        stat = resolved.stat()
        version = (str(resolved), stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)
        if not self._current_layout:
            return compute()  # ro on a cache of an older layout: its memo cannot be trusted
        if not refresh:
            row = self._query("SELECT digest FROM fingerprints WHERE path = ? AND size = ? AND mtime_ns = ? "
                              "AND inode = ? AND ctime_ns = ?", version)
            if row is not None:
                return str(row[0])
        digest = compute()
        self._write("INSERT OR REPLACE INTO fingerprints (path, size, mtime_ns, inode, ctime_ns, digest) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (*version, digest))
        return digest

    # -- housekeeping --------------------------------------------------------------------------

    def clear(self) -> int:
        """Remove every stored answer, JSON value and fingerprint; returns the rows removed."""
        if self.mode != "rw":
            raise CacheError(f"cannot clear the result cache in {self.mode!r} mode (use rw)")
        if self._conn is None:
            return 0
        with self._lock:
            try:
                conn = self._conn
                conn.execute("BEGIN IMMEDIATE")
                removed = sum(conn.execute(f"DELETE FROM {table}").rowcount
                              for table in ("results", "json_values", "fingerprints"))
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise CacheError(f"cannot clear the result cache {self.path}: {exc}") from None
        return removed

    def stats(self) -> dict[str, int]:
        """Rows per table, file size, and this object's hits, misses and writes."""
        out = dict(self._counts)
        for table in ("results", "json_values", "fingerprints"):
            row = self._query(f"SELECT COUNT(*) FROM {table}", ())
            out[table] = int(row[0]) if row else 0
        out["bytes"] = self.path.stat().st_size if self._conn is not None and self.path.exists() else 0
        return out

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection | None:
        if self.mode == "ro":
            return self._open_read_only()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._warn(f"cannot create the result cache directory {self.directory} ({exc.strerror or exc}); "
                       "running without a cache")
            return None
        for attempt in range(2):
            conn = self._connect(_uri(self.path))
            try:
                self._check(conn)
                self._create(conn)
                return conn
            except sqlite3.Error as exc:
                conn.close()
                if attempt == 0 and _is_corrupt(exc):
                    self._set_aside(str(exc))
                    continue
                self._warn(f"cannot open the result cache {self.path} ({exc}); running without it")
                return None
        return None  # pragma: no cover - the loop returns

    def _open_read_only(self) -> sqlite3.Connection | None:
        """A read-only connection; a missing or damaged file just means every lookup misses.

        A WAL database is read through its ``-shm`` index, which SQLite creates next to it; in a
        folder the reader cannot write (a shared or mounted read-only cache) that fails, and the
        file is opened ``immutable`` instead: no writer can use it there either (a writer needs
        the same files), so reading the main file alone is safe.
        """
        if not self.path.is_file():
            return None
        error: sqlite3.Error | None = None
        for params in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = self._connect(_uri(self.path, params))
            except sqlite3.Error as exc:
                error = exc
                continue
            try:
                self._check(conn)
            except sqlite3.Error as exc:
                conn.close()
                error = exc
                if _is_corrupt(exc):
                    break
                continue
            return conn
        self._warn(f"result cache {self.path} is unreadable ({error}); running without it")
        return None

    def _connect(self, uri: str) -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        return conn

    def _check(self, conn: sqlite3.Connection) -> None:
        """Raise a corruption error unless the file is a healthy database of our layout."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION, *_UPGRADABLE):
            raise _Corrupt(f"unknown cache layout version {version}")
        self._current_layout = version in (0, SCHEMA_VERSION)
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise _Corrupt(f"integrity check failed: {result}")

    def _create(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        conn.execute("PRAGMA synchronous = NORMAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] in _UPGRADABLE:
                conn.execute("DROP TABLE IF EXISTS fingerprints")  # a memo: recomputed on demand
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._current_layout = True

    def _set_aside(self, reason: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{DB_NAME}.corrupt-{stamp}-{os.getpid()}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                try:
                    os.replace(source, Path(str(target) + suffix))
                except OSError:
                    pass
        self._warn(f"result cache {self.path} was damaged ({reason}); moved it to {target.name} and started a new one")

    def _query(self, sql: str, args: tuple[Any, ...]) -> Any:
        if self._conn is None:
            return None
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchone()
            except sqlite3.Error as exc:
                self._fail(exc, "read")
                return None

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        if self.mode != "rw" or self._conn is None:
            return
        with self._lock:
            try:
                self._conn.execute(sql, args)  # autocommit: one committed transaction per write
                self._counts["writes"] += 1
            except sqlite3.Error as exc:
                self._fail(exc, "write")

    def _fail(self, exc: sqlite3.Error, what: str) -> None:
        """A read or write failed mid-run: warn; damaged files are set aside and rebuilt."""
        if _is_corrupt(exc) and self.mode == "rw" and self._conn is not None:
            self._conn.close()
            self._conn = None
            self._set_aside(str(exc))
            self._conn = self._open()
            return
        self._warn(f"result cache {what} failed ({exc}); the run goes on without it")

    def _rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _warn(self, message: str) -> None:
        warnings.warn(message, CacheWarning, stacklevel=4)

    def _unreadable_entry(self, what: str) -> None:
        """A stored entry cannot be used: it is a miss; the first one of this cache warns."""
        if self._warned_unreadable:
            return
        self._warned_unreadable = True
        self._warn(f"result cache {self.path} has unreadable entries, first {what}; "
                   "they are recomputed and overwritten")


class _Corrupt(sqlite3.DatabaseError):
    sqlite_errorname = "SQLITE_CORRUPT"


def _is_corrupt(exc: BaseException) -> bool:
    if isinstance(exc, _Corrupt):
        return True
    name = getattr(exc, "sqlite_errorname", "")
    if name in _CORRUPT_CODES:
        return True
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError) and (
        "not a database" in str(exc) or "malformed" in str(exc))


def _stored_result(text: Any, num_tokens: Any, finish_reason: Any, seconds: Any) -> GenerationResult | None:
    """The answer of a results row, or None when a field is not what :meth:`ResultCache.put` writes."""
    if _problem((text, num_tokens, finish_reason, seconds)) is not None:
        return None
    return GenerationResult(text=text, num_tokens=num_tokens, finish_reason=finish_reason, seconds=float(seconds),
                            cached=True)


def _problem(row: Sequence[Any]) -> str | None:
    """What is wrong with a results row (text, num_tokens, finish_reason, seconds), or None."""
    text, num_tokens, finish_reason, seconds = row
    if not isinstance(text, str):
        return f"text is {type(text).__name__}, not text"
    if not isinstance(num_tokens, int) or isinstance(num_tokens, bool) or num_tokens < 0:
        return f"num_tokens {num_tokens!r} is not a whole number >= 0"
    if finish_reason not in _STORED_FINISH_REASONS:
        return f"finish_reason {finish_reason!r} is not one of {', '.join(sorted(_STORED_FINISH_REASONS))}"
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        return f"seconds {seconds!r} is not a number >= 0"
    return None


def _shorten(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def _uri(path: Path, params: str = "") -> str:
    """An SQLite ``file:`` URI for ``path`` (characters such as ``?`` and ``#`` quoted)."""
    return f"file:{quote(str(path.absolute()))}" + (f"?{params}" if params else "")


def _retry_locked(action: Callable[[], Any], attempts: int = 50) -> Any:
    """Run ``action``, retrying while another process holds a lock the busy timeout does not cover."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None  # pragma: no cover
