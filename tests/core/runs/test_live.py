"""A new training's torch threads are chosen beside the trainings live on this machine."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cli.main import main
from core.runs import RunStatus, RunStore
from core.runs import live as live_module
from core.runs.live import live_trainings, plan_threads
from core.runs.status import _linux_proc_stat


@pytest.fixture
def private_default_store(tmp_path, monkeypatch) -> Path:
    """The default run store is an empty folder of the test's, not the user's."""
    default = tmp_path / "default-store"
    monkeypatch.setenv("RUL_WORKBENCH_RUNS", str(default))
    return default


def live_run(store: Path, threads: int) -> Path:
    """A run folder saying `running`, owned by this (live) process, with ``threads`` set."""
    return (
        RunStore(store)
        .create_run({"method": "fixed", "seed": 0, "train": {"threads": threads}})
        .path
    )


@pytest.fixture
def sleeper():
    """A live child process, ended after the test."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    while _linux_proc_stat(child.pid) is None and child.poll() is None:
        time.sleep(0.01)
    yield child
    child.kill()
    child.wait()


def child_run(store: Path, pid: int, **status) -> Path:
    """A run folder whose status.json names process ``pid`` on this host as its owner."""
    folder = store / f"20250101-000000_gaba_s{pid}_abcd"
    folder.mkdir(parents=True)
    stat = _linux_proc_stat(pid)
    record = {
        "status": "running",
        "detail": "",
        "pid": pid,
        "process_start": stat[1] if stat else None,
        "host": socket.gethostname(),
        "created": "2025-01-01T00:00:00+00:00",
        "updated": "2025-01-01T00:00:00+00:00",
        "extra": {},
        **status,
    }
    (folder / "status.json").write_text(json.dumps(record))
    (folder / "config.json").write_text(json.dumps({"train": {"threads": 0}}))
    return folder


def test_a_run_alone_takes_every_core_and_another_halves_them(tmp_path):
    store = tmp_path / "runs"
    alone = plan_threads(0, [store], cores=8)
    assert (alone.threads, alone.chosen, alone.live, alone.warning) == (8, True, (), None)
    first = live_run(store, threads=4)
    beside = plan_threads(0, [store], cores=8)
    assert beside.threads == 4  # 8 // (1 live + 1)
    assert [t.runs for t in beside.live] == [(first,)] and beside.live[0].threads == 4
    assert beside.warning is None  # 4 + 4 threads on 8 cores
    assert beside.note == (
        "1 other training already live on this machine: this run takes 4 torch threads of 8 cores"
    )
    live_run(tmp_path / "other-store", threads=4)
    both = plan_threads(0, [store, tmp_path / "other-store", store], cores=8)
    assert both.threads == 4  # runs of one process count once: its torch threads are shared
    assert len(both.live) == 1 and len(both.live[0].runs) == 2


def test_the_count_is_capped_and_a_set_count_is_kept(tmp_path):
    store = tmp_path / "runs"
    assert plan_threads(0, [store], cap=3, cores=8).threads == 3
    live_run(store, threads=1)
    kept = plan_threads(6, [store], cores=8)
    assert (kept.threads, kept.chosen, kept.note) == (6, False, None)


def test_oversubscribed_cores_are_named(tmp_path):
    store = tmp_path / "runs"
    live_run(store, threads=2)
    plan = plan_threads(0, [store], cores=2)
    assert plan.threads == 1
    assert plan.warning == (
        "cores oversubscribed: 1 other training on this machine uses 2 torch threads and this "
        "run 1 torch thread, 3 threads on 2 cores, so every one of them runs slower than it "
        "would alone (each waits for the others at every step)"
    )
    assert plan_threads(2, [store], cores=4).warning is None  # 2 + 2 on 4 cores


def test_a_child_process_counts_until_it_ends(tmp_path, sleeper):
    store = tmp_path / "runs"
    child_run(store, sleeper.pid, torch_threads=3)
    plan = plan_threads(0, [store], cores=4)
    assert [(t.pid, t.threads) for t in plan.live] == [(sleeper.pid, 3)]
    assert plan.threads == 2 and "3 torch threads and this run 2" in (plan.warning or "")
    sleeper.kill()
    sleeper.wait()
    assert live_trainings([store]) == []
    assert plan_threads(0, [store], cores=4).threads == 4


def test_runs_that_are_not_training_here_do_not_count(tmp_path, sleeper):
    store = tmp_path / "runs"
    child_run(store, sleeper.pid, host="another-machine")
    child_run(store / "x", sleeper.pid, status="finished")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    child_run(store / "y", int(gone.stdout))
    RunStore(store).create_run({"method": "fixed"}).set_status(RunStatus.FINISHED)
    (store / "damaged").mkdir()
    (store / "damaged" / "status.json").write_text("{not json")
    assert live_trainings([store, store / "x", store / "y", tmp_path / "missing"]) == []


def test_an_unrecorded_count_is_taken_as_every_core(tmp_path, sleeper):
    store = tmp_path / "runs"
    child_run(store, sleeper.pid)  # threads 0 in its config, none in its status
    plan = plan_threads(0, [store], cores=4)
    assert plan.live[0].threads is None and plan.live_threads == 4
    assert "uses 4 torch threads" in (plan.warning or "")


def test_rulwb_train_warns_and_records_the_count(
    tmp_path, capsys, monkeypatch, private_default_store
):
    store = tmp_path / "runs"
    live_run(store, threads=2)
    monkeypatch.setattr(live_module, "cpu_cores", lambda: 2)
    code = main(["train", "--demo-units", "24", "--preset", "tiny", "--batch-size", "128",
                 "--device", "cpu", "--epochs", "1", "--out", str(store), "--json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    assert "rulwb: note: 1 other training already live on this machine: this run takes " \
        "1 torch thread of 2 cores" in err  # fmt: skip
    assert "rulwb: warning: cores oversubscribed: 1 other training on this machine uses 2 " \
        "torch threads and this run 1 torch thread, 3 threads on 2 cores" in err  # fmt: skip
    run = Path(json.loads(out)["run_dir"])
    assert json.loads((run / "config.json").read_text())["train"]["threads"] == 1
    assert json.loads((run / "metrics.json").read_text())["torch_threads"] == 1
    assert json.loads((run / "status.json").read_text())["torch_threads"] == 1


def test_a_process_records_its_torch_threads_in_status(tmp_path):
    import torch

    run = RunStore(tmp_path).create_run({"method": "fixed"})
    assert run.read_status()["torch_threads"] == torch.get_num_threads() == 1
    assert os.getpid() == run.read_status()["pid"]
