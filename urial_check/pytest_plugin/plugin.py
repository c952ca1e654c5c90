"""The pytest plugin (entry point ``pytest11``): options, ini keys, markers, fixtures and hooks.

Each hook is a few lines that call the plain-Python core (``suite``, ``session``, ``report``).
"""

from __future__ import annotations

import contextlib
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generator, Iterator

import pytest
import yaml

from urial_check.generation.backends.base import BackendError
from urial_check.generation.backends.base import Generator as AnswerGenerator
from urial_check.generation.backends.loading import resolve_model
from urial_check.generation.backends.transformers_backend import ModelSettings, TransformersBackend
from urial_check.records.baseline_gate import BaselineGate
from urial_check.pytest_plugin.items import (
    BASELINE_MARKER,
    CASE_MARKER,
    SUITES,
    DEFAULT_SUITE_GLOBS,
    GATE_MARKER,
    BaselineItem,
    CaseItem,
    GateItem,
    SuiteFile,
    is_case_nodeid,
    is_suite_file,
)
from urial_check.generation.decoding import DecodingError, check_field
from urial_check.generation.prompt import PromptError, UrialPrompt
from urial_check.reports.summary import (
    RunInfo,
    build_run_record,
    check_writable,
    judge_errors_text,
    new_run_id,
    prune_run_records,
    rule_table,
    scores_table,
    shift_entries,
    shift_table,
    summary_table,
    write_json_atomic,
    write_run_record,
    write_shift_artifacts,
)
from urial_check.suites.checks import DEFAULT_CHECKS
from urial_check.measures.detectors import DetectorSettings
from urial_check.records.run_record import describe_selection
from urial_check.session import SessionSettings, UrialSession
from urial_check.measures.judges.measure import JudgeMeasurer, JudgeSettings, ScoresCheck, probe_judge
from urial_check.measures.shift_measure import CONTEXT_CHOICES, TokenShiftCheck, TokenShiftMeasurer
from urial_check.suites.loader import Case


@dataclass
class RunState:
    """Per-run state kept in ``config.stash``: validated settings, the selected cases, the session."""

    settings: SessionSettings
    model: ModelSettings
    cache_mode: str = "rw"
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    baseline: BaselineGate | None = None
    planned: list[Case] = field(default_factory=list)
    session: UrialSession | None = None


