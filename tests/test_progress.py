"""Generation progress: a bar on a terminal (per decode step, ETA after the first batch), lines otherwise;
third-party loading bars silenced."""

from __future__ import annotations

import io
import re
import sys

import pytest

from urial_check.generation.engine import ProgressEvent
from urial_check.reports.progress import GenerationProgress, quiet_loading


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def events() -> list[ProgressEvent]:
    """Two batches of 2 cases, 4 tokens each: 4 decode steps per batch."""
    out = []
    for step in range(1, 9):
        batch_done = step % 4 == 0
        out.append(ProgressEvent(cases_done=2 * (step // 4), cases_total=4, tokens=2 * step, elapsed=0.5 * step,
                                 batches_done=step // 4, budget_done=2 * step, budget_total=16))
        assert batch_done == (out[-1].batches_done > (out[-2].batches_done if len(out) > 1 else 0))
    return out


def test_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = GenerationProgress(4, stream=stream)
    for event in events():
        progress(event)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "urial-check: generated 2/4 cases (50%), 4.0 tok/s, 0:02 elapsed, about 0:02 left",
        "urial-check: generated 4/4 cases (100%), 4.0 tok/s, 0:04 elapsed",
    ]


def test_bar_on_a_terminal_moves_per_step_and_shows_an_eta_after_the_first_batch() -> None:
    stream = Terminal()
    progress = GenerationProgress(4, stream=stream, min_interval=0)
    shown = []
    for event in events():
        progress(event)
        shown.append(progress.bar.n)
        text = stream.getvalue().rsplit("\r", 1)[-1]
        if event.batches_done == 0 or event.fraction == 1:
            assert "ETA" not in text and "left" not in text
        else:
            assert "about 0:0" in text and "left" in text, text
    assert all(b > a for a, b in zip(shown, shown[1:]))  # the bar moves with every decode step
    assert "2/4 cases" in stream.getvalue()
    progress.close()


def test_quiet_loading_silences_transformers_and_tqdm_bars(capfd: pytest.CaptureFixture[str]) -> None:
    from tqdm.auto import tqdm
    from transformers.utils import logging as hf_logging

    before = hf_logging.is_progress_bar_enabled()
    with quiet_loading():
        for _ in hf_logging.tqdm(range(3), desc="Loading weights"):
            pass
        for _ in tqdm(range(3), desc="Converting and de-quantizing GGUF tensors..."):
            pass
        print("a real message", file=sys.stderr)
    assert hf_logging.is_progress_bar_enabled() == before  # restored, not switched off for good
    err = capfd.readouterr().err
    assert "Loading weights" not in err and "de-quantizing" not in err
    assert "a real message" in err  # other stderr output is kept
    assert not re.search(r"\d+/\d+ \[", err)
