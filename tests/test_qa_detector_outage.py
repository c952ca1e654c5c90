"""The openai refusal classifier losing its endpoint part-way through a batch: every verdict that arrived
before the outage is kept (cached as it arrives, and carried by the DetectorUnavailable raised), only
the unanswered items are lost, and a rerun asks for those alone."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Callable

import pytest
from scripted import ScriptedGenerator, last_query
from test_judge_openai import Endpoint, Received, Reply, endpoint  # noqa: F401 - the loopback server fixture

from urial_check.ask import Urial
from urial_check.generation.cache import ResultCache
from urial_check.measures.detectors import DetectorUnavailable, detect_cached
from urial_check.measures.detectors.base import LABELS, VERDICT_CACHE_NAMESPACE, DetectItem, verdict_key
from urial_check.measures.detectors.openai import OpenAIDetector
from urial_check.measures.refusal import RefusalVerdict
from urial_check.session import MeasurementError, SessionSettings, UrialSession

_ANSWER = re.compile(r"<<<ANSWER\n(.*?)\nANSWER>>>", re.DOTALL)


def detector_for(url: str, **options: Any) -> OpenAIDetector:
    """Small retry settings: an outage is declared within a fraction of a second."""
    return OpenAIDetector(**{"model": "clf-model", "base_url": url, "backoff_s": 0.01, "timeout_s": 2.0,
                             "max_retries": 1, **options})


def answer_in(request: Received) -> str:
    found = _ANSWER.search(request.messages[0]["content"])
    assert found, request.messages[0]["content"][-200:]
    return found.group(1)


def label_of(answer: str) -> str:
    """Each answer's label, by its last digit: the three labels in turn."""
    return LABELS[int(answer[-1]) % len(LABELS)]


def items(n: int) -> list[DetectItem]:
    return [(f"ans{i}", f"request {i}") for i in range(n)]


class ScriptedOutage:
    """A script: the first ``answered`` requests get ``content(request)`` (after ``delay`` s), every later one fails
    with ``failure``: "503" (the retries see 503 again), or "close" (the connection is closed unanswered).
    ``keys`` holds ``key(request)`` of each request answered, in arrival order (also used by the judge's tests)."""

    def __init__(self, answered: int, failure: str, content: Callable[[Received], str], key: Callable[[Received], Any],
                 *, delay: float = 0.0, fail_delay: float = 0.0) -> None:
        self.answered = answered
        self.failure = failure
        self.content = content
        self.key = key
        self.delay = delay
        self.fail_delay = fail_delay
        self.count = 0
        self.keys: list[Any] = []
        self.lock = threading.Lock()

    def __call__(self, request: Received, attempt: int) -> Reply:
        key = self.key(request)
        with self.lock:
            self.count += 1
            good = self.count <= self.answered
            if good:
                self.keys.append(key)
        if good:
            return Reply(content=self.content(request), delay=self.delay)
        if self.failure == "503":
            return Reply(status=503, body="upstream gone", delay=self.fail_delay)
        return Reply(drop="close", delay=self.fail_delay)


class Outage(ScriptedOutage):
    """Labels for the first ``answered`` requests, then the failure (keys: the answers labelled)."""

    def __init__(self, answered: int, failure: str, *, delay: float = 0.0, fail_delay: float = 0.0) -> None:
        super().__init__(answered, failure, lambda request: label_of(answer_in(request)), answer_in,
                         delay=delay, fail_delay=fail_delay)


def healthy(request: Received, attempt: int) -> Reply:
    return Reply(content=label_of(answer_in(request)))


def cached(cache: ResultCache, detector: OpenAIDetector, batch: list[DetectItem]) -> dict[str, str]:
    """{answer: cached label} for the batch's answers the verdict cache holds."""
    found: dict[str, str] = {}
    for response, instruction in batch:
        value = cache.get_json(VERDICT_CACHE_NAMESPACE, verdict_key(detector.id, response, instruction))
        if value is not None:
            found[response] = value["label"]
    return found


