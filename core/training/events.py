"""Progress records the trainer emits; the CLI prints them, the GUI turns them into signals.

They are plain dataclasses holding Python numbers and detached CPU numpy
arrays (snapshots), never live tensors, so they may cross threads safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class StepEvent:
    """One optimiser step done."""

    step: int
    epoch: int
    steps_per_epoch: int
    loss_rul: float
    loss_health: float
    weight_rul: float
    weight_health: float
    lr: float


@dataclass(frozen=True)
class ProbeEvent:
    """The gradient probe's record of a step (see :class:`core.probe.gradients.ProbeRecord`)."""

    record: dict


@dataclass(frozen=True)
class EpochEvent:
    """One epoch done: its history row (train/validation losses, metrics, weights, probe)."""

    epoch: int
    epochs: int
    row: dict
    improved: bool


@dataclass(frozen=True)
class PredictionsEvent:
    """Every window's prediction for one split, for per-engine trajectories."""

    epoch: int
    split: str
    unit_ids: tuple
    unit: np.ndarray
    cycle: np.ndarray
    true_rul: np.ndarray
    pred_rul: np.ndarray
    pred_health: np.ndarray
    #: The calibrated interval's bounds per window, where known: a finished run's kept
    #: model (its trajectories.csv); live epochs have none (calibration comes at the end).
    rul_lower: np.ndarray | None = None
    rul_upper: np.ndarray | None = None
    #: The predictions are the refit model's (trained on training and validation units
    #: for ``epoch`` epochs), not the weights of epoch ``epoch``: a refit run's test split.
    refit: bool = False


@dataclass(frozen=True)
class RefitEvent:
    """One epoch of a training outside the run's own epochs done: the refit on training
    and validation units after selection, or one of ``fixed_tuned``'s short tuning runs
    before it (``what`` says which, as the CLI and the status bar show it)."""

    epoch: int
    epochs: int
    what: str = "refit on training and validation units"


@dataclass(frozen=True)
class FinishedEvent:
    """The run ended: finished, stopped or diverged, with test metrics when evaluated."""

    status: str
    metrics: dict = field(default_factory=dict)
    run_dir: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class FailedEvent:
    """The run failed with an error; ``message`` is meant for the user."""

    message: str
    run_dir: str | None = None


Event = (
    StepEvent
    | ProbeEvent
    | EpochEvent
    | PredictionsEvent
    | RefitEvent
    | FinishedEvent
    | FailedEvent
)
