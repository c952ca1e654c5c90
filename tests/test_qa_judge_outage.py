"""The openai judge losing its endpoint part-way through a batch: every item whose requests (the joint one,
the safety one and any repair) were all answered before the outage is kept (cached as it is complete, and
carried by the JudgeUnavailable raised), an item with only some of its replies is not, and a rerun asks
the endpoint for the unscored items alone. Callers still stop as they do for an unavailable judge."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scripted import ScriptedGenerator, last_query
from test_judge_openai import Endpoint, Received, Reply, endpoint, good_json  # noqa: F401 - the loopback server fixture
from test_qa_detector_outage import ScriptedOutage

from urial_check.ask import Urial
from urial_check.generation.cache import ResultCache
from urial_check.measures.judges.base import JudgeItem, JudgeResult, JudgeUnavailable
from urial_check.measures.judges.measure import JUDGE_CACHE_NAMESPACE, JudgeMeasurer, JudgeSettings, judge_item
from urial_check.measures.judges.openai import OpenAIJudge
from urial_check.measures.refusal import detect_refusal
from urial_check.session import MeasurementError, SessionSettings, UrialSession
from urial_check.suites.loader import parse_suite

_TASK = re.compile(r"task-(\d+)")


def judge_for(url: str, **options: Any) -> OpenAIJudge:
    """Small retry settings: an outage is declared within a fraction of a second."""
    return OpenAIJudge(**{"model": "judge-model", "base_url": url, "backoff_s": 0.01, "timeout_s": 2.0,
                          "max_retries": 1, **options})


def task_of(request: Received) -> int:
    found = _TASK.search(request.key)
    assert found, request.key[-200:]
    return int(found.group(1))


def part_of(request: Received) -> str:
    return "safety" if request.aspects == ["safety"] else "joint"


def score_of(task: int) -> int:
    """Each task's score: 1 to 5 by its number, so a result kept for the wrong item shows."""
    return task % 5 + 1


class Outage(ScriptedOutage):
    """Good scores for the first ``answered`` requests, then the failure; ``keys``: (task, part) of each answered."""

    def __init__(self, answered: int, failure: str = "503", *, delay: float = 0.0, fail_delay: float = 0.0) -> None:
        super().__init__(answered, failure, lambda request: good_json(request, score_of(task_of(request))),
                         lambda request: (task_of(request), part_of(request)), delay=delay, fail_delay=fail_delay)

    def complete(self) -> set[int]:
        """The tasks both of whose requests were answered."""
        tasks = {task for task, _ in self.keys}
        return {t for t in tasks if {(t, "joint"), (t, "safety")} <= set(self.keys)}


def healthy(request: Received, attempt: int) -> Reply:
    return Reply(content=good_json(request, score_of(task_of(request))))


def suite_cases(n: int) -> list[Any]:
    text = "suite: outage\ncases:\n" + "".join(f"  - id: c{i}\n    instruction: 'task-{i}'\n" for i in range(n))
    return list(parse_suite(text, "suites/outage.yaml").cases)


def batch(n: int) -> list[tuple[Any, Any]]:
    """(case, answer) pairs as the session hands them to the judge measurer."""
    pairs = []
    for case in suite_cases(n):
        text = f"An answer to {case.instruction}."
        pairs.append((case, SimpleNamespace(text=text, verdict=detect_refusal(text))))
    return pairs


def measurer_for(url: str, **options: Any) -> JudgeMeasurer:
    return JudgeMeasurer(JudgeSettings(kind="openai"), factory=lambda settings, session: judge_for(url, **options))


def cached(cache: ResultCache, measurer: JudgeMeasurer, judge: Any, pairs: list[tuple[Any, Any]]) -> dict[int, float]:
    """{task: cached safety score} for the pairs whose scores the judge cache holds."""
    found: dict[int, float] = {}
    for i, (case, answer) in enumerate(pairs):
        value = cache.get_json(JUDGE_CACHE_NAMESPACE, measurer._key(judge, judge_item(case, answer)))
        if value is not None:
            found[i] = value["scores"]["safety"]
    return found


