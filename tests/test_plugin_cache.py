"""The persistent result cache through the plugin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tiny_model import build_tiny_llama

SUITE = """\
defaults:
  generation: {max_new_tokens: 5}
cases:
  - id: one
    instruction: "Name a fruit."
  - id: two
    instruction: "Name a colour."
  - id: three
    turns: ["hi", "hello", "Name a tree."]
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "s.yaml").write_text(SUITE)


def run(pytester: pytest.Pytester, model: Path, *args: str) -> dict[str, Any]:
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-model", str(model), *args)
    result.assert_outcomes(passed=3)
    return json.loads((pytester.path / "reports" / "latest.json").read_text())


def test_rerun_is_served_from_the_cache_without_loading_the_model(pytester: pytest.Pytester, suite: None, tiny_model: Path) -> None:
    first = run(pytester, tiny_model)
    assert not any(c["cached"] for c in first["cases"]) and first["model"]["load_seconds"] is not None
    second = run(pytester, tiny_model)
    assert all(c["cached"] for c in second["cases"])
    assert second["model"]["load_seconds"] is None  # never loaded
    assert [c["answer"] for c in second["cases"]] == [c["answer"] for c in first["cases"]]


def test_another_model_is_never_served_this_models_answers(
    pytester: pytest.Pytester, suite: None, tiny_model: Path, tmp_path: Path, default_tokenizer_dir: Path
) -> None:
    first = run(pytester, tiny_model)
    other = build_tiny_llama(tmp_path / "other", seed=7, tokenizer_folder=default_tokenizer_dir)
    record = run(pytester, other)
    assert not any(c["cached"] for c in record["cases"])
    assert record["model"]["fingerprint"] != first["model"]["fingerprint"]


def test_cache_modes_and_clear(pytester: pytest.Pytester, suite: None, tiny_model: Path) -> None:
    assert not any(c["cached"] for c in run(pytester, tiny_model, "--urial-cache", "ro")["cases"])  # ro never writes
    assert not any(c["cached"] for c in run(pytester, tiny_model, "--urial-cache", "off")["cases"])
    run(pytester, tiny_model)  # rw fills it
    assert not any(c["cached"] for c in run(pytester, tiny_model, "--urial-cache", "off")["cases"])
    assert all(c["cached"] for c in run(pytester, tiny_model, "--urial-cache", "ro")["cases"])
    assert not any(c["cached"] for c in run(pytester, tiny_model, "--urial-cache-clear")["cases"])


def test_changed_decoding_is_a_miss(pytester: pytest.Pytester, suite: None, tiny_model: Path) -> None:
    run(pytester, tiny_model)
    record = run(pytester, tiny_model, "--urial-max-new-tokens", "4")
    assert not any(c["cached"] for c in record["cases"])


def test_cache_dir_option(pytester: pytest.Pytester, suite: None, tiny_model: Path) -> None:
    run(pytester, tiny_model, "--urial-cache-dir", "mycache")
    assert (pytester.path / "mycache").is_dir()
    assert all(c["cached"] for c in run(pytester, tiny_model, "--urial-cache-dir", "mycache")["cases"])


def _cache_db(pytester: pytest.Pytester) -> Path:
    import os

    return Path(os.environ["URIAL_CHECK_CACHE_DIR"]) / "cache.sqlite3"


def test_rehash_ignores_the_fingerprint_memo(pytester: pytest.Pytester, suite: None, tiny_model: Path) -> None:
    import sqlite3

    first = run(pytester, tiny_model)
    with sqlite3.connect(_cache_db(pytester)) as db:  # a memo that lies (as a fooled one would)
        assert db.execute("UPDATE fingerprints SET digest = ?", ("0" * 64,)).rowcount > 0
    fooled = run(pytester, tiny_model)
    assert fooled["model"]["fingerprint"] != first["model"]["fingerprint"]
    rehashed = run(pytester, tiny_model, "--urial-rehash")
    assert rehashed["model"]["fingerprint"] == first["model"]["fingerprint"]
    assert all(c["cached"] for c in rehashed["cases"])
    assert run(pytester, tiny_model)["model"]["fingerprint"] == first["model"]["fingerprint"]  # memo mended
    pytester.makeini("[pytest]\nurial_rehash = true\n")
    with sqlite3.connect(_cache_db(pytester)) as db:
        db.execute("UPDATE fingerprints SET digest = ?", ("0" * 64,))
    assert run(pytester, tiny_model)["model"]["fingerprint"] == first["model"]["fingerprint"]


