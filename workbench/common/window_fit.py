"""Fitting a window to the screen it opens on: first size, restored geometry, dock heights
and dock titles.

A window must never open larger than the screen's *available* area (the
screen less task bars and docks): on a 1366 × 768 laptop a 1600 px window
puts its right-hand controls, Export buttons and the status bar's ETA out
of reach. A geometry remembered on a bigger monitor is clamped the same way.
"""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import QChildEvent, QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QHelpEvent, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar, QToolTip

#: Share of the available area a first window takes (a margin to see what lies behind).
FIRST_SHARE = 0.95


def first_size(wanted: QSize, available: QRect, share: float = FIRST_SHARE) -> QSize:
    """``wanted``, or ``share`` of the available area where that is smaller (never more)."""
    room = QSize(int(available.width() * share), int(available.height() * share))
    return wanted.boundedTo(room)


def clamp_to(geometry: QRect, available: QRect) -> QRect:
    """``geometry`` no larger than ``available`` and moved inside it (size kept where it fits)."""
    size = geometry.size().boundedTo(available.size())
    left = min(max(geometry.left(), available.left()), available.right() + 1 - size.width())
    top = min(max(geometry.top(), available.top()), available.bottom() + 1 - size.height())
    return QRect(QPoint(left, top), size)


def centred_in(size: QSize, available: QRect) -> QRect:
    """A rectangle of ``size`` (clamped) centred in ``available``."""
    size = size.boundedTo(available.size())
    rect = QRect(QPoint(0, 0), size)
    rect.moveCenter(available.center())
    return clamp_to(rect, available)


class KeptDockHeight(QObject):
    """Gives a top or bottom dock back its height when the window grows again.

    A main window that shrinks takes room from its docks once the central widget
    is at its least size, and gives all the room back to the central widget when
    it grows. Without this, a shrink and enlarge leaves the dock at its least
    height for good. The height kept (:attr:`height`) is the dock's own: the
    one it had last other than through a resize of the window (its first size,
    a restored layout, the user dragging the separator).
    """

    def __init__(self, window: QMainWindow, dock: QDockWidget) -> None:
        super().__init__(window)
        self.window, self.dock = window, dock
        self.height = dock.height()
        #: The window's size once its layout handled the last resize (Qt lays the docks
        #: out before event filters see the window's resize).
        self._window_size = window.size()
        self._giving_back = False
        window.installEventFilter(self)
        dock.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            resized = cast(QResizeEvent, event)
            if watched is self.window:
                grew = resized.size().height() > self._window_size.height()
                self._window_size = resized.size()
                if grew:
                    QTimer.singleShot(0, self._give_back)
            elif watched is self.dock and self._own_resize():
                self.height = resized.size().height()
        return False

    def _own_resize(self) -> bool:
        """Whether the dock's resize now is its own (not the window's, not ours)."""
        return self.window.size() == self._window_size and not self._giving_back

    def _give_back(self) -> None:
        dock = self.dock
        if dock.isVisible() and not dock.isFloating() and dock.height() < self.height:
            # Laid out on a later event: the dock's resize then is this, not the user's.
            self._giving_back = True
            self.window.resizeDocks([dock], [self.height], Qt.Orientation.Vertical)
            QTimer.singleShot(0, self._given_back)

    def _given_back(self) -> None:
        self._giving_back = False


#: Dynamic property of a dock whose (short) title leaves something out: the full text,
#: shown as the tooltip of the dock's tab (Qt's own tooltip repeats the tab's text).
FULL_TITLE = "fullTitle"


def elide_middle(text: str, characters: int) -> str:
    """``text`` at most ``characters`` long, cut in the middle (a file name's end stays)."""
    if len(text) <= characters:
        return text
    keep = max(characters - 1, 2)
    return text[: keep - keep // 2] + "…" + text[len(text) - keep // 2 :]


class DockTabTips(QObject):
    """Shows a tabbed dock's :data:`FULL_TITLE` as the tooltip of its tab.

    The tab bars of tabbed docks belong to the main window's layout and come
    and go with it, so every tab bar the window gains is watched.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        window.installEventFilter(self)
        for bar in window.findChildren(QTabBar):
            bar.installEventFilter(self)

    def tip(self, bar: QTabBar, index: int) -> str:
        """The tooltip of tab ``index``: the full title of the dock it shows, else its text."""
        text = bar.tabText(index)
        for dock in self.window.findChildren(QDockWidget):
            full = dock.property(FULL_TITLE)
            if dock.windowTitle() == text and full:
                return str(full)
        return text

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.ChildAdded:
            child = cast(QChildEvent, event).child()
            if isinstance(child, QTabBar):
                child.installEventFilter(self)
        elif isinstance(watched, QTabBar) and event.type() == QEvent.Type.ToolTip:
            help_event = cast(QHelpEvent, event)
            index = watched.tabAt(help_event.pos())
            if index >= 0:
                QToolTip.showText(help_event.globalPos(), self.tip(watched, index), watched)
                return True
        return False
