"""The endpoint backend against a loopback server that speaks the OpenAI completions API."""

from __future__ import annotations

import json
import socket
import threading
import time
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest

from urial_check.generation.backends.base import BackendError, GenerationRequest
from urial_check.generation.backends.endpoint import (
    EndpointBackend,
    EndpointWarning,
    completion_body,
    finish_reason,
)
from urial_check.generation.decoding import Decoding
from urial_check.generation.engine import ProgressEvent
from urial_check.generation.prompt import STOP_STRINGS

MODEL = "base-model"
SECRET = "sk-endpoint-DO-NOT-LEAK-7c21e"
PREFIX = "# Instruction\n\nBelow is a list of conversations.\n"


def ask(query: str, **decoding: Any) -> GenerationRequest:
    return GenerationRequest(prompt=PREFIX + query, decoding=Decoding(**decoding), prefix=PREFIX)


# --------------------------------------------------------------------------- the fake server


@dataclass
class Reply:
    status: int = 200
    text: str | None = None  # completion text; None -> `body` is sent as is
    body: str = ""
    finish: str | None = "stop"
    usage: dict[str, int] | None = field(default_factory=lambda: {"prompt_tokens": 11, "completion_tokens": 5})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: Seconds between body bytes (0: the body at once).
    drip: float = 0.0


def answer_after(prompt: str) -> str:
    return "Answer to " + prompt[len(PREFIX):] + "\n```\n\n# Query:\n```\nnext question"


