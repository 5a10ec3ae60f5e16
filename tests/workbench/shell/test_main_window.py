"""The main window end to end: load, train, watch, stop, close, compare, remember."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import QSettings, Qt, QThread

from core.common.formats import count
from core.runs import RunDir, RunStore
from core.training.step import Diverged, TrainingStep
from workbench.training import worker as worker_module


def loaded(qtbot, window):
    qtbot.waitUntil(lambda: window.data_dock.data is not None, timeout=10_000)
    return window


def train_and_wait(qtbot, window, timeout=60_000) -> None:
    with qtbot.waitSignal(window.controller.queueIdle, timeout=timeout):
        assert window.train() > 0


def points(item) -> int:
    x, _ = item.getData()
    return 0 if x is None else len(x)


def drawn(window, item) -> int:
    """Points of a curve once every buffered event has been applied and drawn."""
    window.feed.flush()
    window.area.flush()
    return points(item)


def first_epoch_done(qtbot, window, timeout=30_000) -> None:
    curve = window.area.losses.curves["val_loss_rul"]
    qtbot.waitUntil(lambda: drawn(window, curve) > 0, timeout=timeout)


def test_window_opens_on_the_demo_ready_to_train(qtbot, make_window):
    window = loaded(qtbot, make_window())
    assert "demo fleet" in window.windowTitle()
    assert window.train_button.isEnabled()
    dock = window.experiment_dock
    assert dock.preset.currentText() == "tiny" and dock.epochs.value() == 12  # a CPU's first run
    assert "first look" in dock.preset_note.text()
    assert "features used" in window.data_dock.summary_view.toPlainText()
    assert window.size().width() >= 1200


@pytest.mark.slow
def test_a_short_run_fills_every_live_panel(qtbot, make_window, quick, errors):
    window = loaded(qtbot, make_window())
    quick(window)
    train_and_wait(qtbot, window)
    window.area.flush()
    area = window.area
    assert points(area.losses.curves["train_loss_rul"]) == 2
    assert points(area.losses.curves["val_loss_health"]) == 2
    assert all(points(c) > 3 for c in area.gradients.raw_curves.values())
    assert points(area.gradients.smooth_curves["norm_rul"]) > 3
    assert all(points(c) > 10 for c in area.weights.curves.values())
    assert points(area.trajectory.true_curve) > 10
    assert points(area.trajectory.pred_curve) == points(area.trajectory.true_curve)
    # after the run the trajectory is the kept model's, inside its calibrated interval
    kept = RunDir(window.queue_model.rows[-1].run_dir).read_trajectories()
    shown = kept[(kept["split"] == "val") & (kept["unit"] == area.trajectory.current_unit())]
    lower, upper = area.trajectory.band.bounds()
    assert lower == pytest.approx(shown["rul_lower"].to_numpy()) and (lower <= upper).all()
    _, drawn_prediction = area.trajectory.pred_curve.getData()
    assert drawn_prediction == pytest.approx(shown["pred_rul"].to_numpy(), rel=1e-6)
    assert "calibrated interval" in area.trajectory.plot.titleLabel.text
    assert not area.test_results.table().empty
    row = window.queue_model.rows[-1]
    assert row.status == "finished" and row.metrics["rmse"] > 0 and row.progress == 1.0
    assert "finished" in window.status.run.text()
    assert errors == []


@pytest.mark.slow
def test_stop_during_a_run_ends_it_within_5_s_and_keeps_finished_epochs(qtbot, make_window, quick):
    window = loaded(qtbot, make_window())
    quick(window, epochs=200)
    window.train()
    first_epoch_done(qtbot, window)
    started = time.monotonic()
    with qtbot.waitSignal(window.controller.runEnded, timeout=5_000) as ended:
        window.queue_dock.buttons["stop"].click()
    assert time.monotonic() - started < 5
    outcome = ended.args[0]
    assert outcome.status == "stopped"
    assert len(RunDir(outcome.run_dir).read_history()) >= 1


@pytest.mark.slow
def test_closing_the_window_mid_run_returns_and_loses_no_epoch(qtbot, make_window, quick, tmp_path):
    window = loaded(qtbot, make_window())
    quick(window, epochs=200)
    window.train()
    first_epoch_done(qtbot, window)
    thread = window.controller._thread
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 5
    assert thread is not None and not thread.isRunning()
    [info] = RunStore(tmp_path / "runs").list_runs()
    assert info.status.value == "stopped"
    assert len(RunDir(info.path).read_history()) >= 1


@pytest.mark.slow
def test_pause_holds_the_run_and_resume_continues(qtbot, make_window, quick):
    window = loaded(qtbot, make_window())
    quick(window, epochs=200)
    window.train()
    qtbot.waitUntil(lambda: window.queue_model.rows[-1].progress > 0, timeout=20_000)
    window.queue_dock.buttons["pause"].click()
    assert window.queue_model.rows[-1].status == "paused"
    assert window.queue_dock.buttons["resume"].isEnabled()
    assert window.status.run.text().startswith("paused"), "the status bar says paused"
    curve = window.area.weights.curves["lambda_rul"]
    qtbot.wait(300)  # a step in flight may still land
    held, clock = drawn(window, curve), window.status.times.text()
    qtbot.wait(1300)
    assert drawn(window, curve) == held
    assert window.status.times.text() == clock, "the clock stops while paused"
    window.queue_dock.buttons["resume"].click()
    assert window.queue_model.rows[-1].status == "running"
    assert window.status.run.text().startswith("training")
    qtbot.waitUntil(lambda: drawn(window, curve) > held, timeout=10_000)


@pytest.mark.slow
def test_two_methods_by_two_seeds_fill_the_comparison(qtbot, make_window, quick):
    window = loaded(qtbot, make_window())
    quick(window, methods=("fixed", "gaba"), seeds="0,1", epochs=1)
    train_and_wait(qtbot, window, timeout=90_000)
    assert [r.status for r in window.queue_model.rows] == ["finished"] * 4
    window.refresh_comparison()
    panel = window.area.comparison
    table = panel.table()
    assert len(table) == 4
    assert sorted(table["method"].unique()) == ["fixed", "gaba"]
    assert table["rmse"].notna().all()
    assert list(panel.summary_frame()["method"]) == ["fixed", "gaba"]
    assert len(panel.curves) == 4
    # What one run's units resolve arrives from a background task, beside the seed interval.
    qtbot.waitUntil(lambda: "rmse_unit_resolution" in panel.summary_frame(), timeout=20_000)
    assert panel.summary_frame().set_index("method")["rmse_unit_resolution"]["gaba"] > 0
    # Selecting two rows compares just those.
    window.queue_dock.select([r.row_id for r in window.queue_model.rows[:2]])
    window.refresh_comparison()
    assert len(panel.table()) == 2


@pytest.mark.slow
def test_a_failing_run_is_reported_and_the_queue_goes_on(
    qtbot, make_window, quick, errors, monkeypatch
):
    real = worker_module.run_experiment

    def flaky(config, *args, **kwargs):
        if config.method == "dwa":
            raise RuntimeError("injected fault in the trainer")
        return real(config, *args, **kwargs)

    monkeypatch.setattr(worker_module, "run_experiment", flaky)
    window = loaded(qtbot, make_window())
    quick(window, methods=("dwa", "fixed"), epochs=1)
    train_and_wait(qtbot, window)
    rows = {row.method: row for row in window.queue_model.rows}
    bad, good = rows["dwa"], rows["fixed"]
    assert bad.status == "failed" and "injected fault" in bad.detail
    assert good.status == "finished"
    [(_title, message, details)] = errors
    assert "dwa s0" in message and "injected fault" in message
    assert "Traceback" in details


def test_training_on_a_missing_csv_says_so_and_keeps_the_data(qtbot, make_window, quick, errors):
    window = loaded(qtbot, make_window())
    before = window.data_dock.data
    quick(window, epochs=1)
    window.data_dock.source_form.kind.setCurrentIndex(2)  # imported CSV ...
    window.data_dock.source_form.csv_path.setText("/no/such/fleet.csv")  # ... that is missing
    with qtbot.waitSignal(window.data_dock.loadFailed, timeout=10_000):
        window.train()
    assert window.queue_model.rows == []
    assert "fleet.csv" in errors[-1][1]
    assert "fleet.csv" in window.data_dock.message.text()
    assert window.data_dock.data is before


@pytest.mark.slow
def test_a_fleet_without_a_test_split_says_why_it_has_no_test_results(
    qtbot, make_window, quick, tmp_path
):
    """An imported folder of engines and no test set: the finished run's Test results tab
    says why it is empty and gives the validation figures, instead of "when a run finishes"."""
    from core.data.demo import DemoConfig, make_demo_fleet
    from core.data.fleet_export import export_fleet

    fleet = export_fleet(make_demo_fleet(DemoConfig(train_units=16, test_units=4)), tmp_path)
    window = loaded(qtbot, make_window())
    quick(window, methods=("fixed",), epochs=1)
    window.data_dock.source_form.kind.setCurrentIndex(2)  # imported CSV: the engine files
    window.data_dock.source_form.csv_path.setText(str(fleet.engines))
    train_and_wait(qtbot, window)
    [row] = window.queue_model.rows
    assert row.status == "finished" and row.metrics.get("rmse") is None
    shown = window.area.test_results.placeholder_text()
    assert shown.startswith("fixed s0 has no test results: its fleet has no test split")
    assert f"val RMSE {row.metrics['val_rmse']:.2f} cycles" in shown
    assert window.area.tabText(1) == "Test results · fixed s0"
    assert window.show_run(row.row_id)  # shown again from its folder: the same words
    assert window.area.test_results.placeholder_text() == shown


@pytest.mark.slow
def test_changed_data_settings_are_loaded_before_training(qtbot, make_window, quick):
    window = loaded(qtbot, make_window())
    quick(window, epochs=1)
    window.data_dock.preprocess_form.window_cycles.setValue(15)
    train_and_wait(qtbot, window)
    assert window.data_dock.data.config.window == 15
    assert window.queue_model.rows[-1].config.preprocess.window == 15
    assert window.queue_model.rows[-1].status == "finished"


def test_a_bad_data_folder_shows_its_message_and_keeps_the_loaded_data(
    qtbot, make_window, tmp_path
):
    window = loaded(qtbot, make_window())
    before = window.data_dock.data
    form = window.data_dock.source_form
    form.kind.setCurrentIndex(1)  # C-MAPSS
    form.cmapss_dir.setText(str(tmp_path / "empty"))
    with qtbot.waitSignal(window.data_dock.loadFailed, timeout=10_000) as failed:
        window.data_dock.load()
    assert "empty" in failed.args[0]
    assert "Still using demo" in window.data_dock.message.text()
    assert window.data_dock.data is before


def test_damaged_run_folders_are_listed_as_damaged(qtbot, make_window, tmp_path):
    folder = tmp_path / "runs" / "20250101-120000_gaba_s0_abcd"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"method": "gaba", "se')  # truncated by a crash
    window = make_window(autoload=False)
    [row] = window.queue_model.rows
    assert row.status == "damaged"
    tooltip = window.queue_model.data(window.queue_model.index(0, 2), 3)  # ToolTipRole
    assert "config.json" in tooltip and "not valid JSON" in tooltip


@pytest.mark.slow
def test_finished_runs_from_the_store_are_listed_on_start(qtbot, make_window, quick, tmp_path):
    window = loaded(qtbot, make_window())
    quick(window, epochs=1)
    train_and_wait(qtbot, window)
    window.close()
    again = make_window(autoload=False)
    [row] = again.queue_model.rows
    assert row.status == "finished" and row.from_store and row.metrics["rmse"] > 0
    # Double-clicking it shows its curves again, read back from its folder.
    assert again.show_run(row.row_id)
    assert points(again.area.losses.curves["train_loss_rul"]) == 1
    assert points(again.area.gradients.smooth_curves["norm_rul"]) > 3
    assert points(again.area.trajectory.true_curve) > 10
    assert "epoch 1" in again.area.trajectory.plot.titleLabel.text, "the kept epoch, not 0"
    assert not again.area.test_results.table().empty


def test_settings_and_layout_are_remembered(qtbot, make_window, tmp_path):
    window = make_window(autoload=False)
    window.experiment_dock.epochs.setValue(7)
    window.experiment_dock.seeds.setText("0-2")
    window.experiment_dock.methods.set_checked(["fixed", "dwa"])
    window.data_dock.preprocess_form.rul_cap.setValue(110)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.queue_dock)
    window.close()
    assert json.loads(_ini_value(tmp_path / "settings.ini", "experiment"))["epochs"] == 7
    again = make_window(autoload=False)
    assert again.experiment_dock.epochs.value() == 7
    assert again.experiment_dock.seeds.text() == "0-2"
    assert again.experiment_dock.methods.checked() == ["fixed", "dwa"]
    assert again.data_dock.preprocess_form.rul_cap.value() == 110
    assert again.dockWidgetArea(again.queue_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert _ini_value(tmp_path / "settings.ini", "geometry", "window")


def _ini_value(path, key: str, group: str = "state"):
    return QSettings(str(path), QSettings.Format.IniFormat).value(f"{group}/{key}")


@pytest.mark.slow
def test_screenshot_of_the_window_during_a_short_run(qtbot, make_window, quick, artifacts):
    window = loaded(qtbot, make_window())
    quick(window, epochs=3)
    window.train()
    first_epoch_done(qtbot, window)
    qtbot.waitUntil(lambda: not window.area.trajectory.table().empty, timeout=10_000)
    target = artifacts / "main_window_during_run.png"
    assert window.save_screenshot(target)
    assert target.stat().st_size > 20_000


@pytest.mark.slow
@pytest.mark.parametrize("text", ["", "a,b", "3-1"])
def test_bad_seeds_are_refused_with_a_message(qtbot, make_window, errors, text):
    window = make_window(autoload=False)
    window.experiment_dock.seeds.setText(text)
    assert window.train() == 0
    assert errors and "seeds" in errors[-1][1]
    assert not any(isinstance(t, QThread) for t in window.findChildren(QThread))


@pytest.mark.slow
def test_a_diverging_run_is_marked_and_the_next_one_runs(qtbot, make_window, quick, monkeypatch):
    real = TrainingStep.__call__

    def explode(self, *args, step, **kwargs):
        if self.method.name == "fixed" and step == 20:
            raise Diverged(step, "non-finite loss [nan, 0.9]")
        return real(self, *args, step=step, **kwargs)

    monkeypatch.setattr(TrainingStep, "__call__", explode)
    window = loaded(qtbot, make_window())
    quick(window, methods=("fixed", "gaba"), epochs=2)
    train_and_wait(qtbot, window)
    diverged, finished = window.queue_model.rows
    assert diverged.status == "diverged" and "step 20" in diverged.detail
    assert len(RunDir(diverged.run_dir).read_history()) == 1  # the epoch before survives
    assert finished.status == "finished"


def test_a_cmapss_subset_loads_off_the_gui_thread(qtbot, make_window, cmapss):
    window = make_window(autoload=False)
    form = window.data_dock.source_form
    form.kind.setCurrentIndex(1)
    form.cmapss_dir.setText(str(cmapss))
    form.subset.setCurrentText("FD001")
    window.data_dock.preprocess_form.window_cycles.setValue(30)
    with qtbot.waitSignal(window.data_dock.dataLoaded, timeout=20_000):
        window.data_dock.load()
        assert window.data_dock.loading  # the window is free while it reads
    assert window.data_dock.summary["test_units"] == 100
    assert "cmapss:FD001" in window.windowTitle()


def _dock_tabs(window) -> list[list[str]]:
    """The tab bars the window shows for its tabified docks, as their tabs' titles."""
    from PySide6.QtWidgets import QTabBar

    return [
        [bar.tabText(i) for i in range(bar.count())]
        for bar in window.findChildren(QTabBar)
        if bar.parent() is window and bar.isVisible() and bar.geometry().bottom() >= 0
    ]


