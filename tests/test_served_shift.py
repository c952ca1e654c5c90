"""Token shift over a server: vLLM-like loopback fakes serving the tiny random Llamas (real logits,
real ranks) against the in-process token shift of the same models."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator

import pytest
import torch

from loopback import VllmFake
from tiny_model import build_tiny_llama
from urial_check.config import ConfigError, RunConfig
from urial_check.generation.backends.base import BackendError, RankedLogprobs, ScoresPrompts
from urial_check.generation.backends.endpoint import NEEDS_PROMPT_LOGPROBS, EndpointBackend
from urial_check.measures.served_shift import _bucket_kl, served_shift_metrics
from urial_check.measures.token_shift import aligned_pass, base_pass, measure_shift_batch, shift_metrics

INSTRUCTIONS = ["Name a fruit.", "How do I boil an egg?", "Say hello."]
MAX_NEW = 6


@pytest.fixture(scope="module")
def aligned_dir(tmp_path_factory: pytest.TempPathFactory, default_tokenizer_dir: Path) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-aligned"), seed=1, tokenizer_folder=default_tokenizer_dir)


@pytest.fixture(scope="module")
def servers(tiny_model: Path, aligned_dir: Path) -> Iterator[tuple[VllmFake, VllmFake]]:
    base, aligned = VllmFake(str(tiny_model), "base"), VllmFake(str(aligned_dir), "aligned")
    yield base, aligned
    base.close()
    aligned.close()


@pytest.fixture(scope="module")
def local(tiny_model: Path, aligned_dir: Path) -> tuple[Any, Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return (AutoModelForCausalLM.from_pretrained(tiny_model).eval(), AutoModelForCausalLM.from_pretrained(aligned_dir).eval(),
            AutoTokenizer.from_pretrained(tiny_model))


def served_shifts(base: ScoresPrompts, aligned: ScoresPrompts, contexts: tuple[str, ...], top_k: int) -> list[dict[str, Any]]:
    from urial_check.measures.served_shift import served_case_shift
    from urial_check.measures.token_shift import context_prompt

    out = []
    for instruction in INSTRUCTIONS:
        chat = aligned.tokenize_chat(instruction)
        ids, text = aligned.greedy_ids(chat, MAX_NEW)
        side = aligned.prompt_logprobs(chat + ids, len(chat), top_k)
        per = {}
        for context in contexts:
            prompt = base.tokenize(context_prompt(context, instruction))
            rows = base.prompt_logprobs(prompt + ids, len(prompt), top_k)
            per[context] = served_case_shift(context, instruction, text, ids, rows, served_shift_metrics(rows, side, top_k=top_k))
        out.append(per)
    return out


def test_ranks_and_ratios_over_servers_equal_the_in_process_shift(servers: tuple[VllmFake, VllmFake],
                                                                   local: tuple[Any, Any, Any]) -> None:
    base_model, aligned_model, tokenizer = local
    exact = measure_shift_batch(base_model, aligned_model, tokenizer, INSTRUCTIONS, max_new_tokens=MAX_NEW, batch_size=1)
    base = EndpointBackend(servers[0].url, "base")
    aligned = EndpointBackend(servers[1].url, "aligned")
    try:
        served = served_shifts(base, aligned, ("zero_shot", "urial"), top_k=20)
    finally:
        base.close()
        aligned.close()
    positions = 0
    for want, got in zip(exact, served):
        for context in ("zero_shot", "urial"):
            w, g = want[context], got[context]
            assert g.token_ids == w.token_ids and g.answer == w.answer and g.tokens == w.tokens
            assert g.metrics.ranks == w.metrics.ranks and g.metrics.base_top1 == w.metrics.base_top1
            assert (g.metrics.unshifted, g.metrics.marginal, g.metrics.shifted) == (w.metrics.unshifted, w.metrics.marginal,
                                                                                     w.metrics.shifted)
            assert g.metrics.base_prob == pytest.approx(w.metrics.base_prob, rel=1e-4, abs=1e-7)
            assert g.metrics.kl_approximate and not w.metrics.kl_approximate
            # Documented: the coarse-grained KL never exceeds the full-vocabulary KL.
            assert all(a <= e + 1e-5 for a, e in zip(g.metrics.kl, w.metrics.kl))
            assert [a.token_id for a in g.alternatives[0]] == [a.token_id for a in w.alternatives[0]]
            positions += g.metrics.positions
    assert positions > 10  # the random models answered with enough tokens to compare


def ranked_rows(logits: torch.Tensor, ids: list[int]) -> list[RankedLogprobs]:
    """What a server returning its whole vocabulary (k = V) would send for these [T, V] logits."""
    out = []
    for row, token in zip(logits.float(), ids):
        lp = torch.log_softmax(row, -1)
        out.append(RankedLogprobs(token, float(lp[token]), 1 + int((row > row[token]).sum()), "",
                                  dict(enumerate(lp.tolist()))))
    return out


def test_with_the_whole_vocabulary_returned_the_kl_is_exact(local: tuple[Any, Any, Any]) -> None:
    from urial_check.measures.token_shift import _answer_logits, _chat_prompt_ids, context_prompt

    base_model, aligned_model, tokenizer = local
    answer = aligned_pass(aligned_model, tokenizer, INSTRUCTIONS[:1], max_new_tokens=MAX_NEW, batch_size=1)[0]
    prompt = tokenizer(context_prompt("zero_shot", answer.instruction))["input_ids"]
    base_logits = _answer_logits(base_model, [(prompt, answer.token_ids)], 0, 1)[0]
    chat = _chat_prompt_ids(tokenizer, answer.instruction, None)
    aligned_logits = _answer_logits(aligned_model, [(chat, answer.token_ids)], 0, 1)[0]
    exact = shift_metrics(base_logits, aligned_logits, torch.tensor(answer.token_ids))
    vocab = base_logits.shape[1]
    got = served_shift_metrics(ranked_rows(base_logits, answer.token_ids), ranked_rows(aligned_logits, answer.token_ids),
                               top_k=vocab)
    assert got.ranks == exact.ranks and got.positions > 0
    assert got.kl == pytest.approx(exact.kl, rel=1e-4, abs=1e-6)
    assert got.aligned_prob_of_base_top1 == pytest.approx(exact.aligned_prob_of_base_top1, rel=1e-5, abs=1e-9)


def test_a_served_base_with_a_local_aligned_model(servers: tuple[VllmFake, VllmFake], local: tuple[Any, Any, Any]) -> None:
    base_model, aligned_model, tokenizer = local
    answers = aligned_pass(aligned_model, tokenizer, INSTRUCTIONS, max_new_tokens=MAX_NEW, batch_size=1)
    exact = base_pass(base_model, tokenizer, INSTRUCTIONS, answers, contexts=("zero_shot",), batch_size=1)
    base = EndpointBackend(servers[0].url, "base")
    try:
        from urial_check.measures.token_shift import context_prompt

        for answer, want in zip(answers, exact):
            prompt = base.tokenize(context_prompt("zero_shot", answer.instruction))
            rows = base.prompt_logprobs(prompt + answer.token_ids, len(prompt), 20)
            metrics = served_shift_metrics(rows, answer.logits)
            assert metrics.ranks == want["zero_shot"].metrics.ranks
            assert all(a <= e + 1e-5 for a, e in zip(metrics.kl, want["zero_shot"].metrics.kl))
            assert metrics.aligned_prob_of_base_top1 == pytest.approx(want["zero_shot"].metrics.aligned_prob_of_base_top1,
                                                                      rel=1e-4, abs=1e-7)
    finally:
        base.close()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 50])
def test_the_bucketed_kl_is_a_lower_bound_of_the_full_kl(seed: int, k: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    p_logits, q_logits = torch.randn(200, generator=generator, dtype=torch.float64) * 3, torch.randn(200, generator=generator,
                                                                                                  dtype=torch.float64) * 3
    p, q = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    full = float((p.exp() * (p - q)).sum())
    known = [int(i) for i in torch.topk(p, k).indices]
    approx = _bucket_kl([float(p[v]) for v in known], [float(q[v]) for v in known])
    assert 0.0 <= approx <= full + 1e-12
    everything = list(range(200))
    assert _bucket_kl([float(p[v]) for v in everything], [float(q[v]) for v in everything]) == pytest.approx(full, abs=1e-9)


def test_positions_about_different_tokens_are_refused() -> None:
    row = RankedLogprobs(5, -0.1, 1, "a", {5: -0.1})
    with pytest.raises(ValueError, match="base server scored token 5, the aligned one 6"):
        served_shift_metrics([row], [RankedLogprobs(6, -0.1, 1, "b", {6: -0.1})])
    with pytest.raises(ValueError, match="do not share a vocabulary"):
        served_shift_metrics([row], [RankedLogprobs(5, -0.1, 1, "x", {5: -0.1})])


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(("mode", "message"), [
    ("no_prompt_logprobs", "returned no prompt_logprobs; " + NEEDS_PROMPT_LOGPROBS),
    ("malformed", "malformed prompt_logprobs at prompt position 1: the prompt token * has no rank >= 1"),
])
def test_a_server_without_ranked_prompt_logprobs_is_one_clear_line(tiny_model: Path, mode: str, message: str) -> None:
    fake = VllmFake(str(tiny_model), "base", mode=mode)
    backend = EndpointBackend(fake.url, "base")
    try:
        with pytest.raises(BackendError) as error:
            backend.prompt_logprobs([1, 2, 3], 1, 5)
        text = str(error.value)
        assert "\n" not in text and fake.url in text
        assert __import__("fnmatch").fnmatch(text, f"*{message}*")
    finally:
        backend.close()
        fake.close()


def test_busy_answers_are_retried_with_the_http_machinery(tiny_model: Path) -> None:
    fake = VllmFake(str(tiny_model), "base", fail_first=2)
    backend = EndpointBackend(fake.url, "base", backoff_s=0.01)
    try:
        ids = backend.tokenize("Hello there")
        rows = backend.prompt_logprobs(ids, 1, 5)
        assert [r.token_id for r in rows] == ids[1:] and all(r.rank >= 1 for r in rows)
        assert backend.stats.retries == 2
    finally:
        backend.close()
        fake.close()


def test_a_server_without_tokenize_says_what_is_needed(tiny_model: Path) -> None:
    fake = VllmFake(str(tiny_model), "base", mode="no_tokenize")
    backend = EndpointBackend(fake.url, "base")
    try:
        with pytest.raises(BackendError, match=r"POST /tokenize answered HTTP 404 not found.*vLLM >= 0\.5\.5"):
            backend.tokenize("hi")
    finally:
        backend.close()
        fake.close()


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(("options", "message"), [
    ({"aligned_endpoint": "http://127.0.0.1:1/v1", "aligned_endpoint_model": "a"},
     "--urial-aligned-endpoint needs the base model on a server too"),
    ({"aligned_endpoint": "http://127.0.0.1:1/v1", "endpoint": "http://127.0.0.1:2/v1", "endpoint_model": "b"},
     "--urial-aligned-endpoint needs --urial-aligned-endpoint-model NAME"),
    ({"aligned_endpoint_model": "a"}, "--urial-aligned-endpoint-model needs --urial-aligned-endpoint URL"),
    ({"aligned_endpoint": "127.0.0.1:1", "aligned_endpoint_model": "a"}, "expected a base URL"),
])
def test_aligned_endpoint_options_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        RunConfig.from_options({"judge": "off", **options})


def test_aligned_endpoint_config(tiny_model: Path) -> None:
    config = RunConfig.from_options({"judge": "off", "endpoint": "http://127.0.0.1:2/v1", "endpoint_model": "b",
                                     "endpoint_key_env": "KEY", "aligned_endpoint": "http://127.0.0.1:3/v1/",
                                     "aligned_endpoint_model": "a", "aligned_endpoint_revision": "step-9"})
    assert config.shift is not None and config.shift.aligned_endpoint is not None
    assert config.shift.aligned_model == "endpoint:a@step-9"
    assert config.shift.aligned_endpoint.urls == ("http://127.0.0.1:3/v1",) and config.shift.aligned_endpoint.key_env == "KEY"


# --------------------------------------------------------------------------- through the plugin

SUITE = """\
suite: demo/served-shift
defaults:
  generation: {max_new_tokens: 4}
