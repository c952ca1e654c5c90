"""The ``openai`` detector: an LLM refusal classifier over any OpenAI-compatible chat endpoint.

It sends our three-class prompt (``prompts/refusal_classifier.txt``, modelled on the XSTest
annotation guidelines: full compliance, full refusal, partial refusal) at temperature 0 and
reads the reply strictly: one of ``compliance``, ``full_refusal``, ``partial_refusal`` (any
case, surrounding whitespace and one final full stop allowed) or the JSON object
``{"label": "<one of them>"}``. Anything else is a :class:`DetectorError` for that answer,
quoting the reply; nothing is guessed.

The HTTP side (one pooled client, bounded concurrency, retries with backoff on 429/5xx and
timeouts, the API key kept out of ids, records and messages, a session-wide latch when the
endpoint is down) is the ``openai`` judge's :class:`~urial_check.measures.judges.openai.OpenAIJudge`,
used here for its requests (``complete_streaming``), so that each verdict is handed over as it arrives
(:meth:`OpenAIDetector.detect_streaming`) and an endpoint lost part-way through a batch loses none of the
verdicts received.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Sequence

from urial_check.measures.judges.base import JudgeConfigError, JudgeError, JudgeUnavailable
from urial_check.measures.judges.chat import Conversation
from urial_check.measures.judges.openai import DEFAULT_API_KEY_ENV, DEFAULT_BASE_URL, OpenAIJudge
from urial_check.measures.refusal import RefusalVerdict
from urial_check.measures.detectors.base import (
    LABELS,
    BaseDetector,
    DetectItem,
    DetectorConfigError,
    DetectorError,
    DetectorUnavailable,
    PromptTemplate,
    VerdictCallback,
)

PROMPT_RESOURCE = "refusal_classifier.txt"
#: Tokens allowed for the reply: one label, with room for a model that adds a newline.
MAX_REPLY_TOKENS = 16


def builtin_prompt() -> PromptTemplate:
    text = resources.files("urial_check.prompts").joinpath(PROMPT_RESOURCE).read_text("utf-8")
    return PromptTemplate(text, source=f"urial_check/prompts/{PROMPT_RESOURCE}")


def parse_label(reply: str) -> str | None:
    """Our label if ``reply`` is exactly one (see the module doc), else None."""
    text = reply.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text, object_pairs_hook=_unique_keys)
        except ValueError:  # not JSON, or a key given twice (two labels: which one?)
            return None
        if isinstance(value, dict) and set(value) == {"label"} and value["label"] in LABELS:
            return str(value["label"])
        return None
    word = text[:-1] if text.endswith(".") else text
    word = word.lower()
    return word if word in LABELS else None


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a key is given twice")
    return dict(pairs)


class OpenAIDetector(BaseDetector):
    """Classifies answers with a chat model behind ``{base_url}/chat/completions``."""

    cacheable = True

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
        prompt: PromptTemplate | None = None,
    ) -> None:
        self.prompt = prompt or builtin_prompt()
        try:
            self._endpoint = OpenAIJudge(
                model, base_url, api_key_env=api_key_env, concurrency=concurrency, timeout_s=timeout_s,
                max_retries=max_retries, backoff_s=backoff_s, max_tokens=MAX_REPLY_TOKENS, purpose="refusal classifier",
            )
        except JudgeConfigError as exc:
            raise DetectorConfigError(str(exc).replace("openai judge", "openai refusal detector")) from None
        self.model = model
        #: As shown in the id, reprs and messages: any user:password in the URL is masked.
        self.base_url = self._endpoint.shown_url
        self.id = f"openai:{model}@{self.base_url}:{self.prompt.sha256[:12]}"

    def __repr__(self) -> str:
        return f"OpenAIDetector(model={self.model!r}, base_url={self.base_url!r})"

    def probe(self) -> None:
        """The judge's start-up probe (:meth:`OpenAIJudge.probe`): is the endpoint there, and does it
        serve this model? Raises :class:`DetectorUnavailable` (one line)."""
        try:
            self._endpoint.probe()
        except JudgeError as exc:
            raise DetectorUnavailable(str(exc)) from None

    def detect_outcomes(self, items: Sequence[DetectItem]) -> list[RefusalVerdict | DetectorError]:
        return self.detect_streaming(items, lambda index, verdict: None)

    def detect_streaming(self, items: Sequence[DetectItem], on_verdict: VerdictCallback) -> list[RefusalVerdict | DetectorError]:
        """Outcomes in order, each verdict handed to ``on_verdict(index, verdict)`` in this thread as it arrives.

        When the endpoint is lost part-way, the requests in flight finish, the others are not sent, and
        the :class:`DetectorUnavailable` raised carries the verdicts received (``verdicts``).
        """
        if not items:
            return []
        outcomes: dict[int, RefusalVerdict | DetectorError] = {}

        def arrived(index: int, reply: str | JudgeError) -> None:
            outcomes[index] = outcome = self._outcome(reply)
            if isinstance(outcome, RefusalVerdict):
                on_verdict(index, outcome)

        try:
            self._endpoint.complete_streaming([self._conversation(item) for item in items], arrived)
        except JudgeUnavailable as exc:
            verdicts = {i: o for i, o in outcomes.items() if isinstance(o, RefusalVerdict)}
            raise DetectorUnavailable(str(exc), verdicts) from None
        return [outcomes[i] for i in range(len(items))]

    def _conversation(self, item: DetectItem) -> Conversation:
        response, instruction = item
        return [{"role": "user", "content": self.prompt.render(instruction, response)}]

    def _outcome(self, reply: str | JudgeError) -> RefusalVerdict | DetectorError:
        if isinstance(reply, JudgeError):  # its message starts with the endpoint's id, which ours includes
            message = str(reply).removeprefix(f"{self._endpoint.id}: ")
            return DetectorError(f"refusal classifier {self.id}: {message}")
        label = parse_label(reply)
        if label is None:
            flat = " ".join(reply.split())
            return DetectorError(f"refusal classifier {self.id}: reply is not one of {', '.join(LABELS)}: {flat[:120]!r}")
        return self.verdict(label, reply)

    def close(self) -> None:
        self._endpoint.close()
