"""Adversarial tests of the openai refusal classifier over a loopback chat-completions server:
nasty replies, failing requests, concurrency and what the detector id shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_judge_openai import Endpoint, Received, Reply, endpoint  # noqa: F401 - the loopback server fixture

from urial_check.generation.cache import ResultCache
from urial_check.measures.detectors import DetectorError, DetectorUnavailable, PromptTemplate, detect_cached
from urial_check.measures.detectors.openai import OpenAIDetector, parse_label
from urial_check.measures.refusal import RefusalVerdict


def detector_for(url: str, **options: object) -> OpenAIDetector:
    return OpenAIDetector(**{"model": "clf-model", "base_url": url, "backoff_s": 0.01, "timeout_s": 5.0, **options})  # type: ignore[arg-type]


def by_answer(replies: dict[str, Reply]):  # type: ignore[no-untyped-def]
    """A script that answers each request by the answer in its prompt (``<<<ANSWER\\n{key}\\n``)."""

    def script(request: Received, attempt: int) -> Reply:
        text = request.messages[0]["content"]
        for key, reply in replies.items():
            if f"<<<ANSWER\n{key}\nANSWER>>>" in text:
                return reply
        raise AssertionError(f"unexpected prompt {text[-200:]!r}")

    return script


NASTY = {
    "a1": ("Full_Refusal", "full_refusal"),
    "a2": ("\n  COMPLIANCE.  \n", "compliance"),
    "a3": ("full compliance ... not a full refusal", None),  # two labels in one reply
    "a4": ("```\nfull_refusal\n```", None),  # a label inside a code fence
    "a5": ("", None),  # an empty reply
    "a6": ("I can't classify this.", None),  # the classifier model refuses
    "a7": ("compliance\nfull_refusal", None),
    "a8": ('{"label": "compliance", "label": "full_refusal"}', None),  # the same key twice
    "a9": ("'compliance'", None),
    "a10": ("partial_refusal", "partial_refusal"),
}


@pytest.mark.parametrize(("reply", "label"), list(NASTY.values()))
def test_nasty_replies_parse_to_a_label_or_none(reply: str, label: str | None) -> None:
    assert parse_label(reply) == label


def test_two_labels_as_duplicate_json_keys_are_no_verdict() -> None:
    # json.loads keeps the last of two equal keys: the reply names two labels and must not pick one
    assert parse_label('{"label": "compliance", "label": "full_refusal"}') is None
    assert parse_label('{"label": "full_refusal", "label": "full_refusal"}') is None


def test_nasty_replies_fail_only_their_own_item_in_order(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = by_answer({key: Reply(content=reply) for key, (reply, _) in NASTY.items()})
    detector = detector_for(url, concurrency=4)
    outcomes = detector.detect_outcomes([(key, f"request {key}") for key in NASTY])
    for (key, (reply, label)), outcome in zip(NASTY.items(), outcomes):
        if label is None:
            assert isinstance(outcome, DetectorError) and not isinstance(outcome, DetectorUnavailable), key
            message = str(outcome)
            assert "\n" not in message and "reply is not one of full_refusal, partial_refusal, compliance" in message
            assert repr(" ".join(reply.split())[:120]) in message
        else:
            assert isinstance(outcome, RefusalVerdict) and outcome.label == label, key
    detector.close()


def test_replies_arriving_out_of_order_keep_their_items(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    labels = ["full_refusal", "compliance", "partial_refusal", "compliance", "full_refusal", "partial_refusal"]
    # the first request answers last: replies come back in the reverse order of the requests
    server.script = by_answer({f"ans{i}": Reply(content=label, delay=0.05 * (len(labels) - i))
                               for i, label in enumerate(labels)})
    detector = detector_for(url, concurrency=len(labels))
    verdicts = detector.detect_many([(f"ans{i}", None) for i in range(len(labels))])
    assert [v.label for v in verdicts] == labels
    assert server.max_in_flight > 1
    detector.close()


def test_busy_and_failing_then_good_replies_are_retried(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint

    def script(request: Received, attempt: int) -> Reply:
        if "ans0" in request.key and attempt == 1:
            return Reply(status=429, body="{}", headers={"Retry-After": "0"})
        if "ans1" in request.key and attempt < 3:
            return Reply(status=503, body="busy")
        return Reply(content="full_refusal" if "ans0" in request.key else "compliance")

    server.script = script
    verdicts = detector_for(url).detect_many([("ans0", None), ("ans1", None), ("ans2", None)])
    assert [v.label for v in verdicts] == ["full_refusal", "compliance", "compliance"]


def test_a_reply_without_text_fails_its_item_with_one_line(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    null = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": None}}]})
    server.script = by_answer({"x": Reply(body=null), "y": Reply(content="compliance"), "z": Reply(body="<html>")})
    detector = detector_for(url)
    outcomes = detector.detect_outcomes([("x", None), ("y", None), ("z", None)])
    assert isinstance(outcomes[0], DetectorError) and "no text content" in str(outcomes[0])
    assert isinstance(outcomes[1], RefusalVerdict) and outcomes[1].label == "compliance"
    assert isinstance(outcomes[2], DetectorError) and "not a chat-completions reply" in str(outcomes[2])
    assert all("\n" not in str(o) for o in outcomes)


def test_timeouts_make_the_detector_unavailable_in_one_line(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(content="compliance", delay=1.0)
    detector = detector_for(url, timeout_s=0.2, max_retries=1)
    with pytest.raises(DetectorUnavailable) as caught:
        detector.detect_outcomes([("a", None), ("b", None)])
    assert "no answer within 0.2 s" in str(caught.value) and "\n" not in str(caught.value)


def test_credentials_in_the_base_url_stay_out_of_the_id(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    secret_url = url.replace("http://", "http://user:s3cret-pw@")
    detector = detector_for(secret_url)
    assert "s3cret-pw" not in detector.id and "s3cret-pw" not in repr(detector)
    server.script = lambda request, attempt: Reply(content="the model says no")
    outcome = detector.detect_outcomes([("a", None)])[0]
    assert isinstance(outcome, DetectorError) and "s3cret-pw" not in str(outcome)
    server.script = lambda request, attempt: Reply(content="compliance")
    assert "s3cret-pw" not in detector.detect("a").detector
    detector.close()


def test_an_http_error_names_the_classifier_once(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(status=400, body='{"error": "context length exceeded"}')
    detector = detector_for(url)
    outcome = detector.detect_outcomes([("a", None)])[0]
    assert isinstance(outcome, DetectorError)
    assert str(outcome) == f'refusal classifier {detector.id}: HTTP 400: {{"error": "context length exceeded"}}'
    detector.close()


def test_the_id_changes_with_the_template_dialect(tmp_path: Path) -> None:
    # the same text read as str.format and as Jinja renders differently: the ids must differ
    text = "A: {response} {{ response }}"
    plain, jinja = tmp_path / "t.txt", tmp_path / "t.j2"
    plain.write_text(text, encoding="utf-8")
    jinja.write_text(text, encoding="utf-8")
    one, two = PromptTemplate.from_file(plain), PromptTemplate.from_file(jinja)
    assert one.render(None, "x") != two.render(None, "x")
    url = "http://127.0.0.1:9/v1"
    assert detector_for(url, prompt=one).id != detector_for(url, prompt=two).id


def test_unreadable_replies_are_not_cached_and_good_ones_are(endpoint: tuple[Endpoint, str], tmp_path: Path) -> None:
    server, url = endpoint
    server.script = by_answer({"good": Reply(content="full_refusal"), "bad": Reply(content="maybe")})
    items = [("good", "q"), ("bad", "q")]
    with ResultCache(tmp_path, "rw") as cache:
        first = detect_cached(detector_for(url), items, cache)
        assert isinstance(first[0], RefusalVerdict) and isinstance(first[1], DetectorError)
        asked = len(server.received)
        again = detect_cached(detector_for(url), items, cache)
        assert again[0] == first[0] and isinstance(again[1], DetectorError)
        assert len(server.received) == asked + 1  # only the unreadable one is asked again
        other = detector_for(url, prompt=PromptTemplate("<<<ANSWER\n{response}\nANSWER>>> other"))
        detect_cached(other, items, cache)
        assert len(server.received) == asked + 3  # another prompt: nothing served from the first one's cache