def test_the_hidden_fleet_dock_has_no_tab_until_it_opens(qtbot, make_window):
    """Tabified while hidden, its tab was drawn over the run queue's title at start-up."""
    window = make_window(autoload=False)
    qtbot.waitExposed(window)
    assert not window.fleet_dock.isVisible()
    assert ["Run queue", "Fleet in service"] not in _dock_tabs(window)
    both = ["Run queue", "Fleet in service"]
    window.fleet_dock.open()
    qtbot.waitUntil(lambda: both in _dock_tabs(window), timeout=3_000)
    window.fleet_dock.close()
    qtbot.waitUntil(lambda: both not in _dock_tabs(window), timeout=3_000)


@pytest.mark.slow
def test_fleet_menu_predicts_engines_of_a_finished_run(qtbot, make_window, quick):
    window = loaded(qtbot, make_window())
    quick(window, epochs=1)
    train_and_wait(qtbot, window)
    assert window.fleet_action.isEnabled()
    window.fleet_action.trigger()
    view = window.fleet_dock.view
    assert window.fleet_dock.isVisible()
    qtbot.waitUntil(lambda: window.fleet_dock.height() >= 400, timeout=5_000)  # readable
    with qtbot.waitSignal(view.finished, timeout=30_000) as done:
        view.predict()
    assert done.args == [True]
    table = view.engine_table()
    assert len(table) == len(window.data_dock.data.test_last)
    assert table["pred_rul"].is_monotonic_increasing


