"""RunConfig: raw options validated once (one-line errors naming the option), and build_session,
which builds the same session for a notebook as the plugin's ``urial_session`` fixture."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

import urial_check.config as config_module
import urial_check.generation.backends.transformers_backend as backend_module
from urial_check import RunConfig, build_session
from urial_check.config import OPTION_NAMES, ConfigError, open_baseline
from urial_check.generation.backends.loading import DEFAULT_MODEL_ID
from urial_check.generation.backends.transformers_backend import ModelSettings
from urial_check.measures.judges.measure import JudgeMeasurer
from urial_check.measures.shift_measure import TokenShiftMeasurer
from urial_check.measures.versus import VersusMeasurer


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh current folder with a prompt, a chat template and a file that blocks a folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prompt.txt").write_text("# Instruction\n\nBe brief.\n")
    (tmp_path / "chat.j2").write_text("{{ messages }}")
    (tmp_path / "blocker").write_text("not a folder")
    return tmp_path


BAD_OPTIONS = [
    # (options, the option the message names, the message)
    ({"keep_runs": "many"}, "urial_keep_runs", "urial_keep_runs = many: expected a whole number"),
    ({"keep_runs": -1}, "--urial-keep-runs", "--urial-keep-runs must be 0 (keep every run) or more, got -1"),
    ({"generation": ["top_p"]}, "--urial-generation", "--urial-generation 'top_p': expected KEY=VALUE"),
    ({"generation": ["top_p=7"]}, "--urial-generation", "--urial-generation 'top_p=7': generation.top_p must be a number in (0, 1]*"),
    ({"generation": {"temperature": -1}}, "--urial-generation", "--urial-generation 'temperature=-1': generation.temperature*"),
    ({"max_new_tokens": 0}, "--urial-max-new-tokens", "--urial-max-new-tokens: generation.max_new_tokens must be an integer*"),
    ({"max_new_tokens": "lots"}, "--urial-max-new-tokens", "--urial-max-new-tokens lots: expected a whole number"),
    ({"prompt": "missing.txt"}, "--urial-prompt", "--urial-prompt: *missing.txt: cannot read prompt file*"),
    ({"shift_context": "neither"}, "--urial-shift-context", "--urial-shift-context neither: expected both, urial, zero_shot"),
    ({"aligned_model": "./nope"}, "--urial-aligned-model", "--urial-aligned-model ./nope: no such file or folder*"),
    ({"chat_template": "missing.j2"}, "--urial-chat-template", "--urial-chat-template missing.j2: no such file"),
    ({"shift_sequential": "maybe"}, "--urial-shift-sequential", "--urial-shift-sequential maybe: expected true or false"),
    ({"judge": "oracle"}, "urial_judge", "urial_judge = oracle: expected heuristic, openai, hf or off"),
    ({"judge": "openai"}, "--urial-judge-model", "--urial-judge openai needs --urial-judge-model"),
    ({"judge": "openai", "judge_model": "m"}, "--urial-judge-url",
     "--urial-judge openai needs --urial-judge-url (an OpenAI-compatible base URL)"),
    ({"judge": "hf"}, "--urial-judge-model", "--urial-judge hf needs --urial-judge-model"),
    ({"judge_prompt": "fancy", "judge": "openai", "judge_model": "m", "judge_url": "http://x/v1"}, "--urial-judge-prompt",
     "--urial-judge-prompt fancy: expected default or just-eval"),
    ({"judge_prompt": "just-eval"}, "--urial-judge-prompt",
     "--urial-judge-prompt just-eval needs a model judge (--urial-judge openai or hf)"),
    ({"endpoint": ["http://127.0.0.1:8000/v1"]}, "--urial-endpoint-model",
     "--urial-endpoint needs --urial-endpoint-model NAME (the served model's name)"),
    ({"endpoint": ["127.0.0.1:8000"], "endpoint_model": "m"}, "--urial-endpoint",
     "--urial-endpoint 127.0.0.1:8000: expected a base URL such as http://127.0.0.1:8000/v1"),
    ({"endpoint": ["http://a/v1", "http://a/v1/"], "endpoint_model": "m"}, "--urial-endpoint",
     "--urial-endpoint: a URL is given twice"),
    ({"endpoint_model": "m"}, "--urial-endpoint-model", "--urial-endpoint-model needs --urial-endpoint URL"),
    ({"endpoint": "http://a/v1", "endpoint_model": "m", "endpoint_kind": "ollama"}, "--urial-endpoint-kind",
     "--urial-endpoint-kind ollama: expected auto, vllm, sglang, tgi, llama.cpp, openai"),
    ({"endpoint": "http://a/v1", "endpoint_model": "m", "endpoint_concurrency": 0}, "--urial-endpoint-concurrency",
     "--urial-endpoint-concurrency must be 1 or more, got 0"),
    ({"aligned_endpoint": "http://b/v1", "aligned_endpoint_model": "a"}, "--urial-aligned-endpoint",
     "--urial-aligned-endpoint needs the base model on a server too (--urial-endpoint URL)*"),
    ({"versus_aligned": True}, "--urial-versus-aligned",
     "--urial-versus-aligned needs --urial-aligned-model PATH or --urial-aligned-endpoint URL (the tuned model to compare with)"),
    ({"versus_aligned": "maybe"}, "--urial-versus-aligned",
     "--urial-versus-aligned maybe: expected true or false"),
    ({"device": "gpu"}, "--urial-device", "--urial-device gpu: expected auto, cpu, cuda, cuda:N or mps"),
    ({"dtype": "nonsense"}, "--urial-dtype", "--urial-dtype nonsense: expected auto, float32, bfloat16 or float16"),
    ({"batch_size": 0}, "--urial-batch-size", "--urial-batch-size must be a positive integer"),
    ({"batch_size": "two"}, "--urial-batch-size", "--urial-batch-size two: expected a whole number"),
    ({"model": "nowhere/model-folder"}, "--urial-model", "--urial-model nowhere/model-folder: no such file or folder*"),
    ({"cache": "sometimes"}, "urial_cache", "urial_cache = sometimes: expected rw, ro or off"),
    ({"rehash": "often"}, "--urial-rehash", "--urial-rehash often: expected true or false"),
    ({"refusal_detector": "regex"}, "urial_refusal_detector", "urial_refusal_detector = regex: expected rules, openai or hf"),
    ({"refusal_detector": "openai"}, "--urial-refusal-model", "--urial-refusal-detector openai needs --urial-refusal-model"),
    ({"refusal_detector": "openai", "refusal_model": "m"}, "--urial-refusal-url",
     "--urial-refusal-detector openai needs --urial-refusal-url (or --urial-judge-url)"),
    ({"refusal_detector": "hf", "refusal_model": "nowhere/at/all"}, "--urial-refusal-model",
     "--urial-refusal-model nowhere/at/all: no such file or folder*"),
    ({"refusal_label_map": "REJECTION"}, "--urial-refusal-label-map",
     "--urial-refusal-label-map: label map entry 'REJECTION': expected MODEL_LABEL=OUR_LABEL"),
    ({"refusal_template": "missing.txt"}, "--urial-refusal-template", "--urial-refusal-template missing.txt: no such file"),
    ({"update_baseline": True}, "--urial-update-baseline", "--urial-update-baseline needs --urial-baseline PATH"),
    ({"baseline": "b.json", "margin": -1}, "--urial-margin", "--urial-margin must be >= 0, got -1.0"),
    ({"baseline": "b.json", "margin": "wide"}, "--urial-margin", "--urial-margin wide: expected a number"),
    ({"baseline": "b.json", "alpha": 1}, "--urial-alpha", "--urial-alpha must be between 0 and 1, got 1.0"),
    ({"baseline": "blocker/b.json"}, "--urial-baseline", "--urial-baseline blocker/b.json: cannot write *blocker/b.json: *"),
    ({"modle": "x"}, "'modle'", "unknown urial-check option 'modle'; known: model, device, *"),
]


@pytest.mark.parametrize(("options", "named", "message"), BAD_OPTIONS, ids=[m.split(":")[0][:40] for _, _, m in BAD_OPTIONS])
def test_a_bad_option_is_one_line_that_names_it(here: Path, options: dict[str, Any], named: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_options(options)
    text = str(caught.value)
    assert fnmatch.fnmatchcase(text, message), text
    assert named in text and "\n" not in text


def test_a_bad_baseline_file_is_a_config_error_naming_the_option(here: Path) -> None:
    (here / "b.json").write_text('{"schema": "something-else"}')
    config = RunConfig.from_options({"baseline": "b.json"})  # the file exists: nothing to write
    with pytest.raises(ConfigError, match=r"^--urial-baseline: .*b\.json"):
        open_baseline(config)
    update = RunConfig.from_options({"baseline": "b.json", "update_baseline": True})
    gate = open_baseline(update)  # updating replaces an unreadable file
    assert gate is not None and gate.will_write and gate.unreadable
    assert open_baseline(RunConfig.from_options({})) is None


def test_ini_strings_and_python_values_give_one_config(here: Path) -> None:
    as_text = RunConfig.from_options({
        "batch_size": "4", "max_new_tokens": "12", "generation": ["do_sample=true", "seed=3"], "keep_runs": "5",
        "rehash": "true", "cache_clear": "false", "margin": "0.1", "alpha": "0.01", "baseline": "b.json",
        "shift_sequential": "no", "judge": "", "refusal_label_map": "REJECTION=full_refusal",
    })
    as_values = RunConfig.from_options({
        "batch_size": 4, "max_new_tokens": 12, "generation": {"seed": 3, "do_sample": True}, "keep_runs": 5,
        "rehash": True, "margin": 0.1, "alpha": 0.01, "baseline": here / "b.json", "judge": None,
        "refusal_label_map": "REJECTION=full_refusal",
    })
    assert as_text == as_values
    assert as_text.session.decoding_overrides == (("do_sample", True), ("max_new_tokens", 12), ("seed", 3))
    assert as_text.detector.batch_size == 4 and as_text.reports.keep_runs == 5 and as_text.cache.rehash


def test_defaults_and_where_relative_paths_point(here: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    root, invoked = tmp_path_factory.mktemp("root"), tmp_path_factory.mktemp("invoked")
    config = RunConfig.from_options({"baseline": "b.json", "prompt": "prompt.txt", "cache_dir": "cache",
                                     "refusal_template": "chat.j2"}, invocation_dir=invoked, root_dir=root)
    assert config.reports.directory == root / "reports" and config.reports.keep_runs == 20
    assert config.baseline is not None and config.baseline.path == invoked / "b.json"
    assert config.session.prompt_path == here / "prompt.txt"
    assert config.cache.directory == config.model.cache_dir == here / "cache"
    assert config.detector.template == here / "chat.j2"
    default = RunConfig.from_options({})
    assert default.judge is not None and default.judge.kind == "heuristic" and default.detector.kind == "rules"
    assert default.shift is None and default.baseline is None and default.cache.mode == "rw"
    assert default.session.window is None and default.session.progress
    assert RunConfig.from_options({"batch_size": 3}, windowed=True).session.window == 3
    assert RunConfig.from_options({}, windowed=True, progress=False).session == type(default.session)(window=16, progress=False)
    assert default.model_source is not None and default.model_id == DEFAULT_MODEL_ID  # the embedded model
    assert RunConfig(model=ModelSettings(model="some/model")).model_id == "some/model"  # not resolved: as given


def test_the_model_is_resolved_once(here: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []
    real = config_module.resolve_model

    def counting(spec: str | None) -> Any:
        seen.append(spec)
        return real(spec)

    for module in (config_module, backend_module):
        monkeypatch.setattr(module, "resolve_model", counting)
    monkeypatch.setattr("urial_check.generation.backends.loading.resolve_model", counting)
    config = RunConfig.from_options({"model": str(tiny_model), "cache": "off"})
    session = build_session(config)
    try:
        backend = session.backend
        assert isinstance(backend, backend_module.TransformersBackend) and backend.source is config.model_source
        assert backend.model_id == config.model_id == str(tiny_model)
    finally:
        session.close()
    assert seen == [str(tiny_model)]


def test_build_session_wires_what_the_config_names(here: Path, tiny_model: Path) -> None:
    config = RunConfig.from_options({"model": str(tiny_model), "aligned_model": str(tiny_model), "shift_context": "urial",
                                     "chat_template": "chat.j2", "batch_size": 2, "cache": "ro", "cache_dir": "c"})
    session = build_session(config)
    try:
        judge, shift = session.measurers
        assert isinstance(judge, JudgeMeasurer) and judge.settings == config.judge
        assert isinstance(shift, TokenShiftMeasurer) and shift.contexts == ("urial",) and shift.batch_size == 2
        assert shift.chat_template == "{{ messages }}" and session.primary_shift_context == "urial"
        assert session.cache is not None and session.cache.mode == "ro" and session.cache.directory == here / "c"
        assert session.config is config and session.settings is config.session
    finally:
        session.close()
    versus = build_session(RunConfig.from_options({"model": str(tiny_model), "aligned_model": str(tiny_model),
                                                   "versus_aligned": "true", "cache": "off"}))
    judge, shift, compare = versus.measurers  # after the token shift, whose aligned answers it checks
    assert isinstance(compare, VersusMeasurer) and compare.shift is shift and compare.judge is judge
    assert [c.name for c in compare.checks] == ["refusal", "scores"]
    versus.close()
    off = build_session(RunConfig.from_options({"model": str(tiny_model), "judge": "off", "cache": "off"}))
    assert off.measurers == () and off.cache is None and off.primary_shift_context is None
    off.close()


def test_cache_clear_empties_the_cache_when_the_session_is_built(here: Path, tiny_model: Path) -> None:
    first = build_session(RunConfig.from_options({"model": str(tiny_model), "cache_dir": "c"}))
    assert first.cache is not None
    first.cache.put_json("notes", "k", {"v": 1})
    first.close()
    kept = build_session(RunConfig.from_options({"model": str(tiny_model), "cache_dir": "c", "cache": "ro"}))
    assert kept.cache is not None and kept.cache.get_json("notes", "k") == {"v": 1}
    kept.close()
    cleared = build_session(RunConfig.from_options({"model": str(tiny_model), "cache_dir": "c", "cache_clear": True}))
    try:
        assert cleared.cache is not None and cleared.cache.get_json("notes", "k") is None
    finally:
        cleared.close()


NOTEBOOK_TEST = '''
import json
from pathlib import Path

from urial_check import RunConfig, build_session

OPTIONS = json.loads(Path("options.json").read_text())


def identity(session):
    backend = session.backend
    return (
        session.config, session.settings, type(backend).__name__, backend.model_id, backend.fingerprint,
        backend.source, backend.settings,
        [(type(m).__name__, getattr(m, "settings", None), getattr(m, "aligned_spec", None),
          getattr(m, "contexts", None), getattr(m, "chat_template", None)) for m in session.measurers],
        [(type(c).__name__, getattr(c, "context", None)) for c in session.checks],
        type(session.detector).__name__, session.cache.directory, session.cache.mode,
    )


def test_a_notebook_builds_the_same_session(urial_session):
    notebook = build_session(RunConfig.from_options(OPTIONS))
    try:
        assert identity(notebook) == identity(urial_session)
        Path("same.txt").write_text(repr(identity(notebook)))
    finally:
        notebook.close()
'''


def test_a_notebook_session_equals_the_pytest_one(pytester: pytest.Pytester, tiny_model: Path) -> None:
    pytester.makeini("[pytest]\nurial_keep_runs = 3\nurial_judge = heuristic\nurial_refusal_label_map = REJECTION=full_refusal\n")
    (pytester.path / "prompt.txt").write_text("# Instruction\n\nBe brief.\n")
    (pytester.path / "chat.j2").write_text("{{ messages }}")
    options = {"model": str(tiny_model), "prompt": "prompt.txt", "batch_size": 2, "generation": {"max_new_tokens": 4},
               "aligned_model": str(tiny_model), "shift_context": "zero_shot", "chat_template": "chat.j2",
               "cache_dir": "cache", "keep_runs": 3, "judge": "heuristic", "refusal_label_map": "REJECTION=full_refusal"}
    (pytester.path / "options.json").write_text(json.dumps(options))
    pytester.makepyfile(test_notebook=NOTEBOOK_TEST)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "test_notebook.py", "--urial-model", str(tiny_model), "--urial-prompt", "prompt.txt",
        "--urial-batch-size", "2", "--urial-generation", "max_new_tokens=4", "--urial-aligned-model", str(tiny_model),
        "--urial-shift-context", "zero_shot", "--urial-chat-template", "chat.j2", "--urial-cache-dir", "cache",
    )
    result.assert_outcomes(passed=1)
    same = (pytester.path / "same.txt").read_text()
    assert "ReportConfig(directory=" in same and "keep_runs=3" in same and "'max_new_tokens', 4" in same
    assert "TokenShiftMeasurer" in same and "JudgeMeasurer" in same


def test_option_names_match_the_plugins_options(pytester: pytest.Pytester) -> None:
    options = vars(pytester.parseconfig().option)
    assert {name for name in options if name.startswith("urial_")} == {f"urial_{name}" for name in OPTION_NAMES}


def test_the_readme_notebook_example_runs(here: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Using the core from Python"):]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    code = block.group(1).replace('"max_new_tokens": 64', '"max_new_tokens": 4')
    assert '"path/to/model"' in code
    exec(compile(code.replace('"path/to/model"', repr(str(tiny_model))), "README.md", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_an_endpoint_config_names_the_served_model_and_builds_an_endpoint_generator(tmp_path: Path) -> None:
    config = RunConfig.from_options({"endpoint": ["http://127.0.0.1:9/v1/", "http://127.0.0.1:10/v1"],
                                     "endpoint_model": "base-7b", "endpoint_revision": "step-1200",
                                     "cache_dir": str(tmp_path), "judge": "off"})
    assert config.endpoint is not None
    assert config.endpoint.urls == ("http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1")
    assert config.model_id == "endpoint:base-7b@step-1200"
    session = build_session(config)
    try:
        generator = session.backend
        assert type(generator).__name__ == "EndpointBackend"
        assert generator.model_id == "endpoint:base-7b@step-1200"
        assert generator.urls == config.endpoint.urls
    finally:
        session.close()


def test_an_endpoint_without_a_revision_warns_that_the_cache_cannot_tell_checkpoints_apart(tmp_path: Path) -> None:
    config = RunConfig.from_options({"endpoint": "http://127.0.0.1:9/v1", "endpoint_model": "base-7b",
                                     "cache_dir": str(tmp_path), "judge": "off"})
    with pytest.warns(UserWarning, match="cannot tell checkpoints served under that name apart"):
        session = build_session(config)
    session.close()



# --------------------------------------------------------------------------- refusal detector and hf judge, at start-up


def _config_only_folder(folder: Path, architectures: list[str], tokenizer_from: Path, **extra: Any) -> Path:
    """A model folder whose config.json names ``architectures``: a weights file that is never read, and a tokenizer."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (tokenizer_from / name).is_file():
            (folder / name).write_bytes((tokenizer_from / name).read_bytes())
    (folder / "model.safetensors").write_bytes(b"never read at start-up")
    (folder / "config.json").write_text(json.dumps({"architectures": architectures, "model_type": "llama", **extra}))
    return folder


