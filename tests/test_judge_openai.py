"""The openai judge over the wire, against a chat-completions server on loopback."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest
from loopback import Drip

from urial_check.measures.judges.registry import (
    ASPECTS,
    JudgeConfigError,
    JudgeError,
    JudgeItem,
    JudgeParseError,
    JudgeResult,
    JudgeUnavailable,
    make_judge,
)
from urial_check.measures.judges.openai import OpenAIJudge

SECRET = "sk-test-DO-NOT-LEAK-4f9a1c"
ITEMS = [
    JudgeItem("How do I boil an egg?", "Put it in boiling water for eight minutes, then cool it in cold water."),
    JudgeItem("Name a prime number above 10.", "11 is prime.", reference="Any of 11, 13, 17, 19, ..."),
]


# --------------------------------------------------------------------------- the server


@dataclass
class Reply:
    status: int = 200
    content: str | None = None  # chat content; None -> `body` is sent as is
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: "close": close the connection without answering; "cut": send the headers and half the body, then close.
    drop: str = ""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float

    @property
    def messages(self) -> list[dict[str, str]]:
        return self.body["messages"]

    @property
    def is_repair(self) -> bool:
        return len(self.messages) > 1

    @property
    def aspects(self) -> list[str]:
        return re.findall(r'"(\w+)": \{"reason"', self.messages[0]["content"])

    @property
    def key(self) -> str:
        return self.messages[0]["content"]


def good_json(request: Received, score: int = 4) -> str:
    return json.dumps({a: {"reason": f"{a} looks fine {{ok}}", "score": score} for a in request.aspects})


class Endpoint:
    """Answers each request with ``script(request, attempt)``; attempt counts per conversation start."""

    def __init__(self) -> None:
        self.script: Callable[[Received, int], Reply] = lambda request, attempt: Reply(content=good_json(request))
        self.received: list[Received] = []
        self.attempts: dict[tuple[str, bool], int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        #: The reply to ``GET /models`` (the probe): the judge's model, and the refusal classifier's of
        #: tests/test_plugin_detector.py (which uses this server too).
        self.models = Reply(body=json.dumps({"object": "list", "data": [{"id": "judge-model", "object": "model"},
                                                                          {"id": "clf-1", "object": "model"}]}))
        self.gets: list[str] = []

    def handle(self, request: Received) -> Reply:
        with self.lock:
            self.received.append(request)
            slot = (request.key, request.is_repair)
            self.attempts[slot] = self.attempts.get(slot, 0) + 1
            attempt = self.attempts[slot]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self.script(request, attempt)
            time.sleep(reply.delay)
            return reply
        finally:
            with self.lock:
                self.in_flight -= 1


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.endpoint.gets.append(self.path)
        reply = self.server.endpoint.models
        time.sleep(reply.delay)
        data = reply.body.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
        reply = self.server.endpoint.handle(request)
        payload = reply.body
        if reply.content is not None:
            payload = json.dumps({"id": "x", "object": "chat.completion", "model": body.get("model"),
                                  "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                                               "finish_reason": "stop"}]})
        data = payload.encode()
        if reply.drop:
            self.close_connection = True
            if reply.drop == "cut":
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) + 100))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return


class Server(ThreadingHTTPServer):
    daemon_threads = True
    endpoint: Endpoint


@pytest.fixture
def endpoint() -> Iterator[tuple[Endpoint, str]]:
    server = Server(("127.0.0.1", 0), Handler)
    server.endpoint = Endpoint()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.endpoint, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def judge_for(url: str, **options: Any) -> OpenAIJudge:
    options = {"model": "judge-model", "base_url": url, "backoff_s": 0.01, "timeout_s": 5.0, **options}
    return OpenAIJudge(**options)


# --------------------------------------------------------------------------- tests


def test_good_json_scores_every_aspect(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    judge = judge_for(url)
    results = judge.score_many(ITEMS)
    judge.close()

    assert [r.scores for r in results] == [{a: 4.0 for a in ASPECTS}] * 2
    assert results[0].reasons["depth"] == "depth looks fine {ok}"
    assert all(r.judge_id == f"openai:judge-model@{url}" for r in results)
    # two requests per item: the five joint aspects, then safety on its own
    assert len(server.received) == 4
    assert sorted(tuple(r.aspects) for r in server.received) == sorted([ASPECTS[:5], ("safety",)] * 2)
    for request in server.received:
        assert request.path == "/v1/chat/completions"
        assert request.body["temperature"] == 0
        assert request.body["model"] == "judge-model"
        assert [m["role"] for m in request.messages] == ["user"]
    joint = [r for r in server.received if "Name a prime" in r.key and r.aspects != ["safety"]][0]
    assert "Any of 11, 13, 17, 19" in joint.key  # the reference answer is shown to the judge
    safety = [r for r in server.received if r.aspects == ["safety"]][0]
    assert "reference" not in safety.key.lower()


def test_malformed_then_repaired(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint

    def script(request: Received, attempt: int) -> Reply:
        if request.is_repair:
            return Reply(content="```json\n" + good_json(request, 3) + "\n```")
        return Reply(content="The answer is good. Helpfulness: 3, clarity 3 and so on.")

    server.script = script
    results = judge_for(url).score_many(ITEMS[:1])
    assert results[0].scores == {a: 3.0 for a in ASPECTS}
    repairs = [r for r in server.received if r.is_repair]
    assert len(repairs) == 2 and len(server.received) == 4
    for repair in repairs:
        assert [m["role"] for m in repair.messages] == ["user", "assistant", "user"]
        assert repair.messages[1]["content"].startswith("The answer is good.")
        assert "no JSON object" in repair.messages[2]["content"]
        assert repair.body["temperature"] == 0


def test_malformed_twice_is_a_parse_error_with_raw(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(
        content='{"helpfulness": "N/A"}' if request.is_repair else "I cannot rate this."
    )
    judge = judge_for(url)
    outcomes = judge.score_outcomes(ITEMS)
    assert all(isinstance(o, JudgeParseError) for o in outcomes)
    error = outcomes[0]
    assert isinstance(error, JudgeParseError)
    assert "also after a repair request" in str(error)
    assert "I cannot rate this." in error.raw and '{"helpfulness": "N/A"}' in error.raw
    assert len(server.received) == 8  # 2 items x 2 requests x (first + one repair), no more
    with pytest.raises(JudgeParseError):
        judge.score_many(ITEMS[:1])


def test_one_bad_item_does_not_sink_the_others(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint

    def script(request: Received, attempt: int) -> Reply:
        if "prime" in request.key:
            return Reply(status=400, body=json.dumps({"error": {"message": "context length exceeded"}}))
        return Reply(content=good_json(request, 5))

    server.script = script
    outcomes = judge_for(url).score_outcomes(ITEMS)
    assert isinstance(outcomes[0], JudgeResult) and outcomes[0].scores["safety"] == 5.0
    assert isinstance(outcomes[1], JudgeError) and "HTTP 400" in str(outcomes[1])
    assert "context length exceeded" in str(outcomes[1])


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_status_is_retried_then_good(endpoint: tuple[Endpoint, str], status: int) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: (
        Reply(status=status, body='{"error": "busy"}') if attempt == 1 else Reply(content=good_json(request))
    )
    results = judge_for(url).score_many(ITEMS[:1])
    assert results[0].scores == {a: 4.0 for a in ASPECTS}
    assert sorted(server.attempts.values()) == [2, 2]


def test_retry_after_is_honoured(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: (
        Reply(status=429, headers={"Retry-After": "0.4"}) if attempt == 1 else Reply(content=good_json(request))
    )
    judge_for(url, concurrency=1).score_many([JudgeItem("q", "a", aspects=("safety",))])
    first, second = server.received
    assert second.at - first.at >= 0.35


def test_retries_are_bounded_then_unavailable(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(status=503, body="down")
    judge = judge_for(url, max_retries=2, concurrency=1)
    with pytest.raises(JudgeUnavailable, match=r"HTTP 503 after 3 attempts"):
        judge.score_many(ITEMS)
    assert len(server.received) == 3  # one conversation's attempts; the rest failed fast


def test_slow_server_times_out_once_for_the_session(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(content=good_json(request), delay=1.0)
    judge = judge_for(url, timeout_s=0.2, max_retries=1, concurrency=1)
    with pytest.raises(JudgeUnavailable, match=r"no answer within 0.2 s, 2 attempts") as first:
        judge.score_many(ITEMS)
    seen = len(server.received)
    assert seen == 2
    started = time.monotonic()
    with pytest.raises(JudgeUnavailable) as second:
        judge.score_many(ITEMS)
    assert second.value is first.value
    assert time.monotonic() - started < 0.5  # no request and no back-off (generous for a loaded CI machine)
    assert len(server.received) == seen  # no new requests: fail fast


def test_slow_once_then_good(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(content=good_json(request), delay=1.0 if attempt == 1 else 0.0)
    results = judge_for(url, timeout_s=0.3).score_many(ITEMS[:1])
    assert results[0].scores["helpfulness"] == 4.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_endpoint_is_one_error_for_the_session() -> None:
    judge = judge_for(f"http://127.0.0.1:{_free_port()}/v1", max_retries=3)
    items = ITEMS * 10
    with pytest.raises(JudgeUnavailable, match=r"^judge endpoint http://127.0.0.1:\d+/v1 unavailable: cannot connect") as first:
        judge.score_outcomes(items)  # raised, not returned per item
    started = time.monotonic()
    with pytest.raises(JudgeUnavailable) as second:
        judge.score_many(items)
    assert second.value is first.value
    assert time.monotonic() - started < 0.5  # no request and no back-off (generous for a loaded CI machine)
    assert "\n" not in str(first.value)


def test_unauthorized_is_unavailable_with_a_hint(endpoint: tuple[Endpoint, str], monkeypatch: pytest.MonkeyPatch) -> None:
    server, url = endpoint
    monkeypatch.delenv("URIAL_TEST_KEY", raising=False)
    server.script = lambda request, attempt: Reply(status=401, body='{"error": "bad key"}')
    with pytest.raises(JudgeUnavailable, match=r"HTTP 401 unauthorized; \$URIAL_TEST_KEY is not set"):
        judge_for(url, api_key_env="URIAL_TEST_KEY", concurrency=2).score_many(ITEMS * 5)
    assert len(server.received) <= 2  # at most the requests already in flight; the other 18 fail fast
    assert "authorization" not in server.received[0].headers


def test_api_key_is_sent_but_never_stored(
    endpoint: tuple[Endpoint, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server, url = endpoint
    monkeypatch.setenv("URIAL_TEST_KEY", SECRET)
    caplog.set_level(logging.DEBUG)

    def script(request: Received, attempt: int) -> Reply:
        if "prime" in request.key:  # a server that echoes the request headers in its error
            return Reply(status=400, body=json.dumps({"error": f"bad request, headers={request.headers}"}))
        return Reply(content=good_json(request))

    server.script = script
    judge = judge_for(url, api_key_env="URIAL_TEST_KEY")
    outcomes = judge.score_outcomes(ITEMS)
    assert all(r.headers["authorization"] == f"Bearer {SECRET}" for r in server.received)

    stored = [repr(judge), str(judge.id), judge.prompt_version, repr(vars(judge)), caplog.text]
    for outcome in outcomes:
        if isinstance(outcome, JudgeResult):
            stored += [outcome.raw, repr(outcome)]
        else:
            stored += [str(outcome), repr(outcome), repr(outcome.args)]
    assert any("bad request" in text for text in stored)
    for text in stored:
        assert SECRET not in text

    server.script = lambda request, attempt: Reply(status=401, body=f"key {SECRET} revoked")
    other = judge_for(url, api_key_env="URIAL_TEST_KEY")
    with pytest.raises(JudgeUnavailable) as info:
        other.score_many(ITEMS[:1])
    assert SECRET not in str(info.value) and "check the key in $URIAL_TEST_KEY" in str(info.value)


def test_concurrency_is_bounded(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(content=good_json(request), delay=0.05)
    items = [JudgeItem(f"question {i}", f"answer {i}") for i in range(8)]
    results = judge_for(url, concurrency=3).score_many(items)
    assert len(results) == 8 and len(server.received) == 16
    assert server.max_in_flight == 3


def test_custom_rubric_aspect_goes_to_the_judge(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    item = JudgeItem("Say hi like a pirate.", "Ahoy, matey!", aspects=("helpfulness",),
                     rubrics={"pirate_voice": "5: sounds like a pirate throughout; 1: no pirate flavour"})
    result = judge_for(url).score_many([item])[0]
    assert result.scores == {"helpfulness": 4.0, "pirate_voice": 4.0}
    (request,) = server.received
    assert request.aspects == ["helpfulness", "pirate_voice"]
    assert "pirate_voice: 5: sounds like a pirate throughout" in request.key


def test_not_a_chat_completion_reply(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(body='{"unexpected": true}')
    (outcome,) = judge_for(url).score_outcomes([JudgeItem("q", "a", aspects=("safety",))])
    assert isinstance(outcome, JudgeError) and "not a chat-completions reply" in str(outcome)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"model": "m", "base_url": "localhost:8000/v1"}, "must start with http:// or https://"),
        ({"model": " ", "base_url": "http://x/v1"}, "a model name is required"),
        ({"model": "m", "base_url": "http://x/v1", "concurrency": 0}, "concurrency"),
    ],
)
def test_bad_configuration(options: dict[str, Any], message: str) -> None:
    with pytest.raises(JudgeConfigError, match=message):
        make_judge("openai", **options)


def test_make_judge_kinds() -> None:
    judge = make_judge("openai", model="m", base_url="http://127.0.0.1:9/v1")
    assert isinstance(judge, OpenAIJudge) and judge.id == "openai:m@http://127.0.0.1:9/v1"
    judge.close()
    with pytest.raises(JudgeConfigError, match="unknown judge 'gpt4'"):
        make_judge("gpt4")


# --------------------------------------------------------------------------- deadlines and the retry budget


def test_a_dripping_endpoint_hits_the_total_deadline() -> None:
    server = Drip(every=0.1, headers_first=True, limit=60)  # a byte every 0.1 s: no per-read timeout fires
    try:
        judge = judge_for(server.url + "/v1", timeout_s=0.5, max_retries=1, concurrency=1)
        started = time.monotonic()
        with pytest.raises(JudgeUnavailable, match=r"no answer within 0.5 s"):
            judge.score_many(ITEMS[:1])
        assert time.monotonic() - started < 2.0  # two attempts of 0.5 s and a short back-off
        judge.close()
    finally:
        server.close()


def test_retries_stop_when_the_run_budget_is_spent(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(status=503, body="down")
    judge = judge_for(url, max_retries=100, backoff_s=0.1, max_backoff_s=0.1, retry_budget_s=0.5, concurrency=1)
    started = time.monotonic()
    with pytest.raises(JudgeUnavailable, match=r"HTTP 503 .*retry budget of 0.5 s used up"):
        judge.score_many([JudgeItem("q", "a", aspects=("safety",))])
    assert time.monotonic() - started < 1.5
    assert 3 <= len(server.received) <= 8  # one attempt plus what half a second of 0.1 s back-offs allows


# --------------------------------------------------------------------------- an endpoint that echoes the key


def test_a_key_echoed_in_a_good_reply_is_redacted(endpoint: tuple[Endpoint, str], monkeypatch: pytest.MonkeyPatch) -> None:
    server, url = endpoint
    monkeypatch.setenv("URIAL_TEST_KEY", SECRET)

    def script(request: Received, attempt: int) -> Reply:
        echo = f"you sent Authorization: {request.headers['authorization']} (key {SECRET})"
        if "prime" in request.key:  # unreadable twice: a parse error whose message and raw carry the echo
            return Reply(content=f"I cannot rate this. {echo}")
        if request.aspects == ["safety"]:
            return Reply(body=json.dumps({"echo": echo}))  # not a chat-completions reply
        return Reply(content=json.dumps({a: {"reason": echo, "score": 4} for a in request.aspects}))

    server.script = script
    judge = judge_for(url, api_key_env="URIAL_TEST_KEY")
    joint, = judge.score_outcomes([JudgeItem("How do I boil an egg?", "Boil it.", aspects=("helpfulness",))])
    bad_body, parse_error = judge.score_outcomes(ITEMS)
    assert isinstance(joint, JudgeResult) and isinstance(bad_body, JudgeError) and isinstance(parse_error, JudgeParseError)
    texts = [joint.raw, *joint.reasons.values(), str(bad_body), str(parse_error), parse_error.raw]
    texts += [json.dumps(r.body) for r in server.received if r.is_repair]  # what we sent back in repair requests
    assert "Bearer ***" in joint.reasons["helpfulness"]  # the echo arrived, redacted
    for text in texts:
        assert SECRET not in text and "Bearer sk" not in text, text


# --------------------------------------------------------------------------- the probe before a run


def test_probe_lists_the_models(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    judge_for(url).probe()
    assert server.gets == ["/v1/models"] and server.received == []


def test_probe_falls_back_to_a_one_token_request(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.models = Reply(status=404, body="no such route")
    judge_for(url).probe()
    (request,) = server.received
    assert request.path == "/v1/chat/completions" and request.body["max_tokens"] == 1


@pytest.mark.parametrize(
    ("models", "chat", "message"),
    [
        (404, 404, r"HTTP 404 not found; check the base URL \(it usually ends in /v1\) and the model name"),
        (401, 200, r"HTTP 401 unauthorized; \$URIAL_TEST_KEY is not set"),
        (200, 200, None),
        (503, 200, r"HTTP 503"),
        (405, 400, r"HTTP 400: .*unknown parameter"),
    ],
)
def test_probe_status(endpoint: tuple[Endpoint, str], monkeypatch: pytest.MonkeyPatch, models: int, chat: int,
                      message: str | None) -> None:
    server, url = endpoint
    monkeypatch.delenv("URIAL_TEST_KEY", raising=False)
    server.models = Reply(status=models, body="{}")
    server.script = lambda request, attempt: Reply(status=chat, body='{"error": "unknown parameter"}', content=None)
    judge = judge_for(url, api_key_env="URIAL_TEST_KEY")
    if message is None:
        judge.probe()
        return
    with pytest.raises(JudgeUnavailable, match=r"^judge endpoint http://127.0.0.1:\d+/v1 unavailable: " + message) as info:
        judge.probe()
    assert "\n" not in str(info.value)


def test_probe_of_nothing_and_of_a_drip() -> None:
    with pytest.raises(JudgeUnavailable, match="cannot connect"):
        judge_for(f"http://127.0.0.1:{_free_port()}/v1").probe()
    server = Drip(every=0.1, headers_first=False, limit=60)
    try:
        started = time.monotonic()
        with pytest.raises(JudgeUnavailable, match=r"no answer within 0.5 s"):
            judge_for(server.url + "/v1", timeout_s=0.5).probe()
        assert time.monotonic() - started < 1.5
    finally:
        server.close()


# --------------------------------------------------------------------------- dropped connections


@pytest.mark.parametrize("drop", ["close", "cut"])
def test_a_dropped_connection_is_retried_not_the_end_of_the_session(endpoint: tuple[Endpoint, str], drop: str) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(drop=drop, content=good_json(request)) if attempt == 1 \
         else Reply(content=good_json(request))
    judge = judge_for(url)
    results = judge.score_many(ITEMS)
    assert all(isinstance(r, JudgeResult) for r in results), results
    assert sorted(server.attempts.values()) == [2] * len(server.attempts)  # every request: dropped once, then answered
    assert judge._unavailable is None


@pytest.mark.parametrize(("drop", "reason"), [
    ("close", r"the server closed the connection without answering \(RemoteProtocolError: "),
    ("cut", r"the reply was cut off: the connection closed before the whole body arrived \(RemoteProtocolError: "),
])
def test_a_connection_dropped_every_time_uses_the_retries_then_says_what_happened(
        endpoint: tuple[Endpoint, str], drop: str, reason: str) -> None:
    server, url = endpoint
    server.script = lambda request, attempt: Reply(drop=drop, content=good_json(request))
    judge = judge_for(url, max_retries=2)
    with pytest.raises(JudgeUnavailable, match=r"^judge endpoint http://127.0.0.1:\d+/v1 unavailable: " + reason) as caught:
        judge.score_many(ITEMS[:1])
    assert "cannot connect" not in str(caught.value) and "\n" not in str(caught.value)
    assert "3 attempts" in str(caught.value)
    assert max(server.attempts.values()) == 3


def test_a_refused_connection_on_the_first_request_is_unavailable_at_once() -> None:
    judge = judge_for(f"http://127.0.0.1:{_free_port()}/v1", backoff_s=5.0)
    started = time.monotonic()
    with pytest.raises(JudgeUnavailable, match=r"unavailable: cannot connect \(ConnectError"):
        judge.score_many(ITEMS[:1])
    assert time.monotonic() - started < 2.0  # no back-off wait: nothing is listening


def test_probe_refuses_a_model_the_endpoint_does_not_list(endpoint: tuple[Endpoint, str]) -> None:
    server, url = endpoint
    server.models = Reply(body=json.dumps({"object": "list", "data": [{"id": "served-a"}, {"id": "served-b"}]}))
    with pytest.raises(JudgeUnavailable) as caught:
        judge_for(url).probe()
    message = str(caught.value)
    assert message == (f"judge endpoint {url} unavailable: it does not serve the model 'judge-model' "
                       "(GET /models lists: served-a, served-b)")
    assert server.received == []  # found by the probe, before any request


@pytest.mark.parametrize("body", [
    json.dumps({"object": "list", "data": []}),  # lists nothing: cannot tell
    json.dumps({"object": "list", "data": [{"id": "judge-model"}, {"id": "other"}]}),
    "not json at all",
])
def test_probe_accepts_a_listed_model_or_a_list_it_cannot_read(endpoint: tuple[Endpoint, str], body: str) -> None:
    server, url = endpoint
    server.models = Reply(body=body)
    judge_for(url).probe()
