"""A run predicts from its folder alone; unfamiliar data is flagged; several runs average."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from core.cli.main import main
from core.common.errors import WorkbenchError
from core.data.demo import DemoConfig
from core.data.pipeline_file import FILE, pipeline_from_dict
from core.data.sources import SourceSpec, load_source
from core.experiment.run import load_data, run_experiment
from core.prediction.ensemble import FleetEnsemble
from core.prediction.inference import FleetPredictor
from core.runs import RunStore
from tests.helpers.experiments import small_experiment


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two seeds of one method on a two-condition demo fleet (2 epochs, tiny)."""
    store = RunStore(tmp_path_factory.mktemp("runs"))
    demo = DemoConfig(train_units=24, test_units=8, conditions=2)
    base = small_experiment(source=SourceSpec(demo=demo))
    base = base.with_(preprocess=replace(base.preprocess, conditions=2))
    data = load_data(base)
    runs = [run_experiment(base.with_(seed=seed), store, data)[1] for seed in (0, 1)]
    return [r.path for r in runs], base


@pytest.mark.slow
def test_a_run_predicts_from_its_saved_preprocessing_exactly_as_from_its_source(two_runs):
    (run, _), base = two_runs
    fleet = load_source(base.source).test
    saved = FleetPredictor.from_run(run).predict(fleet).engines
    rebuilt = FleetPredictor.from_run(run, data=load_data(base))
    rebuilt.pipeline = load_data(base).pipeline  # the pipeline fitted again from the source
    assert np.array_equal(saved["pred_rul"], rebuilt.predict(fleet).engines["pred_rul"])
    record = json.loads((run / FILE).read_text())
    assert record["version"] == 1 and record["conditions"]["k"] == 2
    assert len(record["normaliser"]["mean"]) == 2


def test_a_run_still_predicts_when_its_training_csv_is_gone(tmp_path, capsys):
    demo = load_source(SourceSpec(demo=DemoConfig(train_units=24, test_units=6)))
    demo.train.frame.to_csv(tmp_path / "train.csv", index=False)
    demo.test.frame.to_csv(tmp_path / "inservice.csv", index=False)
    args = ["train", "--source", f"csv:{tmp_path / 'train.csv'}", "--preset", "tiny",
            "--epochs", "1", "--device", "cpu", "--out", tmp_path / "runs", "--json"]  # fmt: skip
    assert main([str(a) for a in args]) == 0
    run_dir = json.loads(capsys.readouterr().out)["run_dir"]
    (tmp_path / "train.csv").rename(tmp_path / "moved.csv")
    args = ["predict", "--run", run_dir, "--source", f"csv:{tmp_path / 'inservice.csv'}"]
    assert main(args) == 0, capsys.readouterr().err
    assert "pred_rul" in capsys.readouterr().out


def test_data_far_outside_the_training_range_is_a_warning_per_engine(two_runs, capsys):
    (run, _), base = two_runs
    fleet = load_source(base.source).test
    sensor = FleetPredictor.from_run(run).pipeline.features.used[0]
    units = fleet.unit_ids
    frame = fleet.frame.copy()
    frame.loc[frame["unit"] == units[0], sensor] += 1e4  # a sensor gone wild on one engine
    frame.loc[frame["unit"] == units[1], fleet.setting_columns] *= 50  # an unseen regime
    engines = FleetPredictor.from_run(run).predict(replace(fleet, frame=frame)).engines
    warning = dict(zip(engines["unit"], engines["warning"], strict=True))
    assert f"{sensor} " in warning[units[0]] and "beyond the training range" in warning[units[0]]
    assert "unlike any training condition" in warning[units[1]]
    assert all(warning[u] == "" for u in units[2:]), "familiar engines are not flagged"


def test_several_runs_average_their_predictions_with_intervals_for_the_ensemble(two_runs):
    runs, base = two_runs
    fleet = load_source(base.source).test
    members = [FleetPredictor.from_run(r).predict(fleet).engines.sort_values("unit") for r in runs]
    ensemble = FleetEnsemble.from_runs(runs)
    engines = ensemble.predict(fleet).engines.sort_values("unit")
    mean = (members[0]["pred_rul"].to_numpy() + members[1]["pred_rul"].to_numpy()) / 2
    assert np.allclose(engines["pred_rul"], mean)
    assert ensemble.intervals is not None and (engines["rul_lower"] < engines["rul_upper"]).all()
    probabilities = engines[["p_normal", "p_degrading", "p_critical"]].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert set(engines["heads_agree"]) <= {True, False} and "rul_state" in engines


def test_predict_takes_several_runs_on_the_command_line(two_runs, capsys, tmp_path):
    runs, _ = two_runs
    args = ["predict", "--run", runs[0], "--run", runs[1], "--out", tmp_path / "fleet.csv"]
    assert main([str(a) for a in args]) == 0
    assert "mean of 2 runs' predictions" in capsys.readouterr().err


def test_a_damaged_preprocessing_file_is_named(two_runs, tmp_path):
    with pytest.raises(WorkbenchError, match=r"broken\.json: the saved preprocessing cannot"):
        pipeline_from_dict({"format": "rul-workbench preprocessing", "version": 1}, "broken.json")
