"""Predicting RUL for engines still in service with a finished run's selected weights.

A run folder holds its fitted preprocessing (``preprocessing.json``) and its
full configuration; new fleets are windowed the way the training windows were.
Runs made before a file existed are read here, where what the file would hold
is derived: no ``preprocessing.json`` (the pipeline is rebuilt from the
source), no ``intervals.json`` (calibrated from ``trajectories.csv``). Older
config.json and metrics.json shapes: :mod:`core.runs.run_format`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.special import softmax

from core.common.errors import WorkbenchError
from core.data.config import HealthThresholds
from core.data.fleet import Fleet
from core.data.pipeline_file import FILE as PREPROCESSING
from core.data.pipeline_file import pipeline_from_dict
from core.data.prepare import FittedPipeline, PreparedData
from core.data.sources import SourceSpec, load_source
from core.data.windows import WindowSet
from core.evaluation.intervals import RulIntervals
from core.experiment.run import ExperimentConfig, load_data, read_run_config
from core.model import DualTaskModel, ModelPreset
from core.runs import BEST_CHECKPOINT, RunDir, RunStoreError
from core.training.batches import DeviceWindows
from core.training.evaluation import predict
from core.training.results import INTERVALS, calibrate_from_trajectories, with_bounds

HEALTH_NAMES = np.array(HealthThresholds.NAMES)


@dataclass
class FleetPrediction:
    """Predictions for an in-service fleet.

    Attributes
    ----------
    engines
        One row per unit, sorted by predicted RUL (most urgent first): ``unit``,
        ``last_cycle``, ``pred_rul``, ``pred_health``, and where truth is known
        ``true_rul`` (capped), ``true_rul_uncapped`` and ``error``.
    trajectories
        Every window: ``unit``, ``cycle``, ``pred_rul``, ``pred_health``, ``true_rul``.
    """

    engines: pd.DataFrame
    trajectories: pd.DataFrame


class FleetPredictor:
    """A trained model plus the pipeline that prepares data for it."""

    def __init__(
        self,
        model: DualTaskModel,
        pipeline: FittedPipeline,
        config: ExperimentConfig,
        intervals: RulIntervals | None = None,
    ):
        self.model = model.eval()
        self.pipeline = pipeline
        self.config = config
        #: The run's calibrated RUL intervals (``intervals.json``, or calibrated from its
        #: validation trajectories); None when it has neither.
        self.intervals = intervals

    @classmethod
    def from_run(cls, run_dir: str | Path, data: PreparedData | None = None) -> FleetPredictor:
        """The run's saved preprocessing and best checkpoint, from its folder alone.

        A run made before ``preprocessing.json`` existed has its pipeline
        rebuilt from its source instead (which must then still be where it was).
        """
        run = RunDir(run_dir)
        if not (run.path / BEST_CHECKPOINT).exists():
            raise WorkbenchError(
                f"{run.path}: no {BEST_CHECKPOINT} checkpoint ({_why_no_checkpoint(run)})"
            )
        config = read_run_config(run)
        pipeline = _saved_pipeline(run)
        if pipeline is None:
            pipeline = (data or load_data(config)).pipeline
        state = run.load_checkpoint(BEST_CHECKPOINT)
        missing = {"model", "n_features", "preset"} - set(state)
        if missing:
            raise RunStoreError(
                f"checkpoint lacks {', '.join(sorted(missing))}", run.path / BEST_CHECKPOINT
            )
        model = DualTaskModel(state["n_features"], ModelPreset(**_preset_fields(state["preset"])))
        model.load_state_dict(state["model"])
        intervals = _saved_intervals(run, config.train.interval_coverage)
        return cls(model, pipeline, config, intervals)

    def in_service_fleet(self) -> Fleet | None:
        """The in-service split of the run's own source (C-MAPSS test, demo in service)."""
        return load_source(self.config.source).test

    def predict(self, fleet: Fleet) -> FleetPrediction:
        windows = self.pipeline.windows(fleet)
        rul, probabilities = self.raw(windows)
        notes = self.pipeline.unfamiliar(fleet)
        return fleet_tables(
            fleet, windows, rul, probabilities, self.intervals, notes, self.pipeline.config.health
        )

    def raw(self, windows: WindowSet) -> tuple[np.ndarray, np.ndarray]:
        """Predicted RUL and health-state probabilities of every window."""
        rul, logits = predict(self.model, DeviceWindows(windows, torch.device("cpu")), 4096)
        return rul, softmax(logits, axis=1)


