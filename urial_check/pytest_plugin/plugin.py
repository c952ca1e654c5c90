"""The pytest plugin (entry point ``pytest11``): options, ini keys, markers, fixtures and hooks.

Each hook is a few lines that call the plain-Python core (``suite``, ``session``, ``report``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generator, Iterator

import pytest

from urial_check.ask import Urial
from urial_check.config import OPTION_NAMES, ConfigError, RunConfig, build_session, config_warnings, open_baseline
from urial_check.generation.backends.base import Generator as AnswerGenerator
from urial_check.generation.backends.base import ReportsUsage
from urial_check.reports.terminal import printable
from urial_check.records.baseline_gate import BaselineGate
from urial_check.records.gates import gate_line
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
    story_for,
)
from urial_check.records.records import BaselineVerdict, CaseRecord, GateResult, ModelInfo, RunRecord, Selection
from urial_check.reports.summary import (
    judge_errors_text,
    new_run_id,
    RecordWrittenAside,
    prune_run_records,
    rule_table,
    scores_table,
    shift_table,
    summary_table,
    versus_table,
    write_run_record,
    write_shift_artifacts,
)
from urial_check.session import SessionSettings, UrialSession
from urial_check.measures.judges.base import JudgeError
from urial_check.measures.judges.measure import JudgeMeasurer, JudgeSettings, probe_judge
from urial_check.measures.shift_measure import CONTEXT_CHOICES
from urial_check.suites.loader import Case


#: The key under which an xdist worker sends the selection's left-out case ids to the controller.
_LEFT_OUT_KEY = "urial_check_left_out"


@dataclass
class RunState:
    """Per-run state kept in ``config.stash``: the validated options, the selected cases, the session."""

    run_config: RunConfig
    baseline: BaselineGate | None = None
    planned: list[Case] = field(default_factory=list)
    session: UrialSession | None = None

    @property
    def settings(self) -> SessionSettings:
        return self.run_config.session


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
    group.addoption("--urial-versus-aligned", action=argparse.BooleanOptionalAction, default=None,
                    help="also check the aligned model's answers (from --urial-aligned-model) and show URIAL vs aligned "
                         "side by side (--no-urial-versus-aligned: off, whatever urial_versus_aligned says)")
    group.addoption("--urial-aligned-endpoint", default=None, metavar="URL",
                    help="the aligned model on a vLLM server (base URL, e.g. http://127.0.0.1:8001/v1) for the token "
                         "shift of a served base model (--urial-endpoint); KL is then approximate")
    group.addoption("--urial-aligned-endpoint-model", default=None, metavar="NAME", help="the served aligned model's name")
    group.addoption("--urial-aligned-endpoint-revision", default=None, metavar="REV",
                    help="checkpoint id (step or hash) of the served aligned weights")
    group.addoption("--urial-aligned-endpoint-key-env", default=None, metavar="VAR",
                    help="environment variable holding the aligned endpoint's API key (default: --urial-endpoint-key-env's)")
    group.addoption("--urial-endpoint", action="append", default=[], metavar="URL",
                    help="answer through an OpenAI-compatible completions server (vLLM, SGLang, TGI, llama.cpp) "
                         "at this base URL, e.g. http://127.0.0.1:8000/v1; repeat for replicas")
    group.addoption("--urial-endpoint-model", default=None, metavar="NAME", help="the served base model's name")
    group.addoption("--urial-endpoint-revision", default=None, metavar="REV",
                    help="checkpoint id (step or hash) of the served weights; keys the result cache")
    group.addoption("--urial-endpoint-key-env", default=None, metavar="VAR",
                    help="environment variable holding the endpoint's API key (never recorded)")
    group.addoption("--urial-endpoint-kind", default=None,
                    choices=("auto", "vllm", "sglang", "tgi", "llama.cpp", "openai"),
                    help="request dialect (default auto: from GET /models)")
    group.addoption("--urial-endpoint-concurrency", type=int, default=None, metavar="N",
                    help="requests in flight per replica (default 16)")
    group.addoption("--urial-judge", default=None, choices=("heuristic", "openai", "hf", "off"),
                    help="who scores answers on the six aspects: heuristic (default, offline proxy), openai, hf, off")
    group.addoption("--urial-judge-model", default=None, metavar="NAME",
                    help="openai: the served model's name; hf: a local chat model (folder or .gguf)")
    group.addoption("--urial-judge-url", default=None, metavar="URL",
                    help="openai: base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1")
    group.addoption("--urial-judge-key-env", default=None, metavar="VAR",
                    help="openai: environment variable holding the API key (default OPENAI_API_KEY); never recorded")
    group.addoption("--urial-judge-prompt", default=None, choices=("default", "just-eval"),
                    help="openai/hf judges: our prompts (default) or just-eval's two-request protocol")
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
    group.addoption("--urial-rehash", action=argparse.BooleanOptionalAction, default=None,
                    help="hash the model files again instead of trusting the remembered fingerprints "
                         "(--no-urial-rehash: trust them, whatever urial_rehash says)")
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
    parser.addini("urial_report_dir", "default for --urial-report-dir", default=_INI_DEFAULTS["report_dir"])
    parser.addini("urial_keep_runs", "default for --urial-keep-runs", default=_INI_DEFAULTS["keep_runs"])
    parser.addini("urial_cache", "default for --urial-cache", default=_INI_DEFAULTS["cache"])
    parser.addini("urial_rehash", "default for --urial-rehash", type="bool", default=_INI_DEFAULTS["rehash"])
    parser.addini("urial_versus_aligned", "default for --urial-versus-aligned", type="bool", default=_INI_DEFAULTS["versus_aligned"])
    parser.addini("urial_endpoint", "default for --urial-endpoint (one URL per line)", type="linelist", default=[])
    parser.addini("urial_endpoint_model", "default for --urial-endpoint-model", default=None)
    parser.addini("urial_endpoint_revision", "default for --urial-endpoint-revision", default=None)
    parser.addini("urial_endpoint_key_env", "default for --urial-endpoint-key-env", default=None)
    parser.addini("urial_endpoint_kind", "default for --urial-endpoint-kind", default=None)
    parser.addini("urial_aligned_endpoint", "default for --urial-aligned-endpoint", default=None)
    parser.addini("urial_aligned_endpoint_model", "default for --urial-aligned-endpoint-model", default=None)
    parser.addini("urial_aligned_endpoint_revision", "default for --urial-aligned-endpoint-revision", default=None)
    parser.addini("urial_aligned_endpoint_key_env", "default for --urial-aligned-endpoint-key-env", default=None)
    parser.addini("urial_judge", "default for --urial-judge", default=_INI_DEFAULTS["judge"])
    parser.addini("urial_judge_prompt", "default for --urial-judge-prompt", default=_INI_DEFAULTS["judge_prompt"])
    parser.addini("urial_judge_model", "default for --urial-judge-model", default=None)
    parser.addini("urial_judge_url", "default for --urial-judge-url", default=None)
    parser.addini("urial_judge_key_env", "default for --urial-judge-key-env", default=_INI_DEFAULTS["judge_key_env"])
    parser.addini("urial_refusal_detector", "default for --urial-refusal-detector", default=_INI_DEFAULTS["refusal_detector"])
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
    # -x, --maxfail and --sw stop early: generate a window of cases at a time, not the whole selection.
    stop_early = (config.getoption("exitfirst", False) or (config.getoption("maxfail", 0) or 0) > 0
                  or config.getoption("stepwise", False) or config.getoption("stepwise_skip", False))
    # Options are validated now, once: bad ones are usage errors before collection or any model load.
    from_ini: list[str] = []
    try:
        raw, from_ini = _raw_options(config)
        run_config = RunConfig.from_options(
            raw,
            invocation_dir=Path(config.invocation_params.dir),
            root_dir=config.rootpath,
            windowed=bool(stop_early) or hasattr(config, "workerinput"),
            progress=config.getoption("verbose", 0) >= 0,
            # an openai refusal detector's endpoint is asked once, by the process that runs or
            # controls the run: not for --collect-only, not again in each xdist worker
            probe=not _runs_nothing(config) and not hasattr(config, "workerinput"),
        )
        baseline = open_baseline(run_config)
        config.getini("urial_suite_globs")  # a bad value is one usage error now, not one per collected file
    except ConfigError as exc:
        raise pytest.UsageError(_naming_ini_keys(str(exc), from_ini, config)) from None
    if not _runs_nothing(config) and not hasattr(config, "workerinput"):  # xdist: the controller warns
        _warn_once(config, run_config)
    config.stash[STATE] = RunState(run_config, baseline=baseline)
    config.pluginmanager.register(RunRecorder(config), "urial-check-recorder")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_WorkersStories(config), "urial-check-worker-stories")


class _WorkersStories:
    """With xdist a worker sends our failure story as a plain string, which pytest would print whole
    wherever it prints the failure's message (``--tb=line``, the short summary on CI); the controller
    tells it as a run without workers does: the headline there, the whole story in FAILURES."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and isinstance(report.longrepr, str) and is_suite_file(
                self.config.rootpath / report.location[0], self.config):
            report.longrepr = story_for(self.config, report.longrepr)  # type: ignore[assignment]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_suite_file(file_path, parent.config):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Gates run after every case, whatever order other plugins chose.
    # Gates run after every case, baseline verdicts last.
    items.sort(key=lambda item: 2 if isinstance(item, BaselineItem) else 1 if isinstance(item, GateItem) else 0)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    # A case collected twice (--keep-duplicates, a linked folder) is planned and recorded once.
    cases = {(item.case.suite, item.case.id): item.case for item in session.items if isinstance(item, CaseItem)}
    state.planned = list(cases.values())
    if state.planned and not _runs_nothing(session.config) and not hasattr(session.config, "workerinput"):
        _probe_judge(session.config)  # a bad judge endpoint is a usage error before the model loads


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if config.pluginmanager.hasplugin("dsession") and not _runs_nothing(config):
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
    state = request.config.stash[STATE]
    session = build_session(state.run_config, progress_guard=_uncaptured(request.config), generator=urial_generator,
                            warn=False)  # warned once, when pytest started (_warn_once)
    session.plan(state.planned)
    state.session = session
    try:
        yield session
    finally:
        session.close()


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
    return Urial(urial_session)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and isinstance(item, (BaselineItem, GateItem)) and isinstance(report.longrepr, tuple):
        path, line, _ = item.reportinfo()  # point -rs at the suite file, not at our code
        report.longrepr = (str(path), int(line or 0) + 1, report.longrepr[2])
    record = getattr(item, "urial_record", None)
    if call.when == "call" and isinstance(record, (CaseRecord, GateResult, BaselineVerdict)):
        # JSON on the report: it travels to the xdist controller (with the per-position token shift).
        wire = record.to_json(detail=True) if isinstance(record, CaseRecord) else record.to_json()
        report.urial_record = wire  # type: ignore[attr-defined]
    return report


