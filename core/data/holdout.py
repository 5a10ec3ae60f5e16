"""A test set held out of a run-to-failure file, for a user's fleet that has no test file.

A user's own export is usually one run-to-failure file. Without a test set every
figure a run reports is a validation figure: the validation units also chose
the kept epoch, so those figures flatter the model. Holding out whole units
before anything is fitted gives an honest test set, made the way NASA made
C-MAPSS's: each held-out unit is cut at a random point of its life and its
true RUL is the number of cycles it had left.

The choice depends on the data seed only (like the validation split), so every
run of a comparison sees the same test units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.common.errors import DataError
from core.data.config import PreprocessConfig
from core.data.fleet import CYCLE, UNIT, Fleet, FleetPair

#: A held-out unit keeps this share of its life, drawn uniformly (the demo's in-service range).
KEPT_SHARE = (0.25, 0.97)
#: Stream of the data seed used here, apart from the validation split's.
_STREAM = 1


def count_test_units(n_units: int, test_units: float) -> int:
    """How many units ``test_units`` asks for: a share below 1, else a count; 0 is none."""
    if test_units <= 0:
        return 0
    if test_units < 1:
        return max(round(test_units * n_units), 1)
    return int(test_units)


def held_out_units(units: list, test_units: float, seed: int) -> list:
    """Seeded choice of whole units for the test set, in the fleet's order."""
    n_test = count_test_units(len(units), test_units)
    order = np.random.default_rng([seed, _STREAM]).permutation(len(units))
    return [units[i] for i in sorted(order[:n_test])]


def hold_out_test(pair: FleetPair, config: PreprocessConfig) -> FleetPair:
    """``pair`` with ``config.test_units`` of its training units moved to a cut test fleet.

    Raises
    ------
    DataError
        When the source has a test fleet of its own, or too few units would
        be left to train and validate on.
    """
    if config.test_units <= 0:
        return pair
    if pair.test is not None:
        raise DataError(
            f"{pair.source} has a test fleet of its own; held-out test units are for a "
            "source without one",
            hint="set --test-units 0",
        )
    units = pair.train.unit_ids
    # Only failed units have a true RUL to score against; a fleet without
    # suspensions chooses among all its units, exactly as before.
    chosen = held_out_units(pair.train.failed_units, config.test_units, config.seed)
    if len(units) - len(chosen) < 2:
        raise DataError(
            f"holding out {len(chosen)} of {len(units)} units as a test set leaves fewer than "
            "2 to train and validate on",
            file=pair.train.name,
            hint="hold out fewer units with --test-units",
        )
    kept = set(chosen)
    train = pair.train.subset([u for u in units if u not in kept])
    test = cut_units(pair.train.subset(chosen), config.seed)
    return FleetPair(train, test, pair.source, pair.sensors, pair.conditions)


def cut_units(fleet: Fleet, seed: int) -> Fleet:
    """Each unit cut at a seeded point of its life, as an in-service fleet with its truth.

    A unit of L cycles keeps between 1 and L - 1 of them, so its truth (the
    cycles it had left, in the file's time unit) is positive.
    """
    rng = np.random.default_rng([seed, _STREAM, 1])
    frame = fleet.frame
    lengths = frame.groupby(UNIT, sort=False).size()
    life = lengths.to_numpy()
    shares = rng.uniform(*KEPT_SHARE, len(life))
    kept = np.clip((life * shares).astype(int), 1, np.maximum(life - 1, 1))
    position = frame.groupby(UNIT, sort=False).cumcount().to_numpy()
    limit = frame[UNIT].map(pd.Series(kept, index=lengths.index)).to_numpy()
    shown = frame.loc[position < limit].reset_index(drop=True)
    last = frame.groupby(UNIT, sort=False)[CYCLE].max()
    truth = (last - shown.groupby(UNIT, sort=False)[CYCLE].max()).astype(float)
    truth.index.name, truth.name = UNIT, "rul"
    return Fleet(
        name=f"{fleet.name} (held-out test units)",
        frame=shown,
        sensor_columns=list(fleet.sensor_columns),
        setting_columns=list(fleet.setting_columns),
        run_to_failure=False,
        truth_rul=truth,
        time_unit=fleet.time_unit,
    )
