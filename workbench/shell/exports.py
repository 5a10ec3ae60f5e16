"""What leaves the workbench: the comparison report, a deployable model file, and MLflow logs.

File ▸ Export report… writes the same report as ``rulwb report``
(:mod:`core.report`), made from the runs the Comparison tab shows — the rows
selected in the queue, else this session's — so what an engineer sees on
screen is what they send. Reading every run's files and drawing the figures
takes seconds, so it happens on a background thread; the window says when
the file is written or why not.

File ▸ Export model… asks which run (the one selected in the queue, else the
latest with a model) and which format, then the folder to write into; the
export (:func:`core.deploy.export_model`: tracing, writing, loading the file
back to check it) takes seconds, so it runs on a background thread too.

With the Experiment dock's "Log runs to MLflow" setting on, every run that
ends is logged (:func:`core.runs.mlflow_log.log_run`), one after another on a
background thread of its own: a slow or unreachable tracking server makes a
message, never a frozen window.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QWidget,
)

from core.deploy import FORMATS, ExportedModel, export_model
from core.report import read_runs, write_report
from core.runs import BEST_CHECKPOINT
from core.runs.mlflow_log import LoggedRun, TrackingConfig, log_run
from workbench.common.background import BackgroundTasks
from workbench.training.comparison_feed import comparable
from workbench.training.run_queue_model import QueueRow

if TYPE_CHECKING:
    from workbench.shell.main_window import MainWindow

#: What each format is, as the dialog lists it.
FORMAT_TEXT = {
    "onnx": "ONNX (onnxruntime, any language)",
    "torchscript": "TorchScript (torch.jit.load, libtorch)",
}
#: Queue states whose run folder holds a kept model.
ENDED_WITH_MODEL = ("finished", "stopped")


class ExportModelDialog(QDialog):
    """Which run and which format; the folder is asked for next."""

    def __init__(
        self, runs: list[tuple[str, str]], selected: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export model")
        self.run = QComboBox()
        for label, run_dir in runs:
            self.run.addItem(f"{label} · {Path(run_dir).name}", run_dir)
        self.run.setCurrentIndex(max(self.run.findData(selected), 0))
        self.format = QComboBox()
        for name in FORMATS:
            self.format.addItem(FORMAT_TEXT[name], name)
        note = QLabel(
            "The model the run predicts with, behind the run's normalisation: it takes raw "
            "sensor windows. The folder also gets preprocessing.json, model.json and a README "
            "(docs/deploy.md)."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Run", self.run)
        form.addRow("Format", self.format)
        form.addRow(note)
        form.addRow(buttons)

    def choice(self) -> tuple[str, str]:
        """The chosen run folder and format."""
        return self.run.currentData(), self.format.currentData()


class RunExport(QObject):
    """The window's model exports and MLflow logging, each on its own background thread."""

    #: A model was exported (the model file's path).
    exported = Signal(str)
    #: A run was logged to MLflow, or was there already (a sentence saying where).
    logged = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.exports = BackgroundTasks(self, "model-export")
        self.exports.succeeded.connect(self._exported)
        self.exports.failed.connect(
            lambda error: window.errors.report("Model not exported", str(error))
        )
        self.tracking = BackgroundTasks(self, "mlflow-log")
        self.tracking.succeeded.connect(self._logged)
        self.tracking.failed.connect(self._not_logged)
        self.pending: deque[tuple[str, TrackingConfig]] = deque()
        self._logging = ""

    # ------------------------------------------------------------- export
    def model_runs(self) -> list[tuple[str, str]]:
        """``(label, run folder)`` of the queue's runs that kept a model, newest last."""
        rows = self.window.queue_model.rows
        return [
            (row.label, row.run_dir)
            for row in rows
            if row.run_dir and row.status in ENDED_WITH_MODEL
            and (Path(row.run_dir) / BEST_CHECKPOINT).is_file()
        ]  # fmt: skip

    def export_model_as(self) -> bool:
        """File ▸ Export model…: which run and format, then which folder; then export."""
        runs = self.model_runs()
        if not runs:
            self.window.errors.report(
                "No model to export",
                "No run in the queue has kept a model yet: train one, or refresh from the run "
                "store.",
            )
            return False
        chosen = [r.run_dir for r in self.window.queue_dock.selected_rows() if r.run_dir]
        dialog = ExportModelDialog(runs, chosen[0] if chosen else runs[-1][1], self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        run_dir, format = dialog.choice()
        folder = QFileDialog.getExistingDirectory(
            self.window, "Export the model into folder", str(Path.home())
        )
        if not folder:
            return False
        self.export_model(run_dir, format, folder)
        return True

    def export_model(self, run_dir: str | Path, format: str, folder: str | Path) -> Path:
        """Start writing ``run_dir``'s model into ``folder/<run name>-<format>``; returns that."""
        out = Path(folder) / f"{Path(run_dir).name}-{format}"
        self.window.status.showMessage(f"Exporting the model of {Path(run_dir).name}…", 10_000)
        self.exports.submit(export_model, str(run_dir), format, out)
        return out

    def _exported(self, exported: ExportedModel) -> None:
        self.window.status.showMessage(f"Model exported: {exported.model_file}", 15_000)
        self.exported.emit(str(exported.model_file))

    # ------------------------------------------------------------- MLflow
    def run_ended(self, run_dir: str | None) -> bool:
        """Log an ended run when the MLflow setting is on (after any run still being logged)."""
        try:
            config = self.window.experiment_dock.tracking_config()
        except ValueError as error:
            self.window.errors.report("Run not logged to MLflow", str(error))
            return False
        if not config.mlflow or not run_dir:
            return False
        self.pending.append((run_dir, config))
        self._next()
        return True

    @property
    def busy(self) -> bool:
        return self.exports.busy or self.tracking.busy or bool(self.pending)

    def _next(self) -> None:
        if self.tracking.busy or not self.pending:
            return
        run_dir, config = self.pending.popleft()
        self._logging = run_dir
        uri = config.mlflow_uri.strip() or None
        self.tracking.submit(log_run, run_dir, uri, config.mlflow_experiment.strip())

    def _logged(self, run: LoggedRun) -> None:
        done = "logged to" if run.new else "already in"
        message = f"{run.run_dir.name} {done} MLflow ({run.experiment} at {run.uri})"
        self.window.status.showMessage(message, 15_000)
        self.logged.emit(message)
        self._next()

    def _not_logged(self, error: BaseException) -> None:
        text = str(error)
        if self._logging not in text:
            text = f"{self._logging}: {text}"
        self.window.errors.report("Run not logged to MLflow", text)
        self._next()

    def shutdown(self, wait_s: float) -> None:
        """Closing: runs not yet logged stay unlogged (``rulwb mlflow RUNS`` logs them)."""
        self.pending.clear()
        self.exports.shutdown(wait_s / 2)
        self.tracking.shutdown(wait_s / 2)


class ReportExport(QObject):
    """Writes reports off the GUI thread, one at a time; the newest request wins."""

    #: The report was written (its path).
    written = Signal(str)
    #: Nothing was written (a sentence saying why).
    refused = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = BackgroundTasks(self, "report-export")
        self.tasks.succeeded.connect(lambda path: self.written.emit(str(path)))
        self.tasks.failed.connect(lambda error: self.refused.emit(f"Report not written: {error}"))

    def export(self, rows: list[QueueRow], path: str | Path, baseline: str = "fixed") -> bool:
        """Start writing the report of ``rows``' finished runs to ``path``.

        Returns False (and says why through :attr:`refused`) when no row has
        finished results to report.
        """
        runs = [Path(row.run_dir) for row in comparable(rows) if row.run_dir]
        if not runs:
            self.refused.emit(
                "No finished runs to report: train some, or select finished runs in the queue."
            )
            return False
        self.tasks.submit(_write, runs, report_title(rows), Path(path), baseline)
        return True

    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self, wait_s: float) -> None:
        self.tasks.shutdown(wait_s)


def report_title(rows: list[QueueRow]) -> str:
    """What the runs were trained on, e.g. ``cmapss:FD001`` or ``demo, csv:fleet.csv``."""
    sources = list(dict.fromkeys(row.source for row in rows if row.source))
    return ", ".join(sources) or "workbench runs"


def _write(runs: list[Path], title: str, path: Path, baseline: str) -> Path:
    """The report, pairing like the Comparison tab (``baseline``, when it has runs)."""
    record = read_runs(runs, title)
    if baseline in record.methods:
        record.baseline = baseline
    return write_report(record, path)
