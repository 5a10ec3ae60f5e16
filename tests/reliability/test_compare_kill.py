"""`rulwb compare` killed midway, or stopped by a full disk, goes on with only the unfinished runs.

The comparison runs as a real process (``python -m core.cli.main``, what the
``rulwb`` script calls), is killed with SIGKILL while one run is finished and
the next is mid-training, and is then started again with the same arguments.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from core.cli import compare_cmd
from core.cli.main import main
from core.common.formats import count
from core.runs import RunInfo, RunStatus, RunStore
from core.training.events import FinishedEvent
from tests.reliability import full_disk

REPO = Path(__file__).resolve().parents[2]
SMALL = ["--demo-units", "24", "--preset", "tiny", "--batch-size", "128", "--device", "cpu",
         "--window", "30"]  # fmt: skip
RULWB = [sys.executable, "-m", "core.cli.main"]  # what the `rulwb` script runs (pyproject.toml)
PAIRS = {(m, s) for m in ("fixed", "gaba") for s in (0, 1)}


def compare_args(out: Path, epochs: int) -> list[str]:
    """`rulwb compare` arguments: 2 methods x 2 seeds on the small demo fleet."""
    return ["compare", *SMALL, "--epochs", str(epochs), "--methods", "fixed,gaba",
            "--seeds", "0,1", "--out", str(out), "--json"]  # fmt: skip


def quick_env() -> dict[str, str]:
    """One CPU thread, no GPU: the shared test machine stays usable and runs stay short."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def runs_by_status(out: Path) -> dict[RunStatus | None, list[RunInfo]]:
    """The comparison's runs grouped by their status, as a reader sees them right now."""
    grouped: dict[RunStatus | None, list[RunInfo]] = {}
    for info in RunStore(out / "runs").list_runs():
        grouped.setdefault(info.status, []).append(info)
    return grouped


def mid_training(info: RunInfo) -> bool:
    """A running run that has saved at least one epoch (so it is truly in progress)."""
    history = info.path / "history.csv"
    saved = history.exists() and history.read_text().count("\n") >= 2
    return saved and (info.path / "last.pt").exists()  # last.pt is written after the history


def wait_for_one_finished_one_running(proc: subprocess.Popen, out: Path, log: Path) -> None:
    """Poll the run store until a run is finished and another is mid-training."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        runs = runs_by_status(out) if (out / "runs").is_dir() else {}
        running = [info for info in runs.get(RunStatus.RUNNING, []) if mid_training(info)]
        if runs.get(RunStatus.FINISHED) and running:
            return
        if proc.poll() is not None:
            pytest.fail(f"compare ended (exit {proc.returncode}) before it could be killed:\n"
                        f"{log.read_text()}")  # fmt: skip
        time.sleep(0.02)
    pytest.fail(f"no finished + running runs within the time limit:\n{log.read_text()}")


def kill_midway(out: Path, log: Path, epochs: int) -> None:
    """Start the comparison and SIGKILL it while one run is done and another is training."""
    with open(log, "w") as stderr:
        proc = subprocess.Popen(RULWB + compare_args(out, epochs), cwd=REPO, env=quick_env(),
                                stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
        try:
            wait_for_one_finished_one_running(proc, out, log)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def snapshot(info: RunInfo) -> dict[str, tuple[int, int]]:
    """Every file of a run folder with its size and modification time (ns)."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in info.path.iterdir()}


