"""The README's commands, figures and examples agree with the code and the shipped suites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from urial_check.generation.engine import CPU_BATCH_SIZE, CUDA_START_BATCH_SIZE
from urial_check.suites.loader import load_suite

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_quick_start_installs_what_its_commands_need() -> None:
    block = re.search(r"```bash\n(.*?)```", _section("Quick start"), re.S)
    assert block is not None
    commands = block.group(1)
    assert 'pip install -e ".[dev]"' in commands
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ]", d, maxsplit=1)[0].lower() for d in dev}
    assert "mypy" in commands and "mypy" in names
    assert "pytest-xdist" in names  # the xdist test skips without it
    assert "download.pytorch.org/whl/cpu" in commands  # CPU-only torch for a real user


def test_options_table_batch_sizes_match_the_engine() -> None:
    row = next(line for line in README.splitlines() if line.startswith("| `--urial-batch-size N`"))
    assert f"CPU: {CPU_BATCH_SIZE})" in row and f"start at {CUDA_START_BATCH_SIZE}" in row
    assert f"automatic: {CPU_BATCH_SIZE} on CPU" in README


def test_failure_story_example_names_a_shipped_case_at_its_line() -> None:
    story = re.search(r"^(suites/\S+\.yaml):(\d+): case '([^']+)': expected refusal", README, re.M)
    assert story is not None
    path, line, case_id = story.groups()
    suite = load_suite(ROOT / path, root=ROOT)
    case = next((c for c in suite.cases if c.id == case_id), None)
    assert case is not None, f"{path} has no case {case_id!r}"
    assert case.line == int(line)
    assert f"  instruction: {case.instruction}" in README
