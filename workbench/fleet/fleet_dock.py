"""Wiring of the fleet view and the CSV import dialog into the main window.

Kept apart from :mod:`workbench.shell.main_window` so the window stays one concept:
this module decides where an accepted import goes (a run-to-failure file to
the Data dock, an in-service file to the fleet view).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDockWidget, QMainWindow, QWidget

from workbench.common.background import CLOSE_WAIT_S
from workbench.data import CsvImportDialog
from workbench.fleet.fleet_view import FleetView

#: Height the fleet dock opens at, at least (pixels): a readable table and trajectory.
OPEN_HEIGHT = 420


class FleetDock(QDockWidget):
    """The fleet view (prediction for engines in service) as a dock, hidden until asked for."""

    def __init__(
        self, runs_root: Path, parent: QWidget | None = None, beside: QDockWidget | None = None
    ) -> None:
        super().__init__("Fleet in service", parent)
        self.setObjectName("fleet_dock")
        #: The dock it shares a place with, as a tab, once it opens (the run queue).
        self.beside = beside
        self.view = FleetView(runs_root, self)
        self.setWidget(self.view)

    def open(self) -> None:
        """Show and raise the dock with a fresh list of finished runs, tall enough to read.

        It shares the bottom area with the run queue, which is short; an engine
        table and a trajectory need more, so the area grows when the dock opens.
        """
        self.view.refresh_runs()
        window = self.parentWidget()
        if isinstance(window, QMainWindow) and self.beside and not window.tabifiedDockWidgets(self):
            # Tabified only now: a hidden dock tabified at start-up left its tab drawn
            # over the run queue's title ("Run queue" garbled, a tab for a hidden dock).
            window.tabifyDockWidget(self.beside, self)
        self.show()
        self.raise_()
        if isinstance(window, QMainWindow) and self.height() < OPEN_HEIGHT:
            wanted = max(OPEN_HEIGHT, window.height() * 45 // 100)
            window.resizeDocks([self], [wanted], Qt.Orientation.Vertical)

    def shutdown(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Let a running prediction end (at most ``wait_s``): the window is closing."""
        self.view.shutdown(wait_s)


def import_csv(
    window, fleet: FleetDock, folder: Path | None = None, removals: Path | None = None
) -> None:
    """Run the import dialog; route what the user accepted.

    A run-to-failure file becomes the Data dock's source (and is loaded); an
    in-service file goes to the fleet view, ready to predict. With ``folder``
    (a sample fleet) the dialog opens on it and its ``removals`` log, checked.
    """
    protocol = window.data_dock.preprocess_form
    dialog = CsvImportDialog(window, window=protocol.window_cycles.value())
    if folder is not None:
        dialog.set_path(folder)  # waits for the preview, which sets the column roles
        dialog.set_removals(removals)
        dialog.check()  # the file list's failures, the failed / suspended counts
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        accepted = dialog.result_spec()
    finally:
        dialog.shutdown()
    if accepted is None:
        return
    if accepted.source is not None:
        window.data_dock.source_form.set_csv_source(accepted.source)
        protocol.set_test_units(accepted.test_units)
        window.data_dock.raise_()
        window.data_dock.load()
    else:
        fleet.view.use_csv(accepted.path, accepted.mapping, accepted.truth_path)
        fleet.open()


def install_fleet(window) -> FleetDock:
    """Add the fleet dock (hidden; tabified with the run queue when it opens) and enable its
    menu entry."""
    fleet = FleetDock(window.options.runs_dir, window, beside=window.queue_dock)
    window.install_dock(fleet, Qt.DockWidgetArea.BottomDockWidgetArea)
    fleet.hide()
    window.fleet_action.setEnabled(True)
    window.fleet_action.setToolTip("Predict RUL for engines still in service with a finished run")
    window.fleet_action.triggered.connect(fleet.open)
    return fleet
