"""The whole data protocol in one call: fleets in, windows ready for training out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from core.common.errors import DataError, DataWarning
from core.data import health_indicators
from core.data.config import HealthThresholds, PreprocessConfig
from core.data.fleet import UNIT, Fleet, FleetPair
from core.data.holdout import hold_out_test
from core.data.preprocess import (
    ConditionNormaliser,
    FeatureChoice,
    OperatingConditions,
    choose_features,
    detect_conditions,
    rul_targets,
    unit_codes,
    validation_units,
)
from core.data.windows import WindowSet, build_windows

#: Training standard deviations beyond the training range that make a sensor value unfamiliar.
BEYOND_RANGE = 6.0
#: Multiples of the training rows' farthest distance from a condition centre that do the same.
BEYOND_REACH = 2.0


@dataclass
class FittedPipeline:
    """Feature choice, condition model and normaliser fitted on training units.

    Applying it to any fleet (validation, test, a user's in-service export)
    gives windows normalised exactly like the training windows.
    """

    config: PreprocessConfig
    features: FeatureChoice
    conditions: OperatingConditions
    normaliser: ConditionNormaliser
    #: Per feature, the lowest and highest normalised value on the training units.
    low: np.ndarray = field(default_factory=lambda: np.zeros(0))
    high: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: The unit of every RUL: ``cycles`` or ``hours`` (the training fleet's time column's).
    time_unit: str = "cycles"

    @classmethod
    def fit(cls, train: Fleet, config: PreprocessConfig, pair: FleetPair) -> FittedPipeline:
        k, how = _condition_count(train, config, pair)
        conditions = OperatingConditions(k, config.seed).fit(train)
        conditions.how = how
        rows = conditions.assign(train)
        features = choose_features(train, config, None if config.sensors else pair.sensors, rows)
        values = train.frame[list(features.used)].to_numpy(np.float64)
        normaliser = ConditionNormaliser(k, config.eps).fit(values, rows)
        pipeline = cls(config, features, conditions, normaliser, time_unit=train.time_unit)
        seen = pipeline.normalised(train)
        pipeline.low, pipeline.high = seen.min(axis=0), seen.max(axis=0)
        return pipeline

    def normalised(self, fleet: Fleet) -> np.ndarray:
        """The feature columns of every row, z-scored per operating condition."""
        missing = [c for c in self.features.used if c not in fleet.frame.columns]
        if missing:
            raise DataError(f"column(s) {missing} used in training are missing", file=fleet.name)
        values = fleet.frame[list(self.features.used)].to_numpy(np.float64)
        return self.normaliser.transform(values, self.conditions.assign(fleet))

    def unfamiliar(self, fleet: Fleet) -> dict[object, str]:
        """Units whose data lie far outside what the model was trained on, with why.

        A sensor more than :data:`BEYOND_RANGE` training standard deviations
        beyond the range the training units covered, or operating settings
        farther from every condition than :data:`BEYOND_REACH` times the
        farthest training row: the model was never shown such data, so its
        prediction for the unit is a guess, said so rather than shown as an answer.
        """
        if not len(self.low):
            return {}
        values = self.normalised(fleet)
        excess = np.maximum(self.low - values, values - self.high).clip(min=0)
        reach = self.conditions.distances(fleet)
        limit = BEYOND_REACH * self.conditions.reach + 0.5
        codes, ids = unit_codes(fleet)
        notes: dict[object, str] = {}
        for code, unit in enumerate(ids):
            rows = codes == code
            worst = excess[rows].max(axis=0)
            reasons = [
                f"{name} {worst[i]:.0f} sd beyond the training range"
                for i, name in enumerate(self.features.used)
                if worst[i] > BEYOND_RANGE
            ]
            if self.conditions.fitted and reach[rows].max() > limit:
                reasons.append("operating settings unlike any training condition")
            if reasons:
                notes[unit] = "; ".join(reasons)
        return notes

    def windows(self, fleet: Fleet) -> WindowSet:
        """Normalised (and, with ``smoothing`` below 1, smoothed), labelled windows of ``fleet``."""
        normalised = self.normalised(fleet)
        rul = rul_targets(fleet)
        capped = np.minimum(rul, self.config.rul_cap)
        health = self.config.health.classify(np.nan_to_num(capped, nan=self.config.rul_cap))
        codes, ids = unit_codes(fleet)
        if self.config.smoothing < 1.0:
            normalised = smoothed(normalised, codes, self.config.smoothing)
        cycles = fleet.frame["cycle"].to_numpy()
        censored = censored_rows(fleet, rul, self.config.rul_cap)
        return build_windows(
            normalised, codes, cycles, capped, rul, health, ids, self.config.window, censored
        )


def smoothed(values: np.ndarray, codes: np.ndarray, alpha: float) -> np.ndarray:
    """Exponentially smoothed rows, each unit on its own (rows of a unit contiguous, in order).

    ``s_t = alpha x_t + (1 - alpha) s_{t-1}`` from ``s_0 = x_0``: a linear
    filter run by :func:`scipy.signal.lfilter` down each unit's rows, so a
    smoothed reading never depends on a later one (no look-ahead).
    """
    out = np.empty_like(values)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0)
    for start, stop in zip(starts, [*starts[1:], len(codes)], strict=True):
        block = values[start:stop]
        initial = (1.0 - alpha) * block[:1]  # lfilter state so that s_0 = x_0
        out[start:stop], _ = lfilter([alpha], [1.0, alpha - 1.0], block, axis=0, zi=initial)
    return out


def censored_rows(fleet: Fleet, rul: np.ndarray, cap: float) -> np.ndarray | None:
    """Rows whose RUL is only a lower bound: a suspended unit's, below the cap.

    A suspended unit was removed before it failed, so at time t it had *at
    least* ``removal - t`` left. Once that bound reaches the cap the capped
    target is known exactly (it is the cap), so only rows below the cap are
    censored. ``None`` when the fleet has no suspended unit.
    """
    if not fleet.suspended:
        return None
    suspended = fleet.frame[UNIT].isin(fleet.suspended).to_numpy()
    return suspended & (rul < cap)


def _condition_count(train: Fleet, config: PreprocessConfig, pair: FleetPair) -> tuple[int, str]:
    """The number of operating conditions: the user's, the source's, else detected."""
    if config.conditions:
        return config.conditions, f"{config.conditions} (set)"
    if pair.conditions:
        return pair.conditions, f"{pair.conditions} (the source's)"
    return detect_conditions(train, config.seed)


@dataclass
class PreparedData:
    """Training, validation and test windows plus everything a summary reports."""

    config: PreprocessConfig
    source: str
    pipeline: FittedPipeline
    train: WindowSet
    val: WindowSet
    test: WindowSet | None
    rows: dict[str, int]
    warnings: list[DataWarning] = field(default_factory=list)
    #: Where the test figures come from, in words ("no test split: ..." when nowhere).
    test_split: str = ""
    #: How many training units failed and how many were suspended, in words.
    unit_status: str = ""
    #: The unit of every RUL and time figure: ``cycles`` or ``hours``.
    time_unit: str = "cycles"
    #: Training units removed before failure (see :attr:`Fleet.suspended`).
    suspended: frozenset = frozenset()
    #: Monotonicity, trendability and prognosability of every sensor on the fitting units
    #: (:func:`core.data.health_indicators.sensor_scores`): one row per sensor.
    sensor_scores: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def features(self) -> tuple[str, ...]:
        return self.pipeline.features.used

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def test_last(self) -> WindowSet | None:
        """The test set: one window per in-service unit, ending at its last cycle."""
        return None if self.test is None else self.test.last_windows()

    def failed_training_windows(self) -> WindowSet:
        """The training windows of failed units only (for models with no censored loss)."""
        if not self.suspended:
            return self.train
        ids = np.array(self.train.unit_ids, dtype=object)
        suspended = np.isin(ids, list(self.suspended))
        return self.train.select(~suspended[self.train.unit])

    def class_counts(self) -> dict[str, dict[str, int]]:
        """Windows per health state in each split (test: last windows)."""
        splits = {"train": self.train, "val": self.val, "test": self.test_last}
        return {
            split: _count_classes(windows.health)
            for split, windows in splits.items()
            if windows is not None
        }


def _count_classes(labels: np.ndarray) -> dict[str, int]:
    counts = np.bincount(labels, minlength=3)
    return {name: int(n) for name, n in zip(HealthThresholds.NAMES, counts, strict=True)}


def prepare(pair: FleetPair, config: PreprocessConfig | None = None) -> PreparedData:
    """Split by unit, fit the pipeline on training units, and window every split."""
    config = config or PreprocessConfig()
    pair = hold_out_test(pair, config)
    units = pair.train.unit_ids
    # Validation figures need a true RUL, so validation units are drawn from the
    # failed units; a fleet without suspensions draws from all of them, as before.
    failed = pair.train.failed_units
    if pair.train.suspended and config.val_fraction > 0 and len(failed) < 2:
        raise DataError(
            f"{pair.train.status_summary()}: validation needs at least 2 failed units "
            "(one held out, one to train on), since a suspended unit's true RUL is unknown",
            file=pair.train.name,
            hint="check the removals file's reasons, or which of them mean failure",
        )
    held_out = validation_units(failed, config.val_fraction, config.seed)
    train_fleet = pair.train.subset([u for u in units if u not in set(held_out)])
    val_fleet = pair.train.subset(held_out)
    pipeline = FittedPipeline.fit(train_fleet, config, pair)
    test = pipeline.windows(pair.test) if pair.test is not None else None
    rows = {"train": train_fleet.n_rows, "val": val_fleet.n_rows}
    if pair.test is not None:
        rows["test"] = pair.test.n_rows
    warnings = list(pair.train.warnings) + (list(pair.test.warnings) if pair.test else [])
    for fleet in (pair.train, pair.test):
        warnings += short_unit_warnings(fleet, config.window) if fleet is not None else []
    warnings += few_validation_units_warnings(pair.train, len(held_out))
    return PreparedData(
        config=config,
        source=pair.source,
        pipeline=pipeline,
        train=pipeline.windows(train_fleet),
        val=pipeline.windows(val_fleet),
        test=test,
        rows=rows,
        warnings=warnings,
        test_split=describe_test_split(pair, config),
        unit_status=describe_unit_status(pair.train),
        time_unit=pair.train.time_unit,
        suspended=pair.train.suspended,
        sensor_scores=health_indicators.sensor_scores(
            train_fleet, conditions=pipeline.conditions.assign(train_fleet), eps=config.eps
        ),
    )


def describe_unit_status(fleet: Fleet) -> str:
    """The failed/suspended counts, and what that means for the figures."""
    text = fleet.status_summary()
    if fleet.suspended:
        text += (
            "; suspended units train with a one-sided (censored) RUL loss, and validation "
            "and test figures come from failed units only"
        )
    return text


#: What a run without test figures reports instead, said wherever a split is summarised.
NO_TEST_SPLIT = "no test split: results will be validation figures"


def describe_test_split(pair: FleetPair, config: PreprocessConfig) -> str:
    """Where the test figures come from, so no one mistakes validation figures for them."""
    if pair.test is None:
        return NO_TEST_SPLIT
    if pair.test.truth_rul is None:
        return f"{NO_TEST_SPLIT} (the in-service fleet has no true RUL)"
    if config.test_units > 0:
        return f"{pair.test.n_units} units held out of the run-to-failure fleet (data seed)"
    return f"the source's in-service fleet ({pair.test.n_units} units with true RUL)"


#: Fewer validation units than this and the summary says what rests on them.
FEW_VALIDATION_UNITS = 10


def few_validation_units_warnings(fleet: Fleet, held_out: int) -> list[DataWarning]:
    """A small fleet's validation split chooses the kept epoch from a handful of units: say so.

    A run's validation RMSE on C-MAPSS FD001's 20 units is worth about ±1.7
    cycles (docs/statistics.md); on 4 units several times that, and early
    stopping, the kept epoch and the intervals' calibration all read it.
    """
    if not 0 < held_out < FEW_VALIDATION_UNITS:
        return []
    why = " (failed units only: a suspended unit's true RUL is unknown)" if fleet.suspended else ""
    return [
        DataWarning(
            f"only {held_out} validation unit(s){why}: the kept epoch, early stopping and the "
            "calibrated intervals rest on them, and one run's validation RMSE is worth several "
            "cycles either way; a larger validation share (--val-fraction, the Data dock's "
            "Validation share) gives more",
            file=fleet.name,
        )
    ]


def short_unit_warnings(fleet: Fleet, window: int) -> list[DataWarning]:
    """Units shorter than a window are kept and front-padded; say so, naming them.

    Shared by ``prepare`` (the CLI's summary and training) and the GUI's import
    check, so both say the same about the same file.
    """
    lengths = fleet.frame.groupby(UNIT, sort=False).size()
    short = lengths[lengths < window]
    if not len(short):
        return []
    shown = ", ".join(str(u) for u in short.index[:10])
    more = f" and {len(short) - 10} more" if len(short) > 10 else ""
    return [
        DataWarning(
            f"{len(short)} unit(s) shorter than the {window}-cycle window were kept "
            f"and front-padded by repeating their first row: {shown}{more}",
            file=fleet.name,
        )
    ]