@pytest.mark.slow
def test_a_refit_run_says_so_in_the_status_bar_and_records_it(qtbot, make_window, quick, errors):
    window = loaded(qtbot, make_window())
    quick(window, epochs=3)
    window.experiment_dock.training.editors["refit"].setChecked(True)
    shown: list[str] = []
    window.feed.refitted.connect(lambda *_: shown.append(window.status.progress.format()))
    train_and_wait(qtbot, window)
    row = window.queue_model.rows[-1]
    epochs = row.metrics["refit_epochs"]
    assert row.status == "finished" and epochs == row.metrics["best_epoch"]
    assert shown and shown[-1] == (
        f"refit on training and validation units · epoch {epochs}/{epochs}"
    )
    assert RunDir(row.run_dir).read_config()["train"]["refit"] is True
    # the test engines were predicted by the refit model, the validation ones by the selected
    window.feed.flush()
    trajectory = window.area.trajectory
    trajectory.select_split("test")
    trajectory.flush()
    assert f"(test) · refit, {count(epochs, 'epoch')}" in trajectory.plot.titleLabel.text
    trajectory.select_split("val")
    trajectory.flush()
    assert f"(validation) · epoch {epochs}" in trajectory.plot.titleLabel.text
    assert errors == []


@pytest.mark.slow
def test_export_report_writes_the_runs_the_comparison_shows(qtbot, make_window, quick, tmp_path):
    window = loaded(qtbot, make_window())
    assert window.report_action.text() == "Export report…"
    quick(window, methods=("fixed", "gaba"), seeds="0", epochs=1)
    train_and_wait(qtbot, window, timeout=90_000)
    window.refresh_comparison()
    summary = window.area.comparison.summary_frame()
    out = tmp_path / "report.html"
    with qtbot.waitSignal(window.report_export.written, timeout=60_000) as written:
        assert window.export_report(out)
    assert written.args == [str(out)]
    assert window.status.currentMessage() == f"Report written: {out}"
    text = out.read_text(encoding="utf-8")
    assert "<h1>Comparison report: demo (30 units)</h1>" in text
    for _, row in summary.iterrows():
        assert f"<td>{row['method']}</td><td class='num'>1</td>" in text
        assert f"{row['rmse_mean']:.2f}" in text


