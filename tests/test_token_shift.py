from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from urial_check.generation.prompt import UrialPrompt
from urial_check.measures.token_shift import (
    ShiftMetrics,
    aggregate,
    aggregate_cases,
    categorize,
    check_shared_vocabulary,
    context_prompt,
    measure_shift,
    measure_shift_batch,
    shift_metrics,
)

# --------------------------------------------------------------------------------------------
# Pure-Python references, written independently of the implementation.


def ref_rank(row: list[float], target: int) -> int:
    ordered = sorted(row, reverse=True)
    return ordered.index(row[target]) + 1  # first occurrence: ties with the target do not count


def ref_log_softmax(row: list[float]) -> list[float]:
    top = max(row)
    if top == -math.inf:
        raise AssertionError("reference needs one finite logit")
    log_z = top + math.log(math.fsum(math.exp(x - top) for x in row))
    return [x - log_z for x in row]


def ref_kl(base: list[float], aligned: list[float]) -> float:
    lp, lq = ref_log_softmax(base), ref_log_softmax(aligned)
    return math.fsum(math.exp(a) * (a - b) for a, b in zip(lp, lq) if a != -math.inf)


@st.composite
def logits_triples(draw: Any, max_t: int = 6, max_v: int = 12) -> tuple[list[list[float]], list[list[float]], list[int]]:
    t = draw(st.integers(0, max_t))
    v = draw(st.integers(1, max_v))
    # Small integers give many ties; float32-exact floats give the general case.
    values = st.integers(-3, 3).map(float) if draw(st.booleans()) else st.floats(-30, 30, width=32)
    row = st.lists(values, min_size=v, max_size=v)
    base = draw(st.lists(row, min_size=t, max_size=t))
    aligned = draw(st.lists(row, min_size=t, max_size=t))
    targets = draw(st.lists(st.integers(0, v - 1), min_size=t, max_size=t))
    return base, aligned, targets


def metrics_of(base: list[list[float]], aligned: list[list[float]], targets: list[int], **kw: Any) -> ShiftMetrics:
    v = len(base[0]) if base else 4
    return shift_metrics(torch.tensor(base, **kw).reshape(-1, v), torch.tensor(aligned, **kw).reshape(-1, v),
                         torch.tensor(targets, dtype=torch.long))


# --------------------------------------------------------------------------------------------
# shift_metrics invariants


@given(logits_triples())
def test_ranks_agree_with_sort_reference(data: Any) -> None:
    base, aligned, targets = data
    m = metrics_of(base, aligned, targets)
    assert m.ranks == [ref_rank(row, a) for row, a in zip(base, targets)]
    assert m.categories == [categorize(r) for r in m.ranks]


@given(logits_triples())
def test_kl_and_probabilities_match_reference(data: Any) -> None:
    base, aligned, targets = data
    m = metrics_of(base, aligned, targets, dtype=torch.float64)
    for t, (b, a, target) in enumerate(zip(base, aligned, targets)):
        assert m.kl[t] >= 0.0
        assert m.kl[t] == pytest.approx(ref_kl(b, a), rel=1e-9, abs=1e-12)
        assert m.base_prob[t] == pytest.approx(math.exp(ref_log_softmax(b)[target]), rel=1e-9)
        top1 = b.index(max(b))  # lowest id among tied maxima
        assert m.base_top1[t] == top1
        assert m.aligned_prob_of_base_top1[t] == pytest.approx(math.exp(ref_log_softmax(a)[top1]), rel=1e-9)


@given(logits_triples())
def test_kl_is_non_negative_in_float32(data: Any) -> None:
    base, aligned, targets = data
    m = metrics_of(base, aligned, targets)
    assert all(k >= 0.0 for k in m.kl)
    assert all(k == pytest.approx(ref_kl(b, a), rel=1e-4, abs=1e-5) for k, b, a in zip(m.kl, base, aligned))


@given(logits_triples())
def test_identical_models_with_greedy_targets_are_unshifted_with_zero_kl(data: Any) -> None:
    base, _, _ = data
    greedy = [row.index(max(row)) for row in base]
    m = metrics_of(base, base, greedy)
    assert m.ranks == [1] * len(base)
    assert m.categories == ["unshifted"] * len(base)
    assert all(k == pytest.approx(0.0, abs=1e-6) for k in m.kl)
    if base:
        assert (m.unshifted, m.marginal, m.shifted) == (1.0, 0.0, 0.0)


