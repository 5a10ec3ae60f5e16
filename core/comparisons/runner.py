"""Running a comparison: every (method, seed) pair once, resumable after a crash.

Runs live in a run store inside the comparison folder; a pair whose run
finished with the same configuration is not redone, so a comparison killed
midway and started again continues where it stopped. A run that was
interrupted or stopped after a completed epoch goes on from that epoch in its
own folder (the same figures as if it had never stopped, see
:mod:`core.experiment.resume`), so a study longer than a working session still
ends. A run whose files are damaged or were edited into something a comparison
cannot use is reported through ``notice`` and its pair is redone.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from core import __version__
from core.common.formats import count
from core.comparisons.folder_lock import comparison_lock
from core.data.prepare import PreparedData
from core.evaluation.prognostics import KEYS as PROGNOSTIC_KEYS
from core.evaluation.seed_ensembles import add_ensembles
from core.evaluation.statistics import summarise
from core.evaluation.unit_resolution import add_unit_resolution
from core.executors import ExecutorConfig, RunTask, open_executor, run_tasks
from core.executors.worker_run import resumable_copy
from core.experiment.resume import resumable, resume_run
from core.experiment.run import ExperimentConfig, load_data, run_experiment
from core.runs import RunDir, RunInfo, RunStatus, RunStore, RunStoreError
from core.runs.atomic import atomic_write, atomic_write_json, describe_os_error
from core.runs.run_format import stamped
from core.training.control import TrainingControl
from core.training.events import Event

RESULT_COLUMNS = (
    "rmse",
    "nasa_score",
    "mae",
    "accuracy",
    "macro_f1",
    "rmse_uncapped",
    "nasa_score_uncapped",
    "val_rmse",
    "val_macro_f1",
    "interval_coverage",
    "interval_width",
    # prognostic figures on the trajectories (core.evaluation.prognostics), test then validation
    *PROGNOSTIC_KEYS,
    *(f"val_{key}" for key in PROGNOSTIC_KEYS),
    "seconds",
    "best_epoch",
    "epochs_run",
)


#: The figures a comparison's summary compares, in table order, where the runs have them:
#: every result but the uncapped NASA score (dominated by far-from-failure engines) and
#: the epoch counts (facts about a run, not a figure to compare).
SUMMARY_METRICS = tuple(
    c for c in RESULT_COLUMNS if c not in ("nasa_score_uncapped", "best_epoch", "epochs_run")
)

# A diverged run is an outcome, not unfinished work: re-running it diverges again.
ENDED = (RunStatus.FINISHED, RunStatus.DIVERGED)


@dataclass(frozen=True)
class ComparisonPlan:
    """The base experiment and what varies: methods (with settings) and seeds."""

    base: ExperimentConfig
    methods: list[str]
    seeds: list[int]
    params: dict[str, dict] = field(default_factory=dict)
    #: The method every other is compared with (paired by seed) in the summary and report.
    baseline: str = "fixed"

    def experiments(self) -> list[ExperimentConfig]:
        return [
            self.base.with_(method=m, method_params=self.params.get(m, {}), seed=s)
            for m in self.methods
            for s in self.seeds
        ]


def parse_seeds(text: str) -> list[int]:
    """Seeds typed as ``0,1,2``, ``0 1 2`` or ranges ``0-4``; ValueError says what is wrong."""
    seeds: list[int] = []
    for part in re.split(r"[,\s;]+", text.strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if match is None:
            raise ValueError(f"seeds: '{part}' is not a whole number or a range like 0-4")
        low, high = int(match[1]), int(match[2] or match[1])
        if high < low:
            raise ValueError(f"seeds: the range '{part}' runs backwards")
        seeds += [s for s in range(low, high + 1) if s not in seeds]
    if not seeds:
        raise ValueError("seeds: give at least one seed, e.g. 0 or 0,1,2")
    return seeds


def normalised_config(config: dict) -> dict:
    """A run's config (as ``RunDir.read_config`` gives it) as the current code writes it.

    Read back through :class:`ExperimentConfig`: the method's settings resolved,
    the model section from the preset. (A setting an older config.json lacks is
    filled with its value from before it existed when the file is read,
    :mod:`core.runs.run_format`.) A method this installation cannot create
    (Nash-MTL without its solver), or a config it cannot read, keeps the file's
    settings.
    """
    with contextlib.suppress(ValueError, ImportError):
        return ExperimentConfig.from_dict(config).to_dict()
    return config


def _identity(config: dict) -> str:
    """What makes two runs the same experiment (everything but library versions).

    Compared as the current code writes configs (:func:`normalised_config`), so
    a run matches a plan with the same settings whatever format its file has.
    """
    config = normalised_config(config)
    return json.dumps({k: v for k, v in config.items() if k != "versions"}, sort_keys=True)


def finished_runs(store: RunStore, notice: Callable[[str], None] | None = None) -> dict[str, dict]:
    """Finished runs of a store by experiment identity: {identity: row}.

    Damaged and interrupted runs are left out (so their pairs are redone) and
    named through ``notice``; runs still going, failed or stopped are left out
    silently.
    """
    done, problems = _sort_runs(store.list_runs())
    if notice is not None:
        for path, problem in problems:
            notice(f"{path}: {problem}")
    return done


def _sort_runs(infos: list[RunInfo]) -> tuple[dict[str, dict], list[tuple[Path, str]]]:
    """The finished runs' rows by identity, and (folder, why) for runs worth a word."""
    done, problems = {}, []
    for info in infos:
        if info.status in ENDED and info.metrics and not info.damaged:
            # inspect_run marks a run damaged when its config.json cannot be read
            assert info.config is not None
            problem = _edited(info.config or {}, info.metrics)
            if problem is None:
                done[_identity(info.config)] = _row(info.config, info.metrics, info.path)
                continue
        else:
            problem = _broken(info)
        if problem:
            problems.append((info.path, problem))
    return done, problems