@pytest.mark.parametrize(("name", "text", "message"), [
    ("wrong.txt", "Request: {instruction}\nAnswer: {answer}\n", "*wrong.txt: cannot fill the prompt template (KeyError: 'answer')*"),
    ("braces.txt", "Answer: {response}\nReply as {\"label\": ...}\n", "*braces.txt: cannot fill the prompt template*"),
    ("noresp.j2", "Request: {{ instruction }}", "*noresp.j2: the prompt template never inserts the answer*"),
    ("escaped.txt", "Answer: {{response}}", "*escaped.txt: the prompt template never inserts the answer*"),
])
@pytest.mark.parametrize("kind", ["openai", "hf"])
def test_a_bad_refusal_template_is_a_config_error(here: Path, tiny_model: Path, kind: str, name: str, text: str,
                                                  message: str) -> None:
    (here / name).write_text(text, encoding="utf-8")
    options = {"refusal_detector": kind, "refusal_model": "clf" if kind == "openai" else str(tiny_model),
               "refusal_url": "http://127.0.0.1:9/v1", "refusal_template": name, "refusal_label_map": "safe=compliance"}
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_options(options)
    text_ = str(caught.value)
    assert text_.startswith("--urial-refusal-template: ") and fnmatch.fnmatchcase(text_, message), text_
    assert "\n" not in text_


