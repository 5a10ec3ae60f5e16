"""The live panels: fed records end up in the curves' data, at a bounded redraw rate.

These tests check data (``getData``/``getOriginalDataset``, table cells,
text items), never pixels. Test results and comparison: test_result_panels.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from core.training.events import PredictionsEvent
from tests.helpers.panel_samples import (
    LOSS_KEYS,
    comparison_data,
    loss_rows,
    prediction_frame,
    predictions_event,
    probe_records,
)
from workbench.panels import (
    ComparisonPanel,
    GradientPanel,
    LossPanel,
    TaskWeightPanel,
    TestResultsPanel,
    TrajectoryPanel,
)
from workbench.plotting.curves import ema
from workbench.plotting.style import HEALTH, RUL, STATE_COLOURS, ValueAxis


def _points(item) -> int:
    x, _ = item.getOriginalDataset()
    return 0 if x is None else len(x)


# ---------------------------------------------------------------- redraw rate
def test_many_updates_make_one_redraw_per_tick(qtbot, make, coalescer):
    losses, weights = make(LossPanel), make(TaskWeightPanel)
    for row in loss_rows(200):
        losses.add_epoch(row)
        weights.add_step(row["epoch"], {"lambda_rul": 1.0, "lambda_health": 0.5})
    assert losses.redraws == weights.redraws == 0  # appending never repaints
    with qtbot.waitSignal(coalescer.redrawn, timeout=2000) as blocker:
        pass
    assert blocker.args == [2]  # both panels in one tick
    assert losses.redraws == weights.redraws == 1
    assert coalescer.ticks == 1
    assert len(losses.curves["val_loss_rul"].getOriginalDataset()[0]) == 200


def test_flush_without_pending_work_does_nothing(make, coalescer):
    panel = make(LossPanel)
    panel.flush()
    coalescer.flush()
    assert panel.redraws == 0
    assert coalescer.ticks == 0


def test_cancel_drops_pending_redraws(qtbot, make, coalescer):
    panel = make(LossPanel)
    panel.add_epoch(loss_rows(1)[0])
    assert coalescer.pending() == 1
    coalescer.cancel()
    qtbot.wait(3 * coalescer.interval_ms)
    assert coalescer.pending() == 0 and panel.redraws == 0


# ---------------------------------------------------------------------- losses
def test_loss_curves_hold_what_was_fed(make):
    panel = make(LossPanel)
    rows = loss_rows()
    for row in rows:
        panel.add_epoch(row)
    panel.flush()
    epochs = [r["epoch"] for r in rows]
    for key in (*LOSS_KEYS, "train_loss_total"):
        x, y = panel.curves[key].getData()
        np.testing.assert_array_equal(x, epochs)
        np.testing.assert_array_equal(y, [r[key] for r in rows])


def test_loss_log_scale_maps_the_display_not_the_data(make):
    panel = make(LossPanel)
    for row in loss_rows():
        panel.add_epoch(row)
    panel.flush()
    panel.log_scale.setChecked(True)
    item = panel.curves["val_loss_rul"]
    _, shown = item.getData()
    _, original = item.getOriginalDataset()
    np.testing.assert_allclose(shown, np.log10(original))
    assert all(p.getAxis("left").logMode for p in panel.plots.values())
    panel.set_log_scale(False)
    assert not panel.log_scale.isChecked()
    np.testing.assert_allclose(item.getData()[1], original)


def test_missing_loss_values_become_gaps(make):
    panel = make(LossPanel)
    panel.add_epoch({"epoch": 1, "train_loss_rul": 3.0})
    panel.flush()  # nothing to show yet for validation: an empty curve, no warning
    assert _points(panel.curves["val_loss_health"]) == 0
    panel.add_epoch(
        {"epoch": 2, "train_loss_rul": 2.0, "val_loss_health": 0.5, "val_loss_rul": None}
    )
    panel.flush()
    _, y = panel.curves["val_loss_health"].getOriginalDataset()
    np.testing.assert_array_equal(y, [np.nan, 0.5])
    assert np.isnan(panel.table()["val_loss_rul"]).all()


def test_loss_reset_clears_curves_and_table(make):
    panel = make(LossPanel)
    for row in loss_rows():
        panel.add_epoch(row)
    panel.flush()
    panel.reset()
    assert len(panel.table()) == 0
    assert _points(panel.curves["train_loss_rul"]) == 0
    panel.add_epoch(loss_rows(1)[0])
    panel.flush()
    assert _points(panel.curves["train_loss_rul"]) == 1


def test_loss_hover_reads_the_nearest_epoch(make):
    panel = make(LossPanel)
    for row in loss_rows():
        panel.add_epoch(row)
    panel.flush()
    text = panel.readouts["rul"].hover(4.2, 0.0)
    assert text.startswith("epoch 4")
    assert "train 25" in text  # train_loss_rul = 100 / 4
    assert panel.readout.text() == text


def test_mouse_over_a_plot_updates_the_readout(make):
    panel = make(LossPanel)
    panel.resize(900, 300)
    panel.show()
    for row in loss_rows():
        panel.add_epoch(row)
    panel.flush()
    plot = panel.plots["health"]
    scene_point = plot.vb.mapViewToScene(pg.Point(7.0, 0.1))
    panel.readouts["health"]._moved((scene_point,))
    assert panel.readout.text().startswith("epoch 7")
    assert panel.readouts["health"].line.isVisible()
    panel.readouts["health"]._moved((pg.Point(-50.0, -50.0),))  # left the plot
    assert not panel.readouts["health"].line.isVisible()


# ------------------------------------------------------------------- gradients
def test_gradient_raw_and_smoothed_curves(make):
    panel = make(GradientPanel)
    records = probe_records()
    for record in records:
        panel.add_probe(record)
    panel.flush()
    steps = [r["step"] for r in records]
    for key in ("norm_rul", "norm_health", "ratio", "effective_ratio", "cosine"):
        values = np.array([r[key] for r in records])
        x, raw = panel.raw_curves[key].getOriginalDataset()
        np.testing.assert_array_equal(x, steps)
        np.testing.assert_array_equal(raw, values)
        log = key != "cosine"  # norms and ratios are smoothed geometrically
        _, smooth = panel.smooth_curves[key].getOriginalDataset()
        np.testing.assert_allclose(smooth, ema(values, 0.9, log=log))
    assert panel.plots["norms"].getAxis("left").logMode
    assert not panel.plots["cosine"].getAxis("left").logMode


def test_gradient_smoothing_control_recomputes(make):
    panel = make(GradientPanel)
    records = probe_records(30)
    for record in records:
        panel.add_probe(record)
    panel.smoothing.setValue(0.0)
    panel.flush()
    _, smooth = panel.smooth_curves["cosine"].getOriginalDataset()
    np.testing.assert_allclose(smooth, [r["cosine"] for r in records])


def test_gradient_panel_tolerates_infinite_and_missing_values(make):
    panel = make(GradientPanel)
    panel.add_probe({"step": 1, "norm_rul": 1.0, "norm_health": 0.0, "ratio": np.inf})
    panel.add_probe({"step": 2, "norm_rul": 2.0, "norm_health": 1.0, "ratio": 2.0})
    panel.flush()
    table = panel.table()
    assert list(table["step"]) == [1, 2]
    assert np.isnan(table["cosine"]).all()
    assert table["ratio_smoothed"].iloc[-1] == pytest.approx(2.0)


def test_an_effective_ratio_equal_to_the_raw_one_leaves_both_visible(make):
    """Under equal weights the effective ratio is the raw one: its line hid the raw one's."""
    panel = make(GradientPanel)
    for step in range(1, 6):
        ratio = 100.0 + step
        panel.add_probe({"step": step, "norm_rul": ratio, "norm_health": 1.0, "ratio": ratio,
                         "effective_ratio": ratio, "cosine": 0.5})  # fmt: skip
    panel.flush()
    assert panel.same_as == {"effective_ratio": "ratio"}
    assert panel.smooth_curves["effective_ratio"].opts["pen"].style() == Qt.PenStyle.CustomDashLine
    assert panel.smooth_curves["ratio"].opts["pen"].style() == Qt.PenStyle.SolidLine
    names = [label.text for _, label in panel.plots["ratio"].legend.items]
    assert names == [
        "raw ‖g_RUL‖ / ‖g_health‖",
        "effective (λ-weighted) (= raw)",
    ]
    panel.add_probe({"step": 6, "norm_rul": 200.0, "norm_health": 1.0, "ratio": 200.0,
                     "effective_ratio": 20.0, "cosine": 0.5})  # fmt: skip
    panel.flush()
    assert panel.same_as == {}
    assert panel.smooth_curves["effective_ratio"].opts["pen"].style() == Qt.PenStyle.SolidLine


