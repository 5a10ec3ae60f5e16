"""The representation-level probe: task gradients on the shared features, not the weights.

In parameter mode (:mod:`core.probe.gradients`) each task's gradient is taken on every
shared parameter, which costs one backward pass through the whole trunk per
task: two trunk backwards per probed step. Here each task's gradient is taken
with respect to the shared representation ``z = model.representation(x)``
(shape ``(B, d)``, flattened over the batch), which only runs back through
that task's head: two cheap head backwards. The update then needs ONE trunk
backward, ``z.backward(sum_k w_k g_k^z)``, which by the chain rule is exactly
the shared part of backward of ``sum_k w_k L_k``.

This is what MGDA-UB needs (Sener and Koltun 2018, section 3.3): the Gram of
the representation gradients, whose min-norm problem bounds the parameter-level
one. Like the parameter probe it uses ``torch.autograd.grad``, so measuring
never touches ``.grad``; only :func:`write_representation_update` writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from core.probe.gradients import GramNorms, gram_matrix

#: The two spaces a probe can measure in (``TrainConfig.probe_space``).
PROBE_SPACES = ("parameters", "representation")


@dataclass
class RepresentationGradients(GramNorms):
    """Per-task gradients of one batch with respect to the shared representation.

    Attributes
    ----------
    z
        The representation ``(B, d)``, still attached to the trunk's graph so
        that :func:`write_representation_update` can backpropagate through it once.
    shared
        ``shared[k]``: gradient of task k's loss with respect to ``z``, ``(B, d)``.
    heads
        ``heads[k][i]``: gradient of task k's loss on task k's own head parameter i.
    gram
        2x2 float64 Gram matrix of the flattened representation gradients.
    """

    z: Tensor
    shared: tuple[Tensor, Tensor]
    heads: tuple[list[Tensor], list[Tensor]]
    gram: Tensor


def representation_gradients(
    z: Tensor, losses: Sequence[Tensor], heads: Sequence[list[nn.Parameter]]
) -> RepresentationGradients:
    """One head-only backward per task, on ``z`` and that task's head.

    The graph is always retained: the trunk part of it is still needed by the
    single backward that forms the update.

    Parameters
    ----------
    z
        Shared representation the losses were computed from (requires grad).
    losses
        ``[L_rul, L_health]`` computed from ``model.heads(z)``.
    heads
        Parameters of the RUL head and of the health head.
    """
    z_grads: list[Tensor] = []
    head_grads: list[list[Tensor]] = []
    for loss, head in zip(losses, heads, strict=True):
        inputs = [z, *head]
        raw = torch.autograd.grad(loss, inputs, retain_graph=True, allow_unused=True)
        # allow_unused=True: an entry is None for an input the loss does not reach.
        grads = [torch.zeros_like(t) if g is None else g for t, g in zip(inputs, raw, strict=True)]
        z_grads.append(grads[0])
        head_grads.append(grads[1:])
    return RepresentationGradients(
        z=z,
        shared=(z_grads[0], z_grads[1]),
        heads=(head_grads[0], head_grads[1]),
        gram=gram_matrix([z_grads[0]], [z_grads[1]]),
    )


def write_representation_update(
    grads: RepresentationGradients,
    weights: Tensor,
    head_weights: Tensor,
    heads: Sequence[list[nn.Parameter]],
    train_head: Sequence[bool] = (True, True),
) -> None:
    """Shared ``.grad`` from one trunk backward of ``sum_k w_k g_k^z``; heads ``h_k g_k``.

    The shared parameters' ``.grad`` must be None or zero beforehand (the
    step zeroes them), because ``backward`` accumulates. Frees the graph.
    """
    w = [float(x) for x in weights]
    g_r, g_h = grads.shared
    combined = g_r.mul(w[0]).add_(g_h, alpha=w[1])
    grads.z.backward(combined.to(grads.z.dtype))
    for k, head in enumerate(heads):
        for p, g in zip(head, grads.heads[k], strict=True):
            p.grad = g.mul(float(head_weights[k])) if train_head[k] else None
