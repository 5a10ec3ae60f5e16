"""The Run queue dock: every (method, seed) run with its status, progress and key metrics.

It shows this session's queued and live runs after the finished runs found
in the run store. The buttons act on the selected rows; the selection also
chooses what the Comparison panel compares.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.common.formats import count
from core.experiment.resume import resumable
from core.runs import RunDir
from workbench.training.run_queue_model import (
    PROGRESS_COLUMN,
    QueueRow,
    row_from_config,
    row_from_store,
)
from workbench.training.training_controller import TrainingController

#: Row statuses a run may be resumed from (finished and diverged runs ended for good).
RESUMABLE = ("stopped", "interrupted", "failed")


class ProgressDelegate(QStyledItemDelegate):
    """Draws the progress column as a progress bar."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(1000 * float(index.data(Qt.ItemDataRole.UserRole) or 0.0))
        bar.text = str(index.data(Qt.ItemDataRole.DisplayRole))
        bar.textVisible = True
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


def confirm_removal(parent: QWidget, rows: list[QueueRow]) -> bool:
    """Ask before rows leave the list; what happens to each kind of row is said plainly."""
    names = ", ".join(r.label for r in rows[:6]) + (" …" if len(rows) > 6 else "")
    saved = sum(1 for r in rows if r.run_dir)
    lines = [f"Take {count(len(rows), 'run')} off the list? {names}"]
    if saved:
        lines.append(
            f"{count(saved, 'run folder')} stay{'s' if saved == 1 else ''} on disk: nothing is "
            "deleted, and Runs ▸ Refresh from run store lists them again."
        )
    if saved < len(rows):
        lines.append(
            f"{count(len(rows) - saved, 'queued run')} not started yet will not run "
            "(Train queues it again)."
        )
    answer = QMessageBox.question(
        parent,
        "Remove from the run queue",
        "\n\n".join(lines),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def _button(text: str, tip: str, slot) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


class RunQueueDock(QDockWidget):
    """The queue table and its start / pause / resume / stop / remove / re-run buttons.

    Parameters
    ----------
    controller
        Runs the queued rows on the training worker.
    parent
        The main window.
    """

    #: The selected rows changed (list of row ids); the comparison follows it.
    selectionChanged = Signal(list)
    #: A row was double-clicked (row id): show that run in the live panels.
    runActivated = Signal(int)

    def __init__(self, controller: TrainingController, parent: QWidget | None = None) -> None:
        super().__init__("Run queue", parent)
        self.setObjectName("run-queue-dock")
        self.controller = controller
        self.model = controller.model
        self.view = self._make_view()
        self.buttons = {
            "start": _button("Start", "Run the queued rows one after another", controller.start),
            "pause": _button("Pause", "Hold the running row after its step", controller.pause),
            "resume": _button("Continue", "Continue the paused row", controller.resume),
            "stop": _button("Stop", "Stop the running row; it is saved as stopped", self.stop),
            "remove": _button(
                "Remove",
                "Take the selected rows off the list, after asking (run folders stay on disk)",
                self.remove,
            ),
            "rerun": _button("Re-run", "Queue the selected runs again", self.rerun),
            "resume_run": _button(
                "Resume run",
                "Go on with the selected stopped, interrupted or failed runs from their "
                "last completed epoch, in the same folders",
                self.resume_runs,
            ),
            "folder": _button("Folder", "Open the selected run's folder", self.open_folder),
        }
        # (run folder, row status) -> resumable: update_buttons runs at every step.
        self._resumable: dict[tuple[str, str], bool] = {}
        self.setWidget(self._body())
        self.model.dataChanged.connect(self.update_buttons)
        self.model.rowsInserted.connect(self.update_buttons)
        self.model.rowsRemoved.connect(self.update_buttons)
        self.update_buttons()

    def _make_view(self) -> QTableView:
        view = QTableView()
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(view))
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(22)
        view.setAlternatingRowColors(True)
        # Header and two rows at least: on a laptop screen the height goes to the plots.
        view.setMinimumHeight(view.horizontalHeader().sizeHint().height() + 2 * 22 + 4)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PROGRESS_COLUMN, QHeaderView.ResizeMode.Fixed)
        view.setColumnWidth(PROGRESS_COLUMN, 90)
        header.setStretchLastSection(True)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        view.doubleClicked.connect(self._activated)
        view.setToolTip(
            "Select runs to compare them; double-click a finished run to see its curves"
        )
        return view

    def _activated(self, index: QModelIndex) -> None:
        rows = self.model.rows
        if 0 <= index.row() < len(rows):
            self.runActivated.emit(rows[index.row()].row_id)

    def _body(self) -> QWidget:
        body = QWidget()
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        return body

    # ------------------------------------------------------------ selection
    def selected_rows(self) -> list[QueueRow]:
        """Selected rows in display order."""
        positions = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        rows = self.model.rows
        return [rows[p] for p in positions if p < len(rows)]

    def select(self, row_ids: list[int]) -> None:
        """Select these rows (tests and the comparison's "compare these" action)."""
        self.view.clearSelection()
        mode = self.view.selectionModel()
        for row_id in row_ids:
            at = self.model.position(row_id)
            if at >= 0:
                flags = mode.SelectionFlag.Select | mode.SelectionFlag.Rows
                mode.select(self.model.index(at, 0), flags)

    def _selection_changed(self) -> None:
        self._resumable.clear()  # the folders may have changed on disk meanwhile
        self.update_buttons()
        self.selectionChanged.emit([row.row_id for row in self.selected_rows()])

    # -------------------------------------------------------------- actions
    def stop(self) -> None:
        """Stop the running row; the queue goes on with the next one."""
        self.controller.stop()

    def remove(self) -> int:
        """Take the selected, not running rows off the list, once the user confirms.

        Finished runs' folders stay on disk (Runs ▸ Refresh from run store lists
        them again); a queued run not started yet is gone with its row, and the
        question says so. Returns the number of rows taken off.
        """
        rows = [r for r in self.selected_rows() if r.status not in ("running", "paused")]
        if not rows or not confirm_removal(self, rows):
            return 0
        before = len(self.model.rows)
        self.model.remove({row.row_id for row in rows})
        return before - len(self.model.rows)

    def rerun(self) -> None:
        """Queue the selected runs again with their saved configuration."""
        rows = [row_from_config(r.config) for r in self.selected_rows() if r.config is not None]
        self.model.add(rows)
        if rows and not self.controller.busy:
            self.controller.start()

    def resume_runs(self) -> int:
        """Queue the selected resumable runs to go on from their last checkpoint."""
        self._resumable.clear()
        return self.controller.queue_resume([r for r in self.selected_rows() if self.can_resume(r)])

    def can_resume(self, row: QueueRow) -> bool:
        """Whether the row's run stopped early and its folder holds a last-epoch checkpoint."""
        if row.status not in RESUMABLE or not row.run_dir or row.config is None:
            return False
        key = (row.run_dir, row.status)
        if key not in self._resumable:
            self._resumable[key] = resumable(RunDir(row.run_dir))
        return self._resumable[key]

    def open_folder(self) -> None:
        rows = [r for r in self.selected_rows() if r.run_dir]
        if rows:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(rows[0].run_dir)))

    def load_store(self) -> int:
        """Add the store's runs not listed yet (damaged ones too); returns how many."""
        known = self.model.known_run_dirs()
        infos = self.controller.store.list_runs()
        rows = [row_from_store(i) for i in infos if str(Path(i.path)) not in known]
        self.model.add(rows)
        return len(rows)

    def update_buttons(self, *_args) -> None:
        """Enable what makes sense for the queue's state and the selection."""
        selected = self.selected_rows()
        current = self.controller.current
        paused = current is not None and current.control.paused
        self.buttons["start"].setEnabled(
            self.model.next_queued() is not None and not self.controller.busy
        )
        self.buttons["pause"].setEnabled(current is not None and current.can_pause and not paused)
        self.buttons["resume"].setEnabled(paused)
        self.buttons["stop"].setEnabled(current is not None)
        movable = [r for r in selected if r.status not in ("running", "paused")]
        self.buttons["remove"].setEnabled(bool(movable))
        self.buttons["rerun"].setEnabled(any(r.config is not None for r in selected))
        self.buttons["resume_run"].setEnabled(any(self.can_resume(r) for r in selected))
        self.buttons["folder"].setEnabled(any(r.run_dir for r in selected))