def _unfinished_runs(infos: list[RunInfo], done: dict[str, dict]) -> dict[str, tuple[int, Path]]:
    """Runs to go on from, by identity: (epochs done, folder), interrupted or stopped after
    a completed epoch.

    A pair already finished is not resumed; where a pair has several such runs
    (each attempt was killed), the one furthest on is.
    """
    furthest: dict[str, tuple[int, Path]] = {}
    for info in infos:
        if info.status not in (RunStatus.INTERRUPTED, RunStatus.STOPPED) or info.damaged:
            continue
        key = _identity(info.config or {})
        if key in done or not resumable(RunDir(info.path)):
            continue
        epochs = _epochs_done(info.path)
        if key not in furthest or epochs > furthest[key][0]:
            furthest[key] = (epochs, info.path)
    return furthest


def _epochs_done(folder: Path) -> int:
    """Completed epochs as history.csv lists them (0 when it cannot be read)."""
    with contextlib.suppress(OSError, RunStoreError, ValueError):
        return len(RunDir(folder).read_history())
    return 0


def _broken(info: RunInfo) -> str | None:
    """Why a run that did not end is worth telling the user about (damage, a kill)."""
    if info.damaged:
        return f"damaged, skipped ({info.damaged})"
    if info.status is RunStatus.INTERRUPTED:
        return f"interrupted, not used ({info.detail})"
    return None


def _edited(config: dict, metrics: dict) -> str | None:
    """Why an ended run's files, though valid JSON, cannot fill a table row (hand edits)."""
    if not isinstance(config.get("method"), str) or type(config.get("seed")) is not int:
        return "damaged, skipped (config.json: no method name or no integer seed)"
    wrong = [k for k in RESULT_COLUMNS if not _number_or_none(metrics.get(k))]
    if wrong:
        return f"damaged, skipped (metrics.json: not numbers: {', '.join(wrong)})"
    return None


