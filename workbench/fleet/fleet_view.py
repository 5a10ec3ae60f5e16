"""The fleet view: predicted RUL and health state of engines still in service.

This is what the workbench is for once a model is trained: an engineer picks
a finished run and the engines in service (the run's own in-service split,
or an imported CSV), and gets the engines ranked by predicted RUL, the most
urgent first, with the error where the true RUL is known. A method's runs
over several seeds are offered together as a seed ensemble (their mean).
Both heads' answers are shown, with their disagreements, and engines whose
data lie far outside the training data are flagged. Prediction runs off the
GUI thread; a run without checkpoint or a bad file only shows a message.
"""

from __future__ import annotations

import math
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.common.errors import WorkbenchError
from core.common.formats import format_metric
from core.data.columns import ColumnMapping
from core.prediction import DUE_BELOW, RANK_BY
from core.prediction.ensemble import FleetEnsemble
from core.prediction.fleet import (
    FleetResult,
    InServiceData,
    predict_fleet,
    ranked_engines,
    seed_ensembles,
    usable_runs,
)
from core.runs import RunDir, RunInfo, RunStore, RunStoreError
from workbench.common.background import CLOSE_WAIT_S, BackgroundTasks
from workbench.common.time_units import CYCLES, run_time_unit, time_unit
from workbench.data import IN_SERVICE, CsvImportDialog
from workbench.fleet.fleet_table import SORT_ROLE, EngineTableModel
from workbench.fleet.fleet_trajectory import FleetTrajectoryPlot
from workbench.plotting.export import export_frame_csv
from workbench.plotting.style import HEALTH_STATES, MUTED, STATE_COLOURS

ERROR_STYLE = f"color: {STATE_COLOURS['critical']};"
INFO_STYLE = f"color: {MUTED};"
#: Engines' predicted RUL spread (in the run's time unit) under which a run is flagged as
#: predicting a constant.
CONSTANT_SPREAD = 1.0


