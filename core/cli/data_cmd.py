"""`rulwb data summary`: what a data source holds once the protocol is applied."""

from __future__ import annotations

import argparse
import json

from core.cli.options import (
    add_preprocess_arguments,
    add_source_arguments,
    preprocess_from_args,
    source_from_args,
)
from core.data.prepare import prepare
from core.data.sources import load_source
from core.data.summary import format_summary, summarise


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="inspect a data source")
    actions = data.add_subparsers(dest="data_command", required=True)
    summary = actions.add_parser("summary", help="units, windows, features, classes")
    add_source_arguments(summary)
    add_preprocess_arguments(summary)
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    summary.set_defaults(handler=run_summary)


def run_summary(args: argparse.Namespace) -> int:
    data = prepare(load_source(source_from_args(args)), preprocess_from_args(args))
    summary = summarise(data)
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0
