"""Helpers the benchmark scripts share, so every JSON report describes its machine alike.

Imported as ``common`` (the scripts run as ``python benchmarks/NAME.py``, which
puts this folder first on ``sys.path``).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import torch


def use_default_cmapss() -> None:
    """Point the C-MAPSS reader at ``../shared/data/cmapss`` unless the user chose a folder."""
    here = Path(__file__).resolve().parent
    os.environ.setdefault(
        "RUL_WORKBENCH_CMAPSS", str(here.parent.parent / "shared" / "data" / "cmapss")
    )


def use_threads(n: int) -> None:
    """``torch.set_num_threads(n)`` when ``n`` > 0.

    On a CPU shared with other busy processes, two intra-op threads stall at
    every parallel region's barrier while one of them is descheduled, which
    makes step times jump by 10x from one step to the next; one thread is
    slower but steady. On an idle machine keep torch's default (0).
    """
    if n > 0:
        torch.set_num_threads(n)


def machine(device: torch.device) -> dict:
    """What the figures were measured on: ratios travel between machines, absolutes do not."""
    info = {
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": str(device),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def sync(device: torch.device) -> None:
    """Wait for queued device work, so a timer read after it covers that work."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(device: torch.device, work) -> float:
    """Seconds ``work()`` takes, the device drained before and after."""
    sync(device)
    started = time.perf_counter()
    work()
    sync(device)
    return time.perf_counter() - started


def progress(message: str) -> None:
    """Progress goes to stderr: stdout carries the one JSON object and nothing else."""
    print(message, file=sys.stderr, flush=True)
