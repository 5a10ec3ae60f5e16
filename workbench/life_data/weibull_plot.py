"""The Data dock's Weibull probability plot of the training units' lives.

Weibull paper: the horizontal axis is ``ln t`` (labelled in ages, in the
data's time unit), the vertical axis ``ln(-ln(1 - F))`` (labelled in percent
unreliability), so a Weibull is the straight line ``y = β (ln t - ln η)``.
Failures sit at their median ranks (Johnson's adjusted ranks with Bernard's
approximation, :func:`core.baseline.weibull.probability_plot_points`);
suspensions have no rank of their own (they raise the later failures' ranks)
and are ticks along the bottom. The line is the maximum-likelihood fit with
the suspensions right-censored (:func:`core.baseline.weibull.fit_weibull`), the
one the ``weibull`` baseline predicts with; the caption gives its shape β,
scale η and B10 life.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from core.baseline.weibull import WeibullFit
from core.common.formats import format_value
from workbench.common.time_units import CYCLES, time_unit
from workbench.life_data.data_views import WeibullPlotData
from workbench.plotting.hover import nearest_point
from workbench.plotting.legend import add_strip_legend
from workbench.plotting.panel import Panel, clear_items
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import (
    FOREGROUND,
    STATE_COLOURS,
    TRUE_RUL,
    ValueAxis,
    brush,
    pen,
    set_axis_label,
    style_plot,
)

FAILURE_COLOUR = "#4e79a7"
SUSPENSION_COLOUR = STATE_COLOURS["critical"]
B10_COLOUR = STATE_COLOURS["normal"]
#: Unreliabilities that may be labelled, most wanted first (dropped when the axis is short).
F_TICKS = (0.5, 0.1, 0.9, 0.01, 0.99, 0.05, 0.632, 0.2, 0.3, 0.8, 0.95, 0.02, 0.001, 0.005)
#: Mantissas of the age ticks, most wanted first.
AGE_MANTISSAS = (1.0, 2.0, 5.0, 3.0, 1.5, 4.0, 7.0, 2.5, 6.0, 8.0, 9.0)
#: Fewest pixels between two labelled ticks: vertical (one text line) and horizontal.
MIN_GAP_Y = 16
MIN_GAP_X = 44
#: Height (in ln(-ln(1 - F))) of the band under the lowest point where suspensions are ticked.
RUG_BAND = 1.0


def weibull_y(unreliability) -> np.ndarray:
    """Weibull paper's vertical coordinate ``ln(-ln(1 - F))``."""
    return np.log(-np.log1p(-np.asarray(unreliability, dtype=np.float64)))


def unreliability_of(y) -> np.ndarray:
    """The unreliability ``F`` at Weibull paper's height ``y``."""
    return -np.expm1(-np.exp(np.asarray(y, dtype=np.float64)))


def percent(fraction: float) -> str:
    """``0.1`` -> ``10 %``, ``0.632`` -> ``63.2 %``, ``0.001`` -> ``0.1 %``."""
    return f"{round(100 * fraction, 1):g} %"


def life_text(value: float) -> str:
    """An age for the caption: 3 significant digits, thousands without an exponent."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def caption(data: WeibullPlotData) -> str:
    """``Weibull fit: shape β = 4.41, scale η = 225 cycles, B10 life 135 cycles · 100 failures,
    0 suspensions`` (or why there is no fit)."""
    unit = time_unit(data.time_unit)
    counts = f"{len(data.failures)} failures, {len(data.suspensions)} suspensions"
    fit = data.fit
    if fit is None:
        return f"No Weibull fit: {data.error} · {counts}"
    return (
        f"Weibull fit: shape β = {fit.shape:.3g}, scale η = {life_text(fit.scale)} {unit}, "
        f"B10 life {life_text(fit.b10)} {unit} · {counts}"
    )


def _spread(candidates: list[tuple[float, float]], low: float, high: float, size: float, gap):
    """The candidates (value, position) inside [low, high], in order of preference, that keep
    ``gap`` pixels from every one kept before; sorted by position."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low or size <= 0:
        return []
    kept: list[tuple[float, float]] = []
    for value, position in candidates:
        if not low <= position <= high:
            continue
        pixel = (position - low) / (high - low) * size
        if all(abs(pixel - (p - low) / (high - low) * size) >= gap for _, p in kept):
            kept.append((value, position))
    return sorted(kept, key=lambda item: item[1])


