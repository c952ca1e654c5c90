"""HTTP to the endpoints we talk to (the ``openai`` judge, and any later HTTP backend).

Four guarantees, each in one place:

* **A total deadline per request.** httpx's own timeouts apply to each socket operation, so a
  server that sends one byte every 20 s never trips a 60 s read timeout and holds the run for as
  long as it likes. Here every request made with :func:`send` has a deadline for everything it
  does: waiting for a pooled connection, connecting, sending, and reading the whole response.
  The client's network layer (an httpcore network backend) clamps each socket operation's
  timeout to what is left of the deadline, so the deadline holds whatever the server does.
* **A run-wide retry budget.** :class:`RetryBudget` is the time a client may spend on retries
  (back-off waits and retried attempts) over a whole run, shared by all its requests.
* **Dropped connections are retryable.** :data:`AFTER_CONNECT_ERRORS` are the transport errors
  that happen once a connection was made (closed without an answer, reset, a reply cut short);
  clients retry them like a 5xx. :func:`transport_reason` says in words what happened.
* **Redaction.** :func:`redact` removes secret values, and any ``Bearer <token>``, from text that
  came back from an endpoint, before it is stored, cached or printed.
"""

from __future__ import annotations

import email.utils
import math
import re
import threading
import time
import urllib.request
from contextvars import ContextVar
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import urlsplit

import httpcore2
import httpx2
import tenacity

REDACTED = "***"
# "Bearer" and an RFC 6750 token; a plain word after "bearer" ("the bearer of") is left alone:
# a token has a digit or one of -._~+/= in it, or is 16 characters long.
_BEARER_RE = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9\-._~+/]*[A-Za-z0-9\-_~+/]=*)")  # no final "."
_TOKENISH_RE = re.compile(r"[0-9\-._~+/=]")

#: monotonic time by which the request running in this thread must be done (None: no deadline).
_DEADLINE: ContextVar[float | None] = ContextVar("urial_check_http_deadline", default=None)

# httpcore errors raised below us, as the httpx errors callers catch (most specific first).
_ERRORS: tuple[tuple[type[Exception], type[httpx2.HTTPError]], ...] = (
    (httpcore2.ConnectTimeout, httpx2.ConnectTimeout),
    (httpcore2.ReadTimeout, httpx2.ReadTimeout),
    (httpcore2.WriteTimeout, httpx2.WriteTimeout),
    (httpcore2.PoolTimeout, httpx2.PoolTimeout),
    (httpcore2.TimeoutException, httpx2.TimeoutException),
    (httpcore2.ConnectError, httpx2.ConnectError),
    (httpcore2.ReadError, httpx2.ReadError),
    (httpcore2.WriteError, httpx2.WriteError),
    (httpcore2.NetworkError, httpx2.NetworkError),
    (httpcore2.ProxyError, httpx2.ProxyError),
    (httpcore2.UnsupportedProtocol, httpx2.UnsupportedProtocol),
    (httpcore2.LocalProtocolError, httpx2.LocalProtocolError),
    (httpcore2.RemoteProtocolError, httpx2.RemoteProtocolError),
    (httpcore2.ProtocolError, httpx2.ProtocolError),
)


#: Transport errors after a connection was made (the server closed it, reset it, or cut the reply
#: short): a fresh attempt may well succeed, so they are retried like a 5xx.
AFTER_CONNECT_ERRORS: tuple[type[httpx2.TransportError], ...] = (
    httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError,
)


def transport_reason(exc: httpx2.TransportError, detail: str | None = None) -> str:
    """What happened, in words, for a transport error other than a timeout (``detail``: the
    error's text, redacted by the caller; default ``str(exc)``)."""
    text = str(exc) if detail is None else detail
    if isinstance(exc, httpx2.RemoteProtocolError):
        lowered = text.lower()
        if "complete message body" in lowered or "incomplete" in lowered:
            what = "the reply was cut off: the connection closed before the whole body arrived"
        elif "disconnected" in lowered or "without sending a response" in lowered:
            what = "the server closed the connection without answering"
        else:
            what = "the server's reply is not valid HTTP"
    elif isinstance(exc, httpx2.ReadError):
        what = "the connection was closed while the reply was read"
    elif isinstance(exc, httpx2.WriteError):
        what = "the connection was closed while the request was sent"
    else:
        what = "cannot connect"
    return f"{what} ({type(exc).__name__}: {text or 'no detail'})"


