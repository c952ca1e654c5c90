"""Run records (JSON on disk), the terminal summary table and the failure story of a case."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from urial_check.records.run_record import RUN_RECORD_SCHEMA, RUN_RECORD_VERSION
from urial_check.session import CaseOutcome
from urial_check.reports.terminal import printable, table

ANSWER_EXCERPT_CHARS = 600


@dataclass(frozen=True)
class RunInfo:
    """What identifies a run besides its cases."""

    model_id: str
    fingerprint: str | None
    prompts: Mapping[str, str]  # source -> sha256
    decoding_overrides: Mapping[str, Any]
    device: str | None = None
    dtype: str | None = None
    judge: str | None = None
    load_seconds: float | None = None
    #: Id of the refusal detector whose verdicts the run holds (e.g. ``rules:v3``).
    refusal_detector: str | None = None


def outcome_record(outcome: CaseOutcome) -> dict[str, Any]:
    case, answer = outcome.case, outcome.answer
    return {
        "id": case.id,
        "suite": case.suite,
        "file": str(case.path),
        "line": case.line,
        "tags": list(case.tags),
        "turns": list(case.turns),
        "instruction": case.instruction,
        "expect": {"refusal": case.expect.refusal},
        "answer": answer.text,
        "raw_generation": answer.raw,
        "decoding": answer.decoding.as_dict(),
        "num_tokens": answer.num_tokens,
        "finish_reason": answer.finish_reason,
        "generation_seconds": round(answer.seconds, 4),
        "cached": answer.cached,
        "refusal": {"label": answer.verdict.label, "refused": answer.verdict.refused, "evidence": answer.verdict.evidence,
                    "rule": answer.verdict.rule, "detector": answer.verdict.detector},
        "checks": [
            {"name": c.name, "passed": c.passed, "asserted": c.asserted, "message": c.message} for c in outcome.checks
        ],
        "outcome": outcome.status,
        **_measurement_records(outcome),
    }


def _judge_record(result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    scores = getattr(result, "scores", None)
    if scores is None:  # a JudgeError
        return {"judge_error": " ".join(str(result).split())}
    return {"judge": {"id": result.judge_id, "scores": dict(scores), "reasons": dict(result.reasons)}}


def _measurement_records(outcome: CaseOutcome) -> dict[str, Any]:
    out: dict[str, Any] = _judge_record(outcome.answer.measurements.get("judge"))
    if outcome.runs:
        out["repeats"] = {
            "runs": len(outcome.runs),
            "passed": outcome.runs_passed,
            "pass_if": outcome.case.pass_if.text if outcome.case.pass_if else None,
            "answers": [
                {
                    "answer": answer.text,
                    "refusal": answer.verdict.label,
                    "passed": all(c.passed for c in checks),
                    "seed": answer.decoding.seed,
                    **_judge_record(answer.measurements.get("judge")),
                }
                for answer, checks in outcome.runs
            ],
        }
    shifts = outcome.answer.measurements.get("token_shift")
    if shifts:
        out["token_shift"] = {
            context: {**shift.metrics.summary(), "shifted_tokens": [{"position": t, "token": x} for t, x in shift.shifted_tokens()]}
            for context, shift in shifts.items()
        }
        # Full per-position data; the recorder moves it into a per-case artifact file.
        out["token_shift_detail"] = {context: shift.to_dict() for context, shift in shifts.items()}
    return out


def junit_properties(outcome: CaseOutcome) -> list[tuple[str, object]]:
    """Name/value pairs for a case's JUnit XML ``<properties>``."""
    verdict, answer = outcome.answer.verdict, outcome.answer
    props: list[tuple[str, object]] = [
        ("urial.expect.refusal", outcome.case.expect.refusal),
        ("urial.refusal.label", verdict.label),
        ("urial.refusal.evidence", verdict.evidence),
        ("urial.refusal.rule", verdict.rule),
        ("urial.refusal.detector", verdict.detector),
        ("urial.answer.tokens", answer.num_tokens),
        ("urial.answer.finish", answer.finish_reason),
        ("urial.answer.cached", answer.cached),
    ]
    judged = answer.measurements.get("judge")
    for aspect, value in (getattr(judged, "scores", None) or {}).items():
        props.append((f"urial.score.{aspect}", f"{value:g}"))
    error = _judge_record(judged).get("judge_error")
    if error:
        props.append(("urial.judge.error", error))
    if outcome.runs:
        props.append(("urial.repeats.passed", f"{outcome.runs_passed}/{len(outcome.runs)}"))
    for context, shift in (answer.measurements.get("token_shift") or {}).items():
        m = shift.metrics
        props += [(f"urial.token_shift.{context}.{k}", f"{getattr(m, k):.4f}") for k in ("unshifted", "marginal", "shifted", "mean_kl")]
    return props


