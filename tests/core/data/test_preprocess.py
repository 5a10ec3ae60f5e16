"""The data protocol: training-only statistics, unit split, labels, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.config import HealthThresholds, PreprocessConfig
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.prepare import prepare
from core.data.preprocess import validation_units

SMALL = DemoConfig(train_units=30, test_units=10)


def test_health_thresholds_classify_boundaries():
    labels = HealthThresholds().classify(np.array([125, 81, 80, 31, 30, 0]))
    assert labels.tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="critical"):
        HealthThresholds(degrading=20, critical=30)


def test_validation_split_is_by_unit_and_seeded():
    units = list(range(100))
    val = validation_units(units, 0.2, seed=3)
    assert len(val) == 20 and val == validation_units(units, 0.2, seed=3)
    assert val != validation_units(units, 0.2, seed=4)
    assert validation_units([1, 2], 0.2, 0) and validation_units([1, 2], 0.0, 0) == []


def test_normalisation_uses_training_units_only():
    data = prepare(make_demo_fleet(SMALL))
    rows = data.train.rows
    assert np.allclose(rows.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(rows.std(axis=0), 1, atol=1e-3)
    assert not np.allclose(data.val.rows.mean(axis=0), 0, atol=1e-5), "val not refitted"


def test_rul_is_piecewise_linear_and_capped():
    data = prepare(make_demo_fleet(SMALL), PreprocessConfig(rul_cap=100))
    first = data.train.of_unit(0)
    assert first.rul.max() == 100 and first.rul[-1] == 0
    assert np.all(np.diff(first.rul_uncapped) == -1)
    assert np.array_equal(first.rul, np.minimum(first.rul_uncapped, 100))


def test_same_seed_same_data_and_other_seed_other_split():
    a = prepare(make_demo_fleet(SMALL))
    b = prepare(make_demo_fleet(SMALL))
    assert np.array_equal(a.train.rows, b.train.rows)
    c = prepare(make_demo_fleet(SMALL), PreprocessConfig(seed=1))
    assert set(a.val.unit_ids[u] for u in np.unique(a.val.unit)) != set(
        c.val.unit_ids[u] for u in np.unique(c.val.unit)
    )


def test_explicit_sensors_and_settings_as_features():
    config = PreprocessConfig(sensors=("s2", "s3"), include_settings=True)
    data = prepare(make_demo_fleet(SMALL), config)
    assert data.features == ("s2", "s3", "setting_1", "setting_2", "setting_3")
    assert data.pipeline.features.dropped["s4"] == "not selected"


def test_config_round_trip():
    config = PreprocessConfig(window=20, health=HealthThresholds(70, 20), sensors=("s2",))
    assert PreprocessConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown"):
        PreprocessConfig.from_dict({"windwo": 3})


def test_smoothing_is_exponential_per_unit_and_causal():
    """alpha < 1 smooths each unit's rows like pandas' ewm(adjust=False), never across units."""
    import pandas as pd

    from core.data.prepare import smoothed

    values = np.random.default_rng(0).normal(size=(12, 3))
    codes = np.array([0] * 5 + [1] * 7)
    out = smoothed(values, codes, 0.3)
    frame = pd.DataFrame(values).groupby(codes)
    expected = frame.transform(lambda g: g.ewm(alpha=0.3, adjust=False).mean()).to_numpy()
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert out[5].tolist() == values[5].tolist()  # a unit starts from its own first reading
    later = values.copy()
    later[9:] += 100.0  # a change in later readings never reaches earlier smoothed values
    np.testing.assert_array_equal(smoothed(later, codes, 0.3)[:9], out[:9])


def test_smoothing_setting_reaches_the_windows():
    plain = prepare(make_demo_fleet(SMALL))
    smooth = prepare(make_demo_fleet(SMALL), PreprocessConfig(smoothing=0.2))
    assert smooth.train.rows.shape == plain.train.rows.shape
    # smoothing lowers the cycle-to-cycle variation of every feature
    assert np.diff(smooth.train.rows, axis=0).std() < 0.6 * np.diff(plain.train.rows, axis=0).std()
