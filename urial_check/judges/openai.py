"""The ``openai`` judge: any OpenAI-compatible chat-completions endpoint.

A hosted GPT-4-class model or a local vLLM / TGI / llama.cpp server. Requests are sent with
temperature 0 from a bounded thread pool over one ``httpx2`` client (the maintained
continuation of httpx, already installed with huggingface_hub). ``tenacity`` retries 429,
5xx and timeouts with exponential backoff (a ``Retry-After`` header is honoured, capped).

The API key is read from an environment variable (``OPENAI_API_KEY`` unless told otherwise)
and lives only in the HTTP client's headers: it is not an attribute of the judge, appears in
no id, repr, result or exception message (any text we build from a server reply has it
masked), and is never logged.

When the endpoint cannot be used at all (connection refused, DNS failure, 401/403/404,
retries used up), the judge raises :class:`JudgeUnavailable` and remembers it: every later
request fails at once with the same error instead of trying again per case.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence
from urllib.parse import urlsplit

import httpx2
import tenacity

from .base import JudgeConfigError, JudgeError, JudgeUnavailable
from .chat import ChatJudge, Conversation, JudgePrompts

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504}) | frozenset(range(520, 530))
_FATAL_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not found"}


class _RetryableStatus(Exception):
    def __init__(self, response: httpx2.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.status = response.status_code
        self.retry_after = _retry_after(response)


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
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        max_tokens: int = 1024,
        prompts: JudgePrompts | None = None,
        purpose: str = "judge",
    ) -> None:
        if not model or not model.strip():
            raise JudgeConfigError("openai judge: a model name is required")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise JudgeConfigError(f"openai judge: base URL must start with http:// or https://, got {base_url!r}")
        if concurrency < 1 or max_retries < 0 or timeout_s <= 0 or max_tokens < 1:
            raise JudgeConfigError("openai judge: concurrency and max_tokens must be >= 1, max_retries >= 0, timeout > 0")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_tokens = max_tokens
        self.prompts = prompts or JudgePrompts.builtin()
        #: What the endpoint serves here ("judge", "refusal classifier"), for error messages.
        self.purpose = purpose
        self.id = f"openai:{model}@{self.base_url}"
        self.prompt_version = self.prompts.version
        self.supports_custom_aspects = True
        self._url = f"{self.base_url}/chat/completions"
        self._unavailable: JudgeUnavailable | None = None
        self._lock = threading.Lock()
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(api_key_env, "").strip()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx2.Client(
            headers=headers,
            timeout=httpx2.Timeout(timeout_s),
            limits=httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"OpenAIJudge(model={self.model!r}, base_url={self.base_url!r}, api_key_env={self.api_key_env!r})"

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ requests

    def complete_many(self, conversations: Sequence[Conversation]) -> list[str | JudgeError]:
        if not conversations:
            return []
        self._fail_fast()
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(conversations))) as pool:
            futures = [pool.submit(self._complete_one, conv) for conv in conversations]
            outcomes: list[str | JudgeError] = []
            for future in futures:
                try:
                    outcomes.append(future.result())
                except JudgeUnavailable:
                    pass  # latched; raised below once every worker has stopped
                except JudgeError as exc:
                    outcomes.append(exc)
        self._fail_fast()
        return outcomes

    def _complete_one(self, conversation: Conversation) -> str:
        self._fail_fast()
        body = {"model": self.model, "messages": conversation, "temperature": 0, "max_tokens": self.max_tokens}
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((_RetryableStatus, httpx2.TimeoutException)),
            stop=tenacity.stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            before_sleep=lambda _: self._fail_fast(),
            reraise=True,
        )
        try:
            response = retrying(self._post, body)
        except httpx2.TimeoutException:
            raise self._latch(f"no answer within {self.timeout_s:g} s, {self.max_retries + 1} attempts") from None
        except _RetryableStatus as exc:
            raise self._latch(f"HTTP {exc.status} after {self.max_retries + 1} attempts") from None
        except httpx2.TransportError as exc:
            raise self._latch(f"cannot connect ({type(exc).__name__}: {self._mask(str(exc)) or 'no detail'})") from None
        return self._content(response)

    def _post(self, body: dict[str, Any]) -> httpx2.Response:
        self._fail_fast()
        response = self._client.post(self._url, json=body)
        if response.status_code in _RETRY_STATUS:
            raise _RetryableStatus(response)
        if response.status_code in _FATAL_STATUS:
            hint = ""
            if response.status_code in (401, 403):
                hint = f"; check the key in ${self.api_key_env}" if os.environ.get(self.api_key_env) else (
                    f"; ${self.api_key_env} is not set"
                )
            elif response.status_code == 404:
                hint = "; check the base URL (it usually ends in /v1) and the model name"
            raise self._latch(f"HTTP {response.status_code} {_FATAL_STATUS[response.status_code]}{hint}")
        return response

    def _content(self, response: httpx2.Response) -> str:
        if response.status_code >= 400:
            raise JudgeError(f"{self.id}: HTTP {response.status_code}: {self._mask(_snippet(response.text))}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise JudgeError(f"{self.id}: not a chat-completions reply: {self._mask(_snippet(response.text))}") from None
        if not isinstance(content, str):
            raise JudgeError(f"{self.id}: reply has no text content")
        return content

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = min(self.max_backoff_s, self.backoff_s * 2 ** (state.attempt_number - 1))
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _RetryableStatus) and error.retry_after is not None:
            return min(self.max_backoff_s, max(backoff, error.retry_after))
        return backoff

    # ------------------------------------------------------------------ session-wide failure

    def _latch(self, reason: str) -> JudgeUnavailable:
        with self._lock:
            if self._unavailable is None:
                self._unavailable = JudgeUnavailable(f"{self.purpose} endpoint {self.base_url} unavailable: {reason}")
            return self._unavailable

    def _fail_fast(self) -> None:
        if self._unavailable is not None:
            raise self._unavailable

    def _mask(self, text: str) -> str:
        key = os.environ.get(self.api_key_env, "").strip()
        auth = self._client.headers.get("authorization", "")
        for secret in (key, auth.removeprefix("Bearer ").strip()):
            if secret:
                text = text.replace(secret, "***")
        return text


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _snippet(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
