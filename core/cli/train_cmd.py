"""`rulwb methods` and `rulwb train`."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.mlflow_cmd import add_mlflow_arguments, log_ended, require_mlflow
from core.cli.options import (
    add_preprocess_arguments,
    add_source_arguments,
    method_name,
    preprocess_from_args,
    source_from_args,
)
from core.cli.progress import ProgressLine
from core.common.settings import add_arguments, from_args
from core.model import PRESETS
from core.runs.location import default_runs_dir
from core.training.config import TrainConfig

if TYPE_CHECKING:  # torch and the training stack are imported by the commands that train
    from core.experiment.run import ExperimentConfig

HEADLINE = ("rmse", "nasa_score", "mae", "accuracy", "macro_f1", "rmse_uncapped")


def _rmse_over_units(run) -> dict:
    """``{"rmse_interval": [low, high]}``: what the test RMSE is worth, from the run's test
    units (empty without a test split)."""
    from core.evaluation.unit_resolution import rmse_interval, run_unit_errors

    errors = run_unit_errors(run.path, "test")
    if errors is None or len(errors) < 2:
        return {}
    return {"rmse_interval": [round(bound, 4) for bound in rmse_interval(errors)]}


def register(subparsers: argparse._SubParsersAction) -> None:
    methods = subparsers.add_parser("methods", help="list the balancing methods")
    methods.add_argument("--json", action="store_true")
    methods.set_defaults(handler=run_methods)
    train = subparsers.add_parser("train", help="train one model and evaluate it on the test set")
    train.add_argument("--config", type=Path, help="re-run a saved run's config.json")
    train.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="go on with a stopped, interrupted or failed run from its last completed epoch "
        "(a path, or a folder name inside --out)",
    )
    train.add_argument(
        "--method",
        default="fixed",
        type=method_name,
        metavar="METHOD",
        help="balancing method; `rulwb methods` lists them (default: fixed)",
    )
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="method setting, e.g. --param lambda_rul=0.7 (repeatable)",
    )
    train.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    train.add_argument(
        "--out",
        type=Path,
        default=default_runs_dir(),
        help="run store folder (default: the GUI's, $RUL_WORKBENCH_RUNS or %(default)s), "
        "so runs trained here appear in the workbench",
    )
    train.add_argument("--json", action="store_true", help="print the test metrics as JSON")
    add_source_arguments(train)
    add_preprocess_arguments(train)
    add_training_arguments(train)
    add_mlflow_arguments(train)
    train.set_defaults(handler=run_train)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The model preset, the dropout override and every training setting (one flag each)."""
    group = parser.add_argument_group("training")
    group.add_argument(
        "--preset", default="compact", choices=sorted(PRESETS), help="(default: %(default)s)"
    )
    group.add_argument(
        "--dropout",
        type=float,
        default=None,
        help="dropout of the BiLSTM and between funnel layers (default: the preset's)",
    )
    add_arguments(group, TrainConfig)


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    return from_args(TrainConfig, args)


def parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param expects KEY=VALUE, got '{pair}'")
        params[key.strip()] = value.strip()
    return params


def experiment_from_args(
    args: argparse.Namespace, method_params: dict[str, str] | None = None
) -> ExperimentConfig:
    """The experiment the flags describe (or a saved run's config.json with ``--config``).

    ``method_params`` replaces the ``--param K=V`` settings of ``rulwb train``;
    ``rulwb compare`` passes each method's own.
    """
    from core.experiment.run import ExperimentConfig
    from core.runs import RunStoreError
    from core.runs.run_format import current_config

    if args.config is not None:
        try:
            saved = json.loads(args.config.read_text(encoding="utf-8"))
            if not isinstance(saved, dict):
                raise ValueError(f"expected a JSON object, found {type(saved).__name__}")
            # a run's config.json of any format, read as the run trained
            return ExperimentConfig.from_dict(current_config(saved))
        except (OSError, ValueError) as exc:  # JSON and Unicode errors are ValueErrors
            raise ValueError(f"{args.config}: cannot use the run config ({exc})") from None
        except RunStoreError as exc:  # a newer format
            raise ValueError(f"{args.config}: cannot use the run config ({exc.reason})") from None
    return ExperimentConfig(
        source=source_from_args(args),
        preprocess=preprocess_from_args(args),
        preset=args.preset,
        method=args.method,
        method_params=parse_params(args.param) if method_params is None else method_params,
        train=train_config_from_args(args),
        seed=args.seed,
        dropout=None if args.dropout is None else (args.dropout, args.dropout),
    )


def run_methods(args: argparse.Namespace) -> int:
    from core.experiment import describe_methods

    described = describe_methods()
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    for m in described:
        print(f"{m['name']:<14} {m['description']}")
        for h in m["hyperparameters"]:
            print(f"{'':<16}{h['name']} = {h['default']}  ({h['description']})")
    return 0


def settle_threads(config: ExperimentConfig, out: Path, resumed: bool = False) -> ExperimentConfig:
    """``config`` with its torch thread count settled beside the trainings live now.

    Threads left open (0) become a share of the cores (:mod:`core.runs.live`),
    at most the process's own count (``OMP_NUM_THREADS``), so a run alone
    trains as before; the count goes into the run's config.json, so
    ``--config`` repeats its arithmetic. Other trainings are looked for in
    ``out`` and the default run store. A note and any oversubscription
    warning go to stderr. A ``resumed`` run keeps its count (it only warns).
    """
    import torch

    from core.runs.live import plan_threads

    stores = [out, default_runs_dir()]
    requested = config.train.threads
    if resumed and requested <= 0:  # resume_run leaves the process's count as it is
        requested = torch.get_num_threads()
    plan = plan_threads(requested, stores, cap=torch.get_num_threads())
    if plan.note:
        print(f"rulwb: note: {plan.note}", file=sys.stderr)
    if plan.warning:
        print(f"rulwb: warning: {plan.warning}", file=sys.stderr)
    return config.with_(train=replace(config.train, threads=plan.threads))


def run_train(args: argparse.Namespace) -> int:
    from core.experiment.resume import resume_run
    from core.experiment.run import read_run_config, run_experiment
    from core.runs import RunStore

    require_mlflow(args)
    if args.resume is not None:
        run = RunStore(args.out).open_run(args.resume)
        config = read_run_config(run)
        settle_threads(config, args.out, resumed=True)
        progress = ProgressLine(f"{config.method} s{config.seed} (resumed)")
        result = resume_run(run, on_event=progress)
    else:
        config = settle_threads(experiment_from_args(args), args.out)
        progress = ProgressLine(f"{config.method} s{config.seed}")
        result, new_run = run_experiment(config, RunStore(args.out), on_event=progress)
        assert new_run is not None  # a store was given, so the run has a folder
        run = new_run
    summary = {k: result.metrics.get(k) for k in HEADLINE}
    summary.update(_rmse_over_units(run))
    summary.update(
        status=result.status.value,
        best_epoch=result.best_epoch,
        epochs_run=len(result.history),
        run_dir=str(run.path),
        detail=result.detail,
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            if isinstance(value, list):
                value = f"[{value[0]:.4g}, {value[1]:.4g}]  (95 % bootstrap over the test units)"
            print(f"{key:<14} {value:.4g}" if isinstance(value, float) else f"{key:<14} {value}")
    untracked = log_ended(args, [run.path])
    return 0 if result.status.value in ("finished", "stopped") and not untracked else 1
