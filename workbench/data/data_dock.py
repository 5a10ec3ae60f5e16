"""The Data dock: choose a fleet and the preprocessing, load it off the GUI thread, check it.

Loading never blocks the window and never loses what was loaded: a bad
folder or file shows its :class:`~core.errors.DataError` message (file, row,
column) in the dock, and the previously loaded data stays in use.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig
from core.data.prepare import PreparedData, prepare
from core.data.sources import SourceSpec, load_source
from core.data.summary import summarise
from core.errors import DataError
from workbench.common.background import CLOSE_WAIT_S, BackgroundTasks
from workbench.common.widgets import scrollable
from workbench.data.data_form import PreprocessForm, SourceForm
from workbench.data.gui_hints import gui_wording
from workbench.data.summary_html import summary_html

ERROR_STYLE = "color: #cf222e;"
INFO_STYLE = "color: #57606a;"


def spec_key(source: SourceSpec, preprocess: PreprocessConfig) -> str:
    """Identity of a loaded data set: its source and preprocessing."""
    return json.dumps(
        {"source": source.to_dict(), "preprocess": preprocess.to_dict()}, sort_keys=True
    )


def load_prepared(source: SourceSpec, preprocess: PreprocessConfig) -> tuple[Any, ...]:
    """Read and prepare a data set (runs on the background thread)."""
    data = prepare(load_source(source), preprocess)
    return source, preprocess, data, summarise(data)


class DataDock(QDockWidget):
    """Source, preprocessing, Load button, and the summary of what is loaded.

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
        self.summary_view.setMinimumHeight(160)
        self.tasks = BackgroundTasks(self)
        self.tasks.succeeded.connect(self._loaded)
        self.tasks.failed.connect(self._failed)
        self.setWidget(self._body())

    def _body(self) -> QWidget:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.source_form)
        layout.addWidget(_heading("Preprocessing"))
        layout.addWidget(self.preprocess_form)
        layout.addWidget(self.load_button)
        layout.addWidget(self.message)
        layout.addWidget(_heading("Loaded data"))
        layout.addWidget(self.summary_view, 1)
        return scrollable(body)

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
        self.source, self.preprocess, self.data, self.summary = result
        self.load_button.setEnabled(True)
        self.summary_view.setHtml(summary_html(self.summary))
        self._say(f"Loaded {self.source.label}.", INFO_STYLE)
        self.setWindowTitle(f"Data · {self.source.label}")
        self.dataLoaded.emit(self.data)

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


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 6, 0, 0)
    return label
