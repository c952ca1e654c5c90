"""Generation on a server: any OpenAI-compatible **completions** endpoint (vLLM, SGLang, TGI, llama.cpp).

URIAL is a raw prompt to a base model, so requests go to ``POST {base}/completions`` (never the
chat API, which would wrap the prompt in a chat template). One or more base URLs (replicas of one
model, e.g. ``http://127.0.0.1:8000/v1``) share the work: each request goes to the replica with
the fewest requests in flight, at most ``concurrency`` (default 16) per replica.

**Identity.** On first use (``fingerprint`` or ``generate``) every replica's ``GET {base}/models``
must list the model name; otherwise a one-line :class:`BackendError` names the URL and what it
serves (or that it cannot be reached). ``model_id`` is ``endpoint:NAME@REVISION`` (``endpoint:NAME``
without one) and ``fingerprint`` is the SHA-256 of (served model id, revision, server kind: the
kind decides which decoding fields are sent). A server cannot say which checkpoint it serves, so
the revision is the user's word: without one,
:attr:`EndpointBackend.checkpoint_known` is False, meaning cached answers cannot tell two
checkpoints served under one name apart (the caller warns and keeps the cache to this run's
id and URLs).

**Requests.** Each attempt has a total deadline (``timeout_s``: connecting, sending, reading the
whole reply; :func:`urial_check.http.send`). 429, 5xx, timeouts and connection errors are retried
with exponential backoff (``Retry-After`` honoured, capped), at most ``max_retries`` times and
within a run-wide :class:`~urial_check.http.RetryBudget`; a retry may go to another replica. A
malformed reply (not JSON or not decodable, no ``choices``, no ``text``, or ``finish_reason``
"abort": the server gave up on it) is retried once. A request that still fails gets
``GenerationResult(error=<one line>, finish_reason="error")`` and the others go on. Only
401/403/404 from ``/completions`` stop the whole call (:class:`BackendError` after the requests
in flight end): no request could succeed. Every answer is handed to ``on_result`` in the calling
thread as soon as it arrives, so a caller that stores it at once loses nothing finished if the
process is killed.

**Answers.** The text is cut at the earliest stop string even when the server ignored ``stop``.
``finish_reason``: ``"stop"`` when a stop string is known to have ended the answer (found in the
text, or named by the server: vLLM's ``stop_reason``, SGLang's ``matched_stop``, TGI's
``stop_sequence``); ``"length"`` when the server says so; otherwise ``"eos"``, meaning the server
stopped on its own. llama.cpp's server says ``"stop"`` both for an EOS token and a stop string it
cut, so its answers that ended on a stop string read ``"eos"``. ``num_tokens`` is the server's
``usage.completion_tokens`` (the tokens it generated and bills, which can exceed the cut answer when
it ignored ``stop``); without usage it is estimated as one token per 4 characters
(:attr:`EndpointStats.estimated_requests` counts those). ``seconds`` is the request's wall time,
retries included.

**Fields per server** (``server_kind``; ``"auto"`` reads ``owned_by`` from ``/models``: ``vllm``,
``sglang``, ``llamacpp`` (llama.cpp's ``llama-server``) and ``me`` (llama-cpp-python's server);
anything else, TGI included, is sent as plain ``"openai"`` unless told):

==================  ==================  ==============  ====================  ====================
setting             vllm / sglang       tgi             llama.cpp             openai (generic)
==================  ==================  ==============  ====================  ====================
greedy              temperature 0       temperature 0   temperature 0         temperature 0
temperature, top_p  sent when sampling  sent            sent                  sent
seed                sent when sampling  sent            sent                  sent (best effort)
top_k               ``top_k`` (0: not   not sent, warn  ``top_k`` (0 = off;   not sent, warn
                    sent = off)                         server default 40)
repetition_penalty  ``repetition_       ``repetition_   ``repeat_penalty``    not sent, warn
                    penalty``           penalty``       + ``repeat_last_n``
                                                        -1, ``min_p`` 0
==================  ==================  ==============  ====================  ====================

The repetition penalty's meaning: vLLM and TGI apply it as transformers does (every token of
prompt and answer so far, the engine's semantics); SGLang accepts the same field. llama.cpp
applies ``repeat_penalty`` over a window of recent tokens: ``llama-server`` takes
``repeat_last_n`` (sent as -1, the whole context), while llama-cpp-python's server ignores it and
uses its model's ``last_n_tokens_size`` (64 by default), so there long prompts are penalised less
than by the local engine. A setting a server cannot receive is warned about once per backend
(:class:`EndpointWarning`, one line) and the answers are generated without it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import queue
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

import httpx2
import tenacity
import tenacity.stop

from urial_check.generation.backends.base import (
    BackendError,
    GenerationRequest,
    GenerationResult,
    RankedLogprobs,
    ResultCallback,
)
from urial_check.generation.engine import ProgressEvent
from urial_check.generation.prompt import find_stop
from urial_check.http import BudgetSpent, RetryBudget, deadline_client, redact, retry_after, send, snippet, transport_reason

#: Server kinds (request dialects); "auto" picks one from ``/models``.
SERVER_KINDS = ("auto", "vllm", "sglang", "tgi", "llama.cpp", "openai")
#: ``owned_by`` in ``GET /models`` -> server kind, for ``server_kind="auto"``.
OWNED_BY_KINDS = {"vllm": "vllm", "sglang": "sglang", "llamacpp": "llama.cpp", "me": "llama.cpp"}
DEFAULT_CONCURRENCY = 16
DEFAULT_TIMEOUT_S = 300.0
#: Deadline of each replica's ``GET /models`` check.
MODELS_DEADLINE_S = 15.0
#: Characters per token when a server reports no usage (an estimate, counted in the stats).
CHARS_PER_TOKEN = 4
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504}) | frozenset(range(520, 530))
#: ``finish_reason`` of a reply (HTTP 200) whose text is no answer: vLLM and SGLang say "abort"
#: when their engine gave up on the request.
_FAILED_FINISH = frozenset({"abort", "error"})
_FATAL_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not found"}
#: What token shift over a server needs, for the one-line errors of servers that cannot do it.
NEEDS_PROMPT_LOGPROBS = ("token shift over a server needs ranked prompt log-probabilities: vLLM >= 0.5.5 "
                         "(prompt_logprobs in /v1/completions, POST /tokenize); llama.cpp's and other "
                         "OpenAI-compatible servers do not send them")


class EndpointWarning(UserWarning):
    """A decoding setting the chosen server kind cannot receive (generated without it)."""


@dataclass(frozen=True)
class EndpointStats:
    """What a backend has asked of its servers so far (for the summary's cost line)."""

    #: Generation requests finished (answers and error results).
    requests: int = 0
    #: HTTP ``POST /completions`` attempts, retries included.
    attempts: int = 0
    #: Attempts that were retries.
    retries: int = 0
    #: Requests that ended with an error result.
    errors: int = 0
    #: Prompt tokens the servers reported (requests without usage add nothing).
    prompt_tokens: int = 0
    #: Completion tokens: reported by the servers, or estimated where they sent no usage.
    completion_tokens: int = 0
    #: Requests whose completion tokens were estimated (no ``usage`` in the reply).
    estimated_requests: int = 0


def completion_body(request: GenerationRequest, model: str, server_kind: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The JSON body of ``POST /completions`` for ``request``, and the settings it could not carry.

    ``server_kind`` is a resolved kind (not "auto"). The second value names the decoding fields
    (``top_k``, ``repetition_penalty``) that matter for this request but that server cannot receive.
    """
    if server_kind not in SERVER_KINDS or server_kind == "auto":
        raise ValueError(f"not a resolved server kind: {server_kind!r}")
    decoding = request.decoding
    body: dict[str, Any] = {"model": model, "prompt": request.prompt, "max_tokens": decoding.max_new_tokens,
                            "stop": list(request.stop)}
    unsent: list[str] = []
    if decoding.do_sample:
        body["temperature"] = decoding.temperature
        if decoding.top_p < 1.0 or server_kind == "llama.cpp":  # llama.cpp's default top_p is 0.95
            body["top_p"] = decoding.top_p
        if decoding.seed is not None:
            body["seed"] = decoding.seed
        if server_kind in ("vllm", "sglang"):
            if decoding.top_k > 0:  # 0 is "off" for us; their off is their default (SGLang rejects 0)
                body["top_k"] = decoding.top_k
        elif server_kind == "llama.cpp":
            body["top_k"] = decoding.top_k  # 0 is off there too; its default is 40
            body["min_p"] = 0.0  # its default 0.05 has no counterpart in the engine
        elif decoding.top_k > 0:
            unsent.append("top_k")
    else:
        body["temperature"] = 0.0  # greedy on every one of these servers
    penalty = decoding.repetition_penalty
    if server_kind in ("vllm", "sglang", "tgi"):
        if penalty != 1.0:
            body["repetition_penalty"] = penalty
    elif server_kind == "llama.cpp":
        body["repeat_penalty"] = penalty  # always: llama-cpp-python's default is 1.1, not off
        body["repeat_last_n"] = -1
    elif penalty != 1.0:
        unsent.append("repetition_penalty")
    return body, tuple(unsent)


def finish_reason(choice: dict[str, Any], stopped_here: bool) -> str:
    """Our finish reason for a completions ``choice`` ("stop", "length" or "eos"; see the module doc)."""
    if stopped_here:
        return "stop"
    reason = choice.get("finish_reason")
    if reason == "length":
        return "length"
    if reason == "stop_sequence" or isinstance(choice.get("stop_reason"), str) or isinstance(choice.get("matched_stop"), str):
        return "stop"
    return "eos"


# --------------------------------------------------------------------------- failures inside one request


class _RetryableStatus(Exception):
    def __init__(self, status: int, url: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.retry_after = retry_after


class _Malformed(Exception):
    """The reply is not a completions reply (retried once)."""


class _Rejected(Exception):
    """The server refused this one request (4xx other than 401/403/404/429); not retried."""


@dataclass
class _Replica:
    url: str
    order: int
    client: httpx2.Client
    in_flight: int = 0


class _MalformedTwice(tenacity.stop.stop_base):
    """Stop once a request has had two malformed replies."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is not None and isinstance(outcome.exception(), _Malformed):
            self.count += 1
        return self.count >= 2


class EndpointBackend:
    """Generates through OpenAI-compatible ``/completions`` servers (one model, one or more replicas).

    The API key is read from the environment variable named by ``api_key_env`` and lives only in
    the HTTP clients' headers: it is no attribute, appears in no id, repr or message, and every
    text a server sends back is redacted before anything else sees it.
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        model: str,
        *,
        api_key_env: str | None = None,
        revision: str | None = None,
        server_kind: str = "auto",
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_retries: int = 4,
        retry_budget_s: float = 600.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        bases = [urls] if isinstance(urls, str) else list(urls)
        if not bases:
            raise BackendError("endpoint backend: give at least one base URL")
        cleaned: list[str] = []
        for url in bases:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise BackendError(f"endpoint URL must start with http:// or https://, got {url!r}")
            if url.rstrip("/") in cleaned:
                raise BackendError(f"endpoint URL {url!r} is given twice")
            cleaned.append(url.rstrip("/"))
        if not model or not model.strip():
            raise BackendError("endpoint backend: the served model name is required")
        if revision is not None and not revision.strip():
            raise BackendError("endpoint backend: the revision, when given, must not be empty")
        if server_kind not in SERVER_KINDS:
            raise BackendError(f"endpoint server kind must be one of {', '.join(SERVER_KINDS)}; got {server_kind!r}")
        if concurrency < 1 or max_retries < 0 or not timeout_s > 0 or not retry_budget_s >= 0:
            raise BackendError("endpoint backend: concurrency must be >= 1, max_retries and the retry budget >= 0, "
                               "the timeout > 0")
        self.urls = tuple(cleaned)
        self.model = model
        self.revision = revision
        self.server_kind = server_kind
        #: The server kind requests are shaped for; set on first use when ``server_kind`` is "auto".
        self.resolved_kind: str | None = None if server_kind == "auto" else server_kind
        #: False without a revision: the result cache cannot tell checkpoints served under one
        #: name apart, so callers should warn and keep cached answers to this run's id and URLs.
        self.checkpoint_known = revision is not None
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.retry_budget = RetryBudget(retry_budget_s)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env, "").strip() if api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._replicas = [
            _Replica(url, i, deadline_client(headers=headers, max_connections=concurrency, proxy_for=url))
            for i, url in enumerate(self.urls)
        ]
        self._slots = threading.Condition()
        self._turn = 0
        self._identified = False
        self._identify_lock = threading.Lock()
        self._warned: set[str] = set()
        self._stats = EndpointStats()
        self._stats_lock = threading.Lock()
        self._fatal: BackendError | None = None
        self._closed = False

    def __repr__(self) -> str:
        return (f"EndpointBackend(urls={list(self.urls)!r}, model={self.model!r}, revision={self.revision!r}, "
                f"api_key_env={self.api_key_env!r})")

    # ------------------------------------------------------------------ identity

    @property
    def model_id(self) -> str:
        return f"endpoint:{self.model}" + (f"@{self.revision}" if self.revision else "")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of (served model id, revision, request dialect); checks the servers first.

        Without a revision the replicas' URLs are part of it too: answers cached for a model name
        are then reused only from the same servers (they still cannot tell a new checkpoint served
        there under the same name apart; the session warns about that)."""
        self._identify()
        urls = None if self.revision else sorted(self.urls)
        # The request dialect is part of it: it decides which decoding fields reach the server
        # (an "openai" server gets no repetition penalty, a "vllm" one does), so the answers differ.
        identity = json.dumps({"endpoint_model": self.model, "revision": self.revision, "urls": urls,
                               "server_kind": self.resolved_kind}, sort_keys=True)
        return hashlib.sha256(identity.encode()).hexdigest()

    @property
    def stats(self) -> EndpointStats:
        with self._stats_lock:
            return self._stats

    def usage_summary(self) -> str:
        """One line for the terminal summary: what the run asked of the servers."""
        s = self.stats
        estimated = f" ({s.estimated_requests} requests' completion tokens estimated)" if s.estimated_requests else ""
        return (f"{self.model_id} over {len(self.urls)} replica(s): {s.requests} requests, {s.attempts} attempts "
                f"({s.retries} retries), {s.errors} errors; {s.prompt_tokens} prompt + {s.completion_tokens} "
                f"completion tokens{estimated}")

    def _identify(self) -> None:
        """Every replica must list the model in ``GET /models``; resolves ``server_kind="auto"``."""
        with self._identify_lock:
            if self._identified:
                return
            kinds = [self._served_kind(replica) for replica in self._replicas]
            if self.resolved_kind is None:
                self.resolved_kind = OWNED_BY_KINDS.get(kinds[0] or "", "openai")
            self._identified = True

    def _served_kind(self, replica: _Replica) -> str | None:
        """Check one replica serves the model; returns the model entry's ``owned_by``."""
        url = f"{replica.url}/models"
        try:
            response = send(replica.client, "GET", url, deadline_s=min(self.timeout_s, MODELS_DEADLINE_S))
        except httpx2.TimeoutException:
            raise BackendError(f"endpoint {replica.url} did not answer GET /models within "
                               f"{min(self.timeout_s, MODELS_DEADLINE_S):g} s") from None
        except httpx2.ConnectError as exc:
            raise BackendError(f"endpoint {replica.url} is unreachable ({type(exc).__name__}: "
                               f"{self._redact(str(exc)) or 'no detail'})") from None
        except httpx2.TransportError as exc:  # connected, then the exchange broke off
            raise BackendError(f"endpoint {replica.url}: GET /models failed: "
                               f"{transport_reason(exc, self._redact(str(exc)))}") from None
        if response.status_code >= 400:
            hint = self._status_hint(response.status_code)
            raise BackendError(f"endpoint {replica.url}: GET /models answered HTTP {response.status_code}{hint}: "
                               f"{self._redact(snippet(response.text))}")
        try:
            entries = response.json()["data"]
            served = {entry["id"]: entry for entry in entries if isinstance(entry, dict) and isinstance(entry.get("id"), str)}
        except (ValueError, KeyError, TypeError):
            raise BackendError(f"endpoint {replica.url}: GET /models did not return a model list: "
                               f"{self._redact(snippet(response.text))}") from None
        if self.model not in served:
            names = ", ".join(repr(self._redact(name)) for name in sorted(served)) or "nothing"
            raise BackendError(f"endpoint {replica.url} does not serve model {self.model!r}; it serves {names}")
        owned_by = served[self.model].get("owned_by")
        return owned_by if isinstance(owned_by, str) else None

    # ------------------------------------------------------------------ generation

    def generate(
        self,
        requests: Sequence[GenerationRequest],
        on_result: ResultCallback | None = None,
        progress: Callable[[Any], None] | None = None,
    ) -> list[GenerationResult]:
        """Generate every request; ``on_result`` and ``progress`` (an engine ``ProgressEvent`` per
        finished request) are called in this thread as answers arrive. Results in request order."""
        if self._closed:
            raise BackendError(f"endpoint backend for {self.model_id} is closed")
        if not requests:
            return []
        self._identify()
        self._raise_fatal()
        kind = self.resolved_kind or "openai"
        bodies = []
        for request in requests:
            body, unsent = completion_body(request, self.model, kind)
            for name in unsent:
                self._warn_unsent(name, getattr(request.decoding, name), kind)
            bodies.append(body)
        total = len(requests)
        workers = min(total, self.concurrency * len(self._replicas))
        arrived: queue.Queue[tuple[int, GenerationResult | None]] = queue.Queue()
        stopping = threading.Event()

        def work(index: int) -> None:
            result: GenerationResult | None = None
            try:
                if not stopping.is_set():
                    result = self._complete(requests[index], bodies[index])
            except Exception as exc:  # noqa: BLE001 - a request never vanishes: it gets an error result
                self._count(requests=1, errors=1)
                detail = (self._redact(str(exc)).strip().splitlines() or [""])[0]
                result = GenerationResult(text="", num_tokens=0, finish_reason="error", seconds=0.0,
                                          error=f"endpoint request failed: {type(exc).__name__}: {detail}")
            finally:
                arrived.put((index, result))

        results: list[GenerationResult | None] = [None] * total
        started = time.perf_counter()
        budget_total = sum(request.decoding.max_new_tokens for request in requests)
        wave = max(1, workers)
        done = tokens = budget_done = 0
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="urial-endpoint")
        try:
            for index in range(total):
                pool.submit(work, index)
            for _ in range(total):
                index, result = arrived.get()
                done += 1
                if result is None:
                    continue  # stopped by a fatal error, raised below
                results[index] = result
                tokens += result.num_tokens
                if on_result is not None:
                    on_result(index, result)
                budget_done += requests[index].decoding.max_new_tokens  # a finished request's whole budget is done
                if progress is not None:
                    progress(ProgressEvent(done, total, tokens, time.perf_counter() - started,
                                           batches_done=math.ceil(done / wave), budget_done=budget_done,
                                           budget_total=budget_total))
        finally:
            stopping.set()
            pool.shutdown(wait=True, cancel_futures=True)
        self._raise_fatal()
        return [result for result in results if result is not None]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for replica in self._replicas:
            replica.client.close()

    # ------------------------------------------------------------------ one request

    def _complete(self, request: GenerationRequest, body: dict[str, Any]) -> GenerationResult | None:
        """One request with retries: its result, an error result, or None after a fatal error."""
        started = time.perf_counter()
        attempts = 0
        error: str
        try:
            for attempt in self._retrying(malformed=True):
                with attempt:
                    attempts += 1
                    data, url = self._attempt(body, retried=attempts > 1)
                    result = self._result(data, request, url, time.perf_counter() - started)
            return result
        except BackendError:
            return None
        except httpx2.TransportError as exc:
            error = self._transport_error(exc)
        except (_RetryableStatus, _Malformed, _Rejected) as exc:
            error = str(exc)
        error = f"endpoint request failed after {attempts} attempt{'s' if attempts != 1 else ''}: {error}"
        if attempts < self.max_retries + 1 and self.retry_budget.exhausted:
            error += f" (the run's retry budget of {self.retry_budget.seconds:g} s is used up)"
        self._count(requests=1, errors=1)
        return GenerationResult(text="", num_tokens=0, finish_reason="error", seconds=time.perf_counter() - started,
                                error=error)

    def _attempt(self, body: dict[str, Any], *, retried: bool, path: str = "/completions",
                 latch: bool = True) -> tuple[dict[str, Any], str]:
        """One POST to the least busy replica: the reply's JSON object and the replica's URL.

        ``path`` is under the base URL (``/completions``) or, starting with ``//``, under the
        server's root (``//tokenize``: vLLM serves it beside ``/v1``, not under it). ``latch``: a
        401/403/404 stops every later request too (for generation); otherwise it is raised once."""
        self._raise_fatal()
        deadline = self.timeout_s
        if retried:
            deadline = self.retry_budget.hold(self.timeout_s)  # held: concurrent retries cannot overspend it
            if deadline <= 0:  # others spent the budget since this request's last attempt
                raise httpx2.TimeoutException("the run's retry budget is used up")
        try:
            replica = self._acquire()
        except BaseException:
            if retried:
                self.retry_budget.settle(deadline, 0.0)  # the hold ends with the attempt that never started
            raise
        attempt_started = time.monotonic()
        self._count(attempts=1, retries=int(retried))
        target = f"{_server_root(replica.url)}{path[1:]}" if path.startswith("//") else f"{replica.url}{path}"
        shown = path.lstrip("/")
        try:
            response = send(replica.client, "POST", target, json=body, deadline_s=deadline)
        except httpx2.DecodingError as exc:  # a body that does not match its Content-Encoding
            raise _Malformed(f"reply from {replica.url} cannot be decoded: {self._redact(str(exc))}") from None
        finally:
            self._release(replica)
            if retried:
                self.retry_budget.settle(deadline, time.monotonic() - attempt_started)
        status = response.status_code
        if status in _RETRY_STATUS:
            raise _RetryableStatus(status, replica.url, retry_after(response))
        if status in _FATAL_STATUS:
            message = (f"endpoint {replica.url}: POST /{shown} answered HTTP {status} "
                       f"{_FATAL_STATUS[status]}{self._status_hint(status)}")
            raise self._latch(message) if latch else BackendError(message)
        if status >= 400:
            raise _Rejected(f"HTTP {status} from {replica.url}: {self._redact(snippet(response.text))}")
        try:
            data = response.json()
        except ValueError:
            raise _Malformed(f"reply from {replica.url} is not JSON: {self._redact(snippet(response.text))}") from None
        if not isinstance(data, dict):
            raise _Malformed(f"reply from {replica.url} is not a JSON object: {self._redact(snippet(response.text))}")
        return data, replica.url

    def _result(self, data: dict[str, Any], request: GenerationRequest, url: str, seconds: float) -> GenerationResult:
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise _Malformed(f"reply from {url} has no choices: {self._redact(snippet(json.dumps(data)))}")
        choice = choices[0]
        raw = choice.get("text")
        if not isinstance(raw, str):
            raise _Malformed(f"reply from {url} has no completion text: {self._redact(snippet(json.dumps(choice)))}")
        if choice.get("finish_reason") in _FAILED_FINISH:
            raise _Malformed(f"reply from {url} ended with finish_reason {choice.get('finish_reason')!r} "
                             "(the server gave up on the request)")
        raw = self._redact(raw)
        stop = find_stop(raw, request.stop)
        text = raw if stop is None else raw[:stop]
        usage = choice.get("usage") if isinstance(choice.get("usage"), dict) else data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        completion = _count_field(usage, "completion_tokens")
        estimated = completion is None
        num_tokens = math.ceil(len(raw) / CHARS_PER_TOKEN) if completion is None else completion
        prompt_tokens = _count_field(usage, "prompt_tokens") or 0
        self._count(requests=1, prompt_tokens=prompt_tokens, completion_tokens=num_tokens,
                    estimated_requests=int(estimated))
        return GenerationResult(text=text, num_tokens=num_tokens, finish_reason=finish_reason(choice, stop is not None),
                                seconds=seconds)

    # ------------------------------------------------------------------ teacher forcing (ScoresPrompts)

    def tokenize(self, text: str) -> list[int]:
        """``text``'s ids from the served tokenizer, special tokens (BOS) added (vLLM's ``POST /tokenize``)."""
        data, url = self._post("//tokenize", {"model": self.model, "prompt": text, "add_special_tokens": True}, "tokenize")
        return _token_ids(data.get("tokens"), url, "POST /tokenize", self.model)

    def tokenize_chat(self, instruction: str, chat_template: str | None = None) -> list[int]:
        """A one-turn chat rendered by the served chat template (``chat_template`` instead, when given)
        with the generation prompt, as ids: vLLM's ``POST /tokenize`` with ``messages``."""
        body: dict[str, Any] = {"model": self.model, "messages": [{"role": "user", "content": instruction}],
                                "add_generation_prompt": True, "add_special_tokens": False}
        if chat_template is not None:
            body["chat_template"] = chat_template
        data, url = self._post("//tokenize", body, "tokenize")
        return _token_ids(data.get("tokens"), url, "POST /tokenize", self.model)

    def greedy_ids(self, prompt_ids: Sequence[int], max_new_tokens: int) -> tuple[list[int], str]:
        """Pure greedy continuation of ``prompt_ids`` as ids (``return_tokens_as_token_ids``), cut
        before the token vLLM stopped on (it keeps the EOS or stop token id in ``token_ids``), and its text."""
        body = {"model": self.model, "prompt": list(prompt_ids), "max_tokens": max_new_tokens, "temperature": 0.0,
                "repetition_penalty": 1.0, "logprobs": 1, "return_tokens_as_token_ids": True}
        data, url = self._post("/completions", body, "greedy answer")
        choice = _first_choice(data, url, "the greedy answer")
        logprobs = choice.get("logprobs")
        tokens = logprobs.get("tokens") if isinstance(logprobs, dict) else None
        if not isinstance(tokens, list) or not all(isinstance(t, str) and t.startswith("token_id:") for t in tokens):
            raise BackendError(f"endpoint {url}: the greedy answer's logprobs.tokens are not token ids "
                               f"(return_tokens_as_token_ids); {NEEDS_PROMPT_LOGPROBS}")
        try:
            ids = [int(t.removeprefix("token_id:")) for t in tokens]
        except ValueError:
            raise BackendError(f"endpoint {url}: malformed token ids in the greedy answer: "
                               f"{self._redact(snippet(json.dumps(tokens)))}") from None
        if ids and choice.get("finish_reason") == "stop" and not isinstance(choice.get("stop_reason"), str):
            ids = ids[:-1]  # stopped on EOS (stop_reason null) or a stop token id (stop_reason that id)
        text = choice.get("text")
        return ids, self._redact(text) if isinstance(text, str) else ""

    def prompt_logprobs(self, ids: Sequence[int], start: int, top_k: int) -> list[RankedLogprobs]:
        """Teacher forcing through vLLM: ``prompt`` as ids, ``max_tokens`` 1 and ``prompt_logprobs: top_k``.

        The reply's ``choices[0].prompt_logprobs`` (vLLM >= 0.5.5, vllm-project/vllm#7453) has one
        entry per prompt position, None at position 0, else ``{"<token id>": {"logprob", "rank",
        "decoded_token"}}`` (``vllm.sequence.Logprob``; ``rank`` since vllm-project/vllm#3516, v0.4.0):
        the top-k ids plus the prompt token itself with its rank over the whole vocabulary.
        """
        if not 0 < start <= len(ids):
            raise ValueError(f"prompt_logprobs(): start {start} outside 1..{len(ids)}")
        if start == len(ids):
            return []
        body = {"model": self.model, "prompt": list(ids), "max_tokens": 1, "temperature": 0.0, "prompt_logprobs": top_k}
        data, url = self._post("/completions", body, "prompt log-probabilities")
        return parse_prompt_logprobs(_first_choice(data, url, "prompt log-probabilities"), ids, start, url)

    def _post(self, path: str, body: dict[str, Any], what: str) -> tuple[dict[str, Any], str]:
        """One teacher-forcing request with the generation requests' retries (429, 5xx, timeouts,
        connection errors; backoff within the run's retry budget); any failure is one BackendError."""
        if self._closed:
            raise BackendError(f"endpoint backend for {self.model_id} is closed")
        self._identify()
        attempts = 0
        error: str
        try:
            for attempt in self._retrying(malformed=False):
                with attempt:
                    attempts += 1
                    data, url = self._attempt(body, retried=attempts > 1, path=path, latch=False)
        except BackendError as exc:
            hint = f"; {NEEDS_PROMPT_LOGPROBS}" if "HTTP 404" in str(exc) and path.startswith("//") else ""
            raise BackendError(f"{exc}{hint}") from None
        except httpx2.TransportError as exc:
            error = self._transport_error(exc)
        except (_RetryableStatus, _Malformed, _Rejected) as exc:
            # A server that does not know these requests may fail them with any status (llama.cpp's
            # answers a prompt of token ids with prompt_logprobs by HTTP 500): say what is needed.
            error = f"{exc}; if the server is not vLLM: {NEEDS_PROMPT_LOGPROBS}"
        else:
            usage = data.get("usage")
            self._count(requests=1, prompt_tokens=_count_field(usage if isinstance(usage, dict) else {}, "prompt_tokens") or 0)
            return data, url
        self._count(requests=1, errors=1)
        raise BackendError(f"endpoint {self.urls[0]}: {what} ({self.model}) failed after {attempts} "
                           f"attempt{'s' if attempts != 1 else ''}: {error}")

    def _retrying(self, *, malformed: bool) -> tenacity.Retrying:
        """Retries on 429/5xx, timeouts and connection errors (and, with ``malformed``, a reply that
        is no completions reply, at most twice), with backoff, within the run's retry budget."""
        retry_on: tuple[type[BaseException], ...] = (_RetryableStatus, httpx2.TransportError)
        stop = tenacity.stop_after_attempt(self.max_retries + 1) | BudgetSpent(self.retry_budget)
        if malformed:
            retry_on += (_Malformed,)
            stop = stop | _MalformedTwice()
        return tenacity.Retrying(retry=tenacity.retry_if_exception_type(retry_on), stop=stop, wait=self._wait,
                                 before_sleep=self._before_sleep, reraise=True)

    def _transport_error(self, exc: httpx2.TransportError) -> str:
        """The one-line reason for a timeout, a failed connection or one dropped after it was made."""
        if isinstance(exc, httpx2.TimeoutException):
            return f"no complete answer within {self.timeout_s:g} s ({self._redact(str(exc)) or 'timeout'})"
        return transport_reason(exc, self._redact(str(exc)))

    # ------------------------------------------------------------------ replicas, retries, bookkeeping

    def _acquire(self) -> _Replica:
        """The replica with the fewest requests in flight (turns taken on ties), once it has room."""
        with self._slots:
            while True:
                free = [r for r in self._replicas if r.in_flight < self.concurrency]
                if free:
                    count = len(self._replicas)
                    replica = min(free, key=lambda r: (r.in_flight, (r.order - self._turn) % count))
                    self._turn = (replica.order + 1) % count
                    replica.in_flight += 1
                    return replica
                self._slots.wait()

    def _release(self, replica: _Replica) -> None:
        with self._slots:
            replica.in_flight -= 1
            self._slots.notify()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = min(self.max_backoff_s, self.backoff_s * 2 ** (state.attempt_number - 1))
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _RetryableStatus) and error.retry_after is not None:
            backoff = min(self.max_backoff_s, max(backoff, error.retry_after))
        return min(backoff, self.retry_budget.remaining)

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        self.retry_budget.charge(state.upcoming_sleep)

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            values = {name: getattr(self._stats, name) + increments.get(name, 0)
                      for name in EndpointStats.__dataclass_fields__}
            self._stats = EndpointStats(**values)

    def _latch(self, message: str) -> BackendError:
        with self._stats_lock:
            if self._fatal is None:
                self._fatal = BackendError(message)
            return self._fatal

    def _raise_fatal(self) -> None:
        if self._fatal is not None:
            raise self._fatal

    def _warn_unsent(self, name: str, value: Any, kind: str) -> None:
        if name in self._warned:
            return
        self._warned.add(name)
        hint = " (name the server kind if it is vllm, sglang, tgi or llama.cpp)" if self.server_kind == "auto" and kind == "openai" else ""
        warnings.warn(f"generation.{name}={value!r} cannot be sent to {self.urls[0]} as a {kind} server; "
                      f"answers are generated without it{hint}", EndpointWarning, stacklevel=3)

    def _status_hint(self, status: int) -> str:
        if status in (401, 403):
            if not self.api_key_env:
                return "; the server wants an API key: name its environment variable"
            return f"; check the key in ${self.api_key_env}" if os.environ.get(self.api_key_env) else (
                f"; ${self.api_key_env} is not set")
        if status == 404:
            return "; check the base URL (it usually ends in /v1) and the model name"
        return ""

    def _redact(self, text: str) -> str:
        """``text`` (something a server sent) without the API key or any bearer token."""
        key = os.environ.get(self.api_key_env, "").strip() if self.api_key_env else ""
        auth = self._replicas[0].client.headers.get("authorization", "") if self._replicas else ""
        return redact(text, (key, auth.removeprefix("Bearer ").strip()))


