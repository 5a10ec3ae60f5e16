"""The central area: the four live panels side by side; results, comparison, blocks in tabs.

While a run trains an engineer watches losses, gradients, task weights and
one engine's trajectory together, because the interesting moments are
relations between them (the weights move when the gradient ratio jumps), so
those four share one tab in a 2x2 grid of splitters the user can resize.
The per-block gradient heatmaps need the full width to be read, so they
have a tab of their own.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QWidget

from workbench.common.time_units import CYCLES
from workbench.panels import (
    BlockGradientPanel,
    ComparisonPanel,
    GradientPanel,
    LossPanel,
    Panel,
    TaskWeightPanel,
    TestResultsPanel,
    TrajectoryPanel,
)
from workbench.plotting.redraw import RedrawCoalescer

LIVE_TAB, TEST_TAB, COMPARISON_TAB, BLOCKS_TAB = 0, 1, 2, 3
#: Least (width, height) in pixels of each live panel, below which its titles, legends
#: and ticks overlap: the losses put three plots side by side, the gradients stack three
#: (they drop their titles when low). Together they fit a 1366 x 768 laptop screen.
MIN_SIZES = {
    "losses": (420, 170),
    "weights": (300, 170),
    "gradients": (300, 270),
    "trajectory": (300, 180),
}


class LiveArea(QTabWidget):
    """Owns every panel and the one redraw coalescer they share.

    Attributes
    ----------
    losses, gradients, weights, trajectory
        The live panels, fed during a run.
    test_results
        Filled at the end of a run.
    comparison
        Filled from the runs selected in the queue.
    blocks
        Per-block gradient heatmaps, fed live when the run probes blocks.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.coalescer = RedrawCoalescer(parent=self)
        self.losses = LossPanel(self.coalescer)
        self.gradients = GradientPanel(self.coalescer)
        self.weights = TaskWeightPanel(self.coalescer)
        self.trajectory = TrajectoryPanel(self.coalescer)
        self.test_results = TestResultsPanel(self.coalescer)
        self.comparison = ComparisonPanel(self.coalescer)
        self.blocks = BlockGradientPanel(self.coalescer)
        self.addTab(self._live_grid(), "Live training")
        self.addTab(self.test_results, "Test results")
        self.addTab(self.comparison, "Comparison")
        self.addTab(self.blocks, "Blocks")

    def _live_grid(self) -> QSplitter:
        """Losses | gradients over weights | trajectory; gradients get the most height.

        Each panel keeps a readable minimum size (:data:`MIN_SIZES`), and the
        splitters share the room by the same proportions when the window grows
        or shrinks, so shrinking and enlarging the window ends where it began.
        """
        for name, (width, height) in MIN_SIZES.items():
            panel = getattr(self, name)  # never narrower than its toolbar row either
            panel.setMinimumSize(max(width, panel.minimumSizeHint().width()), height)
        left = _splitter(Qt.Orientation.Vertical, self.losses, self.weights, sizes=(1, 1))
        right = _splitter(Qt.Orientation.Vertical, self.gradients, self.trajectory, sizes=(3, 2))
        grid = _splitter(Qt.Orientation.Horizontal, left, right, sizes=(1, 1))
        grid.setObjectName("live-grid")
        return grid

    def panels_readable(self) -> bool:
        """Whether every live panel has at least its readable minimum size."""
        return all(
            getattr(self, name).width() >= width and getattr(self, name).height() >= height
            for name, (width, height) in MIN_SIZES.items()
        )

    @property
    def live_panels(self) -> tuple[Panel, ...]:
        """The panels a new run clears."""
        return (self.losses, self.gradients, self.weights, self.trajectory, self.blocks)

    @property
    def panels(self) -> dict[str, Panel]:
        """Every panel by its title (for export menus)."""
        every = (*self.live_panels, self.test_results, self.comparison)
        return {panel.title: panel for panel in every}

    def reset_live(self) -> None:
        """Clear the live panels for a new run.

        Test results stay: while the next run of a queue trains, the last
        finished run's results remain worth reading (the tab names the run).
        """
        for panel in self.live_panels:
            panel.reset()

    def set_shown_run(self, text: str) -> None:
        """Name the run the live panels show, for the captions of their exports."""
        for panel in self.live_panels:
            panel.shows = text

    def set_time_unit(self, unit: str | None) -> None:
        """The live panels' run counts time and RUL in ``unit`` (``cycles`` or ``hours``)."""
        self.trajectory.set_time_unit(unit)

    def show_results(
        self, label: str, predictions, metrics: dict, time_unit: str | None = CYCLES
    ) -> None:
        """Test results of the run called ``label`` (its RUL in ``time_unit``)."""
        self.test_results.shows = label
        self.test_results.set_results(predictions, metrics, time_unit)
        self.setTabText(TEST_TAB, f"Test results · {label}")

    def show_no_test(self, label: str, metrics: dict, time_unit: str | None = CYCLES) -> None:
        """The run called ``label`` ended without a test split: the panel says so and why."""
        self.test_results.shows = label
        self.test_results.set_no_test(label, metrics, time_unit)
        self.setTabText(TEST_TAB, f"Test results · {label}")

    def clear_results(self) -> None:
        self.test_results.reset()
        self.setTabText(TEST_TAB, "Test results")

    def flush(self) -> None:
        """Apply every pending redraw now (screenshots, tests)."""
        if self.coalescer.pending():
            self.coalescer.flush()


def _splitter(orientation: Qt.Orientation, *widgets: QWidget, sizes: tuple[int, ...]) -> QSplitter:
    """Widgets sharing the room as ``sizes`` say, at first and whenever it changes."""
    splitter = QSplitter(orientation)
    splitter.setChildrenCollapsible(False)
    for widget in widgets:
        splitter.addWidget(widget)
    for index, stretch in enumerate(sizes):
        splitter.setStretchFactor(index, stretch)
    # Scaled to the real room when first laid out; without it the first split
    # follows the panels' size hints (a wide toolbar row took most of the width).
    splitter.setSizes([1000 * share for share in sizes])
    return splitter
