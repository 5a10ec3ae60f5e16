"""Comparison reports: one self-contained HTML file per comparison (``rulwb report``).

May import: core.common, core.data, core.runs, core.evaluation, core.training,
core.executors (where the runs happened), core.baseline (the Weibull plot),
core.comparisons (the saved summary).
"""

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
