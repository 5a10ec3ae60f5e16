"""What the Data dock's views show, computed with the data on the background thread.

Qt-free: the sensor health-indicator table (:attr:`PreparedData.sensor_scores`
with which sensors are constant and which the model uses) and the Weibull
probability plot's points and fit of the training units' lives
(:mod:`core.baseline.weibull`). Loading a fleet computes both once, off the
GUI thread, beside :func:`core.data.summary.summarise`; the dock's views only
draw them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.baseline.weibull import (
    WeibullFit,
    fit_weibull,
    probability_plot_points,
    training_lives,
)
from core.data.fleet import FleetPair
from core.data.health_indicators import SCORES
from core.data.prepare import PreparedData

#: Columns of :attr:`SensorTable.frame`.
TABLE_COLUMNS = ("sensor", *SCORES, "constant", "used", "note")


@dataclass(frozen=True)
class SensorTable:
    """Every candidate sensor's three scores on the fitting units, and what became of it.

    ``frame`` has one row per sensor in the fleet's column order: ``sensor``,
    ``monotonicity``, ``trendability``, ``prognosability`` (NaN where
    undefined), ``constant`` (standard deviation on the fitting units below
    ``constant_tolerance``: no wear to score), ``used`` (a feature the model
    sees) and ``note`` (why a sensor was left out, as the preprocessing says).
    """

    frame: pd.DataFrame
    #: What the scores were computed on, in words ("24 failed fitting units, ...").
    scored_on: str = ""
    #: The score the features were ranked by ("" when they were not).
    ranked_by: str = ""
    #: How many sensors the ranking kept.
    kept: int = 0

    @property
    def used(self) -> list[str]:
        return self.frame.loc[self.frame["used"], "sensor"].tolist()


@dataclass(frozen=True)
class WeibullPlotData:
    """The probability plot of the training units' lives: median ranks and the fit.

    The lives are those the ``weibull`` baseline fits
    (:func:`core.baseline.weibull.training_lives`): the fitting units' (the
    validation units are left out), a failed unit's life as a failure, a
    suspended unit's last time as a suspension.
    """

    failures: np.ndarray
    suspensions: np.ndarray
    #: Failure times in order and their median-rank unreliability (Johnson, Bernard).
    times: np.ndarray
    unreliability: np.ndarray
    #: The maximum-likelihood fit, or None when it cannot be made (see ``error``).
    fit: WeibullFit | None
    time_unit: str = "cycles"
    error: str = ""


@dataclass(frozen=True)
class DataViews:
    """Everything the Data dock's Sensors and Weibull views draw for one loaded data set."""

    sensors: SensorTable
    weibull: WeibullPlotData


def data_views(pair: FleetPair, data: PreparedData) -> DataViews:
    """Both views of ``data``, prepared from ``pair`` (runs on the background thread)."""
    return DataViews(sensor_table(pair, data), weibull_plot_data(data))


def sensor_table(pair: FleetPair, data: PreparedData) -> SensorTable:
    """:attr:`PreparedData.sensor_scores` with the constant, used and note columns."""
    scores = data.sensor_scores
    if scores.empty or "sensor" not in scores:
        return SensorTable(pd.DataFrame(columns=list(TABLE_COLUMNS)))
    frame = scores[["sensor", *SCORES]].copy().reset_index(drop=True)
    names = frame["sensor"].tolist()
    # The fitting units: the training units left after the validation split (whole units).
    fitting = pair.train.subset(list(data.train.unit_ids))
    present = [name for name in names if name in fitting.frame.columns]
    std = fitting.frame[present].std(ddof=0) if present else pd.Series(dtype=float)
    tolerance = data.config.constant_tolerance
    frame["constant"] = [bool(name in std.index and std[name] < tolerance) for name in names]
    used = set(data.features)
    frame["used"] = [name in used for name in names]
    dropped = data.pipeline.features.dropped
    frame["note"] = [
        "used as a feature" if name in used else str(dropped.get(name, "not used"))
        for name in names
    ]
    ranked_by = data.config.sensors_by
    return SensorTable(
        frame,
        scored_on=str(scores.attrs.get("scored_on", "")),
        ranked_by=ranked_by,
        kept=data.config.sensors_top if ranked_by else 0,
    )


def weibull_plot_data(data: PreparedData) -> WeibullPlotData:
    """Median ranks of the training units' failures and the Weibull fit to their lives."""
    failures, suspensions = training_lives(data.train, data.suspended)
    times, unreliability = probability_plot_points(failures, suspensions)
    fit: WeibullFit | None = None
    error = ""
    try:
        fit = fit_weibull(failures, suspensions)
    except ValueError as exc:
        error = str(exc)
    return WeibullPlotData(
        failures=np.asarray(failures, dtype=np.float64),
        suspensions=np.asarray(suspensions, dtype=np.float64),
        times=times,
        unreliability=unreliability,
        fit=fit,
        time_unit=data.time_unit,
        error=error,
    )
