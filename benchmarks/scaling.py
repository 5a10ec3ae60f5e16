"""Scaling: how step time and memory grow with batch size and window length, per preset.

For every preset x method x window x batch size, one training step of the
method (``core.training.step.TrainingStep``, AdamW, clipping, as the trainer
runs it) on random windows of shape (B, W, 14) with random RUL/health labels.
``fixed`` is the one-backward step; ``gaba`` needs per-task gradients, so it
takes two backward passes every step.

Each configuration runs in its own fresh Python process
(``scaling.py --one preset,batch,window,method``), so its memory peak is its
own:

* memory (``peak_mb``): on CPU the growth of the peak resident set
  (``ru_maxrss``) over a baseline taken after imports and model build; on CUDA
  ``max_memory_allocated`` over the memory allocated at that baseline. Either
  way it covers the inputs, activations, gradients and AdamW's state;
* time (``ms_per_step``): the first step warms up (allocations, kernel
  choice); then up to ``--steps`` steps are timed one by one and the median is
  reported. If the first step alone exceeds ``--max-seconds-per-config`` it is
  the measurement (``steps_timed`` 1, ``first_step_only`` true); timing also
  stops once the timed steps add up to that limit.

Configurations run cheapest first; once ``--budget-seconds`` have passed, the
rest are listed under ``skipped`` instead of run, so the total stays bounded
on a slow machine. A configuration whose predicted peak memory (linear in
B x W from the largest one measured for its preset and method) exceeds 85% of
the memory available is skipped too, rather than left to the out-of-memory
killer.

    python benchmarks/scaling.py [--presets compact,paper] [--methods fixed,gaba]
        [--batch-sizes 64,128,256,512,1024,2048] [--windows 30,60,120] [--steps 3]
        [--max-seconds-per-config 5] [--budget-seconds 540] [--device auto] [--threads N]
        [--plot docs/scaling.png]

Time: each configuration costs a process start (about 2 s idle, imports of
torch and torchjd) plus its steps; the largest are single steps of tens of
seconds (paper preset at B=2048, W=120: about 80 s for fixed and 120 s for
gaba on one loaded core, and 13 GB / 18 GB of memory). Trial of the whole grid
on a 2-core machine shared with other jobs, one torch thread, no budget:
1425 s. On an idle 2-core machine expect about 10 to 12 minutes for the whole
grid, so the default budget of 540 s may skip the few largest paper
configurations (they are listed under ``skipped``); ``--budget-seconds 0``
runs everything. Quick check (about a minute):
``--presets compact --batch-sizes 64,256 --windows 30 --steps 1 --plot /tmp/s.png``.
``--from-json REPORT.json`` redraws the plot from a saved report.
Prints one JSON object; writes the PNG plot (two panels: step time and memory
against batch size, log-log, one line per preset x window, solid fixed, dashed
gaba).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from common import machine, progress, sync, timed, use_threads

N_FEATURES = 14
RUL_CAP = 125.0
SEED = 0
#: Relative cost of a step per window-cycle, to order the runs cheapest first (measured roughly).
PRESET_COST = {"tiny": 0.2, "compact": 1.0, "paper": 8.0}
METHOD_COST = {"fixed": 1.0}


def ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


# ------------------------------------------------------------ one configuration
def peak_mb(device: torch.device) -> float:
    """Peak memory so far: allocated on CUDA, resident set (ru_maxrss, KiB on Linux) on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_step(preset: str, method_name: str, device: torch.device):
    """The trainer's step for ``method_name`` on a freshly built model (GABA past its warm-up)."""
    from core.methods.registry import create_method
    from core.model import DualTaskModel
    from core.training.step import TrainingStep

    torch.manual_seed(SEED)
    model = DualTaskModel(N_FEATURES, preset).to(device)
    method = create_method(method_name)
    if "warmup_steps" in method.params:  # time the steady state, as step_cost.py does
        method = create_method(method_name, warmup_steps=0)
    optimizer = torch.optim.AdamW([*model.parameters(), *method.parameters()], lr=1e-4)
    return TrainingStep(model, method, optimizer, clip_norm=1.0)


