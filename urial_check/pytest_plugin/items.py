"""pytest collection adapters: a suite file is a ``pytest.File``, each case a ``pytest.Function``.

Cases are ``pytest.Function`` items built around a small runner function whose signature
requests the session fixture, so pytest resolves fixtures natively (``--setup-show``, ``-k``,
``-m`` and ``--junitxml`` all work as for Python tests).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

from urial_check.generation.backends.base import BackendError, GenerationError
from urial_check.measures.detectors.base import DetectorError
from urial_check.records.baseline import render_suite
from urial_check.generation.prompt import PromptError
from urial_check.records.gates import GateResult, evaluate_gate, render_gate
from urial_check.records.records import BaselineVerdict, CaseRecord, ModelInfo, PromptRef
from urial_check.reports.summary import failure_story, junit_properties, relative_path
from urial_check.session import CaseFailure, CaseOutcome, MeasurementError, UrialSession
from urial_check.suites.globs import DEFAULT_SUITE_GLOBS, is_suite_path
from urial_check.suites.loader import Case, Suite, SuiteError, SuiteWarning, load_suite
from urial_check.reports.terminal import printable

CASE_MARKER = "urial"
GATE_MARKER = "urial_gate"
GATE_NAME = "[gate]"
BASELINE_MARKER = "urial_baseline"
BASELINE_NAME = "[baseline]"
#: Suite name -> suite, for every suite file collected so far (names are unique).
SUITES = pytest.StashKey[dict[str, Suite]]()


def is_case_nodeid(nodeid: str, config: pytest.Config) -> bool:
    """Whether a node id (as xdist workers report them) names a suite case, not a gate, verdict or Python test."""
    file, _, name = nodeid.partition("::")
    return bool(name) and name not in (GATE_NAME, BASELINE_NAME) and is_suite_file(config.rootpath / file, config)


def is_suite_file(path: Path, config: pytest.Config) -> bool:
    """Whether ``path`` matches ``urial_suite_globs``, on its path relative to the rootdir when a
    configuration file fixed the rootdir; without one pytest only guesses the rootdir (the common
    ancestor of the arguments, which may be a folder inside ``suites/``), so the absolute path is used."""
    root = config.rootpath if config.inipath is not None else None
    return is_suite_path(path, config.getini("urial_suite_globs"), root)


class SuiteFile(pytest.File):
    """A YAML suite file; validated here, before any model loads."""

    def collect(self) -> Iterable[pytest.Item]:
        try:
            suite = load_suite(self.path, root=self.config.rootpath)
        except SuiteError as err:
            relative = SuiteError(relative_path(err.path, self.config.rootpath), err.line, err.message)
            raise self.CollectError(printable(str(relative))) from None
        for warning in suite.warnings:
            self.warn(SuiteWarning(relative_path(warning.path, self.config.rootpath), warning.line, printable(warning.message)))
        self._claim_name(suite)
        _register_markers(self.config, {t for c in suite.cases for t in c.tags})
        for case in suite.cases:
            item = CaseItem.from_parent(self, name=case.id, callobj=_runner(case), case=case)
            item.add_marker(CASE_MARKER)
            for tag in case.tags:
                item.add_marker(tag)
            yield item
        if suite.gate:
            gate = GateItem.from_parent(self, name=GATE_NAME, callobj=_gate_runner(suite), suite=suite)
            gate.add_marker(CASE_MARKER)
            gate.add_marker(GATE_MARKER)
            for tag in dict.fromkeys(t for c in suite.cases for t in c.tags):
                gate.add_marker(tag)  # so -m selects the gate together with its cases
            yield gate
        if self.config.getoption("urial_baseline", None):
            verdict = BaselineItem.from_parent(self, name=BASELINE_NAME, callobj=_baseline_runner(suite), suite=suite)
            verdict.add_marker(CASE_MARKER)
            verdict.add_marker(BASELINE_MARKER)
            for tag in dict.fromkeys(t for c in suite.cases for t in c.tags):
                verdict.add_marker(tag)
            yield verdict

    def _claim_name(self, suite: Suite) -> None:
        """Cases are keyed by suite name and id in run records: two files may not share a name."""
        suites = self.config.stash.setdefault(SUITES, {})
        other = suites.setdefault(suite.name, suite)
        if other.path.resolve() == suite.path.resolve():
            suites[suite.name] = suite
            return
        root = self.config.rootpath

        def where(path: Path, line: int) -> str:
            return f"{relative_path(path, root)}:{line}" if line else f"{relative_path(path, root)} (named after its path)"

        head = f"{relative_path(suite.path, root)}:{suite.name_line or 1}"
        raise self.CollectError(
            f"{head}: suite name {suite.name!r} is already used by {where(other.path, other.name_line)}; suite names must be unique"
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, self.CollectError):
            return str(excinfo.value.args[0])
        if isinstance(excinfo.value, SuiteWarning):  # -W error / filterwarnings = error
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class CaseItem(pytest.Function):
    """One suite case as a test."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.urial_record: CaseRecord | None = None

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.case.path, self.case.line - 1, printable(f"case {self.case.id!r} ({self.case.suite})", newlines=False)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        error = excinfo.value
        if isinstance(error, CaseFailure):
            return story_for(self.config, failure_story(error.outcome, error.model_id, rootdir=self.config.rootpath))
        if isinstance(error, DetectorError):
            path = relative_path(self.case.path, self.config.rootpath)
            return story_for(self.config, f"{path}:{self.case.line}: case '{self.case.id}': no refusal verdict: {error}")
        if isinstance(error, (BackendError, GenerationError, PromptError, MeasurementError)):
            return story_for(self.config, printable(f"urial-check: {error}"))
        return super().repr_failure(excinfo)


