"""Test-set metrics of docs/data.md: RMSE, NASA score, MAE, accuracy, macro-F1.

The headline RUL figures are computed on the capped truth ``min(true, cap)``,
because the model is trained on the capped target and the published C-MAPSS
tables are reported that way; the uncapped figures are kept beside them so a
user can see how much the cap flatters the result. Every function returns
plain Python floats and lists, so the result can go straight into JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

#: NASA score time constants: early predictions (d < 0) are penalised less than late ones.
EARLY_SCALE = 13.0
LATE_SCALE = 10.0


def _as_vector(values: ArrayLike, what: str) -> np.ndarray:
    """Flatten to a 1-D float array, refusing empty input and NaN/inf.

    A non-finite prediction means training diverged; silently dropping it
    would report a metric over fewer engines than the user thinks.
    """
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError(f"{what}: no values to evaluate")
    bad = ~np.isfinite(array)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{what}: {int(bad.sum())} of {array.size} values are not finite "
            f"(first at position {first}: {array[first]}); the model may have diverged"
        )
    return array


def _pair(true: ArrayLike, pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validated (true, predicted) vectors of the same length."""
    true_v = _as_vector(true, "true RUL")
    pred_v = _as_vector(pred, "predicted RUL")
    if true_v.shape != pred_v.shape:
        raise ValueError(
            f"true and predicted RUL differ in length ({true_v.size} vs {pred_v.size})"
        )
    return true_v, pred_v


def rmse(true: ArrayLike, pred: ArrayLike) -> float:
    """Root mean squared error over engines."""
    true_v, pred_v = _pair(true, pred)
    return float(np.sqrt(np.mean((pred_v - true_v) ** 2)))


def mae(true: ArrayLike, pred: ArrayLike) -> float:
    """Mean absolute error over engines."""
    true_v, pred_v = _pair(true, pred)
    return float(np.mean(np.abs(pred_v - true_v)))


def nasa_score(true: ArrayLike, pred: ArrayLike) -> float:
    """NASA asymmetric scoring function, summed over engines.

    With ``d = pred - true``: ``exp(-d/13) - 1`` when early (d < 0) and
    ``exp(d/10) - 1`` when late (d >= 0); late predictions cost more because
    they risk a failure in service.
    """
    true_v, pred_v = _pair(true, pred)
    d = pred_v - true_v
    early = np.expm1(-np.minimum(d, 0.0) / EARLY_SCALE)
    late = np.expm1(np.maximum(d, 0.0) / LATE_SCALE)
    return float(np.sum(np.where(d < 0, early, late)))


def regression_metrics(true_rul: ArrayLike, pred_rul: ArrayLike, cap: float) -> dict[str, float]:
    """RMSE, NASA score and MAE on the capped truth, plus the uncapped figures.

    Parameters
    ----------
    true_rul
        True RUL per engine (uncapped, as in ``RUL_FDxxx.txt``).
    pred_rul
        Predicted RUL per engine.
    cap
        RUL cap of the piecewise-linear target (125 by default).

    Returns
    -------
    dict
        ``rmse``, ``nasa_score``, ``mae`` (capped truth, the headline) and
        ``rmse_uncapped``, ``nasa_score_uncapped``, ``mae_uncapped``.
    """
    true_v, pred_v = _pair(true_rul, pred_rul)
    capped = np.minimum(true_v, float(cap))
    return {
        "rmse": rmse(capped, pred_v),
        "nasa_score": nasa_score(capped, pred_v),
        "mae": mae(capped, pred_v),
        "rmse_uncapped": rmse(true_v, pred_v),
        "nasa_score_uncapped": nasa_score(true_v, pred_v),
        "mae_uncapped": mae(true_v, pred_v),
    }


def _as_labels(values: ArrayLike, what: str, n_classes: int) -> np.ndarray:
    """Integer class labels in ``[0, n_classes)``, refusing anything else."""
    array = _as_vector(values, what)
    labels = array.astype(np.int64)
    if np.any(labels != array) or np.any((labels < 0) | (labels >= n_classes)):
        raise ValueError(f"{what}: labels must be integers in 0..{n_classes - 1}")
    return labels


def health_metrics(true_cls: ArrayLike, pred_cls: ArrayLike, n_classes: int = 3) -> dict[str, Any]:
    """Health-state accuracy, macro-F1 and confusion matrix.

    Macro-F1 always averages over all ``n_classes`` labels (a class absent
    from both truth and prediction scores 0 rather than warning), so runs
    on different test sets stay comparable.

    Returns
    -------
    dict
        ``accuracy`` (float), ``macro_f1`` (float) and ``confusion``
        (``n_classes`` x ``n_classes`` list of ints, rows are the true class).
    """
    true_v = _as_labels(true_cls, "true health state", n_classes)
    pred_v = _as_labels(pred_cls, "predicted health state", n_classes)
    if true_v.shape != pred_v.shape:
        raise ValueError(
            f"true and predicted health states differ in length ({true_v.size} vs {pred_v.size})"
        )
    labels = list(range(n_classes))
    f1 = f1_score(true_v, pred_v, labels=labels, average="macro", zero_division=0)
    confusion = confusion_matrix(true_v, pred_v, labels=labels)
    return {
        "accuracy": float(accuracy_score(true_v, pred_v)),
        "macro_f1": float(f1),
        "confusion": [[int(c) for c in row] for row in confusion],
    }


def evaluate(
    true_rul: ArrayLike,
    pred_rul: ArrayLike,
    true_cls: ArrayLike,
    pred_cls: ArrayLike,
    cap: float,
) -> dict[str, Any]:
    """All test metrics of a dual-task run in one JSON-ready dict.

    Raises
    ------
    ValueError
        If any prediction is NaN or infinite, or the arrays disagree in length.
    """
    return {
        **regression_metrics(true_rul, pred_rul, cap),
        **health_metrics(true_cls, pred_cls),
    }


def majority_baseline(true_cls: ArrayLike, n_classes: int = 3) -> dict[str, float]:
    """Accuracy and macro-F1 of always predicting the most common true health state.

    The yardstick for the health head: on C-MAPSS test sets "normal" alone is
    right for about half the engines, so an accuracy means little without it.
    """
    true_v = _as_labels(true_cls, "true health state", n_classes)
    if true_v.size == 0:
        return {"majority_accuracy": float("nan"), "majority_macro_f1": float("nan")}
    majority = np.full_like(true_v, np.bincount(true_v, minlength=n_classes).argmax())
    figures = health_metrics(true_v, majority, n_classes)
    return {"majority_accuracy": figures["accuracy"], "majority_macro_f1": figures["macro_f1"]}
