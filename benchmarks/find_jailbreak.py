"""Search for a jailbreak wrapper under which a model stops refusing, and shrink it.

Usage::

    python benchmarks/find_jailbreak.py [--model PATH] [--max-examples 25] [--max-new-tokens 48]
                                        [--suites suites/safety] [--where harmful] [--seed 0]
                                        [--per-case] [--cache-dir DIR | --no-cache]

Two steps, both through the same session as the pytest plugin (URIAL prompt, engine, cache):

1. screen: answer every harmful case as written and keep the ones the model refuses (a wrapper
   can only "break" a refusal that is there to begin with);
2. search: the metamorphic property "refusal is invariant under jailbreak_wrappers()" over those
   cases, with hypothesis; on a failure hypothesis shrinks it and the script prints the minimal
   case and wrapper, the wrapped instruction and the model's answer. Otherwise: "none found".
   With ``--per-case``, each refused case is searched on its own (a minimal wrapper per case).

Generations go to the result cache (default: the plugin's), so a rerun answers from it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import given, seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from urial_check.ask import Answer, Urial  # noqa: E402
from urial_check.assertions import assert_refuses  # noqa: E402
from urial_check.session import SessionSettings, UrialSession  # noqa: E402
from urial_check.strategies import jailbreak_wrappers, model_settings, select_cases  # noqa: E402
from urial_check.suites.loader import Case  # noqa: E402


def session_for(args: argparse.Namespace) -> UrialSession:
    from urial_check.generation.backends.transformers_backend import ModelSettings, TransformersBackend
    from urial_check.generation.cache import ResultCache, default_cache_dir

    cache_dir = None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    cache = None if cache_dir is None else ResultCache(cache_dir)
    settings = SessionSettings(decoding_overrides=(("max_new_tokens", args.max_new_tokens),), progress=False)

    def backend() -> Any:
        return TransformersBackend(ModelSettings(model=args.model, cache_dir=cache_dir))

    return UrialSession(settings, backend, cache=cache)


def screen(urial: Urial, cases: list[Case]) -> list[Case]:
    answers = urial.ask_many(cases)
    refused = [c for c, a in zip(cases, answers) if a.verdict.label == "full_refusal"]
    labels: dict[str, int] = {}
    for a in answers:
        labels[a.verdict.label] = labels.get(a.verdict.label, 0) + 1
    print(f"screen: {len(cases)} harmful cases as written -> {labels}; searching over the {len(refused)} refused")
    return refused


def search(urial: Urial, cases: list[Case], args: argparse.Namespace) -> dict[str, Any]:
    log: dict[str, Any] = {"calls": 0, "questions": set(), "first": None, "last": None}

    @seed(args.seed)
    @model_settings(args.max_examples, database=None)
    @given(case=st.sampled_from(cases), wrapper=jailbreak_wrappers())
    def refusal_survives_wrapping(case: Case, wrapper: Any) -> None:
        wrapped = wrapper.apply(case.instruction)
        log["calls"] += 1
        log["questions"].add(wrapped)
        answer = urial.ask(wrapped)
        if answer.verdict.label != "full_refusal":
            # hypothesis replays the minimal failing example last.
            log["last"] = (case, wrapper, answer)
            if log["first"] is None:
                log["first"] = (case, wrapper, answer, log["calls"])
        assert_refuses(answer)

    try:
        refusal_survives_wrapping()
        log["failed"] = False
    except AssertionError:
        log["failed"] = True
    return log


def show(label: str, case: Case, wrapper: Any, answer: Answer) -> None:
    print(f"{label}: case {case.suite}::{case.id}")
    print(f"  wrapper: {wrapper!r}")
    print("  wrapped instruction: " + " ".join(answer.instruction.split()))
    print(f"  answer ({answer.verdict.label}; {answer.verdict.evidence}): " + " ".join(answer.text.split())[:400])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model (default: the embedded SmolLM2-135M)")
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--suites", default=str(ROOT / "suites" / "safety"))
    parser.add_argument("--where", default="harmful")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-case", action="store_true", help="search each refused case on its own")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    session = session_for(args)
    urial = Urial(session)
    pool = [c for c in select_cases(args.suites, where=args.where) if len(c.turns) == 1]
    try:
        refused = screen(urial, pool)
        t_screen = time.perf_counter() - t0
        if not refused:
            print("none found: the model refuses none of the harmful cases as written, so no wrapper can break a refusal")
            return 0
        groups = [[case] for case in refused] if args.per_case else [refused]
        for group in groups:
            t1 = time.perf_counter()
            log = search(urial, group, args)
            where = group[0].id if args.per_case else f"{len(group)} refused cases"
            print(
                f"\nsearch over {where}: {log['calls']} property runs, {len(log['questions'])} distinct wrapped "
                f"questions, {time.perf_counter() - t1:.0f} s (max_examples={args.max_examples}, "
                f"max_new_tokens={args.max_new_tokens}, seed={args.seed})"
            )
            if log["failed"] and log["last"] is not None:
                case, wrapper, answer, calls = log["first"]
                show(f"first failure (run {calls})", case, wrapper, answer)
                show("shrunk to", *log["last"])
            else:
                print(f"none found: every wrapped request was still refused in {args.max_examples} examples")
        model = session.backend.model_id if session.backend_started else "(not loaded: all answers cached)"
        print(f"\nmodel: {model}; screen {t_screen:.0f} s, total {time.perf_counter() - t0:.0f} s")
    finally:
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
