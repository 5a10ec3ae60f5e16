"""File ▸ Export report…: the compared runs as one self-contained HTML file.

The same report as ``rulwb report`` (:mod:`core.report`), made from the runs
the Comparison tab shows — the rows selected in the queue, else this
session's — so what an engineer sees on screen is what they send. Reading
every run's files and drawing the figures takes seconds, so it happens on a
background thread; the window says when the file is written or why not.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.report import read_runs, write_report
from workbench.common.background import BackgroundTasks
from workbench.training.comparison_feed import comparable
from workbench.training.run_queue_model import QueueRow


class ReportExport(QObject):
    """Writes reports off the GUI thread, one at a time; the newest request wins."""

    #: The report was written (its path).
    written = Signal(str)
    #: Nothing was written (a sentence saying why).
    refused = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = BackgroundTasks(self, "report-export")
        self.tasks.succeeded.connect(lambda path: self.written.emit(str(path)))
        self.tasks.failed.connect(lambda error: self.refused.emit(f"Report not written: {error}"))

    def export(self, rows: list[QueueRow], path: str | Path, baseline: str = "fixed") -> bool:
        """Start writing the report of ``rows``' finished runs to ``path``.

        Returns False (and says why through :attr:`refused`) when no row has
        finished results to report.
        """
        runs = [Path(row.run_dir) for row in comparable(rows) if row.run_dir]
        if not runs:
            self.refused.emit(
                "No finished runs to report: train some, or select finished runs in the queue."
            )
            return False
        self.tasks.submit(_write, runs, report_title(rows), Path(path), baseline)
        return True

    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self, wait_s: float) -> None:
        self.tasks.shutdown(wait_s)


def report_title(rows: list[QueueRow]) -> str:
    """What the runs were trained on, e.g. ``cmapss:FD001`` or ``demo, csv:fleet.csv``."""
    sources = list(dict.fromkeys(row.source for row in rows if row.source))
    return ", ".join(sources) or "workbench runs"


def _write(runs: list[Path], title: str, path: Path, baseline: str) -> Path:
    """The report, pairing like the Comparison tab (``baseline``, when it has runs)."""
    record = read_runs(runs, title)
    if baseline in record.methods:
        record.baseline = baseline
    return write_report(record, path)
