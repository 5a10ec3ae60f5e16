"""The gradient ratio at initialisation, over the first N batches (`rulwb probe`).

No optimiser step is taken: every batch is probed on the freshly initialised
model, in training mode (dropout and batch statistics as during training), to
measure how unequal the two tasks' pulls on the backbone are before any
balancing has had a say.
"""

from __future__ import annotations

import numpy as np

from core.data.prepare import PreparedData
from core.experiment.run import ExperimentConfig, build_trainer
from core.probe.gradients import gram_statistics, task_gradients
from core.training.batches import DeviceWindows


def probe_at_initialisation(config: ExperimentConfig, data: PreparedData, batches: int) -> dict:
    """Per-task gradient norms and their ratio over the first ``batches`` batches."""
    trainer = build_trainer(config, data)
    step = trainer.step_fn
    windows = DeviceWindows(data.train, trainer.device)
    records = []
    for i, (index, x, rul, health) in enumerate(
        windows.batches(config.train.batch_size, trainer.generator)
    ):
        if i >= batches:
            break
        trainer.model.train()
        losses = step.losses(x, rul, health, windows.censored_of(index))
        grads = task_gradients(losses.unbind(), step.shared, step.heads)
        records.append(gram_statistics(grads.gram))
    return _describe(records, config, trainer.model.count_parameters())


def _describe(records: list[dict], config: ExperimentConfig, counts: dict) -> dict:
    out: dict = {
        "source": config.source.label,
        "preset": config.preset,
        "method": config.method,
        "batches": len(records),
        "batch_size": config.train.batch_size,
        "parameters": counts,
    }
    for name in ("ratio", "norm_rul", "norm_health", "cosine"):
        values = np.array([r[name] for r in records], dtype=float)
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        out[name] = {"median": median, "q1": q1, "q3": q3, "min": values.min(), "max": values.max()}
    return out
