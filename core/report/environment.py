"""Which machines and software produced the runs, and which wrote the report.

A figure in a maintenance review must be traceable: every run records the
package versions it trained with (``config.json``), its torch thread count
(``metrics.json``: results depend on it) and the host it ran on
(``status.json``). The report lists each distinct combination with the runs
it covers, then the machine that wrote the report.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata

from core.report.collect import ComparisonRecord, RunRecord
from core.runs import RunDir, RunStoreError

#: Packages whose versions decide a figure, as pip names them.
PACKAGES = (
    "rul-workbench",
    "torch",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "torchjd",
    "matplotlib",
)


def run_environments(record: ComparisonRecord) -> list[tuple[str, str]]:
    """(what the runs had, which runs) for each distinct host, versions and thread count."""
    groups: dict[str, list[str]] = {}
    for run in record.runs:
        groups.setdefault(_environment(run), []).append(f"{run.method} s{run.seed}")
    return [(text, ", ".join(runs)) for text, runs in groups.items()]


def _environment(run: RunRecord) -> str:
    versions = run.config.get("versions") or {}
    parts = [f"{name} {value}" for name, value in versions.items()]
    threads = run.metrics.get("torch_threads") or run.config.get("train", {}).get("threads")
    if threads:
        parts.append(f"{threads} torch thread{'s' * (int(threads) > 1)}")
    device = run.config.get("train", {}).get("device")
    if device:
        parts.append(f"device {device}")
    host = _host(run)
    return (f"host {host} · " if host else "") + (", ".join(parts) or "not recorded")


def _host(run: RunRecord) -> str | None:
    try:
        return RunDir(run.path).read_status().get("host")
    except RunStoreError:
        return None


def this_machine() -> list[tuple[str, str]]:
    """The machine writing the report: system, processor, cores and package versions."""
    rows = [
        ("system", platform.platform()),
        ("processor", platform.processor() or platform.machine()),
        ("cores", str(os.cpu_count())),
        ("python", platform.python_version()),
    ]
    for package in PACKAGES:
        try:
            rows.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            rows.append((package, "not installed"))
    return rows
