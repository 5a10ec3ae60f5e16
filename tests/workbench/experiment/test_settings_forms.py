"""Every declared setting has an editor in the GUI, and what the user types reaches the run."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from core.data.config import PreprocessConfig
from core.training.config import TrainConfig
from tests.helpers.settings_values import flat, other_value, read
from workbench.data.data_form import PreprocessForm
from workbench.experiment.experiment_dock import ExperimentDock


def type_into(editor, value) -> None:
    """Set ``editor`` the way a user would."""
    if isinstance(editor, QCheckBox):
        editor.setChecked(value)
    elif isinstance(editor, QComboBox):
        editor.setCurrentIndex(editor.findData(value))
    elif isinstance(editor, QSpinBox | QDoubleSpinBox):
        editor.setValue(value)
    else:
        assert isinstance(editor, QLineEdit)
        editor.setText(", ".join(value) if isinstance(value, tuple) else str(value))


@pytest.mark.parametrize(("key", "d"), flat(TrainConfig), ids=[k for k, _ in flat(TrainConfig)])
def test_every_training_setting_is_in_the_experiment_dock(qtbot, key, d):
    dock = ExperimentDock()
    qtbot.addWidget(dock)
    value = other_value(d)
    if key == "device" and dock.device.findData(value) < 0:
        value = "auto" if d.default != "auto" else "cpu"
    type_into(dock.training.editors[key], value)
    assert (
        read(dock.train_config(), key) == pytest.approx(value)
        if isinstance(value, float)
        else read(dock.train_config(), key) == value
    )
    state = dock.state()
    fresh = ExperimentDock()
    qtbot.addWidget(fresh)
    fresh.restore(state)
    assert fresh.train_config() == dock.train_config(), "remembered across restarts"


@pytest.mark.parametrize(
    ("key", "d"), flat(PreprocessConfig), ids=[k for k, _ in flat(PreprocessConfig)]
)
def test_every_protocol_setting_is_in_the_data_form(qtbot, key, d):
    form = PreprocessForm()
    qtbot.addWidget(form)
    value = other_value(d)
    type_into(form.protocol.editors[key], value)
    got = read(form.config(), key)
    assert got == pytest.approx(value) if isinstance(value, float) else got == value
    fresh = PreprocessForm()
    qtbot.addWidget(fresh)
    fresh.restore(form.state())
    assert fresh.config() == form.config(), "remembered across restarts"


def test_settings_out_of_view_are_folded_under_more_settings(qtbot):
    dock = ExperimentDock()
    qtbot.addWidget(dock)
    dock.show()
    noise = dock.training.editors["input_noise"]
    assert not noise.isVisible()
    dock.training.more_button.setChecked(True)
    assert noise.isVisible()
