"""The docks' forms: generated method editors, the experiment list, remembered settings."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QSpinBox

from core.data.config import PreprocessConfig
from core.data.sources import SourceSpec
from core.methods.registry import describe_methods
from workbench.experiment.experiment_dock import ExperimentDock
from workbench.experiment.method_editor import MethodPicker
from workbench.shell.settings import WorkbenchSettings


def test_every_registered_method_gets_editors_within_its_bounds(qtbot):
    picker = MethodPicker()
    qtbot.addWidget(picker)
    for method in describe_methods():
        editors = picker.forms[method["name"]].editors
        assert set(editors) == {h["name"] for h in method["hyperparameters"]}
        for h in method["hyperparameters"]:
            editor = editors[h["name"]]
            kind = {"bool": QCheckBox, "int": QSpinBox, "float": QDoubleSpinBox}[h["type"]]
            assert isinstance(editor, kind)
            if h["type"] != "bool":
                assert editor.value() == pytest.approx(h["default"])
                if h["maximum"] is not None:
                    assert editor.maximum() == pytest.approx(h["maximum"])
                if h["minimum"] is not None:  # never below it (a tiny one is rounded up)
                    assert h["minimum"] <= editor.minimum() <= max(h["minimum"], 1e-4)


def test_the_experiment_list_crosses_methods_and_seeds_with_edited_settings(qtbot):
    dock = ExperimentDock()
    qtbot.addWidget(dock)
    dock.methods.set_checked(["fixed", "gaba"])
    dock.methods.forms["gaba"].editors["beta"].setValue(0.9)
    dock.seeds.setText("0,1")
    dock.epochs.setValue(3)
    configs = dock.experiments(SourceSpec(), PreprocessConfig())
    assert [(c.method, c.seed) for c in configs] == [
        ("fixed", 0),
        ("fixed", 1),
        ("gaba", 0),
        ("gaba", 1),
    ]
    assert configs[2].method_params["beta"] == pytest.approx(0.9)
    assert all(c.train.epochs == 3 for c in configs)
    configs[2].to_dict()  # the method accepts the edited settings
    # threads left to the run's start ("auto"): a share of the cores beside live trainings
    assert all(c.train.threads == 0 for c in configs)
    assert dock.training.editors["threads"].text() == "auto"


def test_no_method_ticked_is_refused_with_a_message(qtbot):
    dock = ExperimentDock()
    qtbot.addWidget(dock)
    dock.methods.set_checked([])
    with pytest.raises(ValueError, match="tick at least one method"):
        dock.experiments(SourceSpec(), PreprocessConfig())


def test_experiment_settings_survive_a_round_trip(qtbot):
    dock = ExperimentDock()
    qtbot.addWidget(dock)
    dock.preset.setCurrentText("tiny")
    dock.lr.setValue(0.0005)
    dock.methods.set_checked(["dwa"])
    dock.methods.forms["dwa"].editors["temperature"].setValue(3.5)
    again = ExperimentDock()
    qtbot.addWidget(again)
    again.restore(dock.state())
    assert again.state() == dock.state()
    # a settings file from before "auto" holds the old default thread count: it is dropped
    dock.training.editors["threads"].setValue(1)
    older = {k: v for k, v in dock.state().items() if k != "threads_auto"}
    again.restore(older)
    assert again.training.editors["threads"].value() == 0
    again.restore(dock.state())
    assert again.training.editors["threads"].value() == 1


def test_a_damaged_settings_file_is_forgotten_not_fatal(tmp_path):
    path = tmp_path / "settings.ini"
    path.write_text('[state]\nexperiment="{not json"\ndata=42\n')
    settings = WorkbenchSettings(path)
    assert settings.section("experiment") == {}
    assert settings.section("data") == {}
    settings.set_section("data", {"window": 25})
    assert WorkbenchSettings(path).section("data") == {"window": 25}


def test_units_held_out_as_a_test_set_apply_to_a_csv_fleet_only(qtbot):
    from workbench.data.data_dock import DataDock

    dock = DataDock()
    qtbot.addWidget(dock)
    form, kinds = dock.preprocess_form, dock.source_form.kind
    kinds.setCurrentIndex(kinds.findData("csv"))
    form.set_test_units(3)
    assert form.test_units.isEnabled() and form.config().test_units == 3
    kinds.setCurrentIndex(kinds.findData("cmapss"))  # brings its own test engines
    assert not form.test_units.isEnabled() and form.config().test_units == 0
    assert "own test engines" in form.test_units.toolTip()
    dock.restore({"source": {"kind": "demo"}, "preprocess": {"test_units": 3}})
    assert form.config().test_units == 0, "a remembered hold-out does not reach the demo"
