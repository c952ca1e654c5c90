from __future__ import annotations

import dataclasses
import multiprocessing
import multiprocessing.connection
import os
import signal
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urial_check.generation.backends.base import GenerationResult
from urial_check.generation.cache import (
    DB_NAME,
    CacheError,
    CacheWarning,
    ResultCache,
    default_cache_dir,
    generation_key,
)
from urial_check.generation.decoding import Decoding

RESULT = GenerationResult(text="I can't help with that.", num_tokens=7, finish_reason="stop", seconds=1.25)


def key_for(i: int) -> str:
    return generation_key(model_fingerprint="m", prompt=f"prompt {i}", decoding=Decoding(), stop=("# Query",),
                          engine_version="1")


def test_round_trip_marks_cached(tmp_path: Path) -> None:
    with ResultCache(tmp_path) as cache:
        assert cache.get("k") is None
        cache.put("k", RESULT, meta={"case": "x"})
        assert cache.get("k") == dataclasses.replace(RESULT, cached=True)
        cache.put_json("judge", "k", {"score": 3, "why": ["a"]})
        assert cache.get_json("judge", "k") == {"score": 3, "why": ["a"]}
        assert cache.get_json("other", "k") is None
        stats = cache.stats()
        assert (stats["results"], stats["json_values"], stats["hits"], stats["misses"]) == (1, 1, 2, 2)
    with ResultCache(tmp_path) as again:  # persisted
        assert again.get("k") == dataclasses.replace(RESULT, cached=True)
        assert again.clear() == 2
        assert again.get("k") is None


def test_ro_mode_never_writes(tmp_path: Path) -> None:
    with ResultCache(tmp_path) as cache:
        cache.put("old", RESULT)
    db = tmp_path / DB_NAME
    before = db.read_bytes()
    with ResultCache(tmp_path, "ro") as ro:
        assert ro.get("old") == dataclasses.replace(RESULT, cached=True)
        ro.put("new", RESULT)
        ro.put_json("judge", "new", 1)
        assert ro.remember_fingerprint(db, lambda: "abc") == "abc"
        with pytest.raises(CacheError, match="cannot clear the result cache in 'ro' mode"):
            ro.clear()
        assert ro.get("new") is None
    assert db.read_bytes() == before
    with ResultCache(tmp_path) as rw:
        assert rw.stats()["results"] == 1 and rw.stats()["fingerprints"] == 0
    # ro on a directory without a cache creates nothing
    empty = tmp_path / "nothing-here"
    with ResultCache(empty, "ro") as ro:
        assert ro.get("old") is None
    assert not empty.exists()


def test_off_mode_touches_nothing(tmp_path: Path) -> None:
    with ResultCache(tmp_path / "c", "off") as cache:
        cache.put("k", RESULT)
        assert cache.get("k") is None
        assert cache.stats()["results"] == 0
    assert not (tmp_path / "c").exists()


def test_bad_mode_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="cache mode must be one of rw, ro, off, got 'wr'"):
        ResultCache(tmp_path, "wr")  # type: ignore[arg-type]


def test_fingerprint_remembered_by_path_size_and_mtime(tmp_path: Path) -> None:
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"abc")
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return f"digest-{len(calls)}"

    with ResultCache(tmp_path / "cache") as cache:
        assert cache.remember_fingerprint(weights, compute) == "digest-1"
        assert cache.remember_fingerprint(tmp_path / "." / "w.bin", compute) == "digest-1"
    with ResultCache(tmp_path / "cache") as cache:
        assert cache.remember_fingerprint(weights, compute) == "digest-1"
        weights.write_bytes(b"abcd")  # size (and mtime) change
        assert cache.remember_fingerprint(weights, compute) == "digest-2"
        os.utime(weights, ns=(1, 1))  # same size, other mtime
        assert cache.remember_fingerprint(weights, compute) == "digest-3"
    assert len(calls) == 3


def _writer(directory: str, worker: int, count: int) -> None:
    with ResultCache(Path(directory)) as cache:
        for i in range(count):
            cache.put(key_for(worker * 1000 + i), dataclasses.replace(RESULT, num_tokens=i), meta={"w": worker})
            cache.put(key_for(-1 - i % 5), RESULT)  # keys every worker writes
            cache.put_json("judge", f"{worker}-{i}", [worker, i])
            assert cache.get(key_for(worker * 1000 + i)) is not None


