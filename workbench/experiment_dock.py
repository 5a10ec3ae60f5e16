"""The Experiment dock: model preset, device, training settings, seeds and methods.

It turns the form into the list of experiments to queue: every ticked method
crossed with every seed, each a full :class:`ExperimentConfig` (the same
object the CLI's ``rulwb compare`` builds), so a GUI run can be repeated
from its config.json on the command line.
"""

from __future__ import annotations

from typing import Any

import torch
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.data.config import PreprocessConfig
from core.data.sources import SourceSpec
from core.model.presets import PRESETS
from core.training.comparison_runs import ComparisonPlan, parse_seeds
from core.training.config import TrainConfig
from core.training.experiment import ExperimentConfig
from core.training.selection import LABELS as SELECTION_LABELS
from core.training.selection import SELECT_ON
from workbench.form_fields import spin_box
from workbench.method_editor import MethodPicker

DEVICES = ("auto", "cpu", "cuda")


def default_preset() -> str:
    """``paper`` where CUDA trains it in minutes, ``compact`` to keep a CPU interactive."""
    return "paper" if torch.cuda.is_available() else "compact"


class ExperimentDock(QDockWidget):
    """What to train: preset, device, epochs, batch size, learning rate, seeds, methods."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Experiment", parent)
        self.setObjectName("experiment-dock")
        d = TrainConfig()
        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.preset.setCurrentText(default_preset())
        self.preset.setToolTip("Model width; tiny and compact keep CPU training interactive")
        self.device = QComboBox()
        self.device.addItems([x for x in DEVICES if x != "cuda" or torch.cuda.is_available()])
        self.device.setToolTip("auto: CUDA when available, else CPU")
        self.epochs = spin_box(
            1, 10_000, d.epochs, "Most epochs per run (early stopping may end sooner)"
        )
        self.batch_size = spin_box(1, 65_536, d.batch_size, "Windows per optimiser step")
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(d.lr)
        self.lr.setToolTip("AdamW learning rate")
        self.patience = spin_box(0, 10_000, d.early_stopping_patience, "Early stopping (0: off)")
        self.select_on = QComboBox()
        for criterion in SELECT_ON:
            self.select_on.addItem(SELECTION_LABELS[criterion], criterion)
        self.select_on.setCurrentIndex(SELECT_ON.index(d.select_on))
        self.select_on.setToolTip(
            "Which epoch's weights a run keeps, judged on validation units only; early "
            "stopping follows the same criterion. 'combined' needs both heads trained."
        )
        self.probe_every = spin_box(
            0, 10_000, d.probe_every, "Measure task gradients every N steps"
        )
        self.probe_blocks = QCheckBox("Per-block probe")
        self.probe_blocks.setChecked(d.probe_blocks)
        self.probe_blocks.setToolTip(
            "Also break the probe down by block (CNN, BiLSTM, attention, funnel): "
            "the Blocks tab. Costs one small Gram matrix per block on probed steps."
        )
        self.seeds = QLineEdit("0")
        self.seeds.setToolTip("One run per seed and method, e.g. 0,1,2 or 0-4")
        self.methods = MethodPicker()
        self.setWidget(self._body())

    def _body(self) -> QScrollArea:
        body = QWidget()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Model preset", self.preset)
        form.addRow("Device", self.device)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Learning rate", self.lr)
        form.addRow("Early stopping", self.patience)
        form.addRow("Select on", self.select_on)
        form.addRow("Probe every", self.probe_every)
        form.addRow("", self.probe_blocks)
        form.addRow("Seeds", self.seeds)
        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addWidget(QLabel("<b>Methods</b> (tick several to compare)"))
        layout.addWidget(self.methods, 1)
        # Scrollable, so the dock never forces a minimum window height on small screens.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        return scroll

    def train_config(self) -> TrainConfig:
        """The training settings as the form shows them."""
        return TrainConfig(
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            lr=self.lr.value(),
            early_stopping_patience=self.patience.value(),
            select_on=self.select_on.currentData(),
            probe_every=self.probe_every.value(),
            probe_blocks=self.probe_blocks.isChecked(),
            device=self.device.currentText(),
        )

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
        """What the form shows, for QSettings."""
        return {
            "preset": self.preset.currentText(),
            "device": self.device.currentText(),
            "epochs": self.epochs.value(),
            "batch_size": self.batch_size.value(),
            "lr": self.lr.value(),
            "patience": self.patience.value(),
            "select_on": self.select_on.currentData(),
            "probe_every": self.probe_every.value(),
            "probe_blocks": self.probe_blocks.isChecked(),
            "seeds": self.seeds.text(),
            "methods": self.methods.state(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Show remembered settings; values this machine cannot use are skipped."""
        for name in ("preset", "device"):
            combo: QComboBox = getattr(self, name)
            if combo.findText(str(state.get(name))) >= 0:
                combo.setCurrentText(str(state[name]))
        for name in ("epochs", "batch_size", "patience", "probe_every"):
            if isinstance(state.get(name), int):
                getattr(self, name).setValue(state[name])
        if state.get("select_on") in SELECT_ON:
            self.select_on.setCurrentIndex(SELECT_ON.index(state["select_on"]))
        if isinstance(state.get("probe_blocks"), bool):
            self.probe_blocks.setChecked(state["probe_blocks"])
        if isinstance(state.get("lr"), int | float):
            self.lr.setValue(float(state["lr"]))
        if isinstance(state.get("seeds"), str):
            self.seeds.setText(state["seeds"])
        self.methods.restore(state.get("methods") or {})
