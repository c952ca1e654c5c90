"""Batched generation on a transformers causal LM, sharing the URIAL prefix's KV cache.

Every case of a suite continues the same long URIAL prompt and differs only in a short query.
:func:`generate` therefore

1. groups requests that share a ``prefix`` and the decoding settings a batch must agree on;
2. runs the prefix's tokens through the model once (per model and prefix, kept in a
   :class:`PrefixStore`) and copies that KV cache once per group into every slot of a
   :class:`~urial_check.generation.slot_cache.SlotCache` (``batch_size`` slots);
3. batches continuously: the group's requests, sorted by suffix length, are prefilled into free
   slots (each suffix run through the model on top of the prefix already in its slot,
   right-aligned, the gap before it masked, position ids its own); when a row finishes, its slot
   is refilled at once by the next pending request instead of the batch shrinking until it
   ends (``continuous=False`` waits for the batch to empty, for comparison);
4. decodes with its own loop: repetition penalty exactly as transformers'
   ``RepetitionPenaltyLogitsProcessor`` (over prompt and generated ids, prefix included), greedy
   or seeded sampling (one generator per request, so an answer does not depend on its batch
   mates), EOS, ``max_new_tokens`` and stop strings checked per sequence; a row whose logits
   are not finite fails alone.

Where the time goes (profiled on 2 CPU cores, default model, 16 cases x 64 tokens, one batch):
the forward passes take about 96% (linear layers 45%, attention over the 1055-token prefix
that every row reads for itself 29%, GQA key repetition in the prefill 7%); the cache update
2%; copying the prefix into the batch 1%; repetition penalty and choice under 1%; decoding
text for the stop check and dropping finished rows each well under 1%. Dropping a row copies
only the non-prefix columns, and the prefix is copied once per group rather than per batch.
Continuous batching gains where answers end at different lengths (stop strings, EOS, mixed
``max_new_tokens``): each decode step then runs on a full batch.

The prefix tokens are the exact leading tokens of each prompt's own tokenisation: the prefix
text is tokenised alone and the cache covers only the tokens every request's full tokenisation
starts with (a BPE merge across the prefix/suffix boundary just shortens the cached part).
A request whose tokenisation parts from the prefix's early is generated without the cache.

Numerics (float32 on CPU, investigated): greedy answers match ``model.generate`` run on each
prompt alone token for token (32/32 benchmark cases on the default model, with and without
continuous batching; 24/24 on an H200 in float32 before it), but the logits are not
bit-identical, and no layout makes them so. MKL uses a different sgemm kernel for a one-row
product (what ``generate`` runs at every decode step) than for several rows, so a batched linear
layer differs from the one-row one in the last bits (about 1e-6) whatever the padding; the
reference's own prefill of the whole prompt in one matrix product differs likewise from
prefix-then-suffix. The attention kernel's reductions also depend on the key length. Another
attention implementation cannot help while the linear layers already differ, so the model's own
(SDPA by default) is used. A greedy choice can therefore only differ where the two best logits
are within about 1e-5, which the tests and the benchmark did not meet. In bfloat16 such
near-ties are common and batched answers drift from one-by-one ones after some tokens (as
transformers' own batched ``generate`` does).

Models whose cache is not plain full attention (sliding windows, linear attention) keep the
older path: one batch at a time, of suffixes of one length only, so no row is padded (a sliding
window would count pad and gap columns as tokens), the prefix repeated per batch, rows dropped
as they finish; no continuous batching.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from urial_check.generation.backends.base import BackendError, GenerationRequest, GenerationResult, ResultCallback
from urial_check.generation.decoding import Decoding
from urial_check.generation.prompt import find_stop
from urial_check.generation.slot_cache import COMPACT_COLUMNS, SlotCache, fill_holes

#: Changes whenever generation logic changes in a way that could change an answer. Part of
#: every result-cache key, so answers from an older engine are never served.
ENGINE_VERSION = "3"

#: Most rows per batch on CPU when none is given (measured on 2 cores with the default model,
#: ``benchmarks/bench_generation.py``: 32 rows gave about 9% more cases/s than 16, and 16 about
#: 20% more than 8; the KV cache of 32 rows over the URIAL prompt takes about 1.9 GB).
CPU_BATCH_SIZE = 32
#: ... and no more rows than keep one batch's KV cache (float32 keys and values of every layer,
#: prompt plus ``max_new_tokens`` per row) within this many bytes: a bigger model gets fewer rows.
CPU_KV_BUDGET_BYTES = 4 * 2**30
#: First batch size tried on CUDA when none is given; halved on out-of-memory.
CUDA_START_BATCH_SIZE = 64
#: A request whose tokenisation agrees with the prefix's on fewer than all but this many of the
#: prefix's tokens is generated without the shared cache.
PREFIX_SLACK_TOKENS = 8


@dataclass(frozen=True)
class ProgressEvent:
    """Where a :func:`generate` call stands; sent after every decode step and finished case."""

    cases_done: int
    cases_total: int
    #: New tokens generated so far in this call.
    tokens: int
    #: Seconds since the call started.
    elapsed: float
    #: Batches finished so far in this call (with continuous batching, a batch is a batch
    #: size's worth of finished requests of one group, the last one possibly fewer).
    batches_done: int = 0
    #: Work in token-budget units: each request counts its ``max_new_tokens``; a generated token
    #: is one unit, and a request that ends early counts its unused budget as done. This moves
    #: with every decode step and ends at ``budget_total``.
    budget_done: int = 0
    budget_total: int = 0
    #: Requests that took a finished request's slot in a running batch (continuous batching).
    refilled: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float:
        """How much of the call's work is done, 0 to 1 (by token budget; by cases without one)."""
        if self.budget_total > 0:
            return min(1.0, self.budget_done / self.budget_total)
        return self.cases_done / self.cases_total if self.cases_total else 1.0


