"""An experiment: data source + preprocessing + model preset + method + training settings + seed.

:class:`ExperimentConfig` is exactly what a run's ``config.json`` holds, so
``rulwb train --config RUN/config.json`` repeats the run.
"""

from __future__ import annotations

import contextlib
import math
import platform
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeGuard

import numpy as np
import torch

from core import __version__
from core.baseline.run import run_baseline
from core.data.config import PreprocessConfig
from core.data.pipeline_file import FILE as PREPROCESSING
from core.data.pipeline_file import pipeline_to_dict
from core.data.prepare import PreparedData, prepare
from core.data.sources import SourceSpec, load_source
from core.methods.base import BalancingMethod
from core.methods.registry import create_method
from core.model import DualTaskModel, ModelPreset, resolve_preset
from core.runs import RunDir, RunStatus, RunStore, RunStoreError
from core.runs.atomic import atomic_write_json
from core.training.config import TrainConfig
from core.training.control import TrainingControl
from core.training.events import EpochEvent, Event, FailedEvent, RefitEvent
from core.training.trainer import Trainer, TrainResult
from core.training.tuning import (
    Tuning,
    fixed_lambdas,
    save_tuning,
    saved_tuning,
    tune,
    tune_epochs,
)


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything that determines a run."""

    source: SourceSpec = field(default_factory=SourceSpec)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    preset: str = "compact"
    method: str = "fixed"
    method_params: dict = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0
    #: (BiLSTM, funnel) dropout instead of the preset's; None: the preset's.
    dropout: tuple[float, float] | None = None

    def model_preset(self) -> ModelPreset:
        """The preset's widths with this experiment's dropout, if it sets one."""
        preset = resolve_preset(self.preset)
        if self.dropout is None:
            return preset
        lstm, funnel = self.dropout
        return replace(preset, lstm_dropout=lstm, funnel_dropout=funnel)

    def to_dict(self) -> dict:
        """JSON-ready, with the resolved method settings and library versions."""
        method = create_method(self.method, **self.method_params)
        data = {
            "source": self.source.to_dict(),
            "preprocess": self.preprocess.to_dict(),
            "preset": self.preset,
            "model": self.model_preset().to_dict(),
            "method": self.method,
            "method_params": dict(method.params),
            "train": self.train.to_dict(),
            "seed": self.seed,
            "versions": versions(),
        }
        if self.dropout is not None:  # absent otherwise: the preset's
            data["dropout"] = list(self.dropout)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ExperimentConfig:
        """Inverse of :meth:`to_dict`; a hand-edited value of the wrong kind is a ValueError."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        for section in ("source", "preprocess", "train", "method_params"):
            if not isinstance(data.get(section, {}), dict):
                found = type(data[section]).__name__
                raise ValueError(f"'{section}' must be a JSON object, found {found}")
        for key, kind in (("preset", str), ("method", str), ("seed", int)):
            value = data.get(key, kind())
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"'{key}' must be {kind.__name__}, found {value!r}")
        dropout = _saved_dropout(data)
        try:
            return cls(
                source=SourceSpec.from_dict(data.get("source", {})),
                preprocess=PreprocessConfig.from_dict(data.get("preprocess", {})),
                preset=data.get("preset", "compact"),
                method=data.get("method", "fixed"),
                method_params=dict(data.get("method_params", {})),
                train=TrainConfig.from_dict(data.get("train", {})),
                seed=data.get("seed", 0),
                dropout=dropout,
            )
        except (TypeError, AttributeError) as error:
            raise ValueError(f"not a valid experiment configuration ({error})") from None

    def with_(self, **changes) -> ExperimentConfig:
        return replace(self, **changes)


def _saved_dropout(data: dict) -> tuple[float, float] | None:
    """The (BiLSTM, funnel) dropout a saved configuration asks for; None: the preset's.

    ``dropout`` is one number (both) or two. (A config.json written when the
    presets had dropout says it in its ``model`` section: ``RunDir.read_config``
    turns that into ``dropout``, :mod:`core.runs.run_format`.)
    """
    given = data.get("dropout")
    if given is None:
        return None
    values = [given, given] if _number(given) else given
    if not isinstance(values, list) or len(values) != 2 or not all(map(_number, values)):
        raise ValueError(f"'dropout' must be a number or two numbers, found {given!r}")
    return float(values[0]), float(values[1])


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_run_config(run: RunDir) -> ExperimentConfig:
    """The run's ``config.json`` as an :class:`ExperimentConfig`; damage names the file."""
    try:
        return ExperimentConfig.from_dict(run.read_config())
    except ValueError as error:
        raise RunStoreError(f"config cannot be used: {error}", run.path / "config.json") from None


def versions() -> dict:
    return {
        "rul_workbench": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }


def seed_everything(seed: int) -> None:
    """Same seed, same initial weights (the batch order has its own seeded generator)."""
    torch.manual_seed(seed)


def load_data(config: ExperimentConfig) -> PreparedData:
    return prepare(load_source(config.source), config.preprocess)


