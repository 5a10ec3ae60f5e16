"""Typed training settings.

The optimiser settings are the book's (AdamW, lr 1e-3, weight decay 1e-4,
warm-up, clipping at 1, weight average). Three defaults differ, each chosen on
validation units in the study of docs/recipe.md: a cosine learning-rate decay
instead of ReduceLROnPlateau, Gaussian input noise of 0.2 (on z-scored
readings) as the regulariser, and checkpoint selection on both tasks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from core.common.settings import check, from_dict, setting
from core.training.selection import SELECT_ON

LR_SCHEDULES = ("plateau", "cosine")
OPTIMIZERS = ("adamw", "sgd")
PROBE_SPACES = ("parameters", "representation")


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, schedule, evaluation, probing, device.

    Attributes
    ----------
    epochs
        Maximum number of epochs.
    batch_size
        Windows per optimiser step.
    optimizer
        ``adamw`` (the book's) or ``sgd`` with momentum 0.9. AdamW divides each
        parameter's step by its own gradient scale, so multiplying both task
        weights by a constant changes nothing: only their mix reaches the
        shared update (docs/balance.md).
    lr, weight_decay
        AdamW settings.
    warmup_epochs
        Linear learning-rate warm-up from ``lr / 10`` over this many epochs.
    rul_bias_init
        Start the RUL head's output bias at the mean training RUL instead of
        near 0 (the book's start). On by default: a run stopped after a few
        epochs then never predicts worse than the training mean, and on
        validation units it learned in 4 epochs what took 20 from near 0
        (docs/recipe.md, round two). With the output near 0 every residual
        has the same sign, so the RUL gradient on the backbone starts larger
        (ratio to the health gradient in the hundreds, docs/probe.md);
        starting at the mean makes residuals cancel and divides that ratio by
        about six on FD001. Measured: `rulwb probe` with and without it.
    late_weight
        Squared RUL errors of late predictions (predicted RUL above the true
        one) count this many times an early one's; 1 is the symmetric MSE.
    plateau_factor, plateau_patience, min_lr
        ReduceLROnPlateau on the validation RMSE (patience in epochs).
    clip_norm
        Gradient clipping on the whole model's gradient (0 disables).
    ema_decay
        Decay of the weight average used for evaluation. Early on the decay is
        ``min(ema_decay, (1 + t) / (10 + t))`` so the average is not dominated by
        the random initial weights in short runs.
    swa_from
        From this epoch on, the evaluated weights are the equal-weight mean of
        every step's weights since that epoch began (stochastic weight
        averaging) instead of the EMA; 0 keeps the EMA. Selection still picks
        the best epoch, so an epoch's candidate is the mean from ``swa_from`` to
        it. The learning rate keeps its schedule (SWA's constant rate is not
        imitated).
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
    refit
        After selection, train a fresh model (same seed) on the training *and*
        validation units for the kept number of epochs, and evaluate that model
        on the test set. Validation figures stay the selected model's (the refit
        has seen those units), and the RUL intervals keep the selected model's
        validation calibration. Networks only; off by default (docs/recipe.md).
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
    tensorboard
        Also write the run's scalars as TensorBoard event files in the run
        folder, every epoch (:mod:`core.runs.tensorboard`).
    device
        ``auto`` (CUDA when available, else CPU), ``cpu`` or ``cuda``.
    bf16
        bfloat16 autocast on CUDA.
    eval_batch_size
        Windows per inference batch; 0 picks by device: 512 on the CPU, where
        larger batches fall out of cache (compact preset, FD001 validation:
        0.27 s at 512 against 0.58 s at 4096), 4096 on CUDA.
    """

    epochs: int = setting(
        60,
        help="most epochs per run (early stopping may end sooner)",
        label="Epochs",
        minimum=1,
        maximum=10_000,
    )
    batch_size: int = setting(
        256, help="windows per optimiser step", label="Batch size", minimum=1, maximum=65_536
    )
    lr: float = setting(
        1e-3,
        help="AdamW learning rate",
        label="Learning rate",
        minimum=1e-5,
        maximum=1.0,
        step=1e-4,
        decimals=5,
    )
    optimizer: str = setting(
        "adamw",
        help="adamw (the book's), or sgd with momentum 0.9 (its weight decay an L2 term); "
        "AdamW scales each parameter's step by its own gradient history, so only the mix of "
        "the task weights, not their size, reaches the update",
        label="Optimiser",
        choices=OPTIMIZERS,
    )
    weight_decay: float = setting(
        1e-4,
        help="weight decay of the optimiser",
        label="Weight decay",
        minimum=0.0,
        maximum=1.0,
        step=1e-4,
    )
    warmup_epochs: int = setting(
        1,
        help="epochs of linear learning-rate warm-up from lr/10",
        label="Warm-up epochs",
        minimum=0,
        maximum=1000,
    )
    rul_bias_init: bool = setting(
        True,
        help="start the RUL head's output bias at the mean training RUL, so that no run "
        "predicts worse than that constant for want of epochs (--no-rul-bias-init: near 0, "
        "the book's start)",
        label="RUL bias at mean",
    )
    plateau_factor: float = setting(
        0.5,
        help="plateau schedule: factor the learning rate is cut by",
        label="Plateau factor",
        minimum=0.01,
        maximum=0.99,
        step=0.05,
    )
    plateau_patience: int = setting(
        30,
        help="plateau schedule: epochs without improvement before a cut",
        label="Plateau patience",
        minimum=0,
        maximum=1000,
    )
    min_lr: float = setting(
        5e-6,
        help="lowest learning rate of either schedule",
        label="Minimum LR",
        minimum=0.0,
        maximum=1.0,
        step=1e-6,
    )
    clip_norm: float = setting(
        1.0,
        help="gradient clipping on the whole model's gradient (0: off)",
        label="Gradient clipping",
        minimum=0.0,
        maximum=1e6,
        step=0.5,
    )
    ema_decay: float = setting(
        0.999,
        help="decay of the weight average that is evaluated",
        label="Weight average",
        minimum=0.0,
        maximum=0.999999,
        step=0.001,
    )
    swa_from: int = setting(
        0,
        help="evaluate the equal-weight mean of every step's weights from this epoch on "
        "(stochastic weight averaging) instead of the EMA (0: the EMA)",
        label="SWA from epoch",
        minimum=0,
        maximum=10_000,
    )
    early_stopping_patience: int = setting(
        8,
        help="early-stopping patience in epochs (0: off)",
        label="Early stopping",
        flag="--patience",
        minimum=0,
        maximum=10_000,
    )
    select_on: str = setting(
        "combined",
        help="model selection and early stopping on validation: rul (RMSE), health "
        "(macro-F1) or combined (RMSE / cap + 1 - macro-F1)",
        label="Select on",
        choices=SELECT_ON,
    )
    lr_schedule: str = setting(
        "cosine",
        help="cosine decay to the last epoch, or halve on a plateau of the selection score",
        label="LR schedule",
        choices=LR_SCHEDULES,
    )
    input_noise: float = setting(
        0.2,
        help="std of Gaussian noise added to z-scored training windows (0: off)",
        label="Input noise",
        minimum=0.0,
        maximum=9.99,
        step=0.05,
    )
    late_weight: float = setting(
        1.0,
        help="cost of a late RUL prediction (above the true RUL) relative to an early one of "
        "the same size, in the RUL loss (1: symmetric)",
        label="Late-prediction cost",
        minimum=1.0,
        maximum=100.0,
        step=0.5,
    )
    refit: bool = setting(
        False,
        help="after selection, train anew on training and validation units for the kept "
        "number of epochs and test that model",
        label="Refit on all units",
    )
    probe_every: int = setting(
        10,
        help="probe task gradients every N steps (0: only when a method needs them)",
        label="Probe every",
        minimum=0,
        maximum=100_000,
    )
    probe_blocks: bool = setting(False, help="per-block gradient figures", label="Probe per block")
    probe_space: str = setting(
        "parameters",
        help="take task gradients w.r.t. shared parameters or shared features",
        label="Probe space",
        choices=PROBE_SPACES,
    )
    trajectories: bool = setting(
        True,
        help="predict every validation and test window each epoch (live trajectories)",
        label="Live trajectories",
        cli_default=False,
    )
    tensorboard: bool = setting(
        False,
        help="also write the run's scalars (losses, validation figures, gradient norms, ratio, "
        "cosine, task weights) as TensorBoard event files in its folder",
        label="TensorBoard events",
    )
    interval_coverage: float = setting(
        0.9,
        help="nominal coverage of the calibrated RUL intervals (split-conformal on validation)",
        label="Interval coverage",
        minimum=0.5,
        maximum=0.99,
        step=0.05,
    )
    threads: int = setting(
        0,
        help="torch CPU threads for the run; 0: `rulwb train` and the GUI take a share of the "
        "cores beside the trainings live on this machine (docs/architecture.md), `rulwb "
        "compare` the process's count (serial) or its executor's share; recorded so that "
        "--config repeats a run with the same arithmetic",
        label="CPU threads",
        minimum=0,
        maximum=1024,
    )
    device: str = setting("auto", help="auto | cpu | cuda | cuda:N", label="Device")
    bf16: bool = setting(False, help="bfloat16 autocast on CUDA", label="bfloat16")
    eval_batch_size: int = setting(
        0,
        help="windows per inference batch (0: by device)",
        label="Inference batch",
        minimum=0,
        maximum=1_000_000,
    )

    def __post_init__(self) -> None:
        check(self)
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys and values of the wrong kind are refused."""
        return from_dict(cls, data, "training setting")
