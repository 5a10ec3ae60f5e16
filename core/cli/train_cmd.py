"""`rulwb methods` and `rulwb train`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.cli.options import (
    add_preprocess_arguments,
    add_source_arguments,
    preprocess_from_args,
    source_from_args,
)
from core.cli.progress import ProgressLine
from core.methods.registry import METHODS, describe_methods
from core.model import PRESETS
from core.runs import RunStore
from core.training.config import LR_SCHEDULES, TrainConfig
from core.training.experiment import ExperimentConfig, read_run_config, run_experiment
from core.training.resume import resume_run
from core.training.selection import SELECT_ON

HEADLINE = ("rmse", "nasa_score", "mae", "accuracy", "macro_f1", "rmse_uncapped")


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
    train.add_argument("--method", default="fixed", choices=sorted(METHODS))
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="method setting, e.g. --param lambda_rul=0.7 (repeatable)",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, default=Path("runs"), help="run store folder")
    train.add_argument("--json", action="store_true", help="print the test metrics as JSON")
    add_source_arguments(train)
    add_preprocess_arguments(train)
    add_training_arguments(train)
    train.set_defaults(handler=run_train)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = TrainConfig()
    group = parser.add_argument_group("training")
    group.add_argument("--preset", default="compact", choices=sorted(PRESETS))
    group.add_argument("--epochs", type=int, default=defaults.epochs)
    group.add_argument("--batch-size", type=int, default=defaults.batch_size)
    group.add_argument("--lr", type=float, default=defaults.lr)
    group.add_argument(
        "--patience",
        type=int,
        default=defaults.early_stopping_patience,
        help="early-stopping patience in epochs (0: off)",
    )
    group.add_argument(
        "--select-on",
        default=defaults.select_on,
        choices=SELECT_ON,
        help="model selection and early stopping on validation: rul (RMSE), health "
        "(macro-F1) or combined (RMSE / cap + 1 - macro-F1)",
    )
    group.add_argument(
        "--lr-schedule",
        default=defaults.lr_schedule,
        choices=LR_SCHEDULES,
        help="cosine decay to the last epoch, or halve on a plateau of the selection score",
    )
    group.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    group.add_argument(
        "--dropout",
        type=float,
        default=None,
        help="dropout of the BiLSTM and between funnel layers (default: the preset's)",
    )
    group.add_argument(
        "--input-noise",
        type=float,
        default=defaults.input_noise,
        help="std of Gaussian noise added to z-scored training windows (0: off)",
    )
    group.add_argument("--probe-every", type=int, default=defaults.probe_every)
    group.add_argument("--probe-blocks", action="store_true", help="per-block gradient figures")
    group.add_argument(
        "--probe-space",
        default=defaults.probe_space,
        choices=("parameters", "representation"),
        help="take task gradients w.r.t. shared parameters or shared features",
    )
    group.add_argument("--device", default=defaults.device, help="auto | cpu | cuda")
    group.add_argument("--bf16", action="store_true", help="bfloat16 autocast on CUDA")


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        early_stopping_patience=args.patience,
        select_on=args.select_on,
        lr_schedule=args.lr_schedule,
        weight_decay=args.weight_decay,
        input_noise=args.input_noise,
        probe_every=args.probe_every,
        probe_blocks=args.probe_blocks,
        probe_space=args.probe_space,
        device=args.device,
        bf16=args.bf16,
        trajectories=False,
    )


def parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param expects KEY=VALUE, got '{pair}'")
        params[key.strip()] = value.strip()
    return params


def experiment_from_args(args: argparse.Namespace) -> ExperimentConfig:
    if args.config is not None:
        try:
            return ExperimentConfig.from_dict(json.loads(args.config.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:  # JSON and Unicode errors are ValueErrors
            raise ValueError(f"{args.config}: cannot use the run config ({exc})") from None
    return ExperimentConfig(
        source=source_from_args(args),
        preprocess=preprocess_from_args(args),
        preset=args.preset,
        method=args.method,
        method_params=parse_params(args.param),
        train=train_config_from_args(args),
        seed=args.seed,
        dropout=None if args.dropout is None else (args.dropout, args.dropout),
    )


def run_methods(args: argparse.Namespace) -> int:
    described = describe_methods()
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    for m in described:
        print(f"{m['name']:<14} {m['description']}")
        for h in m["hyperparameters"]:
            print(f"{'':<16}{h['name']} = {h['default']}  ({h['description']})")
    return 0


def run_train(args: argparse.Namespace) -> int:
    if args.resume is not None:
        run = RunStore(args.out).open_run(args.resume)
        config = read_run_config(run)
        progress = ProgressLine(f"{config.method} s{config.seed} (resumed)")
        result = resume_run(run, on_event=progress)
    else:
        config = experiment_from_args(args)
        progress = ProgressLine(f"{config.method} s{config.seed}")
        result, run = run_experiment(config, RunStore(args.out), on_event=progress)
    summary = {k: result.metrics.get(k) for k in HEADLINE}
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
            print(f"{key:<14} {value:.4g}" if isinstance(value, float) else f"{key:<14} {value}")
    return 0 if result.status.value in ("finished", "stopped") else 1
