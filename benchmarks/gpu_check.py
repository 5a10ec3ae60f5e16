"""GPU figures in one command: throughput, step-cost ratios, probe cost and a short paper run.

On a machine with a CUDA GPU, in under 8 minutes, one JSON document on stdout:

* ``environment``: GPU name, torch, CUDA and cuDNN versions, the machine;
* ``throughput``: one fixed-weights training step (``TrainingStep``, AdamW,
  clipping, as the trainer runs it) of the ``compact`` and ``paper`` presets in
  fp32 and in bf16 autocast, on FD001 batches already on the GPU: ms per step,
  steps/s and training windows/s, and the bf16 speed-up;
* ``step_cost``: per preset, fp32, the step of a gradient method (GABA and
  PCGrad: two backward passes every step) and a probed step (fixed weights,
  probe on every step) relative to the plain fixed-weights step; ``probe``: what
  one probe adds to a step, and what that makes at the default probe interval;
* ``training_run``: ``run_experiment`` of the paper preset on FD001 for 3
  epochs (fixed weights, the default settings otherwise, a temporary run
  folder): the ``seconds`` column of its ``history.csv`` (training phase of
  each epoch), windows/s from it, and the validation RMSE of each epoch.

Every part reports ``peak_memory_mb``: ``torch.cuda.max_memory_allocated``
since the part (or preset) began. Step times reuse ``step_cost.py``: the same
batches, ``MethodRunner`` and ``time_rounds`` (runners interleaved in rounds,
median over rounds), after warm-up steps, the GPU synchronised around every
timed block. A time guard keeps the total under ``--budget-seconds`` (450 by
default): before each preset or part it estimates the cost from a warm-up
step (the run: from the paper preset's measured step) and, when that would go
past the budget, reports ``{"skipped": "time budget: ..."}`` there instead.

Without a CUDA device it prints the same document in a few seconds, each GPU
part ``{"skipped": "no CUDA device: ..."}``, says so on stderr and exits 0.
``--cpu-smoke`` runs every part on the CPU instead, tiny: the ``tiny`` preset,
a few steps, demo data (a 10-engine fleet for the run), so CI can prove the
code paths work (``tests/benchmarks/test_gpu_check.py``).

    python benchmarks/gpu_check.py > docs/benchmarks/gpu_check.json
    python benchmarks/gpu_check.py --cpu-smoke
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial

import torch
from common import machine, progress, timed, use_default_cmapss, use_threads
from scaling import peak_mb
from step_cost import MethodRunner, batches, time_rounds

from core.data.demo import DemoConfig
from core.data.sources import SourceSpec
from core.experiment.run import ExperimentConfig, load_data, run_experiment
from core.methods.aggregation import MissingSolverError
from core.model import DualTaskModel
from core.runs import RunStore
from core.training.config import TrainConfig

PARTS = ("throughput", "step_cost", "training_run")
#: Distinct batches the step timings cycle through (as step_cost.py).
N_BATCHES = 10
SEED = 0
#: What a probed step adds is spread over this many steps by default.
PROBE_EVERY = TrainConfig().probe_every


@dataclass(frozen=True)
class Plan:
    """What to measure, and where: the GPU check or its tiny CPU smoke version."""

    device: torch.device
    presets: tuple[str, ...] = ("compact", "paper")
    source: str = "cmapss:FD001"
    run_source: SourceSpec = field(default_factory=lambda: SourceSpec.parse("cmapss:FD001"))
    run_preset: str = "paper"
    epochs: int = 3
    batch_size: int = 256
    rounds: int = 5
    steps: int = 20
    warm_up: int = 3


def plan_for(args: argparse.Namespace) -> Plan:
    if args.cpu_smoke:
        return Plan(
            device=torch.device("cpu"),
            presets=("tiny",),
            source="demo",
            run_source=SourceSpec.parse("demo", demo=DemoConfig(train_units=10, test_units=4)),
            run_preset="tiny",
            epochs=2,
            batch_size=64,
            rounds=2,
            steps=2,
            warm_up=1,
        )
    return Plan(
        device=torch.device("cuda"),
        epochs=args.epochs,
        batch_size=args.batch_size,
        rounds=args.rounds,
        steps=args.steps,
    )


# ------------------------------------------------------------------ the guard
class OverBudget(Exception):
    """A part (or preset) would take the total past the time budget."""


class Budget:
    """Seconds left of the run's budget; refuses work estimated not to fit."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.started = seconds, time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def check(self, estimate: float) -> None:
        spent = self.elapsed()
        if spent + estimate > self.seconds:
            raise OverBudget(
                f"time budget: {spent:.0f} s of {self.seconds:g} s spent, "
                f"this needs about {estimate:.0f} s more"
            )


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def guarded(work, *args) -> dict:
    """``work(*args)``, or ``{"skipped": why}`` when the budget cannot afford it."""
    try:
        return work(*args)
    except OverBudget as refusal:
        progress(f"skipped: {refusal}")
        return {"skipped": str(refusal)}


