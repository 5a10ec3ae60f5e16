"""`rulwb probe`: how unequal are the task gradients at initialisation?"""

from __future__ import annotations

import argparse
import json

from core.cli.options import add_preprocess_arguments, add_source_arguments, method_name
from core.cli.train_cmd import add_training_arguments, experiment_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    probe = subparsers.add_parser("probe", help="gradient norms and ratio at initialisation")
    probe.add_argument(
        "--method",
        default="fixed",
        type=method_name,
        metavar="METHOD",
        help="balancing method; `rulwb methods` lists them (default: fixed)",
    )
    probe.add_argument("--batches", type=int, default=20)
    probe.add_argument("--seed", type=int, default=0)
    probe.add_argument("--json", action="store_true")
    add_source_arguments(probe)
    add_preprocess_arguments(probe)
    add_training_arguments(probe)
    probe.set_defaults(handler=run_probe, config=None, param=[])


def run_probe(args: argparse.Namespace) -> int:
    from core.experiment.initial_probe import probe_at_initialisation
    from core.experiment.run import load_data

    config = experiment_from_args(args)
    result = probe_at_initialisation(config, load_data(config), args.batches)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{result['source']}  preset {result['preset']}  {result['batches']} batches of "
        f"{result['batch_size']}  ({result['parameters']['total']:,} parameters, "
        f"{100 * result['parameters']['shared_share']:.1f}% shared)"
    )
    for name in ("ratio", "norm_rul", "norm_health", "cosine"):
        s = result[name]
        print(
            f"{name:<12} median {s['median']:10.4g}  IQR {s['q1']:.4g}-{s['q3']:.4g}  "
            f"max {s['max']:.4g}"
        )
    return 0
