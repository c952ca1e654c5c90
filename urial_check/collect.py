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
from .report import failure_story, junit_properties, outcome_record
from .session import CaseFailure, MeasurementError, UrialSession
from .suite import Case, SuiteError, load_suite

DEFAULT_SUITE_GLOBS = ("*/suites/*.yaml", "*/suites/*.yml", "*.urial.yaml", "*.urial.yml")
CASE_MARKER = "urial"


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


def _relative(err: SuiteError, rootdir: Path) -> SuiteError:
    try:
        rel = err.path.resolve().relative_to(rootdir.resolve())
    except ValueError:
        return err
    return SuiteError(rel, err.line, err.message)