# ------------------------------------------------------------- step timings
def median_step_seconds(
    plan: Plan, budget: Budget, runners: dict[str, MethodRunner], data: list
) -> dict[str, float]:
    """Median seconds per step of each runner; warm-up steps first, their last one timed
    to estimate the rounds against the budget."""
    last = {}
    for name, run in runners.items():
        for i in range(plan.warm_up):
            last[name] = timed(plan.device, partial(run, *data[i % len(data)]))
    budget.check((plan.rounds * plan.steps + 1) * sum(last.values()))
    return time_rounds(runners, data, plan.rounds, plan.steps, plan.device)


def ms(seconds: float) -> float:
    return round(1000 * seconds, 4)


def ratio(a: float, b: float) -> float:
    """``a / b`` of two figures as the JSON shows them, so a reader can check it."""
    return round(a / b, 4)


def fresh_model(n_features: int, preset: str, device: torch.device) -> DualTaskModel:
    torch.manual_seed(SEED)
    return DualTaskModel(n_features, preset).to(device)


def throughput_preset(plan: Plan, budget: Budget, data: list, n_features: int, preset: str):
    """Fixed-weights steps of ``preset`` in fp32 and bf16 autocast, interleaved."""
    reset_peak(plan.device)
    model = fresh_model(n_features, preset, plan.device)
    precisions = {"fp32": False, "bf16": True}
    out: dict = {}
    if plan.device.type == "cuda" and not torch.cuda.is_bf16_supported():
        del precisions["bf16"]
        out["bf16"] = {"skipped": "this GPU does not support bfloat16"}
    runners = {name: MethodRunner("fixed", model, bf16=bf16) for name, bf16 in precisions.items()}
    seconds = median_step_seconds(plan, budget, runners, data)
    for name, value in seconds.items():
        step_ms = ms(value)
        out[name] = {
            "ms_per_step": step_ms,
            "steps_per_s": ratio(1000, step_ms),
            "windows_per_s": ratio(1000 * plan.batch_size, step_ms),
        }
    if "bf16" in seconds:
        out["bf16_speedup"] = ratio(out["fp32"]["ms_per_step"], out["bf16"]["ms_per_step"])
    out["peak_memory_mb"] = round(peak_mb(plan.device), 1)
    return out


def step_cost_preset(plan: Plan, budget: Budget, data: list, n_features: int, preset: str):
    """Two-backward method steps and a probed step of ``preset`` against its fixed step."""
    reset_peak(plan.device)
    model = fresh_model(n_features, preset, plan.device)
    runners = {"fixed": MethodRunner("fixed", model)}
    for name in ("gaba", "pcgrad"):
        try:
            runners[name] = MethodRunner(name, model)
        except MissingSolverError:
            continue
    runners["fixed+probe"] = MethodRunner("fixed", model, probe_every=1)
    per_step = {
        name: ms(value) for name, value in median_step_seconds(plan, budget, runners, data).items()
    }
    fixed = per_step["fixed"]
    probe_ms = round(per_step["fixed+probe"] - fixed, 4)
    return {
        "ms_per_step": per_step,
        "vs_fixed": {
            name: ratio(value, fixed) for name, value in per_step.items() if name != "fixed"
        },
        "probe": {
            "ms": probe_ms,
            "vs_fixed_step": ratio(probe_ms, fixed),
            "probe_every": PROBE_EVERY,
            "overhead_at_probe_every": ratio(probe_ms, PROBE_EVERY * fixed),
        },
        "peak_memory_mb": round(peak_mb(plan.device), 1),
    }


THROUGHPUT = (
    "one fixed-weights TrainingStep (forward, backward, clipping, AdamW) in fp32 and bf16 "
    "autocast, batches already on the device; windows/s = batch_size / step time"
)
STEP_COST = (
    "fp32 steps; gaba, pcgrad: per-task gradients (two backward passes) every step; "
    "fixed+probe: fixed weights with the gradient probe on every step; probe.ms = "
    "fixed+probe - fixed; overhead_at_probe_every = probe.ms / (probe_every * fixed)"
)


def per_preset(
    part: str, what: str, measure_one, plan: Plan, budget: Budget, data: list, n_features: int
) -> dict:
    """A part: ``measure_one`` for each preset, each guarded by the budget."""
    presets = {}
    for preset in plan.presets:
        progress(f"{part}: {preset}")
        presets[preset] = guarded(measure_one, plan, budget, data, n_features, preset)
    return {"what": what, "batch_size": plan.batch_size, "presets": presets}


