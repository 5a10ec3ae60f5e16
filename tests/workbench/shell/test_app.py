"""The command line of ``rul-workbench`` and its screenshot mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.runs.location import APPLICATION, ORGANISATION, app_data_folder, default_runs_dir
from workbench.shell.app import parse_args
from workbench.shell.screenshot import ScreenshotSession


def test_options_and_qt_arguments_are_told_apart():
    args, qt_args = parse_args(["--screenshot", "w.png", "--runs", "r", "-style", "fusion"])
    assert args.screenshot == Path("w.png") and args.epochs == 2
    assert args.runs == Path("r")
    assert qt_args == ["-style", "fusion"]
    assert args.screen_size is None


def test_a_screen_size_fits_the_window_to_a_smaller_screen(capsys):
    args, _ = parse_args(["--screenshot", "w.png", "--screen-size", "1366x768"])
    assert args.screen_size == (1366, 768)
    with pytest.raises(SystemExit):
        parse_args(["--screen-size", "1366 by 768"])
    assert "WIDTHxHEIGHT" in capsys.readouterr().err


def test_the_run_store_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RUL_WORKBENCH_RUNS", str(tmp_path / "elsewhere"))
    assert default_runs_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("RUL_WORKBENCH_RUNS")
    assert default_runs_dir().name == "runs"


def test_the_command_line_and_the_gui_share_one_run_store(qapp, monkeypatch):
    """``rulwb train`` writes where the GUI looks: Qt's AppDataLocation for the workbench."""
    from PySide6.QtCore import QStandardPaths

    from core.cli.main import build_parser

    monkeypatch.delenv("RUL_WORKBENCH_RUNS", raising=False)
    names = qapp.organizationName(), qapp.applicationName()
    qapp.setOrganizationName(ORGANISATION)
    qapp.setApplicationName(APPLICATION)
    try:
        where = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    finally:
        qapp.setOrganizationName(names[0])
        qapp.setApplicationName(names[1])
    assert Path(where) == app_data_folder()
    assert build_parser().parse_args(["train"]).out == app_data_folder() / "runs"


@pytest.mark.slow
def test_screenshot_mode_trains_then_saves_the_whole_window(qtbot, make_window, tmp_path):
    window = make_window()
    codes: list[int] = []
    target = tmp_path / "shot.png"
    session = ScreenshotSession(window, target, epochs=1, quit=codes.append)
    session.start()
    qtbot.waitUntil(lambda: codes != [], timeout=60_000)
    assert codes == [0]
    assert target.stat().st_size > 20_000
    assert window.queue_model.rows[-1].status == "finished"
    assert window.experiment_dock.preset.currentText() == "tiny"


@pytest.mark.slow
def test_without_a_display_the_workbench_says_what_to_do_instead_of_qts_abort():
    """A subprocess: Qt's own failure here aborts the process with no hint."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    code = "import sys; from workbench.shell.app import main; sys.exit(main([]))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    if sys.platform != "linux":
        pytest.skip("the no-display check is Linux's (X11 / Wayland)")
    assert result.returncode == 2
    assert "no display" in result.stderr and "QT_QPA_PLATFORM=offscreen" in result.stderr