class FleetView(QWidget):
    """Choose a run and engines in service; see them ranked by predicted RUL.

    Parameters
    ----------
    runs_root
        The run store folder whose finished runs are offered (see :meth:`set_runs`).
    parent
        Qt parent widget.
    """

    #: A prediction ended: True with results shown, False with a message shown.
    finished = Signal(bool)

    def __init__(self, runs_root: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs_root = None if runs_root is None else Path(runs_root)
        self.result: FleetResult | None = None
        self._predictor: FleetEnsemble | None = None
        self._predictor_runs: tuple[Path, ...] = ()
        self._sources: dict[str, dict] = {}  # run folder -> its data source, for labels
        #: The unit of the chosen run's time and RUL: ``cycles`` or ``hours``.
        self.time_unit = CYCLES
        self._tasks = BackgroundTasks(self)
        self._tasks.succeeded.connect(self._show_result)
        self._tasks.failed.connect(self._show_failure)
        self._build()
        self.refresh_runs()

    # ------------------------------------------------------------ public API
    def refresh_runs(self) -> None:
        """List the finished runs of the run store again."""
        if self.runs_root is not None:
            self.set_runs(RunStore(self.runs_root).list_runs())

    def set_runs(self, runs: list[RunInfo]) -> None:
        """Offer these runs (only finished ones with a checkpoint are kept)."""
        keep = self.current_run()
        self.run_box.blockSignals(True)
        self.run_box.clear()
        for info in reversed(usable_runs(runs)):  # newest first
            self.run_box.addItem(_run_label(info), (str(info.path),))
            self._sources[str(info.path)] = (info.config or {}).get("source", {})
        for label, members in seed_ensembles(runs):  # several seeds of one method, averaged
            self.run_box.addItem(label, tuple(str(m) for m in members))
        self.run_box.blockSignals(False)
        if keep is not None and self.run_box.findData(str(keep)) >= 0:
            self.set_run(keep)
        self._selection_changed()

    def set_run(self, path: str | Path | tuple) -> None:
        """Choose the run at ``path``, or the runs of a tuple of paths (added if not listed)."""
        runs = tuple(str(p) for p in path) if isinstance(path, tuple) else (str(path),)
        index = self.run_box.findData(runs)
        if index < 0:
            label = Path(runs[0]).name if len(runs) == 1 else f"{len(runs)} runs averaged"
            self.run_box.addItem(label, runs)
            index = self.run_box.count() - 1
        self.run_box.setCurrentIndex(index)

    def current_run(self) -> Path | None:
        """The chosen run folder, the first of an ensemble (None when no finished run exists)."""
        runs = self.current_runs()
        return runs[0] if runs else None

    def current_runs(self) -> tuple[Path, ...]:
        """Every chosen run folder: one run, or the members of a seed ensemble."""
        data = self.run_box.currentData()
        return () if data is None else tuple(Path(p) for p in data)

    def use_run_in_service(self) -> None:
        """Predict the run's own in-service engines (C-MAPSS test, demo in service)."""
        self.data_box.setCurrentIndex(0)

    def use_csv(
        self,
        path: str | Path,
        mapping: ColumnMapping | None = None,
        truth_path: str | Path | None = None,
    ) -> None:
        """Predict the engines of an in-service CSV (as confirmed in the import dialog)."""
        truth = None if truth_path in (None, "") else Path(truth_path)
        data = InServiceData(Path(path), mapping or ColumnMapping(), truth)
        while self.data_box.count() > 1:  # one imported file at a time
            self.data_box.removeItem(1)
        self.data_box.addItem(data.label, data)
        self.data_box.setCurrentIndex(1)

    def current_data(self) -> InServiceData:
        """The chosen engines: the run's own in-service split or an imported CSV."""
        return self.data_box.currentData() or InServiceData()

    def predict(self) -> None:
        """Predict on a background thread; :attr:`finished` tells when it is done."""
        runs = self.current_runs()
        if not runs:
            self._show_message("Choose a finished run first.", error=True)
            self.finished.emit(False)
            return
        cached = self._predictor if self._predictor_runs == runs else None
        self._show_message("Predicting…")
        self._tasks.submit(predict_fleet, runs, self.current_data(), cached)
        self._update_buttons()

    def engine_table(self) -> pd.DataFrame:
        """The engines as shown: ranked, with the "due" flag (empty before a prediction)."""
        if self.result is None:
            return pd.DataFrame(columns=["unit", "last_cycle", "pred_rul", "pred_health"])
        return ranked_engines(
            self.result.prediction.engines, self.rank_box.currentData(), self.due_box.value()
        )

    def select_engine(self, unit) -> None:
        """Show the trajectory of engine ``unit`` (selects its row in the table)."""
        row = self.model.row_of(unit)
        if row < 0:
            raise KeyError(f"no engine {unit!r} in the table")
        self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    def trajectory_data(self) -> pd.DataFrame:
        """The shown engine's curves: cycle, predicted and true RUL (NaN where unknown)."""
        return self.plot.drawn_data()

    def selected_engine(self):
        """The unit id whose trajectory is shown (None when none is)."""
        return self.plot.unit

    def export_csv(self, path: str | Path) -> Path:
        """Write the engine table to a CSV file."""
        return export_frame_csv(self.engine_table(), path)

    def shutdown(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Let a running prediction end and release its thread (the view is closing)."""
        self._tasks.shutdown(wait_s)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------ building
    def _build(self) -> None:
        self.run_box, self.data_box = QComboBox(), QComboBox()
        self.run_box.setMinimumContentsLength(28)
        self.data_box.setMinimumContentsLength(24)
        self.data_box.addItem(InServiceData().label, InServiceData())
        for combo in (self.run_box, self.data_box):
            combo.currentIndexChanged.connect(self._selection_changed)
        self.import_button = _button("Import CSV…", self._import_csv, "Predict engines in a CSV")
        self.predict_button = _button("Predict", self.predict, "Predict RUL of every engine")
        self.export_button = _button("Export CSV…", self._ask_export, "Save the engine table")
        self.rank_box = QComboBox()
        for column in ("pred_rul", "rul_lower"):
            self.rank_box.addItem(RANK_BY[column], column)
        self.rank_box.setToolTip(
            "Most urgent first, by the predicted RUL or by the calibrated interval's lower bound"
        )
        self.due_box = QSpinBox()
        self.due_box.setRange(0, 1000)
        self.due_box.setValue(int(DUE_BELOW))
        self.due_box.setSuffix(" cycles")
        self.due_box.setToolTip(
            "Maintenance threshold: an engine is due when its interval's lower bound is below it"
        )
        for signal in (self.rank_box.currentIndexChanged, self.due_box.valueChanged):
            signal.connect(self._reshow)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.model = EngineTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = _engine_table_view(self.proxy)
        self.table.selectionModel().selectionChanged.connect(self._row_selected)
        self.plot = FleetTrajectoryPlot()
        self._lay_out()
        self._update_buttons()

    def _lay_out(self) -> None:
        """What to predict on one row, how to rank on the next: one row would make the
        dock (and so the window) wider than a laptop screen."""
        choose = QHBoxLayout()
        what: tuple[QWidget, ...] = (QLabel("Run"), self.run_box, QLabel("Engines"), self.data_box)
        for widget in what:
            choose.addWidget(widget)
        choose.addWidget(self.import_button)
        choose.addStretch(1)
        ranking: tuple[QWidget, ...] = (
            QLabel("Rank by"),
            self.rank_box,
            QLabel("Due below"),
            self.due_box,
        )
        rank = QHBoxLayout()
        for widget in ranking:
            rank.addWidget(widget)
        rank.addWidget(self.predict_button)
        rank.addWidget(self.export_button)
        rank.addStretch(1)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.plot)
        splitter.setSizes([500, 600])
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addLayout(rank)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------ reactions
    def _selection_changed(self) -> None:
        """A different run or data set: what is shown no longer answers the question."""
        source = self._sources.get(str(self.current_run()), {})
        self.data_box.setItemText(0, own_engines_label(source))
        self._set_time_unit(run_time_unit(self.current_run()))
        if self.result is not None and self._key() != (self.result.runs, self.result.data):
            self._show_prediction(None)
            self._show_message("Press Predict for this run and these engines.")
        self._update_buttons()

    def _key(self) -> tuple[tuple[Path, ...], InServiceData]:
        return self.current_runs(), self.current_data()

    def _show_result(self, result: FleetResult) -> None:
        self._predictor, self._predictor_runs = result.predictor, result.runs
        self._update_buttons()
        if (result.runs, result.data) != self._key():
            self._show_message("The choice changed while predicting: press Predict again.")
            self.finished.emit(False)
            return
        self._set_time_unit(result_time_unit(result))
        self._show_prediction(result)
        self._show_message(_summary(result, self.engine_table(), self.time_unit), error=False)
        self.finished.emit(True)

    def _show_failure(self, error: Exception) -> None:
        if isinstance(error, WorkbenchError):
            text = str(error)
        else:  # a bug or an unexpected library error: say what, keep the trace for details
            text = f"Prediction failed ({type(error).__name__}: {error})"
            self.message.setToolTip("".join(traceback.format_exception(error)))
        self._show_prediction(None)
        self._show_message(text, error=True)
        self.finished.emit(False)

    def _reshow(self) -> None:
        """Rank or threshold changed: the same prediction, ranked and flagged again."""
        if self.result is not None:
            self._show_prediction(self.result)
            summary = _summary(self.result, self.engine_table(), self.time_unit)
            self._show_message(summary, error=False)

    def _show_prediction(self, result: FleetResult | None) -> None:
        self.result = result
        shown = pd.DataFrame() if result is None else self.engine_table()
        self.model.set_frame(shown, self.time_unit)
        # Back to the model's order, most urgent first, whatever the user sorted by.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.plot.clear_engine()
        if result is not None:
            self.plot.set_thresholds(result.predictor.config.preprocess.health)
            self._fit_table()
            if self.model.rowCount():
                self.table.selectRow(0)
        self._update_buttons()

    def _set_time_unit(self, unit: str) -> None:
        """Say the run's time unit wherever a figure is shown (table, plot, threshold)."""
        self.time_unit = time_unit(unit)
        self.plot.set_time_unit(self.time_unit)
        self.due_box.setSuffix(f" {self.time_unit}")

    def _fit_table(self) -> None:
        """Give the table the width its columns need; the plot takes the rest."""
        self.table.resizeColumnsToContents()
        table = self.table
        needed = table.horizontalHeader().length() + 2 * table.frameWidth()
        needed += table.verticalScrollBar().sizeHint().width()
        total = sum(self.splitter.sizes())
        self.splitter.setSizes([needed, max(total - needed, 300)])

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.result is None:
            return
        unit = self.model.unit_at(self.proxy.mapToSource(rows[0]).row())
        trajectories = self.result.prediction.trajectories
        self.plot.show_engine(unit, trajectories[trajectories["unit"] == unit])

    def run_window(self) -> int | None:
        """The chosen run's window length: the import check warns about shorter engines."""
        run = self.current_run()
        if run is None:
            return None
        try:
            window = RunDir(run).read_config().get("preprocess", {}).get("window")
        except RunStoreError:
            return None
        return window if isinstance(window, int) and not isinstance(window, bool) else None

    def _import_csv(self) -> None:
        dialog = CsvImportDialog(self, in_service=True, window=self.run_window())
        if dialog.exec() != CsvImportDialog.DialogCode.Accepted:
            return
        accepted = dialog.result_spec()
        if accepted is None or accepted.kind != IN_SERVICE:
            self._show_message(
                "That file was imported as run-to-failure (training data); import it as "
                "'still in service' to predict its engines.",
                error=True,
            )
            return
        self.use_csv(accepted.path, accepted.mapping, accepted.truth_path)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the engine table", "fleet_predictions.csv", "CSV table (*.csv)"
        )
        if path:
            self.export_csv(path if path.endswith(".csv") else path + ".csv")

    def _show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else INFO_STYLE)
        if not error:
            self.message.setToolTip("")

    def _update_buttons(self) -> None:
        busy = self._tasks.busy
        self.predict_button.setEnabled(not busy and self.current_run() is not None)
        self.export_button.setEnabled(self.result is not None)


