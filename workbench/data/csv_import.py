"""The CSV import dialog: look at a user's file, confirm its columns, check it, then accept.

Historian exports are messy, so nothing is imported blind: the user sees the
first rows with the role the reader gave each column, can change the unit,
time, setting and ignored columns, and reads a full validation report (every
problem with its line and column) before OK is enabled. Reading and checking
run off the GUI thread; a bad file only ever produces a report.

A maintenance system exports one file per engine: the dialog takes a folder
(or CSV and Parquet files alike), previews its first file, lists the files
and, after the check, which of them could not be read and why. A removals
log says which training units failed and which were removed before failure.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.data.columns import ColumnMapping
from core.data.config import PreprocessConfig
from core.data.csv_source import CsvPreview
from workbench.common.background import CLOSE_WAIT_S, BackgroundTasks, Deadline
from workbench.data.csv_check import (
    ERROR_COLOUR,
    IN_SERVICE,
    RUN_TO_FAILURE,
    CheckOutcome,
    CheckRequest,
    CsvImport,
    SourcePreview,
    check_csv,
    count_files,
    csv_source_spec,
    dialect_text,
    message_html,
    outcome_html,
    preview_html,
    preview_source,
)
from workbench.data.csv_columns import ColumnRolesBox
from workbench.data.csv_kind import UnitKindBox
from workbench.data.csv_preview_model import PreviewModel
from workbench.data.csv_test_split import HoldOutBox

#: Rows shown in the preview table.
PREVIEW_ROWS = 50
#: Long numbers are cut in the preview; the whole column needs no more than this (pixels).
MAX_COLUMN_WIDTH = 110
CSV_FILTER = (
    "CSV or Parquet files (*.csv *.txt *.tsv *.parquet *.pq);;CSV files (*.csv *.txt *.tsv);;"
    "Parquet files (*.parquet *.pq);;All files (*)"
)
#: Width of the list of a folder's files beside the preview (pixels).
FILES_WIDTH = 230


class CsvImportDialog(QDialog):
    """Pick a CSV file or a folder of them, confirm columns and kind, check it, accept it.

    Parameters
    ----------
    parent
        The window the dialog belongs to.
    in_service
        Start with "in service" chosen (the fleet view imports engines to predict).
    window
        Window length of the current data settings: the check names the units
        shorter than it, as training would (default: the protocol's).
    """

    #: The quick look at a newly chosen file is done (whether it could be read).
    previewed = Signal(bool)
    #: A check finished (whether the file can be imported as set up).
    checked = Signal(bool)

    def __init__(
        self, parent: QWidget | None = None, in_service: bool = False, window: int | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import CSV")
        self.window_cycles = window or PreprocessConfig().window
        self.preview: CsvPreview | None = None
        #: What the last quick look found: the file, or a folder's files and its first file.
        self.source_preview: SourcePreview | None = None
        self.outcome: CheckOutcome | None = None
        # Submitted but not yet delivered to the GUI thread (busy covers only the first part).
        self._reading = self._checking = False
        self._preview_tasks = BackgroundTasks(self)
        self._preview_tasks.succeeded.connect(self._show_preview)
        self._preview_tasks.failed.connect(self._preview_failed)
        self._check_tasks = BackgroundTasks(self)
        self._check_tasks.succeeded.connect(self._show_outcome)
        self._check_tasks.failed.connect(self._check_failed)
        self._build(in_service)
        self.resize(1180, 900)

    # ------------------------------------------------------------ public API
    def set_path(self, path: str | Path, wait: bool = True) -> None:
        """Choose the file or folder (as typing it would) and, by default, wait for its preview."""
        self.path_edit.setText(str(path))
        self._load_preview()
        if wait:
            self._wait(self.previewed, "_reading")

    def set_unit_column(self, name: str | None) -> None:
        """Use column ``name`` as the unit id (``None``: let the reader detect it)."""
        self.columns.set_unit(name)

    def set_time_column(self, name: str | None) -> None:
        """Use column ``name`` as the time/cycle (``None``: let the reader detect it)."""
        self.columns.set_time(name)

    def set_setting_columns(self, names: list[str]) -> None:
        """Tick exactly ``names`` as operating settings."""
        self.columns.set_settings(names)

    def set_ignored_columns(self, names: list[str]) -> None:
        """Tick exactly ``names`` as ignored (columns the reader drops anyway stay ticked)."""
        self.columns.set_ignored(names)

    def set_in_service(self, in_service: bool) -> None:
        """Choose in-service (engines to predict) or run-to-failure (training)."""
        self.kind.set_in_service(in_service)

    def set_removals(self, path: str | Path | None, failure_reasons: tuple[str, ...] = ()) -> None:
        """A run-to-failure fleet's removals log and the words meaning failure (empty: detected)."""
        self.kind.set_removals(path, failure_reasons)

    def set_time_unit(self, unit: str | None) -> None:
        """``cycles`` or ``hours`` (``None``: detected from the time column's name)."""
        self.columns.set_time_unit(unit)

    def set_per_cycle(self, rule: str | None) -> None:
        """Several rows per cycle: ``mean``, ``last`` or ``None`` (not allowed)."""
        self.columns.set_per_cycle(rule)

    def files(self) -> list[Path]:
        """The files of the chosen folder (empty for one file), as listed."""
        return list(self.source_preview.files) if self.source_preview else []

    def failed_files(self) -> dict[str, str]:
        """Files of the folder the last check could not read: name -> message shown."""
        if self.outcome is None:
            return {}
        return {name: str(error) for name, error in self.outcome.failed_files().items()}

    def set_window(self, cycles: int) -> None:
        """The window length the data settings use (units shorter than it are reported)."""
        self.window_cycles = cycles
        self._roles_changed()

    def set_no_test_set(self) -> None:
        """A run-to-failure file without a test set (its results are validation figures)."""
        self.test_split.set_none()

    def set_test_hold_out(self, amount: int, percent: bool = False) -> None:
        """Hold out ``amount`` units (or ``amount`` % of them) of a run-to-failure file."""
        self.test_split.set_hold_out(amount, percent)

    def set_test_file(self, path: str | Path, truth: str | Path | None) -> None:
        """Attach an in-service file with its true RUL as a run-to-failure file's test set."""
        self.test_split.set_test_file(path, truth)

    def set_truth_path(self, path: str | Path | None) -> None:
        """True-RUL file of an in-service fleet (``None`` or empty: unknown)."""
        self.kind.set_truth_path(path)

    def mapping(self) -> ColumnMapping:
        """The column roles as currently set up."""
        return self.columns.mapping()

    def check(self) -> None:
        """Read the whole file as set up, on a background thread; :attr:`checked` tells the end."""
        request = self._request()
        if request is None:
            return
        self.outcome = None
        self._checking = True
        self._set_busy("Checking every row…")
        self._check_tasks.submit(check_csv, request)

    def wait_checked(self, timeout_ms: int = 30_000) -> bool:
        """Wait for a running check; whether the file can be accepted as set up."""
        self._wait(self.checked, "_checking", timeout_ms)
        return self.is_acceptable()

    def is_acceptable(self) -> bool:
        """Whether the last check passed for exactly the current settings."""
        current = self._request()
        return self.outcome is not None and self.outcome.ok and self.outcome.request == current

    def report_text(self) -> str:
        """The validation report as plain text."""
        return self.report.toPlainText()

    def result_spec(self) -> CsvImport | None:
        """What the user accepted; ``None`` unless the last check passed."""
        if not self.is_acceptable() or self.outcome is None:
            return None
        request = self.outcome.request
        kind = RUN_TO_FAILURE if request.run_to_failure else IN_SERVICE
        source = request.source() if request.run_to_failure else None
        return CsvImport(
            request.path, request.mapping, kind, request.truth_path, source, request.test_units
        )

    def shutdown(self, wait_s: float = CLOSE_WAIT_S) -> bool:
        """Let a running read or check end (at most ``wait_s`` for both) and release the threads.

        Returns True when nothing was left running.
        """
        deadline = Deadline(wait_s)
        read = self._preview_tasks.shutdown(deadline.left_s())
        return self._check_tasks.shutdown(deadline.left_s()) and read

    # ------------------------------------------------------------ Qt overrides
    def accept(self) -> None:
        """Accept only what the last check passed (Enter must not slip past it)."""
        if self.is_acceptable():
            super().accept()

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------ building
    def _build(self, in_service: bool) -> None:
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(
            "a CSV or Parquet file with a header row, or a folder of one file per engine"
        )
        self.path_edit.editingFinished.connect(self._path_edited)
        self.dialect_label = QLabel("No file chosen.")
        self.preview_model = PreviewModel(self)
        self.table = QTableView()
        self.table.setModel(self.preview_model)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.files_label = QLabel()
        self.files_label.setWordWrap(True)
        self.files_list = QListWidget()
        self.files_list.setToolTip("The folder's files; the first one is shown in the table")
        self.report = QTextBrowser()
        self.report.setOpenLinks(False)
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Read every row as set up and report what is wrong")
        self.check_button.clicked.connect(self.check)
        self.status_label = QLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.columns = ColumnRolesBox()
        self.columns.changed.connect(self._roles_changed)
        self.kind = UnitKindBox(in_service)
        self.kind.changed.connect(self._roles_changed)
        # The dialog's own names for the kind box's controls (scripts and tests use them).
        self.run_to_failure_button = self.kind.run_to_failure_button
        self.in_service_button = self.kind.in_service_button
        self.truth_edit, self.truth_button = self.kind.truth_edit, self.kind.truth_button
        self.test_split = HoldOutBox()
        self.test_split.changed.connect(self._roles_changed)
        self._lay_out()
        self._update_state()

    def _lay_out(self) -> None:
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("File or folder"))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(_button("Browse…", self._browse_file, "Choose one CSV or Parquet file"))
        file_row.addWidget(
            _button("Folder…", self._browse_folder, "Choose a folder of one file per engine")
        )
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.status_label, 1)
        settings = QVBoxLayout()
        settings.addWidget(self.columns, 1)
        settings.addWidget(self.kind)
        settings.addWidget(self.test_split)
        settings.addLayout(check_row)
        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(settings, 1)
        lower_layout.addWidget(self.report, 1)
        self.files_panel = QWidget()
        files_layout = QVBoxLayout(self.files_panel)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addWidget(self.files_label)
        files_layout.addWidget(self.files_list, 1)
        self.files_panel.hide()  # a folder's files only
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.table)
        upper.addWidget(self.files_panel)
        upper.setStretchFactor(0, 1)
        upper.setSizes([1180 - FILES_WIDTH, FILES_WIDTH])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setSizes([200, 640])
        layout = QVBoxLayout(self)
        layout.addLayout(file_row)
        layout.addWidget(self.dialect_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)

    # ------------------------------------------------------------ file and preview
    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV or Parquet file", "", CSV_FILTER)
        if path:
            self.set_path(path, wait=False)

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of one file per engine")
        if folder:
            self.set_path(folder, wait=False)

    def _path_edited(self) -> None:
        loaded = self.source_preview.location if self.source_preview is not None else None
        if self.path_edit.text().strip() and Path(self.path_edit.text().strip()) != loaded:
            self._load_preview()

    def _load_preview(self) -> None:
        self.preview, self.source_preview, self.outcome = None, None, None
        self._reading = True
        self._set_busy("Reading the file…")
        self._preview_tasks.submit(preview_source, self.path_edit.text().strip(), PREVIEW_ROWS)

    def _show_preview(self, found: SourcePreview) -> None:
        preview = found.preview
        self.source_preview, self.preview, self._reading = found, preview, False
        self.dialect_label.setText(dialect_text(preview, found.files))
        self._list_files(found)
        self.preview_model.set_rows(preview.rows)
        self.columns.fill(preview, file_unit=found.many)
        self.table.resizeColumnsToContents()
        for column in range(self.preview_model.columnCount()):
            width = min(self.table.columnWidth(column), MAX_COLUMN_WIDTH)
            self.table.setColumnWidth(column, width)
        self.report.setHtml(preview_html(preview, found.files))
        self._set_idle()
        self.previewed.emit(preview.ok)

    def _preview_failed(self, error: Exception) -> None:
        self._reading = False
        self.report.setHtml(message_html("Cannot read this file", str(error), ERROR_COLOUR))
        self._set_idle()
        self.previewed.emit(False)

    def _list_files(self, found: SourcePreview, failed: dict | None = None) -> None:
        """The folder's files (hidden for one file); after a check, the ones that failed in red."""
        self.files_panel.setVisible(found.many)
        self.files_list.clear()
        failed = failed or {}
        for path in found.files:
            error = failed.get(path.name)
            item = QListWidgetItem(f"✗ {path.name}" if error else path.name, self.files_list)
            if error is not None:
                item.setForeground(QBrush(QColor(ERROR_COLOUR)))
                item.setToolTip(str(error))
        n = len(found.files)
        text = f"<b>{count_files(n)}</b> in {found.location.name or found.location}"
        if failed:
            text += f"<br><span style='color:{ERROR_COLOUR}'>{len(failed)} could not be read</span>"
        self.files_label.setText(text)

    # ------------------------------------------------------------ roles and check
    def _roles_changed(self) -> None:
        """Keep roles exclusive, show them in the table, and forget a check now stale."""
        mapping = self.mapping()
        self.preview_model.set_roles(
            mapping.unit, mapping.time, mapping.settings, self.columns.ignored()
        )
        if self.outcome is not None and self.outcome.request != self._request():
            self.report.setHtml(
                message_html("Changed since the last check", "Press Check to check again.")
            )
            self.outcome = None
        self._update_state()

    def _request(self) -> CheckRequest | None:
        text = self.path_edit.text().strip()
        if not text:
            return None
        in_service = self.kind.in_service()
        test_csv, test_truth = (None, None) if in_service else self.test_split.test_file()
        return CheckRequest(
            Path(text),
            self.mapping(),
            not in_service,
            self.kind.truth_path(),
            window=self.window_cycles,
            test_units=0.0 if in_service else self.test_split.test_units(),
            test_csv=test_csv,
            test_truth=test_truth,
            removals=self.kind.removals(),
            failure_reasons=self.kind.failure_reasons(),
            # Engines in service are read as the run read its training data.
            per_cycle=None if in_service else self.columns.per_cycle(),
            time_unit=None if in_service else self.columns.time_unit(),
        )

    def _show_outcome(self, outcome: CheckOutcome) -> None:
        self.outcome, self._checking = outcome, False
        self.report.setHtml(outcome_html(outcome))
        if self.source_preview is not None and self.source_preview.many:
            self._list_files(self.source_preview, outcome.failed_files())
        if outcome.request != self._request():
            self.report.append("Changed since this check: press Check again.")
        self._set_idle()
        self.checked.emit(self.is_acceptable())

    def _check_failed(self, error: Exception) -> None:
        self.outcome, self._checking = None, False
        message = f"{type(error).__name__}: {error}"
        self.report.setHtml(message_html("The check failed unexpectedly", message, ERROR_COLOUR))
        self._set_idle()
        self.checked.emit(False)

    # ------------------------------------------------------------ state
    def _set_busy(self, text: str) -> None:
        self.status_label.setText(text)
        self._update_state()

    def _set_idle(self) -> None:
        self.status_label.clear()
        self._update_state()

    def _update_state(self) -> None:
        busy = self._reading or self._checking
        training = not self.kind.in_service()
        self.test_split.setEnabled(training)
        self.columns.time_unit_box.setEnabled(training)
        self.columns.per_cycle_box.setEnabled(training)
        self.check_button.setEnabled(not busy and bool(self.path_edit.text().strip()))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not busy and self.is_acceptable())

    def _wait(self, signal, waiting: str, timeout_ms: int = 30_000) -> None:
        """Block in a local event loop until ``signal`` (for scripts and tests)."""
        if not getattr(self, waiting):
            return
        loop = QEventLoop()
        signal.connect(loop.quit)
        timer = QTimer(loop, singleShot=True, interval=timeout_ms)
        timer.timeout.connect(loop.quit)
        timer.start()
        loop.exec()
        signal.disconnect(loop.quit)


def _button(text: str, slot, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


__all__ = ["IN_SERVICE", "RUN_TO_FAILURE", "CsvImport", "CsvImportDialog", "csv_source_spec"]