def build_trainer(
    config: ExperimentConfig,
    data: PreparedData,
    run: RunDir | None = None,
    on_event: Callable[[Event], None] | None = None,
    control: TrainingControl | None = None,
) -> Trainer:
    """Model and method built under the run's seed, wired to a trainer.

    A tuned method (``fixed_tuned``) first makes its choice on validation
    units, or reads back the one it made before this run was interrupted.
    """
    tuning = choose_tuning(config, data, run, on_event, control)
    config = with_tuning(config, tuning)
    seed_everything(config.seed)
    model = DualTaskModel(data.n_features, config.model_preset())
    method = create_method(config.method, **config.method_params)
    if not isinstance(method, BalancingMethod):
        raise ValueError(f"'{config.method}' is a baseline, not a network: use run_experiment")
    trainer = Trainer(data, method, model, config.train, config.seed, run, on_event, control)
    if tuning is not None and tuning.seconds is not None:
        trainer.tuning_seconds = tuning.seconds  # the run's cost includes its grid
    if config.train.refit:
        trainer.refit = partial(_refit, config, data, on_event, control)
    return trainer


def choose_tuning(
    config: ExperimentConfig,
    data: PreparedData,
    run: RunDir | None = None,
    on_event: Callable[[Event], None] | None = None,
    control: TrainingControl | None = None,
) -> Tuning | None:
    """A tuned method's choice: made now on validation units, or read back from the run
    being resumed; None for any other method."""
    method = create_method(config.method, **config.method_params)
    if not method.tuned:
        return None
    tuning = saved_tuning(run)
    if tuning is None:
        epochs = tune_epochs(int(method.params["tune_epochs"]), config.train.epochs)
        short_run = partial(_tuning_run, config, data, epochs, on_event, control)
        tuning = tune(short_run, config.train.select_on, epochs)
        if all(math.isfinite(score) for score in tuning.scores.values()):
            save_tuning(run, tuning)  # not a choice cut short by a stop: resuming tunes again
    return tuning


def with_tuning(config: ExperimentConfig, tuning: Tuning | None) -> ExperimentConfig:
    """``fixed`` at the tuned lambdas, or ``config`` itself without a tuning."""
    if tuning is None:
        return config
    return config.with_(method="fixed", method_params=fixed_lambdas(tuning.lambda_rul))


def _tuning_run(
    config: ExperimentConfig,
    data: PreparedData,
    epochs: int,
    on_event: Callable[[Event], None] | None,
    control: TrainingControl | None,
    lambda_rul: float,
) -> float:
    """One short run of ``fixed`` at ``lambda_rul``: its best validation selection score.

    No folder, no trajectories, no probe; its epochs reach ``on_event`` as
    :class:`RefitEvent` progress only, so no panel mistakes them for the run's.
    """
    settings = replace(
        config.train, epochs=epochs, refit=False, trajectories=False, tensorboard=False,
        probe_every=0,
    )  # fmt: skip
    short = config.with_(method="fixed", method_params=fixed_lambdas(lambda_rul), train=settings)
    forward = on_event or (lambda event: None)
    what = f"tuning lambda_RUL {lambda_rul:g}"

    def progress_only(event: Event) -> None:
        if isinstance(event, EpochEvent):
            forward(RefitEvent(event.epoch, event.epochs, what))

    result = build_trainer(short, data, None, progress_only, control).fit()
    if result.status != RunStatus.FINISHED or not result.history:
        return math.inf
    return min(float(row["selection_score"]) for row in result.history)


def _refit(
    config: ExperimentConfig,
    data: PreparedData,
    on_event: Callable[[Event], None] | None,
    control: TrainingControl | None,
    kept: list[dict],
) -> dict | None:
    """A fresh model (the run's seed) trained on training and validation units for the kept
    epochs; only its progress (:class:`RefitEvent`) reaches ``on_event``.

    The preprocessing stays the one fitted on the training units, so the refit
    model reads exactly the inputs the selected one did.
    """
    settings = replace(config.train, refit=False, trajectories=False, tensorboard=False)
    # the refit never predicts, so the test windows are not copied to its device again
    joined = replace(data, train=data.train.join(data.val), test=None)
    forward = on_event or (lambda event: None)

    def progress_only(event: Event) -> None:
        if isinstance(event, RefitEvent):
            forward(event)

    trainer = build_trainer(config.with_(train=settings), joined, None, progress_only, control)
    return trainer.train_only(kept)


def run_experiment(
    config: ExperimentConfig,
    store: RunStore | None = None,
    data: PreparedData | None = None,
    on_event: Callable[[Event], None] | None = None,
    control: TrainingControl | None = None,
) -> tuple[TrainResult, RunDir | None]:
    """Load (or reuse) the data, train, and record everything in a new run folder.

    An unexpected error marks the run as failed (with the message) before it
    propagates, so the folder never claims to be running.
    """
    data = data or load_data(config)
    run = store.create_run(config.to_dict()) if store is not None else None
    try:
        if run is not None:  # the run predicts from its folder alone (core.data.pipeline_file)
            atomic_write_json(run.path / PREPROCESSING, pipeline_to_dict(data.pipeline))
        method = create_method(config.method, **config.method_params)
        if method.baseline:  # gbm, weibull: no network (core.baseline.run)
            seed_everything(config.seed)
            train = config.train
            result = run_baseline(
                method, data, config.seed, train.select_on, run, on_event,
                train.interval_coverage, train.threads,
            )  # fmt: skip
            return result, run
        return build_trainer(config, data, run, on_event, control).fit(), run
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        if run is not None:
            with contextlib.suppress(RunStoreError):  # e.g. the disk that failed is still full
                run.set_status(RunStatus.FAILED, message)
        (on_event or (lambda e: None))(FailedEvent(message, None if run is None else str(run.path)))
        raise
