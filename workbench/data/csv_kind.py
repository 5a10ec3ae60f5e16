"""What the units of an imported file are, as the import dialog asks it.

Either they ran to failure (training data) or they are still in service
(engines to predict, with their true RUL when known). A real fleet's
training data is seldom all failures: most engines were removed for
scheduled maintenance before they failed (suspensions). A removals log says
which is which (``SourceSpec.removals``); the words of a removal reason that
mean failure are detected (failure, unscheduled, ...) unless the user names
them (``SourceSpec.failure_reasons``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

CSV_FILTER = "CSV files (*.csv *.txt *.tsv);;All files (*)"
#: Failure words named in the placeholder of the words field (``core.data.removals``).
SHOWN_WORDS = ("failure", "unscheduled", "fault")


class UnitKindBox(QGroupBox):
    """Run to failure (with an optional removals log) or in service (with an optional truth)."""

    #: The user changed the kind, the removals log, the failure words or the truth file.
    changed = Signal()

    def __init__(self, in_service: bool = False, parent: QWidget | None = None) -> None:
        super().__init__("The units in this file", parent)
        self.run_to_failure_button = QRadioButton("ran to failure or were removed (training data)")
        self.in_service_button = QRadioButton("are still in service (to predict)")
        self.in_service_button.setChecked(in_service)
        self.run_to_failure_button.setChecked(not in_service)
        self.removals_edit = QLineEdit()
        self.removals_edit.setPlaceholderText("optional: unit, removal time or date, reason")
        self.removals_edit.setToolTip(
            "A removals log says which units failed and which were removed before failure "
            "(suspended). Without it every unit is taken as run to failure."
        )
        self.removals_button = _browse(self._browse_removals)
        self.reasons_edit = QLineEdit()
        self.reasons_edit.setPlaceholderText(f"detected ({', '.join(SHOWN_WORDS)}, …)")
        self.reasons_edit.setToolTip(
            "Words of a removal reason that mean failure, separated by commas; every other "
            "reason is then a suspension. Empty: failure words are detected."
        )
        self.truth_edit = QLineEdit()
        self.truth_edit.setPlaceholderText("optional: true RUL per unit")
        self.truth_button = _browse(self._browse_truth)
        self._lay_out()
        self.in_service_button.toggled.connect(self._changed)
        for edit in (self.removals_edit, self.reasons_edit, self.truth_edit):
            edit.editingFinished.connect(self._changed)
        self._enable()

    # ------------------------------------------------------------------ API
    def in_service(self) -> bool:
        """Whether the units are still in service (else they ran to failure or were removed)."""
        return self.in_service_button.isChecked()

    def set_in_service(self, in_service: bool) -> None:
        (self.in_service_button if in_service else self.run_to_failure_button).setChecked(True)

    def removals(self) -> Path | None:
        """The removals log of a run-to-failure fleet (``None``: none, or in service)."""
        return None if self.in_service() else _path(self.removals_edit)

    def failure_reasons(self) -> tuple[str, ...]:
        """The words that mean failure, as typed (empty: detected)."""
        if self.in_service():
            return ()
        words = (word.strip() for word in self.reasons_edit.text().split(","))
        return tuple(word for word in words if word)

    def truth_path(self) -> Path | None:
        """The true-RUL file of an in-service fleet (``None``: unknown, or run to failure)."""
        return _path(self.truth_edit) if self.in_service() else None

    def set_removals(self, path: str | Path | None, failure_reasons: tuple[str, ...] = ()) -> None:
        """Use ``path`` as the removals log (``None``: none) and ``failure_reasons`` as words."""
        self.removals_edit.setText("" if path is None else str(path))
        self.reasons_edit.setText(", ".join(failure_reasons))
        self._changed()

    def set_truth_path(self, path: str | Path | None) -> None:
        self.truth_edit.setText("" if path is None else str(path))
        self._changed()

    # ------------------------------------------------------------ internals
    def _lay_out(self) -> None:
        grid = QGridLayout(self)
        grid.addWidget(self.run_to_failure_button, 0, 0, 1, 3)
        grid.addWidget(QLabel("Removals log"), 1, 0)
        grid.addWidget(self.removals_edit, 1, 1)
        grid.addWidget(self.removals_button, 1, 2)
        grid.addWidget(QLabel("Failure words"), 2, 0)
        grid.addWidget(self.reasons_edit, 2, 1, 1, 2)
        grid.addWidget(self.in_service_button, 3, 0, 1, 3)
        grid.addWidget(QLabel("True RUL file"), 4, 0)
        grid.addWidget(self.truth_edit, 4, 1)
        grid.addWidget(self.truth_button, 4, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnMinimumWidth(0, 24)

    def _browse_removals(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a removals log", "", CSV_FILTER)
        if path:
            self.removals_edit.setText(path)
            self._changed()

    def _browse_truth(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a true-RUL file", "", CSV_FILTER)
        if path:
            self.truth_edit.setText(path)
            self._changed()

    def _enable(self) -> None:
        in_service = self.in_service()
        for widget in (self.removals_edit, self.removals_button, self.reasons_edit):
            widget.setEnabled(not in_service)
        for widget in (self.truth_edit, self.truth_button):
            widget.setEnabled(in_service)

    def _changed(self, *_args) -> None:
        self._enable()
        self.changed.emit()


def _path(edit: QLineEdit) -> Path | None:
    text = edit.text().strip()
    return Path(text) if text else None


def _browse(slot) -> QPushButton:
    button = QPushButton("Browse…")
    button.clicked.connect(slot)
    return button
