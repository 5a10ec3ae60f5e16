"""The trajectory panel's engine selector shows a user's serial numbers whole ("ESN-70012").

Imported fleets name engines by serial; a selector sized for the demo's short ids
cut them to "ESN-700", which leaves several engines looking alike.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

from core.training.events import PredictionsEvent
from workbench.panels import TrajectoryPanel

SERIALS = ("ESN-70012", "ESN-70013", "ESN-7001234567")


def serial_predictions() -> PredictionsEvent:
    """Two windows per engine, engines named by long serials."""
    unit = np.repeat(np.arange(len(SERIALS)), 2)
    cycle = np.tile([1.0, 2.0], len(SERIALS))
    rul = np.tile([1.0, 0.0], len(SERIALS))
    health = np.full(unit.size, 2)
    return PredictionsEvent(1, "val", SERIALS, unit, cycle, rul, rul.astype(np.float32), health)


def test_the_engine_selector_shows_the_longest_serial_whole(make, qtbot):
    panel = make(TrajectoryPanel)
    panel.resize(900, 500)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(10)  # laid out empty, as in the window before the first epoch
    panel.set_predictions(serial_predictions())
    panel.flush()
    box = panel.unit_box
    panel.select_unit(max(SERIALS, key=len))  # the state label beside it changes too
    panel.flush()
    panel.resize(1, 500)  # as narrow as its layout allows: a crowded dock
    panel.layout().activate()  # lay out now rather than on a posted event...
    qtbot.wait(50)  # ...and let any posted one run too
    assert panel.width() < 900  # it was squeezed
    longest = max(box.fontMetrics().horizontalAdvance(s) for s in SERIALS)
    assert box.width() >= longest
    text_room = box.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox,
        _option(box),
        QStyle.SubControl.SC_ComboBoxEditField,
        box,
    )
    assert panel.units == list(SERIALS)
    assert text_room.width() >= longest  # the text area itself, not only the frame


def _option(box) -> QStyleOptionComboBox:
    option = QStyleOptionComboBox()
    box.initStyleOption(option)
    return option
