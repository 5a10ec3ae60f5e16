"""Where a step's time goes: torch.profiler's top operators for GABA, the floor, the naive recipe.

The companion of ``step_cost.py`` for the targets it reports unmet: each
runner takes the same batches after a warm-up, under ``torch.profiler``; the
JSON lists each runner's total and its operators by self time, grouped into
forward, backward and the rest (optimiser, clipping, Python), so the ratio
naive / ours can be read off the kernels that dominate it.

    python benchmarks/step_profile.py [--preset compact] [--steps 10] [--top 12]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os

import torch
from common import machine
from step_cost import FloorRunner, MethodRunner, NaiveRunner, batches
from torch.profiler import ProfilerActivity, profile

from core.model import DualTaskModel


def backward_op(name: str) -> bool:
    return "backward" in name.lower() or name.startswith("autograd::")


def profile_runner(run, data: list, steps: int, top: int) -> dict:
    """Self CPU milliseconds per step: total, backward kernels, the rest; the top operators."""
    for x, rul, health in data[:2]:  # warm-up
        run(x, rul, health)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(steps):
            run(*data[i % len(data)])
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    per_step = {e.key: e.self_cpu_time_total / 1000 / steps for e in events}
    backward = sum(ms for name, ms in per_step.items() if backward_op(name))
    ranked = sorted(per_step.items(), key=lambda item: -item[1])[:top]
    return {
        "ms_per_step": round(sum(per_step.values()), 2),
        "backward_ms": round(backward, 2),
        "other_ms": round(sum(per_step.values()) - backward, 2),
        "top_ops_ms": {name: round(ms, 2) for name, ms in ranked},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="compact")
    parser.add_argument("--source", default="cmapss:FD001")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    data, n_features = batches(args.source, 10, args.batch_size, torch.device("cpu"))
    torch.manual_seed(0)
    model = DualTaskModel(n_features, args.preset)
    chosen = {
        "floor": FloorRunner("fixed", model),
        "gaba": MethodRunner("gaba", model),
        "naive": NaiveRunner("fixed", model),
    }
    report = {name: profile_runner(run, data, args.steps, args.top) for name, run in chosen.items()}
    print(json.dumps({"machine": machine(torch.device("cpu")), "preset": args.preset,
                      "batch_size": args.batch_size, "steps": args.steps,
                      "runners": report}, indent=2))  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("RUL_WORKBENCH_CMAPSS", os.path.join(
        os.path.dirname(__file__), "..", "..", "shared", "data", "cmapss"))  # fmt: skip
    main()
