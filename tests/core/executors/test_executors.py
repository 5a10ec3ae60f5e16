"""The executor changes where runs happen, never their results (real processes, real Ray)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from core.common.formats import count
from core.comparisons.runner import ComparisonPlan, run_comparison
from core.data.sources import SourceSpec
from core.executors import ExecutorConfig, RunTask, open_executor, run_tasks
from core.executors.transfer import write_files
from core.runs import RunStatus, RunStore
from core.training.control import TrainingControl
from core.training.events import EpochEvent
from tests.helpers.cluster_setup import (
    figures,
    free_port,
    ray_sockets_off_loopback,
    serial_reference,
    tiny_plan,
    two_node_cluster,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The serial comparison's figures by epoch count, computed once for the module."""
    cache: dict[int, object] = {}

    def figures_for(epochs: int = 2):
        if epochs not in cache:
            folder = tmp_path_factory.mktemp(f"serial{epochs}")
            cache[epochs] = serial_reference(folder, epochs)
        return cache[epochs]

    return figures_for


def test_a_resumed_local_comparison_trains_only_what_is_missing(tmp_path):
    plan = tiny_plan()
    run_comparison(plan.__class__(plan.base, ["fixed"], [0]), tmp_path)
    before = {r.path for r in RunStore(tmp_path / "runs").list_runs()}
    table = run_comparison(plan, tmp_path, executor=ExecutorConfig("local", jobs=2))
    after = {r.path for r in RunStore(tmp_path / "runs").list_runs()}
    assert before < after and len(after) == 2 and len(table) == 2


def test_local_workers_give_the_serial_figures_and_a_killed_one_is_resumed(tmp_path, serial):
    """Two runs in worker processes, one SIGKILLed after its first epoch and resumed.

    The run left alone trained wholly in a worker; the killed one goes on from
    its last epoch: both end with the serial figures and every file a serial
    run leaves.
    """
    reference = serial(4)
    killed = _kill_after_first_epoch(tmp_path / "killed", ExecutorConfig("local", jobs=2))
    assert killed, "no worker was killed"
    table = run_comparison(tiny_plan(epochs=4), tmp_path / "killed")  # resume: nothing to train
    assert figures(table).equals(reference)
    runs = RunStore(tmp_path / "killed" / "runs").list_runs()
    assert len(runs) == 2 and all(r.status is RunStatus.FINISHED for r in runs)
    for run in runs:  # every file came back, as a serial run leaves them
        names = {p.name for p in run.path.iterdir()}
        assert {"config.json", "history.csv", "probe.csv", "metrics.json", "predictions.csv",
                "trajectories.csv", "best.pt", "last.pt", "intervals.json"} <= names  # fmt: skip
        assert len((run.path / "history.csv").read_text().splitlines()) == 5


def test_a_comparison_started_again_goes_on_from_each_stopped_runs_last_epoch(tmp_path, serial):
    """A study longer than a session ends: its runs go on in their folders, same figures.

    On local workers, where the stop has to reach other processes; going on is
    the runner's, the same for every executor (the serial path, through the
    command line, in ``tests/reliability/test_compare_kill.py``).
    """
    executor = ExecutorConfig("local", jobs=2)
    epochs = 8  # a worker hears of a stop within half a second: room to stop it midway
    reference = serial(epochs)
    control = TrainingControl()

    def stop_at_first_epoch(label):
        return lambda event: control.request_stop() if isinstance(event, EpochEvent) else None

    plan = tiny_plan(epochs=epochs)
    run_comparison(plan, tmp_path, stop_at_first_epoch, executor=executor, control=control)
    begun = {  # stopped runs with a completed epoch, and how many they have
        r.path: len((r.path / "history.csv").read_text().splitlines()) - 1
        for r in RunStore(tmp_path / "runs").list_runs()
        if r.status is RunStatus.STOPPED and (r.path / "last.pt").exists()
    }
    assert begun and all(0 < n < epochs for n in begun.values())
    notes: list[str] = []
    table = run_comparison(plan, tmp_path, executor=executor, notice=notes.append)
    assert figures(table).equals(reference)  # as if the runs had never stopped
    assert set(begun) <= {Path(p) for p in table["run_dir"]}, "a stopped run was trained anew"
    expected = [f"{p}: {count(n, 'epoch')} done; going on from there" for p, n in begun.items()]
    assert sorted(notes) == sorted(expected)
    for path in begun:
        assert len((path / "history.csv").read_text().splitlines()) == epochs + 1