def send(client: httpx2.Client, method: str, url: str, *, deadline_s: float, **kwargs: Any) -> httpx2.Response:
    """``client.request(...)`` that is over, whole response read, within ``deadline_s`` seconds.

    ``client`` must come from :func:`deadline_client`. Past the deadline an
    ``httpx2.TimeoutException`` is raised, as for any other timeout. An error's message never
    holds the value of a secret header (``Authorization``, ``api-key``, ...): HTTP libraries quote
    an illegal header value in full (an API key read with its trailing newline).
    """
    if not deadline_s > 0:
        raise ValueError(f"deadline must be > 0 s, got {deadline_s}")
    token = _DEADLINE.set(time.monotonic() + deadline_s)
    try:
        return client.request(method, url, timeout=httpx2.Timeout(deadline_s), **kwargs)
    except httpx2.HTTPError as exc:
        message = str(exc)
        clean = redact(message, _secret_forms(client.headers, kwargs.get("headers")))
        if clean == message:
            raise
        exc.args = (clean,)
        raise exc from None  # the chained library errors quote the value too
    finally:
        _DEADLINE.reset(token)


_SECRET_HEADER_RE = re.compile(r"(?i)auth|key|token|secret|cookie|password")


def _secret_forms(*header_sets: Any) -> list[str]:
    """The values of secret-looking headers as an error message may quote them (as sent, stripped,
    without ``Bearer``, or escaped as in ``repr`` of their bytes), longest first."""
    forms: set[str] = set()
    for headers in header_sets:
        for name, value in (httpx2.Headers(headers).multi_items() if headers else ()):
            if not _SECRET_HEADER_RE.search(name):
                continue
            for text in (value, value.strip(), value.strip().removeprefix("Bearer ").strip()):
                escaped = repr(text.encode("utf-8", "backslashreplace"))[2:-1]
                forms.update(f for f in (text, escaped) + tuple(escaped.split("\\")) if len(f) >= 4)
    return sorted(forms, key=len, reverse=True)


def deadline_client(
    *, headers: Mapping[str, str] | None = None, max_connections: int = 4, proxy_for: str | None = None
) -> httpx2.Client:
    """An ``httpx2.Client`` whose requests made through :func:`send` keep their total deadline.

    Redirects are not followed. ``proxy_for``: a URL whose proxy, if the environment names one
    (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``), carries the requests.
    """
    transport = DeadlineTransport(max_connections=max_connections, proxy=_environment_proxy(proxy_for))
    return httpx2.Client(headers=dict(headers or {}), transport=transport, follow_redirects=False, trust_env=False)


class RetryBudget:
    """Seconds a client may spend on retries over a whole run; thread-safe, shared by its requests.

    :class:`BudgetSpent` reserves a retry's wait when it lets the retry go ahead, and the thread's
    next :meth:`charge` (the callers charge the wait before sleeping) turns the reservation into
    spending: threads that decide at once cannot together spend more than the budget.
    """

    def __init__(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError(f"retry budget must be >= 0 s, got {seconds}")
        self.seconds = float(seconds)
        self._spent = 0.0
        self._reserved = 0.0
        self._lock = threading.Lock()
        self._pending = threading.local()

    def _release(self) -> float:
        """Drop this thread's reservation (lock held); return it."""
        pending = float(getattr(self._pending, "seconds", 0.0))
        self._pending.seconds = 0.0
        self._reserved = max(0.0, self._reserved - pending)
        return pending

    def reserve(self, seconds: float) -> bool:
        """Hold ``seconds`` of the budget for this thread's next wait; False (nothing held) when
        no more than that is left. A reservation the thread never charged is dropped here."""
        with self._lock:
            self._release()
            seconds = max(0.0, seconds)
            if self.seconds - self._spent - self._reserved <= seconds:
                return False
            self._reserved += seconds
            self._pending.seconds = seconds
            return True

    def charge(self, seconds: float) -> None:
        with self._lock:
            self._release()
            self._spent += max(0.0, seconds)

    def hold(self, most: float) -> float:
        """Set aside up to ``most`` seconds for one attempt (what is left, if less; 0 when nothing is):
        attempts running at once cannot together outlast the budget. :meth:`settle` ends the hold."""
        with self._lock:
            held = max(0.0, min(most, self.seconds - self._spent - self._reserved))
            self._reserved += held
            return held

    def settle(self, held: float, used: float) -> None:
        """End a :meth:`hold` of ``held`` seconds of which the attempt ``used`` some."""
        with self._lock:
            self._reserved = max(0.0, self._reserved - held)
            self._spent += max(0.0, used)

    @property
    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self.seconds - self._spent - self._reserved)

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0.0


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret value and every ``Bearer <token>`` replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _BEARER_RE.sub(_redact_bearer, text)