def random_batch(batch: int, window: int, device: torch.device) -> tuple:
    """Random normalised windows and labels: the step's cost does not depend on the values."""
    generator = torch.Generator().manual_seed(SEED)
    x = torch.randn(batch, window, N_FEATURES, generator=generator)
    rul = torch.rand(batch, generator=generator) * RUL_CAP
    health = torch.randint(0, 3, (batch,), generator=generator)
    return x.to(device), rul.to(device), health.to(device)


def time_steps(step, inputs: tuple, device, steps: int, limit: float) -> tuple[list[float], bool]:
    """Seconds of the timed steps, and whether only the (warm-up) first step was affordable."""
    counter = iter(range(10**9))

    def one() -> None:
        step(*inputs, step=next(counter), epoch=1, probe=False)

    first = timed(device, one)
    if first > limit:
        return [first], True
    seconds: list[float] = []
    while len(seconds) < steps and sum(seconds) <= limit:
        seconds.append(timed(device, one))
    return seconds, False


def run_one(spec: str, steps: int, limit: float, device_name: str) -> dict:
    """Measure one ``preset,batch,window,method`` in this (fresh) process."""
    from core.training.trainer import resolve_device

    preset, batch, window, method = spec.split(",")
    batch, window = int(batch), int(window)
    device = resolve_device(device_name)
    step = build_step(preset, method, device)
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device) / 2**20
    else:
        baseline = peak_mb(device)
    inputs = random_batch(batch, window, device)
    seconds, first_only = time_steps(step, inputs, device, steps, limit)
    ms = 1000 * statistics.median(seconds)
    return {
        "preset": preset,
        "method": method,
        "batch_size": batch,
        "window": window,
        "ms_per_step": round(ms, 2),
        "ms_per_sample": round(ms / batch, 4),
        "peak_mb": round(peak_mb(device) - baseline, 1),
        "baseline_mb": round(baseline, 1),
        "steps_timed": len(seconds),
        "first_step_only": first_only,
    }


# ------------------------------------------------------------------ the sweep
def configs(args) -> list[tuple[str, int, int, str]]:
    """Every configuration, cheapest first, so a budget cut drops only the largest."""
    grid = [
        (preset, batch, window, method)
        for preset in names(args.presets)
        for method in names(args.methods)
        for window in ints(args.windows)
        for batch in ints(args.batch_sizes)
    ]

    def cost(config: tuple[str, int, int, str]) -> float:
        preset, batch, window, method = config
        return PRESET_COST.get(preset, 1.0) * METHOD_COST.get(method, 1.5) * batch * window

    return sorted(grid, key=cost)


def run_child(config: tuple, args) -> dict:
    """One configuration in a fresh interpreter; its last stdout line is the JSON row."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        ",".join(map(str, config)),
        "--steps",
        str(args.steps),
        "--max-seconds-per-config",
        str(args.max_seconds_per_config),
        "--device",
        args.device,
        "--threads",
        str(args.threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no message (killed: out of memory?)"]
        return {"config": list(config), "error": f"exit {done.returncode}: {last[0]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def available_mb(device: torch.device) -> float:
    """Memory a configuration may still take: free GPU memory, or MemAvailable on Linux."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0] / 2**20
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")


