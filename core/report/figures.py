"""The report's figures, drawn with matplotlib and embedded as inline SVG.

matplotlib rather than the GUI's pyqtgraph: a report is written by the
command line too, where core/ may not import Qt, and matplotlib's object API
(``Figure`` without ``pyplot``) draws without a display or global state. SVG
keeps the report one self-contained file whose figures stay sharp when
printed and whose labels are text a reader can search. Each figure says what
it shows in its own title and axis labels; methods have the GUI's colours.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from core.common.colours import DASHED_METHODS, HEALTH, HEALTH_STATES, RUL, method_colour
from core.common.formats import format_metric
from core.common.plot_range import within_reach
from core.evaluation.prognostics import ALPHA, alpha_cone
from core.report.collect import ComparisonRecord, RunRecord
from core.runs import RunDir, RunStoreError

#: Small multiples per row (test scatter, confusion matrices).
COLUMNS = 4
_STYLE = {
    "svg.fonttype": "none",  # text stays text: searchable, and small
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
_salt = itertools.count()


@contextmanager
def _style() -> Iterator[None]:
    # a fresh salt per figure: several inline SVGs in one page never share an element id
    settings: Any = {**_STYLE, "svg.hashsalt": f"rulwb-report-{next(_salt)}"}
    with mpl.rc_context(settings):
        yield


def to_svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no date: reproducible)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _line_style(method: str) -> str:
    return "--" if method in DASHED_METHODS else "-"


def validation_curves(record: ComparisonRecord) -> str | None:
    """Validation RMSE and macro-F1 per epoch, every run, the kept epoch marked."""
    trained = [run for run in record.runs if "val_rmse" in run.history]
    if not trained:
        return None
    with _style():
        figure = Figure(figsize=(10, 3.6), layout="constrained")
        rmse, f1 = figure.subplots(1, 2)
        for run in trained:
            for axes, column in ((rmse, "val_rmse"), (f1, "val_macro_f1")):
                _curve(axes, run, column)
        rmse.set(xlabel="epoch", ylabel=f"validation RUL RMSE ({record.time_unit})",
                 title="RUL head")  # fmt: skip
        f1.set(xlabel="epoch", ylabel="validation macro-F1", title="Health head")
        for axes in (rmse, f1):  # epochs are whole: no "1.25" on a three-epoch run's axis
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        _clip_to_settled(rmse, trained)
        levels = _baseline_levels(record, trained)  # no epochs: their figure as a level
        for axes, key, first in ((rmse, "val_rmse", 2), (f1, "val_macro_f1", 1)):
            _draw_levels(axes, key, levels, _curve_values(trained, key, first))
        _method_legend(figure, record.methods)
        figure.suptitle("Validation curves (● the epoch each run kept)", x=0.01, ha="left")
        return to_svg(figure)


def _curve(axes: Axes, run: RunRecord, column: str) -> None:
    if column not in run.history:
        return
    history = run.history
    colour = method_colour(run.method)
    axes.plot(history["epoch"], history[column], color=colour, lw=1, alpha=0.7)
    kept = history[history["epoch"] == run.metrics.get("best_epoch")]
    axes.plot(kept["epoch"], kept[column], "o", color=colour, ms=4)


def _clip_to_settled(axes: Axes, runs: list[RunRecord]) -> None:
    """RMSE from epoch 2 on sets the scale: epoch 1's (often 80+) would flatten the rest."""
    later = pd.concat([run.history.loc[run.history["epoch"] > 1, "val_rmse"] for run in runs])
    if later.notna().any():
        top = float(np.nanpercentile(later, 98))
        axes.set_ylim(max(0.0, float(later.min()) * 0.9), top * 1.1)


def _baseline_levels(record: ComparisonRecord, trained: list[RunRecord]) -> dict[str, dict]:
    """Per classical baseline (no epochs): its runs' mean validation RMSE and macro-F1."""
    levels: dict[str, dict] = {}
    for method in record.methods:
        runs = [r for r in record.runs_of(method) if r not in trained]
        for key in ("val_rmse", "val_macro_f1"):
            values = [r.metrics[key] for r in runs if r.metrics.get(key) is not None]
            if values:
                levels.setdefault(method, {})[key] = float(np.mean(values))
    return levels


