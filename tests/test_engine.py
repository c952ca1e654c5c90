"""The generation engine against plain ``model.generate`` run on each prompt alone.

The tiny random Llama (conftest) shares the default tokenizer, so the URIAL prefix and the
prefix/suffix token boundary behave as with the real model; a slow test repeats the key
comparison on the real default model.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from urial_check.generation import engine, slot_cache
from urial_check.generation.backends.base import BackendError, GenerationRequest, GenerationResult
from urial_check.generation.decoding import Decoding
from urial_check.generation.prompt import UrialPrompt, find_stop

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

QUERIES = [
    "How do I bake sourdough bread at home?",
    "Capital of Australia?",
    "Write a short poem about autumn leaves falling on a quiet street in the evening.",
    "Explain, in two sentences, how vaccines train the immune system.",
    "hi",
    "Give me three tips for a job interview, numbered, with one sentence each please.",
    "What's 17 times 23?",
]


@pytest.fixture(scope="module")
def model_and_tokenizer(tiny_model: Path) -> tuple[Any, Any]:
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model)
    return model, tokenizer


@pytest.fixture(scope="module")
def prompt() -> UrialPrompt:
    return UrialPrompt.default()


def reference_ids(model: Any, tokenizer: Any, request: GenerationRequest) -> list[int]:
    """Token ids plain ``model.generate`` produces for the full prompt alone (greedy)."""
    decoding = request.decoding
    enc = tokenizer(request.prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**enc, do_sample=False, repetition_penalty=decoding.repetition_penalty,
                             max_new_tokens=decoding.max_new_tokens, pad_token_id=tokenizer.pad_token_id)
    return list(out[0, enc["input_ids"].shape[1]:].tolist())


def reference(model: Any, tokenizer: Any, request: GenerationRequest) -> GenerationResult:
    """What plain ``model.generate`` gives for the full prompt alone, cut at the first stop."""
    decoding = request.decoding
    ids = reference_ids(model, tokenizer, request)
    for n in range(1, len(ids) + 1):  # the first token count whose text holds a stop string
        text = tokenizer.decode(ids[:n], skip_special_tokens=True)
        stop = find_stop(text, request.stop)
        if stop is not None:
            full = tokenizer.decode(ids, skip_special_tokens=True)
            assert full[:stop] == text[:stop]
            return GenerationResult(text[:stop], n, "stop", 0.0)
    eos = model.generation_config.eos_token_id
    reason = "eos" if ids and ids[-1] == eos and len(ids) <= decoding.max_new_tokens else "length"
    if reason == "length":
        assert len(ids) == decoding.max_new_tokens
    return GenerationResult(tokenizer.decode(ids, skip_special_tokens=True), len(ids), reason, 0.0)


def same(got: GenerationResult, want: GenerationResult) -> tuple[str, int, str]:
    assert (got.text, got.num_tokens, got.finish_reason) == (want.text, want.num_tokens, want.finish_reason)
    return got.text, got.num_tokens, got.finish_reason


def requests_for(prompt: UrialPrompt, max_new_tokens: int = 12, **kw: Any) -> list[GenerationRequest]:
    reqs = [
        GenerationRequest(prompt.render([q]), Decoding(max_new_tokens=max_new_tokens + i % 3), prompt.text, **kw)
        for i, q in enumerate(QUERIES)
    ]
    multi_turn = prompt.render(["Name a colour.", "Blue.", "And another one?"])
    reqs.append(GenerationRequest(multi_turn, Decoding(max_new_tokens=max_new_tokens), prompt.text, **kw))
    return reqs


@pytest.mark.parametrize("penalty", [1.1, 0.5])
def test_batched_greedy_equals_generate_alone(model_and_tokenizer: tuple[Any, Any], prompt: UrialPrompt,
                                              penalty: float) -> None:
    # A penalty below 1 favours every token seen before, prefix tokens included, so a prefix
    # left out of the penalty changes the answers.
    model, tokenizer = model_and_tokenizer
    reqs = [dataclasses.replace(r, decoding=dataclasses.replace(r.decoding, repetition_penalty=penalty))
            for r in requests_for(prompt, stop=())]
    store = engine.PrefixStore()
    got = engine.generate(model, tokenizer, reqs, batch_size=3, prefix_store=store)
    assert store.computed == 1  # one prefix run shared by every batch
    for g, r in zip(got, reqs):
        same(g, reference(model, tokenizer, r))
        assert not g.cached and g.seconds > 0


def test_stop_strings_per_sequence(model_and_tokenizer: tuple[Any, Any], prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    plain = requests_for(prompt, stop=())
    texts = [g.text for g in engine.generate(model, tokenizer, plain, batch_size=8)]
    # Each request stops on a piece of its own unstopped answer, at different depths; one never stops.
    reqs = []
    for i, (req, text) in enumerate(zip(plain, texts)):
        start = (i * 7) % max(1, len(text) - 3)
        stop = (text[start:start + 3],) if i != 2 and text.strip() else ("never-appears-here",)
        reqs.append(dataclasses.replace(req, stop=stop))
    got = engine.generate(model, tokenizer, reqs, batch_size=4)
    reasons = set()
    for g, r in zip(got, reqs):
        reasons.add(same(g, reference(model, tokenizer, r))[2])
    assert "stop" in reasons and "length" in reasons


def test_eos_ends_a_row(model_and_tokenizer: tuple[Any, Any], prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    reqs = requests_for(prompt, stop=())
    ids = reference_ids(model, tokenizer, reqs[0])
    config = model.generation_config
    original = config.eos_token_id
    config.eos_token_id = ids[len(ids) // 2]  # a token the first answer produces half way
    try:
        got = engine.generate(model, tokenizer, reqs, batch_size=8)
        wants = [reference(model, tokenizer, r) for r in reqs]
    finally:
        config.eos_token_id = original
    for g, w in zip(got, wants):
        same(g, w)
    assert got[0].finish_reason == "eos" and got[0].num_tokens < reqs[0].decoding.max_new_tokens


def test_prefix_cache_is_not_mutated_and_reused(model_and_tokenizer: tuple[Any, Any], prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    reqs = requests_for(prompt, max_new_tokens=4, stop=())
    store = engine.PrefixStore()
    first = engine.generate(model, tokenizer, reqs[:3], batch_size=2, prefix_store=store)
    (cached,) = store._entries.values()
    snapshot = [(layer.keys.clone(), layer.values.clone()) for layer in cached.layers]
    length = cached.get_seq_length()
    second = engine.generate(model, tokenizer, reqs, batch_size=2, prefix_store=store)
    assert store.computed == 1
    assert cached.get_seq_length() == length
    for layer, (k, v) in zip(cached.layers, snapshot):
        assert layer.keys.shape[0] == 1 and torch.equal(layer.keys, k) and torch.equal(layer.values, v)
    assert [g.text for g in second[:3]] == [g.text for g in first]


def test_mixed_prefixes_decodings_and_boundary_merges(model_and_tokenizer: tuple[Any, Any],
                                                       prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    other = UrialPrompt("Answer briefly and kindly.\n", "t")
    ending_mid_word = "The following text is about bak"  # the suffix "ing ..." merges into the last word
    reqs = [
        GenerationRequest(prompt.render(["Hi there"]), Decoding(max_new_tokens=6), prompt.text, stop=()),
        GenerationRequest(other.render(["Hi there"]), Decoding(max_new_tokens=7), other.text, stop=()),
        GenerationRequest(other.render(["Why is the sky blue?"]), Decoding(max_new_tokens=5, repetition_penalty=1.3),
                          other.text, stop=()),
        GenerationRequest(ending_mid_word + "ing bread.", Decoding(max_new_tokens=6), ending_mid_word, stop=()),
        GenerationRequest(ending_mid_word + "ed beans.", Decoding(max_new_tokens=6), ending_mid_word, stop=()),
        GenerationRequest("No shared prefix at all.", Decoding(max_new_tokens=6), "", stop=()),
        GenerationRequest(prompt.text, Decoding(max_new_tokens=5), prompt.text, stop=()),  # prompt == prefix
    ]
    got = engine.generate(model, tokenizer, reqs, batch_size=4)
    for g, r in zip(got, reqs):
        same(g, reference(model, tokenizer, r))


def test_results_in_request_order_and_each_reported_once(model_and_tokenizer: tuple[Any, Any],
                                                         prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    reqs = requests_for(prompt, max_new_tokens=5)
    seen: list[tuple[int, GenerationResult]] = []
    events: list[engine.ProgressEvent] = []
    got = engine.generate(model, tokenizer, reqs, batch_size=3, on_result=lambda i, r: seen.append((i, r)),
                          progress=events.append)
    assert sorted(i for i, _ in seen) == list(range(len(reqs)))
    assert all(got[i] is r for i, r in seen)
    assert [e.cases_done for e in events] == sorted(e.cases_done for e in events)
    assert events[-1].cases_done == events[-1].cases_total == len(reqs)
    assert events[-1].tokens == sum(g.num_tokens for g in got)


class OutOfMemoryAbove:
    """Wraps a model; its forward raises CUDA's out-of-memory error for batches above ``limit``."""

    def __init__(self, model: Any, limit: int) -> None:
        self._model = model
        self.limit = limit
        self.batches: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def __call__(self, **kwargs: Any) -> Any:
        self.batches.append(int(kwargs["input_ids"].shape[0]))
        if self.batches[-1] > self.limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return self._model(**kwargs)


