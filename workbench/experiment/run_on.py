"""Where queued runs train: one at a time here, several at once on this machine, or on Ray.

The choice maps onto :class:`core.executors.ExecutorConfig`, the same setting
``rulwb compare --executor`` takes, so a comparison can move between the
GUI and the command line unchanged.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from core.executors import ExecutorConfig
from core.executors.config import cpu_cores

#: (executor, what the user reads) in the order the list shows them.
CHOICES = (
    ("serial", "this process, one run after another"),
    ("local", "this machine, several runs at once"),
    ("ray", "a Ray cluster"),
)


class RunOnForm(QWidget):
    """The Experiment dock's "Run on" rows: executor, runs at once, cluster address."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        for name, text in CHOICES:
            self.kind.addItem(text, name)
        self.kind.setToolTip(
            "Where queued runs train. Several at once: each run in a worker process of "
            "this machine. Ray: each run a task on a Ray cluster (needs "
            "pip install 'rul-workbench[cluster]'); the run folders come back here either way."
        )
        self.jobs = QSpinBox()
        self.jobs.setRange(0, 256)
        self.jobs.setSpecialValueText("auto")
        self.jobs.setToolTip(
            f"Runs at once on this machine (auto: one per two cores here, {cpu_cores()} cores; "
            "with GPUs, a share of a GPU per run)"
        )
        self.address = QLineEdit()
        self.address.setPlaceholderText("empty: start Ray here, on 127.0.0.1")
        self.address.setToolTip("The cluster's address, host:port or ray://host:10001")
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow("Run on", self.kind)
        layout.addRow("Runs at once", self.jobs)
        layout.addRow("Ray address", self.address)
        self.kind.currentIndexChanged.connect(self._enable)
        self._enable()

    def _enable(self) -> None:
        kind = self.kind.currentData()
        self.jobs.setEnabled(kind == "local")
        self.address.setEnabled(kind == "ray")

    def config(self) -> ExecutorConfig:
        return ExecutorConfig(
            self.kind.currentData(), self.jobs.value(), self.address.text().strip()
        )

    def state(self) -> dict[str, Any]:
        return self.config().to_dict()

    def restore(self, state: dict[str, Any]) -> None:
        """Show a remembered choice; anything unusable keeps the default."""
        try:
            config = ExecutorConfig.from_dict(state)
        except (TypeError, ValueError):
            return
        self.kind.setCurrentIndex(max(self.kind.findData(config.kind), 0))
        self.jobs.setValue(config.jobs)
        self.address.setText(config.address)