def _redact_bearer(match: re.Match[str]) -> str:
    word, space, token = match.groups()
    if len(token) < 16 and not _TOKENISH_RE.search(token):
        return match.group(0)
    return f"{word}{space}{REDACTED}"


# --------------------------------------------------------------------------- the network layer


def _left(error: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the request's total deadline has passed")
    return left


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    left = _left(error)
    if left is None:
        return timeout
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore2.NetworkStream):
    """A connection whose every read and write ends by the current request's deadline."""

    def __init__(self, stream: httpcore2.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> httpcore2.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore2.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore2.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore2.NetworkStream:
        stream = self._backend.connect_tcp(host, port, _clamp(timeout, httpcore2.ConnectTimeout), local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> httpcore2.NetworkStream:
        return _DeadlineStream(self._backend.connect_unix_socket(path, _clamp(timeout, httpcore2.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx2.BaseTransport):
    """httpx transport over an httpcore connection pool on the deadline-keeping network layer."""

    def __init__(self, *, max_connections: int = 4, proxy: str | None = None) -> None:
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(),
            proxy=httpcore2.Proxy(proxy) if proxy else None,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=_DeadlineBackend(),
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        core = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port,
                              target=request.url.raw_path),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]  # httpx's sync streams are iterables of bytes
            extensions=request.extensions,
        )
        try:
            response = self._pool.handle_request(core)
        except Exception as exc:
            mapped = _as_httpx(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx2.Response(status_code=response.status, headers=response.headers,
                               stream=_Body(response.stream), extensions=response.extensions)  # type: ignore[arg-type]

    def close(self) -> None:
        self._pool.close()


class _Body(httpx2.SyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except Exception as exc:
            mapped = _as_httpx(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


def _as_httpx(exc: Exception) -> Exception | None:
    for core, mapped in _ERRORS:
        if isinstance(exc, core):
            return mapped(str(exc))
    return None


def _environment_proxy(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.hostname is None or urllib.request.proxy_bypass(parts.hostname):
        return None
    return urllib.request.getproxies().get(parts.scheme)


class BudgetSpent(tenacity.stop.stop_base):
    """A tenacity stop condition: stop retrying when the run's retry budget cannot pay for the next wait."""

    def __init__(self, budget: RetryBudget) -> None:
        self.budget = budget

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        # tenacity has computed the wait (capped by what is left) before asking; going ahead holds
        # the wait, so another thread deciding meanwhile sees it spent.
        return not self.budget.reserve(retry_state.upcoming_sleep)


#: The longest ``Retry-After`` taken literally (callers cap it further with their own back-off limit).
MAX_RETRY_AFTER_S = 86_400.0


def retry_after(response: httpx2.Response) -> float | None:
    """The seconds a ``Retry-After`` header asks for (None without a usable one).

    Seconds (``120``) or an HTTP-date, counted from the reply's ``Date`` when it has one (the
    server's clock) else from now; a date in the past or a negative number is 0, and anything
    longer than :data:`MAX_RETRY_AFTER_S` is that.
    """
    value = response.headers.get("retry-after")
    if value is None:
        return None
    seconds: float | None
    try:
        seconds = float(value)
    except ValueError:
        seconds = _seconds_until(value, response.headers.get("date"))
    if seconds is None or math.isnan(seconds):
        return None
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


def _seconds_until(http_date: str, server_now: str | None) -> float | None:
    """Seconds from ``server_now`` (an HTTP-date; else the local clock) to ``http_date``; None if unreadable."""
    def when(text: str) -> float | None:
        try:
            return email.utils.parsedate_to_datetime(text.strip()).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None

    target = when(http_date)
    if target is None:
        return None
    now = when(server_now) if server_now else None
    return target - (time.time() if now is None else now)


def snippet(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut to ``limit`` characters, for error messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."

