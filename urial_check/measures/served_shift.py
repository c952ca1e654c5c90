"""Token shift when the base model (and perhaps the aligned one) is on a server that reports ranked
prompt log-probabilities (vLLM's ``prompt_logprobs``; the ``ScoresPrompts`` capability).

The aligned answer's token ids are teacher-forced through the base server (``prompt`` as ids,
``max_tokens`` 1, ``prompt_logprobs: k``); at each answer position the server returns the answer
token's log-probability and **rank over the whole vocabulary**, and its k most probable tokens.
Compared with :func:`urial_check.measures.token_shift.shift_metrics` (full logits):

* **exact**: the rank η_t (vLLM counts the tokens with a strictly greater log-probability, plus 1:
  our definition), hence the category and the unshifted / marginal / shifted ratios; ``base_prob``
  (exp of the returned log-probability); ``base_top1``, the returned rank-1 token (among exactly
  tied tokens the server's pick, where ours is the lowest id).
* **approximate** (``ShiftMetrics.kl_approximate``): KL_t. Let C be the token ids whose
  probability is known under both models at position t: the ids the base server returned (its
  top-k and the answer token) and, when the aligned model is a server too, also returned by it
  (an aligned model in this process knows every id). Both distributions are coarse-grained to the
  partition {{v} : v in C} plus one bucket OTHER = the rest of the vocabulary, with
  p(OTHER) = 1 - sum over C of p(v) (q likewise), and::

      KL_t ~= sum over v in C of p(v) log(p(v) / q(v)) + p(OTHER) log(p(OTHER) / q(OTHER))

  Coarse-graining never increases KL (the log-sum inequality), so this is a **lower bound** of the
  full-vocabulary KL(P_base || P_aligned), exact when the two models' probabilities are
  proportional inside OTHER and close to it when the top-k holds most of the base mass. The OTHER
  masses are clamped to [0, 1] against rounding; an OTHER bucket with p below ``MASS_FLOOR``
  contributes 0 (less than 1e-7 nats) and a q of zero (an OTHER q below the floor, or a known
  log-probability of -inf) is raised to ``MASS_FLOOR``, so KL_t is always finite.
* ``aligned_prob_of_base_top1``: exact where the aligned probability of the base top-1 token is
  known; otherwise (an aligned server that did not return it) the upper bound
  min(its k-th returned probability, 1 - the sum of its returned probabilities).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from urial_check.generation.backends.base import RankedLogprobs
from urial_check.measures.token_shift import DEFAULT_TOP_K, Alternative, CaseShift, ShiftMetrics, check_finite_logits

if TYPE_CHECKING:
    import torch

#: Top-k asked of a server: vLLM's default ``--max-logprobs`` (it refuses more unless raised).
DEFAULT_SERVED_TOP_K = 20
#: Probability mass treated as zero in the OTHER bucket (rounding of summed log-probabilities).
MASS_FLOOR = 1e-9


def _bucket_kl(p_known: Sequence[float], q_known: Sequence[float]) -> float:
    """KL over the known cells plus the OTHER bucket (see the module docstring), from log-probabilities."""
    floor = math.log(MASS_FLOOR)
    total = 0.0
    for lp, lq in zip(p_known, q_known):
        if lp > -math.inf:
            total += math.exp(lp) * (lp - (lq if lq > -math.inf else floor))
    p_other = min(1.0, max(0.0, 1.0 - sum(math.exp(lp) for lp in p_known)))
    q_other = min(1.0, max(0.0, 1.0 - sum(math.exp(lq) for lq in q_known)))
    if p_other > MASS_FLOOR:
        total += p_other * (math.log(p_other) - math.log(max(q_other, MASS_FLOOR)))
    return max(total, 0.0)


def _top1(row: RankedLogprobs) -> int:
    """The most probable returned id (the lowest id among exact ties, as ``argmax``)."""
    return min(row.top, key=lambda v: (-row.top[v], v))


def _unreturned_bound(row: RankedLogprobs, top_k: int) -> float:
    """An upper bound of the probability of a token the server did not return."""
    probs = sorted((math.exp(lp) for lp in row.top.values()), reverse=True)
    kth = probs[min(top_k, len(probs)) - 1]
    return min(kth, max(0.0, 1.0 - sum(probs)))


def served_shift_metrics(
    base: Sequence[RankedLogprobs],
    aligned: Sequence[RankedLogprobs] | torch.Tensor,
    *,
    top_k: int = DEFAULT_SERVED_TOP_K,
) -> ShiftMetrics:
    """Rank, category, approximate KL and probabilities at each answer position from the base
    server's ranked prompt log-probabilities and the aligned side: the aligned server's (one
    :class:`RankedLogprobs` per position) or the aligned model's [T, V] logits in this process.

    Both sides must be about the same answer token at each position; ValueError otherwise.
    """
    full: Any = None
    served: Sequence[RankedLogprobs] = ()
    if not isinstance(aligned, Sequence):
        import torch

        if aligned.dim() != 2 or aligned.shape[0] != len(base):
            raise ValueError(f"aligned logits must have shape [{len(base)}, V], got {list(aligned.shape)}")
        check_finite_logits("aligned", aligned)
        full = torch.log_softmax(aligned.detach().to("cpu", dtype=torch.float64), dim=-1)
        width = full.shape[1]
        beyond = [v for row in base for v in row.top if v >= width]
        if beyond:
            raise ValueError(f"the base server returned token id {beyond[0]}, beyond the aligned model's {width} "
                             "logits: the models do not share a vocabulary")
    elif len(aligned) != len(base):
        raise ValueError(f"{len(base)} base positions but {len(aligned)} aligned positions")
    else:
        served = aligned
    ranks: list[int] = []
    kl: list[float] = []
    base_prob: list[float] = []
    aligned_top1: list[float] = []
    top1s: list[int] = []
    for t, row in enumerate(base):
        b = _top1(row)
        if full is not None:
            known = list(row.top)
            q_of: Mapping[int, float] = {v: float(full[t, v]) for v in known + [b]}
            q_b = math.exp(q_of[b])
        else:
            other = served[t]
            if other.token_id != row.token_id:
                raise ValueError(f"answer position {t}: the base server scored token {row.token_id}, the aligned "
                                 f"one {other.token_id}")
            if row.decoded and other.decoded and row.decoded != other.decoded:
                raise ValueError(f"token id {row.token_id} is {row.decoded!r} on the base server but {other.decoded!r} "
                                 "on the aligned one: the models do not share a vocabulary")
            known = [v for v in row.top if v in other.top]
            q_of = other.top
            q_b = math.exp(other.top[b]) if b in other.top else _unreturned_bound(other, top_k)
        p_known = [row.top[v] for v in known]
        q_known = [q_of[v] for v in known]
        ranks.append(row.rank)
        kl.append(_bucket_kl(p_known, q_known))
        base_prob.append(math.exp(row.logprob))
        aligned_top1.append(q_b)
        top1s.append(b)
    return ShiftMetrics(ranks=ranks, kl=kl, base_prob=base_prob, aligned_prob_of_base_top1=aligned_top1,
                        base_top1=top1s, kl_approximate=True)


def served_case_shift(
    context: str,
    instruction: str,
    answer: str,
    token_ids: Sequence[int],
    base: Sequence[RankedLogprobs],
    metrics: ShiftMetrics,
    *,
    top_k: int = DEFAULT_TOP_K,
) -> CaseShift:
    """A :class:`CaseShift` from served log-probabilities: token texts as the base server decodes
    them, alternatives from its returned top tokens (most probable first, then lowest id)."""
    alternatives = []
    for row in base:
        best = sorted(row.top, key=lambda v: (-row.top[v], v))[:top_k]
        alternatives.append([Alternative(token=row.texts.get(v, ""), token_id=v, prob=math.exp(row.top[v])) for v in best])
    return CaseShift(context=context, instruction=instruction, answer=answer, token_ids=list(token_ids),
                     tokens=[row.decoded for row in base], metrics=metrics, alternatives=alternatives)
