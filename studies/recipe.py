"""The training-recipe ablation: which defaults make the dual-task model generalise.

Each *cell* is a set of `rulwb compare` flags; every cell is trained on the
chosen C-MAPSS subsets and seeds with early stopping OFF, so each run's
history holds the whole validation curve. Every figure reported is a
validation figure (units held out of training); the test split is evaluated
by the runs as always, but this study never reads it, so no default is tuned
on test data.

    python studies/recipe.py run --cells before,fix,cosine,noise --jobs 2
    python studies/recipe.py report          # JSON on stdout, table + PNG in docs/
    python studies/recipe.py versus --base window40-bias --cells window40-bias-smooth0.1

``run`` starts one resumable `rulwb compare` per (cell, subset) under
``studies/out/recipe/<cell>/<subset>``, ``--jobs`` at a time, each on one
torch thread (accuracy figures depend on the thread count; record it). Run it
again after an interruption and only missing runs are trained.

The ``before`` cell is the recipe as it was before this study (dropout on the
shared representation, ReduceLROnPlateau, no input noise): it runs the CLI of
an older checkout given by ``--before-tree`` (``git worktree add /tmp/before
3716087``), so the comparison is with the code users actually had.

``report`` picks, per run, the epoch each selection criterion would keep
(``core.training.selection``; with early stopping off, the kept checkpoint is
the criterion's arg-min over the epochs) and prints per cell and subset the
mean ± std over seeds of the validation RMSE and macro-F1 there, and how far
the last epoch's RMSE has drifted from the best one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.evaluation.metrics import rmse  # noqa: E402
from core.evaluation.statistics import paired_difference  # noqa: E402
from core.training.selection import SELECT_ON, selection_score  # noqa: E402

OUT = REPO / "studies" / "out" / "recipe"
#: Flags every cell shares: compact preset, plain history (early stopping: ``--patience``).
COMMON = ["--preset", "compact", "--probe-every", "0"]
#: Cell name -> (which code, extra flags). "current" flags state every recipe
#: setting explicitly, so a later change of defaults cannot change a cell.
#: Round two's base: round one's default recipe with windows of 40 cycles.
W40 = ["--lr-schedule", "cosine", "--input-noise", "0.2", "--dropout", "0", "--window", "40"]
#: Round two's winner and today's defaults: windows of 40, the RUL output starting at the mean.
B40 = [*W40, "--rul-bias-init"]
#: The balance cells: today's defaults with the gradient probe on (every 10 steps, its default).
BAL = [*B40, "--probe-every", "10"]
#: GABA in a balance cell, paired with itself: compare's default baseline (fixed) is not trained.
BAL_GABA = [*BAL, "--methods", "gaba", "--baseline", "gaba"]
CELLS: dict[str, tuple[str, list[str]]] = {
    "before": ("before", []),
    # the dropout fix alone: dropout 0.2 between funnel layers, no longer on the representation
    "fix": ("current", ["--lr-schedule", "plateau", "--input-noise", "0", "--dropout", "0.2"]),
    "cosine": ("current", ["--lr-schedule", "cosine", "--input-noise", "0", "--dropout", "0.2"]),
    "noise": ("current", ["--lr-schedule", "cosine", "--input-noise", "0.2", "--dropout", "0.2"]),
    # no dropout at all: no train/eval mismatch left; input noise regularises instead
    "nodrop": ("current", ["--lr-schedule", "cosine", "--input-noise", "0.2", "--dropout", "0"]),
    "nodrop-plateau": (
        "current",
        ["--lr-schedule", "plateau", "--input-noise", "0.2", "--dropout", "0"],
    ),
    "nodrop-noise0.5": (
        "current",
        ["--lr-schedule", "cosine", "--input-noise", "0.5", "--dropout", "0"],
    ),
    "window40": (
        "current",
        ["--lr-schedule", "cosine", "--input-noise", "0.2", "--dropout", "0", "--window", "40"],
    ),
    # model width: the default recipe on the tiny preset (a quarter of compact's widths);
    # the paper preset is about ten times compact's cost, out of reach on a CPU lane
    "tiny": (
        "current",
        ["--lr-schedule", "cosine", "--input-noise", "0.2", "--dropout", "0", "--preset", "tiny"],
    ),
    # the default recipe at a third of the learning rate (1e-3): multi-condition subsets
    # take four times as many steps per epoch and turn after two to five epochs
    "nodrop-lr3e-4": (
        "current",
        ["--lr-schedule", "cosine", "--input-noise", "0.2", "--dropout", "0", "--lr", "3e-4"],
    ),
    # round two: every cell below is windows of 40 cycles (the round-one winner) plus one change
    "window40-noise0.5": ("current", [*W40, "--input-noise", "0.5"]),
    "window40-tiny-noise0.5": ("current", [*W40, "--input-noise", "0.5", "--preset", "tiny"]),
    # the RUL output starts at the mean training RUL instead of 1.0 (issue: a 3-epoch run
    # predicted worse than the constant mean)
    "window40-bias": ("current", B40),
    # round two, second part: on top of window40-bias (today's defaults), one change each
    # inputs exponentially smoothed per unit (RVE smooths with alpha 0.1)
    "window40-bias-smooth0.3": ("current", [*B40, "--smoothing", "0.3"]),
    "window40-bias-smooth0.1": ("current", [*B40, "--smoothing", "0.1"]),
    # late predictions (RUL over-estimated) cost twice an early one, as NASA's score leans
    "window40-bias-late2": ("current", [*B40, "--late-weight", "2"]),
    # stochastic weight averaging from epoch 3 (after the warm-up and one epoch) against the EMA
    "window40-bias-swa3": ("current", [*B40, "--swa-from", "3"]),
    # why the methods hardly differ (studies/balance.py, docs/balance.md): GABA's floor caps its
    # reweighting at (1 - floor) / floor, 19x at the book's 0.05; lower floors let it reach an
    # effective ratio near 1. The same under SGD with momentum (clipped, as every run is). On
    # today's defaults, probed (the effective ratio is the point), fixed weights as the base.
    "balance-fixed": ("current", BAL),
    "balance-gaba": ("current", BAL_GABA),
    "balance-gaba-floor0.01": (
        "current",
        [*BAL_GABA, "--param", "gaba.floor=0.01"],
    ),
    "balance-gaba-floor0": (
        "current",
        [*BAL_GABA, "--param", "gaba.floor=0"],
    ),
    "balance-sgd-fixed": ("current", [*BAL, "--optimizer", "sgd", "--lr", "1e-2"]),
    "balance-sgd-gaba": (
        "current",
        [*BAL_GABA, "--optimizer", "sgd", "--lr", "1e-2"],
    ),
    # the default recipe with ten times the book's weight decay (1e-4)
    "nodrop-wd1e-3": (
        "current",
        [
            "--lr-schedule",
            "cosine",
            "--input-noise",
            "0.2",
            "--dropout",
            "0",
            "--weight-decay",
            "1e-3",
        ],
    ),
}


def cell_command(cell: str, subset: str, args: argparse.Namespace) -> list[str]:
    code, flags = CELLS[cell]
    root = Path(args.before_tree) if code == "before" else REPO
    return [
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {str(root)!r}); from core.cli.main import main; "
        "sys.exit(main())",
        "compare",
        "--methods",
        "fixed",  # a cell's own --methods (later on the line) takes precedence
        "--seeds",
        args.seeds,
        "--source",
        f"cmapss:{subset}",
        "--epochs",
        str(args.epochs),
        "--out",
        str(OUT / cell / subset),
        "--patience",
        str(args.patience),
        *COMMON,
        # the RUL output starting near 0, as every cell was trained before the start at the
        # mean became the default (a cell's own --rul-bias-init, later on the line, wins)
        *(["--no-rul-bias-init"] if code == "current" else []),
        *flags,
    ]


def run_one(cell: str, subset: str, args: argparse.Namespace) -> dict:
    """One cell on one subset, as a `rulwb compare` child on one torch thread."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    log = OUT / cell / f"{subset}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("a") as handle:
        code = subprocess.call(
            cell_command(cell, subset, args),
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    return {
        "cell": cell,
        "subset": subset,
        "exit": code,
        "seconds": round(time.perf_counter() - started, 1),
    }


def run(args: argparse.Namespace) -> None:
    cells = args.cells.split(",")
    if "before" in cells and not args.before_tree:
        sys.exit("the 'before' cell needs --before-tree (git worktree add /tmp/before 3716087)")
    work = [(c, s) for c in cells for s in args.subsets.split(",")]
    with ThreadPoolExecutor(args.jobs) as pool:
        for result in pool.map(lambda cs: run_one(*cs, args), work):
            print(json.dumps(result), flush=True)


# --------------------------------------------------------------------- report
def finished(cell: str, subset: str) -> list[Path]:
    """The folders of a cell's finished runs on one subset."""
    return [
        status.parent
        for status in sorted((OUT / cell / subset / "runs").glob("*/status.json"))
        if json.loads(status.read_text()).get("status") == "finished"
    ]


def histories(cell: str, subset: str) -> list[pd.DataFrame]:
    """The histories of a cell's finished runs on one subset."""
    return [pd.read_csv(folder / "history.csv") for folder in finished(cell, subset)]


def selected(history: pd.DataFrame, criterion: str, cap: float = 125.0) -> pd.Series:
    scores = [selection_score(row, criterion, cap) for row in history.to_dict("records")]
    return history.iloc[int(np.argmin(scores))]


def run_figures(history: pd.DataFrame) -> dict:
    """Validation figures of one run under every criterion, and its end-of-run drift."""
    figures = {"epochs": int(history["epoch"].max())}
    for criterion in SELECT_ON:
        row = selected(history, criterion)
        figures[f"{criterion}_epoch"] = int(row["epoch"])
        figures[f"{criterion}_val_rmse"] = float(row["val_rmse"])
        figures[f"{criterion}_val_macro_f1"] = float(row["val_macro_f1"])
    best = float(history["val_rmse"].min())
    figures["last_over_best_rmse"] = float(history["val_rmse"].iloc[-1]) / best
    return figures


def report(args: argparse.Namespace) -> None:
    rows, curves = [], {}
    for cell in args.cells.split(",") if args.cells else CELLS:
        for subset in args.subsets.split(","):
            found = histories(cell, subset)
            if not found:
                continue
            per_run = pd.DataFrame([run_figures(h) for h in found])
            row = {"cell": cell, "subset": subset, "seeds": len(found)}
            for column in per_run.columns:
                row[f"{column}_mean"] = float(per_run[column].mean())
                row[f"{column}_std"] = (
                    float(per_run[column].std(ddof=1)) if len(found) > 1 else None
                )
            rows.append(row)
            if len(found) < 2:
                continue  # one seed's curve is not a mean over seeds: in the table only
            epochs = min(len(h) for h in found)
            curves[(cell, subset)] = np.mean([h["val_rmse"].to_numpy()[:epochs] for h in found], 0)
    print(json.dumps({"threads": 1, "rows": rows}, indent=1))
    if args.table:
        Path(args.table).write_text(markdown(rows) + "\n")
    if args.plot and curves:
        plot(curves, args.plot)


def markdown(rows: list[dict]) -> str:
    def cell(row: dict, key: str, digits: int = 2) -> str:
        mean, std = row[f"{key}_mean"], row[f"{key}_std"]
        return f"{mean:.{digits}f}" + ("" if std is None else f" ± {std:.{digits}f}")

    lines = [
        "| cell | subset | seeds | combined: epoch | val RMSE | val macro-F1 "
        "| RMSE-selected: epoch | val RMSE | val macro-F1 | last / best RMSE |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['cell']} | {r['subset']} | {r['seeds']} | {cell(r, 'combined_epoch', 1)} "
            f"| {cell(r, 'combined_val_rmse')} | {cell(r, 'combined_val_macro_f1', 3)} "
            f"| {cell(r, 'rul_epoch', 1)} | {cell(r, 'rul_val_rmse')} "
            f"| {cell(r, 'rul_val_macro_f1', 3)} | {cell(r, 'last_over_best_rmse')} |"
        )
    return "\n".join(lines)


def plot(curves: dict, path: str) -> None:
    """Mean validation RMSE per epoch, one line per cell, one panel per subset (pyqtgraph)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    import pyqtgraph.exporters
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    layout = pg.GraphicsLayoutWidget()
    layout.resize(1500, 520)
    colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf",
               "#e377c2", "#7f7f7f", "#bcbd22"]  # fmt: skip
    cells = list(dict.fromkeys(c for c, _ in curves))
    for subset in sorted({s for _, s in curves}):
        panel = layout.addPlot(title=f"{subset}: mean validation RMSE over seeds")
        # top right, in the headroom above the curves once they have fallen
        panel.addLegend(offset=(-5, 5))
        panel.setLabel("bottom", "epoch")
        panel.setLabel("left", "validation RMSE (cycles)")
        panel.getAxis("left").enableAutoSIPrefix(False)
        for i, cell_name in enumerate(cells):
            if (cell_name, subset) in curves:
                y = curves[(cell_name, subset)]
                pen = pg.mkPen(colours[i % len(colours)], width=2)
                panel.plot(np.arange(1, len(y) + 1), y, pen=pen, name=cell_name)
        panel.setYRange(10, 30)
    layout.show()  # lays the panels out over the whole width before the export
    app.processEvents()
    pyqtgraph.exporters.ImageExporter(layout.scene()).export(path)
    layout.close()


def windows(args: argparse.Namespace) -> None:
    """Window lengths compared like for like: validation RMSE over the windows both cells have.

    Windows end at cycle W or later, so a cell with longer windows is judged on
    fewer, later windows. This reads each finished run's kept model's
    validation predictions (trajectories.csv) and scores every cell on the
    windows ending at or after the longest cell's window, and on each unit's
    last window (the test protocol, on validation units); JSON on stdout, with
    each cell's paired difference from the first cell.
    """
    cells = args.cells.split(",")
    first = max(_window(cell, args.subset) for cell in cells)
    per_seed: dict[str, dict[int, dict[str, float]]] = {}
    for cell in cells:
        for folder in finished(cell, args.subset):
            seed = json.loads((folder / "config.json").read_text())["seed"]
            table = pd.read_csv(folder / "trajectories.csv")
            val = table[table["split"] == "val"]
            last = val.sort_values("cycle").groupby("unit").tail(1)
            per_seed.setdefault(cell, {})[seed] = {
                "common_windows": _rmse(val[val["cycle"] >= first]),
                "last_window": _rmse(last),
            }
    out: dict = {"subset": args.subset, "windows_from_cycle": first, "cells": {}}
    base = per_seed.get(cells[0], {})
    for cell, seeds in per_seed.items():
        row: dict = {"seeds": sorted(seeds)}
        for key in ("common_windows", "last_window"):
            values = [seeds[s][key] for s in sorted(seeds)]
            row[f"{key}_rmse_mean"] = round(float(np.mean(values)), 3)
            shared = sorted(set(seeds) & set(base))
            if cell != cells[0] and len(shared) > 1:
                mean, low, high = paired_difference(
                    [seeds[s][key] for s in shared], [base[s][key] for s in shared]
                )
                row[f"{key}_minus_{cells[0]}"] = [round(v, 3) for v in (mean, low, high)]
        out["cells"][cell] = row
    print(json.dumps(out, indent=2))


def versus(args: argparse.Namespace) -> None:
    """Cells against a base cell on one subset: a markdown table of validation figures.

    Per cell, the mean over its seeds at the epoch the run kept (the lowest
    ``selection_score`` in its history: what the default ``combined`` criterion
    kept): kept epoch, validation RMSE, mean NASA score per validation unit,
    macro-F1, and the validation RMSE's paired difference from the base cell
    over the seeds both have (95 % t-interval). Validation units only.
    """
    base = _kept_by_seed(args.base, args.subset)
    lines = [
        "| cell | subset | seeds | kept epoch | val RMSE | val NASA / unit | val macro-F1 | "
        f"RMSE − {args.base} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cell in [args.base, *args.cells.split(",")]:
        rows = _kept_by_seed(cell, args.subset)
        if not rows:
            continue
        shared = sorted(set(rows) & set(base))
        difference = ""
        if cell != args.base and len(shared) > 1:
            mean, low, high = paired_difference(
                [rows[s]["val_rmse"] for s in shared], [base[s]["val_rmse"] for s in shared]
            )
            difference = f"{mean:+.2f} [{low:+.2f}, {high:+.2f}]"
        means = {k: np.mean([r[k] for r in rows.values()]) for k in next(iter(rows.values()))}
        lines.append(
            f"| {cell} | {args.subset} | {len(rows)} | {means['epoch']:.1f} | "
            f"{means['val_rmse']:.2f} | {means['val_nasa_mean']:.2f} | "
            f"{means['val_macro_f1']:.3f} | {difference} |"
        )
    print("\n".join(lines))


def _kept_by_seed(cell: str, subset: str) -> dict[int, dict[str, float]]:
    """Per seed, the kept epoch's validation figures of a cell's finished runs."""
    out = {}
    for folder in finished(cell, subset):
        history = pd.read_csv(folder / "history.csv")
        row = history.iloc[int(np.argmin(history["selection_score"].to_numpy()))]
        seed = json.loads((folder / "config.json").read_text())["seed"]
        out[seed] = {
            k: float(row[k]) for k in ("epoch", "val_rmse", "val_nasa_mean", "val_macro_f1")
        }
    return out


def _window(cell: str, subset: str) -> int:
    """The window length a cell's runs used (from a run's config.json)."""
    config = next((OUT / cell / subset / "runs").glob("*/config.json"))
    return int(json.loads(config.read_text())["preprocess"]["window"])


def _rmse(rows: pd.DataFrame) -> float:
    return rmse(rows["true_rul"].to_numpy(), rows["pred_rul"].to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "report"):
        p = sub.add_parser(name)
        p.add_argument("--subsets", default="FD001,FD003")
        if name == "run":
            p.add_argument("--cells", default="before,noise,fix,cosine")
            p.add_argument("--seeds", default="0,1,2")
            p.add_argument("--epochs", type=int, default=30)
            # 0: whole curves. A screening of slow subsets (FD002, FD004) stops each run
            # this many epochs after its best, the LR schedule still spanning --epochs.
            p.add_argument("--patience", type=int, default=0)
            p.add_argument("--jobs", type=int, default=2)
            p.add_argument("--before-tree", default="")
        else:
            p.add_argument("--table", default="docs/recipe_table.md")
            p.add_argument("--plot", default="docs/recipe_curves.png")
            p.add_argument("--cells", default="", help="these cells only (default: every cell)")
    versus_parser = sub.add_parser("versus")
    versus_parser.add_argument("--base", default="window40-bias")
    versus_parser.add_argument("--cells", required=True)
    versus_parser.add_argument("--subset", default="FD001")
    like = sub.add_parser("windows")
    like.add_argument("--cells", default="nodrop,window40")
    like.add_argument("--subset", default="FD001")
    args = parser.parse_args()
    {"run": run, "report": report, "windows": windows, "versus": versus}[args.command](args)


if __name__ == "__main__":
    main()
