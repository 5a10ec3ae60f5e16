"""Metrics against hand-computed values (docs/data.md#evaluation-and-metrics)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.evaluation.metrics import (
    evaluate,
    health_metrics,
    mae,
    majority_baseline,
    nasa_score,
    regression_metrics,
    rmse,
)


def test_rmse_and_mae_by_hand():
    true, pred = [10.0, 20.0, 30.0], [12.0, 20.0, 26.0]
    assert rmse(true, pred) == pytest.approx(math.sqrt((4 + 0 + 16) / 3))
    assert mae(true, pred) == pytest.approx(2.0)


def test_nasa_score_penalises_late_more_than_early():
    early = math.exp(10 / 13) - 1  # d = -10
    late = math.exp(10 / 10) - 1  # d = +10
    assert nasa_score([10.0], [0.0]) == pytest.approx(early)
    assert nasa_score([10.0], [20.0]) == pytest.approx(late)
    assert nasa_score([10.0, 10.0], [0.0, 20.0]) == pytest.approx(early + late)
    assert nasa_score([5.0], [5.0]) == 0.0
    assert late > early


def test_regression_metrics_headline_uses_capped_truth():
    true, pred = np.array([150.0, 50.0]), np.array([125.0, 50.0])
    result = regression_metrics(true, pred, cap=125)
    assert result["rmse"] == 0.0
    assert result["nasa_score"] == 0.0
    assert result["mae"] == 0.0
    assert result["rmse_uncapped"] == pytest.approx(math.sqrt(625 / 2))
    assert result["mae_uncapped"] == pytest.approx(12.5)
    assert result["nasa_score_uncapped"] == pytest.approx(math.exp(25 / 13) - 1)
    assert all(type(v) is float for v in result.values())


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_prediction_is_refused(bad):
    with pytest.raises(ValueError, match="not finite"):
        regression_metrics([1.0, 2.0], [1.0, bad], cap=125)


def test_length_mismatch_and_empty_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        rmse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="no values"):
        rmse([], [])


def test_health_metrics_by_hand_with_an_absent_class():
    # class 2 appears nowhere: its F1 counts as 0 and nothing warns
    result = health_metrics([0, 0, 1, 1], [0, 1, 1, 1])
    assert result["accuracy"] == pytest.approx(0.75)
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert result["confusion"] == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]


def test_health_metrics_class_predicted_but_never_true_does_not_warn():
    result = health_metrics([0, 0], [2, 0])
    assert result["confusion"] == [[1, 0, 1], [0, 0, 0], [0, 0, 0]]
    assert result["macro_f1"] == pytest.approx((2 / 3) / 3)


def test_health_labels_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"0\.\.2"):
        health_metrics([0, 3], [0, 1])


def test_evaluate_merges_and_is_json_ready():
    result = evaluate([100.0, 20.0], [90.0, 25.0], [0, 2], [0, 2], cap=125)
    assert set(result) >= {"rmse", "nasa_score", "mae", "rmse_uncapped", "accuracy", "macro_f1"}
    json.dumps(result, allow_nan=False)
    with pytest.raises(ValueError, match="predicted RUL"):
        evaluate([1.0], [math.nan], [0], [0], cap=125)


finite = st.floats(min_value=0, max_value=300, allow_nan=False)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=30))
def test_error_metrics_are_ordered_and_non_negative(pairs):
    true, pred = np.array(pairs).T
    assert rmse(true, pred) >= mae(true, pred) - 1e-9 >= -1e-9
    assert nasa_score(true, pred) >= 0.0


def test_the_majority_class_baseline_is_always_predicting_the_commonest_state():
    truth = [0, 0, 0, 0, 1, 1, 2, 0, 0, 1]  # "normal" six times in ten
    figures = majority_baseline(truth)
    assert figures["majority_accuracy"] == pytest.approx(0.6)
    # F1 of "normal" = 2 * 0.6 / 1.6 = 0.75; the other two classes score 0.
    assert figures["majority_macro_f1"] == pytest.approx(0.75 / 3)