@given(logits_triples())
def test_ratios_sum_to_one(data: Any) -> None:
    base, aligned, targets = data
    m = metrics_of(base, aligned, targets)
    if m.positions:
        assert m.unshifted + m.marginal + m.shifted == pytest.approx(1.0)
        assert m.unshifted == sum(r == 1 for r in m.ranks) / m.positions
        assert m.shifted == sum(r > 3 for r in m.ranks) / m.positions
        assert m.mean_kl == pytest.approx(sum(m.kl) / m.positions)
    else:
        assert (m.unshifted, m.marginal, m.shifted, m.mean_kl) == (0.0, 0.0, 0.0, 0.0)


@given(logits_triples(), st.randoms(use_true_random=False))
def test_vocabulary_permutation_leaves_metrics_unchanged(data: Any, rnd: Any) -> None:
    base, aligned, targets = data
    v = len(base[0]) if base else 4
    perm = list(range(v))
    rnd.shuffle(perm)  # new id of old token i is perm[i]
    inverse = [0] * v
    for old, new in enumerate(perm):
        inverse[new] = old

    def permute(rows: list[list[float]]) -> list[list[float]]:
        return [[row[inverse[j]] for j in range(v)] for row in rows]

    m = metrics_of(base, aligned, targets, dtype=torch.float64)
    p = metrics_of(permute(base), permute(aligned), [perm[a] for a in targets], dtype=torch.float64)
    assert p.ranks == m.ranks and p.categories == m.categories
    assert p.kl == pytest.approx(m.kl, rel=1e-9, abs=1e-12)
    assert p.base_prob == pytest.approx(m.base_prob, rel=1e-9)
    for t, row in enumerate(base):
        if row.count(max(row)) == 1:  # the base top-1 is only defined up to ties
            assert p.aligned_prob_of_base_top1[t] == pytest.approx(m.aligned_prob_of_base_top1[t], rel=1e-9)
            assert p.base_top1[t] == perm[m.base_top1[t]]


def test_category_boundaries() -> None:
    assert [categorize(r) for r in (1, 2, 3, 4, 50_000)] == ["unshifted", "marginal", "marginal", "shifted", "shifted"]
    with pytest.raises(ValueError, match="at least 1"):
        categorize(0)


def test_exact_ranks_over_a_full_vocabulary() -> None:
    gen = torch.Generator().manual_seed(3)
    base = torch.randn(5, 50_000, generator=gen)
    targets = torch.tensor([0, 17, 49_999, 123, 40_000])
    base[4, 40_000] = base[4].max() + 1  # the base model's own top choice
    base[2, :3] = base[2, 49_999]  # three ties with the target: not counted
    m = shift_metrics(base, base.flip(1), targets)
    expected = [int((base[t] > base[t, a]).sum()) + 1 for t, a in enumerate(targets.tolist())]
    assert m.ranks == expected and m.ranks[4] == 1
    assert m.ranks[2] == int((base[2] > base[2, 49_999]).sum()) + 1


