"""Export what a panel shows: the picture (PNG, SVG) and the numbers behind it (CSV).

Engineers paste plots into reports and want the data to redo them in their
own tools, so every panel offers the three. Pictures are rendered from the
plot scene itself, laid out at a fixed size for the export (no window on
screen needed), with a caption saying which run they show; tables go through
pandas.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from workbench.plotting.style import BACKGROUND, MUTED

#: Size of every exported PNG: readable in a report whatever the panel's size on screen.
EXPORT_SIZE = (1600, 900)
#: Height of the caption band under an exported PNG (which run, when).
CAPTION_HEIGHT = 28


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


def export_png(
    target, path: str | Path, size: tuple[int, int] = EXPORT_SIZE, caption: str = ""
) -> Path:
    """Render a plot widget, layout or plot item to a PNG file of a fixed size.

    The plots are laid out at ``size`` for the export and put back after, so a
    panel squashed on screen (a short dock) still exports readable, and every
    export of a panel has the same size. ``caption`` (which run, when) is
    written under the plots and stored in the PNG's text chunk ``Source``.

    Parameters
    ----------
    target
        A ``GraphicsLayoutWidget``, ``PlotWidget`` or graphics item.
    path
        File to write.
    size
        (width, height) in pixels.
    caption
        What produced the picture; empty for none.
    """
    path = _checked_path(path)
    item = _scene_item(target)
    width, height = size
    band = CAPTION_HEIGHT if caption else 0
    image = QImage(width, height + band, QImage.Format.Format_ARGB32)
    image.fill(QColor(BACKGROUND))
    saved = item.geometry()
    try:
        item.setGeometry(QRectF(saved.topLeft(), QSizeF(width, height)))
        layout = item.layout if not callable(item.layout) else item.layout()  # pyqtgraph: attr
        if layout is not None:
            layout.activate()
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            item.scene().render(painter, QRectF(0, 0, width, height), item.sceneBoundingRect())
            if caption:
                painter.setPen(QColor(MUTED))
                area = QRectF(8, height, width - 16, band)
                painter.drawText(area, int(Qt.AlignmentFlag.AlignVCenter), caption)
        finally:
            painter.end()
    finally:
        item.setGeometry(saved)
    if caption:
        image.setText("Source", caption)
    if not image.save(str(path)):  # the format follows the .png suffix
        raise OSError(f"cannot write {path}")
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


def grab_png(widget: QWidget, path: str | Path) -> Path:
    """A PNG of a plain widget (tables, forms) as it would appear on screen."""
    path = _checked_path(path)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path
