"""The ``urial-check`` command: work with run records outside pytest.

``urial-check compare BASELINE.json CANDIDATE.json``
    Gate a candidate run against a baseline run (:mod:`urial_check.records.baseline`). Exit status 0 when
    no metric regressed, 1 when one did, 2 on bad input (one line on stderr). A record of a subset
    (``-k``/``-m``/node ids) or of an interrupted run gets a warning on stderr and a note in the
    output; ``--require-complete`` makes it bad input. When the
    ``GITHUB_STEP_SUMMARY`` environment variable names a file, the Markdown summary is appended to
    it, so a GitHub Actions job shows the table on its summary page.
``urial-check report RUN.json -o report.html [--baseline BASE.json]``
    Write a self-contained HTML report (:mod:`urial_check.reports.html`).
``urial-check import FORMAT SOURCE -o suites/NAME/``
    Turn a public benchmark file into format-v1 suite files (:mod:`urial_check.suites.importers`).
``urial-check table RUN.json RUN.json ... [--metric NAME] [--sort time] [--html out.html]``
    One row per run, one column per suite metric, to follow checkpoints over training; ``--html``
    also draws each metric across the runs (:mod:`urial_check.reports.table`).

Subcommands are registered in :data:`COMMANDS`: each entry adds its subparser and sets
``handler``, a function from the parsed arguments to an exit status. To add one, write an
``_add_<name>(subparsers)`` function and list it there.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from urial_check.records.baseline import ComparisonError, compare_runs, coverage_notes, render_markdown, render_table, to_json
from urial_check.records.records import RunRecord
from urial_check.records.run_record import RunRecordError
from urial_check.reports.html import render_html_report
from urial_check.reports.terminal import printable
from urial_check.suites.importers import (
    DEFAULT_HARMFUL_VALUES, DEFAULT_SAFE_VALUES, FORMATS, ColumnMap, ImportSourceError, LabelValues, import_source, stale_suites,
    write_suites,
)
from urial_check.version import __version__

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_BAD_INPUT = 2

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad input from the user; ``main`` prints the message as one line and exits with status 2."""