def test_minus_infinity_logits_keep_kl_finite() -> None:
    inf = float("inf")
    base = torch.tensor([[0.0, 1.0, -inf, -inf], [2.0, 2.0, -inf, 0.0]])
    aligned = torch.tensor([[1.0, 0.0, -inf, 3.0], [2.0, 2.0, -inf, -inf]])
    m = shift_metrics(base, aligned, torch.tensor([0, 1]))
    assert m.ranks == [2, 1]
    assert m.kl[0] == pytest.approx(ref_kl([0.0, 1.0, -inf, -inf], [1.0, 0.0, -inf, 3.0]), rel=1e-5)
    assert math.isinf(m.kl[1])  # the base gives mass to a token the aligned model rules out
    assert m.base_prob[0] == pytest.approx(1 / (1 + math.e), rel=1e-6)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_logits_are_upcast(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(1)
    base, aligned = torch.randn(6, 300, generator=gen).to(dtype), torch.randn(6, 300, generator=gen).to(dtype)
    targets = torch.randint(0, 300, (6,), generator=gen)
    low = shift_metrics(base, aligned, targets)
    high = shift_metrics(base.float(), aligned.float(), targets)
    assert low == high


def test_mixed_float_dtypes_are_accepted() -> None:
    base = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.bfloat16)
    m = shift_metrics(base, torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([2], dtype=torch.int32))
    assert m.ranks == [1] and m.kl[0] == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize(
    ("base", "aligned", "targets", "message"),
    [
        (torch.zeros(3, 5), torch.zeros(3, 6), torch.zeros(3, dtype=torch.long), "differs from base_logits shape"),
        (torch.zeros(3, 5), torch.zeros(3, 5), torch.zeros(2, dtype=torch.long), r"target_ids must have shape \[T\] = \[3\]"),
        (torch.zeros(5), torch.zeros(5), torch.zeros(5, dtype=torch.long), r"shape \[T, V\]"),
        (torch.zeros(3, 5, dtype=torch.long), torch.zeros(3, 5, dtype=torch.long), torch.zeros(3, dtype=torch.long),
         "must be floating point"),
        (torch.zeros(3, 5), torch.zeros(3, 5), torch.zeros(3), "integer token ids"),
        (torch.zeros(3, 5), torch.zeros(3, 5), torch.tensor([0, 5, 1]), r"in \[0, 5\)"),
        (torch.zeros(3, 5), torch.zeros(3, 5), torch.tensor([0, -1, 1]), r"in \[0, 5\)"),
        (torch.full((3, 5), float("nan")), torch.zeros(3, 5), torch.zeros(3, dtype=torch.long), "NaN"),
        ([[0.0]], torch.zeros(1, 1), torch.zeros(1, dtype=torch.long), "must be a torch.Tensor"),
    ],
)
def test_bad_inputs_raise_one_clear_value_error(base: Any, aligned: Any, targets: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shift_metrics(base, aligned, targets)


def test_empty_answer_has_zero_ratios_and_valid_json() -> None:
    m = shift_metrics(torch.zeros(0, 7), torch.zeros(0, 7), torch.zeros(0, dtype=torch.long))
    assert m.positions == 0 and m.summary() == {"positions": 0, "unshifted": 0.0, "marginal": 0.0, "shifted": 0.0,
                                                  "mean_kl": 0.0}
    json.dumps(m.to_dict(), allow_nan=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_cuda_tensors_give_the_cpu_results(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(7)
    base = torch.randn(9, 32_000, generator=gen).to(dtype)
    aligned = torch.randn(9, 32_000, generator=gen).to(dtype)
    targets = torch.randint(0, 32_000, (9,), generator=gen)
    cpu = shift_metrics(base, aligned, targets)
    gpu = shift_metrics(base.cuda(), aligned.cuda(), targets.cuda())
    assert gpu.ranks == cpu.ranks and gpu.base_top1 == cpu.base_top1
    assert gpu.kl == pytest.approx(cpu.kl, rel=1e-4, abs=1e-6)
    assert gpu.base_prob == pytest.approx(cpu.base_prob, rel=1e-4)


# --------------------------------------------------------------------------------------------
# Aggregation


def make_metrics(ranks: list[int], kl: list[float]) -> ShiftMetrics:
    n = len(ranks)
    return ShiftMetrics(ranks=ranks, kl=kl, base_prob=[0.5] * n, aligned_prob_of_base_top1=[0.5] * n, base_top1=[0] * n)


def test_aggregate_pools_positions() -> None:
    a = make_metrics([1, 5, 2, 9], [0.4, 1.0, 0.2, 0.6])
    b = make_metrics([1, 7], [0.0, 2.0])
    s = aggregate([a, b], [["Hi", " Thank", " you", "!"], ["Ok", " Thank"]])
    assert (s.cases, s.positions) == (2, 6)
    assert (s.unshifted, s.marginal, s.shifted) == pytest.approx((2 / 6, 1 / 6, 3 / 6))
    assert s.mean_kl == pytest.approx(4.2 / 6)
    assert s.kl_by_position == pytest.approx([0.2, 1.5, 0.2, 0.6])
    assert s.cases_by_position == [2, 2, 1, 1]
    assert s.top_shifted == [(" Thank", 2), ("!", 1)]
    assert aggregate([a, b], [["Hi", " Thank", " you", "!"], ["Ok", " Thank"]], top_n=1).top_shifted == [(" Thank", 2)]
    json.dumps(s.to_dict(), allow_nan=False)


@given(st.lists(st.lists(st.tuples(st.integers(1, 8), st.floats(0, 5)), max_size=6), max_size=5))
def test_aggregate_ratios_are_position_weighted_case_ratios(cases: list[list[tuple[int, float]]]) -> None:
    metrics = [make_metrics([r for r, _ in c], [k for _, k in c]) for c in cases]
    s = aggregate(metrics, [[f"t{r}" for r, _ in c] for c in cases])
    total = sum(m.positions for m in metrics)
    assert s.positions == total
    if total:
        assert s.unshifted + s.marginal + s.shifted == pytest.approx(1.0)
        assert s.shifted == pytest.approx(sum(m.shifted * m.positions for m in metrics) / total)
        assert s.mean_kl == pytest.approx(sum(m.mean_kl * m.positions for m in metrics) / total)
        assert sum(n for _, n in s.top_shifted) <= sum(1 for m in metrics for r in m.ranks if r > 3)
    else:
        assert (s.unshifted, s.marginal, s.shifted, s.mean_kl, s.kl_by_position) == (0.0, 0.0, 0.0, 0.0, [])
    if len(metrics) == 1:
        assert s.kl_by_position == pytest.approx(metrics[0].kl)


def test_aggregate_rejects_mismatched_token_texts() -> None:
    with pytest.raises(ValueError, match="token texts for each of the 1 cases"):
        aggregate([make_metrics([1], [0.0])], [])
    with pytest.raises(ValueError, match="case 0: 2 token texts for 1 positions"):
        aggregate([make_metrics([1], [0.0])], [["a", "b"]])


# --------------------------------------------------------------------------------------------
# Two tiny random Llamas sharing the default model's tokenizer


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import AutoTokenizer

    from urial_check.generation.backends.loading import default_model_path

    gguf = default_model_path()
    folder = tmp_path_factory.mktemp("shift-tokenizer")
    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True).save_pretrained(folder)
    return folder


def load_tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder, local_files_only=True)


@pytest.fixture(scope="module")
def tokenizer(tokenizer_dir: Path) -> Any:
    return load_tokenizer(tokenizer_dir)


def tiny_llama(vocab_size: int, seed: int) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048)
    # float64 weights keep batched-vs-single rounding far below the gaps between logits (Llama's
    # RMSNorm still rounds through float32, so compare KL to about 1e-6, not 1e-15).
    return LlamaForCausalLM(config).to(torch.float64).eval()


