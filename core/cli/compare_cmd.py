"""`rulwb compare`: every (method, seed) pair, resumable, with honest statistics."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.mlflow_cmd import add_mlflow_arguments, log_ended, require_mlflow
from core.cli.options import add_preprocess_arguments, add_source_arguments
from core.cli.progress import ProgressLine
from core.cli.train_cmd import add_training_arguments, experiment_from_args
from core.common.formats import format_metric_spread

if TYPE_CHECKING:  # pandas, torch and the training stack load when the command runs
    import pandas as pd

#: core.executors.EXECUTORS, written out: that package imports the training stack, and
#: `rulwb --help` must not (tests/core/cli/test_startup.py checks the two agree).
EXECUTORS = ("serial", "local", "ray")


def register(subparsers: argparse._SubParsersAction) -> None:
    compare = subparsers.add_parser("compare", help="compare methods over several seeds")
    compare.add_argument("--methods", required=True, help="comma-separated method names")
    compare.add_argument("--seeds", default="0-4", help="seeds: 0,1,2 or a range 0-4 (default 0-4)")
    compare.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="METHOD.K=V",
        help="a method's setting, e.g. --param fixed.lambda_rul=0.7",
    )
    compare.add_argument(
        "--baseline",
        default="fixed",
        metavar="METHOD",
        help="the compared method every other is paired with, seed by seed, in the summary "
        "and the report: fixed, or fixed_tuned for a tuned constant weighting (default: fixed)",
    )
    compare.add_argument("--out", type=Path, required=True, help="comparison folder")
    compare.add_argument("--json", action="store_true", help="print the summary as JSON")
    where = compare.add_argument_group("where the runs happen")
    where.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="serial",
        help="serial: one run after another here (default); local: --jobs runs at once in "
        "processes of this machine; ray: each run a task on a Ray cluster",
    )
    where.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="local: runs at once (default: one per GPU share, else one per two cores)",
    )
    where.add_argument(
        "--address",
        default="",
        help="ray: the cluster (host:port or ray://host:10001); "
        "none: start Ray on this machine, on 127.0.0.1 only",
    )
    where.add_argument(
        "--retries", type=int, default=2, help="resume a run whose worker died this many times"
    )
    add_source_arguments(compare)
    add_preprocess_arguments(compare)
    add_training_arguments(compare)
    add_mlflow_arguments(compare)
    compare.set_defaults(handler=run_compare, config=None, method="fixed", seed=0)


def method_params(pairs: list[str], methods: list[str]) -> dict[str, dict[str, str]]:
    params: dict[str, dict[str, str]] = {m: {} for m in methods}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or method not in params:
            raise ValueError(
                f"--param expects METHOD.KEY=VALUE for a compared method, got '{pair}'"
            )
        params[method][name.strip()] = value.strip()
    return params


def run_compare(args: argparse.Namespace) -> int:
    from core.comparisons.runner import (
        ComparisonPlan,
        comparison_summary,
        parse_seeds,
        run_comparison,
    )
    from core.evaluation.statistics import summary_to_json
    from core.executors import ExecutorConfig
    from core.runs.atomic import atomic_write_text

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    seeds = parse_seeds(args.seeds)
    base = experiment_from_args(args, method_params={})
    if args.baseline not in methods:
        print(f"rulwb: --baseline {args.baseline} is not one of the compared methods "
              f"({', '.join(methods)}); add it to --methods", file=sys.stderr)  # fmt: skip
        return 2
    params = method_params(args.param, methods)
    plan = ComparisonPlan(base, methods, seeds, params, baseline=args.baseline)
    executor = ExecutorConfig(args.executor, args.jobs, args.address, retries=args.retries)
    executor.check()
    require_mlflow(args)
    parallel = executor.kind != "serial"  # runs at once: one line per epoch, no redrawn bar
    table = run_comparison(
        plan,
        args.out,
        progress=lambda label: ProgressLine(label, live=not parallel),
        notice=_print_notice,
        executor=executor,
    )
    untracked = log_ended(args, [args.out], {"rulwb.comparison": args.out.name})
    if table.empty:  # every run failed: the notes above say why; keep any older summary
        print("rulwb: no run of the comparison has finished, so there is nothing to summarise "
              "(the notes above say why each run failed)", file=sys.stderr)  # fmt: skip
        return 1
    summary = comparison_summary(table, base.preprocess.rul_cap, args.baseline)
    as_json = summary_to_json(summary)
    # atomic, so a full disk is a clear RunStoreError and an old summary stays whole
    atomic_write_text(args.out / "summary.csv", summary.to_csv(index=False))
    atomic_write_text(args.out / "summary.json", json.dumps(as_json, indent=2))
    if args.json:
        print(json.dumps(as_json, indent=2))
    else:
        print(_format(summary))
    return 1 if untracked else 0


def _print_notice(message: str) -> None:
    """Tell the user about a damaged or interrupted run found in the comparison folder."""
    print(f"rulwb: note: {message}", file=sys.stderr)


def _aligned(rows: list[list[str]]) -> list[str]:
    """Columns as wide as their widest cell (the method left, figures right), two spaces
    apart: the table is as narrow as its content allows, for an 80- or 120-column terminal."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if c == 0 else cell.rjust(width)
            for c, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


