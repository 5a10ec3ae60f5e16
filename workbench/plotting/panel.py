"""What every panel shares: the plot area, the toolbar row, hover readout, export, redraw.

A panel's ``add_*`` methods only append to buffers and call :meth:`Panel.mark_dirty`;
the :class:`~workbench.plotting.redraw.RedrawCoalescer` then calls :meth:`Panel._redraw`
at most once per tick, which hands the buffers' views to persistent plot items.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.plotting.curves import GrowingSeries
from workbench.plotting.export import export_frame_csv, export_png, export_svg
from workbench.plotting.hover import HoverReadout
from workbench.plotting.legend import add_strip_legend
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import BACKGROUND, MUTED, ValueAxis, pen, style_plot

#: Samples kept per pixel column by auto downsampling (see :meth:`Panel.add_curve`).
DOWNSAMPLE_FACTOR = 1.0


class Panel(QWidget):
    """Base of the live panels: a toolbar row, a plot layout and an Export… menu.

    Parameters
    ----------
    coalescer
        Shared redraw scheduler; the main window passes one for all panels so
        they repaint on the same tick. A private one is made when omitted.
    parent
        Qt parent widget.
    """

    #: Short name used in export file names and the window's menus.
    title = "panel"
    #: Shown instead of the plots until there is data, in the panel's own words: empty
    #: plots would show meaningless 0–1 axes (and a trajectory all in the critical band).
    empty_text = "No run yet — press Train."

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.coalescer = coalescer if coalescer is not None else RedrawCoalescer(parent=self)
        self.redraws = 0
        #: What the panel shows, for export captions ("gaba s0 on demo"); set by its owner.
        self.shows = ""
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        self.graphics.ci.setContentsMargins(4, 4, 4, 4)
        self.readout = QLabel()
        self.readout.setStyleSheet(f"color: {MUTED};")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.controls = QHBoxLayout()
        self.controls.setContentsMargins(0, 0, 0, 0)
        self.export_menu = self._make_export_menu()
        self.empty_label = _placeholder_label(self.empty_text)
        #: The placeholder or the plots (see :meth:`update_placeholder`).
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.graphics)
        self._lay_out()

    # ------------------------------------------------------------------ API
    def reset(self) -> None:
        """Clear everything shown, for a new run."""
        raise NotImplementedError

    def table(self) -> pd.DataFrame:
        """The data behind the plots, as written by :meth:`export_csv`."""
        raise NotImplementedError

    def has_data(self) -> bool:
        """Whether there is anything to plot; until there is, the placeholder shows."""
        raise NotImplementedError

    def placeholder_text(self) -> str | None:
        """What to say instead of the plots, or None to show them."""
        return None if self.has_data() else self.empty_text

    def update_placeholder(self) -> None:
        """Show the plots when there is data, else the placeholder (after a redraw or reset)."""
        text = self.placeholder_text()
        self._allow_export(text)
        if text is None:
            self.stack.setCurrentWidget(self.graphics)
            return
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_label)

    def _allow_export(self, placeholder: str | None) -> None:
        """Export only what is drawn: while the placeholder shows, the button says why not."""
        self.export_button.setEnabled(placeholder is None)
        self.export_button.setToolTip(
            EXPORT_TIP if placeholder is None else f"Nothing to export yet: {placeholder}"
        )

    def export_png(self, path: str | Path) -> Path:
        """Save the plots as a PNG image of a fixed size, captioned with what they show."""
        self.flush()
        return export_png(self.graphics, path, caption=self.export_caption())

    def export_caption(self) -> str:
        """Which run the plots show and when they were exported (under the exported image)."""
        when = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
        shown = f"{self.shows} · " if self.shows else ""
        return f"{shown}{type(self).__name__.removesuffix('Panel')} · rul-workbench · {when}"

    def export_svg(self, path: str | Path) -> Path:
        """Save the plots as an SVG drawing."""
        self.flush()
        return export_svg(self.graphics, path)

    def export_csv(self, path: str | Path) -> Path:
        """Save the data behind the plots as CSV."""
        return export_frame_csv(self.table(), path)

    def mark_dirty(self) -> None:
        """Ask for a redraw on the next tick (cheap; call after every update)."""
        self.coalescer.request(self._redraw_now)

    def flush(self) -> None:
        """Apply pending updates now (tests, exports, screenshots)."""
        if self.coalescer.pending():
            self.coalescer.flush()

    # ------------------------------------------------------------ plumbing
    def _redraw(self) -> None:
        """Hand the buffers to the plot items; subclasses implement it."""
        raise NotImplementedError

    def _redraw_now(self) -> None:
        self.redraws += 1
        self._redraw()
        self.update_placeholder()
        # Settle auto-range now rather than at the next paint: a hidden panel
        # (another tab) still reports its full data from getData(), which
        # clips to the view range.
        self.graphics.scene().prepareForPaint()

    def _central(self) -> QWidget:
        """The widget under the toolbar row (placeholder or plots); panels with tables
        override it."""
        return self.stack

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        bar.addLayout(self.controls)
        bar.addSpacing(12)
        bar.addWidget(self.readout, 1)
        button = self.export_button = QToolButton()
        button.setText("Export…")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMenu(self.export_menu)
        self._allow_export(self.empty_text)  # a panel starts with its placeholder
        bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self._central(), 1)
        # Right-click on a plot: pyqtgraph's view menu plus our Export submenu
        # (replacing pyqtgraph's own export dialog, so there is one way to export).
        self.graphics.scene().contextMenu = [self.export_menu]

    def _make_export_menu(self) -> QMenu:
        menu = QMenu("Export", self)
        self.add_export_action(menu, "PNG image…", "PNG image (*.png)", self.export_png)
        self.add_export_action(menu, "SVG drawing…", "SVG drawing (*.svg)", self.export_svg)
        self.add_export_action(menu, "CSV data…", "CSV table (*.csv)", self.export_csv)
        return menu

    def add_export_action(
        self, menu: QMenu, text: str, file_filter: str, export: Callable[[str], object]
    ) -> None:
        """Add an entry to the Export menu that asks for a file name, then exports."""
        suffix = file_filter.rsplit("*", 1)[-1].rstrip(")")
        menu.addAction(text, lambda: self._ask_and_export(file_filter, suffix, export))

    def _ask_and_export(self, file_filter: str, suffix: str, export: Callable) -> None:
        name = f"{self.title.lower().replace(' ', '_')}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export {self.title}", name, file_filter)
        if path:
            export(path if path.endswith(suffix) else path + suffix)

    # ------------------------------------------------------------- helpers
    def add_plot(
        self, row: int, col: int, title: str, x_label: str, y_label: str, legend: bool = True
    ) -> pg.PlotItem:
        """A styled plot in the layout at (row, col), with a legend unless told otherwise.

        The legend sits in a strip above the data, never over it (``plotting.legend``).
        """
        plot = self.graphics.addPlot(row=row, col=col, axisItems={"left": ValueAxis("left")})
        style_plot(plot, title, x_label, y_label)
        if legend:
            add_strip_legend(plot)
        return plot

    def add_readout(self, plot: pg.PlotItem, x_name: str, describe=None) -> HoverReadout:
        """Hover readout for ``plot`` writing into this panel's readout label."""
        return HoverReadout(plot, self.readout.setText, x_name, describe)

    @staticmethod
    def add_curve(
        plot: pg.PlotItem, name: str | None, colour: str, width: float = 2.0, **style
    ) -> pg.PlotDataItem:
        """A persistent curve: peak downsampling and clip-to-view for long runs.

        ``name=None`` keeps it out of the legend (e.g. faint raw points under
        their smoothed line).
        """
        dashed = style.pop("dashed", False)
        alpha = style.pop("alpha", 255)
        # Missing values (NaN) break the line instead of spoiling it.
        style.setdefault("connect", "finite")
        # Peak downsampling keeps each pixel column's min and max, so one
        # sample per pixel looks the same as pyqtgraph's default of five and
        # halves the drawing time of long noisy curves.
        style.setdefault("autoDownsampleFactor", DOWNSAMPLE_FACTOR)
        item = plot.plot(name=name, pen=pen(colour, width, dashed, alpha), **style)
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        return item


