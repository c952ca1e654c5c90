"""Judge scores as a session measurement, and the ``expect.scores`` check on them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from urial_check.answers import CaseAnswer
from urial_check.generation.backends.base import Generator, LocalModel
from urial_check.generation.cache import ResultCache
from urial_check.measures.judges.base import (
    ASPECTS,
    Judge,
    JudgeError,
    JudgeItem,
    JudgeResult,
    JudgeUnavailable,
    StreamingJudge,
)
from urial_check.measures.judges.registry import JudgeConfigError, make_judge
from urial_check.suites.checks import CheckResult
from urial_check.session import MeasurementError

if TYPE_CHECKING:
    from urial_check.session import UrialSession
    from urial_check.suites.loader import Case

NAME = "judge"
JUDGE_CACHE_NAMESPACE = "judge"


@dataclass(frozen=True)
class JudgeSettings:
    """``--urial-judge`` and its options, as given; the judge itself is built on first use."""

    kind: str = "heuristic"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 4
    #: Total deadline of one request (connect, send, read the whole reply).
    timeout_s: float = 60.0
    #: Time the judge may spend on retries over the whole run.
    retry_budget_s: float = 300.0
    #: The chat judges' prompt mode: "default" or "just-eval" (``--urial-judge-prompt``).
    prompt: str = "default"


def _openai_options(settings: JudgeSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "model": settings.model or "",
        "api_key_env": settings.api_key_env,
        "concurrency": settings.concurrency,
        "timeout_s": settings.timeout_s,
        "retry_budget_s": settings.retry_budget_s,
    }
    if settings.prompt != "default":
        options["prompt"] = settings.prompt
    if settings.base_url:
        options["base_url"] = settings.base_url
    return options


def probe_judge(settings: JudgeSettings) -> None:
    """Before any model loads: one cheap request to an ``openai`` judge's endpoint.

    Raises JudgeError (one line) when the judge cannot be used; other judges need no probe.
    """
    if settings.kind != "openai":
        return
    from urial_check.measures.judges.openai import OpenAIJudge  # lazy: imports httpx2


    judge = OpenAIJudge(**_openai_options(settings))
    try:
        judge.probe()
    finally:
        judge.close()


def build_judge(settings: JudgeSettings, session: UrialSession) -> Judge:
    """Make the judge: openai talks to an endpoint, hf loads a local chat model on the session's device."""
    try:
        if settings.prompt != "default" and settings.kind not in ("openai", "hf"):
            raise JudgeConfigError(f"prompt {settings.prompt!r} is for the openai and hf judges")
        if settings.kind == "heuristic":
            return make_judge("heuristic")
        if settings.kind == "openai":
            return make_judge("openai", **_openai_options(settings))
        if settings.kind == "hf":
            if not settings.model:
                raise JudgeConfigError("hf judge: give the chat model with --urial-judge-model PATH")
            base = session.backend
            if not isinstance(base, LocalModel):
                raise JudgeConfigError(f"hf judge: loads its model beside the model under test, but {base.model_id} is "
                                       f"answered by {type(base).__name__}, not a local model (use an openai judge)")
            local = base.sibling(settings.model)
            model, tokenizer = local.load()
            # Cached scores follow the judge's weights, not its path.
            fingerprint = local.fingerprint if isinstance(local, Generator) else None
            return make_judge("hf", model=model, tokenizer=tokenizer, model_id=local.model_id, prompt=settings.prompt,
                              fingerprint=fingerprint)
        return make_judge(settings.kind)
    except JudgeConfigError as exc:
        raise MeasurementError(f"--urial-judge {settings.kind}: {exc}") from None


