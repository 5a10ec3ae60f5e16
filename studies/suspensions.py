"""Suspended engines: censoring-aware training against the two naive answers, on FD001.

A fleet as maintenance systems keep it is derived from C-MAPSS FD001
(``core.data.fleet_export``): the 100 training engines as one CSV each with
``timestamp``, ``CSN`` and ``TSN_h``; 40 % of them cut at a seeded 40-90 % of
their life and logged as scheduled removals (suspensions); FD001's 100 test
engines as the in-service folder with their true remaining cycles. Four
variants of the training data are trained the same way (compact, ``fixed``,
30 epochs, seeds 0-2, validation-only selection, one torch thread) and scored
on the same in-service engines:

* ``naive``: the engine folder without the removals log, so every suspended
  engine's last record is taken as a failure (what the workbench did before);
* ``dropped``: the suspended engines' files left out by hand;
* ``censored``: the folder with ``--removals``: suspended engines train with
  the one-sided RUL loss;
* ``whole``: the same 100 engines with their whole lives (the reference).

    python studies/suspensions.py prepare          # writes the fleets (seeded)
    python studies/suspensions.py run --lane 0/2   # resumable; run lanes 0/2 and 1/2 at once
    python studies/suspensions.py report           # JSON on stdout, docs/suspensions_table.md

The comparison folders are resumable ``rulwb compare`` run stores under
``studies/out/suspensions/<variant>``; the derived fleets under
``studies/out/suspensions/fleets`` are rebuilt by ``prepare`` (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.data.fleet_export import export_fleet  # noqa: E402
from core.data.sources import SourceSpec, load_source  # noqa: E402
from core.evaluation.statistics import paired_difference  # noqa: E402

OUT = REPO / "studies" / "out" / "suspensions"
FLEETS = OUT / "fleets"
VARIANTS = ("naive", "dropped", "censored", "whole")
SEEDS = (0, 1, 2)
#: FD001's 14 informative sensors, named so every variant trains on the same features.
SENSORS = "s2,s3,s4,s7,s8,s9,s11,s12,s13,s14,s15,s17,s20,s21"
COMMON = [
    "--methods", "fixed", "--preset", "compact", "--epochs", "30", "--sensors", SENSORS,
    "--probe-every", "0", "--threads", "1",
]  # fmt: skip
TABLE = REPO / "docs" / "suspensions_table.md"


def prepare() -> None:
    """Write the derived fleets: with 40 % suspended, and the same engines' whole lives."""
    pair = load_source(SourceSpec.parse("cmapss:FD001"))
    cut = export_fleet(pair, FLEETS / "cut", suspended_share=0.4, seed=0)
    export_fleet(pair, FLEETS / "whole", suspended_share=0.0, seed=0)
    dropped = FLEETS / "dropped"
    shutil.rmtree(dropped, ignore_errors=True)
    dropped.mkdir(parents=True)
    for esn in cut.failed:
        shutil.copy(cut.engines / f"{esn}.csv", dropped / f"{esn}.csv")
    print(json.dumps({"suspended": len(cut.suspended), "failed": len(cut.failed)}))


def source_flags(variant: str) -> list[str]:
    """The `rulwb` data flags of one variant; all share the in-service engines and truth."""
    cut = FLEETS / "cut"
    test = ["--test-csv", str(cut / "in_service"), "--truth-csv", str(cut / "in_service_truth.csv")]
    engines = {
        "naive": [f"csv:{cut / 'engines'}"],
        "dropped": [f"csv:{FLEETS / 'dropped'}"],
        "censored": [f"csv:{cut / 'engines'}", "--removals", str(cut / "removals.csv")],
        "whole": [f"csv:{FLEETS / 'whole' / 'engines'}"],
    }[variant]
    return ["--source", *engines, *test]


