"""Trainer throughput: samples/s of our trainer against a minimal plain PyTorch training loop.

Same data, same model preset built under the same seed, same batch size, same
optimiser settings and the same losses as the fixed method
(``0.5 * MSE(rul) + 0.5 * CE(health)``). Three lines are timed, interleaved in
rounds ``[plain, ours, ours+probe/10]`` so load on the machine hits all alike;
each figure is the median over rounds:

* ``plain``: a ``DataLoader(shuffle=True)`` over a ``TensorDataset`` of the
  materialised (N, W, F) training windows and their labels; per batch: forward,
  loss, backward, AdamW step, nothing else. ``num_workers=0``; on CUDA the
  dataset stays on the host with ``pin_memory=True`` and ``non_blocking`` copies.
* ``ours``: ``build_trainer`` with the fixed method (``probe_every=0``,
  ``trajectories=False``), one epoch through the trainer's own epoch path:
  ``train`` = ``Trainer._train_epoch`` (the span the history's per-epoch
  ``seconds`` covers: batches gathered on the device, step with divergence
  check and gradient clipping, weight average, step events); ``epoch`` = that
  plus ``Trainer._end_epoch`` (validation with the weight average over every
  validation window, LR schedule, best-weights copy; no run folder, so nothing
  is written to disk).
* ``ours+probe/10``: the same with the gradient probe every 10 steps, the
  trainer's default.

Samples/s counts training windows only, for every line. The target compares
``ours`` training phase with ``plain`` (which validates nothing).

    python benchmarks/throughput.py [--source cmapss:FD001] [--preset compact]
        [--batch-size 256] [--device auto] [--rounds 3] [--max-steps N] [--threads N]

About a minute on an idle 2-core CPU with the defaults. Quick check:
``--rounds 1 --max-steps 5``. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from common import machine, progress, timed, use_default_cmapss, use_threads
from torch.utils.data import DataLoader, TensorDataset

from core.data.prepare import PreparedData
from core.data.sources import SourceSpec
from core.data.windows import WindowSet
from core.experiment.run import ExperimentConfig, build_trainer, load_data
from core.methods.registry import create_method
from core.model import DualTaskModel
from core.training.config import TrainConfig
from core.training.evaluation import predict
from core.training.trainer import Trainer, resolve_device

SEED = 0
WARM_UP_STEPS = 3
TARGET = {"cpu": 1.0, "cuda": 1.5}


def subset(windows: WindowSet, fraction: float) -> WindowSet:
    """A seeded random ``fraction`` of the windows, to cut every loop's epoch short alike."""
    keep = max(1, round(len(windows) * fraction))
    pick = np.sort(np.random.default_rng(SEED).permutation(len(windows))[:keep])
    return windows.select(pick)


def shortened(data: PreparedData, max_steps: int, batch_size: int) -> PreparedData:
    """Training windows for at most ``max_steps`` batches; validation cut by the same fraction."""
    fraction = min(1.0, max_steps * batch_size / len(data.train))
    if fraction >= 1.0:
        return data
    return replace(data, train=subset(data.train, fraction), val=subset(data.val, fraction))


class PlainLoop:
    """The loop a PyTorch user would write first: DataLoader, forward, loss, backward, step."""

    def __init__(self, data: PreparedData, config: TrainConfig, preset: str, device) -> None:
        train = data.train
        x = torch.from_numpy(train.batch(np.arange(len(train))))
        rul = torch.as_tensor(train.rul, dtype=torch.float32)
        health = torch.as_tensor(train.health, dtype=torch.long)
        cuda = device.type == "cuda"
        self.loader = DataLoader(
            TensorDataset(x, rul, health),
            batch_size=config.batch_size,
            shuffle=True,
            num_workers=0,
            pin_memory=cuda,
            generator=torch.Generator().manual_seed(SEED),
        )
        torch.manual_seed(SEED)  # the same initial weights as build_trainer's
        self.model = DualTaskModel(data.n_features, preset).to(device)
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.rul_loss = create_method("fixed").rul_loss  # plain MSE, as the fixed method
        self.device, self.non_blocking = device, cuda

    def epoch(self, max_batches: int | None = None) -> None:
        """One pass over the loader (or its first ``max_batches`` batches, to warm up)."""
        self.model.train()
        for i, (x, rul, health) in enumerate(self.loader):
            if max_batches is not None and i >= max_batches:
                break
            x = x.to(self.device, non_blocking=self.non_blocking)
            rul = rul.to(self.device, non_blocking=self.non_blocking)
            health = health.to(self.device, non_blocking=self.non_blocking)
            self.optimizer.zero_grad(set_to_none=True)
            pred_rul, logits = self.model(x)
            loss = 0.5 * self.rul_loss(pred_rul, rul) + 0.5 * F.cross_entropy(logits, health)
            loss.backward()
            self.optimizer.step()


