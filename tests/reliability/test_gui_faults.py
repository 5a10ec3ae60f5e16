"""The workbench window under faults: closing mid-work, worker errors, divergence, OOM, resume.

Each test injects one fault into a real run on the small demo fleet and
checks what the user and the run folder are left with. Closing is timed with
``time.perf_counter`` around ``window.close()``; the close times are printed
(``pytest -s``) so a person can read them.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PySide6.QtCore import QTimer

# The window fixtures' two autouse guards, for this module only (see conftest.py).
from workbench_gui_fixtures import _no_dangling_threads, _private_settings  # noqa: F401

from core.data.demo import DemoConfig, make_demo_fleet
from core.runs import RunDir, RunStore
from core.training.batches import steps_per_epoch
from core.training.events import EpochEvent, StepEvent
from core.training.step import TrainingStep
from workbench.data.csv_import import CsvImportDialog

#: What every close must stay under (the issue's figure).
CLOSE_LIMIT_S = 5.0
#: Batch size of the quick settings (the OOM message must name it).
BATCH = 256


# ---------------------------------------------------------------- helpers
class EventLog:
    """Every event the window's controller relayed, per queue row."""

    def __init__(self, window) -> None:
        self.events: list[tuple[int, object]] = []
        window.controller.runEvent.connect(lambda row, event: self.events.append((row, event)))

    def epochs(self, row_id: int) -> list[int]:
        return [e.epoch for r, e in self.events if r == row_id and isinstance(e, EpochEvent)]

    def steps(self, row_id: int) -> int:
        return sum(1 for r, e in self.events if r == row_id and isinstance(e, StepEvent))


def loaded(qtbot, window):
    qtbot.waitUntil(lambda: window.data_dock.data is not None, timeout=20_000)
    return window


def timed_close(window) -> float:
    """Seconds ``window.close()`` took."""
    started = time.perf_counter()
    window.close()
    return time.perf_counter() - started


def history_epochs(run_dir: str | Path) -> list[int]:
    history = RunDir(run_dir).read_history()
    return [] if history.empty else [int(e) for e in history["epoch"]]


def folder_status(run_dir: str | Path) -> str:
    return RunDir(run_dir).read_status()["status"]


def row_status_cell(window, row) -> str:
    model = window.queue_model
    return model.data(model.index(model.position(row.row_id), 2), 0)


def epoch_steps(window) -> int:
    """Optimiser steps per epoch of the loaded data with the quick settings."""
    return steps_per_epoch(len(window.data_dock.data.train), BATCH)


def fault_at_step(monkeypatch, method: str, at: int, error: BaseException) -> None:
    """Make ``method``'s training step number ``at`` (0-based) raise ``error``."""
    real = TrainingStep.__call__

    def faulty(self, *args, step: int, **kwargs):
        if self.method.name == method and step == at:
            raise error
        return real(self, *args, step=step, **kwargs)

    monkeypatch.setattr(TrainingStep, "__call__", faulty)


def no_workbench_threads() -> list[str]:
    """Names of the workbench's own Python threads still alive (loaders, checks)."""
    return [t.name for t in threading.enumerate() if t.name.startswith("workbench-load")]


# ---------------------------------------------------------- 1. closing in training
@pytest.mark.slow
@pytest.mark.parametrize("moment", ["mid_epoch", "epoch_end", "start"])
def test_closing_during_training_is_quick_and_keeps_every_finished_epoch(
    qtbot, make_window, quick, tmp_path, moment
):
    """Compact preset; closed inside an epoch, as an epoch ends, or as the run starts."""
    window = loaded(qtbot, make_window())
    quick(window, epochs=200)
    window.experiment_dock.preset.setCurrentText("compact")
    log = EventLog(window)
    window.train()
    [row] = window.queue_model.rows
    if moment != "start":
        qtbot.waitUntil(lambda: bool(log.epochs(row.row_id)), timeout=120_000)
    if moment == "mid_epoch":
        seen = log.steps(row.row_id)
        qtbot.waitUntil(lambda: log.steps(row.row_id) >= seen + 2, timeout=30_000)
    thread = window.controller._thread

    took = timed_close(window)
    print(f"\nclose during training ({moment}, compact): {took:.2f} s")

    assert took < CLOSE_LIMIT_S
    assert thread is not None and not thread.isRunning()
    qtbot.wait(50)  # events the worker sent before it ended are delivered
    infos = RunStore(tmp_path / "runs").list_runs()
    # Closed as it starts, the run may not have made its folder yet; otherwise exactly one.
    assert len(infos) == 1 or (moment == "start" and not infos), infos
    assert all(info.status.value == "stopped" for info in infos)
    if moment != "start":
        [info] = infos
        assert history_epochs(info.path) == log.epochs(row.row_id)
        assert RunDir(info.path).has_checkpoint("best.pt")
        assert RunDir(info.path).read_metrics() is None  # the test-set evaluation was skipped
        assert window.queue_model.find(row.row_id).status == "stopped"


