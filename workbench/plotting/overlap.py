"""Curves drawn exactly over one another: which, and how to let both show.

Two series with the same values draw one line where the user expects two
(fixed weights' λ_RUL and λ_health at 0.5 each; a method whose mean is still
fixed weights' during its warm-up). The later one is drawn dashed, over the
first, so the first colour shows through its gaps, and its legend entry names
the one it equals.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

#: Dash patterns (dash, gap, ... in pen widths) of a curve drawn exactly over an earlier
#: one: the earlier colour shows through the gaps, so neither hides the other.
#: Dotted-ish patterns, unlike the long dashes of baseline levels.
OVERLAP_DASHES = ([1, 2], [3, 3], [1, 2, 4, 2])


def coinciding(series: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, str]:
    """Name -> the first name (in drawing order) whose series is the same as its own:
    the same x and y equal to a millionth, where one line would hide the other. A series
    with nothing to draw yet (empty, or NaN throughout) hides nothing and equals nothing."""
    same: dict[str, str] = {}
    drawn: list[str] = []
    for name, (x, y) in series.items():
        if not np.isfinite(y).any():
            continue
        for first in drawn:
            x0, y0 = series[first]
            if np.array_equal(x, x0) and np.allclose(y, y0, rtol=1e-6, equal_nan=True):
                same[name] = first
                break
        else:
            drawn.append(name)
    return same


def overlap_dashes(pen: pg.QtGui.QPen, name: str, same: dict[str, str]) -> None:
    """Dash ``pen`` when ``name`` coincides with an earlier series; each later twin of the
    same series gets another pattern."""
    if name in same:
        twins = [n for n, first in same.items() if first == same[name]]
        pen.setDashPattern(OVERLAP_DASHES[twins.index(name) % len(OVERLAP_DASHES)])


def show_overlaps(
    legend: pg.LegendItem | None,
    curves: dict[str, tuple[pg.PlotDataItem, str, pg.QtGui.QPen]],
    same: dict[str, str],
    called: dict[str, str] | None = None,
) -> None:
    """Draw each curve (``name -> (item, legend name, its own pen)``) solid, or dashed over
    the earlier curve it coincides with, and say so in its legend entry ("b (= a)"; ``called``
    gives a shorter way to name a curve there than its legend name).

    A curve added later is drawn over an earlier one of the same z-value, so the
    dashed twin lies on top and the first colour shows through its gaps.
    """
    for name, (item, label, line) in curves.items():
        overlap_dashes(line, name, same)
        item.setPen(line)
        entry = legend.getLabel(item) if legend is not None else None
        if entry is not None:
            first = same.get(name)
            twin = None if first is None else (called or {}).get(first, curves[first][1])
            entry.setText(f"{label} (= {twin})" if twin else label)
