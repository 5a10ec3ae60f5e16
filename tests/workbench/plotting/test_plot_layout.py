"""Readable plots: legends beside the data, axis labels on their own plot, a placeholder
before any data.

Geometry is checked as data: scene rectangles of the laid-out items and the
plotted points mapped into them, after the panel is shown at a realistic size;
no pixels are compared.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyqtgraph as pg
import pytest

from tests.helpers.panel_samples import (
    comparison_data,
    loss_rows,
    prediction_frame,
    predictions_event,
    probe_records,
    weight_steps,
)
from workbench.panels import (
    BlockGradientPanel,
    ComparisonPanel,
    GradientPanel,
    LossPanel,
    TaskWeightPanel,
    TestResultsPanel,
    TrajectoryPanel,
)
from workbench.plotting.style import label_candidates

#: A live panel's size in the main window's central area (one tab of the panels).
REALISTIC = (900, 450)


def _feed(panel) -> None:
    """The panel's sample data, chosen to reach the plot corners where legends used to sit."""
    if isinstance(panel, LossPanel):
        for row in loss_rows():
            panel.add_epoch(row)
    elif isinstance(panel, TaskWeightPanel):
        for step, weights in weight_steps():
            panel.add_step(step, weights)
    elif isinstance(panel, GradientPanel):
        for record in probe_records():
            panel.add_probe(record)
    elif isinstance(panel, TrajectoryPanel):
        panel.set_predictions(predictions_event())
    elif isinstance(panel, TestResultsPanel):
        panel.set_results(*prediction_frame())
    elif isinstance(panel, ComparisonPanel):
        runs, summary, curves = comparison_data()
        panel.set_runs(runs)
        panel.set_summary(summary)
        panel.set_curves(curves)


def _shown(make, qtbot, cls, size=REALISTIC, feed=True):
    panel = make(cls)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    if feed:
        _feed(panel)
    panel.flush()
    qtbot.wait(30)  # let the layouts settle (the legend re-wraps on a resize)
    return panel


def _plots(panel) -> list[pg.PlotItem]:
    return [item for item in panel.graphics.ci.items if isinstance(item, pg.PlotItem)]


def _points_inside(plot: pg.PlotItem, scene_rect) -> int:
    """How many plotted points (in view coordinates) fall inside a rectangle of the scene."""
    view = plot.vb.mapSceneToView(scene_rect).boundingRect()
    inside = 0
    for item in plot.listDataItems():
        x, y = item.getData()
        if x is None or len(x) == 0:
            continue
        x, y = np.asarray(x, float), np.asarray(y, float)
        hit = (x >= view.left()) & (x <= view.right()) & (y >= view.top()) & (y <= view.bottom())
        inside += int(np.count_nonzero(hit))
    return inside


# --------------------------------------------------------------------- legends
LEGEND_PANELS = [
    LossPanel,
    TaskWeightPanel,
    GradientPanel,
    TrajectoryPanel,
    TestResultsPanel,
    ComparisonPanel,
]


@pytest.mark.parametrize("cls", LEGEND_PANELS)
@pytest.mark.parametrize("size", [REALISTIC, (520, 360)])
def test_legends_never_cover_a_plotted_point(make, qtbot, cls, size):
    """The legend's scene rectangle, mapped into the plot's data, holds no data point."""
    panel = _shown(make, qtbot, cls, size)
    checked = 0
    for plot in _plots(panel):
        legend = plot.legend
        if legend is None or not legend.items:
            continue
        rect = legend.sceneBoundingRect()
        assert legend.isVisible() and rect.width() > 0 and rect.height() > 0
        assert _points_inside(plot, rect) == 0, f"legend over data in {plot.titleLabel.text!r}"
        assert not rect.intersects(plot.vb.sceneBoundingRect()), "legend over the data area"
        labels = [label for _, label in legend.items]
        for label in labels:  # every entry inside the strip, none cut off at its edges
            assert rect.contains(label.sceneBoundingRect().center())
        checked += 1
    assert checked, "the panel showed no legend to check"


def test_a_narrow_plot_wraps_its_legend_onto_more_lines(make, qtbot):
    wide = _shown(make, qtbot, TrajectoryPanel, (1000, 400))
    narrow = _shown(make, qtbot, TrajectoryPanel, (420, 400))
    assert wide.plot.legend.columnCount == len(wide.plot.legend.items) == 5
    assert narrow.plot.legend.columnCount < 5
    assert narrow.plot.legend.sceneBoundingRect().width() <= narrow.plot.vb.width() + 1


