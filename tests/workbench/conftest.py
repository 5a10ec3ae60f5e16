"""GUI test fixtures: offscreen Qt, private settings and run store, no leaked threads.

The thread check (:class:`gui_support.ThreadWatch`) follows napari's
``_find_dangling_qthreads``: every ``QThread.start`` during a test is
recorded with where it was called from, and a test that leaves one running
fails, naming that place. Python threads started by the test (the data
loader) must be gone too.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from tests.helpers.gui_support import SMALL_DEMO, TEST_WINDOW, ThreadWatch, quick_settings
from workbench.common.gui_garbage import claims
from workbench.plotting.redraw import RedrawCoalescer

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
#: How long a leaked thread gets to end by itself before the test fails.
GRACE_S = 5.0


@pytest.fixture(autouse=True, scope="session")
def _private_settings(tmp_path_factory: pytest.TempPathFactory):
    """No test reads or writes the user's settings or run store."""
    folder = tmp_path_factory.mktemp("qsettings")
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
        QSettings.setPath(QSettings.Format.NativeFormat, scope, str(folder))
    os.environ["RUL_WORKBENCH_RUNS"] = str(tmp_path_factory.mktemp("default-runs"))
    os.environ.pop("RUL_WORKBENCH_SETTINGS", None)
    yield


@pytest.fixture(autouse=True)
def _no_dangling_threads(monkeypatch: pytest.MonkeyPatch):
    """Fail the test if it leaves a QThread or a Python thread running, or garbage collection
    on the GUI thread only (:mod:`workbench.common.gui_garbage`) after its threads ended."""
    claimed = claims()
    watch = ThreadWatch(monkeypatch)
    yield
    problems = watch.problems(grace_s=GRACE_S)
    if problems:
        pytest.fail("test left threads running:\n" + "\n".join(problems), pytrace=False)
    QCoreApplication.processEvents()  # an ended thread's claim comes back through its queue
    if claims() > claimed:
        pytest.fail("test left garbage collection on the GUI thread only", pytrace=False)


@pytest.fixture
def artifacts() -> Path:
    """The git-ignored folder for pictures a person may want to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def errors() -> list[tuple[str, str, str]]:
    """Errors the window reported (instead of dialogs)."""
    return []


@pytest.fixture
def make_window(qtbot, tmp_path: Path, errors):
    """A factory of main windows on the small demo, each with its own settings and store.

    Windows are closed at teardown (which stops and waits for their threads).
    """
    from workbench.shell.main_window import MainWindow, WorkbenchOptions

    windows = []

    def make(autoload: bool = True, **changes) -> MainWindow:
        options = WorkbenchOptions(
            runs_dir=tmp_path / "runs",
            settings_file=tmp_path / "settings.ini",
            demo=SMALL_DEMO,
            error_hook=lambda *report: errors.append(report),
            autoload=autoload,
        )
        for name, value in changes.items():
            setattr(options, name, value)
        window = MainWindow(options)
        window.data_dock.preprocess_form.window_cycles.setValue(TEST_WINDOW)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        return window

    yield make
    for window in windows:
        window.close()
    # Free the windows' reference cycles here, on the GUI thread. Left to the cyclic
    # collector, they would be freed by whichever thread allocates next, maybe a later
    # test's training thread, and a Qt object must not be destroyed outside its thread.
    gc.collect()


@pytest.fixture
def quick():
    """:func:`quick_settings`, for tests."""
    return quick_settings


# ------------------------------------------------------------------ panels
@pytest.fixture
def coalescer(qtbot):
    coalescer = RedrawCoalescer(interval_ms=10)
    yield coalescer
    coalescer.cancel()  # no redraw of a panel qtbot is about to delete


@pytest.fixture
def make(qtbot, coalescer):
    """Build a panel sharing the test's coalescer, owned by qtbot."""

    def build(cls):
        panel = cls(coalescer)
        qtbot.addWidget(panel)
        return panel

    return build
