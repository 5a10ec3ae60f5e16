"""Run folders: round trips, crash-safe writes, status, concurrent creation by threads.

Full disks, damaged files and writers in two processes: tests/reliability/test_run_store_faults.py.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest
import torch

import core.runs.atomic as atomic
import core.runs.store as store
from core.runs import RunDir, RunStatus, RunStore, RunStoreError
from core.runs.atomic import atomic_write_json, atomic_write_text

CONFIG = {"method": "gaba", "seed": 0, "lr": 1e-3}


@pytest.fixture
def runs(tmp_path):
    return RunStore(tmp_path / "runs")


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_create_run_writes_config_and_running_status(runs):
    run = runs.create_run(CONFIG)
    assert re.fullmatch(r"\d{8}-\d{6}_gaba_s0_[0-9a-f]{4}", run.name)
    assert run.read_config() == CONFIG
    status = run.read_status()
    assert status["status"] == "running"
    assert status["pid"] == os.getpid() and status["host"]


def test_json_is_strict_with_nan_as_null(runs):
    run = runs.create_run({**CONFIG, "loss": math.nan, "grad": math.inf})
    text = (run.path / "config.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["loss"] is None
    run.write_metrics({"rmse": 12.5, "nasa_score": float("nan")})
    assert run.read_metrics() == {"rmse": 12.5, "nasa_score": None}


def test_failed_replace_keeps_old_content_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    atomic_write_json(target, {"rmse": 1.0})

    def broken_replace(src, dst):
        raise OSError(errno.EIO, "input/output error")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(RunStoreError, match=r"metrics\.json"):
        atomic_write_json(target, {"rmse": 2.0})
    assert json.loads(target.read_text()) == {"rmse": 1.0}
    assert leftovers(tmp_path) == []


def test_writer_crashing_midway_keeps_old_content(tmp_path):
    target = tmp_path / "best.pt"
    atomic_write_text(target, "old")

    def half_then_crash(handle):
        handle.write(b"half of the new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.atomic_write(target, half_then_crash)
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_list_runs_sorted_by_creation(runs):
    made = [runs.create_run(CONFIG, name=f"r{i}") for i in range(4)]
    assert [info.path for info in runs.list_runs()] == [run.path for run in made]
    assert RunStore(runs.root / "absent").list_runs() == []


def test_concurrent_creation_gives_distinct_folders(tmp_path):
    paths, errors = [], []

    def create_many():
        local = RunStore(tmp_path / "runs")
        try:
            paths.extend(local.create_run(CONFIG, name="same").path for _ in range(15))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=create_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(paths)) == 60
    assert len(RunStore(tmp_path / "runs").list_runs()) == 60


def test_name_collision_retries_with_a_new_suffix(runs, monkeypatch):
    suffixes = iter(["aaaa", "aaaa", "bbbb"])
    monkeypatch.setattr(store, "_new_suffix", lambda: next(suffixes))
    monkeypatch.setattr(store, "now", lambda: store.datetime(2026, 1, 2, 3, 4, 5).astimezone())
    first, second = runs.create_run(CONFIG), runs.create_run(CONFIG)
    assert first.name == "20260102-030405_gaba_s0_aaaa"
    assert second.name == "20260102-030405_gaba_s0_bbbb"


def test_probe_with_torn_last_line_reads_complete_rows(runs):
    run = runs.create_run(CONFIG)
    run.append_probe([{"step": s, "g_rul": 1.0 * s, "g_health": 0.01} for s in range(3)])
    with open(run.path / "probe.csv", "a") as handle:
        handle.write("3,3.0,0.0")  # a crash mid-append: no newline
    assert run.read_probe()["step"].tolist() == [0, 1, 2]
    fresh = RunDir(run.path)  # a resumed writer cuts the torn tail first
    fresh.append_probe([{"step": 3, "g_rul": 3.0, "g_health": 0.01}])
    assert fresh.read_probe()["step"].tolist() == [0, 1, 2, 3]


def test_probe_header_written_once_and_widened_for_new_columns(runs):
    run = runs.create_run(CONFIG)
    run.append_probe([{"step": 0, "ratio": 500.0}])
    run.append_probe([{"step": 1, "ratio": 450.0}])
    assert (run.path / "probe.csv").read_text().count("step") == 1
    run.append_probe([{"step": 2, "ratio": 400.0, "cosine": -0.1}])
    table = run.read_probe()
    assert table.columns.tolist() == ["step", "ratio", "cosine"]
    assert table["ratio"].tolist() == [500.0, 450.0, 400.0]
    assert pd.isna(table["cosine"][0])


def finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_running_status_of_a_dead_process_reads_interrupted(runs):
    run = runs.create_run(CONFIG)
    record = json.loads((run.path / "status.json").read_text())
    record.update(pid=finished_pid(), detail="epoch 3")
    (run.path / "status.json").write_text(json.dumps(record))
    status = run.read_status()
    assert status["status"] == "interrupted"
    assert "epoch 3" in status["detail"]
    assert runs.list_runs()[0].status is RunStatus.INTERRUPTED


def test_running_status_elsewhere_or_alive_stays_running(runs):
    run = runs.create_run(CONFIG)
    assert run.read_status()["status"] == "running"  # our own, live pid
    record = json.loads((run.path / "status.json").read_text())
    record.update(pid=finished_pid(), host="another-machine")
    (run.path / "status.json").write_text(json.dumps(record))
    assert run.read_status()["status"] == "running"  # cannot check another host


def test_set_status_keeps_creation_and_extra(runs):
    run = runs.create_run(CONFIG)
    created = run.read_status()["created"]
    run.set_status(RunStatus.DIVERGED, "loss became NaN", step=1234)
    status = run.read_status()
    assert status["status"] == "diverged" and status["extra"] == {"step": 1234}
    assert status["created"] == created
    with pytest.raises(ValueError, match="inferred"):
        run.set_status(RunStatus.INTERRUPTED)


def test_history_round_trip(runs):
    run = runs.create_run(CONFIG)
    assert run.read_history().empty
    rows = [{"epoch": e, "train_loss": 1.0 / (e + 1), "val_rmse": 20.0 - e} for e in range(5)]
    run.write_history(rows)
    pd.testing.assert_frame_equal(run.read_history(), pd.DataFrame(rows))


def test_tables_round_trip(runs):
    run = runs.create_run(CONFIG)
    table = pd.DataFrame(
        {"unit": [1, 1], "cycle": [30, 31], "split": ["test", "test"], "pred_rul": [100.5, 99.0]}
    )
    run.write_trajectories(table)
    run.write_predictions(table.iloc[[1]].reset_index(drop=True))
    pd.testing.assert_frame_equal(run.read_trajectories(), table)
    assert run.read_predictions()["pred_rul"].tolist() == [99.0]


def test_checkpoint_round_trip(runs):
    run = runs.create_run(CONFIG)
    state = {"model": {"w": torch.arange(6.0).reshape(2, 3)}, "epoch": 7, "val_rmse": 12.3}
    run.save_checkpoint(state)
    loaded = run.load_checkpoint()
    assert torch.equal(loaded["model"]["w"], state["model"]["w"])
    assert loaded["epoch"] == 7 and leftovers(run.path) == []
    with pytest.raises(RunStoreError, match="checkpoint missing"):
        run.load_checkpoint("last.pt")
    with pytest.raises(ValueError, match="plain file name"):
        run.save_checkpoint(state, "../escape.pt")


def test_open_run_by_name_or_path(runs):
    run = runs.create_run(CONFIG)
    assert runs.open_run(run.name).path == run.path
    assert runs.open_run(run.path).path == run.path
    with pytest.raises(RunStoreError, match="no such run"):
        runs.open_run("nope")


def test_numpy_values_are_stored_as_plain_json(runs):
    run = runs.create_run(CONFIG)
    run.write_metrics(
        {"rmse": np.float64(11.5), "n": np.int64(100), "per_unit": np.array([1.0, np.nan])}
    )
    assert run.read_metrics() == {"rmse": 11.5, "n": 100, "per_unit": [1.0, None]}


def test_atomic_writes_keep_the_usual_permissions(tmp_path, capsys):
    """mkstemp makes 0600 files; a colleague on a shared run store must be able to read them."""
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.json"
        atomic_write_json(fresh, {"a": 1})
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("x")
        kept.chmod(0o640)
        atomic_write_text(kept, "y")
        assert kept.stat().st_mode & 0o777 == 0o640
        from core.cli.main import main

        assert main(["train", "--demo-units", "12", "--preset", "tiny", "--epochs", "1",
                     "--device", "cpu", "--out", str(tmp_path / "runs")]) == 0  # fmt: skip
        capsys.readouterr()
        files = [p for p in (tmp_path / "runs").rglob("*") if p.is_file()]
        assert files and all(p.stat().st_mode & 0o777 == 0o644 for p in files), [
            (p.name, oct(p.stat().st_mode & 0o777)) for p in files
        ]
    finally:
        os.umask(old)
