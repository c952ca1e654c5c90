"""Token distribution shift between a base model and its aligned (tuned) counterpart.

The measurement of the URIAL paper (Lin et al., ICLR 2024, section 2): the aligned model answers
an instruction greedily; the same answer token ids are then fed to the base model (teacher
forcing) and, at every answer position t with aligned token a_t, we ask how the base model ranks
a_t. Definitions used here, exactly:

* **rank** η_t = 1 + the number of vocabulary entries whose *base* logit is strictly greater than
  the base logit of a_t, over the full logits width (no top-k truncation). Ties with a_t do not
  count, so a token tied for the base maximum has η_t = 1.
* **category**: ``unshifted`` if η_t = 1, ``marginal`` if η_t ∈ {2, 3}, ``shifted`` if η_t > 3.
* **KL_t** = KL(P_base,t ‖ P_aligned,t) = Σ_v p_base(v) (log p_base(v) - log p_aligned(v)) over the
  full vocabulary, from ``log_softmax`` in float32 (float64 when the logits are float64). Terms with
  p_base(v) = 0 contribute 0; p_aligned(v) = 0 where p_base(v) > 0 gives +inf.
* **base_prob** = p_base,t(a_t); **aligned_prob_of_base_top1** = p_aligned,t(b_t) where b_t is the
  base arg-max (the lowest token id among ties, torch's ``argmax`` rule).

Ratios are fractions of answer positions. An answer with no tokens has no positions: its three
ratios and its ``mean_kl`` are defined as 0.0 (so they stay valid JSON), and ``positions`` is 0.

Contexts for the base model (the aligned model always sees its own chat template):

* ``zero_shot``: the instruction in URIAL query/answer format with no preamble and no examples,
  i.e. ``UrialPrompt(text="").render([instruction])`` without its leading newline::

      # Query:\\n```\\n<instruction>\\n```\\n\\n# Answer:\\n```\\n

* ``urial``: the full URIAL prompt (``UrialPrompt.default()`` unless one is given) rendered with
  the instruction.

The base prompt is tokenized with the base tokenizer's usual special tokens; the answer ids are
appended as ids (never re-tokenized), so both models are scored on identical answer tokens.
torch is imported inside functions: importing this module is cheap.
"""

from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from urial_check.generation.decoding import Decoding
from urial_check.generation.prompt import UrialPrompt

if TYPE_CHECKING:
    import torch

UNSHIFTED = "unshifted"
MARGINAL = "marginal"
SHIFTED = "shifted"
CATEGORIES: tuple[str, ...] = (UNSHIFTED, MARGINAL, SHIFTED)
#: Largest rank still counted as marginal.
MARGINAL_MAX_RANK = 3
CONTEXTS: tuple[str, ...] = ("zero_shot", "urial")
#: Base-model alternatives kept per position for reports.
DEFAULT_TOP_K = 5
DEFAULT_MAX_NEW_TOKENS = Decoding().max_new_tokens


