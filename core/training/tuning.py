"""``fixed_tuned``: constant task weights chosen on validation units before the run trains.

One short run per value of :data:`core.methods.fixed.TUNING_GRID` (the run's
seed, data and settings, ``tune_epochs`` epochs, no folder of its own) is
scored by the run's selection criterion on validation units -- the best
epoch's score, as the run itself would keep it -- and the value with the
lowest score wins (ties: the value nearer 0.5, the book's). The test split is
never read. The grid, every score and the choice are written to the run's
``tuning.json``, so a resumed run reuses the choice instead of tuning again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.methods.fixed import TUNING_GRID
from core.runs import RunDir
from core.runs.atomic import atomic_write_json

FILE = "tuning.json"


@dataclass(frozen=True)
class Tuning:
    """What the grid gave: every tried lambda_rul's best validation score, and the choice.

    ``seconds`` is the grid's wall time (None in a file written before it was
    recorded): part of what the run cost, so its ``metrics.json`` counts it.
    """

    criterion: str
    epochs: int
    scores: dict[float, float]
    seconds: float | None = None

    @property
    def lambda_rul(self) -> float:
        return min(self.scores, key=lambda v: (self.scores[v], round(abs(v - 0.5), 9)))

    def to_dict(self) -> dict:
        return {
            "method": "fixed_tuned",
            "criterion": self.criterion,
            "epochs_per_value": self.epochs,
            "grid": [{"lambda_rul": v, "best_score": s} for v, s in self.scores.items()],
            **fixed_lambdas(self.lambda_rul),
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Tuning:
        scores = {float(row["lambda_rul"]): float(row["best_score"]) for row in data["grid"]}
        seconds = data.get("seconds")
        return cls(
            str(data["criterion"]), int(data["epochs_per_value"]), scores,
            None if seconds is None else float(seconds),
        )  # fmt: skip


def fixed_lambdas(lambda_rul: float) -> dict[str, float]:
    """``fixed``'s settings for this RUL weight: the two weights sum to 1."""
    return {"lambda_rul": lambda_rul, "lambda_health": round(1.0 - lambda_rul, 12)}


def tune_epochs(requested: int, run_epochs: int) -> int:
    """Epochs of each tuning run: as requested, else a third of the run's (at least 1)."""
    return requested if requested > 0 else max(1, run_epochs // 3)


def tune(
    short_run: Callable[[float], float],
    criterion: str,
    epochs: int,
    grid: tuple[float, ...] = TUNING_GRID,
) -> Tuning:
    """Score every lambda_rul of ``grid`` with ``short_run`` (its best validation score)."""
    started = time.perf_counter()
    scores = {value: short_run(value) for value in grid}
    return Tuning(criterion, epochs, scores, time.perf_counter() - started)


def saved_tuning(run: RunDir | None) -> Tuning | None:
    """The choice a run already made (it is being resumed), if any."""
    if run is None or not (run.path / FILE).exists():
        return None
    return Tuning.from_dict(json.loads((run.path / FILE).read_text()))


def save_tuning(run: RunDir | None, tuning: Tuning) -> None:
    if run is not None:
        atomic_write_json(run.path / FILE, tuning.to_dict())
