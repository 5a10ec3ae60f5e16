"""Prognostic metrics on RUL trajectories: α-λ accuracy, prognostic horizon, RA and CRA.

The PHM community's yardsticks for a prognoser judged over an engine's whole
life rather than at one point, after Saxena, Celaya, Saha, Saha & Goebel,
"Metrics for Offline Evaluation of Prognostic Performance", International
Journal of Prognostics and Health Management 1 (2010) (first in Saxena et al.,
PHM 2008), as NASA's prognostics libraries implement them
(``prog_algs.metrics.toe_profile_metrics`` / ProgPy; the MATLAB
PrognosticsMetricsLibrary's ``relativeAccuracy.m`` and ``plotAlphaLambda.m``).

Notation, per engine: prediction times ``t`` (the last cycle of each window),
``t_P`` the first of them, ``t_EoL`` the end of life (failure time),
``r*(t)`` the true RUL and ``r(t)`` the predicted RUL; α the accuracy
modifier (default :data:`ALPHA` = 0.2) and λ the share of the prediction span
(default :data:`LAMBDA` = 0.5).

* **α-λ accuracy**: at ``t_λ = t_P + λ (t_EoL − t_P)``, is
  ``(1 − α) r*(t_λ) ≤ r(t_λ) ≤ (1 + α) r*(t_λ)``? The α cone narrows to the
  failure time. Predictions exist only at whole windows, so, as ProgPy does,
  the first prediction at or after ``t_λ`` is used.
* **α-λ fraction**: the share of the engine's prediction times (``r* > 0``,
  i.e. λ < 1) at which the prediction lies in the cone.
* **Prognostic horizon**: ``PH = t_EoL − t_i``, where ``t_i`` is the first
  prediction time from which every later prediction stays within the
  α-bounds ``r*(t) ± α · t_EoL`` (Saxena 2010's bounds: a constant width, α
  times the engine's life). Saxena and ProgPy take the first time the
  criterion holds; here the predictions must also *stay* within (the
  variant :func:`engine_figures` uses by default, ``stay=True``), because a
  window-by-window network prediction that touches the band once and leaves
  it again gives no warning a maintainer could act on. An engine whose last
  prediction is outside the bounds has PH = 0. ``PH share`` is PH over the
  span predicted, ``t_EoL − t_P`` (1: within the bounds from the first
  prediction on).
* **Relative accuracy**: ``RA_λ = 1 − |r*(t_λ) − r(t_λ)| / r*(t_λ)``; 1 is
  exact, it has no lower bound.
* **Cumulative relative accuracy**: ``CRA = mean over t of RA(t)``, uniform
  weights over the engine's prediction times with ``r* > 0``.

Truth is the **capped** RUL ``min(RUL, cap)``, like the headline RMSE and the
target the models learn; the end of life is the uncapped one, ``t + RUL(t)``.
At failure ``r* = 0``, where the cone has no width and RA divides by zero, so
λ stays below 1 and windows with ``r* = 0`` are left out of the α-λ fraction
and the CRA (the prognostic horizon keeps them: its bounds have a width).
In-service (test) engines are cut before failure: their trajectory covers
only part of life, ``t_EoL`` is their last cycle plus the truth, and each
figure is computed on the predictions that exist; an engine whose record ends
before ``t_λ`` has no α-λ accuracy or RA (it is left out of those means).

Qt-free and plain numpy/pandas: :func:`alpha_cone` is what the GUI's
trajectory view draws. docs/prognostics.md has the definitions with the
choices made.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

#: Accuracy modifier α: the cone is ±20 % of the true RUL, the PH bounds ±20 % of the life.
ALPHA = 0.2
#: λ at which the α-λ accuracy and the relative accuracy are read (half-way to failure).
LAMBDA = 0.5
#: metrics.json's keys (test figures; the validation ones carry a ``val_`` prefix).
KEYS = (
    "alpha_lambda",
    "alpha_lambda_fraction",
    "prognostic_horizon",
    "prognostic_horizon_share",
    "relative_accuracy",
    "cumulative_relative_accuracy",
)
#: Columns a trajectory table needs (trajectories.csv has them).
COLUMNS = ("unit", "cycle", "true_rul", "true_rul_uncapped", "pred_rul")


def alpha_cone(true_rul: ArrayLike, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """The α cone around the true RUL: ``((1 − α) r*, (1 + α) r*)``.

    What the α-λ accuracy tests against, and what a trajectory plot shades.
    """
    true = np.asarray(true_rul, dtype=np.float64)
    _check_alpha(alpha)
    return (1.0 - alpha) * true, (1.0 + alpha) * true


def horizon_bounds(
    true_rul: ArrayLike, eol: float, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """The prognostic horizon's α-bounds: ``r* ± α · t_EoL`` (a band of constant width)."""
    true = np.asarray(true_rul, dtype=np.float64)
    _check_alpha(alpha)
    return true - alpha * eol, true + alpha * eol


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"α must be between 0 and 1, got {alpha}")