def pair(info: RunInfo) -> tuple[str, int]:
    """The (method, seed) a run stands for."""
    return info.config["method"], info.config["seed"]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_compare_killed_midway_goes_on_with_only_the_unfinished_runs(tmp_path, capsys):
    out, epochs = tmp_path / "cmp", 3
    kill_midway(out, tmp_path / "first.log", epochs)
    before = runs_by_status(out)
    finished, (killed,) = before[RunStatus.FINISHED], before[RunStatus.INTERRUPTED]
    assert RunStatus.RUNNING not in before, "a killed run still reads as running"
    assert "ended without finishing" in killed.detail
    untouched = {info.path: snapshot(info) for info in finished}
    kept = (killed.path / "history.csv").read_text().splitlines()

    # the same command again, in this process (a second interpreter start costs seconds)
    assert main(compare_args(out, epochs)) == 0
    again = capsys.readouterr()
    assert f"{killed.path}: {count(len(kept) - 1, 'epoch')} done; going on from there" in again.err

    after = runs_by_status(out)
    assert {info.path: snapshot(info) for info in finished} == untouched, "finished run redone"
    assert RunStatus.INTERRUPTED not in after
    assert killed.path in {info.path for info in after[RunStatus.FINISHED]}, "not gone on with"
    history = (killed.path / "history.csv").read_text().splitlines()
    assert history[: len(kept)] == kept and len(history) == epochs + 1, "its epochs were redone"
    assert sorted(pair(info) for info in after[RunStatus.FINISHED]) == sorted(PAIRS)

    table = pd.read_csv(out / "comparison.csv")
    assert set(zip(table["method"], table["seed"], strict=True)) == PAIRS
    assert {Path(p) for p in table["run_dir"]} == {info.path for info in after[RunStatus.FINISHED]}
    summary = json.loads(again.out)
    assert {row["method"]: row["n"] for row in summary["methods"]} == {"fixed": 2, "gaba": 2}


def edit_json(path: Path, **changes) -> None:
    """A hand edit: valid JSON, wrong content."""
    record = json.loads(path.read_text())
    record.update(changes)
    path.write_text(json.dumps(record))


@pytest.mark.slow
def test_compare_skips_damaged_runs_with_a_note_and_redoes_them(tmp_path, capsys):
    args = ["compare", *SMALL, "--epochs", "1", "--methods", "fixed", "--seeds", "0,1",
            "--out", str(tmp_path), "--json"]  # fmt: skip
    assert main(args) == 0
    first = {pair(info): info for info in RunStore(tmp_path / "runs").list_runs()}
    edit_json(first["fixed", 0].path / "metrics.json", rmse="12.3", best_epoch="one")
    text = (first["fixed", 1].path / "status.json").read_text()
    (first["fixed", 1].path / "status.json").write_text(text[: len(text) // 2])
    capsys.readouterr()

    assert main(args) == 0
    out, err = capsys.readouterr()
    edited = "damaged, skipped (metrics.json: not numbers: rmse, best_epoch)"
    assert f"{first['fixed', 0].path}: {edited}" in err
    assert f"{first['fixed', 1].path}: damaged, skipped (status.json: not valid JSON" in err
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert sorted(table["seed"]) == [0, 1] and table["rmse"].notna().all()
    assert not {str(info.path) for info in first.values()} & set(table["run_dir"]), "not redone"
    assert json.loads(out)["methods"][0]["n"] == 2


def test_compare_on_a_full_disk_stops_with_a_clear_error_and_resumes(tmp_path, monkeypatch, capsys):
    disk = full_disk.install(monkeypatch, tmp_path, "write", room=0)

    def fill_when_a_run_finishes(label, **_):
        def on_event(event) -> None:
            if isinstance(event, FinishedEvent):
                disk.full = True

        return on_event

    monkeypatch.setattr(compare_cmd, "ProgressLine", fill_when_a_run_finishes)
    args = ["compare", *SMALL, "--epochs", "1", "--methods", "fixed", "--seeds", "0,1",
            "--out", str(tmp_path / "cmp"), "--json"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"rulwb: error: {tmp_path / 'cmp' / 'comparison.csv'}: could not write: " in err
    assert "the disk is full" in err and "Traceback" not in err
    (first,) = RunStore(tmp_path / "cmp" / "runs").list_runs()
    assert first.status is RunStatus.FINISHED, "the run that filled the disk was not kept"

    disk.full = False  # space returns; the finished run is not redone
    monkeypatch.setattr(compare_cmd, "ProgressLine", lambda label, **_: lambda event: None)
    assert main(args) == 0
    runs = RunStore(tmp_path / "cmp" / "runs").list_runs()
    assert runs[0].path == first.path
    assert [info.status for info in runs] == [RunStatus.FINISHED, RunStatus.FINISHED]
    assert pd.read_csv(tmp_path / "cmp" / "comparison.csv")["seed"].tolist() == [0, 1]