def categorize(rank: int) -> str:
    """The category of a base rank η (1-based)."""
    if rank < 1:
        raise ValueError(f"a rank is at least 1, got {rank}")
    if rank == 1:
        return UNSHIFTED
    return MARGINAL if rank <= MARGINAL_MAX_RANK else SHIFTED


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class ShiftMetrics:
    """Per-position shift of one answer; ratios and means are derived from the lists."""

    ranks: list[int]
    kl: list[float]
    base_prob: list[float]
    aligned_prob_of_base_top1: list[float]
    #: The base model's arg-max token id at each position.
    base_top1: list[int]
    #: True when ``kl`` was computed from a server's top-k log-probabilities (a lower bound of the
    #: full-vocabulary KL, :mod:`urial_check.measures.served_shift`), not from full logits.
    kl_approximate: bool = False

    def __post_init__(self) -> None:
        lengths = {len(self.ranks), len(self.kl), len(self.base_prob), len(self.aligned_prob_of_base_top1),
                   len(self.base_top1)}
        if len(lengths) != 1:
            raise ValueError("ShiftMetrics lists must all have one entry per answer position")

    @property
    def positions(self) -> int:
        return len(self.ranks)

    @property
    def categories(self) -> list[str]:
        return [categorize(r) for r in self.ranks]

    def count(self, category: str) -> int:
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r} (known: {', '.join(CATEGORIES)})")
        return sum(1 for c in self.categories if c == category)

    @property
    def unshifted(self) -> float:
        return _ratio(self.count(UNSHIFTED), self.positions)

    @property
    def marginal(self) -> float:
        return _ratio(self.count(MARGINAL), self.positions)

    @property
    def shifted(self) -> float:
        return _ratio(self.count(SHIFTED), self.positions)

    @property
    def mean_kl(self) -> float:
        return _mean(self.kl)

    @property
    def shifted_positions(self) -> list[int]:
        return [t for t, r in enumerate(self.ranks) if r > MARGINAL_MAX_RANK]

    def summary(self) -> dict[str, float]:
        """The scalar figures: ratios, mean KL and the number of positions."""
        return {"positions": self.positions, "unshifted": self.unshifted, "marginal": self.marginal,
                "shifted": self.shifted, "mean_kl": self.mean_kl}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the scalar summary plus every per-position list."""
        return {**self.summary(), **asdict(self), "categories": self.categories}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShiftMetrics:
        """Inverse of :meth:`to_dict` (derived figures are recomputed, not read)."""
        return cls(
            ranks=[int(r) for r in data["ranks"]],
            kl=[float(x) for x in data["kl"]],
            base_prob=[float(x) for x in data["base_prob"]],
            aligned_prob_of_base_top1=[float(x) for x in data["aligned_prob_of_base_top1"]],
            base_top1=[int(x) for x in data["base_top1"]],
            kl_approximate=bool(data.get("kl_approximate", False)),
        )


def _check_logits(base_logits: torch.Tensor, aligned_logits: torch.Tensor, target_ids: torch.Tensor) -> None:
    import torch
    for name, value in (("base_logits", base_logits), ("aligned_logits", aligned_logits), ("target_ids", target_ids)):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if base_logits.dim() != 2:
        raise ValueError(f"base_logits must have shape [T, V], got {list(base_logits.shape)}")
    if aligned_logits.shape != base_logits.shape:
        raise ValueError(f"aligned_logits shape {list(aligned_logits.shape)} differs from base_logits shape "
                         f"{list(base_logits.shape)} (the models must share one vocabulary)")
    if target_ids.dim() != 1 or target_ids.shape[0] != base_logits.shape[0]:
        raise ValueError(f"target_ids must have shape [T] = [{base_logits.shape[0]}], got {list(target_ids.shape)}")
    if not (base_logits.is_floating_point() and aligned_logits.is_floating_point()):
        raise ValueError(f"logits must be floating point, got {base_logits.dtype} and {aligned_logits.dtype}")
    if target_ids.is_floating_point() or target_ids.is_complex() or target_ids.dtype == torch.bool:
        raise ValueError(f"target_ids must be integer token ids, got {target_ids.dtype}")
    vocab = base_logits.shape[1]
    if vocab == 0:
        raise ValueError("logits have an empty vocabulary dimension")
    if target_ids.numel() and (int(target_ids.min()) < 0 or int(target_ids.max()) >= vocab):
        raise ValueError(f"target_ids must lie in [0, {vocab}), got values from {int(target_ids.min())} "
                         f"to {int(target_ids.max())}")


def check_finite_logits(name: str, logits: torch.Tensor) -> None:
    """Raise ValueError unless every row of [T, V] ``logits`` is a distribution: no NaN, no +inf (a
    float16 overflow: its softmax is NaN) and at least one finite value (-inf alone masks a token)."""
    import torch
    if bool(torch.isnan(logits).any()):
        raise ValueError(f"{name} logits contain NaN")
    if bool(torch.isposinf(logits).any()):
        raise ValueError(f"{name} logits contain +inf (a float16 overflow? load the model in bfloat16 or float32)")
    empty = (~torch.isfinite(logits)).all(dim=-1).nonzero()
    if empty.numel():
        raise ValueError(f"{name} logits have no finite value at position {int(empty[0, 0])} (every token masked)")


def _compute_dtype(*tensors: torch.Tensor) -> torch.dtype:
    import torch
    return torch.float64 if any(t.dtype == torch.float64 for t in tensors) else torch.float32


def shift_metrics(base_logits: torch.Tensor, aligned_logits: torch.Tensor, target_ids: torch.Tensor) -> ShiftMetrics:
    """Exact rank, category, KL and probabilities at each of T answer positions.

    ``base_logits`` and ``aligned_logits`` are [T, V] next-token logits (any float dtype, CPU or
    CUDA; row t predicts answer token t), ``target_ids`` the [T] aligned answer token ids. The
    math runs on the base logits' device in float32 (float64 if either input is float64).
    Mismatched shapes, non-float logits, non-integer ids, ids outside [0, V), NaN or +inf logits, or
    a position with no finite logit raise ValueError (-inf masks a token and is allowed).
    """
    import torch
    _check_logits(base_logits, aligned_logits, target_ids)
    dtype = _compute_dtype(base_logits, aligned_logits)
    with torch.no_grad():
        base = base_logits.detach().to(dtype=dtype)
        aligned = aligned_logits.detach().to(device=base.device, dtype=dtype)
        targets = target_ids.detach().to(device=base.device, dtype=torch.long)
        check_finite_logits("base", base)
        check_finite_logits("aligned", aligned)
        target_logit = base.gather(1, targets[:, None])
        ranks = 1 + (base > target_logit).sum(dim=1)
        base_lp = torch.log_softmax(base, dim=-1)
        aligned_lp = torch.log_softmax(aligned, dim=-1)
        base_p = base_lp.exp()
        # p log(p/q) with the 0 log 0 = 0 convention; torch's kl_div gives NaN where both are -inf.
        terms = torch.where(base_p > 0, base_p * (base_lp - aligned_lp), torch.zeros_like(base_p))
        kl = terms.sum(dim=1).clamp_min(0.0)
        base_prob = base_p.gather(1, targets[:, None]).squeeze(1)
        top1 = base.argmax(dim=1)
        aligned_top1 = aligned_lp.gather(1, top1[:, None]).squeeze(1).exp()
    return ShiftMetrics(
        ranks=[int(r) for r in ranks.tolist()],
        kl=[float(x) for x in kl.tolist()],
        base_prob=[float(x) for x in base_prob.tolist()],
        aligned_prob_of_base_top1=[float(x) for x in aligned_top1.tolist()],
        base_top1=[int(i) for i in top1.tolist()],
    )


def top_alternatives(base_logits: torch.Tensor, k: int = DEFAULT_TOP_K) -> tuple[list[list[int]], list[list[float]]]:
    """The base model's k most probable token ids and their probabilities at each position."""
    import torch
    if base_logits.dim() != 2 or not base_logits.is_floating_point():
        raise ValueError(f"base_logits must be float [T, V], got {base_logits.dtype} {list(base_logits.shape)}")
    k = min(k, base_logits.shape[1])
    with torch.no_grad():
        logp = torch.log_softmax(base_logits.detach().to(_compute_dtype(base_logits)), dim=-1)
        values, ids = torch.topk(logp, k, dim=-1)
    return [list(map(int, row)) for row in ids.tolist()], [[float(v) for v in row] for row in values.exp().tolist()]


