"""A fleet: the raw table of units and cycles that every data source produces.

Sources (C-MAPSS reader, CSV reader, demo generator) all return :class:`Fleet`
objects with the same canonical layout, so preprocessing never needs to know
where the data came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.common.errors import DataWarning

UNIT = "unit"
CYCLE = "cycle"


@dataclass
class Fleet:
    """Units observed cycle by cycle.

    Attributes
    ----------
    name
        Human-readable origin ("C-MAPSS FD001 train", a file path, "demo fleet").
    frame
        One row per (unit, cycle), sorted by unit (in order of first appearance)
        then cycle. Columns: ``unit``, ``cycle``, the setting columns, the sensor
        columns. Sensors and settings are float64; ``unit`` keeps the user's ids
        (integers or text), ``cycle`` is numeric and strictly increasing within
        a unit.
    sensor_columns
        Candidate feature columns, in file order.
    setting_columns
        Operating-setting columns used for condition clustering (may be empty).
    run_to_failure
        True when every unit ends at failure (training fleets). False for
        in-service fleets, whose units are cut before failure.
    truth_rul
        For in-service fleets: true RUL at each unit's last recorded cycle,
        indexed by unit id; ``None`` when unknown.
    warnings
        Survivable oddities found while reading, with their location. Absurd
        readings (see :mod:`core.data.outliers`) are among them and are already
        replaced in ``frame``, so nothing fitted on it sees them.
    suspended
        Units of a run-to-failure fleet that were removed *before* they failed
        (suspensions, right-censored units in Weibull terms): their last record
        is not a failure, so their RUL there is only known to be at least 0.
        Empty unless a removals file or a status column says otherwise.
    status_source
        Where each unit's failed/suspended status came from (a removals file,
        a status column), ``None`` when every unit is taken as run to failure.
    time_unit
        The unit of the ``cycle`` column and so of every RUL: ``cycles`` or
        ``hours`` (or the time column's own name when neither is known).
    """

    name: str
    frame: pd.DataFrame
    sensor_columns: list[str]
    setting_columns: list[str] = field(default_factory=list)
    run_to_failure: bool = True
    truth_rul: pd.Series | None = None
    warnings: list[DataWarning] = field(default_factory=list)
    suspended: frozenset = frozenset()
    status_source: str | None = None
    time_unit: str = "cycles"

    @property
    def unit_ids(self) -> list:
        """Unit ids in order of first appearance."""
        return list(pd.unique(self.frame[UNIT]))

    @property
    def n_units(self) -> int:
        return int(self.frame[UNIT].nunique())

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def failed_units(self) -> list:
        """Units whose last record is a failure, in :attr:`unit_ids` order."""
        return [unit for unit in self.unit_ids if unit not in self.suspended]

    def status_summary(self) -> str:
        """How many units failed and how many were suspended, in words, with where it came from."""
        n = self.n_units
        if not self.run_to_failure:
            return f"{n} in-service units"
        if self.status_source is None:
            return f"{n} units, all taken as run to failure"
        n_suspended = len(self.suspended & set(self.unit_ids))
        return (
            f"{n} units: {n - n_suspended} failed, {n_suspended} suspended ({self.status_source})"
        )

    def unit_lengths(self) -> np.ndarray:
        """Number of cycles of each unit, in :attr:`unit_ids` order."""
        return self.frame.groupby(UNIT, sort=False).size().to_numpy()

    def subset(self, units: list, name: str | None = None) -> Fleet:
        """The same fleet restricted to ``units`` (kept in this fleet's order)."""
        keep = self.frame[UNIT].isin(units)
        truth = None if self.truth_rul is None else self.truth_rul[self.truth_rul.index.isin(units)]
        return Fleet(
            name=name or self.name,
            frame=self.frame.loc[keep].reset_index(drop=True),
            sensor_columns=list(self.sensor_columns),
            setting_columns=list(self.setting_columns),
            run_to_failure=self.run_to_failure,
            truth_rul=truth,
            warnings=list(self.warnings),
            suspended=self.suspended & set(units),
            status_source=self.status_source,
            time_unit=self.time_unit,
        )


@dataclass
class FleetPair:
    """What a data source yields: a run-to-failure fleet and, optionally, an in-service one.

    ``sensors`` and ``conditions`` are the source's own recommendations (the 14
    informative C-MAPSS sensors, 6 conditions for FD002/FD004); ``None`` lets
    preprocessing decide (constant-column removal, one condition). Explicit
    settings in :class:`~core.data.config.PreprocessConfig` override both.
    """

    train: Fleet
    test: Fleet | None = None
    source: str = ""
    sensors: tuple[str, ...] | None = None
    conditions: int | None = None
