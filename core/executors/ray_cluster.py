"""``ray``: each run is one Ray task, on an existing cluster or a Ray started here.

Ray schedules the tasks by their resources (CPU threads, a share of a GPU),
ships the prepared data once through its object store, and reports a dead
worker or a lost node as an exception, which becomes :class:`Lost` so the
driver resumes the run from its ``last.pt``. Reports travel through a
:class:`ray.util.queue.Queue` (an actor); stop requests through a small
board actor every running task polls.

With no address a Ray instance is started on this machine and bound to the
loopback interface only (Ray's single-machine mode): nothing listens on, or
connects through, the machine's other addresses. With an address, that
cluster is used as the user gave it; its nodes need the same rul-workbench
version installed (a task on a node with another version fails with a
message that says so).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import replace
from typing import Any

from core.data.prepare import PreparedData
from core.executors.base import Executor, ExecutorError
from core.executors.config import GPU_SHARE, ExecutorConfig, cpu_cores
from core.executors.reports import Ended, Lost, Report, RunTask, Started
from core.experiment.failure import data_key
from core.experiment.run import ExperimentConfig

#: Seconds to wait for the report queue and stop board actors to start (each is a new Python
#: process; on a loaded two-core machine 60 s was seen to be too short).
ACTOR_WAIT_S = 300.0
#: Seconds to wait for a node with the CPUs a run needs (nodes join a cluster after its head).
NODE_WAIT_S = 20.0
#: Seconds to wait for a cluster's address to answer before saying it does not.
CONNECT_TIMEOUT_S = 5.0
INSTALL_HINT = "install it with: pip install 'rul-workbench[cluster]'"


def import_ray() -> Any:
    """The ray module, or an ExecutorError that says how to install it."""
    try:
        import ray
        import ray.util.queue  # the report queue
    except ImportError as error:
        message = f"the ray executor needs Ray, which is not installed; {INSTALL_HINT}"
        raise ExecutorError(message) from error
    return ray


def pin_to_loopback() -> None:
    """Make a Ray instance started by this process bind to 127.0.0.1 only.

    Ray's single-machine mode (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, the
    mode it uses on laptops) takes the loopback address as the node's; the
    variable is inherited by the processes Ray starts, and set on the
    imported constant in case Ray was imported before.
    """
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    with contextlib.suppress(ImportError, AttributeError):
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False


class RayExecutor(Executor):
    """Tasks on a Ray cluster (or a Ray instance of this machine)."""

    def __init__(self, config: ExecutorConfig, preset: str = "compact") -> None:
        if not config.address or _on_loopback(config.address):
            pin_to_loopback()  # else Ray swaps 127.0.0.1 for the machine's outward address
        self.ray = import_ray()
        self._owns_ray = _connect(self.ray, config.address)
        _USED.append(config.address)
        #: The most CPUs one node offers: a run asking more would wait forever.
        self.cpus_per_node = _cpus_per_node(self.ray)
        gpus_here = self.ray.cluster_resources().get("GPU", 0)
        share = GPU_SHARE.get(preset, 1.0) if config.gpus < 0 else config.gpus
        self.gpus = share if gpus_here else 0.0
        where = config.address or "this machine (127.0.0.1)"
        self.description = f"Ray at {where}"
        self._queue = self.ray.util.queue.Queue(actor_options={"num_cpus": 0})
        self._board = self.ray.remote(StopBoard).options(num_cpus=0).remote()
        self._await_actors()
        self._remote = self.ray.remote(max_retries=0)(_work)
        self._data: dict[str, Any] = {}
        self._refs: dict[Any, RunTask] = {}
        self._started: set[tuple[str, int]] = set()

    def _await_actors(self) -> None:
        """Wait until the report queue and the stop board run, or say why they do not."""
        try:
            ready = [self._queue.actor.qsize.remote(), self._board.should_stop.remote()]
            self.ray.get(ready, timeout=ACTOR_WAIT_S)
        except Exception as error:
            self.close()
            raise ExecutorError(
                f"{self.description}: the workbench's helpers (report queue, stop board) did "
                f"not start within {ACTOR_WAIT_S:.0f} s ({type(error).__name__}: {error})"
            ) from error

    def submit(self, task: RunTask, data: PreparedData | None) -> None:
        config = ExperimentConfig.from_dict(task.config)
        key = data_key(config)
        if key not in self._data:  # shipped once; every task of this data shares it
            self._data[key] = self.ray.put(data)
        threads = config.train.threads or 1  # a run that leaves threads open gets one CPU
        if threads > self.cpus_per_node:  # nodes may still be joining: look again
            self.cpus_per_node = _cpus_per_node(self.ray, want=threads, wait_s=NODE_WAIT_S)
        if threads > self.cpus_per_node:
            raise ExecutorError(
                f"no node of the Ray cluster offers {threads} CPU(s) for a run (the most one "
                f"node has is {self.cpus_per_node:g}); lower the run's CPU threads or add nodes"
            )
        task = replace(task, threads=threads)
        options = {"num_cpus": threads, "num_gpus": self.gpus}
        remote = self._remote.options(**options)
        ref = remote.remote(task, self._data[key], self._queue, self._board)
        self._refs[ref] = task

    def poll(self, timeout: float) -> list[Report]:
        reports = self._drain(timeout)
        if not self._refs:
            return reports
        ready, _ = self.ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
        for ref in ready:
            task = self._refs.pop(ref)
            reports += self._drain(0)  # a task's last progress is queued before it returns
            reports += self._outcome(ref, task)
        return reports

    def _outcome(self, ref: Any, task: RunTask) -> list[Report]:
        exceptions = self.ray.exceptions
        try:
            return [self.ray.get(ref)]
        except exceptions.TaskCancelledError:
            return []
        except exceptions.RayTaskError as error:  # the task raised outside execute()
            return [Ended(task.key, task.attempt, "failed", error=str(error.cause or error))]
        except (exceptions.RayError, ConnectionError) as error:  # a dead worker or node
            return [Lost(task.key, task.attempt, f"{type(error).__name__}: {error}")]

    def _drain(self, timeout: float) -> list[Report]:
        reports: list[Report] = []
        empty = self.ray.util.queue.Empty
        try:
            with contextlib.suppress(empty):
                reports.append(self._queue.get(block=timeout > 0, timeout=timeout or None))
                while True:
                    reports.append(self._queue.get_nowait())
        except self.ray.exceptions.RayActorError as error:
            raise ExecutorError(
                f"{self.description}: Ray lost the workbench's report queue ({error}); the runs "
                "finished so far are in the store, run the comparison again to go on"
            ) from error
        self._started |= {(r.key, r.attempt) for r in reports if isinstance(r, Started)}
        return reports

    @property
    def busy(self) -> bool:
        return bool(self._refs)

    def stop(self) -> None:
        self._board.stop.remote()
        for ref, task in self._refs.items():
            if (task.key, task.attempt) not in self._started:
                self.ray.cancel(ref)  # not begun yet: it never will; begun ones stop themselves

    def abandon(self) -> None:
        for ref in list(self._refs):
            with contextlib.suppress(Exception):
                self.ray.cancel(ref, force=True)
        self.close()

    def close(self) -> None:
        if not self.ray.is_initialized():
            return
        with contextlib.suppress(Exception):
            self.stop()
            self.ray.kill(self._board)
            self._queue.shutdown()
        if self._owns_ray:
            self.ray.shutdown()


class StopBoard:
    """A Ray actor: the stop requests every running task asks about."""

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True

    def should_stop(self) -> bool:
        return self.stopped


def _cpus_per_node(ray: Any, want: float = 0.0, wait_s: float = 0.0) -> float:
    """The most CPUs a live node offers, waiting up to ``wait_s`` for one with ``want``."""
    deadline = time.monotonic() + wait_s
    while True:
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        most = max((n["Resources"].get("CPU", 0.0) for n in nodes), default=0.0)
        if most >= want or time.monotonic() >= deadline:
            return most
        time.sleep(0.5)


#: The cluster this process used last ("" for a Ray started here). Switching to another
#: cluster from the same process failed in testing (the report queue never started; Ray's
#: session files of the earlier instance were involved), so a process sticks to one cluster.
_USED: list[str] = []


def _connect(ray: Any, address: str) -> bool:
    """Join the cluster at ``address`` or start one here; True when this call started it."""
    if address:
        _check_reachable(address)
    if _USED and _USED[-1] != address:
        before = _USED[-1] or "a Ray started on this machine"
        raise ExecutorError(
            f"this workbench process already used {before}; Ray cannot switch to "
            f"{address or 'a Ray on this machine'} within one process: restart the workbench "
            "(or run the comparison with rulwb compare) to use it"
        )
    if ray.is_initialized():
        if not address or _same_cluster(ray, address):
            return False  # a connection this process made before (a script of the user's)
        ray.shutdown()  # connected elsewhere (e.g. a Ray started by an earlier comparison)
    try:
        if address:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
            return True
        ray.init(
            address="local",
            num_cpus=cpu_cores(),
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except Exception as error:  # version mismatch, refused connection, bad address ...
        where = address or "this machine"
        cause = str(error.__cause__ or "").strip().splitlines()
        reason = f"{error} ({cause[-1]})" if cause else str(error)
        raise ExecutorError(f"Ray at {where} could not be used: {reason}") from error
    return True


def _same_cluster(ray: Any, address: str) -> bool:
    """Whether this process's Ray connection is to the cluster at ``address``."""
    with contextlib.suppress(Exception):
        return str(ray.get_runtime_context().gcs_address) == address.removeprefix("ray://")
    return False


def _on_loopback(address: str) -> bool:
    """Whether ``address`` names a cluster on this machine's loopback interface."""
    host = address.removeprefix("ray://").rpartition(":")[0]
    return host in ("127.0.0.1", "localhost", "::1", "[::1]")


def _check_reachable(address: str) -> None:
    """A quick TCP connect, so a wrong address is a message in seconds, not a long hang."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"Ray address '{address}': expected host:port, e.g. 10.0.0.5:6379")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise ExecutorError(
            f"Ray at {address} does not answer ({error.strerror or error}); is the cluster "
            "running (ray start --head) and the address right?"
        ) from error


def _work(task: RunTask, data: PreparedData | None, reports: Any, board: Any) -> Ended:
    """The Ray task: train ``task`` on this node and report through the queue."""
    import ray

    from core.executors.worker_run import execute

    node = ray.get_runtime_context().get_node_id()[:8]

    def should_stop() -> bool:
        return bool(ray.get(board.should_stop.remote()))

    return execute(task, data, reports.put, should_stop, f"Ray node {node}, pid {os.getpid()}")