class Fake:
    """Answers ``POST /completions`` with ``script(body, attempt)``; attempt counts per prompt."""

    def __init__(self, owned_by: str = "vllm") -> None:
        self.script: Callable[[dict[str, Any], int], Reply] = lambda body, attempt: Reply(text=answer_after(body["prompt"]))
        self.models = Reply(body=json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": owned_by}]}))
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.gets: list[dict[str, str]] = []
        self.attempts: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def handle(self, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        with self.lock:
            self.received.append((headers, body))
            prompt = body.get("prompt", "")
            self.attempts[prompt] = self.attempts.get(prompt, 0) + 1
            attempt = self.attempts[prompt]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self.script(body, attempt)
            time.sleep(reply.delay)
            return reply
        finally:
            with self.lock:
                self.in_flight -= 1

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [body for _, body in self.received]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.fake.gets.append({k.lower(): v for k, v in self.headers.items()})
        self._send(self.server.fake.models if self.path.endswith("/models") else Reply(status=404, body="{}"), {})

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not self.path.endswith("/completions"):
            self._send(Reply(status=404, body="{}"), body)
            return
        self._send(self.server.fake.handle(headers, body), body)

    def _send(self, reply: Reply, request: dict[str, Any]) -> None:
        payload = reply.body
        if reply.text is not None:
            choice: dict[str, Any] = {"index": 0, "text": reply.text, "logprobs": None, "finish_reason": reply.finish}
            data: dict[str, Any] = {"id": "cmpl-1", "object": "text_completion", "model": request.get("model"), "choices": [choice]}
            if reply.usage is not None:
                data["usage"] = {**reply.usage, "total_tokens": sum(reply.usage.values())}
            payload = json.dumps(data)
        raw = payload.encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if reply.drip:
                for i in range(len(raw)):
                    self.wfile.write(raw[i:i + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip)
            else:
                self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (deadline tests)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return


class Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: Fake


def start(fake: Fake) -> tuple[Server, threading.Thread]:
    server = Server(("127.0.0.1", 0), Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def servers() -> Iterator[Callable[..., tuple[Fake, str]]]:
    """Start fakes on demand: ``servers(owned_by=...) -> (fake, base URL)``."""
    started: list[tuple[Server, threading.Thread]] = []

    def make(owned_by: str = "vllm") -> tuple[Fake, str]:
        fake = Fake(owned_by)
        server, thread = start(fake)
        started.append((server, thread))
        return fake, f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield make
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def fake(servers: Callable[..., tuple[Fake, str]]) -> tuple[Fake, str]:
    return servers()


def backend_for(urls: str | list[str], **options: Any) -> EndpointBackend:
    return EndpointBackend(urls, MODEL, **{"backoff_s": 0.01, "timeout_s": 5.0, **options})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- the happy path


def test_answers_come_back_in_request_order_cut_at_the_first_stop(fake: tuple[Fake, str]) -> None:
    server, url = fake
    # later requests answer sooner, so they arrive out of order
    server.script = lambda body, attempt: Reply(text=answer_after(body["prompt"]), delay=0.05 * (5 - int(body["prompt"][-1])))
    backend = backend_for(url)
    requests = [ask(f"question {i}") for i in range(5)]
    arrived: list[int] = []
    results = backend.generate(requests, on_result=lambda i, r: arrived.append(i))
    backend.close()

    assert [r.text for r in results] == [f"Answer to question {i}\n" for i in range(5)]
    assert all(r.finish_reason == "stop" and r.num_tokens == 5 and r.error is None and r.seconds > 0 for r in results)
    assert sorted(arrived) == list(range(5)) and arrived != list(range(5))
    for body in server.bodies:
        assert body["model"] == MODEL and body["prompt"].startswith(PREFIX)
        assert body["max_tokens"] == 160 and body["stop"] == list(STOP_STRINGS)
        assert body["temperature"] == 0.0 and body["repetition_penalty"] == 1.1  # vllm, greedy
        assert "top_k" not in body and "seed" not in body
    stats = backend.stats
    assert (stats.requests, stats.attempts, stats.retries, stats.errors) == (5, 5, 0, 0)
    assert (stats.prompt_tokens, stats.completion_tokens, stats.estimated_requests) == (55, 25, 0)


def test_results_are_handed_over_while_others_are_still_generating(fake: tuple[Fake, str]) -> None:
    server, url = fake
    # The slow answer is held until the fast one reaches the caller (or 10 s pass), so the order
    # does not depend on how quickly a loaded machine starts the two requests.
    handed_over = threading.Event()
    slow_done = threading.Event()

    def script(body: dict[str, Any], attempt: int) -> Reply:
        if body["prompt"].endswith("slow"):
            handed_over.wait(10)
            slow_done.set()
        return Reply(text="ok")

    def on_result(index: int, result: Any) -> None:
        seen.append((index, slow_done.is_set()))
        handed_over.set()

    server.script = script
    backend = backend_for(url)
    seen: list[tuple[int, bool]] = []  # (index, whether the slow answer had been generated by then)
    events: list[ProgressEvent] = []
    backend.generate([ask("slow"), ask("fast")], on_result=on_result, progress=events.append)
    backend.close()
    # the fast answer reached the caller (for the result cache) while the slow one was generating
    assert seen == [(1, False), (0, True)]
    assert [(e.cases_done, e.cases_total) for e in events] == [(1, 2), (2, 2)]
    assert events[-1].fraction == 1.0 and events[-1].tokens == 10


def test_a_server_that_ignores_stop_is_cut_and_usage_missing_is_estimated(fake: tuple[Fake, str]) -> None:
    server, url = fake
    server.script = lambda body, attempt: Reply(text="Sure.\n# User\nmore", finish="length", usage=None)
    backend = backend_for(url)
    [result] = backend.generate([ask("q")])
    assert (result.text, result.finish_reason) == ("Sure.\n", "stop")
    assert result.num_tokens == 5  # 18 characters / 4, rounded up: an estimate
    assert backend.stats.estimated_requests == 1 and backend.stats.prompt_tokens == 0


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [429, 500])
def test_a_busy_or_failing_server_is_retried(fake: tuple[Fake, str], status: int) -> None:
    server, url = fake
    server.script = lambda body, attempt: (
        Reply(status=status, body='{"error": "busy"}', headers={"Retry-After": "0"}) if attempt == 1 else Reply(text="fine")
    )
    backend = backend_for(url)
    [result] = backend.generate([ask("q")])
    assert result.text == "fine" and result.error is None
    assert len(server.received) == 2 and backend.stats.retries == 1 and backend.stats.attempts == 2


def test_retries_used_up_give_an_error_result_and_the_others_go_on(fake: tuple[Fake, str]) -> None:
    server, url = fake
    server.script = lambda body, attempt: Reply(status=503, body="down") if "bad" in body["prompt"] else Reply(text="fine")
    backend = backend_for(url, max_retries=2)
    results = backend.generate([ask("bad"), ask("good")])
    bad, good = results
    assert good.text == "fine"
    assert bad.finish_reason == "error" and bad.text == "" and bad.num_tokens == 0
    assert bad.error is not None and "\n" not in bad.error
    assert "3 attempts" in bad.error and "HTTP 503" in bad.error and url in bad.error
    assert server.attempts[PREFIX + "bad"] == 3
    assert backend.stats.errors == 1 and backend.stats.requests == 2


def test_a_dripping_reply_cannot_outlast_the_deadline(fake: tuple[Fake, str]) -> None:
    server, url = fake
    server.script = lambda body, attempt: Reply(text="x" * 200, drip=0.05)  # 10 s in all, a byte every 0.05 s
    backend = backend_for(url, timeout_s=0.5, max_retries=0)
    started = time.monotonic()
    [result] = backend.generate([ask("q")])
    assert time.monotonic() - started < 1.5
    assert result.finish_reason == "error" and result.error is not None
    assert "no complete answer within 0.5 s" in result.error


@pytest.mark.parametrize("body, expected", [
    ("<html>502 Bad Gateway</html>", "is not JSON"),
    ('{"id": "cmpl-1", "object": "text_completion"}', "has no choices"),
    ('{"choices": [{"index": 0, "finish_reason": "stop"}]}', "has no completion text"),
    ('["not", "an", "object"]', "is not a JSON object"),
])
def test_a_malformed_reply_is_retried_once_then_an_error_result(fake: tuple[Fake, str], body: str, expected: str) -> None:
    server, url = fake
    server.script = lambda request, attempt: Reply(body=body) if "bad" in request["prompt"] else Reply(text="fine")
    backend = backend_for(url, max_retries=4)
    bad, good = backend.generate([ask("bad"), ask("good")])
    assert good.text == "fine"
    assert bad.finish_reason == "error" and bad.error is not None and expected in bad.error
    assert "2 attempts" in bad.error and "\n" not in bad.error
    assert server.attempts[PREFIX + "bad"] == 2


def test_one_malformed_reply_then_a_good_one_is_an_answer(fake: tuple[Fake, str]) -> None:
    server, url = fake
    server.script = lambda body, attempt: Reply(body="{truncated") if attempt == 1 else Reply(text="fine")
    [result] = backend_for(url).generate([ask("q")])
    assert result.text == "fine" and server.attempts[PREFIX + "q"] == 2


def test_a_request_the_server_rejects_is_not_retried(fake: tuple[Fake, str]) -> None:
    server, url = fake
    server.script = lambda body, attempt: Reply(status=400, body='{"error": "prompt is longer than the context"}')
    [result] = backend_for(url).generate([ask("q")])
    assert result.finish_reason == "error" and result.error is not None
    assert "HTTP 400" in result.error and "longer than the context" in result.error
    assert len(server.received) == 1


# --------------------------------------------------------------------------- replicas and limits


def test_requests_spread_over_replicas_within_the_concurrency_limit(servers: Callable[..., tuple[Fake, str]]) -> None:
    (first, url1), (second, url2) = servers(), servers()
    for fake in (first, second):
        fake.script = lambda body, attempt: Reply(text="ok", delay=0.1)
    backend = backend_for([url1, url2], concurrency=2)
    results = backend.generate([ask(f"q{i}") for i in range(12)])
    backend.close()
    assert [r.text for r in results] == ["ok"] * 12
    assert len(first.received) + len(second.received) == 12
    assert len(first.received) >= 3 and len(second.received) >= 3
    assert first.max_in_flight <= 2 and second.max_in_flight <= 2
    assert max(first.max_in_flight, second.max_in_flight) == 2
    assert len(first.gets) == 1 and len(second.gets) == 1  # each replica's /models checked once


def test_one_request_at_a_time_still_takes_turns(servers: Callable[..., tuple[Fake, str]]) -> None:
    (first, url1), (second, url2) = servers(), servers()
    backend = backend_for([url1, url2])
    for i in range(4):
        backend.generate([ask(f"q{i}")])
    assert len(first.received) == 2 and len(second.received) == 2


def test_a_dead_replica_is_named(servers: Callable[..., tuple[Fake, str]]) -> None:
    _, url = servers()
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(BackendError) as info:
        backend_for([url, dead]).generate([ask("q")])
    message = str(info.value)
    assert dead in message and "unreachable" in message and "\n" not in message


# --------------------------------------------------------------------------- the key


def test_the_key_is_sent_as_bearer_and_never_shown(fake: tuple[Fake, str], monkeypatch: pytest.MonkeyPatch) -> None:
    server, url = fake
    monkeypatch.setenv("URIAL_TEST_KEY", SECRET)

    def echo(body: dict[str, Any], attempt: int) -> Reply:
        auth = server.received[-1][0]["authorization"]
        return Reply(status=400, body=f'{{"error": "bad request with header {auth} and key {SECRET}"}}')

    server.script = echo
    backend = backend_for(url, api_key_env="URIAL_TEST_KEY")
    [result] = backend.generate([ask("q")])
    assert server.received[0][0]["authorization"] == f"Bearer {SECRET}"
    assert server.gets[0]["authorization"] == f"Bearer {SECRET}"
    assert result.error is not None and SECRET not in result.error and "***" in result.error
    assert SECRET not in repr(backend) and SECRET not in backend.model_id
    assert all(SECRET not in str(value) for value in vars(backend).values())

    server.script = lambda body, attempt: Reply(text=f"echo {SECRET} done")
    [echoed] = backend.generate([ask("echo")])
    assert echoed.text == "echo *** done"

    server.script = lambda body, attempt: Reply(status=401, body=f"no: Bearer {SECRET}")
    with pytest.raises(BackendError) as info:
        backend.generate([ask("other")])
    assert SECRET not in str(info.value) and "401" in str(info.value) and "URIAL_TEST_KEY" in str(info.value)


def test_unauthorized_stops_the_call_with_one_line(fake: tuple[Fake, str]) -> None:
    server, url = fake
    server.script = lambda body, attempt: Reply(status=401, body="{}")
    backend = backend_for(url, concurrency=2)
    with pytest.raises(BackendError) as info:
        backend.generate([ask(f"q{i}") for i in range(6)])
    assert "HTTP 401" in str(info.value) and "\n" not in str(info.value)
    assert len(server.received) <= 2  # the latched error stops the rest before they are sent


# --------------------------------------------------------------------------- identity


def test_a_model_the_server_does_not_serve_is_a_clear_error(fake: tuple[Fake, str]) -> None:
    server, url = fake
    server.models = Reply(body=json.dumps({"data": [{"id": "other-model"}, {"id": "third"}]}))
    backend = backend_for(url)
    with pytest.raises(BackendError) as info:
        backend.fingerprint
    message = str(info.value)
    assert url in message and "'base-model'" in message and "'other-model', 'third'" in message
    assert "\n" not in message and not server.received


@pytest.mark.parametrize("reply, expected", [
    (Reply(status=404, body="Not Found"), "HTTP 404"),
    (Reply(body="<html>hello</html>"), "did not return a model list"),
])
def test_a_broken_model_list_is_a_clear_error(fake: tuple[Fake, str], reply: Reply, expected: str) -> None:
    server, url = fake
    server.models = reply
    with pytest.raises(BackendError, match=expected) as info:
        backend_for(url).generate([ask("q")])
    assert url in str(info.value)


def test_an_unreachable_server_is_one_line_naming_the_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(BackendError) as info:
        backend_for(url).fingerprint
    assert str(info.value).startswith(f"endpoint {url} is unreachable") and "\n" not in str(info.value)


def test_identity_is_the_served_model_and_the_revision(fake: tuple[Fake, str]) -> None:
    _, url = fake
    with_revision = backend_for(url, revision="step-1200")
    other_revision = backend_for(url, revision="step-1300")
    without = backend_for(url)
    assert with_revision.model_id == "endpoint:base-model@step-1200" and without.model_id == "endpoint:base-model"
    assert with_revision.checkpoint_known and not without.checkpoint_known
    prints = {with_revision.fingerprint, other_revision.fingerprint, without.fingerprint}
    assert len(prints) == 3 and all(len(p) == 64 for p in prints)
    assert backend_for(url, revision="step-1200").fingerprint == with_revision.fingerprint


@pytest.mark.parametrize("owned_by, kind", [("vllm", "vllm"), ("sglang", "sglang"), ("llamacpp", "llama.cpp"),
                                            ("me", "llama.cpp"), ("organization-owner", "openai")])
def test_the_server_kind_is_read_from_owned_by(servers: Callable[..., tuple[Fake, str]], owned_by: str, kind: str) -> None:
    server, url = servers(owned_by=owned_by)
    backend = backend_for(url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EndpointWarning)
        backend.generate([ask("q")])
    assert backend.resolved_kind == kind
    assert server.bodies[0] == completion_body(ask("q"), MODEL, kind)[0]


def test_an_unsendable_setting_is_warned_about_once(fake: tuple[Fake, str]) -> None:
    server, url = fake
    backend = backend_for(url, server_kind="openai")
    sampled = {"do_sample": True, "top_k": 50, "seed": 3}
    with pytest.warns(EndpointWarning) as record:
        backend.generate([ask("a"), ask("b", **sampled)])
        backend.generate([ask("c", **sampled)])
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 2, messages
    assert messages[0].startswith("generation.repetition_penalty=1.1 cannot be sent")
    assert messages[1].startswith("generation.top_k=50 cannot be sent")
    assert all("\n" not in m for m in messages)
    assert all("repetition_penalty" not in body and "top_k" not in body for body in server.bodies)


def test_bad_configuration_is_one_line() -> None:
    for args, options, expected in [
        ([], {}, "at least one base URL"),
        (["ftp://x/v1"], {}, "http:// or https://"),
        (["http://a/v1", "http://a/v1/"], {}, "given twice"),
        (["http://a/v1"], {"server_kind": "ollama"}, "server kind must be one of"),
        (["http://a/v1"], {"concurrency": 0}, "concurrency must be >= 1"),
        (["http://a/v1"], {"revision": " "}, "revision"),
    ]:
        with pytest.raises(BackendError, match=expected):
            EndpointBackend(args, MODEL, **options)
    with pytest.raises(BackendError, match="model name is required"):
        EndpointBackend("http://a/v1", "")


# --------------------------------------------------------------------------- pure functions


GREEDY = Decoding()
SAMPLED = Decoding(do_sample=True, temperature=0.7, top_p=0.9, top_k=40, seed=5, repetition_penalty=1.2)
SAMPLED_NO_TOPK = Decoding(do_sample=True, temperature=0.7, top_p=1.0, top_k=0, seed=None, repetition_penalty=1.0)


@pytest.mark.parametrize("kind, decoding, fields, unsent", [
    ("vllm", GREEDY, {"temperature": 0.0, "repetition_penalty": 1.1}, ()),
    ("sglang", SAMPLED, {"temperature": 0.7, "top_p": 0.9, "top_k": 40, "seed": 5, "repetition_penalty": 1.2}, ()),
    ("vllm", SAMPLED_NO_TOPK, {"temperature": 0.7}, ()),
    ("tgi", GREEDY, {"temperature": 0.0, "repetition_penalty": 1.1}, ()),
    ("tgi", SAMPLED, {"temperature": 0.7, "top_p": 0.9, "seed": 5, "repetition_penalty": 1.2}, ("top_k",)),
    ("llama.cpp", GREEDY, {"temperature": 0.0, "repeat_penalty": 1.1, "repeat_last_n": -1}, ()),
    ("llama.cpp", SAMPLED_NO_TOPK, {"temperature": 0.7, "top_p": 1.0, "top_k": 0, "min_p": 0.0,
                                    "repeat_penalty": 1.0, "repeat_last_n": -1}, ()),
    ("openai", GREEDY, {"temperature": 0.0}, ("repetition_penalty",)),
    ("openai", SAMPLED, {"temperature": 0.7, "top_p": 0.9, "seed": 5}, ("top_k", "repetition_penalty")),
    ("openai", SAMPLED_NO_TOPK, {"temperature": 0.7}, ()),
])
def test_request_bodies_per_server_kind(kind: str, decoding: Decoding, fields: dict[str, Any], unsent: tuple[str, ...]) -> None:
    request = GenerationRequest(prompt="P", decoding=decoding, stop=("# Query",))
    body, missing = completion_body(request, MODEL, kind)
    assert body == {"model": MODEL, "prompt": "P", "max_tokens": decoding.max_new_tokens, "stop": ["# Query"], **fields}
    assert missing == unsent


def test_auto_is_not_a_request_dialect() -> None:
    with pytest.raises(ValueError):
        completion_body(ask("q"), MODEL, "auto")


@pytest.mark.parametrize("choice, stopped_here, expected", [
    ({"finish_reason": "stop"}, True, "stop"),
    ({"finish_reason": "length"}, True, "stop"),  # we found a stop string the server did not honour
    ({"finish_reason": "length"}, False, "length"),
    ({"finish_reason": "stop", "stop_reason": "# Query"}, False, "stop"),  # vLLM named the stop string
    ({"finish_reason": "stop", "stop_reason": None}, False, "eos"),  # vLLM: an EOS token
    ({"finish_reason": "stop", "stop_reason": 2}, False, "eos"),  # vLLM: a stop token id
    ({"finish_reason": "stop", "matched_stop": "# User"}, False, "stop"),  # SGLang
    ({"finish_reason": "stop", "matched_stop": 128001}, False, "eos"),
    ({"finish_reason": "stop_sequence"}, False, "stop"),  # TGI
    ({"finish_reason": "eos_token"}, False, "eos"),
    ({"finish_reason": "stop"}, False, "eos"),  # llama.cpp: no word on which
    ({}, False, "eos"),
])
def test_finish_reasons(choice: dict[str, Any], stopped_here: bool, expected: str) -> None:
    assert finish_reason(choice, stopped_here) == expected


def test_an_empty_call_asks_nothing(fake: tuple[Fake, str]) -> None:
    server, url = fake
    assert backend_for(url).generate([]) == []
    assert not server.gets and not server.received



@pytest.mark.parametrize("cut_models", [False, True])
def test_a_reply_cut_off_is_said_as_such_not_as_cannot_connect(cut_models: bool) -> None:
    # A server that accepts, promises 500 bytes and sends 30 (the model list too, or only the
    # completions): the connection was made, the reply was cut.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stopped = threading.Event()
    models = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "vllm"}]}).encode()

    def serve() -> None:
        sock.settimeout(0.05)
        while not stopped.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                try:
                    request = conn.recv(65536)
                    if request.startswith(b"GET") and not cut_models:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                     b"Content-Length: %d\r\n\r\n" % len(models) + models)
                    else:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
                                     + b"{" * 30)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        backend = backend_for(f"http://127.0.0.1:{sock.getsockname()[1]}/v1", max_retries=1)
        if cut_models:
            with pytest.raises(BackendError) as info:
                backend.generate([ask("q")])
            error = str(info.value)
        else:
            [result] = backend.generate([ask("q")])
            assert result.finish_reason == "error" and result.error is not None
            error = result.error
    finally:
        stopped.set()
        sock.close()
        thread.join(2)
    assert "the reply was cut off" in error and "cannot connect" not in error and "unreachable" not in error, error


