"""benchmarks/cuda_engine.py needs a GPU; without one it must stop at once with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "cuda_engine.py"


def test_without_cuda_the_script_stops_with_a_clear_message() -> None:
    pytest.importorskip("torch")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # hides any GPU, so this holds on GPU machines too
    out = subprocess.run([sys.executable, str(SCRIPT), "--cases", "2"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "needs a CUDA GPU" in out.stderr and "Traceback" not in out.stderr
    assert out.stdout == ""


def test_the_script_imports_and_documents_its_options() -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for option in ("--cases", "--max-new-tokens", "--reference", "--dtype", "--model"):
        assert option in out.stdout
