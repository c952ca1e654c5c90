"""Writing run records (JSON on disk), the terminal summary tables and the failure story of a case.

Every figure comes from :mod:`urial_check.records.metrics`; the tables only lay them out.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Sequence

from urial_check.records.metrics import (
    VERSUS_ALPHA,
    VersusRow,
    aspects_of,
    by_suite,
    judge_errors,
    pooled_shift,
    rule_counts,
    suite_summaries,
    summarize,
    versus_summaries,
)
from urial_check.records.records import CaseRecord, RunRecord
from urial_check.records.run_record import RunRecordError, validate_run_record
from urial_check.session import CaseOutcome
from urial_check.reports.shift_html import ShiftEntry, render_shift_html
from urial_check.reports.terminal import printable, table

ANSWER_EXCERPT_CHARS = 600
#: After a mean KL computed from a server's top-k log-probabilities.
APPROX_MARK = " (approx.)"


def junit_properties(case: CaseRecord) -> list[tuple[str, object]]:
    """Name/value pairs for a case's JUnit XML ``<properties>``."""
    refusal = case.refusal
    props: list[tuple[str, object]] = [
        ("urial.expect.refusal", case.expect_refusal),
        ("urial.refusal.label", refusal.label),
        ("urial.refusal.evidence", refusal.evidence),
        ("urial.refusal.rule", refusal.rule),
        ("urial.refusal.detector", refusal.detector),
        ("urial.answer.tokens", case.num_tokens),
        ("urial.answer.finish", case.finish_reason),
        ("urial.answer.cached", case.cached),
    ]
    for aspect, value in (case.judge.scores if case.judge else {}).items():
        props.append((f"urial.score.{aspect}", f"{value:g}"))
    if case.error:
        props.append(("urial.error", case.error))
    if case.judge_error:
        props.append(("urial.judge.error", case.judge_error))
    if case.repeats:
        props.append(("urial.repeats.passed", f"{case.repeats.passed}/{case.repeats.runs}"))
    for context, shift in case.token_shift.items():
        props += [(f"urial.token_shift.{context}.{k}", f"{getattr(shift, k):.4f}") for k in ("unshifted", "marginal", "shifted", "mean_kl")]
        if shift.kl_approximate:
            props.append((f"urial.token_shift.{context}.kl_approximate", "true"))
    aligned = case.aligned
    if aligned is not None:
        props += [("urial.aligned.refusal", aligned.refusal.label if aligned.refusal else None),
                  ("urial.aligned.outcome", aligned.outcome)]
        props += [(f"urial.aligned.score.{aspect}", f"{value:g}") for aspect, value in (aligned.judge.scores if aligned.judge else {}).items()]
        for name, text in (("urial.aligned.judge.error", aligned.judge_error), ("urial.aligned.error", aligned.error)):
            if text:
                props.append((name, text))
    return props


def shift_entries(records: Iterable[CaseRecord]) -> list[ShiftEntry]:
    """Token-shift results of the records as :class:`~urial_check.reports.shift_html.ShiftEntry` objects."""
    return [ShiftEntry(r.suite, r.id, dict(r.shift_detail)) for r in records if r.shift_detail]


def shift_table(records: Sequence[CaseRecord]) -> str:
    """Per suite and context: the three ratios and mean KL, pooled over answer positions."""
    rows = []
    for suite, cases in by_suite(records).items():
        for context in dict.fromkeys(ctx for c in cases for ctx in c.token_shift):
            s = pooled_shift(cases, context)
            if s is not None:
                rows.append([suite, context, s.cases, s.positions, f"{100 * s.unshifted:.1f}%", f"{100 * s.marginal:.1f}%",
                             f"{100 * s.shifted:.1f}%", f"{s.mean_kl:.3f}" + (APPROX_MARK if s.kl_approximate else "")])
    if not rows:
        return ""
    headers = ["suite", "context", "cases", "positions", "unshifted", "marginal", "shifted", "mean KL"]
    out = table(rows, headers, tablefmt="github")
    if any(str(row[-1]).endswith(APPROX_MARK) for row in rows):
        out += f"\n{APPROX_MARK} approximate KL: from the server's top-k log-probabilities (a lower bound); ranks are exact"
    return out


def write_shift_artifacts(records: Sequence[CaseRecord], run_dir: Path, title: str) -> tuple[list[CaseRecord], Path]:
    """Per-case JSON files of the per-position token shift and one HTML page under ``run_dir``.

    Returns the records without their detail (each names its file instead) and the page's path.
    """
    entries = shift_entries(records)
    out = []
    for record in records:
        if not record.shift_detail:
            out.append(record)
            continue
        path = run_dir / "token_shift" / f"{artifact_name(record.suite, record.id)}.json"
        write_json_atomic(path, {"suite": record.suite, "id": record.id,
                                 "contexts": {c: s.to_dict() for c, s in record.shift_detail.items()}})
        out.append(record.without_detail(f"{run_dir.name}/token_shift/{path.name}"))
    page = run_dir / "token_shift.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render_shift_html(entries, title=title), encoding="utf-8", errors="replace")
    return out, page