class UnreliabilityAxis(ValueAxis):
    """The vertical axis of Weibull paper, labelled in percent unreliability."""

    def tickValues(self, minVal, maxVal, size):  # pyqtgraph's names
        candidates = [(p, float(weibull_y(p))) for p in F_TICKS]
        kept = _spread(candidates, minVal, maxVal, size, MIN_GAP_Y)
        return [(1.0, [position for _, position in kept])]

    def tickStrings(self, values, scale, spacing):  # pyqtgraph's names
        known = {round(float(weibull_y(p)), 9): p for p in F_TICKS}
        return [percent(known.get(round(v, 9), float(unreliability_of(v)))) for v in values]


class AgeAxis(pg.AxisItem):
    """A horizontal ``ln t`` axis labelled in ages: 100, 150, 200, 300 ... as room allows."""

    def tickValues(self, minVal, maxVal, size):  # pyqtgraph's names
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal:
            return []
        first = math.floor(minVal / math.log(10)) - 1
        last = math.ceil(maxVal / math.log(10)) + 1
        candidates = [
            (m * 10.0**e, math.log(m * 10.0**e))
            for m in AGE_MANTISSAS
            for e in range(first, last + 1)
        ]
        kept = _spread(candidates, minVal, maxVal, size, MIN_GAP_X)
        return [(1.0, [position for _, position in kept])]

    def tickStrings(self, values, scale, spacing):  # pyqtgraph's names
        return [f"{float(np.exp(v)):.4g}" for v in values]


