"""Export what a panel shows: the picture (PNG, SVG) and the numbers behind it (CSV).

Engineers paste plots into reports and want the data to redo them in their
own tools, so every panel offers the three. Pictures go through
``pyqtgraph.exporters`` (they render the plot scene itself, at any size,
without needing the window on screen); tables go through pandas.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

#: Width in pixels of exported PNGs when the widget has not been laid out yet.
DEFAULT_PNG_WIDTH = 1200


def _scene_item(target: pg.GraphicsLayoutWidget | pg.PlotWidget | pg.GraphicsItem):
    """The graphics item an exporter should render for ``target``."""
    if isinstance(target, pg.GraphicsLayoutWidget):
        return target.ci
    if isinstance(target, pg.PlotWidget):
        return target.getPlotItem()
    return target


def _checked_path(path: str | Path) -> Path:
    """``path`` as a Path whose folder exists (a clear error beats a silent no-op)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot export to {path}: folder {path.parent} does not exist")
    return path


def export_png(target, path: str | Path, width: int | None = None) -> Path:
    """Render a plot widget, layout or plot item to a PNG file.

    Parameters
    ----------
    target
        A ``GraphicsLayoutWidget``, ``PlotWidget`` or graphics item.
    path
        File to write.
    width
        Image width in pixels; by default the on-screen width (at least
        :data:`DEFAULT_PNG_WIDTH` when the widget was never shown).
    """
    path = _checked_path(path)
    item = _scene_item(target)
    exporter = pg_exporters.ImageExporter(item)
    on_screen = int(item.boundingRect().width())
    wanted = width or max(on_screen, DEFAULT_PNG_WIDTH)
    # pyqtgraph keeps the aspect ratio when the width changes.
    exporter.parameters()["width"] = wanted
    exporter.export(str(path))
    return path


def export_svg(target, path: str | Path) -> Path:
    """Write a plot widget, layout or plot item as SVG (vector, for reports).

    The scene is painted straight into Qt's ``QSvgGenerator``. pyqtgraph's own
    ``SVGExporter`` re-parses Qt's path data and fails on the ``Z`` (close
    path) command Qt 6.12 writes (a known pyqtgraph bug), so it is not used.
    """
    path = _checked_path(path)
    item = _scene_item(target)
    source = item.sceneBoundingRect()
    target_rect = QRectF(0, 0, source.width(), source.height())
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(target_rect)
    generator.setTitle(path.stem)
    painter = QPainter(generator)
    try:
        item.scene().render(painter, target_rect, source)
    finally:
        painter.end()
    return path


def export_frame_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a data frame to CSV without the pandas index (it carries no meaning here)."""
    path = _checked_path(path)
    frame.to_csv(path, index=False)
    return path


def _cell_text(item: QTableWidgetItem | None) -> str:
    return "" if item is None else item.text()


def table_frame(table: QTableWidget) -> pd.DataFrame:
    """The cells of a ``QTableWidget`` as shown, with its header labels as columns."""
    columns = [_header(table, c) for c in range(table.columnCount())]
    rows = [
        [_cell_text(table.item(r, c)) for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]
    return pd.DataFrame(rows, columns=columns)


def _header(table: QTableWidget, column: int) -> str:
    item = table.horizontalHeaderItem(column)
    return item.text() if item is not None else str(column)


def export_table_csv(table: QTableWidget, path: str | Path) -> Path:
    """Write a table widget's cells (as displayed) to CSV."""
    return export_frame_csv(table_frame(table), path)


def grab_png(widget: QWidget, path: str | Path) -> Path:
    """A PNG of a plain widget (tables, forms) as it would appear on screen."""
    path = _checked_path(path)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path