def _server_root(url: str) -> str:
    """The server's root for a base URL (``http://h:8000/v1`` -> ``http://h:8000/``)."""
    root = url.rstrip("/")
    return (root[: -len("/v1")] if root.endswith("/v1") else root) + "/"


def _first_choice(data: dict[str, Any], url: str, what: str) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BackendError(f"endpoint {url}: the reply for {what} has no choices: {snippet(json.dumps(data))}")
    return choices[0]


def _token_ids(value: Any, url: str, what: str, model: str) -> list[int]:
    if not isinstance(value, list) or not value or not all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in value):
        raise BackendError(f"endpoint {url}: {what} for {model} returned no token id list ({snippet(json.dumps(value))}); "
                           f"{NEEDS_PROMPT_LOGPROBS}")
    return list(value)


def parse_prompt_logprobs(choice: dict[str, Any], ids: Sequence[int], start: int, url: str) -> list[RankedLogprobs]:
    """The :class:`RankedLogprobs` of positions ``start..len(ids)-1`` from a completions ``choice``.

    A reply without ``prompt_logprobs`` is a server that cannot do this (one line that says what is
    needed); one whose entries are not what vLLM sends is malformed (one line saying where).
    """
    rows = choice.get("prompt_logprobs")
    if rows is None:
        raise BackendError(f"endpoint {url} returned no prompt_logprobs; {NEEDS_PROMPT_LOGPROBS}")
    if not isinstance(rows, list) or len(rows) != len(ids):
        length = len(rows) if isinstance(rows, list) else type(rows).__name__
        raise BackendError(f"endpoint {url}: malformed prompt_logprobs: expected {len(ids)} entries (one per prompt "
                           f"token), got {length}")
    out: list[RankedLogprobs] = []
    for position in range(start, len(ids)):
        entry = rows[position]
        where = f"endpoint {url}: malformed prompt_logprobs at prompt position {position}"
        if not isinstance(entry, dict) or not entry:
            raise BackendError(f"{where}: expected an object of token id -> logprob, got {snippet(json.dumps(entry))}")
        top: dict[int, float] = {}
        texts: dict[int, str] = {}
        for key, value in entry.items():
            logprob = value.get("logprob") if isinstance(value, dict) else None
            if not str(key).isdigit() or not isinstance(logprob, (int, float)) or isinstance(logprob, bool) \
                    or math.isnan(logprob) or logprob > 1e-6:
                raise BackendError(f"{where}: entry {key!r} is not a token id with a log-probability: "
                                   f"{snippet(json.dumps(value))}")
            top[int(key)] = min(float(logprob), 0.0)
            if isinstance(value.get("decoded_token"), str):
                texts[int(key)] = value["decoded_token"]
        token = int(ids[position])
        own = entry.get(str(token))
        rank = own.get("rank") if isinstance(own, dict) else None
        if own is None:
            raise BackendError(f"{where}: the prompt token {token} is missing (vLLM always includes it)")
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
            raise BackendError(f"{where}: the prompt token {token} has no rank >= 1 ({snippet(json.dumps(own))}); "
                               f"{NEEDS_PROMPT_LOGPROBS}")
        decoded = own.get("decoded_token")
        out.append(RankedLogprobs(token, top[token], rank, decoded if isinstance(decoded, str) else "", top, texts))
    return out


def _count_field(usage: dict[str, Any], name: str) -> int | None:
    value = usage.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