# --------------------------------------------------------------------------------------------
# Suite aggregation


@dataclass(frozen=True)
class SuiteShift:
    """Shift pooled over the answer positions of many cases (one context)."""

    cases: int
    positions: int
    unshifted: float
    marginal: float
    shifted: float
    #: Mean of KL_t over all pooled positions.
    mean_kl: float
    #: Mean KL at answer position t over the cases whose answers reach t.
    kl_by_position: list[float]
    #: How many cases reach answer position t.
    cases_by_position: list[int]
    #: Most frequently shifted token texts with their counts, most frequent first.
    top_shifted: list[tuple[str, int]]
    #: True when any pooled case's KL is approximate (a server's top-k log-probabilities).
    kl_approximate: bool = False

    def summary(self) -> dict[str, float]:
        return {"cases": self.cases, "positions": self.positions, "unshifted": self.unshifted,
                "marginal": self.marginal, "shifted": self.shifted, "mean_kl": self.mean_kl}

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["top_shifted"] = [{"token": t, "count": c} for t, c in self.top_shifted]
        return d


def aggregate(metrics: Sequence[ShiftMetrics], token_texts: Sequence[Sequence[str]], *, top_n: int = 20) -> SuiteShift:
    """Pool per-case metrics; ``token_texts[i][t]`` is the text of answer token t of case i.

    Ratios and mean KL are over all positions of all cases (longer answers weigh more), which
    matches the paper's per-position statistics. With no positions at all they are 0.0.
    """
    if len(token_texts) != len(metrics):
        raise ValueError(f"aggregate() needs token texts for each of the {len(metrics)} cases, got {len(token_texts)}")
    counts = Counter[str]()
    shifted_tokens = Counter[str]()
    kl_sum: list[float] = []
    reach: list[int] = []
    all_kl: list[float] = []
    for case_index, (m, texts) in enumerate(zip(metrics, token_texts)):
        if len(texts) != m.positions:
            raise ValueError(f"case {case_index}: {len(texts)} token texts for {m.positions} positions")
        counts.update(m.categories)
        all_kl.extend(m.kl)
        for t, value in enumerate(m.kl):
            if t == len(kl_sum):
                kl_sum.append(0.0)
                reach.append(0)
            kl_sum[t] += value
            reach[t] += 1
        shifted_tokens.update(texts[t] for t in m.shifted_positions)
    positions = len(all_kl)
    top = sorted(shifted_tokens.items(), key=lambda item: (-item[1], item[0]))[:top_n]
    return SuiteShift(
        cases=len(metrics),
        positions=positions,
        unshifted=_ratio(counts[UNSHIFTED], positions),
        marginal=_ratio(counts[MARGINAL], positions),
        shifted=_ratio(counts[SHIFTED], positions),
        mean_kl=_mean(all_kl),
        kl_by_position=[s / n for s, n in zip(kl_sum, reach)],
        cases_by_position=reach,
        top_shifted=top,
        kl_approximate=any(m.kl_approximate for m in metrics),
    )