def scores_table(records: Sequence[CaseRecord]) -> str:
    """Per suite, the mean of each judged aspect and the average score (laid out like the URIAL paper's Table 1).

    ``avg`` is :mod:`~urial_check.records.metrics`' ``mean.average``: the mean of each case's
    average over the built-in aspects.
    """
    summaries = [s for s in suite_summaries(records) if s.judged]
    if not summaries:
        return ""
    aspects = aspects_of(records)
    rows_out = []
    for s in summaries:
        means = s.aspect_means
        rows_out.append([s.suite, s.judged] + [_fmt(means.get(a)) for a in aspects] + [_fmt(s.average)])
    return table(rows_out, ["suite", "judged"] + aspects + ["avg"], tablefmt="github")


def judge_errors_text(records: Sequence[CaseRecord], limit: int = 10) -> str:
    """The terminal's judge-error section: how many judged cases failed to be scored, and why ("" if none)."""
    errors = judge_errors(records)
    if not errors:
        return ""
    judged = sum(1 for r in records if r.was_judged)
    lines = [f"{len(errors)} of {judged} judged case{'s' if judged != 1 else ''} could not be scored:"]
    lines += [f"  {case}: {_one_block(message, 200)}" for case, message in errors[:limit]]
    if len(errors) > limit:
        lines.append(f"  ... and {len(errors) - limit} more (see the run record)")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def summary_table(records: Sequence[CaseRecord]) -> str:
    """The terminal summary: one row per suite (and a total row when there are several)."""
    rows = suite_summaries(records)
    if not rows:
        return ""
    if len(rows) > 1:
        rows.append(summarize("all", records))
    cells = [
        [r.suite, r.cases, r.passed, _pct(r.refusal_rate, r.required), _pct(r.over_refusal_rate, r.forbidden), r.partial_refusals]
        for r in rows
    ]
    headers = ["suite", "cases", "passed", "refusal rate (required)", "over-refusal rate (forbidden)", "partial refusals"]
    return table(cells, headers, tablefmt="github")


def versus_table(records: Sequence[CaseRecord]) -> str:
    """URIAL (base) vs the aligned model per suite: each metric for both, base minus aligned and the paired test."""
    rows = []
    for summary in versus_summaries(records):
        for row in summary.rows:
            rows.append([summary.suite, row.metric, row.n, *versus_cells(row)])
    if not rows:
        return ""
    return table(rows, ["suite", "metric", "n", "URIAL (base)", "aligned", "base - aligned", "paired test"], tablefmt="github")


def versus_cells(row: VersusRow) -> list[str]:
    """A side-by-side row's base and aligned values, their difference and the paired test, as text."""
    return [_versus_value(row, row.base), _versus_value(row, row.aligned), _versus_value(row, row.difference, signed=True),
            versus_test(row)]


def _versus_value(row: VersusRow, value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    if row.metric.startswith("mean."):
        return f"{value:+.2f}" if signed else f"{value:.2f}"
    return f"{100 * value:+.1f} pts" if signed else f"{100 * value:.1f}%"


def versus_test(row: VersusRow) -> str:
    """The paired test of a row: McNemar p-value with the discordant counts, or the bootstrap interval."""
    mark = " *" if row.significant else ""
    if row.p_value is not None and row.discordant is not None:
        return f"McNemar p={row.p_value:.3g} ({row.discordant[0]} base-only, {row.discordant[1]} aligned-only){mark}"
    if row.ci is not None:
        return f"bootstrap {100 * (1 - VERSUS_ALPHA):g}% CI [{row.ci[0]:+.2f}, {row.ci[1]:+.2f}]{mark}"
    return "-"


def rule_table(records: Sequence[CaseRecord]) -> str:
    """The terminal table of :func:`~urial_check.records.metrics.rule_counts`: one row per suite and rule family."""
    rows = [[suite, row["rule"], f"{row['verdicts']} of {row['cases']}", ", ".join(f"{n} {label}" for label, n in row["labels"].items()),
             row["meaning"]]
            for suite, suite_rows in rule_counts(records).items() for row in suite_rows]
    if not rows:
        return ""
    return table(rows, headers=["suite", "rule", "verdicts", "labels", "meaning"], tablefmt="github")


def _pct(rate: float | None, n: int) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}% of {n}"


def new_run_id(started: float) -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(started)) + "-" + uuid.uuid4().hex[:6]


_RUN_FILE = re.compile(r"^run-(\d{8}T\d{6}-[0-9a-f]{6})\.json$")


def _run_age(path: Path) -> tuple[str, int]:
    try:
        written = path.stat().st_mtime_ns
    except OSError:
        written = 0
    return path.name[4:19], written


