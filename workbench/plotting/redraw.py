"""Coalesced redraws: many updates in a burst, one repaint per tick.

The worker thread can deliver hundreds of step and probe records a second.
Calling ``setData`` for each would keep the GUI thread busy repainting
curves nobody can see change that fast. Following glue's coalesced redraw,
panels only append to buffers and *request* a redraw; a :class:`RedrawCoalescer`
collects the requests and runs each pending redraw once per tick of a timer
(about 25 Hz by default), in the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

#: Default tick: 40 ms, i.e. at most 25 redraws per second per panel.
DEFAULT_INTERVAL_MS = 40


class RedrawCoalescer(QObject):
    """Runs pending redraw callbacks at most once per tick.

    Parameters
    ----------
    interval_ms
        Minimum time between two ticks. The timer only runs while something
        is pending, so an idle workbench costs nothing.
    parent
        Qt parent (the panel or window owning it).

    Attributes
    ----------
    ticks
        Number of ticks that ran at least one redraw (for benchmarks and tests).
    """

    #: Emitted after each tick with the number of redraws it ran.
    redrawn = Signal(int)

    def __init__(self, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        # Insertion-ordered dict used as an ordered set: a callback requested
        # twice before a tick still runs once.
        self._pending: dict[Callable[[], None], None] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self.ticks = 0

    @property
    def interval_ms(self) -> int:
        """Time between ticks in milliseconds."""
        return self._timer.interval()

    def request(self, redraw: Callable[[], None]) -> None:
        """Schedule ``redraw`` for the next tick (cheap; call it on every update)."""
        self._pending[redraw] = None
        if not self._timer.isActive():
            self._timer.start()

    def discard(self, redraw: Callable[[], None]) -> None:
        """Drop a pending request, e.g. for a panel that is being deleted."""
        self._pending.pop(redraw, None)

    def cancel(self) -> None:
        """Drop every pending redraw and stop the timer (window closing, test teardown)."""
        self._timer.stop()
        self._pending.clear()

    def pending(self) -> int:
        """How many redraws wait for the next tick."""
        return len(self._pending)

    def flush(self) -> None:
        """Run every pending redraw now (the timer's tick; tests call it directly)."""
        self._timer.stop()
        pending, self._pending = list(self._pending), {}
        for redraw in pending:
            redraw()
        if pending:
            self.ticks += 1
            self.redrawn.emit(len(pending))