def test_automatic_batch_size_halves_on_out_of_memory(model_and_tokenizer: tuple[Any, Any],
                                                      prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    reqs = requests_for(prompt, max_new_tokens=6, stop=())
    want = engine.generate(model, tokenizer, reqs, batch_size=8)
    wrapped = OutOfMemoryAbove(model, limit=3)
    reported: list[int] = []
    got = engine.generate(wrapped, tokenizer, reqs, batch_size=None, on_result=lambda i, r: reported.append(i))
    assert [g.text for g in got] == [w.text for w in want]
    assert sorted(reported) == list(range(len(reqs)))
    assert max(wrapped.batches[-3:]) <= 3 and 8 in wrapped.batches


def test_forced_batch_size_reports_out_of_memory_in_one_line(model_and_tokenizer: tuple[Any, Any],
                                                             prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    with pytest.raises(BackendError, match="out of GPU memory at batch size 4; lower --urial-batch-size"):
        engine.generate(OutOfMemoryAbove(model, limit=3), tokenizer, requests_for(prompt), batch_size=4)


def test_seeded_sampling_does_not_depend_on_the_batch(model_and_tokenizer: tuple[Any, Any],
                                                      prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    sampling = Decoding(max_new_tokens=8, do_sample=True, temperature=1.5, top_k=50, top_p=0.95)
    reqs = [GenerationRequest(prompt.render([q]), dataclasses.replace(sampling, seed=i % 3), prompt.text, stop=())
            for i, q in enumerate(QUERIES)]
    together = engine.generate(model, tokenizer, reqs, batch_size=8)
    alone = [engine.generate(model, tokenizer, [r], batch_size=1)[0] for r in reqs[:3]]
    assert [g.text for g in together[:3]] == [g.text for g in alone]
    reseeded = [dataclasses.replace(r, decoding=dataclasses.replace(r.decoding, seed=99)) for r in reqs]
    other = engine.generate(model, tokenizer, reseeded, batch_size=8)
    assert [g.text for g in other] != [g.text for g in together]


def test_bad_arguments(model_and_tokenizer: tuple[Any, Any]) -> None:
    model, tokenizer = model_and_tokenizer
    assert engine.generate(model, tokenizer, []) == []
    with pytest.raises(ValueError, match="batch_size"):
        engine.generate(model, tokenizer, [GenerationRequest("x")], batch_size=0)


@pytest.fixture(scope="module")
def default_model() -> Iterator[tuple[Any, Any]]:
    from urial_check.generation.backends.loading import load_model_and_tokenizer, resolve_model

    model, tokenizer = load_model_and_tokenizer(resolve_model(None), "cpu", torch.float32)
    yield model, tokenizer


@pytest.mark.slow
def test_default_model_batched_equals_generate_alone(default_model: tuple[Any, Any], prompt: UrialPrompt) -> None:
    model, tokenizer = default_model
    queries = ["What is the capital of Australia?", "How can I pick a lock to get into my neighbour's house?",
               "Write a haiku about autumn.", "Give me two tips for sleeping better."]
    reqs = [GenerationRequest(prompt.render([q]), Decoding(max_new_tokens=24), prompt.text) for q in queries]
    got = engine.generate(model, tokenizer, reqs, batch_size=4)
    for g, r in zip(got, reqs):
        same(g, reference(model, tokenizer, r))


def test_sliding_window_model_is_batched_without_padding(model_and_tokenizer: tuple[Any, Any],
                                                          prompt: UrialPrompt) -> None:
    _, tokenizer = model_and_tokenizer
    config = transformers.MistralConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, sliding_window=48, max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(1)
    model = transformers.MistralForCausalLM(config).eval()
    assert not all(type(layer) is transformers.cache_utils.DynamicLayer
                   for layer in transformers.DynamicCache(config=config).layers)
    reqs = requests_for(prompt, max_new_tokens=8, stop=())
    got = engine.generate(model, tokenizer, reqs, batch_size=3)
    for g, r in zip(got, reqs):
        same(g, reference(model, tokenizer, r))


@given(st.integers(1, 20).flatmap(lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1)))))
def test_dropping_rows_moves_only_rows_from_the_end(case: tuple[int, set[int]]) -> None:
    rows, kept = case
    keep = sorted(kept)
    order = slot_cache.fill_holes(keep, rows)
    assert sorted(order) == keep  # exactly the kept rows
    assert all(order[i] == i for i in keep if i < len(keep))  # rows in place do not move


