"""One run's units bound the difference it can tell apart: a paired bootstrap over units."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.evaluation.statistics import summarise
from core.evaluation.unit_resolution import (
    add_unit_resolution,
    keep_unit_errors,
    paired_unit_interval,
    run_unit_errors,
    unit_errors,
)


def predictions(errors, truth=100.0) -> pd.DataFrame:
    """A predictions table of one window per unit with the given errors."""
    errors = np.asarray(errors, float)
    return pd.DataFrame({"unit": np.arange(1, errors.size + 1), "true_rul": truth,
                         "pred_rul": truth + errors})  # fmt: skip


def test_unit_errors_sum_squares_per_unit_so_any_resample_gives_the_exact_rmse():
    table = pd.DataFrame({"unit": [1, 1, 2], "true_rul": [10.0, 9.0, 5.0],
                          "pred_rul": [13.0, 9.0, 1.0]})  # fmt: skip
    errors = unit_errors(table)
    assert errors.loc[1].tolist() == [9.0, 2]
    assert errors.loc[2].tolist() == [16.0, 1]
    rmse = math.sqrt(errors["sum"].sum() / errors["count"].sum())
    assert rmse == pytest.approx(math.sqrt(25 / 3))


def test_two_identical_runs_differ_by_nothing_and_resolve_to_zero():
    ours = unit_errors(predictions(np.random.default_rng(0).normal(0, 15, 100)))
    assert paired_unit_interval(ours, ours.copy()) == (0.0, 0.0, 0.0)


def test_the_interval_holds_the_point_and_narrows_with_more_units():
    rng = np.random.default_rng(1)

    def width(units):
        base = rng.normal(0, 15, units)
        ours = unit_errors(predictions(base + rng.normal(0, 5, units)))
        theirs = unit_errors(predictions(base))
        point, low, high = paired_unit_interval(ours, theirs, seed=3)
        assert low <= point <= high
        return (high - low) / 2

    few, many = width(25), width(400)
    assert 2.5 < few / many < 6.5  # about sqrt(400 / 25) = 4


def test_a_clear_difference_is_resolved_and_a_seed_reads_the_same_every_time():
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 10, 200)
    ours = unit_errors(predictions(noise * 2))  # twice the error on every unit
    theirs = unit_errors(predictions(noise))
    first = paired_unit_interval(ours, theirs, seed=5)
    assert first[1] > 0  # the whole interval says "worse"
    assert paired_unit_interval(ours, theirs, seed=5) == first


def test_runs_that_scored_other_units_or_windows_are_not_a_pair():
    ours = unit_errors(predictions([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="not a pair"):
        paired_unit_interval(ours, unit_errors(predictions([1.0, 2.0])))
    other = ours.assign(count=[1, 2, 1])
    with pytest.raises(ValueError, match="not a pair"):
        paired_unit_interval(ours, other)


def write_run(folder, errors, split_rows=None):
    """A run folder holding predictions.csv (and trajectories.csv when given)."""
    folder.mkdir(parents=True)
    predictions(errors).to_csv(folder / "predictions.csv", index=False)
    if split_rows is not None:
        split_rows.to_csv(folder / "trajectories.csv", index=False)
    return str(folder)


def test_each_method_gets_the_median_over_its_seeds_and_the_baseline_none(tmp_path):
    rng = np.random.default_rng(4)
    rows = []
    for seed in range(3):
        base = rng.normal(0, 15, 100)
        for method, extra in (("fixed", 0.0), ("gaba", 5.0)):
            errors = base + rng.normal(0, extra, 100) if extra else base
            run = write_run(tmp_path / f"{method}_s{seed}", errors)
            rows.append({"method": method, "seed": seed, "rmse": float(np.sqrt(np.mean(errors**2))),
                         "run_dir": run})  # fmt: skip
    runs = pd.DataFrame(rows)
    summary = add_unit_resolution(summarise(runs, ["rmse"]), runs, "test")
    widths = []
    for seed in range(3):
        pair = [run_unit_errors(tmp_path / f"{m}_s{seed}", "test") for m in ("gaba", "fixed")]
        _, low, high = paired_unit_interval(*pair, seed=seed)
        widths.append((high - low) / 2)
    by_method = summary.set_index("method")["rmse_unit_resolution"]
    assert math.isnan(by_method["fixed"])
    assert by_method["gaba"] == pytest.approx(np.median(widths))
    assert summary.attrs["baseline"] == "fixed"  # the summary's own facts are kept


def test_a_run_without_its_file_drops_out_and_validation_reads_the_trajectories(tmp_path):
    def trajectories(errors):
        val = predictions(errors).assign(split="val")
        return pd.concat([val, val.assign(split="test", pred_rul=0.0)])  # test rows ignored

    runs = pd.DataFrame([
        {"method": "fixed", "seed": 0, "run_dir": write_run(tmp_path / "f0", [1.0, 2, 3, 4],
                                                             trajectories([1.0, 2, 3, 4]))},
        {"method": "gaba", "seed": 0, "run_dir": write_run(tmp_path / "g0", [2.0, 1, 4, 3],
                                                            trajectories([2.0, 1, 4, 3]))},
        {"method": "fixed", "seed": 1, "run_dir": str(tmp_path / "gone")},
        {"method": "gaba", "seed": 1, "run_dir": write_run(tmp_path / "g1", [2.0, 1, 4, 3])},
    ]).assign(val_rmse=1.0)  # fmt: skip
    summary = add_unit_resolution(summarise(runs, ["val_rmse"]), runs, "val")
    width = summary.set_index("method").loc["gaba", "val_rmse_unit_resolution"]
    ours, theirs = (unit_errors(predictions(e)) for e in ([2.0, 1, 4, 3], [1.0, 2, 3, 4]))
    _, low, high = paired_unit_interval(ours, theirs, seed=0)  # validation rows, seed 0 alone:
    assert width == pytest.approx((high - low) / 2)  # seed 1 lacks the baseline's file
    assert width > 0
    assert run_unit_errors(tmp_path / "g1", "val") is None  # no trajectories.csv kept


def test_kept_validation_errors_outlive_the_trajectories_and_give_the_same_resolution(tmp_path):
    """A study commits its runs without trajectories.csv: what it kept still resolves."""
    rng = np.random.default_rng(7)
    folders = {}
    for method in ("fixed", "gaba"):
        errors = rng.normal(0, 10, 30)
        val = predictions(errors).assign(split="val")
        folders[method] = write_run(tmp_path / method, errors, pd.concat([val, val, val]))
    runs = pd.DataFrame([{"method": m, "seed": 0, "val_rmse": 1.0, "run_dir": f}
                         for m, f in folders.items()])  # fmt: skip
    before = add_unit_resolution(summarise(runs, ["val_rmse"]), runs, "val")
    assert all(keep_unit_errors(folder, "val") for folder in folders.values())
    (Path(folders["gaba"]) / "trajectories.csv").unlink()  # paired with fixed's trajectories
    kept = run_unit_errors(folders["gaba"], "val")
    assert kept is not None and kept["count"].tolist() == [3] * 30  # every window counted
    after = add_unit_resolution(summarise(runs, ["val_rmse"]), runs, "val")
    width = after.set_index("method").loc["gaba", "val_rmse_unit_resolution"]
    assert width > 0
    before_width = before.set_index("method").loc["gaba", "val_rmse_unit_resolution"]
    assert width == pytest.approx(before_width)
    assert not keep_unit_errors(tmp_path / "nothing", "val")  # nothing to keep, nothing written


def test_one_runs_rmse_interval_holds_its_rmse_and_narrows_with_more_units():
    from core.evaluation.unit_resolution import rmse_interval

    rng = np.random.default_rng(6)
    widths = []
    for units in (25, 400):
        errors = unit_errors(predictions(rng.normal(0, 15, units)))
        rmse = math.sqrt(errors["sum"].sum() / errors["count"].sum())
        low, high = rmse_interval(errors)
        assert low < rmse < high
        widths.append(high - low)
    assert 2.5 < widths[0] / widths[1] < 6.5
    assert all(math.isnan(b) for b in rmse_interval(unit_errors(predictions([3.0]))))
