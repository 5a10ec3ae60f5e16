"""Shared by the executor tests: a tiny comparison, its serial reference, and socket checks."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from core.comparisons.runner import ComparisonPlan, run_comparison
from core.training.config import TrainConfig
from tests.helpers.experiments import small_experiment

#: The figures that must not depend on where a run happened.
FIGURES = ["rmse", "nasa_score", "mae", "accuracy", "macro_f1", "val_rmse", "best_epoch"]


def tiny_plan(epochs: int = 2) -> ComparisonPlan:
    """2 methods × 1 seed, tiny preset, one thread per run (the thread count decides sums).

    Two runs are enough for every executor property (two at once on ``local``
    and on Ray, one queued behind a busy worker with ``jobs=1``); a second seed
    doubled the file's time (about 250 s of the suite's 15 minutes) and tested
    nothing more.
    """
    train = TrainConfig(epochs=epochs, batch_size=128, probe_every=5, device="cpu", threads=1)
    return ComparisonPlan(small_experiment(train=train), ["fixed", "gaba"], [0])


def figures(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(["method", "seed"])[["method", "seed", *FIGURES]].reset_index(
        drop=True
    )


def serial_reference(folder: Path, epochs: int = 2) -> pd.DataFrame:
    return figures(run_comparison(tiny_plan(epochs), folder))


RAY_PROCESS = re.compile(r'users:\(\("(raylet|gcs_server|ray::[^"]*|plasma[^"]*)"')
LOOPBACK = re.compile(r"^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+$")


def ray_sockets_off_loopback() -> list[str]:
    """Lines of ``ss`` for Ray's processes that listen on or talk to a non-loopback address."""
    lines = subprocess.run(
        ["ss", "-tanpH"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    offending = []
    for line in lines:
        if not RAY_PROCESS.search(line):
            continue
        local, peer = line.split()[3:5]
        listening = peer.endswith(":*")  # a listener's peer column is a wildcard
        if not LOOPBACK.match(local) or not (listening or LOOPBACK.match(peer)):
            offending.append(line)
    return offending


#: How long a ``ray start --block`` process gets to stop after SIGTERM before SIGKILL. Its own
#: shutdown waits on the node's processes for longer than a test should (measured: over 20 s
#: here); whatever it leaves is killed by the cluster's temporary folder anyway.
STOP_GRACE_S = 3.0


@contextlib.contextmanager
def two_node_cluster(cpus: int = 2) -> Iterator[tuple[str, dict]]:
    """A real Ray cluster on this machine: a head with no CPUs and one worker node.

    Both are started with ``ray start``, bound to 127.0.0.1 (token
    authentication off: nothing outside this machine can reach it, and this
    process's Ray read its authentication mode when it was imported); the
    address and the environment a driver process needs are yielded; they are
    stopped after:
    the ``ray start --block`` process groups, then anything still running from
    the cluster's own temporary folder.
    """
    temp = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # Ray's socket paths must stay short
    # its own temporary folder for every process of the cluster and its drivers: a Ray started
    # earlier on this machine (another test) leaves session files in /tmp/ray that a new node
    # or driver would otherwise pick up
    env = {**os.environ, **loopback_env(), "RAY_AUTH_MODE": "disabled", "RAY_TMPDIR": str(temp)}
    port = free_port()
    started = []
    try:
        started.append(_ray_start(env, "--head", f"--port={port}", "--num-cpus=0",
                                  "--include-dashboard=false", f"--temp-dir={temp}"))  # fmt: skip
        _wait_for_port(port)
        worker_env = {k: v for k, v in env.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
        started.append(
            _ray_start(worker_env, f"--address=127.0.0.1:{port}", f"--num-cpus={cpus}",
                       keep_loopback=True)
        )  # fmt: skip
        _wait_for_nodes(f"127.0.0.1:{port}", 2, env)
        yield f"127.0.0.1:{port}", env
    finally:
        for process in reversed(started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        _kill_processes_mentioning(str(temp))
        shutil.rmtree(temp, ignore_errors=True)


def loopback_env() -> dict[str, str]:
    """What keeps a Ray started by a test on 127.0.0.1 and away from the internet."""
    return {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


#: ``ray start`` for a worker node that joins 127.0.0.1 and stays there. Ray's single-machine
#: mode (what pins the head) refuses worker nodes, and outside it Ray swaps a loopback address
#: for the machine's outward one; here its two lookups answer 127.0.0.1 instead.
WORKER_NODE_START = (
    "import ray._private.services as services\n"
    "services.resolve_ip_for_localhost = lambda host: host\n"
    "services.get_node_ip_address = lambda address=None: '127.0.0.1'\n"
    "from ray.scripts.scripts import main\n"
    "main()"
)


def _ray_start(env: dict, *args: str, keep_loopback: bool = False) -> subprocess.Popen:
    start = WORKER_NODE_START if keep_loopback else "from ray.scripts.scripts import main; main()"
    node_ip = [] if keep_loopback else ["--node-ip-address=127.0.0.1"]
    command = [sys.executable, "-c", start, "start", "--block", "--disable-usage-stats",
               *node_ip, *args]  # fmt: skip
    return subprocess.Popen(
        command, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def free_port() -> int:
    """A loopback port nothing listens on (closed again when this returns)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.2)
    raise TimeoutError(f"the Ray head did not open port {port} within {seconds:.0f} s")


WAIT_FOR_NODES = """
import sys, time, ray
ray.init(address=sys.argv[1], log_to_driver=False, configure_logging=False)
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    alive = [n for n in ray.nodes() if n["Alive"]]
    if len(alive) >= int(sys.argv[2]) and ray.cluster_resources().get("CPU", 0) > 0:
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
"""


def _wait_for_nodes(address: str, nodes: int, env: dict) -> None:
    """Block until ``nodes`` nodes are up (asked from another process, leaving this one clean)."""
    waited = subprocess.run(
        [sys.executable, "-c", WAIT_FOR_NODES, address, str(nodes)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if waited.returncode != 0:
        raise TimeoutError(f"the Ray cluster at {address} did not reach {nodes} nodes")


def _kill_processes_mentioning(text: str) -> None:
    """SIGKILL every process whose command line mentions ``text`` (the cluster's temp folder)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if text in (proc / "cmdline").read_bytes().decode(errors="replace"):
                os.kill(int(proc.name), signal.SIGKILL)