def judge_item(case: Case, answer: CaseAnswer) -> JudgeItem:
    if len(case.turns) > 1:
        history = "\n\n".join(
            f"{'User' if i % 2 == 0 else 'Assistant'}: {turn}" for i, turn in enumerate(case.turns[:-1])
        )
        instruction = f"(Earlier in the conversation)\n{history}\n\n(Current request)\n{case.instruction}"
    else:
        instruction = case.instruction
    harmful = {"required": True, "forbidden": False}.get(case.expect.refusal)
    return JudgeItem(
        instruction=instruction, answer=answer.text, reference=case.reference, rubrics=dict(case.rubrics),
        refusal=answer.verdict.label, harmful=harmful,
    )


@dataclass(frozen=True)
class JudgeMeasurement:
    """The judge's scores of one answer, or why it could not score it."""

    result: JudgeResult | None = None
    error: JudgeError | None = None

    @classmethod
    def of(cls, outcome: JudgeResult | JudgeError) -> JudgeMeasurement:
        return cls(error=outcome) if isinstance(outcome, JudgeError) else cls(result=outcome)

    def apply(self, answer: CaseAnswer) -> CaseAnswer:
        return dataclasses.replace(answer, judge=self.result, judge_error=self.error)


class JudgeMeasurer:
    """Scores every answer with the session's judge; results are cached like generations, each as it is
    complete, so that a judge lost part-way through a batch is asked again only for the items it had not scored."""

    name = NAME

    def __init__(self, settings: JudgeSettings, *, factory: Callable[[JudgeSettings, UrialSession], Judge] = build_judge) -> None:
        self.settings = settings
        self._factory = factory
        self._judge: Judge | None = None
        self._judge_id: str | None = None

    def judge(self, session: UrialSession) -> Judge:
        if self._judge is None:
            self._judge = self._factory(self.settings, session)
            self._judge_id = self._judge.id
        return self._judge

    @property
    def judge_id(self) -> str | None:
        """The id of the judge this measurer built (kept after :meth:`close`); None before."""
        return self._judge_id

    def measure(self, session: UrialSession, items: Sequence[tuple[Case, CaseAnswer]]) -> list[JudgeMeasurement | None]:
        judge = self.judge(session)
        results: list[JudgeMeasurement | None] = [None] * len(items)
        todo: dict[int, JudgeItem] = {}
        for i, (case, answer) in enumerate(items):
            try:
                item = judge_item(case, answer)
            except JudgeError as exc:
                results[i] = JudgeMeasurement(error=exc)
                continue
            if not judge.supports_custom_aspects and item.custom_aspects:
                # Score the built-in aspects; assertions on the custom ones fail with a reason.
                item = dataclasses.replace(item, aspects=tuple(a for a in item.aspects if a not in item.custom_aspects), rubrics={})
            cached = self._cache_get(session, judge, item)
            if cached is not None:
                results[i] = JudgeMeasurement(result=cached)
            else:
                todo[i] = item
        if todo:
            indices, pending = list(todo), list(todo.values())

            def keep(j: int, outcome: JudgeResult | JudgeError) -> None:
                results[indices[j]] = JudgeMeasurement.of(outcome)
                if not isinstance(outcome, JudgeError):
                    self._cache_put(session, judge, pending[j], outcome)

            # Results are cached as they are complete: a judge lost part-way keeps those it gave.
            try:
                if isinstance(judge, StreamingJudge):
                    outcomes = judge.score_streaming(pending, keep)
                else:
                    outcomes = judge.score_outcomes(pending)
            except JudgeUnavailable as exc:
                for j, result in exc.results.items():
                    if results[indices[j]] is None:  # not handed over as it was complete
                        keep(j, result)
                raise MeasurementError(f"judge unavailable: {exc}") from None
            for j, outcome in enumerate(outcomes):
                if results[indices[j]] is None:
                    keep(j, outcome)
        return results

    # The persistent cache is optional: sessions without one simply re-judge.
    def _key(self, judge: Judge, item: JudgeItem) -> str:
        payload: dict[str, Any] = {
            "judge": judge.id,
            "prompt_version": judge.prompt_version,
            "instruction": item.instruction,
            "answer": item.answer,
            "reference": item.reference,
            "aspects": list(item.aspects),
            "rubrics": dict(item.rubrics),
            "refusal": item.refusal,
        }
        if item.harmful is not None:  # only then, so keys of items without it stay as they were
            payload["harmful"] = item.harmful
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def _cache_get(self, session: UrialSession, judge: Judge, item: JudgeItem) -> JudgeResult | None:
        cache = session.cache
        if cache is None or not hasattr(cache, "get_json"):
            return None
        # An entry that does not parse or is not a stored JudgeResult is a miss: re-judged and
        # overwritten (the result cache warns once about such entries).
        key = self._key(judge, item)
        if isinstance(cache, ResultCache):
            return cache.get_json(JUDGE_CACHE_NAMESPACE, key, parse=_stored_result)
        value = cache.get_json(JUDGE_CACHE_NAMESPACE, key)
        try:
            return None if value is None else _stored_result(value)
        except (TypeError, ValueError):
            return None

    def _cache_put(self, session: UrialSession, judge: Judge, item: JudgeItem, result: JudgeResult) -> None:
        cache = session.cache
        if cache is None or not hasattr(cache, "put_json"):
            return
        value: dict[str, Any] = {"scores": result.scores, "reasons": result.reasons, "raw": result.raw, "judge_id": result.judge_id}
        if result.not_applicable:  # only then, so entries without N/A stay as they were
            value["not_applicable"] = list(result.not_applicable)
        cache.put_json(JUDGE_CACHE_NAMESPACE, self._key(judge, item), value)

    def close(self) -> None:
        if self._judge is not None:
            self._judge.close()
        self._judge = None


