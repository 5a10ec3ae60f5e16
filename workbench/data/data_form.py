"""The Data dock's editors: where the data comes from and the preprocessing protocol.

The widgets read and write plain dictionaries (for QSettings) and build the
core's :class:`SourceSpec` and :class:`PreprocessConfig`, so what the form
shows is exactly what goes into a run's config.json.
"""

from __future__ import annotations

import os
from typing import Any, cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from core.data.cmapss import SUBSETS
from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig
from core.data.sources import SourceSpec
from workbench.common.form_fields import SettingsEditors

SOURCES = (("demo", "Demo fleet (synthetic)"), ("cmapss", "NASA C-MAPSS"), ("csv", "Imported CSV"))


def _path_row(edit: QLineEdit, browse) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    layout.addWidget(button)
    return row


class SourceForm(QWidget):
    """Source kind, with the C-MAPSS folder and subset or the CSV file it needs."""

    #: The user asked for the CSV import dialog (the main window decides what opens).
    importRequested = Signal()

    def __init__(self, demo: DemoConfig | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.demo = demo or DemoConfig()
        self.kind = QComboBox()
        for key, text in SOURCES:
            self.kind.addItem(text, key)
        self.cmapss_dir = QLineEdit(os.environ.get("RUL_WORKBENCH_CMAPSS", ""))
        self.cmapss_dir.setPlaceholderText("folder or zip with train_FD00x.txt")
        self.subset = QComboBox()
        self.subset.addItems(SUBSETS)
        self.csv_path = QLineEdit()
        self.csv_path.setPlaceholderText("run-to-failure CSV file or folder (columns detected)")
        # Only the chosen source's fields are shown (and take room).
        self.pages = {"cmapss": self._cmapss_page(), "csv": self._csv_page()}
        self.kind.currentIndexChanged.connect(self._show_page)
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow("Source", self.kind)
        for page in self.pages.values():
            layout.addRow(page)
        self._show_page()
        self.csv_spec: SourceSpec | None = None

    def _show_page(self, *_args) -> None:
        for kind, page in self.pages.items():
            page.setVisible(kind == self.kind.currentData())

    def _cmapss_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Folder", _path_row(self.cmapss_dir, self._browse_cmapss))
        form.addRow("Subset", self.subset)
        return page

    def _csv_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("File", _path_row(self.csv_path, self.importRequested.emit))
        return page

    def _browse_cmapss(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "C-MAPSS folder", self.cmapss_dir.text())
        if folder:
            self.cmapss_dir.setText(folder)

    def set_csv_source(self, spec: SourceSpec) -> None:
        """Use a CSV source prepared elsewhere (the import dialog's confirmed mapping)."""
        self.csv_spec = spec
        self.csv_path.setText(spec.path or "")
        self.kind.setCurrentIndex(self.kind.findData("csv"))

    def spec(self) -> SourceSpec:
        """The source as the core reads it."""
        kind = self.kind.currentData()
        if kind == "cmapss":
            folder = self.cmapss_dir.text().strip() or None
            return SourceSpec(kind="cmapss", subset=self.subset.currentText(), cmapss_dir=folder)
        if kind == "csv":
            path = self.csv_path.text().strip()
            if self.csv_spec is not None and self.csv_spec.path == path:
                return self.csv_spec
            return SourceSpec(kind="csv", path=path)
        return SourceSpec(kind="demo", demo=self.demo)

    def state(self) -> dict[str, Any]:
        return {
            "kind": self.kind.currentData(),
            "cmapss_dir": self.cmapss_dir.text(),
            "subset": self.subset.currentText(),
            "csv_path": self.csv_path.text(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        index = self.kind.findData(state.get("kind", "demo"))
        self.kind.setCurrentIndex(max(index, 0))
        if state.get("cmapss_dir"):
            self.cmapss_dir.setText(str(state["cmapss_dir"]))
        self.subset.setCurrentText(str(state.get("subset", SUBSETS[0])))
        self.csv_path.setText(str(state.get("csv_path", "")))


#: What "Rank sensors by" shows for its empty value (ranking off).
SENSORS_BY_OFF = "off (use the Sensors setting)"

#: Protocol settings shown in the Data dock; every other one is under "More settings".
SHOWN = [
    "window",
    "rul_cap",
    "health.degrading",
    "health.critical",
    "sensors",
    "sensors_by",
    "sensors_top",
    "include_settings",
    "conditions",
    "val_fraction",
    "test_units",
]


class PreprocessForm(QWidget):
    """The data protocol of docs/data.md: every setting, with its defaults."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.protocol = SettingsEditors(PreprocessConfig)
        editors = self.protocol.editors
        self.window_cycles = cast(QSpinBox, editors["window"])
        self.rul_cap = cast(QDoubleSpinBox, editors["rul_cap"])
        self.degrading = cast(QDoubleSpinBox, editors["health.degrading"])
        self.critical = cast(QDoubleSpinBox, editors["health.critical"])
        self.sensors = cast(QLineEdit, editors["sensors"])
        self.sensors.setPlaceholderText("auto (informative / non-constant)")
        # "Choose the k best sensors by ...": the empty value (off) gets words, not a blank.
        self.sensors_by = cast(QComboBox, editors["sensors_by"])
        self.sensors_by.setItemText(self.sensors_by.findData(""), SENSORS_BY_OFF)
        # The long "off" text must not widen the dock: the box elides, its list shows it all.
        self.sensors_by.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.sensors_by.setMinimumContentsLength(12)
        self.sensors_top = cast(QSpinBox, editors["sensors_top"])
        self.sensors_by.currentIndexChanged.connect(self._sensors_by_changed)
        self._sensors_by_changed()
        self.conditions = cast(QSpinBox, editors["conditions"])
        self.test_units = cast(QDoubleSpinBox, editors["test_units"])
        self._test_units_tip = self.test_units.toolTip()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.protocol.add_rows(form, SHOWN)

    def _sensors_by_changed(self, *_args) -> None:
        """How many sensors to keep means something only while they are ranked."""
        self.sensors_top.setEnabled(bool(self.sensors_by.currentData()))

    def set_test_units(self, value: float) -> None:
        """Units held out as a test set, as the import dialog chose (0: none)."""
        self.test_units.setValue(value)

    def allow_test_units(self, allowed: bool) -> None:
        """Enable holding out test units (a CSV fleet); else 0 and disabled, saying why.

        C-MAPSS and the demo fleet have their own test engines: a hold-out left
        over from a CSV import would only make their load fail.
        """
        if not allowed:
            self.test_units.setValue(0)
        self.test_units.setEnabled(allowed)
        own = "Only for a CSV fleet: C-MAPSS and the demo fleet have their own test engines."
        self.test_units.setToolTip(self._test_units_tip if allowed else own)

    def config(self) -> PreprocessConfig:
        """The protocol; ValueError names a setting that is inconsistent."""
        return self.protocol.config()

    def state(self) -> dict[str, Any]:
        return self.protocol.state()

    def restore(self, state: dict[str, Any]) -> None:
        # Settings files from before every setting was listed used these keys.
        legacy = {"degrading": "health.degrading", "critical": "health.critical"}
        state = {legacy.get(key, key): value for key, value in state.items()}
        if state.get("conditions") == 0:
            state["conditions"] = None
        self.protocol.restore(state)
