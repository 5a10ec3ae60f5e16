"""The run queue as a table model: one row per (method, seed) run, queued, live or on disk.

Rows made in this session carry their experiment (so they can run or re-run);
rows read from the run store carry what the folder says, and a damaged
folder is a row too, with the reason as its tooltip, so nothing on disk is
silently hidden.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from core.common.formats import format_metric
from core.data.demo import DemoConfig
from core.data.pipeline_file import run_time_unit
from core.data.prepare import PreparedData
from core.data.sources import SourceSpec
from core.data.time_axis import CYCLES
from core.evaluation.variants import variant_suffixes
from core.experiment.run import ExperimentConfig
from core.runs import RunDir, RunInfo, RunStoreError
from core.training.selection import LABELS as SELECTION_LABELS

#: Statuses of a row that will not change any more.
ENDED = ("finished", "stopped", "diverged", "failed", "interrupted", "damaged")
#: Statuses whose metrics can be compared.
COMPARABLE = ("finished", "stopped", "diverged")
STATUS_COLOURS = {
    "running": "#1f6feb",
    "paused": "#9a6700",
    "finished": "#1a7f37",
    "stopped": "#6e7781",
    "diverged": "#cf222e",
    "failed": "#cf222e",
    "interrupted": "#9a6700",
    "damaged": "#cf222e",
}
COLUMNS = (
    "Run",
    "Data",
    "Status",
    "Progress",
    "Val RMSE",
    "Val F1",
    "Test RMSE",
    "NASA",
    "Accuracy",
    "Folder",
)
PROGRESS_COLUMN = COLUMNS.index("Progress")
_ids = itertools.count(1)


@dataclass
class QueueRow:
    """One run as the queue shows it."""

    method: str
    seed: int | None
    status: str = "queued"
    config: ExperimentConfig | None = None
    data: PreparedData | None = None
    source: str = ""
    progress: float = 0.0
    val_rmse: float | None = None
    metrics: dict = field(default_factory=dict)
    run_dir: str | None = None
    detail: str = ""
    from_store: bool = False
    resume: bool = False
    row_id: int = field(default_factory=lambda: next(_ids))

    @property
    def label(self) -> str:
        """``gaba s0``: how the user names a run."""
        return self.method if self.seed is None else f"{self.method} s{self.seed}"

    @property
    def time_unit(self) -> str:
        """The unit of the run's RUL: the data it trained on, else its saved preprocessing."""
        if self.data is not None:
            return self.data.time_unit or CYCLES
        return run_time_unit(self.run_dir) if self.run_dir else CYCLES


def row_from_config(config: ExperimentConfig, data: PreparedData | None = None) -> QueueRow:
    """A queued row for a new experiment."""
    return QueueRow(
        config.method, config.seed, config=config, data=data, source=data_label(config.source)
    )


def data_label(source: SourceSpec) -> str:
    """Which data a run used, short enough for the Data column and telling runs apart.

    The demo fleet says its size when it is not the default one; a CSV says its file name.
    """
    if source.kind == "csv":
        return f"csv:{Path(source.path or '').name}"
    if source.kind == "demo" and source.demo != DemoConfig():
        demo = source.demo
        extra = f", {demo.conditions} conditions" if demo.conditions != 1 else ""
        return f"demo ({demo.train_units} units{extra})"
    return source.label


def row_from_store(info: RunInfo) -> QueueRow:
    """A row for a run folder found on disk (damaged ones included)."""
    config = info.config or {}
    source = config.get("source", {}) if isinstance(config.get("source"), dict) else {}
    metrics = info.metrics or {}
    status = "damaged" if info.damaged else (info.status.value if info.status else "damaged")
    experiment = _config_or_none(config)
    progress, val_rmse = _progress_so_far(info, experiment, status)
    return QueueRow(
        method=str(config.get("method", info.name)),
        seed=config.get("seed") if isinstance(config.get("seed"), int) else None,
        status=status,
        config=experiment,
        source=data_label(experiment.source) if experiment else _source_label(source),
        progress=progress,
        val_rmse=metrics.get("val_rmse", val_rmse),
        metrics=metrics,
        run_dir=str(info.path),
        detail=info.damaged or info.detail,
        from_store=True,
    )


def _progress_so_far(
    info: RunInfo, config: ExperimentConfig | None, status: str
) -> tuple[float, float | None]:
    """(share of the epochs done, latest validation RMSE) of a stored run.

    A finished or diverged run is done. A stopped or interrupted one is as far as
    its history.csv goes, out of the epochs it was set to train, so a run stopped
    after 3 of 60 epochs reads 5 %, not 100 %.
    """
    if status in ("finished", "diverged"):
        return 1.0, None
    if config is None or status == "damaged":
        return 0.0, None
    try:
        history = RunDir(info.path).read_history()
    except (RunStoreError, OSError, ValueError):
        return 0.0, None
    if history.empty or "epoch" not in history:
        return 0.0, None
    epochs = max(config.train.epochs, 1)
    latest = history["val_rmse"].iloc[-1] if "val_rmse" in history else None
    latest = float(latest) if latest is not None and math.isfinite(latest) else None
    return min(float(history["epoch"].max()) / epochs, 1.0), latest


def _config_or_none(config: dict) -> ExperimentConfig | None:
    """The experiment of a stored run, if its config.json can still be understood."""
    try:
        return ExperimentConfig.from_dict(config) if config else None
    except (TypeError, ValueError, KeyError):
        return None