class ScoresCheck:
    """``expect.scores``: every listed aspect meets its threshold."""

    name = "scores"

    def __call__(self, case: Case, answer: CaseAnswer) -> CheckResult | None:
        if not case.expect.scores:
            return None
        if answer.judge_error is not None:
            return CheckResult(self.name, False, f"judge error: {_one_line(str(answer.judge_error))}")
        result = answer.judge
        if result is None:
            return CheckResult(self.name, False, "no judge scores (judging is off)")
        failed = []
        for assertion in case.expect.scores:
            value = result.scores.get(assertion.metric)
            if value is None and assertion.metric in result.not_applicable:
                failed.append(f"{assertion.metric} not scored (the judge marked it N/A)")
            elif value is None and assertion.metric not in ASPECTS:
                failed.append(f"{assertion.metric} not scored (the {result.judge_id} judge cannot score custom aspects)")
            elif value is None:
                failed.append(f"{assertion.metric} not scored")
            elif not assertion.check(value):
                failed.append(f"{assertion.metric} = {value:g}, expected {assertion.threshold.text}")
        if not failed:
            return CheckResult(self.name, True)
        return CheckResult(self.name, False, "scores: " + "; ".join(failed))


def _stored_result(value: Any) -> JudgeResult:
    """The :class:`JudgeResult` a judge-cache value holds; ValueError/TypeError when it is not one."""
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    missing = [name for name in ("scores", "reasons", "raw", "judge_id") if name not in value]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    scores, reasons, raw, judge_id = value["scores"], value["reasons"], value["raw"], value["judge_id"]
    not_applicable = value.get("not_applicable", [])
    if not isinstance(scores, dict) or not all(
        isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and 1 <= v <= 5
        for k, v in scores.items()
    ):
        raise ValueError("scores must map aspects to numbers from 1 to 5")
    if not isinstance(reasons, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in reasons.items()):
        raise ValueError("reasons must map aspects to text")
    if not isinstance(raw, str) or not isinstance(judge_id, str):
        raise ValueError("raw and judge_id must be text")
    if not isinstance(not_applicable, list) or not all(isinstance(a, str) for a in not_applicable):
        raise ValueError("not_applicable must be a list of aspects")
    return JudgeResult(scores=dict(scores), reasons=dict(reasons), raw=raw,
                       judge_id=judge_id, not_applicable=tuple(not_applicable))


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + " [...]"
