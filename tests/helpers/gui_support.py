"""Shared parts of the GUI tests: a small demo fleet, quick settings, the thread watch."""

from __future__ import annotations

import threading
import traceback
import weakref

from PySide6.QtCore import QThread

from core.data.demo import DemoConfig

#: A demo fleet small enough for a two-epoch tiny run in a few seconds.
SMALL_DEMO = DemoConfig(train_units=30, test_units=10)
#: Input window of the GUI tests (shorter than the book's 30 cycles: half the time per step).
TEST_WINDOW = 20


def quick_settings(window, methods=("gaba",), seeds="0", epochs=2) -> None:
    """Tiny preset, probe every third step: a run takes a few seconds."""
    dock = window.experiment_dock
    dock.preset.setCurrentText("tiny")
    dock.device.setCurrentText("cpu")
    dock.epochs.setValue(epochs)
    dock.batch_size.setValue(256)
    dock.patience.setValue(0)
    dock.probe_every.setValue(3)
    dock.seeds.setText(seeds)
    dock.methods.set_checked(list(methods))


def _caller() -> str:
    """Where a thread was started from (the last few frames before ``start``)."""
    return "".join(traceback.format_stack(limit=8)[:-2][-4:])


class ThreadWatch:
    """Records every QThread started from now on, and the Python threads that appear.

    Parameters
    ----------
    monkeypatch
        Used to wrap ``QThread.start`` for the duration of the test.
    """

    def __init__(self, monkeypatch) -> None:
        self.started: weakref.WeakKeyDictionary[QThread, str] = weakref.WeakKeyDictionary()
        self.before = set(threading.enumerate())
        original = QThread.start
        started = self.started

        def start_and_remember(thread, *args, **kwargs):
            started[thread] = _caller()
            return original(thread, *args, **kwargs)

        monkeypatch.setattr(QThread, "start", start_and_remember)

    def problems(self, grace_s: float = 0.0) -> list[str]:
        """One line per thread still running after ``grace_s`` to end by itself.

        A thread the window handed back unfinished on closing (a torch warm-up
        import, a file read) is allowed to end on its own shortly after.
        """
        found = [
            f"QThread {t.objectName()!r} still running, started at:\n{where}"
            for t, where in list(self.started.items())
            if _running(t, grace_s)
        ]
        for thread in self._new_python_threads():
            thread.join(grace_s)
        found += [f"Python thread {t.name!r} still running" for t in self._new_python_threads()]
        return found

    def _new_python_threads(self) -> list[threading.Thread]:
        return [
            t
            for t in threading.enumerate()
            if t not in self.before and t.is_alive() and not t.daemon
        ]


def _running(thread: QThread, grace_s: float = 0.0) -> bool:
    try:
        return not thread.wait(int(grace_s * 1000))
    except RuntimeError:  # the C++ object is gone, and so is its thread
        return False