def _number_or_none(value: object) -> bool:
    """A metric a hand edit has not broken: a real number (not a bool) or missing."""
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


def _row(config: dict, metrics: dict, path: Path) -> dict:
    """One line of comparison.csv: the pair, its folder and its test figures."""
    row = {
        "method": config["method"],
        "seed": config["seed"],
        "run_dir": str(path),
        "status": metrics.get("status"),
        "select_on": metrics.get("select_on"),
    }
    row.update({k: metrics.get(k) for k in RESULT_COLUMNS})
    return row


def run_comparison(
    plan: ComparisonPlan,
    folder: Path,
    progress: Callable[[str], Callable[[Event], None]] | None = None,
    data: PreparedData | None = None,
    notice: Callable[[str], None] | None = None,
    executor: ExecutorConfig | None = None,
    control: TrainingControl | None = None,
) -> pd.DataFrame:
    """Train every pair not already finished; write and return comparison.csv's table.

    ``notice`` hears about runs of the folder that are damaged or interrupted,
    those it goes on with, and about runs that failed under a parallel
    executor. ``executor`` says where the runs happen (default: one after
    another, here). One comparison at a time trains into a folder
    (:mod:`~core.comparisons.folder_lock`): a second is refused, naming the first.
    """
    store = _open_store(folder)
    with comparison_lock(folder):
        executor = executor or ExecutorConfig()
        _write_plan(plan, executor, folder)
        done, going_on = _store_state(store, plan, notice)
        if executor.kind != "serial":
            missing = [c for c in plan.experiments() if _identity(c.to_dict()) not in done]
            done.update(
                _run_elsewhere(missing, store, executor, progress, data, notice, control, going_on)
            )
            rows = [done[k] for k in map(experiment_key, plan.experiments()) if k in done]
            _write_table(rows, folder)
            return pd.DataFrame(rows)
        rows = []
        for config in plan.experiments():
            key = experiment_key(config)
            if key not in done:
                data = data or load_data(config)
                on_event = progress(run_label(config)) if progress else None
                if key in going_on:
                    run = RunDir(going_on[key])
                    result = resume_run(run, on_event, control, data)
                else:
                    result, new_run = run_experiment(config, store, data, on_event, control)
                    assert new_run is not None  # a store was given, so the run has a folder
                    run = new_run
                done[key] = _row(config.to_dict(), result.metrics, run.path)
            rows.append(done[key])
            _write_table(rows, folder)
        return pd.DataFrame(rows)


def _store_state(
    store: RunStore, plan: ComparisonPlan, notice: Callable[[str], None] | None
) -> tuple[dict[str, dict], dict[str, Path]]:
    """The plan's pairs already finished (rows) and those to go on with (run folders)."""
    infos = store.list_runs()  # read once: every run's files are read to list it
    done, problems = _sort_runs(infos)
    planned = {experiment_key(c) for c in plan.experiments()}
    going_on = {k: run for k, run in _unfinished_runs(infos, done).items() if k in planned}
    resumed = {path for _, path in going_on.values()}
    messages = [f"{path}: {problem}" for path, problem in problems if path not in resumed]
    messages += [
        f"{path}: {count(epochs, 'epoch')} done; going on from there"
        for epochs, path in going_on.values()
    ]
    if notice is not None:
        for message in messages:
            notice(message)
    return done, {key: path for key, (_, path) in going_on.items()}


def experiment_key(config: ExperimentConfig) -> str:
    """The experiment's identity: two configurations with one key are the same run."""
    return _identity(config.to_dict())


def run_task(config: ExperimentConfig) -> RunTask:
    """The task a parallel executor runs for one experiment (its key, label and config)."""
    return RunTask(experiment_key(config), run_label(config), config.to_dict(), __version__)


def run_label(config: ExperimentConfig) -> str:
    """What the user reads for one run of a comparison, e.g. ``gaba s3``."""
    return f"{config.method} s{config.seed}"


