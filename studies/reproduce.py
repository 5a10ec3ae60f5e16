"""The reproduction table: the current defaults on all four C-MAPSS subsets, several methods.

    python studies/reproduce.py run --subsets FD001,FD003 --seeds 0,1,2,3,4
    python studies/reproduce.py run --subsets FD002,FD004 --seeds 0,1,2
    python studies/reproduce.py table          # markdown on stdout, from every summary.json
    python studies/reproduce.py readme         # the same into README.md and docs/results.md
    python studies/reproduce.py run --screen --subsets FD001 --methods amnl,dwa,... --seeds 0
    python studies/reproduce.py screen         # the wider family ranked on validation figures
    python studies/reproduce.py epochs         # JSON: where each subset's validation curve turns
    python studies/reproduce.py --store studies/out/reproduce-2026-11-30 table   # the previous one
    python studies/reproduce.py intervals      # coverage and width of the RUL intervals

``run`` is one resumable `rulwb compare` per subset into
``studies/out/reproduce/<subset>`` (default settings, compact preset; test
evaluated once per run on the weights selected on validation units). Stop it
at any time: run it again and only the missing (method, seed) pairs train.
``table`` prints mean ± std over seeds of test RMSE, NASA score, health
accuracy and macro-F1 per subset and method, with the number of seeds, the
RMSE difference from fixed weights and from the tuned fixed weights
(``fixed_tuned``, when it has runs; 95 % intervals) and the seed ensemble's
RMSE (core.evaluation.seed_ensembles), from whatever has finished. The C-MAPSS cap (125) is
the study's.

``readme`` computes the same summaries once and writes them where they are
read: the headline table (per subset: the network method with the lowest
per-seed mean test RMSE and its seed ensemble, fixed weights, and the
classical baselines) between ``<!-- results:begin -->`` and ``<!-- results:end
-->`` in README.md, and ``table``'s full table between ``<!-- reproduction-table
-->`` and ``<!-- /reproduction-table -->`` in docs/results.md. Nothing outside
the markers changes, so the text around the tables stays what people wrote.

``screen`` picks which of the wider family join the table: it ranks every
method trained on a subset (the screening runs and the table's own, on the
same seeds) by the validation score that selected their checkpoints
(``combined``: RMSE / cap + 1 − macro-F1), never by a test figure.

``epochs`` says, from the runs' history.csv (validation figures only), how
soon each subset overfits: per subset and method, the mean kept epoch, the
epoch of the lowest validation RMSE, the epochs run before early stopping,
and the validation RMSE at its lowest and at the last epoch run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from core.cli.train_cmd import HEADLINE
from core.common.formats import format_metric, format_metric_spread
from core.comparisons.runner import finished_runs, normalised_config
from core.evaluation.seed_ensembles import add_ensembles
from core.evaluation.statistics import summarise, summary_to_json
from core.evaluation.unit_resolution import add_unit_resolution
from core.evaluation.variants import differing_settings
from core.experiment import METHODS as REGISTERED
from core.runs import RunDir, RunStore
from core.runs.atomic import atomic_write_text
from core.training.selection import selection_score

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "studies" / "out" / "reproduce"
#: The screening of the wider family (one comparison per subset, like OUT).
SCREEN = REPO / "studies" / "out" / "screen"
#: The book's methods and uncertainty weighting; add the wider family's best with --methods.
METHODS = "fixed,gaba,grace,uncertainty"
#: C-MAPSS's RUL cap in this study (the default protocol).
CAP = 125.0
#: Where ``readme`` writes: file, first marker, last marker (the lines between are replaced).
README_BLOCK = (REPO / "README.md", "<!-- results:begin -->", "<!-- results:end -->")
RESULTS_BLOCK = (
    REPO / "docs" / "results.md",
    "<!-- reproduction-table -->",
    "<!-- /reproduction-table -->",
)
#: The headline table's fixed columns, each shown when some subset has runs of it.
CONTROLS = ("fixed", "fixed_tuned", "gbm", "weibull")
#: The tuned fixed-weight control: every method is read against it as well as against fixed.
TUNED = "fixed_tuned"


def run(args: argparse.Namespace) -> None:
    """One `rulwb compare` per subset, or with ``--by-seed`` one per subset and seed.

    By seed, every method of seed 0 finishes before seed 1 starts, so a table
    stopped midway already pairs its methods seed by seed.
    """
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    seed_groups = args.seeds.split(",") if args.by_seed else [args.seeds]
    for subset in args.subsets.split(","):
        for seeds in seed_groups:
            command = [
                sys.executable, "-m", "core.cli.main", "compare", "--source", f"cmapss:{subset}",
                "--methods", args.methods, "--seeds", seeds, "--preset", args.preset,
                "--out", str((SCREEN if args.screen else OUT) / subset), *args.extra,
            ]  # fmt: skip
            print(" ".join(command[2:]), flush=True)
            code = subprocess.call(command, env=env, cwd=REPO)
            if code:
                sys.exit(code)


def fmt(row: dict, metric: str) -> str:
    """Mean ± std as the workbench writes the metric (core/common/formats.py)."""
    return format_metric_spread(
        metric,
        row.get(f"{metric}_mean"),
        row.get(f"{metric}_std"),
        row.get(f"{metric}_count"),
        row.get("n"),
    )


def subset_summaries() -> Iterator[tuple[str, dict]]:
    """Per subset, mean ± std per method over every finished run in the study's run store.

    Computed from the runs themselves rather than a summary.json, so runs added by
    separate ``compare`` calls (another method, more seeds) all count. Yields the
    subset's name and :func:`core.evaluation.statistics.summary_to_json` of its summary (with
    each method's seed ensemble).
    """
    for folder in sorted(p for p in OUT.iterdir() if (p / "runs").is_dir()):
        store = RunStore(folder / "runs")
        runs = pd.DataFrame(finished_runs(store).values())
        if runs.empty:
            continue
        mixed = differing_settings(
            normalised_config(i.config) for i in store.list_runs() if i.config
        )
        if mixed:  # a mean over runs of two recipes would mix two experiments
            print(f"warning: {folder.name} runs differ in {mixed}", file=sys.stderr)
        summary = add_ensembles(summarise(runs, metrics=list(HEADLINE)), runs, CAP)
        summary = summary_to_json(add_unit_resolution(summary, runs, "test"))
        if TUNED in set(runs["method"]):  # the tuned control: a second reading of each method
            tuned = summarise(runs, metrics=["rmse"], baseline=TUNED).set_index("method")
            for row in summary["methods"]:
                for end in ("", "_low", "_high"):
                    value = tuned.loc[row["method"], f"rmse_diff{end}"]
                    row[f"rmse_diff_tuned{end}"] = None if pd.isna(value) else float(value)
        yield folder.name, summary


def table_lines(summaries: list[tuple[str, dict]]) -> list[str]:
    """The full table: every subset and method, test figures, difference from fixed, ensemble."""
    tuned = any("rmse_diff_tuned" in row for _, summary in summaries for row in summary["methods"])
    lines = [
        "| subset | method | seeds | test RMSE | NASA | accuracy | macro-F1 "
        "| RMSE − fixed (95 % CI) | one run resolves |"
        + (f" RMSE − {TUNED} (95 % CI) |" if tuned else "") + " ensemble RMSE |",
        "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if tuned else ""),
    ]  # fmt: skip
    for subset, summary in summaries:
        for row in summary["methods"]:
            width = row.get("rmse_unit_resolution")
            diffs = [paired_interval(row, "rmse_diff"), "" if width is None else f"± {width:.2f}"]
            diffs += [paired_interval(row, "rmse_diff_tuned")] if tuned else []
            members = row.get("ensemble_members")
            ensemble = "" if members is None else f"{row['ensemble_rmse']:.2f} (of {members:.0f})"
            lines.append(
                f"| {subset} | {row['method']} | {row['n']} | {fmt(row, 'rmse')} "
                f"| {fmt(row, 'nasa_score')} | {fmt(row, 'accuracy')} "
                f"| {fmt(row, 'macro_f1')} | " + " | ".join(diffs) + f" | {ensemble} |"
            )
    return lines


def paired_interval(row: dict, key: str) -> str:
    """A summary row's paired difference and its interval, "+0.31 [-0.46, +1.07]", or "" without
    one (the baseline, a single pair)."""
    low, high = row.get(f"{key}_low"), row.get(f"{key}_high")
    return "" if low is None else f"{row[key]:+.2f} [{low:+.2f}, {high:+.2f}]"


def table(_: argparse.Namespace) -> None:
    """The full table on stdout."""
    print("\n".join(table_lines(list(subset_summaries()))))


def _rmse(row: dict | None) -> str:
    """Test RMSE mean ± std; a deterministic baseline (std 0 over its seeds) as its value."""
    if row is None:
        return "–"
    std, mean = row.get("rmse_std"), row.get("rmse_mean")
    if std is not None and mean is not None and abs(std) <= 1e-9 * max(1.0, abs(mean)):
        return format_metric("rmse", mean)
    return fmt(row, "rmse")


def headline_lines(summaries: list[tuple[str, dict]]) -> list[str]:
    """Test RMSE per subset: the best network method (per-seed mean) and the controls.

    "Best" is the network method with the lowest per-seed mean test RMSE, shown
    with its seed ensemble's RMSE; the classical baselines never compete for it.
    """
    present = {row["method"] for _, summary in summaries for row in summary["methods"]}
    controls = [name for name in CONTROLS if name in present]
    lines = [
        "| subset | networks × seeds | lowest network mean (method) | its seed ensemble | "
        + " | ".join(f"`{name}`" for name in controls)
        + " |",
        "|---|---|---|---|" + "---|" * len(controls),
    ]
    for subset, summary in summaries:
        rows = {row["method"]: row for row in summary["methods"]}
        networks = [
            row for name, row in rows.items()
            if not getattr(REGISTERED.get(name), "baseline", False)
            and row.get("rmse_mean") is not None
        ]  # fmt: skip
        if not networks:
            continue
        best = min(networks, key=lambda row: row["rmse_mean"])
        seeds = sorted({int(row["n"]) for row in networks})
        span = str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}–{seeds[-1]}"
        members = best.get("ensemble_members")
        ensemble = "–" if members is None else f"{best['ensemble_rmse']:.2f} (of {members:.0f})"
        cells = [f"{len(networks)} × {span}", f"{_rmse(best)} ({best['method']})", ensemble]
        cells += [_rmse(rows.get(name)) for name in controls]
        lines.append(f"| {subset} | " + " | ".join(cells) + " |")
    return lines


def replace_block(path: Path, begin: str, end: str, lines: list[str]) -> None:
    """Replace the lines between the marker lines ``begin`` and ``end`` in ``path``."""
    text = path.read_text(encoding="utf-8").split("\n")
    try:
        first, last = text.index(begin), text.index(end)
    except ValueError:
        sys.exit(f"{path}: no lines {begin!r} ... {end!r} to write the table between")
    if last < first:
        sys.exit(f"{path}: {end!r} comes before {begin!r}")
    atomic_write_text(path, "\n".join([*text[: first + 1], *lines, *text[last:]]))


def readme(args: argparse.Namespace) -> None:
    """The headline table into README.md and the full table into docs/results.md."""
    summaries = list(subset_summaries())
    if not summaries:
        sys.exit(f"no finished runs under {OUT}: nothing to write")
    replace_block(*README_BLOCK, headline_lines(summaries))
    replace_block(*RESULTS_BLOCK, table_lines(summaries))
    print(f"wrote {README_BLOCK[0].relative_to(REPO)} and {RESULTS_BLOCK[0].relative_to(REPO)}")


def screen(args: argparse.Namespace) -> None:
    """The methods of a subset ranked by their kept checkpoint's validation score (lower first)."""
    runs = []
    for root in (SCREEN, OUT):
        store = root / args.subset / "runs"
        if store.is_dir():
            runs += finished_runs(RunStore(store)).values()
    table = pd.DataFrame(runs)
    seeds = {int(s) for s in args.seeds.split(",")}
    table = table[table["seed"].isin(seeds) & (table["method"] != "gbm")]
    # the same run can be in both studies only if someone trained it twice: keep one
    table = table.drop_duplicates(subset=["method", "seed"])
    ranked = (
        table.assign(
            score=[selection_score(row, "combined", CAP) for row in table.to_dict("records")],
            epoch=table["best_epoch"],
        )
        .groupby("method")[["score", "val_rmse", "val_macro_f1", "epoch"]]
        .agg(["mean", "count"])
        .sort_values(("score", "mean"))
    )
    lines = [
        "| rank | method | seeds | validation score | validation RMSE | validation macro-F1 "
        "| kept epoch |",
        "|---|---|---|---|---|---|---|",
    ]
    for rank, (method, row) in enumerate(ranked.iterrows(), start=1):
        lines.append(
            f"| {rank} | {method} | {row[('score', 'count')]:.0f} | {row[('score', 'mean')]:.4f} "
            f"| {row[('val_rmse', 'mean')]:.2f} | {row[('val_macro_f1', 'mean')]:.3f} "
            f"| {row[('epoch', 'mean')]:.0f} |"
        )
    print("\n".join(lines))


