"""What a comparison report is made from: the finished runs and what they were asked to do.

A report is read from run folders only (``config.json``, ``metrics.json``,
``history.csv``, ``probe.csv``, ``predictions.csv``), never from a live
process, so the same report comes out of a comparison folder on any machine
the folder was copied to. Runs that did not end (stopped, failed,
interrupted) are left out of the tables, as in the comparison itself, and
named in the report so a reader knows what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from core.comparisons.runner import finished_runs, normalised_config
from core.data.pipeline_file import run_time_unit
from core.data.time_axis import CYCLES
from core.evaluation.variants import variant_suffixes
from core.runs import RunDir, RunStatus, RunStore, RunStoreError
from core.runs.atomic import read_json
from core.runs.run_format import current_config


@dataclass
class RunRecord:
    """One finished run as the report uses it.

    Attributes
    ----------
    path
        The run folder.
    config, metrics
        ``config.json`` and ``metrics.json``.
    history
        Per-epoch figures (empty for the classical baseline, which has no epochs).
    probe
        Per-step gradient probe records (empty when the run did not probe).
    predictions
        One row per test engine (empty when the run has no test split).
    variant
        What sets the run apart from the others of its comparison beyond method
        and seed (``" · refit=True"``; ``core.evaluation.variants``); empty for most runs.
    """

    path: Path
    config: dict[str, Any]
    metrics: dict[str, Any]
    history: pd.DataFrame
    probe: pd.DataFrame
    predictions: pd.DataFrame
    variant: str = ""

    @property
    def method(self) -> str:
        """The method as the report compares it: its name and, for a variant, what differs."""
        return f"{self.config['method']}{self.variant}"

    @property
    def seed(self) -> int:
        return int(self.config["seed"])


@dataclass
class ComparisonRecord:
    """Every finished run of a comparison, its plan when known, and what was left out.

    Attributes
    ----------
    title
        What the report is about (the comparison folder's name).
    runs
        The finished runs, by method then seed.
    table
        One row per run: method, seed, run_dir and its figures (comparison.csv's columns).
    plan
        ``comparison.json`` of a ``rulwb compare`` folder (methods, seeds, base
        configuration, executor); ``None`` for runs gathered in the GUI.
    left_out
        Why each run of the folder that is not in the tables was left out.
    """

    title: str
    runs: list[RunRecord]
    table: pd.DataFrame
    plan: dict[str, Any] | None = None
    left_out: list[str] = field(default_factory=list)
    #: The method every other is paired with: the plan's (``rulwb compare --baseline``),
    #: else ``fixed``.
    baseline: str = "fixed"

    @property
    def methods(self) -> list[str]:
        """Methods in table order: the baseline first, then as they first appear."""
        names = list(dict.fromkeys(run.method for run in self.runs))
        return sorted(names, key=lambda name: name != self.baseline)

    def runs_of(self, method: str) -> list[RunRecord]:
        return [run for run in self.runs if run.method == method]

    @property
    def time_unit(self) -> str:
        """``cycles`` or ``hours``: the unit of every RUL and age (the runs share their data)."""
        return run_time_unit(self.runs[0].path) if self.runs else CYCLES


def read_comparison(folder: str | Path) -> ComparisonRecord:
    """The finished runs of a ``rulwb compare`` folder (RunStoreError if it is not one)."""
    folder = Path(folder)
    if not (folder / "runs").is_dir():
        raise RunStoreError("not a comparison folder (it has no runs/ folder)", folder)
    left_out: list[str] = []
    done = finished_runs(RunStore(folder / "runs"), notice=left_out.append)
    left_out += _not_ended(folder / "runs", {Path(row["run_dir"]) for row in done.values()})
    plan = _read_plan(folder / "comparison.json")
    record = read_runs([Path(row["run_dir"]) for row in done.values()], folder.resolve().name)
    record.plan, record.left_out = plan, left_out + record.left_out
    if plan is not None and isinstance(plan.get("baseline"), str):
        record.baseline = plan["baseline"]
    return record


def read_runs(run_dirs: list[Path], title: str) -> ComparisonRecord:
    """The given run folders as a comparison (the GUI's Comparison tab exports this way)."""
    runs, left_out = [], []
    for path in run_dirs:
        try:
            runs.append(_read_run(Path(path)))
        except (RunStoreError, OSError, ValueError, KeyError) as error:
            left_out.append(f"{path}: cannot be read ({error})")
    variants = variant_suffixes([normalised_config(run.config) for run in runs])
    runs = [replace(run, variant=variant) for run, variant in zip(runs, variants, strict=True)]
    runs.sort(key=lambda run: (run.method != "fixed", run.method, run.seed))
    table = pd.DataFrame([_table_row(run) for run in runs])
    return ComparisonRecord(title, runs, table, left_out=left_out)


def _read_run(path: Path) -> RunRecord:
    run = RunDir(path)
    metrics = run.read_metrics()
    if metrics is None:
        raise RunStoreError("it has no metrics.json (not finished)", path)
    return RunRecord(
        path=path,
        config=run.read_config(),
        metrics=metrics,
        history=_optional(run.read_history, path / "history.csv"),
        probe=_optional(run.read_probe, path / "probe.csv"),
        predictions=_optional(run.read_predictions, path / "predictions.csv"),
    )


def _optional(read: Any, path: Path) -> pd.DataFrame:
    """A table the run may not have (a baseline has no history, a fleet may have no test)."""
    return read() if path.is_file() else pd.DataFrame()


def _table_row(run: RunRecord) -> dict[str, Any]:
    row: dict[str, Any] = {"method": run.method, "seed": run.seed, "run_dir": str(run.path)}
    numbers = {k: v for k, v in run.metrics.items() if isinstance(v, int | float)}
    row.update({k: v for k, v in numbers.items() if not isinstance(v, bool)})
    return row


def _not_ended(runs_folder: Path, used: set[Path]) -> list[str]:
    """Runs of the folder still going, stopped or failed: named, as finished_runs skips them."""
    quiet = (RunStatus.RUNNING, RunStatus.STOPPED, RunStatus.FAILED)
    return [
        f"{info.path}: {info.status.value}, not used ({info.detail or 'no detail'})"
        for info in RunStore(runs_folder).list_runs()
        if info.path not in used and info.status in quiet and not info.damaged
    ]


def _read_plan(path: Path) -> dict[str, Any] | None:
    """comparison.json, or ``None`` when it is missing or unreadable (the runs still report)."""
    try:
        plan = read_json(path)
        if isinstance(plan, dict) and isinstance(plan.get("base"), dict):
            plan["base"] = current_config(plan["base"], path)  # config.json's layout and format
    except RunStoreError:
        return None
    return plan if isinstance(plan, dict) else None
