"""Why the balancing methods hardly differ: the effective ratio each reaches, and what it buys.

    python studies/balance.py effective                 # JSON on stdout, docs/balance_table.md

``effective`` reads every finished run of the reproduction table and the
wider family's screening (``studies/out/reproduce-2026-11-30``, the table on the
recipe of 2026-11-30 that docs/balance.md was measured on, and ``studies/out/screen``)
that probed its gradients, and gives per subset and method: the median over
epochs 3 and later of the raw ratio ``|g_rul| / |g_health|`` on the shared
parameters, of the *effective* ratio ``w_rul |g_rul| / (w_health |g_health|)``
(the mix that reaches the shared update) and of the cosine between the two
task gradients; and the validation RMSE and macro-F1 of the epoch each run
kept. Only validation figures: the test split is never read. The rank
correlation (Spearman) across methods between the effective ratio and the
validation RMSE says whether the balance a method strikes predicts its
outcome.

    python studies/balance.py cells                     # JSON on stdout, docs/balance_cells.md

``cells`` gives the same figures per cell for the follow-up cells (GABA with a
floor of 0.01 and 0; fixed weights and GABA under SGD with momentum), which
are recipe cells (``studies/recipe.py``: ``balance-*``, trained by ``recipe.py
run``, their paired validation differences by ``recipe.py versus``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.runs import RunDir  # noqa: E402
from core.training.selection import selection_score  # noqa: E402

#: The table docs/balance.md was measured on (the recipe of 2026-11-30) and the screen.
STORES = (
    REPO / "studies" / "out" / "reproduce-2026-11-30",
    REPO / "studies" / "out" / "screen",
)
#: Where studies/recipe.py trains its cells (the balance-* cells are probed).
RECIPE = REPO / "studies" / "out" / "recipe"
#: Epochs before this are the warm-up of most methods (GABA's 100 steps, DWA's two epochs).
FROM_EPOCH = 3


def run_rows(subsets: list[str]) -> pd.DataFrame:
    """One row per finished, probed run: its balance and its kept epoch's validation figures."""
    rows = []
    for store in STORES:
        for subset in subsets:
            for status in sorted((store / subset / "runs").glob("*/status.json")):
                row = _run_row(status.parent, subset)
                if row is not None:
                    rows.append(row)
    return pd.DataFrame(rows)


def cell_rows(subset: str) -> pd.DataFrame:
    """One row per finished run of the balance-* recipe cells, named by its cell."""
    rows = []
    for status in sorted(RECIPE.glob(f"balance-*/{subset}/runs/*/status.json")):
        row = _run_row(status.parent, subset)
        if row is not None:
            rows.append({**row, "cell": status.parents[3].name})
    return pd.DataFrame(rows)


def _run_row(folder: Path, subset: str) -> dict | None:
    finished = json.loads((folder / "status.json").read_text()).get("status") == "finished"
    if not finished or not (folder / "history.csv").exists():
        return None  # unfinished, or the tree baseline (no epochs)
    config = RunDir(folder).read_config()  # in today's shape, whatever its format
    history = pd.read_csv(folder / "history.csv")
    later = history[history["epoch"] >= FROM_EPOCH]
    if "effective_ratio" not in later or later["effective_ratio"].isna().all():
        return None  # not probed (the recipe runs train with --probe-every 0)
    cap = float(config["preprocess"]["rul_cap"])
    criterion = config["train"]["select_on"]
    scores = [selection_score(r, criterion, cap) for r in history.to_dict("records")]
    kept = history.iloc[int(np.argmin(scores))]
    return {
        "subset": subset,
        "method": config["method"],
        "seed": int(config["seed"]),
        "ratio": float(later["ratio"].median()),
        "effective_ratio": float(later["effective_ratio"].median()),
        "cosine": float(later["cosine"].median()),
        "kept_epoch": int(kept["epoch"]),
        "kept_effective_ratio": float(kept["effective_ratio"]),
        "val_rmse": float(kept["val_rmse"]),
        "val_macro_f1": float(kept["val_macro_f1"]),
    }


