"""A run's saved config.json as the current code reads it when comparing runs."""

from __future__ import annotations

from core.comparisons.runner import normalised_config
from core.experiment import run as experiment
from core.experiment.run import ExperimentConfig
from core.methods.aggregation import MissingSolverError


def test_a_setting_a_saved_file_lacks_is_read_as_its_default():
    saved = ExperimentConfig().to_dict()
    del saved["train"]["refit"]  # a run made before the setting existed
    assert normalised_config(saved)["train"]["refit"] is False


def test_a_config_whose_method_cannot_be_created_here_is_kept_as_saved(monkeypatch):
    """A Nash-MTL run copied to a machine without its solver is still compared, not a crash."""
    saved = ExperimentConfig(method="nash_mtl").to_dict()

    def no_solver(name, **params):
        raise MissingSolverError("Nash-MTL needs cvxpy: pip install 'rul-workbench[nash-mtl]'")

    monkeypatch.setattr(experiment, "create_method", no_solver)
    assert normalised_config(saved) == saved