def test_concurrent_writers_from_several_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(str(tmp_path), w, 40)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
        assert p.exitcode == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        with ResultCache(tmp_path) as cache:
            stats = cache.stats()
            assert stats["results"] == 4 * 40 + 5 and stats["json_values"] == 4 * 40
            assert cache.get(key_for(3039)) == GenerationResult(RESULT.text, 39, "stop", 1.25, cached=True)


def _write_until_killed(directory: str, conn: multiprocessing.connection.Connection) -> None:
    cache = ResultCache(Path(directory))
    i = 0
    while True:
        cache.put(key_for(i), RESULT)
        conn.send(i)  # acknowledged only after the put returned
        i += 1


def test_killed_writer_keeps_every_acknowledged_put(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_write_until_killed, args=(str(tmp_path), child))
    proc.start()
    acked = -1
    while acked < 30:
        acked = parent.recv()
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    while parent.poll():
        acked = parent.recv()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        with ResultCache(tmp_path) as cache:
            assert all(cache.get(key_for(i)) is not None for i in range(acked + 1))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed-middle"])
def test_damaged_database_is_set_aside_and_rebuilt(tmp_path: Path, damage: str) -> None:
    with ResultCache(tmp_path) as cache:
        for i in range(300):
            cache.put(key_for(i), dataclasses.replace(RESULT, text="x" * 200))
    db = tmp_path / DB_NAME
    data = db.read_bytes()
    if damage == "garbage":
        db.write_bytes(b"this is not a database at all " * 100)
    elif damage == "truncated":
        db.write_bytes(data[: len(data) // 3])
    else:
        middle = len(data) // 2
        db.write_bytes(data[:4096] + b"\x00" * (middle - 4096) + data[middle:])
    with pytest.warns(CacheWarning, match="was damaged") as record:
        cache = ResultCache(tmp_path)
    assert len(record) == 1
    with cache:
        assert cache.get(key_for(1)) is None
        cache.put(key_for(1), RESULT)
        assert cache.get(key_for(1)) == dataclasses.replace(RESULT, cached=True)
    assert len(list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))) == 1


def test_unusable_directory_warns_once_and_runs_without_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.warns(CacheWarning, match="cannot create the result cache directory"):
        cache = ResultCache(blocker / "sub")
    cache.put("k", RESULT)
    assert cache.get("k") is None


