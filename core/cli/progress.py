"""A one-line progress display on stderr, fed by trainer events."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from core.training.events import (
    EpochEvent,
    Event,
    FailedEvent,
    FinishedEvent,
    RefitEvent,
    StepEvent,
)


class ProgressLine:
    """Redraws ``label  epoch e/E  [#####.....]  losses  val RMSE`` at most ~5 times a second."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        interval_s: float = 0.2,
        live: bool = True,
    ) -> None:
        self.label = label
        #: False: one line per epoch even on a terminal (several runs print at once).
        self.live = live
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self._last = 0.0
        self._val = ""
        self._started = time.perf_counter()

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepEvent):
            self._step(event)
        elif isinstance(event, EpochEvent):
            mark = "  * kept" if event.improved else ""  # best selection score so far
            self._val = (
                f"val RMSE {event.row['val_rmse']:.2f}  F1 {event.row['val_macro_f1']:.3f}{mark}"
            )
            if not self._redraws:  # a log file, or runs printing at once: one line per epoch
                self.stream.write(
                    f"{self.label}  epoch {event.epoch}/{event.epochs}  {self._val}\n"
                )
        elif isinstance(event, RefitEvent):
            end = "" if self._redraws else "\n"
            start = "\r" if self._redraws else ""
            self.stream.write(
                f"{start}{self.label}  {event.what}: epoch {event.epoch}/{event.epochs}{end}"
            )
            self.stream.flush()
        elif isinstance(event, FinishedEvent | FailedEvent):
            if self._redraws:
                self.stream.write("\n")
            else:
                self.stream.write(f"{self.label}  {_ending(event)}\n")
            self.stream.flush()

    @property
    def _redraws(self) -> bool:
        return self.live and self.stream.isatty()

    def _step(self, event: StepEvent) -> None:
        now = time.perf_counter()
        if now - self._last < self.interval_s or not self._redraws:
            return
        self._last = now
        done = (event.step % event.steps_per_epoch + 1) / event.steps_per_epoch
        bar = "#" * int(20 * done) + "." * (20 - int(20 * done))
        text = (
            f"\r{self.label}  epoch {event.epoch} [{bar}]  L_rul {event.loss_rul:9.2f}  "
            f"L_health {event.loss_health:6.3f}  w {event.weight_rul:.2f}/{event.weight_health:.2f}"
            f"  {self._val}  {now - self._started:6.0f}s"
        )
        self.stream.write(text)
        self.stream.flush()


def _ending(event: FinishedEvent | FailedEvent) -> str:
    """How a run ended, in one phrase: status and test RMSE, or the failure."""
    if isinstance(event, FailedEvent):
        return f"failed: {event.message}"
    rmse = event.metrics.get("rmse")
    figure = f"  test RMSE {rmse:.2f}" if isinstance(rmse, float) else ""
    return f"{event.status}{figure}  ({event.detail})" if event.detail else event.status + figure
