"""Seed lists, read the same way by `rulwb compare --seeds` and the Experiment dock."""

from __future__ import annotations

import pytest

from core.comparisons.runner import parse_seeds


@pytest.mark.parametrize(
    ("text", "seeds"),
    [("0", [0]), ("0,1,2", [0, 1, 2]), ("0-4", [0, 1, 2, 3, 4]), ("3 1; 1", [3, 1])],
)
def test_seeds_are_read_the_way_people_type_them(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "at least one seed"), ("a", "'a' is not a whole number"), ("3-1", "runs backwards")],
)
def test_bad_seed_lists_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_seeds(text)