class MemoryGuard:
    """Predicts a configuration's peak from the largest one measured so far (same preset and
    method; memory grows linearly with batch x window) and refuses what would not fit, so
    the sweep reports a skip instead of the out-of-memory killer ending a child."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.per_window_cycle: dict[tuple[str, str], tuple[int, float]] = {}

    def learn(self, row: dict) -> None:
        size = row["batch_size"] * row["window"]
        key = (row["preset"], row["method"])
        if size >= self.per_window_cycle.get(key, (0, 0.0))[0]:
            self.per_window_cycle[key] = (size, row["peak_mb"] / size)

    def refusal(self, config: tuple) -> str | None:
        """Why ``config`` should not run, or None."""
        preset, batch, window, method = config
        known = self.per_window_cycle.get((preset, method))
        if known is None:
            return None
        predicted, free = known[1] * batch * window, available_mb(self.device)
        if predicted > 0.85 * free:
            return f"predicted peak {predicted:.0f} MB > 85% of {free:.0f} MB available"
        return None


def sweep(args, device: torch.device) -> tuple[list[dict], list[dict], list[dict]]:
    """Run the configurations until the budget is spent: (rows, failures, skipped)."""
    rows, failed, skipped = [], [], []
    guard = MemoryGuard(device)
    started = time.perf_counter()
    todo = configs(args)
    for i, config in enumerate(todo):
        elapsed = time.perf_counter() - started
        reason = guard.refusal(config)
        if args.budget_seconds and elapsed > args.budget_seconds:
            reason = f"time budget of {args.budget_seconds:g} s spent"
        if reason:
            skipped.append({"config": list(config), "reason": reason})
            progress(f"[{i + 1}/{len(todo)} {elapsed:.0f}s] {config}: skipped, {reason}")
            continue
        row = run_child(config, args)
        if "error" in row:
            failed.append(row)
        else:
            rows.append(row)
            guard.learn(row)
        progress(f"[{i + 1}/{len(todo)} {elapsed:.0f}s] {config}: {row}")
    return rows, failed, skipped


# ------------------------------------------------------------------- the plot
PANELS = (
    ("ms_per_step", "Training step time", "time per step (ms)"),
    ("peak_mb", "Peak memory growth", "memory (MB)"),
)


def line_pen(preset: str, window: int, method: str, windows: list[int]):
    """Blues for compact, reds for paper (darker = longer window); gaba dashed (squares)."""
    import pyqtgraph as pg
    from PySide6.QtCore import Qt

    hues = {"compact": 0.6, "paper": 0.02, "tiny": 0.33}
    shade = windows.index(window) / max(len(windows) - 1, 1)
    color = pg.hsvColor(hues.get(preset, 0.8), sat=0.85, val=0.95 - 0.6 * shade)
    style = Qt.PenStyle.SolidLine if method == "fixed" else Qt.PenStyle.DashLine
    return pg.mkPen(color, width=2.5, style=style)


def log_ticks(values: list[float]) -> list[list[tuple[float, str]]]:
    """Major ticks at ``values`` (labelled plainly) for a log axis, whose coordinates are log10."""
    return [[(float(np.log10(v)), f"{v:g}") for v in values], []]


def decades(low: float, high: float) -> list[float]:
    """1, 2, 5 times powers of ten spanning ``low``..``high``: readable log-axis labels."""
    first, last = int(np.floor(np.log10(low))), int(np.ceil(np.log10(high)))
    marks = [m * 10.0**e for e in range(first, last + 1) for m in (1, 2, 5)]
    return [v for v in marks if low / 1.5 <= v <= high * 1.5]


def plot(rows: list[dict], path: str, title: str) -> None:
    """Two log-log panels (ms per step, peak MB against batch size) and a legend, as a PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    import pyqtgraph.exporters
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QSizePolicy

    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    window = pg.GraphicsLayoutWidget(size=(1600, 700), title=title)
    window.addLabel(title, row=0, col=0, colspan=3, size="13pt")
    windows = sorted({r["window"] for r in rows})
    batches = sorted({r["batch_size"] for r in rows})
    legend = pg.LegendItem(labelTextSize="10pt")
    for column, (key, heading, label) in enumerate(PANELS):
        panel = window.addPlot(row=1, col=column, title=heading)
        panel.setLogMode(x=True, y=True)
        panel.showGrid(x=True, y=True, alpha=0.3)
        panel.setLabel("bottom", "batch size (windows per step)")
        panel.setLabel("left", label)
        panel.getAxis("bottom").setTicks(log_ticks(batches))
        values = [r[key] for r in rows if r[key] > 0]
        if values:
            panel.getAxis("left").setTicks(log_ticks(decades(min(values), max(values))))
        for (preset, method, w), line in lines(rows).items():
            points = [(b, r[key]) for b, r in line if r[key] > 0]
            if not points:
                continue
            pen = line_pen(preset, w, method, windows)
            xs, ys = zip(*points, strict=True)
            symbol = "o" if method == "fixed" else "s"
            item = panel.plot(xs, ys, pen=pen, symbol=symbol, symbolSize=8, symbolBrush=pen.color())
            if column == 0:
                legend.addItem(item, f"{preset} · {method} · W={w}")
    legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    window.addItem(legend, row=1, col=2)
    window.ci.layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop)
    window.ci.layout.setColumnStretchFactor(0, 5)
    window.ci.layout.setColumnStretchFactor(1, 5)
    window.ci.layout.setColumnStretchFactor(2, 2)
    window.show()
    app.processEvents()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pyqtgraph.exporters.ImageExporter(window.scene()).export(path)
    window.close()