ProgressCallback = Callable[[ProgressEvent], None]


class PrefixStore:
    """Prefix KV caches of one model, keyed by the prefix's token ids (a few, least recent dropped).

    A backend keeps one store next to its model and passes it to every :func:`generate` call,
    so the URIAL prefix is run through the model once per session. Stored caches are never
    handed to the model: each batch gets a copy.
    """

    def __init__(self, capacity: int = 4) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        #: How many prefixes were computed (misses) — for tests and reports.
        self.computed = 0

    def get_or_compute(self, ids: tuple[int, ...], compute: Callable[[], Any]) -> Any:
        if ids in self._entries:
            self._entries.move_to_end(ids)
            return self._entries[ids]
        cache = compute()
        self.computed += 1
        self._entries[ids] = cache
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return cache

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class _Row:
    """One request while it is generated."""

    index: int
    request: GenerationRequest
    prompt_ids: list[int]
    #: How many leading prompt tokens come from the shared prefix cache (0: none).
    cached: int
    generated: list[int] = field(default_factory=list)
    seconds: float = 0.0
    generator: Any = None


@dataclass(frozen=True)
class _Group:
    """Requests generated with one prefix cache and one set of batch-wide decoding settings."""

    prefix_ids: tuple[int, ...]
    rows: tuple[_Row, ...]


class _Run:
    """State shared by the batches of one :func:`generate` call."""

    def __init__(self, model: Any, tokenizer: Any, total: int, on_result: ResultCallback | None,
                 progress: ProgressCallback | None) -> None:
        import torch

        self.torch = torch
        self.model = model
        self.tokenizer = tokenizer
        self.device = _model_device(model)
        self.results: list[GenerationResult | None] = [None] * total
        self.on_result = on_result
        self.progress = progress
        self.tokens = 0
        self.done = 0
        self.batches_done = 0
        self.budget_done = 0
        self.budget_total = 0
        self.refilled = 0
        self.started = time.perf_counter()
        self.eos = _eos_ids(model, tokenizer)
        self.pad = _pad_id(model, tokenizer, self.eos)
        self.cache_kwarg = _forward_kwarg(model, ("cache", "past_key_values")) or "past_key_values"
        self.logits_kwarg = _forward_kwarg(model, ("logits_to_keep", "num_logits_to_keep"))
        #: Only plain full-attention caches take padded batches: a sliding window counts pad
        #: slots as tokens, so padded rows would see less context than when generated alone.
        self.padding_ok = _full_attention_only(model)

    def report(self) -> None:
        if self.progress is not None:
            elapsed = time.perf_counter() - self.started
            self.progress(ProgressEvent(self.done, len(self.results), self.tokens, elapsed, self.batches_done,
                                        self.budget_done, self.budget_total, self.refilled))

    def finish(self, row: _Row, text: str, reason: str) -> None:
        result = GenerationResult(text=text, num_tokens=len(row.generated), finish_reason=reason,
                                  seconds=row.seconds)
        self.results[row.index] = result
        self.done += 1
        self.budget_done += max(0, row.request.decoding.max_new_tokens - len(row.generated))
        if self.on_result is not None:
            self.on_result(row.index, result)

    def fail(self, index: int, message: str) -> None:
        """Give request ``index`` an error result (its batch mates go on)."""
        result = GenerationResult(text="", num_tokens=0, finish_reason="error", seconds=0.0, error=message)
        self.results[index] = result
        self.done += 1
        if self.on_result is not None:
            self.on_result(index, result)

    def forward(self, input_ids: Any, attention_mask: Any, position_ids: Any, cache: Any) -> Any:
        kwargs: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "position_ids": position_ids,
            "use_cache": True,
            self.cache_kwarg: cache,
        }
        if self.logits_kwarg is not None:
            kwargs[self.logits_kwarg] = 1
        with self.torch.inference_mode():
            out = self.model(**kwargs)
        return out.logits[:, -1, :].to(dtype=self.torch.float32, copy=True)