@pytest.fixture(scope="module")
def models(tokenizer: Any) -> tuple[Any, Any]:
    return tiny_llama(len(tokenizer), seed=0), tiny_llama(len(tokenizer), seed=1)


SMALL_PROMPT = UrialPrompt(
    text="Below, an assistant answers queries carefully.\n\n# Query:\n```\nName a fruit.\n```\n\n"
         "# Answer:\n```\nAn apple is a fruit.\n```\n",
    source="test",
)
#: A chat template that renders exactly the zero_shot context, so both models see one prompt.
ZERO_SHOT_TEMPLATE = "# Query:\n```\n{{ messages[0]['content'] }}\n```\n\n# Answer:\n```{{ '\\n' }}"  # Jinja drops a trailing newline


def full_forward(model: Any, prompt_ids: list[int], answer_ids: list[int]) -> torch.Tensor:
    """Reference teacher forcing: one unpadded forward pass, logits predicting each answer token."""
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids + answer_ids])).logits[0]
    return logits[len(prompt_ids) - 1 : len(prompt_ids) - 1 + len(answer_ids)]


def chat_ids(tokenizer: Any, instruction: str, template: str | None = None) -> list[int]:
    text = tokenizer.apply_chat_template([{"role": "user", "content": instruction}], chat_template=template,
                                         add_generation_prompt=True, tokenize=False)
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def test_context_prompts() -> None:
    assert context_prompt("zero_shot", "Why?") == "# Query:\n```\nWhy?\n```\n\n# Answer:\n```\n"
    assert context_prompt("urial", "Why?", SMALL_PROMPT) == SMALL_PROMPT.render(["Why?"])
    assert context_prompt("urial", "Why?") == UrialPrompt.default().render(["Why?"])
    with pytest.raises(ValueError, match="unknown shift context 'few_shot'"):
        context_prompt("few_shot", "Why?")