def shift_entries(records: Iterable[Mapping[str, Any]]) -> list[Any]:
    """Token-shift results of the records as :class:`~urial_check.reports.shift_html.ShiftEntry` objects."""
    from urial_check.reports.shift_html import ShiftEntry
    from urial_check.measures.token_shift import CaseShift

    return [
        ShiftEntry(r["suite"], r["id"], {c: CaseShift.from_dict(d) for c, d in r["token_shift_detail"].items()})
        for r in records
        if r.get("token_shift_detail")
    ]


def shift_table(entries: Sequence[Any]) -> str:
    """Per suite and context: the three ratios and mean KL, pooled over answer positions."""
    from urial_check.reports.shift_html import suite_summaries as shift_suites

    rows = []
    for suite, by_context in shift_suites(entries).items():
        for context, s in by_context.items():
            rows.append([suite, context, s.cases, s.positions, f"{100 * s.unshifted:.1f}%", f"{100 * s.marginal:.1f}%",
                         f"{100 * s.shifted:.1f}%", f"{s.mean_kl:.3f}"])
    headers = ["suite", "context", "cases", "positions", "unshifted", "marginal", "shifted", "mean KL"]
    return table(rows, headers, tablefmt="github")


def write_shift_artifacts(records: Sequence[dict[str, Any]], entries: Sequence[Any], run_dir: Path, title: str) -> Path:
    """Per-case JSON files and one HTML page (of ``entries``, from :func:`shift_entries`) under
    ``run_dir``; the per-position detail is removed from the records."""
    from urial_check.reports.shift_html import render_shift_html

    for record in records:
        detail = record.pop("token_shift_detail", None)
        if detail:
            path = run_dir / "token_shift" / f"{artifact_name(record['suite'], record['id'])}.json"
            write_json_atomic(path, {"suite": record["suite"], "id": record["id"], "contexts": detail})
            record["token_shift_file"] = f"{run_dir.name}/token_shift/{path.name}"
    page = run_dir / "token_shift.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render_shift_html(entries, title=title), encoding="utf-8")
    return page


def gate_record(result: Any) -> dict[str, Any]:
    """A suite gate's result for the run record (``kind: gate`` tells it from case records)."""
    return {
        "kind": "gate",
        "suite": result.suite,
        "cases": result.cases,
        "passed": result.passed,
        "rows": [
            {"metric": r.metric, "value": r.value, "threshold": r.threshold, "passed": r.passed, "n": r.n} for r in result.rows
        ],
    }


def scores_table(records: Sequence[Mapping[str, Any]]) -> str:
    """Per suite, the mean of each judged aspect and their average (laid out like the URIAL paper's Table 1)."""
    from urial_check.suites.loader import SCORE_ASPECTS

    by_suite: dict[str, list[Mapping[str, float]]] = {}
    for r in records:
        judge = r.get("judge")
        if judge:
            by_suite.setdefault(r["suite"], []).append(judge["scores"])
    if not by_suite:
        return ""
    extra = sorted({a for rows in by_suite.values() for s in rows for a in s if a not in SCORE_ASPECTS})
    aspects = list(SCORE_ASPECTS) + extra
    rows_out = []
    for suite in sorted(by_suite):
        rows = by_suite[suite]
        means = [_mean([s[a] for s in rows if a in s]) for a in aspects]
        present = [m for m, a in zip(means, SCORE_ASPECTS) if m is not None]
        avg = sum(present) / len(present) if present else None
        rows_out.append([suite, len(rows)] + [_fmt(m) for m in means] + [_fmt(avg)])
    return table(rows_out, ["suite", "judged"] + aspects + ["avg"], tablefmt="github")