STATE = pytest.StashKey[RunState]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("urial-check", "alignment tests of base LLMs through URIAL prompting")
    group.addoption("--urial-model", default=None, metavar="PATH",
                    help="model: a Hugging Face folder, a .gguf file or a cached hub id (default: embedded SmolLM2-135M)")
    group.addoption("--urial-device", default=None, metavar="DEV", help="auto (default), cpu, cuda or cuda:N")
    group.addoption("--urial-dtype", default=None, metavar="DTYPE", help="auto (default), float32, bfloat16, float16")
    group.addoption("--urial-prompt", default=None, metavar="PATH", help="URIAL prompt file (default: the built-in prompt)")
    group.addoption("--urial-batch-size", type=int, default=None, metavar="N", help="generation batch size (default: automatic)")
    group.addoption("--urial-max-new-tokens", type=int, default=None, metavar="N",
                    help="cap on generated tokens for every case (overrides suites)")
    group.addoption("--urial-generation", action="append", default=[], metavar="KEY=VALUE",
                    help="decoding setting for every case, e.g. do_sample=true (repeatable; overrides suites)")
    group.addoption("--urial-aligned-model", default=None, metavar="PATH",
                    help="tuned counterpart of the base model: measure the token distribution shift against it")
    group.addoption("--urial-shift-context", default="both", choices=sorted(CONTEXT_CHOICES),
                    help="base-model context for the token shift: zero_shot, urial or both (default; assertions use zero_shot)")
    group.addoption("--urial-shift-sequential", action="store_true", default=False,
                    help="load the base and aligned models one after the other (when both do not fit in memory)")
    group.addoption("--urial-chat-template", default=None, metavar="FILE",
                    help="Jinja chat template for the aligned model (default: its tokenizer's)")
    group.addoption("--urial-judge", default=None, choices=("heuristic", "openai", "hf", "off"),
                    help="who scores answers on the six aspects: heuristic (default, offline proxy), openai, hf, off")
    group.addoption("--urial-judge-model", default=None, metavar="NAME",
                    help="openai: the served model's name; hf: a local chat model (folder or .gguf)")
    group.addoption("--urial-judge-url", default=None, metavar="URL",
                    help="openai: base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1")
    group.addoption("--urial-judge-key-env", default=None, metavar="VAR",
                    help="openai: environment variable holding the API key (default OPENAI_API_KEY); never recorded")
    group.addoption("--urial-refusal-detector", default=None, choices=("rules", "openai", "hf"),
                    help="who decides refusals: rules (default, offline), openai (an LLM classifier), hf (a local classifier or guard model)")
    group.addoption("--urial-refusal-model", default=None, metavar="NAME",
                    help="openai: the served classifier model's name; hf: a local model folder")
    group.addoption("--urial-refusal-url", default=None, metavar="URL",
                    help="openai: base URL of an OpenAI-compatible API (default: --urial-judge-url); key from --urial-judge-key-env")
    group.addoption("--urial-refusal-label-map", default=None, metavar="MAP",
                    help="hf: the model's labels to ours, e.g. REJECTION=full_refusal,NORMAL=compliance")
    group.addoption("--urial-refusal-template", default=None, metavar="FILE",
                    help="prompt template with {instruction} and {response} (Jinja for .j2/.jinja): hf guard models; openai: replaces our prompt")
    group.addoption("--urial-refusal-answer-after", default=None, metavar="TEXT",
                    help="hf guard models: map the first word after TEXT (e.g. 'Response refusal:') instead of the first word")
    group.addoption("--urial-cache", default=None, choices=("rw", "ro", "off"),
                    help="result cache: rw (default) reads and writes, ro only reads, off neither")
    group.addoption("--urial-cache-dir", default=None, metavar="DIR",
                    help="cache folder (default $URIAL_CHECK_CACHE_DIR, else ~/.cache/urial-check)")
    group.addoption("--urial-cache-clear", action="store_true", default=False,
                    help="empty the result cache before the run")
    group.addoption("--urial-rehash", action="store_true", default=False,
                    help="hash the model files again instead of trusting the remembered fingerprints")
    group.addoption("--urial-baseline", default=None, metavar="PATH",
                    help="gate this run against a stored run record: one [baseline] item per suite (created if missing)")
    group.addoption("--urial-update-baseline", action="store_true", default=False,
                    help="write this run as the new baseline (the [baseline] items pass)")
    group.addoption("--urial-margin", type=float, default=0.05, metavar="X",
                    help="regression margin as a fraction of each metric's scale (default 0.05)")
    group.addoption("--urial-alpha", type=float, default=0.05, metavar="A",
                    help="significance level of the regression tests (default 0.05)")
    group.addoption("--urial-report-dir", default=None, metavar="DIR", help="where run records go (default: reports/)")
    group.addoption("--urial-keep-runs", type=int, default=None, metavar="N",
                    help="keep the N newest run records in the report folder, delete older ones (default 20; 0 keeps all)")
    parser.addini("urial_model", "default for --urial-model", default=None)
    parser.addini("urial_report_dir", "default for --urial-report-dir", default="reports")
    parser.addini("urial_keep_runs", "default for --urial-keep-runs", default="20")
    parser.addini("urial_cache", "default for --urial-cache", default="rw")
    parser.addini("urial_rehash", "default for --urial-rehash", type="bool", default=False)
    parser.addini("urial_judge", "default for --urial-judge", default="heuristic")
    parser.addini("urial_judge_model", "default for --urial-judge-model", default=None)
    parser.addini("urial_judge_url", "default for --urial-judge-url", default=None)
    parser.addini("urial_judge_key_env", "default for --urial-judge-key-env", default="OPENAI_API_KEY")
    parser.addini("urial_refusal_detector", "default for --urial-refusal-detector", default="rules")
    parser.addini("urial_refusal_model", "default for --urial-refusal-model", default=None)
    parser.addini("urial_refusal_url", "default for --urial-refusal-url", default=None)
    parser.addini("urial_refusal_label_map", "default for --urial-refusal-label-map", default=None)
    parser.addini("urial_refusal_template", "default for --urial-refusal-template", default=None)
    parser.addini("urial_refusal_answer_after", "default for --urial-refusal-answer-after", default=None)
    parser.addini("urial_suite_globs", "glob patterns of YAML files that are urial-check suites",
                  type="linelist", default=list(DEFAULT_SUITE_GLOBS))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{CASE_MARKER}: a urial-check suite case")
    config.addinivalue_line("markers", f"{GATE_MARKER}: a urial-check suite gate")
    config.addinivalue_line("markers", f"{BASELINE_MARKER}: a urial-check baseline comparison")
    # Options are validated now: bad ones are usage errors before collection or any model load.
    _keep_runs(config)
    config.stash[STATE] = RunState(settings=_session_settings(config), model=_model_settings(config),
                                   cache_mode=_cache_mode(config), detector=_detector_settings(config),
                                   baseline=_baseline_gate(config))
    config.pluginmanager.register(RunRecorder(config), "urial-check-recorder")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_suite_file(file_path, parent.config.getini("urial_suite_globs")):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Gates run after every case, whatever order other plugins chose.
    # Gates run after every case, baseline verdicts last.
    items.sort(key=lambda item: 2 if isinstance(item, BaselineItem) else 1 if isinstance(item, GateItem) else 0)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    state.planned = [item.case for item in session.items if isinstance(item, CaseItem)]
    if state.planned and not session.config.option.collectonly and not hasattr(session.config, "workerinput"):
        _probe_judge(session.config)  # a bad judge endpoint is a usage error before the model loads


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if config.pluginmanager.hasplugin("dsession") and not config.option.collectonly:
        _probe_judge(config)  # xdist's controller collects nothing: probe before any worker starts


