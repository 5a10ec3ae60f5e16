"""`rulwb tensorboard`: runs' scalars as TensorBoard event files, one folder per run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "tensorboard",
        help="write runs' scalars as TensorBoard event files",
        description=(
            "Write each run's losses, validation figures, gradient norms, ratio, cosine and "
            "task weights as TensorBoard event files, one folder per run under --out, so "
            "`tensorboard --logdir OUT` shows them beside other experiments. PATH is a run "
            "folder, a run store or a `rulwb compare` folder. (`rulwb train --tensorboard` "
            "writes the same events live, into the run folder.)"
        ),
    )
    command.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    command.add_argument("--out", type=Path, default=Path("tensorboard_logs"))
    command.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from core.runs.store import runs_in
    from core.runs.tensorboard import export_run

    runs = [run for path in args.paths for run in runs_in(path)]
    written = 0
    for run in runs:
        if not (run / "history.csv").is_file():
            print(f"rulwb: note: {run}: no epochs to write (the gbm baseline)", file=sys.stderr)
            continue
        export_run(run, args.out / run.name)
        written += 1
    print(f"{written} run(s) written to {args.out}; view with: tensorboard --logdir {args.out}")
    return 0 if written else 2