class RunRecorder:
    """Collects case records from test reports (also those sent by xdist workers) and writes the run
    record, also when the session stops early (``status: interrupted`` with the reason)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: list[CaseRecord] = []
        #: The keys of ``records`` (an item run twice, --keep-duplicates, is recorded once).
        self._recorded: set[tuple[str, str]] = set()
        self.gates: list[GateResult] = []
        self.baseline_verdicts: list[BaselineVerdict] = []
        self.written: Path | None = None
        self.shift_page: Path | None = None
        self.shift_summary = ""
        self.baseline_note = ""
        self.status_line = ""
        self.selection_line = ""
        self.error_line = ""
        self.collection_errors = 0
        #: Suite files (node ids, relative to the rootdir) that failed to collect.
        self.broken_suites: list[str] = []
        #: A suite case was set up or run (a report came in): the run has something to record.
        self.ran = False
        #: Case node ids the xdist workers collected (set on the controller only).
        self.xdist_case_ids: list[str] | None = None
        #: Per suite, the case ids the selection left out, as the first xdist worker to finish saw them.
        self.xdist_left_out: dict[str, set[str]] | None = None
        self.started = time.time()
        self.run_id = new_run_id(self.started)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.ran and is_case_nodeid(report.nodeid, self.config):
            self.ran = True
        data = getattr(report, "urial_record", None)
        if data is not None and report.when == "call":
            # An item run twice (--keep-duplicates) gives the same record: it is recorded once.
            if data.get("kind") == "gate":
                gate = GateResult.from_json(data)
                if all(g.suite != gate.suite for g in self.gates):
                    self.gates.append(gate)
            elif data.get("kind") == "baseline":
                verdict = BaselineVerdict.from_json(data)
                if all(v.suite != verdict.suite for v in self.baseline_verdicts):
                    self.baseline_verdicts.append(verdict)
            else:
                record = CaseRecord.from_json(data)
                if record.key not in self._recorded:  # a set: runs of thousands of cases stay linear
                    self._recorded.add(record.key)
                    self.records.append(record)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1
            file = report.nodeid.partition("::")[0]
            if file and is_suite_file(self.config.rootpath / file, self.config):
                self.broken_suites.append(file)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.xdist_case_ids is None:
            self.xdist_case_ids = list(dict.fromkeys(i for i in ids if is_case_nodeid(i, self.config)))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        left_out = getattr(node, "workeroutput", {}).get(_LEFT_OUT_KEY)
        if self.xdist_left_out is None and isinstance(left_out, dict):
            self.xdist_left_out = {suite: set(ids) for suite, ids in left_out.items()}

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):
            # An xdist worker: only the controller writes shared files. Each worker collected the
            # whole selection, so it tells the controller what the selection left out.
            state = self.config.stash[STATE]
            if state.planned:
                _, left_out = self._selection(state)
                if left_out is not None:
                    workeroutput: dict[str, Any] = getattr(self.config, "workeroutput")
                    workeroutput[_LEFT_OUT_KEY] = {k: sorted(v) for k, v in left_out.items()}
            return
        if _runs_nothing(self.config):
            return  # nothing was meant to run (--collect-only, --setup-plan, --setup-only)
        state = self.config.stash[STATE]
        selection, left_out = self._selection(state)
        if not (self.ran or self.records or self.gates):
            # No suite item ran (none selected, or the run stopped at a collection error), as with
            # --collect-only: no record, so latest.json and the earlier records stay as they are.
            return
        if exitstatus == pytest.ExitCode.USAGE_ERROR and not self.records:
            return  # a usage error before any case ran (e.g. an unreachable judge): nothing to record
        status, reason = self._status(session, exitstatus, selection)
        complete = status == "complete"
        selection = dataclasses.replace(selection, complete=complete and selection.complete and not self.broken_suites)
        if not complete:
            self.status_line = f"run interrupted: {reason}; {selection.finished} of {selection.selected} selected cases finished"
        elif not selection.complete:
            self.selection_line = f"selection: {selection.describe()} (a partial record)"
        model = self._model()
        report_dir = _report_dir(self.config)
        try:
            self.shift_summary = shift_table(self.records)
            if any(r.shift_detail for r in self.records):
                self.records, self.shift_page = write_shift_artifacts(
                    self.records, report_dir / f"run-{self.run_id}", title=f"Token shift: {model.id}"
                )
            record = RunRecord.new(
                model=model, cases=self.records, started=self.started, run_id=self.run_id,
                prompts={p.source: p.sha256 for p in [*(r.prompt for r in self.records), *(g.prompt for g in self.gates)] if p},
                decoding_overrides=dict(self.config.stash[STATE].settings.decoding_overrides),
                judge=next((r.judge.judge_id for r in self.records if r.judge), None) or self._judge_id(),
                refusal_detector=next((r.refusal.detector for r in self.records if r.refusal.detector), None),
                gates=self.gates, status=status, status_reason=reason, selection=selection,
                baseline_verdicts=self.baseline_verdicts,
                collection_errors=self.broken_suites,
            )
            self.written = write_run_record(record, report_dir)
            prune_run_records(report_dir, _keep_runs(self.config), current=self.written)
        except RecordWrittenAside as aside:
            # Neither pruned nor made the baseline: it is not a record urial-check would read.
            self.error_line = printable(f"urial-check: {aside}, latest.json unchanged", newlines=False)
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        except OSError as exc:
            self.error_line = f"urial-check: cannot write the run record under {report_dir}: {exc.strerror or exc}"
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        self._write_baseline(state.baseline, record, left_out, session)

    def _write_baseline(self, baseline: BaselineGate | None, record: RunRecord,
                        left_out: dict[str, set[str]] | None, session: pytest.Session) -> None:
        if baseline is None or not baseline.will_write:
            return
        if not record.complete:
            self.baseline_note = f"baseline not written (the run was interrupted): {baseline.path} is unchanged"
            return
        try:
            self.baseline_note = baseline.write(record, left_out=left_out)
        except OSError as exc:
            self.baseline_note = f"urial-check: cannot write the baseline {baseline.path}: {exc.strerror or exc}"
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def _selection(self, state: RunState) -> tuple[Selection, dict[str, set[str]] | None]:
        """The record's ``selection`` (``complete`` before the run's status is known) and, per suite
        that ran, the ids of its cases this run left out (None where unknown)."""
        keyword = self.config.getoption("keyword") or None
        markers = self.config.getoption("markexpr") or None
        left_out: dict[str, set[str]] | None
        if self.xdist_case_ids is not None and not state.planned:  # the xdist controller collects nothing itself
            selected = len(self.xdist_case_ids)
            left_out = self.xdist_left_out  # from the workers (None when none reported: counts unknown)
            if left_out is None:
                deselected = None
                narrowed = bool(keyword or markers) or any("::" in str(a) for a in self.config.args)
                left_out = None if narrowed else {}
            else:
                deselected = sum(len(ids) for ids in left_out.values())
                narrowed = deselected > 0
        else:
            planned = {(c.suite, c.id) for c in state.planned}
            selected = len(state.planned)
            suites = self.config.stash.get(SUITES, {})
            left_out = {name: {c.id for c in suite.cases if (name, c.id) not in planned} for name, suite in suites.items()}
            deselected = sum(len(ids) for ids in left_out.values())
            narrowed = deselected > 0
        finished = len({r.key for r in self.records})
        return Selection(keyword, markers, selected, deselected, finished, complete=not narrowed), left_out

    def _status(self, session: pytest.Session, exitstatus: int, selection: Selection) -> tuple[str, str | None]:
        reason: str | None = None
        for stop in (session.shouldfail, session.shouldstop):
            if stop:
                reason = stop if isinstance(stop, str) else "the session was stopped"
                break
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        if reason is None and interrupted:
            n = self.collection_errors
            reason = f"{n} error{'s' if n != 1 else ''} during collection" if n else "interrupted (Ctrl-C or a plugin)"
        broken = self.broken_suites
        if reason is None and broken:  # --continue-on-collection-errors: those suites are missing from the record
            n = len(broken)
            return "interrupted", f"{n} suite file{'s' if n != 1 else ''} failed to collect: {', '.join(broken)}"
        missing = selection.selected - selection.finished
        if missing <= 0 and not interrupted:
            return "complete", None
        return "interrupted", reason or f"{missing} of {selection.selected} selected cases did not finish (errors)"

    def _model(self) -> ModelInfo:
        """The model as the first case (or gate) recorded it, with the last known load time."""
        found = [m for m in [*(r.model for r in self.records), *(g.model for g in self.gates)] if m is not None]
        if not found:
            return ModelInfo(_configured_model_id(self.config), None)
        load_seconds = next((m.load_seconds for m in reversed(found) if m.load_seconds is not None), None)
        return dataclasses.replace(found[0], load_seconds=load_seconds)

    def _judge_id(self) -> str | None:
        """The judge's id when no case has scores (every one an error), or the judge kind under xdist."""
        if not any(r.judge_error for r in self.records):
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
        if self.gates:
            terminalreporter.write_sep("-", "suite gates")
            for gate in self.gates:
                terminalreporter.write_line(printable(gate_line(gate)))
        if self.baseline_verdicts:
            terminalreporter.write_sep("-", "against the baseline")
            for verdict in self.baseline_verdicts:
                terminalreporter.write_line(printable(verdict.line()))
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
        versus = versus_table(self.records)
        if versus:
            terminalreporter.write_sep("-", "URIAL (base) vs aligned")
            terminalreporter.write_line(versus)
        if self.shift_summary:
            terminalreporter.write_sep("-", "token distribution shift (base vs aligned)")
            terminalreporter.write_line(self.shift_summary)
        if self.shift_page is not None:
            terminalreporter.write_line(f"token shift page: {self.shift_page}")
        session = self.config.stash[STATE].session if STATE in self.config.stash else None
        if session is not None and session.backend_started and isinstance(session.backend, ReportsUsage):
            terminalreporter.write_line(f"cost: {printable(session.backend.usage_summary())}")
        if self.written is not None:
            terminalreporter.write_line(f"run record: {self.written}")
        for line in (self.error_line, self.baseline_note):
            if line:
                terminalreporter.write_line(line)


