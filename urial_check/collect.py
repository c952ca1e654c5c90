"""pytest collection adapters: a suite file is a ``pytest.File``, each case a ``pytest.Function``.

Cases are ``pytest.Function`` items built around a small runner function whose signature
requests the session fixture, so pytest resolves fixtures natively (``--setup-show``, ``-k``,
``-m`` and ``--junitxml`` all work as for Python tests).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

from .backends.base import BackendError
from .prompt import PromptError
from .gate import GateResult, evaluate_gate, render_gate
from .report import failure_story, gate_record, junit_properties, outcome_record
from .session import CaseFailure, MeasurementError, UrialSession
from .suite import Case, Suite, SuiteError, load_suite

DEFAULT_SUITE_GLOBS = ("*/suites/*.yaml", "*/suites/*.yml", "*.urial.yaml", "*.urial.yml")
CASE_MARKER = "urial"
GATE_MARKER = "urial_gate"
GATE_NAME = "[gate]"


def is_suite_file(path: Path, globs: Iterable[str]) -> bool:
    if path.suffix not in (".yaml", ".yml"):
        return False
    text = path.resolve().as_posix()
    return any(fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(path.name, pattern) for pattern in globs)


class SuiteFile(pytest.File):
    """A YAML suite file; validated here, before any model loads."""

    def collect(self) -> Iterable[pytest.Item]:
        try:
            suite = load_suite(self.path, root=self.config.rootpath)
        except SuiteError as err:
            raise self.CollectError(str(_relative(err, self.config.rootpath))) from None
        for case in suite.cases:
            for tag in case.tags:
                _register_marker(self.config, tag)
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

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, self.CollectError):
            return str(excinfo.value.args[0])
        return super().repr_failure(excinfo)


class CaseItem(pytest.Function):
    """One suite case as a test."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.urial_record: dict[str, Any] | None = None

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.case.path, self.case.line - 1, f"case {self.case.id!r} ({self.case.suite})"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        error = excinfo.value
        if isinstance(error, CaseFailure):
            return failure_story(error.outcome, error.model_id, rootdir=self.config.rootpath)
        if isinstance(error, (BackendError, PromptError, MeasurementError)):
            return f"urial-check: {error}"
        return super().repr_failure(excinfo, style=style)


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
        self.urial_record: dict[str, Any] | None = None

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.suite.path, self.suite.gate_line - 1, f"gate of suite {self.suite.name!r}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        error = excinfo.value
        if isinstance(error, GateFailure):
            path = _relative_path(self.suite.path, self.config.rootpath)
            failed = ", ".join(f"{r.metric} {r.threshold}" for r in error.result.failures)
            head = f"{path}:{self.suite.gate_line}: gate of suite '{self.suite.name}' failed ({failed}) over {error.result.cases} cases"
            return head + "\n" + render_gate(error.result)
        if isinstance(error, (BackendError, PromptError, MeasurementError)):
            return f"urial-check: {error}"
        return super().repr_failure(excinfo, style=style)


def _gate_runner(suite: Suite) -> Callable[..., None]:
    def run(urial_session: UrialSession, request: pytest.FixtureRequest) -> None:
        planned = [c for c in urial_session.planned if c.path == suite.path]
        cases = planned or list(suite.cases)  # the gate alone selected: it covers the whole suite
        try:
            outcomes = [urial_session.evaluate(c) for c in cases]
        except (BackendError, PromptError, MeasurementError) as err:
            request.session.shouldstop = f"urial-check: {err}"
            raise
        result = evaluate_gate(suite.name, suite.gate, outcomes, urial_session.primary_shift_context)
        record = gate_record(result)
        record["model"] = urial_session.model_info()
        prompt = urial_session.prompt_for(cases[0])
        record["prompt"] = {"source": prompt.source, "sha256": prompt.sha256}
        request.node.urial_record = record
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
            request.session.shouldstop = f"urial-check: {err}"
            raise
        record = outcome_record(outcome)
        record["model"] = urial_session.model_info()
        prompt = urial_session.prompt_for(case)
        record["prompt"] = {"source": prompt.source, "sha256": prompt.sha256}
        request.node.urial_record = record
        # JUnit XML properties (added to user_properties directly: the record_property fixture
        # warns under the default xunit2 family although junitxml writes them all the same).
        request.node.user_properties.extend(junit_properties(outcome))
        if not outcome.passed:
            raise CaseFailure(outcome, urial_session.backend.model_id)

    run.__name__ = f"urial_case_{case.id}"
    return run


def _register_marker(config: pytest.Config, tag: str) -> None:
    registered = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    if tag not in registered:
        config.addinivalue_line("markers", f"{tag}: urial-check suite tag")


def _relative_path(path: Path, rootdir: Path) -> Path:
    try:
        return path.resolve().relative_to(rootdir.resolve())
    except ValueError:
        return path


def _relative(err: SuiteError, rootdir: Path) -> SuiteError:
    try:
        rel = err.path.resolve().relative_to(rootdir.resolve())
    except ValueError:
        return err
    return SuiteError(rel, err.line, err.message)
