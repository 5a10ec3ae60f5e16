"""Small things a user meets: coinciding curves, the first epoch, an empty fleet plot, a
confirmed Remove, the Help menu and shortcuts, a row click that ticks, one name per option.

Each is checked as data: pens and legend texts, placeholder texts, axis ranges, rows
left in the model, actions' key sequences, the labels the forms show.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QStyle,
    QStyleOptionViewItem,
    QWidget,
)

from core.training.events import StepEvent
from workbench.common import help_menu
from workbench.data.csv_columns import ColumnRolesBox
from workbench.experiment.experiment_dock import ExperimentDock
from workbench.experiment.method_editor import MethodPicker
from workbench.fleet.fleet_trajectory import EMPTY_TEXT, FleetTrajectoryPlot
from workbench.panels import BlockGradientPanel, ComparisonPanel, LossPanel
from workbench.training.run_queue_model import QueueRow


# ------------------------------------------------------------ coinciding curves
def test_a_method_whose_curve_is_anothers_is_dotted_and_named_so(make):
    panel = make(ComparisonPanel)
    epochs, rmse = np.arange(1.0, 5.0), np.array([40.0, 30.0, 25.0, 24.0])
    panel.set_curves({
        "fixed s0": ("fixed", epochs, rmse),
        "gaba s0": ("gaba", epochs, rmse.copy()),  # still in its warm-up: fixed weights
        "dwa s0": ("dwa", epochs, rmse + 3.0),
    })  # fmt: skip
    panel.flush()
    assert panel.same_as == {"gaba": "fixed"}
    styles = {m: item.opts["pen"].style() for m, item in panel.mean_items.items()}
    assert styles["fixed"] == styles["dwa"] == Qt.PenStyle.SolidLine
    assert styles["gaba"] == Qt.PenStyle.CustomDashLine, "the later line lets the first show"
    assert panel.mean_items["gaba"].zValue() > panel.mean_items["fixed"].zValue()
    names = [label.text for _, label in panel.legend.items]
    assert names == ["fixed", "gaba (= fixed)", "dwa"]
    np.testing.assert_array_equal(panel.mean_items["gaba"].getData()[1], rmse)  # data unchanged


# ------------------------------------------------------------ first epoch
def test_the_losses_say_the_first_epoch_is_running_until_it_ends(make):
    panel = make(LossPanel)
    assert panel.placeholder_text() == panel.empty_text  # no run: "No run yet"
    for step in range(3):
        panel.note_step(step, steps_per_epoch=40)
    panel.flush()
    text = panel.empty_label.text()
    assert text.startswith("First epoch running") and "step 3 of 40" in text
    assert panel.stack.currentWidget() is panel.empty_label
    panel.add_epoch({"epoch": 1, "train_loss_rul": 900.0, "val_loss_rul": 950.0})
    panel.flush()
    assert panel.stack.currentWidget() is panel.graphics
    panel.reset()
    assert panel.placeholder_text() == panel.empty_text


def test_the_feed_tells_the_losses_of_the_followed_runs_steps(qtbot):
    from workbench.training.live_area import LiveArea
    from workbench.training.live_feed import LiveFeed

    area = LiveArea()
    qtbot.addWidget(area)
    feed = LiveFeed(area)
    feed.push(1, StepEvent(4, 0, 25, 900.0, 1.0, 0.5, 0.5, 1e-3))
    feed.flush()
    assert area.losses.first_epoch_step == (5, 25)


# ------------------------------------------------------------ empty fleet plot
def test_an_empty_fleet_plot_says_why_over_a_plausible_range(qtbot):
    plot = FleetTrajectoryPlot()
    qtbot.addWidget(plot)
    (x0, x1), (y0, y1) = plot.getPlotItem().vb.viewRange()
    assert (x0, y0) == (0, 0) and x1 >= 100 and y1 >= 100, "not pyqtgraph's ±0.4"
    assert not any(band.isVisible() for band in plot.health_bands.bands.values())
    assert plot.empty_label.isVisible() and plot.empty_label.toPlainText() == EMPTY_TEXT
    import pandas as pd

    rows = pd.DataFrame({"cycle": [1, 2, 3], "pred_rul": [90.0, 80.0, 70.0],
                         "pred_health": ["normal"] * 3, "true_rul": [np.nan] * 3})  # fmt: skip
    plot.show_engine(7, rows)
    assert not plot.empty_label.isVisible()
    assert all(band.isVisible() for band in plot.health_bands.bands.values())
    plot.clear_engine()
    assert plot.empty_label.isVisible() and plot.getPlotItem().vb.viewRange()[1][0] == 0


# ------------------------------------------------------------ Remove asks first
def test_remove_asks_first_and_cancel_keeps_every_row(qtbot, make_window, monkeypatch):
    window = make_window(autoload=False)
    done = QueueRow("fixed", 0, status="finished", run_dir="/runs/20260101_fixed_s0")
    queued = QueueRow("gaba", 0)
    window.queue_model.add([done, queued])
    window.queue_dock.select([done.row_id, queued.row_id])
    asked: list[str] = []
    answer = QMessageBox.StandardButton.Cancel

    def question(parent, title, text, *buttons):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    window.queue_dock.buttons["remove"].click()
    assert [r.row_id for r in window.queue_model.rows] == [done.row_id, queued.row_id]
    assert "Take 2 runs off the list?" in asked[0] and "fixed s0" in asked[0]
    assert "1 run folder stays on disk" in asked[0] and "nothing is deleted" in asked[0]
    assert "1 queued run not started yet will not run" in asked[0]
    answer = QMessageBox.StandardButton.Yes
    assert window.queue_dock.remove() == 2
    assert window.queue_model.rows == [] and len(asked) == 2


# ------------------------------------------------------------ Help and shortcuts
def test_help_lists_every_shortcut_and_the_new_ones_clash_with_nothing(
    qtbot, make_window, monkeypatch
):
    window = make_window(autoload=False)
    keys = dict(help_menu.shortcuts(window))
    assert keys["File ▸ Import CSV"] == QKeySequence("Ctrl+I").toString(
        QKeySequence.SequenceFormat.NativeText
    )
    assert keys["File ▸ Export report"] == QKeySequence("Ctrl+E").toString(
        QKeySequence.SequenceFormat.NativeText
    )
    assert keys["Fleet ▸ Predict engines in service"] == QKeySequence("Ctrl+F").toString(
        QKeySequence.SequenceFormat.NativeText
    )
    assert len(set(keys.values())) == len(keys), f"two entries share a shortcut: {keys}"
    # a focused text field keeps none of them for itself (they reach the menu)
    field = QLineEdit()
    qtbot.addWidget(field)
    for key in (Qt.Key.Key_I, Qt.Key.Key_E, Qt.Key.Key_F):
        event = QKeyEvent(QEvent.Type.ShortcutOverride, key, Qt.KeyboardModifier.ControlModifier)
        event.ignore()
        QApplication.sendEvent(field, event)
        assert not event.isAccepted(), key
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    entries = {a.text(): a for a in window.help_menu.actions()}
    entries["Keyboard shortcuts"].trigger()
    assert all(where in shown[0] and keys[where] in shown[0] for where in keys)


def test_help_documentation_opens_the_docs_map(qtbot, make_window, monkeypatch):
    window = make_window(autoload=False)
    opened: list = []
    monkeypatch.setattr(help_menu.QDesktopServices, "openUrl", lambda url: opened.append(url))
    entries = {a.text(): a for a in window.help_menu.actions()}
    entries["Documentation"].trigger()
    assert opened[0].toLocalFile() == str(help_menu.DOCS / "README.md")
    assert (help_menu.DOCS / "README.md").is_file()


# ------------------------------------------------------------ forms
def test_more_settings_shows_whether_it_is_open(qtbot):
    dock = ExperimentDock()
    qtbot.addWidget(dock)
    button = dock.training.more_button
    assert button.arrowType() == Qt.ArrowType.RightArrow and not button.isChecked()
    assert button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    button.click()
    assert button.arrowType() == Qt.ArrowType.DownArrow
    button.click()
    assert button.arrowType() == Qt.ArrowType.RightArrow


def _check_box_centre(picker: MethodPicker, row: int) -> QPoint:
    option = QStyleOptionViewItem()
    option.rect = picker.list.visualItemRect(picker.list.item(row))
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    style = picker.list.style()
    return style.subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option).center()


def test_a_click_on_a_method_row_ticks_it_and_a_click_on_its_box_once(qtbot):
    picker = MethodPicker(checked=("gaba",))
    qtbot.addWidget(picker)
    picker.resize(320, 400)
    picker.show()
    names = [picker.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(picker.list.count())]
    row = names.index("dwa")
    text_point = picker.list.visualItemRect(picker.list.item(row)).center()
    viewport = picker.list.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=text_point)
    assert set(picker.checked()) == {"gaba", "dwa"}
    assert picker.list.currentRow() == row, "its settings show"
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=text_point)
    assert picker.checked() == ["gaba"]
    box = _check_box_centre(picker, row)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=box)
    assert set(picker.checked()) == {"gaba", "dwa"}, "the box toggles once, not twice"


def _form_label(editor: QWidget) -> str:
    parent = editor.parentWidget()
    while parent is not None:
        for form in parent.findChildren(QFormLayout):
            label = form.labelForField(editor)
            if label is not None:
                return label.text()
        parent = parent.parentWidget()
    raise AssertionError("not in a form")


def _label_texts(widget: QWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel)]


def test_each_option_has_one_name_and_each_name_one_option(qtbot, make_window):
    window = make_window(autoload=False)
    probe = _form_label(window.experiment_dock.probe_blocks)
    assert probe == "Probe per block"
    assert f"'{probe}'" in BlockGradientPanel.empty_text
    everywhere = [*_label_texts(window), BlockGradientPanel.empty_text]
    assert not any("per-block probe" in text.lower() for text in everywhere)
    # "Operating settings" names the CSV columns; feeding them to the model is another name
    include = window.data_dock.preprocess_form.protocol.editors["include_settings"]
    assert _form_label(include) == "Settings as inputs"
    assert "operating settings" in include.toolTip()
    assert "Operating settings" not in _label_texts(window.data_dock)
    roles = ColumnRolesBox()
    qtbot.addWidget(roles)
    assert "Operating settings" in _label_texts(roles)