@pytest.fixture(scope="session")
def urial_generator() -> AnswerGenerator | None:
    """What answers the cases. None (this default): the ``--urial-model`` model, through transformers.

    Override it in a ``conftest.py`` with a session-scoped fixture returning your own
    :class:`~urial_check.generation.backends.base.Generator` (a served model, a scripted stub).
    """
    return None


@pytest.fixture(scope="session")
def urial_session(request: pytest.FixtureRequest, urial_generator: AnswerGenerator | None) -> Iterator[UrialSession]:
    """The run's :class:`UrialSession`: model (loaded lazily, once), prompts and answers."""
    config = request.config
    state = config.stash[STATE]

    model_settings = state.model
    cache = _open_cache(config, model_settings.cache_dir or _cache_dir(config), state.cache_mode)
    memo = None
    if cache is not None:  # --urial-rehash: compute every file's digest anew (and remember it)
        rehash = config.getoption("urial_rehash") or config.getini("urial_rehash")
        memo = functools.partial(cache.remember_fingerprint, refresh=True) if rehash else cache.remember_fingerprint
    aligned = config.getoption("urial_aligned_model")
    measurers: list[Any] = []
    primary = None
    if aligned:
        template = config.getoption("urial_chat_template")
        shift = TokenShiftMeasurer(
            aligned,
            CONTEXT_CHOICES[config.getoption("urial_shift_context")],
            batch_size=model_settings.batch_size or 8,
            chat_template=Path(template).read_text(encoding="utf-8") if template else None,
            sequential=config.getoption("urial_shift_sequential"),
        )
        measurers.append(shift)
        primary = shift.primary_context
    judge_settings = _judge_settings(config)
    if judge_settings is not None:
        measurers.insert(0, JudgeMeasurer(judge_settings))
    session = UrialSession(
        state.settings,
        _generator_factory(urial_generator, model_settings, memo),
        cache=cache,
        checks=DEFAULT_CHECKS + (ScoresCheck(), TokenShiftCheck(primary)),
        measurers=measurers,
        progress_guard=_uncaptured(config),
        detector=_detector_factory(state.detector, memo),
    )
    session.plan(state.planned)
    state.session = session
    try:
        yield session
    finally:
        session.close()


