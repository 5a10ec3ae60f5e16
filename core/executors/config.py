"""The executor setting of a comparison, its defaults on this machine, and opening one."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from core.executors.base import Executor, ExecutorError

#: serial: one run after another in this process; local: N worker processes; ray: a Ray cluster.
EXECUTORS = ("serial", "local", "ray")

#: Share of one GPU a run of each preset asks Ray for (the paper preset fills a GPU).
GPU_SHARE = {"tiny": 0.25, "compact": 0.25, "paper": 1.0}


@dataclass(frozen=True)
class ExecutorConfig:
    """Where a comparison's runs happen. Saved in the comparison's ``comparison.json``.

    Attributes
    ----------
    kind
        ``serial``, ``local`` or ``ray``.
    jobs
        ``local``: runs at once (0: :func:`default_jobs`).
    address
        ``ray``: the cluster to use (``host:port``, or ``ray://host:10001`` through
        Ray Client); empty: start a Ray instance on this machine, on loopback only.
    gpus
        ``ray``: share of a GPU per run on a cluster with GPUs (-1: by preset,
        see :data:`GPU_SHARE`).
    retries
        How often a run whose worker died is resumed from its ``last.pt``.
    """

    kind: str = "serial"
    jobs: int = 0
    address: str = ""
    gpus: float = -1.0
    retries: int = 2

    def describe(self) -> str:
        """Where the runs happened, in words: for the report and the notes of a comparison."""
        if self.kind == "serial":
            where = "this process, one run after another"
        elif self.kind == "local":
            where = f"{self.jobs or 'one per core'} worker processes on this machine"
        else:
            where = (
                f"a Ray cluster at {self.address}"
                if self.address
                else ("a Ray instance started on this machine (loopback only)")
            )
            where += f", {self.gpus:g} GPU per run" if self.gpus >= 0 else ""
        if self.kind != "serial" and self.retries:
            where += f"; a run whose worker died resumed up to {self.retries} times"
        return where

    def check(self) -> None:
        """ValueError naming the setting when a value cannot be used."""
        if self.kind not in EXECUTORS:
            raise ValueError(f"executor: '{self.kind}' is not one of {', '.join(EXECUTORS)}")
        for name in ("jobs", "retries"):
            if getattr(self, name) < 0:
                raise ValueError(f"executor {name}: must be 0 or more")
        if self.gpus != -1.0 and not 0.0 <= self.gpus <= 8.0:
            raise ValueError("executor gpus: a share of a GPU per run, 0 to 8 (-1: by preset)")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ExecutorConfig:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        config = cls(**known)
        config.check()
        return config


def cpu_cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_jobs(cuda_devices: int, preset: str) -> int:
    """Runs at once on this machine: by GPU share with GPUs, else one per two cores.

    On the CPU two threads per run keep every core busy without two runs
    fighting over one; with GPUs each device takes as many runs as its share
    allows (four compact runs, one paper run), never more than there are cores.
    """
    cores = cpu_cores()
    if cuda_devices:
        per_device = max(1, int(1 / GPU_SHARE.get(preset, 1.0)))
        return max(1, min(cores, cuda_devices * per_device))
    return max(1, cores // 2)


def open_executor(config: ExecutorConfig, preset: str = "compact") -> Executor:
    """The executor ``config`` names, ready for tasks (ExecutorError when it cannot be).

    ``serial`` has no executor object: the comparison trains in its own loop.
    """
    config.check()
    if config.kind == "local":
        from core.executors.local import LocalExecutor

        return LocalExecutor(config, preset)
    if config.kind == "ray":
        from core.executors.ray_cluster import RayExecutor

        return RayExecutor(config, preset)
    raise ExecutorError("the serial executor trains in the comparison's own loop")