def _curve_values(runs: list[RunRecord], column: str, first_epoch: int) -> np.ndarray:
    """Every run's ``column`` from ``first_epoch`` on (the settled part of an RMSE curve)."""
    parts = [r.history.loc[r.history["epoch"] >= first_epoch, column] for r in runs]
    values = pd.concat(parts).to_numpy(float) if parts else np.array([])
    return values[np.isfinite(values)]


def _draw_levels(axes: Axes, key: str, levels: dict[str, dict], values: np.ndarray) -> None:
    """Each baseline's figure as a dashed level, when it lies within the curves' span widened
    by that span on either side; one farther off (``weibull``'s age-only RMSE, twice the
    networks') would flatten the curves, so it is named at the axes' edge instead."""
    low, high = (values.min(), values.max()) if values.size else (-np.inf, np.inf)
    bottom, top = axes.get_ylim()
    near, off = [], []
    for method, figures in levels.items():
        level = figures.get(key)
        if level is None:
            continue
        if within_reach(level, low, high):
            axes.axhline(level, color=method_colour(method), ls="--", lw=1)
            near.append(level)
        else:
            off.append(f"{method} {format_metric(key, level)} {'↑' if level > high else '↓'}")
    outside = [level for level in near if not bottom <= level <= top]
    if outside and not axes.get_autoscaley_on():  # a clipped axis grows to its near levels
        bottom, top = min(bottom, *outside), max(top, *outside)
        margin = 0.03 * (top - bottom)
        axes.set_ylim(bottom - margin, top + margin)
    if off:
        axes.text(0.99, 0.98, "off the range: " + ", ".join(off), transform=axes.transAxes,
                  ha="right", va="top", fontsize=8, color="0.35")  # fmt: skip


def _method_legend(figure: Figure, methods: list[str]) -> None:
    """One entry per method, outside the plots so it never covers data."""
    handles = [
        mpl.lines.Line2D([], [], color=method_colour(m), ls=_line_style(m), lw=2) for m in methods
    ]
    figure.legend(handles, methods, loc="outside right center", frameon=False)


def gradient_figure(record: ComparisonRecord) -> str | None:
    """Per method: the gradient-norm ratio ||g_RUL|| / ||g_health|| and the task weights."""
    probed = [
        m for m in record.methods if any(_gradients(r) is not None for r in record.runs_of(m))
    ]
    if not probed:
        return None
    with _style():
        figure = Figure(figsize=(10, 2.3 * len(probed) + 0.6), layout="constrained")
        grid = np.atleast_2d(figure.subplots(len(probed), 2, sharex="row"))
        for (ratio, weights), method in zip(grid, probed, strict=True):
            for run in record.runs_of(method):
                _draw_gradients(ratio, weights, run)
            ratio.set(yscale="log", ylabel="‖g_RUL‖ / ‖g_health‖", title=f"{method}: ratio")
            weights.set(
                ylabel="task weight", title=f"{method}: weights, RUL (orange), health (blue)"
            )
            low, high = weights.get_ylim()  # weights in [0, 1] read on that scale, not ±0.02
            if low >= -0.05 and high <= 1.05:
                weights.set_ylim(-0.03, 1.03)
        for axes in grid[-1]:
            axes.set_xlabel("training step")
        figure.suptitle(
            "Gradient-norm ratio and task weights per method (one line per seed)",
            x=0.01,
            ha="left",
        )
        return to_svg(figure)


def _gradients(run: RunRecord) -> pd.DataFrame | None:
    """Per-step probe records where the run probed, else its per-epoch figures."""
    for table in (run.probe, run.history):
        columns = {"step", "ratio", "weight_rul", "weight_health"}
        if columns <= set(table.columns) and table["ratio"].notna().any():
            return table
    return None