def intervals(_: argparse.Namespace) -> None:
    """Test coverage and mean width of the calibrated 90 % RUL intervals, per subset and method.

    From each run's metrics.json (calibrated on its validation units at the end
    of the run, scored once on the test engines): no trajectories needed.
    """
    lines = [
        "| subset | method | seeds | test coverage | mean width (cycles) |",
        "|---|---|---|---|---|",
    ]
    for folder in sorted(p for p in OUT.iterdir() if (p / "runs").is_dir()):
        runs = pd.DataFrame(finished_runs(RunStore(folder / "runs")).values())
        if runs.empty or "interval_coverage" not in runs:
            continue
        summary = summary_to_json(summarise(runs, metrics=["interval_coverage", "interval_width"]))
        for row in summary["methods"]:
            lines.append(
                f"| {folder.name} | {row['method']} | {row['n']} "
                f"| {fmt(row, 'interval_coverage')} | {fmt(row, 'interval_width')} |"
            )
    print("\n".join(lines))


def epochs(_: argparse.Namespace) -> None:
    """How soon the validation RMSE turns, per subset and method (validation figures only)."""
    out: dict = {}
    for folder in sorted(p for p in OUT.iterdir() if (p / "runs").is_dir()):
        rows = []
        for info in RunStore(folder / "runs").list_runs():
            metrics, config = info.metrics or {}, info.config or {}
            if metrics.get("status") != "finished" or "best_epoch" not in metrics:
                continue
            history = RunDir(info.path).read_history()
            if history.empty:
                continue  # a baseline (gbm) has no epochs
            rmse = history["val_rmse"].to_numpy(float)
            rows.append(
                {
                    "method": config.get("method"),
                    "kept_epoch": metrics["best_epoch"],
                    "lowest_rmse_epoch": int(history["epoch"].iloc[rmse.argmin()]),
                    "epochs_run": len(history),
                    "lowest_val_rmse": float(rmse.min()),
                    "last_val_rmse": float(rmse[-1]),
                }
            )
        if rows:
            means = pd.DataFrame(rows).groupby("method").agg(["mean", "count"])
            out[folder.name] = {
                method: {"runs": int(row.iloc[1]), **{k: round(float(row[(k, "mean")]), 2)
                         for k in ("kept_epoch", "lowest_rmse_epoch", "epochs_run",
                                   "lowest_val_rmse", "last_val_rmse")}}
                for method, row in means.iterrows()
            }  # fmt: skip
    print(json.dumps(out, indent=2))


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--store", type=Path, default=OUT,
        help="the study's folder, one comparison per subset (default: studies/out/reproduce)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("--subsets", default="FD001,FD002,FD003,FD004")
    go.add_argument("--methods", default=METHODS)
    go.add_argument("--seeds", default="0,1,2,3,4")
    go.add_argument("--preset", default="compact")
    go.add_argument("--threads", type=int, default=2, help="torch threads (recorded in notes)")
    go.add_argument("--screen", action="store_true", help="into the screening study (see screen)")
    go.add_argument(
        "--by-seed", action="store_true",
        help="every method of one seed before the next seed (seeds as a list: 0,1,2)",
    )  # fmt: skip
    go.add_argument("extra", nargs="*", help="more `rulwb compare` flags, after --")
    sub.add_parser("table")
    sub.add_parser("readme", help="write the tables into README.md and docs/results.md")
    sub.add_parser("epochs")
    sub.add_parser("intervals", help="test coverage and width of the calibrated RUL intervals")
    rank = sub.add_parser("screen")
    rank.add_argument("--subset", default="FD001")
    rank.add_argument("--seeds", default="0", help="the seeds every screened method has")
    args = parser.parse_args()
    OUT = args.store.resolve()
    commands = {
        "run": run, "table": table, "readme": readme, "screen": screen, "epochs": epochs,
        "intervals": intervals,
    }  # fmt: skip
    commands[args.command](args)


if __name__ == "__main__":
    main()
