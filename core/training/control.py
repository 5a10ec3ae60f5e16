"""Stop and pause requests, checked by the trainer between steps (thread-safe)."""

from __future__ import annotations

import threading


class TrainingControl:
    """Flags another thread sets and the training loop reads between steps."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def request_stop(self) -> None:
        """Finish the current step, save, and end the run as stopped."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_if_paused(self, poll_s: float = 0.1) -> None:
        """Block while paused; return at once when running or when stop is requested."""
        while not self._running.wait(poll_s):
            if self._stop.is_set():
                return
