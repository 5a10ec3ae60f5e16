"""Per-step cost of every balancing method relative to fixed weights and to the two-pass floor.

Every method trains the same model (same initial weights) on the same batches;
the methods are timed in interleaved rounds (method A, B, C, ... then again)
and each figure is the median over rounds, so load on the machine hits every
method alike and the ratios stay meaningful. Beside the methods:

* ``floor``: forward, one backward per task, clipping and the optimiser step:
  the least any exact per-task-gradient method can cost;
* ``naive``: the common recipe: ``backward`` per task with ``retain_graph``
  into ``.grad`` (copied out, then zeroed), then a third backward of the
  weighted sum, optimiser step;
* ``fixed+probe/10``: fixed weights with the probe every 10 steps;
* ``gaba/10``: GABA measuring the gradients (and probing) every 10 steps, its
  EMA weights in force in between (``every=10``).

The ``targets`` block checks the step-cost targets: GABA/GRACE/PCGrad within
1.10x of the floor and at least 1.3x faster than the naive recipe; GABA
probing every 10 steps within 1.15x of fixed.

    python benchmarks/step_cost.py [--preset compact] [--rounds 5] [--steps 4] [--device cpu]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import time

import torch

from core.data.sources import SourceSpec
from core.experiment import METHODS, balancing_methods, create_method
from core.experiment.run import ExperimentConfig, load_data
from core.methods.aggregation import MissingSolverError
from core.model import DualTaskModel
from core.training.batches import DeviceWindows
from core.training.step import TrainingStep


def batches(source: str, n: int, size: int, device: torch.device) -> list[tuple]:
    data = load_data(ExperimentConfig(source=SourceSpec.parse(source)))
    windows = DeviceWindows(data.train, device)
    generator = torch.Generator().manual_seed(0)
    out = []
    for _, x, rul, health in windows.batches(size, generator):
        out.append((x, rul, health))
        if len(out) == n:
            break
    return out, data.n_features


class MethodRunner:
    """One method's own model copy, optimiser and step function."""

    def __init__(
        self,
        name: str,
        model: DualTaskModel,
        probe_every: int = 0,
        bf16: bool = False,
        **params: float,
    ) -> None:
        self.model = copy.deepcopy(model)
        method = create_method(name if name in METHODS else "fixed", **params)
        if "warmup_steps" in method.params:  # time the steady state, not the warm-up
            method = create_method(name, warmup_steps=0, **params)
        params = [*self.model.parameters(), *method.parameters()]
        self.optimizer = torch.optim.AdamW(params, lr=1e-4)
        self.step = TrainingStep(self.model, method, self.optimizer, clip_norm=1.0, bf16=bf16)
        self.probe_every, self.count = probe_every, 0

    def __call__(self, x, rul, health) -> None:
        probe = self.probe_every > 0 and self.count % self.probe_every == 0
        self.step(x, rul, health, step=self.count, epoch=1, probe=probe)
        self.count += 1


class FloorRunner(MethodRunner):
    """The two passes every exact per-task-gradient step needs, and nothing of a method's own.

    Forward, backward of ``L_rul`` (graph kept), backward of ``L_health``
    (the two accumulate into ``.grad``), then what every step does: clipping
    and the optimiser step.
    """

    def __call__(self, x, rul, health) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        losses = self.step.losses(x, rul, health)
        losses[0].backward(retain_graph=True)
        losses[1].backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()


class NaiveRunner(MethodRunner):
    """Per-task ``backward(retain_graph=True)`` into ``.grad``, then a third backward."""

    def __call__(self, x, rul, health) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        losses = self.step.losses(x, rul, health)
        for k in range(2):
            losses[k].backward(retain_graph=True)
            [p.grad.clone() for p in self.step.shared if p.grad is not None]
            self.optimizer.zero_grad(set_to_none=True)
        (0.5 * losses[0] + 0.5 * losses[1]).backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()


