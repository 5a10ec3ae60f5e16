"""Comparison reports: one self-contained HTML file per comparison (``rulwb report``)."""

from core.report.collect import ComparisonRecord, RunRecord, read_comparison, read_runs
from core.report.page import render, write_report

__all__ = [
    "ComparisonRecord",
    "RunRecord",
    "read_comparison",
    "read_runs",
    "render",
    "write_report",
]
