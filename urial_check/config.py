"""A run's configuration, validated once, and the session built from it.

Plain Python (no pytest): :meth:`RunConfig.from_options` turns raw option values (strings from the
command line or an ini file, or Python values from a notebook) into a frozen :class:`RunConfig`,
raising :class:`ConfigError` with one line that names the option. :func:`build_session` builds the
:class:`~urial_check.session.UrialSession` the pytest plugin's ``urial_session`` fixture uses, so a
notebook gets the identical session::

    config = RunConfig.from_options({"model": "path/to/model", "judge": "off"})
    session = build_session(config)

The option names are the command-line options without ``--urial-`` and with ``_`` for ``-``
(``"max_new_tokens"`` for ``--urial-max-new-tokens``); a missing or empty value takes the default.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Mapping
from urllib.parse import urlsplit

import yaml

from urial_check.generation.backends.base import BackendError, Generator, LocalModel, ScoresPrompts
from urial_check.generation.backends.loading import DEFAULT_MODEL_ID, ModelSource, resolve_model
from urial_check.generation.backends.transformers_backend import ModelSettings, TransformersBackend
from urial_check.generation.cache import ResultCache, default_cache_dir
from urial_check.generation.decoding import DecodingError, check_field
from urial_check.generation.prompt import PromptError, UrialPrompt
from urial_check.measures.detectors import (
    DetectorConfigError,
    DetectorError,
    DetectorSettings,
    PromptTemplate,
    build_detector,
    check_detector,
    parse_label_map,
)
from urial_check.measures.judges.base import JudgeConfigError
from urial_check.measures.judges.hf import check_judge_model
from urial_check.measures.judges.just_eval import PROMPT_MODES
from urial_check.measures.judges.measure import JudgeMeasurer, JudgeSettings, ScoresCheck
from urial_check.measures.shift_measure import CONTEXT_CHOICES, TokenShiftCheck, TokenShiftMeasurer
from urial_check.measures.versus import VersusMeasurer
from urial_check.records.baseline_gate import BaselineGate
from urial_check.records.run_record import RunRecordError
from urial_check.reports.summary import check_writable
from urial_check.session import Measurer, SessionSettings, UrialSession
from urial_check.suites.checks import DEFAULT_CHECKS

#: Every option :meth:`RunConfig.from_options` knows (``--urial-<name>`` with ``-`` for ``_``).
OPTION_NAMES = (
    "model", "device", "dtype", "prompt", "batch_size", "max_new_tokens", "generation",
    "aligned_model", "shift_context", "shift_sequential", "chat_template", "versus_aligned",
    "aligned_endpoint", "aligned_endpoint_model", "aligned_endpoint_revision", "aligned_endpoint_key_env",
    "endpoint", "endpoint_model", "endpoint_key_env", "endpoint_revision", "endpoint_kind", "endpoint_concurrency",
    "judge", "judge_model", "judge_url", "judge_key_env", "judge_prompt",
    "refusal_detector", "refusal_model", "refusal_url", "refusal_label_map", "refusal_template", "refusal_answer_after",
    "cache", "cache_dir", "cache_clear", "rehash",
    "baseline", "update_baseline", "margin", "alpha",
    "report_dir", "keep_runs",
)
JUDGE_KINDS = ("heuristic", "openai", "hf", "off")
DETECTOR_KINDS = ("rules", "openai", "hf")
CACHE_MODES = ("rw", "ro", "off")
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_ENDPOINT_CONCURRENCY = 16
DEFAULT_REPORT_DIR = "reports"
DEFAULT_KEEP_RUNS = 20
DEFAULT_MARGIN = 0.05
DEFAULT_ALPHA = 0.05


class EndpointRevisionWarning(UserWarning):
    """An endpoint is used without a revision, so the result cache cannot tell checkpoints apart."""


class ConfigError(ValueError):
    """A bad option value; the message is one line and names the option (the plugin's usage error)."""


@dataclass(frozen=True)
class CacheConfig:
    """``--urial-cache``, ``--urial-cache-dir``, ``--urial-cache-clear``, ``--urial-rehash``."""

    mode: str = "rw"
    #: None: :func:`~urial_check.generation.cache.default_cache_dir` when the session is built.
    directory: Path | None = None
    #: Empty the cache when the session is built.
    clear: bool = False
    #: Hash the model files again instead of trusting the remembered fingerprints.
    rehash: bool = False


@dataclass(frozen=True)
class ShiftConfig:
    """``--urial-aligned-model`` (or ``--urial-aligned-endpoint``) and its options: measure the token
    shift against a tuned model."""

    #: The aligned model: a model spec (``--urial-aligned-model``), or the served model's id
    #: (``endpoint:NAME@REV``) when ``aligned_endpoint`` is set.
    aligned_model: str
    #: Base-model contexts; the first is the one assertions and gates use.
    contexts: tuple[str, ...] = CONTEXT_CHOICES["both"]
    sequential: bool = False
    chat_template: Path | None = None
    #: ``--urial-versus-aligned``: also check the aligned model's answers and compare them with URIAL's.
    versus: bool = False
    #: ``--urial-aligned-endpoint`` and its options: the aligned model on a vLLM server (the base model
    #: must be served too).
    aligned_endpoint: EndpointConfig | None = None


@dataclass(frozen=True)
class EndpointConfig:
    """``--urial-endpoint`` and its options: answer through OpenAI-compatible completions servers."""

    #: Base URLs of the replicas serving the model (``http://host:port/v1``).
    urls: tuple[str, ...]
    #: The served model's name (``GET /models``).
    model: str
    #: Checkpoint id given by the user; None: cached answers cannot tell checkpoints apart, so the
    #: cache key includes the URLs (the cache serves this model name at these URLs only).
    revision: str | None = None
    #: Environment variable holding the API key (never stored).
    key_env: str | None = None
    #: Request dialect: auto (from ``owned_by``), vllm, sglang, tgi, llama.cpp, openai.
    kind: str = "auto"
    #: Requests in flight per replica.
    concurrency: int = DEFAULT_ENDPOINT_CONCURRENCY

    @property
    def model_id(self) -> str:
        return f"endpoint:{self.model}" + (f"@{self.revision}" if self.revision else "")


@dataclass(frozen=True)
class BaselineConfig:
    """``--urial-baseline`` and its options; :func:`open_baseline` loads the stored record."""

    path: Path
    update: bool = False
    margin: float = DEFAULT_MARGIN
    alpha: float = DEFAULT_ALPHA


@dataclass(frozen=True)
class ReportConfig:
    """``--urial-report-dir`` and ``--urial-keep-runs``."""

    directory: Path = Path(DEFAULT_REPORT_DIR)
    #: Keep this many newest run records (0: all).
    keep_runs: int = DEFAULT_KEEP_RUNS


@dataclass(frozen=True)
class RunConfig:
    """Every urial-check option of one run, validated (build it with :meth:`from_options`)."""

    model: ModelSettings = field(default_factory=ModelSettings)
    #: ``model.model`` resolved (None: not resolved yet, e.g. the default model is not installed).
    model_source: ModelSource | None = None
    session: SessionSettings = field(default_factory=SessionSettings)
    cache: CacheConfig = field(default_factory=CacheConfig)
    #: None: ``--urial-judge off``.
    judge: JudgeSettings | None = field(default_factory=JudgeSettings)
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    shift: ShiftConfig | None = None
    baseline: BaselineConfig | None = None
    reports: ReportConfig = field(default_factory=ReportConfig)
    #: None: the model is loaded in this process (``--urial-model``).
    endpoint: EndpointConfig | None = None

    @property
    def model_id(self) -> str:
        """The model's id as records name it, known before any model loads."""
        if self.endpoint is not None:
            return self.endpoint.model_id
        if self.model_source is not None:
            return self.model_source.model_id
        return self.model.model or DEFAULT_MODEL_ID

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, Any],
        *,
        invocation_dir: Path | None = None,
        root_dir: Path | None = None,
        windowed: bool = False,
        progress: bool = True,
        probe: bool = True,
    ) -> RunConfig:
        """Validate raw option values into a config; a bad one raises :class:`ConfigError` (one line).

        ``options`` maps option names (see :data:`OPTION_NAMES`) to values; files are checked and
        the model is resolved now, before anything loads. A relative ``baseline`` path is taken
        from ``invocation_dir`` and a relative ``report_dir`` from ``root_dir`` (both default to the
        current folder); other paths from the current folder. ``windowed``: generate pending cases
        in windows of the batch size (the run may stop early, or is shared between workers);
        ``progress``: show generation progress; ``probe``: ask an ``openai`` refusal detector's
        endpoint whether it serves the model (one ``GET /models``; False checks everything else).
        """
        unknown = sorted(set(options) - set(OPTION_NAMES))
        if unknown:
            raise ConfigError(f"unknown urial-check option {unknown[0]!r}; known: {', '.join(OPTION_NAMES)}")
        raw = _Options(options)
        keep_runs = _keep_runs(raw)
        session = _session_settings(raw, windowed=windowed, progress=progress)
        endpoint = _endpoint_config(raw)
        shift = _shift_config(raw)
        if shift is not None and shift.aligned_endpoint is not None and endpoint is None:
            raise ConfigError("--urial-aligned-endpoint needs the base model on a server too (--urial-endpoint URL); "
                              "with a local base model use --urial-aligned-model")
        judge = _judge_settings(raw)
        cache_dir = raw.text("cache_dir")
        model = ModelSettings(model=raw.text("model"), device=raw.text("device") or "auto",
                              dtype=raw.text("dtype") or "auto", batch_size=raw.whole("batch_size"),
                              cache_dir=Path(cache_dir).expanduser().resolve() if cache_dir else default_cache_dir())
        try:
            source = model.validate()
        except BackendError as exc:
            raise ConfigError(str(exc)) from None
        if source is None:
            source = _default_source()
        cache = _cache_config(raw, model.cache_dir)
        detector = _detector_settings(raw, model, probe=probe)
        baseline = _baseline_config(raw, invocation_dir or Path.cwd())
        if endpoint is not None and judge is not None and judge.kind == "hf":
            raise ConfigError("--urial-judge hf loads its model beside a local base model; with --urial-endpoint "
                              "use --urial-judge openai (or heuristic)")
        report_dir = Path(raw.text("report_dir") or DEFAULT_REPORT_DIR)
        reports = ReportConfig(report_dir if report_dir.is_absolute() else (root_dir or Path.cwd()) / report_dir, keep_runs)
        return cls(model=model, model_source=source, session=session, cache=cache, judge=judge, detector=detector,
                   shift=shift, baseline=baseline, reports=reports, endpoint=endpoint)


