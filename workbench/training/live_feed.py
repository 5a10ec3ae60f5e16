"""Buffers the worker's events and hands them to the panels at a bounded rate.

A GPU run can report hundreds of steps a second. Each arrives as one queued
signal; handling it must cost next to nothing, so :meth:`LiveFeed.push` only
appends to a deque. A timer drains the deque about 25 times a second and
dispatches the records to the panels, which append to their buffers and ask
the shared :class:`~workbench.plotting.redraw.RedrawCoalescer` for one repaint. Only
the newest trajectory per split and the newest step per run are used, since
older ones would be overdrawn within the same tick anyway.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from core.training.events import EpochEvent, PredictionsEvent, ProbeEvent, RefitEvent, StepEvent
from workbench.training.live_area import LiveArea

#: Drain period: 40 ms, 25 times a second, matching the redraw coalescer.
DRAIN_MS = 40


class LiveFeed(QObject):
    """The GUI-side buffer between the training worker and the live panels.

    Parameters
    ----------
    area
        The panels to feed.
    parent
        Qt parent.
    """

    #: The newest step of a run after a drain (row id, StepEvent): progress bars.
    stepped = Signal(int, object)
    #: An epoch ended (row id, EpochEvent): the queue's validation RMSE.
    epochEnded = Signal(int, object)
    #: The newest refit epoch of a run after a drain (row id, RefitEvent): the status bar.
    refitted = Signal(int, object)

    def __init__(self, area: LiveArea, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.area = area
        self._pending: deque[tuple[int, object]] = deque()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DRAIN_MS)
        self._timer.timeout.connect(self.flush)
        self.received = 0
        #: The run the panels follow when several train at once (None: every event).
        self.watched: int | None = None
        #: (epoch, step) already drawn from the followed run's folder: older events are dropped.
        self.drawn_up_to: tuple[int, int] = (-1, -1)

    def push(self, row_id: int, event: object) -> None:
        """Take one event from the worker (cheap: it is handled on the next tick)."""
        self._pending.append((row_id, event))
        self.received += 1
        if not self._timer.isActive():
            self._timer.start()

    def pending(self) -> int:
        """Events waiting for the next tick."""
        return len(self._pending)

    def flush(self) -> None:
        """Dispatch every pending event now (the timer's tick; tests call it directly)."""
        self._timer.stop()
        latest_step: dict[int, StepEvent] = {}
        latest_predictions: dict[str, PredictionsEvent] = {}
        latest_refit: dict[int, RefitEvent] = {}
        while self._pending:
            row_id, event = self._pending.popleft()
            followed = self.watched is None or row_id == self.watched
            if isinstance(event, StepEvent):
                if followed:
                    self._on_step(event)
                latest_step[row_id] = event  # every row's progress bar moves
            elif isinstance(event, RefitEvent):
                latest_refit[row_id] = event
            elif isinstance(event, EpochEvent) and not followed:
                self.epochEnded.emit(row_id, event)  # the queue's validation RMSE
            elif not followed or self._drawn(event):
                continue  # another run's probe and trajectories, or drawn from its folder
            elif isinstance(event, PredictionsEvent):
                latest_predictions[event.split] = event
            else:
                self._dispatch(row_id, event)
        for event in latest_predictions.values():
            self.area.trajectory.set_predictions(event)
        for row_id, event in latest_step.items():
            self.stepped.emit(row_id, event)
        for row_id, event in latest_refit.items():
            self.refitted.emit(row_id, event)

    def _drawn(self, event: object) -> bool:
        """Whether ``event`` of the followed run was already drawn from its folder."""
        epoch, step = self.drawn_up_to
        if isinstance(event, EpochEvent):
            return event.epoch <= epoch
        if isinstance(event, ProbeEvent):
            return int(event.record.get("step", -1)) <= step
        return False

    def _on_step(self, event: StepEvent) -> None:
        weights = {"lambda_rul": event.weight_rul, "lambda_health": event.weight_health}
        self.area.weights.add_step(event.step, weights)
        self.area.losses.note_step(event.step, event.steps_per_epoch)

    def _dispatch(self, row_id: int, event: object) -> None:
        if isinstance(event, ProbeEvent):
            self.area.gradients.add_probe(event.record)
            self.area.blocks.add_probe(event.record)
        elif isinstance(event, EpochEvent):
            self.area.losses.add_epoch(event.row)
            self.epochEnded.emit(row_id, event)
        # FinishedEvent / FailedEvent: the worker's outcome carries the same, with more.
