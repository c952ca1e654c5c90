"""The literal prefilter in front of the rule detectors' patterns never changes a match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urial_check.measures import harm, refusal
from urial_check.measures import prefilter
from urial_check.measures.prefilter import GatedPattern, compile_gated, required_literals

DATA = Path(__file__).parent / "data" / "refusal"


def test_required_literals_of_simple_patterns():
    assert required_literals(r"\b(?:is|are) (?:not|never) (?:right|fair)") is not None
    # Every match of the pattern contains one of the literals.
    for text in ("is not right", "are never fair", "it is never right to"):
        literals = required_literals(r"\b(?:is|are) (?:not|never) (?:right|fair)")
        assert literals is not None and any(lit in text for lit in literals)
    assert required_literals(r"(?<!anti-)\bphishing\b") == frozenset({"phishing"})
    # Optional parts, classes and short literals give nothing worth checking.
    assert required_literals(r"a?b") is None
    assert required_literals(r"foo|b?") is None
    assert required_literals(r"\w+s") is None
    assert required_literals(r"\w+ing") == frozenset({"ing"})  # what follows a class still counts
    assert required_literals(r"(?i)kill") is None  # case-insensitive: a lower-case literal would miss "KILL"
    assert required_literals(r"(?i:kill)ed") is None


def test_a_pattern_without_a_gate_is_a_plain_pattern():
    assert isinstance(compile_gated(r"\w+"), re.Pattern)
    gated = compile_gated(r"\bmurder(?:ed|s)?\b")
    assert isinstance(gated, GatedPattern)
    assert gated.search("nothing here") is None
    assert gated.search("he murdered her").group(0) == "murdered"  # type: ignore[union-attr]
    assert [m.group(0) for m in gated.finditer("murder, murders")] == ["murder", "murders"]
    assert gated.sub("X", "a murder") == "a X" and gated.sub("X", "calm") == "calm"
    assert gated.split("a murder b") == ["a ", " b"] and gated.split("calm") == ["calm"]
    assert gated.match("murders") is not None and gated.match("a murder") is None
    assert gated.fullmatch("murder") is not None
    assert gated.findall("murder, murders") == ["murder", "murders"] and gated.findall("calm") == []
    assert gated.subn("X", "a murder") == ("a X", 1) and gated.flags == re.compile("x").flags


def _module_patterns() -> list[tuple[str, GatedPattern]]:
    found: list[tuple[str, GatedPattern]] = []
    for module in (refusal, harm):
        for name, value in vars(module).items():
            values = value if isinstance(value, (list, tuple)) else [value]
            for i, item in enumerate(values):
                if isinstance(item, GatedPattern):
                    found.append((f"{module.__name__}.{name}[{i}]", item))
        for i, rule in enumerate(getattr(module, "_RULES", ())):
            for part in ("pattern", "also", "unless"):
                item = getattr(rule, part)
                if isinstance(item, GatedPattern):
                    found.append((f"{module.__name__}._RULES[{i}].{part}", item))
    return found


def _sentences() -> list[str]:
    texts: list[str] = []
    for path in sorted(DATA.glob("round*/test.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            texts.append(row["instruction"].lower())
            texts.extend(unit.low for unit in refusal._units(refusal._normalise(row["response"])))
    return texts


def test_most_detector_patterns_are_gated():
    assert len(_module_patterns()) >= 100


def test_gated_patterns_match_exactly_what_the_plain_patterns_match_on_real_answers():
    sentences = _sentences()
    assert len(sentences) > 5000
    patterns = _module_patterns()
    for text in sentences:
        for name, gated in patterns:
            got, want = gated.search(text), gated.regex.search(text)
            assert (got and got.span()) == (want and want.span()), (name, text)


# Random patterns over a few words, and texts made of the same words: the gate must never hide a match.
_WORDS = ["kill", "not", "never", "is", "are", "you", "harm", "a", "the", "can't", "no"]


def _atom() -> st.SearchStrategy[str]:
    return st.sampled_from(_WORDS).map(re.escape)


_PATTERN = st.recursive(
    _atom(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(" ".join),  # sequence
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(?:" + "|".join(xs) + ")"),  # alternation
        inner.map(lambda x: f"(?:{x} )?"),  # optional
        inner.map(lambda x: rf"\b{x}\b"),  # boundaries
        inner.map(lambda x: rf"(?:{x})[ ,.]"),  # a small class
        inner.map(lambda x: rf"{x}\w*"),  # a class repeated
    ),
    max_leaves=6,
)
_TEXT = st.lists(st.sampled_from(_WORDS + [",", ".", "xyz"]), max_size=12).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(_PATTERN, st.lists(_TEXT, min_size=1, max_size=8))
def test_gate_is_a_necessary_condition_for_random_patterns(pattern, texts):
    plain = re.compile(pattern)
    gated = compile_gated(pattern)
    for text in texts:
        got, want = gated.search(text), plain.search(text)
        assert (got and got.span()) == (want and want.span())
        literals = required_literals(pattern)
        if want is not None and literals is not None:
            assert any(lit in text for lit in literals)


@pytest.mark.parametrize("pattern", [r"(?:is|are) n(?:ot|ever)", r"\bno one (?:should|ought)\b"])
def test_literal_sets_are_joined_across_parts(pattern):
    literals = required_literals(pattern)
    assert literals is not None and min(map(len, literals)) >= 4


def test_a_pattern_compiled_after_a_text_was_seen_still_matches_it():
    # The literal index memoises which literals a text holds; a new pattern brings new literals.
    early = compile_gated(r"\bmurder(?:ed|s)?\b")
    text = "the qwzxv-unseen word and a murder"
    assert early.search(text) is not None and text in prefilter._MEMO
    late = compile_gated(r"\bqwzxv-unseen\b")
    assert isinstance(late, GatedPattern)
    assert late.search(text) is not None and early.search(text) is not None
    assert late.search("nothing of the kind") is None


def test_literal_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(prefilter, "MEMO_SIZE", 50)
    gated = compile_gated(r"\bmurder(?:ed|s)?\b")
    for i in range(500):
        assert (gated.search(f"text {i} murders") is not None) and gated.search(f"text {i} calm") is None
        assert len(prefilter._MEMO) <= 50


def test_gates_with_many_literals_are_kept():
    # Checked in one automaton pass, a long alternation is still worth gating, and exact.
    words = [f"w{i:03d}x" for i in range(300)]
    gated = compile_gated(r"\b(?:" + "|".join(words) + r")\b")
    assert isinstance(gated, GatedPattern) and len(gated.literals) == 300
    assert gated.search("a w299x here") is not None and gated.search("a w300x here") is None


# The detector's fast paths (speed, v11.1) against the plain formulations they replace.
_SPLIT_TEXT = st.lists(
    st.sampled_from(["a", "Yes", "no", "9", ".", "..", "...", "....", "!", "?", "…", '"', "'", ")", "(", "]", "[",
                     "*", " ", "  ", "\n", "\t", "é", "İ"]), max_size=25).map("".join)


@settings(max_examples=600, deadline=None)
@given(_SPLIT_TEXT)
def test_sentence_split_is_the_plain_regex_split(text):
    assert refusal._split_sentences(text) == refusal._SENTENCE_SPLIT.split(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_unit_key_is_the_plain_normalisation(text):
    plain = " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split())
    assert refusal._unit_key(refusal._Unit(text, "sentence")) == plain


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "the", "loop"]), min_size=25, max_size=60).map(" ".join))
def test_trigram_repeat_check_is_the_plain_count(text):
    words = text.lower().split()
    trigrams = list(zip(words, words[1:], words[2:]))
    plain = len(trigrams) >= 30 and len(set(trigrams)) * 10 <= len(trigrams) * 3
    assert refusal._repeats_trigrams(text) == plain


def test_decline_cue_is_the_plain_alternation_on_real_answers():
    plain = re.compile(
        r"n't|not\b|no\b|nope|never|un(?:able|willing)|cannot|can not|refuse|decline|rather|prefer|sorry|apolog|"
        r"against|violat|outside|beyond|within|inappropriate|irresponsible|unethical|wrong|impossible|an ai|a model|"
        r"chatbot|assistant|machine|program|must|have to|need to|skip|leave out|left out|omit|pass on|unfortunately|"
        r"another time|another day|stay away|steer clear|vague|avoid|lack|incapable|restricted|prohibited|forbidden|barred")
    for text in _sentences():
        assert refusal._has_cue.__wrapped__(text) == (plain.search(text) is not None), text


def test_a_closed_group_of_gates_hides_no_match():
    group = [compile_gated(r"\bis not\b"), compile_gated(r"\b(?:never|no longer) (?:ok|fine)\b")]
    mask = prefilter.gate_mask(group)
    for text in ["this is not fine", "it is never ok", "it is fine", "nothing here", "no longer ok"]:
        matched = any(p.search(text) for p in group)
        assert matched <= bool(prefilter.open_gates(text) & mask), text
    assert not prefilter.open_gates("nothing here") & mask
    assert prefilter.gate_mask([*group, re.compile(r"a")]) == -1  # an ungated pattern keeps the group open


def test_premise_group_check_agrees_with_each_pattern_on_real_answers():
    for text in _sentences():
        assert refusal._premise_in(text) == any(p.regex.search(text) for p in refusal._PREMISE), text


def test_literal_memo_is_bounded_in_characters_too(monkeypatch):
    # 16,384 remembered answers of 100 KB each would hold 1.6 GB: the memo also has a character budget.
    monkeypatch.setattr(prefilter, "MEMO_CHARS", 10_000)
    gated = compile_gated(r"\bmurder(?:ed|s)?\b")
    for i in range(50):
        assert gated.search(f"{i} " + "calm " * 400 + "murders") is not None
        assert sum(len(t) for t in prefilter._MEMO) <= 10_000