def engine_figures(
    time: ArrayLike,
    true_rul: ArrayLike,
    pred_rul: ArrayLike,
    eol: float,
    alpha: float = ALPHA,
    lam: float = LAMBDA,
    stay: bool = True,
) -> dict[str, float]:
    """The prognostic figures of one engine's trajectory (module docstring: definitions).

    Parameters
    ----------
    time
        Prediction times (cycles, or the source's time unit), any order.
    true_rul
        True RUL at each time (the capped truth, as everywhere in the metrics).
    pred_rul
        Predicted RUL at each time.
    eol
        The engine's end of life ``t_EoL`` (failure time) in the same unit.
    alpha, lam
        α (cone half-width as a share of the true RUL, PH bounds as a share of
        ``t_EoL``) and λ (where the α-λ accuracy and RA are read), λ in [0, 1).
    stay
        Prognostic horizon from the first time after which the predictions stay
        within the bounds (default); False: from the first time they are within
        (Saxena 2010, ProgPy).

    Returns
    -------
    dict
        :data:`KEYS` as floats; ``alpha_lambda`` is 1.0 or 0.0. NaN where a
        figure is undefined (no prediction at or after ``t_λ``, or none with
        ``r* > 0``).
    """
    _check_alpha(alpha)
    if not 0.0 <= lam < 1.0:
        raise ValueError(f"λ must be in [0, 1): at λ = 1 the true RUL is 0, got {lam}")
    arrays = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (time, true_rul, pred_rul))
    t, true, pred = arrays
    if not t.size or t.shape != true.shape or t.shape != pred.shape:
        raise ValueError(f"a trajectory needs as many times, truths and predictions ({t.size}, "
                         f"{true.size}, {pred.size}), at least one")  # fmt: skip
    if not (np.isfinite(t).all() and np.isfinite(true).all() and np.isfinite(pred).all()):
        raise ValueError("a trajectory holds a non-finite time, truth or prediction")
    if not math.isfinite(eol):
        raise ValueError(f"end of life must be finite, got {eol}")
    order = np.argsort(t, kind="stable")
    t, true, pred = t[order], true[order], pred[order]
    lower, upper = alpha_cone(true, alpha)
    in_cone = (pred >= lower) & (pred <= upper)
    alive = true > 0
    ra = np.full(t.shape, math.nan)
    ra[alive] = 1.0 - np.abs(true[alive] - pred[alive]) / true[alive]
    first = float(t[0])
    t_lambda = first + lam * (eol - first)
    at = np.flatnonzero(t >= t_lambda - 1e-9)
    k = int(at[0]) if at.size and alive[at[0]] else None
    horizon = _horizon(t, true, pred, eol, alpha, stay)
    span = eol - first
    return {
        "alpha_lambda": math.nan if k is None else float(in_cone[k]),
        "alpha_lambda_fraction": float(in_cone[alive].mean()) if alive.any() else math.nan,
        "prognostic_horizon": horizon,
        "prognostic_horizon_share": horizon / span if span > 0 else math.nan,
        "relative_accuracy": math.nan if k is None else float(ra[k]),
        "cumulative_relative_accuracy": float(ra[alive].mean()) if alive.any() else math.nan,
    }


def _horizon(
    t: np.ndarray, true: np.ndarray, pred: np.ndarray, eol: float, alpha: float, stay: bool
) -> float:
    """``t_EoL − t_i``: ``t_i`` the first time (from which every prediction stays) within
    ``r* ± α t_EoL``; 0 when there is none (times sorted)."""
    low, high = horizon_bounds(true, eol, alpha)
    within = (pred >= low) & (pred <= high)
    if stay:
        outside = np.flatnonzero(~within)
        start = 0 if not outside.size else int(outside[-1]) + 1
    else:
        inside = np.flatnonzero(within)
        start = int(inside[0]) if inside.size else t.size
    return 0.0 if start >= t.size else max(0.0, float(eol - t[start]))


def per_engine(
    table: pd.DataFrame, alpha: float = ALPHA, lam: float = LAMBDA, stay: bool = True
) -> pd.DataFrame:
    """:func:`engine_figures` of every engine of a trajectory table, one row per unit.

    ``table`` has :data:`COLUMNS` (trajectories.csv's rows of one split): the
    capped truth ``true_rul`` and the end of life ``cycle + true_rul_uncapped``
    of the engine's last row. Engines without a finite truth (in-service units
    without a truth file) are left out.
    """
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"a trajectory table needs column(s) {missing}")
    rows = []
    for unit, engine in table.groupby("unit", sort=False):
        engine = engine.sort_values("cycle", kind="stable")
        truth = engine[["true_rul", "true_rul_uncapped"]].to_numpy(dtype=np.float64)
        if not np.isfinite(truth).all():
            continue
        eol = float(engine["cycle"].iloc[-1]) + float(engine["true_rul_uncapped"].iloc[-1])
        figures = engine_figures(engine["cycle"], engine["true_rul"], engine["pred_rul"], eol,
                                 alpha, lam, stay)  # fmt: skip
        rows.append({"unit": unit, "eol": eol, **figures})
    return pd.DataFrame(rows, columns=["unit", "eol", *KEYS])


def prognostic_metrics(
    table: pd.DataFrame, prefix: str = "", alpha: float = ALPHA, lam: float = LAMBDA
) -> dict[str, float]:
    """The prognostic figures of a split, each the mean over its engines, JSON-ready.

    ``alpha_lambda`` is thus the share of engines whose prediction at ``t_λ``
    lies in the α cone. Each mean is over the engines where the figure is
    defined; ``{prefix}prognostic_engines`` counts the engines with a known
    truth and ``{prefix}alpha_lambda_engines`` those with a prediction at
    ``t_λ``. Every figure is NaN for a split without such an engine.
    """
    engines = per_engine(table, alpha, lam)
    figures: dict[str, float] = {}
    for key in KEYS:
        values = engines[key].dropna()
        figures[f"{prefix}{key}"] = float(values.mean()) if len(values) else math.nan
    figures[f"{prefix}prognostic_engines"] = len(engines)
    figures[f"{prefix}alpha_lambda_engines"] = int(engines["alpha_lambda"].notna().sum())
    return figures
