"""Several finished runs predicting one fleet together: a seed ensemble in service.

The runs of one method over several seeds disagree engine by engine; their
mean is more accurate than a typical member (the comparison reports both,
``core.evaluation.seed_ensembles``). Here the members each window the fleet with their own
saved preprocessing, predict, and the ensemble averages the RUL and the
health-state probabilities. Its interval is calibrated for the ensemble
itself: split-conformal on the members' mean validation predictions (each
member's ``trajectories.csv`` at its kept epoch), as a single run calibrates
its own (docs/intervals.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError
from core.data.fleet import Fleet
from core.evaluation.intervals import RulIntervals
from core.prediction.inference import FleetPrediction, FleetPredictor, fleet_tables
from core.runs import RunDir
from core.training.results import calibrate_from_trajectories

KEYS = ["split", "unit", "cycle"]


class FleetEnsemble:
    """The mean of several runs' predictions (one run: that run's own)."""

    def __init__(self, members: list[FleetPredictor], runs: list[Path]) -> None:
        if not members:
            raise WorkbenchError("an ensemble needs at least one run")
        windows = {m.pipeline.config.window for m in members}
        if len(windows) > 1:
            raise WorkbenchError(
                f"the runs use different windows ({sorted(windows)} cycles): an ensemble "
                "averages predictions of the same windows, so pick runs with one window length"
            )
        self.members = members
        self.runs = runs
        self.config = members[0].config
        coverage = self.config.train.interval_coverage
        single = len(members) == 1
        self.intervals = members[0].intervals if single else _ensemble_intervals(runs, coverage)

    @classmethod
    def from_runs(cls, runs: list[str | Path]) -> FleetEnsemble:
        paths = [Path(r) for r in runs]
        return cls([FleetPredictor.from_run(p) for p in paths], paths)

    def in_service_fleet(self) -> Fleet | None:
        return self.members[0].in_service_fleet()

    def predict(self, fleet: Fleet) -> FleetPrediction:
        """Every member on the fleet, averaged window by window."""
        first = self.members[0]
        windows = first.pipeline.windows(fleet)
        rul, probabilities = first.raw(windows)
        notes = dict(first.pipeline.unfamiliar(fleet))
        for member in self.members[1:]:
            theirs = member.pipeline.windows(fleet)
            if not np.array_equal(theirs.cycle, windows.cycle):
                reason = "the runs window this fleet differently; they cannot be averaged"
                raise WorkbenchError(reason)
            more_rul, more_probabilities = member.raw(theirs)
            rul, probabilities = rul + more_rul, probabilities + more_probabilities
            for unit, note in member.pipeline.unfamiliar(fleet).items():
                notes.setdefault(unit, note)
        n = len(self.members)
        health = first.pipeline.config.health
        mean_rul, mean_probabilities = rul / n, probabilities / n
        return fleet_tables(
            fleet, windows, mean_rul, mean_probabilities, self.intervals, notes, health
        )


def _ensemble_intervals(runs: list[Path], coverage: float) -> RulIntervals | None:
    """Split-conformal intervals on the members' mean validation predictions.

    None (no interval rather than a wrong one) when a member has no saved
    validation predictions or the members were validated on different windows.
    """
    tables = []
    for path in runs:
        run = RunDir(path)
        if not (run.path / "trajectories.csv").exists():
            return None
        table = run.read_trajectories()
        tables.append(table[table["split"] == "val"].set_index(KEYS).sort_index())
    if not tables or any(not t.index.equals(tables[0].index) for t in tables):
        return None
    mean = tables[0][["true_rul"]].copy()
    mean["pred_rul"] = np.mean([t["pred_rul"].to_numpy() for t in tables], axis=0)
    return calibrate_from_trajectories(pd.DataFrame(mean).reset_index(), coverage)
