"""The Data dock's views of the loaded data: the sensor health-indicator table and the Weibull plot.

Each test loads through the dock (off the GUI thread, as a user's Load does)
and checks what is shown against the core's own functions on the same data:
:func:`core.data.health_indicators.sensor_scores` for the table,
:func:`core.baseline.weibull.probability_plot_points` and
:func:`core.baseline.weibull.fit_weibull` for the plot.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.baseline.weibull import fit_weibull, probability_plot_points, training_lives
from core.data.demo import make_demo_fleet
from core.data.fleet import CYCLE, UNIT
from core.data.fleet_export import export_fleet
from core.data.health_indicators import SCORES, rank_sensors, sensor_scores
from core.data.prepare import PreparedData
from core.data.sources import SourceSpec, load_source
from tests.helpers.gui_support import SMALL_DEMO
from workbench.data.data_dock import DataDock
from workbench.data.data_form import SENSORS_BY_OFF
from workbench.life_data.sensor_table import COLUMNS, SORT_ROLE
from workbench.life_data.weibull_plot import unreliability_of

#: The demo fleet's sensors that never move (its C-MAPSS-like set-point and flat channels).
CONSTANT = {"s1", "s5", "s10", "s16", "s18", "s19"}
CAPTION = re.compile(
    r"Weibull fit: shape β = (?P<shape>[\d.]+), scale η = (?P<scale>[\d.,]+) (?P<unit>\w+), "
    r"B10 life (?P<b10>[\d.,]+) (?P=unit) · (?P<failures>\d+) failures, "
    r"(?P<suspensions>\d+) suspensions"
)
DESCENDING, ASCENDING = Qt.SortOrder.DescendingOrder, Qt.SortOrder.AscendingOrder
TIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture
def dock(qtbot):
    made = DataDock(SMALL_DEMO)
    qtbot.addWidget(made)
    made.resize(340, 700)
    made.show()
    yield made
    made.shutdown()  # the loader's thread


def load(dock: DataDock, qtbot) -> None:
    """Press Load and wait for the data (a failure fails the test with its message)."""
    failures: list[str] = []
    dock.loadFailed.connect(failures.append)
    with qtbot.waitSignal(dock.dataLoaded, timeout=60_000):
        dock.load()
    assert not failures


def shown(dock: DataDock) -> list[dict]:
    """The table as the user reads it: each row's cell texts and sort values, in view order."""
    model = dock.sensor_view.model
    rows = []
    for row in range(model.rowCount()):
        cells = {}
        for column, (name, _, _) in enumerate(COLUMNS):
            index = model.index(row, column)
            cells[name] = model.data(index)
            cells[f"{name}_value"] = model.data(index, SORT_ROLE)
        cells["used"] = cells["sensor"].endswith("✓")
        rows.append(cells)
    return rows


def loaded(dock: DataDock) -> tuple[SourceSpec, PreparedData]:
    """The source and data the dock loaded last."""
    assert dock.source is not None and dock.data is not None
    return dock.source, dock.data


def expected_scores(dock: DataDock):
    """sensor_scores of the fitting units, computed here from the fleet (not the dock's copy)."""
    source, data = loaded(dock)
    pair = load_source(source)
    fitting = pair.train.subset(list(data.train.unit_ids))
    conditions = data.pipeline.conditions.assign(fitting)
    return sensor_scores(fitting, conditions=conditions, eps=data.config.eps)


def sort_by(dock: DataDock, score: str, order: Qt.SortOrder) -> None:
    """Click a header (once or twice) until the table is sorted by ``score`` in ``order``."""
    dock.sensor_view.table.sortByColumn([c[0] for c in COLUMNS].index(score), order)


# ------------------------------------------------------------------ the sensor table
def test_the_table_shows_every_sensors_scores_with_three_decimals(dock, qtbot):
    load(dock, qtbot)
    expected = expected_scores(dock).set_index("sensor")
    rows = shown(dock)
    assert sorted(r["sensor_value"] for r in rows) == sorted(expected.index)
    for row in rows:
        for score in SCORES:
            value = expected.loc[row["sensor_value"], score]
            assert row[f"{score}_value"] == pytest.approx(value, abs=1e-12)
            assert row[score] == f"{value:.3f}"
    used = {r["sensor_value"] for r in rows if r["used"]}
    assert used == set(dock.data.features) == set(expected.index) - CONSTANT
    assert dock.sensor_view.model.headerData(3, Qt.Orientation.Horizontal) == "Prognosability"
    tip = dock.sensor_view.model.headerData(3, Qt.Orientation.Horizontal, TIP)
    assert "exp(" in tip and "Coble & Hines 2009" in tip
    assert "Scored on 24 failed fitting units" in dock.sensor_view.about.text()


