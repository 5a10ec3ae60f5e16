"""Command-line options shared by several `rulwb` commands."""

from __future__ import annotations

import argparse

from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig
from core.data.sources import SourceSpec
from core.settings import add_arguments, from_args, names


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """``--source`` and the options of each kind of source."""
    group = parser.add_argument_group("data source")
    group.add_argument(
        "--source",
        default="demo",
        help="demo | cmapss:FD001..FD004 | csv:PATH (default: demo)",
    )
    group.add_argument("--cmapss-dir", help="C-MAPSS folder or zip ($RUL_WORKBENCH_CMAPSS)")
    group.add_argument("--unit-col", help="CSV: unit/engine id column (default: detected)")
    group.add_argument("--time-col", help="CSV: cycle/time column (default: detected)")
    group.add_argument("--setting-cols", type=names, default=(), help="CSV: a,b,c")
    group.add_argument("--ignore-cols", type=names, default=(), help="CSV: a,b,c")
    group.add_argument("--test-csv", help="CSV: in-service fleet (cut before failure)")
    group.add_argument("--truth-csv", help="CSV: true RUL per in-service unit")
    demo = DemoConfig()
    group.add_argument(
        "--demo-units",
        type=int,
        default=demo.train_units,
        help="demo: run-to-failure units (in-service units: half as many)",
    )
    group.add_argument(
        "--demo-conditions",
        type=int,
        default=demo.conditions,
        help="demo: operating conditions (1-6)",
    )
    group.add_argument("--demo-seed", type=int, default=demo.seed)


def add_preprocess_arguments(parser: argparse.ArgumentParser) -> None:
    """The data-protocol settings (docs/data.md), one flag per declared field."""
    add_arguments(parser.add_argument_group("preprocessing"), PreprocessConfig)


def source_from_args(args: argparse.Namespace) -> SourceSpec:
    return SourceSpec.parse(
        args.source,
        cmapss_dir=args.cmapss_dir,
        unit_col=args.unit_col,
        time_col=args.time_col,
        setting_cols=args.setting_cols,
        ignore_cols=args.ignore_cols,
        test_csv=args.test_csv,
        truth_csv=args.truth_csv,
        demo=DemoConfig(
            train_units=args.demo_units,
            test_units=max(args.demo_units // 2, 1),
            conditions=args.demo_conditions,
            seed=args.demo_seed,
        ),
    )


def preprocess_from_args(args: argparse.Namespace) -> PreprocessConfig:
    return from_args(PreprocessConfig, args)