def test_an_openai_refusal_detector_is_probed_at_start_up(here: Path) -> None:
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Models(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            data = json.dumps({"object": "list", "data": [{"id": "clf-1", "object": "model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        assert RunConfig.from_options({"refusal_detector": "openai", "refusal_model": "clf-1", "refusal_url": url}).detector.kind == "openai"
        with pytest.raises(ConfigError) as wrong:
            RunConfig.from_options({"refusal_detector": "openai", "refusal_model": "clf-2", "refusal_url": url})
        assert str(wrong.value) == (f"--urial-refusal-detector openai: refusal classifier endpoint {url} unavailable: "
                                    "it does not serve the model 'clf-2' (GET /models lists: clf-1)")
    finally:
        server.shutdown()
        server.server_close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConfigError, match=r"^--urial-refusal-detector openai: refusal classifier endpoint "
                                          rf"http://127.0.0.1:{port}/v1 unavailable: cannot connect \(ConnectError"):
        RunConfig.from_options({"refusal_detector": "openai", "refusal_model": "c", "refusal_url": f"http://127.0.0.1:{port}/v1"})


@pytest.mark.parametrize(("architectures", "extra", "options", "message"), [
    (["LlamaModel"], {}, {}, "--urial-refusal-detector hf: * is neither a sequence-classification "
                             "nor a causal LM model (config.json architectures: LlamaModel)"),
    ([], {}, {}, "--urial-refusal-detector hf: * is neither *(config.json architectures: none)"),
    (["LlamaForCausalLM"], {}, {"refusal_label_map": "safe=compliance"},
     "--urial-refusal-detector hf: a causal guard model needs a prompt template*"),
    (["LlamaForCausalLM"], {}, {"refusal_template": "guard.txt"},
     "--urial-refusal-detector hf: a causal guard model needs a label map*"),
    (["LlamaForSequenceClassification"], {"id2label": {"0": "NORMAL", "1": "REJECTION"}}, {},
     "--urial-refusal-detector hf: * has the classes NORMAL, REJECTION; map each to one of *"),
    (["LlamaForSequenceClassification"], {"id2label": {"0": "NORMAL", "1": "REJECTION"}},
     {"refusal_label_map": "REJECTION=full_refusal"},
     "--urial-refusal-detector hf: the label map does not map the class(es) NORMAL of *"),
])
def test_an_hf_refusal_detector_folder_is_checked_at_start_up_without_its_weights(
        here: Path, default_tokenizer_dir: Path, architectures: list[str], extra: dict[str, Any],
        options: dict[str, str], message: str) -> None:
    folder = _config_only_folder(here / "clf", architectures, default_tokenizer_dir, **extra)
    (here / "guard.txt").write_text("Q: {instruction}\nA: {response}\nVerdict:")
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_options({"refusal_detector": "hf", "refusal_model": str(folder), **options})
    text = str(caught.value)
    assert fnmatch.fnmatchcase(text, message) and "\n" not in text, text


def test_an_hf_refusal_detector_folder_that_fits_passes(here: Path, default_tokenizer_dir: Path) -> None:
    folder = _config_only_folder(here / "clf", ["LlamaForSequenceClassification"], default_tokenizer_dir,
                                 id2label={"0": "NORMAL", "1": "REJECTION"})
    config = RunConfig.from_options({"refusal_detector": "hf", "refusal_model": str(folder),
                                     "refusal_label_map": "REJECTION=full_refusal,NORMAL=compliance"})
    assert config.detector.kind == "hf"
    ours = _config_only_folder(here / "ours", ["LlamaForSequenceClassification"], default_tokenizer_dir,
                               id2label={"0": "compliance", "1": "full_refusal"})
    assert RunConfig.from_options({"refusal_detector": "hf", "refusal_model": str(ours)}).detector.model == str(ours)


@pytest.mark.parametrize(("architectures", "message"), [
    (["LlamaForSequenceClassification"], "--urial-judge hf: * is not a causal language model "
                                         "(config.json architectures: LlamaForSequenceClassification)*"),
    (["LlamaModel"], "--urial-judge hf: * is not a causal language model (config.json architectures: LlamaModel)*"),
])
def test_an_hf_judge_folder_must_be_a_causal_lm(here: Path, default_tokenizer_dir: Path, architectures: list[str],
                                                message: str) -> None:
    folder = _config_only_folder(here / "judge", architectures, default_tokenizer_dir)
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_options({"judge": "hf", "judge_model": str(folder)})
    text = str(caught.value)
    assert fnmatch.fnmatchcase(text, message) and "\n" not in text, text


def test_an_hf_judge_folder_is_resolved_at_start_up(here: Path, tiny_model: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_options({"judge": "hf", "judge_model": str(here / "missing")})
    assert str(caught.value) == f"--urial-judge-model {here / 'missing'}: no such file or folder"
    config = RunConfig.from_options({"judge": "hf", "judge_model": str(tiny_model)})
    assert config.judge is not None and config.judge.model == str(tiny_model)
