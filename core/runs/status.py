"""Run status: the states a run can be in, and whether its owning process still lives.

``status.json`` records the pid, host and (on Linux) process start time of the
process that wrote it. A record that says ``running`` while that process is
gone belongs to a run whose process crashed or was killed; readers then see
``interrupted``. The start time guards against a recycled pid making a dead
run look alive; a run recorded on another host cannot be checked.
"""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


class RunStatus(StrEnum):
    """Where a run stands.

    ``INTERRUPTED`` is never written: it is inferred on reading when the file
    says running but the process that owned the run is gone.
    """

    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


def _linux_proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of a Linux process, None elsewhere."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        fields = text[text.rfind(")") + 2 :].split()  # the command name may hold spaces
        return fields[0], int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _windows_pid_alive(pid: int) -> bool:
    """Ask Windows whether ``pid`` runs (``os.kill`` would terminate it there)."""
    import ctypes

    kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel.GetLastError() == 5  # access denied: it exists
    code = ctypes.c_ulong()
    try:
        kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel.CloseHandle(handle)


def process_alive(pid: int, started: int | None = None) -> bool:
    """Whether process ``pid`` on this host is alive and is the one that started at ``started``.

    The start time (Linux only) guards against a recycled pid making a dead
    run look alive.
    """
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    stat = _linux_proc_stat(pid)
    if stat is None:
        return True
    state, start = stat
    return state != "Z" and (started is None or start == started)


def own_start_time() -> int | None:
    """This process's start time (Linux clock ticks; None elsewhere), recorded beside its pid
    so that a recycled pid does not make a dead process look alive (:func:`process_alive`)."""
    stat = _linux_proc_stat(os.getpid())
    return stat[1] if stat else None


def effective_status(record: dict[str, Any]) -> dict[str, Any]:
    """Turn a stale ``running`` record into ``interrupted`` when its process is gone.

    A run recorded on another host cannot be checked and stays ``running``.
    """
    if (
        record.get("status") != RunStatus.RUNNING.value
        or record.get("host") != socket.gethostname()
    ):
        return record
    pid, started = record.get("pid"), record.get("process_start")
    if isinstance(pid, int) and process_alive(pid, started if isinstance(started, int) else None):
        return record
    last = f" (last: {record['detail']})" if record.get("detail") else ""
    return {
        **record,
        "status": RunStatus.INTERRUPTED.value,
        "recorded_status": RunStatus.RUNNING.value,
        "detail": f"process {pid} on {record.get('host')} ended without finishing{last}",
    }


def status_record(
    status: RunStatus, detail: str, created: str, extra: dict[str, Any]
) -> dict[str, Any]:
    """The content of status.json for a state written by this process.

    ``torch_threads`` is the process's torch thread count when torch is loaded
    (a run whose own setting is 0 uses it; :mod:`core.runs.live` reads it).
    """
    threads = getattr(sys.modules.get("torch"), "get_num_threads", None)
    return {
        "status": RunStatus(status).value,
        "detail": detail,
        "pid": os.getpid(),
        "process_start": own_start_time(),
        "host": socket.gethostname(),
        "torch_threads": threads() if threads is not None else None,
        "created": created,
        "updated": now().isoformat(),
        "extra": extra,
    }


def now() -> datetime:
    """Local time with its UTC offset, so times from different machines compare."""
    return datetime.now().astimezone()
