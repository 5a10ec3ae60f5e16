"""The first rows of a user's CSV, as the import dialog's table shows them.

Each column header carries its role under its name (unit, time, setting,
sensor, ignored) so the user sees at once what the reader will make of the
file; ignored columns are greyed out, the unit and time columns stand out.
"""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from workbench.plotting.style import HEALTH, MUTED, RUL

UNIT, TIME, SETTING, SENSOR, IGNORED = "unit id", "time", "setting", "sensor", "ignored"
#: Header text colour per role: key columns in the task colours, ignored ones faint.
ROLE_COLOURS = {UNIT: HEALTH, TIME: RUL, SETTING: "#5f6368", SENSOR: "#202124", IGNORED: MUTED}
Index = QModelIndex | QPersistentModelIndex


class PreviewModel(QAbstractTableModel):
    """Read-only table of preview strings with a role per column."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows = pd.DataFrame()
        self.roles: dict[str, str] = {}

    def set_rows(self, rows: pd.DataFrame) -> None:
        """Show new rows (strings, columns named by the header)."""
        self.beginResetModel()
        self.rows = rows.reset_index(drop=True)
        self.roles = {name: SENSOR for name in rows.columns}
        self.endResetModel()

    def set_roles(self, unit, time, settings, ignored) -> None:
        """Give each column its role; columns named nowhere are sensors."""
        for name in self.rows.columns:
            self.roles[name] = _role(name, unit, time, set(settings), set(ignored))
        if self.columnCount():
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)
            last = self.index(self.rowCount() - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def sensor_columns(self) -> list[str]:
        """Columns that will be read as sensors (if they hold numbers)."""
        return [name for name, role in self.roles.items() if role == SENSOR]

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.rows.iat[index.row(), index.column()])
        if role == Qt.ItemDataRole.ForegroundRole and self._role(index.column()) == IGNORED:
            return QBrush(QColor(MUTED))
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or section >= self.columnCount():
            return None
        column_role = self._role(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{self.rows.columns[section]}\n{column_role}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(ROLE_COLOURS[column_role]))
        if role == Qt.ItemDataRole.FontRole and column_role in (UNIT, TIME):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _role(self, column: int) -> str:
        return self.roles.get(self.rows.columns[column], SENSOR)


def _role(name: str, unit, time, settings: set[str], ignored: set[str]) -> str:
    if name == unit:
        return UNIT
    if name == time:
        return TIME
    if name in settings:
        return SETTING
    return IGNORED if name in ignored else SENSOR
