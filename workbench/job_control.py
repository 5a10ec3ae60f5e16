"""Abandoning a training job when the window closes: no more work, nothing saved is lost.

Pressing Stop lets the trainer end the way it always does: it evaluates the
selected weights on the validation and test sets and writes the metrics.
Closing the window cannot wait for that: on the default demo fleet with the
'compact' preset the per-epoch trajectory pass and the final evaluation took
5-9 s on a loaded two-core machine, all after the stop request.

Abandoning raises :class:`RunAbandoned` in the worker thread at the first
point the trainer hands control back:

- before the next step (the trainer's pause check),
- at the next event (after a step, after an epoch was saved),
- in the next forward pass of an evaluation that follows a saved epoch
  (the trajectories of the epoch, the final test evaluation).

The validation pass that completes an epoch is let through, so an epoch whose
training finished still reaches history.csv and best.pt. The worker then
marks the run folder stopped. Following Orange's ``concurrent`` helpers, the
long computation is interrupted from the callbacks it already calls.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from torch.nn.modules.module import register_module_forward_pre_hook

from core.training.control import TrainingControl
from core.training.events import EpochEvent, Event, FailedEvent, FinishedEvent, StepEvent


class RunAbandoned(BaseException):
    """The window closed: the job ends now, as stopped.

    A BaseException, as ``KeyboardInterrupt`` is, so the trainer's and the
    libraries' ``except Exception`` handlers let it through instead of marking
    the run failed.
    """


class JobControl(TrainingControl):
    """Pause/stop flags plus *abandon*, which cuts the job short at the next chance."""

    def __init__(self) -> None:
        super().__init__()
        self._abandoned = threading.Event()
        self._epoch_saved = False  # the last event was the end of an epoch

    def abandon(self) -> None:
        """Stop without any further work (the window is closing); safe from any thread."""
        self._abandoned.set()
        self.request_stop()

    @property
    def abandoned(self) -> bool:
        return self._abandoned.is_set()

    def check(self) -> None:
        """Raise :class:`RunAbandoned` when the job was abandoned."""
        if self._abandoned.is_set():
            raise RunAbandoned

    def wait_if_paused(self, poll_s: float = 0.1) -> None:
        """The trainer calls this before every step: the first place to leave."""
        super().wait_if_paused(poll_s)
        self.check()

    def passed(self, event: Event) -> None:
        """Note where the trainer is, and leave at this event if abandoned.

        The last two events (finished, failed) always pass: they report an end
        that has already been written.
        """
        if isinstance(event, StepEvent):
            self._epoch_saved = False
        elif isinstance(event, EpochEvent):
            self._epoch_saved = True
        if not isinstance(event, FinishedEvent | FailedEvent):
            self.check()

    def cuts_forward(self, training: bool) -> bool:
        """Whether a forward pass should raise: a training step, or an evaluation after a save."""
        return self._abandoned.is_set() and (training or self._epoch_saved)


@contextmanager
def abandon_on_forward(control: JobControl) -> Iterator[None]:
    """While a job trains in this thread, make its forward passes the places to leave.

    A module-wide forward pre-hook, limited to the calling thread, so that a
    long evaluation pass (thousands of windows) ends at its next batch rather
    than after the whole pass. Other threads' models (the fleet view's
    predictions) are not affected.
    """
    thread = threading.get_ident()

    def leave_if_abandoned(module, _inputs) -> None:
        if control.cuts_forward(module.training) and threading.get_ident() == thread:
            raise RunAbandoned

    handle = register_module_forward_pre_hook(leave_if_abandoned)
    try:
        yield
    finally:
        handle.remove()
