"""One optimiser step of the dual-task model under a balancing method.

Two paths, chosen per step:

* plain: ``method.combine(losses).backward()`` -- one backward pass;
* with per-task gradients (the method needs them, or the probe is due): one
  backward per task with ``torch.autograd.grad``, the method weighs the Gram
  matrix, and the update ``sum_k w_k g_k`` is written into ``.grad`` -- two
  backward passes, never a third. On a probed step the method did not ask
  for, the method gives the weights a plain step would use
  (``unmeasured_weights``): a probe never advances a method's state;
* with representation gradients (``probe_space="representation"``, or a
  method whose ``gradient_space`` is ``"representation"``, i.e. MGDA-UB):
  each task's gradient is taken with respect to the shared features ``z``
  only (two cheap head backwards), the method weighs their Gram, and ONE
  backward of ``z`` with ``sum_k w_k g_k^z`` forms the shared update.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from core.methods.base import BalancingMethod
from core.model import DualTaskModel
from core.probe.gradients import (
    TaskGradients,
    block_statistics,
    probe_record,
    task_gradients,
    write_update,
)
from core.probe.representation import (
    PROBE_SPACES,
    RepresentationGradients,
    representation_gradients,
    write_representation_update,
)


class Diverged(Exception):
    """A loss or gradient became non-finite; carries the step and what went wrong."""

    def __init__(self, step: int, what: str) -> None:
        super().__init__(f"{what} at step {step}")
        self.step = step
        self.what = what


@dataclass
class StepOutcome:
    losses: Tensor  # (2,) detached
    weights: Tensor  # (2,) weights in force this step
    probe: dict | None  # probe record row when probed


#: Class index cross-entropy skips: a censored window whose health state is not certain.
UNKNOWN_STATE = -100


def censored_losses(
    method: BalancingMethod,
    pred_rul: Tensor,
    logits: Tensor,
    rul: Tensor,
    health: Tensor,
    censored: Tensor,
) -> tuple[Tensor, Tensor]:
    """The two task losses when some windows' RUL is only a lower bound.

    A suspended unit's window only says the true RUL is *at least* ``rul``.
    As in censored (Tobit-style) regression, such a window costs nothing when
    the prediction is at or above the bound and the method's usual loss below
    it: the prediction is replaced by ``min(pred, bound)`` before the method's
    own RUL loss, so every method (plain or failure-weighted MSE) gets its
    one-sided form and still sees one RUL loss and one health loss. The
    health state of a censored window is certain only when the bound already
    lies above the degrading threshold (its label is then ``normal``, index 0);
    otherwise the window is left out of the cross-entropy.
    """
    one_sided = torch.where(censored, torch.minimum(pred_rul, rul), pred_rul)
    loss_rul = method.rul_loss(one_sided, rul)
    known = ~(censored & (health != 0))
    if not bool(known.any()):
        return loss_rul, logits.sum() * 0.0  # no certain state in this batch: no health signal
    targets = torch.where(known, health, torch.full_like(health, UNKNOWN_STATE))
    loss_health = F.cross_entropy(logits, targets, ignore_index=UNKNOWN_STATE)
    return loss_rul, loss_health


def late_weighted(pred: Tensor, target: Tensor, late_weight: float) -> Tensor:
    """The prediction with a late error (predicted RUL above the true) stretched by sqrt(w).

    Any squared-error RUL loss of the result costs a late prediction ``w``
    times an early one of the same size, as NASA's scoring function does
    (an engine kept in service past its failure is the costly mistake),
    while every method keeps its own RUL loss. ``w = 1``: unchanged.
    """
    if late_weight == 1.0:
        return pred
    error = pred - target
    return torch.where(error > 0, target + error * late_weight**0.5, pred)


class TrainingStep:
    """Holds what a step needs (model, method, optimiser) and performs steps.

    ``probe_space`` ("parameters" or "representation") is where per-task
    gradients are taken; see :class:`core.training.config.TrainConfig`.
    """

    def __init__(
        self,
        model: DualTaskModel,
        method: BalancingMethod,
        optimizer: torch.optim.Optimizer,
        clip_norm: float,
        bf16: bool = False,
        probe_space: str = "parameters",
        late_weight: float = 1.0,
    ) -> None:
        if probe_space not in PROBE_SPACES:
            raise ValueError(f"probe_space must be one of {PROBE_SPACES}, got {probe_space!r}")
        self.probe_space = probe_space
        self.late_weight = late_weight
        self.model = model
        self.method = method
        self.optimizer = optimizer
        self.clip_norm = clip_norm
        groups = model.parameter_groups()
        self.shared = groups.shared
        self.heads = (groups.rul_head, groups.health_head)
        self.blocks = model.blocks()
        self.bf16 = bf16

    def _autocast(self):
        if self.bf16:
            device = next(self.model.parameters()).device.type
            return torch.autocast(device_type=device, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def losses(
        self, x: Tensor, rul: Tensor, health: Tensor, censored: Tensor | None = None
    ) -> Tensor:
        """``[L_rul, L_health]`` of a batch, with the method's RUL loss."""
        return self.forward(x, rul, health, censored)[1]

    def forward(
        self, x: Tensor, rul: Tensor, health: Tensor, censored: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """The shared representation ``z`` (B, d) and ``[L_rul, L_health]`` computed from it.

        ``z`` is kept so a representation-space step can take gradients on it.
        ``censored`` marks windows whose RUL is a lower bound (see :func:`censored_losses`).
        """
        with self._autocast():
            z = self.model.representation(x)
            pred_rul, logits = self.model.heads(z)
        pred_rul = late_weighted(pred_rul.float(), rul, self.late_weight)
        if censored is None:
            loss_rul = self.method.rul_loss(pred_rul.float(), rul)
            loss_health = F.cross_entropy(logits.float(), health)
        else:
            loss_rul, loss_health = censored_losses(
                self.method, pred_rul.float(), logits.float(), rul, health, censored
            )
        return z, torch.stack([loss_rul, loss_health])

    def gradient_space(self) -> str:
        """Where this step takes per-task gradients: the method's need, else the setting."""
        if getattr(self.method, "gradient_space", "shared") == "representation":
            return "representation"
        return self.probe_space

    def task_gradients(self, z: Tensor, losses: Tensor) -> TaskGradients | RepresentationGradients:
        """Per-task gradients in :meth:`gradient_space`; ``.grad`` is left untouched."""
        if self.gradient_space() == "representation":
            return representation_gradients(z, losses.unbind(), self.heads)
        return task_gradients(losses.unbind(), self.shared, self.heads)

    def __call__(
        self,
        x: Tensor,
        rul: Tensor,
        health: Tensor,
        *,
        step: int,
        epoch: int,
        probe: bool,
        probe_blocks: bool = False,
        censored: Tensor | None = None,
    ) -> StepOutcome:
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        z, losses = self.forward(x, rul, health, censored)
        if not torch.isfinite(losses).all():
            raise Diverged(step, f"non-finite loss {losses.detach().tolist()}")
        record = None
        measure = self.method.begin_step(step)
        if measure or probe:
            grads = self.task_gradients(z, losses)
            if measure:
                weights = self.method.weigh(grads.gram, losses.detach())
            else:  # probe only: the weights a plain step would use, nothing more
                weights = self.method.unmeasured_weights(grads.gram, losses.detach())
            self._write(grads, weights, losses)
            if probe:
                record = self._record(grads, weights, step, epoch, probe_blocks)
        else:
            self.method.combine(losses).backward()
            weights = self.method.current_weights()
        if not self.method.trains_health:
            for p in self.heads[1]:
                p.grad = None
        self._clip(step)
        self.optimizer.step()
        return StepOutcome(losses.detach(), weights.detach().cpu(), record)

    def _write(
        self, grads: TaskGradients | RepresentationGradients, weights: Tensor, losses: Tensor
    ) -> None:
        """The update from per-task gradients, plus the method's own learnable weights."""
        head_weights = self.method.head_weights(weights)
        if isinstance(grads, RepresentationGradients):
            write_representation_update(grads, weights, head_weights, self.heads)
        else:
            write_update(grads, weights, head_weights, self.shared, self.heads)
        if self.method.parameters():
            # Only the method's parameters are in this graph (the losses are detached).
            self.method.combine(losses.detach()).backward()

    def _record(
        self,
        grads: TaskGradients | RepresentationGradients,
        weights: Tensor,
        step: int,
        epoch: int,
        blocks: bool,
    ) -> dict:
        """The probe row; per-block figures exist only for parameter gradients."""
        in_parameters = isinstance(grads, TaskGradients)
        per_block = (
            block_statistics(grads, self.shared, self.blocks)
            if blocks and isinstance(grads, TaskGradients)
            else None
        )
        space = "parameters" if in_parameters else "representation"
        return probe_record(grads, weights, step, epoch, per_block, space).row()

    def _clip(self, step: int) -> None:
        """Clip the whole model's gradient; a non-finite gradient means divergence."""
        params = [p for p in self.model.parameters() if p.grad is not None]
        max_norm = self.clip_norm if self.clip_norm > 0 else float("inf")
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        if not torch.isfinite(total):
            raise Diverged(step, "non-finite gradient")
