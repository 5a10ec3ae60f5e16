"""A test set held out of a single run-to-failure file (``PreprocessConfig.test_units``)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from core.common.errors import DataError
from core.common.settings import add_arguments, from_args
from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet import CYCLE, UNIT, FleetPair
from core.data.holdout import count_test_units, hold_out_test
from core.data.prepare import NO_TEST_SPLIT, prepare

DEMO = make_demo_fleet(DemoConfig(train_units=20, test_units=4))
#: A user's export: run-to-failure units only, no test fleet.
ONE_FILE = FleetPair(train=DEMO.train, source="csv:export.csv")


def split_units(config: PreprocessConfig) -> dict[str, set]:
    data = prepare(ONE_FILE, config)
    splits = {"train": data.train, "val": data.val, "test": data.test}
    return {name: set(np.asarray(w.unit_ids)[np.unique(w.unit)]) for name, w in splits.items()}


def test_held_out_units_never_appear_in_training_or_validation():
    units = split_units(PreprocessConfig(test_units=5))
    assert len(units["test"]) == 5
    assert not units["test"] & units["train"] and not units["test"] & units["val"]
    assert not units["train"] & units["val"]
    assert units["train"] | units["val"] | units["test"] == set(DEMO.train.unit_ids)


def test_the_held_out_units_depend_on_the_data_seed_only():
    first = split_units(PreprocessConfig(test_units=0.25, seed=3))["test"]
    assert split_units(PreprocessConfig(test_units=0.25, seed=3))["test"] == first
    assert split_units(PreprocessConfig(test_units=0.25, seed=4))["test"] != first
    assert len(first) == 5  # a share: 0.25 of 20 units


def test_each_held_out_unit_is_cut_and_its_truth_is_the_life_it_had_left():
    pair = hold_out_test(ONE_FILE, PreprocessConfig(test_units=6, seed=1))
    assert pair.test is not None and not pair.test.run_to_failure
    full = DEMO.train.frame.groupby(UNIT)[CYCLE].max()
    shown = pair.test.frame.groupby(UNIT)[CYCLE].max()
    truth = pair.test.truth_rul
    assert list(truth.index) == list(shown.index)
    np.testing.assert_array_equal(truth.to_numpy(), (full[shown.index] - shown).to_numpy())
    assert (truth > 0).all()
    assert pair.test.n_units == 6 and pair.train.n_units == 14


def test_without_test_units_the_split_says_results_are_validation_figures():
    data = prepare(ONE_FILE, PreprocessConfig())
    assert data.test is None and data.test_split == NO_TEST_SPLIT
    held = prepare(ONE_FILE, PreprocessConfig(test_units=4))
    assert held.test_last is not None and len(held.test_last) == 4
    assert "4 units held out" in held.test_split


def test_a_share_a_count_and_none():
    assert [count_test_units(100, v) for v in (0, 0.2, 20, 0.001)] == [0, 20, 20, 1]
    with pytest.raises(ValueError, match="whole number"):
        PreprocessConfig(test_units=2.5)


@pytest.mark.parametrize(
    ("pair", "message"),
    [(DEMO, "has a test fleet of its own"), (ONE_FILE, "leaves fewer than 2")],
)
def test_an_impossible_hold_out_is_a_clear_error(pair, message):
    with pytest.raises(DataError, match=message):
        prepare(pair, PreprocessConfig(test_units=19))


def test_test_units_is_a_flag_and_a_config_json_field():
    parser = argparse.ArgumentParser()
    add_arguments(parser, PreprocessConfig)
    config = from_args(PreprocessConfig, parser.parse_args(["--test-units", "0.2"]))
    assert config.test_units == 0.2
    saved = config.to_dict()
    assert saved["test_units"] == 0.2
    assert PreprocessConfig.from_dict(saved) == config