def test_future_layout_is_set_aside(tmp_path: Path) -> None:
    ResultCache(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.warns(CacheWarning, match="unknown cache layout version 99"):
        ResultCache(tmp_path).close()


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("URIAL_CHECK_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.setenv("URIAL_CHECK_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "urial-check"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "urial-check"


# -- keys ---------------------------------------------------------------------------------------

decodings = st.builds(
    Decoding,
    max_new_tokens=st.integers(1, 4),
    do_sample=st.booleans(),
    temperature=st.sampled_from([0.5, 1.0, 1]),
    top_p=st.sampled_from([0.9, 1.0]),
    top_k=st.integers(0, 2),
    repetition_penalty=st.sampled_from([1.0, 1.1, 1]),
    seed=st.one_of(st.none(), st.integers(0, 2)),
)
key_parts = st.fixed_dictionaries({
    "model_fingerprint": st.sampled_from(["aa", "ab"]),
    "prompt": st.text(max_size=6),
    "decoding": decodings,
    "stop": st.lists(st.sampled_from(["# Query", "# User", "x"]), max_size=3).map(tuple),
    "engine_version": st.sampled_from(["1", "2"]),
})


def effective(parts: dict) -> tuple:
    """What can change an answer: the reference the key must agree with."""
    d: Decoding = parts["decoding"]
    sampling = (float(d.temperature), float(d.top_p), d.top_k, d.seed) if d.do_sample else None
    return (parts["model_fingerprint"], parts["prompt"], d.max_new_tokens, d.do_sample,
            float(d.repetition_penalty), sampling, frozenset(parts["stop"]), parts["engine_version"])


@settings(max_examples=300)
@given(key_parts, key_parts)
def test_keys_equal_exactly_when_effective_inputs_equal(a: dict, b: dict) -> None:
    assert (generation_key(**a) == generation_key(**b)) == (effective(a) == effective(b))


@given(key_parts)
def test_each_part_changes_the_key(parts: dict) -> None:
    key = generation_key(**parts)
    assert len(key) == 64 and key == generation_key(**parts)
    changed = [
        dict(parts, model_fingerprint=parts["model_fingerprint"] + "0"),
        dict(parts, prompt=parts["prompt"] + " "),
        dict(parts, engine_version=parts["engine_version"] + ".1"),
        dict(parts, stop=(*parts["stop"], "new stop")),
        dict(parts, decoding=dataclasses.replace(parts["decoding"],
                                                 max_new_tokens=parts["decoding"].max_new_tokens + 1)),
        dict(parts, decoding=dataclasses.replace(parts["decoding"], do_sample=not parts["decoding"].do_sample)),
        dict(parts, decoding=dataclasses.replace(parts["decoding"], repetition_penalty=1.3)),
    ]
    assert all(generation_key(**c) != key for c in changed)


def test_ro_mode_leaves_a_damaged_file_alone(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    db.write_bytes(b"garbage" * 500)
    with pytest.warns(CacheWarning, match="is unreadable"):
        cache = ResultCache(tmp_path, "ro")
    assert cache.get("k") is None
    assert db.read_bytes() == b"garbage" * 500 and not list(tmp_path.glob("*.corrupt-*"))


def _read_in_read_only_folder(directory: str, key: str, conn: multiprocessing.connection.Connection) -> None:
    """Forked child: drop root (which ignores permission bits) to ``nobody``, then read the cache in ro mode."""
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    try:
        (Path(directory) / "probe").write_text("x")
        folder = "writable"
    except OSError:
        folder = "read-only"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ResultCache(Path(directory), "ro") as cache:
            hit = cache.get(key)
    conn.send((folder, hit.text if hit else None, [str(w.message) for w in caught]))


@pytest.fixture
def shared_folder() -> Any:
    """A folder outside pytest's private (mode 0700) temp tree, so a process running as nobody reaches it."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="urial-ro-"))
    folder.chmod(0o755)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)


def test_ro_mode_reads_a_healthy_cache_in_a_read_only_folder(shared_folder: Path) -> None:
    """A WAL database needs its -shm/-wal files, which a read-only folder cannot hold.

    Root ignores permission bits, so when the tests run as root the reader is a forked child that
    switches to ``nobody`` first; the test checks that the child really cannot write there.
    """
    with ResultCache(shared_folder) as cache:
        cache.put("k", RESULT)
    assert sorted(p.name for p in shared_folder.iterdir()) == [DB_NAME]  # a clean close leaves no -wal/-shm
    shared_folder.chmod(0o555)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_read_in_read_only_folder, args=(str(shared_folder), "k", send))
    child.start()
    folder, text, warned = receive.recv()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert folder == "read-only"
    assert (text, warned) == (RESULT.text, [])


def test_fingerprint_memo_sees_a_replaced_file_with_the_same_size_and_mtime(tmp_path: Path) -> None:
    import time

    weights = tmp_path / "w.bin"
    weights.write_bytes(b"old weights")
    stamp = weights.stat().st_mtime_ns
    digests = iter(["digest-old", "digest-new", "digest-in-place", "digest-forced"])
    with ResultCache(tmp_path / "cache") as cache:
        assert cache.remember_fingerprint(weights, lambda: next(digests)) == "digest-old"
        time.sleep(0.05)  # past the file system's timestamp granularity
        other = tmp_path / "other.bin"
        other.write_bytes(b"new weights")  # same size
        os.utime(other, ns=(stamp, stamp))
        os.replace(other, weights)  # another inode under the old name, size and mtime
        assert cache.remember_fingerprint(weights, lambda: next(digests)) == "digest-new"
        time.sleep(0.05)
        with open(weights, "r+b") as handle:  # same inode, rewritten in place, mtime put back
            handle.write(b"NEW")
        os.utime(weights, ns=(stamp, stamp))
        assert cache.remember_fingerprint(weights, lambda: next(digests)) == "digest-in-place"
        assert cache.remember_fingerprint(weights, lambda: "never") == "digest-in-place"
        assert cache.remember_fingerprint(weights, lambda: next(digests), refresh=True) == "digest-forced"
        assert cache.remember_fingerprint(weights, lambda: "never") == "digest-forced"


def test_a_cache_of_the_previous_layout_keeps_its_answers(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.executescript(
        "PRAGMA journal_mode = WAL;"
        "CREATE TABLE results (key TEXT PRIMARY KEY, text TEXT NOT NULL, num_tokens INTEGER NOT NULL,"
        " finish_reason TEXT NOT NULL, seconds REAL NOT NULL, meta TEXT, created REAL NOT NULL);"
        "CREATE TABLE json_values (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
        " created REAL NOT NULL, PRIMARY KEY (namespace, key));"
        "CREATE TABLE fingerprints (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
        " digest TEXT NOT NULL);"
        "INSERT INTO results VALUES ('k', 'kept', 1, 'stop', 0.5, NULL, 0);"
        "PRAGMA user_version = 1;"
    )
    db.close()
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"abc")
    with ResultCache(tmp_path, "ro") as ro:
        assert ro.get("k") is not None and ro.get("k").text == "kept"
        assert ro.remember_fingerprint(weights, lambda: "computed") == "computed"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        with ResultCache(tmp_path) as cache:
            assert cache.get("k") is not None and cache.get("k").text == "kept"
            assert cache.remember_fingerprint(weights, lambda: "d1") == "d1"
            assert cache.remember_fingerprint(weights, lambda: "never") == "d1"


def test_backend_fingerprint_keys_on_the_effective_dtype_and_device_type(tiny_model: Path) -> None:
    from urial_check.generation.backends.transformers_backend import ModelSettings, TransformersBackend

    def backend(**settings: str) -> TransformersBackend:
        return TransformersBackend(ModelSettings(model=str(tiny_model), **settings))

    fp32, bf16, fp16 = backend(dtype="float32"), backend(dtype="bfloat16"), backend(dtype="fp16")
    assert len({fp32.fingerprint, bf16.fingerprint, fp16.fingerprint}) == 3
    assert fp32.weights_fingerprint == bf16.weights_fingerprint == fp16.weights_fingerprint
    assert (bf16.numerics, bf16.dtype) == (("cpu", "bfloat16"), "bfloat16")
    auto = backend(device="cpu")  # auto dtype on CPU is float32: the very same answers
    assert auto.fingerprint == fp32.fingerprint == backend(dtype="fp32").fingerprint
    assert bf16.fingerprint == backend(dtype="bf16", device="cpu").fingerprint
    assert fp32.load_seconds is None and bf16.load_seconds is None  # nothing above loaded a model


@pytest.mark.parametrize("column, value", [
    ("num_tokens", "abc"), ("num_tokens", -1), ("num_tokens", 2.5), ("finish_reason", "bogus"), ("finish_reason", "error"),
    ("seconds", "slow"), ("seconds", -1.0), ("text", b"\xff"),
])
def test_answer_row_with_an_invalid_field_is_a_miss_with_one_warning(tmp_path: Path, column: str, value: Any) -> None:
    with ResultCache(tmp_path) as cache:
        cache.put("a", RESULT)
        cache.put("b", RESULT)
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute(f"UPDATE results SET {column} = ?", (value,))
    with ResultCache(tmp_path) as cache:
        with pytest.warns(CacheWarning, match="unreadable") as record:
            assert cache.get("a") is None and cache.get("b") is None
        assert len(record) == 1
        cache.put("a", RESULT)  # the recomputed answer overwrites the bad row
        assert cache.get("a") == dataclasses.replace(RESULT, cached=True)


def test_unreadable_json_value_is_a_miss_with_one_warning(tmp_path: Path) -> None:
    def parse(value: Any) -> int:
        return int(value["n"])

    with ResultCache(tmp_path) as cache:
        for key, value in (("a", {"n": 1}), ("b", {"n": 2}), ("c", {"m": 3})):
            cache.put_json("ns", key, value)
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE json_values SET value = 'not json' WHERE key = 'a'")
    with ResultCache(tmp_path) as cache:
        with pytest.warns(CacheWarning, match="unreadable") as record:
            assert cache.get_json("ns", "a") is None
            assert cache.get_json("ns", "c", parse=parse) is None
            assert cache.get_json("ns", "b", parse=parse) == 2
        assert len(record) == 1
        assert cache.stats()["misses"] == 2 and cache.stats()["hits"] == 1


class _SlowToCheck(ResultCache):
    """Connects to a damaged file; before its first read another process (``rival``) sets the file
    aside and builds a new one (xdist workers that all start on a damaged cache)."""

    rival: ResultCache | None = None

    def _check(self, conn: sqlite3.Connection) -> None:
        if type(self).rival is None:
            type(self).rival = ResultCache(self.directory)
        super()._check(conn)


def test_a_damaged_cache_another_process_rebuilt_is_not_set_aside_again(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database at all " * 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CacheWarning)
        late = _SlowToCheck(tmp_path)
    rival = _SlowToCheck.rival
    assert rival is not None
    rival.put(key_for(1), RESULT)  # the rival's answers go to the file every later run reads
    late.put(key_for(2), RESULT)
    rival.close()
    late.close()
    with ResultCache(tmp_path) as fresh:
        assert fresh.get(key_for(1)) is not None and fresh.get(key_for(2)) is not None
    assert len(list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))) == 1  # only the damaged file was set aside
