"""One comparison at a time in a comparison folder; a dead process's lock is taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from core.cli.main import main
from core.comparisons.folder_lock import LOCK, comparison_lock
from core.runs import RunStoreError
from core.runs.status import own_start_time


def holder(pid: int, host: str | None = None, start: int | None = None) -> str:
    return json.dumps({"pid": pid, "process_start": start, "host": host or socket.gethostname(),
                       "since": "2026-12-07T15:37:45+00:00"})  # fmt: skip


def dead_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_the_lock_is_held_while_the_comparison_works_and_released_after(tmp_path):
    with comparison_lock(tmp_path):
        held = json.loads((tmp_path / LOCK).read_text())
        assert held["pid"] == os.getpid() and held["process_start"] == own_start_time()
        second = comparison_lock(tmp_path)  # a second comparison on the same folder
        with pytest.raises(RunStoreError, match=f"process {os.getpid()} on"), second:
            pass
    assert not (tmp_path / LOCK).exists()


def test_a_second_rulwb_compare_on_a_busy_folder_is_refused_naming_the_first(tmp_path, capsys):
    (tmp_path / LOCK).write_text(holder(os.getpid(), start=own_start_time()))
    code = main(["compare", "--source", "demo", "--demo-units", "24", "--preset", "tiny",
                 "--epochs", "1", "--methods", "fixed", "--seeds", "0",
                 "--out", str(tmp_path)])  # fmt: skip
    err = capsys.readouterr().err
    assert code != 0 and "another rulwb compare is training into this folder (process " in err
    assert "--executor local --jobs N" in err and str(tmp_path / LOCK) in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_dead_process_lock_is_taken_over_so_a_killed_comparison_resumes(tmp_path):
    (tmp_path / LOCK).write_text(holder(dead_pid()))
    with comparison_lock(tmp_path):
        assert json.loads((tmp_path / LOCK).read_text())["pid"] == os.getpid()
    (tmp_path / LOCK).write_text("")  # half-written by a process killed while writing it ...
    os.utime(tmp_path / LOCK, (0, 0))  # ... long ago
    with comparison_lock(tmp_path):
        pass


def test_a_lock_that_cannot_be_checked_or_is_being_written_is_respected(tmp_path):
    (tmp_path / LOCK).write_text(holder(12345, host="another-machine"))
    elsewhere = pytest.raises(RunStoreError, match="another machine, so it cannot be checked")
    with elsewhere, comparison_lock(tmp_path):
        pass
    (tmp_path / LOCK).write_text("")  # empty this instant: another process is writing it
    now = pytest.raises(RunStoreError, match="is taking this folder's lock this moment")
    with now, comparison_lock(tmp_path):
        pass