def _draw_gradients(ratio: Axes, weights: Axes, run: RunRecord) -> None:
    table = _gradients(run)
    if table is None:
        return
    positive = table[table["ratio"] > 0]
    ratio.plot(positive["step"], positive["ratio"], color=method_colour(run.method), lw=0.8)
    weights.plot(table["step"], table["weight_rul"], color=RUL, lw=0.8)
    # Equal weights (fixed: 0.5 and 0.5) would draw health over RUL and hide it: dashed,
    # the RUL colour shows through the gaps.
    same = np.allclose(table["weight_rul"], table["weight_health"], equal_nan=True)
    weights.plot(table["step"], table["weight_health"], color=HEALTH, lw=0.8,
                 ls=(0, (3, 3)) if same else "-")  # fmt: skip


def test_scatter(record: ComparisonRecord) -> str | None:
    """Predicted against true RUL of the test engines, every seed of a method together."""
    methods = [m for m in record.methods if any(_has_test(r) for r in record.runs_of(m))]
    if not methods:
        return None
    with _style():
        figure, cells = _grid(len(methods), height=2.6)
        for axes, method in zip(cells, methods, strict=False):
            tables = [r.predictions for r in record.runs_of(method) if _has_test(r)]
            both = pd.concat(tables)
            top = float(max(both["true_rul"].max(), both["pred_rul"].max())) * 1.05
            axes.plot([0, top], [0, top], color="#9aa0a6", lw=1)
            axes.scatter(both["true_rul"], both["pred_rul"], s=6, alpha=0.5, lw=0,
                         color=method_colour(method))  # fmt: skip
            axes.set(title=f"{method} ({len(tables)} seed{'s' * (len(tables) > 1)})",
                     xlim=(0, top), ylim=(0, top), aspect="equal")  # fmt: skip
            axes.set_xlabel(f"true RUL ({record.time_unit})")
            axes.set_ylabel("predicted RUL")
        figure.suptitle("Test engines: predicted against true RUL", x=0.01, ha="left")
        return to_svg(figure)


def _has_test(run: RunRecord) -> bool:
    table = run.predictions
    return {"true_rul", "pred_rul"} <= set(table.columns) and table["true_rul"].notna().any()


def confusion_matrices(record: ComparisonRecord) -> str | None:
    """Health state on the test engines, counts summed over a method's seeds."""
    matrices = {m: _confusion(record.runs_of(m)) for m in record.methods}
    shown = {m: c for m, c in matrices.items() if c is not None}
    if not shown:
        return None
    with _style():
        figure, cells = _grid(len(shown), height=2.6)
        for axes, (method, counts) in zip(cells, shown.items(), strict=False):
            share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
            axes.imshow(share, cmap="Blues", vmin=0, vmax=1)
            for (row, column), count in np.ndenumerate(counts):
                colour = "white" if share[row, column] > 0.6 else "black"
                axes.text(column, row, f"{count:d}", ha="center", va="center", color=colour)
            ticks = range(len(HEALTH_STATES))
            axes.set_xticks(ticks, HEALTH_STATES, rotation=30)
            axes.set_yticks(ticks, HEALTH_STATES)
            axes.set(title=method, xlabel="predicted", ylabel="true")
            axes.grid(False)
        figure.suptitle("Test health state: counts over all seeds (shade: share of the true row)",
                        x=0.01, ha="left")  # fmt: skip
        return to_svg(figure)


def _confusion(runs: list[RunRecord]) -> np.ndarray | None:
    found = [np.asarray(r.metrics["confusion"]) for r in runs if r.metrics.get("confusion")]
    return np.sum(found, axis=0).astype(int) if found else None


