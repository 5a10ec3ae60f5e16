"""The fleet view: a finished run predicts engines in service, ranked by predicted RUL.

One tiny run on a small demo fleet is trained for the whole module; every
check compares what the view shows with what the engine predicts directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from core.data.columns import ColumnMapping
from core.data.demo import make_demo_fleet
from core.experiment.run import run_experiment
from core.prediction.inference import FleetPredictor
from core.runs import RunInfo, RunStatus, RunStore
from tests.helpers.experiments import SMALL_DEMO, small_experiment
from workbench.fleet.fleet_table import COLUMNS
from workbench.fleet.fleet_view import FleetView
from workbench.plotting.style import STATE_COLOURS

ENGINE_COLUMNS = ["unit", "last_cycle", "pred_rul", "pred_health", "true_rul", "error"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run store holding one finished tiny run on the small demo fleet."""
    root = tmp_path_factory.mktemp("fleet-runs")
    run_experiment(small_experiment(), RunStore(root))
    return root


@pytest.fixture(scope="module")
def expected(store: Path):
    """The run's predictions for its own in-service engines, made without the GUI."""
    run = RunStore(store).list_runs()[0].path
    predictor = FleetPredictor.from_run(run)
    return predictor.predict(predictor.in_service_fleet())


@pytest.fixture
def view(qtbot, store: Path) -> FleetView:
    made = FleetView(store)
    qtbot.addWidget(made)  # closed at teardown, which ends its thread
    made.resize(1100, 500)
    return made


def predicted(view: FleetView, qtbot) -> bool:
    """Press Predict and wait for the answer."""
    with qtbot.waitSignal(view.finished, timeout=60_000) as blocker:
        view.predict_button.click()
    return blocker.args[0]


def in_service_csv(folder: Path) -> tuple[Path, Path]:
    """The demo in-service engines as a user's CSV with text ids, and their truth file."""
    fleet = make_demo_fleet(SMALL_DEMO).test
    frame = fleet.frame.copy()
    frame.insert(0, "ESN", [f"ESN-{unit:03d}" for unit in frame.pop("unit")])
    data, truth = folder / "in_service.csv", folder / "truth.csv"
    frame.to_csv(data, index=False)
    ids = [f"ESN-{unit:03d}" for unit in fleet.truth_rul.index]
    pd.DataFrame({"ESN": ids, "rul": fleet.truth_rul.to_numpy()}).to_csv(truth, index=False)
    return data, truth


def test_only_finished_runs_with_a_checkpoint_are_offered(view, store, tmp_path):
    finished = RunStore(store).list_runs()[0]
    assert view.run_box.count() == 1 and view.current_run() == finished.path
    failed = RunInfo(tmp_path, "broken", RunStatus.FAILED, None, None, None, finished.created)
    view.set_runs([finished, failed])
    assert view.run_box.count() == 1
    assert "RMSE" in view.run_box.currentText()


def test_the_demo_in_service_engines_are_ranked_by_predicted_rul(view, qtbot, expected):
    view.use_run_in_service()
    assert predicted(view, qtbot)
    table = view.engine_table()
    pd.testing.assert_frame_equal(table.drop(columns="due"), expected.engines)
    assert table["pred_rul"].is_monotonic_increasing
    assert (table["due"] == (table["rul_lower"] < view.due_box.value())).all()
    np.testing.assert_allclose(table["error"], table["pred_rul"] - table["true_rul"])
    # The table shows the same engines in the same order, health tinted in its colour.
    model, proxy = view.model, view.proxy
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == [header for _, header, _ in COLUMNS]
    shown = [model.data(proxy.mapToSource(proxy.index(r, 0))) for r in range(proxy.rowCount())]
    assert shown == [str(unit) for unit in table["unit"]]
    state = table["pred_health"].iloc[0]
    health = headers.index("Health head")
    tint = model.data(model.index(0, health), Qt.ItemDataRole.BackgroundRole).color()
    assert tint.name() == STATE_COLOURS[state]
    assert f"{len(table)} engines" in view.message.text() and "RMSE" in view.message.text()


