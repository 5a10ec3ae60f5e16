"""Entry point of the `rul-workbench` GUI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMainWindow, QPlainTextEdit

    from core.data.prepare import prepare
    from core.data.sources import SourceSpec, load_source
    from core.data.summary import format_summary, summarise

    app = QApplication.instance() or QApplication(argv or sys.argv)
    window = QMainWindow()
    window.setWindowTitle("RUL workbench — demo fleet")
    text = QPlainTextEdit(format_summary(summarise(prepare(load_source(SourceSpec())))))
    text.setReadOnly(True)
    window.setCentralWidget(text)
    window.resize(900, 600)
    window.show()
    return app.exec()
