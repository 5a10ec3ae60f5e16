"""The window on a laptop screen and a desktop one: it fits, its panels stay readable,
a shrink and enlarge ends where it began, and a remembered layout cannot break it.

Screens are faked with ``WorkbenchOptions.screen_area`` (the offscreen platform's own
screen is an arbitrary 800 × 800); sizes and positions are checked as numbers.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QComboBox,
    QDockWidget,
    QLabel,
    QSizePolicy,
    QTabBar,
    QWidget,
)

from workbench.training.live_area import MIN_SIZES

SCREENS = {"laptop": QRect(0, 0, 1366, 768), "desktop": QRect(0, 0, 1920, 1080)}


def settled(qtbot, window):
    qtbot.waitUntil(lambda: window.placement.settled, timeout=5000)
    qtbot.wait(50)  # the queue's height comes back on the next turn of the event loop
    return window


def outside(window: QWidget) -> list[str]:
    """Visible widgets whose rectangle leaves the window (scroll areas' contents and docks
    tabbed away behind another, which Qt parks off the window, excepted)."""
    bounds = window.rect()
    found = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.isWindow() or _in_scroll_area(widget, window):
            continue
        if _tabbed_away(widget, window):
            continue
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if isinstance(widget, QTabBar) and not bounds.intersects(rect):
            continue  # Qt parks a dock area's unused tab bar far off the window
        if not rect.isEmpty() and not bounds.contains(rect):
            found.append(f"{type(widget).__name__} {widget.objectName()} {rect.getRect()}")
    return found


def _tabbed_away(widget: QWidget, window) -> bool:
    while widget is not None and widget is not window:
        if isinstance(widget, QDockWidget) and window.tabifiedDockWidgets(widget):
            return widget.visibleRegion().isEmpty()
        widget = widget.parentWidget()
    return False


def _in_scroll_area(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def panel_sizes(window) -> dict[str, tuple[int, int]]:
    return {name: getattr(window.area, name).size().toTuple() for name in MIN_SIZES}


def check_fits(window, screen: QRect) -> None:
    """Inside the screen, every widget inside the window, every live panel readable."""
    assert screen.contains(window.frameGeometry()), (window.frameGeometry(), screen)
    assert outside(window) == []
    for name, (width, height) in MIN_SIZES.items():
        w, h = panel_sizes(window)[name]
        assert w >= width and h >= height, f"{name} is {w} x {h}, under {width} x {height}"
    assert window.area.panels_readable()
    for name in MIN_SIZES:  # nothing in a panel's toolbar row is cut off by the panel
        panel = getattr(window.area, name)
        assert clipped(panel) == [], name


def clipped(panel: QWidget) -> list[str]:
    """The panel's visible children that reach beyond its edges or are squeezed narrower
    than they can be drawn (a check box's text cut off); labels meant to give way excepted."""
    bounds = panel.rect()
    found = []
    for w in panel.findChildren(QWidget):
        if not w.isVisible() or _in_scroll_area(w, panel):
            continue
        gives_way = w.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Ignored
        squeezed = not gives_way and w.width() < w.minimumSizeHint().width()
        if squeezed or not bounds.contains(QRect(w.mapTo(panel, QPoint(0, 0)), w.size())):
            found.append(f"{type(w).__name__} {getattr(w, 'text', lambda: '')()} {w.width()}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("screen", SCREENS, ids=list(SCREENS))
def test_the_first_window_fits_the_screen_and_survives_a_shrink_and_enlarge(
    qtbot, make_window, screen
):
    area = SCREENS[screen]
    window = settled(qtbot, make_window(autoload=False, screen_area=area))
    assert window.width() <= area.width() and window.height() <= area.height()
    assert window.minimumSizeHint().height() <= area.height()
    check_fits(window, area)
    before = window.size()
    queue, panels = window.queue_dock.height(), panel_sizes(window)
    window.resize(700, 450)  # smaller than it can be: it stops at its least size
    qtbot.wait(50)
    assert window.size() == window.minimumSizeHint().expandedTo(window.minimumSize())
    assert window.area.panels_readable(), "shrunk: panels at least at their readable size"
    assert outside(window) == []
    assert all(clipped(getattr(window.area, name)) == [] for name in MIN_SIZES)
    window.resize(before)
    qtbot.wait(100)
    check_fits(window, area)
    assert abs(window.queue_dock.height() - queue) <= 2, "the queue gets its height back"
    for name, (w, h) in panel_sizes(window).items():
        assert abs(w - panels[name][0]) <= 2 and abs(h - panels[name][1]) <= 2, name


def test_no_sideways_scrolling_in_the_experiment_dock_on_a_laptop(qtbot, make_window):
    window = settled(qtbot, make_window(autoload=False, screen_area=SCREENS["laptop"]))
    scroll = window.experiment_dock.widget()
    assert isinstance(scroll, QAbstractScrollArea)
    assert scroll.horizontalScrollBar().maximum() == 0
    assert not scroll.horizontalScrollBar().isVisible()
    body = scroll.widget()
    assert body.width() <= scroll.viewport().width()
    # every field and label lies whole inside the visible width (none clipped on the right)
    for widget in body.findChildren(QWidget):
        if widget.isVisible() and isinstance(widget, QComboBox | QLabel):
            right = widget.mapTo(body, QPoint(widget.width(), 0)).x()
            assert right <= scroll.viewport().width(), widget
    # long choices are cut in the box, not in its list, and the box says them in full
    select_on = window.experiment_dock.select_on
    assert select_on.view().minimumWidth() >= select_on.view().sizeHintForColumn(0)
    assert select_on.currentText() in select_on.toolTip()


def test_a_geometry_remembered_on_a_bigger_screen_is_clamped(qtbot, make_window):
    big = settled(qtbot, make_window(autoload=False, screen_area=SCREENS["desktop"]))
    big.setGeometry(300, 80, 1600, 980)
    big.close()
    small = settled(qtbot, make_window(autoload=False, screen_area=SCREENS["laptop"]))
    check_fits(small, SCREENS["laptop"])


@pytest.mark.slow
def test_a_remembered_layout_with_crushed_panels_is_dropped(qtbot, make_window, monkeypatch):
    first = settled(qtbot, make_window(autoload=False))
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first.queue_dock)
    first.close()
    # Qt fits a restored layout to the panels' least sizes where it can; where it could not
    # (a screen smaller than the window's least size), the panels would be under them.
    from workbench.training.live_area import LiveArea

    monkeypatch.setattr(LiveArea, "panels_readable", lambda self: False)
    again = settled(qtbot, make_window(autoload=False))
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    assert again.dockWidgetArea(again.queue_dock) == bottom, "the default layout is back"
    assert "default layout restored" in again.status.currentMessage()


def test_a_long_csv_path_leaves_the_experiment_tab_its_name(qtbot, make_window, tmp_path):
    from core.data.sources import SourceSpec

    window = settled(qtbot, make_window(autoload=False, screen_area=SCREENS["laptop"]))
    path = "/data/plant-7/historian-exports/2024/turbofan_fleet_run_to_failure_train.csv"
    window.data_dock._set_title(SourceSpec(kind="csv", path=path))
    qtbot.wait(50)
    title = window.data_dock.windowTitle()
    assert len(title) <= len("Data · ") + 24 and title.endswith("_train.csv")
    bar = next(
        b
        for b in window.findChildren(QTabBar)
        if b.isVisible() and "Experiment" in [b.tabText(i) for i in range(b.count())]
    )
    texts = [bar.tabText(i) for i in range(bar.count())]
    experiment, data = texts.index("Experiment"), texts.index(title)
    needed = bar.fontMetrics().horizontalAdvance("Experiment")
    assert bar.tabRect(experiment).width() >= needed, "the Experiment tab is not cut to 'Ex…'"
    assert window.placement.tab_tips.tip(bar, data) == f"Data · csv:{path}"


def test_live_plots_at_their_least_size_are_whole_and_readable(qtbot, make):
    """At its least size a panel's plots fit its view (none cut off at the right), and the
    stacked gradient plots give their titles' room to the data."""
    from PySide6.QtCore import Qt as QtNS

    from workbench.panels import GradientPanel, LossPanel

    losses = make(LossPanel)
    losses.resize(*MIN_SIZES["losses"])
    losses.show()
    for epoch, value in ((1, 7900.0), (2, 7800.0)):
        losses.add_epoch({"epoch": epoch, "train_loss_rul": value, "val_loss_rul": value - 300,
                          "train_loss_health": 1.03, "val_loss_health": 1.04,
                          "train_loss_total": value / 2})  # fmt: skip
    losses.flush()
    least = losses.graphics.ci.effectiveSizeHint(QtNS.SizeHint.MinimumSize).width()
    assert least <= losses.graphics.viewport().width(), "the total loss plot is cut off"
    right = losses.plots["total"].mapRectToScene(losses.plots["total"].boundingRect()).right()
    assert right <= losses.graphics.viewport().width() + 1
    gradients = make(GradientPanel)
    gradients.resize(*MIN_SIZES["gradients"])
    gradients.show()
    qtbot.wait(10)
    assert gradients.compact and not gradients.plots["norms"].titleLabel.isVisible()
    assert "Gradient agreement" in gradients.graphics.toolTip()
    gradients.resize(600, 500)
    qtbot.wait(10)
    assert not gradients.compact and gradients.plots["norms"].titleLabel.isVisible()
    assert gradients.graphics.toolTip() == ""