def _run_elsewhere(
    configs: list[ExperimentConfig],
    store: RunStore,
    executor: ExecutorConfig,
    progress: Callable[[str], Callable[[Event], None]] | None,
    data: PreparedData | None,
    notice: Callable[[str], None] | None,
    control: TrainingControl | None,
    going_on: dict[str, Path],
) -> dict[str, dict]:
    """The missing pairs on a parallel executor: {identity: table row} of those that ended.

    A pair in ``going_on`` is sent with its run's files, so its worker goes on
    from the last completed epoch into the same folder.
    """
    if not configs:
        return {}
    tasks = [_resumed(run_task(c), going_on.get(experiment_key(c))) for c in configs]
    by_key = {task.key: (task, config) for task, config in zip(tasks, configs, strict=True)}
    lines: dict[str, Callable[[Event], None]] = {}

    def data_for(task: RunTask) -> PreparedData:
        nonlocal data  # a comparison's pairs share their source and preprocessing
        data = data if data is not None else load_data(configs[0])
        return data

    def on_event(key: str, event: Event) -> None:
        if progress is not None:
            line = lines.setdefault(key, progress(by_key[key][0].label))
            line(event)

    rows = {}
    with open_executor(executor, configs[0].preset) as runner:
        outcomes = run_tasks(
            runner, tasks, store, data_for, on_event, control=control, retries=executor.retries
        )
    for key, outcome in outcomes.items():
        if outcome.metrics and outcome.run_dir:
            rows[key] = _row(by_key[key][1].to_dict(), outcome.metrics, Path(outcome.run_dir))
        elif notice is not None:
            notice(f"{by_key[key][0].label}: {outcome.status}: {outcome.error or outcome.detail}")
    return rows


def _resumed(task: RunTask, folder: Path | None) -> RunTask:
    """``task`` carrying the copy of an unfinished run to go on from (when there is one)."""
    copy = None if folder is None else resumable_copy(folder)
    return task if copy is None else replace(task, resume=copy)


def _write_plan(plan: ComparisonPlan, executor: ExecutorConfig, folder: Path) -> None:
    """comparison.json: what the comparison runs and where, for the record."""
    record = {
        "methods": plan.methods,
        "seeds": plan.seeds,
        "method_params": plan.params,
        "baseline": plan.baseline,
        "base": stamped(plan.base.to_dict()),  # config.json's layout, and its format
        "executor": executor.to_dict(),
    }
    atomic_write_json(folder / "comparison.json", record)


def _open_store(folder: Path) -> RunStore:
    """The comparison folder's run store; the folder is made here (RunStoreError if it cannot)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = f"cannot create the comparison folder: {describe_os_error(error)}"
        raise RunStoreError(reason, folder) from error
    return RunStore(folder / "runs")


def _write_table(rows: list[dict], folder: Path) -> None:
    """Replace comparison.csv atomically (a full disk is a RunStoreError naming it)."""
    data = pd.DataFrame(rows).to_csv(index=False).encode("utf-8")
    atomic_write(folder / "comparison.csv", lambda handle: handle.write(data))


def comparison_summary(table: pd.DataFrame, cap: float, baseline: str = "fixed") -> pd.DataFrame:
    """The per-method summary of a comparison's run table, with seed ensembles.

    One definition for ``rulwb compare``'s summary files and ``rulwb report``:
    only figures some run has are summarised (an imported fleet without a test
    split has validation figures only), and each method's seed ensemble is
    added beside its per-seed mean (``cap`` is the RUL cap of the runs); every
    method is paired with ``baseline``'s runs of the same seed, and with one
    run's units (the difference one run can resolve, on the test units or,
    without them, the validation units).
    """
    present = [m for m in SUMMARY_METRICS if m in table and table[m].notna().any()]
    summary = add_ensembles(summarise(table, metrics=present, baseline=baseline), table, cap)
    return add_unit_resolution(summary, table, "test" if "rmse" in present else "val")
