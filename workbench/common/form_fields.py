"""Form fields built from a setting's declaration: range, value, tooltip and label in one place.

:class:`SettingsEditors` makes one editor per field of a settings class
declared with :func:`core.common.settings.setting` (``TrainConfig``,
``PreprocessConfig``), reads the class back from them and remembers their
values; a dock lays the editors out. A new setting therefore appears in the
GUI without touching any dock: docks place the settings they want in view
and :meth:`SettingsEditors.add_rows` puts the rest under "More settings".
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.common.settings import Declared, declared, is_settings, names

#: Qt spin boxes hold 32-bit ints.
INT_LIMIT = 2**31 - 1


class SettingsEditors:
    """One editor per declared field of ``cls`` (nested classes as ``outer.inner``).

    Parameters
    ----------
    cls
        A settings dataclass whose fields are declared with :func:`core.common.settings.setting`.
    custom
        Editors a dock builds itself for some fields (e.g. a device list limited
        to this machine); they are read the same way as generated ones.
    """

    def __init__(self, cls: type, custom: dict[str, QWidget] | None = None) -> None:
        self.cls = cls
        self.fields: dict[str, Declared] = {}
        self.editors: dict[str, QWidget] = {}
        self._build(cls, "", custom or {})

    def _build(self, cls: type, prefix: str, custom: dict[str, QWidget]) -> None:
        for d in declared(cls):
            key = prefix + d.name
            if is_settings(d.base):
                self._build(d.base, key + ".", custom)
                continue
            self.fields[key] = d
            editor = custom.get(key) or _editor(d)
            editor.setToolTip(editor.toolTip() or d.about.help[:1].upper() + d.about.help[1:])
            self.editors[key] = editor

    # ------------------------------------------------------------- layout
    def add_rows(self, form: QFormLayout, shown: list[str]) -> QWidget:
        """``shown`` as rows of ``form``; every other setting in a folded "More settings" part.

        Returns the folded part's container (hidden until its button is pressed).
        """
        for key in shown:
            self._add_row(form, key)
        more = QWidget()
        inner = QFormLayout(more)
        inner.setContentsMargins(0, 0, 0, 0)
        for key in self.editors:
            if key not in shown:
                self._add_row(inner, key)
        more.setVisible(False)
        button = QToolButton()
        button.setText("More settings")
        button.setCheckable(True)
        button.setAutoRaise(True)
        # ▸ folded, ▾ open: the arrow says there is more to see and whether it shows.
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setArrowType(Qt.ArrowType.RightArrow)
        button.toggled.connect(more.setVisible)
        arrows = {True: Qt.ArrowType.DownArrow, False: Qt.ArrowType.RightArrow}
        button.toggled.connect(lambda on: button.setArrowType(arrows[on]))
        button.setToolTip("Every other setting, with its default")
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(button)
        column.addWidget(more)
        form.addRow(holder)
        self.more_button = button
        return more

    def _add_row(self, form: QFormLayout, key: str) -> None:
        form.addRow(self.fields[key].about.label, self.editors[key])

    # ------------------------------------------------------------- values
    def value(self, key: str) -> Any:
        """The value ``key``'s editor shows, as the setting's type (``None`` for "auto")."""
        return _read(self.fields[key], self.editors[key])

    def config(self) -> Any:
        """The settings class as the editors show it; ValueError names a bad setting."""
        return self._assemble(self.cls, "")

    def _assemble(self, cls: type, prefix: str) -> Any:
        values = {}
        for d in declared(cls):
            key = prefix + d.name
            values[d.name] = (
                self._assemble(d.base, key + ".") if is_settings(d.base) else self.value(key)
            )
        return cls(**values)

    def show(self, config: Any) -> None:
        """Show every setting of ``config`` (an instance of the class)."""
        for key, d in self.fields.items():
            value = config
            for part in key.split("."):
                value = getattr(value, part)
            _write(d, self.editors[key], value)

    def state(self) -> dict[str, Any]:
        """Plain values by key, for QSettings."""
        return {key: _plain(self.value(key)) for key in self.editors}

    def restore(self, state: dict[str, Any]) -> None:
        """Show remembered values; a value of the wrong kind (an old settings file) is skipped."""
        for key, d in self.fields.items():
            if key in state:
                _write(d, self.editors[key], state[key], lenient=True)


def _editor(d: Declared) -> QWidget:
    about = d.about
    if d.base is bool:
        box = QCheckBox()
        box.setChecked(bool(d.default))
        return box
    if about.choices is not None:
        combo = QComboBox()
        for choice in about.choices:
            combo.addItem(choice, choice)
        combo.setCurrentIndex(combo.findData(d.default))
        return combo
    if d.base is int:
        spin = QSpinBox()
        low = int(about.minimum if about.minimum is not None else -INT_LIMIT)
        high = int(min(about.maximum if about.maximum is not None else INT_LIMIT, INT_LIMIT))
        if d.optional:  # one below the minimum reads "auto" (None)
            low -= 1
            spin.setSpecialValueText("auto")
        spin.setRange(low, high)
        spin.setValue(low if d.default is None else int(d.default))
        return spin
    if d.base is float:
        number = QDoubleSpinBox()
        step = about.step or 0.1
        number.setDecimals(about.decimals or (0 if step >= 1 else math.ceil(-math.log10(step))))
        number.setRange(about.minimum or 0.0, 1e9 if about.maximum is None else about.maximum)
        number.setSingleStep(step)
        number.setValue(float(d.default))
        return number
    line = QLineEdit("" if d.default is None else _plain(d.default))
    if d.optional:
        line.setPlaceholderText("auto")
    return line


def _read(d: Declared, editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        data = editor.currentData()
        return editor.currentText() if data is None else data
    if isinstance(editor, QSpinBox):
        value = editor.value()
        return None if d.optional and value == editor.minimum() else value
    if isinstance(editor, QDoubleSpinBox):
        return editor.value()
    assert isinstance(editor, QLineEdit)
    text = editor.text().strip()
    if d.base is tuple:
        return names(text) or None
    return text or (None if d.optional else text)


def _write(d: Declared, editor: QWidget, value: Any, lenient: bool = False) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(editor, QCheckBox) and isinstance(value, bool):
        editor.setChecked(value)
    elif isinstance(editor, QComboBox):
        index = editor.findData(value)
        index = index if index >= 0 else editor.findText(str(value))
        if index >= 0:
            editor.setCurrentIndex(index)
    elif isinstance(editor, QSpinBox) and (number or value is None):
        if value is None or (lenient and not float(value).is_integer()):
            editor.setValue(editor.minimum() if d.optional and value is None else editor.value())
        else:
            editor.setValue(int(value))
    elif isinstance(editor, QDoubleSpinBox) and number:
        editor.setValue(float(value))
    elif isinstance(editor, QLineEdit) and (value is None or isinstance(value, str | tuple | list)):
        editor.setText("" if value is None else _plain(value))


def _plain(value: Any) -> Any:
    """A value QSettings stores as it is: names joined by commas."""
    return ", ".join(value) if isinstance(value, tuple | list) else value
