"""Command-line options shared by several `rulwb` commands."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from core.common.settings import add_arguments, from_args, names
from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig
from core.data.time_axis import PER_CYCLE_RULES, TIME_UNITS

if TYPE_CHECKING:
    from core.data.sources import SourceSpec


def method_name(name: str) -> str:
    """``type`` of a ``--method`` flag: the name of a registered balancing method.

    The registry imports every method and so torch; checking the name here,
    only when one is parsed, keeps ``--help`` free of that import (argparse
    would read ``choices`` to format any help text).
    """
    from core.experiment import METHODS

    if name not in METHODS:
        raise argparse.ArgumentTypeError(
            f"unknown method '{name}' (choose from {', '.join(sorted(METHODS))})"
        )
    return name


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """``--source`` and the options of each kind of source."""
    group = parser.add_argument_group("data source")
    group.add_argument(
        "--source",
        default="demo",
        help="demo | cmapss:FD001..FD004 | csv:PATH (a file, a folder of one file per unit, "
        "or a glob; CSV or Parquet) | ncmapss:FILE.h5 (default: demo)",
    )
    group.add_argument("--cmapss-dir", help="C-MAPSS folder or zip ($RUL_WORKBENCH_CMAPSS)")
    group.add_argument("--unit-col", help="CSV: unit/engine id column (default: detected)")
    group.add_argument(
        "--time-col",
        help="CSV: time column: cycles or hours since new (CSN, TSN), a cycle count, or "
        "text timestamps (elapsed hours) (default: detected)",
    )
    group.add_argument(
        "--time-unit",
        choices=TIME_UNITS,
        help="CSV: unit of the time column and so of every RUL (default: from its name)",
    )
    group.add_argument(
        "--per-cycle",
        choices=PER_CYCLE_RULES,
        help="CSV, N-CMAPSS: several rows of one cycle become one: their mean or the last "
        "(default: one row per cycle required; N-CMAPSS: mean)",
    )
    group.add_argument("--setting-cols", type=names, default=(), help="CSV: a,b,c")
    group.add_argument("--ignore-cols", type=names, default=(), help="CSV: a,b,c")
    group.add_argument(
        "--test-csv", help="CSV: in-service fleet (cut before failure): a file, folder or glob"
    )
    group.add_argument(
        "--truth-csv", help="CSV: true RUL per in-service unit (unit,rul header, or one per line)"
    )
    group.add_argument(
        "--removals",
        help="CSV: removals log (unit, time or date, reason): which training units failed and "
        "which were suspended (removed before failure); default: every unit failed",
    )
    group.add_argument(
        "--failure-reasons",
        type=names,
        default=(),
        help="CSV: words of a removal reason that mean failure, a,b,c (default: detected: "
        "failure, unscheduled, ...; other reasons are suspensions)",
    )
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
    from core.data.sources import SourceSpec

    return SourceSpec.parse(
        args.source,
        cmapss_dir=args.cmapss_dir,
        unit_col=args.unit_col,
        time_col=args.time_col,
        setting_cols=args.setting_cols,
        ignore_cols=args.ignore_cols,
        test_csv=args.test_csv,
        truth_csv=args.truth_csv,
        removals=args.removals,
        failure_reasons=args.failure_reasons,
        per_cycle=args.per_cycle,
        time_unit=args.time_unit,
        demo=DemoConfig(
            train_units=args.demo_units,
            test_units=max(args.demo_units // 2, 1),
            conditions=args.demo_conditions,
            seed=args.demo_seed,
        ),
    )


def preprocess_from_args(args: argparse.Namespace) -> PreprocessConfig:
    return from_args(PreprocessConfig, args)
