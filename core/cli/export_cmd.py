"""`rulwb export`: a run's model as ONNX or TorchScript, raw readings in (docs/deploy.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser(
        "export",
        help="write a run's model as ONNX or TorchScript, for use without the workbench",
        description=(
            "Write the model a run predicts with (its best.pt: the selected or refit weights) "
            "behind the run's normalisation, so it takes raw sensor windows [batch, window, "
            "columns] and gives RUL and health-state logits and probabilities. The folder "
            "also gets the run's preprocessing.json, model.json (inputs and outputs) and a "
            "README. The written file is loaded back and checked against the run's model."
        ),
    )
    export.add_argument("--run", type=Path, required=True, metavar="RUN_DIR", help="run folder")
    export.add_argument(
        "--format", default="onnx", help="onnx (needs the deploy extra) or torchscript "
        "(default: %(default)s)"
    )  # fmt: skip
    export.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="folder to write (default: RUN_DIR-FORMAT beside the run folder); an earlier "
        "export there is replaced",
    )
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from core.deploy import export_model  # torch and the exporters load only for this command

    exported = export_model(args.run, args.format, args.out)
    print(f"wrote {exported.model_file}")
    print(
        f"input 'readings': float64 [batch, {exported.window}, {len(exported.columns)}], raw "
        f"readings of {', '.join(exported.columns)}; see {exported.folder / 'README.md'}"
    )
    return 0
