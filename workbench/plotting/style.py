"""One look for every panel: light plots, and one colour per meaning across the workbench.

A light background was chosen because the plots end up in reports and slides
(exports keep the on-screen look), and because faint raw points stay visible
on white. Colours carry meaning and never change between panels: the RUL task
is orange and the health task blue everywhere; health states are green, amber
and red; a balancing method keeps its colour in every comparison.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

BACKGROUND = "#ffffff"
FOREGROUND = "#3c4043"
MUTED = "#80868b"

#: The two tasks, everywhere in the workbench.
RUL = "#e8710a"
HEALTH = "#1a73e8"
#: Quantities that are about both tasks.
TOTAL = "#5f6368"
RATIO = "#9334e6"
EFFECTIVE_RATIO = "#00897b"
COSINE = "#188038"
TRUE_RUL = "#202124"

#: Health states by class index (0 normal, 1 degrading, 2 critical).
HEALTH_STATES = ("normal", "degrading", "critical")
STATE_COLOURS = {"normal": "#34a853", "degrading": "#f9ab00", "critical": "#d93025"}

#: Qualitative palette (Tableau 10) for methods and extra series.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)

# Known methods get a fixed colour, so "gaba" is the same green in every
# session and every screenshot; unknown ones take the next free colour.
_METHOD_COLOURS: dict[str, str] = {
    "fixed": "#5f6368",
    "single_task": "#bab0ac",
    "amnl": "#9c755f",
    "gaba": "#59a14f",
    "grace": "#76b7b2",
    "uncertainty": "#b07aa1",
    "dwa": "#edc948",
    "gradnorm": "#e15759",
    "pcgrad": "#4e79a7",
    "gbm": "#1f1f1f",  # the classical baseline: near-black, drawn dashed
}


def method_colour(method: str) -> str:
    """The colour of a balancing method, the same for the whole session."""
    if method not in _METHOD_COLOURS:
        used = len(_METHOD_COLOURS)
        _METHOD_COLOURS[method] = PALETTE[used % len(PALETTE)]
    return _METHOD_COLOURS[method]


def series_colour(name: str, index: int) -> str:
    """Colour of a named weight: the task colours for the two task weights, else the palette.

    Only the task weights themselves (``lambda_rul``, ``weight_health`` ...)
    take the task colours; another series that merely mentions a task (a
    learnable ``log_sigma_rul``) takes a palette colour, so it cannot be
    mistaken for the weight.
    """
    task = name.split("_", 1)[1] if name.startswith(("lambda_", "weight_")) else ""
    if task == "rul":
        return RUL
    if task == "health":
        return HEALTH
    extra = [c for c in PALETTE if c not in ("#f28e2b", "#4e79a7")]  # too close to the tasks
    return extra[index % len(extra)]


def pen(colour: str, width: float = 2.0, dashed: bool = False, alpha: int = 255):
    """A cosmetic pen (width in screen pixels, whatever the zoom)."""
    qcolour = QColor(colour)
    qcolour.setAlpha(alpha)
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    return pg.mkPen(qcolour, width=width, style=style)


def brush(colour: str, alpha: int = 255):
    """A fill brush with transparency."""
    qcolour = QColor(colour)
    qcolour.setAlpha(alpha)
    return pg.mkBrush(qcolour)


class ValueAxis(pg.AxisItem):
    """A value axis whose log scale labels only 1, 2 and 5 of each decade.

    pyqtgraph labels every minor tick (2, 3, ... 9) of a log axis spanning
    less than a few decades, and on a panel-sized plot those labels overlap.
    """

    def logTickStrings(self, values, scale, spacing):  # pyqtgraph names it so
        strings = super().logTickStrings(values, scale, spacing)
        return [
            text if _is_one_two_five(v) else "" for v, text in zip(values, strings, strict=True)
        ]


def _is_one_two_five(log_value: float) -> bool:
    mantissa = 10 ** (log_value - math.floor(log_value))
    return any(math.isclose(mantissa, k, rel_tol=1e-6) for k in (1.0, 2.0, 5.0, 10.0))


def style_plot(plot: pg.PlotItem, title: str, x_label: str, y_label: str) -> None:
    """Apply the house look to a plot: title, axis labels with units, dark text, no grid,
    no SI rescaling of the tick values.

    There is no grid on purpose: pyqtgraph's axis grid costs about 10 ms per
    plot and repaint in software rendering (``GridItem`` about 4 ms, as the
    live x range changes every tick), which would eat the live panels'
    redraw budget. Reference lines (ratio 1, cosine 0, health thresholds)
    and the hover readout give the exact values instead.
    """
    set_title(plot, title)
    label_style = {"color": FOREGROUND, "font-size": "9pt"}
    for side, text in (("bottom", x_label), ("left", y_label)):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen(MUTED))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        # Labels carry their own units ("RUL (cycles)", "weight λ"); pyqtgraph's SI
        # scaling would turn a weight of 0.0005 into "500" under "(x0.001)".
        axis.enableAutoSIPrefix(False)
        if text:
            axis.setLabel(text, **label_style)


def set_title(plot: pg.PlotItem, title: str) -> None:
    """A plot title in the house colour and size (pyqtgraph's default grey is faint on white)."""
    plot.setTitle(title, color=FOREGROUND, size="10pt")


def add_legend(plot: pg.PlotItem, offset: tuple[int, int] = (-8, 8)) -> pg.LegendItem:
    """A compact legend in the top corner, readable over curves."""
    return plot.addLegend(
        offset=offset,
        labelTextColor=FOREGROUND,
        labelTextSize="8pt",
        brush=brush("#ffffff", 210),
        pen=pg.mkPen("#dadce0"),
        verSpacing=-6,
    )
