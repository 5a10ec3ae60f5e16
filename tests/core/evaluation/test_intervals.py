"""Calibrated RUL intervals: conformal offsets from validation residuals, by predicted RUL."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.evaluation.intervals import RulIntervals, calibrate, empirical
from core.experiment.run import run_experiment
from core.runs import RunStore
from tests.helpers.experiments import small_experiment


def heteroscedastic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Predictions 0-125 whose errors grow with the prediction (as RUL errors do)."""
    rng = np.random.default_rng(seed)
    pred = rng.uniform(0, 125, n)
    return pred, pred + rng.normal(0, 2 + 0.15 * pred)


def test_intervals_cover_new_draws_at_the_nominal_rate_in_every_range_of_rul():
    intervals = calibrate(*heteroscedastic(5000, 0), coverage=0.9)
    pred, true = heteroscedastic(20000, 1)
    lower, upper = intervals.bounds(pred)
    assert empirical(lower, upper, true)["interval_coverage"] == pytest.approx(0.9, abs=0.015)
    near, far = pred < 25, pred > 100
    inside = (true >= lower) & (true <= upper)
    assert inside[near].mean() > 0.85 and inside[far].mean() > 0.85, (
        "conditional, not only marginal"
    )
    assert (upper - lower)[far].mean() > 2 * (upper - lower)[near].mean(), "wider far from failure"


def test_bounds_never_go_below_zero_and_round_trip_through_json():
    intervals = calibrate(*heteroscedastic(300, 2), coverage=0.8)
    lower, upper = intervals.bounds(np.array([0.0, 60.0, 124.0]))
    assert (lower >= 0).all() and (upper > lower).all()
    again = RulIntervals.from_dict(json.loads(json.dumps(intervals.to_dict())))
    assert again == intervals
    with pytest.raises(ValueError, match="between 0 and 1"):
        calibrate(np.ones(10), np.ones(10), coverage=1.0)


def test_tied_predictions_leave_no_bin_empty():
    """Many predictions at the cap (an age-only model's young units) repeat a quantile."""
    rng = np.random.default_rng(0)
    pred = np.r_[np.full(200, 125.0), np.linspace(0.0, 100.0, 40)]
    intervals = calibrate(pred, pred + rng.normal(0, 5, len(pred)))
    assert intervals.edges == (125.0,) and len(intervals.low) == 2
    lower, upper = intervals.bounds(pred)
    assert np.isfinite(lower).all() and (upper >= lower).all()


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fixed", "gbm"])
def test_a_run_writes_its_intervals_and_reports_their_test_coverage(method, small_data, tmp_path):
    result, run = run_experiment(small_experiment(method=method), RunStore(tmp_path), small_data)
    assert run is not None
    engines = run.read_predictions()
    # A biased model's interval may not contain its own prediction: it is corrected by the
    # validation residuals (two tiny epochs predict far too low here).
    assert (engines["rul_lower"] >= 0).all() and (engines["rul_lower"] < engines["rul_upper"]).all()
    metrics = result.metrics
    assert metrics["interval_nominal"] == 0.9 and 0 <= metrics["interval_coverage"] <= 1
    inside = (engines["true_rul"] >= engines["rul_lower"]) & (
        engines["true_rul"] <= engines["rul_upper"]
    )
    assert metrics["interval_coverage"] == pytest.approx(inside.mean())
    saved = RulIntervals.from_dict(json.loads((run.path / "intervals.json").read_text()))
    assert saved.coverage == 0.9
    trajectories = run.read_trajectories()
    assert {"rul_lower", "rul_upper"} <= set(trajectories.columns)