# ----------------------------------------------------------------- axis labels
@pytest.mark.parametrize("size", [REALISTIC, (700, 420), (700, 300)])
def test_stacked_axis_labels_stay_on_their_own_plot(make, qtbot, size):
    """Gradient norms above, ratio below: their axis labels' scene rectangles are apart."""
    panel = _shown(make, qtbot, GradientPanel, size)
    names = ("norms", "ratio", "cosine")
    axes = [panel.plots[name].getAxis("left") for name in names]
    labels = [axis.label.sceneBoundingRect() for axis in axes]
    for upper, lower in itertools.pairwise(labels):
        assert not upper.intersects(lower), f"axis labels overlap at {size}"
    for axis, label in zip(axes, labels, strict=True):
        own = axis.sceneBoundingRect()
        assert own.top() - 1 <= label.top() and label.bottom() <= own.bottom() + 1
    lefts = {round(panel.plots[name].vb.sceneBoundingRect().left()) for name in names}
    assert len(lefts) == 1, "the three step axes line up"


def test_a_long_axis_label_shortens_to_fit_and_keeps_the_full_text(make, qtbot):
    panel = _shown(make, qtbot, GradientPanel, (700, 420))
    axis = panel.plots["ratio"].getAxis("left")
    axis.setLabel("ratio of the RUL gradient to the health gradient (log; 1 = balanced)")
    assert axis.labelText.startswith("ratio of") and axis.labelText.endswith("…")
    assert axis.label.boundingRect().width() <= axis.size().height()
    assert axis.label.toolTip() == axis.full_label
    panel.resize(700, 1400)
    qtbot.wait(30)
    assert axis.labelText == "ratio of the RUL gradient to the health gradient", "no ellipsis"
    axis.setLabel("ratio (1 = balanced)")
    assert axis.labelText == axis.full_label, "a label that fits is shown whole"


def test_label_candidates_go_from_full_to_short_to_elided():
    candidates = label_candidates("ratio (log; 1 = balanced)")
    assert candidates[:3] == ["ratio (log; 1 = balanced)", "ratio", "rati…"]
    assert candidates[-2:] == ["r…", ""]


# ----------------------------------------------------------------- placeholder
PLACEHOLDER_PANELS = [*LEGEND_PANELS, BlockGradientPanel]


@pytest.mark.parametrize("cls", PLACEHOLDER_PANELS)
def test_an_empty_panel_shows_its_placeholder_until_data_arrives(make, qtbot, cls):
    panel = _shown(make, qtbot, cls, feed=False)
    assert panel.stack.currentWidget() is panel.empty_label
    assert panel.empty_label.isVisible() and not panel.graphics.isVisible(), "no 0–1 axes"
    assert panel.empty_label.text() == panel.empty_text
    assert panel.empty_text.startswith("No ") or "'Probe per block'" in panel.empty_text
    assert not panel.export_button.isEnabled(), "an empty panel has nothing to export"
    assert panel.empty_text in panel.export_button.toolTip()
    if cls is BlockGradientPanel:
        panel.add_probe({"step": 0, **{f"cnn_{f}": 1.0 for f in ("ratio", "cosine")}})
    else:
        _feed(panel)
    panel.flush()
    assert panel.stack.currentWidget() is panel.graphics
    assert panel.graphics.isVisible() and not panel.empty_label.isVisible()
    assert panel.export_button.isEnabled() and "Save these plots" in panel.export_button.toolTip()
    panel.reset()
    assert panel.stack.currentWidget() is panel.empty_label, "a new run starts empty again"
    assert not panel.export_button.isEnabled()


@pytest.mark.parametrize("cls", [LossPanel, TaskWeightPanel, GradientPanel, TrajectoryPanel])
def test_live_panels_ask_for_a_run(make, cls):
    assert "press Train" in make(cls).empty_label.text()


def test_the_trajectory_before_data_is_not_one_health_colour(make, qtbot):
    panel = _shown(make, qtbot, TrajectoryPanel, feed=False)
    bands = [*panel.health_bands.bands.values(), *panel.health_bands.lines.values()]
    assert not any(item.isVisible() for item in bands)
    panel.set_predictions(predictions_event())
    panel.flush()
    assert all(item.isVisible() for item in bands)
    panel.select_split("test")  # no test predictions yet: say so, show no empty bands
    panel.flush()
    assert panel.empty_label.text().startswith("No test predictions yet")
    assert panel.stack.currentWidget() is panel.empty_label
    assert not any(item.isVisible() for item in bands)


def test_a_state_never_predicted_keeps_its_colour_in_the_legend(qtbot):
    from workbench.panels.trajectory import TrajectoryPanel
    from workbench.plotting.style import STATE_COLOURS

    panel = TrajectoryPanel()
    qtbot.addWidget(panel)
    for state, markers in panel.state_markers.items():
        markers.setData([], [])  # as when no window is predicted in that state
        # the legend's sample is drawn with the scatter's brush
        assert markers.scatter.opts["brush"].color().name() == STATE_COLOURS[state]