def lines(rows: list[dict]) -> dict[tuple, list[tuple[int, dict]]]:
    """Rows grouped into one line per (preset, method, window), sorted by batch size."""
    out: dict[tuple, list[tuple[int, dict]]] = {}
    for row in rows:
        out.setdefault((row["preset"], row["method"], row["window"]), []).append(
            (row["batch_size"], row)
        )
    return {key: sorted(line, key=lambda pair: pair[0]) for key, line in sorted(out.items())}


# ------------------------------------------------------------------- the CLI
def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="compact,paper")
    parser.add_argument("--methods", default="fixed,gaba")
    parser.add_argument("--batch-sizes", default="64,128,256,512,1024,2048")
    parser.add_argument("--windows", default="30,60,120")
    parser.add_argument("--steps", type=int, default=3, help="timed steps after the first")
    parser.add_argument("--max-seconds-per-config", type=float, default=5.0)
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=540.0,
        help="skip the remaining (largest) configurations after this long; 0: no limit",
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0: default")
    parser.add_argument("--plot", default="docs/scaling.png", help="PNG path; empty: no plot")
    parser.add_argument("--from-json", help="only redraw the plot from a saved JSON report")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # preset,batch,window,method (child)
    return parser.parse_args()


def plot_title(device: str, threads: int) -> str:
    return (
        f"One training step on {device}, torch threads: {threads}"
        " — solid, circles: fixed (one backward); dashed, squares: gaba (two backward passes)"
    )


def replot(args) -> None:
    """Draw the PNG again from a saved report (``--from-json``), without measuring."""
    report = json.loads(Path(args.from_json).read_text())
    where = report["machine"]
    plot(report["rows"], args.plot, plot_title(where["device"].upper(), where["torch_threads"]))
    print(json.dumps({"plot": args.plot, "rows": len(report["rows"])}))


def main() -> None:
    args = parse()
    use_threads(args.threads)
    if args.one:
        print(json.dumps(run_one(args.one, args.steps, args.max_seconds_per_config, args.device)))
        return
    if args.from_json:
        replot(args)
        return
    from core.training.trainer import resolve_device

    device = resolve_device(args.device)
    started = time.perf_counter()
    rows, failed, skipped = sweep(args, device)
    if args.plot and rows:
        plot(rows, args.plot, plot_title(device.type.upper(), torch.get_num_threads()))
    print(json.dumps({
        "machine": machine(device),
        "steps": args.steps,
        "max_seconds_per_config": args.max_seconds_per_config,
        "budget_seconds": args.budget_seconds,
        "total_seconds": round(time.perf_counter() - started, 1),
        "memory": "CPU: growth of peak RSS over the baseline after imports and model build; "
        "CUDA: max_memory_allocated over memory_allocated at that baseline",
        "plot": args.plot or None,
        "rows": rows,
        "failed": failed,
        "skipped": skipped,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
