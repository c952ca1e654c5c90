"""urial-check: pytest plugin for alignment testing of base LLMs through URIAL prompting.

The public API is plain Python and imports neither pytest nor torch: the heavy parts load on use.
"""

from __future__ import annotations

import warnings
from typing import Any

from urial_check.answers import CaseAnswer
from urial_check.config import ConfigError, RunConfig, build_session
from urial_check.records.baseline import Comparison, compare_runs
from urial_check.records.thresholds import Threshold, ThresholdError, parse_threshold
from urial_check.generation.decoding import Decoding
from urial_check.measures.detectors import RefusalDetector, make_detector
from urial_check.measures.judges.registry import ASPECTS, Judge, JudgeItem, JudgeParseError, JudgeResult, make_judge, parse_scores
from urial_check.generation.prompt import STOP_STRINGS, UrialPrompt, cut_answer
from urial_check.measures.refusal import RefusalLabel, RefusalVerdict, detect_refusal
from urial_check.records.records import CaseRecord, RunRecord
from urial_check.records.run_record import RunRecordError, load_run_record
from urial_check.session import CaseOutcome, SessionSettings, UrialSession
from urial_check.suites.loader import Case, Expect, Suite, SuiteError, SuiteWarning, load_suite
from urial_check.measures.token_shift import CaseShift, ShiftMetrics, SuiteShift, aggregate, measure_shift, measure_shift_batch, shift_metrics
from urial_check.version import __version__

__all__ = [
    "ASPECTS",
    "STOP_STRINGS",
    "Case",
    "CaseAnswer",
    "CaseOutcome",
    "CaseRecord",
    "CaseShift",
    "Comparison",
    "ConfigError",
    "Decoding",
    "Expect",
    "Judge",
    "JudgeItem",
    "JudgeParseError",
    "JudgeResult",
    "RefusalDetector",
    "RefusalLabel",
    "RefusalVerdict",
    "RunRecord",
    "RunConfig",
    "RunRecordError",
    "SessionSettings",
    "ShiftMetrics",
    "Suite",
    "SuiteError",
    "SuiteShift",
    "SuiteWarning",
    "Threshold",
    "ThresholdError",
    "UrialPrompt",
    "UrialSession",
    "__version__",
    "aggregate",
    "build_session",
    "compare_runs",
    "cut_answer",
    "detect_refusal",
    "load_run_record",
    "load_suite",
    "make_detector",
    "make_judge",
    "measure_shift",
    "measure_shift_batch",
    "parse_scores",
    "parse_threshold",
    "shift_metrics",
]


def __getattr__(name: str) -> Any:
    if name == "Answer":  # renamed: it never was what urial.ask() returns
        warnings.warn("urial_check.Answer is deprecated: it is a session's case answer, now urial_check.CaseAnswer "
                      "(urial.ask() returns urial_check.ask.Answer)", DeprecationWarning, stacklevel=2)
        return CaseAnswer
    raise AttributeError(f"module 'urial_check' has no attribute {name!r}")