#: The figures the printed summary shows, with the test split ...
TEST_FIGURES = (("rmse", "RMSE"), ("nasa_score", "NASA"), ("accuracy", "accuracy"),
                ("macro_f1", "macro-F1"))  # fmt: skip
#: ... and without one (an imported fleet): the validation figures at the kept epoch.
VALIDATION_FIGURES = (("val_rmse", "val. RMSE"), ("val_macro_f1", "val. macro-F1"))


def _format(summary: pd.DataFrame) -> str:
    """Mean ± std per method, then RMSE's paired difference from the baseline and its p.

    A comparison without a test split shows its validation figures instead, and
    compares those (the summary then has no test columns at all).
    """
    import pandas as pd

    from core.evaluation.statistics import compared_metric

    baseline = summary.attrs.get("baseline", "fixed")
    figures = TEST_FIGURES if compared_metric(summary) == "rmse" else VALIDATION_FIGURES
    rmse, rmse_title = figures[0]
    head = ["method", "n", *(title for _, title in figures)]
    head += [f"{rmse_title} - {baseline} [95 % CI]", "p (Holm)", "ensemble RMSE", "one run ±"]
    rows = [head]
    for _, row in summary.iterrows():
        cells = [
            format_metric_spread(
                m, row.get(f"{m}_mean"), row.get(f"{m}_std"), row.get(f"{m}_count"), row["n"]
            )
            for m, _ in figures
        ]
        diff = ""
        if pd.notna(row.get(f"{rmse}_diff_low")):
            diff = (
                f"{row[f'{rmse}_diff']:+.2f} [{row[f'{rmse}_diff_low']:+.2f}, "
                f"{row[f'{rmse}_diff_high']:+.2f}] (n={int(row[f'{rmse}_wilcoxon_n'])})"
            )
        p = row.get(f"{rmse}_wilcoxon_p")
        test = f"{p:.3f} ({row[f'{rmse}_wilcoxon_p_holm']:.3f})" if pd.notna(p) else ""
        members = row.get("ensemble_members")
        ensemble = ""
        if pd.notna(members):
            ensemble = f"{row['ensemble_rmse']:.2f} (of {int(members)})"
        resolves = row.get(f"{rmse}_unit_resolution")
        resolves = f"± {resolves:.2f}" if pd.notna(resolves) else ""
        rows.append([str(row["method"]), str(int(row["n"])), *cells])
        rows[-1] += [diff, test, ensemble, resolves]
    lines = _aligned(rows)
    note = (
        "differences are paired by seed; the Wilcoxon test runs from 6 pairs, "
        "its p adjusted across methods (Holm) in brackets; the ensemble averages the seeds' "
        "predictions (reported beside the per-seed mean, not instead of it); 'one run ±' is "
        "the half-width of one seed's paired 95 % bootstrap interval over units (median over "
        "seeds): the smallest difference one run's units can tell apart"
    )
    import textwrap

    return "\n".join([*lines, *textwrap.wrap(note, width=100)])