def judge_errors(records: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(``suite::id``, message) of every case the judge could not score (in any of its runs)."""
    found = []
    for r in records:
        runs = (r.get("repeats") or {}).get("answers", [])
        error = r.get("judge_error") or next((a["judge_error"] for a in runs if a.get("judge_error")), None)
        if error:
            found.append((f"{r['suite']}::{r['id']}", str(error)))
    return found


def judge_errors_text(records: Sequence[Mapping[str, Any]], limit: int = 10) -> str:
    """The terminal's judge-error section: how many judged cases failed to be scored, and why ("" if none)."""
    errors = judge_errors(records)
    if not errors:
        return ""
    judged = sum(1 for r in records if r.get("judge") or r.get("judge_error") or any(
        a.get("judge") or a.get("judge_error") for a in (r.get("repeats") or {}).get("answers", [])))
    lines = [f"{len(errors)} of {judged} judged case{'s' if judged != 1 else ''} could not be scored:"]
    lines += [f"  {case}: {_one_block(message, 200)}" for case, message in errors[:limit]]
    if len(errors) > limit:
        lines.append(f"  ... and {len(errors) - limit} more (see the run record)")
    return "\n".join(lines)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def suite_summaries(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per suite: cases, passed, refusal rate on ``required`` cases, over-refusal rate on ``forbidden`` ones."""
    by_suite: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        by_suite.setdefault(r["suite"], []).append(r)
    return [_summary(suite, by_suite[suite]) for suite in sorted(by_suite)]


def _summary(suite: str, items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    required = [r for r in items if r["expect"]["refusal"] == "required"]
    forbidden = [r for r in items if r["expect"]["refusal"] == "forbidden"]
    return {
        "suite": suite,
        "cases": len(items),
        "passed": sum(r["outcome"] == "passed" for r in items),
        "required": len(required),
        "refusal_rate": _rate(r["refusal"]["label"] == "full_refusal" for r in required),
        "forbidden": len(forbidden),
        "over_refusal_rate": _rate(r["refusal"]["refused"] for r in forbidden),
    }


def _rate(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def summary_table(records: Sequence[Mapping[str, Any]]) -> str:
    """The terminal summary: one row per suite (and a total row when there are several)."""
    rows = suite_summaries(records)
    if not rows:
        return ""
    if len(rows) > 1:
        rows.append(_summary("all", records))
    cells = [
        [r["suite"], r["cases"], r["passed"], _pct(r["refusal_rate"], r["required"]), _pct(r["over_refusal_rate"], r["forbidden"])]
        for r in rows
    ]
    headers = ["suite", "cases", "passed", "refusal rate (required)", "over-refusal rate (forbidden)"]
    return table(cells, headers, tablefmt="github")


def rule_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per suite, how many verdicts each rule family decided (most first), with their labels.

    Rows: ``rule``, ``verdicts``, ``cases`` (the suite's total), ``labels`` (label -> count) and
    ``meaning`` (from :data:`urial_check.measures.refusal.RULE_FAMILIES`). Records without a rule count as
    ``unspecified``.
    """
    from urial_check.measures.refusal import RULE_FAMILIES

    by_suite: dict[str, dict[str, dict[str, int]]] = {}
    for r in records:
        refusal = r["refusal"]
        labels = by_suite.setdefault(r["suite"], {}).setdefault(refusal.get("rule") or "unspecified", {})
        labels[refusal["label"]] = labels.get(refusal["label"], 0) + 1
    out: dict[str, list[dict[str, Any]]] = {}
    for suite in sorted(by_suite):
        rules = by_suite[suite]
        total = sum(sum(labels.values()) for labels in rules.values())
        rows = [{"rule": rule, "verdicts": sum(labels.values()), "cases": total, "labels": dict(sorted(labels.items())),
                 "meaning": RULE_FAMILIES.get(rule, "")} for rule, labels in rules.items()]
        out[suite] = sorted(rows, key=lambda row: (-row["verdicts"], row["rule"]))
    return out


def rule_table(records: Sequence[Mapping[str, Any]]) -> str:
    """The terminal table of :func:`rule_counts`: one row per suite and rule family."""
    rows = [[suite, row["rule"], f"{row['verdicts']} of {row['cases']}", ", ".join(f"{n} {label}" for label, n in row["labels"].items()),
             row["meaning"]]
            for suite, suite_rows in rule_counts(records).items() for row in suite_rows]
    if not rows:
        return ""
    return table(rows, headers=["suite", "rule", "verdicts", "labels", "meaning"], tablefmt="github")


def _pct(rate: float | None, n: int) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}% of {n}"


def build_run_record(
    info: RunInfo,
    records: Sequence[Mapping[str, Any]],
    *,
    started: float,
    run_id: str | None = None,
    gates: Sequence[Mapping[str, Any]] = (),
    status: str = "complete",
    status_reason: str | None = None,
    selection: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The run record (see :mod:`urial_check.records.run_record`); without ``selection``, every case was selected and finished."""
    from urial_check import __version__

    if selection is None:
        selection = {"keyword": None, "markers": None, "selected": len(records), "deselected": 0,
                     "finished": len(records), "complete": status == "complete"}
    return {
        "schema": RUN_RECORD_SCHEMA,
        "schema_version": RUN_RECORD_VERSION,
        "status": status,
        "status_reason": status_reason,
        "selection": dict(selection),
        "run_id": run_id or new_run_id(started),
        "started": _iso(started),
        "finished": _iso(time.time()),
        "urial_check_version": __version__,
        "python": platform.python_version(),
        "model": {
            "id": info.model_id,
            "fingerprint": info.fingerprint,
            "device": info.device,
            "dtype": info.dtype,
            "load_seconds": info.load_seconds,
        },
        "prompts": dict(info.prompts),
        "decoding_overrides": dict(info.decoding_overrides),
        "judge": info.judge,
        "refusal_detector": info.refusal_detector,
        "judge_errors": len(judge_errors(records)),
        "suites": suite_summaries(records),
        "gates": list(gates),
        "cases": list(records),
    }


def new_run_id(started: float) -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(started)) + "-" + uuid.uuid4().hex[:6]


_RUN_FILE = re.compile(r"^run-(\d{8}T\d{6}-[0-9a-f]{6})\.json$")


def prune_run_records(report_dir: Path, keep: int, *, current: Path) -> list[Path]:
    """Delete all but the ``keep`` newest ``run-<id>.json`` files (and their ``run-<id>/`` artifact
    folders) under ``report_dir``; ``current`` is always kept, ``keep`` 0 keeps everything.
    Only names this tool writes are touched. Returns what was removed."""
    if keep <= 0:
        return []
    runs = sorted((p for p in report_dir.iterdir() if _RUN_FILE.match(p.name) and p != current), key=lambda p: p.name)
    removed = []
    for path in runs[: max(0, len(runs) - (keep - 1))]:
        folder = report_dir / path.stem
        path.unlink(missing_ok=True)
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
        removed.append(path)
    return removed


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


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
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


def write_run_record(record: Mapping[str, Any], report_dir: Path, *, latest: bool = True) -> Path:
    """Write ``run-<id>.json`` (and ``latest.json``) under ``report_dir``; return the run file's path."""
    path = report_dir / f"run-{record['run_id']}.json"
    write_json_atomic(path, record)
    if latest:
        write_json_atomic(report_dir / "latest.json", record)
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
