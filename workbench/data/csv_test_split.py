"""Where an imported run-to-failure fleet's test figures come from, chosen in the import dialog.

A user's export is usually one run-to-failure file: without a test set every
figure is a validation figure (the same units chose the kept epoch), so the
dialog asks. The user can hold out whole units (a count or a share, chosen by
the data seed, each cut at a random point of its life: ``PreprocessConfig.test_units``)
or attach an in-service file (or a folder of one file per engine) with its true RUL
(``SourceSpec.test_csv``/``truth_csv``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from core.data.prepare import NO_TEST_SPLIT

NONE, HOLD_OUT, FILE = "none", "hold_out", "file"
UNITS, PERCENT = "units", "percent"
CSV_FILTER = (
    "CSV or Parquet files (*.csv *.txt *.tsv *.parquet *.pq);;CSV files (*.csv *.txt *.tsv);;"
    "Parquet files (*.parquet *.pq);;All files (*)"
)
TRUTH_FILTER = "CSV files (*.csv *.txt *.tsv);;All files (*)"


class HoldOutBox(QGroupBox):
    """No test set, held-out units (count or share), or an in-service file with truth."""

    #: The user changed the choice.
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Test set", parent)
        self.choices = QButtonGroup(self)
        self.buttons = {
            NONE: QRadioButton(f"none ({NO_TEST_SPLIT.split(': ', 1)[1]})"),
            HOLD_OUT: QRadioButton("hold out"),
            FILE: QRadioButton("in-service file"),
        }
        for button in self.buttons.values():
            self.choices.addButton(button)
        self.buttons[NONE].setChecked(True)
        self.amount, self.amount_unit = QSpinBox(), QComboBox()
        self.amount.setRange(1, 100_000)
        self.amount.setValue(20)
        self.amount_unit.addItem("units", UNITS)
        self.amount_unit.addItem("% of the units", PERCENT)
        self.amount_unit.setCurrentIndex(1)
        self.amount.setToolTip(
            "Whole units chosen by the data seed; each is cut at a random point of its life "
            "and its true RUL is the cycles it had left"
        )
        self.test_path, self.truth_path = QLineEdit(), QLineEdit()
        self.test_path.setPlaceholderText("in-service file or folder")
        self.test_path.setToolTip(
            "Engines cut before failure: one file, or a folder of one file per engine"
        )
        self.truth_path.setPlaceholderText("its true RUL per unit")
        self._lay_out()
        self.choices.buttonToggled.connect(self._changed)
        self.amount.valueChanged.connect(self._changed)
        self.amount_unit.currentIndexChanged.connect(self._changed)
        for edit in (self.test_path, self.truth_path):
            edit.editingFinished.connect(self._changed)
        self._changed()

    # ------------------------------------------------------------------ API
    def choice(self) -> str:
        """``none``, ``hold_out`` or ``file``."""
        return next(key for key, button in self.buttons.items() if button.isChecked())

    def test_units(self) -> float:
        """``PreprocessConfig.test_units``: a count, a share below 1, or 0 (not holding out)."""
        if self.choice() != HOLD_OUT:
            return 0.0
        if self.amount_unit.currentData() == PERCENT:
            return min(self.amount.value(), 95) / 100
        return float(self.amount.value())

    def test_file(self) -> tuple[Path | None, Path | None]:
        """The attached in-service file and its truth file (``None`` when not chosen)."""
        if self.choice() != FILE:
            return None, None
        return _path(self.test_path), _path(self.truth_path)

    def set_none(self) -> None:
        """No test set."""
        self.buttons[NONE].setChecked(True)

    def set_hold_out(self, amount: int, percent: bool = False) -> None:
        """Hold out ``amount`` units (or ``amount`` % of them)."""
        self.amount_unit.setCurrentIndex(self.amount_unit.findData(PERCENT if percent else UNITS))
        self.amount.setValue(amount)
        self.buttons[HOLD_OUT].setChecked(True)

    def set_test_file(self, path: str | Path, truth: str | Path | None) -> None:
        """Attach an in-service file and its truth file."""
        self.test_path.setText(str(path))
        self.truth_path.setText("" if truth is None else str(truth))
        self.buttons[FILE].setChecked(True)
        self._changed()

    # ------------------------------------------------------------ internals
    def _lay_out(self) -> None:
        grid = QGridLayout(self)
        grid.addWidget(self.buttons[NONE], 0, 0, 1, 4)
        grid.addWidget(self.buttons[HOLD_OUT], 1, 0)
        grid.addWidget(self.amount, 1, 1)
        grid.addWidget(self.amount_unit, 1, 2, 1, 2)
        grid.addWidget(self.buttons[FILE], 2, 0)
        grid.addWidget(self.test_path, 2, 1, 1, 2)
        choose = QHBoxLayout()
        choose.addWidget(_browse(self._browse_test))
        choose.addWidget(_browse(self._browse_test_folder, "Folder…"))
        grid.addLayout(choose, 2, 3)
        grid.addWidget(self.truth_path, 3, 1, 1, 2)
        grid.addWidget(_browse(self._browse_truth), 3, 3, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(2, 1)

    def _browse_test(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an in-service file", "", CSV_FILTER)
        self._chosen(self.test_path, path)

    def _browse_test_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of in-service engines")
        self._chosen(self.test_path, folder)

    def _browse_truth(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open its true-RUL file", "", TRUTH_FILTER)
        self._chosen(self.truth_path, path)

    def _chosen(self, edit: QLineEdit, path: str) -> None:
        if path:
            edit.setText(path)
            self.buttons[FILE].setChecked(True)
            self._changed()

    def _changed(self, *_args) -> None:
        holding, attaching = self.choice() == HOLD_OUT, self.choice() == FILE
        self.amount.setEnabled(holding)
        self.amount_unit.setEnabled(holding)
        self.amount.setMaximum(95 if self.amount_unit.currentData() == PERCENT else 100_000)
        self.test_path.setEnabled(attaching)
        self.truth_path.setEnabled(attaching)
        self.changed.emit()


def _path(edit: QLineEdit) -> Path | None:
    text = edit.text().strip()
    return Path(text) if text else None


def _browse(slot, text: str = "Browse…") -> QPushButton:
    button = QPushButton(text)
    button.clicked.connect(slot)
    return button