# --------------------------------------------------------------------------- QA: faults that must not lose or misplace answers


def test_a_reply_that_cannot_be_decoded_is_an_error_result_not_a_dropped_one(fake: tuple[Fake, str]) -> None:
    # A proxy that labels a plain body gzip: httpx raises DecodingError (not a TransportError).
    # The request must get an error result in its own place, not vanish from the list.
    server, url = fake
    server.script = lambda body, attempt: (Reply(text="garbled", headers={"Content-Encoding": "gzip"})
                                           if "bad" in body["prompt"] else Reply(text=answer_after(body["prompt"])))
    seen: list[int] = []
    results = backend_for(url).generate([ask("a"), ask("bad"), ask("c")], on_result=lambda i, r: seen.append(i))
    assert len(results) == 3 and sorted(seen) == [0, 1, 2]
    assert results[0].text == "Answer to a\n" and results[2].text == "Answer to c\n"
    assert results[1].finish_reason == "error" and results[1].error is not None and "\n" not in results[1].error
    assert server.attempts[PREFIX + "bad"] == 2  # retried once, as a malformed reply


@pytest.mark.parametrize("reason", ["abort", "error"])
def test_an_aborted_completion_is_an_error_result_not_an_answer(fake: tuple[Fake, str], reason: str) -> None:
    # vLLM/SGLang report a request the engine gave up on with finish_reason "abort" (HTTP 200):
    # its text is no answer and must not be checked or cached as one.
    server, url = fake
    server.script = lambda body, attempt: Reply(text="", finish=reason) if "bad" in body["prompt"] else Reply(text="fine")
    bad, good = backend_for(url).generate([ask("bad"), ask("good")])
    assert good.text == "fine" and good.error is None
    assert bad.finish_reason == "error" and bad.error is not None and reason in bad.error


def test_the_identity_changes_with_the_request_dialect(servers: Callable[..., tuple[Fake, str]]) -> None:
    # One checkpoint, one revision: as "openai" the repetition penalty is not sent, as "vllm" it
    # is, so the answers differ and must not share cache keys.
    _, url = servers(owned_by="vllm")
    as_vllm = backend_for(url, revision="step-1")
    as_openai = backend_for(url, revision="step-1", server_kind="openai")
    assert as_vllm.fingerprint != as_openai.fingerprint
    assert backend_for(url, revision="step-1", server_kind="vllm").fingerprint == as_vllm.fingerprint
