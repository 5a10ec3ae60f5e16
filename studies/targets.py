"""Where the reproduction table stands against its targets, and how finely it can tell.

    python studies/targets.py                                   # studies/out/reproduce
    python studies/targets.py --write                           # into docs/results.md
    python studies/targets.py --plot docs/val_vs_test.png

Per subset and network method: the per-seed mean test RMSE and health
macro-F1 against the round's targets, then the method against the same-split
`gbm` trees on validation units and on test units, in two ways:

* **over seeds**: the mean paired difference (method − gbm) and its 95 %
  t-interval (core.evaluation.statistics), which sees the seeds' spread only;
* **over units**: for one run, a paired bootstrap over the units (validation
  units, or test units) of the run's RMSE minus gbm's
  (core.evaluation.unit_resolution, as the Comparison tab, ``rulwb compare``
  and the report show it); the column is the median over seeds of the interval's
  half-width, i.e. the smallest difference one run can tell apart on that
  split. Validation reads the runs' ``trajectories.csv`` (every validation
  window; megabytes, not kept in git) and keeps each run's per-unit errors
  beside it (``unit_errors_val.csv``, kept), so the column can be read again
  after the trajectories are gone; test reads ``predictions.csv`` (kept).

It reads figures the runs already hold; it neither selects nor trains
anything, so reading the test columns changes no default.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd
from reproduce import paired_interval, replace_block  # studies/ is first on sys.path

from core.comparisons.runner import finished_runs
from core.evaluation.statistics import summarise, summary_to_json
from core.evaluation.unit_resolution import add_unit_resolution, keep_unit_errors
from core.experiment import METHODS as REGISTERED
from core.runs import RunStore

REPO = Path(__file__).resolve().parents[1]
#: The round's targets for the best network's per-seed mean test RMSE: our previous
#: same-split trees and the best honest published figures (docs/reference_results.md).
TARGET_RMSE = {"FD001": 12.40, "FD002": 14.06, "FD003": 12.51, "FD004": 14.72}
#: Health macro-F1 at the kept checkpoint, every subset.
TARGET_F1 = 0.85
#: The trees every network is held against.
TREES = "gbm"
#: Where ``--write`` puts the table: file, first marker, last marker.
TARGETS_BLOCK = (REPO / "docs" / "results.md", "<!-- targets -->", "<!-- /targets -->")


def _half(width: float | None) -> str:
    return "–" if width is None else f"± {width:.2f}"


def subset_lines(subset: str, runs: pd.DataFrame) -> list[str]:
    """One markdown row per network method of a subset (best per-seed mean first)."""
    summary = summarise(runs, metrics=["rmse", "val_rmse", "macro_f1"], baseline=TREES)
    for split in ("val", "test"):
        summary = add_unit_resolution(summary, runs, split)
    networks = sorted(
        (row for row in summary_to_json(summary)["methods"]
         if not getattr(REGISTERED.get(row["method"]), "baseline", False)),
        key=lambda row: row["rmse_mean"],
    )  # fmt: skip
    lines = []
    target = TARGET_RMSE.get(subset, math.nan)
    for row in networks:
        met = "yes" if row["rmse_mean"] < target and row["macro_f1_mean"] >= TARGET_F1 else "no"
        met += " (one seed: not a mean yet)" if row["n"] < 2 else ""
        lines.append(
            f"| {subset} | {row['method']} | {row['n']:.0f} | {row['rmse_mean']:.2f} "
            f"| {row['macro_f1_mean']:.3f} | < {target:.2f}, ≥ {TARGET_F1:.2f}: {met} "
            f"| {paired_interval(row, 'val_rmse_diff') or '–'} "
            f"| {_half(row['val_rmse_unit_resolution'])} "
            f"| {paired_interval(row, 'rmse_diff') or '–'} "
            f"| {_half(row['rmse_unit_resolution'])} |"
        )
    return lines


def run_differences(runs: pd.DataFrame) -> pd.DataFrame:
    """Per network run: its validation and test RMSE minus the trees' on the same seed."""
    trees = runs[runs["method"] == TREES].set_index("seed")[["val_rmse", "rmse"]]
    networks = runs[[not getattr(REGISTERED.get(m), "baseline", False) for m in runs["method"]]]
    joined = networks.merge(trees.add_suffix("_trees"), left_on="seed", right_index=True)
    return joined.assign(
        val=joined["val_rmse"] - joined["val_rmse_trees"],
        test=joined["rmse"] - joined["rmse_trees"],
    )[["method", "seed", "val", "test"]]


def plot(differences: dict[str, pd.DataFrame], path: Path) -> None:
    """Every network run as a point: validation (x) and test (y) RMSE minus the trees'.

    Points in the lower-left or upper-right quadrant are runs where validation and
    test agree on the side of the trees; the other two quadrants are where they
    disagree. matplotlib (the report's plotting library), no display needed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 5.2), dpi=120)
    for (subset, frame), colour in zip(differences.items(), plt.cm.tab10.colors, strict=False):
        axes.scatter(frame["val"], frame["test"], s=28, color=colour, label=subset, alpha=0.8)
    axes.axhline(0, color="0.4", lw=0.8)
    axes.axvline(0, color="0.4", lw=0.8)
    axes.set_xlabel(f"validation RMSE − {TREES} (same seed)")
    axes.set_ylabel(f"test RMSE − {TREES} (same seed)")
    axes.set_title("Each network run against the trees: validation and test")
    axes.text(0.02, 0.02, "network better on both", transform=axes.transAxes, color="0.3")
    axes.text(0.98, 0.98, "trees better on both", transform=axes.transAxes, color="0.3",
              ha="right", va="top")  # fmt: skip
    axes.legend(loc="best")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--store", type=Path, default=REPO / "studies" / "out" / "reproduce",
        help="the study's folder, one comparison per subset",
    )  # fmt: skip
    parser.add_argument("--plot", type=Path, help="a PNG of every run's val and test gap")
    parser.add_argument("--write", action="store_true", help="into docs/results.md's block")
    args = parser.parse_args()
    lines = [
        "| subset | method | seeds | test RMSE | macro-F1 | target met | "
        f"val RMSE − {TREES} (seeds) | one run, val units | "
        f"test RMSE − {TREES} (seeds) | one run, test units |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    trees, differences = [], {}
    for folder in sorted(p for p in args.store.iterdir() if (p / "runs").is_dir()):
        runs = pd.DataFrame(finished_runs(RunStore(folder / "runs")).values())
        if runs.empty or TREES not in set(runs["method"]):
            continue
        for run_dir in runs["run_dir"].dropna():
            keep_unit_errors(run_dir, "val")
        own = runs[runs["method"] == TREES]
        trees.append(
            f"{folder.name} `{TREES}`: test RMSE {own['rmse'].mean():.2f}, "
            f"val RMSE {own['val_rmse'].mean():.2f}, macro-F1 {own['macro_f1'].mean():.3f}"
        )
        lines += subset_lines(folder.name, runs)
        if not (gaps := run_differences(runs)).empty:
            differences[folder.name] = gaps
    lines += ["", *trees]
    if args.plot:
        plot(differences, args.plot)
    if args.write:
        replace_block(*TARGETS_BLOCK, lines)
        print(f"wrote {TARGETS_BLOCK[0].relative_to(REPO)}")
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