#: Options that have an ini key ``urial_<name>``: the command line wins, else the ini value.
_INI_OPTIONS = frozenset({
    "model", "report_dir", "keep_runs", "cache", "rehash", "judge", "judge_model", "judge_url", "judge_key_env",
    "judge_prompt", "endpoint", "endpoint_model", "endpoint_revision", "endpoint_key_env", "endpoint_kind",
    "refusal_detector", "refusal_model", "refusal_url", "refusal_label_map", "refusal_template", "refusal_answer_after",
    "versus_aligned", "aligned_endpoint", "aligned_endpoint_model", "aligned_endpoint_revision", "aligned_endpoint_key_env",
})


#: Options whose falsy command-line value is a value given (0 runs kept; a ``--no-urial-...`` switch
#: turning a boolean ini key off): only None means 'not given'.
_GIVEN_WHEN_FALSY = frozenset({"keep_runs", "rehash", "versus_aligned"})

#: The ini keys' defaults where they are not empty (an ini value equal to its default is not named
#: as coming from the ini file in error messages).
_INI_DEFAULTS: dict[str, Any] = {
    "report_dir": "reports", "keep_runs": "20", "cache": "rw", "rehash": False, "versus_aligned": False,
    "judge": "heuristic", "judge_prompt": "default", "judge_key_env": "OPENAI_API_KEY", "refusal_detector": "rules",
}

