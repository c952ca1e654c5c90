"""urial-check: pytest plugin for alignment testing of base LLMs through URIAL prompting.

The public API is plain Python and imports neither pytest nor torch: the heavy parts load on use.
"""

from __future__ import annotations

from .baseline import Comparison, compare_runs
from .compare import Threshold, ThresholdError, parse_threshold
from .decoding import Decoding
from .detectors import RefusalDetector, make_detector
from .judge import ASPECTS, Judge, JudgeItem, JudgeParseError, JudgeResult, make_judge, parse_scores
from .prompt import STOP_STRINGS, UrialPrompt, cut_answer
from .refusal import RefusalLabel, RefusalVerdict, detect_refusal
from .run_record import RunRecordError, load_run_record
from .session import Answer, CaseOutcome, SessionSettings, UrialSession
from .suite import Case, Expect, Suite, SuiteError, SuiteWarning, load_suite
from .token_shift import CaseShift, ShiftMetrics, SuiteShift, aggregate, measure_shift, measure_shift_batch, shift_metrics

__version__ = "0.1.0"

__all__ = [
    "ASPECTS",
    "STOP_STRINGS",
    "Answer",
    "Case",
    "CaseOutcome",
    "CaseShift",
    "Comparison",
    "Decoding",
    "Expect",
    "Judge",
    "JudgeItem",
    "JudgeParseError",
    "JudgeResult",
    "RefusalDetector",
    "RefusalLabel",
    "RefusalVerdict",
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
