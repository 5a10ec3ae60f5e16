"""Small widget helpers shared by the docks."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QWidget


def scrollable(body: QWidget) -> QScrollArea:
    """``body`` in a scroll area, so a dock never forces a minimum window height."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(body)
    return scroll