def _emit(text: str, end: str = "\n") -> None:
    """Print ``text`` (then ``end``) on stdout. A reader that went away (``urial-check compare ... | head``)
    loses the rest of the output, not the exit status: the verdict is still 0, 1 or 2, without a traceback."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.write(text + end)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # what is still buffered goes nowhere at exit
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _refuse_overwriting(output: Path, inputs: Sequence[Path | None]) -> None:
    """Bad input when ``output`` is (or links to) one of the run records read: writing there would lose it."""
    for path in inputs:
        try:
            same = path is not None and output.exists() and os.path.samefile(output, path)
        except OSError:
            same = False
        if same:
            raise UsageError(f"{output}: is the run record {path}; write the HTML to another file")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _add_compare(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare", help="gate a candidate run record against a baseline run record",
        description="Compare two run records suite by suite on the cases both share. Exit status: 0 pass, "
                    "1 regression, 2 bad input.",
    )
    p.add_argument("baseline", type=Path, help="baseline run record (JSON)")
    p.add_argument("candidate", type=Path, help="candidate run record (JSON)")
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table", help="output format (default: table)")
    p.add_argument("--margin", type=_fraction, default=0.05,
                   help="allowed worsening as a fraction of each metric's scale (default 0.05: 5 points of a rate, "
                        "0.2 of a 1-5 score)")
    p.add_argument("--alpha", type=_fraction, default=0.05, help="significance level of the paired tests (default 0.05)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling (default 0)")
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--max-flips", type=int, default=20, help="flipped cases listed per suite and direction (default 20)")
    p.add_argument("--require-complete", action="store_true",
                   help="bad input (exit 2) when either record covers a subset (-k, -m, node ids) or an interrupted run; "
                        "without it, a warning")
    p.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    if args.max_flips < 0:
        raise UsageError(f"--max-flips must be a non-negative integer, got {args.max_flips}")
    try:
        baseline = RunRecord.load(args.baseline)
        candidate = RunRecord.load(args.candidate)
        partial = coverage_notes(baseline, candidate)
        if partial and args.require_complete:
            raise UsageError(partial[0])
        comparison = compare_runs(baseline, candidate, margin=args.margin, alpha=args.alpha, seed=args.seed, n_boot=args.n_boot)
    except (RunRecordError, ComparisonError) as exc:
        raise UsageError(str(exc)) from None
    if comparison.shared_cases == 0:
        raise UsageError(f"{args.candidate}: no case in common with {args.baseline}; nothing to compare")
    for note in partial:
        print(printable(f"urial-check compare: warning: {note}", newlines=False), file=sys.stderr)
    if args.format == "json":
        _emit(to_json(comparison), end="")
    elif args.format == "markdown":
        _emit(render_markdown(comparison, max_flips=args.max_flips), end="")
    else:
        _emit(render_table(comparison, max_flips=args.max_flips))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(render_markdown(comparison, max_flips=args.max_flips) + "\n")
        except OSError as exc:
            raise UsageError(f"GITHUB_STEP_SUMMARY={summary}: cannot append: {exc.strerror or exc}") from None
    return EXIT_OK if comparison.passed else EXIT_REGRESSION


def _add_report(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="write a self-contained HTML report of a run record",
        description="Write one HTML file (no scripts, no network) with per-suite tables, plots and every case.",
    )
    p.add_argument("run", type=Path, help="run record (JSON)")
    p.add_argument("-o", "--output", type=Path, required=True, help="HTML file to write")
    p.add_argument("--baseline", type=Path, help="baseline run record to compare against")
    p.add_argument("--title", help="page title (default: from the run id)")
    p.add_argument("--margin", type=_fraction, default=0.05, help="as for compare (with --baseline)")
    p.add_argument("--alpha", type=_fraction, default=0.05, help="as for compare (with --baseline)")
    p.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    _refuse_overwriting(args.output, [args.run, args.baseline])
    try:
        run = RunRecord.load(args.run)
        baseline = RunRecord.load(args.baseline) if args.baseline else None
        comparison = compare_runs(baseline, run, margin=args.margin, alpha=args.alpha) if baseline else None
    except (RunRecordError, ComparisonError) as exc:
        raise UsageError(str(exc)) from None
    if comparison is not None and comparison.shared_cases == 0:
        raise UsageError(f"{args.run}: no case in common with {args.baseline}; nothing to compare")
    html = render_html_report(run, baseline=baseline, comparison=comparison, title=args.title)
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(html, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    _emit(f"report: {args.output}")
    return EXIT_OK


def _add_import(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "import", help="turn a public benchmark file into format-v1 suite files",
        description="Write one suite file per source category into OUTPUT (see README \"Importing public "
                    "benchmarks\"). Exit status: 0 written, 2 bad input (one line on stderr).",
    )
    p.add_argument("format", metavar="FORMAT", help=f"one of: {', '.join(FORMATS)}")
    p.add_argument("source", type=Path, help="the upstream file (CSV, JSON or JSONL)")
    p.add_argument("-o", "--output", type=Path, required=True, help="folder for the suite files, e.g. suites/xstest/")
    p.add_argument("--name", help="suite name prefix (default: the folder's path below suites/)")
    p.add_argument("--force", action="store_true", help="replace suite files that already exist")
    p.add_argument("--map", dest="columns", metavar="KEY=COLUMN,...",
                   help="csv/jsonl only: instruction=COLUMN (required), id=, label=, category=, reference=")
    p.add_argument("--harmful-values", metavar="V,V,...",
                   help=f"label values meaning harmful: refusal required (default: {','.join(DEFAULT_HARMFUL_VALUES)})")
    p.add_argument("--safe-values", metavar="V,V,...",
                   help=f"label values meaning safe: refusal forbidden (default: {','.join(DEFAULT_SAFE_VALUES)})")
    p.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    if args.format not in FORMATS:
        raise UsageError(f"unknown format {args.format!r} (choose from: {', '.join(FORMATS)})")
    try:
        columns = ColumnMap.parse(args.columns) if args.columns is not None else None
        labels = LabelValues.parse(args.harmful_values, args.safe_values)
        if (args.harmful_values is not None or args.safe_values is not None) and (columns is None or columns.label is None):
            raise ValueError("--harmful-values and --safe-values need a label column: --map ...,label=COLUMN")
        groups = import_source(args.format, args.source, columns=columns, labels=labels)
        header = (
            f"Imported by `urial-check import {args.format}` from {args.source.name}.\n"
            "The upstream data keeps its own licence (see README, Importing public benchmarks)."
        )
        stale = stale_suites(groups, args.output, header)  # an earlier import's files this one does not write
        paths = write_suites(groups, args.output, prefix=args.name, header=header, force=args.force)
    except (ImportSourceError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    for path, group in zip(paths, groups):
        counts = {r: sum(1 for c in group.cases if c.refusal == r) for r in ("required", "forbidden", "any")}
        shown = ", ".join(f"{n} refusal {r}" for r, n in counts.items() if n)
        _emit(printable(f"wrote {path} ({len(group.cases)} cases: {shown})"))
    for path in stale:
        _emit(printable(f"removed {path} (an earlier import of {args.source.name}; this one no longer writes it)"))
    return EXIT_OK


def _add_table(subparsers: Any) -> None:
    from urial_check.reports.table import DEFAULT_METRICS, SORTS

    p = subparsers.add_parser(
        "table", help="one row per run record, one column per suite metric (follow checkpoints over training)",
        description="Print the suite metrics of several run records side by side (\"-\": the run has no such suite; "
                    "\"n/a\": nothing to measure; \"*\": an interrupted run or a subset). Exit status: 0, or 2 on bad input.",
    )
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="run records (JSON), e.g. reports/run-*.json")
    p.add_argument("--metric", dest="metrics", action="append", metavar="NAME",
                   help=f"a column per suite, repeatable (default: {', '.join(DEFAULT_METRICS)}; also mean.<aspect>, "
                        "token_shift.<unshifted|marginal|shifted|mean_kl>)")
    p.add_argument("--sort", choices=SORTS, default="given", help="row order: as given (default) or by start time")
    p.add_argument("--html", type=Path, metavar="OUT", help="also write an HTML page with a line plot per metric")
    p.add_argument("--title", help="HTML page title")
    p.set_defaults(handler=_table)


def _table(args: argparse.Namespace) -> int:
    from urial_check.records.records import RunRecord
    from urial_check.records.run_record import RunRecordError
    from urial_check.reports.table import DEFAULT_METRICS, TableError, build_table, render_html, render_text

    if args.html is not None:
        _refuse_overwriting(args.html, args.runs)
    try:
        runs = _each_run_once(args.runs, [RunRecord.load(path) for path in args.runs])
        view = build_table(runs, args.metrics or DEFAULT_METRICS, sort=args.sort)
    except (RunRecordError, TableError) as exc:
        raise UsageError(str(exc)) from None
    if args.html is not None:
        try:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            args.html.write_text(render_html(view, title=args.title), encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"{args.html}: cannot write: {exc.strerror or exc}") from None
    _emit(render_text(view))
    if args.html is not None:
        _emit(printable(f"html: {args.html}"))
    return EXIT_OK


def _each_run_once(paths: Sequence[Path], runs: Sequence[RunRecord]) -> list[RunRecord]:
    """``runs`` with each run once, at the place of its last file. ``reports/*.json`` also takes
    ``latest.json``, a copy of the newest run, listed first: kept, it would draw the newest run,
    then the oldest, ..., then the newest again. Each run left out is named on stderr."""
    last = {run.run_id: i for i, run in enumerate(runs)}
    kept = []
    for i, (path, run) in enumerate(zip(paths, runs)):
        if last[run.run_id] == i:
            kept.append(run)
            continue
        other = paths[last[run.run_id]]
        if runs[last[run.run_id]] != run:
            raise UsageError(f"{path} and {other} hold different runs with one run id ({run.run_id})")
        why = "is given twice" if other == path else f"holds the same run as {other} ({run.run_id})"
        print(printable(f"urial-check table: left out {path}: it {why}", newlines=False), file=sys.stderr)
    return kept


#: Subcommand registrations, in the order ``--help`` lists them.
COMMANDS: tuple[Callable[[Any], None], ...] = (_add_compare, _add_report, _add_import, _add_table)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="urial-check", description="Work with urial-check run records outside pytest.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``urial-check`` script; returns the exit status."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except UsageError as exc:
        print(printable(f"urial-check {args.command}: error: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
