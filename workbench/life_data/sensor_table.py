"""The Data dock's sensor table: which sensors carry the wear, and which the model uses.

One row per candidate sensor with its monotonicity, trendability and
prognosability on the fitting units (Coble & Hines 2009, as MATLAB's
Predictive Maintenance Toolbox computes them; :mod:`core.data.health_indicators`).
Any column sorts, by value; a score that cannot be computed sorts below every
number, and constant sensors stay at the bottom whichever way the table is
sorted: they carry no wear and would only crowd the top of an ascending sort.
"""

from __future__ import annotations

import math

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.data.health_indicators import SCORES
from workbench.life_data.data_views import TABLE_COLUMNS, SensorTable
from workbench.plotting.style import MUTED, WARNING

#: The table's columns: (SensorTable column, header, header tooltip).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    (
        "sensor",
        "Sensor",
        "The sensor column, ✓ when the model uses it as a feature; sorts used sensors first, "
        "then in the fleet's column order (constant sensors, with no wear to score, stay last).",
    ),
    (
        "monotonicity",
        "Monotonicity",
        "How steadily the sensor only rises or only falls over a life: the mean over failed "
        "units of |#increases − #decreases| / (n − 1), 1 for a strictly monotone trend "
        "(Coble & Hines 2009).",
    ),
    (
        "trendability",
        "Trendability",
        "How alike the units' degradation shapes are: the smallest |correlation| between any "
        "two units' series, each resampled over its own life, 1 when all units trace the same "
        "shape (Coble & Hines 2009).",
    ),
    (
        "prognosability",
        "Prognosability",
        "How consistently units fail at the same value: exp(−std of the failure values / mean "
        "|first − failure value|), 1 when every unit fails at the same value "
        "(Coble & Hines 2009).",
    ),
)
#: Where each column's raw value is (for sorting and tests).
SORT_ROLE = Qt.ItemDataRole.UserRole
#: Ticked in the Used column.
USED_MARK = "✓"
#: Shown for a score that cannot be computed (fewer than 2 failed units).
MISSING = "–"
Index = QModelIndex | QPersistentModelIndex
#: Pixels the sort arrow takes in the sorted column's header.
SORT_ARROW = 12


def score_text(value: float) -> str:
    """A score with 3 decimals; '–' where it cannot be computed."""
    return MISSING if not math.isfinite(value) else f"{value:.3f}"


class SensorScoresModel(QAbstractTableModel):
    """Read-only model over a :class:`SensorTable`, sorted by :meth:`sort`."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.table = SensorTable(pd.DataFrame(columns=list(TABLE_COLUMNS)))
        #: Rows of ``table.frame`` in display order.
        self.order: list[int] = []
        self.sorted_by: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def set_table(self, table: SensorTable) -> None:
        """Show ``table``, sorted as the table was sorted before."""
        self.beginResetModel()
        self.table = table
        self.order = self._sorted(*self.sorted_by)
        self.endResetModel()

    def rows(self) -> pd.DataFrame:
        """The table as shown: its rows in display order (index reset)."""
        return self.table.frame.iloc[self.order].reset_index(drop=True)

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section][2]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.order):
            return None
        row = self.table.frame.iloc[self.order[index.row()]]
        name = COLUMNS[index.column()][0]
        value = row[name]
        if role == Qt.ItemDataRole.DisplayRole:
            if name in SCORES:
                return score_text(float(value))
            return f"{value} {USED_MARK}" if row["used"] else str(value)
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row['sensor']}: {row['note']}"
        if role == Qt.ItemDataRole.TextAlignmentRole and name in SCORES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and not row["used"]:
            return QBrush(QColor(MUTED))
        if role == Qt.ItemDataRole.FontRole and row["used"] and name == "sensor":
            font = QFont()
            font.setBold(True)
            return font
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column``'s values; missing scores, then constant sensors, always last."""
        self.layoutAboutToBeChanged.emit()
        self.sorted_by = (column, order)
        self.order = self._sorted(column, order)
        self.layoutChanged.emit()

    def _sorted(self, column: int, order: Qt.SortOrder) -> list[int]:
        frame = self.table.frame
        if frame.empty:
            return []
        name = COLUMNS[column][0] if 0 <= column < len(COLUMNS) else "sensor"
        descending = order == Qt.SortOrder.DescendingOrder
        constant = frame["constant"].tolist()
        if name == "sensor":  # used first, then the fleet's column order (s2 before s10)
            used = frame["used"].tolist()
            key = [i - (len(frame) if used[i] else 0) for i in range(len(frame))]
        else:
            key = frame[name].astype(float).tolist()
        numbers = [i for i in range(len(frame)) if not constant[i] and math.isfinite(key[i])]
        missing = [i for i in range(len(frame)) if not constant[i] and not math.isfinite(key[i])]
        flat = [i for i in range(len(frame)) if constant[i]]
        # sorted() is stable with reverse too: ties keep the fleet's column order.
        return sorted(numbers, key=lambda i: key[i], reverse=descending) + missing + flat


