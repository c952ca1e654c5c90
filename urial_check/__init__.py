"""urial-check: pytest plugin for alignment testing of base LLMs through URIAL prompting.

The public API is plain Python and imports neither pytest nor torch.
"""

from __future__ import annotations

from .decoding import Decoding
from .prompt import STOP_STRINGS, UrialPrompt, cut_answer
from .suite import Case, Expect, Suite, SuiteError, load_suite

__version__ = "0.1.0"

__all__ = [
    "Case",
    "Decoding",
    "Expect",
    "STOP_STRINGS",
    "Suite",
    "SuiteError",
    "UrialPrompt",
    "cut_answer",
    "load_suite",
    "__version__",
]
