"""Two trainings at once on this machine: both at full threads vs the automatic share.

    python benchmarks/oversubscription.py [--preset tiny] [--units 60] [--epochs 3]

Runs ``rulwb train`` (the demo fleet, CPU) as separate processes, in one
private run store, three ways: one run alone (its threads left to the
automatic choice, which alone is every core torch would use); two runs at
once, each told ``--threads <cores>`` (what every run did before the choice
existed); and two runs at once with their threads left open, the second
started once the first is live, so it sees it (core/runs/live.py). Prints one
JSON object: each run's torch threads and seconds per epoch (history.csv's
``seconds``), each scenario's wall time, and the ratios to the run alone.
``OMP_NUM_THREADS`` is removed from the children's environment, so torch's
own default (the cores) applies. Run it with nothing else busy on the machine,
and read the load averages it reports: other work stretches every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def train(store: Path, args: argparse.Namespace, seed: int, threads: int | None):
    command = [sys.executable, "-m", "core.cli.main", "train", "--source", "demo",
               "--demo-units", str(args.units), "--preset", args.preset, "--device", "cpu",
               "--epochs", str(args.epochs), "--patience", "0", "--probe-every", "0",
               "--seed", str(seed), "--out", str(store), "--json"]  # fmt: skip
    if threads is not None:
        command += ["--threads", str(threads)]
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["RUL_WORKBENCH_RUNS"] = str(store)  # the default store too: nobody else's runs
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_until_live(store: Path, count: int, process: subprocess.Popen) -> None:
    """Until ``count`` run folders have their status.json (the run is live and counted)."""
    while len(list(store.glob("*/status.json"))) < count and process.poll() is None:
        time.sleep(0.05)


def result(process: subprocess.Popen) -> dict:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"rulwb train failed:\n{err}")
    run = Path(json.loads(out)["run_dir"])
    with (run / "history.csv").open() as handle:
        seconds = [float(row["seconds"]) for row in csv.DictReader(handle)]
    config = json.loads((run / "config.json").read_text())
    return {
        "threads": config["train"]["threads"],
        "s_per_epoch": round(statistics.mean(seconds), 3),
        "epochs_s": [round(s, 3) for s in seconds],
        "stderr": [line for line in err.splitlines() if line.startswith("rulwb: ")],
    }


def scenario(args: argparse.Namespace, runs: int, threads: int | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="rulwb-oversub-") as folder:
        store = Path(folder)
        start = time.perf_counter()
        processes = []
        for seed in range(runs):
            processes.append(train(store, args, seed, threads))
            wait_until_live(store, seed + 1, processes[-1])
        results = [result(p) for p in processes]
        wall = time.perf_counter() - start
    return {"runs": results, "wall_s": round(wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--units", type=int, default=60, help="demo run-to-failure units")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    n = cores()
    load_before = os.getloadavg()
    alone = scenario(args, 1, None)
    old = scenario(args, 2, n)
    new = scenario(args, 2, None)
    base = alone["runs"][0]["s_per_epoch"]

    def ratios(s: dict) -> list[float]:
        return [round(r["s_per_epoch"] / base, 2) for r in s["runs"]]

    report = {
        "cores": n,
        "settings": vars(args),
        "alone": alone,
        "both_full_threads": {**old, "s_per_epoch_vs_alone": ratios(old)},
        "both_automatic": {**new, "s_per_epoch_vs_alone": ratios(new)},
        "wall_full_over_automatic": round(old["wall_s"] / new["wall_s"], 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
