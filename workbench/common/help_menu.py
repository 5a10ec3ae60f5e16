"""A window's Help menu: open the documentation, list the window's keyboard shortcuts.

The shortcut list is read from the window's own menus when it is asked for,
so it names every shortcut there is (one added later included) and never one
that is gone.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

#: The documentation folder of a source checkout (docs/README.md is its map).
DOCS = Path(__file__).resolve().parents[2] / "docs"


def add_help_menu(window: QMainWindow, docs: Path = DOCS) -> QMenu:
    """Add Help ▸ Documentation and Help ▸ Keyboard shortcuts to ``window``'s menu bar."""
    menu = window.menuBar().addMenu("&Help")
    documentation = menu.addAction("Documentation", lambda: open_documentation(window, docs))
    documentation.setShortcut(QKeySequence.StandardKey.HelpContents)
    documentation.setToolTip(f"Open {docs / 'README.md'}")
    menu.addAction("Keyboard shortcuts", lambda: show_shortcuts(window))
    return menu


def open_documentation(window: QMainWindow, docs: Path = DOCS) -> bool:
    """Open docs/README.md (else the docs folder) with the desktop's viewer; say when missing."""
    readme = docs / "README.md"
    target = readme if readme.is_file() else docs
    if not target.exists():
        QMessageBox.information(
            window,
            "Documentation",
            f"The documentation folder {docs} is not here (an installed copy carries no docs/). "
            "It is the docs/ folder of the workbench's source repository.",
        )
        return False
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))


def shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(menu ▸ entry, key sequence) of every menu entry with a shortcut, in menu order."""
    found: list[tuple[str, str]] = []
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu):
            _collect(menu, _plain(action.text()), found)
    return found


def _collect(menu: QMenu, path: str, found: list[tuple[str, str]]) -> None:
    for action in menu.actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            _collect(submenu, f"{path} ▸ {_plain(action.text())}", found)
        elif not action.isSeparator():
            keys = _keys(action)
            if keys:
                found.append((f"{path} ▸ {_plain(action.text())}", keys))


def _keys(action: QAction) -> str:
    native = QKeySequence.SequenceFormat.NativeText
    return ", ".join(k.toString(native) for k in action.shortcuts() if not k.isEmpty())


def _plain(text: str) -> str:
    """A menu text without its mnemonic ampersand and ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def show_shortcuts(window: QMainWindow) -> str:
    """A box listing the shortcuts; returns its text (tests read it)."""
    rows = "".join(
        f"<tr><td>{where}</td><td>&nbsp;&nbsp;<b>{keys}</b></td></tr>"
        for where, keys in shortcuts(window)
    )
    text = f"<table>{rows}</table>"
    QMessageBox.information(window, "Keyboard shortcuts", text)
    return text
