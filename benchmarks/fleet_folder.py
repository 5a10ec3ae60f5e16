"""Seconds to read a fleet stored as one file per engine, against the same rows in one file.

FD001's 100 training engines are written as a maintenance system exports them
(``core.data.fleet_export``: one CSV per engine with ``timestamp``, ``CSN``,
``TSN_h``, settings and sensors) and, beside it, as one CSV holding the same
rows with an ``esn`` column. Both are read the way training reads them, the
best of ``--repeat`` reads each, alternating, in one process. Prints one JSON
object with both times and their ratio (folder / one file); Parquet likewise.

    python benchmarks/fleet_folder.py [--repeat 5]

Target: the folder within 1.25x of the single file (same rows, same reader).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import use_default_cmapss

from core.data.fleet_export import export_fleet
from core.data.sources import SourceSpec, load_source


def _one_file(engines: Path, out: Path, suffix: str) -> Path:
    """Every engine file's rows in one table, with the engine's serial as a column."""
    frames = [pd.read_csv(p).assign(esn=p.stem) for p in sorted(engines.glob("*.csv"))]
    table = pd.concat(frames, ignore_index=True)
    table = table[["esn", *[c for c in table.columns if c != "esn"]]]
    path = out / f"fleet{suffix}"
    if suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return path


def _as_parquet(engines: Path, out: Path) -> Path:
    folder = out / "parquet"
    folder.mkdir()
    for path in sorted(engines.glob("*.csv")):
        pd.read_csv(path).to_parquet(folder / f"{path.stem}.parquet", index=False)
    return folder


def _best(location: Path, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        fleet = load_source(SourceSpec.parse(f"csv:{location}")).train
        times.append(time.perf_counter() - started)
        rows = fleet.n_rows
    return min(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    use_default_cmapss()
    pair = load_source(SourceSpec.parse("cmapss:FD001"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        engines = export_fleet(pair, out / "export", suspended_share=0.0).engines
        cases = {
            "csv_folder": engines,
            "csv_one_file": _one_file(engines, out, ".csv"),
            "parquet_folder": _as_parquet(engines, out),
            "parquet_one_file": _one_file(engines, out, ".parquet"),
        }
        results = {name: {"seconds": 0.0, "rows": 0} for name in cases}
        best = {name: float("inf") for name in cases}
        for _ in range(args.repeat):  # alternate, so drift in machine load hits every case
            for name, location in cases.items():
                seconds, rows = _best(location, 1)
                best[name] = min(best[name], seconds)
                results[name] = {"seconds": round(best[name], 4), "rows": rows}
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "engines": pair.train.n_units,
        "repeat": args.repeat,
        **results,
        "csv_folder_over_one_file": round(best["csv_folder"] / best["csv_one_file"], 3),
        "parquet_folder_over_one_file": round(best["parquet_folder"] / best["parquet_one_file"], 3),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
