"""The leaked-thread check itself: it must see a running QThread and a Python thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from tests.helpers.gui_support import ThreadWatch


def test_a_running_qthread_is_reported_until_it_ends(monkeypatch):
    watch = ThreadWatch(monkeypatch)
    thread = QThread()
    thread.setObjectName("left-behind")
    thread.start()
    try:
        [problem] = watch.problems()
        assert "left-behind" in problem and "test_thread_watch.py" in problem
    finally:
        thread.quit()
        assert thread.wait(5_000)
    assert watch.problems() == []


def test_a_python_thread_gets_a_grace_period(monkeypatch):
    watch = ThreadWatch(monkeypatch)
    release = threading.Event()
    worker = threading.Thread(target=release.wait, name="loader")
    worker.start()
    assert watch.problems() == ["Python thread 'loader' still running"]
    release.set()
    assert watch.problems(grace_s=2.0) == []
