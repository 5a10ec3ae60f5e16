"""One look for every panel: light plots, and one colour per meaning across the workbench.

A light background was chosen because the plots end up in reports and slides
(exports keep the on-screen look), and because faint raw points stay visible
on white. Colours carry meaning and never change between panels: the RUL task
is orange and the health task blue everywhere; health states are green, amber
and red; a balancing method keeps its colour in every comparison.

The look is data: the colours, line width and font sizes below are read once,
at import, from resources/plot_style.json (a damaged file stops the start with
a message naming it). The names and their meanings stay here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

# The colours that name tasks, health states and methods are shared with the HTML report.
from core.common.colours import (  # noqa: F401  (re-exported for the panels)
    HEALTH,
    HEALTH_STATES,
    PALETTE,
    RUL,
    STATE_COLOURS,
    method_colour,
)
from resources import PLOT_STYLE, ResourceError, read_json

#: The colours resources/plot_style.json must name, and its other entries.
COLOUR_NAMES = (
    "background",
    "foreground",
    "muted",
    "warning",
    "total",
    "ratio",
    "effective_ratio",
    "cosine",
    "true_rul",
)
FONT_SIZE_NAMES = ("title", "axis_label")


def load_style(path: Path = PLOT_STYLE) -> dict[str, Any]:
    """The plot style file, checked: every colour ``#rrggbb``, sizes numbers, fonts ``Npt``.

    Raises :class:`resources.ResourceError` naming ``path`` and the entry at fault.
    """
    data = read_json(path)
    problem = _style_problem(data)
    if problem:
        raise ResourceError(f"{path} is damaged ({problem}); restore it or reinstall")
    return data


def _style_problem(data: Any) -> str:
    """What is wrong with a plot style (empty when nothing is)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    colours, fonts = data.get("colours"), data.get("font_sizes")
    if not isinstance(colours, dict) or not isinstance(fonts, dict):
        return "needs the objects 'colours' and 'font_sizes'"
    for name in COLOUR_NAMES:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", str(colours.get(name))):
            return f"colours.{name} must be a colour such as '#3c4043', not {colours.get(name)!r}"
    for name in FONT_SIZE_NAMES:
        if not re.fullmatch(r"\d+(\.\d+)?pt", str(fonts.get(name))):
            return f"font_sizes.{name} must be a size such as '9pt', not {fonts.get(name)!r}"
    for name in ("line_width", "title_height"):
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            return f"{name} must be a positive number, not {value!r}"
    return ""


_STYLE = load_style()
_COLOURS = _STYLE["colours"]

BACKGROUND: str = _COLOURS["background"]
FOREGROUND: str = _COLOURS["foreground"]
MUTED: str = _COLOURS["muted"]
#: Text that asks for the user's attention without being an error (amber, readable on white).
WARNING: str = _COLOURS["warning"]

#: Quantities that are about both tasks.
TOTAL: str = _COLOURS["total"]
RATIO: str = _COLOURS["ratio"]
EFFECTIVE_RATIO: str = _COLOURS["effective_ratio"]
COSINE: str = _COLOURS["cosine"]
TRUE_RUL: str = _COLOURS["true_rul"]

#: Width of a plot's lines unless a panel asks for another (screen pixels).
LINE_WIDTH: float = float(_STYLE["line_width"])
#: Font sizes of a plot's title and of its axis labels.
TITLE_SIZE: str = _STYLE["font_sizes"]["title"]
AXIS_LABEL_SIZE: str = _STYLE["font_sizes"]["axis_label"]


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


def pen(colour: str, width: float = LINE_WIDTH, dashed: bool = False, alpha: int = 255):
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
    """A value axis whose labels stay on their own plot.

    A log scale labels only 1, 2 and 5 of each decade: pyqtgraph labels every
    minor tick (2, 3, ... 9) of a log axis spanning less than a few decades,
    and on a panel-sized plot those labels overlap.

    A vertical axis label is centred on the axis and longer than a short plot
    is high, so in stacked plots it ran into the label of the plot above. When
    the full label does not fit the axis's height, the axis shows its part
    before " (" ("ratio (log; 1 = balanced)" -> "ratio"), and if even that is
    too long, that part shortened with an ellipsis (nothing on a plot squashed
    flat); the full text is the label's tooltip.
    """

    full_label = ""
    labelText: str  # set by pyqtgraph's AxisItem; the text shown now (maybe shortened)

    def setLabel(self, text=None, units=None, unitPrefix=None, **args):  # pyqtgraph's name
        """Remember the full text, then label as pyqtgraph does."""
        if text is not None:
            self.full_label = text
        super().setLabel(text, units, unitPrefix, **args)
        self.label.setToolTip(self.full_label)
        self._fit_label()

    def resizeEvent(self, ev=None):  # pyqtgraph's name
        """Refit the label to the new height before pyqtgraph centres it."""
        self._fit_label()
        super().resizeEvent(ev)

    def logTickStrings(self, values, scale, spacing):  # pyqtgraph names it so
        strings = super().logTickStrings(values, scale, spacing)
        return [
            text if _is_one_two_five(v) else "" for v, text in zip(values, strings, strict=True)
        ]

    def _fit_label(self) -> None:
        room = self.size().height()
        if self.label is None or self.orientation not in ("left", "right"):
            return
        for text in label_candidates(self.full_label):
            self._show_label(text)
            if self.label.boundingRect().width() <= room:
                return

    def _show_label(self, text: str) -> None:
        if text != self.labelText:
            self.labelText = text
            self.label.setHtml(self.labelString())


def label_candidates(full: str) -> list[str]:
    """The texts an axis label may take, longest first: the full text, its part before
    " (", that part shortened letter by letter with an ellipsis, and at last nothing (a
    plot squashed flat has no room for a label, and it must not spill onto the next)."""
    short = full.split(" (", 1)[0]
    shortened = [short[:n].rstrip() + "…" for n in range(len(short) - 1, 0, -1)]
    return list(dict.fromkeys([full, short, *shortened, ""]))


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
    for side, text in (("bottom", x_label), ("left", y_label)):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen(MUTED))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        # Labels carry their own units ("RUL (cycles)", "weight λ"); pyqtgraph's SI
        # scaling would turn a weight of 0.0005 into "500" under "(x0.001)".
        axis.enableAutoSIPrefix(False)
        if text:
            set_axis_label(plot, side, text)


def set_axis_label(plot: pg.PlotItem, side: str, text: str) -> None:
    """An axis label in the house style (a run of hours relabels "RUL (cycles)")."""
    plot.getAxis(side).setLabel(text, color=FOREGROUND, **{"font-size": AXIS_LABEL_SIZE})


#: Height of a plot's title row; pyqtgraph's 30 px leaves a gap above the legend strip.
TITLE_HEIGHT: int = int(_STYLE["title_height"])


def set_title(plot: pg.PlotItem, title: str) -> None:
    """A plot title in the house colour and size (pyqtgraph's default grey is faint on white)."""
    plot.setTitle(title, color=FOREGROUND, size=TITLE_SIZE)
    plot.layout.setRowFixedHeight(0, TITLE_HEIGHT)
    plot.titleLabel.setMaximumHeight(TITLE_HEIGHT)
