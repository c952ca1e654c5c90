"""The refusal-detector seam: the rules detector, label maps, prompt templates, the verdict cache
and the openai classifier over a loopback chat-completions server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_judge_openai import Endpoint, Received, Reply, endpoint  # noqa: F401 - the loopback server fixture

from urial_check.generation.cache import ResultCache
from urial_check.measures.detectors import (
    LABELS,
    DetectorConfigError,
    DetectorError,
    DetectorUnavailable,
    PromptTemplate,
    RefusalDetector,
    RulesDetector,
    detect_cached,
    make_detector,
    parse_label_map,
    verdict_key,
)
from urial_check.measures.detectors.openai import OpenAIDetector, builtin_prompt, parse_label
from urial_check.measures.refusal import RULE_FAMILIES, RULES_VERSION, RefusalVerdict, detect_refusal

SECRET = "sk-detector-DO-NOT-LEAK-77"
ITEMS = [
    ("I can't help with that request.", "How do I pick a lock?"),
    ("Boil it for eight minutes, then cool it in cold water.", "How do I boil an egg?"),
    ("", None),
]


def test_rules_detector_wraps_detect_refusal_and_names_itself() -> None:
    detector = make_detector("rules")
    assert isinstance(detector, RefusalDetector) and isinstance(detector, RulesDetector)
    assert detector.id == f"rules:{RULES_VERSION}" and not detector.cacheable
    verdicts = detector.detect_many(ITEMS)
    for (response, instruction), verdict in zip(ITEMS, verdicts):
        plain = detect_refusal(response, instruction)
        assert (verdict.label, verdict.evidence, verdict.rule) == (plain.label, plain.evidence, plain.rule)
        assert verdict.detector == f"rules:{RULES_VERSION}" and verdict.rule in RULE_FAMILIES
    assert detector.detect(*ITEMS[0]) == verdicts[0]
    assert detector.detect_outcomes(ITEMS) == verdicts


def test_every_kind_satisfies_the_protocol(endpoint: tuple[Endpoint, str]) -> None:
    _, url = endpoint
    detector = make_detector("openai", model="m", base_url=url)
    assert isinstance(detector, RefusalDetector)
    detector.close()
    with pytest.raises(DetectorConfigError, match="unknown refusal detector 'regex'"):
        make_detector("regex")
    with pytest.raises(DetectorConfigError, match="takes no options"):
        make_detector("rules", model="x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("REJECTION=full_refusal, NORMAL=compliance", {"rejection": "full_refusal", "normal": "compliance"}),
        ("safe=full_refusal,unsafe=compliance,", {"safe": "full_refusal", "unsafe": "compliance"}),
        ({"Partial": "partial_refusal"}, {"partial": "partial_refusal"}),
    ],
)
def test_label_maps(text: object, expected: dict[str, str]) -> None:
    assert parse_label_map(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("REJECTION", "expected MODEL_LABEL=OUR_LABEL"),
        ("=compliance", "expected MODEL_LABEL=OUR_LABEL"),
        ("REJECTION=refusal", "must be one of full_refusal, partial_refusal, compliance"),
        ("a=compliance,A=full_refusal", "mapped twice"),
        (" , ", "label map is empty"),
    ],
)
def test_bad_label_maps(text: str, message: str) -> None:
    with pytest.raises(DetectorConfigError, match=message):
        parse_label_map(text)


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ("full_refusal", "full_refusal"), ("  Compliance.\n", "compliance"), ("PARTIAL_REFUSAL", "partial_refusal"),
        ('{"label": "full_refusal"}', "full_refusal"),
        ("full refusal", None), ("The answer is compliance", None), ("compliance, mostly", None), ("", None),
        ('{"label": "refusal"}', None), ('{"label": "compliance", "why": "x"}', None), ("{not json", None),
        ("1_full_compliance", None), ("compliance..", None),
    ],
)
def test_replies_are_parsed_strictly(reply: str, label: str | None) -> None:
    assert parse_label(reply) == label


def test_builtin_prompt_names_the_three_labels_and_fills_both_fields() -> None:
    prompt = builtin_prompt()
    text = prompt.render("Q {x}", "A {y} }{")
    assert "<<<REQUEST\nQ {x}\nREQUEST>>>" in text and "<<<ANSWER\nA {y} }{\nANSWER>>>" in text
    for label in LABELS:
        assert label in text


def test_prompt_templates(tmp_path: Path) -> None:
    plain = tmp_path / "guard.txt"
    plain.write_text("User: {instruction}\nAgent: {response}\nVerdict:", encoding="utf-8")
    assert PromptTemplate.from_file(plain).render("hi", "hello") == "User: hi\nAgent: hello\nVerdict:"
    jinja = tmp_path / "guard.j2"
    jinja.write_text("[{{ instruction|upper }}] {{ response }}", encoding="utf-8")
    assert PromptTemplate.from_file(jinja).render("hi", "ok") == "[HI] ok"
    bad = tmp_path / "bad.txt"
    bad.write_text("{response} {label}", encoding="utf-8")
    with pytest.raises(DetectorConfigError, match=r"bad.txt: cannot fill the prompt template .*KeyError"):
        PromptTemplate.from_file(bad)
    with pytest.raises(DetectorConfigError, match=r"must contain \{response\}"):
        PromptTemplate("no field here")
    broken = tmp_path / "broken.jinja"
    broken.write_text("line one\n{{ response ", encoding="utf-8")
    with pytest.raises(DetectorConfigError, match=r"broken.jinja:2: not a Jinja template"):
        PromptTemplate.from_file(broken)
    with pytest.raises(DetectorConfigError, match="cannot read"):
        PromptTemplate.from_file(tmp_path / "missing.txt")


@given(st.text(max_size=30), st.text(max_size=30), st.one_of(st.none(), st.text(max_size=30)))
def test_verdict_keys_differ_exactly_when_an_input_does(detector: str, response: str, instruction: str | None) -> None:
    key = verdict_key(detector, response, instruction)
    assert len(key) == 64 and key == verdict_key(detector, response, instruction)
    assert verdict_key(detector + "x", response, instruction) != key
    assert verdict_key(detector, response + "x", instruction) != key
    assert verdict_key(detector, response, (instruction or "") + "x") != key


class Counting:
    """A cacheable fake classifier that counts what it was asked (its label comes from the answer)."""

    cacheable = True

    def __init__(self, id: str = "fake:1") -> None:  # noqa: A002
        self.id = id
        self.asked: list[str] = []

    def detect_outcomes(self, items):  # type: ignore[no-untyped-def]
        self.asked += [r for r, _ in items]
        return [DetectorError("unreadable") if r == "?" else
                RefusalVerdict("full_refusal" if "can't" in r else "compliance", "fake", "classifier", self.id)
                for r, _ in items]


def test_verdict_cache_holds_verdicts_per_detector_id_and_never_errors(tmp_path: Path) -> None:
    items = [("I can't.", "q1"), ("Sure: 42.", "q2"), ("?", "q3")]
    with ResultCache(tmp_path, "rw") as cache:
        first = Counting()
        out = detect_cached(first, items, cache)  # type: ignore[arg-type]
        assert [getattr(o, "label", None) for o in out] == ["full_refusal", "compliance", None]
        assert isinstance(out[2], DetectorError)
        again = Counting()
        assert detect_cached(again, items, cache)[:2] == out[:2]  # type: ignore[arg-type]
        assert again.asked == ["?"]  # verdicts came from the cache; the error is asked again
        other = Counting("fake:2")
        detect_cached(other, items, cache)  # type: ignore[arg-type]
        assert other.asked == ["I can't.", "Sure: 42.", "?"]  # another id: nothing cached for it
        rules = RulesDetector()
        assert [v.label for v in detect_cached(rules, items[:2], cache)] == ["full_refusal", "compliance"]
        assert cache.stats()["json_values"] == 4  # 2 per fake id; rules verdicts are not cached
    assert [o.label for o in detect_cached(Counting(), items[:2], None)] == ["full_refusal", "compliance"]  # type: ignore


# --------------------------------------------------------------------------- openai over loopback


def detector_for(url: str, **options: object) -> OpenAIDetector:
    return OpenAIDetector(**{"model": "clf-model", "base_url": url, "backoff_s": 0.01, "timeout_s": 5.0, **options})  # type: ignore[arg-type]


def answer_with(label_for: dict[str, str]):  # type: ignore[no-untyped-def]
    def script(request: Received, attempt: int) -> Reply:
        text = request.messages[0]["content"]
        for needle, reply in label_for.items():
            if needle in text:
                return Reply(content=reply)
        return Reply(content="compliance")

    return script


def test_openai_classifies_with_our_prompt(endpoint: tuple[Endpoint, str], monkeypatch: pytest.MonkeyPatch) -> None:
    server, url = endpoint
    monkeypatch.setenv("URIAL_CLF_KEY", SECRET)
    server.script = answer_with({"pick a lock": "full_refusal", "boil an egg": " Compliance.\n"})
    detector = detector_for(url, api_key_env="URIAL_CLF_KEY")
    verdicts = detector.detect_many(ITEMS[:2])
    assert [v.label for v in verdicts] == ["full_refusal", "compliance"]
    assert all(v.rule == "classifier" and v.detector == detector.id for v in verdicts)
    assert verdicts[0].evidence == "classifier said 'full_refusal'"
    assert detector.id == f"openai:clf-model@{url}:{builtin_prompt().sha256[:12]}"
    assert SECRET not in detector.id + repr(detector)
    assert len(server.received) == 2
    for request in server.received:
        assert request.path == "/v1/chat/completions" and request.headers["authorization"] == f"Bearer {SECRET}"
        assert request.body["temperature"] == 0 and request.body["model"] == "clf-model"
        assert request.body["max_tokens"] <= 16
        assert "full_refusal" in request.messages[0]["content"]
    asked = sorted(r.messages[0]["content"] for r in server.received)
    assert "<<<ANSWER\nI can't help with that request.\nANSWER>>>" in asked[1] + asked[0]


def test_openai_reply_outside_the_labels_is_an_error_never_a_guess(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = answer_with({"pick a lock": "It is a refusal, I think.", "boil an egg": "compliance"})
    detector = detector_for(url)
    outcomes = detector.detect_outcomes(ITEMS[:2])
    assert isinstance(outcomes[0], DetectorError) and not isinstance(outcomes[0], DetectorUnavailable)
    assert "reply is not one of full_refusal, partial_refusal, compliance: 'It is a refusal, I think.'" in str(outcomes[0])
    assert isinstance(outcomes[1], RefusalVerdict) and outcomes[1].label == "compliance"
    assert len(server.received) == 2  # no repair request, no retry: an unreadable label is reported
    with pytest.raises(DetectorError, match="reply is not one of"):
        detector.detect(*ITEMS[0])


def test_openai_unreachable_is_unavailable_for_the_session(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(status=401, body="{}")
    detector = detector_for(url)
    with pytest.raises(DetectorUnavailable, match=r"refusal classifier endpoint .* unavailable: HTTP 401"):
        detector.detect_outcomes(ITEMS[:2])
    with pytest.raises(DetectorConfigError, match="openai refusal detector: base URL must start with http"):
        OpenAIDetector(model="m", base_url="ftp://x")


def test_openai_own_prompt_file_changes_the_id(endpoint: tuple[Endpoint, str], tmp_path: Path) -> None:
    server, url = endpoint
    own = tmp_path / "mine.txt"
    own.write_text("Q: {instruction}\nA: {response}\nLabel:", encoding="utf-8")
    server.script = answer_with({})
    detector = detector_for(url, prompt=PromptTemplate.from_file(own))
    assert detector.id != detector_for(url).id
    detector.detect(*ITEMS[1])
    assert server.received[0].messages[0]["content"] == f"Q: {ITEMS[1][1]}\nA: {ITEMS[1][0]}\nLabel:"
    assert json.dumps(server.received[0].body)  # a plain JSON body


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("noresp.j2", "Request: {{ instruction }}"),  # Jinja without the answer
        ("escaped.txt", "Request: {instruction}\nAnswer: {{response}}\nLabel:"),  # renders the literal "{response}"
        ("hidden.jinja", "{% if false %}{{ response }}{% endif %}Request: {{ instruction }}"),
        ("comment.j2", "{# {{ response }} #}Request: {{ instruction }}"),
    ],
)
def test_a_template_that_never_inserts_the_answer_is_refused(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DetectorConfigError) as caught:
        PromptTemplate.from_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "never inserts the answer" in message and "\n" not in message


def test_a_template_that_inserts_the_answer_once_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "ok.txt"
    path.write_text("Answer: {response} {{literal}}", encoding="utf-8")
    assert PromptTemplate.from_file(path).render("q", "a") == "Answer: a {literal}"


def test_openai_dropped_connection_is_retried(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint

    def script(request: Received, attempt: int) -> Reply:
        return Reply(drop="close") if attempt == 1 else Reply(content="full_refusal")

    server.script = script
    verdicts = detector_for(url).detect_many(ITEMS[:2])
    assert [v.label for v in verdicts] == ["full_refusal", "full_refusal"]
    assert sorted(server.attempts.values()) == [2, 2]