class OurLoop:
    """Our trainer, driven one epoch at a time through its own epoch methods."""

    def __init__(self, data: PreparedData, config: ExperimentConfig) -> None:
        self.trainer: Trainer = build_trainer(config, data)
        self.n_epochs = 0

    def warm_up(self) -> None:
        """A few real steps and one validation pass: first calls allocate and pick kernels."""
        t = self.trainer
        batches = t.train_set.batches(t.config.batch_size, torch.Generator().manual_seed(1))
        for _, (_, x, rul, health) in zip(range(WARM_UP_STEPS), batches, strict=False):
            t._one_step(0, x, rul, health)
        predict(t.ema.model, t.val_set, t.eval_batch_size, t.bf16)

    def epoch(self) -> tuple[float, float, float]:
        """Seconds of (training phase, whole epoch) and the trainer's own reported seconds."""
        self.n_epochs += 1
        t, n = self.trainer, self.n_epochs
        train = timed(t.device, lambda: t._train_epoch(n))
        end = timed(t.device, lambda: t._end_epoch(n))
        return train, train + end, t.history[-1]["seconds"]


def experiment(args, probe_every: int) -> ExperimentConfig:
    """The fixed method on the benchmark's data, one epoch per call, nothing optional on."""
    train = TrainConfig(
        epochs=1,
        batch_size=args.batch_size,
        probe_every=probe_every,
        trajectories=False,
        early_stopping_patience=0,
        device=args.device,
    )
    source = SourceSpec.parse(args.source)
    return ExperimentConfig(source=source, preset=args.preset, method="fixed", train=train)


def measure(args) -> dict:
    """Interleaved rounds of the three lines; per-round seconds of each."""
    base = experiment(args, probe_every=0)
    data = load_data(base)
    if args.max_steps:
        data = shortened(data, args.max_steps, args.batch_size)
    device = resolve_device(args.device)
    plain = PlainLoop(data, base.train, args.preset, device)
    ours = OurLoop(data, base)
    probed = OurLoop(data, experiment(args, probe_every=10))
    plain.epoch(WARM_UP_STEPS)
    ours.warm_up()
    probed.warm_up()
    seconds: dict[str, list[float]] = {}
    for r in range(args.rounds):
        rows = {"plain": timed(device, plain.epoch)}
        for name, loop in (("ours", ours), ("ours+probe/10", probed)):
            train, whole, reported = loop.epoch()
            rows |= {f"{name}:train": train, f"{name}:epoch": whole, f"{name}:reported": reported}
        for key, value in rows.items():
            seconds.setdefault(key, []).append(value)
        progress(
            f"round {r + 1}/{args.rounds}: " + ", ".join(f"{k} {v:.2f}s" for k, v in rows.items())
        )
    return {"data": data, "device": device, "seconds": seconds}


def round_ratios(seconds: dict[str, list[float]]) -> dict[str, list[float]]:
    """Each round's speed relative to that round's plain epoch: their spread shows the noise."""
    plain = seconds["plain"]
    return {
        key: [round(p / s, 3) for p, s in zip(plain, values, strict=True)]
        for key, values in seconds.items()
        if key != "plain" and not key.endswith(":reported")
    }


def report(args, measured: dict) -> dict:
    """Medians, samples/s and the ratios to the plain loop, as one JSON-ready dict."""
    data, device, seconds = measured["data"], measured["device"], measured["seconds"]
    n = len(data.train)
    median = {k: statistics.median(v) for k, v in seconds.items()}
    per_second = {k: n / v for k, v in median.items() if not k.endswith(":reported")}
    vs_plain = {k: v / per_second["plain"] for k, v in per_second.items()}
    target = TARGET.get(device.type, 1.0)
    return {
        "machine": machine(device),
        "source": args.source,
        "preset": args.preset,
        "batch_size": args.batch_size,
        "train_windows": n,
        "val_windows": len(data.val),
        "steps_per_epoch": -(-n // args.batch_size),
        "rounds": args.rounds,
        "max_steps": args.max_steps,
        "samples_per_s": {k: round(v, 1) for k, v in per_second.items()},
        "vs_plain": {k: round(v, 3) for k, v in vs_plain.items()},
        "vs_plain_per_round": round_ratios(seconds),
        "median_seconds": {k: round(v, 4) for k, v in median.items()},
        "seconds_per_round": {k: [round(x, 4) for x in v] for k, v in seconds.items()},
        "target": ">= 1.0 on CPU, >= 1.5 on CUDA (ours:train / plain)",
        "met": vs_plain["ours:train"] >= target,
        "included": {
            "plain": "DataLoader iteration, host-to-device copies, forward, loss, backward, "
            "AdamW step",
            "<line>:train": "Trainer._train_epoch, timed outside it "
            "(device synchronised at both ends)",
            "<line>:epoch": "<line>:train plus Trainer._end_epoch: validation over val_windows "
            "with the weight average, metrics, LR schedule, best-weights copy; no disk writes",
            "<line>:reported": "the trainer's own history 'seconds' of that epoch (training phase)",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="cmapss:FD001")
    parser.add_argument("--preset", default="compact")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--max-steps",
        type=int,
        default=0,
        help="cut every epoch to at most N batches (a seeded subset of windows); 0: whole epochs",
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0: default")
    args = parser.parse_args()
    use_threads(args.threads)
    print(json.dumps(report(args, measure(args)), indent=2))


if __name__ == "__main__":
    use_default_cmapss()
    main()
