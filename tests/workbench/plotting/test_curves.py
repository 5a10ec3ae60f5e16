"""Growing buffers and the incremental moving average behind the live curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.plotting.curves import GrowingSeries, SmoothedSeries, ema


def test_append_past_capacity_keeps_every_value():
    series = GrowingSeries(capacity=4)
    for value in range(37):
        series.append(value)
    assert len(series) == 37
    assert series.capacity >= 37
    assert series.capacity & (series.capacity - 1) == 0  # doubled from 4, a power of two
    np.testing.assert_array_equal(series.view(), np.arange(37))


def test_extend_accepts_arrays_lists_and_generators():
    series = GrowingSeries(capacity=2)
    series.extend(np.array([1.0, 2.0]))
    series.extend([3.0])
    series.extend(x for x in (4.0, 5.0, 6.0))
    np.testing.assert_array_equal(series.view(), [1, 2, 3, 4, 5, 6])
    assert series.last() == 6.0


def test_view_shares_memory_and_is_read_only():
    series = GrowingSeries(capacity=8)
    series.extend([1.0, 2.0, 3.0])
    view = series.view()
    assert view.base is not None
    assert np.shares_memory(view, series._data)
    with pytest.raises(ValueError):
        view[0] = 5.0
    series.append(4.0)  # no growth: the old view still shows the first three values
    np.testing.assert_array_equal(view, [1, 2, 3])


def test_clear_keeps_the_allocation():
    series = GrowingSeries(capacity=4)
    series.extend(range(100))
    capacity = series.capacity
    series.clear()
    assert len(series) == 0
    assert series.capacity == capacity
    assert math.isnan(series.last())
    assert series.view().size == 0


@given(st.lists(st.lists(st.floats(allow_nan=False, width=32), max_size=20), max_size=20))
def test_growing_series_equals_concatenation(chunks):
    series = GrowingSeries(capacity=1)
    for chunk in chunks:
        if len(chunk) == 1:
            series.append(chunk[0])
        else:
            series.extend(chunk)
    expected = [x for chunk in chunks for x in chunk]
    np.testing.assert_array_equal(series.view(), np.asarray(expected, dtype=float))


def _reference_ema(values, weight):
    out, state = [], None
    for x in values:
        if math.isfinite(x):
            state = x if state is None else (1 - weight) * x + weight * state
        out.append(math.nan if state is None else state)
    return np.array(out)


def test_smoothed_series_is_an_exponential_moving_average():
    values = np.random.default_rng(1).normal(size=200)
    series = SmoothedSeries(weight=0.8)
    for value in values:
        series.append(value)
    np.testing.assert_allclose(series.smooth.view(), _reference_ema(values, 0.8))
    np.testing.assert_array_equal(series.raw.view(), values)


def test_log_smoothing_is_geometric_and_skips_unusable_values():
    values = np.array([10.0, 1000.0, -1.0, math.nan, math.inf, 10.0])
    smooth = ema(values, 0.5, log=True)
    expected = 10 ** _reference_ema([1.0, 3.0, math.nan, math.nan, math.nan, 1.0], 0.5)
    np.testing.assert_allclose(smooth, expected)


def test_leading_missing_values_stay_missing():
    smooth = ema(np.array([math.nan, 2.0, 4.0]), 0.5)
    assert math.isnan(smooth[0])
    np.testing.assert_allclose(smooth[1:], [2.0, 3.0])


def test_changing_the_weight_recomputes_from_raw_values():
    values = np.linspace(1, 50, 50)
    series = SmoothedSeries(weight=0.9)
    for value in values:
        series.append(value)
    series.set_weight(0.3)
    np.testing.assert_allclose(series.smooth.view(), _reference_ema(values, 0.3))
    series.append(51.0)  # and continues incrementally from there
    np.testing.assert_allclose(series.smooth.view(), _reference_ema([*values, 51.0], 0.3))


@pytest.mark.parametrize("weight", [-0.1, 1.0, 2.0])
def test_weight_outside_zero_one_is_refused(weight):
    with pytest.raises(ValueError, match="smoothing weight"):
        SmoothedSeries(weight)