class WeibullPlotPanel(Panel):
    """Weibull paper with the training units' failures, suspensions, fitted line and B10."""

    title = "Weibull plot"
    empty_text = "Load data to see the Weibull probability plot of the training units' lives."

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(coalescer, parent)
        self.data: WeibullPlotData | None = None
        self.plot = self.graphics.addPlot(
            row=0, col=0, axisItems={"left": UnreliabilityAxis("left"), "bottom": AgeAxis("bottom")}
        )
        style_plot(self.plot, "Weibull probability plot", age_label(CYCLES), "unreliability F")
        add_strip_legend(self.plot)
        self.plot.setMenuEnabled(False, None)  # pyqtgraph's log/transform options mean nothing here
        self.line = self.plot.plot(name="Weibull fit", pen=pen(TRUE_RUL, 1.5))
        self.failure_points = self._markers("failures", "o", 6, FAILURE_COLOUR, filled=True)
        self.suspension_ticks = self._markers(
            "suspensions", "|", 12, SUSPENSION_COLOUR, filled=True
        )
        self.b10_point = self._markers("B10", "s", 8, B10_COLOUR, filled=False, width=1.5)
        self.hover = self.add_readout(self.plot, "age", self._describe)

    def _markers(self, name: str, symbol: str, size: int, colour, filled: bool, width=1.0):
        """One series of markers without a line (failures, suspensions, the B10 point)."""
        return self.plot.plot(
            name=name,
            pen=None,
            symbol=symbol,
            symbolSize=size,
            symbolPen=pen(colour, width),
            symbolBrush=brush(colour) if filled else None,
        )

    def _central(self) -> QWidget:
        """The plot (or its placeholder) with the fit's caption under it."""
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {FOREGROUND}; padding: 2px 6px;")
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.caption)
        return box

    # ------------------------------------------------------------------ API
    def set_data(self, data: WeibullPlotData, shows: str = "") -> None:
        """Draw a loaded data set's lives and fit."""
        self.data = data
        self.shows = shows
        set_axis_label(self.plot, "bottom", age_label(data.time_unit))
        self.caption.setText(caption(data))
        self._list_in_legend(len(data.suspensions) > 0, data.fit is not None)
        self.mark_dirty()

    def _list_in_legend(self, suspensions: bool, fit: bool) -> None:
        """The legend names only what is drawn (no "suspensions" for a fleet without any)."""
        legend = self.plot.legend
        legend.clear()
        entries = [
            (self.line, "Weibull fit", fit),
            (self.failure_points, "failures", True),
            (self.suspension_ticks, "suspensions", suspensions),
            (self.b10_point, "B10", fit),
        ]
        for item, name, shown in entries:
            if shown:
                legend.addItem(item, name)

    def reset(self) -> None:
        self.data = None
        self.caption.setText("")
        clear_items([self.line, self.failure_points, self.suspension_ticks, self.b10_point])
        self.update_placeholder()

    def has_data(self) -> bool:
        return self.data is not None and len(self.data.failures) + len(self.data.suspensions) > 0

    def placeholder_text(self) -> str | None:
        if self.data is not None and not len(self.data.failures):
            return "No failed training units: a probability plot needs failures."
        return super().placeholder_text()

    def table(self) -> pd.DataFrame:
        """Each failure with its median rank and the fit's F, and each suspension."""
        if self.data is None:
            return pd.DataFrame(columns=["kind", "age", "median_rank_F", "fitted_F"])
        data = self.data
        failures = pd.DataFrame(
            {
                "kind": "failure",
                "age": data.times,
                "median_rank_F": data.unreliability,
                "fitted_F": fitted_unreliability(data.fit, data.times),
            }
        )
        suspensions = pd.DataFrame(
            {
                "kind": "suspension",
                "age": np.sort(data.suspensions),
                "median_rank_F": np.nan,
                "fitted_F": np.nan,
            }
        )
        parts = [p for p in (failures, suspensions) if len(p)]
        return pd.concat(parts, ignore_index=True) if parts else failures

    def export_caption(self) -> str:
        """The fit's caption, then which data and when."""
        return f"{self.caption.text()} · {super().export_caption()}"

    # ------------------------------------------------------------- drawing
    def _redraw(self) -> None:
        data = self.data
        if data is None or not self.has_data():
            clear_items([self.line, self.failure_points, self.suspension_ticks, self.b10_point])
            return
        ages = np.r_[data.failures, data.suspensions]
        low, high = math.log(ages.min() * 0.8), math.log(ages.max() * 1.25)
        heights = weibull_y(data.unreliability)
        # Below the lowest point (and 1 %) a band for the suspensions' rug, clear of the ranks.
        bottom = min([*heights, float(weibull_y(0.01))]) - RUG_BAND
        top = max([*heights, float(weibull_y(0.99))]) + 0.2
        self.failure_points.setData(np.log(data.times), heights)
        self.suspension_ticks.setData(
            np.log(data.suspensions), np.full(len(data.suspensions), bottom + RUG_BAND / 3)
        )
        fit = data.fit
        if fit is not None:
            x = np.array([low, high])
            self.line.setData(x, fit.shape * (x - math.log(fit.scale)))
            self.b10_point.setData([math.log(fit.b10)], [float(weibull_y(0.1))])
        else:
            clear_items([self.line, self.b10_point])
        self.plot.setRange(xRange=(low, high), yRange=(bottom, top), padding=0)

    def _describe(self, x: float, y: float) -> str | None:
        """What the mouse is nearest: a failure with its rank, a suspension, or the line."""
        if self.data is None:
            return None
        found = nearest_point([self.failure_points, self.suspension_ticks], self.plot, x, y)
        if found is None:
            return None
        item, index = found
        unit = time_unit(self.data.time_unit)
        xs, ys = item.getOriginalDataset()
        age = float(np.exp(xs[index]))
        if item is self.suspension_ticks:
            return f"suspension at {format_value(age)} {unit} (no rank of its own)"
        text = f"failure at {format_value(age)} {unit} · median rank F {percent_fine(ys[index])}"
        if self.data.fit is not None:
            fitted = float(fitted_unreliability(self.data.fit, np.array([age]))[0])
            text += f" · fit F {100 * fitted:.3g} %"
        return text


def age_label(unit: object) -> str:
    """The horizontal axis's label: ``age at failure (cycles, log scale)``."""
    return f"age at failure ({time_unit(unit)}, log scale)"


def fitted_unreliability(fit: WeibullFit | None, ages: np.ndarray) -> np.ndarray:
    """The fit's ``F(t) = 1 - exp(-(t/η)^β)`` at each age (NaN without a fit)."""
    ages = np.asarray(ages, dtype=np.float64)
    if fit is None:
        return np.full(len(ages), np.nan)
    return -np.expm1(-((ages / fit.scale) ** fit.shape))


def percent_fine(y: float) -> str:
    """The unreliability at height ``y`` in percent, to 3 significant digits."""
    return f"{100 * float(unreliability_of(y)):.3g} %"
