"""Windows are views over the rows, labelled by their last cycle, with front padding."""

from __future__ import annotations

import numpy as np

from core.data.windows import build_windows


def _two_units(window=4):
    lengths = [6, 2]
    codes = np.repeat([0, 1], lengths)
    cycles = np.r_[1:7, 1:3]
    features = np.column_stack([np.arange(8.0), -np.arange(8.0)])
    rul = np.r_[5:-1:-1, 20, 19].astype(float)
    return build_windows(
        features, codes, cycles, rul, rul + 1, np.zeros(8, int), ("a", "b"), window
    )


def test_counts_labels_and_padding():
    windows = _two_units()
    assert len(windows) == 3 + 1
    assert windows.unit.tolist() == [0, 0, 0, 1]
    assert windows.cycle.tolist() == [4, 5, 6, 2]
    assert windows.rul.tolist() == [2, 1, 0, 19]
    assert windows.rul_uncapped.tolist() == [3, 2, 1, 20]
    batch = windows.batch(np.arange(4))
    assert batch.shape == (4, 4, 2)
    assert batch[0, :, 0].tolist() == [0, 1, 2, 3]
    assert batch[3, :, 0].tolist() == [6, 6, 6, 7], "short unit padded with its first row"


def test_rows_grow_with_rows_not_windows():
    n = 5000
    codes = np.zeros(n, int)
    windows = build_windows(
        np.ones((n, 3)), codes, np.arange(n), np.zeros(n), np.zeros(n), np.zeros(n, int), (0,), 30
    )
    assert windows.rows.shape == (n, 3)
    assert len(windows) == n - 29
    view = windows.view(100)
    assert np.shares_memory(view, windows.rows) and view.shape == (30, 3)


def test_last_windows_and_units():
    windows = _two_units()
    last = windows.last_windows()
    assert last.cycle.tolist() == [6, 2]
    assert np.shares_memory(last.rows, windows.rows)
    assert windows.of_unit(0).cycle.tolist() == [4, 5, 6]
