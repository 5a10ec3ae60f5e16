"""A run trained on hours says hours: trajectory, test results and fleet view.

One tiny run is trained for the module on the demo fleet exported as a
maintenance system writes it (one file per engine, hours since new in
``TSN_h``, a removals log), with ``TSN_h`` as its time column, so every RUL
it predicts is in hours. The panels must say so, and show the hours the
files hold; a run saved before the unit was recorded is a run of cycles.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from core.data.columns import ColumnMapping
from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet_export import ExportedFleet, export_fleet
from core.data.sources import SourceSpec
from core.experiment.run import run_experiment
from core.runs import RunDir, RunStore
from tests.helpers.experiments import small_experiment
from workbench.common.time_units import run_time_unit
from workbench.fleet.fleet_view import FleetView
from workbench.training.live_area import LiveArea
from workbench.training.run_replay import replay_run

HORIZONTAL = Qt.Orientation.Horizontal
ENGINES = make_demo_fleet(DemoConfig(train_units=20, test_units=6))


@pytest.fixture(scope="module")
def hours_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportedFleet]:
    """A finished run on the exported engines, timed by hours since new (TSN_h)."""
    root = tmp_path_factory.mktemp("hours")
    exported = export_fleet(ENGINES, root / "export", suspended_share=0.4, seed=0)
    source = SourceSpec(
        kind="csv",
        path=str(exported.engines),
        time_col="TSN_h",
        removals=str(exported.removals),
    )
    config = small_experiment(source=source, preprocess=PreprocessConfig(window=20, test_units=4))
    run_experiment(config, RunStore(root / "runs"))
    return RunStore(root / "runs").list_runs()[0].path, exported


@pytest.fixture
def fleet_view(qtbot, hours_run) -> FleetView:
    """The fleet view on the hours run's store (held here: qtbot keeps only a weak reference)."""
    made = FleetView(hours_run[0].parent)
    qtbot.addWidget(made)  # closed at teardown, which ends its thread
    return made


@pytest.fixture
def area(qtbot) -> LiveArea:
    made = LiveArea()
    qtbot.addWidget(made)
    return made


def axis_label(plot, side: str) -> str:
    return plot.getAxis(side).labelText


def engine_hours(folder: Path) -> pd.DataFrame:
    """Every engine file of ``folder`` in one table with its serial (the file's name)."""
    return pd.concat(
        [pd.read_csv(path).assign(esn=path.stem) for path in sorted(folder.glob("*.csv"))],
        ignore_index=True,
    )


def test_a_run_of_hours_is_shown_again_in_hours(area, hours_run):
    run, exported = hours_run
    assert run_time_unit(run) == "hours"
    replay_run(area, str(run), "fixed s0")
    trajectory, results = area.trajectory, area.test_results
    assert axis_label(trajectory.plot, "left") == "RUL (hours)"
    assert axis_label(trajectory.plot, "bottom") == "hours"
    assert axis_label(results.scatter_plot, "bottom") == "true RUL (hours)"
    assert axis_label(results.scatter_plot, "left") == "predicted RUL (hours)"
    assert "(hours; + is late)" in axis_label(results.histogram_plot, "bottom")
    assert "</b> hours" in results.headline.text and "cycles" not in results.headline.text
    # The time axis holds the engines' hours since new, as the files give them.
    event = trajectory.latest["val"]
    hours = engine_hours(exported.engines).groupby("esn")["TSN_h"]
    for code, unit in enumerate(event.unit_ids):
        drawn = event.cycle[np.asarray(event.unit) == code]
        assert set(drawn) <= set(hours.get_group(unit))
        assert drawn.max() == pytest.approx(hours.get_group(unit).max())
    shown = results.table()
    pd.testing.assert_frame_equal(shown, RunDir(run).read_predictions())


def test_a_run_saved_without_its_unit_is_a_run_of_cycles(area, hours_run, tmp_path):
    run, _ = hours_run
    older = tmp_path / run.name
    shutil.copytree(run, older)
    saved = json.loads((older / "preprocessing.json").read_text())
    del saved["time_unit"]
    (older / "preprocessing.json").write_text(json.dumps(saved))
    replay_run(area, str(run), "hours")
    replay_run(area, str(older), "older")  # the same panels, relabelled
    assert axis_label(area.trajectory.plot, "left") == "RUL (cycles)"
    assert axis_label(area.trajectory.plot, "bottom") == "cycle"
    assert axis_label(area.test_results.scatter_plot, "bottom") == "true RUL (cycles)"
    assert "</b> cycles" in area.test_results.headline.text


def test_the_fleet_view_predicts_in_hours(qtbot, hours_run, fleet_view, tmp_path):
    run, exported = hours_run
    engines = engine_hours(exported.in_service)
    in_service = tmp_path / "in_service.csv"
    engines.to_csv(in_service, index=False)
    view = fleet_view
    assert view.current_run() == run and view.due_box.suffix() == " hours"
    view.use_csv(in_service, ColumnMapping(unit="esn", time="TSN_h"))
    with qtbot.waitSignal(view.finished, timeout=60_000) as blocker:
        view.predict_button.click()
    assert blocker.args[0], view.message.text()
    model, plot = view.model, view.plot.getPlotItem()
    headers = [model.headerData(c, HORIZONTAL) for c in range(model.columnCount())]
    assert "Last record (h)" in headers and "Last cycle" not in headers
    assert axis_label(plot, "left") == "RUL (hours)" and axis_label(plot, "bottom") == "hours"
    # Each engine's last record is its hours since new in the file.
    table = view.engine_table().set_index("unit")["last_cycle"]
    last = engines.groupby("esn")["TSN_h"].max()
    pd.testing.assert_series_equal(table.sort_index(), last.sort_index(), check_names=False)


def test_runs_of_hours_are_compared_in_hours(qtbot, hours_run):
    """The Comparison tab: the RMSE axis and the columns in cycles say hours for such runs."""
    from workbench.panels import ComparisonPanel
    from workbench.training.comparison_feed import comparison_inputs
    from workbench.training.run_queue_model import QueueRow

    run, _ = hours_run
    metrics = RunDir(run).read_metrics()
    rows = [
        QueueRow(m, 0, "finished", metrics=metrics, run_dir=str(run)) for m in ("fixed", "gaba")
    ]
    inputs = comparison_inputs(rows, "two runs")
    assert inputs.time_unit == "hours"
    panel = ComparisonPanel()
    qtbot.addWidget(panel)
    panel.set_time_unit(inputs.time_unit)
    panel.set_runs(inputs.runs)
    panel.set_summary(inputs.summary)
    assert axis_label(panel.plot, "left") == "RMSE (hours)"
    summary = panel.summary_table
    headers = [summary.horizontalHeaderItem(c).text() for c in range(summary.columnCount())]
    runs = [panel.runs_table.horizontalHeaderItem(c).text()
            for c in range(panel.runs_table.columnCount())]  # fmt: skip
    assert "prognostic horizon (hours)" in headers and "Test prognostic horizon (hours)" in runs
    assert not [h for h in headers + runs if "(cycles)" in h]
