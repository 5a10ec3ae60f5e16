"""Where the main window and its docks lie: the first layout, the screen it must fit, and a
remembered layout checked once the window shows.

Kept apart from the main window's wiring because it is one policy with its own
reasons (a 768-pixel laptop, a layout remembered on a bigger monitor, a saved
layout that crushes the plots) and its own tests (``test_window_layout.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication

from workbench.common.window_fit import (
    DockTabTips,
    KeptDockHeight,
    centred_in,
    clamp_to,
    first_size,
)
from workbench.shell.settings import LAYOUT_VERSION

if TYPE_CHECKING:
    from workbench.shell.main_window import MainWindow

DEFAULT_SIZE = QSize(1600, 1000)
#: The screen area the offscreen platform (tests, headless screenshots) pretends to have:
#: its own screen is an arbitrary 800 × 800.
OFFSCREEN_AREA = QRect(0, 0, 1920, 1080)
#: First width of the left-hand docks (the Data and Experiment forms).
DOCK_WIDTH = 330
#: First height of the run queue dock: its buttons and about five rows.
QUEUE_HEIGHT = 190
#: Screens at least this tall (available pixels) give the run queue :data:`QUEUE_HEIGHT`.
TALL_SCREEN = 900


class WindowPlacement:
    """Lays out the window's docks, fits the window to its screen and settles it once shown.

    ``screen_area`` overrides the screen's available area (tests, ``--screen-size``).
    """

    def __init__(self, window: MainWindow, screen_area: QRect | None = None):
        self.window = window
        self.screen_area = screen_area
        self.restored = False
        #: Whether the first show's checks ran (:meth:`settle`).
        self.settled = False
        self._default_state = QByteArray()

    def lay_out_docks(self) -> None:
        """Forms on the left (Experiment on top of Data), the run queue along the bottom."""
        w = self.window
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        w.addDockWidget(left, w.experiment_dock)
        w.addDockWidget(left, w.data_dock)
        w.tabifyDockWidget(w.data_dock, w.experiment_dock)
        w.experiment_dock.raise_()
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, w.queue_dock)
        w.setCorner(Qt.Corner.BottomLeftCorner, left)
        for dock in (w.experiment_dock, w.data_dock):
            # Forms stay readable in any layout, and never need a sideways scroll bar.
            form = dock.widget()
            form.setMinimumWidth(max(DOCK_WIDTH, form.minimumSizeHint().width()))
        #: The queue gets its height back when the window grows after shrinking.
        self.queue_height = KeptDockHeight(w, w.queue_dock)
        #: A dock tab with a shortened title (a long CSV path) shows the full one on hover.
        self.tab_tips = DockTabTips(w)
        self.size_docks()

    def size_docks(self) -> None:
        """The docks' first sizes: forms their minimum width, the queue a few rows.

        On a short screen (a 768-pixel laptop) the queue starts at its least
        height: the live plots need every pixel, the status bar shows progress.
        """
        w = self.window
        w.resizeDocks([w.experiment_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        short = self.available_area().height() < TALL_SCREEN
        queue = w.queue_dock.minimumSizeHint().height() if short else QUEUE_HEIGHT
        w.resizeDocks([w.queue_dock], [queue], Qt.Orientation.Vertical)
        self.queue_height.height = queue

    def restore(self, remembered: bool) -> None:
        """Place the window before it shows: the remembered geometry clamped, else centred.

        Call after the layout is built and (when ``remembered``) the saved
        layout was restored: the default layout is kept to fall back on.
        """
        w = self.window
        self._default_state = w.saveState(LAYOUT_VERSION)
        self.restored = remembered and w.settings.restore_window(w)
        area = self.available_area()
        if self.restored:
            w.setGeometry(clamp_to(w.geometry(), area))
        else:
            w.setGeometry(centred_in(self.default_size(), area))
        self.settled = False

    def available_area(self) -> QRect:
        """Where the window may lie: its screen's available geometry (less task bars).

        The offscreen platform has no real screen and gets :data:`OFFSCREEN_AREA`;
        ``screen_area`` overrides both.
        """
        if self.screen_area is not None:
            return QRect(self.screen_area)
        screen = self.window.screen()
        if screen is None or QGuiApplication.platformName() == "offscreen":
            return QRect(OFFSCREEN_AREA)
        return screen.availableGeometry()

    def default_size(self) -> QSize:
        """1600 x 1000, or 95 % of the available area where that is smaller."""
        return first_size(DEFAULT_SIZE, self.available_area())

    def settle(self) -> None:
        """Once shown: keep the frame on the screen; drop a restored layout that crushes panels."""
        if self.settled:
            return
        self.settled = True
        w = self.window
        area = self.available_area()
        if not self.restored:  # the size asked for before the window showed may have grown
            w.setGeometry(centred_in(self.default_size(), area))
            self.size_docks()
        frame = w.frameGeometry()
        if not area.contains(frame):
            margins = frame.size() - w.geometry().size()
            fitted = clamp_to(frame, area)
            w.resize(fitted.size() - margins)
            w.move(fitted.topLeft())
        if not self.restored:
            return
        if w.area.isVisible() and not w.area.panels_readable():
            w.restoreState(self._default_state, LAYOUT_VERSION)
            self.size_docks()
            w.status.showMessage(
                "The remembered layout left the plots too small to read: default layout restored.",
                10_000,
            )
        else:
            self.queue_height.height = w.queue_dock.height()
