"""A real training process killed with SIGKILL, its folder inspected, then resumed to the end.

Each case starts ``rulwb train`` in a subprocess, waits until the first epoch
is on disk, kills the process at a seeded random moment within the next
epochs, and checks what was kept: the folder loads (config, whole epochs of
history, a best checkpoint that loads into the model), the store lists the run
as interrupted, and ``rulwb train --resume`` ends with the same metrics as
the same command run without interruption.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig
from core.data.sources import SourceSpec
from core.experiment.run import ExperimentConfig
from core.model import DualTaskModel
from core.runs import RunDir, RunStatus, RunStore
from core.training.config import TrainConfig
from tests.helpers.experiments import SMALL_WINDOW

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

EPOCHS = 8
COMPARED = ("rmse", "nasa_score", "mae", "accuracy", "macro_f1", "val_rmse", "best_epoch")
#: One thread, so the killed, resumed and reference processes add floats in the same order.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def config_file(folder: Path) -> Path:
    """A tiny GRACE run (method state, probe every 5 steps) long enough to be killed midway."""
    train = TrainConfig(epochs=EPOCHS, batch_size=64, probe_every=5, device="cpu")
    source = SourceSpec(demo=DemoConfig(train_units=24, test_units=8))
    config = ExperimentConfig(
        source=source,
        preprocess=PreprocessConfig(window=SMALL_WINDOW),
        preset="tiny",
        method="grace",
        train=train,
        seed=5,
    )
    path = folder / "experiment.json"
    path.write_text(json.dumps(config.to_dict()))
    return path


def rulwb(*args: str) -> list[str]:
    return [sys.executable, "-m", "core.cli.main", *args]


def wait_for(condition, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def only_run(store: Path) -> RunDir:
    folders = [p for p in store.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    return RunDir(folders[0])


def epochs_on_disk(store: Path) -> int:
    """Completed epochs according to the last-epoch checkpoint's presence and history."""
    folders = [p for p in store.iterdir() if p.is_dir()] if store.exists() else []
    if not folders or not (folders[0] / "last.pt").exists():
        return 0
    return len(RunDir(folders[0]).read_history())


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> RunDir:
    """The same command, never interrupted."""
    folder = tmp_path_factory.mktemp("reference")
    store = folder / "runs"
    args = rulwb("train", "--config", str(config_file(folder)), "--out", str(store), "--json")
    done = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return only_run(store)


def kill_midway(folder: Path, seed: int) -> tuple[RunDir, int]:
    """Start training, SIGKILL it at a seeded random moment after epoch 1; the run and its
    completed epochs at the kill."""
    store = folder / "runs"
    args = rulwb("train", "--config", str(config_file(folder)), "--out", str(store))
    with open(folder / "stderr.txt", "wb") as stderr:
        process = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        started = time.monotonic()
        wait_for(lambda: epochs_on_disk(store) >= 1, what="the first epoch")
        epoch_seconds = time.monotonic() - started
        time.sleep(random.Random(seed).uniform(0.0, 2.0) * epoch_seconds / 3)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    return only_run(store), epochs_on_disk(store)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_sigkilled_run_is_kept_listed_interrupted_and_resumes_to_the_same_end(
    tmp_path, reference, seed
):
    run, completed = kill_midway(tmp_path, seed)
    assert 1 <= completed < EPOCHS

    # What was kept loads: config, whole epochs of history, a best checkpoint.
    config = ExperimentConfig.from_dict(run.read_config())
    history = run.read_history()
    assert list(history["epoch"]) == list(range(1, completed + 1))
    assert history["val_rmse"].notna().all()
    best = run.load_checkpoint("best.pt")
    model = DualTaskModel(best["n_features"], config.preset)
    model.load_state_dict(best["model"])
    assert best["epoch"] <= completed
    [info] = RunStore(run.path.parent).list_runs()
    assert info.status == RunStatus.INTERRUPTED

    resumed = subprocess.run(
        rulwb("train", "--resume", str(run.path), "--out", str(run.path.parent), "--json"),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert run.read_status()["status"] == RunStatus.FINISHED
    assert list(run.read_history()["epoch"]) == list(range(1, EPOCHS + 1))
    probe_epochs = run.read_probe()["epoch"]
    assert probe_epochs.is_monotonic_increasing  # the redone epoch's rows are not doubled
    metrics, expected = run.read_metrics(), reference.read_metrics()
    for key in COMPARED:
        assert metrics[key] == expected[key], key


@pytest.mark.slow
def test_resuming_a_finished_run_is_refused_with_a_reason(reference):
    refused = subprocess.run(
        rulwb("train", "--resume", str(reference.path), "--out", str(reference.path.parent)),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 2
    assert "nothing to resume" in refused.stderr
    assert "Traceback" not in refused.stderr