#: Ini keys that may name a file or folder: a relative one is taken from the ini file's folder (as
#: pytest's own ``paths`` ini values are) when it exists there; else it stays as written (a hub id,
#: a served model's name).
_INI_PATHS = frozenset({"model", "judge_model", "refusal_model", "refusal_template"})


def _raw_options(config: pytest.Config) -> tuple[dict[str, Any], list[str]]:
    """Every urial option's raw value, the command line's or else the ini file's (validated by
    RunConfig), and the names of those the ini file gave."""
    raw: dict[str, Any] = {}
    from_ini: list[str] = []
    for name in OPTION_NAMES:
        value = config.getoption(f"urial_{name}")
        # --urial-keep-runs 0 and --no-urial-rehash are values, not 'not given'
        if name in _INI_OPTIONS and (value is None if name in _GIVEN_WHEN_FALSY else not value):
            value = _ini_value(config, name)
            if value not in (None, "", []) and value != _INI_DEFAULTS.get(name):
                from_ini.append(name)
        raw[name] = value
    return raw, from_ini


def _ini_value(config: pytest.Config, name: str) -> Any:
    """The ini key ``urial_<name>``: a bad type is a ConfigError naming the key; a relative path
    from the ini file's folder (see ``_INI_PATHS``)."""
    key = f"urial_{name}"
    try:
        value = config.getini(key)
    except pytest.UsageError as exc:
        text = str(exc)
        raise ConfigError(text if key in text else f"{key}: {text}") from None
    if name in _INI_PATHS and isinstance(value, str) and value and config.inipath is not None:
        beside = config.inipath.parent / value
        if not Path(value).is_absolute() and beside.exists():
            return str(beside)
    return value


