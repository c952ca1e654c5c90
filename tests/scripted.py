"""A scripted :class:`~urial_check.generation.backends.base.Generator` for tests: no model, chosen answers.

``ScriptedGenerator({"How do I pick a lock?": "I can't help with that."})`` answers that instruction
(the last user turn of the rendered URIAL prompt) with that text. Instructions the script does not
name get ``default``, or ``reply(prompt)`` when a reply function is given; with ``default=None`` and
no reply function they are an error (a test that names every case's answer fails loudly when a case
was not scripted).

It is a Generator only (no local model), so the token-shift measurer and the hf judge refuse it.
In a pytest run, a ``conftest.py`` returns one from the ``urial_generator`` fixture.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Mapping, Sequence

from urial_check.generation.backends.base import GenerationRequest, GenerationResult
from urial_check.generation.prompt import ANSWER_ROLE, FENCE, QUERY_ROLE

DEFAULT_REPLY = "Here is a short answer to that."
_QUERY_HEAD = f"\n{QUERY_ROLE}\n{FENCE}\n"
_PROMPT_TAIL = f"\n{FENCE}\n\n{ANSWER_ROLE}\n{FENCE}\n"


def last_query(prompt: str) -> str:
    """The instruction a rendered URIAL prompt asks to answer (its last ``# Query:`` block)."""
    if not prompt.endswith(_PROMPT_TAIL) or _QUERY_HEAD not in prompt:
        raise ValueError(f"not a rendered URIAL prompt: ...{prompt[-80:]!r}")
    return prompt[prompt.rindex(_QUERY_HEAD) + len(_QUERY_HEAD) : -len(_PROMPT_TAIL)]


class ScriptedGenerator:
    """Answers each request with the scripted text for its instruction; records each generate() call."""

    def __init__(
        self,
        answers: Mapping[str, str] | None = None,
        *,
        default: str | None = DEFAULT_REPLY,
        reply: Callable[[str], str] | None = None,
        model_id: str = "scripted",
        fingerprint: str | None = None,
    ) -> None:
        self.answers = dict(answers or {})
        self.default = default
        self.reply = reply
        self.model_id = model_id
        # The script is the "weights": another script must not be served this one's cached answers
        # (a reply function cannot be hashed: give two of them sharing a cache their own fingerprints).
        script = json.dumps([sorted(self.answers.items()), default, reply is not None])
        self.fingerprint = fingerprint or hashlib.sha256(script.encode()).hexdigest()
        self.calls: list[list[GenerationRequest]] = []
        self.closed = False

    @property
    def requests(self) -> list[GenerationRequest]:
        return [r for call in self.calls for r in call]

    def text_for(self, prompt: str) -> str:
        instruction = last_query(prompt)
        if instruction in self.answers:
            return self.answers[instruction]
        if self.reply is not None:
            return self.reply(prompt)
        if self.default is None:
            raise AssertionError(f"no scripted answer for {instruction!r}")
        return self.default

    def generate(
        self,
        requests: Sequence[GenerationRequest],
        on_result: Callable[[int, GenerationResult], None] | None = None,
        progress: Callable[[Any], None] | None = None,
    ) -> list[GenerationResult]:
        self.calls.append(list(requests))
        results = []
        for i, request in enumerate(requests):
            text = self.text_for(request.prompt)
            result = GenerationResult(text, 7, "stop", 0.01)
            if on_result is not None:
                on_result(i, result)
            results.append(result)
        return results

    def close(self) -> None:
        self.closed = True
