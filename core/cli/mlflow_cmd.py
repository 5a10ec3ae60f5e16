"""`rulwb mlflow` and the `--mlflow [URI]` flag of `rulwb train` and `rulwb compare`.

Both log ended run folders through :func:`core.runs.mlflow_log.log_run`, which
imports MLflow (an optional extra) only when called; this module imports it
(and pandas, through the run store) only inside the handlers, so `rulwb --help`
stays quick.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.runs.mlflow_log import LoggedRun

#: core.runs.mlflow_log.EXPERIMENT (tests/core/runs/test_mlflow_log.py checks they agree).
EXPERIMENT = "rul-workbench"


def register(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "mlflow",
        help="log finished runs to MLflow",
        description=(
            "Log each ended run's settings (params), per-epoch figures (history.csv, step = "
            "epoch), probe summaries, test metrics (metrics.json) and files (artifacts) to "
            "MLflow. PATH is a run folder, a run store or a `rulwb compare` folder. A run "
            "already logged (tag rulwb.run = its folder's name) is not logged twice. Needs "
            "pip install 'rul-workbench[mlflow]'."
        ),
    )
    command.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    command.add_argument(
        "--uri",
        default="",
        help="tracking URI: a server (http://host:5000) or sqlite:///FILE (default: "
        "$MLFLOW_TRACKING_URI, else sqlite:///<run store>/mlflow.db beside each run)",
    )
    command.add_argument(
        "--experiment", default=EXPERIMENT, help="MLflow experiment (default: %(default)s)"
    )
    command.set_defaults(handler=run_mlflow)


def add_mlflow_arguments(parser: argparse.ArgumentParser) -> None:
    """``--mlflow [URI]`` and ``--mlflow-experiment`` (``rulwb train``, ``rulwb compare``)."""
    group = parser.add_argument_group("tracking")
    group.add_argument(
        "--mlflow",
        nargs="?",
        const="",
        default=None,
        metavar="URI",
        help="log the run(s) to MLflow when they end; URI: a server or sqlite:///FILE "
        "(default: $MLFLOW_TRACKING_URI, else sqlite:///<run store>/mlflow.db)",
    )
    group.add_argument(
        "--mlflow-experiment",
        default=EXPERIMENT,
        metavar="NAME",
        help="MLflow experiment (default: %(default)s)",
    )


def log_ended(
    args: argparse.Namespace, paths: Iterable[Path], tags: dict[str, str] | None = None
) -> int:
    """After ``rulwb train`` or ``compare``: log the runs when ``--mlflow`` was given.

    Returns the exit status to add: 0, or 1 when a run could not be logged.
    """
    if args.mlflow is None:
        return 0
    from core.runs.mlflow_log import log_runs

    problems: list[str] = []
    logged = log_runs(paths, args.mlflow, args.mlflow_experiment, problems.append, tags)
    _print(logged, problems)
    return 1 if problems else 0


def require_mlflow(args: argparse.Namespace) -> None:
    """Before training with ``--mlflow``: stop at once when MLflow is not installed."""
    if args.mlflow is not None:
        from core.runs.mlflow_log import require_mlflow as check

        check()


def run_mlflow(args: argparse.Namespace) -> int:
    from core.runs.mlflow_log import log_runs

    problems: list[str] = []
    logged = log_runs(args.paths, args.uri, args.experiment, problems.append)
    _print(logged, problems)
    return 0 if logged and not problems else 2


def _print(logged: list[LoggedRun], problems: list[str]) -> None:
    for problem in problems:
        print(f"rulwb: note: {problem}", file=sys.stderr)
    new = [run for run in logged if run.new]
    for uri in dict.fromkeys(run.uri for run in logged):
        here = [run for run in logged if run.uri == uri]
        added = sum(run.new for run in here)
        print(
            f"MLflow: {added} run(s) logged, {len(here) - added} already there, "
            f"experiment '{here[0].experiment}' at {uri}"
        )
        if uri.startswith("sqlite:///") and new:
            print(f"view with: mlflow ui --backend-store-uri {uri}")
