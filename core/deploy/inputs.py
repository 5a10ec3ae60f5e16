"""What an exported model takes in: the columns, and raw windows or histories built from a fleet.

No torch here: a program that feeds an exported model needs only numpy and
the fleet. A run without smoothing takes one window per engine
(:func:`raw_windows`, front-padded as training did); a run trained with
``--smoothing`` takes each engine's history from its first record
(:func:`raw_histories`), of which readings older than :func:`history_horizon`
weigh under 1e-9.
"""

from __future__ import annotations

import numpy as np

from core.common.errors import WorkbenchError
from core.data.fleet import Fleet
from core.data.prepare import FittedPipeline
from core.data.preprocess import unit_codes

#: The input's name in the exported graph.
INPUT = "readings"


def input_columns(pipeline: FittedPipeline) -> tuple[str, ...]:
    """The input's columns: the run's features, then settings the condition model needs."""
    used = tuple(pipeline.features.used)
    settings = pipeline.conditions.settings if pipeline.conditions.fitted else ()
    return used + tuple(s for s in settings if s not in used)


def history_horizon(alpha: float, negligible: float = 1e-9) -> int:
    """Records after which a reading's weight in the smoothed value is below ``negligible``."""
    return int(np.ceil(np.log(negligible) / np.log(1.0 - alpha))) if alpha < 1.0 else 0


def raw_windows(
    fleet: Fleet, columns: tuple[str, ...] | list[str], window: int, last_only: bool = False
) -> tuple[np.ndarray, list, np.ndarray]:
    """Raw windows of ``columns`` the way training windowed them: ``[n, window, columns]``.

    Stride 1 over each unit (units and cycles in the fleet's order), a unit
    shorter than ``window`` front-padded with its first row, float64. Returns
    the windows, each window's unit id and the cycle it ends at; ``last_only``
    keeps one window per unit (its latest), what an engine in service is scored on.
    """
    windows, units, ends = [], [], []
    for history, unit, cycles in zip(*raw_histories(fleet, columns), strict=True):
        rows = np.arange(len(history))
        padded = np.r_[np.repeat(rows[:1], max(window - len(rows), 0)), rows]
        starts = (
            range(len(padded) - window, len(padded) - window + 1)
            if last_only
            else range(len(padded) - window + 1)
        )
        for start in starts:
            windows.append(history[padded[start : start + window]])
            units.append(unit)
            ends.append(cycles[padded[start + window - 1]])
    shape = (0, window, len(columns))
    return (np.stack(windows) if windows else np.zeros(shape)), units, np.asarray(ends)


def raw_histories(
    fleet: Fleet, columns: tuple[str, ...] | list[str]
) -> tuple[list[np.ndarray], list, list[np.ndarray]]:
    """Each engine's raw readings from its first record (``[time, columns]``, float64).

    The input of a model exported from a run with smoothing (feed one engine at
    a time, or several histories of one length). Returns the histories, the
    units and each history's cycles.
    """
    missing = [c for c in columns if c not in fleet.frame.columns]
    if missing:
        raise WorkbenchError(f"{fleet.name}: column(s) {missing} of the exported model missing")
    values = fleet.frame[list(columns)].to_numpy(np.float64)
    cycles = fleet.frame["cycle"].to_numpy()
    codes, ids = unit_codes(fleet)
    rows = [np.flatnonzero(codes == code) for code in range(len(ids))]
    return [values[r] for r in rows], list(ids), [cycles[r] for r in rows]