# ---------------------------------------------------------------- the run
def training_run(plan: Plan, budget: Budget, step_ms: float | None) -> dict:
    """A few epochs of the paper preset on FD001 through ``run_experiment``."""
    reset_peak(plan.device)
    train = TrainConfig(
        epochs=plan.epochs,
        batch_size=plan.batch_size,
        trajectories=False,  # as `rulwb train`: no per-epoch prediction of every window
        device=plan.device.type,
    )
    config = ExperimentConfig(
        source=plan.run_source, preset=plan.run_preset, method="fixed", train=train, seed=SEED
    )
    loading = time.perf_counter()
    data = load_data(config)
    load_seconds = time.perf_counter() - loading
    steps = math.ceil(len(data.train) / plan.batch_size)
    # probe every 10 steps, validation and the test pass on top of the steps: x1.5, +20 s
    estimate = 60.0 if step_ms is None else plan.epochs * steps * step_ms / 1000 * 1.5 + 20
    budget.check(estimate)
    progress(f"training run: {plan.run_preset} on {plan.run_source.label}, {plan.epochs} epochs")
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        result, run = run_experiment(config, RunStore(root), data=data)
        wall = time.perf_counter() - started
        history = run.read_history()
    seconds = [round(float(s), 3) for s in history["seconds"]]
    epoch_seconds = round(statistics.median(seconds), 4)  # of 3-decimal figures: exact
    return {
        "source": plan.run_source.label,
        "preset": plan.run_preset,
        "method": "fixed",
        "epochs": plan.epochs,
        "batch_size": plan.batch_size,
        "bf16": train.bf16,
        "probe_every": train.probe_every,
        "status": result.status.value,
        "train_windows": len(data.train),
        "steps_per_epoch": steps,
        "load_seconds": round(load_seconds, 3),
        "seconds_per_epoch": seconds,
        "median_seconds_per_epoch": epoch_seconds,
        "windows_per_s": ratio(len(data.train), epoch_seconds),
        "val_rmse": [round(float(v), 3) for v in history["val_rmse"]],
        "run_seconds": round(wall, 3),
        "peak_memory_mb": round(peak_mb(plan.device), 1),
    }


# ------------------------------------------------------------------ the CLI
def environment(device: torch.device) -> dict:
    info = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "machine": machine(device),
    }
    if device.type == "cuda":
        info["bf16_supported"] = torch.cuda.is_bf16_supported()
    return info


def no_cuda_reason() -> str:
    build = torch.version.cuda or "none (a CPU-only build)"
    return (
        f"no CUDA device: torch.cuda.is_available() is False (torch {torch.__version__}, "
        f"CUDA build {build}); --cpu-smoke runs every part tiny on the CPU"
    )


def measure(plan: Plan, budget: Budget) -> dict:
    data, n_features = batches(plan.source, N_BATCHES, plan.batch_size, plan.device)
    out = {
        "throughput": per_preset(
            "throughput", THROUGHPUT, throughput_preset, plan, budget, data, n_features
        ),
        "step_cost": per_preset(
            "step cost", STEP_COST, step_cost_preset, plan, budget, data, n_features
        ),
    }
    measured = out["throughput"]["presets"].get(plan.run_preset, {})
    step_ms = measured["fp32"]["ms_per_step"] if "fp32" in measured else None
    out["training_run"] = guarded(training_run, plan, budget, step_ms)
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cpu-smoke", action="store_true", help="every part tiny on the CPU (tiny preset, demo)"
    )
    parser.add_argument("--budget-seconds", type=float, default=450.0)
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the training run")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0: default")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    use_threads(args.threads)
    budget = Budget(args.budget_seconds)
    plan = plan_for(args)
    mode = "cpu-smoke" if args.cpu_smoke else "gpu"
    where = plan.device
    if plan.device.type == "cuda" and not torch.cuda.is_available():
        reason = no_cuda_reason()
        print(f"gpu_check: {reason}", file=sys.stderr)
        parts = {part: {"skipped": reason} for part in PARTS}
        where, mode = torch.device("cpu"), "no-cuda"
    else:
        parts = measure(plan, budget)
    print(json.dumps({
        "mode": mode,
        "environment": environment(where),
        "budget_seconds": args.budget_seconds,
        "settings": {"batch_size": plan.batch_size, "rounds": plan.rounds,
                     "steps_per_round": plan.steps, "warm_up_steps": plan.warm_up,
                     "step_source": plan.source},
        **parts,
        "total_seconds": round(budget.elapsed(), 1),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    use_default_cmapss()
    main()