def config_warnings(config: RunConfig) -> tuple[Warning, ...]:
    """What a run with this config should be warned about, known before anything loads:
    :func:`build_session` warns them; the plugin issues them once when pytest starts (so that
    ``-W error`` makes each one a usage error, not an error in every case)."""
    found: list[Warning] = []
    endpoint = config.endpoint
    if endpoint is not None and endpoint.revision is None:
        found.append(EndpointRevisionWarning(
            f"--urial-endpoint without --urial-endpoint-revision: cached answers of {endpoint.model} cannot tell "
            "checkpoints served under that name apart; they are reused only from the same URLs. Give the "
            "checkpoint's step or hash, or use --urial-cache off when the served weights change"))
    return tuple(found)


def build_session(
    config: RunConfig,
    *,
    progress_guard: Callable[[], ContextManager[Any]] = contextlib.nullcontext,
    generator: object = None,
    warn: bool = True,
) -> UrialSession:
    """The run's session: cache, backend (loaded on first use), judge, refusal detector, measurers.

    ``progress_guard`` is entered around progress output (the plugin lifts pytest's capture there).
    ``generator``: what answers the cases instead of the configured model (any
    :class:`~urial_check.generation.backends.base.Generator`: a served model, a scripted stub);
    None means the config's model. ``warn``: warn :func:`config_warnings` (False: the caller
    already did, as the plugin does when pytest starts).
    """
    if warn:
        for warning in config_warnings(config):
            warnings.warn(warning, stacklevel=2)
    directory = config.cache.directory or default_cache_dir()
    if config.cache.clear:
        with ResultCache(directory, "rw") as clearing:
            clearing.clear()
    cache = None if config.cache.mode == "off" else ResultCache(directory, "ro" if config.cache.mode == "ro" else "rw")
    memo: Callable[[Path, Callable[[], str]], str] | None = None
    if cache is not None:  # rehash: compute every file's digest anew (and remember it)
        memo = functools.partial(cache.remember_fingerprint, refresh=True) if config.cache.rehash else cache.remember_fingerprint
    model = config.model if config.model.cache_dir else dataclasses.replace(config.model, cache_dir=directory)
    measurers: list[Measurer] = []
    primary = None
    if config.shift is not None:
        template = config.shift.chat_template
        shift = TokenShiftMeasurer(
            config.shift.aligned_model,
            config.shift.contexts,
            batch_size=model.batch_size or 8,
            chat_template=template.read_text(encoding="utf-8") if template else None,
            sequential=config.shift.sequential,
            aligned_server=_aligned_server(config.shift.aligned_endpoint),
            aligned_local=_aligned_local(config.shift, model, memo),
        )
        measurers.append(shift)
        primary = shift.primary_context
    judge = JudgeMeasurer(config.judge) if config.judge is not None else None
    if judge is not None:
        measurers.insert(0, judge)
    if config.shift is not None and config.shift.versus:
        # After the token shift (whose aligned answers it checks), with the same judge and checks.
        measurers.append(VersusMeasurer(shift, judge, DEFAULT_CHECKS + (ScoresCheck(),)))
    detector = config.detector
    return UrialSession(
        config.session,
        _generator_factory(generator, _default_generator(config, model, memo)),
        cache=cache,
        checks=DEFAULT_CHECKS + (ScoresCheck(), TokenShiftCheck(primary)),
        measurers=measurers,
        progress_guard=progress_guard,
        # Built on first use: an hf model loads only when answers need verdicts.
        detector=lambda: build_detector(detector, fingerprint_memo=memo),
        config=config,
    )