def _grid(n: int, height: float) -> tuple[Figure, list[Axes]]:
    """A figure of ``n`` small multiples, :data:`COLUMNS` a row; unused cells hidden."""
    rows = -(-n // COLUMNS)
    figure = Figure(figsize=(10, height * rows + 0.5), layout="constrained")
    cells = list(np.atleast_1d(figure.subplots(rows, COLUMNS)).ravel())
    for axes in cells[n:]:
        axes.set_visible(False)
    return figure, cells[:n]


def alpha_lambda_figure(record: ComparisonRecord, alpha: float = ALPHA) -> str | None:
    """Per method: its predictions against the true RUL inside the α cone (an α-λ plot).

    The engines are aligned at their failure time (x: cycles before failure,
    the uncapped true RUL), so the capped true RUL is one line for all of them
    and the cone ``(1 ± α) r*`` one shape; the method's line is the median of
    the predictions of every engine and seed at that distance from failure,
    its band the interquartile range. Test engines when the runs have them
    with a known truth (their records stop before failure, so fewer engines
    reach the right-hand end), else the validation engines.
    """
    split, tables = _trajectory_tables(record)
    shown = {m: t for m, t in tables.items() if not t.empty}
    if not shown:
        return None
    prefix = "" if split == "test" else "val_"
    with _style():
        figure, cells = _grid(len(shown), height=2.6)
        for axes, (method, table) in zip(cells, shown.items(), strict=False):
            bins = _failure_aligned(table)
            lower, upper = alpha_cone(bins["truth"], alpha)
            x = bins["before_failure"]
            axes.fill_between(x, lower, upper, color="#dadce0", lw=0)
            axes.plot(x, bins["truth"], color="black", lw=0.8)
            colour = method_colour(method)
            axes.fill_between(x, bins["q25"], bins["q75"], color=colour, alpha=0.25, lw=0)
            axes.plot(x, bins["median"], color=colour, ls=_line_style(method), lw=1.2)
            share = _mean_metric(record.runs_of(method), f"{prefix}alpha_lambda")
            axes.set(title=f"{method} (α-λ {format_metric('alpha_lambda', share)})",
                     xlim=(float(x.max()), 0.0), ylim=(0.0, None))  # fmt: skip
            axes.set_xlabel(f"{record.time_unit} before failure")
            axes.set_ylabel("RUL")
        engines = "test" if split == "test" else "validation"
        figure.suptitle(
            f"α-λ plot, {engines} engines aligned at failure: true RUL (black) in its "
            f"±{100 * alpha:g} % cone (grey), median prediction over engines and seeds "
            "(band: quartiles)",
            x=0.01,
            ha="left",
        )
        return to_svg(figure)


def _trajectory_tables(record: ComparisonRecord) -> tuple[str, dict[str, pd.DataFrame]]:
    """The split to draw (``test`` when any run has test rows with a truth, else ``val``) and
    each method's rows of it over all its runs (trajectories.csv, read here: it can be large)."""
    wanted = ("cycle", "true_rul", "true_rul_uncapped", "pred_rul")
    by_method: dict[str, list[pd.DataFrame]] = {}
    for run in record.runs:
        try:
            table = RunDir(run.path).read_trajectories()
        except (RunStoreError, OSError, ValueError):
            continue
        if {"split", *wanted} <= set(table.columns):
            rows = table.loc[np.isfinite(table["true_rul_uncapped"]), ["split", *wanted]]
            by_method.setdefault(run.method, []).append(rows)
    tables = {m: pd.concat(t, ignore_index=True) for m, t in by_method.items()}
    split = "test" if any((t["split"] == "test").any() for t in tables.values()) else "val"
    return split, {m: t[t["split"] == split] for m, t in tables.items()}


def _failure_aligned(table: pd.DataFrame, bins: int = 120) -> pd.DataFrame:
    """Median and quartiles of the predictions by distance from failure (bins with 3+ points).

    Only the first two RUL caps before failure are kept: beyond them the truth
    is flat at the cap and the cone's shape is already clear.
    """
    before = table["true_rul_uncapped"].to_numpy(dtype=float)
    reach = min(float(before.max()), 2.0 * max(float(table["true_rul"].max()), 1.0))
    width = max(1.0, float(np.ceil(reach / bins)))
    near = before <= reach
    grouped = table[near].groupby(np.floor(before[near] / width) * width)
    stats = pd.DataFrame({
        "truth": grouped["true_rul"].median(),
        "median": grouped["pred_rul"].median(),
        "q25": grouped["pred_rul"].quantile(0.25),
        "q75": grouped["pred_rul"].quantile(0.75),
        "n": grouped["pred_rul"].size(),
    })  # fmt: skip
    stats = stats[stats["n"] >= 3]
    return stats.rename_axis("before_failure").reset_index()


def _mean_metric(runs: list[RunRecord], key: str) -> float | None:
    values = [r.metrics.get(key) for r in runs]
    numbers = [float(v) for v in values if isinstance(v, int | float) and np.isfinite(v)]
    return float(np.mean(numbers)) if numbers else None