# --------------------------------------------------------------------------------------------
# Measuring two models


@dataclass(frozen=True)
class Alternative:
    """One of the base model's most probable tokens at a position."""

    token: str
    token_id: int
    prob: float


@dataclass(frozen=True)
class CaseShift:
    """The shift of one aligned answer under one base-model context."""

    context: str
    instruction: str
    answer: str
    token_ids: list[int]
    #: Each answer token decoded on its own.
    tokens: list[str]
    metrics: ShiftMetrics
    #: The base model's top alternatives at each position, most probable first.
    alternatives: list[list[Alternative]]

    def shifted_tokens(self) -> list[tuple[int, str]]:
        """(position, token text) of every shifted position."""
        return [(t, self.tokens[t]) for t in self.metrics.shifted_positions]

    def to_dict(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "instruction": self.instruction,
            "answer": self.answer,
            "token_ids": list(self.token_ids),
            "tokens": list(self.tokens),
            "metrics": self.metrics.to_dict(),
            "shifted_tokens": [{"position": t, "token": s} for t, s in self.shifted_tokens()],
            "alternatives": [[asdict(a) for a in row] for row in self.alternatives],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseShift:
        """Inverse of :meth:`to_dict` (used to rebuild results sent by pytest-xdist workers)."""
        return cls(
            context=data["context"],
            instruction=data["instruction"],
            answer=data["answer"],
            token_ids=[int(t) for t in data["token_ids"]],
            tokens=list(data["tokens"]),
            metrics=ShiftMetrics.from_dict(data["metrics"]),
            alternatives=[[Alternative(**a) for a in row] for row in data["alternatives"]],
        )


def aggregate_cases(cases: Sequence[CaseShift], *, top_n: int = 20) -> SuiteShift:
    """:func:`aggregate` over case results (all from one context)."""
    contexts = {c.context for c in cases}
    if len(contexts) > 1:
        raise ValueError(f"aggregate_cases() pools one context at a time, got {sorted(contexts)}")
    return aggregate([c.metrics for c in cases], [c.tokens for c in cases], top_n=top_n)


def context_prompt(context: str, instruction: str, prompt: UrialPrompt | None = None) -> str:
    """The base model's prompt text for ``context`` (see the module docstring)."""
    if context == "zero_shot":
        return UrialPrompt(text="", source="zero_shot").render([instruction]).lstrip("\n")
    if context == "urial":
        return (prompt if prompt is not None else UrialPrompt.default()).render([instruction])
    raise ValueError(f"unknown shift context {context!r} (known: {', '.join(CONTEXTS)})")


def check_shared_vocabulary(base_tokenizer: Any, aligned_tokenizer: Any) -> None:
    """Raise ValueError unless the two tokenizers map every token string to the same id."""
    if base_tokenizer is aligned_tokenizer:
        return
    base_vocab: Mapping[str, int] = base_tokenizer.get_vocab()
    aligned_vocab: Mapping[str, int] = aligned_tokenizer.get_vocab()
    if base_vocab == aligned_vocab:
        return
    only_base = sorted(set(base_vocab) - set(aligned_vocab))
    only_aligned = sorted(set(aligned_vocab) - set(base_vocab))
    moved = sorted(t for t in set(base_vocab) & set(aligned_vocab) if base_vocab[t] != aligned_vocab[t])
    detail = (f"{len(only_base)} tokens only in base (e.g. {only_base[0]!r})" if only_base else
              f"{len(only_aligned)} tokens only in aligned (e.g. {only_aligned[0]!r})" if only_aligned else
              f"{len(moved)} tokens with other ids (e.g. {moved[0]!r}: {base_vocab[moved[0]]} vs {aligned_vocab[moved[0]]})")
    raise ValueError(f"base and aligned tokenizers do not share a vocabulary ({len(base_vocab)} vs "
                     f"{len(aligned_vocab)} tokens; {detail}); token shift needs identical vocabularies")


def _model_vocab_width(model: Any) -> int | None:
    embeddings = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    shape = getattr(getattr(embeddings, "weight", None), "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[0])
    size = getattr(getattr(model, "config", None), "vocab_size", None)
    return int(size) if isinstance(size, int) else None


def _device(model: Any) -> torch.device:
    return next(model.parameters()).device


def _answer_logits(model: Any, rows: Sequence[tuple[list[int], list[int]]], pad_id: int, batch_size: int
                   ) -> list[torch.Tensor]:
    """Teacher forcing: for each (prefix ids, answer ids) the [T, V] logits that predict the answer.

    Rows are left-padded (attention mask 0, position ids counted from each row's first real
    token), so every answer ends at the last column and one ``logits_to_keep`` slice covers all
    answers in a batch; one forward pass per batch.
    """
    import torch
    device = _device(model)
    accepts_keep = "logits_to_keep" in inspect.signature(model.forward).parameters
    out: list[torch.Tensor] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        seqs = [prefix + answer for prefix, answer in chunk]
        if any(not prefix for prefix, _ in chunk):
            raise ValueError("teacher forcing needs a non-empty prompt before the answer")
        width = max(len(s) for s in seqs)
        keep = max(len(answer) for _, answer in chunk) + 1
        ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, width - len(s) :] = torch.tensor(s, dtype=torch.long)
            mask[i, width - len(s) :] = 1
        positions = (mask.cumsum(dim=1) - 1).clamp_min(0)
        kwargs: dict[str, Any] = {"input_ids": ids.to(device), "attention_mask": mask.to(device),
                                  "position_ids": positions.to(device), "use_cache": False}
        with torch.no_grad():
            if accepts_keep:
                logits = model(**kwargs, logits_to_keep=keep).logits
            else:
                logits = model(**kwargs).logits[:, -keep:, :]
        for i, (_, answer) in enumerate(chunk):
            # Column keep-1 is the last answer token; column j predicts the token at j + 1.
            out.append(logits[i, keep - 1 - len(answer) : keep - 1, :])
    return out


def _chat_prompt_ids(tokenizer: Any, instruction: str, chat_template: str | None) -> list[int]:
    if chat_template is None and not getattr(tokenizer, "chat_template", None):
        raise ValueError("the aligned tokenizer has no chat template; pass chat_template= "
                         "(with pytest: --urial-chat-template FILE)")
    text = tokenizer.apply_chat_template([{"role": "user", "content": instruction}], chat_template=chat_template,
                                         add_generation_prompt=True, tokenize=False)
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def _stop_ids(model: Any, tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (configured, tokenizer.eos_token_id):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    return ids


def _generate_answers(model: Any, tokenizer: Any, prompts: Sequence[list[int]], max_new_tokens: int,
                      batch_size: int) -> list[list[int]]:
    """Greedy answers (pure greedy: no sampling, no repetition penalty), cut before the first EOS."""
    import torch
    device = _device(model)
    stops = _stop_ids(model, tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(stops, default=0)
    answers: list[list[int]] = []
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start : start + batch_size]
        width = max(len(p) for p in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, p in enumerate(chunk):
            ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p) :] = 1
        with torch.no_grad():
            out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new_tokens,
                                 do_sample=False, repetition_penalty=1.0, pad_token_id=pad_id,
                                 eos_token_id=sorted(stops) or None)
        for row in out[:, width:].tolist():
            cut = next((j for j, tok in enumerate(row) if tok in stops), len(row))
            answers.append([int(t) for t in row[:cut]])
    return answers


