"""What a run shows while it generates, and keeping third-party loading bars off the terminal.

:class:`GenerationProgress` is an engine ``progress`` callback. On a terminal it draws one tqdm
bar that moves with every decode step (it counts the token budget, see
:class:`~urial_check.generation.engine.ProgressEvent`) and shows a time estimate only once the first batch
has finished (before that, start-up costs such as computing the prompt prefix would make any
estimate wrong by hours). Elsewhere (CI logs, files) it prints one line per finished batch.

:func:`quiet_loading` wraps model loading: transformers' own "Loading weights" and
"Converting and de-quantizing GGUF tensors" bars are not shown.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from typing import IO, Any, Iterator

from urial_check.generation.engine import ProgressEvent

#: Bar resolution: the bar's ``n`` runs from 0 to this (per mille of the token budget).
STEPS = 1000
DESCRIPTION = "urial-check: generating"
_BAR = "{desc}: {percentage:3.0f}%|{bar}| "
#: A tqdm progress line ("...| 12/272 [00:01<00:03, 98.0it/s]"), as tqdm writes it.
_TQDM_LINE = re.compile(r"\|\s*\d+(\.\d+)?[kMG]?/\S+ \[[^\]]*\]\s*$|\d+(\.\d+)?[kMG]?it \[[^\]]*\]\s*$")


def format_seconds(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on."""
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _remaining(event: ProgressEvent) -> float | None:
    """Seconds left, estimated from the pace so far, once a batch has finished (else None)."""
    fraction = event.fraction
    if event.batches_done < 1 or fraction <= 0 or fraction >= 1:
        return None
    return event.elapsed * (1 - fraction) / fraction


class GenerationProgress:
    """An engine ``progress`` callback: a bar on a terminal, one line per batch otherwise.

    ``stream`` defaults to ``sys.stderr`` (where tqdm draws); whether it is a terminal decides
    the form.
    """

    def __init__(self, total_cases: int, *, stream: IO[str] | None = None, min_interval: float = 0.1) -> None:
        self.total_cases = total_cases
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar: Any = None
        self._batches = 0
        if self.interactive:
            from tqdm import tqdm

            self.bar = tqdm(total=STEPS, desc=DESCRIPTION, file=self.stream, leave=False, dynamic_ncols=True,
                            mininterval=min_interval, bar_format=_BAR + f"0/{total_cases} cases")

    def __call__(self, event: ProgressEvent) -> None:
        if self.bar is not None:
            self._draw(event)
        elif event.batches_done > self._batches:
            self._batches = event.batches_done
            self.stream.write(self._line(event) + "\n")
            self.stream.flush()

    def _draw(self, event: ProgressEvent) -> None:
        postfix = f"{event.cases_done}/{event.cases_total} cases, {event.tokens_per_second:.1f} tok/s"
        left = _remaining(event)
        if left is not None:
            postfix += f", about {format_seconds(left)} left"
        self.bar.bar_format = _BAR + postfix.replace("{", "{{").replace("}", "}}")
        target = int(STEPS * event.fraction)
        if target > self.bar.n:
            self.bar.update(target - self.bar.n)

    def _line(self, event: ProgressEvent) -> str:
        line = (f"{DESCRIPTION.replace('generating', 'generated')} {event.cases_done}/{event.cases_total} cases "
                f"({100 * event.cases_done / max(1, event.cases_total):.0f}%), {event.tokens_per_second:.1f} tok/s, "
                f"{format_seconds(event.elapsed)} elapsed")
        left = _remaining(event)
        return line if left is None else f"{line}, about {format_seconds(left)} left"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """Load a model without transformers' progress bars; other output is kept.

    transformers' "Loading weights" bar follows its logging switch, which is turned off here and
    restored afterwards. The GGUF dequantisation bar is a plain tqdm bar on ``sys.stderr``; that
    stream is collected while loading and written back without the bar's lines.
    """
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    collected = io.StringIO()
    real = sys.stderr
    try:
        with contextlib.redirect_stderr(collected):
            yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()
        kept = [part for part in re.split(r"[\r\n]", collected.getvalue()) if part.strip() and not _TQDM_LINE.search(part)]
        if kept:
            real.write("\n".join(kept) + "\n")