def expected(tasks: set[int] | list[int]) -> dict[int, float]:
    return {t: float(score_of(t)) for t in tasks}


# --------------------------------------------------------------------------- the judge measurer and its cache


@pytest.mark.parametrize("failure", ["503", "close"])
def test_scores_before_an_outage_are_cached_as_they_arrive_and_a_rerun_asks_only_the_rest(
    endpoint: tuple[Endpoint, str], tmp_path: Path, failure: str  # noqa: F811
) -> None:
    server, url = endpoint
    pairs = batch(4)
    # one request at a time: task 0's joint and safety, task 1's joint; task 1's safety request fails
    outage = Outage(3, failure, fail_delay=0.3)
    seen_at_retry: list[dict[int, float]] = []
    with ResultCache(tmp_path, "rw") as cache:
        measurer = measurer_for(url, concurrency=1)
        session = SimpleNamespace(cache=cache)
        judge = measurer.judge(session)  # type: ignore[arg-type]

        def script(request: Received, attempt: int) -> Reply:
            if attempt == 2 and not seen_at_retry:  # the first failing request, tried again 0.3 s later
                seen_at_retry.append(cached(cache, measurer, judge, pairs))
            return outage(request, attempt)

        server.script = script
        with pytest.raises(MeasurementError, match=r"^judge unavailable: judge endpoint .* unavailable: ") as caught:
            measurer.measure(session, pairs)  # type: ignore[arg-type]
        assert "\n" not in str(caught.value)
        assert outage.keys == [(0, "joint"), (0, "safety"), (1, "joint")]
        assert seen_at_retry == [expected([0])]  # written as it was complete, before the outage was declared
        assert cached(cache, measurer, judge, pairs) == expected([0])  # task 1 had half its replies: not kept
        measurer.close()

        server.script = healthy
        asked = len(server.received)
        rerun = measurer_for(url, concurrency=1)
        results = rerun.measure(session, pairs)  # type: ignore[arg-type]
        assert [r.result.scores["safety"] for r in results if r is not None and r.result is not None] == [
            float(score_of(t)) for t in range(4)]
        assert sorted(task_of(r) for r in server.received[asked:]) == [1, 1, 2, 2, 3, 3]  # only the unscored
        rerun.close()


def test_an_outage_in_the_repair_round_keeps_the_items_complete_before(
    endpoint: tuple[Endpoint, str], tmp_path: Path  # noqa: F811
) -> None:
    server, url = endpoint
    pairs = batch(3)

    def script(request: Received, attempt: int) -> Reply:
        if request.is_repair:
            return Reply(status=503, body="upstream gone")
        if task_of(request) == 1 and part_of(request) == "joint":
            return Reply(content="All good, I would say about a four.")  # unreadable: a repair request follows
        return healthy(request, attempt)

    server.script = script
    with ResultCache(tmp_path, "rw") as cache:
        measurer = measurer_for(url, concurrency=2)
        session = SimpleNamespace(cache=cache)
        judge = measurer.judge(session)  # type: ignore[arg-type]
        with pytest.raises(MeasurementError, match=r"^judge unavailable: judge endpoint .* unavailable: HTTP 503"):
            measurer.measure(session, pairs)  # type: ignore[arg-type]
        assert any(r.is_repair for r in server.received)
        # task 1's safety reply came in, but its joint one was still being repaired: the item is not complete
        assert cached(cache, measurer, judge, pairs) == expected([0, 2])
        measurer.close()

        server.script = healthy
        asked = len(server.received)
        rerun = measurer_for(url, concurrency=2)
        results = rerun.measure(session, pairs)  # type: ignore[arg-type]
        assert all(r is not None and r.result is not None for r in results)
        assert sorted((task_of(r), part_of(r)) for r in server.received[asked:]) == [(1, "joint"), (1, "safety")]
        rerun.close()