@pytest.mark.parametrize("failure", ["503", "close"])
def test_verdicts_before_an_outage_are_cached_as_they_arrive_and_a_rerun_asks_only_the_rest(
    endpoint: tuple[Endpoint, str], tmp_path: Path, failure: str  # noqa: F811
) -> None:
    server, url = endpoint
    batch = items(6)
    outage = Outage(3, failure, fail_delay=0.3)
    seen_at_retry: list[dict[str, str]] = []
    with ResultCache(tmp_path, "rw") as cache:
        detector = detector_for(url, concurrency=1)

        def script(request: Received, attempt: int) -> Reply:
            if attempt == 2 and not seen_at_retry:  # the first failing request, tried again 0.3 s later
                seen_at_retry.append(cached(cache, detector, batch))
            return outage(request, attempt)

        server.script = script
        with pytest.raises(DetectorUnavailable) as caught:
            detect_cached(detector, batch, cache)
        message = str(caught.value)
        assert message.startswith(f"refusal classifier endpoint {url} unavailable: ") and "\n" not in message
        assert outage.keys == ["ans0", "ans1", "ans2"]
        expected = {key: label_of(key) for key in outage.keys}
        assert seen_at_retry == [expected]  # written to the cache as they arrived, before the outage was declared
        assert cached(cache, detector, batch) == expected
        assert {i: v.label for i, v in caught.value.verdicts.items()} == {0: "full_refusal", 1: "partial_refusal",
                                                                         2: "compliance"}
        assert all(v.detector == detector.id for v in caught.value.verdicts.values())
        detector.close()

        server.script = healthy
        asked = len(server.received)
        rerun = detector_for(url, concurrency=1)
        verdicts = detect_cached(rerun, batch, cache)
        assert [v.label for v in verdicts if isinstance(v, RefusalVerdict)] == [label_of(r) for r, _ in batch]
        assert [answer_in(r) for r in server.received[asked:]] == ["ans3", "ans4", "ans5"]  # only the unanswered
        assert verdicts[:3] == [caught.value.verdicts[i] for i in range(3)]
        rerun.close()


def test_concurrent_verdicts_finished_or_in_flight_at_the_outage_are_kept(
    endpoint: tuple[Endpoint, str], tmp_path: Path  # noqa: F811
) -> None:
    server, url = endpoint
    batch = items(8)
    # four in flight at once; the fifth answer is still on its way when the sixth to eighth fail
    outage = Outage(5, "503", delay=0.3)
    server.script = outage
    with ResultCache(tmp_path, "rw") as cache:
        detector = detector_for(url, concurrency=4)
        with pytest.raises(DetectorUnavailable) as caught:
            detect_cached(detector, batch, cache)
        assert server.max_in_flight > 1
        assert len(outage.keys) == 5
        expected = {key: label_of(key) for key in outage.keys}
        assert cached(cache, detector, batch) == expected
        assert {batch[i][0]: v.label for i, v in caught.value.verdicts.items()} == expected
        detector.close()


def test_without_a_cache_the_verdicts_come_with_the_error(endpoint: tuple[Endpoint, str]) -> None:  # noqa: F811
    server, url = endpoint
    batch = items(5)
    server.script = Outage(2, "503")
    detector = detector_for(url, concurrency=1)
    with pytest.raises(DetectorUnavailable) as caught:
        detector.detect_outcomes(batch)
    assert {i: v.label for i, v in caught.value.verdicts.items()} == {0: "full_refusal", 1: "partial_refusal"}
    # the endpoint is latched down: a later batch fails at once, with nothing received
    asked = len(server.received)
    with pytest.raises(DetectorUnavailable) as again:
        detect_cached(detector, batch, None)
    assert again.value.verdicts == {} and len(server.received) == asked
    detector.close()


def test_cache_hits_come_with_the_error_at_their_own_places(endpoint: tuple[Endpoint, str], tmp_path: Path) -> None:  # noqa: F811
    server, url = endpoint
    batch = items(6)
    with ResultCache(tmp_path, "rw") as cache:
        server.script = healthy
        detect_cached(detector_for(url), [batch[1], batch[4]], cache)
        server.script = Outage(2, "503")
        detector = detector_for(url, concurrency=1)
        with pytest.raises(DetectorUnavailable) as caught:
            detect_cached(detector, batch, cache)
        # asked: 0, 2, 3, 5; answered: 0 and 2; 1 and 4 from the cache
        assert sorted(caught.value.verdicts) == [0, 1, 2, 4]
        assert all(v.label == label_of(batch[i][0]) for i, v in caught.value.verdicts.items())
        detector.close()


def test_the_session_still_stops_and_its_rerun_asks_only_the_unanswered(
    endpoint: tuple[Endpoint, str], tmp_path: Path  # noqa: F811
) -> None:
    server, url = endpoint
    questions = [f"question {i}" for i in range(6)]

    def session(detector: OpenAIDetector, cache: ResultCache) -> UrialSession:
        backend = ScriptedGenerator(reply=lambda prompt: f"answer {last_query(prompt)[-1]}", fingerprint="outage")
        return UrialSession(SessionSettings(progress=False), lambda: backend, cache=cache, detector=detector)

    with ResultCache(tmp_path, "rw") as cache:
        server.script = Outage(3, "503")
        with pytest.raises(MeasurementError, match=r"^refusal detector unavailable: refusal classifier endpoint .* "
                                                   r"unavailable: HTTP 503"):
            Urial(session(detector_for(url, concurrency=1), cache)).ask_many(questions)
        server.script = healthy
        asked = len(server.received)
        answers = Urial(session(detector_for(url, concurrency=1), cache)).ask_many(questions)
        assert [a.verdict.label for a in answers] == [label_of(str(i)) for i in range(6)]
        assert len(server.received) == asked + 3
