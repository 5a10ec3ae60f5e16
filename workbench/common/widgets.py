"""Small widget helpers shared by the docks."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QScrollArea, QSizePolicy, QWidget

#: Characters a dock's list box shows at least; its drop-down list shows every choice whole.
COMBO_CHARACTERS = 12


class FormScrollArea(QScrollArea):
    """Scrolls a form up and down, never sideways: it is as wide as the form needs.

    A sideways scroll bar in a dock clips the fields, and focusing a field
    scrolls the labels out of view; instead the dock cannot be made narrower
    than the form's minimum width (list boxes shrink first, see :func:`scrollable`).
    """

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        body = self.widget()
        if body is None:
            return hint
        bar = self.verticalScrollBar().sizeHint().width()
        width = body.minimumSizeHint().width() + bar + 2 * self.frameWidth()
        return QSize(max(hint.width(), width), hint.height())


def scrollable(body: QWidget) -> QScrollArea:
    """``body`` in a scroll area, so a dock never forces a minimum window height.

    It scrolls vertically only; its list boxes give up width before anything
    is clipped (their drop-down lists still show each choice in full).
    """
    for combo in body.findChildren(QComboBox):
        shrinkable(combo)
    scroll = FormScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(body)
    return scroll


def shrinkable(combo: QComboBox, characters: int = COMBO_CHARACTERS) -> None:
    """Let ``combo`` be narrower than its longest choice (the full text is its tooltip)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    view = combo.view()
    view.setMinimumWidth(view.sizeHintForColumn(0) + 2 * view.frameWidth() + 8)
    combo.currentTextChanged.connect(lambda text: combo.setToolTip(_tip(combo, text)))
    combo.setProperty("plainTip", combo.toolTip())
    combo.setToolTip(_tip(combo, combo.currentText()))


def _tip(combo: QComboBox, text: str) -> str:
    """The combo's own tooltip, led by the chosen text (which a narrow box may cut)."""
    own = str(combo.property("plainTip") or "")
    return f"{text}\n\n{own}" if own and text else own or text


class ElidedLabel(QLabel):
    """A one-line label that never widens its row: cut with "…" to the room it gets.

    For a sentence in a panel's toolbar (the gradients panel's balance), where
    a plain QLabel's width would become the panel's least width; the full text
    stays in :meth:`full_text` (and the caller's tooltip).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        self._full = text
        self.updateGeometry()  # its wish (the whole text) changed
        self._elide()

    def sizeHint(self) -> QSize:
        """The whole text's width: what it gets when the row has room."""
        width = self.fontMetrics().horizontalAdvance(self._full) + 4
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        """No width of its own: a short row cuts the text instead of growing."""
        return QSize(0, super().minimumSizeHint().height())

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width())
        super().setText(shown)