def _default_generator(config: RunConfig, model: ModelSettings,
                       memo: Callable[[Path, Callable[[], str]], str] | None) -> Callable[[], Generator]:
    """The configured generator, made on first use: an endpoint backend or the local model."""
    endpoint = config.endpoint
    if endpoint is None:
        return lambda: TransformersBackend(model, fingerprint_memo=memo, source=config.model_source)
    from urial_check.generation.backends.endpoint import EndpointBackend  # httpx2 loads only for an endpoint

    return lambda: EndpointBackend(endpoint.urls, endpoint.model, api_key_env=endpoint.key_env,
                                   revision=endpoint.revision, server_kind=endpoint.kind,
                                   concurrency=endpoint.concurrency)


def _aligned_server(endpoint: EndpointConfig | None) -> Callable[[], ScoresPrompts] | None:
    """Makes the aligned model's server backend on first use (``--urial-aligned-endpoint``)."""
    if endpoint is None:
        return None
    from urial_check.generation.backends.endpoint import EndpointBackend  # httpx2 loads only for an endpoint

    return lambda: EndpointBackend(endpoint.urls, endpoint.model, api_key_env=endpoint.key_env,
                                   revision=endpoint.revision, server_kind=endpoint.kind)


def _aligned_local(shift: ShiftConfig, model: ModelSettings,
                   memo: Callable[[Path, Callable[[], str]], str] | None) -> Callable[[], LocalModel] | None:
    """Loads ``--urial-aligned-model`` beside a served base model (a local base loads it as its sibling)."""
    if shift.aligned_endpoint is not None:
        return None
    settings = dataclasses.replace(model, model=shift.aligned_model)
    return lambda: TransformersBackend(settings, fingerprint_memo=memo)