def per_method(runs: pd.DataFrame, by: str = "method") -> pd.DataFrame:
    """Median balance and mean validation figures per subset and method (or ``by``)."""
    grouped = runs.groupby(["subset", by])
    table = grouped.agg(
        seeds=("seed", "count"),
        ratio=("ratio", "median"),
        effective_ratio=("effective_ratio", "median"),
        cosine=("cosine", "median"),
        val_rmse=("val_rmse", "mean"),
        val_rmse_std=("val_rmse", "std"),
        val_macro_f1=("val_macro_f1", "mean"),
    ).reset_index()
    return table.sort_values(["subset", "effective_ratio"]).reset_index(drop=True)


def correlations(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Spearman's rho (and p) between effective ratio and validation RMSE, per subset."""
    out = {}
    for subset, rows in table.groupby("subset"):
        if len(rows) >= 4:
            rho, p = spearmanr(rows["effective_ratio"], rows["val_rmse"])
            out[str(subset)] = {"methods": len(rows), "rho": float(rho), "p": float(p)}
    return out


def markdown(table: pd.DataFrame) -> str:
    lines = [
        "| subset | method | seeds | raw ratio | effective ratio | cosine | val RMSE "
        "| val macro-F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        spread = "" if np.isnan(r.val_rmse_std) else f" ± {r.val_rmse_std:.2f}"
        lines.append(
            f"| {r.subset} | {r.method} | {r.seeds} | {r.ratio:.0f} "
            f"| {r.effective_ratio:.3g} "
            f"| {r.cosine:.2f} | {r.val_rmse:.2f}{spread} | {r.val_macro_f1:.3f} |"
        )
    return "\n".join(lines)


def effective(args: argparse.Namespace) -> None:
    table = per_method(run_rows(args.subsets.split(",")))
    spearman = correlations(table)
    out = {"from_epoch": FROM_EPOCH, "spearman_effective_ratio_vs_val_rmse": spearman,
           "rows": table.to_dict("records")}  # fmt: skip
    print(json.dumps(out, indent=1))
    if args.table:
        Path(args.table).write_text(markdown(table) + "\n")


def cells(args: argparse.Namespace) -> None:
    """The balance-* cells, with the effective ratio of the epoch each run kept beside the median.

    The median over epochs 3 and later says where a method takes the mix; the
    kept epoch's says what the model that answers was trained under.
    """
    runs = cell_rows(args.subset)
    table = per_method(runs, by="cell")
    at_kept = runs.groupby("cell").agg(
        kept_epoch=("kept_epoch", "mean"), kept_effective_ratio=("kept_effective_ratio", "median")
    )
    table = table.join(at_kept, on="cell")
    print(json.dumps({"from_epoch": FROM_EPOCH, "rows": table.to_dict("records")}, indent=1))
    if args.table:
        Path(args.table).write_text(cells_markdown(table) + "\n")


def cells_markdown(table: pd.DataFrame) -> str:
    lines = [
        "| cell | seeds | raw ratio | effective ratio | kept epoch | effective ratio there "
        "| cosine | val RMSE | val macro-F1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.cell} | {r.seeds} | {r.ratio:.0f} | {r.effective_ratio:.3g} "
            f"| {r.kept_epoch:.1f} | {r.kept_effective_ratio:.3g} | {r.cosine:.2f} "
            f"| {r.val_rmse:.2f} ± {r.val_rmse_std:.2f} | {r.val_macro_f1:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("effective")
    p.add_argument("--subsets", default="FD001,FD003")
    p.add_argument("--table", default=str(REPO / "docs" / "balance_table.md"))
    c = sub.add_parser("cells")
    c.add_argument("--subset", default="FD001")
    c.add_argument("--table", default=str(REPO / "docs" / "balance_cells.md"))
    args = parser.parse_args()
    {"effective": effective, "cells": cells}[args.command](args)


if __name__ == "__main__":
    main()
