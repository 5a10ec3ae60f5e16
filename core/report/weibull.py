"""The Weibull life model's section of the report: its fit and its probability plot.

Drawn with matplotlib like the report's other figures (core.report.figures);
the points come from :func:`core.baseline.weibull.probability_plot_points`
(Johnson's adjusted ranks with Bernard's approximation), which the GUI can
draw with pyqtgraph from the same function. A ``weibull`` run's fit and the
lives it was fitted to are read from its ``weibull.json``.
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from core.baseline.weibull import WeibullFit, probability_plot_points
from core.baseline.weibull_run import FIT_FILE
from core.common.formats import format_value
from core.report.collect import ComparisonRecord, RunRecord
from core.report.figures import _style, to_svg
from core.report.tables import html_table

#: Unreliabilities labelled on the probability axis.
_TICKS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.632, 0.8, 0.9, 0.95, 0.99)


def weibull_y(unreliability: np.ndarray) -> np.ndarray:
    """Weibull paper's vertical axis, ``ln(-ln(1 - F))``."""
    return np.log(-np.log1p(-np.asarray(unreliability, dtype=np.float64)))


def probability_plot(
    failures: Sequence[float],
    suspensions: Sequence[float],
    shape: float,
    scale: float,
    time_unit: str = "cycles",
) -> Figure:
    """Weibull probability plot: median ranks of the failures and the fitted line.

    Horizontal axis ``ln t`` (shown as ``t`` on a log scale), vertical axis
    ``ln(-ln(1 - F))`` labelled in percent; on it a Weibull is the straight line
    ``y = k (ln t - ln λ)``. Suspensions carry no point of their own (they move
    the failures' ranks) and are marked along the bottom; B10 is marked on the line.
    """
    times, unreliability = probability_plot_points(failures, suspensions)
    fit = WeibullFit(shape, scale)
    everything = np.r_[np.asarray(failures, float), np.asarray(suspensions, float)]
    low, high = everything.min() * 0.8, everything.max() * 1.25
    points = weibull_y(unreliability)
    bottom = min(float(points.min()), float(weibull_y(np.array([0.01]))[0])) - 0.4
    top = max(float(points.max()), float(weibull_y(np.array([0.99]))[0])) + 0.2
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    axes = figure.subplots()
    line = np.geomspace(low, high, 200)
    axes.plot(line, shape * (np.log(line) - math.log(scale)), color="#1f1f1f", lw=1.2,
              label=f"fit: k = {shape:.3g}, λ = {scale:.4g} {time_unit}")  # fmt: skip
    axes.plot(times, points, "o", ms=3.5, color="#4e79a7",
              label=f"{len(times)} failures (median ranks)")  # fmt: skip
    if len(suspensions):  # a rug along the bottom: suspensions have no rank of their own
        axes.plot(suspensions, np.full(len(suspensions), 0.02), "|", ms=8, color="#e15759",
                  transform=axes.get_xaxis_transform(),
                  label=f"{len(suspensions)} suspensions")  # fmt: skip
    b10_y = float(weibull_y(np.array([0.1]))[0])
    axes.plot([fit.b10], [b10_y], "s", ms=6, mfc="none", color="#59a14f",
              label=f"B10 = {fit.b10:.4g} {time_unit}")  # fmt: skip
    axes.set_xscale("log")
    subs = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0) if high / low < 10 else (1.0, 2.0, 5.0)
    axes.xaxis.set_major_locator(LogLocator(subs=subs))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlim(low, high)
    axes.set_ylim(bottom, top)
    ticks = np.array([p for p in _TICKS if bottom <= weibull_y(np.array([p]))[0] <= top])
    axes.set_yticks(weibull_y(ticks), [f"{100 * p:g} %" for p in ticks])
    axes.set(xlabel=f"age at failure ({time_unit}, log scale)",
             ylabel="unreliability F (Weibull scale)")  # fmt: skip
    axes.legend(loc="upper left", frameon=False)
    figure.suptitle("Weibull probability plot (Johnson's ranks, Bernard's approximation)",
                    x=0.01, ha="left")  # fmt: skip
    return figure


def probability_plot_svg(
    failures: Sequence[float],
    suspensions: Sequence[float],
    shape: float,
    scale: float,
    time_unit: str = "cycles",
) -> str:
    """:func:`probability_plot` as an inline ``<svg>`` element, in the report's style."""
    with _style():
        return to_svg(probability_plot(failures, suspensions, shape, scale, time_unit))


def probability_plot_png(
    failures: Sequence[float],
    suspensions: Sequence[float],
    shape: float,
    scale: float,
    time_unit: str = "cycles",
    dpi: int = 150,
) -> bytes:
    """:func:`probability_plot` as PNG bytes (for a document or a run folder)."""
    with _style():
        figure = probability_plot(failures, suspensions, shape, scale, time_unit)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def read_fit(run: RunRecord) -> dict | None:
    """A ``weibull`` run's ``weibull.json``; None for any other run or when it is missing."""
    path = run.path / FIT_FILE
    if run.config.get("method") != "weibull" or not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


def weibull_section(record: ComparisonRecord) -> str:
    """The fit of the comparison's ``weibull`` runs and its probability plot ("" without one).

    Runs fitted to the same lives (every seed of one data split) share one row
    and one plot.
    """
    fits: dict[tuple, tuple[list[str], dict]] = {}
    for run in record.runs:
        saved = read_fit(run)
        if saved is None:
            continue
        key = (saved.get("shape"), saved.get("scale"), saved.get("failures"),
               saved.get("suspensions"))  # fmt: skip
        fits.setdefault(key, ([], saved))[0].append(f"{run.method} s{run.seed}")
    if not fits:
        return ""
    rows, plots = [], []
    for names, saved in fits.values():
        unit = str(saved.get("time_unit", "cycles"))
        rows.append([
            html.escape(", ".join(names)),
            format_value(saved.get("shape")),
            f"{format_value(saved.get('scale'))} {html.escape(unit)}",
            f"{format_value(saved.get('b10'))} {html.escape(unit)}",
            str(saved.get("failures")),
            str(saved.get("suspensions")),
        ])  # fmt: skip
        plots.append(
            probability_plot_svg(
                saved.get("failure_times", []),
                saved.get("suspension_times", []),
                float(saved["shape"]),
                float(saved["scale"]),
                unit,
            )
        )
    head = ["runs", "shape k", "scale λ", "B10 life", "failures", "suspensions"]
    note = (
        "A 2-parameter Weibull fitted by maximum likelihood (scipy) to the training units' "
        "lives, suspended units right-censored; it predicts the mean residual life at each "
        "unit's age and reads no sensor (docs/methods.md#weibull). B10: the age by which "
        "10 % of units fail."
    )
    body = html_table(head, rows, numeric_from=1, css="weibull")
    figures = "".join(f"<figure>{svg}</figure>" for svg in plots)
    return f"<h2>Weibull life model</h2><p class='note'>{html.escape(note)}</p>{body}{figures}"
