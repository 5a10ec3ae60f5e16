"""`rulwb data summary`: what a data source holds once the protocol is applied.

`rulwb data export`: a source written the way maintenance systems keep fleets,
to see (and try) the formats the CSV reader accepts.
"""

from __future__ import annotations

import argparse
import json

from core.cli.options import (
    add_preprocess_arguments,
    add_source_arguments,
    preprocess_from_args,
    source_from_args,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="inspect a data source")
    actions = data.add_subparsers(dest="data_command", required=True)
    summary = actions.add_parser("summary", help="units, windows, features, classes")
    add_source_arguments(summary)
    add_preprocess_arguments(summary)
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    summary.set_defaults(handler=run_summary)
    export = actions.add_parser(
        "export",
        help="write a source as a maintenance system keeps it: one CSV per engine "
        "(timestamp, CSN, TSN_h), a removals log, the in-service engines and their truth",
    )
    add_source_arguments(export)
    export.add_argument("--out", required=True, help="folder to write into")
    export.add_argument(
        "--suspended",
        type=float,
        default=0.4,
        help="share of the training engines cut at 40-90%% of life and logged as scheduled "
        "removals (suspensions) (default 0.4)",
    )
    export.add_argument("--seed", type=int, default=0, help="which engines, and where they are cut")
    export.add_argument(
        "--digits",
        type=int,
        help="significant digits of the readings (default: every digit of the float; "
        "historians keep about 6)",
    )
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from core.data.fleet_export import export_fleet
    from core.data.sources import load_source

    written = export_fleet(
        load_source(source_from_args(args)), args.out, args.suspended, args.seed, args.digits
    )
    print(f"engines     {written.engines} ({len(written.failed) + len(written.suspended)} files)")
    print(
        f"removals    {written.removals} ({len(written.failed)} failed, "
        f"{len(written.suspended)} suspended)"
    )
    if written.in_service is not None:
        print(f"in service  {written.in_service}")
    if written.truth is not None:
        print(f"truth       {written.truth}")
    print(f"train with  rulwb train --source csv:{written.engines} --removals {written.removals}")
    return 0


def run_summary(args: argparse.Namespace) -> int:
    from core.data.prepare import prepare
    from core.data.sources import load_source
    from core.data.summary import format_summary, summarise

    data = prepare(load_source(source_from_args(args)), preprocess_from_args(args))
    summary = summarise(data)
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0