# ---------------------------------------------------------- 2. closing in a CSV import
@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """About 26 MB of run-to-failure log (120 000 rows): most of a second to check."""
    frame = make_demo_fleet(DemoConfig(train_units=30, test_units=2)).train.frame
    copies = 20
    big = pd.concat([frame] * copies, ignore_index=True)
    big["unit"] = np.repeat(np.arange(copies), len(frame)) * 1000 + big["unit"].to_numpy()
    path = tmp_path_factory.mktemp("big") / "fleet_log.csv"
    big.to_csv(path, index=False, float_format="%.4f")
    return path


@pytest.mark.slow
def test_closing_during_a_csv_check_is_quick_and_leaves_nothing_running(
    qtbot, make_window, big_csv
):
    window = make_window(autoload=False)
    seen: dict = {}

    def drive_dialog() -> None:
        """Runs inside the import dialog's exec(): choose the file, Check, close the window."""
        [dialog] = window.findChildren(CsvImportDialog)
        seen["dialog"] = dialog
        dialog.set_path(big_csv)  # the preview reads only the first rows
        started = time.perf_counter()
        dialog.check_button.click()
        seen["click_s"] = time.perf_counter() - started
        seen["checking"] = not dialog.check_button.isEnabled() and dialog.outcome is None
        seen["close_s"] = timed_close(window)

    QTimer.singleShot(0, drive_dialog)
    window.import_csv()  # returns when the dialog has gone

    dialog = seen["dialog"]
    print(f"\nclose during a CSV check: {seen['close_s']:.2f} s")
    assert seen["checking"], "the check had ended before the close: the file is too small"
    assert seen["click_s"] < 0.2  # the check runs off the GUI thread
    assert seen["close_s"] < CLOSE_LIMIT_S
    assert not dialog.isVisible() and not window.isVisible()
    assert no_workbench_threads() == []


# ---------------------------------------------------------- 3. closing in a comparison
@pytest.mark.slow
def test_closing_during_a_comparison_keeps_the_finished_runs(qtbot, make_window, quick, tmp_path):
    window = loaded(qtbot, make_window())
    quick(window, methods=("fixed", "gaba"), seeds="0,1", epochs=2)
    log = EventLog(window)
    window.train()
    rows = window.queue_model.rows
    assert len(rows) == 4
    third = rows[2]
    qtbot.waitUntil(lambda: bool(log.epochs(third.row_id)), timeout=120_000)

    took = timed_close(window)
    print(f"\nclose during a comparison: {took:.2f} s")

    assert took < CLOSE_LIMIT_S
    qtbot.wait(50)
    for done in rows[:2]:
        assert done.status == "finished"
        assert folder_status(done.run_dir) == "finished"
        assert history_epochs(done.run_dir) == [1, 2]
        assert RunDir(done.run_dir).read_metrics()["rmse"] > 0
        assert RunDir(done.run_dir).has_checkpoint("best.pt")
    assert third.status == "stopped" and folder_status(third.run_dir) == "stopped"
    assert history_epochs(third.run_dir) == log.epochs(third.row_id)
    assert rows[3].status == "queued" and rows[3].run_dir is None
    assert len(RunStore(tmp_path / "runs").list_runs()) == 3


# ---------------------------------------------------------- 4. an exception in the worker
@pytest.mark.slow
def test_an_error_in_the_worker_shows_a_dialog_and_the_queue_goes_on(
    qtbot, make_window, quick, monkeypatch
):
    window = loaded(qtbot, make_window(error_hook=None))  # the real dialog
    fault_at_step(monkeypatch, "fixed", epoch_steps(window) + 2, RuntimeError("boom"))
    quick(window, methods=("fixed", "gaba"), epochs=2)
    with qtbot.waitSignal(window.controller.queueIdle, timeout=120_000):
        window.train()

    box = window.errors.box
    assert box is not None and box.isVisible() and not box.isModal()
    assert "fixed s0" in box.text() and "RuntimeError: boom" in box.text()
    assert "Traceback" in box.detailedText()
    failed, finished = window.queue_model.rows
    assert failed.status == "failed" and "boom" in failed.detail
    assert folder_status(failed.run_dir) == "failed"
    assert history_epochs(failed.run_dir) == [1]  # the epoch before the error is kept
    assert finished.status == "finished" and folder_status(finished.run_dir) == "finished"
    assert window.isVisible() and window.train_button.isEnabled()
    box.close()


