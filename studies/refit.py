"""Is a refit on every training unit worth it? Judged on units held out of training and selection.

Validation units cannot judge a refit (it trains on them), and the C-MAPSS
test set must not choose a default. So this study writes a C-MAPSS subset's
*training* units to a CSV outside the project and imports it with
``--test-units 20``: 20 units are held out as an inner test set, each cut at
a random point of its life as C-MAPSS's test units are, and the others are
split into training and validation units as always. Every seed trains twice,
without and with ``--refit``, on one torch thread; the paired difference of
the inner test figures says what the refit is worth.

    python studies/refit.py run --subsets FD001 --seeds 0,1,2
    python studies/refit.py report          # JSON on stdout
    python studies/refit.py --store studies/out/refit-next run ...   # another study folder

``run`` is two resumable ``rulwb compare`` calls per subset (``plain`` and
``refit`` under ``studies/out/refit/<subset>``), side by side. The CSV is
written to the same temporary path each time, so a second ``run`` finds the
finished runs (the source path is part of a run's identity).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from core.comparisons.runner import finished_runs
from core.data.sources import SourceSpec, load_source
from core.evaluation.statistics import paired_difference
from core.runs import RunStore

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "studies" / "out" / "refit"
ARMS = {"plain": [], "refit": ["--refit"]}
FIGURES = ("rmse", "nasa_score", "accuracy", "macro_f1")


def training_csv(subset: str) -> Path:
    """The subset's training units as a CSV at a fixed path outside the project."""
    path = Path(tempfile.gettempdir()) / "rulwb-refit-study" / f"{subset}_train.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        load_source(SourceSpec.parse(f"cmapss:{subset}")).train.frame.to_csv(path, index=False)
    return path


def run(args: argparse.Namespace) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for subset in args.subsets.split(","):
        source = training_csv(subset)
        children = []
        for arm, flags in ARMS.items():
            command = [
                sys.executable, "-m", "core.cli.main", "compare", "--source", f"csv:{source}",
                "--test-units", str(args.test_units), "--methods", "fixed", "--seeds", args.seeds,
                "--preset", "compact", "--threads", "1", "--out", str(OUT / subset / arm), *flags,
            ]  # fmt: skip
            print(" ".join(command[2:]), flush=True)
            children.append(subprocess.Popen(command, env=env, cwd=REPO))
        if any(child.wait() for child in children):
            sys.exit(1)


def report(_: argparse.Namespace) -> None:
    """Per subset: each arm's mean inner-test figures and refit − plain paired by seed."""
    result = {}
    for folder in sorted(p for p in OUT.iterdir() if p.is_dir()):
        arms = {
            arm: pd.DataFrame(finished_runs(RunStore(folder / arm / "runs")).values())
            for arm in ARMS
            if (folder / arm / "runs").is_dir()
        }
        if len(arms) < len(ARMS) or any(frame.empty for frame in arms.values()):
            continue
        paired = arms["plain"].merge(arms["refit"], on="seed", suffixes=("_plain", "_refit"))
        entry: dict = {"seeds": sorted(int(s) for s in paired["seed"])}
        for figure in FIGURES:
            plain, refit = paired[f"{figure}_plain"], paired[f"{figure}_refit"]
            mean, low, high = paired_difference(refit, plain)
            entry[figure] = {
                "plain": float(plain.mean()),
                "refit": float(refit.mean()),
                "refit_minus_plain": mean,
                "ci95": [_or_none(low), _or_none(high)],  # none from one pair
            }
        entry["kept_epoch"] = float(paired["best_epoch_plain"].mean())
        result[folder.name] = entry
    print(json.dumps(result, indent=2))


def _or_none(value: float) -> float | None:
    """JSON has no NaN: an undefined interval bound is null."""
    return None if math.isnan(value) else value


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--store", type=Path, default=OUT,
        help="the study's folder (default: studies/out/refit); new defaults go in their own",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run")
    go.add_argument("--subsets", default="FD001")
    go.add_argument("--seeds", default="0,1,2")
    go.add_argument("--test-units", type=int, default=20)
    sub.add_parser("report")
    args = parser.parse_args()
    OUT = args.store.resolve()
    run(args) if args.command == "run" else report(args)


if __name__ == "__main__":
    main()
