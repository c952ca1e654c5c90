"""URIAL prompting: the prompt text, rendering a conversation into it, and cutting answers.

A URIAL prompt file is plain text: a system preamble followed by in-context examples written
as ``# Query:`` / ``# Answer:`` blocks, each body fenced with triple backticks. Rendering a
conversation appends its turns in exactly that format and leaves an open answer block::

    <prompt text as read>
    \\n# Query:\\n```\\n<turn 1>\\n```\\n
    \\n# Answer:\\n```\\n<turn 2>\\n```\\n
    ...
    \\n# Answer:\\n```\\n            <- the model continues here
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Sequence

QUERY_ROLE = "# Query:"
ANSWER_ROLE = "# Answer:"
FENCE = "```"
#: Generation stops at the first of these (the model starting a new query or heading).
STOP_STRINGS: tuple[str, ...] = ("# Query", "# User", "```\n\n#")
DEFAULT_PROMPT_RESOURCE = "default.txt"
#: An in-context example: a ``# Query:`` heading line, later followed by an ``# Answer:`` one.
_EXAMPLE_RE = re.compile(r"^# Query:[ \t]*$.*?^# Answer:[ \t]*$", re.M | re.S)


class PromptError(ValueError):
    """A prompt file cannot be used; the message names the file."""


@dataclass(frozen=True)
class UrialPrompt:
    """A URIAL prompt: preamble plus in-context examples, ready to render conversations."""

    text: str
    source: str

    @classmethod
    def default(cls) -> UrialPrompt:
        """The built-in prompt shipped with urial-check (``urial_check/prompts/default.txt``)."""
        text = resources.files("urial_check.prompts").joinpath(DEFAULT_PROMPT_RESOURCE).read_text("utf-8")
        return cls(text=text, source="builtin:default")

    @classmethod
    def from_file(cls, path: Path | str) -> UrialPrompt:
        """Load any URIAL-format prompt file, keeping its text byte for byte (trailing newline too)."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PromptError(f"{path}: cannot read prompt file: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise PromptError(f"{path}:{line}: prompt file is not valid UTF-8") from None
        if not text.strip():
            raise PromptError(f"{path}: prompt file is empty")
        return cls(text=text, source=str(path))

    @property
    def examples(self) -> int:
        """How many ``# Query:`` / ``# Answer:`` examples the prompt holds (URIAL prompts have a few)."""
        return len(_EXAMPLE_RE.findall(self.text))

    def format_warning(self) -> str | None:
        """Why the text does not look like a URIAL prompt, or None when it does."""
        if self.examples:
            return None
        return (f"{self.source} has no '{QUERY_ROLE}' / '{ANSWER_ROLE}' example; a URIAL prompt is a preamble "
                f"followed by examples in that format (the model gets no in-context alignment)")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def render(self, turns: Sequence[str]) -> str:
        """Render a conversation (user, assistant, ..., user) into the full prompt for the model."""
        if isinstance(turns, str):
            raise TypeError("render() takes a list of turns, not a string")
        if len(turns) % 2 != 1:
            raise ValueError(f"a conversation needs an odd number of turns (ending with the user), got {len(turns)}")
        parts = [self.text]
        for index, turn in enumerate(turns):
            role = QUERY_ROLE if index % 2 == 0 else ANSWER_ROLE
            parts.append("\n" + role + "\n" + FENCE + "\n" + turn + "\n" + FENCE + "\n")
        parts.append("\n" + ANSWER_ROLE + "\n" + FENCE + "\n")
        return "".join(parts)


def find_stop(text: str, stops: Sequence[str] = STOP_STRINGS) -> int | None:
    """Index of the earliest stop string in ``text``, or None."""
    hits = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(hits) if hits else None


def cut_answer(generated: str, stops: Sequence[str] = STOP_STRINGS) -> str:
    """The answer inside raw generated text: cut at the first stop, closing fence removed.

    Code fences inside the answer are kept: the last fence line is treated as the answer's
    closing fence only when the fence lines before the cut are unbalanced (odd in number).
    """
    stop = find_stop(generated, stops)
    text = generated if stop is None else generated[:stop]
    if stop is not None and generated.startswith(FENCE, stop) and _fence_count(text) % 2 == 1:
        # The stop's fence closes a code block the answer opened (the answer's own closing fence
        # is missing): keep it with the code block.
        text = generated[: stop + len(FENCE)]
    text = text.rstrip()
    lines = text.split("\n")
    fence_lines = [i for i, line in enumerate(lines) if line.strip().startswith(FENCE)]
    if fence_lines and len(fence_lines) % 2 == 1 and lines[fence_lines[-1]].strip() == FENCE:
        last = fence_lines[-1]
        if all(not line.strip() for line in lines[last + 1 :]):
            lines = lines[:last]
    return "\n".join(lines).strip()


def _fence_count(text: str) -> int:
    return sum(1 for line in text.split("\n") if line.strip().startswith(FENCE))