def test_same_model_same_context_is_all_unshifted_with_zero_kl(tokenizer: Any, models: tuple[Any, Any]) -> None:
    model = models[0]
    instruction = "Suggest a name for a cat."
    assert tokenizer.apply_chat_template([{"role": "user", "content": instruction}], chat_template=ZERO_SHOT_TEMPLATE,
                                         add_generation_prompt=True, tokenize=False) == context_prompt("zero_shot", instruction)
    result = measure_shift(model, model, tokenizer, instruction, contexts=("zero_shot",), chat_template=ZERO_SHOT_TEMPLATE,
                           max_new_tokens=10)
    m = result["zero_shot"].metrics
    assert m.positions == 10
    assert m.ranks == [1] * 10 and m.unshifted == 1.0
    assert m.kl == pytest.approx([0.0] * 10, abs=1e-12)
    # A given (non-greedy) answer under the same context: KL stays 0 but the ranks show the base's view.
    given_answer = measure_shift(model, model, tokenizer, instruction, aligned_answer=" Whiskers, or maybe Pepper.",
                                 contexts=("zero_shot",), chat_template=ZERO_SHOT_TEMPLATE)["zero_shot"]
    assert given_answer.metrics.kl == pytest.approx([0.0] * given_answer.metrics.positions, abs=1e-12)
    assert given_answer.metrics.shifted > 0


def test_measure_shift_matches_unpadded_teacher_forcing(tokenizer: Any, models: tuple[Any, Any]) -> None:
    base, aligned = models
    instruction = "Give me two tips for sleeping better."
    answer = "Keep a fixed bedtime.\n\nAvoid screens late at night."
    result = measure_shift(base, aligned, tokenizer, instruction, aligned_answer=answer, prompt=SMALL_PROMPT)
    assert list(result) == ["zero_shot", "urial"]
    answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    aligned_logits = full_forward(aligned, chat_ids(tokenizer, instruction), answer_ids)
    for context, case in result.items():
        assert case.context == context and case.answer == answer and case.instruction == instruction
        assert case.token_ids == answer_ids
        assert "".join(case.tokens) == answer
        base_ids = tokenizer(context_prompt(context, instruction, SMALL_PROMPT))["input_ids"]
        expected = shift_metrics(full_forward(base, base_ids, answer_ids), aligned_logits, torch.tensor(answer_ids))
        assert case.metrics.ranks == expected.ranks
        assert case.metrics.kl == pytest.approx(expected.kl, rel=1e-6)
        assert case.metrics.base_prob == pytest.approx(expected.base_prob, rel=1e-6)
        for t, alternatives in enumerate(case.alternatives):
            assert len(alternatives) == 5
            assert alternatives[0].token_id == case.metrics.base_top1[t]
            assert [a.prob for a in alternatives] == sorted((a.prob for a in alternatives), reverse=True)
            assert all(a.token == tokenizer.decode([a.token_id]) for a in alternatives)
            if case.token_ids[t] in [a.token_id for a in alternatives]:
                hit = next(a for a in alternatives if a.token_id == case.token_ids[t])
                assert hit.prob == pytest.approx(case.metrics.base_prob[t], rel=1e-12)
        assert [s for _, s in case.shifted_tokens()] == [case.tokens[t] for t, r in enumerate(case.metrics.ranks) if r > 3]
        json.dumps(case.to_dict(), allow_nan=False)
    # The two contexts differ for the base model only.
    assert result["zero_shot"].metrics.ranks != result["urial"].metrics.ranks


def test_generated_answer_is_the_aligned_models_greedy_continuation(tokenizer: Any, models: tuple[Any, Any]) -> None:
    base, aligned = models
    instruction = "What is the capital of France?"
    prompt_ids = chat_ids(tokenizer, instruction)
    greedy: list[int] = []
    for _ in range(8):
        with torch.no_grad():
            greedy.append(int(aligned(torch.tensor([prompt_ids + greedy])).logits[0, -1].argmax()))
    case = measure_shift(base, aligned, tokenizer, instruction, contexts=("zero_shot",), max_new_tokens=8)["zero_shot"]
    assert case.token_ids == greedy
    assert case.answer == tokenizer.decode(greedy, skip_special_tokens=True)