def _generator_factory(given: object, default: Callable[[], Generator]) -> Callable[[], Generator]:
    """The session's generator, made on first use: the one given, else ``default()``."""
    if given is None:
        return default

    def given_generator() -> Generator:
        if not isinstance(given, Generator):
            raise BackendError(f"the generator given (the urial_generator fixture, or build_session's generator=) is a "
                               f"{type(given).__name__}, not a Generator "
                               "(model_id, fingerprint, generate, close)")
        return given

    return given_generator


def open_baseline(config: RunConfig) -> BaselineGate | None:
    """Load the baseline the config names (None without one); a bad file is a :class:`ConfigError`."""
    if config.baseline is None:
        return None
    settings = config.baseline
    try:
        return BaselineGate.open(settings.path, update=settings.update, margin=settings.margin, alpha=settings.alpha)
    except RunRecordError as exc:
        raise ConfigError(f"--urial-baseline: {exc}") from None


# ---------------------------------------------------------------------- validation, option by option


class _Options:
    """Raw option values with typed reads; a missing, None or empty value is 'not given'."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def given(self, name: str) -> Any:
        value = self._values.get(name)
        return None if value is None or value == "" else value

    def text(self, name: str) -> str | None:
        value = self.given(name)
        return None if value is None else str(value)

    def flag(self, name: str) -> bool:
        value = self.given(name)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{_option(name)} {value}: expected true or false")
        return bool(value)

    def whole(self, name: str) -> int | None:
        value = self.given(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{_option(name)} {value}: expected a whole number") from None

    def number(self, name: str, default: float) -> float:
        value = self.given(name)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{_option(name)} {value}: expected a number") from None


def _option(name: str) -> str:
    return "--urial-" + name.replace("_", "-")


def _default_source() -> ModelSource | None:
    """The default model, resolved; None when it is not installed (the backend then says so when
    it is first needed)."""
    try:
        return resolve_model(None)
    except BackendError:
        return None


def _keep_runs(raw: _Options) -> int:
    given = raw.given("keep_runs")
    value_raw = DEFAULT_KEEP_RUNS if given is None else given
    try:
        value = int(value_raw)
    except (TypeError, ValueError):
        raise ConfigError(f"urial_keep_runs = {value_raw}: expected a whole number") from None
    if value < 0:
        raise ConfigError(f"--urial-keep-runs must be 0 (keep every run) or more, got {value}")
    return value


def _generation_items(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [f"{k}={v}" for k, v in value.items()]
    return [str(item) for item in value]


def _session_settings(raw: _Options, *, windowed: bool, progress: bool) -> SessionSettings:
    overrides: dict[str, Any] = {}
    for item in _generation_items(raw.given("generation")):
        key, sep, text = item.partition("=")
        if not sep:
            raise ConfigError(f"--urial-generation {item!r}: expected KEY=VALUE")
        try:
            value = yaml.safe_load(text)
            check_field(key.strip(), value)
        except (DecodingError, yaml.YAMLError) as exc:
            raise ConfigError(f"--urial-generation {item!r}: {exc}") from None
        overrides[key.strip()] = value
    max_new = raw.whole("max_new_tokens")
    if max_new is not None:
        try:
            check_field("max_new_tokens", max_new)
        except DecodingError as exc:
            raise ConfigError(f"--urial-max-new-tokens: {exc}") from None
        overrides["max_new_tokens"] = max_new
    prompt = raw.text("prompt")
    prompt_path = None
    if prompt:
        prompt_path = Path(prompt).expanduser().resolve()
        try:
            UrialPrompt.from_file(prompt_path)
        except PromptError as exc:
            raise ConfigError(f"--urial-prompt: {exc}") from None
    batch = raw.whole("batch_size")
    return SessionSettings(
        prompt_path=prompt_path,
        decoding_overrides=tuple(sorted(overrides.items())),
        window=(batch or 16) if windowed else None,
        progress=progress,
    )


def _shift_config(raw: _Options) -> ShiftConfig | None:
    context = raw.text("shift_context") or "both"
    if context not in CONTEXT_CHOICES:
        raise ConfigError(f"--urial-shift-context {context}: expected {', '.join(sorted(CONTEXT_CHOICES))}")
    aligned = raw.text("aligned_model")
    if aligned:
        try:
            resolve_model(aligned)
        except BackendError as exc:
            raise ConfigError(str(exc).replace("--urial-model", "--urial-aligned-model")) from None
    template = raw.text("chat_template")
    if template and not Path(template).is_file():
        raise ConfigError(f"--urial-chat-template {template}: no such file")
    sequential = raw.flag("shift_sequential")
    versus = raw.flag("versus_aligned")
    served = _aligned_endpoint_config(raw)
    if served is not None and aligned:
        raise ConfigError("give the aligned model once: --urial-aligned-model PATH or --urial-aligned-endpoint URL")
    if versus and not aligned and served is None:
        raise ConfigError("--urial-versus-aligned needs --urial-aligned-model PATH or --urial-aligned-endpoint URL (the tuned model to compare with)")
    if not aligned and served is None:
        return None
    name = aligned if served is None else served.model_id
    assert name is not None
    return ShiftConfig(aligned_model=name, contexts=CONTEXT_CHOICES[context], sequential=sequential,
                       chat_template=Path(template).resolve() if template else None, versus=versus,
                       aligned_endpoint=served)


def _aligned_endpoint_config(raw: _Options) -> EndpointConfig | None:
    """``--urial-aligned-endpoint URL`` and its model, revision and key variable (default: the base's)."""
    url = raw.text("aligned_endpoint")
    if not url:
        for name in ("aligned_endpoint_model", "aligned_endpoint_revision", "aligned_endpoint_key_env"):
            if raw.given(name) is not None:
                raise ConfigError(f"{_option(name)} needs --urial-aligned-endpoint URL")
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--urial-aligned-endpoint {url}: expected a base URL such as http://127.0.0.1:8001/v1")
    model = raw.text("aligned_endpoint_model")
    if not model:
        raise ConfigError("--urial-aligned-endpoint needs --urial-aligned-endpoint-model NAME (the served model's name)")
    revision = raw.text("aligned_endpoint_revision")
    if revision is not None and not revision.strip():
        raise ConfigError("--urial-aligned-endpoint-revision must not be empty")
    return EndpointConfig(urls=(url.rstrip("/"),), model=model, revision=revision,
                          key_env=raw.text("aligned_endpoint_key_env") or raw.text("endpoint_key_env"))


def _judge_settings(raw: _Options) -> JudgeSettings | None:
    kind = raw.text("judge") or "heuristic"
    if kind == "off":
        return None
    if kind not in JUDGE_KINDS:
        raise ConfigError(f"urial_judge = {kind}: expected heuristic, openai, hf or off")
    model, url = raw.text("judge_model"), raw.text("judge_url")
    if kind in ("openai", "hf") and not model:
        raise ConfigError(f"--urial-judge {kind} needs --urial-judge-model")
    if kind == "openai" and not url:
        raise ConfigError("--urial-judge openai needs --urial-judge-url (an OpenAI-compatible base URL)")
    prompt = raw.text("judge_prompt") or "default"
    if prompt not in PROMPT_MODES:
        raise ConfigError(f"--urial-judge-prompt {prompt}: expected {' or '.join(PROMPT_MODES)}")
    if prompt != "default" and kind == "heuristic":
        raise ConfigError(f"--urial-judge-prompt {prompt} needs a model judge (--urial-judge openai or hf)")
    if kind == "hf" and model:
        try:
            check_judge_model(model)  # exists, and generates text: found now, not after every answer
        except JudgeConfigError as exc:
            text = str(exc)
            raise ConfigError(text if text.startswith("--urial-judge-model") else f"--urial-judge hf: {text}") from None
    return JudgeSettings(kind=kind, model=model, base_url=url, api_key_env=raw.text("judge_key_env") or DEFAULT_KEY_ENV,
                         prompt=prompt)


def _endpoint_config(raw: _Options) -> EndpointConfig | None:
    given = raw.given("endpoint")
    urls = [given] if isinstance(given, str) else [str(u) for u in (given or ()) if str(u).strip()]
    model = raw.text("endpoint_model")
    if not urls:
        for name in ("endpoint_model", "endpoint_revision", "endpoint_kind", "endpoint_concurrency", "endpoint_key_env"):
            if raw.given(name) is not None and not (name == "endpoint_kind" and raw.text(name) == "auto"):
                raise ConfigError(f"{_option(name)} needs --urial-endpoint URL")
        return None
    if not model:
        raise ConfigError("--urial-endpoint needs --urial-endpoint-model NAME (the served model's name)")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"--urial-endpoint {url}: expected a base URL such as http://127.0.0.1:8000/v1")
    if len({u.rstrip("/") for u in urls}) != len(urls):
        raise ConfigError("--urial-endpoint: a URL is given twice")
    from urial_check.generation.backends.endpoint import SERVER_KINDS  # httpx2 loads only for an endpoint

    kind = raw.text("endpoint_kind") or "auto"
    if kind not in SERVER_KINDS:
        raise ConfigError(f"--urial-endpoint-kind {kind}: expected {', '.join(SERVER_KINDS)}")
    concurrency = raw.whole("endpoint_concurrency")
    if concurrency is not None and concurrency < 1:
        raise ConfigError(f"--urial-endpoint-concurrency must be 1 or more, got {concurrency}")
    revision = raw.text("endpoint_revision")
    if revision is not None and not revision.strip():
        raise ConfigError("--urial-endpoint-revision must not be empty")
    return EndpointConfig(urls=tuple(u.rstrip("/") for u in urls), model=model, revision=revision,
                          key_env=raw.text("endpoint_key_env"), kind=kind,
                          concurrency=concurrency or DEFAULT_ENDPOINT_CONCURRENCY)