def _generator_factory(given: object, model_settings: ModelSettings, memo: Any) -> Callable[[], AnswerGenerator]:
    """The session's generator, made on first use: the fixture's, else the transformers backend."""
    if given is None:
        return lambda: TransformersBackend(model_settings, fingerprint_memo=memo)

    def fixture_generator() -> AnswerGenerator:
        if not isinstance(given, AnswerGenerator):
            raise BackendError(f"the urial_generator fixture returned a {type(given).__name__}, not a Generator "
                               "(model_id, fingerprint, generate, close)")
        return given

    return fixture_generator


@pytest.fixture(scope="session")
def urial_baseline(request: pytest.FixtureRequest) -> BaselineGate:
    """The run's :class:`~urial_check.records.baseline_gate.BaselineGate` (needs ``--urial-baseline``)."""
    gate = request.config.stash[STATE].baseline
    if gate is None:
        pytest.skip("no --urial-baseline given")
    return gate


@pytest.fixture(scope="session")
def urial(urial_session: UrialSession) -> Any:
    """Ask the session's model from Python tests: ``urial.ask("...")`` -> :class:`urial_check.ask.Answer`."""
    from urial_check.ask import Urial

    return Urial(urial_session)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and isinstance(item, (BaselineItem, GateItem)) and isinstance(report.longrepr, tuple):
        path, line, _ = item.reportinfo()  # point -rs at the suite file, not at our code
        report.longrepr = (str(path), int(line or 0) + 1, report.longrepr[2])
    if call.when == "call" and getattr(item, "urial_record", None) is not None:
        report.urial_record = item.urial_record  # type: ignore[attr-defined]  # travels to the xdist controller
    return report


