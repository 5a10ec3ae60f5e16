"""The status bar: device, current run, its progress, elapsed and remaining time.

Remaining time is estimated from the run's own pace (elapsed / steps done),
which already includes the per-epoch validation, so it settles after the
first epoch; before the first steps it says so rather than guessing.
"""

from __future__ import annotations

import os
import time

import torch
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from core.common.formats import format_metric
from core.training.events import RefitEvent, StepEvent


def device_text() -> str:
    """What ``auto`` trains on here, in words."""
    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU ({os.cpu_count() or 1} cores)"


def result_text(metrics: dict) -> str:
    """`` · test RMSE 12.34 · accuracy 85.0 %``; the validation RMSE without a test split.

    Numbers as everywhere else in the workbench (``core.common.formats``).
    """
    rmse = "rmse" if format_metric("rmse", metrics.get("rmse"), missing="") else "val_rmse"
    named = ((rmse, "test RMSE" if rmse == "rmse" else "val RMSE"), ("accuracy", "accuracy"))
    parts = [(words, format_metric(key, metrics.get(key), missing="")) for key, words in named]
    return "".join(f" · {words} {text}" for words, text in parts if text)


def clock(seconds: float) -> str:
    """``1:02:03`` or ``2:03``."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingStatusBar(QStatusBar):
    """Permanent fields for the device and the running run, plus transient messages."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device = QLabel(device_text())
        self.run = QLabel("idle")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(220)
        self.progress.setFormat("")
        self.progress.setTextVisible(True)
        self.times = QLabel("")
        for widget in (self.run, self.progress, self.times, self.device):
            self.addPermanentWidget(widget)
        self._started: float | None = None
        self._paused_at: float | None = None
        self._label = ""
        self._fraction = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    def run_started(self, label: str) -> None:
        """A run began: reset the clock and the bar."""
        self._started = time.monotonic()
        self._paused_at = None
        self._label = label
        self._fraction = 0.0
        self.run.setText(f"training {label}")
        self.progress.setValue(0)
        self.progress.setFormat("starting…")
        self._timer.start()
        self._tick()

    def update_step(self, event: StepEvent, epochs: int) -> None:
        """Progress of the run from its newest step."""
        total = max(event.steps_per_epoch * epochs, 1)
        self._fraction = min((event.step + 1) / total, 1.0)
        self.progress.setValue(int(1000 * self._fraction))
        in_epoch = event.step - (event.epoch - 1) * event.steps_per_epoch + 1
        self.progress.setFormat(
            f"epoch {event.epoch}/{epochs} · step {in_epoch}/{event.steps_per_epoch}"
        )
        self._tick()

    def update_refit(self, event: RefitEvent) -> None:
        """Progress of a side training: the refit after selection, or a tuning run before it."""
        self._fraction = event.epoch / max(event.epochs, 1)
        self.progress.setValue(int(1000 * self._fraction))
        self.progress.setFormat(f"{event.what} · epoch {event.epoch}/{event.epochs}")
        self._tick()

    def set_paused(self, paused: bool) -> None:
        """Pause: say so and stop the clock (time paused counts neither as elapsed nor left)."""
        if self._started is None or paused == (self._paused_at is not None):
            return
        if paused:
            self._paused_at = time.monotonic()
            self._timer.stop()
            self.run.setText(f"paused {self._label}")
            self.times.setText(self.times.text().replace("elapsed", "paused after"))
        else:
            self._started += time.monotonic() - (self._paused_at or time.monotonic())
            self._paused_at = None
            self.run.setText(f"training {self._label}")
            self._timer.start()
            self._tick()

    def run_ended(self, label: str, status: str, metrics: dict | None = None) -> None:
        """The run ended: freeze the clock, say how and, given its metrics, how well."""
        self._timer.stop()
        if self._paused_at is not None and self._started is not None:
            self._started += time.monotonic() - self._paused_at
            self._paused_at = None
        if self._started is not None:
            self.times.setText(f"took {clock(time.monotonic() - self._started)}")
        self._started = None
        self.run.setText(f"{label} {status}{result_text(metrics or {})}")
        if status == "finished":
            self.progress.setValue(1000)
        self.progress.setFormat(status)

    def _tick(self) -> None:
        if self._started is None or self._paused_at is not None:
            return
        elapsed = time.monotonic() - self._started
        if self._fraction > 0.01:
            remaining = elapsed * (1 - self._fraction) / self._fraction
            self.times.setText(f"elapsed {clock(elapsed)} · about {clock(remaining)} left")
        else:
            self.times.setText(f"elapsed {clock(elapsed)}")
