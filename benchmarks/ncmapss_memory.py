"""Memory and time of reading an N-CMAPSS file block by block, at two block sizes.

Writes a synthetic file in the published layout (``W_``, ``X_s_``, ``X_v_``,
``T_``, ``Y_``, ``A_`` for ``dev`` and ``test``, the ``*_var`` name arrays;
float64, contiguous, uncompressed) into a temporary folder, then reads it with
:func:`core.data.ncmapss.load_ncmapss` once per block size, each read in a
fresh Python process so its memory is its own:

* ``rss_growth_mb``: peak resident set of the read over the resident set
  just before it (h5py/HDF5 buffers included). The kernel's peak mark is
  reset first (``/proc/self/clear_refs``), so the imports' own peak does not
  hide the read's; where that is refused, the growth of ``ru_maxrss`` (which
  reads 0 whenever the read stays under the imports' peak). A child's
  ``ru_maxrss`` alone is no measure: Linux folds the spawning parent's
  peak into it at exec (a bare child of a parent holding 400 MB reports
  427 MB), so only differences within the child are reported;
* ``tracemalloc_peak_mb``: peak of the Python and numpy allocations during a
  second read in the same process (HDF5's own C buffers are not traced);
* ``seconds``: the first read, without tracemalloc (the file is in the page
  cache: it was just written).

``whole_arrays_mb`` is what a loader that calls ``np.array(hdf[name])`` on every
dataset, as NASA's notebook does, holds at once (computed, not measured).
Prints one JSON object.

    python benchmarks/ncmapss_memory.py [--rows 2000000] [--units 15]
        [--chunk-rows 10000,100000] [--per-cycle mean] [--folder DIR]

Time: about 10 s to write 2 million rows (about 750 MB) and a few seconds per
read on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
from common import progress

REPO = Path(__file__).resolve().parents[1]
WIDTHS = {"W": 4, "X_s": 14, "X_v": 14, "T": 10, "A": 4}
CYCLE_ROWS = (1000, 3000)  # rows (seconds) of one flight, drawn uniformly

CHILD = r"""
import json, resource, time, tracemalloc
import h5py  # imported lazily by the reader: its cost is an import, not the read
from core.data.ncmapss import load_ncmapss

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":"))

try:  # reset the kernel's peak-RSS mark, so the peak is the read's, not the imports'
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    method = "VmHWM after clear_refs"
except OSError:
    method = "ru_maxrss"
rss_before = status("VmRSS")
maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
pair = load_ncmapss({path!r}, per_cycle={rule!r}, chunk_rows={chunk})
seconds = time.perf_counter() - t0
peak = status("VmHWM") if method != "ru_maxrss" else None
maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cycles = pair.train.n_rows + pair.test.n_rows
del pair
tracemalloc.start()
load_ncmapss({path!r}, per_cycle={rule!r}, chunk_rows={chunk})
traced = tracemalloc.get_traced_memory()[1]
growth = (peak - rss_before) if peak is not None else (maxrss - maxrss_before)
print(json.dumps({{
    "chunk_rows": {chunk}, "seconds": round(seconds, 3), "cycles": cycles,
    "rss_growth_mb": round(growth / 1024, 1), "rss_growth_method": method,
    "rss_before_mb": round(rss_before / 1024, 1),
    "tracemalloc_peak_mb": round(traced / 2**20, 1),
}}))
"""


def plan(rows: int, units: int, seed: int) -> dict[str, dict[int, list[int]]]:
    """Cycle lengths of each unit: 60 % of the units in dev, the rest in test."""
    rng = np.random.default_rng(seed)
    n_dev = max(1, round(units * 0.6))
    split: dict[str, dict[int, list[int]]] = {"dev": {}, "test": {}}
    for unit in range(1, units + 1):
        per_unit = rows // units + (unit <= rows % units)
        lengths = rng.integers(*CYCLE_ROWS, size=per_unit // CYCLE_ROWS[0] + 1)
        kept = lengths[: int(np.searchsorted(np.cumsum(lengths), per_unit)) + 1].tolist()
        kept[-1] -= sum(kept) - per_unit
        split["dev" if unit <= n_dev else "test"][unit] = [n for n in kept if n > 0]
    return split


def write_file(path: Path, layout: dict[str, dict[int, list[int]]], seed: int) -> int:
    """The file, written one unit at a time so the writer's memory stays small too."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as hdf:
        for group, width in WIDTHS.items():
            names = [f"{group}{i}".encode() for i in range(width)]
            if group == "A":
                names = [b"unit", b"cycle", b"Fc", b"hs"]
            hdf.create_dataset(f"{group}_var", data=np.array(names))
        for split, units in layout.items():
            _write_split(hdf, split, units, rng)
    return sum(sum(lengths) for units in layout.values() for lengths in units.values())


def _write_split(hdf, split: str, units: dict[int, list[int]], rng: np.random.Generator) -> None:
    rows = sum(sum(lengths) for lengths in units.values())
    sets = {g: hdf.create_dataset(f"{g}_{split}", (rows, w), "f8") for g, w in WIDTHS.items()}
    sets["Y"] = hdf.create_dataset(f"Y_{split}", (rows, 1), "f8")
    at = 0
    for unit, lengths in units.items():
        n = sum(lengths)
        cycle = np.repeat(np.arange(1, len(lengths) + 1), lengths)
        for group in ("W", "X_s", "X_v", "T"):
            sets[group][at : at + n] = rng.standard_normal((n, WIDTHS[group]))
        sets["Y"][at : at + n, 0] = len(lengths) - cycle
        sets["A"][at : at + n] = np.column_stack(
            [np.full(n, unit), cycle, np.ones(n), (cycle < 10).astype(float)]
        )
        at += n


def measure(path: Path, rule: str, chunk: int) -> dict:
    """One read in a fresh process, from the repository root so ``core`` imports."""
    code = CHILD.format(path=str(path), rule=rule, chunk=chunk)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--units", type=int, default=15)
    parser.add_argument("--chunk-rows", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--per-cycle", default="mean", choices=("mean", "last"))
    parser.add_argument("--folder", default=None, help="where to write the file (default: temp)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        path = Path(folder) / "N-CMAPSS_synthetic.h5"
        layout = plan(args.rows, args.units, args.seed)
        progress(f"writing {args.rows} rows to {path}")
        started = time.perf_counter()
        rows = write_file(path, layout, args.seed)
        write_s = time.perf_counter() - started
        reads = []
        for chunk in (int(c) for c in args.chunk_rows.split(",")):
            progress(f"reading with chunk_rows={chunk}")
            reads.append(measure(path, args.per_cycle, chunk))
        size_mb = path.stat().st_size / 2**20
    whole_mb = rows * (sum(WIDTHS.values()) + 1) * 8 / 2**20
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "h5py": h5py.__version__,
            "hdf5": h5py.version.hdf5_version,
            "numpy": np.__version__,
        },
        "file": {
            "size_mb": round(size_mb, 1),
            "rows": rows,
            "units": args.units,
            "write_s": round(write_s, 2),
        },
        "per_cycle": args.per_cycle,
        "whole_arrays_mb": round(whole_mb, 1),
        "reads": reads,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