class RunRecorder:
    """Collects case records from test reports (also those sent by xdist workers) and writes the run
    record, also when the session stops early (``status: interrupted`` with the reason)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: list[dict[str, Any]] = []
        self.gates: list[dict[str, Any]] = []
        self.written: Path | None = None
        self.shift_page: Path | None = None
        self.shift_summary = ""
        self.baseline_note = ""
        self.status_line = ""
        self.selection_line = ""
        self.error_line = ""
        self.collection_errors = 0
        self.suite_collection_errors = 0
        #: Case node ids the xdist workers collected (set on the controller only).
        self.xdist_case_ids: list[str] | None = None
        self.started = time.time()
        self.run_id = new_run_id(self.started)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "urial_record", None)
        if record is not None and report.when == "call":
            (self.gates if record.get("kind") == "gate" else self.records).append(record)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1
            file = report.nodeid.partition("::")[0]
            if file and is_suite_file(self.config.rootpath / file, self.config.getini("urial_suite_globs")):
                self.suite_collection_errors += 1

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.xdist_case_ids is None:
            self.xdist_case_ids = [i for i in ids if is_case_nodeid(i, self.config)]

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput") or self.config.option.collectonly:
            return  # an xdist worker (only the controller writes shared files), or nothing was meant to run
        state = self.config.stash[STATE]
        selection, left_out = self._selection(state)
        if not (selection["selected"] or self.records or self.gates or self.suite_collection_errors):
            return  # no suite in this session
        if exitstatus == pytest.ExitCode.USAGE_ERROR and not self.records:
            return  # a usage error before any case ran (e.g. an unreachable judge): nothing to record
        status, reason = self._status(session, exitstatus, selection)
        complete = status == "complete"
        selection["complete"] = complete and selection["complete"] and not self.suite_collection_errors
        if not complete:
            self.status_line = f"run interrupted: {reason}; {selection['finished']} of {selection['selected']} selected cases finished"
        elif not selection["complete"]:
            self.selection_line = f"selection: {describe_selection(selection)} (a partial record)"
        info = self._run_info()
        report_dir = _report_dir(self.config)
        try:
            entries = shift_entries(self.records)
            if entries:
                self.shift_summary = shift_table(entries)
                self.shift_page = write_shift_artifacts(
                    self.records, entries, report_dir / f"run-{self.run_id}", title=f"Token shift: {info.model_id}"
                )
            record = build_run_record(info, self.records, started=self.started, run_id=self.run_id, gates=self.gates,
                                      status=status, status_reason=reason, selection=selection)
            self.written = write_run_record(record, report_dir)
            prune_run_records(report_dir, _keep_runs(self.config), current=self.written)
        except OSError as exc:
            self.error_line = f"urial-check: cannot write the run record under {report_dir}: {exc.strerror or exc}"
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        self._write_baseline(state.baseline, record, left_out, session)

    def _write_baseline(self, baseline: BaselineGate | None, record: dict[str, Any],
                        left_out: dict[str, set[str]] | None, session: pytest.Session) -> None:
        if baseline is None or not baseline.will_write:
            return
        if record["status"] != "complete":
            self.baseline_note = f"baseline not written (the run was interrupted): {baseline.path} is unchanged"
            return
        new, self.baseline_note = baseline.next_baseline(record, left_out=left_out)
        try:
            write_json_atomic(baseline.path, new)
        except OSError as exc:
            self.baseline_note = f"urial-check: cannot write the baseline {baseline.path}: {exc.strerror or exc}"
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def _selection(self, state: RunState) -> tuple[dict[str, Any], dict[str, set[str]] | None]:
        """The record's ``selection`` (``complete`` before the run's status is known) and, per suite
        that ran, the ids of its cases this run left out (None where unknown)."""
        keyword = self.config.getoption("keyword") or None
        markers = self.config.getoption("markexpr") or None
        left_out: dict[str, set[str]] | None
        if self.xdist_case_ids is not None and not state.planned:  # the xdist controller collects nothing itself
            selected, deselected = len(self.xdist_case_ids), None
            narrowed = bool(keyword or markers) or any("::" in str(a) for a in self.config.args)
            left_out = None if narrowed else {}
        else:
            planned = {(c.suite, c.id) for c in state.planned}
            selected = len(state.planned)
            suites = self.config.stash.get(SUITES, {})
            left_out = {name: {c.id for c in suite.cases if (name, c.id) not in planned} for name, suite in suites.items()}
            deselected = sum(len(ids) for ids in left_out.values())
            narrowed = deselected > 0
        finished = len({(r["suite"], r["id"]) for r in self.records})
        selection = {"keyword": keyword, "markers": markers, "selected": selected, "deselected": deselected,
                     "finished": finished, "complete": not narrowed}
        return selection, left_out

    def _status(self, session: pytest.Session, exitstatus: int, selection: dict[str, Any]) -> tuple[str, str | None]:
        reason: str | None = None
        for stop in (session.shouldfail, session.shouldstop):
            if stop:
                reason = stop if isinstance(stop, str) else "the session was stopped"
                break
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        if reason is None and interrupted:
            n = self.collection_errors
            reason = f"{n} error{'s' if n != 1 else ''} during collection" if n else "interrupted (Ctrl-C or a plugin)"
        missing = selection["selected"] - selection["finished"]
        if missing <= 0 and not interrupted:
            return "complete", None
        return "interrupted", reason or f"{missing} of {selection['selected']} selected cases did not finish (errors)"

    def _run_info(self) -> RunInfo:
        found = self.records or self.gates
        model: dict[str, Any] = found[0]["model"] if found else {"id": _configured_model_id(self.config), "fingerprint": None}
        return RunInfo(
            model_id=str(model["id"]),
            fingerprint=model["fingerprint"],
            prompts={r["prompt"]["source"]: r["prompt"]["sha256"] for r in self.records + self.gates},
            decoding_overrides=dict(self.config.stash[STATE].settings.decoding_overrides),
            device=model.get("device"),
            dtype=model.get("dtype"),
            judge=next((r["judge"]["id"] for r in self.records if r.get("judge")), None) or self._judge_id(),
            refusal_detector=next((r["refusal"].get("detector") for r in self.records), None),
            load_seconds=next((r["model"].get("load_seconds") for r in reversed(self.records + self.gates)), None),
        )

    def _judge_id(self) -> str | None:
        """The judge's id when no case has scores (every one an error), or the judge kind under xdist."""
        if not any(r.get("judge_error") for r in self.records):
            return None
        state = self.config.stash[STATE]
        ids = [m.judge_id for m in (state.session.measurers if state.session else ()) if isinstance(m, JudgeMeasurer)]
        settings = _judge_settings(self.config)
        return next((i for i in ids if i), None) or (settings.kind if settings else None)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not (self.written or self.error_line):
            return
        terminalreporter.write_sep("=", "urial-check summary")
        if self.status_line:
            terminalreporter.write_line(self.status_line)
        if self.records:
            terminalreporter.write_line(summary_table(self.records))
        if self.selection_line:
            terminalreporter.write_line(self.selection_line)
        rules = rule_table(self.records)
        if rules:
            terminalreporter.write_sep("-", "refusal verdicts by rule family")
            terminalreporter.write_line(rules)
        scores = scores_table(self.records)
        if scores:
            terminalreporter.write_sep("-", "judge scores, mean per aspect (1-5)")
            terminalreporter.write_line(scores)
        errors = judge_errors_text(self.records)
        if errors:
            terminalreporter.write_sep("-", "judge errors")
            terminalreporter.write_line(errors)
        if self.shift_summary:
            terminalreporter.write_sep("-", "token distribution shift (base vs aligned)")
            terminalreporter.write_line(self.shift_summary)
        if self.shift_page is not None:
            terminalreporter.write_line(f"token shift page: {self.shift_page}")
        if self.written is not None:
            terminalreporter.write_line(f"run record: {self.written}")
        for line in (self.error_line, self.baseline_note):
            if line:
                terminalreporter.write_line(line)