def test_ranking_by_the_lower_bound_and_the_due_flag_follow_the_threshold(view, qtbot):
    assert predicted(view, qtbot)
    view.rank_box.setCurrentIndex(view.rank_box.findData("rul_lower"))
    table = view.engine_table()
    assert table["rul_lower"].is_monotonic_increasing
    assert [str(u) for u in table["unit"]] == [
        view.model.data(view.model.index(r, 0)) for r in range(view.model.rowCount())
    ]
    view.due_box.setValue(1000)
    assert view.engine_table()["due"].all() and f"{len(table)}</b> due" in view.message.text()
    view.due_box.setValue(0)
    assert not view.engine_table()["due"].any()
    due = [h for _, h, _ in COLUMNS].index("Due")
    assert view.model.headerData(due, Qt.Orientation.Horizontal) == "Due"


def test_selecting_an_engine_shows_its_trajectory(view, qtbot, expected):
    assert predicted(view, qtbot)
    assert view.selected_engine() == expected.engines["unit"].iloc[0]  # most urgent first
    unit = expected.engines["unit"].iloc[-1]
    view.select_engine(unit)
    assert view.selected_engine() == unit
    drawn = view.trajectory_data()
    rows = expected.trajectories[expected.trajectories["unit"] == unit].sort_values("cycle")
    np.testing.assert_allclose(drawn["cycle"], rows["cycle"])
    np.testing.assert_allclose(drawn["pred_rul"], rows["pred_rul"], rtol=1e-6)
    np.testing.assert_allclose(drawn["true_rul"], rows["true_rul"])
    assert str(unit) in view.plot.getPlotItem().titleLabel.text
    band_cycle, band_lower = view.plot.band.lower.getData()
    np.testing.assert_allclose(band_lower, rows["rul_lower"], rtol=1e-6)  # the interval band
    np.testing.assert_allclose(band_cycle, rows["cycle"])


def test_an_in_service_csv_with_truth_predicts_the_same_engines(view, qtbot, expected, tmp_path):
    data, truth = in_service_csv(tmp_path)
    view.use_csv(data, ColumnMapping(unit="ESN", time="cycle"), truth)
    assert "in_service.csv with true RUL" in view.data_box.currentText()
    assert predicted(view, qtbot)
    table = view.engine_table()
    assert table["unit"].iloc[0].startswith("ESN-")
    by_number = table.assign(unit=table["unit"].str[4:].astype(int))
    pd.testing.assert_frame_equal(by_number[ENGINE_COLUMNS], expected.engines[ENGINE_COLUMNS])
    view.select_engine("ESN-002")
    assert not view.trajectory_data()["true_rul"].isna().any()


def test_an_in_service_csv_without_truth_has_no_error_column(view, qtbot, expected, tmp_path):
    data, _ = in_service_csv(tmp_path)
    view.use_csv(data)
    assert predicted(view, qtbot)
    assert "error" not in view.engine_table()
    assert view.model.columnCount() == len(COLUMNS) - 2  # no truth columns
    assert view.trajectory_data()["true_rul"].isna().all()


def test_export_writes_the_engine_table(view, qtbot, tmp_path):
    assert not view.export_button.isEnabled()
    assert predicted(view, qtbot)
    assert view.export_button.isEnabled()
    written = pd.read_csv(view.export_csv(tmp_path / "engines.csv"))
    table = view.engine_table()
    assert list(written.columns) == list(table.columns)
    np.testing.assert_allclose(written["pred_rul"], table["pred_rul"])
    assert list(written["unit"]) == list(table["unit"])


def test_a_run_without_checkpoint_shows_a_message(view, qtbot, store, tmp_path):
    source = RunStore(store).list_runs()[0].path
    broken = tmp_path / source.name
    shutil.copytree(source, broken, ignore=shutil.ignore_patterns("best.pt"))
    view.set_run(broken)
    assert not predicted(view, qtbot)
    assert "no best.pt checkpoint" in view.message.text()
    assert view.engine_table().empty and view.predict_button.isEnabled()


