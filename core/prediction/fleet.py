"""What the fleet view asks of the engine: which engines, which run, and the answer.

Plain data and functions with no Qt, so the prediction can run on a
background thread and hand back one object to the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.common.errors import WorkbenchError
from core.comparisons.runner import experiment_key
from core.data.columns import ColumnMapping
from core.data.csv_source import ReadOptions, read_truth_csv
from core.data.fleet import Fleet
from core.data.sources import read_fleet
from core.evaluation.variants import variant_suffixes
from core.experiment.run import ExperimentConfig
from core.prediction import DUE_BELOW
from core.prediction.ensemble import FleetEnsemble
from core.prediction.inference import FleetPrediction
from core.runs import BEST_CHECKPOINT, RunInfo, RunStatus


def ranked_engines(
    engines: pd.DataFrame, rank_by: str = "pred_rul", due_below: float = DUE_BELOW
) -> pd.DataFrame:
    """Engines most urgent first by ``rank_by``; ``due`` where the lower bound < ``due_below``.

    The maintenance view's rule, in one place for the fleet view and ``rulwb
    predict``. A prediction without intervals (a run with neither intervals.json
    nor validation trajectories) has no bounds: no "due" column, ranked by the
    prediction.
    """
    shown = engines.copy()
    if "rul_lower" in shown:
        at = shown.columns.get_loc("rul_upper") + 1
        shown.insert(at, "due", shown["rul_lower"] < due_below)
    key = rank_by if rank_by in shown else "pred_rul"
    return shown.sort_values(key, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class InServiceData:
    """The engines to predict: the run's own in-service split, or an imported CSV.

    Attributes
    ----------
    csv_path
        An in-service CSV; ``None`` means the run's own in-service split.
    mapping
        Column roles of the CSV, as confirmed in the import dialog.
    truth_path
        True RUL of the CSV's engines, if known.
    per_cycle
        ``mean``/``last``: several records of one cycle become one (``None``: not allowed).

    ``csv_path`` may be a file, a folder of one file per engine, or a glob.
    """

    csv_path: Path | None = None
    mapping: ColumnMapping | None = None
    truth_path: Path | None = None
    per_cycle: str | None = None

    @property
    def label(self) -> str:
        if self.csv_path is None:
            return "engines in service of the run's data"
        truth = " with true RUL" if self.truth_path is not None else ""
        return f"imported {self.csv_path.name}{truth}"


@dataclass
class FleetResult:
    """A prediction and what it was made from (handed back from the background thread)."""

    runs: tuple[Path, ...]
    data: InServiceData
    predictor: FleetEnsemble
    prediction: FleetPrediction
    fleet_name: str

    @property
    def run_path(self) -> Path:
        """The (first) run the prediction came from."""
        return self.runs[0]


def in_service_fleet(predictor: FleetEnsemble, data: InServiceData) -> Fleet:
    """Read the engines to predict; every problem is a :class:`WorkbenchError`."""
    if data.csv_path is None:
        fleet = predictor.in_service_fleet()
        if fleet is None:
            raise WorkbenchError(
                "this run's data has no engines in service: import an in-service CSV"
            )
        return fleet
    time_unit = predictor.members[0].pipeline.time_unit
    options = ReadOptions(per_cycle=data.per_cycle, time_unit=time_unit)
    fleet = read_fleet(str(data.csv_path), data.mapping or ColumnMapping(), False, options)
    if data.truth_path is not None:
        fleet.truth_rul = read_truth_csv(data.truth_path, fleet)
    return fleet


def predict_fleet(
    runs: tuple[Path, ...], data: InServiceData, predictor: FleetEnsemble | None = None
) -> FleetResult:
    """Load the runs (unless ``predictor`` is them, loaded before) and predict the engines.

    Several runs predict together: their mean (a seed ensemble, core.prediction.ensemble).
    """
    predictor = predictor or FleetEnsemble.from_runs(list(runs))
    fleet = in_service_fleet(predictor, data)
    return FleetResult(runs, data, predictor, predictor.predict(fleet), fleet.name)


def seed_ensembles(runs: list[RunInfo]) -> list[tuple[str, tuple[Path, ...]]]:
    """Usable runs that differ only in their seed, grouped: (label, run folders), 2+ runs each.

    What a comparison trains for each method; predicting with the group
    averages its members (more accurate than a typical member).
    """
    groups: dict[str, list[RunInfo]] = {}
    for info in usable_runs(runs):
        try:  # read through the configuration: method settings resolved, unusable ones left out
            same = experiment_key(ExperimentConfig.from_dict(info.config or {}).with_(seed=0))
        except ValueError:
            continue
        groups.setdefault(same, []).append(info)
    kept = [members for members in groups.values() if len(members) >= 2]
    # Two ensembles of one method differ in some other setting: name it (" · epochs=12").
    suffixes = variant_suffixes([members[0].config for members in kept])
    ensembles = []
    for members, suffix in zip(kept, suffixes, strict=True):
        method = (members[0].config or {}).get("method", "run")
        seeds = sorted((m.config or {}).get("seed", 0) for m in members)
        label = (
            f"{method}{suffix} seed ensemble: {len(members)} runs "
            f"(seeds {', '.join(map(str, seeds))})"
        )
        ensembles.append((label, tuple(Path(m.path) for m in members)))
    return ensembles


def usable_runs(runs: list[RunInfo]) -> list[RunInfo]:
    """Finished, undamaged runs that saved a checkpoint: the ones that can predict."""
    return [
        info
        for info in runs
        if info.status == RunStatus.FINISHED
        and not info.damaged
        and (Path(info.path) / BEST_CHECKPOINT).exists()
    ]
