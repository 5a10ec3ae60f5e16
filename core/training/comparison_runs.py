"""Running a comparison: every (method, seed) pair once, resumable after a crash.

Runs live in a run store inside the comparison folder; a pair whose run
finished with the same configuration is not redone, so a comparison killed
midway and started again continues where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.data.prepare import PreparedData
from core.runs import RunStatus, RunStore
from core.training.events import Event
from core.training.experiment import ExperimentConfig, load_data, run_experiment

RESULT_COLUMNS = (
    "rmse",
    "nasa_score",
    "mae",
    "accuracy",
    "macro_f1",
    "rmse_uncapped",
    "nasa_score_uncapped",
    "val_rmse",
    "seconds",
    "best_epoch",
    "epochs_run",
)


# A diverged run is an outcome, not unfinished work: re-running it diverges again.
ENDED = (RunStatus.FINISHED, RunStatus.DIVERGED)


@dataclass(frozen=True)
class ComparisonPlan:
    """The base experiment and what varies: methods (with settings) and seeds."""

    base: ExperimentConfig
    methods: list[str]
    seeds: list[int]
    params: dict[str, dict] = field(default_factory=dict)

    def experiments(self) -> list[ExperimentConfig]:
        return [
            self.base.with_(method=m, method_params=self.params.get(m, {}), seed=s)
            for m in self.methods
            for s in self.seeds
        ]


def _identity(config: dict) -> str:
    """What makes two runs the same experiment (everything but library versions)."""
    return json.dumps({k: v for k, v in config.items() if k != "versions"}, sort_keys=True)


def finished_runs(store: RunStore) -> dict[str, dict]:
    """Finished runs of a store by experiment identity: {identity: row}."""
    done = {}
    for info in store.list_runs():
        if info.damaged or info.status not in ENDED or not info.metrics:
            continue
        done[_identity(info.config)] = _row(info.config, info.metrics, info.path)
    return done


def _row(config: dict, metrics: dict, path: Path) -> dict:
    row = {
        "method": config["method"],
        "seed": config["seed"],
        "run_dir": str(path),
        "status": metrics.get("status"),
    }
    row.update({k: metrics.get(k) for k in RESULT_COLUMNS})
    return row


def run_comparison(
    plan: ComparisonPlan,
    folder: Path,
    progress: Callable[[str], Callable[[Event], None]] | None = None,
    data: PreparedData | None = None,
) -> pd.DataFrame:
    """Train every pair not already finished; write and return comparison.csv's table."""
    folder.mkdir(parents=True, exist_ok=True)
    store = RunStore(folder / "runs")
    done = finished_runs(store)
    rows = []
    for config in plan.experiments():
        key = _identity(config.to_dict())
        if key not in done:
            data = data or load_data(config)
            on_event = progress(f"{config.method} s{config.seed}") if progress else None
            result, run = run_experiment(config, store, data, on_event)
            done[key] = _row(config.to_dict(), result.metrics, run.path)
        rows.append(done[key])
        _write_table(rows, folder)
    return pd.DataFrame(rows)


def _write_table(rows: list[dict], folder: Path) -> None:
    table = pd.DataFrame(rows)
    tmp = folder / "comparison.csv.tmp"
    table.to_csv(tmp, index=False)
    tmp.replace(folder / "comparison.csv")
