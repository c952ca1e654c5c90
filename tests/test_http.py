"""urial_check.http: a total deadline per request, a run-wide retry budget, redaction of secrets."""

from __future__ import annotations

import socket
import time
from typing import Iterator

import httpx2
import pytest

from loopback import Drip, RawReplyServer
from urial_check.http import AFTER_CONNECT_ERRORS, REDACTED, RetryBudget, deadline_client, redact, send, transport_reason


@pytest.fixture(params=[True, False], ids=["body-drips", "headers-drip"])
def drip(request: pytest.FixtureRequest) -> Iterator[Drip]:
    server = Drip(every=0.1, headers_first=request.param)
    try:
        yield server
    finally:
        server.close()


def test_a_dripping_server_cannot_outlast_the_deadline(drip: Drip) -> None:
    # Every byte arrives well within any per-read timeout; only a total deadline stops this.
    with deadline_client() as client:
        started = time.monotonic()
        with pytest.raises(httpx2.TimeoutException):
            send(client, "GET", drip.url + "/slow", deadline_s=0.6)
        elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 1.5, elapsed


def test_a_prompt_server_is_unaffected() -> None:
    server = Drip(every=0.0, headers_first=True, limit=10)
    try:
        with deadline_client() as client:
            response = send(client, "GET", server.url + "/fast", deadline_s=2.0)
        assert response.status_code == 200 and response.text == "x" * 10
    finally:
        server.close()


def test_deadline_covers_connecting_to_nobody() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with deadline_client() as client, pytest.raises(httpx2.ConnectError):
        send(client, "GET", f"http://127.0.0.1:{port}/", deadline_s=1.0)


def test_retry_budget_is_shared_and_runs_out() -> None:
    budget = RetryBudget(1.0)
    assert budget.remaining == 1.0 and not budget.exhausted
    budget.charge(0.4)
    budget.charge(0.4)
    assert budget.remaining == pytest.approx(0.2) and not budget.exhausted
    budget.charge(0.5)
    assert budget.exhausted and budget.remaining == 0.0
    with pytest.raises(ValueError):
        RetryBudget(-1)


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("key sk-abc123 echoed", ("sk-abc123",), f"key {REDACTED} echoed"),
        ("Authorization: Bearer sk-abc123", (), f"Authorization: Bearer {REDACTED}"),
        ('{"authorization": "bearer tok.en/x+y="}', (), f'{{"authorization": "bearer {REDACTED}"}}'),
        ("sk-abc123sk-abc123", ("sk-abc123", ""), REDACTED * 2),
        ("nothing to hide", ("sk-abc123",), "nothing to hide"),
        ("BEARER abcdefghijklmnopqrstuvwxyz", (), f"BEARER {REDACTED}"),
        ("The bearer of bad news; bearer bonds.", (), "The bearer of bad news; bearer bonds."),
    ],
)
def test_redact(text: str, secrets: tuple[str, ...], expected: str) -> None:
    assert redact(text, secrets) == expected


def test_environment_proxy_carries_the_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Drip(every=0.0, headers_first=True, limit=5)  # stands in for the proxy
    try:
        monkeypatch.setenv("HTTP_PROXY", server.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with deadline_client(proxy_for="http://judge.invalid/v1") as client:
            response = send(client, "GET", "http://judge.invalid/v1/models", deadline_s=2.0)
        assert response.text == "xxxxx"  # answered by the proxy: judge.invalid does not resolve
        monkeypatch.setenv("NO_PROXY", "judge.invalid")
        with deadline_client(proxy_for="http://judge.invalid/v1") as client, pytest.raises(httpx2.ConnectError):
            send(client, "GET", "http://judge.invalid/v1/models", deadline_s=2.0)
    finally:
        server.close()


@pytest.mark.parametrize(("cut", "reason"), [
    (False, "the server closed the connection without answering (RemoteProtocolError: "),
    (True, "the reply was cut off: the connection closed before the whole body arrived (RemoteProtocolError: "),
])
def test_a_dropped_connection_is_an_after_connect_error_said_as_what_happened(cut: bool, reason: str) -> None:
    # A server that reads the request, then closes (``cut``: after half a reply).
    server = RawReplyServer(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"choi" if cut else b"", "/v1/chat/completions")
    try:
        with deadline_client() as client, pytest.raises(httpx2.TransportError) as caught:
            send(client, "POST", server.url, json={"x": 1}, deadline_s=5.0)
    finally:
        server.close()
    assert isinstance(caught.value, AFTER_CONNECT_ERRORS)
    assert transport_reason(caught.value).startswith(reason)


def test_a_refused_connection_is_cannot_connect() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with deadline_client() as client, pytest.raises(httpx2.ConnectError) as caught:
        send(client, "GET", f"http://127.0.0.1:{port}/v1/models", deadline_s=2.0)
    assert not isinstance(caught.value, AFTER_CONNECT_ERRORS)
    assert transport_reason(caught.value).startswith("cannot connect (ConnectError: ")


def test_attempts_hold_their_deadline_from_the_budget() -> None:
    # Retried attempts running at once each hold what they may spend, so together they cannot
    # outlast the run's budget (each used to take min(timeout, remaining) and charge afterwards).
    budget = RetryBudget(10.0)
    assert budget.hold(8.0) == 8.0
    assert budget.hold(8.0) == 2.0  # only what the first left
    assert budget.hold(1.0) == 0.0 and budget.exhausted
    budget.settle(8.0, 3.0)  # the first attempt took 3 s of its 8
    assert budget.remaining == pytest.approx(5.0)
    budget.settle(2.0, 2.0)
    assert budget.remaining == pytest.approx(5.0)