def test_a_comparison_goes_on_only_with_the_runs_it_plans(tmp_path):
    control = TrainingControl()

    def stop_gaba(label):
        def on_event(event) -> None:
            if label == "gaba s0" and isinstance(event, EpochEvent):
                control.request_stop()

        return on_event

    plan = tiny_plan(epochs=3)
    run_comparison(replace(plan, seeds=[0]), tmp_path, stop_gaba, control=control)
    notes: list[str] = []
    table = run_comparison(
        replace(plan, methods=["fixed"], seeds=[0]), tmp_path, notice=notes.append
    )
    assert notes == [] and table["method"].tolist() == ["fixed"]  # gaba's run is left as it is
    (stopped,) = [
        r for r in RunStore(tmp_path / "runs").list_runs() if r.status is RunStatus.STOPPED
    ]
    assert stopped.config["method"] == "gaba"


def test_a_run_whose_data_cannot_be_read_says_failed_in_its_folder(tmp_path):
    """Not "running": the next comparison would take it for a run killed midway."""
    missing = tmp_path / "missing.csv"
    base = tiny_plan().base.with_(source=SourceSpec(kind="csv", path=str(missing)))
    notes: list[str] = []
    plan = ComparisonPlan(base, ["fixed"], [0])
    run_comparison(plan, tmp_path / "cmp", notice=notes.append, executor=ExecutorConfig("local"))
    (run,) = RunStore(tmp_path / "cmp" / "runs").list_runs()
    assert run.status is RunStatus.FAILED and "missing.csv" in run.detail
    assert len(notes) == 1 and "fixed s0: failed" in notes[0]


def test_stop_cancels_queued_runs_and_stops_running_ones_after_their_step(tmp_path):
    control = TrainingControl()
    plan = tiny_plan(epochs=30)
    tasks = _tasks(plan)
    store = RunStore(tmp_path / "runs")

    def stop_at_first_epoch(key, event):
        if isinstance(event, EpochEvent):
            control.request_stop()

    with open_executor(ExecutorConfig("local", jobs=1)) as executor:
        outcomes = run_tasks(executor, tasks, store, on_event=stop_at_first_epoch, control=control)
    assert [o.status for o in outcomes.values()] == ["stopped"], "queued runs were not cancelled"
    (outcome,) = outcomes.values()
    assert outcome.metrics["epochs_run"] < 30 and "rmse" in outcome.metrics  # evaluated
    (run,) = store.list_runs()
    assert run.status is RunStatus.STOPPED


def test_files_from_a_worker_never_land_outside_the_run_folder(tmp_path):
    from core.executors.driver import _apply, _Flight
    from core.executors.reports import Started

    with pytest.raises(ValueError, match="refusing a run file"):
        write_files(tmp_path / "run", {"../escape.txt": b"x"})
    assert not (tmp_path / "escape.txt").exists()
    task = _tasks(tiny_plan())[0]
    started = Started(task.key, 0, "../escape", "a worker")
    with pytest.raises(ValueError, match="refusing a run folder"):
        _apply(started, _Flight(task), RunStore(tmp_path / "store" / "runs"), None, None)
    assert not (tmp_path / "store" / "escape").exists()


def _tasks(plan) -> list[RunTask]:
    from core.comparisons.runner import run_task

    return [run_task(c) for c in plan.experiments()]


def _kill_after_first_epoch(folder, executor_config, also=None) -> list[int]:
    """Run the 4-epoch plan, SIGKILLing the first worker that finishes an epoch (once).

    ``also(key, event)`` hears every event first (a check while the workers run).
    """
    store = RunStore(folder / "runs")
    folders: dict[str, object] = {}
    killed: list[int] = []
    lock = threading.Lock()

    def on_start(key, path):
        folders[key] = path

    def on_event(key, event):
        if also is not None:
            also(key, event)
        with lock:
            if killed or not isinstance(event, EpochEvent):
                return
            pid = RunStore(folder / "runs").open_run(folders[key]).read_status()["pid"]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with open_executor(executor_config) as executor:
        outcomes = run_tasks(
            executor, _tasks(tiny_plan(epochs=4)), store, on_event=on_event, on_start=on_start
        )
    assert sorted(o.status for o in outcomes.values()) == ["finished"] * 2
    return killed