def _source_label(source: dict) -> str:
    kind = source.get("kind", "")
    if kind == "cmapss":
        return f"cmapss:{source.get('subset')}"
    if kind == "csv":
        return f"csv:{source.get('path')}"
    return str(kind)


def _metric(name: str, value: Any) -> str:
    """A metric in the workbench's one format for it; an empty cell until there is one."""
    return format_metric(name, value, missing="")


#: A row handed to a parallel executor that has not begun training yet.
WAITING = "waiting"


def status_text(row: QueueRow) -> str:
    """The Status cell: a diverged run says at which step, so the user need not open it."""
    step = row.metrics.get("steps")
    if row.status == "diverged" and isinstance(step, int):
        return f"diverged at step {step}"
    if row.status == "queued" and row.resume:
        return "queued (resume)"
    if row.status == WAITING:
        return "waiting for a worker"
    return row.status


def selection_text(metrics: dict) -> str:
    """'kept epoch 12, selected on both tasks (...): val RMSE 12.31, val macro-F1 0.861'."""
    criterion = metrics.get("select_on")
    if criterion not in SELECTION_LABELS or metrics.get("best_epoch") is None:
        return ""
    return (
        f"kept epoch {metrics['best_epoch']}, selected on {SELECTION_LABELS[criterion]}: "
        f"val RMSE {_metric('val_rmse', metrics.get('val_rmse'))}, "
        f"val macro-F1 {_metric('val_macro_f1', metrics.get('val_macro_f1'))}"
    )


def _cells(row: QueueRow, label: str) -> tuple[str, ...]:
    metrics = row.metrics
    return (
        label,
        row.source,
        status_text(row),
        f"{row.progress:.0%}",
        _metric("val_rmse", row.val_rmse),
        _metric("val_macro_f1", metrics.get("val_macro_f1")),
        _metric("rmse", metrics.get("rmse")),
        _metric("nasa_score", metrics.get("nasa_score")),
        _metric("accuracy", metrics.get("accuracy")),
        Path(row.run_dir).name if row.run_dir else "",
    )


class RunQueueModel(QAbstractTableModel):
    """Rows of runs; the queue dock shows it and the training controller walks it."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[QueueRow] = []
        self._labels: dict[int, str] = {}

    # ---------------------------------------------------------------- Qt API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cells(row, self.label(row))[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return row.progress
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            colour = STATUS_COLOURS.get(row.status)
            return QColor(colour) if colour else None
        return None

    def label(self, row: QueueRow) -> str:
        """``gaba s0``, with what sets the run apart from the others (``gaba s0 · epochs=12``)."""
        return self._labels.get(row.row_id, row.label)

    def _relabel(self) -> None:
        """Name each row by method, seed and any setting where it departs from the usual one.

        Two rows "gaba s0" trained for 12 and 4 epochs could only be told apart
        by their folder; the comparison tables name such variants the same way.
        """
        # the Data column names the data; the label names every other setting that differs
        configs = [None if r.config is None else _without_source(r.config) for r in self._rows]
        suffixes = variant_suffixes(configs)
        self._labels = {
            r.row_id: f"{r.label}{suffix}" for r, suffix in zip(self._rows, suffixes, strict=True)
        }

    def _relabelled(self) -> None:
        """Relabel and repaint the Run column when the rows (and so the variants) change."""
        before = dict(self._labels)
        self._relabel()
        if self._rows and self._labels != before:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def _tooltip(self, row: QueueRow) -> str:
        parts = [f"{self.label(row)}: {row.status}"]
        selection = selection_text(row.metrics)
        if selection:
            parts.append(selection)
        if row.detail:
            parts.append(row.detail)
        if row.run_dir:
            parts.append(row.run_dir)
        return "\n".join(parts)

    # ------------------------------------------------------------- our API
    @property
    def rows(self) -> list[QueueRow]:
        """The rows in display order (read-only use)."""
        return list(self._rows)

    def add(self, rows: list[QueueRow]) -> None:
        """Append rows at the end of the queue."""
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()
        self._relabelled()

    def find(self, row_id: int) -> QueueRow | None:
        """The row with this id, or None when it was removed."""
        return next((r for r in self._rows if r.row_id == row_id), None)

    def position(self, row_id: int) -> int:
        """Display position of a row, -1 when absent."""
        return next((i for i, r in enumerate(self._rows) if r.row_id == row_id), -1)

    def update(self, row_id: int, **changes: Any) -> None:
        """Change fields of one row and repaint it."""
        at = self.position(row_id)
        if at < 0:
            return
        for name, value in changes.items():
            setattr(self._rows[at], name, value)
        if "config" in changes:
            self._relabelled()
        self.dataChanged.emit(self.index(at, 0), self.index(at, len(COLUMNS) - 1))

    def remove(self, row_ids: set[int]) -> None:
        """Drop rows that are not running (a running row must be stopped first)."""
        for at in reversed(range(len(self._rows))):
            row = self._rows[at]
            if row.row_id in row_ids and row.status not in ("running", "paused", WAITING):
                self.beginRemoveRows(QModelIndex(), at, at)
                del self._rows[at]
                self.endRemoveRows()
        self._relabelled()

    def next_queued(self) -> QueueRow | None:
        """The first row waiting to run."""
        return next((r for r in self._rows if r.status == "queued"), None)

    def known_run_dirs(self) -> set[str]:
        """Run folders already shown, so a store refresh adds only new ones."""
        return {r.run_dir for r in self._rows if r.run_dir}


def _without_source(config: ExperimentConfig) -> dict:
    settings = config.to_dict()
    settings.pop("source", None)
    return settings