def _configured_model_id(config: pytest.Config) -> str:
    """The model id a record names when no case finished (nothing told us the loaded model's)."""
    from urial_check.generation.backends.loading import DEFAULT_MODEL_ID

    spec = config.getoption("urial_model") or config.getini("urial_model") or None
    try:
        return resolve_model(spec).model_id
    except BackendError:
        return spec or DEFAULT_MODEL_ID


def _keep_runs(config: pytest.Config) -> int:
    """``--urial-keep-runs`` / ``urial_keep_runs``: how many run records to keep (0: all)."""
    given = config.getoption("urial_keep_runs")
    raw = given if given is not None else config.getini("urial_keep_runs")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"urial_keep_runs = {raw}: expected a whole number") from None
    if value < 0:
        raise pytest.UsageError(f"--urial-keep-runs must be 0 (keep every run) or more, got {value}")
    return value


def _baseline_gate(config: pytest.Config) -> BaselineGate | None:
    """Load and validate ``--urial-baseline`` now, before collection (a bad file is a usage error)."""
    from urial_check.records.run_record import RunRecordError

    given = config.getoption("urial_baseline")
    if not given:
        if config.getoption("urial_update_baseline"):
            raise pytest.UsageError("--urial-update-baseline needs --urial-baseline PATH")
        return None
    margin, alpha = config.getoption("urial_margin"), config.getoption("urial_alpha")
    if not margin >= 0:
        raise pytest.UsageError(f"--urial-margin must be >= 0, got {margin}")
    if not 0 < alpha < 1:
        raise pytest.UsageError(f"--urial-alpha must be between 0 and 1, got {alpha}")
    path = Path(given).expanduser()
    path = path if path.is_absolute() else Path(config.invocation_params.dir) / path
    try:
        gate = BaselineGate.open(path, update=config.getoption("urial_update_baseline"), margin=margin, alpha=alpha)
    except RunRecordError as exc:
        raise pytest.UsageError(f"--urial-baseline: {exc}") from None
    if gate.will_write:
        try:
            check_writable(path)
        except OSError as exc:
            raise pytest.UsageError(f"--urial-baseline {given}: cannot write {path}: {exc.strerror or exc}") from None
    return gate


