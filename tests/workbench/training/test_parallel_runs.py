"""Queued runs trained at once in worker processes, driven from the window."""

from __future__ import annotations

import pytest

from core.runs import RunStatus, RunStore

pytestmark = pytest.mark.slow


def loaded(qtbot, window):
    qtbot.waitUntil(lambda: window.data_dock.data is not None, timeout=10_000)
    return window


def run_on_this_machine(window, jobs: int) -> None:
    run_on = window.experiment_dock.run_on
    run_on.kind.setCurrentIndex(run_on.kind.findData("local"))
    run_on.jobs.setValue(jobs)


def test_runs_at_once_fill_the_queue_the_store_and_the_comparison(
    qtbot, make_window, quick, errors, tmp_path
):
    window = loaded(qtbot, make_window())
    quick(window, methods=("fixed", "gaba"), seeds="0,1")
    run_on_this_machine(window, jobs=2)
    with qtbot.waitSignal(window.controller.queueIdle, timeout=120_000):
        assert window.train() == 4
        assert not window.queue_dock.buttons["pause"].isEnabled()  # a batch cannot be held
    assert errors == []
    rows = window.queue_model.rows
    assert [r.status for r in rows] == ["finished"] * 4
    assert all(r.metrics.get("rmse") and r.progress == 1.0 and r.val_rmse for r in rows)
    runs = RunStore(tmp_path / "runs").list_runs()
    assert sorted(str(r.path) for r in runs) == sorted(r.run_dir for r in rows)
    assert all(r.status is RunStatus.FINISHED for r in runs)
    # the live panels followed one run at a time (the last to end, drawn from its folder
    # up to the moment it was followed), not four runs' epochs on one curve
    window.feed.flush()
    window.area.flush()
    x, _ = window.area.losses.curves["val_loss_rul"].getData()
    assert x is not None and list(x) == [1.0, 2.0]
    window.refresh_comparison()
    assert set(window.area.comparison.summary["method"]) == {"fixed", "gaba"}


def test_stop_ends_running_rows_and_sends_waiting_ones_back_to_the_queue(qtbot, make_window, quick):
    window = loaded(qtbot, make_window())
    quick(window, methods=("fixed", "gaba"), seeds="0", epochs=200)
    run_on_this_machine(window, jobs=1)
    window.train()
    first, second = window.queue_model.rows
    # past its first epoch (1 of 200), so a stop has weights to evaluate
    qtbot.waitUntil(lambda: first.status == "running" and first.progress > 0.006, timeout=60_000)
    assert second.status == "waiting"
    window.controller.stop()  # a stopped batch halts the queue: no queueIdle, just not busy
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=60_000)
    assert first.status == "stopped" and first.metrics.get("rmse")
    assert second.status == "queued" and "stopped" in second.detail


def test_the_run_on_choice_is_remembered(qtbot, make_window):
    window = loaded(qtbot, make_window())
    run_on = window.experiment_dock.run_on
    run_on.kind.setCurrentIndex(run_on.kind.findData("ray"))
    run_on.address.setText("10.0.0.5:6379")
    window.save_settings()
    window.close()
    again = make_window(autoload=False).experiment_dock.executor_config()
    assert (again.kind, again.address) == ("ray", "10.0.0.5:6379")