ray = pytest.importorskip("ray", reason="the ray executor's tests need Ray (the test extras)")


def test_ray_gives_the_serial_figures_on_loopback_only_and_resumes_a_killed_worker(
    tmp_path, serial
):
    """On a Ray started for the comparison: one run trains wholly there, the other is
    SIGKILLed after its first epoch and goes on from it; both end with the serial
    figures, Ray never leaves 127.0.0.1, and it is shut down after."""
    reference = serial(4)
    seen: list[list[str]] = []

    def look_at_sockets(key, event):
        if isinstance(event, EpochEvent) and not seen:
            seen.append(ray_sockets_off_loopback())

    assert _kill_after_first_epoch(tmp_path / "ray", ExecutorConfig("ray"), look_at_sockets)
    assert seen == [[]], "Ray listened on or connected through a non-loopback address"
    assert not ray.is_initialized(), "the Ray instance started for the comparison was left up"
    table = run_comparison(tiny_plan(epochs=4), tmp_path / "ray")
    assert figures(table).equals(reference)


def test_runs_on_a_worker_node_of_a_two_node_cluster_land_in_the_drivers_store(tmp_path, serial):
    reference = serial()
    with two_node_cluster() as (address, env):
        # a fresh driver process: Ray cannot switch clusters within one (see ray_cluster._USED)
        script = (
            "import sys; from pathlib import Path; from core.executors import ExecutorConfig; "
            "from core.comparisons.runner import run_comparison; "
            "from tests.helpers.cluster_setup import tiny_plan; "
            "run_comparison(tiny_plan(), Path(sys.argv[1]), "
            "executor=ExecutorConfig('ray', address=sys.argv[2]))"
        )
        compare = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "cluster"), address],
            capture_output=True, text=True, timeout=600, cwd=REPO,
            env={**env, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        off_loopback = ray_sockets_off_loopback()
    assert compare.returncode == 0, compare.stderr[-3000:]
    table = pd.read_csv(tmp_path / "cluster" / "comparison.csv")
    assert figures(table).equals(reference)
    assert off_loopback == []
    runs = RunStore(tmp_path / "cluster" / "runs").list_runs()
    assert len(runs) == 2 and all(r.status is RunStatus.FINISHED for r in runs)
    # the head has no CPUs, so every run trained on the worker node, in its own scratch folder
    workers = [json.loads((r.path / "worker.json").read_text()) for r in runs]
    nodes = {record[0]["where"].split(",")[0] for record in workers}
    assert len(nodes) == 1 and next(iter(nodes)).startswith("Ray node")
    assert all(str(tmp_path) not in (r.path / "status.json").read_text() for r in runs)


def test_a_process_that_used_one_ray_does_not_switch_to_another(monkeypatch):
    import socket

    from core.executors import ExecutorError, ray_cluster

    monkeypatch.setattr(ray_cluster, "_USED", [""])  # as after a comparison on a local Ray
    with socket.socket() as listener:  # an address that answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(ExecutorError, match=r"cannot switch .* restart the workbench"):
            ray_cluster._connect(ray, address)


def test_an_unreachable_cluster_is_a_message_not_a_traceback(tmp_path, capsys):
    from core.cli.main import main

    args = ["compare", "--demo-units", "24", "--preset", "tiny", "--methods", "fixed",
            "--seeds", "0", "--out", str(tmp_path), "--executor", "ray",
            "--address", f"127.0.0.1:{free_port()}"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "does not answer" in err and "ray start --head" in err and "Traceback" not in err


def test_without_ray_installed_the_message_says_how_to_install_it(monkeypatch):
    import sys

    from core.executors import ExecutorError
    from core.executors.ray_cluster import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ExecutorError, match=r"pip install 'rul-workbench\[cluster\]'"):
        import_ray()
