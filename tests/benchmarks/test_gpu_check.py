"""`benchmarks/gpu_check.py` on the CPU: it skips every GPU part cleanly without CUDA, and
`--cpu-smoke` runs every part (tiny) with finite, positive, self-consistent figures."""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"
PARTS = ("throughput", "step_cost", "training_run")


def run_check(*args: str) -> tuple[dict, str, float]:
    """The script's JSON, its stderr and its wall seconds; CUDA hidden, whatever the machine."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr, seconds


@pytest.fixture(scope="module")
def no_cuda() -> tuple[dict, str, float]:
    return run_check()


@pytest.fixture(scope="module")
def smoke() -> dict:
    return run_check("--cpu-smoke")[0]


def close(shown: float, expected: float) -> bool:
    """Equal up to the JSON's rounding (4 decimals)."""
    return math.isclose(shown, expected, rel_tol=1e-6, abs_tol=1e-4)


def numbers(value, path: str = ""):
    """Every (path, number) inside ``value``, booleans left out."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from numbers(item, f"{path}[{i}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, value


@pytest.mark.slow
def test_without_cuda_every_gpu_part_is_skipped_quickly(no_cuda):
    report, stderr, seconds = no_cuda
    assert report["mode"] == "no-cuda"
    for part in PARTS:
        assert report[part]["skipped"].startswith("no CUDA device: "), part
    assert report["environment"]["torch"]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "no CUDA device" in lines[0]
    assert seconds < 60


@pytest.mark.slow
def test_smoke_has_the_same_shape_and_no_skips(no_cuda, smoke):
    assert smoke["mode"] == "cpu-smoke"
    assert smoke.keys() == no_cuda[0].keys()
    assert smoke["environment"].keys() == no_cuda[0]["environment"].keys()
    assert "skipped" not in json.dumps(smoke)


#: Figures that are differences of two timings: on a busy machine (a study training beside the
#: suite) the probe's extra cost can measure below zero, so only finiteness is asked of them.
DIFFERENCES = (".probe.ms", ".probe.vs_fixed_step", ".probe.overhead_at_probe_every")


def test_smoke_figures_are_finite_and_positive(smoke):
    for part in PARTS:
        found = list(numbers(smoke[part]))
        assert found, part
        bad = [
            (path, v)
            for path, v in found
            if not (math.isfinite(v) and (v > 0 or path.endswith(DIFFERENCES)))
        ]
        assert not bad, f"{part}: {bad}"
        assert "peak_memory_mb" in json.dumps(smoke[part])


def test_smoke_throughput_figures_agree(smoke):
    batch = smoke["throughput"]["batch_size"]
    for preset, row in smoke["throughput"]["presets"].items():
        for precision in ("fp32", "bf16"):
            ms = row[precision]["ms_per_step"]
            assert close(row[precision]["steps_per_s"], 1000 / ms), (preset, precision)
            assert close(row[precision]["windows_per_s"], 1000 * batch / ms), (preset, precision)
        assert close(row["bf16_speedup"], row["fp32"]["ms_per_step"] / row["bf16"]["ms_per_step"])


def test_smoke_step_cost_ratios_agree(smoke):
    for preset, row in smoke["step_cost"]["presets"].items():
        ms, fixed = row["ms_per_step"], row["ms_per_step"]["fixed"]
        assert {"gaba", "pcgrad", "fixed+probe"} <= row["vs_fixed"].keys(), preset
        for name, value in row["vs_fixed"].items():
            assert close(value, ms[name] / fixed), (preset, name)
        probe = row["probe"]
        assert close(probe["ms"], ms["fixed+probe"] - fixed)
        assert close(probe["vs_fixed_step"], probe["ms"] / fixed)
        assert close(probe["overhead_at_probe_every"], probe["ms"] / (probe["probe_every"] * fixed))


def test_smoke_training_run_reports_every_epoch(smoke):
    run = smoke["training_run"]
    assert run["status"] == "finished"
    assert len(run["seconds_per_epoch"]) == len(run["val_rmse"]) == run["epochs"]
    assert close(run["median_seconds_per_epoch"], statistics.median(run["seconds_per_epoch"]))
    assert close(run["windows_per_s"], run["train_windows"] / run["median_seconds_per_epoch"])
