"""A ``weibull`` run: fit on the training units' lives, predict by age, write the run folder.

The files are a network run's (``metrics.json``, ``predictions.csv``,
``trajectories.csv``, ``intervals.json``, written by
:func:`core.training.results.record_results`) plus ``weibull.json`` (the fit
and the lives it was fitted to, which the report's probability plot is drawn
from). The RUL intervals are the Weibull's own conditional quantiles of
``T - t`` given ``T > t``, not split-conformal ones: the bounds in
``predictions.csv`` and ``trajectories.csv``, the interval figures in
``metrics.json`` and ``intervals.json`` are replaced by them after
``record_results`` has written its files, so every other figure and file stays
exactly what a network run would have.
"""

from __future__ import annotations

import json

import numpy as np

from core.baseline.weibull import WeibullFit, fit_weibull, training_lives
from core.data.prepare import PreparedData
from core.data.windows import WindowSet
from core.evaluation.intervals import empirical
from core.runs import RunDir
from core.runs.atomic import atomic_write_text
from core.training.results import INTERVALS, has_truth, record_results

#: The run folder's Weibull fit (:meth:`core.baseline.weibull.WeibullFit.to_dict`).
FIT_FILE = "weibull.json"
#: Most bins of predicted RUL ``intervals.json`` tabulates the Weibull bounds in.
MAX_BINS = 500
Bounds = tuple[np.ndarray, np.ndarray]


def fit_and_evaluate_weibull(
    data: PreparedData, select_on: str, run: RunDir | None, coverage: float
) -> tuple[dict, str]:
    """Fit, predict every validation and test window, record; the metrics and the run's detail."""
    failures, suspensions = training_lives(data.train, data.suspended)
    fit = fit_weibull(failures, suspensions)
    cap = data.config.rul_cap
    val = predict(fit, data, data.val)
    test = None if data.test is None else predict(fit, data, data.test)
    metrics = record_results(data, select_on, val, test, run, coverage)
    val_bounds = interval_bounds(fit, data.val.cycle, cap, coverage)
    test_bounds = (
        None if data.test is None else interval_bounds(fit, data.test.cycle, cap, coverage)
    )
    metrics.update(_interval_figures(data, test_bounds))
    metrics.update(
        weibull_shape=fit.shape,
        weibull_scale=fit.scale,
        b10_life=fit.b10,
        failures=fit.failures,
        suspensions=fit.suspensions,
    )
    if run is not None:
        _replace_bounds(run, data, val_bounds, test_bounds)
        ages = np.r_[data.val.cycle, [] if data.test is None else data.test.cycle]
        table = intervals_table(fit, ages, cap, coverage)
        atomic_write_text(run.path / INTERVALS, json.dumps(table, indent=2))
        saved = {**fit.to_dict(), "time_unit": data.time_unit, "library": _library()}
        atomic_write_text(run.path / FIT_FILE, json.dumps(saved, indent=2))
    return metrics, describe(fit, data, coverage)


def predict(
    fit: WeibullFit, data: PreparedData, windows: WindowSet
) -> tuple[np.ndarray, np.ndarray]:
    """Capped mean residual life and health-state log-probabilities at each window's age."""
    cap, health = data.config.rul_cap, data.config.health
    age = np.asarray(windows.cycle, dtype=np.float64)
    rul = np.minimum(fit.mean_residual_life(age), cap).astype(np.float32)
    probabilities = fit.state_probabilities(age, health.degrading, health.critical, cap)
    logits = np.log(np.clip(probabilities, 1e-300, None)).astype(np.float32)
    return rul, logits


def interval_bounds(fit: WeibullFit, age: np.ndarray, cap: float, coverage: float) -> Bounds:
    """The conditional ``(1 - coverage) / 2`` and ``(1 + coverage) / 2`` quantiles, capped."""
    tail = (1.0 - coverage) / 2.0
    age = np.asarray(age, dtype=np.float64)
    lower = np.minimum(fit.residual_quantile(age, tail), cap)
    return lower, np.minimum(fit.residual_quantile(age, 1.0 - tail), cap)


