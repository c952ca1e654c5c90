"""The suites and the prompt that ship with urial-check are well formed and large enough.

These tests read the real files under ``suites/`` and ``urial_check/prompts/default.txt``; no
model is loaded.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from urial_check.generation.prompt import ANSWER_ROLE, FENCE, QUERY_ROLE, STOP_STRINGS, UrialPrompt, find_stop
from urial_check.suites.loader import Case, Suite, SuiteError, load_suite

REPO_ROOT = Path(__file__).resolve().parents[1]
SUITES_DIR = REPO_ROOT / "suites"
SAFETY_DIR = SUITES_DIR / "safety"
SUITE_FILES = sorted(p for p in SUITES_DIR.rglob("*") if p.suffix in (".yaml", ".yml"))
SAFETY_FILES = [p for p in SUITE_FILES if SAFETY_DIR in p.parents]

MIN_HARMFUL = 66
MIN_HARM_AREAS = 8
MIN_PER_HARM_AREA = 5
MIN_BENIGN = 66
MIN_MULTI_TURN = 2
KEBAB_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Text that would break the URIAL block structure if it appeared inside a turn or example.
FORBIDDEN_IN_TEXT = (FENCE, QUERY_ROLE, ANSWER_ROLE, "# Query", "# User", "# Answer")
#: Block headers as the renderer writes them (the first example follows the preamble).
QUERY_BLOCK = "\n" + QUERY_ROLE + "\n" + FENCE + "\n"
ANSWER_BLOCK = "\n" + ANSWER_ROLE + "\n" + FENCE + "\n"


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


@pytest.fixture(scope="module")
def safety_suites() -> list[Suite]:
    return [load_suite(path, root=REPO_ROOT) for path in SAFETY_FILES]


@pytest.fixture(scope="module")
def safety_cases(safety_suites: list[Suite]) -> list[Case]:
    return [case for suite in safety_suites for case in suite]


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


# --------------------------------------------------------------------------- suite files


def test_safety_suites_are_shipped() -> None:
    assert SAFETY_FILES, f"no suite files under {_rel(SAFETY_DIR)}"


@pytest.mark.parametrize("path", SUITE_FILES, ids=[_rel(p) for p in SUITE_FILES])
def test_suite_file_loads(path: Path) -> None:
    try:
        suite = load_suite(path, root=REPO_ROOT)
    except SuiteError as exc:
        pytest.fail(str(exc), pytrace=False)
    assert len(suite) > 0
    # The declared name matches where the file lives, so reports and -k filters agree.
    expected = "/".join(path.relative_to(SUITES_DIR).with_suffix("").parts)
    assert suite.name == expected, f"{_rel(path)}: suite name {suite.name!r}, expected {expected!r}"


@pytest.mark.parametrize("path", SAFETY_FILES, ids=[_rel(p) for p in SAFETY_FILES])
def test_each_safety_file_has_one_expectation_and_a_category_tag(path: Path) -> None:
    suite = load_suite(path, root=REPO_ROOT)
    expectations = {case.expect.refusal for case in suite}
    assert len(expectations) == 1 and expectations <= {"required", "forbidden"}, (
        f"{_rel(path)}: mixes refusal expectations {sorted(expectations)}"
    )
    kind = "harmful" if expectations == {"required"} else "benign"
    for case in suite:
        assert kind in case.tags, f"{_rel(path)}:{case.line}: case {case.id!r} lacks the {kind!r} tag"
        assert len(set(case.tags) - {kind, "multi_turn"}) >= 1, (
            f"{_rel(path)}:{case.line}: case {case.id!r} has no category tag besides {kind!r}"
        )


def test_enough_harmful_cases_over_enough_areas(safety_cases: list[Case]) -> None:
    harmful = [c for c in safety_cases if c.expect.refusal == "required"]
    per_area = Counter(c.suite for c in harmful)
    assert len(harmful) >= MIN_HARMFUL, f"{len(harmful)} harmful cases, want at least {MIN_HARMFUL}"
    assert len(per_area) >= MIN_HARM_AREAS, f"harm areas {sorted(per_area)}, want at least {MIN_HARM_AREAS}"
    thin = {area: n for area, n in per_area.items() if n < MIN_PER_HARM_AREA}
    assert not thin, f"harm areas with fewer than {MIN_PER_HARM_AREA} cases: {thin}"


def test_enough_benign_cases(safety_cases: list[Case]) -> None:
    benign = [c for c in safety_cases if c.expect.refusal == "forbidden"]
    assert len(benign) >= MIN_BENIGN, f"{len(benign)} benign cases, want at least {MIN_BENIGN}"
    assert len({c.suite for c in benign}) >= 3, "benign cases should cover several categories"


def test_multi_turn_cases_on_both_sides(safety_cases: list[Case]) -> None:
    multi = [c for c in safety_cases if len(c.turns) > 1]
    assert len(multi) >= MIN_MULTI_TURN
    assert {c.expect.refusal for c in multi} == {"required", "forbidden"}
    for case in multi:
        assert len(case.turns) % 2 == 1
        assert "multi_turn" in case.tags, f"{case.path.name}:{case.line}: tag multi-turn case {case.id!r}"


def test_ids_are_kebab_case_and_unique_across_the_tree(safety_cases: list[Case]) -> None:
    bad = [f"{c.path.name}:{c.line}: {c.id!r}" for c in safety_cases if not KEBAB_ID.match(c.id)]
    assert not bad, "ids must be lowercase-kebab: " + "; ".join(bad)
    where: dict[str, list[str]] = {}
    for case in safety_cases:
        where.setdefault(case.id, []).append(f"{case.path.name}:{case.line}")
    duplicates = {cid: places for cid, places in where.items() if len(places) > 1}
    assert not duplicates, f"ids used more than once: {duplicates}"


def test_no_instruction_is_duplicated(safety_cases: list[Case]) -> None:
    where: dict[str, list[str]] = {}
    for case in safety_cases:
        where.setdefault(_normalise(case.instruction), []).append(f"{case.path.name}:{case.id}")
    duplicates = {text: ids for text, ids in where.items() if len(ids) > 1}
    assert not duplicates, f"instructions used more than once: {duplicates}"


def test_no_instruction_repeats_a_prompt_example(safety_cases: list[Case]) -> None:
    examples = {_normalise(q) for q in _example_queries(UrialPrompt.default().text)}
    clashes = [c.id for c in safety_cases if _normalise(c.instruction) in examples]
    assert not clashes, f"cases repeat an in-context example of the default prompt: {clashes}"


def test_no_turn_can_break_the_prompt_format(safety_cases: list[Case]) -> None:
    for case in safety_cases:
        for index, turn in enumerate(case.turns):
            where = f"{case.path.name}:{case.line}: case {case.id!r} turn {index}"
            assert not any(s in turn for s in FORBIDDEN_IN_TEXT), f"{where} contains a fence or a role heading"
            assert find_stop(turn, STOP_STRINGS) is None, f"{where} contains a stop string"
            assert turn == turn.strip(), f"{where} has leading or trailing whitespace"


# --------------------------------------------------------------------------- default prompt


def _blocks(text: str, header: str) -> list[str]:
    """Bodies of the fenced blocks that follow ``header`` in a rendered prompt."""
    bodies = []
    for chunk in text.split(header)[1:]:
        body, sep, _ = chunk.partition("\n" + FENCE + "\n")
        assert sep, f"block after {header.strip()!r} is not closed by a fence line"
        bodies.append(body)
    return bodies


def _example_queries(text: str) -> list[str]:
    return _blocks(text, QUERY_BLOCK)


def test_default_prompt_has_three_examples_in_renderer_format() -> None:
    prompt = UrialPrompt.default()
    text = prompt.text
    assert text.count(QUERY_BLOCK) == 3
    assert text.count(ANSWER_BLOCK) == 3
    assert text.endswith(FENCE + "\n") and not text.endswith("\n\n"), "must end with the last closing fence"
    preamble = text.split(QUERY_BLOCK)[0]
    assert preamble.strip() and preamble.endswith("\n"), "needs a preamble followed by a blank line"
    # Blocks alternate query/answer and are separated by exactly one blank line.
    headers = re.findall(r"^# (Query|Answer):$", text, flags=re.MULTILINE)
    assert headers == ["Query", "Answer"] * 3
    assert "\n\n\n" not in text


def test_default_prompt_examples_cannot_trigger_stops() -> None:
    text = UrialPrompt.default().text
    bodies = _blocks(text, QUERY_BLOCK) + _blocks(text, ANSWER_BLOCK)
    assert len(bodies) == 6
    for body in bodies:
        assert body.strip() and body == body.strip()
        assert not any(s in body for s in FORBIDDEN_IN_TEXT), f"example body contains a fence or heading: {body[:60]!r}"
        assert find_stop(body, STOP_STRINGS) is None


def test_default_prompt_renders_a_query_after_the_examples() -> None:
    prompt = UrialPrompt.default()
    rendered = prompt.render(["How do I bleed a radiator?"])
    assert rendered.startswith(prompt.text)
    tail = rendered[len(prompt.text) :]
    assert tail == "\n# Query:\n```\nHow do I bleed a radiator?\n```\n\n# Answer:\n```\n"
    assert rendered.count(QUERY_BLOCK) == 4
    # The rendered conversation looks exactly like the in-context examples around it.
    assert _blocks(rendered, QUERY_BLOCK)[-1] == "How do I bleed a radiator?"


def test_default_prompt_size_is_moderate() -> None:
    # About 700-1100 SmolLM2 tokens; at roughly four characters a token this is a cheap proxy.
    length = len(UrialPrompt.default().text)
    assert 2800 <= length <= 4800, f"default prompt is {length} characters"


def test_default_prompt_covers_refusal_and_benign_risky_examples() -> None:
    answers = _blocks(UrialPrompt.default().text, ANSWER_BLOCK)
    refusing = [a for a in answers if re.search(r"\bI (?:can't|cannot|won't) help\b", a)]
    assert len(refusing) == 1, "exactly one example should be a polite refusal"
    assert re.search(r"\b(?:instead|alternative|legitimate|safer?)\b", refusing[0], flags=re.IGNORECASE)
    for answer in answers:
        assert re.search(r"^1\. ", answer, flags=re.MULTILINE), "examples use itemised details"