def _cache_config(raw: _Options, directory: Path | None) -> CacheConfig:
    mode = raw.text("cache") or "rw"
    if mode not in CACHE_MODES:
        raise ConfigError(f"urial_cache = {mode}: expected rw, ro or off")
    return CacheConfig(mode=mode, directory=directory, clear=raw.flag("cache_clear"), rehash=raw.flag("rehash"))


def _detector_settings(raw: _Options, model: ModelSettings, *, probe: bool) -> DetectorSettings:
    kind = raw.text("refusal_detector") or "rules"
    if kind not in DETECTOR_KINDS:
        raise ConfigError(f"urial_refusal_detector = {kind}: expected rules, openai or hf")
    name, template, label_text = raw.text("refusal_model"), raw.text("refusal_template"), raw.text("refusal_label_map")
    label_map: dict[str, str] = {}
    if label_text:
        try:
            label_map = parse_label_map(label_text)
        except DetectorConfigError as exc:
            raise ConfigError(f"--urial-refusal-label-map: {exc}") from None
    if template and not Path(template).is_file():
        raise ConfigError(f"--urial-refusal-template {template}: no such file")
    if kind in ("openai", "hf") and not name:
        raise ConfigError(f"--urial-refusal-detector {kind} needs --urial-refusal-model")
    url = raw.text("refusal_url") or raw.text("judge_url")
    if kind == "openai" and not url:
        raise ConfigError("--urial-refusal-detector openai needs --urial-refusal-url (or --urial-judge-url)")
    if template and kind != "rules":
        try:
            PromptTemplate.from_file(template)
        except DetectorConfigError as exc:
            raise ConfigError(f"--urial-refusal-template: {exc}") from None
    settings = DetectorSettings(
        kind=kind,
        model=name,
        base_url=url,
        api_key_env=raw.text("judge_key_env") or DEFAULT_KEY_ENV,
        label_map=tuple(sorted(label_map.items())),
        template=Path(template).resolve() if template else None,
        answer_after=raw.text("refusal_answer_after"),
        device=model.device,
        dtype=model.dtype,
        batch_size=model.batch_size or 16,
    )
    try:
        check_detector(settings, probe=probe)
    except DetectorError as exc:
        text = str(exc)
        if not text.startswith("--urial-"):
            text = f"--urial-refusal-detector {kind}: {text.removeprefix('hf refusal detector: ')}"
        raise ConfigError(text) from None
    return settings