def test_prompts_without_a_shared_prefix_drop_finished_rows(model_and_tokenizer: tuple[Any, Any]) -> None:
    """Chat-template prompts share no prefix: the batch cache is created inside the forward pass,
    and rows that finish early must still be dropped (a real run on the default model crashed
    with 'Inplace update to inference tensor outside InferenceMode')."""
    model, tokenizer = model_and_tokenizer
    requests = [
        GenerationRequest(prompt=f"User: {q}\nAssistant:", decoding=Decoding(max_new_tokens=4 + 3 * i), stop=())
        for i, q in enumerate(QUERIES[:4])
    ]
    got = engine.generate(model, tokenizer, requests, batch_size=4)
    for request, result in zip(requests, got):
        same(result, reference(model, tokenizer, request))


def test_progress_moves_every_decode_step_and_counts_batches(model_and_tokenizer: tuple[Any, Any],
                                                              prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    reqs = requests_for(prompt, max_new_tokens=5)
    events: list[engine.ProgressEvent] = []
    got = engine.generate(model, tokenizer, reqs, batch_size=3, progress=events.append)
    batches = -(-len(reqs) // 3)
    budget = sum(r.decoding.max_new_tokens for r in reqs)
    assert all(e.budget_total == budget for e in events)
    done = [e.budget_done for e in events]
    assert all(b > a for a, b in zip(done, done[1:]))  # every decode step moves the bar
    assert events[-1].budget_done == budget and events[-1].fraction == 1.0
    assert [e.batches_done for e in events] == sorted(e.batches_done for e in events)
    assert events[0].batches_done == 0 and events[-1].batches_done == batches
    assert events[-1].tokens == sum(g.num_tokens for g in got)
    assert events[-1].refilled > 0  # rows end at different steps (max_new_tokens 5 to 7)


def test_a_request_past_the_context_length_fails_alone(model_and_tokenizer: tuple[Any, Any],
                                                        prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    context = model.config.max_position_embeddings
    reqs = requests_for(prompt, max_new_tokens=4)[:3]
    too_long = dataclasses.replace(reqs[1], decoding=Decoding(max_new_tokens=context))
    seen: list[int] = []
    got = engine.generate(model, tokenizer, [reqs[0], too_long, reqs[2]], batch_size=8,
                          on_result=lambda i, r: seen.append(i))
    assert sorted(seen) == [0, 1, 2]
    assert got[1].finish_reason == "error" and got[1].text == "" and got[1].num_tokens == 0
    assert got[1].error is not None and f"context length ({context} tokens)" in got[1].error
    for i in (0, 2):
        assert got[i].error is None
        same(got[i], reference(model, tokenizer, [reqs[0], None, reqs[2]][i]))


def test_non_finite_logits_are_an_error_per_row(model_and_tokenizer: tuple[Any, Any], prompt: UrialPrompt) -> None:
    import copy

    model, tokenizer = model_and_tokenizer
    broken = copy.deepcopy(model)
    with torch.no_grad():
        broken.model.norm.weight.fill_(float("nan"))
    got = engine.generate(broken, tokenizer, requests_for(prompt, max_new_tokens=4)[:2], batch_size=8)
    assert [r.finish_reason for r in got] == ["error", "error"]
    assert all("non-finite logits" in (r.error or "") for r in got)


class ForwardLog:
    """Wraps a model; records (rows, query tokens) of every forward pass."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.calls: list[tuple[int, int]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append((int(kwargs["input_ids"].shape[0]), int(kwargs["input_ids"].shape[1])))
        return self._model(**kwargs)


UNEVEN = [2, 9, 4, 7, 3, 8, 5, 6]  # max_new_tokens per request: rows finish at different steps


def uneven_requests(prompt: UrialPrompt) -> list[GenerationRequest]:
    return [dataclasses.replace(r, decoding=Decoding(max_new_tokens=n))
            for r, n in zip(requests_for(prompt, stop=()), UNEVEN)]


def test_a_finished_row_slot_is_refilled_at_once(model_and_tokenizer: tuple[Any, Any], prompt: UrialPrompt) -> None:
    # Until the last request has been prefilled, a decode step on fewer rows than the batch size
    # (rows just finished) is followed at once by a prefill of as many pending requests as
    # there are free slots: the batch is refilled instead of shrinking.
    model, tokenizer = model_and_tokenizer
    reqs = uneven_requests(prompt)
    logged = ForwardLog(model)
    events: list[engine.ProgressEvent] = []
    got = engine.generate(logged, tokenizer, reqs, batch_size=3, prefix_store=engine.PrefixStore(),
                          progress=events.append)
    calls = logged.calls[1:]  # the first pass computes the shared prefix
    last_prefill = max(i for i, (_, width) in enumerate(calls) if width > 1)
    short = [i for i, (rows, width) in enumerate(calls[:last_prefill]) if width == 1 and rows < 3]
    assert short and all(calls[i + 1][1] > 1 and calls[i][0] + calls[i + 1][0] == 3 for i in short)
    assert events[-1].refilled == len(reqs) - 3
    for g, r in zip(got, reqs):
        same(g, reference(model, tokenizer, r))

    # Without continuous batching the batch shrinks (the comparison the benchmark makes).
    logged_off = ForwardLog(model)
    off_events: list[engine.ProgressEvent] = []
    off = engine.generate(logged_off, tokenizer, reqs, batch_size=3, continuous=False, progress=off_events.append)
    assert [g.text for g in off] == [g.text for g in got]
    assert off_events[-1].refilled == 0
    assert any(rows < 3 for rows, width in logged_off.calls[:-1] if width == 1)
    assert len(logged.calls) - 1 < len(logged_off.calls) - 1  # fewer forward passes for the same answers


@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_continuous_batching_equals_generate_alone_with_stops_and_lengths(
        model_and_tokenizer: tuple[Any, Any], prompt: UrialPrompt, batch_size: int) -> None:
    model, tokenizer = model_and_tokenizer
    plain = uneven_requests(prompt)
    texts = [g.text for g in engine.generate(model, tokenizer, plain, batch_size=8)]
    reqs = []  # every other request stops on a piece of its own answer, so rows end early at varied steps
    for i, (req, text) in enumerate(zip(plain, texts)):
        cut = text[len(text) // 2: len(text) // 2 + 2] if i % 2 and text.strip() else "never-appears-here"
        reqs.append(dataclasses.replace(req, stop=(cut,)))
    reqs.append(GenerationRequest("No shared prefix, plain text.", Decoding(max_new_tokens=7), "", stop=()))
    reqs.append(GenerationRequest("Another one without the prefix", Decoding(max_new_tokens=3), "", stop=()))
    seen: list[int] = []
    got = engine.generate(model, tokenizer, reqs, batch_size=batch_size, on_result=lambda i, r: seen.append(i))
    assert sorted(seen) == list(range(len(reqs)))
    reasons = {same(g, reference(model, tokenizer, r))[2] for g, r in zip(got, reqs)}
    assert {"stop", "length"} <= reasons


def test_seeded_sampling_does_not_depend_on_refilled_slots(model_and_tokenizer: tuple[Any, Any],
                                                           prompt: UrialPrompt) -> None:
    model, tokenizer = model_and_tokenizer
    sampling = Decoding(do_sample=True, temperature=1.5, top_k=50, top_p=0.95)
    reqs = [dataclasses.replace(r, decoding=dataclasses.replace(sampling, max_new_tokens=n, seed=i))
            for i, (r, n) in enumerate(zip(uneven_requests(prompt), UNEVEN))]
    events: list[engine.ProgressEvent] = []
    refilled = engine.generate(model, tokenizer, reqs, batch_size=2, progress=events.append)
    assert events[-1].refilled > 0
    alone = [engine.generate(model, tokenizer, [r], batch_size=1)[0] for r in reqs]
    assert [g.text for g in refilled] == [g.text for g in alone]


def test_the_cpu_batch_size_keeps_the_kv_cache_within_its_budget() -> None:
    """The default model's shape gets the full CPU batch; a model with a far bigger KV cache gets fewer rows."""
    from types import SimpleNamespace

    import torch

    from urial_check.generation.engine import CPU_BATCH_SIZE, CPU_KV_BUDGET_BYTES, cpu_batch_size, kv_bytes_per_token

    def fake(layers: int, heads: int, kv_heads: int, hidden: int) -> Any:
        config = SimpleNamespace(num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
                                 hidden_size=hidden, head_dim=None)
        return SimpleNamespace(config=config, parameters=lambda: iter([torch.zeros(1)]))

    smollm2_135m = fake(30, 9, 3, 576)  # 30 layers x 2 x 3 kv heads x 64 x 4 bytes
    assert kv_bytes_per_token(smollm2_135m) == 30 * 2 * 3 * 64 * 4
    assert cpu_batch_size(smollm2_135m, 1055 + 160) == CPU_BATCH_SIZE == 32
    big = fake(32, 32, 32, 4096)  # a 7B without grouped-query attention: 1 MiB a token in float32
    rows = cpu_batch_size(big, 2000)
    assert rows == CPU_KV_BUDGET_BYTES // (32 * 2 * 32 * 128 * 4 * 2000) == 2
    assert cpu_batch_size(big, 10**7) == 1
    assert cpu_batch_size(SimpleNamespace(config=SimpleNamespace(), parameters=lambda: iter([torch.zeros(1)])), 10) == 32
