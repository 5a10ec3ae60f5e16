"""`rulwb predict`: RUL and health state of engines still in service, from a finished run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli.options import add_source_arguments, source_from_args
from core.inference import FleetPredictor, source_fleet


def register(subparsers: argparse._SubParsersAction) -> None:
    predict = subparsers.add_parser("predict", help="predict RUL for an in-service fleet")
    predict.add_argument("--run", type=Path, required=True, help="a finished run's folder")
    predict.add_argument("--out", type=Path, help="write the engine table as CSV here")
    predict.add_argument("--json", action="store_true", help="print the engine table as JSON")
    add_source_arguments(predict)
    predict.set_defaults(source=None)  # default: the run's own in-service split
    predict.set_defaults(handler=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    predictor = FleetPredictor.from_run(args.run)
    if args.source is None:
        fleet = predictor.in_service_fleet() or source_fleet(predictor.config.source)
    else:
        fleet = source_fleet(source_from_args(args))
    engines = predictor.predict(fleet).engines
    if args.out:
        engines.to_csv(args.out, index=False)
        print(f"wrote {len(engines)} engines to {args.out}", file=sys.stderr)
    if args.json:
        print(engines.to_json(orient="records", indent=2))
    else:
        print(engines.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    return 0