def _baseline_config(raw: _Options, invocation_dir: Path) -> BaselineConfig | None:
    given = raw.text("baseline")
    update = raw.flag("update_baseline")
    if not given:
        if update:
            raise ConfigError("--urial-update-baseline needs --urial-baseline PATH")
        return None
    margin, alpha = raw.number("margin", DEFAULT_MARGIN), raw.number("alpha", DEFAULT_ALPHA)
    if not margin >= 0:
        raise ConfigError(f"--urial-margin must be >= 0, got {margin}")
    if not 0 < alpha < 1:
        raise ConfigError(f"--urial-alpha must be between 0 and 1, got {alpha}")
    path = Path(given).expanduser()
    path = path if path.is_absolute() else invocation_dir / path
    if update or not path.exists():  # this run will write the baseline: say now if it cannot
        try:
            check_writable(path)
        except OSError as exc:
            raise ConfigError(f"--urial-baseline {given}: cannot write {path}: {exc.strerror or exc}") from None
    return BaselineConfig(path=path, update=update, margin=margin, alpha=alpha)


__all__ = [
    "BaselineConfig", "CacheConfig", "ConfigError", "EndpointConfig", "OPTION_NAMES", "ReportConfig", "RunConfig", "ShiftConfig",
    "build_session", "config_warnings", "open_baseline",
]
