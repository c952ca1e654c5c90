"""The ``openai`` judge: any OpenAI-compatible chat-completions endpoint.

A hosted GPT-4-class model or a local vLLM / TGI / llama.cpp server. Requests are sent with
temperature 0 from a bounded thread pool over one ``httpx2`` client (the maintained
continuation of httpx, already installed with huggingface_hub) built by :mod:`urial_check.http`:
every request has a total deadline (``timeout_s``: connecting, sending and reading the whole
reply), so a server that trickles bytes cannot hold the run. ``tenacity`` retries 429, 5xx and
timeouts with exponential backoff (a ``Retry-After`` header is honoured, capped), within a
run-wide retry budget (``retry_budget_s``, shared by all requests).

The API key is read from an environment variable (``OPENAI_API_KEY`` unless told otherwise)
and lives only in the HTTP client's headers: it is not an attribute of the judge, appears in
no id, repr, result or exception message, and is never logged. Every text that comes back from
the endpoint (replies, error bodies, transport errors) has the key and any ``Bearer <token>``
redacted before anything else sees it, so an endpoint that echoes the header cannot put the
key into reasons, errors, caches or reports.

When the endpoint cannot be used at all (connection refused or DNS failure before it ever
answered, 401/403/404, retries used up), the judge raises :class:`JudgeUnavailable` and remembers it: every later
request fails at once with the same error instead of trying again per case. :meth:`OpenAIJudge.probe`
finds most of these with one cheap request before any answer is generated. Replies are handed over as
they arrive (:meth:`OpenAIJudge.complete_streaming`), so the scores complete before an outage are kept.
"""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Sequence
from urllib.parse import urlsplit

import httpx2
import tenacity
import tenacity.stop

from urial_check.http import (
    AFTER_CONNECT_ERRORS,
    BudgetSpent,
    RetryBudget,
    deadline_client,
    redact,
    retry_after,
    send,
    snippet,
    transport_reason,
)
from urial_check.measures.judges.base import JudgeConfigError, JudgeError, JudgeUnavailable
from urial_check.measures.judges.chat import ChatJudge, Conversation, PromptSet, ReplyCallback
from urial_check.measures.judges.just_eval import prompt_set

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504}) | frozenset(range(520, 530))
_FATAL_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not found"}
#: The probe's own deadline (at most the judge's per-request deadline).
PROBE_DEADLINE_S = 15.0


