"""Empirical test coverage and width of the calibrated RUL intervals, from finished runs.

    python studies/intervals.py [--coverage 0.9] [FOLDER ...]   # default: the reproduction study

For each finished run with its ``trajectories.csv`` (validation predictions)
and ``predictions.csv`` (one test prediction per engine), the intervals are
calibrated on the validation windows exactly as a run does at its end
(:func:`core.evaluation.intervals.calibrate`) and scored on the test engines. Prints JSON
(per run, and per subset and method: mean ± std over seeds) and a markdown
table on stderr. Needs no training: it reads what the runs saved.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from core.evaluation.intervals import empirical
from core.runs import RunDir, RunStore
from core.training.results import calibrate_from_trajectories

STUDY = Path(__file__).resolve().parent / "out" / "reproduce"


def score(run: RunDir, coverage: float) -> dict | None:
    """Coverage and mean width of the run's test intervals; None without the files needed."""
    try:
        trajectories, engines = run.read_trajectories(), run.read_predictions()
    except Exception:
        return None
    if engines.empty or engines["true_rul"].isna().any():
        return None
    intervals = calibrate_from_trajectories(trajectories, coverage)
    if intervals is None:
        return None
    lower, upper = intervals.bounds(engines["pred_rul"].to_numpy())
    return empirical(lower, upper, engines["true_rul"].to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coverage", type=float, default=0.9)
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_args()
    folders = args.folders or sorted(p for p in STUDY.iterdir() if (p / "runs").is_dir())
    rows = []
    for folder in folders:
        for info in RunStore(folder / "runs").list_runs():
            if info.status.value != "finished" or not info.config:
                continue
            figures = score(RunDir(info.path), args.coverage)
            if figures is not None:
                rows.append({"subset": folder.name, "method": info.config["method"],
                             "seed": info.config["seed"], **figures})  # fmt: skip
    table = pd.DataFrame(rows)
    summary = []
    if not table.empty:
        for (subset, method), group in table.groupby(["subset", "method"], sort=True):
            summary.append({
                "subset": subset, "method": method, "seeds": len(group),
                "coverage_mean": float(group["interval_coverage"].mean()),
                "coverage_std": float(group["interval_coverage"].std(ddof=1)) if len(group) > 1
                else None,
                "width_mean": float(group["interval_width"].mean()),
            })  # fmt: skip
    print(json.dumps({"nominal": args.coverage, "runs": rows, "summary": summary}, indent=2))
    lines = ["| subset | method | seeds | test coverage | mean width (cycles) |"]
    lines.append("|---|---|---|---|---|")
    for s in summary:
        spread = "" if s["coverage_std"] is None else f" ± {s['coverage_std']:.3f}"
        lines.append(f"| {s['subset']} | {s['method']} | {s['seeds']} | "
                     f"{s['coverage_mean']:.3f}{spread} | {s['width_mean']:.1f} |")  # fmt: skip
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
