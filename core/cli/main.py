"""`rulwb`: the headless workbench. Same engine as the GUI, for scripts and batch comparisons.

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
    model_cmd,
    predict_cmd,
    probe_cmd,
    report_cmd,
    tensorboard_cmd,
    train_cmd,
)
from core.errors import WorkbenchError

COMMANDS = (
    data_cmd,
    model_cmd,
    train_cmd,
    compare_cmd,
    report_cmd,
    tensorboard_cmd,
    probe_cmd,
    predict_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rulwb",
        description="RUL multi-task workbench, headless: data, training, comparisons.",
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
