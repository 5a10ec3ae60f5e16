"""Wall time of one comparison under each executor, on this machine, in one run.

    python benchmarks/parallel_compare.py [--runs 4] [--epochs 3] [--preset compact] [--jobs 2]
                                          [--units 60]

Trains the same comparison (fixed and GABA over seeds, demo fleet, one torch
thread per run) once serially, once with ``--executor local --jobs N`` and,
when Ray is installed, once with ``--executor ray`` (a Ray started here, on
127.0.0.1). Prints one JSON object: seconds per executor, the speed-up over
serial, and whether every run's metrics agreed with the serial ones. Run it
with nothing else busy on the machine: the figures are ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from common import machine, progress

from core.comparisons.runner import ComparisonPlan, run_comparison
from core.data.demo import DemoConfig
from core.data.sources import SourceSpec
from core.executors import ExecutorConfig
from core.experiment.run import ExperimentConfig
from core.training.config import TrainConfig

FIGURES = ["rmse", "nasa_score", "macro_f1", "val_rmse"]


def plan(runs: int, epochs: int, preset: str, units: int) -> ComparisonPlan:
    train = TrainConfig(epochs=epochs, early_stopping_patience=0, device="cpu", threads=1)
    demo = DemoConfig(train_units=units, test_units=max(units // 4, 1))
    base = ExperimentConfig(source=SourceSpec(demo=demo), preset=preset, train=train)
    return ComparisonPlan(base, ["fixed", "gaba"], list(range(max(1, runs // 2))))


def timed_comparison(the_plan: ComparisonPlan, executor: ExecutorConfig) -> tuple[float, list]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        table = run_comparison(the_plan, Path(folder), executor=executor)
        seconds = time.perf_counter() - started
    table = table.sort_values(["method", "seed"])
    return seconds, table[FIGURES].to_numpy().tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--preset", default="compact")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--units", type=int, default=60, help="demo training units")
    args = parser.parse_args()
    the_plan = plan(args.runs, args.epochs, args.preset, args.units)
    executors = {"serial": ExecutorConfig(), "local": ExecutorConfig("local", jobs=args.jobs)}
    try:
        import ray  # noqa: F401

        executors["ray"] = ExecutorConfig("ray")
    except ImportError:
        progress("Ray is not installed: the ray executor is left out")
    seconds, figures = {}, {}
    for name, executor in executors.items():
        progress(f"{name} ...")
        seconds[name], figures[name] = timed_comparison(the_plan, executor)
        progress(f"{name}: {seconds[name]:.1f} s")
    report = {
        "benchmark": "parallel_compare",
        "machine": machine(torch.device("cpu")),
        "runs": len(the_plan.experiments()),
        "epochs": args.epochs,
        "preset": args.preset,
        "demo_units": args.units,
        "jobs": args.jobs,
        "torch_threads_per_run": 1,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "speedup_over_serial": {k: round(seconds["serial"] / v, 2) for k, v in seconds.items()},
        "same_metrics_as_serial": {k: v == figures["serial"] for k, v in figures.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
