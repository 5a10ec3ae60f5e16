"""The method picker: a checkable list of balancing methods, each with its settings editor.

Editors are generated from :func:`core.methods.registry.describe_methods`, so
a method added to the registry appears here with spin boxes bounded by its
declared minimum and maximum, and its description as the tooltip: the GUI
never hard-codes a method's settings.
"""

from __future__ import annotations

import math
from typing import Any, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.experiment import describe_methods

#: Stand-in bound for a setting the registry leaves open.
OPEN_BOUND = 1e9
#: The same for whole numbers (a QSpinBox holds a 32-bit int).
INT_BOUND = 2**31 - 1
NAME_ROLE = Qt.ItemDataRole.UserRole


def _step(description: dict) -> float:
    """A spin step that suits the setting's scale (0.01 for a beta, 1 for a cap)."""
    top, default = description["maximum"], abs(float(description["default"]))
    if (top is not None and top <= 1) or default < 1:
        return 0.01
    return 0.1 if default < 10 else 1.0


def _decimals(*values: float | None) -> int:
    """Enough decimals to show small minimums and defaults (1e-8 must not round to 0)."""
    small = [abs(v) for v in values if v is not None and 0 < abs(v) < 1e-4]
    if not small:
        return 4
    return min(math.ceil(-math.log10(min(small))) + 1, 12)


def _float_editor(description: dict) -> QDoubleSpinBox:
    """A spin box showing the default's digits; an open-but-positive minimum stays positive."""
    low, high = description["minimum"], description["maximum"]
    editor = QDoubleSpinBox()
    decimals = _decimals(float(description["default"]))
    editor.setDecimals(decimals)
    if low is not None and 0 < low < 10**-decimals:
        low = 10**-decimals  # the smallest value the box can show, so 0 is never offered
    editor.setRange(
        low if low is not None else -OPEN_BOUND, high if high is not None else OPEN_BOUND
    )
    editor.setSingleStep(_step(description))
    editor.setValue(float(description["default"]))
    return editor


def make_editor(description: dict) -> QWidget:
    """A check box or spin box for one hyperparameter description."""
    kind, low, high = description["type"], description["minimum"], description["maximum"]
    editor: QWidget
    if kind == "bool":
        editor = QCheckBox()
        editor.setChecked(bool(description["default"]))
    elif kind == "int":
        editor = QSpinBox()
        top = INT_BOUND if high is None else int(min(high, INT_BOUND))
        editor.setRange(-INT_BOUND if low is None else int(max(low, -INT_BOUND)), top)
        editor.setValue(int(description["default"]))
    else:
        editor = _float_editor(description)
    editor.setToolTip(description["description"])
    return editor


def editor_value(editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    return cast(QSpinBox | QDoubleSpinBox, editor).value()


def set_editor_value(editor: QWidget, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    elif isinstance(editor, QDoubleSpinBox) and isinstance(value, int | float):
        editor.setValue(float(value))


class MethodSettings(QWidget):
    """The settings form of one method."""

    def __init__(self, method: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.method = method
        self.editors = {h["name"]: make_editor(h) for h in method["hyperparameters"]}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        about = QLabel(method["description"])
        about.setWordWrap(True)
        about.setStyleSheet("color: #57606a;")
        form.addRow(about)
        for name, editor in self.editors.items():
            form.addRow(name, editor)
        if not self.editors:
            form.addRow(QLabel("<i>no settings</i>"))
        else:
            defaults = QPushButton("Defaults")
            defaults.setToolTip("Put this method's settings back to the book's defaults")
            defaults.clicked.connect(self.reset)
            form.addRow("", defaults)

    def values(self) -> dict[str, Any]:
        return {name: editor_value(editor) for name, editor in self.editors.items()}

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in self.editors:
                set_editor_value(self.editors[name], value)

    def reset(self) -> None:
        self.set_values({h["name"]: h["default"] for h in self.method["hyperparameters"]})


class MethodPicker(QWidget):
    """Several methods can be ticked; the highlighted one's settings are shown below."""

    def __init__(self, checked: tuple[str, ...] = ("gaba",), parent: QWidget | None = None):
        super().__init__(parent)
        self.methods = describe_methods()
        self.list = QListWidget()
        self.stack = QStackedWidget()
        self.forms: dict[str, MethodSettings] = {}
        for method in self.methods:
            self._add(method, method["name"] in checked)
        self.heading = QLabel()
        self.list.currentRowChanged.connect(self._show_settings)
        self.list.itemChanged.connect(self._item_changed)
        # A click anywhere on a row ticks or unticks it, not only on its small box.
        self._pressed: tuple[QListWidgetItem, Qt.CheckState] | None = None
        self.list.itemPressed.connect(self._row_pressed)
        self.list.itemClicked.connect(self._row_clicked)
        self.list.setMinimumHeight(120)
        self._highlight_first_checked()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.heading)
        layout.addWidget(self.stack)

    def _add(self, method: dict, checked: bool) -> None:
        item = QListWidgetItem(f"{method['title']}  ({method['name']})")
        item.setData(NAME_ROLE, method["name"])
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setToolTip(method["description"])
        self.list.addItem(item)
        self.forms[method["name"]] = MethodSettings(method)
        self.stack.addWidget(self.forms[method["name"]])

    def _show_settings(self, row: int) -> None:
        """Show the settings of the highlighted method, named so it is clear whose they are."""
        self.stack.setCurrentIndex(row)
        if 0 <= row < len(self.methods):
            self.heading.setText(f"<b>{self.methods[row]['title']} settings</b>")

    def _item_changed(self, item: QListWidgetItem) -> None:
        """Ticking a method shows its settings, since that is what one adjusts next."""
        if item.checkState() == Qt.CheckState.Checked:
            self.list.setCurrentItem(item)

    def _row_pressed(self, item: QListWidgetItem) -> None:
        self._pressed = (item, item.checkState())

    def _row_clicked(self, item: QListWidgetItem) -> None:
        """Toggle the row's tick, unless the click was on the box (which toggled it already)."""
        pressed, self._pressed = self._pressed, None
        if pressed is None or pressed[0] is not item or item.checkState() != pressed[1]:
            return
        on = item.checkState() != Qt.CheckState.Checked
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.list.setCurrentItem(item)  # its settings show, ticked or not

    def _highlight_first_checked(self) -> None:
        checked = [i for i, item in enumerate(self._items()) if _is_checked(item)]
        self.list.setCurrentRow(checked[0] if checked else 0)
        self._show_settings(self.list.currentRow())

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def checked(self) -> list[str]:
        """Ticked methods, in registry order."""
        return [item.data(NAME_ROLE) for item in self._items() if _is_checked(item)]

    def set_checked(self, names: list[str]) -> None:
        """Tick exactly these methods and show the first one's settings."""
        self.list.blockSignals(True)
        for item in self._items():
            on = item.data(NAME_ROLE) in names
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        self._highlight_first_checked()

    def params(self) -> dict[str, dict[str, Any]]:
        """Settings of every method by name."""
        return {name: form.values() for name, form in self.forms.items()}

    def state(self) -> dict[str, Any]:
        return {"checked": self.checked(), "params": self.params()}

    def restore(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("checked"), list):
            self.set_checked(state["checked"])
        for name, values in (state.get("params") or {}).items():
            if name in self.forms and isinstance(values, dict):
                self.forms[name].set_values(values)


def _is_checked(item: QListWidgetItem) -> bool:
    return item.checkState() == Qt.CheckState.Checked
