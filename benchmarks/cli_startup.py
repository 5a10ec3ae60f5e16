"""How long `rulwb` takes to answer before any command runs: `--help`, `train --help`.

    python benchmarks/cli_startup.py [--repeats 7] [--top 12]

Runs each command line as a fresh process several times (``python -m
core.cli.main``, what the ``rulwb`` script runs) and prints one JSON object:
the median and every wall time per command line, which heavy packages
``import core.cli.main`` loads, and the slowest imports of that module
(cumulative microseconds, from ``python -X importtime``). Run it alone: the
times are wall-clock and another busy process on the machine stretches them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULWB = [sys.executable, "-m", "core.cli.main"]
COMMANDS = {
    "rulwb --help": ["--help"],
    "rulwb train --help": ["train", "--help"],
    "rulwb compare --help": ["compare", "--help"],
}
HEAVY = ("torch", "pandas", "pyarrow", "sklearn", "scipy", "matplotlib", "numpy")


def wall_times(args: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([*RULWB, *args], cwd=ROOT, check=True, capture_output=True)
        times.append(round(time.perf_counter() - start, 3))
    return times


def heavy_modules() -> list[str]:
    code = f"import core.cli.main, sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return [m for m in out.stdout.strip().split(",") if m]


def slowest_imports(top: int) -> list[dict]:
    """The ``top`` imports with the largest cumulative time, top-level packages first."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import core.cli.main"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        rows.append({"module": name, "cumulative_us": int(cumulative)})
    return sorted(rows, key=lambda row: -row["cumulative_us"])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    commands = {}
    for label, argv in COMMANDS.items():
        times = wall_times(argv, args.repeats)
        commands[label] = {"median_s": statistics.median(times), "times_s": times}
    report = {
        "commands": commands,
        "heavy_modules_loaded_by_import": heavy_modules(),
        "slowest_imports": slowest_imports(args.top),
        "load_average": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
