"""The column roles of a user's CSV, as the import dialog lets the user confirm them.

The reader guesses roles from names; the user sees the guess and changes what
is wrong. Roles stay exclusive: the unit and time columns cannot also be
ticked as settings or ignored. Columns the reader cannot use at all (text,
empty, a RUL target, timestamps) are shown ticked as ignored and locked, with
the reason as a tooltip, because unticking them would change nothing.

How the time column is read sits beside it: its unit (cycles or hours,
detected from its name unless chosen: every RUL is in it) and what to do
with several rows of one cycle (per-second flight data). A folder of one
file per unit offers its file names as the unit id.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from core.data.columns import ROW_ORDER, ColumnMapping
from core.data.csv_source import FILE_NAME_UNIT, CsvPreview

#: Combo entry that leaves a role to the reader's detection.
DETECT = "(detect)"
#: Time-unit choices: (shown, ``SourceSpec.time_unit``).
TIME_UNITS = (("detected", None), ("cycles", "cycles"), ("hours", "hours"))
#: Several-rows-per-cycle choices: (shown, ``SourceSpec.per_cycle``).
PER_CYCLE = (("not allowed", None), ("mean of the cycle", "mean"), ("last record", "last"))
#: Sensor names listed before "…".
LISTED_SENSORS = 8
NAME = Qt.ItemDataRole.UserRole
EDITABLE = (
    Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
)


class ColumnRolesBox(QGroupBox):
    """Unit and time combos, setting and ignored check lists, and the sensors that remain."""

    #: The user changed a role.
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Columns", parent)
        self.header: list[str] = []
        #: Columns the reader leaves out whatever the user says, with the reason.
        self.unusable: dict[str, str] = {}
        self.unit_box, self.time_box = QComboBox(), QComboBox()
        self.time_unit_box, self.per_cycle_box = QComboBox(), QComboBox()
        for combo, choices in ((self.time_unit_box, TIME_UNITS), (self.per_cycle_box, PER_CYCLE)):
            for text, value in choices:
                combo.addItem(text, value)
        self.time_unit_box.setToolTip(
            "The unit of the time column, and so of every RUL: detected from its name "
            "(hours for TSN, flight hours or a timestamp), or as chosen"
        )
        self.per_cycle_box.setToolTip(
            "Several rows with the same unit and time: an error, or one row per cycle "
            "(the mean of its rows, or its last row)"
        )
        self.settings_list, self.ignore_list = QListWidget(), QListWidget()
        for combo in (self.unit_box, self.time_box, self.time_unit_box, self.per_cycle_box):
            combo.currentIndexChanged.connect(self._changed)
        for listing in (self.settings_list, self.ignore_list):
            listing.itemChanged.connect(self._changed)
            listing.setMinimumHeight(90)
        self.sensors_label = QLabel()
        self.sensors_label.setWordWrap(True)
        self._lay_out()

    # ------------------------------------------------------------------ API
    def fill(self, preview: CsvPreview, file_unit: bool = False) -> None:
        """Show a newly read file's columns with the roles the reader detected.

        With ``file_unit`` (a folder of one file per unit) the unit id may be the file's name.
        """
        detected = preview.mapping or ColumnMapping()
        self.header = list(preview.header)
        self.unusable = {w.column: w.problem for w in preview.warnings if w.column}
        widgets = (self.unit_box, self.time_box, self.settings_list, self.ignore_list)
        for widget in widgets:
            widget.blockSignals(True)
        _fill_combo(
            self.unit_box, self.header, detected.unit, (FILE_NAME_UNIT,) if file_unit else ()
        )
        if file_unit:
            tip = "Each file holds one unit, named by the file (ESN-70012.csv: ESN-70012)"
            self.unit_box.setItemData(1, tip, Qt.ItemDataRole.ToolTipRole)
        _fill_combo(self.time_box, self.header, detected.time, extra=(ROW_ORDER,))
        self.time_box.setItemData(
            1, "Number each unit's rows 1, 2, 3 … in file order", Qt.ItemDataRole.ToolTipRole
        )
        _fill_list(self.settings_list, self.header, detected.settings, {})
        _fill_list(self.ignore_list, self.header, detected.ignore, self.unusable)
        for widget in widgets:
            widget.blockSignals(False)
        self._changed()

    def mapping(self) -> ColumnMapping:
        """The roles as set; sensors are left to the reader (every other numeric column).

        Columns the reader drops by itself are not listed as ignored, so its
        report still says why they were dropped.
        """
        return ColumnMapping(
            unit=self.unit_box.currentData(),
            time=self.time_box.currentData(),
            settings=tuple(_ticked(self.settings_list)),
            ignore=tuple(n for n in _ticked(self.ignore_list) if n not in self.unusable),
        )

    def time_unit(self) -> str | None:
        """``cycles``, ``hours`` or ``None`` (detected from the time column's name)."""
        return self.time_unit_box.currentData()

    def per_cycle(self) -> str | None:
        """``mean``, ``last`` or ``None`` (one row per cycle: a repeated time is an error)."""
        return self.per_cycle_box.currentData()

    def set_time_unit(self, unit: str | None) -> None:
        """``cycles``, ``hours`` or ``None`` (detected)."""
        _select(self.time_unit_box, unit, "time unit")

    def set_per_cycle(self, rule: str | None) -> None:
        """``mean``, ``last`` or ``None`` (not allowed)."""
        _select(self.per_cycle_box, rule, "per-cycle rule")

    def ignored(self) -> set[str]:
        """Every column left out: ticked by the user or unusable."""
        return set(_ticked(self.ignore_list)) | set(self.unusable)

    def sensor_columns(self) -> list[str]:
        """Columns with no other role: the reader uses them as sensors."""
        mapping = self.mapping()
        taken = {mapping.unit, mapping.time, *mapping.settings} | self.ignored()
        return [name for name in self.header if name not in taken]

    def set_unit(self, name: str | None) -> None:
        """The unit id column (``None``: detected)."""
        _select(self.unit_box, name)

    def set_time(self, name: str | None) -> None:
        """The time/cycle column (``None``: detected; ``ROW_ORDER``: numbered by row order)."""
        _select(self.time_box, name)

    def set_settings(self, names: list[str]) -> None:
        """Tick exactly ``names`` as operating settings."""
        _tick(self.settings_list, names)

    def set_ignored(self, names: list[str]) -> None:
        """Tick exactly ``names`` as ignored (unusable columns stay ticked)."""
        _tick(self.ignore_list, names)

    # ------------------------------------------------------------ internals
    def _lay_out(self) -> None:
        grid = QGridLayout(self)
        grid.addWidget(QLabel("Unit id"), 0, 0)
        grid.addWidget(self.unit_box, 0, 1)
        grid.addWidget(QLabel("Time / cycle"), 0, 2)
        grid.addWidget(self.time_box, 0, 3)
        grid.addWidget(QLabel("Time unit"), 1, 0)
        grid.addWidget(self.time_unit_box, 1, 1)
        grid.addWidget(QLabel("Several rows per cycle"), 1, 2)
        grid.addWidget(self.per_cycle_box, 1, 3)
        grid.addWidget(QLabel("Operating settings"), 2, 0, 1, 2)
        grid.addWidget(QLabel("Ignored"), 2, 2, 1, 2)
        grid.addWidget(self.settings_list, 3, 0, 1, 2)
        grid.addWidget(self.ignore_list, 3, 2, 1, 2)
        grid.addWidget(self.sensors_label, 4, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

    def _changed(self) -> None:
        keys = {self.unit_box.currentData(), self.time_box.currentData()} - {None}
        _lock_items(self.settings_list, keys, {})
        _lock_items(self.ignore_list, keys, self.unusable)
        self.sensors_label.setText(_sensors_text(self.sensor_columns()))
        self.changed.emit()


def _sensors_text(sensors: list[str]) -> str:
    if not sensors:
        return "Sensors: none left (every column has another role)."
    shown = ", ".join(sensors[:LISTED_SENSORS]) + (", …" if len(sensors) > LISTED_SENSORS else "")
    return f"Sensors: the other {len(sensors)} columns ({shown})"


def _fill_combo(
    combo: QComboBox, header: list[str], chosen: str | None, extra: tuple[str, ...] = ()
) -> None:
    """The file's columns after (detect) and ``extra`` choices that are no column."""
    combo.clear()
    combo.addItem(DETECT, None)
    for name in (*extra, *header):
        combo.addItem(name, name)
    combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen else 0)


def _select(combo: QComboBox, name: str | None, what: str = "") -> None:
    index = 0 if name is None else combo.findData(name)
    if index < 0:
        named = f"no {what} {name!r}" if what else f"no column named {name!r} in this file"
        raise ValueError(named)
    combo.setCurrentIndex(index)


def _fill_list(listing: QListWidget, header: list[str], ticked, unusable: dict[str, str]) -> None:
    listing.clear()
    for name in header:
        item = QListWidgetItem(name, listing)
        item.setData(NAME, name)
        tick = name in ticked or name in unusable
        item.setCheckState(Qt.CheckState.Checked if tick else Qt.CheckState.Unchecked)
        if name in unusable:
            item.setText(f"{name}  (not usable)")
            item.setToolTip(f"'{name}' {unusable[name]}")


def _lock_items(listing: QListWidget, keys: set[str], unusable: dict[str, str]) -> None:
    """The unit and time columns, and unusable columns, cannot be ticked or unticked."""
    listing.blockSignals(True)
    for row in range(listing.count()):
        item = listing.item(row)
        name = item.data(NAME)
        locked = name in keys or name in unusable
        item.setFlags(Qt.ItemFlag.ItemIsSelectable if locked else EDITABLE)
        item.setHidden(name in keys)  # it has its role already
        if name in keys:
            item.setCheckState(Qt.CheckState.Unchecked)
    listing.blockSignals(False)


def _ticked(listing: QListWidget) -> list[str]:
    items = (listing.item(row) for row in range(listing.count()))
    return [item.data(NAME) for item in items if item.checkState() == Qt.CheckState.Checked]


def _tick(listing: QListWidget, names: list[str]) -> None:
    known = {listing.item(row).data(NAME) for row in range(listing.count())}
    if set(names) - known:
        raise ValueError(f"no column(s) named {sorted(set(names) - known)} in this file")
    for row in range(listing.count()):
        item = listing.item(row)
        if item.flags() & Qt.ItemFlag.ItemIsEnabled:
            checked = item.data(NAME) in names
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