def test_gradient_panel_says_what_the_balance_means(make):
    """The toolbar names the typical effective ratio and cosine; the tooltip the sentence."""
    from core.evaluation.balance import balance_headline, balance_note

    panel = make(GradientPanel)
    assert panel.balance.text() == ""
    records = [
        {"step": s, "epoch": 1 + s // 10, "effective_ratio": 30.0 + s % 3, "cosine": 0.6}
        for s in range(40)
    ]
    for record in records:
        panel.add_probe(record)
    panel.flush()
    assert (
        panel.balance.text()
        == balance_headline(records)
        == ("shared update RUL-dominated 31 : 1 · cos 0.60")
    )
    assert panel.balance.toolTip().startswith(balance_note(records))
    panel.reset()
    assert panel.balance.full_text() == "" and panel.balance.toolTip() == ""


# ---------------------------------------------------------------- task weights
def test_small_weights_keep_their_values_on_the_axis(make, qtbot):
    """No SI rescaling: a weight of 0.0005 reads 0.0005, not 500 under "(x0.001)"."""
    panel = make(TaskWeightPanel)
    panel.resize(600, 300)
    panel.show()
    for step in range(20):
        panel.add_step(step, {"lambda_rul": 0.0002 + 1e-5 * step, "lambda_health": 0.0008})
    panel.flush()
    qtbot.wait(50)
    axis = panel.plot.getAxis("left")
    assert "x0.001" not in axis.labelString() and axis.autoSIPrefixScale == 1.0


def test_equal_weights_are_both_visible_and_named_so(make):
    """Fixed weights' 0.5 and 0.5 drew one line: λ_RUL's was hidden under λ_health's."""
    panel = make(TaskWeightPanel)
    for step in range(5):
        panel.add_step(step, {"lambda_rul": 0.5, "lambda_health": 0.5})
    panel.flush()
    assert panel.same_as == {"lambda_health": "lambda_rul"}
    styles = {name: item.opts["pen"].style() for name, item in panel.curves.items()}
    assert styles == {"lambda_rul": Qt.PenStyle.SolidLine,
                      "lambda_health": Qt.PenStyle.CustomDashLine}  # fmt: skip
    assert panel.curves["lambda_health"].opts["pen"].color().name() == HEALTH
    names = [label.text for _, label in panel.plot.legend.items]
    assert names == ["λ_RUL", "λ_health (= λ_RUL)"]
    panel.add_step(5, {"lambda_rul": 0.7, "lambda_health": 0.3})  # they part: two lines again
    panel.flush()
    assert panel.same_as == {}
    assert panel.curves["lambda_health"].opts["pen"].style() == Qt.PenStyle.SolidLine
    assert [label.text for _, label in panel.plot.legend.items] == ["λ_RUL", "λ_health"]


def test_task_weights_follow_the_steps_and_new_series_appear(make):
    panel = make(TaskWeightPanel)
    for step in range(10):
        weights = {"lambda_rul": 0.1 * step, "lambda_health": 1.0}
        if step >= 6:
            weights["log_sigma_rul"] = -0.5
        panel.add_step(step, weights)
    panel.flush()
    x, y = panel.curves["lambda_rul"].getData()
    np.testing.assert_array_equal(x, np.arange(10))
    np.testing.assert_allclose(y, 0.1 * np.arange(10))
    _, extra = panel.curves["log_sigma_rul"].getOriginalDataset()
    assert np.isnan(extra[:6]).all()
    np.testing.assert_array_equal(extra[6:], -0.5)
    assert panel.curves["lambda_rul"].opts["pen"].color().name() == RUL
    assert panel.curves["lambda_health"].opts["pen"].color().name() == HEALTH
    names = [label.text for _, label in panel.plot.legend.items]
    assert names[:2] == ["λ_RUL", "λ_health"]


def test_task_weight_log_scale_and_reset(make):
    panel = make(TaskWeightPanel)
    panel.add_step(0, {"lambda_rul": 0.01, "lambda_health": 1.0})
    panel.flush()
    panel.set_log_scale(True)
    assert panel.plot.getAxis("left").logMode
    np.testing.assert_allclose(panel.curves["lambda_rul"].getData()[1], [-2.0])
    panel.reset()
    assert panel.table().empty


# ------------------------------------------------------------------ trajectory
def _unit_rows(event: PredictionsEvent, code: int) -> tuple[np.ndarray, ...]:
    index = np.flatnonzero(event.unit == code)
    index = index[np.argsort(event.cycle[index])]
    return (
        event.cycle[index],
        event.true_rul[index],
        event.pred_rul[index],
        event.pred_health[index],
    )


def test_trajectory_shows_the_selected_engine_and_steps_through_engines(make):
    panel = make(TrajectoryPanel)
    event = predictions_event()
    panel.set_predictions(event)
    panel.flush()
    assert panel.units == ["A7", "B2", "C9"]
    assert panel.current_unit() == "A7"
    assert not panel.previous_button.isEnabled()
    panel.next_unit()
    panel.flush()
    assert panel.current_unit() == "B2"
    cycle, true, pred, health = _unit_rows(event, 1)
    np.testing.assert_array_equal(panel.true_curve.getData()[0], cycle)
    np.testing.assert_array_equal(panel.true_curve.getData()[1], true)
    np.testing.assert_array_equal(panel.pred_curve.getData()[1], pred)
    for code, state in enumerate(("normal", "degrading", "critical")):
        x, _ = panel.state_markers[state].getOriginalDataset()
        np.testing.assert_array_equal(x if x is not None else [], cycle[health == code])
    panel.next_unit()
    assert panel.current_unit() == "C9"
    assert not panel.next_button.isEnabled()
    panel.previous_unit()
    panel.flush()
    assert panel.current_unit() == "B2"
    assert list(panel.table()["cycle"]) == list(cycle)


def test_trajectory_keeps_the_engine_when_a_new_epoch_arrives(make):
    panel = make(TrajectoryPanel)
    panel.set_predictions(predictions_event(epoch=1))
    panel.select_unit("C9")
    newer = predictions_event(epoch=2, shift=5.0)
    panel.set_predictions(newer)
    panel.flush()
    assert panel.current_unit() == "C9"
    np.testing.assert_array_equal(panel.pred_curve.getData()[1], _unit_rows(newer, 2)[2])
    assert "epoch 2" in panel.plot.titleLabel.text


def test_trajectory_split_selector_and_state_label(make):
    panel = make(TrajectoryPanel)
    panel.set_predictions(predictions_event("val"))
    panel.select_split("test")
    panel.flush()
    assert panel.current_unit() is None
    assert "no test predictions" in panel.state_label.text()
    test_event = predictions_event("test", epoch=4)
    panel.set_predictions(test_event)
    panel.flush()
    assert panel.current_split() == "test"
    assert panel.current_unit() == "A7"
    last_state = ("normal", "degrading", "critical")[_unit_rows(test_event, 0)[3][-1]]
    assert last_state in panel.state_label.text()
    assert STATE_COLOURS[last_state] in panel.state_label.text()


def test_trajectory_thresholds_move_the_bands(make):
    panel = make(TrajectoryPanel)
    panel.set_thresholds(degrading=100, critical=20)
    assert panel.health_bands.bands["degrading"].getRegion() == (20, 100)
    assert panel.health_bands.bands["critical"].getRegion()[1] == 20
    assert panel.health_bands.bands["normal"].getRegion()[0] == 100
    assert panel.health_bands.lines["degrading"].value() == 100
    with pytest.raises(ValueError, match="below"):
        panel.set_thresholds(degrading=10, critical=20)


def test_trajectory_reset_forgets_predictions(make):
    panel = make(TrajectoryPanel)
    panel.set_predictions(predictions_event())
    panel.flush()
    panel.reset()
    panel.flush()
    assert panel.current_unit() is None
    assert panel.table().empty


# --------------------------------------------------------------------- exports
def _fill(panel):
    if isinstance(panel, LossPanel):
        for row in loss_rows():
            panel.add_epoch(row)
    elif isinstance(panel, GradientPanel):
        for record in probe_records(20):
            panel.add_probe(record)
    elif isinstance(panel, TaskWeightPanel):
        panel.add_step(0, {"lambda_rul": 1.0, "lambda_health": 0.5})
    elif isinstance(panel, TrajectoryPanel):
        panel.set_predictions(predictions_event())
    elif isinstance(panel, TestResultsPanel):
        panel.set_results(*prediction_frame())
    else:
        runs, _, curves = comparison_data()
        panel.set_runs(runs)
        panel.set_curves(curves)


@pytest.mark.parametrize(
    "cls",
    [
        LossPanel,
        GradientPanel,
        TaskWeightPanel,
        TrajectoryPanel,
        TestResultsPanel,
        ComparisonPanel,
    ],
)
def test_every_panel_exports_png_svg_and_csv(make, tmp_path, cls):
    panel = make(cls)
    _fill(panel)
    png = panel.export_png(tmp_path / "plot.png")
    svg = panel.export_svg(tmp_path / "plot.svg")
    csv = panel.export_csv(tmp_path / "data.csv")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in svg.read_bytes()
    written = pd.read_csv(csv)
    pd.testing.assert_frame_equal(written, panel.table(), check_dtype=False)
    assert not written.empty
    actions = [a.text() for a in panel.export_menu.actions()]
    assert actions[:3] == ["PNG image…", "SVG drawing…", "CSV data…"]
    assert panel.graphics.scene().contextMenu == [panel.export_menu]


def test_export_into_a_missing_folder_names_it(make, tmp_path):
    panel = make(LossPanel)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        panel.export_png(tmp_path / "nope" / "plot.png")


def test_log_axes_label_only_one_two_five(qtbot):
    axis = ValueAxis("left")
    values = [0.0, np.log10(2), np.log10(3), np.log10(5), np.log10(7), 1.0]
    assert axis.logTickStrings(values, 1.0, 1.0) == ["1", "2", "", "5", "", "10¹"]


def test_a_squashed_panel_exports_at_the_fixed_size_with_its_caption(make, tmp_path):
    from PySide6.QtGui import QImage

    from workbench.plotting.export import CAPTION_HEIGHT, EXPORT_SIZE

    panel = make(LossPanel)
    _fill(panel)
    panel.resize(1200, 160)  # a squashed dock
    panel.shows = "gaba s0 on demo"
    before = panel.graphics.ci.geometry()
    png = panel.export_png(tmp_path / "plot.png")
    image = QImage(str(png))
    assert (image.width(), image.height()) == (EXPORT_SIZE[0], EXPORT_SIZE[1] + CAPTION_HEIGHT)
    assert image.text("Source").startswith("gaba s0 on demo · Loss · rul-workbench")
    assert panel.graphics.ci.geometry() == before, "the on-screen layout was put back"


def test_trajectory_headline_marks_heads_that_disagree(make):
    """The state is the health head's, the number the RUL head's: ≠ where they disagree."""
    panel = make(TrajectoryPanel)
    event = predictions_event("val")
    rows = _unit_rows(event, 0)
    last = int(np.flatnonzero(event.unit == 0)[np.argmax(event.cycle[event.unit == 0])])
    event.pred_rul[last] = 6.912
    event.pred_health[last] = 1  # degrading, while 6.9 lies in the critical band
    panel.set_predictions(event)
    panel.flush()
    text = panel.state_label.text()
    assert "degrading" in text and "≠" in text and "critical" in text
    assert "6.9" in text and "6.912" not in text and "cycles" in text
    event.pred_health[last] = 2  # the heads agree: no mark
    panel.set_predictions(event)
    panel.flush()
    assert "≠" not in panel.state_label.text() and rows is not None
