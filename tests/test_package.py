"""The public package: what it exports and what importing it costs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import urial_check
import urial_check.suites.checks as checks
from urial_check.answers import CaseAnswer


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


def test_the_old_answer_name_warns_and_names_its_replacement() -> None:
    assert "Answer" not in urial_check.__all__ and "CaseAnswer" in urial_check.__all__
    with pytest.warns(DeprecationWarning, match=r"urial_check.Answer is deprecated: .* now urial_check.CaseAnswer"):
        assert urial_check.Answer is CaseAnswer  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        urial_check.Nothing  # type: ignore[attr-defined]  # noqa: B018


def test_checks_do_not_import_the_session() -> None:
    """The checks judge a CaseAnswer; the session runs the checks: no import cycle, not even for types."""
    tree = ast.parse(Path(checks.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "urial_check.session" not in imported and "urial_check.answers" in imported
