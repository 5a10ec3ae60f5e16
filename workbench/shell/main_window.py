"""The main window: docks around the live panels, a Train button, and safe shutdown.

It wires the parts together and owns the policy: what Train queues, what
the panels show when a run starts and ends, what the Comparison compares,
what is remembered, and how closing during a run stops, saves and waits.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QWidget,
)

from core.common.errors import DataError
from core.common.formats import count
from core.data.demo import DemoConfig
from core.runs import RunDir, RunStoreError
from core.runs.location import default_runs_dir
from core.training.events import EpochEvent, RefitEvent, StepEvent
from resources import ICON, SampleFleet, sample_fleets
from workbench.common.background import BackgroundTasks, Deadline
from workbench.common.help_menu import add_help_menu
from workbench.common.time_units import run_time_unit
from workbench.data.csv_import import CsvImportDialog
from workbench.data.data_dock import DataDock
from workbench.experiment.experiment_dock import ExperimentDock
from workbench.fleet.fleet_dock import import_csv, install_fleet
from workbench.shell.error_report import ErrorHook, ErrorReporter
from workbench.shell.exports import ReportExport, RunExport
from workbench.shell.settings import WorkbenchSettings
from workbench.shell.status import TrainingStatusBar
from workbench.shell.toolbar import TrainingToolBar
from workbench.shell.window_placement import WindowPlacement
from workbench.training.comparison_feed import (
    ComparisonInputs,
    comparison_inputs,
    with_unit_resolution,
)
from workbench.training.jobs import JobOutcome
from workbench.training.live_area import LiveArea
from workbench.training.live_feed import LiveFeed
from workbench.training.run_queue import RunQueueDock
from workbench.training.run_queue_model import RunQueueModel, row_from_config
from workbench.training.run_replay import kept_trajectories, replay_progress, replay_run
from workbench.training.training_controller import TrainingController
from workbench.training.worker import warm_up_torch

#: What closing may take in all: the run's last step, a load or check in progress.
CLOSE_BUDGET_S = 4.0


@dataclass
class WorkbenchOptions:
    """How the window starts (the command line and tests choose these).

    Attributes
    ----------
    runs_dir
        The run store; finished runs in it are listed on start-up.
    settings_file
        Settings file instead of the user's (tests, screenshot mode).
    demo
        Size of the demo fleet.
    error_hook
        Receives errors instead of dialogs (tests).
    restore
        Restore the remembered layout and settings.
    autoload
        Load the data as soon as the window shows, so Train is one click.
    screen_area
        The available screen area to fit the window into, instead of the screen's
        (tests, ``--screen-size``).
    """

    runs_dir: Path = field(default_factory=default_runs_dir)
    settings_file: Path | None = None
    demo: DemoConfig | None = None
    error_hook: ErrorHook | None = None
    restore: bool = True
    autoload: bool = True
    screen_area: QRect | None = None


class MainWindow(QMainWindow):
    """The workbench window."""

    def __init__(self, options: WorkbenchOptions | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.options = options or WorkbenchOptions()
        self.setWindowTitle("RUL workbench")
        self.setWindowIcon(QIcon(str(ICON)))
        self.settings = WorkbenchSettings(self.options.settings_file)
        self.errors = ErrorReporter(self, self.options.error_hook)
        self.area = LiveArea()
        self.setCentralWidget(self.area)
        self.feed = LiveFeed(self.area, self)
        self.queue_model = RunQueueModel(self)
        self.controller = TrainingController(self.queue_model, self.options.runs_dir, self)
        self.data_dock = DataDock(self.options.demo, self)
        self.experiment_dock = ExperimentDock(self)
        self.queue_dock = RunQueueDock(self.controller, self)
        self.status = TrainingStatusBar(self)
        self.setStatusBar(self.status)
        self._compare_timer = _single_shot(self, 150, self.refresh_comparison)
        self.area.comparison.baselineChosen.connect(lambda _: self.refresh_comparison())
        self._train_after_load = False
        self.placement = WindowPlacement(self, self.options.screen_area)
        self.placement.lay_out_docks()
        self._build_toolbar()
        self._build_menus()
        self.fleet_dock = install_fleet(self)
        self._connect()
        self._restore()
        self.queue_dock.load_store()
        self.report_export = ReportExport(self)
        self.report_export.written.connect(
            lambda path: self.status.showMessage(f"Report written: {path}", 15000)
        )
        self.report_export.refused.connect(lambda why: self.errors.report("No report", why))
        self.run_export = RunExport(self)  # File ▸ Export model…; ended runs to MLflow
        self.model_action.triggered.connect(self.run_export.export_model_as)
        self.warm_up = BackgroundTasks(self, "torch-warm-up")
        warm_up_torch(self.warm_up)
        self.resolution = BackgroundTasks(self, "unit-resolution")  # the Comparison tab's column
        self.resolution.succeeded.connect(self._show_unit_resolution)
        self._compared: ComparisonInputs | None = None  # what the Comparison tab shows
        self._closed = False

    def _build_toolbar(self) -> None:
        buttons = [self.queue_dock.buttons[name] for name in ("pause", "resume", "stop")]
        self.toolbar = TrainingToolBar(self.train, buttons, self)
        self.train_button = self.toolbar.train_button
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file = menu.addMenu("&File")
        self.import_action = file.addAction("Import CSV…", QKeySequence("Ctrl+I"), self.import_csv)
        self.samples_menu = file.addMenu("Sample fleets")
        for sample in sample_fleets():
            action = self.samples_menu.addAction(f"{sample.name}…")
            action.setStatusTip(sample.summary)
            action.triggered.connect(lambda _checked=False, s=sample: self.open_sample(s))
        self.samples_menu.setEnabled(not self.samples_menu.isEmpty())
        file.addAction("Load data", QKeySequence("Ctrl+L"), self.data_dock.load)
        file.addSeparator()
        file.addAction("Save screenshot…", self.save_screenshot_as)
        self.report_action = file.addAction(
            "Export report…", QKeySequence("Ctrl+E"), self.export_report_as
        )
        self.model_action = file.addAction("Export model…")  # connected once RunExport exists
        file.addSeparator()
        file.addAction("Quit", QKeySequence.StandardKey.Quit, self.close)
        runs = menu.addMenu("&Runs")
        runs.addAction("Train", QKeySequence("Ctrl+Return"), self.train)
        runs.addAction("Refresh from run store", self.queue_dock.load_store)
        runs.addAction("Compare selected runs", self.refresh_comparison)
        self.fleet_menu = menu.addMenu("F&leet")
        self.fleet_action = self.fleet_menu.addAction("Predict engines in service…")
        self.fleet_action.setShortcut(QKeySequence("Ctrl+F"))
        self.view_menu = menu.addMenu("&View")
        for dock in (self.data_dock, self.experiment_dock, self.queue_dock):
            self.view_menu.addAction(dock.toggleViewAction())
        self.help_menu = add_help_menu(self)

    def install_dock(self, dock: QDockWidget, area=Qt.DockWidgetArea.RightDockWidgetArea) -> None:
        """Add a tool's dock (e.g. the fleet view) with its entry in the View menu.

        Give the dock an object name, so its place is remembered with the layout.
        """
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())

    def _connect(self) -> None:
        self.controller.runEvent.connect(self.feed.push)
        self.controller.runStarted.connect(self._run_started)
        self.controller.runEnded.connect(self._run_ended)
        self.controller.queueIdle.connect(self._queue_idle)
        self.controller.pausedChanged.connect(self.status.set_paused)
        self.controller.runNote.connect(lambda _row, text: self.status.showMessage(text, 60_000))
        self.feed.stepped.connect(self._stepped)
        self.feed.epochEnded.connect(self._epoch_ended)
        self.feed.refitted.connect(self._refitted)
        self.data_dock.dataLoaded.connect(self._data_loaded)
        self.data_dock.loadFailed.connect(self._load_failed)
        self.data_dock.source_form.importRequested.connect(self.import_csv)
        self.queue_dock.selectionChanged.connect(lambda _ids: self._compare_timer.start())
        self.queue_dock.runActivated.connect(self.show_run)

    # ------------------------------------------------------------ training
    def train(self) -> int:
        """Queue every ticked method × seed with the current settings and start.

        When the Data form was changed since the last load, the data is
        loaded first (off the GUI thread), so the summary in the Data dock is
        always that of the data being trained on. Returns the number of runs.
        """
        try:
            source, preprocess = self.data_dock.settings()
            configs = self.experiment_dock.experiments(source, preprocess)
        except (ValueError, DataError) as error:
            self.errors.report("Cannot train yet", str(error))
            return 0
        if not self.data_dock.matches_form():
            self._train_after_load = True
            if not self.data_dock.loading:
                self.data_dock.load()
            self.status.showMessage("Loading the data first…", 5000)
            return len(configs)
        self.queue_model.add([row_from_config(c, self.data_dock.data) for c in configs])
        self.save_settings()
        self.controller.executor = self.experiment_dock.executor_config()
        self.controller.start()
        return len(configs)

    def _run_started(self, row_id: int) -> None:
        followed = self.feed.watched
        if followed is not None and followed != row_id and self.controller.trains(followed):
            return  # several runs at once: the panels stay with the one they follow
        self._follow(row_id)

    def _follow(self, row_id: int, midway: bool = False) -> None:
        """Show ``row_id``'s training on the live panels (``midway``: its epochs so far too)."""
        self.feed.watched = row_id if self.controller.batch_running else None
        self.feed.drawn_up_to = (-1, -1)
        self.feed.flush()  # the previous run's last events belong to it, not to this one
        self.area.reset_live()
        row = self.queue_model.find(row_id)
        if row is None or row.config is None:
            return
        self.area.set_shown_run(f"{row.label} on {row.source}")
        self.area.set_time_unit(row.time_unit)
        if midway and row.run_dir:
            with contextlib.suppress(RunStoreError):  # unreadable: it is followed from now on
                self.feed.drawn_up_to = replay_progress(self.area, RunDir(row.run_dir))
        health = row.config.preprocess.health
        self.area.trajectory.set_thresholds(health.degrading, health.critical)
        self.status.run_started(row.label)

    def _stepped(self, row_id: int, event: StepEvent) -> None:
        row = self.queue_model.find(row_id)
        if row is None or row.config is None:
            return
        epochs = row.config.train.epochs
        fraction = min((event.step + 1) / max(event.steps_per_epoch * epochs, 1), 1.0)
        self.queue_model.update(row_id, progress=fraction)
        if self.feed.watched in (None, row_id):  # the status bar speaks of the run on show
            self.status.update_step(event, epochs)

    def _refitted(self, row_id: int, event: RefitEvent) -> None:
        if self.feed.watched in (None, row_id):
            self.status.update_refit(event)

    def _epoch_ended(self, row_id: int, event: EpochEvent) -> None:
        self.queue_model.update(row_id, val_rmse=event.row.get("val_rmse"))

    def _run_ended(self, outcome: JobOutcome) -> None:
        self.feed.flush()
        if self.feed.watched == outcome.row_id:  # several at once: follow one still training
            still = self.controller.training_rows()
            if still:
                self._follow(still[0], midway=True)
        row = self.queue_model.find(outcome.row_id)
        label = row.label if row is not None else "run"
        # A finished run of a fleet without a test split has validation figures only.
        no_test = outcome.status == "finished" and outcome.metrics.get("rmse") is None
        if outcome.predictions is not None or no_test:
            unit = row.time_unit if row is not None else run_time_unit(outcome.run_dir)
            if outcome.predictions is not None:
                self.area.show_results(label, outcome.predictions, outcome.metrics, unit)
            else:
                self.area.show_no_test(label, outcome.metrics, unit)
        if outcome.run_dir and self.feed.watched in (None, outcome.row_id):  # panels show it
            self._show_kept_trajectories(outcome.run_dir, outcome.metrics)
        self.status.run_ended(label, outcome.status, outcome.metrics)
        if outcome.error or outcome.status == "failed":
            message = outcome.error or outcome.detail
            self.errors.report("A run failed", f"{label}: {message}", outcome.trace)
        elif outcome.status == "diverged":
            self.status.showMessage(f"{label} diverged: {outcome.detail}", 15_000)
        self.run_export.run_ended(outcome.run_dir)  # to MLflow, when the setting is on
        self._compare_timer.start()

    def _queue_idle(self) -> None:
        self.status.showMessage("Queue done: no more queued runs.", 10_000)
        self.queue_dock.update_buttons()

    def show_run(self, row_id: int) -> bool:
        """Show a finished run's curves in the live panels (not while one trains)."""
        row = self.queue_model.find(row_id)
        if row is None or not row.run_dir or row.status in ("queued", "running", "paused"):
            return False
        if self.controller.busy:
            self.status.showMessage("The live panels follow the running run; stop it first.", 8000)
            return False
        try:
            replay_run(self.area, row.run_dir, row.label)
            self.area.set_shown_run(f"{row.label} on {row.source} · {Path(row.run_dir).name}")
        except RunStoreError as error:
            self.errors.report("Cannot show the run", str(error))
            return False
        if row.config is not None:
            health = row.config.preprocess.health
            self.area.trajectory.set_thresholds(health.degrading, health.critical)
        self.status.showMessage(f"Showing {row.label} from {row.run_dir}", 8000)
        return True

    # ---------------------------------------------------------- comparison
    def comparison_rows(self):
        """The selected rows, else every row made in this session."""
        selected = self.queue_dock.selected_rows()
        return selected or [r for r in self.queue_model.rows if not r.from_store]

    def comparison_scope(self) -> str:
        """Where the compared rows come from, in words (the panel says it)."""
        selected = len(self.queue_dock.selected_rows())
        if selected:
            return f"The {count(selected, 'run')} selected in the queue"
        return "This session's runs (select rows in the queue to compare others)"

    def refresh_comparison(self) -> None:
        """Show the chosen runs in the Comparison panel."""
        panel = self.area.comparison
        rows, scope = self.comparison_rows(), self.comparison_scope()
        inputs = comparison_inputs(rows, scope, panel.baseline)
        methods = list(inputs.summary["method"]) if not inputs.summary.empty else []
        if methods and panel.baseline not in methods:  # the chosen one left: fixed, else first
            inputs = comparison_inputs(rows, scope, "fixed" if "fixed" in methods else methods[0])
        panel.set_methods(methods, inputs.summary.attrs.get("baseline", "fixed"))
        panel.set_note(inputs.note, inputs.mixed)
        panel.set_time_unit(inputs.time_unit)
        panel.shows = self.comparison_scope().split(" (")[0]
        panel.set_runs(inputs.runs)
        panel.set_summary(inputs.summary)
        panel.set_curves(inputs.curves)
        panel.set_baselines(inputs.baselines)
        self._compared = inputs
        if not self._closed:  # a closed window starts no thread
            self.resolution.submit(with_unit_resolution, inputs)  # only the newest one is shown

    def _show_unit_resolution(self, result: tuple) -> None:
        """The summary again, with what one run resolves, if it is still the one shown."""
        inputs, summary = result
        if inputs is self._compared and not summary.empty:
            self.area.comparison.set_summary(summary)

    def _show_kept_trajectories(self, run_dir: str, metrics: dict) -> None:
        """After a run, its trajectories are the kept model's, with their calibrated intervals."""
        try:
            kept_trajectories(self.area, RunDir(run_dir), metrics)
        except RunStoreError as error:  # the panels keep the last epoch's predictions
            self.status.showMessage(f"Trajectories of the kept model not shown: {error}", 10_000)

    # ---------------------------------------------------------------- data
    def _data_loaded(self, data) -> None:
        self.setWindowTitle(f"RUL workbench — {_source_title(data.source)}")
        if not self.controller.busy:
            health = data.config.health
            self.area.trajectory.set_thresholds(health.degrading, health.critical)
        if self._train_after_load:
            if self.data_dock.matches_form():
                self._train_after_load = False
                self.train()
            else:  # the form changed again while loading
                self.data_dock.load()

    def _load_failed(self, message: str) -> None:
        if self._train_after_load:
            self._train_after_load = False
            self.errors.report("Cannot train: the data could not be loaded", message)

    def import_csv(self) -> None:
        """The CSV import dialog: preview, confirm columns, validate, then route the file."""
        import_csv(self, self.fleet_dock)

    def open_sample(self, sample: SampleFleet) -> None:
        """The import dialog on a sample fleet shipped with the workbench, already checked."""
        import_csv(self, self.fleet_dock, sample.engines, sample.removals)

    # ------------------------------------------------------------ settings
    def _restore(self) -> None:
        """Restore the forms and the layout; the window fits the screen it opens on either way."""
        if self.options.restore:
            self.data_dock.restore(self.settings.section("data"))
            self.experiment_dock.restore(self.settings.section("experiment"))
        self.placement.restore(self.options.restore)

    def save_settings(self) -> None:
        """Remember the layout and the forms."""
        self.settings.save_window(self)
        self.settings.set_section("data", self.data_dock.state())
        self.settings.set_section("experiment", self.experiment_dock.state())
        self.settings.sync()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.placement.settled:
            QTimer.singleShot(0, self.placement.settle)
        if self.options.autoload and self.data_dock.data is None and not self.data_dock.loading:
            QTimer.singleShot(0, self.data_dock.load)

    def save_screenshot_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save screenshot", "workbench.png", "PNG (*.png)"
        )
        if path:
            self.save_screenshot(Path(path))

    def save_screenshot(self, path: Path) -> bool:
        """The whole window as a PNG, with every pending redraw applied first."""
        self.feed.flush()
        self.area.flush()
        return self.grab().save(str(path))

    def export_report_as(self) -> None:
        """File ▸ Export report…: ask where, then write the Comparison tab's runs as HTML."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Export comparison report", "comparison_report.html", "HTML (*.html)"
        )
        if path:
            self.export_report(Path(path))

    def export_report(self, path: Path) -> bool:
        """Write the report of the runs the Comparison tab shows (in the background)."""
        baseline = self.area.comparison.baseline
        return self.report_export.export(self.comparison_rows(), path, baseline)

    # ------------------------------------------------------------- closing
    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember, end the run at its step (finished epochs are saved), wait, close.

        Every wait shares one budget, :data:`CLOSE_BUDGET_S`: the run is
        abandoned first, so it ends while the other waits run.
        """
        self._closed = True
        self._compare_timer.stop()
        self.save_settings()
        if self.controller.busy:
            self.status.showMessage("Stopping the run after its current step…")
        deadline = Deadline(CLOSE_BUDGET_S)
        self.controller.shutdown(deadline.left_ms())
        self._close_import_dialogs(deadline)
        self.data_dock.shutdown(deadline.left_s())
        self.fleet_dock.shutdown(deadline.left_s())
        self.report_export.shutdown(deadline.left_s())
        self.run_export.shutdown(deadline.left_s())
        # An import cannot be cut short: the window does not wait for it, the exit does.
        self.warm_up.shutdown(0)
        self.resolution.shutdown(deadline.left_s())
        super().closeEvent(event)

    def _close_import_dialogs(self, deadline: Deadline) -> None:
        """An import dialog left open would keep its file check running after the window."""
        for dialog in self.findChildren(CsvImportDialog):
            if dialog.isVisible():
                dialog.shutdown(deadline.left_s())
                dialog.reject()


def _single_shot(parent: QWidget, ms: int, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer


def _source_title(source: str) -> str:
    return "demo fleet" if source == "demo" else source
