"""Gating a run against a stored baseline run record, suite by suite (plain Python).

The plugin makes one :class:`BaselineGate` per session from ``--urial-baseline`` and friends;
each suite's ``[baseline]`` test item calls :meth:`BaselineGate.compare_suite` with the records of
its selected cases. Writing the baseline (when missing or with ``--urial-update-baseline``) is the
run recorder's job, at the end of the session, on the controller only; :meth:`BaselineGate.next_baseline`
says what to write. An update merges: cases this run did not select stay as they were.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from urial_check.records.baseline import SuiteComparison, compare_cases
from urial_check.records.records import CaseRecord, RunRecord, Selection
from urial_check.records.run_record import RunRecordError
from urial_check.reports.summary import write_json_atomic, write_json_exclusive


@dataclass
class BaselineGate:
    path: Path
    #: The stored run record, or None when the file does not exist yet.
    baseline: RunRecord | None
    update: bool = False
    margin: float = 0.05
    alpha: float = 0.05
    seed: int = 0
    notes: list[str] = field(default_factory=list)
    #: With ``update``: why the old file could not be read (it is then replaced, not merged).
    unreadable: str | None = None

    @classmethod
    def open(cls, path: Path, *, update: bool, margin: float, alpha: float) -> BaselineGate:
        """Load and validate the baseline (``RunRecordError`` on a bad file); a missing file is fine.

        With ``update`` a bad file is no error: it is replaced by this run's record.
        """
        if not path.exists():
            return cls(path=path, baseline=None, update=update, margin=margin, alpha=alpha)
        try:
            baseline = RunRecord.load(path)
        except RunRecordError as exc:
            if not update:
                raise
            return cls(path=path, baseline=None, update=update, margin=margin, alpha=alpha, unreadable=str(exc))
        return cls(path=path, baseline=baseline, update=update, margin=margin, alpha=alpha)

    @property
    def will_write(self) -> bool:
        return self.update or self.baseline is None

    def next_baseline(self, record: RunRecord, *, left_out: Mapping[str, set[str]] | None) -> tuple[RunRecord, str]:
        """The baseline to write after a complete run, and the line that tells the user.

        Without a readable baseline this run's record is the baseline. Otherwise the run is merged
        into it: this run's cases replace theirs, and a stored case this run did not answer is kept
        when its suite did not run here, or when it was left out of this run's selection
        (``left_out``: suite -> ids; None when unknown, then every such case is kept). A stored
        case of a suite that ran, no longer in its file, is dropped.
        """
        selection = record.selection
        subset = "" if selection is None or selection.complete else f" from a subset ({selection.describe()})"
        if not self.update or self.baseline is None:
            if self.update:
                why = f"; the old file was unreadable: {self.unreadable}" if self.unreadable else ""
                return record, f"baseline updated{subset}: {self.path}{why}"
            return record, f"baseline created (there was none){subset}: {self.path}"
        previous = self.baseline
        ran = {c.key for c in record.cases}
        ran_suites = {c.suite for c in record.cases}
        kept = [
            c for c in previous.cases
            if c.key not in ran
            and (c.suite not in ran_suites or left_out is None or c.id in left_out.get(c.suite, ()))
        ]
        was_complete = previous.complete and (previous.selection is None or previous.selection.complete)
        n = len(record.cases) + len(kept)
        merged_selection = Selection(
            keyword=None, markers=None, selected=n, deselected=None, finished=n,
            complete=bool(was_complete if kept else selection is None or selection.complete),
            merged={"run_id": record.run_id, "from_run": len(record.cases), "kept": len(kept),
                    "previous_run_id": previous.run_id},
        )
        merged = dataclasses.replace(
            record,
            cases=record.cases + tuple(kept),
            gates=record.gates + tuple(g for g in previous.gates if g.suite not in ran_suites),
            prompts={**previous.prompts, **record.prompts},
            selection=merged_selection,
        )
        note = f"baseline updated{subset}: {self.path}"
        if kept:
            note += f" ({len(record.cases)} case(s) from this run, {len(kept)} kept from the previous baseline)"
        return merged, note

    def write(self, record: RunRecord, *, left_out: Mapping[str, set[str]] | None) -> str:
        """Write the baseline after a complete run (:meth:`next_baseline`, without the cases that
        got no answer) and return the line that tells the user; ``OSError`` when it cannot be written.

        A baseline is only created where none exists: when another run created one after this run
        started (two first runs at once), that one is kept and this run says so.
        """
        record, left_out, unanswered_note = without_unanswered(record, dict(left_out) if left_out is not None else None)
        new, note = self.next_baseline(record, left_out=left_out)
        if self.update:
            write_json_atomic(self.path, new.to_json())
        elif not write_json_exclusive(self.path, new.to_json()):
            return (f"baseline not written: {self.path} was created by another run meanwhile "
                    "(this run was not compared with it)")
        return note + unanswered_note

    def compare_suite(self, suite: str, cases: Sequence[CaseRecord], *, margins: Mapping[str, float]) -> SuiteComparison | None:
        """The baseline comparison of one suite's selected cases (None: no baseline for it)."""
        assert self.baseline is not None
        selected = {c.id for c in cases}
        # Only the cases selected in this run are compared; deselected ones are not "removed".
        base = [c for c in self.baseline.cases if c.suite == suite and c.id in selected]
        comparison = compare_cases(
            base, cases, margin=self.margin, alpha=self.alpha, suite_margins={suite: dict(margins)}, seed=self.seed
        )
        return next((s for s in comparison if s.suite == suite), None)


def without_unanswered(
    record: RunRecord, left_out: dict[str, set[str]] | None
) -> tuple[RunRecord, dict[str, set[str]] | None, str]:
    """``record`` without its cases that got no answer (they have no verdict to compare later), the
    selection's ``left_out`` with them added (as if deselected, so an update keeps the stored
    answer), and the note for the user ("" when every case was answered)."""
    unanswered = [c for c in record.cases if c.error is not None]
    if not unanswered:
        return record, left_out, ""
    if left_out is not None:
        left_out = {suite: set(ids) for suite, ids in left_out.items()}
        for case in unanswered:
            left_out.setdefault(case.suite, set()).add(case.id)
    sel, n = record.selection, len(unanswered)
    record = dataclasses.replace(
        record, cases=tuple(c for c in record.cases if c.error is None),
        selection=None if sel is None else dataclasses.replace(
            sel, selected=sel.selected - n, finished=sel.finished - n, complete=False,
            deselected=None if sel.deselected is None else sel.deselected + n),
    )
    names = ", ".join(f"{c.suite}::{c.id}" for c in unanswered[:5]) + (", ..." if n > 5 else "")
    return record, left_out, f"; left out {n} case{'s' if n != 1 else ''} with no answer: {names}"
