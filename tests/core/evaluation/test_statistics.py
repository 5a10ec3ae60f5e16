"""Statistics across runs, checked against known values and scipy directly."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_rel, wilcoxon

from core.evaluation.statistics import (
    MIN_PAIRS,
    holm,
    paired_difference,
    summarise,
    summary_to_json,
)

BASE = [10.0, 11.0, 12.0, 9.0, 10.5, 11.5, 10.2]
GABA = [9.0, 10.2, 11.9, 8.1, 10.6, 10.0, 9.9]


def runs_table(methods: dict[str, list[float]], seeds: dict[str, list[int]] | None = None):
    rows = []
    for method, values in methods.items():
        method_seeds = seeds[method] if seeds else range(len(values))
        for seed, value in zip(method_seeds, values, strict=True):
            rows.append({"method": method, "seed": seed, "rmse": value, "note": "x"})
    return pd.DataFrame(rows)


def row(summary: pd.DataFrame, method: str) -> pd.Series:
    return summary.set_index("method").loc[method]


def test_mean_and_sample_std_by_hand():
    summary = summarise(runs_table({"fixed": [1.0, 2.0, 3.0], "gaba": [4.0]}))
    assert list(summary["method"]) == ["fixed", "gaba"]
    assert row(summary, "fixed")["n"] == 3
    assert row(summary, "fixed")["rmse_mean"] == pytest.approx(2.0)
    assert row(summary, "fixed")["rmse_std"] == pytest.approx(1.0)
    assert math.isnan(row(summary, "gaba")["rmse_std"])


def test_default_metrics_are_numeric_columns_except_seed():
    summary = summarise(runs_table({"fixed": [1.0, 2.0]}))
    assert summary.attrs["metrics"] == ["rmse"]
    assert "seed_mean" not in summary.columns and "note_mean" not in summary.columns


def test_wilcoxon_matches_scipy_with_seven_seeds():
    summary = summarise(runs_table({"fixed": BASE, "gaba": GABA}))
    expected = wilcoxon(GABA, BASE, alternative="two-sided").pvalue
    assert row(summary, "gaba")["rmse_wilcoxon_p"] == pytest.approx(expected)
    assert row(summary, "gaba")["rmse_wilcoxon_n"] == 7
    assert row(summary, "gaba")["wilcoxon_note"] == ""
    assert math.isnan(row(summary, "fixed")["rmse_wilcoxon_p"])
    assert row(summary, "fixed")["wilcoxon_note"] == "baseline"


def test_unequal_seed_sets_pair_on_the_intersection():
    seeds = {"fixed": [0, 1, 2, 3, 4, 5, 6], "gaba": [1, 2, 3, 4, 5, 6, 9]}
    summary = summarise(runs_table({"fixed": BASE, "gaba": GABA}, seeds))
    expected = wilcoxon(GABA[:6], BASE[1:], alternative="two-sided").pvalue
    assert row(summary, "gaba")["rmse_wilcoxon_n"] == 6
    assert row(summary, "gaba")["rmse_wilcoxon_p"] == pytest.approx(expected)
    assert summary.attrs["paired_seeds"]["gaba"] == [1, 2, 3, 4, 5, 6]


def test_the_wilcoxon_test_runs_only_where_it_can_reach_five_percent():
    """Its smallest two-sided p is 2 / 2**n: above 0.05 with 5 pairs, below with 6."""
    assert 2 / 2**5 > 0.05 > 2 / 2**MIN_PAIRS
    better = [b - 1.0 for b in BASE]  # every seed better: the smallest p there is
    five = summarise(runs_table({"fixed": BASE[:5], "gaba": better[:5]}))
    assert math.isnan(row(five, "gaba")["rmse_wilcoxon_p"])
    assert f"at least {MIN_PAIRS} pairs" in row(five, "gaba")["wilcoxon_note"]
    six = summarise(runs_table({"fixed": BASE[:6], "gaba": better[:6]}))
    assert row(six, "gaba")["rmse_wilcoxon_p"] == pytest.approx(2 / 2**6)


def test_paired_difference_interval_matches_scipy_t_interval():
    """Three seeds: no test, but the mean difference and its 95 % interval are there."""
    summary = summarise(runs_table({"fixed": BASE[:3], "gaba": GABA[:3]}))
    expected = ttest_rel(GABA[:3], BASE[:3]).confidence_interval(0.95)
    gaba = row(summary, "gaba")
    assert gaba["rmse_diff"] == pytest.approx(np.mean(np.subtract(GABA[:3], BASE[:3])))
    assert gaba["rmse_diff_low"] == pytest.approx(expected.low)
    assert gaba["rmse_diff_high"] == pytest.approx(expected.high)
    assert math.isnan(gaba["rmse_wilcoxon_p"])
    assert "95 % interval only" in gaba["wilcoxon_note"]


def test_paired_difference_of_one_pair_has_no_interval():
    mean, low, high = paired_difference([2.0], [1.5])
    assert mean == pytest.approx(0.5) and math.isnan(low) and math.isnan(high)


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04 times 3, 2, 1 -> 0.03, 0.04, 0.04 (kept non-decreasing)
    assert holm([0.04, 0.01, math.nan, 0.02]) == pytest.approx(
        [0.04, 0.03, math.nan, 0.04], nan_ok=True
    )
    assert holm([0.6, 0.5]) == pytest.approx([1.0, 1.0])


def test_summary_adjusts_p_values_across_methods():
    table = runs_table({"fixed": BASE, "gaba": GABA, "grace": [b - 0.5 for b in BASE]})
    summary = summarise(table)
    raw = [row(summary, m)["rmse_wilcoxon_p"] for m in ("gaba", "grace")]
    adjusted = [row(summary, m)["rmse_wilcoxon_p_holm"] for m in ("gaba", "grace")]
    assert adjusted == pytest.approx(holm(raw))
    assert all(a >= r for a, r in zip(adjusted, raw, strict=True))


def test_missing_values_reduce_the_pairs_of_that_metric_only():
    table = runs_table({"fixed": BASE, "gaba": GABA})
    table["mae"] = table["rmse"] / 2
    table.loc[(table["method"] == "gaba") & (table["seed"] < 2), "mae"] = np.nan
    summary = summarise(table, metrics=["rmse", "mae"])
    assert row(summary, "gaba")["rmse_wilcoxon_n"] == 7
    assert row(summary, "gaba")["mae_wilcoxon_n"] == 5
    assert math.isnan(row(summary, "gaba")["mae_wilcoxon_p"])
    assert "some metrics untested" in row(summary, "gaba")["wilcoxon_note"]


def test_baseline_absent_gives_nan_and_a_reason():
    summary = summarise(runs_table({"gaba": GABA, "grace": BASE}), baseline="fixed")
    assert summary["rmse_wilcoxon_p"].isna().all()
    assert "'fixed' is not among the runs" in row(summary, "gaba")["wilcoxon_note"]
    assert math.isnan(row(summary, "gaba")["rmse_diff"])


def test_identical_methods_give_p_one_without_warning():
    summary = summarise(runs_table({"fixed": BASE, "copy": BASE}))
    assert row(summary, "copy")["rmse_wilcoxon_p"] == 1.0


def test_baseline_comes_first_and_can_be_chosen():
    summary = summarise(runs_table({"gaba": GABA, "fixed": BASE}), baseline="fixed")
    assert list(summary["method"]) == ["fixed", "gaba"]
    other = summarise(runs_table({"gaba": GABA, "fixed": BASE}), baseline="gaba")
    assert row(other, "fixed")["rmse_wilcoxon_p"] == pytest.approx(wilcoxon(BASE, GABA).pvalue)


def test_bad_tables_are_refused_clearly():
    with pytest.raises(ValueError, match="seed"):
        summarise(pd.DataFrame({"method": ["a"], "rmse": [1.0]}))
    with pytest.raises(ValueError, match="nasa"):
        summarise(runs_table({"fixed": BASE}), metrics=["nasa"])


def test_summary_to_json_is_strict_json():
    summary = summarise(runs_table({"fixed": BASE, "gaba": GABA[:1]}))
    data = summary_to_json(summary)
    text = json.dumps(data, allow_nan=False)
    assert data["baseline"] == "fixed"
    assert data["metrics"] == ["rmse"]
    assert data["p_adjustment"] == "holm" and data["wilcoxon_min_pairs"] == MIN_PAIRS
    assert data["paired_seeds"]["gaba"] == [0]
    gaba = data["methods"][1]
    assert gaba["method"] == "gaba" and gaba["rmse_std"] is None
    assert isinstance(gaba["n"], int)
    assert json.loads(text) == data


def test_variants_are_paired_like_for_like():
    """A variant of another method is paired with the baseline's same variant, or not at all:
    its difference from plain fixed would credit the method with the setting's effect."""
    from core.evaluation.statistics import partner

    def runs(method, rmses):
        return [{"method": method, "seed": s, "rmse": r} for s, r in enumerate(rmses)]

    table = pd.DataFrame(
        runs("fixed", [20.0, 21.0]) + runs("gaba", [19.0, 20.5])
        + runs("gaba · epochs=12", [12.0, 12.5]) + runs("fixed · refit=True", [19.0, 20.0])
    )  # fmt: skip
    summary = summarise(table, ["rmse"]).set_index("method")
    assert summary.loc["gaba", "paired_with"] == "fixed"
    assert summary.loc["gaba", "rmse_diff"] == pytest.approx(-0.75)
    assert summary.loc["fixed · refit=True", "paired_with"] == "fixed"  # the setting's own effect
    variant = summary.loc["gaba · epochs=12"]
    assert variant["paired_with"] == "" and np.isnan(variant["rmse_diff"])
    assert variant["wilcoxon_note"].startswith("no comparison: no 'fixed' runs with the same")
    twin = pd.concat([table, pd.DataFrame(runs("fixed · epochs=12", [13.0, 13.0]))])
    variant = summarise(twin, ["rmse"]).set_index("method").loc["gaba · epochs=12"]
    assert variant["paired_with"] == "fixed · epochs=12"
    assert variant["rmse_diff"] == pytest.approx(-0.75)
    methods = {"fixed", "gaba · epochs=12"}
    assert partner("gaba · epochs=12", "fixed", methods) is None
    assert partner("fixed", "fixed", methods) is None