def _decode_each(tokenizer: Any, ids: Sequence[int], cache: dict[int, str]) -> list[str]:
    for i in ids:
        if i not in cache:
            cache[i] = tokenizer.decode([i])
    return [cache[i] for i in ids]


def measure_shift_batch(
    base_model: Any,
    aligned_model: Any,
    tokenizer: Any,
    instructions: Sequence[str],
    *,
    aligned_answers: Sequence[str | None] | None = None,
    contexts: Sequence[str] = CONTEXTS,
    prompt: UrialPrompt | None = None,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    chat_template: str | None = None,
    aligned_tokenizer: Any = None,
    batch_size: int = 8,
    top_k: int = DEFAULT_TOP_K,
) -> list[dict[str, CaseShift]]:
    """:func:`measure_shift` for many instructions, batched; one dict per instruction, in order.

    Work is done ``batch_size`` instructions at a time: one batched greedy generation for the
    answers not given, one forward pass of the aligned model, one of the base model per context.
    """
    if isinstance(instructions, str):
        raise TypeError("measure_shift_batch() takes a list of instructions; use measure_shift() for one")
    contexts = tuple(contexts)
    unknown = [c for c in contexts if c not in CONTEXTS]
    if not contexts or unknown or len(set(contexts)) != len(contexts):
        raise ValueError(f"contexts must be distinct names from {', '.join(CONTEXTS)}; got {list(contexts)}")
    if aligned_answers is not None and len(aligned_answers) != len(instructions):
        raise ValueError(f"{len(aligned_answers)} aligned answers for {len(instructions)} instructions")
    if batch_size < 1 or max_new_tokens < 1 or top_k < 1:
        raise ValueError("batch_size, max_new_tokens and top_k must be positive")
    aligned_tok = tokenizer if aligned_tokenizer is None else aligned_tokenizer
    check_shared_vocabulary(tokenizer, aligned_tok)
    base_width, aligned_width = _model_vocab_width(base_model), _model_vocab_width(aligned_model)
    if base_width is not None and aligned_width is not None and base_width != aligned_width:
        raise ValueError(f"base model has {base_width} output logits, aligned model {aligned_width}: "
                         "the models do not share a vocabulary")
    results: list[dict[str, CaseShift]] = []
    for start in range(0, len(instructions), batch_size):
        chunk = list(instructions[start:start + batch_size])
        given = None if aligned_answers is None else list(aligned_answers[start:start + batch_size])
        aligned = aligned_pass(aligned_model, aligned_tok, chunk, aligned_answers=given, max_new_tokens=max_new_tokens,
                               chat_template=chat_template, batch_size=batch_size)
        results.extend(base_pass(base_model, tokenizer, chunk, aligned, contexts=contexts, prompt=prompt,
                                 batch_size=batch_size, top_k=top_k))
    return results