@dataclass(frozen=True)
class _CrashLine:
    """A story's headline: the line pytest prints per failure under ``--tb=line`` and in ``-r``'s
    short summary (JUnit XML's failure message too)."""

    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class _Story:
    """A failure story as pytest's report of it. A plain string would be printed whole wherever pytest
    prints the failure's message: in the short summary too when it runs on CI (``CI`` set), where
    messages go untruncated. Here ``reprcrash`` is the story's first line, the headline, for the short
    summary and ``--tb=line``; the FAILURES section gets the whole story, or nothing under
    ``--tb=line`` (pytest writes ``reprcrash`` next, so the failure is one readable line there).
    ``str()`` (JUnit XML's failure text, a worker's report to xdist's controller) is the whole story."""

    story: str
    one_line: bool = False

    @property
    def reprcrash(self) -> _CrashLine:
        return _CrashLine(self.story.partition("\n")[0])

    def toterminal(self, tw: Any) -> None:
        if not self.one_line:
            for line in self.story.splitlines():
                tw.line(line)

    def __str__(self) -> str:
        return self.story


def story_for(config: pytest.Config, story: str) -> _Story:
    """``story`` as a failure's report under this run's ``--tb`` style (see :class:`_Story`;
    ``--tb=no`` shows none: pytest skips the failures section)."""
    return _Story(story, one_line=config.getoption("tbstyle", "auto") == "line")


class GateFailure(AssertionError):
    """A suite's gate thresholds were not met."""

    def __init__(self, result: GateResult, suite: Suite) -> None:
        self.result = result
        self.suite = suite
        super().__init__(f"gate failed for suite {suite.name}")


