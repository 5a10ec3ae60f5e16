"""How the workbench writes numbers: one format per metric, the same in every place.

A run's test RMSE used to read 10.2 in the results headline, 10.21 in the queue
and 10.2 again in the comparison; its NASA score 912, 911.9 or 3.25e+05; its
accuracy 44.0 % in one place and 0.44 in another. A reader comparing two places
then wonders whether they show the same run. So every place that shows a metric
(test-results headline, comparison tables and plot, run queue, fleet view,
status bar, the HTML report) formats it here. It lives in core/, without Qt, so
``rulwb report`` writes numbers exactly as the GUI shows them. Each is formatted
by the kind of quantity it is:

- **cycles** (RMSE, MAE, interval width): two decimals, ``12.34``. Hundredths of
  a cycle are below anything that matters in maintenance, but two runs of one
  method often differ only there, and a table should tell them apart.
- **score** (NASA score): a whole number with thousands separators, ``325,123``.
  The score is a sum of exponentials that grows to the hundred thousands for a
  poor run; decimals or an exponent (``3.25e+05``) only hide its size.
- **percent** (accuracy, interval coverage): ``44.0 %``. Both are shares of
  engines, and a share reads as a percentage; the majority-class baseline beside
  the accuracy ("44 % of the engines are normal") is one, too.
- **ratio** (macro-F1): ``0.861``. Macro-F1 is the mean of per-class F1 scores,
  not a share of anything; written as a percentage it would be misread as the
  share of engines classified right. Three decimals, because methods often
  differ in the third (and the HTML report writes it the same way).

- **seconds** (a run's time): one decimal, ``61.5``, in the runs table, the
  summary's ``61.5 ± 1.9`` and the report alike (before, four significant digits
  in one place and the spread's decimals in another: ``61.53`` beside ``62 ± 12``).

Other numbers (steps, seeds, probe values) take :func:`format_value`:
four significant digits, no exponent for big numbers.
"""

from __future__ import annotations

import math
import numbers

#: Missing values (not run yet, no test split) read as a dash, not as "nan".
MISSING = "–"

#: Metric name (without a ``val_``/``majority_``/``ensemble_`` prefix) -> kind.
METRIC_KINDS = {
    "rmse": "cycles",
    "mae": "cycles",
    "interval_width": "cycles",
    "nasa_score": "score",
    "accuracy": "percent",
    "interval_coverage": "percent",
    "macro_f1": "ratio",
    # prognostic figures (core.evaluation.prognostics): shares of engines or of life, time, ratios
    "alpha_lambda": "percent",
    "alpha_lambda_fraction": "percent",
    "prognostic_horizon": "cycles",
    "prognostic_horizon_share": "percent",
    "relative_accuracy": "ratio",
    "cumulative_relative_accuracy": "ratio",
    # how long a run took
    "seconds": "seconds",
}
#: Prefixes that name where a figure comes from, not what it measures.
PREFIXES = ("val_", "test_", "majority_", "ensemble_")


def metric_kind(name: str) -> str | None:
    """'cycles', 'score', 'percent', 'ratio' or 'seconds' for a metric name; None for other
    numbers."""
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return metric_kind(name[len(prefix) :])
    return METRIC_KINDS.get(name)


#: Per kind of metric: the number format and the factor it is shown with (percent: × 100).
_KIND_FORMATS = {
    "score": (",.0f", 1.0),
    "percent": (".1f", 100.0),
    "ratio": (".3f", 1.0),
    "seconds": (".1f", 1.0),
}


def format_metric(name: str, value: object, missing: str = MISSING) -> str:
    """A metric as every part of the workbench writes it: ``format_metric('rmse', 12.3)``
    is ``'12.30'``; ``missing`` for None, NaN or a non-number."""
    number = _finite(value)
    if number is None:
        return missing
    kind = metric_kind(name)
    if kind == "cycles":
        return f"{number:.2f}"
    if kind not in _KIND_FORMATS:
        return format_value(number)
    spec, factor = _KIND_FORMATS[kind]
    return f"{factor * number:{spec}}" + (" %" if kind == "percent" else "")


def format_difference(name: str, value: float) -> str:
    """A difference of metric ``name`` with its sign, in the metric's format (percent: points).

    ``+0.42`` (cycles), ``+8.3`` (points of a percentage), ``+0.031`` (ratio), ``+1,204`` (score).
    """
    spec, factor = _KIND_FORMATS.get(metric_kind(name) or "", (".2f", 1.0))
    return f"{factor * value:+{spec}}"


def format_metric_spread(
    name: str, mean: object, std: object, count: object = None, runs: object = None
) -> str:
    """``'14.02 ± 0.41'``: mean and standard deviation in the metric's own format.

    The mean reads exactly as :func:`format_metric` writes one run's value, so a
    method with one run shows the same text in the summary and in the runs table.
    Without a spread (one run, std NaN) it is just the mean. When only ``count``
    of the method's ``runs`` have the figure (older runs lack it), the text says
    so, ``'87.0 % ± 0.0 % (2 of 5)'``, rather than pass for a mean over all.
    """
    if metric_kind(name) is None:
        text = format_spread(_or_nan(mean), _or_nan(std))
    else:
        text = format_metric(name, mean)
        spread = _finite(std)
        if text != MISSING and spread is not None:
            text = f"{text} ± {format_metric(name, spread)}"
    have, of = _finite(count), _finite(runs)
    if text != MISSING and have is not None and of is not None and have < of:
        text += f" ({have:.0f} of {of:.0f})"
    return text


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 run``, ``3 runs``: a count with its noun, so no message says "1 runs"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def format_value(value: float | None) -> str:
    """Four significant digits; big numbers without exponent noise; '–' for missing."""
    if value is None or not math.isfinite(value):
        return MISSING
    if abs(value) >= 1e4 or (value != 0 and abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.4g}"


def format_spread(mean: float, std: float) -> str:
    """'mean ± std' with std to two significant digits and the mean to the same decimals."""
    if not math.isfinite(std) or std <= 0:
        return format_value(mean)
    decimals = int(min(max(1 - math.floor(math.log10(std)), 0), 6))
    return f"{mean:.{decimals}f} ± {std:.{decimals}f}"


def _finite(value: object) -> float | None:
    """The value as a finite float, or None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _or_nan(value: object) -> float:
    number = _finite(value)
    return math.nan if number is None else number