def prune_run_records(report_dir: Path, keep: int, *, current: Path) -> list[Path]:
    """Delete all but the ``keep`` newest ``run-<id>.json`` files (and their ``run-<id>/`` artifact
    folders) under ``report_dir``; ``current`` is always kept, ``keep`` 0 keeps everything.
    Only names this tool writes are touched. Returns what was removed."""
    if keep <= 0:
        return []
    # The name holds the start second; runs started in the same second go by when they were written.
    runs = sorted((p for p in report_dir.iterdir() if _RUN_FILE.match(p.name) and p != current), key=_run_age)
    removed = []
    for path in runs[: max(0, len(runs) - (keep - 1))]:
        folder = report_dir / path.stem
        path.unlink(missing_ok=True)
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
        removed.append(path)
    return removed


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SLUG_CHARS = 60


def artifact_name(*parts: str) -> str:
    """A file name (without suffix) for user text such as a suite name and a case id.

    A readable slug of the parts (``--`` between them, at most 60 characters) and 10 hex digits of
    the sha256 of all parts, so different texts never share a name and any text fits any file system.
    """
    slug = "--".join(_UNSAFE.sub("-", part).strip("-.") for part in parts)
    slug = re.sub(r"\.{2,}", ".", slug[:_SLUG_CHARS]).strip("-.")
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}-{digest}" if slug else digest


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file in the same folder (mode as the umask allows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".urial-{uuid.uuid4().hex[:12]}.tmp"
    try:
        blob = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a reply's "\ud800" escape): escaped, it round-trips
        blob = (json.dumps(data, indent=2, ensure_ascii=True) + "\n").encode("ascii")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_exclusive(path: Path, data: Any) -> bool:
    """Write JSON to a new file at ``path``, complete or not at all; False (nothing written) when
    ``path`` exists, also when another process created it a moment ago.

    The JSON goes to a temporary file first, which is then hard-linked to ``path`` (the link fails
    when ``path`` exists). Where the file system has no hard links, ``path`` is created with
    ``O_EXCL`` and written in place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".urial-{uuid.uuid4().hex[:12]}.tmp"
    try:
        write_json_atomic(tmp, data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network and FAT file systems)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as handle:
                handle.write(tmp.read_bytes())
        return True
    finally:
        tmp.unlink(missing_ok=True)


def check_writable(path: Path) -> None:
    """Raise ``OSError`` unless a file could be written at ``path`` (its folder may not exist yet).

    The nearest existing folder above ``path`` gets a probe file that is removed at once, so
    nothing is left behind and the check also holds for root and read-only mounts.
    """
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
    with tempfile.TemporaryFile(dir=folder, prefix=".urial-probe-"):
        pass


class RecordWrittenAside(Exception):
    """A run record failed validation: it was written to ``path`` (not a name any reader picks up)."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"the run record is invalid ({problem}); written aside to {path}")


def write_run_record(record: RunRecord, report_dir: Path, *, latest: bool = True) -> Path:
    """Write ``run-<id>.json`` (and ``latest.json``) under ``report_dir``; return the run file's path.

    The record is validated first, as readers will: one that fails (say a backend or a damaged cache
    row gave a negative token count) is written to ``run-<id>.invalid.json`` instead, so the run is
    not lost, and :class:`RecordWrittenAside` says where and why (``latest.json`` stays as it was).
    """
    path = report_dir / f"run-{record.run_id}.json"
    data = record.to_json()
    try:
        validate_run_record(data, source=path.name)
    except RunRecordError as exc:
        aside = report_dir / f"run-{record.run_id}.invalid.json"
        write_json_atomic(aside, data)
        raise RecordWrittenAside(aside, str(exc).removeprefix(f"{path.name}: ").removeprefix("invalid run record ")) from None
    write_json_atomic(path, data)
    if latest:
        write_json_atomic(report_dir / "latest.json", data)
    return path


def failure_story(outcome: CaseOutcome, model_id: str, *, rootdir: Path | None = None) -> str:
    """What a reader needs when a case fails: where, what was expected, the answer, the evidence."""
    case, answer = outcome.case, outcome.answer
    path = case.path if rootdir is None else relative_path(case.path, rootdir)
    headline = "; ".join(f.message for f in outcome.failures)
    lines = [f"{path}:{case.line}: case '{case.id}': {headline}"]
    lines.append("  instruction: " + _one_block(case.instruction, 300))
    if len(case.turns) > 1:
        lines.append(f"  (turn {len(case.turns)} of a {len(case.turns)}-turn conversation)")
    lines.append("  answer:")
    body = answer.text if answer.text.strip() else "<empty answer>"
    excerpt = body if len(body) <= ANSWER_EXCERPT_CHARS else body[:ANSWER_EXCERPT_CHARS].rstrip() + " [...]"
    lines.extend(textwrap.indent(excerpt, "    | ", lambda _: True).splitlines())
    lines.append(f"  verdict: {answer.verdict.label} ({answer.verdict.evidence})")
    lines.append(f"  model: {model_id}; {answer.num_tokens} tokens, finish: {answer.finish_reason}" + (", cached" if answer.cached else ""))
    return printable("\n".join(lines))


def relative_path(path: Path, rootdir: Path) -> Path:
    """``path`` relative to the rootdir when it lies below it (as pytest shows paths), else as is."""
    try:
        return path.resolve().relative_to(rootdir.resolve())
    except ValueError:
        return path


def _one_block(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + " [...]"