def test_sorting_by_prognosability_orders_the_rows_by_it(dock, qtbot):
    load(dock, qtbot)
    expected = expected_scores(dock)
    moving = expected[~expected["sensor"].isin(CONSTANT)]
    sort_by(dock, "prognosability", DESCENDING)
    best_first = moving.sort_values("prognosability", ascending=False, kind="stable")
    rows = shown(dock)
    assert [r["sensor_value"] for r in rows[: len(moving)]] == best_first["sensor"].tolist()
    values = [r["prognosability_value"] for r in rows[: len(moving)]]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]

    sort_by(dock, "prognosability", ASCENDING)
    values = [r["prognosability_value"] for r in shown(dock)[: len(moving)]]
    assert values == sorted(values)


@pytest.mark.parametrize("order", [ASCENDING, DESCENDING], ids=["ascending", "descending"])
def test_constant_sensors_stay_at_the_bottom_whatever_the_sort(dock, qtbot, order):
    load(dock, qtbot)
    for name, _, _ in COLUMNS:
        dock.sensor_view.table.sortByColumn([c[0] for c in COLUMNS].index(name), order)
        rows = shown(dock)
        assert {r["sensor_value"] for r in rows[-len(CONSTANT) :]} == CONSTANT, name
        assert not any(r["used"] for r in rows[-len(CONSTANT) :])
        assert all(r["prognosability"] == "0.000" for r in rows[-len(CONSTANT) :])


def test_ranking_by_trendability_keeps_the_five_best_and_marks_them(dock, qtbot):
    form = dock.preprocess_form
    assert form.sensors_by.currentText() == SENSORS_BY_OFF and form.config().sensors_by == ""
    assert not form.sensors_top.isEnabled()
    load(dock, qtbot)
    assert len([r for r in shown(dock) if r["used"]]) == 15  # every non-constant sensor

    form.sensors_by.setCurrentIndex(form.sensors_by.findData("trendability"))
    form.sensors_top.setValue(5)
    assert form.sensors_top.isEnabled()
    assert not dock.sensor_view.stale.isHidden(), "the table says it is not the form's choice"
    load(dock, qtbot)
    assert dock.sensor_view.stale.isHidden()
    rows = shown(dock)
    used = [r["sensor_value"] for r in rows if r["used"]]
    assert len(used) == 5 and set(used) == set(dock.data.features)
    expected = expected_scores(dock)
    moving = expected[~expected["sensor"].isin(CONSTANT)].reset_index(drop=True)
    best, _, _ = rank_sensors(moving, "trendability", 5)
    assert set(used) == set(best)
    # Ranking sorts the table by its score, so the kept five are the top five rows.
    assert [r["sensor_value"] for r in rows[:5]] == sorted(best, key=lambda s: -_score(rows, s))
    assert "the best 5 by trendability: 5 of 21 sensors" in dock.sensor_view.about.text()


def _score(rows: list[dict], sensor: str) -> float:
    return next(r["trendability_value"] for r in rows if r["sensor_value"] == sensor)


