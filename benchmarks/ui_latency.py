"""Event-loop stalls and redraw rate of the workbench while it trains on the CPU.

A 10 ms QTimer runs in the GUI thread during a real training run started from
the main window (demo fleet); its lateness is the time the event loop was
blocked. The redraw rate counts the live panels' coalesced redraws per second;
it can only be as high as new training events arrive, so the event rate is
printed beside it. Prints one JSON object.

    QT_QPA_PLATFORM=offscreen python benchmarks/ui_latency.py [--preset compact] [--seconds 30]

Targets: stall p99 < 50 ms, max < 150 ms, redraw >= 15 Hz.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class LatencyProbe:
    """Timer lateness, redraws and training events over a measuring window."""

    def __init__(self, window, seconds: float) -> None:
        from PySide6.QtCore import QTimer

        self.window, self.seconds = window, seconds
        self.late_ms: list[float] = []
        self.redraws = self.events = 0
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        window.area.coalescer.redrawn.connect(self._redrawn)
        window.controller.runEvent.connect(self._event)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.late_ms.append((now - self._last) * 1000 - 10)
        self._last = now

    def _redrawn(self, *_) -> None:
        self.redraws += 1

    def _event(self, *_) -> None:
        self.events += 1

    def start(self) -> None:
        self.late_ms.clear()
        self.redraws = self.events = 0
        self._started = time.perf_counter()
        self.timer.start()

    def result(self) -> dict:
        self.timer.stop()
        elapsed = time.perf_counter() - self._started
        late = np.array(self.late_ms)
        return {
            "stall_p50_ms": round(float(np.percentile(late, 50)), 2),
            "stall_p99_ms": round(float(np.percentile(late, 99)), 2),
            "stall_max_ms": round(float(late.max()), 2),
            "redraw_hz": round(self.redraws / elapsed, 1),
            "training_events_per_s": round(self.events / elapsed, 1),
            "measured_s": round(elapsed, 1),
        }


def measure(preset: str, method: str, seconds: float, warmup_s: float) -> dict:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.shell.main_window import MainWindow, WorkbenchOptions

    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp())
    window = MainWindow(
        WorkbenchOptions(runs_dir=folder / "runs", settings_file=folder / "s.ini", restore=False)
    )
    probe, out = LatencyProbe(window, seconds), {}

    def train(*_) -> None:
        dock = window.experiment_dock
        dock.preset.setCurrentText(preset)
        dock.device.setCurrentText("cpu")
        dock.epochs.setValue(500)
        dock.seeds.setText("0")
        dock.methods.set_checked([method])
        window.train()
        QTimer.singleShot(int(warmup_s * 1000), probe.start)
        QTimer.singleShot(int((warmup_s + seconds) * 1000), finish)

    def finish() -> None:
        out.update(probe.result())
        started = time.perf_counter()
        window.close()
        out["close_s"] = round(time.perf_counter() - started, 2)
        app.quit()

    window.data_dock.dataLoaded.connect(train)
    window.show()
    app.exec()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="compact")
    parser.add_argument("--method", default="gaba")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    args = parser.parse_args()
    result = measure(args.preset, args.method, args.seconds, args.warmup)
    print(json.dumps({
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "preset": args.preset, "method": args.method, **result,
        "targets": {"p99_under_50ms": result["stall_p99_ms"] < 50,
                    "max_under_150ms": result["stall_max_ms"] < 150,
                    "redraw_at_least_15hz": result["redraw_hz"] >= 15},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
