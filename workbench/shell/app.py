"""Entry point of the ``rul-workbench`` GUI (also ``python -m workbench``)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from core.runs.location import APPLICATION, ORGANISATION, RUNS_ENV, default_runs_dir
from workbench.shell.system_check import warn_about_missing_libraries


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options; anything else (``-platform offscreen``, ``-style``) is left to Qt."""
    parser = argparse.ArgumentParser(
        prog="rul-workbench",
        description="Train dual-task RUL models, compare balancing methods, watch them learn.",
    )
    parser.add_argument(
        "--runs",
        type=Path,
        help=f"run store folder (default: ${RUNS_ENV} or a runs/ folder in your data folder)",
    )
    parser.add_argument("--settings", type=Path, help="settings file to use instead of yours")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE",
        help="train a short demo run with the tiny preset, save the window as PNG, and exit",
    )
    parser.add_argument(
        "--epochs", type=int, default=2, help="epochs of the --screenshot run (default 2)"
    )
    parser.add_argument(
        "--screen-size",
        type=screen_size,
        metavar="WxH",
        help="fit the window to a screen area of this size, e.g. 1366x768 (how the window "
        "looks on a small screen, with --screenshot)",
    )
    return parser.parse_known_args(argv)


def screen_size(text: str) -> tuple[int, int]:
    """``'1366x768'`` -> (1366, 768)."""
    width, sep, height = text.lower().partition("x")
    if not (sep and width.strip().isdigit() and height.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1366x768, not {text!r}")
    return int(width), int(height)


#: What to do on a machine with no screen, said before Qt aborts with a message naming none.
NO_DISPLAY = (
    "rul-workbench: no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is "
    "set: an SSH session or a server?).\n  Connect with a display (ssh -X, a desktop session), "
    "or run headless: rulwb (the command line) needs no window, and "
    "QT_QPA_PLATFORM=offscreen rul-workbench --screenshot shot.png draws the window to a file."
)


def _no_display() -> bool:
    """Whether there is no screen to show a window on (a CI box, an SSH session)."""
    if sys.platform != "linux":
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    """Start the workbench; with ``--screenshot`` run headless-capable and exit when done."""
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot and _no_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if _no_display() and not os.environ.get("QT_QPA_PLATFORM"):
        print(NO_DISPLAY, file=sys.stderr)  # Qt would abort with "could not connect to display"
        return 2
    warn_about_missing_libraries()  # before Qt, whose own message names no package
    with ExitStack() as stack:
        return _run(args, qt_args, stack)


def _run(args: argparse.Namespace, qt_args: list[str], stack: ExitStack) -> int:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from resources import ICON
    from workbench.common.background import wait_for_stragglers
    from workbench.shell.main_window import MainWindow, WorkbenchOptions

    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    QApplication.setWindowIcon(QIcon(str(ICON)))  # every window and dialog, the main one too
    options = WorkbenchOptions(
        runs_dir=args.runs or default_runs_dir(), settings_file=args.settings
    )
    if args.screen_size:
        options.screen_area = QRect(0, 0, *args.screen_size)
    if args.screenshot:
        # A screenshot must not change the user's settings or fill their run store.
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rul-shot-")))
        options.settings_file = scratch / "settings.ini"
        options.runs_dir = args.runs or scratch / "runs"
        options.restore = False
    window = MainWindow(options)
    window.show()
    if args.screenshot:
        from workbench.shell.screenshot import ScreenshotSession

        session = ScreenshotSession(window, args.screenshot, max(args.epochs, 1))
        session.start()
    code = app.exec()
    wait_for_stragglers()
    return code
