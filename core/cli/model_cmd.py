"""`rulwb presets`: the model presets and their parameter counts."""

from __future__ import annotations

import argparse
import json

from core.model import PRESETS


def register(subparsers: argparse._SubParsersAction) -> None:
    presets = subparsers.add_parser("presets", help="model presets and parameter counts")
    presets.add_argument("--features", type=int, default=14, help="input features (default 14)")
    presets.add_argument("--json", action="store_true")
    presets.set_defaults(handler=run_presets)


def run_presets(args: argparse.Namespace) -> int:
    from core.model import DualTaskModel

    counts = {name: DualTaskModel(args.features, name).count_parameters() for name in PRESETS}
    if args.json:
        print(json.dumps(counts, indent=2))
        return 0
    header = ("preset", "total", "shared", "RUL head", "health head", "shared %")
    print("{:<9}{:>12}{:>12}{:>10}{:>13}{:>10}".format(*header))
    for name, c in counts.items():
        print(
            f"{name:<9}{c['total']:>12,}{c['shared']:>12,}{c['rul_head']:>10,}"
            f"{c['health_head']:>13,}{100 * c['shared_share']:>9.2f}%"
        )
    return 0
