"""The report's tables as HTML: results per method, protocol, configuration, machine.

Every figure in the results table comes from the same summary ``rulwb
compare`` writes (:func:`core.comparisons.runner.comparison_summary`),
so the report and ``summary.csv`` never disagree. Numbers are formatted
as the GUI writes them (:mod:`core.common.formats`).
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from core.common.formats import MISSING, format_metric, format_metric_spread, metric_kind
from core.evaluation.statistics import MIN_PAIRS

#: (metric, column title): test figures, then uncertainty and validation.
TEST_COLUMNS = (
    ("rmse", "test RMSE"),
    ("nasa_score", "NASA score"),
    ("mae", "MAE"),
    ("accuracy", "accuracy"),
    ("macro_f1", "macro-F1"),
)
OTHER_COLUMNS = (
    ("interval_coverage", "interval coverage"),
    ("interval_width", "interval width"),
    ("val_rmse", "validation RMSE"),
    ("val_macro_f1", "validation macro-F1"),
)
#: The figures a method is compared with the baseline on (paired by seed).
PAIRED = (("rmse", "RMSE"), ("macro_f1", "macro-F1"))
#: Prognostic figures on the trajectories (core.evaluation.prognostics): test, then validation ones.
PROGNOSTIC_COLUMNS = (
    ("alpha_lambda", "α-λ accuracy"),
    ("alpha_lambda_fraction", "α-λ fraction"),
    ("prognostic_horizon", "prognostic horizon"),
    ("prognostic_horizon_share", "PH share"),
    ("relative_accuracy", "RA at λ"),
    ("cumulative_relative_accuracy", "CRA"),
)
VAL_PROGNOSTIC_COLUMNS = tuple((f"val_{m}", f"val. {t}") for m, t in PROGNOSTIC_COLUMNS)
#: The prognostic figures compared with the baseline (paired by seed; higher is better).
PROGNOSTIC_PAIRED = (("alpha_lambda", "α-λ"), ("prognostic_horizon", "PH"),
                     ("cumulative_relative_accuracy", "CRA"))  # fmt: skip
VAL_PROGNOSTIC_PAIRED = tuple((f"val_{m}", f"val. {t}") for m, t in PROGNOSTIC_PAIRED)


def p_value(value: Any) -> str:
    """A p-value: three decimals, or "< 0.001"; "–" where no test was run."""
    if value is None or not math.isfinite(value):
        return MISSING
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def figures_table(summary: pd.DataFrame, columns: tuple, ensemble: bool = False) -> str:
    """Mean ± std over seeds per method for the ``columns`` the runs have."""
    shown = [c for c in columns if f"{c[0]}_mean" in summary]
    if not shown:
        return ""
    head = ["method", "runs", *(title for _, title in shown)]
    head += ["seed-ensemble RMSE"] if ensemble else []
    body = []
    for _, row in summary.iterrows():
        cells = [html.escape(str(row["method"])), str(int(row["n"]))]
        cells += [
            format_metric_spread(
                m, row.get(f"{m}_mean"), row.get(f"{m}_std"), row.get(f"{m}_count"), row["n"]
            )
            for m, _ in shown
        ]
        cells += [_ensemble(row)] if ensemble else []
        body.append(cells)
    return html_table(head, body, numeric_from=1, css="results")


def paired_table(
    summary: pd.DataFrame,
    compared: tuple = PAIRED,
    fallback: tuple = (("val_rmse", "val. RMSE"),),
) -> str:
    """Each method's paired difference from the baseline with its interval and tests.

    On the ``compared`` figures the runs have, else (no test split) on ``fallback``.
    """
    baseline = summary.attrs.get("baseline", "fixed")
    pairs = [(m, t) for m, t in compared if f"{m}_mean" in summary] or list(fallback)
    resolved = [m for m, _ in pairs if f"{m}_unit_resolution" in summary]
    head = ["method"]
    for metric, title in pairs:
        head += [f"{title} − {baseline} [95 % CI]", "Wilcoxon p", "p (Holm)"]
        head += ["one run resolves"] if metric in resolved else []
    body = []
    for _, row in summary.iterrows():
        if row["method"] != baseline:
            twin = str(row.get("paired_with") or baseline)
            name = row["method"] if twin == baseline else f"{row['method']} (− {twin})"
            cells = [html.escape(str(name))]
            for metric, _ in pairs:
                cells += _comparison_cells(row, metric)
                cells += [_resolution(row, metric)] if metric in resolved else []
            body.append(cells)
    return html_table(head, body, numeric_from=1, css="results") if body else ""


def _comparison_cells(row: pd.Series, metric: str) -> list[str]:
    diff, low, high = (row.get(f"{metric}_diff{s}") for s in ("", "_low", "_high"))
    digits = 3 if metric_kind(metric) in ("percent", "ratio") else 2
    interval = MISSING
    if diff is not None and math.isfinite(diff):
        interval = f"{diff:+.{digits}f}"
        if low is not None and math.isfinite(low):
            interval += f" [{low:+.{digits}f}, {high:+.{digits}f}]"
        interval += f" (n = {int(row[f'{metric}_wilcoxon_n'])})"
    p, holm = row.get(f"{metric}_wilcoxon_p"), row.get(f"{metric}_wilcoxon_p_holm")
    return [interval, p_value(p), p_value(holm)]


def _resolution(row: pd.Series, metric: str) -> str:
    """``± 2.05``: the difference one run's units resolve (core.evaluation.unit_resolution)."""
    width = row.get(f"{metric}_unit_resolution")
    return MISSING if width is None or not math.isfinite(width) else f"± {width:.2f}"


