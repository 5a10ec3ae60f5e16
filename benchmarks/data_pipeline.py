"""Seconds to load, preprocess and window each C-MAPSS subset (train + test), and peak memory.

Each subset runs in a fresh Python process so its peak resident memory
(``ru_maxrss``) is its own, imports included. Prints one JSON object.

    python benchmarks/data_pipeline.py [--cmapss-dir DIR] [--repeat 3]

Target: FD004 end to end within 3 s and under 1 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from core.data.cmapss import load_cmapss
from core.data.prepare import prepare
t_import = time.perf_counter() - t0
best = None
for _ in range({repeat}):
    t1 = time.perf_counter()
    pair = load_cmapss({subset!r}, {location!r})
    t2 = time.perf_counter()
    data = prepare(pair)
    t3 = time.perf_counter()
    run = {{"load_s": t2 - t1, "preprocess_window_s": t3 - t2, "total_s": t3 - t1}}
    best = run if best is None or run["total_s"] < best["total_s"] else best
best = {{k: round(v, 4) for k, v in best.items()}}
best.update(import_s=round(t_import, 3),
            windows=len(data.train) + len(data.val) + len(data.test),
            peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
print(json.dumps(best))
"""


def default_location() -> str:
    env = os.environ.get("RUL_WORKBENCH_CMAPSS")
    return env or str(Path(__file__).resolve().parents[2] / "shared" / "data" / "cmapss")


def measure(subset: str, location: str, repeat: int) -> dict:
    code = CHILD.format(subset=subset, location=location, repeat=repeat)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cmapss-dir", default=default_location())
    parser.add_argument("--repeat", type=int, default=3, help="best of N in each process")
    args = parser.parse_args()
    results = {
        s: measure(s, args.cmapss_dir, args.repeat) for s in ("FD001", "FD002", "FD003", "FD004")
    }
    fd004 = results["FD004"]
    print(
        json.dumps(
            {
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "subsets": results,
                "targets": {
                    "fd004_total_under_3s": fd004["total_s"] < 3.0,
                    "fd004_peak_under_1gb": fd004["peak_rss_mb"] < 1024,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
