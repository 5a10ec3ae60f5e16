"""Show a finished run's curves again, from its folder, in the live panels.

After a queue of runs the live panels hold only the last one. An engineer
comparing methods wants to look at any run the way it looked while training:
losses per epoch, probed gradients and weights, trajectories and test
results, all read back from the run folder (history.csv, probe.csv,
trajectories.csv, predictions.csv, metrics.json).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.runs import RunDir, RunStoreError
from core.training.events import PredictionsEvent
from workbench.common.time_units import run_time_unit
from workbench.training.live_area import LiveArea


def _records(table: pd.DataFrame) -> list[dict]:
    """Rows as dicts with NaN for missing cells (what the panels expect)."""
    return [
        {k: (math.nan if v is None else v) for k, v in row.items()}
        for row in table.to_dict("records")
    ]


def predictions_events(
    trajectories: pd.DataFrame, epoch: int = 0, refit: bool = False
) -> list[PredictionsEvent]:
    """One event per split, rebuilt from trajectories.csv (the kept model's, from ``epoch``).

    With ``refit`` the test split's rows are the refit model's: the run tested
    the model refit on every unit, while validation rows stay the selected one's.
    """
    events = []
    for split, rows in trajectories.groupby("split", sort=False):
        unit_ids, unit = np.unique(rows["unit"].to_numpy(), return_inverse=True)
        events.append(
            PredictionsEvent(
                epoch=epoch,
                split=str(split),
                unit_ids=tuple(unit_ids.tolist()),
                unit=unit,
                cycle=rows["cycle"].to_numpy(),
                true_rul=rows["true_rul"].to_numpy(float),
                pred_rul=rows["pred_rul"].to_numpy(float),
                pred_health=rows["pred_health"].to_numpy(int),
                refit=refit and split == "test",
                **_bounds(rows),
            )
        )
    return events


def _bounds(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """The interval bounds of trajectories.csv's rows, where the run calibrated one."""
    names = ("rul_lower", "rul_upper")
    return {n: rows[n].to_numpy(float) for n in names} if set(names) <= set(rows) else {}


def kept_trajectories(area: LiveArea, run: RunDir, metrics: dict) -> None:
    """Show the kept model's trajectories (with their intervals), as trajectories.csv holds them."""
    trajectories = run.read_trajectories()
    if trajectories.empty:
        return
    kept = metrics.get("best_epoch")
    epoch = int(kept) if isinstance(kept, int | float) and not isinstance(kept, bool) else 0
    for event in predictions_events(trajectories, epoch, refit="refit_epochs" in metrics):
        area.trajectory.set_predictions(event)


def replay_run(area: LiveArea, run_dir: str, label: str) -> None:
    """Fill the live panels from a run folder.

    Raises
    ------
    RunStoreError
        When a file of the run cannot be read (the message names it).
    """
    run = RunDir(run_dir)
    predictions, metrics = run.read_predictions(), run.read_metrics() or {}
    unit = run_time_unit(run_dir)
    area.reset_live()
    area.clear_results()
    area.set_time_unit(unit)
    replay_progress(area, run)
    kept_trajectories(area, run, metrics)
    if not predictions.empty:
        area.show_results(label, predictions, metrics, unit)
    elif metrics.get("rmse") is None and metrics.get("val_rmse") is not None:
        area.show_no_test(label, metrics, unit)  # a fleet without a test split
    area.flush()


def replay_progress(area: LiveArea, run: RunDir) -> tuple[int, int]:
    """Draw a run's epochs and probe records so far; returns (last epoch, last probed step).

    Used for a finished run, and for a run still training elsewhere that the
    live panels begin to follow midway (its later events then carry on).
    """
    history, probe = run.read_history(), run.read_probe()
    for row in _records(history):
        area.losses.add_epoch(row)
    for record in _records(probe):
        area.gradients.add_probe(record)
        area.blocks.add_probe(record)
        weights = {
            "lambda_rul": _number(record.get("weight_rul")),
            "lambda_health": _number(record.get("weight_health")),
        }
        area.weights.add_step(int(record.get("step", 0)), weights)
    epoch = int(history["epoch"].max()) if "epoch" in history and len(history) else -1
    step = int(probe["step"].max()) if "step" in probe and len(probe) else -1
    return epoch, step


__all__ = ["RunStoreError", "predictions_events", "replay_progress", "replay_run"]


def _number(value: object) -> float:
    """A probe record's figure, NaN where the record has none."""
    return math.nan if value is None else float(value)  # type: ignore[arg-type]