def test_export_report_without_finished_runs_says_why(qtbot, make_window, errors, tmp_path):
    window = loaded(qtbot, make_window())
    assert not window.export_report(tmp_path / "report.html")
    assert errors[-1][0] == "No report" and "No finished runs" in errors[-1][1]
    assert not (tmp_path / "report.html").exists()


@pytest.mark.slow
def test_a_run_beside_a_live_training_says_the_cores_are_oversubscribed(
    qtbot, make_window, quick, tmp_path, monkeypatch
):
    from core.runs import live

    monkeypatch.setattr(live, "cpu_cores", lambda: 2)
    monkeypatch.setattr(worker_module, "cpu_cores", lambda: 2)
    other = RunStore(tmp_path / "runs").create_run({"method": "fixed", "train": {"threads": 2}})
    window = loaded(qtbot, make_window())
    quick(window, epochs=1)
    shown: list[str] = []
    window.status.messageChanged.connect(shown.append)
    details: list[str] = []
    window.controller.runNote.connect(
        lambda row_id, _: details.append(window.queue_model.find(row_id).detail)
    )
    train_and_wait(qtbot, window)
    warning = (
        "cores oversubscribed: 1 other training on this machine uses 2 torch threads and this "
        "run 1 torch thread, 3 threads on 2 cores"
    )
    assert [m for m in shown if m.startswith(warning)] == [details[0]]
    row = next(r for r in window.queue_model.rows if r.run_dir and r.run_dir != str(other.path))
    assert RunDir(row.run_dir).read_config()["train"]["threads"] == 1