def test_batch_equals_single(tokenizer: Any, models: tuple[Any, Any]) -> None:
    base, aligned = models
    instructions = ["Hi", "Explain in one sentence why the sky looks blue during the day.", "List three prime numbers.",
                    "How do I politely decline an invitation?"]
    answers = [None, "Sunlight scatters off air molecules, and blue light scatters most.", None, "Thank them warmly."]
    kwargs: dict[str, Any] = {"prompt": SMALL_PROMPT, "max_new_tokens": 7}
    batched = measure_shift_batch(base, aligned, tokenizer, instructions, aligned_answers=answers, batch_size=3, **kwargs)
    assert len(batched) == len(instructions)
    for instruction, answer, together in zip(instructions, answers, batched):
        alone = measure_shift(base, aligned, tokenizer, instruction, aligned_answer=answer, **kwargs)
        assert list(together) == list(alone) == ["zero_shot", "urial"]
        for context in alone:
            a, b = alone[context], together[context]
            assert (a.answer, a.token_ids, a.tokens) == (b.answer, b.token_ids, b.tokens)
            assert a.metrics.ranks == b.metrics.ranks
            assert a.metrics.kl == pytest.approx(b.metrics.kl, rel=1e-6, abs=1e-12)
            assert a.metrics.base_prob == pytest.approx(b.metrics.base_prob, rel=1e-6)
            assert [[x.token_id for x in row] for row in a.alternatives] == [[x.token_id for x in row] for row in b.alternatives]
    suite = aggregate_cases([r["urial"] for r in batched])
    assert suite.cases == 4 and suite.positions == sum(r["urial"].metrics.positions for r in batched)


def test_vocabulary_must_match(tokenizer_dir: Path, tokenizer: Any, models: tuple[Any, Any]) -> None:
    base, aligned = models
    other = load_tokenizer(tokenizer_dir)
    check_shared_vocabulary(tokenizer, other)  # equal vocabularies from two objects are fine
    other.add_tokens(["<|made-up-token|>"])
    with pytest.raises(ValueError, match=r"do not share a vocabulary \(49152 vs 49153 tokens; 1 tokens only in aligned"):
        measure_shift(base, aligned, tokenizer, "Hi", aligned_answer="Hello", aligned_tokenizer=other)
    wider = tiny_llama(len(tokenizer) + 64, seed=2)
    with pytest.raises(ValueError, match="base model has 49152 output logits, aligned model 49216"):
        measure_shift(base, wider, tokenizer, "Hi", aligned_answer="Hello")


def test_bad_arguments(tokenizer_dir: Path, tokenizer: Any, models: tuple[Any, Any]) -> None:
    base, aligned = models
    with pytest.raises(ValueError, match="contexts must be distinct names from zero_shot, urial"):
        measure_shift(base, aligned, tokenizer, "Hi", aligned_answer="Hello", contexts=("few_shot",))
    with pytest.raises(ValueError, match="contexts must be distinct"):
        measure_shift(base, aligned, tokenizer, "Hi", aligned_answer="Hello", contexts=("urial", "urial"))
    with pytest.raises(ValueError, match="2 aligned answers for 1 instructions"):
        measure_shift_batch(base, aligned, tokenizer, ["Hi"], aligned_answers=["a", "b"])
    with pytest.raises(TypeError, match="list of instructions"):
        measure_shift_batch(base, aligned, tokenizer, "Hi")
    bare = load_tokenizer(tokenizer_dir)
    bare.chat_template = None
    with pytest.raises(ValueError, match="no chat template; pass chat_template="):
        measure_shift(base, aligned, bare, "Hi", aligned_answer="Hello")



@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(2, 40), st.integers(0, 2**16))
def test_case_shift_round_trips_through_json(T: int, V: int, seed: int) -> None:
    import json

    from urial_check.measures.token_shift import Alternative, CaseShift

    g = torch.Generator().manual_seed(seed)
    base, aligned = torch.randn(T, V, generator=g), torch.randn(T, V, generator=g)
    target = torch.randint(0, V, (T,), generator=g)
    metrics = shift_metrics(base, aligned, target)
    case = CaseShift("zero_shot", "q", "a", target.tolist(), [f"t{i}" for i in range(T)], metrics,
                     [[Alternative("x", 1, 0.5)] for _ in range(T)])
    again = CaseShift.from_dict(json.loads(json.dumps(case.to_dict())))
    assert again == case
    assert again.metrics.shifted == metrics.shifted and again.metrics.mean_kl == metrics.mean_kl