# ---------------------------------------------------------- 5. divergence
def nan_loss_at(monkeypatch, at: int) -> str:
    """The 'fixed' method's RUL loss turns NaN at step ``at`` (as an overflow would)."""
    real_forward = TrainingStep.forward

    def forward(self, x, rul, health, censored=None):
        self.calls = getattr(self, "calls", 0) + 1  # one forward per step
        z, losses = real_forward(self, x, rul, health, censored)
        if self.method.name == "fixed" and self.calls == at + 1:
            losses = losses * torch.tensor([float("nan"), 1.0])
        return z, losses

    monkeypatch.setattr(TrainingStep, "forward", forward)
    return "non-finite loss"


def nan_gradient_at(monkeypatch, at: int) -> str:
    """One gradient of the 'fixed' run turns NaN at step ``at``, after the backward pass."""
    real_clip = TrainingStep._clip

    def clip(self, step: int) -> None:
        if self.method.name == "fixed" and step == at:
            next(p for p in self.model.parameters() if p.grad is not None).grad.fill_(np.nan)
        real_clip(self, step)

    monkeypatch.setattr(TrainingStep, "_clip", clip)
    return "non-finite gradient"


@pytest.mark.slow
@pytest.mark.parametrize("inject", [nan_loss_at, nan_gradient_at], ids=["loss", "gradient"])
def test_a_non_finite_step_marks_the_run_diverged_at_its_step_and_the_next_runs(
    qtbot, make_window, quick, monkeypatch, errors, inject, artifacts
):
    window = loaded(qtbot, make_window())
    messages: list[str] = []
    window.status.messageChanged.connect(messages.append)
    bad_step = epoch_steps(window) + 3
    what = inject(monkeypatch, bad_step)
    quick(window, methods=("fixed", "gaba"), epochs=2)
    with qtbot.waitSignal(window.controller.queueIdle, timeout=120_000):
        window.train()

    diverged, finished = window.queue_model.rows
    assert diverged.status == "diverged"
    assert row_status_cell(window, diverged) == f"diverged at step {bad_step}"
    assert what in diverged.detail and diverged.detail.endswith(f"at step {bad_step}")
    assert folder_status(diverged.run_dir) == "diverged"
    assert history_epochs(diverged.run_dir) == [1]
    assert RunDir(diverged.run_dir).has_checkpoint("best.pt")
    assert any("fixed s0 diverged" in m and f"step {bad_step}" in m for m in messages)
    assert finished.status == "finished" and history_epochs(finished.run_dir) == [1, 2]
    assert errors == []  # a divergence is a result, not an error
    assert window.queue_dock.grab().save(str(artifacts / f"queue_dock_{inject.__name__}.png"))


# ---------------------------------------------------------- 6. CUDA out of memory
@pytest.mark.slow
def test_out_of_memory_fails_the_run_with_advice_and_the_queue_goes_on(
    qtbot, make_window, quick, monkeypatch, errors
):
    window = loaded(qtbot, make_window())
    oom = torch.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity)"
    )
    fault_at_step(monkeypatch, "fixed", epoch_steps(window) + 1, oom)
    quick(window, methods=("fixed", "gaba"), epochs=2)
    with qtbot.waitSignal(window.controller.queueIdle, timeout=120_000):
        window.train()

    failed, finished = window.queue_model.rows
    assert failed.status == "failed"
    assert f"batch size {BATCH}" in failed.detail
    assert "smaller batch size" in failed.detail.lower()
    assert folder_status(failed.run_dir) == "failed"
    assert history_epochs(failed.run_dir) == [1]
    [(title, message, _details)] = errors
    assert "failed" in title and "fixed s0" in message and f"batch size {BATCH}" in message
    assert finished.status == "finished" and folder_status(finished.run_dir) == "finished"


