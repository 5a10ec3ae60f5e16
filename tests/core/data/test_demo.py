"""The demo fleet: deterministic, C-MAPSS-like, learnable, all health states present."""

from __future__ import annotations

import numpy as np

from core.data.demo import DemoConfig, make_demo_fleet
from core.data.prepare import prepare


def test_deterministic_for_a_seed():
    a, b = make_demo_fleet(), make_demo_fleet()
    assert a.train.frame.equals(b.train.frame) and a.test.truth_rul.equals(b.test.truth_rul)
    other = make_demo_fleet(DemoConfig(seed=1))
    assert not a.train.frame.equals(other.train.frame)


def test_looks_like_cmapss():
    pair = make_demo_fleet()
    lengths = pair.train.unit_lengths()
    assert pair.train.n_units == 200 and pair.test.n_units == 100
    assert lengths.min() >= 128 and 170 < lengths.mean() < 260
    data = prepare(pair)
    counts = data.class_counts()
    for split in ("train", "val", "test"):
        assert all(n > 0 for n in counts[split].values()), split
    dropped = data.pipeline.features.dropped
    assert {"s1", "s5", "s10", "s18", "s19"} <= set(dropped)


def test_degradation_shows_in_chosen_sensors():
    data = prepare(make_demo_fleet())
    last_rows = data.train.rows[data.train.ends]
    corr = [abs(np.corrcoef(last_rows[:, j], data.train.rul)[0, 1]) for j in range(data.n_features)]
    by_name = dict(zip(data.features, corr, strict=True))
    assert by_name["s6"] < 0.1, "s6 is pure noise"
    strong = [name for name, c in by_name.items() if c > 0.5]
    assert len(strong) >= 8, by_name


def test_in_service_truth_matches_cut():
    pair = make_demo_fleet()
    truth = pair.test.truth_rul
    assert (truth > 0).all() and truth.index.tolist() == pair.test.unit_ids
    data = prepare(pair)
    assert np.allclose(data.test_last.rul_uncapped, truth.to_numpy())


def test_multi_condition_demo_recovers_conditions():
    pair = make_demo_fleet(DemoConfig(train_units=40, test_units=10, conditions=6))
    data = prepare(pair)
    clusters = data.pipeline.conditions.assign(pair.train)
    rounded = pair.train.frame["setting_1"].round(0).to_numpy()
    assert len(set(zip(clusters.tolist(), rounded.tolist(), strict=True))) == 6
