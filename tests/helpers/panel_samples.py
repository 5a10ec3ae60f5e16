"""Synthetic records for the panel tests: what the trainer and the run store hand the panels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.evaluation.statistics import summarise
from core.training.events import PredictionsEvent

LOSS_KEYS = ("train_loss_rul", "val_loss_rul", "train_loss_health", "val_loss_health")


def loss_rows(n: int = 12) -> list[dict]:
    rows = []
    for epoch in range(1, n + 1):
        row = {"epoch": epoch, "train_loss_total": 50.0 / epoch}
        row.update({key: (i + 1) * 100.0 / epoch for i, key in enumerate(LOSS_KEYS)})
        rows.append(row)
    return rows


def probe_records(n: int = 60) -> list[dict]:
    rng = np.random.default_rng(3)
    records = []
    for step in range(0, 5 * n, 5):
        rul, health = 10 ** rng.normal(1, 0.3), 10 ** rng.normal(-0.5, 0.2)
        records.append(
            {
                "step": step,
                "norm_rul": rul,
                "norm_health": health,
                "ratio": rul / health,
                "effective_ratio": 0.05 * rul / health,
                "cosine": float(np.clip(rng.normal(0.1, 0.3), -1, 1)),
            }
        )
    return records


def predictions_event(split: str = "val", epoch: int = 3, shift: float = 0.0) -> PredictionsEvent:
    """Three engines with ids 'A7', 'B2', 'C9', windows deliberately out of cycle order."""
    rng = np.random.default_rng(epoch)
    units, cycles = [], []
    for code, life in enumerate((40, 55, 30)):
        cycle = rng.permutation(np.arange(1, life + 1))
        units.append(np.full(life, code))
        cycles.append(cycle)
    unit, cycle = np.concatenate(units), np.concatenate(cycles).astype(float)
    life = np.array([40, 55, 30])[unit]
    true = np.minimum(125.0, life - cycle)
    pred = (true + shift + rng.normal(0, 3, size=true.size)).astype(np.float32)
    health = np.where(pred > 80, 0, np.where(pred > 30, 1, 2))
    return PredictionsEvent(epoch, split, ("A7", "B2", "C9"), unit, cycle, true, pred, health)


def prediction_frame(n: int = 40) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(5)
    true = rng.uniform(0, 125, n)
    pred = true + rng.normal(0, 10, n)
    names = np.array(["normal", "degrading", "critical"])
    true_state = np.where(true > 80, 0, np.where(true > 30, 1, 2))
    pred_state = np.where(pred > 80, 0, np.where(pred > 30, 1, 2))
    frame = pd.DataFrame(
        {
            "unit": np.arange(1, n + 1),
            "true_rul": true,
            "pred_rul": pred,
            "error": pred - true,
            "true_health": names[true_state],
            "pred_health": names[pred_state],
        }
    )
    confusion = np.zeros((3, 3), int)
    np.add.at(confusion, (true_state, pred_state), 1)
    metrics = {"rmse": 10.2, "nasa_score": 321.0, "mae": 8.1, "accuracy": 0.85, "macro_f1": 0.8}
    return frame, {**metrics, "confusion": confusion.tolist()}


def comparison_data(seeds: int = 6):
    rng = np.random.default_rng(2)
    rows, curves = [], {}
    for method, base in (("fixed", 16.0), ("gaba", 14.0), ("my_method", 15.0)):
        for seed in range(seeds):
            rmse = base + rng.normal(0, 0.5)
            rows.append(
                {
                    "method": method,
                    "seed": seed,
                    "status": "finished",
                    "rmse": rmse,
                    "nasa_score": 300 + 10 * rmse,
                    "accuracy": 0.9,
                    "macro_f1": 0.8,
                    "seconds": 60.0 + seed,
                }
            )
            epochs = np.arange(1, 11)
            curves[f"{method}-s{seed}"] = (method, epochs, base + 20 / epochs)
    runs = pd.DataFrame(rows)
    return runs, summarise(runs.drop(columns="status")), curves


def weight_steps(n: int = 300, jump: int = 40) -> list[tuple[int, dict]]:
    """Task weights that jump at step ``jump``: λ_health to near the top of the plot."""
    before = {"lambda_rul": 1.0, "lambda_health": 1.0}
    after = {"lambda_rul": 0.05, "lambda_health": 1.95}
    return [(step, before if step < jump else after) for step in range(n)]