def fleet_tables(
    fleet: Fleet,
    windows: WindowSet,
    rul: np.ndarray,
    probabilities: np.ndarray,
    intervals: RulIntervals | None,
    notes: dict[object, str],
    health: HealthThresholds,
) -> FleetPrediction:
    """The engine and trajectory tables of one prediction (one run, or an ensemble's mean).

    Both heads answer: ``pred_health`` is the health head's state, ``rul_state``
    the state the predicted RUL falls in under the run's thresholds, and
    ``heads_agree`` says whether they match (the interval's lower bound decides
    whether an engine is due; the health head is a second opinion).
    """
    known = fleet.truth_rul is not None
    trajectories = pd.DataFrame(
        {
            "unit": [windows.unit_ids[u] for u in windows.unit],
            "cycle": windows.cycle,
            "pred_rul": rul,
            "pred_health": HEALTH_NAMES[probabilities.argmax(axis=1)],
            **{f"p_{name}": probabilities[:, i] for i, name in enumerate(HEALTH_NAMES)},
            "true_rul": windows.rul if known else np.nan,
        }
    )
    if intervals is not None:
        trajectories = with_bounds(trajectories, intervals)
    last = windows.last_of_each_unit()
    engines = trajectories[last].drop(columns="true_rul").rename(columns={"cycle": "last_cycle"})
    if known:
        engines["true_rul"] = windows.rul[last]
        engines["true_rul_uncapped"] = windows.rul_uncapped[last]
        engines["error"] = engines["pred_rul"] - engines["true_rul"]
    engines["rul_state"] = HEALTH_NAMES[health.classify(engines["pred_rul"].to_numpy())]
    engines["heads_agree"] = engines["rul_state"] == engines["pred_health"]
    # data far outside the training data: the prediction is a guess, and says so
    engines["warning"] = [notes.get(unit, "") for unit in engines["unit"]]
    engines = engines.sort_values("pred_rul", kind="stable").reset_index(drop=True)
    return FleetPrediction(engines, trajectories)


def _saved_pipeline(run: RunDir) -> FittedPipeline | None:
    """The run's ``preprocessing.json`` as a pipeline; None when the run predates it."""
    path = run.path / PREPROCESSING
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunStoreError(f"cannot read the saved preprocessing ({error})", path) from None
    return pipeline_from_dict(saved, path)


def _saved_intervals(run: RunDir, coverage: float) -> RulIntervals | None:
    """The run's calibrated intervals.

    A run made before intervals existed has no ``intervals.json``; they are
    calibrated from the validation predictions in its ``trajectories.csv``,
    exactly as a run does at its end. None when it has neither.
    """
    path = run.path / INTERVALS
    if path.exists():
        try:
            return RulIntervals.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RunStoreError(f"cannot read the RUL intervals ({error})", path) from None
    if not (run.path / "trajectories.csv").exists():
        return None
    return calibrate_from_trajectories(run.read_trajectories(), coverage)


def _preset_fields(preset: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in preset.items()}


def source_fleet(spec: SourceSpec) -> Fleet:
    """The in-service fleet a source names; a source without one is an error."""
    fleet = load_source(spec).test
    if fleet is None:
        raise WorkbenchError(f"{spec.label} has no in-service fleet (give --test-csv)")
    return fleet


def _why_no_checkpoint(run: RunDir) -> str:
    """A run that trained epochs had its checkpoint removed (a folder copied or kept in git
    without its ``*.pt`` files); one that trained none never saved one."""
    try:
        epochs = len(run.read_history())
    except RunStoreError:
        epochs = 0
    if epochs:
        return (
            f"the run trained {epochs} epoch{'s' if epochs != 1 else ''} but its checkpoint is "
            "not in the folder: copied or kept without its *.pt files?"
        )
    return "the run saved no epoch"
