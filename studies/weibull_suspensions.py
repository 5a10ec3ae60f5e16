"""How well the ``weibull`` baseline's censored fit recovers FD001's whole-life fit, over draws.

    RUL_WORKBENCH_CMAPSS=... python studies/weibull_suspensions.py --seeds 40 \
        > docs/recipe/weibull_suspensions.json

For each seed, FD001's 100 training lives are suspended exactly as
``rulwb data export`` (``core.data.fleet_export.export_fleet``) does it: 40 %
of the engines, drawn with the seed, cut at a seeded 40-90 % of their own life.
Three fits are compared with the fit of the whole lives: the censored one (what
``weibull`` does), the suspensions taken as failures, and the suspensions
dropped. A fourth row draws Weibull lives (the whole-life fit's k and λ) and
suspends them the same way, to separate the censoring scheme from FD001's
lives not being quite Weibull. Prints JSON: per fit, the mean and the range over
seeds of the relative error of shape, scale and B10 (docs/methods.md#weibull).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from scipy import stats

from core.baseline.weibull import WeibullFit, fit_weibull
from core.data.cmapss import load_cmapss
from core.data.fleet import CYCLE, UNIT
from core.data.fleet_export import SUSPENDED_LIFE


def suspend(lives: np.ndarray, seed: int, share: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """``export_fleet``'s draws: which engines, and at which share of their life (cycles 1..L)."""
    rng = np.random.default_rng(seed)
    chosen = np.zeros(len(lives), bool)
    chosen[rng.choice(len(lives), round(share * len(lives)), replace=False)] = True
    shares = rng.uniform(*SUSPENDED_LIFE, len(lives))
    cut = np.maximum((lives * shares).astype(int), 1).astype(float)
    return np.where(chosen, cut, lives), chosen


def errors(fit: WeibullFit, whole: WeibullFit) -> list[float]:
    return [fit.shape / whole.shape - 1, fit.scale / whole.scale - 1, fit.b10 / whole.b10 - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40, help="draws (seeds 0..N-1)")
    args = parser.parse_args()
    train = load_cmapss("FD001").train
    lives = train.frame.groupby(UNIT, sort=False)[CYCLE].max().to_numpy(float)
    whole = fit_weibull(lives)
    rows: dict[str, list[list[float]]] = {
        "censored": [], "as_failures": [], "dropped": [], "weibull_lives_censored": []
    }  # fmt: skip
    for seed in range(args.seeds):
        seen, suspended = suspend(lives, seed)
        rows["censored"].append(errors(fit_weibull(seen[~suspended], seen[suspended]), whole))
        rows["as_failures"].append(errors(fit_weibull(seen), whole))
        rows["dropped"].append(errors(fit_weibull(seen[~suspended]), whole))
        rng = np.random.default_rng(10_000 + seed)
        drawn = np.ceil(stats.weibull_min.rvs(whole.shape, scale=whole.scale, size=100,
                                              random_state=rng))  # fmt: skip
        reference = fit_weibull(drawn)
        seen, suspended = suspend(drawn, seed)
        rows["weibull_lives_censored"].append(
            errors(fit_weibull(seen[~suspended], seen[suspended]), reference)
        )
    summary = {
        "whole_lives": {"shape": whole.shape, "scale": whole.scale, "b10": whole.b10},
        "seeds": args.seeds,
    }
    for name, values in rows.items():
        table = np.asarray(values)
        summary[name] = {
            figure: {
                "mean": round(float(table[:, i].mean()), 4),
                "min": round(float(table[:, i].min()), 4),
                "max": round(float(table[:, i].max()), 4),
                "within_10_percent": round(float(np.mean(np.abs(table[:, i]) < 0.10)), 3),
            }
            for i, figure in enumerate(("shape", "scale", "b10"))
        }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
