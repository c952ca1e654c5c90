"""The persistent result cache through the plugin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from urial_check.backends.tiny import build_tiny_llama

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