def test_a_bad_csv_shows_its_line_and_the_view_goes_on(view, qtbot, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 40)
    view.use_csv(junk)
    assert not predicted(view, qtbot)
    assert "junk.csv, line 2" in view.message.text()
    view.use_run_in_service()
    assert predicted(view, qtbot)
    assert not view.engine_table().empty


def test_changing_the_run_or_engines_clears_the_old_answer(view, qtbot, tmp_path):
    assert predicted(view, qtbot)
    view.use_csv(tmp_path / "other.csv")
    assert view.engine_table().empty and view.trajectory_data().empty
    assert "Press Predict" in view.message.text()


def test_both_heads_are_shown_and_their_disagreement_is_marked(view, qtbot, expected):
    assert predicted(view, qtbot)
    headers = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))]
    assert "RUL says" in headers and "Health head" in headers
    engines = view.engine_table()
    disagree = engines.index[~engines["heads_agree"]]
    health = [name for name, *_ in view.model.columns].index("pred_health")
    for row in range(len(engines)):
        text = view.model.data(view.model.index(row, health))
        assert text.endswith("≠") == (row in disagree)
    summary = view.message.text()
    assert "health head:" in summary and "RUL head:" in summary


def test_a_run_predicting_one_constant_is_flagged(view, qtbot, monkeypatch):
    from core.prediction.inference import FleetPredictor

    real_raw = FleetPredictor.raw

    def constant(self, windows):
        rul, probabilities = real_raw(self, windows)
        return np.full_like(rul, 42.0), probabilities

    monkeypatch.setattr(FleetPredictor, "raw", constant)
    assert predicted(view, qtbot)
    assert "nearly the same RUL for every engine" in view.message.text()


@pytest.fixture
def two_seeds(qtbot, tmp_path):
    """A store with two seeds of one method, and a fleet view on it (shut down after)."""
    store = RunStore(tmp_path / "runs")
    runs = [run_experiment(small_experiment(seed=seed), store)[1].path for seed in (0, 1)]
    made = FleetView(tmp_path / "runs")
    qtbot.addWidget(made)
    yield made, runs
    made.shutdown()  # the view's task thread must end before the view is freed


@pytest.mark.slow
def test_a_methods_seeds_are_offered_as_one_ensemble(qtbot, two_seeds):
    view, runs = two_seeds
    labels = [view.run_box.itemText(i) for i in range(view.run_box.count())]
    assert view.run_box.count() == 3 and "fixed seed ensemble: 2 runs (seeds 0, 1)" in labels
    view.run_box.setCurrentIndex(labels.index("fixed seed ensemble: 2 runs (seeds 0, 1)"))
    assert set(view.current_runs()) == set(runs)
    assert predicted(view, qtbot)
    members = [FleetPredictor.from_run(r) for r in runs]
    fleet = members[0].in_service_fleet()
    mean = np.mean([m.predict(fleet).engines.sort_values("unit")["pred_rul"] for m in members], 0)
    shown = view.engine_table().sort_values("unit")["pred_rul"].to_numpy()
    assert np.allclose(shown, mean)


def test_an_in_service_import_checks_against_the_chosen_runs_window(qtbot, tmp_path, monkeypatch):
    """Engines shorter than the run's window are named by the import check, not the default's."""
    from dataclasses import replace

    from workbench.data import CsvImportDialog

    config = small_experiment()
    config = config.with_(preprocess=replace(config.preprocess, window=20))
    run_experiment(config, RunStore(tmp_path / "runs"))
    view = FleetView(tmp_path / "runs")
    qtbot.addWidget(view)
    opened = []
    monkeypatch.setattr(CsvImportDialog, "exec", lambda dialog: opened.append(dialog) or 0)
    view._import_csv()
    assert view.run_window() == 20
    assert opened and opened[0].window_cycles == 20, "not the default 30"
    view.shutdown()
