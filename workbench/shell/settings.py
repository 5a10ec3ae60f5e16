"""Where the workbench keeps what it remembers: window layout, experiment settings, run store.

Everything goes through one :class:`WorkbenchSettings`, backed by an INI-format
:class:`~PySide6.QtCore.QSettings`. INI rather than the native store (the
registry on Windows) so the file can be inspected, copied between machines,
and pointed elsewhere: tests and the screenshot mode give a file of their own
and never touch the user's settings. Dictionaries are stored as JSON text,
because QSettings turns nested values into backend-specific types.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from core.runs.location import APPLICATION, ORGANISATION

#: Environment variable naming a settings file to use instead of the user's.
SETTINGS_ENV = "RUL_WORKBENCH_SETTINGS"
#: Bumped when the dock layout changes shape, so an old saved layout is not restored
#: (2: live panels got a readable minimum size; layouts saved before could crush them).
LAYOUT_VERSION = 2


def open_settings(file: str | Path | None = None) -> QSettings:
    """The settings file: ``file``, else ``$RUL_WORKBENCH_SETTINGS``, else the user's own."""
    chosen = file or os.environ.get(SETTINGS_ENV)
    if chosen:
        return QSettings(str(chosen), QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )


class WorkbenchSettings:
    """Typed access to the remembered state of the workbench.

    Parameters
    ----------
    file
        Settings file to use; ``None`` uses :func:`open_settings`'s choice.
    """

    def __init__(self, file: str | Path | None = None) -> None:
        self.qsettings = open_settings(file)

    @property
    def path(self) -> str:
        """The file the settings live in (shown in the About box and in bug reports)."""
        return self.qsettings.fileName()

    def save_window(self, window: QMainWindow) -> None:
        """Geometry and dock layout of the main window."""
        self.qsettings.setValue("window/geometry", window.saveGeometry())
        self.qsettings.setValue("window/state", window.saveState(LAYOUT_VERSION))

    def restore_window(self, window: QMainWindow) -> bool:
        """Put the window back where the user left it; False when nothing was saved."""
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        restored = False
        if isinstance(geometry, QByteArray | bytes) and geometry:
            restored = window.restoreGeometry(QByteArray(geometry))
        if isinstance(state, QByteArray | bytes) and state:
            restored = window.restoreState(QByteArray(state), LAYOUT_VERSION) or restored
        return restored

    def section(self, name: str) -> dict[str, Any]:
        """A remembered dictionary (e.g. the experiment settings); {} when absent or damaged.

        A damaged entry (hand-edited file, older version) must never stop the
        workbench from starting, so it is simply forgotten.
        """
        text = self.qsettings.value(f"state/{name}")
        if not isinstance(text, str) or not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def set_section(self, name: str, value: dict[str, Any]) -> None:
        """Remember a dictionary of plain JSON values."""
        self.qsettings.setValue(f"state/{name}", json.dumps(value, sort_keys=True))

    def sync(self) -> None:
        """Write to disk now (Qt otherwise writes lazily)."""
        self.qsettings.sync()
