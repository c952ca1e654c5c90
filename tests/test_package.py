"""The public package: what it exports and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import urial_check


def test_import_loads_neither_pytest_nor_torch() -> None:
    code = (
        "import sys, urial_check\n"
        "heavy = [m for m in ('pytest', 'torch', 'transformers', 'scipy', 'httpx2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_names_exist() -> None:
    for name in urial_check.__all__:
        assert hasattr(urial_check, name), name
