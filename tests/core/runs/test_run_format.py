"""Older run folders read in the current shape, in one place (core/runs/run_format.py).

A config.json without ``format`` is format 1: a training or preprocessing
setting it lacks did not exist when the run was made, so it is read with the
behaviour from before the setting, not with today's default.
"""

from __future__ import annotations

import argparse
import json
import math

import pytest

from core.cli.train_cmd import experiment_from_args
from core.comparisons.runner import experiment_key, finished_runs
from core.experiment.run import ExperimentConfig, read_run_config, run_experiment
from core.model import PRESETS
from core.runs import RunDir, RunStatus, RunStore, RunStoreError
from core.runs.run_format import (
    BEFORE_IT_EXISTED,
    FORMAT_KEY,
    FORMAT_VERSION,
    current_config,
    current_metrics,
)
from core.training.config import TrainConfig
from tests.helpers.experiments import small_experiment

#: What the behaviour before each of these settings was, said again here.
OLD_BEHAVIOUR = {
    "train.rul_bias_init": False,  # the RUL output started near 0
    "train.lr_schedule": "plateau",
    "train.select_on": "rul",
    "train.input_noise": 0.0,
    "train.early_stopping_patience": 15,
    "train.swa_from": 0,
    "train.late_weight": 1.0,
    "train.optimizer": "adamw",
    "train.refit": False,
    "preprocess.window": 30,
    "preprocess.smoothing": 1.0,
    "preprocess.sensors_by": "",
    "preprocess.test_units": 0.0,
}


def as_saved(config: ExperimentConfig) -> dict:
    """``config`` as its config.json reads back (lists for tuples)."""
    return json.loads(json.dumps(config.to_dict()))


def format_1_config(**sections_without: tuple[str, ...]) -> dict:
    """Today's config.json as a format-1 file: no ``format``, and lacking the named keys."""
    config = as_saved(ExperimentConfig())
    for section, keys in sections_without.items():
        config[section] = {k: v for k, v in config[section].items() if k not in keys}
    return config


def settings_of(names) -> dict[str, tuple[str, ...]]:
    by_section: dict[str, tuple[str, ...]] = {}
    for name in names:
        section, key = name.split(".")
        by_section[section] = (*by_section.get(section, ()), key)
    return by_section


def run_folder(tmp_path, config: dict, metrics: dict | None = None, name: str = "run") -> RunDir:
    """A run folder holding exactly these files (as an older program wrote them)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return RunDir(folder)


def test_a_format_1_config_reads_with_the_behaviour_from_before_each_setting(tmp_path):
    run = run_folder(tmp_path, format_1_config(**settings_of(BEFORE_IT_EXISTED)))
    read = run.read_config()
    assert FORMAT_KEY not in read
    for name, value in {**BEFORE_IT_EXISTED, **OLD_BEHAVIOUR}.items():
        section, key = name.split(".")
        assert read[section][key] == value, name
    config = read_run_config(run)
    assert config.train.rul_bias_init is False
    assert (config.train.lr_schedule, config.train.select_on) == ("plateau", "rul")
    assert config.train.input_noise == 0.0 and config.train.early_stopping_patience == 15
    assert config.preprocess.window == 30 and config.preprocess.smoothing == 1.0
    # today's defaults differ, so the table is what made the difference
    assert TrainConfig().rul_bias_init is True and TrainConfig().lr_schedule == "cosine"


def test_a_config_without_rul_bias_init_trained_with_the_output_near_0(tmp_path):
    run = run_folder(tmp_path, format_1_config(train=("rul_bias_init",)))
    assert read_run_config(run).train.rul_bias_init is False


def test_present_values_are_never_changed(tmp_path):
    train = TrainConfig(rul_bias_init=True, lr_schedule="cosine", select_on="health",
                        input_noise=0.3, early_stopping_patience=4, swa_from=2)  # fmt: skip
    config = as_saved(ExperimentConfig(train=train, dropout=(0.1, 0.0)))
    config["preprocess"]["window"] = 50
    config["model"] = {**config["model"], "lstm_dropout": 0.3, "funnel_dropout": 0.3}
    assert current_config(config) == config
    run = run_folder(tmp_path, config)
    assert run.read_config() == config
    assert read_run_config(run).dropout == (0.1, 0.0)


def test_a_current_file_is_not_filled_in(tmp_path):
    """A format-2 file lacks a setting only by hand: today's default, not the old one."""
    config = {FORMAT_KEY: FORMAT_VERSION, **format_1_config(train=("rul_bias_init",))}
    assert "rul_bias_init" not in RunDir(run_folder(tmp_path, config).path).read_config()["train"]


def test_the_raw_dict_is_left_as_it_was():
    raw = format_1_config(train=("lr_schedule",))
    before = json.dumps(raw)
    current_config(raw)
    assert json.dumps(raw) == before


def test_a_new_run_writes_the_format_into_config_and_metrics(small_data, tmp_path):
    config = small_experiment(train=TrainConfig(epochs=1, batch_size=128, device="cpu"))
    _, run = run_experiment(config, RunStore(tmp_path), small_data)
    assert run is not None
    for name in ("config.json", "metrics.json"):
        raw = json.loads((run.path / name).read_text(encoding="utf-8"))
        assert raw[FORMAT_KEY] == FORMAT_VERSION, name
    assert run.read_config() == as_saved(config)
    assert read_run_config(run).to_dict() == config.to_dict()
    metrics = run.read_metrics()
    assert metrics is not None and FORMAT_KEY not in metrics and metrics["select_on"] == "combined"


