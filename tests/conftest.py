"""Shared fixtures: a tiny random Llama with the default tokenizer, built once per test session."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy.fft  # noqa: F401  # loaded before any in-process pytester run, whose module snapshot then keeps it: its C extension cannot load twice
import pytest

from tiny_model import build_tiny_llama, save_default_tokenizer


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own urial-check cache folder (results, fingerprints, model copies)."""
    folder = tmp_path_factory.mktemp("urial-cache")
    monkeypatch.setenv("URIAL_CHECK_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def script_answers(pytester: pytest.Pytester) -> Callable[[Mapping[str, str]], None]:
    """``script_answers({instruction: answer})``: the pytester run answers with a scripted generator
    (see ``scripted.py``), through a conftest.py that overrides the plugin's ``urial_generator``
    fixture, as a user plugs in their own backend. Unscripted instructions fail the run."""

    def script(answers: Mapping[str, str]) -> None:
        pytester.makeconftest(
            "import pytest\n"
            "from scripted import ScriptedGenerator\n\n\n"
            "@pytest.fixture(scope='session')\n"
            "def urial_generator():\n"
            f"    return ScriptedGenerator({dict(answers)!r}, default=None)\n"
        )

    return script


@pytest.fixture(scope="session")
def default_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_default_tokenizer(tmp_path_factory.mktemp("default-tokenizer"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, default_tokenizer_dir: Path) -> Path:
    """Folder of a tiny random Llama (2 layers, hidden size 32) sharing the default tokenizer."""
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), seed=0, tokenizer_folder=default_tokenizer_dir)


CHROMIUM = next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


class Chromium:
    """Debian's headless chromium: ``chromium(*args)`` returns its stdout (e.g. ``--dump-dom``)."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary = binary
        self.folder = folder

    def __call__(self, *args: str) -> str:
        command = [self.binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                   f"--user-data-dir={self.folder / 'chromium-profile'}", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def probe(self, html: str, script: str) -> Any:
        """Load a copy of ``html`` whose ``</body>`` is replaced by ``script``, which must store a JSON
        value in ``document.body``'s ``data-probe`` attribute; return that value."""
        page = self.folder / "probed.html"
        page.write_text(html.replace("</body>", script), encoding="utf-8")
        out = self("--dump-dom", page.as_uri())
        found = re.search(r"data-probe=\"([^\"]*)\"", out)
        assert found is not None, out[-2000:]
        return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.fixture
def chromium(tmp_path: Path) -> Chromium:
    """The headless browser, or a skip where no chromium binary is installed."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary on PATH (apt-get install -y chromium)")
    return Chromium(CHROMIUM, tmp_path)


@pytest.fixture
def garbage_weights_model(pytester: pytest.Pytester, default_tokenizer_dir: Path) -> Path:
    """A model folder that passes the up-front checks (config, tokenizer and weight files present)
    but whose weights are garbage, so it fails only when the model loads."""
    broken = pytester.mkdir("broken-model")
    for item in default_tokenizer_dir.iterdir():
        (broken / item.name).write_bytes(item.read_bytes())
    (broken / "config.json").write_text('{"model_type": "llama", "vocab_size": 10}')
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    return broken


#: Fixtures that make a test slow: a pytest run inside the test, a model built or loaded, a
#: browser or a server started. Tests that use one are marked ``slow``; ``pytest tests -m "not slow"``
#: is the fast lane (unit tests of the core), the full suite is what CI runs.
SLOW_FIXTURES = frozenset({"pytester", "tiny_model", "default_tokenizer_dir", "chromium", "llama_server",
                           "garbage_weights_model", "script_answers", "tokenizer_dir", "tiny_gguf"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
