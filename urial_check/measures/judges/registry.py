"""Six-aspect quality scores from pluggable judges.

``heuristic`` (the default) is an offline, deterministic proxy; ``openai`` talks to any
OpenAI-compatible chat-completions endpoint; ``hf`` runs a local chat model through
transformers. All three implement :class:`Judge`. The implementations live in
:mod:`urial_check.measures.judges`; this module is the public face.
"""

from __future__ import annotations

from typing import Any

from urial_check.measures.judges.base import (
    ASPECTS,
    JOINT_ASPECTS,
    BaseJudge,
    Judge,
    JudgeConfigError,
    JudgeError,
    JudgeItem,
    JudgeParseError,
    JudgeResult,
    JudgeUnavailable,
)
from urial_check.measures.judges.chat import ChatJudge, JudgePrompts, PromptSet
from urial_check.measures.judges.heuristic import HeuristicJudge
from urial_check.measures.judges.hf import HFJudge
from urial_check.measures.judges.just_eval import PROMPT_MODES, JustEvalPrompts, JustEvalSummary, prompt_set, summarize
from urial_check.measures.judges.parse import normalise_score, parse_judgement, parse_judgement_allowing_na, parse_scores

JUDGE_KINDS: tuple[str, ...] = ("heuristic", "openai", "hf")


def make_judge(kind: str, **options: Any) -> Judge:
    """Build a judge by name (``--urial-judge``).

    * ``heuristic``: no options.
    * ``openai``: ``model`` (required), ``base_url``, ``api_key_env``, ``concurrency``,
      ``timeout_s`` (total deadline per request), ``max_retries``, ``retry_budget_s`` (time for
      retries over the whole run), ``backoff_s``, ``max_tokens``, ``prompt``.
    * ``hf``: ``model`` and ``tokenizer`` (already loaded), ``model_id``, ``batch_size``,
      ``max_new_tokens``, ``prompt``, ``fingerprint`` (of the weights; part of cache keys).

    ``prompt`` picks the chat judges' protocol (:data:`PROMPT_MODES`): ``"default"``, our
    prompts; ``"just-eval"``, just-eval's two-request protocol with N/A allowed and never
    counted as a score (:mod:`urial_check.measures.judges.just_eval`).
    """
    if kind == "heuristic":
        if options:
            raise JudgeConfigError(f"the heuristic judge takes no options, got {', '.join(sorted(options))}")
        return HeuristicJudge()
    if kind == "openai":
        from urial_check.measures.judges.openai import OpenAIJudge  # lazy: imports httpx2

        return OpenAIJudge(**options)
    if kind == "hf":
        return HFJudge(**options)
    raise JudgeConfigError(f"unknown judge {kind!r} (choose from: {', '.join(JUDGE_KINDS)})")


__all__ = [
    "ASPECTS",
    "JOINT_ASPECTS",
    "JUDGE_KINDS",
    "PROMPT_MODES",
    "BaseJudge",
    "ChatJudge",
    "HeuristicJudge",
    "Judge",
    "JudgeConfigError",
    "JudgeError",
    "JudgeItem",
    "JudgeParseError",
    "JudgePrompts",
    "JudgeResult",
    "JudgeUnavailable",
    "JustEvalPrompts",
    "JustEvalSummary",
    "PromptSet",
    "make_judge",
    "normalise_score",
    "parse_judgement",
    "parse_judgement_allowing_na",
    "prompt_set",
    "parse_scores",
    "summarize",
]