def test_write_config_and_write_metrics_stamp_the_format(tmp_path):
    run = RunStore(tmp_path).create_run({"method": "fixed", "seed": 0, FORMAT_KEY: 1})
    run.write_metrics({"rmse": 12.0})
    for name in ("config.json", "metrics.json"):
        raw = json.loads((run.path / name).read_text(encoding="utf-8"))
        assert raw[FORMAT_KEY] == FORMAT_VERSION
    assert run.read_config() == {"method": "fixed", "seed": 0}


@pytest.mark.parametrize("name", ["config.json", "metrics.json"])
def test_a_folder_of_a_newer_format_is_refused_naming_the_file(tmp_path, name):
    newer = {FORMAT_KEY: FORMAT_VERSION + 1, "method": "fixed", "seed": 0, "rmse": 1.0}
    run = run_folder(tmp_path, format_1_config())
    (run.path / name).write_text(json.dumps(newer), encoding="utf-8")
    read = run.read_config if name == "config.json" else run.read_metrics
    with pytest.raises(RunStoreError, match=f"format {FORMAT_VERSION + 1}.*newer") as caught:
        read()
    assert caught.value.file == run.path / name
    assert name in str(caught.value)
    run.set_status(RunStatus.FINISHED)
    [info] = RunStore(tmp_path).list_runs()
    assert info.damaged is not None and f"{name}: written in run-folder format" in info.damaged


@pytest.mark.parametrize("value", ["2", True, 0, 1.5])
def test_a_format_that_is_not_a_format_number_is_refused(value):
    with pytest.raises(RunStoreError, match="'format' must be a whole number"):
        current_config({FORMAT_KEY: value})


def test_rulwb_train_config_reads_an_older_file_as_the_run_trained(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(format_1_config(train=("rul_bias_init", "lr_schedule"))))
    config = experiment_from_args(argparse.Namespace(config=path))
    assert config.train.rul_bias_init is False and config.train.lr_schedule == "plateau"
    path.write_text(json.dumps({FORMAT_KEY: FORMAT_VERSION + 1}))
    with pytest.raises(ValueError, match=f"{path}: .*format {FORMAT_VERSION + 1}"):
        experiment_from_args(argparse.Namespace(config=path))


def test_format_1_metrics_kept_the_epoch_of_the_best_validation_rmse(tmp_path):
    metrics = current_metrics({"val_rmse": 12.5, "rmse": 15.0, "status": "finished"})
    assert metrics["select_on"] == "rul" and metrics["selection_score"] == 12.5
    kept = {"val_rmse": 12.5, "select_on": "health", "selection_score": 0.2}
    assert current_metrics(kept) == kept


def test_a_resumed_comparison_matches_an_older_run_by_what_it_trained(tmp_path):
    """An older run used the plateau schedule &c.: it is that experiment, not today's."""
    config = format_1_config(**settings_of(BEFORE_IT_EXISTED))
    run = run_folder(tmp_path, config, {"val_rmse": 12.5, "rmse": 15.0, "status": "finished"})
    run.set_status(RunStatus.FINISHED)
    done = finished_runs(RunStore(tmp_path))
    as_trained = ExperimentConfig.from_dict(current_config(config))
    assert set(done) == {experiment_key(as_trained)}
    assert experiment_key(ExperimentConfig()) not in done
    assert done[experiment_key(as_trained)]["select_on"] == "rul"


def test_a_model_section_with_dropout_rebuilds_that_model(tmp_path):
    """Written when the presets had dropout: no 'dropout' key, the model section says it."""
    config = as_saved(ExperimentConfig(preset="compact"))
    config["model"] = {**config["model"], "lstm_dropout": 0.3, "funnel_dropout": 0.2}
    preset = read_run_config(run_folder(tmp_path, config, name="old")).model_preset()
    assert (preset.lstm_dropout, preset.funnel_dropout) == (0.3, 0.2)
    # a model section without dropout keeps the preset's, and the run its identity
    plain = run_folder(tmp_path, as_saved(ExperimentConfig(preset="compact")), name="plain")
    assert "dropout" not in plain.read_config() and read_run_config(plain).dropout is None


def test_no_preset_has_dropout():
    """What the format-1 dropout step assumes: a model section's dropout is the run's own."""
    assert all(p.lstm_dropout == 0 and p.funnel_dropout == 0 for p in PRESETS.values())


def test_a_last_checkpoint_saved_before_select_on_reads_its_score(tmp_path):
    run = run_folder(tmp_path, format_1_config())
    run.save_checkpoint(
        {"epoch": 3, "best": {"val_rmse": 12.5, "epoch": 2, "model": {}}}, "last.pt"
    )
    best = run.load_checkpoint("last.pt")["best"]
    assert math.isclose(best["score"], 12.5) and best["epoch"] == 2


def test_a_hand_written_config_takes_todays_defaults():
    """No ``format`` and no ``versions``: written by a user for --config, not by an old run."""
    written = {"method": "gaba", "train": {"epochs": 3}, "preprocess": {"rul_cap": 100.0}}
    config = ExperimentConfig.from_dict(current_config(written))
    assert config.train.rul_bias_init is TrainConfig().rul_bias_init
    assert config.preprocess.window == ExperimentConfig().preprocess.window
    assert (config.train.epochs, config.preprocess.rul_cap) == (3, 100.0)


def test_upgrading_a_folder_writes_what_reading_gave(tmp_path):
    old = format_1_config(train=("rul_bias_init", "lr_schedule"))
    run = run_folder(tmp_path, old, metrics={"val_rmse": 12.5, "rmse": 13.0})
    before = (run.read_config(), run.read_metrics())
    assert run.upgrade() == ["config.json", "metrics.json"]
    for name in ("config.json", "metrics.json"):
        assert json.loads((run.path / name).read_text())[FORMAT_KEY] == FORMAT_VERSION
    assert (run.read_config(), run.read_metrics()) == before
    assert run.upgrade() == [], "a current folder is left as it is"