# ------------------------------------------------------------------ the Weibull plot
def plotted(dock: DataDock) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Failure ages, their unreliability F and suspension ages, read back from the plot items."""
    panel = dock.weibull_view
    panel.flush()
    x, y = panel.failure_points.getData()
    ticks_x, _ = panel.suspension_ticks.getData()
    suspended = np.exp(ticks_x) if ticks_x is not None else np.zeros(0)
    return np.exp(x), unreliability_of(y), suspended


def parsed_caption(dock: DataDock) -> dict[str, str]:
    match = CAPTION.fullmatch(dock.weibull_view.caption.text())
    assert match, dock.weibull_view.caption.text()
    return match.groupdict()


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_probability_plot_draws_the_median_ranks_and_the_fit(dock, qtbot):
    load(dock, qtbot)
    _, data = loaded(dock)
    failures, suspensions = training_lives(data.train, data.suspended)
    # The lives are the fitting units' last cycles: the demo's units all run to failure.
    frame = load_source_frame(dock)
    lives = frame[frame[UNIT].isin(data.train.unit_ids)].groupby(UNIT)[CYCLE].max()
    assert sorted(failures) == sorted(lives.astype(float)) and len(suspensions) == 0

    ages, unreliability, suspended = plotted(dock)
    times, ranks = probability_plot_points(failures, suspensions)
    np.testing.assert_allclose(ages, times, rtol=1e-12)
    np.testing.assert_allclose(unreliability, ranks, rtol=1e-9)
    assert len(suspended) == 0

    fit = fit_weibull(failures, suspensions)
    caption = parsed_caption(dock)
    assert number(caption["shape"]) == pytest.approx(fit.shape, rel=5e-3)
    assert number(caption["scale"]) == pytest.approx(fit.scale, rel=5e-3)
    assert number(caption["b10"]) == pytest.approx(fit.b10, rel=5e-3)
    assert caption["unit"] == "cycles"
    assert (caption["failures"], caption["suspensions"]) == (str(len(failures)), "0")
    line_x, line_y = dock.weibull_view.line.getData()
    np.testing.assert_allclose(line_y, fit.shape * (line_x - math.log(fit.scale)))
    names = [label.text for _, label in dock.weibull_view.plot.legend.items]
    assert "suspensions" not in names  # nothing to show


def load_source_frame(dock: DataDock):
    return load_source(loaded(dock)[0]).train.frame


@pytest.fixture
def removals(tmp_path: Path):
    """The small demo as engine files and a removals log: 40 % of the engines suspended."""
    return export_fleet(make_demo_fleet(SMALL_DEMO), tmp_path / "export", 0.4)


def use_engine_files(dock: DataDock, removals, **spec) -> None:
    """The exported engine folder and removals log as the dock's source.

    One operating condition is set, as the demo has: detecting it (k-means over
    several k) would take most of the test's time.
    """
    folder, log = str(removals.engines), str(removals.removals)
    dock.source_form.set_csv_source(SourceSpec(kind="csv", path=folder, removals=log, **spec))
    dock.preprocess_form.conditions.setValue(1)


def test_a_removals_log_puts_suspensions_on_the_plot_and_in_the_caption(dock, qtbot, removals):
    use_engine_files(dock, removals)
    load(dock, qtbot)
    _, data = loaded(dock)
    assert len(data.suspended) == len(removals.suspended) == 12
    failures, suspensions = training_lives(data.train, data.suspended)
    assert len(suspensions) == 12  # validation units are drawn from the failed ones

    caption = parsed_caption(dock)
    assert caption["suspensions"] == "12" and caption["failures"] == str(len(failures))
    fit = fit_weibull(failures, suspensions)
    assert number(caption["shape"]) == pytest.approx(fit.shape, rel=5e-3)
    assert number(caption["scale"]) == pytest.approx(fit.scale, rel=5e-3)

    ages, unreliability, suspended = plotted(dock)
    times, ranks = probability_plot_points(failures, suspensions)
    np.testing.assert_allclose(ages, times, rtol=1e-12)
    np.testing.assert_allclose(unreliability, ranks, rtol=1e-9)
    np.testing.assert_allclose(np.sort(suspended), np.sort(suspensions), rtol=1e-12)
    names = [label.text for _, label in dock.weibull_view.plot.legend.items]
    assert "suspensions" in names
    table = dock.weibull_view.table()
    assert (table["kind"] == "suspension").sum() == 12
    panel = dock.weibull_view
    x, y = panel.suspension_ticks.getData()
    assert panel.hover.hover(x[0], y[0]).startswith("suspension at ")
    x, y = panel.failure_points.getData()
    assert panel.hover.hover(x[-1], y[-1]).startswith(f"failure at {times[-1]:.4g} cycles")


def test_a_fleet_in_hours_is_plotted_and_captioned_in_hours(dock, qtbot, removals):
    use_engine_files(dock, removals, time_col="TSN_h")
    load(dock, qtbot)
    assert dock.data.time_unit == "hours"
    assert parsed_caption(dock)["unit"] == "hours"
    axis = dock.weibull_view.plot.getAxis("bottom")
    assert axis.labelText == "age at failure (hours, log scale)"
