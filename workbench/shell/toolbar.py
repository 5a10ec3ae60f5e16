"""The training toolbar: a big Train button and twins of the queue's pause/resume/stop.

Train is the one action a new user needs, so it is large and green. Pause,
resume and stop live in the Run queue dock; the toolbar repeats them so they
stay at hand when the dock is closed, and mirrors their enabled state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractButton, QToolBar, QToolButton, QWidget

TRAIN_STYLE = (
    "QToolButton { background: #1a7f37; color: white; border-radius: 4px; padding: 4px 14px; }"
    " QToolButton:disabled { background: #8c959f; }"
)


def train_button(train: Callable[[], object]) -> QToolButton:
    """The big green Train button."""
    button = QToolButton()
    button.setText("▶  Train")
    button.setToolTip("Queue every ticked method × seed and start training (Ctrl+Enter)")
    font = QFont(button.font())
    font.setPointSizeF(font.pointSizeF() * 1.3)
    font.setBold(True)
    button.setFont(font)
    button.setMinimumWidth(120)
    button.setStyleSheet(TRAIN_STYLE)
    button.clicked.connect(train)
    return button


class TrainingToolBar(QToolBar):
    """Train, then twins of the given queue buttons.

    Parameters
    ----------
    train
        What the Train button does.
    buttons
        Queue buttons to repeat (pause, resume, stop).
    parent
        The main window.
    """

    def __init__(
        self,
        train: Callable[[], object],
        buttons: Sequence[QAbstractButton],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Training", parent)
        self.setObjectName("training-toolbar")
        self.setMovable(False)
        self.train_button = train_button(train)
        self.addWidget(self.train_button)
        self.addSeparator()
        self._twins: dict[QObject, QToolButton] = {}
        for button in buttons:
            self.addWidget(self._mirror(button))

    def _mirror(self, source: QAbstractButton) -> QToolButton:
        """A twin of ``source`` that clicks it and follows its enabled state."""
        twin = QToolButton()
        twin.setText(source.text())
        twin.setToolTip(source.toolTip())
        twin.clicked.connect(source.click)
        twin.setEnabled(source.isEnabled())
        source.installEventFilter(self)
        self._twins[source] = twin
        return twin

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        twin = self._twins.get(watched)
        if twin is not None and event.type() == QEvent.Type.EnabledChange:
            twin.setEnabled(cast(QWidget, watched).isEnabled())
        return super().eventFilter(watched, event)