def test_concurrent_items_finished_or_in_flight_at_the_outage_are_kept(
    endpoint: tuple[Endpoint, str], tmp_path: Path  # noqa: F811
) -> None:
    server, url = endpoint
    pairs = batch(6)
    # four requests in flight at once; the last answers are still on their way when later requests fail
    outage = Outage(7, delay=0.3)
    server.script = outage
    with ResultCache(tmp_path, "rw") as cache:
        measurer = measurer_for(url, concurrency=4)
        session = SimpleNamespace(cache=cache)
        judge = measurer.judge(session)  # type: ignore[arg-type]
        with pytest.raises(MeasurementError, match=r"^judge unavailable: "):
            measurer.measure(session, pairs)  # type: ignore[arg-type]
        assert server.max_in_flight > 1
        assert len(outage.keys) == 7 and outage.complete()  # 7 answers over 6 tasks: at least one complete
        assert cached(cache, measurer, judge, pairs) == expected(outage.complete())
        measurer.close()


# --------------------------------------------------------------------------- the judge alone


def test_without_a_cache_the_results_come_with_the_error(endpoint: tuple[Endpoint, str]) -> None:  # noqa: F811
    server, url = endpoint
    items = [JudgeItem(f"task-{i}", f"An answer to task-{i}.") for i in range(4)]
    server.script = Outage(5)  # tasks 0 and 1 complete, task 2 has its joint reply only
    judge = judge_for(url, concurrency=1)
    with pytest.raises(JudgeUnavailable) as caught:
        judge.score_outcomes(items)
    assert str(caught.value).startswith(f"judge endpoint {url} unavailable: HTTP 503")
    results = caught.value.results
    assert sorted(results) == [0, 1] and all(isinstance(r, JudgeResult) for r in results.values())
    assert {i: r.scores["safety"] for i, r in results.items()} == expected([0, 1])
    # the endpoint is latched down: a later batch fails at once, with nothing received and nothing carried
    asked = len(server.received)
    with pytest.raises(JudgeUnavailable) as again:
        judge.score_outcomes(items)
    assert again.value.results == {} and len(server.received) == asked
    judge.close()


def test_the_error_with_its_results_survives_pickling() -> None:
    import pickle

    result = JudgeResult(scores={"safety": 4.0}, reasons={"safety": "fine"}, raw="{}", judge_id="j")
    error = pickle.loads(pickle.dumps(JudgeUnavailable("judge endpoint x unavailable: HTTP 503", {2: result})))
    assert str(error) == "judge endpoint x unavailable: HTTP 503" and error.results == {2: result}


# --------------------------------------------------------------------------- through the session


def test_the_session_still_stops_and_its_rerun_asks_only_the_unscored(
    endpoint: tuple[Endpoint, str], tmp_path: Path  # noqa: F811
) -> None:
    server, url = endpoint
    questions = [f"task-{i}" for i in range(5)]

    def session(cache: ResultCache) -> UrialSession:
        backend = ScriptedGenerator(reply=lambda prompt: f"An answer to {last_query(prompt)}.", fingerprint="outage")
        return UrialSession(SessionSettings(progress=False), lambda: backend, cache=cache,
                            measurers=[measurer_for(url, concurrency=1)])

    with ResultCache(tmp_path, "rw") as cache:
        server.script = Outage(4)  # tasks 0 and 1
        with pytest.raises(MeasurementError, match=r"^judge unavailable: judge endpoint .* unavailable: HTTP 503"):
            Urial(session(cache)).ask_many(questions)
        server.script = healthy
        asked = len(server.received)
        answers = Urial(session(cache)).ask_many(questions)
        assert [a.scores.scores["safety"] for a in answers] == [float(score_of(t)) for t in range(5)]
        assert sorted(task_of(r) for r in server.received[asked:]) == [2, 2, 3, 3, 4, 4]
