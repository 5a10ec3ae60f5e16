"""The per-block gradient panel: block records end up in the heatmaps' arrays, in block order.

Data, not pixels: the image arrays, the table, the hover text and which page
(hint or plots) the panel shows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.helpers.panel_samples import probe_records
from workbench.panels import BlockGradientPanel
from workbench.panels.block_gradients import BLOCKS, EMPTY_TEXT, FIGURES
from workbench.plotting.redraw import RedrawCoalescer


@pytest.fixture
def panel(qtbot):
    coalescer = RedrawCoalescer(interval_ms=10)
    panel = BlockGradientPanel(coalescer)
    qtbot.addWidget(panel)
    yield panel
    coalescer.cancel()


def block_records(n: int = 8) -> list[dict]:
    """Probe records with per-block figures: the ratio grows with the block's depth."""
    rng = np.random.default_rng(7)
    records = []
    for record in probe_records(n):
        for depth, block in enumerate(BLOCKS):
            rul, health = 10 ** rng.normal(depth - 1.5, 0.2), 10 ** rng.normal(0, 0.2)
            record[f"{block}_norm_rul"] = rul
            record[f"{block}_norm_health"] = health
            record[f"{block}_ratio"] = rul / health
            record[f"{block}_cosine"] = float(rng.uniform(-1, 1))
        records.append(record)
    return records


def expected(records: list[dict], figure: str) -> np.ndarray:
    return np.array([[r[f"{b}_{figure}"] for r in records] for b in BLOCKS])


def test_block_records_fill_both_heatmaps_in_block_order(panel):
    records = block_records()
    for record in records:
        panel.add_probe(record)
    panel.flush()
    ratio = panel.images["ratio"].image
    assert ratio.shape == (len(BLOCKS), len(records))
    np.testing.assert_allclose(ratio, np.log10(expected(records, "ratio")))
    np.testing.assert_allclose(panel.images["cosine"].image, expected(records, "cosine"))
    assert panel.stack.currentWidget() is panel.graphics
    assert panel.redraws == 1


def test_ratio_levels_are_centred_on_balance_and_cosine_levels_fixed(panel):
    for record in block_records():
        panel.add_probe(record)
    panel.flush()
    low, high = panel.images["ratio"].getLevels()
    assert low == -high and high >= 1.0
    assert tuple(panel.images["cosine"].getLevels()) == (-1.0, 1.0)


def test_columns_sit_on_their_steps(panel):
    records = block_records(5)
    for record in records:
        panel.add_probe(record)
    panel.flush()
    rect = panel.images["ratio"].mapRectToParent(panel.images["ratio"].boundingRect())
    steps = [r["step"] for r in records]
    spacing = steps[1] - steps[0]
    assert rect.left() == pytest.approx(steps[0] - spacing / 2)
    assert rect.right() == pytest.approx(steps[-1] + spacing / 2)
    assert rect.height() == pytest.approx(len(BLOCKS))


def test_records_without_block_figures_leave_it_empty(panel):
    for record in probe_records(10):
        panel.add_probe(record)
    panel.add_probe({"step": 3, "cnn_ratio": math.nan, "cnn_cosine": None})
    panel.flush()
    assert panel.table().empty
    assert panel.images["ratio"].image is None
    assert panel.stack.currentWidget() is panel.empty_label
    assert panel.empty_label.text() == EMPTY_TEXT


def test_reset_clears_and_shows_the_hint_again(panel):
    for record in block_records():
        panel.add_probe(record)
    panel.flush()
    panel.reset()
    assert panel.table().empty
    assert all(image.image is None for image in panel.images.values())
    assert panel.stack.currentWidget() is panel.empty_label


def test_hover_names_block_step_and_value(panel):
    records = block_records(4)
    for record in records:
        panel.add_probe(record)
    panel.flush()
    step = records[2]["step"]
    text = panel.readouts["cosine"].hover(step + 1, 2.5)  # third row: attention
    assert text.startswith(f"attention · step {step} · cosine")
    text = panel.readouts["ratio"].hover(step, 0.2)
    assert text.startswith(f"CNN · step {step} · ratio")
    assert panel.readouts["ratio"].hover(step, 7.0) == ""


def test_csv_export_holds_every_block_figure_per_step(panel, tmp_path):
    records = block_records(6)
    for record in records:
        panel.add_probe(record)
    path = panel.export_csv(tmp_path / "blocks.csv")
    table = pd.read_csv(path)
    assert list(table.columns) == ["step"] + [f"{b}_{f}" for b in BLOCKS for f in FIGURES]
    assert table["step"].tolist() == [r["step"] for r in records]
    np.testing.assert_allclose(table["funnel_cosine"], [r["funnel_cosine"] for r in records])
    assert panel.export_png(tmp_path / "blocks.png").stat().st_size > 0
    assert panel.export_svg(tmp_path / "blocks.svg").stat().st_size > 0


@pytest.mark.slow
def test_ticking_per_block_probe_fills_the_blocks_tab_and_replays(
    qtbot, make_window, quick, errors
):
    window = make_window()
    qtbot.waitUntil(lambda: window.data_dock.data is not None, timeout=10_000)
    quick(window)
    window.experiment_dock.probe_blocks.setChecked(True)
    assert window.experiment_dock.train_config().probe_blocks
    with qtbot.waitSignal(window.controller.queueIdle, timeout=60_000):
        assert window.train() > 0
    window.feed.flush()
    window.area.flush()
    blocks = window.area.blocks
    image = blocks.images["ratio"].image
    assert image is not None and image.shape[0] == len(BLOCKS) and image.shape[1] > 3
    assert np.isfinite(blocks.images["cosine"].image).any()
    assert blocks.stack.currentWidget() is blocks.graphics
    assert window.experiment_dock.state()["probe_blocks"] is True
    live = image.copy()
    blocks.reset()
    assert window.show_run(window.queue_model.rows[-1].row_id)  # replayed from probe.csv
    np.testing.assert_allclose(blocks.images["ratio"].image, live, rtol=1e-6)
    assert errors == []
