"""The Data dock: choose a fleet and the preprocessing, load it off the GUI thread, check it.

Loading never blocks the window and never loses what was loaded: a bad
folder or file shows its :class:`~core.common.errors.DataError` message (file, row,
column) in the dock, and the previously loaded data stays in use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.common.errors import DataError
from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig
from core.data.prepare import PreparedData, prepare
from core.data.sources import SourceSpec, load_source
from core.data.summary import summarise
from workbench.common.background import CLOSE_WAIT_S, BackgroundTasks
from workbench.common.widgets import scrollable
from workbench.common.window_fit import FULL_TITLE, elide_middle
from workbench.data.data_form import PreprocessForm, SourceForm
from workbench.data.gui_hints import gui_wording
from workbench.data.summary_html import summary_html
from workbench.life_data.data_views import DataViews, data_views
from workbench.life_data.sensor_table import SensorScoresView
from workbench.life_data.weibull_plot import WeibullPlotPanel

ERROR_STYLE = "color: #cf222e;"
#: Characters of the source's name in the Data tab's title, at most.
TITLE_CHARACTERS = 24
INFO_STYLE = "color: #57606a;"


def spec_key(source: SourceSpec, preprocess: PreprocessConfig) -> str:
    """Identity of a loaded data set: its source and preprocessing."""
    return json.dumps(
        {"source": source.to_dict(), "preprocess": preprocess.to_dict()}, sort_keys=True
    )


#: Share of the dock's height the settings get at first (the views below get the rest).
SETTINGS_SHARE = 0.45
#: The settings that decide which sensors are used (the Sensors view says when they changed).
SENSOR_SETTINGS = ("sensors", "sensors_by", "sensors_top", "include_settings")


def load_prepared(source: SourceSpec, preprocess: PreprocessConfig) -> tuple[Any, ...]:
    """Read and prepare a data set, with its summary and views (runs on the background thread)."""
    pair = load_source(source)
    data = prepare(pair, preprocess)
    return source, preprocess, data, summarise(data), data_views(pair, data)


class DataDock(QDockWidget):
    """Source, preprocessing, Load button, and views of what is loaded.

    The settings scroll above; under them (a splitter between) the loaded data
    has three tabs: the summary, the sensors' health-indicator scores, and the
    Weibull probability plot of the training units' lives.

    Parameters
    ----------
    demo
        Size of the demo fleet (tests use a small one).
    parent
        The main window.

    Attributes
    ----------
    data
        The loaded data, or None before the first successful load.
    source, preprocess
        The settings ``data`` was loaded with.
    views
        What the Sensors and Weibull tabs show for ``data`` (computed with it).
    """

    #: New data is loaded (PreparedData).
    dataLoaded = Signal(object)
    #: A load failed (message); the previous data stays loaded.
    loadFailed = Signal(str)

    def __init__(self, demo: DemoConfig | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Data", parent)
        self.setObjectName("data-dock")
        self.data: PreparedData | None = None
        self.source: SourceSpec | None = None
        self.preprocess: PreprocessConfig | None = None
        self.summary: dict | None = None
        self.views: DataViews | None = None
        self.source_form = SourceForm(demo)
        self.preprocess_form = PreprocessForm()
        self.source_form.kind.currentIndexChanged.connect(self._source_kind_changed)
        self._source_kind_changed()
        self.load_button = QPushButton("Load data")
        self.load_button.setToolTip("Read and window the data with these settings")
        self.load_button.clicked.connect(self.load)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_view = QTextBrowser()
        self.summary_view.setOpenLinks(False)
        self.summary_view.setMinimumHeight(120)
        self.sensor_view = SensorScoresView()
        self.weibull_view = WeibullPlotPanel()
        self.weibull_view.setMinimumHeight(220)
        for key in SENSOR_SETTINGS:
            _on_change(self.preprocess_form.protocol.editors[key], self._sensor_settings_changed)
        self.tasks = BackgroundTasks(self)
        self.tasks.succeeded.connect(self._loaded)
        self.tasks.failed.connect(self._failed)
        self._split_done = False
        self.setWidget(self._body())

    def _body(self) -> QWidget:
        form = QWidget()
        layout = QVBoxLayout(form)
        layout.addWidget(self.source_form)
        layout.addWidget(_heading("Preprocessing"))
        layout.addWidget(self.preprocess_form)
        layout.addStretch(1)
        # The settings scroll; Load and its message stay in view under them, whatever the height.
        settings = QWidget()
        column = QVBoxLayout(settings)
        column.setContentsMargins(0, 0, 0, 4)
        column.setSpacing(4)
        column.addWidget(scrollable(form), 1)
        column.addWidget(self.load_button)
        column.addWidget(self.message)
        self.view_tabs = QTabWidget()
        self.view_tabs.setDocumentMode(True)
        self.view_tabs.addTab(self.summary_view, "Summary")
        self.view_tabs.addTab(self.sensor_view, "Sensors")
        self.view_tabs.addTab(self.weibull_view, "Weibull plot")
        self.view_tabs.setTabToolTip(0, "What the protocol made of the data")
        self.view_tabs.setTabToolTip(
            1, "Monotonicity, trendability and prognosability of every sensor; ✓ used"
        )
        self.view_tabs.setTabToolTip(
            2, "Probability plot and Weibull fit of the training units' lives, with suspensions"
        )
        # Settings above, views of the loaded data below: a 768-pixel-high screen has room
        # for both only if they share it, and the splitter lets the user give either more.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(settings)
        self.splitter.addWidget(self.view_tabs)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        return self.splitter

    def showEvent(self, event) -> None:
        """On first show, once laid out, give the views the larger share (the settings scroll)."""
        super().showEvent(event)
        if not self._split_done:
            QTimer.singleShot(0, self._first_split)

    def _first_split(self) -> None:
        total = sum(self.splitter.sizes())
        if self._split_done or total <= 0:
            return
        self._split_done = True
        settings = max(int(total * SETTINGS_SHARE), 200)
        self.splitter.setSizes([settings, max(total - settings, 1)])

    # ------------------------------------------------------------- loading
    @property
    def loading(self) -> bool:
        """Whether a load is under way."""
        return self.tasks.busy

    def settings(self) -> tuple[SourceSpec, PreprocessConfig]:
        """The source and preprocessing as the form shows them now (ValueError if inconsistent)."""
        return self.source_form.spec(), self.preprocess_form.config()

    def load(self) -> None:
        """Load with the form's settings on the background thread."""
        try:
            source, preprocess = self.settings()
        except (ValueError, DataError) as error:
            self._failed(error)
            return
        self.load_button.setEnabled(False)
        self._say(f"Loading {source.label}…", INFO_STYLE)
        self.tasks.submit(load_prepared, source, preprocess)

    def matches_form(self) -> bool:
        """Whether the loaded data was made with the settings the form shows now."""
        if self.data is None or self.source is None or self.preprocess is None:
            return False
        try:
            source, preprocess = self.settings()
        except (ValueError, DataError):
            return False
        return spec_key(source, preprocess) == spec_key(self.source, self.preprocess)

    def _loaded(self, result: tuple[Any, ...]) -> None:
        self.source, self.preprocess, self.data, self.summary, self.views = result
        self.load_button.setEnabled(True)
        self.summary_view.setHtml(summary_html(self.summary))
        self.sensor_view.set_table(self.views.sensors)
        self.weibull_view.set_data(self.views.weibull, self.source.label)
        self._sensor_settings_changed()
        self._say(f"Loaded {self.source.label}.", INFO_STYLE)
        self._set_title(self.source)
        self.dataLoaded.emit(self.data)

    def _set_title(self, source: SourceSpec) -> None:
        """'Data · train_FD001.csv': a file's name, cut to :data:`TITLE_CHARACTERS`; the
        full source is the tab's tooltip. A long path in the tab squeezed the
        Experiment tab beside it to "Ex…"."""
        named = source.kind in ("csv", "ncmapss") and source.path
        name = Path(str(source.path)).name if named else source.label
        self.setWindowTitle(f"Data · {elide_middle(name or source.label, TITLE_CHARACTERS)}")
        self.setProperty(FULL_TITLE, f"Data · {source.label}")

    def _sensor_settings_changed(self, *_args) -> None:
        """Tell the Sensors view whether the form now asks for another choice of sensors."""
        if self.preprocess is None:
            return
        form = self.preprocess_form.protocol
        try:
            stale = any(form.value(k) != getattr(self.preprocess, k) for k in SENSOR_SETTINGS)
        except ValueError:
            stale = True
        self.sensor_view.set_stale(stale)

    def _source_kind_changed(self, *_args) -> None:
        """Holding units out as a test set is for a CSV fleet; the others bring their own."""
        self.preprocess_form.allow_test_units(self.source_form.kind.currentData() == "csv")

    def _failed(self, error: BaseException) -> None:
        self.load_button.setEnabled(True)
        text = gui_wording(str(error)) if isinstance(error, DataError | ValueError) else repr(error)
        kept = f"\nStill using {self.source.label}." if self.source is not None else ""
        self._say(f"Could not load: {text}{kept}", ERROR_STYLE)
        self.loadFailed.emit(text)

    def _say(self, text: str, style: str) -> None:
        self.message.setStyleSheet(style)
        self.message.setText(text)

    # --------------------------------------------------------- persistence
    def state(self) -> dict[str, Any]:
        """What the form shows, for QSettings."""
        return {"source": self.source_form.state(), "preprocess": self.preprocess_form.state()}

    def restore(self, state: dict[str, Any]) -> None:
        """Show remembered settings (unknown or damaged values are ignored)."""
        self.source_form.restore(state.get("source") or {})
        self.preprocess_form.restore(state.get("preprocess") or {})
        self._source_kind_changed()  # a remembered hold-out does not apply to C-MAPSS or demo

    def shutdown(self, wait_s: float = CLOSE_WAIT_S) -> bool:
        """Let a running load finish (at most ``wait_s``) and release its thread."""
        return self.tasks.shutdown(wait_s)


def _on_change(editor: QWidget, slot) -> None:
    """Call ``slot`` whenever a generated editor's value changes (whatever its kind)."""
    for name in ("currentIndexChanged", "valueChanged", "textChanged", "toggled"):
        signal = getattr(editor, name, None)
        if signal is not None:
            signal.connect(slot)
            return


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 6, 0, 0)
    return label