@dataclass(frozen=True)
class AlignedAnswer:
    """The aligned model's side of a measurement: its answer and its logits at each answer position."""

    instruction: str
    #: The answer as given, or decoded from the generated ids.
    answer: str
    token_ids: list[int]
    #: [T, V] logits predicting each answer token (kept on the CPU between the two passes).
    logits: Any


def aligned_pass(
    aligned_model: Any,
    aligned_tokenizer: Any,
    instructions: Sequence[str],
    *,
    aligned_answers: Sequence[str | None] | None = None,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    chat_template: str | None = None,
    batch_size: int = 8,
) -> list[AlignedAnswer]:
    """First half of a measurement, needing only the aligned model: answers (greedy, under its chat
    template, unless given) and the aligned logits of every answer token, moved to the CPU.

    With :func:`base_pass` this lets the two models be loaded one after the other when memory is
    short; :func:`measure_shift_batch` runs both halves chunk by chunk with both models loaded.
    """
    if aligned_answers is not None and len(aligned_answers) != len(instructions):
        raise ValueError(f"{len(aligned_answers)} aligned answers for {len(instructions)} instructions")
    pad_id = aligned_tokenizer.pad_token_id if aligned_tokenizer.pad_token_id is not None else 0
    given = list(aligned_answers) if aligned_answers is not None else [None] * len(instructions)
    out: list[AlignedAnswer] = []
    for start in range(0, len(instructions), batch_size):
        chunk = list(range(start, min(start + batch_size, len(instructions))))
        chat_ids = [_chat_prompt_ids(aligned_tokenizer, instructions[i], chat_template) for i in chunk]
        missing = [k for k, i in enumerate(chunk) if given[i] is None]
        generated = dict(zip(missing, _generate_answers(aligned_model, aligned_tokenizer, [chat_ids[k] for k in missing],
                                                        max_new_tokens, batch_size))) if missing else {}
        answer_ids: list[list[int]] = []
        for k, i in enumerate(chunk):
            text = given[i]
            answer_ids.append(generated[k] if text is None else aligned_tokenizer(text, add_special_tokens=False)["input_ids"])
        logits = _answer_logits(aligned_model, list(zip(chat_ids, answer_ids)), pad_id, batch_size)
        for k, i in enumerate(chunk):
            text = given[i]
            answer = text if text is not None else aligned_tokenizer.decode(answer_ids[k], skip_special_tokens=True)
            out.append(AlignedAnswer(instructions[i], answer, list(answer_ids[k]), logits[k].detach().to("cpu")))
    return out


