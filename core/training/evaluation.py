"""Predictions and metrics of a model on a window set (validation, test, in service)."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from core.data.config import HealthThresholds
from core.data.windows import WindowSet
from core.evaluation.metrics import evaluate, regression_metrics
from core.training.batches import DeviceWindows
from core.training.control import TrainingControl


@torch.inference_mode()
def predict(
    model: torch.nn.Module,
    windows: DeviceWindows,
    batch_size: int,
    bf16: bool = False,
    control: TrainingControl | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted RUL (float32) and health-state logits (float32) of every window.

    With ``control``, an abandoned run leaves at the next batch
    (:class:`~core.training.control.RunAbandoned`) instead of after the
    whole pass, which on a large test set takes seconds.
    """
    model.eval()
    ruls, logits = [], []
    autocast = (
        torch.autocast(windows.device.type, dtype=torch.bfloat16)
        if bf16
        else contextlib.nullcontext()
    )
    for start in range(0, len(windows), batch_size):
        if control is not None:
            control.check_abandoned()
        index = torch.arange(start, min(start + batch_size, len(windows)), device=windows.device)
        with autocast:
            rul, logit = model(windows.inputs(index))
        ruls.append(rul.float())
        logits.append(logit.float())
    if not ruls:
        return np.zeros(0, np.float32), np.zeros((0, 3), np.float32)
    return torch.cat(ruls).cpu().numpy(), torch.cat(logits).cpu().numpy()


def validation_figures(windows: WindowSet, rul: np.ndarray, logits: np.ndarray, cap: float) -> dict:
    """Per-epoch validation losses and metrics over every validation window.

    The RUL loss here is plain MSE for every method (AMNL's weighted loss is a
    training device, not a yardstick), so validation curves compare across methods.
    """
    true = torch.as_tensor(windows.rul)
    health = torch.as_tensor(windows.health)
    figures = evaluate(windows.rul, rul, windows.health, logits.argmax(axis=1), cap)
    regression = regression_metrics(windows.rul, rul, cap)
    return {
        "val_loss_rul": float(F.mse_loss(torch.as_tensor(rul), true)),
        "val_loss_health": float(F.cross_entropy(torch.as_tensor(logits), health)),
        "val_rmse": figures["rmse"],
        "val_nasa_mean": regression["nasa_score"] / max(len(windows), 1),
        "val_mae": figures["mae"],
        "val_accuracy": figures["accuracy"],
        "val_macro_f1": figures["macro_f1"],
    }


def test_metrics(last: WindowSet, rul: np.ndarray, logits: np.ndarray, cap: float) -> dict:
    """Headline test metrics: one prediction per unit, capped truth (uncapped beside it).

    The health state is scored against the class of the uncapped truth's capped
    value, which equals the window's label.
    """
    return evaluate(last.rul_uncapped, rul, last.health, logits.argmax(axis=1), cap)


def prediction_table(last: WindowSet, rul: np.ndarray, logits: np.ndarray) -> pd.DataFrame:
    """predictions.csv: one row per test unit."""
    names = np.array(HealthThresholds.NAMES)
    pred_health = logits.argmax(axis=1)
    # The health-state probabilities, so a seed ensemble can average them
    # (core.evaluation.seed_ensembles).
    probability = torch.softmax(torch.as_tensor(logits, dtype=torch.float64), dim=1).numpy()
    return pd.DataFrame(
        {
            "unit": [last.unit_ids[u] for u in last.unit],
            "last_cycle": last.cycle,
            "true_rul": last.rul,
            "true_rul_uncapped": last.rul_uncapped,
            "pred_rul": rul,
            "error": rul - last.rul,
            "true_health": names[last.health],
            "pred_health": names[pred_health],
            **{f"p_{name}": probability[:, k] for k, name in enumerate(names)},
        }
    )


def trajectory_table(
    split: str, windows: WindowSet, rul: np.ndarray, logits: np.ndarray
) -> pd.DataFrame:
    """trajectories.csv rows: every window of every unit of a split."""
    return pd.DataFrame(
        {
            "split": split,
            "unit": [windows.unit_ids[u] for u in windows.unit],
            "cycle": windows.cycle,
            "true_rul": windows.rul,
            "true_rul_uncapped": windows.rul_uncapped,
            "pred_rul": rul,
            "true_health": windows.health,
            "pred_health": logits.argmax(axis=1),
        }
    )