class GateItem(pytest.Function):
    """The suite-level gate: runs after the suite's cases (see ``pytest_collection_modifyitems``)."""

    def __init__(self, *, suite: Suite, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.urial_record: GateResult | None = None

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.suite.path, self.suite.gate_line - 1, printable(f"gate of suite {self.suite.name!r}", newlines=False)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        error = excinfo.value
        if isinstance(error, GateFailure):
            path = relative_path(self.suite.path, self.config.rootpath)
            failed = ", ".join(f"{r.metric} {r.threshold}" for r in error.result.failures)
            head = f"{path}:{self.suite.gate_line}: gate of suite '{self.suite.name}' failed ({failed}) over {error.result.coverage}"
            return story_for(self.config, printable(head) + "\n" + render_gate(error.result))
        if isinstance(error, (BackendError, GenerationError, PromptError, MeasurementError, DetectorError)):
            return story_for(self.config, printable(f"urial-check: {error}"))
        return super().repr_failure(excinfo)


class BaselineRegression(AssertionError):
    """A suite regressed against the stored baseline."""

    def __init__(self, report: str) -> None:
        self.report = report
        super().__init__(report.splitlines()[0] if report else "regression")


class BaselineItem(pytest.Function):
    """The suite's verdict against ``--urial-baseline``: runs after its cases and its gate."""

    def __init__(self, *, suite: Suite, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.urial_record: BaselineVerdict | None = None

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.suite.path, 0, printable(f"baseline of suite {self.suite.name!r}", newlines=False)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        error = excinfo.value
        if isinstance(error, BaselineRegression):
            path = relative_path(self.suite.path, self.config.rootpath)
            return story_for(self.config, printable(f"{path}: suite '{self.suite.name}' regressed against the baseline\n{error.report}"))
        if isinstance(error, (BackendError, GenerationError, PromptError, MeasurementError, DetectorError)):
            return story_for(self.config, printable(f"urial-check: {error}"))
        return super().repr_failure(excinfo)


def _suite_outcomes(urial_session: UrialSession, suite: Suite, request: pytest.FixtureRequest) -> list[CaseOutcome]:
    """Outcomes of the suite's selected cases; the item is skipped when none of them was selected.

    A gate or baseline verdict is a figure over the cases the run selected, each of which is a test
    with its own record. Cases nobody selected are not generated behind the selection's back: they
    would be judged without a test or a record of their own.
    """
    cases = [c for c in urial_session.planned if c.suite == suite.name]
    if not cases:
        pytest.skip(f"no case of suite {suite.name!r} was selected: it is computed over the selected cases (select some too)")
    try:
        return [urial_session.evaluate(c) for c in cases]
    except (BackendError, PromptError, MeasurementError) as err:
        request.session.shouldstop = printable(f"urial-check: {err}", newlines=False)
        raise


def _baseline_runner(suite: Suite) -> Callable[..., None]:
    def run(urial_session: UrialSession, urial_baseline: Any, request: pytest.FixtureRequest) -> None:
        gate = urial_baseline
        if gate.update:
            return  # --urial-update-baseline: this run becomes the baseline
        if gate.baseline is None:
            pytest.skip(f"no baseline yet: this run is written to {gate.path} if it completes (see the summary)")
        outcomes = _suite_outcomes(urial_session, suite, request)
        records = [_case_record(urial_session, o) for o in outcomes]
        comparison = gate.compare_suite(suite.name, records, margins=dict(suite.margins))
        if comparison is None or comparison.shared == 0:
            pytest.skip(f"suite {suite.name!r} has no cases in the baseline {gate.path}")
        request.node.user_properties.extend(
            (f"urial.baseline.{row.metric}", f"{row.difference:+.4f}") for row in comparison.metrics
        )
        request.node.urial_record = BaselineVerdict(
            suite.name, str(gate.path), comparison.shared, tuple(row.metric for row in comparison.regressions))
        if comparison.regressed:
            raise BaselineRegression(render_suite(comparison))

    run.__name__ = "urial_baseline"
    return run


def _gate_runner(suite: Suite) -> Callable[..., None]:
    def run(urial_session: UrialSession, request: pytest.FixtureRequest) -> None:
        outcomes = _suite_outcomes(urial_session, suite, request)
        cases = [_case_record(urial_session, o) for o in outcomes]
        result = evaluate_gate(suite.name, suite.gate, cases, urial_session.primary_shift_context,
                               suite_cases=len(suite.cases))
        result = dataclasses.replace(result, model=cases[0].model, prompt=cases[0].prompt)
        request.node.urial_record = result
        request.node.user_properties.append(("urial.gate.cases", f"{result.cases} of {result.suite_cases}"))
        request.node.user_properties.extend(
            (f"urial.gate.{row.metric}", "n/a" if row.value is None else f"{row.value:.4f}") for row in result.rows
        )
        if not result.passed:
            raise GateFailure(result, suite)

    run.__name__ = "urial_gate"
    return run


def _runner(case: Case) -> Callable[..., None]:
    def run(urial_session: UrialSession, request: pytest.FixtureRequest) -> None:
        try:
            outcome = urial_session.evaluate(case)
        except (BackendError, PromptError, MeasurementError) as err:
            request.session.shouldstop = printable(f"urial-check: {err}", newlines=False)
            raise
        except Exception as err:
            # Our own errors (a detector's or judge's reply for this case) fail this case alone; another
            # (a user's backend or measurer crashed) stops the run: each later case would call it again.
            if not type(err).__module__.startswith("urial_check."):
                request.session.shouldstop = printable(
                    f"urial-check: stopped at an unexpected error: {type(err).__name__}: {err}", newlines=False)
            raise
        record = _case_record(urial_session, outcome)
        request.node.urial_record = record
        # JUnit XML properties (added to user_properties directly: the record_property fixture
        # warns under the default xunit2 family although junitxml writes them all the same).
        request.node.user_properties.extend(junit_properties(record))
        if outcome.error is not None:  # no answer: one line, the case is recorded as failed
            raise GenerationError(f"case '{case.id}': {outcome.error}")
        if not outcome.passed:
            raise CaseFailure(outcome, urial_session.backend.model_id)

    run.__name__ = f"urial_case_{case.id}"
    return run


def _case_record(urial_session: UrialSession, outcome: CaseOutcome) -> CaseRecord:
    """The case's record, built once from its outcome (the gate and baseline items build the same)."""
    prompt = urial_session.prompt_for(outcome.case)
    return CaseRecord.from_outcome(outcome, model=ModelInfo.from_json(urial_session.model_info()),
                                   prompt=PromptRef(prompt.source, prompt.sha256))


def _register_markers(config: pytest.Config, tags: set[str]) -> None:
    """Register a suite file's tags as markers (so ``--strict-markers`` accepts them)."""
    registered = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    for tag in sorted(tags - registered):
        config.addinivalue_line("markers", f"{tag}: urial-check suite tag")