def run(lane: str) -> None:
    """Train this lane's share of the variants (``i/n``), one resumable comparison each."""
    index, count = (int(part) for part in lane.split("/"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for variant in VARIANTS[index::count]:
        command = [
            sys.executable, "-m", "core.cli.main", "compare", *COMMON, *source_flags(variant),
            "--seeds", ",".join(map(str, SEEDS)), "--out", str(OUT / variant),
        ]  # fmt: skip
        print(" ".join(command), flush=True)
        subprocess.run(command, check=True, cwd=REPO, env=env)


def _runs(variant: str) -> dict[int, dict]:
    """Per seed, the finished run's test metrics and its bias on the in-service engines."""
    found: dict[int, dict] = {}
    for metrics_path in sorted((OUT / variant).glob("**/metrics.json")):
        folder = metrics_path.parent
        metrics = json.loads(metrics_path.read_text())
        if metrics.get("status") != "finished":
            continue
        seed = json.loads((folder / "config.json").read_text())["seed"]
        predictions = pd.read_csv(folder / "predictions.csv")
        bias = float((predictions["pred_rul"] - predictions["true_rul"]).mean())
        found[seed] = {
            "rmse": metrics["rmse"],
            "bias": bias,
            "macro_f1": metrics["macro_f1"],
            "val_rmse": metrics["val_rmse"],
            "best_epoch": metrics["best_epoch"],
        }
    return found


def report() -> dict:
    """Mean ± std per variant and the paired difference of each against ``censored``."""
    runs = {variant: _runs(variant) for variant in VARIANTS}
    out: dict = {"seeds": list(SEEDS), "threads": 1, "variants": {}}
    for variant, seeds in runs.items():
        if not seeds:
            continue
        values = {k: [seeds[s][k] for s in sorted(seeds)] for k in ("rmse", "bias", "macro_f1")}
        out["variants"][variant] = {
            "seeds": sorted(seeds),
            **{f"{k}_mean": float(np.mean(v)) for k, v in values.items()},
            **{
                f"{k}_std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
                for k, v in values.items()
            },
            "rmse_per_seed": values["rmse"],
            "best_epochs": [seeds[s]["best_epoch"] for s in sorted(seeds)],
        }
    censored = runs["censored"]
    for variant in ("naive", "dropped", "whole"):
        shared = sorted(set(censored) & set(runs[variant]))
        if len(shared) < 2:
            continue
        a = [censored[s]["rmse"] for s in shared]
        b = [runs[variant][s]["rmse"] for s in shared]
        mean, low, high = paired_difference(a, b)
        out["variants"][variant]["censored_minus_this"] = {"mean": mean, "low": low, "high": high}
    TABLE.write_text(_table(out))
    return out


def _table(result: dict) -> str:
    lines = [
        "| training data | seeds | test RMSE | bias (cycles) | macro-F1 "
        "| censored − this: RMSE [95 % CI] |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    names = {
        "naive": "suspensions taken as failures",
        "dropped": "suspended engines dropped",
        "censored": "censoring-aware (--removals)",
        "whole": "the same engines' whole lives",
    }
    for variant, row in result["variants"].items():
        diff = row.get("censored_minus_this")
        paired = "" if diff is None else _interval(diff)
        lines.append(
            f"| {names[variant]} | {len(row['seeds'])} | {row['rmse_mean']:.2f} ± "
            f"{row['rmse_std']:.2f} | {row['bias_mean']:+.1f} | {row['macro_f1_mean']:.3f} | "
            f"{paired} |"
        )
    return "\n".join(lines) + "\n"


def _interval(diff: dict) -> str:
    return f"{diff['mean']:+.2f} [{diff['low']:+.2f}, {diff['high']:+.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare")
    lane = sub.add_parser("run")
    lane.add_argument("--lane", default="0/1", help="i/n: this lane's share of the variants")
    sub.add_parser("report")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare()
    elif args.command == "run":
        run(args.lane)
    else:
        print(json.dumps(report(), indent=2, default=float))


if __name__ == "__main__":
    main()
