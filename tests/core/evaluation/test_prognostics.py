"""Prognostic metrics (α-λ, prognostic horizon, RA, CRA): by hand, edge cases, in every run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.comparisons.runner import ComparisonPlan, comparison_summary, run_comparison
from core.evaluation.prognostics import (
    KEYS,
    alpha_cone,
    engine_figures,
    horizon_bounds,
    per_engine,
    prognostic_metrics,
)
from core.runs import RunDir
from core.training.config import TrainConfig
from tests.helpers.experiments import SMALL_TREES, small_experiment

# One engine by hand: 10 prediction times, failure at t = 10, so r* = 10 - t (no cap reached).
TIME = list(range(1, 11))
TRUE = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
PRED = [12, 8, 9.5, 7, 5.5, 4.5, 4, 2, 2.5, 1]
# t_P = 1, so t_λ = t_P + λ (t_EoL - t_P) = 1 + 0.5 · 9 = 5.5: read at the next time, t = 6.
# α = 0.2. Cone (1 ± α) r*:       in?   PH bounds r* ± α·EoL = r* ± 2:  in?
# t=1  r*=9  r=12   [7.2, 10.8]   no    [7, 11]                          no
# t=2  r*=8  r=8    [6.4,  9.6]   yes   [6, 10]                          yes
# t=3  r*=7  r=9.5  [5.6,  8.4]   no    [5,  9]                          no  <- last time outside
# t=4  r*=6  r=7    [4.8,  7.2]   yes   [4,  8]                          yes
# t=5  r*=5  r=5.5  [4.0,  6.0]   yes   [3,  7]                          yes
# t=6  r*=4  r=4.5  [3.2,  4.8]   yes   [2,  6]                          yes <- t_λ (5.5 → 6)
# t=7  r*=3  r=4    [2.4,  3.6]   no    [1,  5]                          yes
# t=8  r*=2  r=2    [1.6,  2.4]   yes   [0,  4]                          yes
# t=9  r*=1  r=2.5  [0.8,  1.2]   no    [-1, 3]                          yes
# t=10 r*=0  r=1    (r* = 0: left out of the cone and RA)   [-2, 2]     yes
RA = [1 - 3 / 9, 1, 1 - 2.5 / 7, 1 - 1 / 6, 1 - 0.5 / 5, 1 - 0.5 / 4, 1 - 1 / 3, 1, 1 - 1.5 / 1]


def test_one_engine_by_hand():
    figures = engine_figures(TIME, TRUE, PRED, eol=10)
    assert figures["alpha_lambda"] == 1.0  # t = 6: 4.5 in [3.2, 4.8]
    assert figures["alpha_lambda_fraction"] == pytest.approx(5 / 9)  # t = 2, 4, 5, 6, 8
    assert figures["relative_accuracy"] == pytest.approx(0.875)  # 1 - 0.5 / 4
    assert figures["cumulative_relative_accuracy"] == pytest.approx(sum(RA) / 9)
    assert figures["cumulative_relative_accuracy"] == pytest.approx(0.676058, abs=1e-6)
    # within from t = 4 on: PH = 10 - 4; the span predicted is 10 - 1
    assert figures["prognostic_horizon"] == 6.0
    assert figures["prognostic_horizon_share"] == pytest.approx(6 / 9)


def test_the_horizon_from_the_first_entry_is_saxenas_variant():
    figures = engine_figures(TIME, TRUE, PRED, eol=10, stay=False)
    assert figures["prognostic_horizon"] == 8.0  # first within at t = 2


def test_lambda_and_alpha_move_the_point_and_the_cone():
    # λ = 0: t_λ = t_P = 1, where 12 is outside [7.2, 10.8]; RA = 1 - 3/9
    early = engine_figures(TIME, TRUE, PRED, eol=10, lam=0.0)
    assert early["alpha_lambda"] == 0.0
    assert early["relative_accuracy"] == pytest.approx(2 / 3)
    # α = 0.4 widens the cone at t = 1 to [5.4, 12.6] and the PH bounds to r* ± 4: all within
    wide = engine_figures(TIME, TRUE, PRED, eol=10, alpha=0.4, lam=0.0)
    assert wide["alpha_lambda"] == 1.0
    assert wide["prognostic_horizon"] == 9.0


def test_the_order_of_the_rows_does_not_matter():
    order = [3, 0, 9, 5, 1, 8, 2, 7, 4, 6]
    shuffled = engine_figures(*([s[i] for i in order] for s in (TIME, TRUE, PRED)), eol=10)
    assert shuffled == pytest.approx(engine_figures(TIME, TRUE, PRED, eol=10))


def test_an_engine_never_within_bounds_has_no_horizon():
    figures = engine_figures(TIME, TRUE, [50.0] * 10, eol=10)
    assert figures["prognostic_horizon"] == 0.0
    assert figures["prognostic_horizon_share"] == 0.0
    assert figures["alpha_lambda"] == 0.0
    assert figures["alpha_lambda_fraction"] == 0.0


def test_an_engine_that_leaves_the_bounds_at_the_end_has_no_horizon():
    pred = [*TRUE[:-1], 5.0]  # exact until failure, then 5 outside 0 ± 2
    assert engine_figures(TIME, TRUE, pred, eol=10)["prognostic_horizon"] == 0.0


def test_true_rul_zero_is_left_out_of_cone_and_relative_accuracy():
    # only the window at failure: r* = 0 makes RA undefined and the cone a point
    figures = engine_figures([10], [0], [0.5], eol=10)
    for key in ("alpha_lambda", "alpha_lambda_fraction", "relative_accuracy",
                "cumulative_relative_accuracy"):  # fmt: skip
        assert math.isnan(figures[key]), key
    assert figures["prognostic_horizon"] == 0.0  # within 0 ± 2 at t = EoL: no time left
    assert math.isnan(figures["prognostic_horizon_share"])  # nothing was predicted ahead
    # and a wrong last window does not change the CRA of the others
    changed = engine_figures(TIME, TRUE, [*PRED[:-1], 100.0], eol=10)
    assert changed["cumulative_relative_accuracy"] == pytest.approx(sum(RA) / 9)


def test_a_test_engine_cut_before_failure_is_scored_on_what_exists():
    # cycles 1..4 of an engine failing at 10: t_λ = 5.5 is beyond its record
    truth = [9, 8, 7, 6]
    table = pd.DataFrame({"unit": 7, "cycle": [1, 2, 3, 4], "true_rul": truth,
                          "true_rul_uncapped": truth, "pred_rul": [9, 8, 7, 6.5]})  # fmt: skip
    row = per_engine(table).iloc[0]
    assert row["eol"] == 10.0  # last cycle + truth
    assert math.isnan(row["alpha_lambda"]) and math.isnan(row["relative_accuracy"])
    assert row["alpha_lambda_fraction"] == 1.0  # 6.5 in [4.8, 7.2]
    assert row["prognostic_horizon"] == 9.0  # within from t = 1: 10 - 1
    figures = prognostic_metrics(table)
    assert figures["prognostic_engines"] == 1 and figures["alpha_lambda_engines"] == 0
    assert math.isnan(figures["alpha_lambda"])


def test_metrics_use_the_capped_truth_and_the_uncapped_end_of_life():
    capped = [min(r, 4.5) for r in TRUE]  # 4.5 for t = 1..5, then 4, 3, 2, 1, 0
    table = pd.DataFrame({"unit": "a", "cycle": TIME, "true_rul": capped,
                          "true_rul_uncapped": TRUE, "pred_rul": capped})  # fmt: skip
    perfect = per_engine(table).iloc[0]
    assert perfect["eol"] == 10.0
    assert perfect["alpha_lambda_fraction"] == 1.0
    assert perfect["cumulative_relative_accuracy"] == 1.0
    assert perfect["prognostic_horizon"] == 9.0
    # predicting the uncapped RUL is wrong where the cap holds: 9, 8, 7, 6 against 4.5
    uncapped = per_engine(table.assign(pred_rul=TRUE)).iloc[0]
    assert uncapped["alpha_lambda_fraction"] == pytest.approx(5 / 9)  # t = 5 (in [3.6, 5.4])..9
    assert uncapped["prognostic_horizon"] == 6.0  # 7 > 4.5 + 2 at t = 3, within from t = 4
    assert uncapped["relative_accuracy"] == 1.0  # t_λ = 6: r* = 4 under the cap


def test_split_figures_are_means_over_engines():
    one = pd.DataFrame({"unit": "a", "cycle": TIME, "true_rul": TRUE,
                        "true_rul_uncapped": TRUE, "pred_rul": PRED})  # fmt: skip
    far = one.assign(unit="b", pred_rul=50.0)
    unknown = one.assign(unit="c", true_rul=np.nan, true_rul_uncapped=np.nan)  # no truth
    figures = prognostic_metrics(pd.concat([one, far, unknown]), prefix="val_")
    assert set(figures) == {f"val_{k}" for k in KEYS} | {
        "val_prognostic_engines", "val_alpha_lambda_engines"}  # fmt: skip
    assert figures["val_prognostic_engines"] == 2
    assert figures["val_alpha_lambda"] == 0.5  # a in the cone at t_λ, b not
    assert figures["val_prognostic_horizon"] == 3.0  # (6 + 0) / 2
    assert figures["val_relative_accuracy"] == pytest.approx((0.875 + (1 - 46 / 4)) / 2)


def test_cone_and_bounds():
    lower, upper = alpha_cone([10.0, 0.0], alpha=0.2)
    assert lower.tolist() == [8.0, 0.0] and upper.tolist() == [12.0, 0.0]
    low, high = horizon_bounds([10.0, 0.0], eol=200.0, alpha=0.05)
    assert low.tolist() == [0.0, -10.0] and high.tolist() == [20.0, 10.0]


@pytest.mark.parametrize(
    ("change", "message"),
    [({"lam": 1.0}, "λ must be in"), ({"alpha": 0.0}, "α must be"), ({"alpha": 1.5}, "α must be"),
     ({"pred_rul": PRED[:-1]}, "as many times"), ({"pred_rul": [*PRED[:-1], math.nan]},
     "non-finite"), ({"eol": math.inf}, "end of life")],
    ids=["lambda_one", "alpha_zero", "alpha_above_one", "lengths", "nan", "eol_infinite"],
)  # fmt: skip
def test_bad_input_is_refused_with_a_reason(change, message):
    arguments = {"time": TIME, "true_rul": TRUE, "pred_rul": PRED, "eol": 10, **change}
    with pytest.raises(ValueError, match=message):
        engine_figures(**arguments)


# one thread: gbm's OpenMP threads would otherwise spin against other work on a shared machine
QUICK = TrainConfig(
    epochs=2, batch_size=512, probe_every=0, trajectories=False, device="cpu", threads=1
)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, small_data):
    """fixed and the gbm baseline, two seeds each, on the small demo fleet."""
    folder = tmp_path_factory.mktemp("prognostic_comparison")
    plan = ComparisonPlan(
        small_experiment(train=QUICK), ["fixed", "gbm"], [0, 1], params={"gbm": SMALL_TREES}
    )
    table = run_comparison(plan, folder, data=small_data)
    return folder, table


@pytest.mark.slow
def test_every_run_records_validation_and_test_prognostic_figures(comparison):
    _, table = comparison
    assert len(table) == 4
    for run_dir in table["run_dir"]:
        run = RunDir(run_dir)
        metrics = run.read_metrics()
        assert metrics is not None
        for key in KEYS:
            assert key in metrics and f"val_{key}" in metrics, key
            assert math.isfinite(metrics[f"val_{key}"]), key
        # the figures are those of the run's own trajectories.csv
        trajectories = run.read_trajectories()
        for split, prefix in (("test", ""), ("val", "val_")):
            again = prognostic_metrics(trajectories[trajectories["split"] == split], prefix)
            for key, value in again.items():
                if math.isnan(value):
                    assert metrics[key] is None, key  # NaN is written as null
                else:
                    assert metrics[key] == pytest.approx(value), key


def test_the_comparison_summarises_and_pairs_the_prognostic_figures(comparison):
    folder, table = comparison
    csv = pd.read_csv(folder / "comparison.csv")
    for key in ("alpha_lambda", "prognostic_horizon", "val_cumulative_relative_accuracy"):
        assert key in csv.columns
    summary = comparison_summary(table, cap=125.0).set_index("method")
    for key in ("val_alpha_lambda", "val_prognostic_horizon", "val_cumulative_relative_accuracy"):
        values = table.groupby("method")[key].mean()
        assert summary.loc["gbm", f"{key}_mean"] == pytest.approx(values["gbm"])
        # higher is better, and the difference is method - baseline, like every figure
        diff = table[table["method"] == "gbm"].set_index("seed")[key]
        diff = diff - table[table["method"] == "fixed"].set_index("seed")[key]
        assert summary.loc["gbm", f"{key}_diff"] == pytest.approx(diff.mean())
        assert summary.loc["gbm", f"{key}_diff_low"] <= diff.mean()
        assert summary.loc["gbm", f"{key}_diff_high"] >= diff.mean()
        assert summary.loc["gbm", f"{key}_wilcoxon_n"] == 2