# ---------------------------------------------------------- 7. resume
def stop_after_first_epoch(qtbot, window, log: EventLog, row) -> None:
    """Press Stop as soon as the first epoch is reported; wait until the run is stopped."""
    qtbot.waitUntil(lambda: bool(log.epochs(row.row_id)), timeout=60_000)
    with qtbot.waitSignal(window.controller.runEnded, timeout=30_000):
        window.queue_dock.buttons["stop"].click()
    assert row.status == "stopped"


def resume_and_wait(qtbot, window, row) -> None:
    """Select the row and press Resume run; wait for the queue to end."""
    window.queue_dock.select([row.row_id])
    button = window.queue_dock.buttons["resume_run"]
    assert button.isEnabled()
    with qtbot.waitSignal(window.controller.queueIdle, timeout=120_000):
        button.click()


@pytest.mark.slow
def test_resume_goes_on_from_the_last_epoch_in_the_same_folder(
    qtbot, make_window, quick, artifacts, errors
):
    window = loaded(qtbot, make_window())
    quick(window, epochs=3)
    log = EventLog(window)
    window.train()
    [row] = window.queue_model.rows
    stop_after_first_epoch(qtbot, window, log, row)
    kept = history_epochs(row.run_dir)
    assert 1 <= len(kept) < 3 and kept == log.epochs(row.row_id)
    folder = row.run_dir

    window.queue_dock.select([row.row_id])
    assert window.queue_dock.buttons["resume_run"].isEnabled()
    shot = window.queue_dock.grab()
    assert shot.save(str(artifacts / "queue_dock_resume.png"))
    resume_and_wait(qtbot, window, row)

    assert row.status == "finished" and row.run_dir == folder, errors
    assert history_epochs(folder) == [1, 2, 3]
    assert folder_status(folder) == "finished"
    assert log.epochs(row.row_id)[len(kept) :] == list(range(len(kept) + 1, 4))
    window.feed.flush()
    window.area.flush()
    x, _ = window.area.losses.curves["val_loss_rul"].getData()
    assert x is not None and len(x) == 3 - len(kept)  # the live panels followed the resumed epochs
    assert not window.queue_dock.buttons["resume_run"].isEnabled()  # finished: nothing to resume


def as_if_killed(run_dir: str) -> None:
    """Rewrite status.json as a process killed mid-run leaves it: running, owner gone.

    The owner is this process with another start time, i.e. a pid reused
    after the training process died.
    """
    path = Path(run_dir) / "status.json"
    record = json.loads(path.read_text())
    record.update(status="running", process_start=(record.get("process_start") or 0) + 1)
    path.write_text(json.dumps(record))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["stopped", "interrupted"])
def test_a_run_from_the_store_resumes_in_a_new_window(
    qtbot, make_window, quick, errors, tmp_path, how
):
    first = loaded(qtbot, make_window())
    quick(first, epochs=3)
    log = EventLog(first)
    first.train()
    [row] = first.queue_model.rows
    stop_after_first_epoch(qtbot, first, log, row)
    first.close()
    if how == "interrupted":
        as_if_killed(row.run_dir)

    window = make_window(autoload=False)  # the worker prepares the data from config.json
    [stored] = window.queue_model.rows
    assert stored.from_store and stored.status == how
    # as far as it got (1 of 3 epochs), with its validation RMSE and why it ended
    assert stored.progress == pytest.approx(1 / 3) and stored.val_rmse is not None
    assert stored.detail and stored.source.startswith("demo (") and "units" in stored.source
    resume_and_wait(qtbot, window, stored)

    assert stored.status == "finished", errors
    assert history_epochs(stored.run_dir) == [1, 2, 3]
    assert len(RunStore(tmp_path / "runs").list_runs()) == 1  # the same folder went on


@pytest.mark.slow
def test_resume_is_offered_only_for_runs_that_can_go_on(qtbot, make_window, quick, monkeypatch):
    window = loaded(qtbot, make_window())
    fault_at_step(monkeypatch, "dwa", 1, RuntimeError("before the first epoch"))
    quick(window, methods=("fixed", "dwa"), epochs=1)
    with qtbot.waitSignal(window.controller.queueIdle, timeout=120_000):
        window.train()
    finished, early_failure = window.queue_model.rows
    assert early_failure.status == "failed"
    for row in (finished, early_failure):  # finished: done; failed in epoch 1: no last.pt
        window.queue_dock.select([row.row_id])
        assert not window.queue_dock.buttons["resume_run"].isEnabled()
