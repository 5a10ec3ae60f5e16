"""The gradient probe: per-task gradients on the shared parameters, and what they say.

It uses ``torch.autograd.grad``, which returns gradients without touching
``.grad``, so measuring never pollutes the update (docs/probe.md). The
same per-task gradients are reused to form the update, so a probed step costs
two backward passes, never three.

A cheaper mode measures the gradients with respect to the shared
representation instead (:mod:`core.probe.representation`); each record says
which space it measured in (``probe_space``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

import torch
from torch import Tensor, nn

from core.methods.base import gram_norms


class GramNorms:
    """``norms`` of per-task gradients, read off their Gram matrix ``gram``."""

    gram: Tensor

    @property
    def norms(self) -> tuple[float, float]:
        n_rul, n_health = gram_norms(self.gram)
        return float(n_rul), float(n_health)


@dataclass
class TaskGradients(GramNorms):
    """Per-task gradients of one batch.

    Attributes
    ----------
    shared
        ``shared[k][i]``: gradient of task k's loss on shared parameter i.
    heads
        ``heads[k][i]``: gradient of task k's loss on task k's own head parameter i.
    gram
        2x2 float64 Gram matrix of the flattened shared gradients.
    """

    shared: tuple[list[Tensor], list[Tensor]]
    heads: tuple[list[Tensor], list[Tensor]]
    gram: Tensor


def task_gradients(
    losses: Sequence[Tensor],
    shared: list[nn.Parameter],
    heads: Sequence[list[nn.Parameter]],
) -> TaskGradients:
    """One backward pass per task, on the shared parameters and that task's head.

    ``losses[k]`` must not have been backpropagated yet. The graph is kept for
    the first task only, so the second pass frees it.
    """
    shared_grads: list[list[Tensor]] = []
    head_grads: list[list[Tensor]] = []
    for k, (loss, head) in enumerate(zip(losses, heads, strict=True)):
        params = [*shared, *head]
        raw = torch.autograd.grad(loss, params, retain_graph=k < len(losses) - 1, allow_unused=True)
        # allow_unused=True: an entry is None for a parameter the loss does not reach.
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, raw, strict=True)]
        shared_grads.append(grads[: len(shared)])
        head_grads.append(grads[len(shared) :])
    return TaskGradients(
        shared=(shared_grads[0], shared_grads[1]),
        heads=(head_grads[0], head_grads[1]),
        gram=gram_matrix(shared_grads[0], shared_grads[1]),
    )


def gram_matrix(a: list[Tensor], b: list[Tensor]) -> Tensor:
    """``[[a.a, a.b], [b.a, b.b]]`` over lists of tensors, in float64 on the CPU."""
    flat = torch.stack([_flatten(a), _flatten(b)]).double()
    return (flat @ flat.T).cpu()


def _flatten(tensors: list[Tensor]) -> Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def write_update(
    grads: TaskGradients,
    weights: Tensor,
    head_weights: Tensor,
    shared: list[nn.Parameter],
    heads: Sequence[list[nn.Parameter]],
    train_head: Sequence[bool] = (True, True),
) -> None:
    """Set ``.grad`` to ``sum_k w_k g_k`` on shared parameters and ``h_k g_k`` on head k."""
    w = [float(x) for x in weights]
    for p, g_r, g_h in zip(shared, *grads.shared, strict=True):
        p.grad = g_r.mul(w[0]).add_(g_h, alpha=w[1])
    for k, head in enumerate(heads):
        for p, g in zip(head, grads.heads[k], strict=True):
            p.grad = g.mul(float(head_weights[k])) if train_head[k] else None


@dataclass
class ProbeRecord:
    """What the probe measured on one step (one row of probe.csv)."""

    step: int
    epoch: int
    norm_rul: float
    norm_health: float
    ratio: float
    cosine: float
    weight_rul: float
    weight_health: float
    effective_ratio: float
    magnitude_similarity: float
    gram_condition: float
    probe_space: str = "parameters"
    blocks: dict[str, dict[str, float]] = field(default_factory=dict)

    def row(self) -> dict[str, float | int | str]:
        """Flat dict for CSV: block figures become ``<block>_norm_rul`` etc."""
        out = asdict(self)
        blocks = out.pop("blocks")
        for block, figures in blocks.items():
            out.update({f"{block}_{name}": value for name, value in figures.items()})
        return out


def _safe_ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.inf if a > 0 else math.nan


def gram_statistics(gram: Tensor) -> dict[str, float]:
    """Norms, ratio, cosine, gradient-magnitude similarity and condition number of G."""
    n_r, n_h = (float(x) for x in gram.diagonal().clamp_min(0).sqrt())
    dot = float(gram[0, 1])
    eig = torch.linalg.eigvalsh(gram.double())
    return {
        "norm_rul": n_r,
        "norm_health": n_h,
        "ratio": _safe_ratio(n_r, n_h),
        "cosine": dot / (n_r * n_h) if n_r > 0 and n_h > 0 else math.nan,
        # Yu et al. (2020): 2 |g1| |g2| / (|g1|^2 + |g2|^2), 1 when equal, -> 0 when far apart
        "magnitude_similarity": 2 * n_r * n_h / (n_r**2 + n_h**2) if n_r + n_h > 0 else math.nan,
        "gram_condition": _safe_ratio(float(eig[-1]), float(eig[0].clamp_min(0))),
    }


def block_statistics(
    grads: TaskGradients, shared: list[nn.Parameter], blocks: dict[str, list[nn.Parameter]]
) -> dict[str, dict[str, float]]:
    """Per-block norms, ratio and cosine (CNN, BiLSTM, attention, funnel)."""
    index = {id(p): i for i, p in enumerate(shared)}
    out = {}
    for name, params in blocks.items():
        ids = [index[id(p)] for p in params]
        gram = gram_matrix([grads.shared[0][i] for i in ids], [grads.shared[1][i] for i in ids])
        stats = gram_statistics(gram)
        out[name] = {k: stats[k] for k in ("norm_rul", "norm_health", "ratio", "cosine")}
    return out


class HasGram(Protocol):
    """Per-task gradients of either probe space: all a record needs is their Gram."""

    gram: Tensor


def probe_record(
    grads: HasGram,
    weights: Tensor,
    step: int,
    epoch: int,
    blocks: dict[str, dict[str, float]] | None = None,
    probe_space: str = "parameters",
) -> ProbeRecord:
    """Assemble the record of one probed step with the weights in force.

    ``probe_space`` says which gradients the Gram is made of ("parameters" or
    "representation"): their norms are not on the same scale, so probe.csv
    must say which one it holds.
    """
    stats = gram_statistics(grads.gram)
    w_r, w_h = (float(x) for x in weights)
    effective = _safe_ratio(w_r * stats["norm_rul"], w_h * stats["norm_health"])
    return ProbeRecord(
        step=step,
        epoch=epoch,
        weight_rul=w_r,
        weight_health=w_h,
        effective_ratio=effective,
        probe_space=probe_space,
        blocks=blocks or {},
        **stats,
    )