def _cache_dir(config: pytest.Config) -> Path:
    from urial_check.generation.cache import default_cache_dir

    given = config.getoption("urial_cache_dir")
    return Path(given).expanduser().resolve() if given else default_cache_dir()


def _cache_mode(config: pytest.Config) -> str:
    mode = config.getoption("urial_cache") or config.getini("urial_cache") or "rw"
    if mode not in ("rw", "ro", "off"):
        raise pytest.UsageError(f"urial_cache = {mode}: expected rw, ro or off")
    return str(mode)


def _open_cache(config: pytest.Config, directory: Path, mode: str) -> Any:
    """The session's result cache (None when off); ``--urial-cache-clear`` empties it first."""
    from urial_check.generation.cache import ResultCache

    if config.getoption("urial_cache_clear"):
        with ResultCache(directory, "rw") as clearing:
            clearing.clear()
    return None if mode == "off" else ResultCache(directory, "ro" if mode == "ro" else "rw")


def _model_settings(config: pytest.Config) -> ModelSettings:
    """Model, device, dtype and batch size from options and ini, checked now (a bad one is a usage error)."""
    settings = ModelSettings(
        model=config.getoption("urial_model") or config.getini("urial_model") or None,
        device=config.getoption("urial_device") or "auto",
        dtype=config.getoption("urial_dtype") or "auto",
        batch_size=config.getoption("urial_batch_size"),
        cache_dir=_cache_dir(config),
    )
    try:
        settings.validate()
    except BackendError as exc:
        raise pytest.UsageError(str(exc)) from None
    return settings


def _uncaptured(config: pytest.Config) -> Any:
    """A context manager factory that lifts pytest's output capture (for the progress bar)."""
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        return contextlib.nullcontext
    return capture.global_and_fixture_disabled


def _judge_settings(config: pytest.Config) -> JudgeSettings | None:
    kind = config.getoption("urial_judge") or config.getini("urial_judge") or "heuristic"
    if kind == "off":
        return None
    if kind not in ("heuristic", "openai", "hf"):
        raise pytest.UsageError(f"urial_judge = {kind}: expected heuristic, openai, hf or off")
    model = config.getoption("urial_judge_model") or config.getini("urial_judge_model") or None
    url = config.getoption("urial_judge_url") or config.getini("urial_judge_url") or None
    if kind in ("openai", "hf") and not model:
        raise pytest.UsageError(f"--urial-judge {kind} needs --urial-judge-model")
    if kind == "openai" and not url:
        raise pytest.UsageError("--urial-judge openai needs --urial-judge-url (an OpenAI-compatible base URL)")
    key_env = config.getoption("urial_judge_key_env") or config.getini("urial_judge_key_env") or "OPENAI_API_KEY"
    return JudgeSettings(kind=kind, model=model, base_url=url, api_key_env=key_env)