def _button(text: str, slot, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def _engine_table_view(model) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(22)
    return view


def own_engines_label(source: dict) -> str:
    """What the run's own in-service engines are, in the words of its data source."""
    kind = source.get("kind")
    if kind == "cmapss":
        return f"C-MAPSS {source.get('subset')} test engines"
    if kind == "demo":
        return "demo fleet: engines in service"
    if kind == "csv" and source.get("test_csv"):
        return f"in service: {Path(source['test_csv']).name}"
    return InServiceData().label


def _run_label(info: RunInfo) -> str:
    """The run's folder name and its test RMSE, so the best one is easy to pick."""
    rmse = (info.metrics or {}).get("rmse")
    return info.name if rmse is None else f"{info.name}  (RMSE {format_metric('rmse', rmse)})"


def result_time_unit(result: FleetResult) -> str:
    """The unit of a prediction's RUL: the run's saved preprocessing says it."""
    return time_unit(result.predictor.members[0].pipeline.time_unit)


def _summary(result: FleetResult, shown: pd.DataFrame, unit: str = CYCLES) -> str:
    """One line under the choices: engines per state, how many are due, the error if known."""
    engines = result.prediction.engines
    counts = engines["pred_health"].value_counts()
    states = " · ".join(
        f"<b style='color:{STATE_COLOURS[s]}'>{counts.get(s, 0)}</b> {s}"
        for s in reversed(HEALTH_STATES)
    )
    text = f"{len(engines)} engines of {result.fleet_name}, health head: {states}"
    if "rul_state" in engines:
        by_rul = engines["rul_state"].value_counts()
        text += " · RUL head: " + " · ".join(
            f"{by_rul.get(s, 0)} {s}" for s in reversed(HEALTH_STATES)
        )
        disagree = int((~engines["heads_agree"]).sum())
        if disagree:
            text += f" · <b>{disagree}</b> where the heads disagree (≠)"
    if "due" in shown:
        due = int(shown["due"].sum())
        text += f" · <b style='color:{STATE_COLOURS['critical']}'>{due}</b> due"
    if "error" in engines:
        rmse = float(np.sqrt(np.mean(np.square(engines["error"]))))
        text += f" · RMSE {format_metric('rmse', rmse)} {unit} against the true RUL"
    unfamiliar = int((engines.get("warning", pd.Series(dtype=str)) != "").sum())
    if unfamiliar:
        text += f" · <b style='{ERROR_STYLE}'>{unfamiliar}</b> with data unlike the training data"
    spread = float(engines["pred_rul"].std(ddof=0)) if len(engines) > 1 else math.inf
    if spread < CONSTANT_SPREAD:
        text += (
            f"<br><b style='{ERROR_STYLE}'>This run predicts nearly the same RUL for every "
            f"engine (spread {spread:.2f} {unit}): its ranking carries no information.</b>"
        )
    return text


__all__ = [
    "FleetResult",
    "FleetView",
    "InServiceData",
    "predict_fleet",
    "usable_runs",
]
