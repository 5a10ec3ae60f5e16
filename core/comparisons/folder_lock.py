"""One comparison at a time in a comparison folder.

Two ``rulwb compare`` processes started on the same folder (two terminals, two
study lanes) each see the same pairs missing and each train them: twice the
time for the same runs, and two finished folders of one (method, seed). The
first process holds ``compare.lock`` in the folder while it works; a second
one is refused with who holds it. A lock left by a process that died (a kill,
a crash, a power cut) is taken over, so a comparison still resumes after any
interruption. To train several runs at once, one process hands them to an
executor (``--executor local --jobs N``, or Ray).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from core.runs import RunStoreError
from core.runs.status import now, own_start_time, process_alive

#: The lock's file name inside the comparison folder.
LOCK = "compare.lock"


def _holder() -> dict:
    """This process, as the lock records it (the start time guards against a recycled pid)."""
    return {
        "pid": os.getpid(),
        "process_start": own_start_time(),
        "host": socket.gethostname(),
        "since": now().isoformat(timespec="seconds"),
    }


def _alive(holder: dict) -> bool | None:
    """Whether the lock's process still runs: None when it is on another host (unknowable)."""
    if holder.get("host") != socket.gethostname():
        return None
    pid, started = holder.get("pid"), holder.get("process_start")
    started = started if isinstance(started, int) else None
    return isinstance(pid, int) and process_alive(pid, started)


def _refusal(holder: dict, path: Path, alive: bool | None) -> RunStoreError:
    if not holder:
        return RunStoreError("another rulwb compare is taking this folder's lock this moment", path)
    who = f"process {holder.get('pid')} on {holder.get('host')}, since {holder.get('since')}"
    if alive is None:
        reason = (
            f"another rulwb compare may be training into this folder ({who}: another machine, "
            f"so it cannot be checked from here); if nothing runs there any more, delete {LOCK}"
        )
    else:
        reason = (
            f"another rulwb compare is training into this folder ({who}); wait for it to end "
            "or give another --out. Several runs at once: one process with --executor local "
            "--jobs N"
        )
    return RunStoreError(reason, path)


#: An unreadable lock younger than this may be one another process is writing now.
FRESH_S = 10.0


def _age_s(path: Path) -> float:
    try:
        return now().timestamp() - path.stat().st_mtime
    except OSError:
        return 0.0


def _take(path: Path) -> bool:
    """Create the lock file atomically; False when it exists."""
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(_holder(), out)
    return True


@contextlib.contextmanager
def comparison_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock while the body runs (RunStoreError naming the holder if taken)."""
    path = Path(folder) / LOCK
    for _ in range(2):  # the second try follows the removal of a dead process's lock
        if _take(path):
            break
        try:
            holder = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            holder = {}  # being written this instant, or half-written by a process killed then
        holder = holder if isinstance(holder, dict) else {}
        # An unreadable lock is stale only once its writer has had ample time to write it.
        alive = _alive(holder) if holder else _age_s(path) < FRESH_S
        if alive is not False:
            raise _refusal(holder, path, alive)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        raise RunStoreError("another rulwb compare took this folder's lock just now", path)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