def intervals_table(fit: WeibullFit, ages: np.ndarray, cap: float, coverage: float) -> dict:
    """``intervals.json`` in the RulIntervals format (core.evaluation.intervals), from the Weibull.

    The bounds depend on the age, not on the prediction, so they are tabulated
    as offsets by predicted RUL over the ages predicted: exact for every
    prediction below the cap (one age each while the mean residual life is
    monotone), the widest of the ages at the cap (and over each bin when there
    are more than :data:`MAX_BINS` distinct predictions). The fit itself is
    saved beside the table.
    """
    ages = np.unique(np.asarray(ages, dtype=np.float64))
    pred = np.minimum(fit.mean_residual_life(ages), cap).astype(np.float32).astype(np.float64)
    lower, upper = interval_bounds(fit, ages, cap, coverage)
    values, inverse = np.unique(pred, return_inverse=True)
    n = min(len(values), MAX_BINS)
    group = np.arange(len(values)) * n // len(values)  # consecutive predictions share a bin
    low, high = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(low, group[inverse], lower - pred)
    np.maximum.at(high, group[inverse], upper - pred)
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])[1:]
    edges = (values[first - 1] + values[first]) / 2.0
    tail = (1.0 - coverage) / 2.0
    return {
        "coverage": coverage,
        "edges": edges.tolist(),
        "low": low.tolist(),
        "high": high.tolist(),
        "method": (
            f"Weibull conditional quantiles of T - t given T > t ({tail:g} and {1 - tail:g}), "
            "tabulated by predicted RUL"
        ),
        "weibull": {"shape": fit.shape, "scale": fit.scale, "quantiles": [tail, 1.0 - tail]},
    }


def describe(fit: WeibullFit, data: PreparedData, coverage: float) -> str:
    """The run's detail: what was fitted to what, and what the intervals are."""
    unit = data.time_unit
    suspended = (
        f", {fit.suspensions} suspended (right-censored at their removal)"
        if fit.suspensions
        else ""
    )
    return (
        f"fitted a 2-parameter Weibull (scipy) to the lives of the "
        f"{fit.failures + fit.suspensions} training units ({fit.failures} failed{suspended}; "
        "validation units not in the fit): "
        f"shape k = {fit.shape:.3g}, scale λ = {fit.scale:.4g} {unit}, "
        f"B10 = {fit.b10:.4g} {unit}; predicts the mean residual life at each unit's age, "
        f"no sensors, no epochs; RUL intervals are the Weibull's conditional "
        f"{100 * coverage:g} % quantiles, not split-conformal"
    )


def _interval_figures(data: PreparedData, test: Bounds | None) -> dict:
    """Empirical coverage and width of the Weibull intervals on the test units' last windows."""
    if test is None or data.test is None or data.test_last is None:
        return {}
    last = data.test.last_of_each_unit()
    lower, upper = test[0][last], test[1][last]
    truth = data.test_last.rul
    if has_truth(truth):
        return empirical(lower, upper, truth)
    return {"interval_width": float(np.mean(upper - lower))}


def _replace_bounds(run: RunDir, data: PreparedData, val: Bounds, test: Bounds | None) -> None:
    """Put the Weibull bounds in the tables ``record_results`` wrote (same rows, same order)."""
    trajectories = run.read_trajectories()
    cycles = np.r_[data.val.cycle, [] if data.test is None else data.test.cycle]
    lower = np.r_[val[0], [] if test is None else test[0]]
    upper = np.r_[val[1], [] if test is None else test[1]]
    _check_rows(trajectories["cycle"].to_numpy(), cycles, run, "trajectories.csv")
    trajectories["rul_lower"], trajectories["rul_upper"] = lower, upper
    run.write_trajectories(trajectories)
    if test is None or data.test is None or not (run.path / "predictions.csv").exists():
        return
    engines = run.read_predictions()
    last = data.test.last_of_each_unit()
    _check_rows(engines["last_cycle"].to_numpy(), data.test.cycle[last], run, "predictions.csv")
    engines["rul_lower"], engines["rul_upper"] = test[0][last], test[1][last]
    run.write_predictions(engines)


def _check_rows(written: np.ndarray, expected: np.ndarray, run: RunDir, name: str) -> None:
    if len(written) != len(expected) or not np.allclose(written, expected):
        raise RuntimeError(f"{run.path / name}: its rows are not the windows predicted")


def _library() -> str:
    import scipy

    return f"scipy {scipy.__version__}: weibull_min.fit(CensoredData.right_censored, floc=0)"