def _warn_once(config: pytest.Config, run_config: RunConfig) -> None:
    """The config's warnings, issued once as pytest starts (``-W`` and ``filterwarnings`` apply, the
    warnings summary shows them); one turned into an error is one usage error, not an error per case."""
    for warning in config_warnings(run_config):
        if config.pluginmanager.is_blocked("warnings"):  # -p no:warnings: Python's own handling
            warnings.warn(warning, stacklevel=2)
            continue
        try:
            config.issue_config_time_warning(warning, stacklevel=2)
        except Warning as exc:
            raise pytest.UsageError(f"{exc} ({type(exc).__name__}, an error under -W error or filterwarnings)") from None


def _runs_nothing(config: pytest.Config) -> bool:
    """``--collect-only``, ``--setup-plan`` or ``--setup-only``: no test is called, nothing is recorded."""
    return bool(config.option.collectonly or config.getoption("setuponly", False))


def _naming_ini_keys(message: str, from_ini: list[str], config: pytest.Config) -> str:
    """A configuration error names options as command-line flags; where a flag it names was set in
    the ini file, say so (the user looks for ``urial_judge``, not ``--urial-judge``)."""
    where = config.inipath.name if config.inipath else "the ini file"
    for name in from_ini:
        flag = "--urial-" + name.replace("_", "-")
        if re.search(re.escape(flag) + r"(?![\w-])", message):
            message += f" ({flag} is set in {where} as urial_{name})"
    return message


def _configured_model_id(config: pytest.Config) -> str:
    """The model id a record names when no case finished (nothing told us the loaded model's)."""
    return config.stash[STATE].run_config.model_id


def _keep_runs(config: pytest.Config) -> int:
    """``--urial-keep-runs`` / ``urial_keep_runs``: how many run records to keep (0: all)."""
    return config.stash[STATE].run_config.reports.keep_runs


def _uncaptured(config: pytest.Config) -> Any:
    """A context manager factory that lifts pytest's output capture (for the progress bar)."""
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        return contextlib.nullcontext
    return capture.global_and_fixture_disabled


def _judge_settings(config: pytest.Config) -> JudgeSettings | None:
    return config.stash[STATE].run_config.judge


def _probe_judge(config: pytest.Config) -> None:
    settings = _judge_settings(config)
    if settings is None:
        return
    try:
        probe_judge(settings)
    except JudgeError as exc:
        raise pytest.UsageError(f"--urial-judge {settings.kind}: {exc}") from None


def _report_dir(config: pytest.Config) -> Path:
    return config.stash[STATE].run_config.reports.directory