def base_pass(
    base_model: Any,
    tokenizer: Any,
    instructions: Sequence[str],
    aligned: Sequence[AlignedAnswer],
    *,
    contexts: Sequence[str] = CONTEXTS,
    prompt: UrialPrompt | None = None,
    batch_size: int = 8,
    top_k: int = DEFAULT_TOP_K,
) -> list[dict[str, CaseShift]]:
    """Second half of a measurement: teacher-force the aligned answers through the base model under
    each context and compare with the aligned logits from :func:`aligned_pass`."""
    import torch

    if len(aligned) != len(instructions):
        raise ValueError(f"{len(aligned)} aligned answers for {len(instructions)} instructions")
    if "urial" in contexts and prompt is None:
        prompt = UrialPrompt.default()
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    names: dict[int, str] = {}
    results: list[dict[str, CaseShift]] = []
    for start in range(0, len(instructions), batch_size):
        chunk = list(range(start, min(start + batch_size, len(instructions))))
        per_case: list[dict[str, CaseShift]] = [{} for _ in chunk]
        for context in contexts:
            base_rows = [(tokenizer(context_prompt(context, instructions[i], prompt))["input_ids"], aligned[i].token_ids)
                         for i in chunk]
            base_logits = _answer_logits(base_model, base_rows, pad_id, batch_size)
            for k, i in enumerate(chunk):
                ids = aligned[i].token_ids
                aligned_logits = aligned[i].logits.to(base_logits[k].device)
                if base_logits[k].shape[-1] != aligned_logits.shape[-1]:
                    raise ValueError(f"base model logits have width {base_logits[k].shape[-1]}, aligned model "
                                     f"{aligned_logits.shape[-1]}: the models do not share a vocabulary")
                target = torch.tensor(ids, dtype=torch.long)
                metrics = shift_metrics(base_logits[k], aligned_logits, target)
                alt_ids, alt_probs = top_alternatives(base_logits[k], top_k)
                alternatives = [[Alternative(token=s, token_id=a, prob=p)
                                 for a, s, p in zip(row_ids, _decode_each(tokenizer, row_ids, names), row_probs)]
                                for row_ids, row_probs in zip(alt_ids, alt_probs)]
                per_case[k][context] = CaseShift(
                    context=context,
                    instruction=instructions[i],
                    answer=aligned[i].answer,
                    token_ids=list(ids),
                    tokens=_decode_each(tokenizer, ids, names),
                    metrics=metrics,
                    alternatives=alternatives,
                )
        results.extend(per_case)
    return results


def measure_shift(
    base_model: Any,
    aligned_model: Any,
    tokenizer: Any,
    instruction: str,
    *,
    aligned_answer: str | None = None,
    contexts: Sequence[str] = CONTEXTS,
    prompt: UrialPrompt | None = None,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    chat_template: str | None = None,
    aligned_tokenizer: Any = None,
    top_k: int = DEFAULT_TOP_K,
) -> dict[str, CaseShift]:
    """Token shift of one instruction under each base-model context, keyed by context name.

    The aligned model answers greedily under its chat template (``chat_template`` overrides the
    aligned tokenizer's) unless ``aligned_answer`` is given; that answer's token ids are then
    teacher-forced through the aligned model (one forward pass on chat prompt + answer) and the
    base model (one forward pass per context on context prompt + answer). ``tokenizer`` is the
    base model's; ``aligned_tokenizer`` defaults to it and must have the same vocabulary.
    """
    return measure_shift_batch(
        base_model, aligned_model, tokenizer, [instruction], aligned_answers=[aligned_answer], contexts=contexts,
        prompt=prompt, max_new_tokens=max_new_tokens, chat_template=chat_template,
        aligned_tokenizer=aligned_tokenizer, batch_size=1, top_k=top_k,
    )[0]
