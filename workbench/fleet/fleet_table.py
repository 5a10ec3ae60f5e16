"""The fleet view's engine table: one row per engine in service, most urgent first.

Numbers are shown rounded but sorted by their values; the predicted health
state is tinted in its colour (green, amber, red), so the engines to look at
stand out in a fleet of hundreds.
"""

from __future__ import annotations

import math

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from workbench.common.time_units import CYCLES, HOURS, time_unit
from workbench.plotting.style import STATE_COLOURS

#: Table columns: (engine table column, header, tooltip).
COLUMNS = (
    ("unit", "Engine", "The unit id in the data"),
    ("last_cycle", "Last cycle", "The latest cycle recorded for the engine"),
    ("pred_rul", "Predicted RUL", "Cycles left, predicted at the last cycle"),
    ("rul_lower", "Lower", "Lower bound of the calibrated RUL interval (docs/intervals.md)"),
    ("rul_upper", "Upper", "Upper bound of the calibrated RUL interval"),
    ("due", "Due", "The interval's lower bound is under the maintenance threshold"),
    ("rul_state", "RUL says", "The health state the predicted RUL falls in (the run's thresholds)"),
    (
        "pred_health",
        "Health head",
        "The health head's own state at the last cycle; marked ≠ where it disagrees with the "
        "RUL head. The interval's lower bound decides 'due'; the health head is a second opinion",
    ),
    ("true_rul", "True RUL", "Cycles the engine actually had left (capped as in training)"),
    (
        "error",
        "Error",
        "Predicted minus true RUL; positive means the prediction is late (riskier)",
    ),
    ("warning", "Warning", "Data unlike anything the model was trained on: a guess, not an answer"),
)
#: The columns whose words change for a run of hours: (header, tooltip).
HOURS_COLUMNS = {
    "last_cycle": ("Last record (h)", "Hours at the latest record of the engine"),
    "pred_rul": ("Predicted RUL", "Hours left, predicted at the latest record"),
    "true_rul": ("True RUL", "Hours the engine actually had left (capped as in training)"),
}
#: Columns shown as text (left-aligned, no number format).
TEXT_COLUMNS = ("unit", "rul_state", "pred_health", "due", "warning")
#: Predictions later than this many cycles are shown in red.
LATE_CYCLES = 10.0
LATE_COLOUR = STATE_COLOURS["critical"]
#: How strongly the health-state colour tints its cell (0-255).
TINT_ALPHA = 70
SORT_ROLE = Qt.ItemDataRole.UserRole
Index = QModelIndex | QPersistentModelIndex


class EngineTableModel(QAbstractTableModel):
    """Read-only model over a prediction's engine table (a DataFrame)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.frame = pd.DataFrame()
        self.columns: list[tuple[str, str, str]] = []
        self.time_unit = CYCLES

    def set_frame(self, frame: pd.DataFrame, unit: str | None = CYCLES) -> None:
        """Show ``frame``; columns it lacks (the truth, when unknown) are left out.

        ``unit`` is the run's time unit: a run of hours says so in the headers.
        """
        self.beginResetModel()
        self.frame = frame.reset_index(drop=True)
        self.time_unit = time_unit(unit)
        self.columns = [
            _in_unit(column, self.time_unit) for column in COLUMNS if column[0] in frame.columns
        ]
        self.endResetModel()

    def unit_at(self, row: int):
        """The unit id shown in ``row`` (model order)."""
        return self.frame["unit"].iat[row]

    def row_of(self, unit) -> int:
        """The model row of ``unit`` (-1 when absent); ``"7"`` finds unit 7."""
        units = list(self.frame["unit"]) if "unit" in self.frame else []
        for row, known in enumerate(units):
            if known == unit or str(known) == str(unit):
                return row
        return -1

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.frame)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or section >= len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][1]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section][2]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        name = self.columns[index.column()][0]
        value = self.frame[name].iat[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            text = _shown(name, value)
            if name == "pred_health" and not self._agree(index.row()):
                text += "  ≠"
            return text
        if role == SORT_ROLE:
            return value.item() if hasattr(value, "item") else value
        if role == Qt.ItemDataRole.BackgroundRole and name in ("pred_health", "rul_state"):
            colour = QColor(STATE_COLOURS.get(str(value), "#ffffff"))
            colour.setAlpha(TINT_ALPHA)
            return QBrush(colour)
        if role == Qt.ItemDataRole.ForegroundRole and name == "error" and value > LATE_CYCLES:
            return QBrush(QColor(LATE_COLOUR))
        if role == Qt.ItemDataRole.ForegroundRole and name in ("due", "warning") and bool(value):
            return QBrush(QColor(LATE_COLOUR))
        if role == Qt.ItemDataRole.TextAlignmentRole and name not in TEXT_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _agree(self, row: int) -> bool:
        """Whether the two heads name the same state for the engine in ``row``."""
        return "heads_agree" not in self.frame or bool(self.frame["heads_agree"].iat[row])


def _in_unit(column: tuple[str, str, str], unit: str) -> tuple[str, str, str]:
    """A column's header and tooltip in the run's time unit."""
    name = column[0]
    if unit == HOURS and name in HOURS_COLUMNS:
        return (name, *HOURS_COLUMNS[name])
    return column


def _shown(name: str, value) -> str:
    """Cycles as whole numbers, RULs to one decimal, errors with their sign."""
    if name in ("unit", "pred_health", "rul_state", "warning"):
        return str(value)
    if name == "due":
        return "due" if bool(value) else ""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if name == "last_cycle":
        return f"{value:g}"
    if name == "error":
        return f"{value:+.1f}"
    return f"{value:.1f}"
