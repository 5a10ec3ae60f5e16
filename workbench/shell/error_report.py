"""Errors the user must see, shown without stopping anything else.

A failed run should not hold the queue hostage behind a modal dialog: the
next run starts while the message is on screen. Messages arriving while one
is shown are appended to it, so a queue of nine runs failing on the same bad
folder makes one dialog, not nine. Tests pass a hook instead of showing
dialogs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

#: (title, message, technical details) -> None
ErrorHook = Callable[[str, str, str], None]


class ErrorReporter:
    """Shows readable error messages in one non-modal dialog, or hands them to a hook.

    Parameters
    ----------
    parent
        The window the dialog belongs to.
    hook
        Called instead of showing a dialog (tests, batch use).
    """

    def __init__(self, parent: QWidget, hook: ErrorHook | None = None) -> None:
        self.parent = parent
        self.hook = hook
        self.box: QMessageBox | None = None
        self.history: list[tuple[str, str]] = []

    def report(self, title: str, message: str, details: str = "") -> None:
        """Tell the user; never blocks and never raises."""
        self.history.append((title, message))
        if self.hook is not None:
            self.hook(title, message, details)
            return
        if self.box is not None and self.box.isVisible():
            self.box.setText(f"{self.box.text()}\n\n{title}: {message}")
            return
        self.box = QMessageBox(QMessageBox.Icon.Warning, title, message, parent=self.parent)
        self.box.setModal(False)
        if details:
            self.box.setDetailedText(details)
        self.box.show()
