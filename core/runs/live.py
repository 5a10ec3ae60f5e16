"""Trainings live on this machine, and how many torch threads a new one should take.

Two trainings that each take every core thrash: on the 2-core development
machine an FD001 compact epoch took 150 s beside a second 2-thread run and
5.8 s alone (benchmarks/oversubscription.py measures it on the demo fleet).
A run whose ``threads`` setting is left open (0) therefore gets
``cores // (live trainings + 1)`` threads (at least one, at most ``cap``), and
:attr:`ThreadPlan.warning` says when the live trainings and the new one ask
for more threads than there are cores, whoever chose the counts.

A live training is a run folder whose ``status.json`` says ``running``,
recorded on this host by a process that still lives (:func:`effective_status`);
runs of one process count once (torch's thread count is per process). Only
the run stores named are looked at (the CLI and the GUI pass the one they
write to and the default one): a training writing elsewhere (a ``rulwb
compare --out`` folder, another ``--out``, a script without a store) is not
seen, and neither is other work on the machine.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.runs.status import RunStatus, effective_status


def cpu_cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class LiveTraining:
    """One process training now: its run folders and the torch threads it uses.

    ``threads`` is None where the runs recorded none (their setting was 0 and
    the process did not say); :meth:`ThreadPlan.warning` then counts every core.
    """

    pid: int
    runs: tuple[Path, ...]
    threads: int | None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # gone, half-written, not JSON: not a live run to count
        return None


def _threads_of(folder: Path, status: dict[str, Any]) -> int | None:
    """The run's thread count: its config's setting, else what its process recorded."""
    config = _read_json(folder / "config.json")
    train = config.get("train") if isinstance(config, dict) else None
    threads = train.get("threads") if isinstance(train, dict) else None
    if isinstance(threads, int) and threads > 0:
        return threads
    recorded = status.get("torch_threads")
    return recorded if isinstance(recorded, int) and recorded > 0 else None


def live_trainings(roots: Iterable[str | Path]) -> list[LiveTraining]:
    """The processes of this host training into the run stores ``roots`` now.

    Never raises for a missing store or a damaged folder (they hold no live run).
    """
    host = socket.gethostname()
    found: dict[int, tuple[list[Path], list[int | None]]] = {}
    for root in dict.fromkeys(Path(r).resolve() for r in roots):
        try:
            folders = [f for f in root.iterdir() if f.is_dir() and not f.name.startswith(".")]
        except OSError:
            continue
        for folder in sorted(folders):
            record = _read_json(folder / "status.json")
            if not isinstance(record, dict) or record.get("host") != host:
                continue
            if effective_status(record).get("status") != RunStatus.RUNNING.value:
                continue
            pid = record["pid"]  # effective_status keeps "running" only for a live int pid
            runs, threads = found.setdefault(pid, ([], []))
            runs.append(folder)
            threads.append(_threads_of(folder, record))
    return [
        LiveTraining(pid, tuple(runs), max((t for t in threads if t), default=None))
        for pid, (runs, threads) in found.items()
    ]


@dataclass(frozen=True)
class ThreadPlan:
    """The thread count for a new training and what it was chosen beside.

    Attributes
    ----------
    threads
        torch threads for the new run.
    chosen
        True when the run's setting was 0 and the count was chosen here.
    live
        The other trainings live on this host.
    cores
        Cores this process may use.
    """

    threads: int
    chosen: bool
    live: tuple[LiveTraining, ...]
    cores: int

    @property
    def live_threads(self) -> int:
        """Threads the live trainings use (one that recorded none counts every core)."""
        return sum(t.threads or self.cores for t in self.live)

    @property
    def note(self) -> str | None:
        """What was chosen because of other trainings, or None when nothing was live."""
        if not self.chosen or not self.live:
            return None
        return (
            f"{_trainings(len(self.live))} already live on this machine: this run takes "
            f"{_threads(self.threads)} of {self.cores} cores"
        )

    @property
    def warning(self) -> str | None:
        """A sentence when the live trainings and this one ask for more threads than cores."""
        total = self.live_threads + self.threads
        if not self.live or total <= self.cores:
            return None
        uses = "uses" if len(self.live) == 1 else "use"
        return (
            f"cores oversubscribed: {_trainings(len(self.live))} on this machine {uses} "
            f"{_threads(self.live_threads)} and this run {_threads(self.threads)}, "
            f"{total} threads on {self.cores} cores, so every one of them runs slower "
            "than it would alone (each waits for the others at every step)"
        )


def _trainings(n: int) -> str:
    return f"{n} other training{'s' * (n != 1)}"


def _threads(n: int) -> str:
    return f"{n} torch thread{'s' * (n != 1)}"


def plan_threads(
    requested: int,
    roots: Iterable[str | Path],
    cap: int | None = None,
    cores: int | None = None,
) -> ThreadPlan:
    """Threads for a new training: ``requested`` if set (> 0), else a share of the free cores.

    The share is ``cores // (live trainings + 1)``, at least 1 and at most
    ``cap`` (the process's own limit, e.g. ``OMP_NUM_THREADS``, or the cores
    the GUI leaves to itself).
    """
    cores = cores or cpu_cores()
    live = tuple(live_trainings(roots))
    if requested > 0:
        return ThreadPlan(requested, False, live, cores)
    threads = max(1, cores // (len(live) + 1))
    if cap is not None:
        threads = max(1, min(threads, cap))
    return ThreadPlan(threads, True, live, cores)