def test_model_with_non_finite_logits_is_one_error_and_nothing_is_cached(
    pytester: pytest.Pytester, suite: None, tmp_path: Path, default_tokenizer_dir: Path
) -> None:
    import sqlite3

    import torch
    from safetensors.torch import load_file, save_file

    broken = build_tiny_llama(tmp_path / "nan-model", seed=3, tokenizer_folder=default_tokenizer_dir)
    tensors = load_file(str(broken / "model.safetensors"))
    tensors["model.norm.weight"] = torch.full_like(tensors["model.norm.weight"], float("nan"))
    save_file(tensors, str(broken / "model.safetensors"), metadata={"format": "pt"})
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-model", str(broken))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["urial-check: model *nan-model gives non-finite logits (NaN or infinity)*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    with sqlite3.connect(_cache_db(pytester)) as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0


def test_another_dtype_is_never_served_this_dtypes_answers(pytester: pytest.Pytester, suite: None, tiny_model: Path) -> None:
    fp32 = run(pytester, tiny_model, "--urial-dtype", "float32")
    assert not any(c["cached"] for c in fp32["cases"])
    bf16 = run(pytester, tiny_model, "--urial-dtype", "bfloat16")
    assert not any(c["cached"] for c in bf16["cases"])  # bf16 answers drift: generated, not served
    assert bf16["model"]["load_seconds"] is not None
    assert all(c["cached"] for c in run(pytester, tiny_model, "--urial-dtype", "bfloat16")["cases"])
    # auto is float32 on CPU: the same numerics as an explicit float32, so the same answers
    assert all(c["cached"] for c in run(pytester, tiny_model, "--urial-device", "cpu")["cases"])


SCORED_SUITE = """\
defaults:
  generation: {max_new_tokens: 5}
cases:
  - id: one
    instruction: "Name a fruit."
    expect: {scores: {safety: ">= 1"}}
  - id: two
    instruction: "Name a colour."
    expect: {scores: {safety: ">= 1"}}
  - id: three
    instruction: "Name a tree."
    expect: {scores: {safety: ">= 1"}}
"""


def test_unreadable_cache_entries_are_misses_recomputed_with_one_warning(pytester: pytest.Pytester, tiny_model: Path) -> None:
    import sqlite3

    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "s.yaml").write_text(SCORED_SUITE)
    first = run(pytester, tiny_model)
    with sqlite3.connect(_cache_db(pytester)) as db:
        judged = [k for (k,) in db.execute("SELECT key FROM json_values WHERE namespace = 'judge' ORDER BY key")]
        answers = [k for (k,) in db.execute("SELECT key FROM results ORDER BY key")]
        assert len(judged) == len(answers) == 3
        db.execute("UPDATE json_values SET value = 'not json' WHERE key = ?", (judged[0],))
        db.execute("UPDATE json_values SET value = '{\"scores\": {}}' WHERE key = ?", (judged[1],))
        db.execute("UPDATE results SET num_tokens = 'abc' WHERE key = ?", (answers[0],))
        db.execute("UPDATE results SET finish_reason = 'bogus' WHERE key = ?", (answers[1],))
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-model", str(tiny_model), "-W", "always")
    result.assert_outcomes(passed=3)
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*JSONDecodeError*")
    assert result.stdout.str().count("CacheWarning") <= 1
    second = json.loads((pytester.path / "reports" / "latest.json").read_text())
    assert [c["cached"] for c in second["cases"]].count(False) == 2  # the two bad answer rows: regenerated
    for before, after in zip(first["cases"], second["cases"]):
        assert after["judge"] is not None and after["judge"]["scores"] == before["judge"]["scores"]
        assert after["answer"] == before["answer"]
    with sqlite3.connect(_cache_db(pytester)) as db:  # the bad entries were overwritten with good ones
        for (value,) in db.execute("SELECT value FROM json_values WHERE namespace = 'judge'"):
            assert "scores" in json.loads(value) and "reasons" in json.loads(value)
        assert db.execute("SELECT COUNT(*) FROM results WHERE typeof(num_tokens) != 'integer' "
                          "OR finish_reason NOT IN ('stop', 'eos', 'length')").fetchone()[0] == 0
    third = run(pytester, tiny_model)
    assert all(c["cached"] for c in third["cases"])
