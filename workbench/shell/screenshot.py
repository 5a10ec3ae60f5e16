"""``rul-workbench --screenshot FILE``: train a short demo run and save the whole window.

It drives the real window the way a user would (data loads, one method is
ticked, Train is pressed) and saves the picture only after the run ended and
every panel has drawn its data, so the image shows what an engineer sees
after a short run. It exits 0 on success, 1 when the run failed or the image
could not be saved, 2 when the time limit passed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from workbench.shell.main_window import MainWindow
from workbench.training.jobs import JobOutcome

#: Method shown in the screenshot: its weights move, so every panel has something to say.
SCREENSHOT_METHOD = "gaba"
#: Give up after this long (a 2-epoch tiny run takes well under a minute on a laptop CPU).
TIME_LIMIT_MS = 15 * 60 * 1000


def configure_short_run(window: MainWindow, epochs: int, method: str = SCREENSHOT_METHOD) -> None:
    """Tiny preset, one seed, one method, gradient probe every other step."""
    dock = window.experiment_dock
    dock.preset.setCurrentText("tiny")
    dock.epochs.setValue(epochs)
    dock.patience.setValue(0)
    dock.probe_every.setValue(2)
    dock.seeds.setText("0")
    dock.methods.set_checked([method])


class ScreenshotSession(QObject):
    """Waits for data, trains, waits for the queue to finish, saves, quits.

    Parameters
    ----------
    window
        The shown main window.
    path
        Where the PNG goes.
    epochs
        Epochs of the run.
    quit
        Called with the exit code at the end; by default it ends the application.
    """

    def __init__(
        self,
        window: MainWindow,
        path: Path,
        epochs: int = 2,
        quit: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(window)
        self.window, self.path, self.epochs = window, Path(path), epochs
        self.quit = quit or QApplication.exit
        self.outcomes: list[JobOutcome] = []
        self.exit_code: int | None = None
        self.trained = False
        window.controller.runEnded.connect(self.outcomes.append)
        window.controller.queueIdle.connect(self._finish)
        window.data_dock.loadFailed.connect(lambda message: self._quit(1, message))
        QTimer.singleShot(TIME_LIMIT_MS, lambda: self._quit(2, "time limit passed"))

    def start(self) -> None:
        """Train as soon as the data is loaded (at once if it already is)."""
        configure_short_run(self.window, self.epochs)
        if self.window.data_dock.data is not None:
            self._train()
        else:
            self.window.data_dock.dataLoaded.connect(self._train)

    def _train(self, *_data) -> None:
        if self.trained:
            return
        self.trained = True
        if self.window.train() == 0:
            self._quit(1, "nothing could be queued")

    def _finish(self) -> None:
        failed = [o for o in self.outcomes if o.status == "failed"]
        if failed:
            self._quit(1, failed[0].error or "the run failed")
            return
        # Let the final events, the test results and the comparison land, then draw.
        self.window.refresh_comparison()
        QTimer.singleShot(300, self._save)

    def _save(self) -> None:
        ok = self.window.save_screenshot(self.path)
        self._quit(0 if ok else 1, "" if ok else f"could not write {self.path}")

    def _quit(self, code: int, message: str) -> None:
        if self.exit_code is not None:
            return
        self.exit_code = code
        if message:
            print(f"screenshot: {message}")
        else:
            print(f"screenshot saved to {self.path}")
        self.window.close()
        self.quit(code)