def runners(model: DualTaskModel, methods: list[str]) -> dict[str, MethodRunner]:
    """The reference runners (floor, naive, probing every 10 steps), fixed, then ``methods``."""
    out: dict[str, MethodRunner] = {"floor": FloorRunner("fixed", model)}
    out["naive"] = NaiveRunner("fixed", model)
    out["fixed+probe/10"] = MethodRunner("fixed", model, probe_every=10)
    out["gaba/10"] = MethodRunner("gaba", model, probe_every=10, every=10)
    for name in dict.fromkeys(["fixed", "gaba", "grace", "pcgrad", *methods]):
        try:
            out[name] = MethodRunner(name, model)
        except MissingSolverError:
            continue
    return out


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_rounds(
    all_runners: dict, data: list, rounds: int, steps: int, device: torch.device
) -> dict[str, float]:
    """Median seconds per step of each runner; rounds interleave the runners.

    Each timed block covers ``steps`` steps, a multiple of 10 keeps the
    every-10-steps runners at their average cost.
    """
    times: dict[str, list[float]] = {name: [] for name in all_runners}
    for run in all_runners.values():  # warm-up: first calls allocate and compile
        run(*data[0])
        run.count = 0
    for r in range(rounds):
        for name, run in all_runners.items():
            synchronize(device)
            started = time.perf_counter()
            for i in range(steps):
                run(*data[(r * steps + i) % len(data)])
            synchronize(device)
            times[name].append((time.perf_counter() - started) / steps)
    return {name: statistics.median(values) for name, values in times.items()}


def phases(model: DualTaskModel, data: list, device: torch.device, repeats: int) -> dict:
    """Median ms of the parts of a two-pass step: forward, each task's backward, the rest.

    They bound what any exact method can gain over the naive recipe:
    ``(F + 3B) / (F + 2B)`` with ``B`` the mean task backward, whatever the code.
    """
    runner = MethodRunner("fixed", model)
    step, parts = runner.step, {"forward": [], "backward_rul": [], "backward_health": []}
    for i in range(repeats + 1):
        x, rul, health = data[i % len(data)]
        marks = [time.perf_counter()]
        losses = step.losses(x, rul, health)
        synchronize(device)
        marks.append(time.perf_counter())
        for k, params in enumerate((step.shared + step.heads[0], step.shared + step.heads[1])):
            torch.autograd.grad(losses[k], params, retain_graph=k == 0, allow_unused=True)
            synchronize(device)
            marks.append(time.perf_counter())
        if i > 0:  # the first pass warms up
            for name, start, end in zip(parts, marks, marks[1:], strict=False):
                parts[name].append(end - start)
    ms = {name: round(1000 * statistics.median(v), 2) for name, v in parts.items()}
    backward = (ms["backward_rul"] + ms["backward_health"]) / 2
    ms["naive_vs_two_pass_bound"] = round(
        (ms["forward"] + 3 * backward) / (ms["forward"] + 2 * backward), 3
    )
    return ms


def targets(seconds: dict[str, float]) -> dict[str, dict]:
    """The step-cost targets, each with the measured ratio and whether it is met."""
    out = {}
    for name in ("gaba", "grace", "pcgrad"):
        vs_floor = seconds[name] / seconds["floor"]
        speedup = seconds["naive"] / seconds[name]
        out[f"{name}_vs_floor"] = {"ratio": round(vs_floor, 3), "target": "<= 1.10",
                                   "met": vs_floor <= 1.10}  # fmt: skip
        out[f"naive_vs_{name}"] = {"ratio": round(speedup, 3), "target": ">= 1.3",
                                   "met": speedup >= 1.3}  # fmt: skip
    every10 = seconds["gaba/10"] / seconds["fixed"]
    out["gaba/10_vs_fixed"] = {"ratio": round(every10, 3), "target": "<= 1.15",
                               "met": every10 <= 1.15}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="compact")
    parser.add_argument("--source", default="cmapss:FD001")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--device", default="cpu", help="cpu | cuda")
    parser.add_argument(
        "--methods",
        default=",".join(balancing_methods()),
        help="comma-separated methods besides fixed, gaba, grace, pcgrad (default: all)",
    )
    args = parser.parse_args()
    device = torch.device(args.device)
    data, n_features = batches(args.source, 10, args.batch_size, device)
    torch.manual_seed(0)
    model = DualTaskModel(n_features, args.preset).to(device)
    chosen = runners(model, args.methods.split(","))
    seconds = time_rounds(chosen, data, args.rounds, args.steps, device)
    parts = phases(model, data, device, repeats=3 * args.rounds)
    fixed, floor = seconds["fixed"], seconds["floor"]
    print(json.dumps({
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "platform": platform.platform(), "torch": torch.__version__},
        "preset": args.preset, "source": args.source, "batch_size": args.batch_size,
        "rounds": args.rounds, "steps_per_round": args.steps,
        "ms_per_step": {k: round(1000 * v, 2) for k, v in seconds.items()},
        "vs_fixed": {k: round(v / fixed, 3) for k, v in seconds.items()},
        "vs_floor": {k: round(v / floor, 3) for k, v in seconds.items()},
        "device": str(device),
        "phases_ms": parts,
        "targets": targets(seconds),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("RUL_WORKBENCH_CMAPSS", os.path.join(
        os.path.dirname(__file__), "..", "..", "shared", "data", "cmapss"))  # fmt: skip
    main()
