from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from urial_check.generation.prompt import STOP_STRINGS, PromptError, UrialPrompt, cut_answer, find_stop

turn_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=80)


def official_render(prompt_text: str, turns: list[str]) -> str:
    """The URIAL reference formatting, spelled out independently of our implementation."""
    out = prompt_text
    for i, turn in enumerate(turns):
        role = "# Query:" if i % 2 == 0 else "# Answer:"
        out += "\n" + role + "\n```\n" + turn + "\n```\n"
    return out + "\n# Answer:\n```\n"


@given(st.text(max_size=200), st.lists(turn_text, min_size=1, max_size=7).filter(lambda t: len(t) % 2 == 1))
def test_render_is_byte_identical_to_reference_format(prompt_text: str, turns: list[str]) -> None:
    assert UrialPrompt(text=prompt_text, source="t").render(turns) == official_render(prompt_text, turns)


@given(st.lists(turn_text, min_size=0, max_size=6).filter(lambda t: len(t) % 2 == 0))
def test_render_rejects_even_turns(turns: list[str]) -> None:
    with pytest.raises(ValueError, match="odd number"):
        UrialPrompt(text="x", source="t").render(turns)


def test_render_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        UrialPrompt(text="x", source="t").render("hello")  # type: ignore[arg-type]


def test_from_file_keeps_text_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_bytes(b"# Instruction\n\nBe good.\n\n# Query:\n```\nq\n```\n\n# Answer:\n```\na\n```\n")
    prompt = UrialPrompt.from_file(path)
    assert prompt.text == path.read_text()
    assert prompt.render(["hi"]).startswith(path.read_text() + "\n# Query:\n```\nhi\n```\n")


def test_from_file_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="cannot read"):
        UrialPrompt.from_file(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xff\xfe")
    with pytest.raises(PromptError, match=r"bad.txt:2: .*UTF-8"):
        UrialPrompt.from_file(bad)


def test_default_prompt_has_three_examples() -> None:
    prompt = UrialPrompt.default()
    assert len(re.findall(r"^# Query:$", prompt.text, re.M)) == 3
    assert len(re.findall(r"^# Answer:$", prompt.text, re.M)) == 3
    assert prompt.text.endswith("```\n")
    assert len(prompt.sha256) == 64


@pytest.mark.parametrize(
    ("raw", "answer"),
    [
        ("Sure! Here it is.\n```\n\n# Query:\n```\nnext", "Sure! Here it is."),
        ("Plain answer\n```\n", "Plain answer"),
        ("Use this:\n```python\nprint(1)\n```\nDone.\n```\n\n# Query:", "Use this:\n```python\nprint(1)\n```\nDone."),
        ("Code last:\n```bash\nls\n```\n\n# Query:", "Code last:\n```bash\nls\n```"),
        ("Answer # User: stuff", "Answer"),
        ("no stop at all, cut by length", "no stop at all, cut by length"),
        ("", ""),
    ],
)
def test_cut_answer(raw: str, answer: str) -> None:
    assert cut_answer(raw) == answer


@given(st.text(max_size=300))
def test_cut_answer_never_contains_a_stop_string(raw: str) -> None:
    cut = cut_answer(raw)
    assert find_stop(cut, STOP_STRINGS) is None
    assert raw.startswith(cut) or raw.lstrip().startswith(cut)