def _ensemble(row: pd.Series) -> str:
    members = row.get("ensemble_members")
    if members is None or not math.isfinite(members):
        return MISSING
    return f"{format_metric('rmse', row.get('ensemble_rmse'))} (of {int(members)})"


def statistics_notes(summary: pd.DataFrame) -> list[str]:
    """What the paired table's tests are and which runs were paired, in sentences."""
    baseline = summary.attrs.get("baseline", "fixed")
    notes = [
        f"Each method is compared with '{baseline}' on the seeds both ran (paired by seed): the "
        "mean difference with its 95 % Student-t interval for any number of pairs; the exact "
        f"two-sided Wilcoxon signed-rank test only from {MIN_PAIRS} pairs (with fewer it cannot "
        "reach p < 0.05); p-values Holm-corrected over the methods compared. A difference "
        "below zero means a lower RMSE (better) or a lower macro-F1 (worse) than the baseline.",
    ]
    if any(f"{m}_unit_resolution" in summary for m in ("rmse", "val_rmse")):
        notes.append(
            "One run resolves: for each seed, a paired 95 % bootstrap over the units of the "
            "method's run and the baseline's run of that seed (same units, same windows); the "
            "median half-width over seeds. A difference between two single runs smaller than "
            "this is within what the units themselves scatter."
        )
    by_seeds: dict[str, list[str]] = {}
    for method, seeds in summary.attrs.get("paired_seeds", {}).items():
        if method != baseline:
            by_seeds.setdefault(", ".join(map(str, seeds)) or "none", []).append(method)
    notes += [f"Paired seeds {seeds}: {', '.join(ms)}." for seeds, ms in by_seeds.items()]
    by_note: dict[str, list[str]] = {}
    for _, row in summary.iterrows():
        if row.get("wilcoxon_note") and row["wilcoxon_note"] != "baseline":
            by_note.setdefault(str(row["wilcoxon_note"]), []).append(str(row["method"]))
    notes += [f"{', '.join(ms)}: {note}." for note, ms in by_note.items()]
    return notes


def key_value_table(rows: list[tuple[str, str]]) -> str:
    """A two-column table of settings (names escaped here)."""
    body = [[html.escape(k), html.escape(v)] for k, v in rows]
    return html_table([], body, numeric_from=None, css="settings")


def html_table(head: list[str], body: list[list[str]], numeric_from: int | None, css: str) -> str:
    """An HTML table; cells are escaped by the caller (they may carry entities)."""
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    rows = []
    for cells in body:
        tds = [
            f"<td class='num'>{c}</td>" if numeric_from is not None and i >= numeric_from else
            f"<td>{c}</td>"
            for i, c in enumerate(cells)
        ]  # fmt: skip
        rows.append(f"<tr>{''.join(tds)}</tr>")
    thead = f"<thead><tr>{header}</tr></thead>" if head else ""
    return f"<table class='{css}'>{thead}<tbody>{''.join(rows)}</tbody></table>"
