"""Child-process side of the run-store concurrency tests (kept light: spawned children import it).

A spawned child imports the module of its target function; keeping the
writers here, away from torch and the CLI, keeps each child's start short.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import core.runs.store as store
from core.runs import RunDir, RunStatus, RunStore

PAYLOAD = 3000  # ~10 kB of metrics: more than one write() of a buffered file


def hammer(root: str, writer: int, start, rounds: int, shared: str | None, out, clock: float):
    """At ``start``, create a run (or open ``shared``) and rewrite its files ``rounds`` times.

    Every file carries the writer's id, so the parent can tell whose content it
    reads. Creation is forced onto the same folder name in both children (the
    clock stopped at the parent's ``clock`` time, the same first suffix), so one
    of them must lose the exclusive mkdir.
    """
    stopped = datetime.fromtimestamp(clock).astimezone()
    store.now = lambda: stopped
    suffixes = iter(["beef"])
    store._new_suffix = lambda: next(suffixes, None) or secrets.token_hex(2)
    start.wait()
    run = RunDir(shared) if shared else RunStore(root).create_run({"writer": writer}, "same")
    for i in range(rounds):
        run.write_metrics({"writer": writer, "round": i, "payload": [writer] * PAYLOAD})
        run.write_history([{"epoch": e, "writer": writer} for e in range(1, i + 2)])
        if not shared:
            run.set_status(RunStatus.RUNNING, f"writer {writer} round {i}")
            run.append_probe([{"step": i, "writer": writer}])
    out.put(str(run.path))