def set_series(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """Hand a curve its data; a series with no finite value yet is shown empty.

    pyqtgraph's scatter bounds call ``np.nanmin`` on the values, which warns
    on an all-NaN series (e.g. a validation loss not reported yet).
    """
    if y.size and not np.isfinite(y).any():
        item.setData([], [])
    else:
        item.setData(x, y)


#: The Export button's tooltip when there is something to export.
EXPORT_TIP = "Save these plots as PNG or SVG, or their data as CSV"


def _placeholder_label(text: str) -> QLabel:
    """Large muted text centred on the plot background, where the plots will be."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet(
        f"color: {MUTED}; background: {BACKGROUND}; font-size: 11pt; padding: 24px;"
    )
    return label


def clear_items(items) -> None:
    """Empty plot items without removing them (they are reused by the next run)."""
    for item in items:
        item.setData([], [])


def checkbox_row(layout: QHBoxLayout, *widgets: QWidget) -> None:
    """Add widgets to a toolbar row, vertically centred."""
    for widget in widgets:
        layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignVCenter)


class SeriesPanel(Panel):
    """A panel of series that grow along one axis (steps or epochs).

    The loss, task-weight, gradient and per-block panels keep the same state:
    an axis (:attr:`axis`), a dict of series along it (:attr:`series`) and plot
    items drawn from them. Forgetting it for a new run, saying whether there is
    any, and writing it as a table are the same code for all of them, here;
    a panel says only what else it drew (:meth:`_forget`) and, where its
    series are not plain columns, how they become columns (:meth:`_columns`).
    Subclasses set :attr:`axis` and :attr:`series` before building their plots.
    """

    #: The axis's name: the table's first column ("step" or "epoch").
    axis_name: ClassVar[str] = "step"
    axis: GrowingSeries
    series: dict[Any, Any]

    def reset(self) -> None:
        """Forget every point for a new run and show the placeholder again."""
        self.axis.clear()
        for series in self.series.values():
            series.clear()
        self._forget()
        self.readout.clear()
        self.update_placeholder()

    def has_data(self) -> bool:
        """Whether a point has arrived since the last reset."""
        return len(self.axis) > 0

    def table(self) -> pd.DataFrame:
        """One row per point of the axis, one column per series (:meth:`_columns`)."""
        return pd.DataFrame({self.axis_name: self.axis.view().copy(), **self._columns()})

    def _columns(self) -> dict[str, np.ndarray]:
        """The series as table columns, named by their keys."""
        return {str(key): series.view().copy() for key, series in self.series.items()}

    def _forget(self) -> None:
        """Clear what the panel drew or kept beside its series (curves, images, notes)."""