class _RetryableStatus(Exception):
    def __init__(self, response: httpx2.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.status = response.status_code
        self.retry_after = retry_after(response)


def _listed_models(response: httpx2.Response) -> list[str]:
    """The model ids of a ``GET /models`` reply (OpenAI's ``{"data": [{"id": ...}]}``); [] if unreadable."""
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        return []
    if not isinstance(data, list):
        return []
    return [str(entry["id"]) for entry in data if isinstance(entry, dict) and isinstance(entry.get("id"), str)]


def _without_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@`` (credentials never reach ids, reports or logs)."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}{sep}***@{authority.rpartition('@')[2]}{slash}{path}"


def _is_json(response: httpx2.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


class OpenAIJudge(ChatJudge):
    """Scores with a chat model behind ``{base_url}/chat/completions``."""

    def __init__(
        self,
        model: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        concurrency: int = 4,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        retry_budget_s: float = 300.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        max_tokens: int = 1024,
        prompts: PromptSet | None = None,
        prompt: str = "default",
        purpose: str = "judge",
    ) -> None:
        if not model or not model.strip():
            raise JudgeConfigError("openai judge: a model name is required")
        try:
            parts = urlsplit(base_url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
        except ValueError as exc:  # an unclosed [IPv6] bracket, a port that is not a number
            raise JudgeConfigError(f"openai judge: base URL {_without_userinfo(base_url)!r} is not a valid URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise JudgeConfigError(f"openai judge: base URL must start with http:// or https://, got {base_url!r}")
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (concurrency, max_retries, max_tokens)):
            raise JudgeConfigError("openai judge: concurrency, max_retries and max_tokens must be whole numbers")
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                   for x in (timeout_s, retry_budget_s, backoff_s, max_backoff_s)):
            raise JudgeConfigError("openai judge: timeout_s, retry_budget_s, backoff_s and max_backoff_s must be numbers")
        if (concurrency < 1 or max_retries < 0 or not 0 < timeout_s < math.inf or max_tokens < 1 or not retry_budget_s >= 0
                or not 0 <= backoff_s < math.inf or not 0 <= max_backoff_s < math.inf):
            raise JudgeConfigError(
                "openai judge: concurrency and max_tokens must be >= 1, max_retries, the retry budget and back-off >= 0, "
                "timeout > 0 and finite"
            )
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.retry_budget = RetryBudget(retry_budget_s)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_tokens = max_tokens
        if prompts is not None and prompt != "default":
            raise JudgeConfigError("give either prompts or prompt, not both")
        #: The prompt mode: "default" (our prompts) or "just-eval" (just-eval's protocol).
        self.prompt = prompt
        self.prompts = prompts or prompt_set(prompt)
        #: What the endpoint serves here ("judge", "refusal classifier"), for error messages.
        self.purpose = purpose
        #: The base URL as shown in ids, reprs and messages: any user:password in it is masked.
        self.shown_url = _without_userinfo(self.base_url)
        self.id = f"openai:{model}@{self.shown_url}"
        self.prompt_version = self.prompts.version
        self.supports_custom_aspects = True
        self._url = f"{self.base_url}/chat/completions"
        self._unavailable: JudgeUnavailable | None = None
        #: Whether the endpoint has been reached this session: a refused connection after that is a
        #: blip worth retrying, before it the endpoint is not there.
        self._reached = False
        self._lock = threading.Lock()
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env, "").strip()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = deadline_client(headers=headers, max_connections=concurrency, proxy_for=self.base_url)

    def __repr__(self) -> str:
        return f"OpenAIJudge(model={self.model!r}, base_url={self.shown_url!r}, api_key_env={self.api_key_env!r})"

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ the probe

    def probe(self) -> None:
        """One cheap request, before any answer is generated: can this endpoint be used at all?

        ``GET {base_url}/models``; where a server has no model list (404, 405, 501, or a reply that
        is not JSON, such as a web page), a one-token chat request for the judge model instead. A
        redirect is refused: the judge does not follow it. Where the list names models, the judge's model
        must be one of them (an empty or unreadable list is not checked). Raises
        :class:`JudgeUnavailable` (one line) for connection failures, timeouts, a model the list
        lacks, 401/403/404 and other refusals; 429 (busy) passes.
        Not retried and not remembered: the real requests decide about the session.
        """
        deadline = min(self.timeout_s, PROBE_DEADLINE_S)
        try:
            response = send(self._client, "GET", f"{self.base_url}/models", deadline_s=deadline)
            # No model list (404, 405, 501), or a 2xx that is not JSON (a web page answering every GET)
            listing = response.status_code not in (404, 405, 501) and not (
                response.status_code < 300 and not _is_json(response))
            if not listing:
                body = {"model": self.model, "messages": [{"role": "user", "content": "Say OK."}],
                        "temperature": 0, "max_tokens": 1}
                response = send(self._client, "POST", self._url, json=body, deadline_s=deadline)
        except httpx2.TimeoutException:
            raise self._unavailable_error(f"no answer within {deadline:g} s") from None
        except httpx2.TransportError as exc:
            raise self._unavailable_error(transport_reason(exc, self._redact(str(exc)))) from None
        status = response.status_code
        if 300 <= status < 400:  # not followed: requests would meet the same redirect
            location = response.headers.get("location", "")
            to = f" to {self._redact(snippet(location, 200))}" if location else ""
            raise self._unavailable_error(f"HTTP {status} redirect{to}; give the final URL as the base URL")
        if status < 400 and listing:
            served = _listed_models(response)
            if served and self.model not in served:
                shown = ", ".join(served[:10]) + (f" and {len(served) - 10} more" if len(served) > 10 else "")
                raise self._unavailable_error(f"it does not serve the model {self.model!r} (GET /models lists: "
                                              f"{self._redact(snippet(shown, 300))})")
            return
        if status < 400 or status == 429:
            return
        if status in _FATAL_STATUS:
            raise self._unavailable_error(self._fatal(status))
        raise self._unavailable_error(f"HTTP {status}: {self._redact(snippet(response.text))}")

    def _unavailable_error(self, reason: str) -> JudgeUnavailable:
        return JudgeUnavailable(f"{self.purpose} endpoint {self.shown_url} unavailable: {reason}")

    # ------------------------------------------------------------------ requests

    def complete_many(self, conversations: Sequence[Conversation]) -> list[str | JudgeError]:
        return self.complete_streaming(conversations, lambda index, reply: None)

    def complete_streaming(self, conversations: Sequence[Conversation], on_reply: ReplyCallback) -> list[str | JudgeError]:
        """Replies in order, each handed to ``on_reply(index, reply)`` in this thread as it arrives.

        When the endpoint is lost part-way, the requests in flight finish (their replies are handed over),
        the others are not sent, and JudgeUnavailable is raised once every worker has stopped.
        """
        if not conversations:
            return []
        self._fail_fast()
        outcomes: dict[int, str | JudgeError] = {}
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(conversations))) as pool:
            futures = {pool.submit(self.complete_one, conv): i for i, conv in enumerate(conversations)}
            for future in as_completed(futures):
                try:
                    reply: str | JudgeError = future.result()
                except JudgeUnavailable:
                    continue  # latched; raised below once every worker has stopped
                except JudgeError as exc:
                    reply = exc
                outcomes[futures[future]] = reply
                on_reply(futures[future], reply)
        self._fail_fast()
        return [outcomes[i] for i in range(len(conversations))]

    def complete_one(self, conversation: Conversation) -> str:
        """One chat completion, with the retries, budget and down-latch of :meth:`complete_many` (raises
        JudgeError for this conversation, JudgeUnavailable when the endpoint is down)."""
        self._fail_fast()
        body = {"model": self.model, "messages": conversation, "temperature": 0, "max_tokens": self.max_tokens}
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(self._retryable),
            stop=tenacity.stop_after_attempt(self.max_retries + 1) | BudgetSpent(self.retry_budget),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    response = self._attempt(body, retried=attempts > 1)
        except httpx2.TimeoutException:
            raise self._latch(f"no answer within {self.timeout_s:g} s, {self._attempts(attempts)}") from None
        except _RetryableStatus as exc:
            raise self._latch(f"HTTP {exc.status} after {self._attempts(attempts)}") from None
        except httpx2.TransportError as exc:
            reason = transport_reason(exc, self._redact(str(exc)))
            raise self._latch(reason if attempts == 1 else f"{reason}, {self._attempts(attempts)}") from None
        return self._content(response)

    def _retryable(self, error: BaseException) -> bool:
        """429/5xx, timeouts, connections dropped after they were made; a refused connection only
        once the endpoint has answered (before that, nothing is there to retry)."""
        if isinstance(error, (_RetryableStatus, httpx2.TimeoutException, *AFTER_CONNECT_ERRORS)):
            return True
        return isinstance(error, httpx2.ConnectError) and self._reached

    def _attempt(self, body: dict[str, Any], *, retried: bool) -> httpx2.Response:
        """One request; a retried one is charged to the run's retry budget and cannot outlast it."""
        if not retried:
            return self._post(body, self.timeout_s)
        deadline = self.retry_budget.hold(self.timeout_s)  # held: concurrent retries cannot overspend it
        if deadline <= 0:  # another request spent the budget since this one's last attempt
            raise httpx2.TimeoutException("the run's retry budget is used up")
        started = time.monotonic()
        try:
            return self._post(body, deadline)
        finally:
            self.retry_budget.settle(deadline, time.monotonic() - started)

    def _attempts(self, attempts: int) -> str:
        text = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if attempts < self.max_retries + 1:
            text += f"; the run's retry budget of {self.retry_budget.seconds:g} s used up"
        return text

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        self._fail_fast()
        self.retry_budget.charge(state.upcoming_sleep)

    def _post(self, body: dict[str, Any], deadline_s: float) -> httpx2.Response:
        self._fail_fast()
        try:
            response = send(self._client, "POST", self._url, json=body, deadline_s=deadline_s)
        except AFTER_CONNECT_ERRORS:
            self._reached = True
            raise
        self._reached = True
        if response.status_code in _RETRY_STATUS:
            raise _RetryableStatus(response)
        if response.status_code in _FATAL_STATUS:
            raise self._latch(self._fatal(response.status_code))
        return response

    def _fatal(self, status: int) -> str:
        hint = ""
        if status in (401, 403):
            hint = f"; check the key in ${self.api_key_env}" if os.environ.get(self.api_key_env) else (
                f"; ${self.api_key_env} is not set"
            )
        elif status == 404:
            hint = "; check the base URL (it usually ends in /v1) and the model name"
        return f"HTTP {status} {_FATAL_STATUS[status]}{hint}"

    def _content(self, response: httpx2.Response) -> str:
        if response.status_code >= 400:
            raise JudgeError(f"{self.id}: HTTP {response.status_code}: {self._redact(snippet(response.text))}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise JudgeError(f"{self.id}: not a chat-completions reply: {self._redact(snippet(response.text))}") from None
        if not isinstance(content, str):
            raise JudgeError(f"{self.id}: reply has no text content")
        return self._redact(content)  # reasons, raw text, parse errors and caches all come from here

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = min(self.max_backoff_s, self.backoff_s * 2 ** (state.attempt_number - 1))
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _RetryableStatus) and error.retry_after is not None:
            backoff = min(self.max_backoff_s, max(backoff, error.retry_after))
        return min(backoff, self.retry_budget.remaining)

    # ------------------------------------------------------------------ session-wide failure

    def _latch(self, reason: str) -> JudgeUnavailable:
        with self._lock:
            if self._unavailable is None:
                self._unavailable = self._unavailable_error(reason)
            return self._unavailable

    def _fail_fast(self) -> None:
        if self._unavailable is not None:
            raise self._unavailable

    def _redact(self, text: str) -> str:
        """``text`` (something the endpoint sent) without the API key or any bearer token."""
        key = os.environ.get(self.api_key_env, "").strip()
        auth = self._client.headers.get("authorization", "")
        return redact(text, (key, auth.removeprefix("Bearer ").strip()))


