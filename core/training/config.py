"""Typed training settings.

The optimiser settings are the book's (AdamW, lr 1e-3, weight decay 1e-4,
warm-up, clipping at 1, weight average). Three defaults differ, each chosen on
validation units in the study of docs/recipe.md: a cosine learning-rate decay
instead of ReduceLROnPlateau, Gaussian input noise of 0.2 (on z-scored
readings) as the regulariser, and checkpoint selection on both tasks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from core.training.selection import SELECT_ON

LR_SCHEDULES = ("plateau", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, schedule, evaluation, probing, device.

    Attributes
    ----------
    epochs
        Maximum number of epochs.
    batch_size
        Windows per optimiser step.
    lr, weight_decay
        AdamW settings.
    warmup_epochs
        Linear learning-rate warm-up from ``lr / 10`` over this many epochs.
    rul_bias_init
        Start the RUL head's output bias at the mean training RUL instead of
        near 0. Off by default, as in the book: with the output near 0 every
        residual has the same sign, so the RUL gradient on the backbone is
        large (ratio to the health gradient in the hundreds at initialisation,
        docs/probe.md); starting at the mean makes residuals cancel and
        divides that ratio by about six on FD001, which changes what the
        balancing methods see. Measured: `rulwb probe` with and without it.
    plateau_factor, plateau_patience, min_lr
        ReduceLROnPlateau on the validation RMSE (patience in epochs).
    clip_norm
        Gradient clipping on the whole model's gradient (0 disables).
    ema_decay
        Decay of the weight average used for evaluation. Early on the decay is
        ``min(ema_decay, (1 + t) / (10 + t))`` so the average is not dominated by
        the random initial weights in short runs.
    early_stopping_patience
        Stop after this many epochs without a better selection score (0 disables).
    select_on
        Model-selection criterion on validation units: ``rul``, ``health`` or
        ``combined`` (see :mod:`core.training.selection`); the kept checkpoint,
        early stopping and the plateau schedule all follow it.
    lr_schedule
        ``cosine``: after the warm-up the learning rate falls along a half cosine
        from ``lr`` to ``min_lr`` at the last epoch, per step. ``plateau``:
        ReduceLROnPlateau on the selection score (``plateau_*`` settings).
    input_noise
        Standard deviation of Gaussian noise added to the (z-scored) training
        windows at every step; 0 disables. Validation, test and in-service
        windows are never perturbed. A regulariser with no train/eval mismatch:
        the model sees noisy readings of the same engines, not a different model.
    probe_every
        Probe gradients every N optimiser steps (methods that need per-task
        gradients get them every step regardless). 0 disables optional probing.
    probe_blocks
        Also break the probe down by backbone block (CNN, BiLSTM, attention, funnel).
        Parameter space only: a representation-space probe has no per-block gradients.
    probe_space
        What the per-task gradients are taken with respect to. ``parameters``:
        every shared parameter, one backward through the trunk per task (two
        trunk backwards per probed step). ``representation``: the shared
        features ``z`` (the funnel output, flattened over the batch), one cheap
        backward through each head plus ONE trunk backward for the update --
        roughly half the cost of a probed step; its norms are on another scale
        than the parameter norms, so compare ratios and trends, not values.
        Gradient methods weigh the Gram of whichever space is probed; methods
        whose ``gradient_space`` is ``representation`` (MGDA-UB) always get the
        representation Gram.
    trajectories
        Predict every validation and test window each epoch (for live per-engine
        trajectories). Costs one inference pass over those windows per epoch.
    device
        ``auto`` (CUDA when available, else CPU), ``cpu`` or ``cuda``.
    bf16
        bfloat16 autocast on CUDA.
    eval_batch_size
        Windows per inference batch; 0 picks by device: 512 on the CPU, where
        larger batches fall out of cache (compact preset, FD001 validation:
        0.27 s at 512 against 0.58 s at 4096), 4096 on CUDA.
    """

    epochs: int = 60
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: int = 1
    rul_bias_init: bool = False
    plateau_factor: float = 0.5
    plateau_patience: int = 30
    min_lr: float = 5e-6
    clip_norm: float = 1.0
    ema_decay: float = 0.999
    early_stopping_patience: int = 15
    select_on: str = "combined"
    lr_schedule: str = "cosine"
    input_noise: float = 0.2
    probe_every: int = 10
    probe_blocks: bool = False
    probe_space: str = "parameters"
    trajectories: bool = True
    device: str = "auto"
    bf16: bool = False
    eval_batch_size: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.probe_space not in ("parameters", "representation"):
            raise ValueError(
                f"probe_space must be parameters or representation, got {self.probe_space!r}"
            )
        if self.eval_batch_size < 0:
            raise ValueError(
                f"eval_batch_size must be 0 (by device) or more, got {self.eval_batch_size}"
            )
        if self.select_on not in SELECT_ON:
            raise ValueError(
                f"select_on must be one of {', '.join(SELECT_ON)}, got {self.select_on!r}"
            )
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(
                f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}"
            )
        if not 0 <= self.input_noise < 10:
            raise ValueError(f"input_noise must be in [0, 10), got {self.input_noise}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown training settings: {sorted(unknown)}")
        defaults = cls()
        return cls(**{k: _typed(k, v, type(getattr(defaults, k))) for k, v in data.items()})


def _typed(name: str, value, kind: type):
    """``value`` as the setting's type (an int is taken for a float); otherwise a ValueError."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"training setting '{name}' must be {kind.__name__}, found {value!r}")
    return value