def generate(
    model: Any,
    tokenizer: Any,
    requests: Sequence[GenerationRequest],
    *,
    batch_size: int | None = 8,
    on_result: ResultCallback | None = None,
    progress: ProgressCallback | None = None,
    prefix_store: PrefixStore | None = None,
    continuous: bool = True,
) -> list[GenerationResult]:
    """Generate every request; results come back in request order.

    ``batch_size=None`` picks one: on CUDA it starts at :data:`CUDA_START_BATCH_SIZE` and halves
    after an out-of-memory error (finished answers are kept, unfinished ones retried); on CPU it
    is :data:`CPU_BATCH_SIZE`, fewer for a model whose KV cache would outgrow
    :data:`CPU_KV_BUDGET_BYTES` (:func:`cpu_batch_size`). ``on_result(index, result)`` is called as each request finishes,
    ``progress`` after each decode step. Pass the same ``prefix_store`` to every call on one
    model to compute each shared prefix once across calls. ``continuous=False`` turns
    continuous batching off: a batch then runs until its last row ends before the next starts
    (for comparison; models that are not plain full attention always run that way).
    """
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size}")
    for i, request in enumerate(requests):  # Decoding() does not validate; 0 would still give a token
        if request.decoding.max_new_tokens < 1:
            raise ValueError(f"request {i}: max_new_tokens must be at least 1, got {request.decoding.max_new_tokens}")
    run = _Run(model, tokenizer, len(requests), on_result, progress)
    run.budget_total = sum(r.decoding.max_new_tokens for r in requests)
    store = prefix_store if prefix_store is not None else PrefixStore()
    automatic = batch_size is None
    size = batch_size or (CUDA_START_BATCH_SIZE if run.device.type == "cuda" else CPU_BATCH_SIZE)
    for group in _plan(run, requests):
        if automatic and run.device.type != "cuda":
            size = cpu_batch_size(model, max(len(r.prompt_ids) + r.request.decoding.max_new_tokens for r in group.rows))
        pending = sorted(group.rows, key=lambda r: (_suffix_length(r), r.index))
        while pending:
            rest: list[_Row] = []
            if run.padding_ok:
                batch = pending
            else:
                batch, rest = _take_batch(pending, size)
            try:
                if run.padding_ok:
                    _generate_group(run, group, batch, store, size, continuous)
                else:
                    _generate_batch(run, group, batch, store)
                pending = rest
                continue
            except run.torch.cuda.OutOfMemoryError:
                if not automatic or size == 1:
                    raise BackendError(
                        f"out of GPU memory at batch size {size}; "
                        + ("use a smaller model or dtype" if size == 1 else "lower --urial-batch-size")
                    ) from None
            # Out of memory (outside the except block, so the failed batch's tensors are freed):
            # keep the finished answers, retry the rest at half the batch size.
            run.torch.cuda.empty_cache()
            size = max(1, size // 2)
            unfinished = [r for r in batch if run.results[r.index] is None]
            for row in unfinished:
                run.budget_done -= len(row.generated)
                row.generated.clear()
                row.seconds = 0.0
            pending = unfinished + rest
    missing = [i for i, r in enumerate(run.results) if r is None]
    assert not missing, f"requests left without a result: {missing}"
    return [r for r in run.results if r is not None]


def cpu_batch_size(model: Any, tokens_per_row: int) -> int:
    """Rows per batch on CPU: :data:`CPU_BATCH_SIZE`, or fewer where the batch's KV cache of
    ``tokens_per_row`` tokens a row would take more than :data:`CPU_KV_BUDGET_BYTES`."""
    per_token = kv_bytes_per_token(model)
    if per_token is None:
        return CPU_BATCH_SIZE
    return max(1, min(CPU_BATCH_SIZE, CPU_KV_BUDGET_BYTES // (per_token * max(1, tokens_per_row))))


def kv_bytes_per_token(model: Any) -> int | None:
    """Bytes of keys and values one token takes in every layer's cache (None: the config does not say)."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    layers = getattr(config, "num_hidden_layers", None)
    heads = getattr(config, "num_attention_heads", None)
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    hidden = getattr(config, "hidden_size", None)
    head_dim = getattr(config, "head_dim", None) or (hidden // heads if hidden and heads else None)
    if not (isinstance(layers, int) and isinstance(kv_heads, int) and isinstance(head_dim, int)):
        return None
    if min(layers, kv_heads, head_dim) <= 0:
        return None
    element = int(next(model.parameters()).element_size())
    return layers * 2 * kv_heads * head_dim * element


def _take_batch(pending: list[_Row], size: int) -> tuple[list[_Row], list[_Row]]:
    """The next batch of a model that takes no padding, and what remains.

    ``pending`` is sorted by suffix length; a batch only takes suffixes of one length, so no
    row is padded.
    """
    width = _suffix_length(pending[0])
    same = [row for row in pending if _suffix_length(row) == width][:size]
    taken = {row.index for row in same}
    return same, [row for row in pending if row.index not in taken]


def _suffix_length(row: _Row) -> int:
    return len(row.prompt_ids) - row.cached


def _plan(run: _Run, requests: Sequence[GenerationRequest]) -> list[_Group]:
    """Tokenise every request and split them into groups sharing a prefix cache."""
    by_key: dict[tuple[str, str], list[int]] = {}
    for index, request in enumerate(requests):
        by_key.setdefault((request.prefix, _batch_key(request.decoding)), []).append(index)
    groups: list[_Group] = []
    context = _context_length(run.model)
    for (prefix, _), all_indices in by_key.items():
        indices, full = [], []
        for i in all_indices:
            ids = _encode(run.tokenizer, requests[i].prompt)
            if not ids:
                raise ValueError(f"request {i}: the prompt tokenises to nothing; nothing to continue")
            wanted = requests[i].decoding.max_new_tokens
            if context is not None and len(ids) + wanted > context:
                room = context - len(ids)
                hint = f"max_new_tokens can be at most {room}" if room > 0 else "the prompt alone is too long"
                run.fail(i, f"the prompt ({len(ids)} tokens) + max_new_tokens ({wanted}) exceed the model's "
                            f"context length ({context} tokens); {hint}")
                continue
            indices.append(i)
            full.append(ids)
        if not indices:
            continue
        shared = 0
        candidate = _encode(run.tokenizer, prefix) if prefix else []
        common = [min(_common_length(candidate, ids), len(ids) - 1) for ids in full]
        sharing = [c >= len(candidate) - PREFIX_SLACK_TOKENS and c > 0 for c in common]
        if any(sharing):
            shared = min(c for c, ok in zip(common, sharing) if ok)
        with_cache = [_Row(i, requests[i], ids, shared) for i, ids, ok in zip(indices, full, sharing) if ok]
        without = [_Row(i, requests[i], ids, 0) for i, ids, ok in zip(indices, full, sharing) if not ok]
        if with_cache and shared > 0:
            groups.append(_Group(tuple(candidate[:shared]), tuple(with_cache)))
        else:
            without = with_cache + without
        if without:
            groups.append(_Group((), tuple(without)))
    return groups


def _batch_key(decoding: Decoding) -> str:
    """Settings all rows of a batch must share (``max_new_tokens`` and ``seed`` are per row)."""
    if not decoding.do_sample:
        return f"greedy,rp={decoding.repetition_penalty!r}"
    return (f"sample,rp={decoding.repetition_penalty!r},t={decoding.temperature!r},"
            f"p={decoding.top_p!r},k={decoding.top_k!r}")


def _encode(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text`` exactly as ``tokenizer(text)`` gives them to ``model.generate``."""
    return list(tokenizer(text)["input_ids"])


def _common_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _prefix_cache(run: _Run, ids: tuple[int, ...]) -> Any:
    """Run the prefix through the model alone; returns its KV cache (batch 1)."""
    from transformers import DynamicCache

    torch = run.torch
    cache = DynamicCache(config=run.model.config)
    input_ids = torch.tensor([list(ids)], device=run.device)
    mask = torch.ones_like(input_ids)
    positions = torch.arange(len(ids), device=run.device)[None, :]
    run.forward(input_ids, mask, positions, cache)
    return cache


def _generate_batch(run: _Run, group: _Group, rows: list[_Row], store: PrefixStore) -> None:
    torch = run.torch
    device = run.device
    t0 = time.perf_counter()
    decoding = rows[0].request.decoding
    shared = len(group.prefix_ids)
    base = None
    if shared:
        key = (id(run.model), *group.prefix_ids)
        base = store.get_or_compute(key, lambda: _prefix_cache(run, group.prefix_ids))
    cache = _batch_cache(run.model, base, len(rows))

    # Suffixes right-aligned: [prefix][pad ... pad][suffix]; pads masked, positions skip them.
    suffixes = [row.prompt_ids[shared:] for row in rows]
    width = max(len(s) for s in suffixes)
    input_ids = torch.full((len(rows), width), run.pad, dtype=torch.long, device=device)
    mask = torch.zeros((len(rows), shared + width), dtype=torch.long, device=device)
    mask[:, :shared] = 1
    for b, suffix in enumerate(suffixes):
        input_ids[b, width - len(suffix):] = torch.tensor(suffix, device=device)
        mask[b, shared + width - len(suffix):] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, shared:]
    next_position = positions[:, -1] + 1

    vocab = _vocab_size(run.model)
    seen = torch.zeros((len(rows), vocab), dtype=torch.bool, device=device)
    for b, row in enumerate(rows):
        seen[b, torch.tensor(sorted(set(row.prompt_ids)), device=device)] = True
        row.generator = _row_generator(row.request.decoding, device) if decoding.do_sample else None
    warpers = _warpers(decoding)

    logits = run.forward(input_ids, mask, positions, cache)
    step_start = t0
    active = list(rows)
    while True:
        finite = usable_logits(logits).tolist()
        if not all(finite):  # damaged weights or an overflowing dtype: these rows get no answer
            keep_rows = [b for b, ok in enumerate(finite) if ok]
            for b, ok in enumerate(finite):
                if not ok:
                    run.fail(active[b].index, f"the model gave non-finite logits (NaN or infinity) after "
                                              f"{len(active[b].generated)} generated tokens: damaged weights "
                                              "or an overflowing dtype")
            if not keep_rows:
                run.report()
                return
            order = fill_holes(keep_rows, len(active))
            _select_rows(cache, order)
            index = torch.tensor(order, device=device)
            mask, seen, logits = mask[index], seen[index], logits[index]
            next_position = next_position[index]
            active = [active[b] for b in order]
        tokens = _choose(run, logits, seen, decoding, active, warpers)
        seen[torch.arange(len(active), device=device), tokens] = True
        keep = _take_tokens(run, active, tokens.tolist(), (time.perf_counter() - step_start) / len(active))
        if not keep:
            run.batches_done += 1
            run.report()
            return
        run.report()
        step_start = time.perf_counter()
        if len(keep) < len(active):
            order = fill_holes(keep, len(active))
            with torch.inference_mode():  # a cache first filled inside the forward pass holds inference tensors
                _select_rows(cache, order)
            index = torch.tensor(order, device=device)
            mask, seen, tokens, next_position = mask[index], seen[index], tokens[index], next_position[index]
            active = [active[b] for b in order]
        mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=1)
        logits = run.forward(tokens[:, None], mask, next_position[:, None], cache)
        next_position = next_position + 1


def _generate_group(run: _Run, group: _Group, rows: list[_Row], store: PrefixStore, size: int,
                    continuous: bool) -> None:
    """Generate ``rows`` (one group) in a :class:`SlotCache` of ``size`` slots.

    With ``continuous`` a pending row takes a finished row's slot at once (prefilled against
    the prefix in the slot); without, the batch runs until its last row ends.
    """
    torch = run.torch
    device = run.device
    decoding = rows[0].request.decoding
    warpers = _warpers(decoding)
    vocab = _vocab_size(run.model)
    shared = len(group.prefix_ids)
    base = None
    if shared:
        key = (id(run.model), *group.prefix_ids)
        base = store.get_or_compute(key, lambda: _prefix_cache(run, group.prefix_ids))
    pending = deque(sorted(rows, key=lambda r: (_suffix_length(r), r.index)))
    span = max(_suffix_length(r) + r.request.decoding.max_new_tokens for r in rows)
    slots = min(size, len(rows))
    done_before, waves = run.done, 0
    # Inside inference mode throughout: a cache first filled in a forward pass holds inference tensors.
    with torch.inference_mode():
        cache = SlotCache(run.model, base, slots, shared + 2 * span + COMPACT_COLUMNS + 1)
        active: list[_Row] = []
        seen = torch.zeros((0, vocab), dtype=torch.bool, device=device)
        logits = torch.zeros((0, vocab), dtype=torch.float32, device=device)
        step_start = time.perf_counter()
        while True:
            if pending and cache.free() and (continuous or not active):
                new = [pending.popleft() for _ in range(min(cache.free(), len(pending)))]
                if active:
                    run.refilled += len(new)
                inputs = cache.admit([row.prompt_ids[shared:] for row in new], run.pad, device)
                new_seen = torch.zeros((len(new), vocab), dtype=torch.bool, device=device)
                for b, row in enumerate(new):
                    new_seen[b, torch.tensor(sorted(set(row.prompt_ids)), device=device)] = True
                    row.generator = _row_generator(row.request.decoding, device) if decoding.do_sample else None
                logits = torch.cat([logits, run.forward(*inputs, cache.cache)])
                seen = torch.cat([seen, new_seen])
                active += new
            if not active:
                return
            finite = usable_logits(logits).tolist()
            if not all(finite):  # damaged weights or an overflowing dtype: these rows get no answer
                for b, ok in enumerate(finite):
                    if not ok:
                        run.fail(active[b].index, f"the model gave non-finite logits (NaN or infinity) after "
                                                  f"{len(active[b].generated)} generated tokens: damaged weights "
                                                  "or an overflowing dtype")
                order = cache.drop([b for b, ok in enumerate(finite) if ok])
                index = torch.tensor(order, dtype=torch.long, device=device)
                active = [active[b] for b in index.tolist()]
                seen, logits = seen[index], logits[index]
                waves = _count_waves(run, done_before, waves, slots, not pending and not active)
                if not active:
                    run.report()
                    continue
            tokens = _choose(run, logits, seen, decoding, active, warpers)
            seen[torch.arange(len(active), device=device), tokens] = True
            keep = _take_tokens(run, active, tokens.tolist(), (time.perf_counter() - step_start) / len(active))
            waves = _count_waves(run, done_before, waves, slots, not pending and not keep)
            run.report()
            step_start = time.perf_counter()
            if len(keep) < len(active):
                index = torch.tensor(cache.drop(keep), dtype=torch.long, device=device)
                active = [active[b] for b in index.tolist()]
                seen, tokens = seen[index], tokens[index]
            if not active:
                logits = logits[:0]
                continue
            mask = cache.step(device)
            positions = torch.tensor([[len(row.prompt_ids) + len(row.generated) - 1] for row in active],
                                     device=device)
            logits = run.forward(tokens[:, None], mask, positions, cache.cache)


def _count_waves(run: _Run, done_before: int, waves: int, slots: int, group_done: bool) -> int:
    """Count a batch as done each time a batch's worth of the group's rows has finished."""
    finished = run.done - done_before
    now = -(-finished // slots) if group_done else finished // slots
    run.batches_done += max(0, now - waves)
    return max(now, waves)


def _take_tokens(run: _Run, active: list[_Row], tokens: list[int], share: float) -> list[int]:
    """Append each row's new token (``share``: the step's seconds per row); finish the rows that
    end with it. Returns the positions of the rows that go on."""
    keep: list[int] = []
    for b, (row, token) in enumerate(zip(active, tokens)):
        row.generated.append(token)
        row.seconds += share
        run.tokens += 1
        run.budget_done += 1
        ending = _ending(run, row, token)
        if ending is None:
            keep.append(b)
        else:
            run.finish(row, *ending)
    return keep


def usable_logits(logits: Any) -> Any:
    """Per row: no NaN, no +inf, and not every logit -inf (-inf alone marks a token never chosen)."""
    import torch

    return ~(torch.isnan(logits).any(dim=-1) | torch.isposinf(logits).any(dim=-1) | torch.isneginf(logits).all(dim=-1))


def _context_length(model: Any) -> int | None:
    """The most positions the model was built for (prompt + generated tokens), if its config says."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _full_attention_only(model: Any) -> bool:
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    layers = DynamicCache(config=model.config).layers
    return bool(layers) and all(type(layer) is DynamicLayer for layer in layers)


def _batch_cache(model: Any, prefix: Any, batch: int) -> Any:
    """A fresh KV cache for one batch of the one-batch-at-a-time path, holding ``prefix`` per row.

    ``prefix`` (a batch-1 cache) is left untouched: the batch gets a copy repeated over its rows.
    """
    from transformers import DynamicCache

    if prefix is None:
        return DynamicCache(config=model.config)
    cache = copy.deepcopy(prefix)
    if batch > 1:
        cache.batch_repeat_interleave(batch)
    return cache


def _select_rows(cache: Any, order: list[int]) -> None:
    """Keep rows ``order`` (new position -> old row) of every cache layer."""
    import torch

    device = cache.layers[0].keys.device if cache.layers else None
    cache.batch_select_indices(torch.tensor(order, device=device))


def _choose(run: _Run, logits: Any, seen: Any, decoding: Decoding, rows: list[_Row],
            warpers: list[Any]) -> Any:
    """Next token per row: repetition penalty, then greedy or sampled choice."""
    torch = run.torch
    penalty = decoding.repetition_penalty
    if penalty != 1.0:
        penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
        logits = torch.where(seen, penalised, logits)
    if not decoding.do_sample:
        return torch.argmax(logits, dim=-1)
    for warper in warpers:
        logits = warper(None, logits)
    probs = torch.nn.functional.softmax(logits, dim=-1)
    picks = [torch.multinomial(probs[b : b + 1], 1, generator=row.generator) for b, row in enumerate(rows)]
    return torch.cat(picks, dim=0)[:, 0]


def _warpers(decoding: Decoding) -> list[Any]:
    """transformers' own sampling warpers, in the order ``generate`` applies them."""
    if not decoding.do_sample:
        return []
    from transformers.generation.logits_process import (
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    warpers: list[Any] = []
    if decoding.temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(float(decoding.temperature)))
    if decoding.top_k:
        warpers.append(TopKLogitsWarper(top_k=decoding.top_k))
    if decoding.top_p < 1.0:
        warpers.append(TopPLogitsWarper(top_p=float(decoding.top_p)))
    return warpers


def _row_generator(decoding: Decoding, device: Any) -> Any:
    """A per-request random generator, so a seeded answer does not depend on its batch."""
    import torch

    if decoding.seed is None:
        return None
    generator = torch.Generator(device=device)
    generator.manual_seed(decoding.seed)
    return generator


def _ending(run: _Run, row: _Row, token: int) -> tuple[str, str] | None:
    """(text, finish_reason) if ``row`` is finished after ``token``, else None."""
    text = run.tokenizer.decode(row.generated, skip_special_tokens=True)
    stop = find_stop(text, row.request.stop)
    if stop is not None:
        return text[:stop], "stop"
    if token in run.eos:
        return text, "eos"
    if len(row.generated) >= row.request.decoding.max_new_tokens:
        return text, "length"
    return None


def _model_device(model: Any) -> Any:
    device = getattr(model, "device", None)
    if device is None:
        device = next(model.parameters()).device
    return device


def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    config = getattr(model, "generation_config", None)
    eos = getattr(config, "eos_token_id", None)
    if eos is None:
        eos = tokenizer.eos_token_id
    if eos is None:
        return frozenset()
    return frozenset([eos] if isinstance(eos, int) else eos)


def _pad_id(model: Any, tokenizer: Any, eos: frozenset[int]) -> int:
    for candidate in (tokenizer.pad_token_id, getattr(getattr(model, "generation_config", None), "pad_token_id", None)):
        if isinstance(candidate, int):
            return candidate
    return min(eos) if eos else 0


def _vocab_size(model: Any) -> int:
    embeddings = model.get_output_embeddings()
    if embeddings is not None and hasattr(embeddings, "weight"):
        return int(embeddings.weight.shape[0])
    return int(model.config.get_text_config().vocab_size)


def _forward_kwarg(model: Any, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` the model's forward accepts (transformers renamed a few)."""
    parameters = inspect.signature(model.forward).parameters
    for name in names:
        if name in parameters:
            return name
    return None
