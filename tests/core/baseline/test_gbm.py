"""The ``gbm`` baseline: its features, its run folder, and its place in a comparison."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.baseline.features import window_features
from core.cli.main import main
from core.data.windows import WindowSet
from core.experiment.run import run_experiment
from core.runs import RunDir, RunStore
from tests.helpers.experiments import SMALL_TREES, SMALL_TREES_FLAGS, small_experiment


def test_window_features_are_last_mean_and_least_squares_slope():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(60, 3)).astype(np.float32)
    width, n = 7, 60 - 6
    ends = np.arange(width - 1, 60)
    zeros = np.zeros(n)
    windows = WindowSet(rows, ends, width, zeros, zeros, zeros.astype(int), zeros.astype(int),
                        ends, ("u",))  # fmt: skip
    got = window_features(windows)
    batch = windows.batch(np.arange(n)).astype(np.float64)
    slopes = np.polyfit(np.arange(width), batch.transpose(1, 0, 2).reshape(width, -1), 1)[0]
    np.testing.assert_allclose(got[:, :3], batch[:, -1])
    np.testing.assert_allclose(got[:, 3:6], batch.mean(axis=1), atol=1e-12)
    np.testing.assert_allclose(got[:, 6:], slopes.reshape(n, 3), atol=1e-12)


@pytest.mark.slow
def test_a_gbm_run_leaves_a_run_folder_like_a_network_run(small_data, tmp_path):
    store = RunStore(tmp_path)
    result, run = run_experiment(small_experiment(method="gbm"), store, small_data)
    assert result.status.value == "finished" and run is not None
    for name in ("config.json", "metrics.json", "predictions.csv", "trajectories.csv"):
        assert (run.path / name).exists(), name
    assert not (run.path / "best.pt").exists() and not (run.path / "history.csv").exists()
    metrics = RunDir(run.path).read_metrics()
    for key in ("rmse", "nasa_score", "accuracy", "macro_f1", "val_rmse", "val_macro_f1"):
        assert np.isfinite(metrics[key]), key
    again, _ = run_experiment(small_experiment(method="gbm"), None, small_data)
    assert again.metrics["rmse"] == result.metrics["rmse"], "deterministic: the same run twice"


@pytest.mark.slow
def test_gbm_stands_in_a_comparison_beside_the_networks(capsys, tmp_path):
    code = main(["compare", "--source", "demo", "--demo-units", "24", "--window", "20",
                 "--preset", "tiny", "--epochs", "1", "--methods", "fixed,gbm", "--seeds", "0-1",
                 *SMALL_TREES_FLAGS, "--out", str(tmp_path), "--json"])  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and [m["method"] for m in summary["methods"]] == ["fixed", "gbm"]
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert sorted(table["method"]) == ["fixed", "fixed", "gbm", "gbm"]
    assert table["rmse"].notna().all()


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fixed", "gbm"])
def test_in_service_units_without_truth_are_predicted_and_the_run_finishes(
    method, capsys, tmp_path
):
    from core.data.demo import DemoConfig, make_demo_fleet

    fleet = make_demo_fleet(DemoConfig(train_units=24, test_units=6))
    trees = ["--param", f"max_iter={SMALL_TREES['max_iter']}"] if method == "gbm" else []
    fleet.train.frame.to_csv(tmp_path / "train.csv", index=False)
    fleet.test.frame.to_csv(tmp_path / "in_service.csv", index=False)
    code = main(["train", "--source", f"csv:{tmp_path / 'train.csv'}",
                 "--test-csv", str(tmp_path / "in_service.csv"), "--method", method,
                 "--preset", "tiny", "--epochs", "1", "--window", "20", *trees,
                 "--out", str(tmp_path / "runs"), "--json"])  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["status"] == "finished"
    run = RunDir(summary["run_dir"])
    metrics = run.read_metrics()
    assert "rmse" not in metrics and "no known true RUL" in metrics["test_note"]
    predictions = run.read_predictions()
    assert len(predictions) == 6 and predictions["pred_rul"].notna().all()
    assert predictions["true_rul"].isna().all()
    assert (run.path / "trajectories.csv").exists()


def test_the_comparison_reports_each_methods_seed_ensemble(capsys, tmp_path):
    from core.evaluation.seed_ensembles import ensemble_predictions

    code = main(["compare", "--source", "demo", "--demo-units", "24", "--window", "20",
                 "--preset", "tiny", "--epochs", "1", "--methods", "fixed", "--seeds", "0-2",
                 "--out", str(tmp_path), "--json"])  # fmt: skip
    [row] = json.loads(capsys.readouterr().out)["methods"]
    assert code == 0 and row["ensemble_members"] == 3
    tables = [
        RunDir(p).read_predictions() for p in pd.read_csv(tmp_path / "comparison.csv")["run_dir"]
    ]
    engines = ensemble_predictions(tables)
    by_hand = tables[0][["unit"]].assign(
        pred=np.mean(
            [t.set_index("unit").loc[tables[0]["unit"], "pred_rul"] for t in tables], axis=0
        )
    )
    np.testing.assert_allclose(
        engines.set_index("unit").loc[by_hand["unit"], "pred_rul"], by_hand["pred"]
    )
    truth = engines["true_rul_uncapped"].clip(upper=125.0).to_numpy()
    rmse = float(np.sqrt(np.mean((engines["pred_rul"].to_numpy() - truth) ** 2)))
    assert row["ensemble_rmse"] == pytest.approx(rmse, rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
def test_the_trees_are_fitted_on_the_runs_thread_count(threads, monkeypatch, small_data):
    """scikit-learn's OpenMP threads follow the run's setting, as torch's do for a network."""
    from dataclasses import replace

    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_info

    seen: list[list[int]] = []
    fit = HistGradientBoostingRegressor.fit

    def watched_fit(self, *args, **kwargs):
        seen.append([p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"])
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingRegressor, "fit", watched_fit)
    config = small_experiment(method="gbm")
    run_experiment(config.with_(train=replace(config.train, threads=threads)), None, small_data)
    assert seen and seen[0] and set(seen[0]) == {threads}
