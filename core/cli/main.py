"""`rulwb`: the headless workbench. Same engine as the GUI, for scripts and batch comparisons.

Command modules import the training stack (torch, pandas's heavier users,
scikit-learn, matplotlib) inside their handlers, so `rulwb --help` answers
without it (tests/core/cli/test_startup.py, benchmarks/cli_startup.py).

Every command catches the workbench's own errors and prints their message
(file, line, column, what to do) instead of a traceback, exiting non-zero.
"""

from __future__ import annotations

import argparse
import sys

from core import __version__
from core.cli import (
    compare_cmd,
    data_cmd,
    export_cmd,
    mlflow_cmd,
    model_cmd,
    predict_cmd,
    probe_cmd,
    report_cmd,
    tensorboard_cmd,
    train_cmd,
)
from core.common.errors import WorkbenchError

COMMANDS = (
    data_cmd,
    model_cmd,
    train_cmd,
    compare_cmd,
    report_cmd,
    tensorboard_cmd,
    mlflow_cmd,
    probe_cmd,
    predict_cmd,
    export_cmd,
)


#: Typical command lines, shown under `rulwb --help`.
EXAMPLES = """\
examples:
  rulwb train --source demo --preset tiny --epochs 5
      train one model on the built-in demo fleet; the run lands in the GUI's run store
  rulwb compare --methods fixed,gaba --seeds 0-4 --source cmapss:FD001 --out cmp_fd001
      every (method, seed) pair, resumable; mean +- std and paired tests per method
  rulwb report cmp_fd001
      the comparison as one self-contained HTML file
  rulwb predict --run RUN_DIR
      RUL and health state of the run's in-service engines

`rulwb COMMAND --help` lists a command's options; docs/ explains the settings.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rulwb",
        description="RUL multi-task workbench, headless: data, training, comparisons.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rulwb {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except WorkbenchError as exc:
        print(f"rulwb: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"rulwb: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("rulwb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
