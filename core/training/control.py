"""Stop, pause and abandon requests, checked by the trainer between steps (thread-safe).

*Stop* lets a run end the way it always does: the trainer finishes its step,
evaluates the kept weights on the test set and writes the metrics.
*Abandon* is for a program that is closing and cannot wait for that (on a
loaded two-core machine the per-epoch trajectory pass and the final test
evaluation took 5-9 s after a stop request, compact preset): it raises
:class:`RunAbandoned` at the first point the trainer hands control back —
before the next step, or at the next batch of an inference pass that runs
after an epoch was saved (the epoch's trajectories, the final test
evaluation). The validation pass that completes an epoch is let through, so an
epoch whose training finished still reaches history.csv and best.pt. Whoever
abandoned the run marks its folder stopped; the run can be resumed.
"""

from __future__ import annotations

import threading


class RunAbandoned(BaseException):
    """The run was abandoned: it ends now, as stopped.

    A BaseException, as ``KeyboardInterrupt`` is, so the trainer's and the
    libraries' ``except Exception`` handlers let it through instead of marking
    the run failed.
    """


class TrainingControl:
    """Flags another thread sets and the training loop reads between steps."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._abandoned = threading.Event()

    def request_stop(self) -> None:
        """Finish the current step, save, and end the run as stopped."""
        self._stop.set()
        self._running.set()

    def abandon(self) -> None:
        """Stop without any further work (the program is closing); safe from any thread."""
        self._abandoned.set()
        self.request_stop()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def abandoned(self) -> bool:
        return self._abandoned.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def check_abandoned(self) -> None:
        """Raise :class:`RunAbandoned` when the run was abandoned."""
        if self._abandoned.is_set():
            raise RunAbandoned

    def wait_if_paused(self, poll_s: float = 0.1) -> None:
        """Block while paused; return at once when running or stopping, raise if abandoned.

        The trainer calls this before every step: the first place to leave.
        """
        while not self._running.wait(poll_s):
            if self._stop.is_set():
                break
        self.check_abandoned()