class FittedTable(QTableView):
    """A table whose columns share its width, each by what its header and cells need.

    The Data dock is narrow (330 pixels at 1366 × 768): sized to their contents
    plus the style's padding, the four columns would push Prognosability out
    of view. Here the spare width is shared out evenly; when there is none, a
    header is elided (its tooltip has the full name) rather than scrolled away.
    """

    def fit_columns(self) -> None:
        header = self.horizontalHeader()
        count = self.model().columnCount() if self.model() is not None else 0
        if not count:
            return
        metrics = header.fontMetrics()
        needed = [
            max(metrics.horizontalAdvance(_header_text(self, c)) + 8, self.sizeHintForColumn(c))
            for c in range(count)
        ]
        if 0 <= header.sortIndicatorSection() < count:  # room for the arrow beside its name
            needed[header.sortIndicatorSection()] += SORT_ARROW
        room = max(self.viewport().width(), 1)
        spare = room - sum(needed)
        if spare >= 0:
            widths = [n + spare // count for n in needed]
            widths[-1] += room - sum(widths)
        else:
            widths = [max(int(n * room / sum(needed)), 20) for n in needed]
        for column, width in enumerate(widths):
            header.resizeSection(column, width)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_columns()


def _header_text(table: QTableView, column: int) -> str:
    return str(table.model().headerData(column, Qt.Orientation.Horizontal))


class SensorScoresView(QWidget):
    """The sensor table, what it was scored on, and a note when the form asks for other data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SensorScoresModel(self)
        self.table = FittedTable()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setHighlightSections(False)
        header.sortIndicatorChanged.connect(lambda *_: self.table.fit_columns())
        self.about = QLabel("Load data to score its sensors.")
        self.about.setWordWrap(True)
        self.about.setStyleSheet(f"color: {MUTED};")
        self.stale = QLabel()
        self.stale.setWordWrap(True)
        self.stale.setStyleSheet(f"color: {WARNING};")
        self.stale.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 4, 2, 2)
        layout.setSpacing(4)
        layout.addWidget(self.about)
        layout.addWidget(self.stale)
        layout.addWidget(self.table, 1)

    def set_table(self, table: SensorTable) -> None:
        """Show a loaded data set's sensors; a new ranking score sorts the table by it."""
        before = self.model.table.ranked_by
        if table.ranked_by and table.ranked_by != before:
            column = [c[0] for c in COLUMNS].index(table.ranked_by)
            self.model.sorted_by = (column, Qt.SortOrder.DescendingOrder)
            self.table.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder)
        self.model.set_table(table)
        self.about.setText(describe(table))
        self.table.fit_columns()

    def set_stale(self, stale: bool) -> None:
        """Say that the form's sensor settings differ from the loaded data's."""
        self.stale.setText(
            "The sensor settings were changed: press Load data to score and choose again."
            if stale
            else ""
        )
        self.stale.setVisible(stale)


def describe(table: SensorTable) -> str:
    """The line above the table: what was scored, how many sensors are used and why."""
    frame = table.frame
    if frame.empty:
        return "No sensor columns to score."
    used = int(frame["used"].sum())
    constant = int(frame["constant"].sum())
    scored = f"Scored on {table.scored_on}." if table.scored_on else ""
    chosen = (
        f"{USED_MARK} the best {table.kept} by {table.ranked_by}"
        if table.ranked_by
        else f"{USED_MARK} used as features"
    )
    flat = f"; {constant} constant, listed last" if constant else ""
    return f"{scored} {chosen}: {used} of {len(frame)} sensors{flat}. Click a header to sort."
