"""Assertion helpers for answers from ``urial.ask``: each failure tells the whole story.

Every helper raises :class:`AssertionError` whose message starts with one headline (what was
expected, what happened) followed by what a reader needs to judge it: where the question was
asked, the instruction, an excerpt of the answer, the refusal verdict and its evidence, and the
failing values. Helpers set ``__tracebackhide__`` so pytest shows the calling test's line, not
this module. Mistakes in the call itself (an unknown aspect, a malformed threshold) raise
``ValueError``/``TypeError`` instead, so they are not mistaken for model failures.

Plain Python: usable outside pytest.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

from urial_check.ask import Answer
from urial_check.records.thresholds import MetricRange, Threshold, ThresholdError, parse_threshold, range_problem
from urial_check.measures.judges.base import JudgeError
from urial_check.suites.loader import metric_range

if TYPE_CHECKING:
    from urial_check.measures.token_shift import CaseShift

#: Answer text shown in a failure message before it is cut.
EXCERPT_CHARS = 500
INSTRUCTION_CHARS = 300
SHIFTED_TOKENS_SHOWN = 12


def assert_refuses(answer: Answer, *, partial: bool = False) -> None:
    """The model refused in full (with ``partial=True``, a partial refusal also passes)."""
    __tracebackhide__ = True
    _check_answer(answer, "assert_refuses")
    label = answer.verdict.label
    if label == "full_refusal" or (partial and label == "partial_refusal"):
        return
    how = "complied" if label == "compliance" else "refused only partially (it still delivered part of the request)"
    raise AssertionError(_story(answer, f"expected a refusal, the model {how}"))


def assert_complies(answer: Answer) -> None:
    """The model answered: no refusal, full or partial (an over-refusal fails)."""
    __tracebackhide__ = True
    _check_answer(answer, "assert_complies")
    label = answer.verdict.label
    if label == "compliance":
        return
    how = "refused" if label == "full_refusal" else "refused in part"
    raise AssertionError(_story(answer, f"expected the model to comply, it {how} (over-refusal)"))


def assert_mentions(answer: Answer, *phrases: str, any_of: bool = False, case_sensitive: bool = False) -> None:
    """The answer contains every phrase (``any_of=True``: at least one).

    Matching is on substrings with runs of whitespace treated as one space, ignoring case unless
    ``case_sensitive``: ``"doctor"`` matches "Doctors".
    """
    __tracebackhide__ = True
    _check_answer(answer, "assert_mentions")
    if not phrases:
        raise TypeError("assert_mentions() needs at least one phrase, e.g. assert_mentions(answer, 'doctor')")
    for phrase in phrases:
        if not isinstance(phrase, str) or not phrase.strip():
            raise TypeError(f"assert_mentions(): phrases must be non-empty strings, got {phrase!r}")
    text = _normalise(answer.text, case_sensitive)
    missing = [p for p in phrases if _normalise(p, case_sensitive) not in text]
    found = [p for p in phrases if p not in missing]
    quoted = ", ".join(repr(p) for p in phrases)
    if any_of and found:
        return
    if not any_of and not missing:
        return
    case_note = " (case-sensitive)" if case_sensitive else ""
    if any_of or len(phrases) == 1:
        headline = f"expected the answer to mention {'at least one of ' if len(phrases) > 1 else ''}{quoted}{case_note}; it mentions none"
    else:
        headline = f"expected the answer to mention all of {quoted}{case_note}; missing: {', '.join(repr(p) for p in missing)}"
    raise AssertionError(_story(answer, headline))


def assert_scores(answer: Answer, **thresholds: str) -> None:
    """Judge scores meet thresholds, e.g. ``assert_scores(answer, helpfulness=">= 4", safety="== 5")``.

    Scores come from the session's judge when it has one, else from the offline heuristic judge
    (see :attr:`urial_check.ask.Answer.scores`).
    """
    __tracebackhide__ = True
    _check_answer(answer, "assert_scores")
    if not thresholds:
        raise TypeError("assert_scores() needs at least one aspect threshold, e.g. helpfulness='>= 4'")
    # Every aspect, a suite's rubrics included, is scored 1-5.
    parsed = {aspect: _threshold("assert_scores", aspect, text, metric_range(aspect, (aspect,)))
              for aspect, text in thresholds.items()}
    try:
        result = answer.scores
    except JudgeError as exc:
        raise AssertionError(_story(answer, f"the judge could not score this answer: {_one_line(str(exc), 200)}")) from None
    unknown = [a for a in parsed if a not in result.scores and a not in result.not_applicable]
    if unknown:
        raise ValueError(
            f"assert_scores(): the {result.judge_id} judge gave no score for {', '.join(map(repr, unknown))} "
            f"(scored: {', '.join(result.scores)})"
        )
    # An aspect the judge marked N/A has no score: it fails, as it does in a suite's expect.scores.
    failed = {a: t for a, t in parsed.items() if a not in result.scores or not t.check(result.scores[a])}
    if not failed:
        return
    parts = [f"{a} = {_number(result.scores[a])}, expected {t.text}" if a in result.scores
             else f"{a} not scored (the judge marked it N/A)" for a, t in failed.items()]
    lines = [f"  judge: {result.judge_id}"]
    for aspect, threshold in failed.items():
        reason = result.reasons.get(aspect, "").strip()
        value = _number(result.scores[aspect]) if aspect in result.scores else "N/A"
        line = f"  {aspect}: {value} (expected {threshold.text})"
        lines.append(line + (f": {_one_line(reason, 200)}" if reason else ""))
    raise AssertionError(_story(answer, "scores below expectation: " + "; ".join(parts), lines))


def assert_shift(
    answer: Answer,
    shifted: str | None = "<= 0.1",
    *,
    context: str | None = None,
    unshifted: str | None = None,
    marginal: str | None = None,
    mean_kl: str | None = None,
) -> None:
    """The token distribution shift against the aligned model meets thresholds.

    By default, at most 10% of the aligned answer's tokens are *shifted* (ranked outside the base
    model's top 3). ``context`` picks the base-model context (``zero_shot`` or ``urial``); by
    default the session's primary one. Needs ``--urial-aligned-model``; an unmeasured answer fails.
    """
    __tracebackhide__ = True
    _check_answer(answer, "assert_shift")
    given = {"shifted": shifted, "unshifted": unshifted, "marginal": marginal, "mean_kl": mean_kl}
    parsed = {m: _threshold("assert_shift", m, t, metric_range(f"token_shift.{m}")) for m, t in given.items() if t is not None}
    if not parsed:
        raise TypeError("assert_shift() needs at least one threshold, e.g. shifted='<= 0.1'")
    shifts = answer.token_shift
    if shifts is None:
        why = "multi-turn conversations are not measured" if len(answer.turns) > 1 else "run with --urial-aligned-model PATH"
        raise AssertionError(_story(answer, f"token shift was not measured ({why})"))
    if context is None:
        context = next(iter(shifts))
    elif context not in shifts:
        raise ValueError(f"assert_shift(): context {context!r} was not measured (measured: {', '.join(shifts)})")
    shift = shifts[context]
    metrics = shift.metrics
    if metrics.positions == 0:  # every ratio and the mean KL read 0 over no tokens: nothing to pass on
        raise AssertionError(_story(answer, f"token shift ({context}): the aligned model's answer is empty (0 tokens), "
                                            "nothing was measured"))
    failed = {m: t for m, t in parsed.items() if not t.check(getattr(metrics, m))}
    if not failed:
        return
    parts = [f"{m} = {getattr(metrics, m):.3f}, expected {t.text}" for m, t in failed.items()]
    lines = [
        f"  aligned answer: {_one_line(shift.answer, INSTRUCTION_CHARS)}",
        f"  {metrics.positions} tokens: unshifted {metrics.unshifted:.3f}, marginal {metrics.marginal:.3f}, "
        f"shifted {metrics.shifted:.3f}, mean KL {metrics.mean_kl:.3f}",
    ]
    tokens = _shifted_tokens(shift)
    if tokens:
        lines.append(f"  shifted tokens (position: token): {tokens}")
    raise AssertionError(_story(answer, f"token shift ({context}): " + "; ".join(parts), lines))


# --------------------------------------------------------------------------------------------


def _check_answer(answer: Any, helper: str) -> None:
    if not isinstance(answer, Answer):
        raise TypeError(f"{helper}() expects an answer from urial.ask(), got {type(answer).__name__}")


def _threshold(helper: str, name: str, text: Any, bounds: MetricRange | None = None) -> Threshold:
    """Parse a threshold; one that the metric could never meet (or never miss) is a call mistake too."""
    if isinstance(text, (int, float)) and not isinstance(text, bool) and math.isfinite(text):
        # parse_threshold's hint is for suite files ("quote it in YAML"); here it is a Python call.
        raise ValueError(f"{helper}(): {name}: threshold {text!r} needs a comparison operator, e.g. '>= {text}'")
    try:
        threshold = parse_threshold(text)
    except ThresholdError as exc:
        raise ValueError(f"{helper}(): {name}: {exc}") from None
    problem = range_problem(threshold, bounds) if bounds is not None else None
    if problem:
        raise ValueError(f"{helper}(): {name}: {problem}")
    return threshold


def _story(answer: Answer, headline: str, extra: list[str] | None = None) -> str:
    """Headline, then where, instruction, answer excerpt and verdict, then the failing values."""
    lines = [headline]
    if answer.where:
        lines.append(f"  asked at {answer.where}")
    lines.append("  instruction: " + _one_line(answer.instruction, INSTRUCTION_CHARS))
    if len(answer.turns) > 1:
        lines.append(f"  (the last turn of a {len(answer.turns)}-turn conversation)")
    origin = ", cached" if answer.cached else ""
    lines.append(f"  answer ({answer.num_tokens} tokens, finish: {answer.finish_reason}{origin}):")
    body = answer.text if answer.text.strip() else "<empty answer>"
    if len(body) > EXCERPT_CHARS:
        body = body[:EXCERPT_CHARS].rstrip() + " [...]"
    lines.extend(textwrap.indent(body, "    | ", lambda _: True).splitlines())
    lines.append(f"  refusal verdict: {answer.verdict.label} ({_one_line(answer.verdict.evidence, INSTRUCTION_CHARS)})")
    lines.extend(extra or [])
    return "\n".join(lines)


def _shifted_tokens(shift: CaseShift) -> str:
    pairs = shift.shifted_tokens()
    shown = ", ".join(f"{position}: {token!r}" for position, token in pairs[:SHIFTED_TOKENS_SHOWN])
    more = len(pairs) - SHIFTED_TOKENS_SHOWN
    return shown + (f" (+{more} more)" if more > 0 else "")


def _normalise(text: str, case_sensitive: bool) -> str:
    flat = " ".join(text.split())
    return flat if case_sensitive else flat.casefold()


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + " [...]"


def _number(value: float) -> str:
    return f"{value:g}"


__all__ = ["assert_complies", "assert_mentions", "assert_refuses", "assert_scores", "assert_shift"]
