"""`rulwb report`: a comparison folder as one self-contained HTML file to share."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.common.formats import count


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser(
        "report",
        help="write a comparison's HTML report",
        description=(
            "Write one self-contained HTML file (figures embedded) for a `rulwb compare` "
            "folder: data and protocol, per-method results with intervals and tests, "
            "validation curves, gradient ratio and weights, test predictions, "
            "configuration and versions."
        ),
    )
    report.add_argument(
        "folder", type=Path, metavar="CMP_DIR", help="a `rulwb compare` --out folder"
    )
    report.add_argument(
        "--out", type=Path, default=None, help="HTML file to write (default: CMP_DIR/report.html)"
    )
    report.add_argument(
        "--baseline",
        default=None,
        metavar="METHOD",
        help="the method every other is paired with (default: the one `rulwb compare "
        "--baseline` used, else fixed)",
    )
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from core.report import read_comparison, write_report

    record = read_comparison(args.folder)
    if args.baseline is not None:
        if args.baseline not in record.methods:
            print(f"rulwb: --baseline {args.baseline} has no finished run in {args.folder} "
                  f"(methods: {', '.join(record.methods)})", file=sys.stderr)  # fmt: skip
            return 2
        record.baseline = args.baseline
    for note in record.left_out:
        print(f"rulwb: note: {note}", file=sys.stderr)
    path = write_report(record, args.out or args.folder / "report.html")
    print(f"{path}: {count(len(record.runs), 'run')}, {count(len(record.methods), 'method')}")
    return 0
