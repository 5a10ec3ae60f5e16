"""The Experiment dock: model preset, device, training settings, seeds and methods.

It turns the form into the list of experiments to queue: every ticked method
crossed with every seed, each a full :class:`ExperimentConfig` (the same
object the CLI's ``rulwb compare`` builds), so a GUI run can be repeated
from its config.json on the command line.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.comparisons.runner import ComparisonPlan, parse_seeds
from core.data.config import PreprocessConfig
from core.data.sources import SourceSpec
from core.executors import ExecutorConfig
from core.experiment.run import ExperimentConfig
from core.model.presets import PRESETS
from core.runs.mlflow_log import TrackingConfig
from core.training.config import TrainConfig
from core.training.selection import LABELS as SELECTION_LABELS
from core.training.selection import SELECT_ON
from workbench.common.form_fields import SettingsEditors
from workbench.common.widgets import scrollable
from workbench.experiment.method_editor import MethodPicker
from workbench.experiment.run_on import RunOnForm

DEVICES = ("auto", "cpu", "cuda")


def default_preset() -> str:
    """``paper`` where CUDA trains it in minutes; ``tiny`` on a CPU, for a first run in a minute."""
    return "paper" if torch.cuda.is_available() else "tiny"


#: Epochs of the first run on a CPU: the tiny preset on the demo fleet in about a minute
#: (12 epochs took 69 s on one core of the 2-core development machine, test RMSE 21.0,
#: health macro-F1 0.66), long enough for the weights, ratio and trajectories to move.
CPU_FIRST_EPOCHS = 12

#: What each preset is and costs, shown beside the preset list.
PRESET_NOTES = {
    "tiny": "9.7 k parameters: a first look, about 5 s per epoch of the demo fleet on one CPU "
    "core; too small for final figures",
    "compact": "242 k parameters: comparisons on a CPU, about 30 s per epoch of the demo fleet "
    "on one core; the README's CPU figures",
    "paper": "3.5 M parameters, the book's model: for a GPU (minutes per run there, hours on a "
    "CPU)",
}


#: Training settings shown in the dock's main form; every other one is under "More settings".
SHOWN = [
    "device",
    "epochs",
    "batch_size",
    "lr",
    "early_stopping_patience",
    "select_on",
    "probe_every",
    "probe_blocks",
]


class ExperimentDock(QDockWidget):
    """What to train: preset, every training setting, seeds and methods."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Experiment", parent)
        self.setObjectName("experiment-dock")
        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        for index, name in enumerate(PRESETS):
            self.preset.setItemData(index, PRESET_NOTES.get(name, ""), Qt.ItemDataRole.ToolTipRole)
        self.preset.setToolTip("Model width: what each costs is written under the list")
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.preset_note.setStyleSheet("color: #5f6368;")
        self.preset.currentTextChanged.connect(
            lambda name: self.preset_note.setText(PRESET_NOTES.get(name, ""))
        )
        self.training = SettingsEditors(TrainConfig, custom=self._custom_editors())
        #: Where ended runs are logged (MLflow): not part of a run's config.json.
        self.tracking = SettingsEditors(TrackingConfig)
        editors = self.training.editors
        self.device = cast(QComboBox, editors["device"])
        self.epochs = cast(QSpinBox, editors["epochs"])
        self.batch_size = cast(QSpinBox, editors["batch_size"])
        self.lr = cast(QDoubleSpinBox, editors["lr"])
        self.patience = cast(QSpinBox, editors["early_stopping_patience"])
        self.select_on = cast(QComboBox, editors["select_on"])
        self.probe_every = cast(QSpinBox, editors["probe_every"])
        # 0, "auto": the run takes a share of the cores beside the trainings live on this
        # machine, every core but one at most, so the GUI thread stays responsive
        # (workbench.training.worker.gui_plan); the count chosen goes into the run's
        # config.json, so `rulwb train --config` repeats it exactly.
        threads = cast(QSpinBox, editors["threads"])
        threads.setSpecialValueText("auto")
        threads.setValue(0)
        self.preset.setCurrentText(default_preset())
        self.preset_note.setText(PRESET_NOTES.get(self.preset.currentText(), ""))
        if not torch.cuda.is_available():  # a first run on a CPU ends in about a minute
            self.epochs.setValue(CPU_FIRST_EPOCHS)
        self.probe_blocks = cast(QCheckBox, editors["probe_blocks"])
        self.seeds = QLineEdit("0")
        self.seeds.setToolTip("One run per seed and method, e.g. 0,1,2 or 0-4")
        self.methods = MethodPicker()
        self.run_on = RunOnForm()
        self.setWidget(self._body())

    @staticmethod
    def _custom_editors() -> dict[str, QWidget]:
        """A device list limited to this machine, and selection criteria in words."""
        device = QComboBox()
        for name in DEVICES:
            if name != "cuda" or torch.cuda.is_available():
                device.addItem(name, name)
        device.setToolTip("auto: CUDA when available, else CPU")
        select_on = QComboBox()
        for criterion in SELECT_ON:
            select_on.addItem(SELECTION_LABELS[criterion], criterion)
        select_on.setCurrentIndex(SELECT_ON.index(TrainConfig().select_on))
        select_on.setToolTip(
            "Which epoch's weights a run keeps, judged on validation units only; early "
            "stopping follows the same criterion. 'combined' needs both heads trained."
        )
        return {"device": device, "select_on": select_on}

    def _body(self) -> QScrollArea:
        body = QWidget()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Model preset", self.preset)
        form.addRow(self.preset_note)
        self.training.add_rows(form, SHOWN)
        form.addRow("Seeds", self.seeds)
        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addWidget(self.run_on)
        tracking = QFormLayout()
        tracking.setContentsMargins(0, 0, 0, 0)
        for key, editor in self.tracking.editors.items():
            tracking.addRow(self.tracking.fields[key].about.label, editor)
        layout.addLayout(tracking)
        layout.addWidget(QLabel("<b>Methods</b> (tick several to compare)"))
        layout.addWidget(self.methods, 1)
        return scrollable(body)

    def train_config(self) -> TrainConfig:
        """The training settings as the form shows them; ValueError names a bad one."""
        return self.training.config()

    def executor_config(self) -> ExecutorConfig:
        """Where the queued runs train (the "Run on" rows)."""
        return self.run_on.config()

    def tracking_config(self) -> TrackingConfig:
        """Whether and where ended runs are logged to MLflow; ValueError names a bad setting."""
        return self.tracking.config()

    def experiments(
        self, source: SourceSpec, preprocess: PreprocessConfig
    ) -> list[ExperimentConfig]:
        """Every (method, seed) experiment to queue; ValueError says what to fix."""
        methods = self.methods.checked()
        if not methods:
            raise ValueError("tick at least one method in the Experiment dock")
        base = ExperimentConfig(
            source=source,
            preprocess=preprocess,
            preset=self.preset.currentText(),
            train=self.train_config(),
        )
        params = self.methods.params()
        plan = ComparisonPlan(base, methods, parse_seeds(self.seeds.text()), params)
        return plan.experiments()

    # --------------------------------------------------------- persistence
    def state(self) -> dict[str, Any]:
        """What the form shows, for QSettings (training settings by their names)."""
        return {
            **self.training.state(),
            "threads_auto": True,  # written since threads 0 means "auto" (see restore)
            "preset": self.preset.currentText(),
            "seeds": self.seeds.text(),
            "methods": self.methods.state(),
            "run_on": self.run_on.state(),
            "tracking": self.tracking.state(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Show remembered settings; values this machine cannot use are skipped."""
        if "patience" in state:  # the name settings files used before every setting was listed
            state = {"early_stopping_patience": state["patience"], **state}
        if "threads_auto" not in state:  # older files hold the old default, every core but one
            state = {k: v for k, v in state.items() if k != "threads"}
        self.training.restore(state)
        if self.preset.findText(str(state.get("preset"))) >= 0:
            self.preset.setCurrentText(str(state["preset"]))
        if isinstance(state.get("seeds"), str):
            self.seeds.setText(state["seeds"])
        self.methods.restore(state.get("methods") or {})
        if isinstance(state.get("run_on"), dict):
            self.run_on.restore(state["run_on"])
        if isinstance(state.get("tracking"), dict):
            self.tracking.restore(state["tracking"])
