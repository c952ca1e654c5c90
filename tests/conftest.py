"""Shared fixtures: a tiny random Llama with the default tokenizer, built once per test session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from urial_check.backends.tiny import build_tiny_llama, save_default_tokenizer


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own urial-check cache folder (results, fingerprints, model copies)."""
    folder = tmp_path_factory.mktemp("urial-cache")
    monkeypatch.setenv("URIAL_CHECK_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def default_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_default_tokenizer(tmp_path_factory.mktemp("default-tokenizer"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, default_tokenizer_dir: Path) -> Path:
    """Folder of a tiny random Llama (2 layers, hidden size 32) sharing the default tokenizer."""
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), seed=0, tokenizer_folder=default_tokenizer_dir)


CHROMIUM = next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


@pytest.fixture
def chromium(tmp_path: Path) -> Callable[..., str]:
    """Run Debian's headless chromium with the given arguments; returns its stdout (e.g. --dump-dom)."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary on PATH (apt-get install -y chromium)")
    browser = CHROMIUM

    def run(*args: str) -> str:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                   f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    return run
