"""Which epoch's weights a run keeps: the model-selection criterion of a dual-task run.

Selecting on the RUL error alone picks an early epoch at which the health head
may still answer "normal" for every window (measured on FD001: validation
health accuracy 0.56, the share of "normal", at the RUL-selected epoch 5).
A dual-task checkpoint must be judged on both tasks, so the criterion is a
setting recorded with the run, and early stopping and the plateau schedule
follow the same criterion. Every criterion uses validation units only and is
"lower is better":

``rul``
    validation RUL RMSE (cycles).
``health``
    ``1 - validation macro-F1`` of the health state.
``combined``
    ``val_rmse / rul_cap + (1 - val_macro_f1)``: both terms are 0 for a perfect
    model and about 1 for a useless one (an RMSE as large as the RUL cap, a
    macro-F1 of 0), so neither task can be ignored. With the default cap of
    125 cycles, 1.25 cycles of RMSE weigh as much as 0.01 of macro-F1.
"""

from __future__ import annotations

import math

SELECT_ON = ("rul", "health", "combined")
#: What each criterion is called in tables and panels.
LABELS = {
    "rul": "RUL RMSE",
    "health": "health macro-F1",
    "combined": "both tasks (RMSE / cap + 1 − F1)",
}


def selection_score(row: dict, criterion: str, rul_cap: float) -> float:
    """The criterion's value for one epoch's validation figures (lower is better).

    ``row`` needs ``val_rmse`` and ``val_macro_f1``. A non-finite figure gives
    ``inf``, so such an epoch is never selected.
    """
    if criterion not in SELECT_ON:
        raise ValueError(f"select_on must be one of {', '.join(SELECT_ON)}, got {criterion!r}")
    rmse, f1 = float(row["val_rmse"]), float(row["val_macro_f1"])
    if criterion == "rul":
        score = rmse
    elif criterion == "health":
        score = 1.0 - f1
    else:
        score = rmse / rul_cap + (1.0 - f1)
    return score if math.isfinite(score) else math.inf