def _detector_settings(config: pytest.Config) -> DetectorSettings:
    """``--urial-refusal-detector`` and its options, validated now (bad ones are usage errors)."""
    from urial_check.generation.backends.base import BackendError
    from urial_check.measures.detectors import DetectorConfigError, parse_label_map

    def option(name: str) -> Any:
        return config.getoption(f"urial_refusal_{name}") or config.getini(f"urial_refusal_{name}") or None

    kind = option("detector") or "rules"
    if kind not in ("rules", "openai", "hf"):
        raise pytest.UsageError(f"urial_refusal_detector = {kind}: expected rules, openai or hf")
    model, template = option("model"), option("template")
    label_map: dict[str, str] = {}
    if option("label_map"):
        try:
            label_map = parse_label_map(option("label_map"))
        except DetectorConfigError as exc:
            raise pytest.UsageError(f"--urial-refusal-label-map: {exc}") from None
    if template and not Path(template).is_file():
        raise pytest.UsageError(f"--urial-refusal-template {template}: no such file")
    if kind in ("openai", "hf") and not model:
        raise pytest.UsageError(f"--urial-refusal-detector {kind} needs --urial-refusal-model")
    url = option("url") or config.getoption("urial_judge_url") or config.getini("urial_judge_url") or None
    if kind == "openai" and not url:
        raise pytest.UsageError("--urial-refusal-detector openai needs --urial-refusal-url (or --urial-judge-url)")
    if kind == "hf":
        try:
            resolve_model(model)
        except BackendError as exc:
            raise pytest.UsageError(str(exc).replace("--urial-model", "--urial-refusal-model")) from None
    return DetectorSettings(
        kind=kind,
        model=model,
        base_url=url,
        api_key_env=config.getoption("urial_judge_key_env") or config.getini("urial_judge_key_env") or "OPENAI_API_KEY",
        label_map=tuple(sorted(label_map.items())),
        template=Path(template).resolve() if template else None,
        answer_after=option("answer_after"),
        device=config.getoption("urial_device") or "auto",
        dtype=config.getoption("urial_dtype") or "auto",
        batch_size=config.getoption("urial_batch_size") or 16,
    )


def _detector_factory(settings: DetectorSettings, memo: Any) -> Any:
    """Builds the session's refusal detector on first use (an hf model loads only when answers need verdicts)."""
    from urial_check.measures.detectors import build_detector

    return lambda: build_detector(settings, fingerprint_memo=memo)


def _probe_judge(config: pytest.Config) -> None:
    from urial_check.measures.judges.base import JudgeError

    settings = _judge_settings(config)
    if settings is None:
        return
    try:
        probe_judge(settings)
    except JudgeError as exc:
        raise pytest.UsageError(f"--urial-judge {settings.kind}: {exc}") from None


def _report_dir(config: pytest.Config) -> Path:
    value = config.getoption("urial_report_dir") or config.getini("urial_report_dir")
    path = Path(value)
    return path if path.is_absolute() else config.rootpath / path


def _session_settings(config: pytest.Config) -> SessionSettings:
    """Build and validate the session settings from options; bad values are usage errors."""
    overrides: dict[str, Any] = {}
    for item in config.getoption("urial_generation") or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise pytest.UsageError(f"--urial-generation {item!r}: expected KEY=VALUE")
        try:
            value = yaml.safe_load(raw)
            check_field(key.strip(), value)
        except (DecodingError, yaml.YAMLError) as exc:
            raise pytest.UsageError(f"--urial-generation {item!r}: {exc}") from None
        overrides[key.strip()] = value
    max_new = config.getoption("urial_max_new_tokens")
    if max_new is not None:
        try:
            check_field("max_new_tokens", max_new)
        except DecodingError as exc:
            raise pytest.UsageError(f"--urial-max-new-tokens: {exc}") from None
        overrides["max_new_tokens"] = max_new
    prompt = config.getoption("urial_prompt")
    prompt_path = None
    if prompt:
        prompt_path = Path(prompt).expanduser().resolve()
        try:
            UrialPrompt.from_file(prompt_path)
        except PromptError as exc:
            raise pytest.UsageError(f"--urial-prompt: {exc}") from None
    batch = config.getoption("urial_batch_size")
    aligned = config.getoption("urial_aligned_model")
    if aligned:
        try:
            resolve_model(aligned)
        except BackendError as exc:
            raise pytest.UsageError(str(exc).replace("--urial-model", "--urial-aligned-model")) from None
    template = config.getoption("urial_chat_template")
    if template and not Path(template).is_file():
        raise pytest.UsageError(f"--urial-chat-template {template}: no such file")
    _judge_settings(config)
    stop_early = config.getoption("exitfirst", False) or (config.getoption("maxfail", 0) or 0) > 0
    window = (batch or 16) if stop_early or hasattr(config, "workerinput") else None
    return SessionSettings(
        prompt_path=prompt_path,
        decoding_overrides=tuple(sorted(overrides.items())),
        window=window,
        progress=config.getoption("verbose", 0) >= 0,
    )
