"""`rulwb predict`: RUL and health state of engines still in service, from a finished run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.options import add_source_arguments, source_from_args
from core.prediction import DUE_BELOW, RANK_BY

if TYPE_CHECKING:  # the model stack (torch) loads when the command runs
    from core.data.fleet import Fleet
    from core.prediction.ensemble import FleetEnsemble


def register(subparsers: argparse._SubParsersAction) -> None:
    predict = subparsers.add_parser(
        "predict",
        help="predict RUL for an in-service fleet",
        description="Engines in service: the run's own (no --source), another source's "
        "in-service split, or a CSV of engines in service: --source csv:ENGINES.csv "
        "[--truth-csv TRUTH.csv], read with the run's saved preprocessing.",
    )
    predict.add_argument(
        "--run",
        type=Path,
        action="append",
        required=True,
        help="a finished run's folder; give several (--run A --run B) to average their "
        "predictions (a seed ensemble, with intervals calibrated for the ensemble)",
    )
    predict.add_argument(
        "--rank-by",
        choices=tuple(RANK_BY),
        default="pred_rul",
        help="most urgent first by the predicted RUL or by its interval's lower bound "
        "(default: %(default)s), as the fleet view ranks them",
    )
    predict.add_argument(
        "--due-below",
        type=float,
        default=DUE_BELOW,
        help="an engine is 'due' when its interval's lower bound is below this, in the "
        "run's time unit (default: %(default)s)",
    )
    predict.add_argument("--out", type=Path, help="write the engine table as CSV here")
    predict.add_argument("--json", action="store_true", help="print the engine table as JSON")
    add_source_arguments(predict)
    predict.set_defaults(source=None)  # default: the run's own in-service split
    predict.set_defaults(handler=run_predict)


def _engines(args: argparse.Namespace, predictor: FleetEnsemble) -> Fleet:
    """The engines ``--source`` names; ``csv:ENGINES.csv`` alone is a file of engines in service.

    Read on its own, with the run's saved preprocessing: the training data
    need not be where it was (the run is self-contained).
    """
    from core.data.sources import column_mapping
    from core.prediction.fleet import InServiceData, in_service_fleet
    from core.prediction.inference import source_fleet

    spec = source_from_args(args)
    if spec.kind != "csv" or spec.test_csv:
        return source_fleet(spec)
    truth = Path(spec.truth_csv) if spec.truth_csv else None
    engines = InServiceData(Path(spec.path or ""), column_mapping(spec), truth, spec.per_cycle)
    return in_service_fleet(predictor, engines)


def run_predict(args: argparse.Namespace) -> int:
    from core.prediction.ensemble import FleetEnsemble
    from core.prediction.inference import source_fleet

    predictor = FleetEnsemble.from_runs(args.run)
    if args.source is None:
        fleet = predictor.in_service_fleet() or source_fleet(predictor.config.source)
    else:
        fleet = _engines(args, predictor)
    from core.prediction.fleet import ranked_engines

    engines = ranked_engines(predictor.predict(fleet).engines, args.rank_by, args.due_below)
    for unit, warning in zip(engines["unit"], engines["warning"], strict=True):
        if warning:
            print(f"rulwb: warning: engine {unit}: {warning}", file=sys.stderr)
    if len(args.run) > 1:
        print(f"mean of {len(args.run)} runs' predictions", file=sys.stderr)
    if args.out:
        engines.to_csv(args.out, index=False)
        print(f"wrote {len(engines)} engines to {args.out}", file=sys.stderr)
    if args.json:
        print(engines.to_json(orient="records", indent=2))
    else:
        print(engines.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    return 0
