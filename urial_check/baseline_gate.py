"""Gating a run against a stored baseline run record, suite by suite (plain Python).

The plugin makes one :class:`BaselineGate` per session from ``--urial-baseline`` and friends;
each suite's ``[baseline]`` test item calls :meth:`BaselineGate.compare_suite` with the records of
its selected cases. Writing the baseline (when missing or with ``--urial-update-baseline``) is the
run recorder's job, at the end of the session, on the controller only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .report import RunInfo, build_run_record


@dataclass
class BaselineGate:
    path: Path
    #: The stored run record, or None when the file does not exist yet.
    baseline: dict[str, Any] | None
    update: bool = False
    margin: float = 0.05
    alpha: float = 0.05
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path, *, update: bool, margin: float, alpha: float) -> BaselineGate:
        """Load and validate the baseline (``RunRecordError`` on a bad file); a missing file is fine."""
        from .run_record import load_run_record

        baseline = None if update or not path.exists() else load_run_record(path)
        return cls(path=path, baseline=baseline, update=update, margin=margin, alpha=alpha)

    @property
    def will_write(self) -> bool:
        return self.update or self.baseline is None

    def compare_suite(
        self,
        suite: str,
        records: Sequence[Mapping[str, Any]],
        *,
        margins: Mapping[str, float],
        info: RunInfo,
    ) -> Any:
        """The baseline comparison of one suite's selected cases (a ``SuiteComparison`` or None)."""
        from .baseline import compare_runs

        assert self.baseline is not None
        selected = {r["id"] for r in records}
        base = dict(self.baseline)
        # Only the cases selected in this run are compared; deselected ones are not "removed".
        base["cases"] = [c for c in self.baseline["cases"] if c["suite"] == suite and c["id"] in selected]
        candidate = build_run_record(info, records, started=0.0, run_id="candidate")
        comparison = compare_runs(
            base, candidate, margin=self.margin, alpha=self.alpha, suite_margins={suite: dict(margins)}, seed=self.seed
        )
        return comparison.suite(suite)