cases:
  - id: fruit
    instruction: "Name a fruit."
    expect: {token_shift: {shifted: "<= 1.0", mean_kl: ">= 0"}}
  - id: egg
    instruction: "How do I boil an egg?"
"""


def test_the_plugin_measures_the_shift_over_two_servers(pytester: pytest.Pytester, servers: tuple[VllmFake, VllmFake]) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "shift.yaml").write_text(SUITE)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "suites", "--urial-endpoint", servers[0].url, "--urial-endpoint-model", "base",
        "--urial-endpoint-revision", "r1", "--urial-aligned-endpoint", servers[1].url,
        "--urial-aligned-endpoint-model", "aligned", "--urial-shift-context", "zero_shot", "--junitxml=junit.xml",
        "-W", "ignore::urial_check.generation.backends.endpoint.EndpointWarning",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*token distribution shift (base vs aligned)*",
                                 "| demo/served-shift *| zero_shot *|*2 |* (approx.) |",
                                 "*(approx.) approximate KL: from the server's top-k log-probabilities (a lower bound)*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    record = json.loads((pytester.path / "reports" / "latest.json").read_text())
    shifts = [case["token_shift"]["zero_shot"] for case in record["cases"]]
    assert len(shifts) == 2 and all(s["kl_approximate"] is True and s["positions"] >= 0 for s in shifts)
    junit = ET.parse(pytester.path / "junit.xml")
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert props["urial.token_shift.zero_shot.kl_approximate"] == "true"
    page = next((pytester.path / "reports").glob("run-*/token_shift.html")).read_text()
    assert "(approx.)" in page and "a lower bound of the full KL" in page


def test_the_plugin_stops_once_on_a_server_without_prompt_logprobs(pytester: pytest.Pytester, tiny_model: Path,
                                                                    servers: tuple[VllmFake, VllmFake]) -> None:
    plain = VllmFake(str(tiny_model), "base", mode="no_prompt_logprobs")
    try:
        pytester.makeini("[pytest]\n")
        (pytester.mkdir("suites") / "shift.yaml").write_text(SUITE)
        result = pytester.runpytest(
            "-p", "no:cacheprovider", "suites", "--urial-endpoint", plain.url, "--urial-endpoint-model", "base",
            "--urial-aligned-endpoint", servers[1].url, "--urial-aligned-endpoint-model", "aligned",
            "-W", "ignore::urial_check.config.EndpointRevisionWarning",
        )
    finally:
        plain.close()
    result.stdout.fnmatch_lines([f"*urial-check: token shift against endpoint:aligned: endpoint {plain.url} returned no "
                                 "prompt_logprobs; token shift over a server needs ranked prompt log-probabilities: "
                                 "vLLM >= 0.5.5*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.assert_outcomes(failed=1)  # the run stops at the first case: one error, not one per case
    result.stdout.fnmatch_lines(["run interrupted: urial-check: token shift against endpoint:aligned: *"])


def test_urial_versus_the_aligned_model_on_a_server(pytester: pytest.Pytester, servers: tuple[VllmFake, VllmFake]) -> None:
    """--urial-versus-aligned with the aligned model on its own server: its served answers are checked too."""
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "shift.yaml").write_text(SUITE)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "suites", "--urial-endpoint", servers[0].url, "--urial-endpoint-model", "base",
        "--urial-endpoint-revision", "r1", "--urial-aligned-endpoint", servers[1].url,
        "--urial-aligned-endpoint-model", "aligned", "--urial-shift-context", "zero_shot", "--urial-versus-aligned",
        "-W", "ignore::urial_check.generation.backends.endpoint.EndpointWarning",
    )
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*Traceback*")
    record = json.loads((pytester.path / "reports" / "latest.json").read_text())
    (versus,) = record["versus"]
    assert versus["suite"] == "demo/served-shift" and versus["cases"] == 2
    for case in record["cases"]:
        artifact = json.loads((pytester.path / "reports" / case["token_shift_file"]).read_text())
        served_answer = artifact["contexts"]["zero_shot"]["answer"]
        assert case["aligned"]["answer"] == served_answer
        assert case["aligned"]["refusal"]["label"] in ("compliance", "partial_refusal", "full_refusal")
