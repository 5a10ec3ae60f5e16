"""Finished runs in MLflow, so they sit in a team's tracking server beside other experiments.

Why from the run folder, after the run: a run folder already holds everything
MLflow shows (settings, per-epoch figures, probe records, test metrics, the
model), written crash-safely, and a run may have trained in a worker process
or on a cluster node that cannot reach the tracking server. So one function,
:func:`log_run`, reads a run folder and logs it; ``rulwb train --mlflow``,
``rulwb compare --mlflow``, the GUI's "Log runs to MLflow" setting (each run
as it ends) and ``rulwb mlflow PATH…`` (runs trained earlier) all call it.

What one workbench run becomes (one MLflow run, named after the run folder):

* params: ``config.json`` flattened with dots (``train.lr``, ``method_params.beta``,
  ``preprocess.health.degrading``); lists and numbers as JSON text;
* metrics with ``step`` = epoch: every numeric ``history.csv`` column as
  ``epoch/<column>`` (``epoch/val_rmse``, ``epoch/weight_rul``, ...);
* probe summaries: per numeric ``probe.csv`` column its mean, median and last
  value (``probe/ratio/mean``), the share of probed steps whose task gradients
  conflict (``probe/cosine/conflict_share``) and ``probe/steps``;
* the run's results: every number of ``metrics.json`` under its own name
  (``rmse``, ``nasa_score``, ``macro_f1``, ``val_rmse`` at the kept epoch, ...);
* artifacts: the run folder's files, except the resume state ``last.pt``;
* tags: ``rulwb.run`` (the folder's name: the run's id), ``rulwb.run_dir``,
  ``rulwb.status``, ``rulwb.method``, ``rulwb.seed``; the MLflow status is
  FINISHED, KILLED (stopped, interrupted) or FAILED (diverged, failed).

Logging is idempotent: a run whose complete log with the same status is
already there (found by its ``rulwb.run`` tag) is not logged again; a partial
log (the logging was cut off) or one of an earlier status (a stopped run
since resumed) is deleted and replaced.

The default tracking store is a SQLite file beside the runs,
``sqlite:///<run store>/mlflow.db`` (MLflow's own default since 3.7; its file
store is deprecated), with artifacts in ``<run store>/mlartifacts``;
``$MLFLOW_TRACKING_URI`` or a given URI (a server, ``http://host:5000``)
replaces it. MLflow is an optional extra, imported only here and only when
a run is logged.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from core.common.errors import WorkbenchError
from core.common.settings import check, setting
from core.runs.status import RunStatus
from core.runs.store import HISTORY, METRICS, PROBE, RunDir, runs_in

#: The tag that names the workbench run an MLflow run was logged from (its folder's name).
RUN_TAG = "rulwb.run"
#: Set last, once everything is logged: a log without it was cut off.
COMPLETE_TAG = "rulwb.logged"
EXPERIMENT = "rul-workbench"
#: Files of a run folder not sent as artifacts: the resume state (optimiser and all).
NOT_ARTIFACTS = frozenset({"last.pt"})
DATABASE = "mlflow.db"
ARTIFACTS = "mlartifacts"
MLFLOW_STATUS = {
    RunStatus.FINISHED: "FINISHED",
    RunStatus.STOPPED: "KILLED",
    RunStatus.INTERRUPTED: "KILLED",
    RunStatus.DIVERGED: "FAILED",
    RunStatus.FAILED: "FAILED",
}
#: MLflow takes at most this many params and metrics per request.
_PARAMS_PER_BATCH, _METRICS_PER_BATCH = 100, 1000


@dataclass(frozen=True)
class TrackingConfig:
    """Whether and where finished runs are logged (the GUI's setting; ``--mlflow`` on the CLI).

    Not part of a run's ``config.json``: where a run is tracked does not change it.
    """

    mlflow: bool = setting(
        False,
        help="log each run to MLflow when it ends: settings, per-epoch figures, probe "
        "summaries, test metrics and its files",
        label="Log runs to MLflow",
    )
    mlflow_uri: str = setting(
        "",
        help="MLflow tracking URI: a server (http://host:5000) or sqlite:///FILE; empty: "
        "$MLFLOW_TRACKING_URI, else sqlite:///<run store>/mlflow.db",
        label="MLflow tracking URI",
    )
    mlflow_experiment: str = setting(
        EXPERIMENT, help="MLflow experiment the runs go into", label="MLflow experiment"
    )

    def __post_init__(self) -> None:
        check(self)
        if self.mlflow and not self.mlflow_experiment.strip():
            raise ValueError("mlflow_experiment must name an experiment")


@dataclass(frozen=True)
class LoggedRun:
    """One run in MLflow: where, its MLflow id, and whether this call logged it."""

    run_dir: Path
    uri: str
    experiment: str
    run_id: str
    new: bool


def default_uri(store: str | Path) -> str:
    """``$MLFLOW_TRACKING_URI``, else a SQLite file in the run store ``store``."""
    return os.environ.get("MLFLOW_TRACKING_URI") or sqlite_uri(Path(store) / DATABASE)


def sqlite_uri(path: str | Path) -> str:
    return "sqlite:///" + Path(path).resolve().as_posix()


def log_run(
    run_dir: str | Path,
    uri: str | None = None,
    experiment: str = EXPERIMENT,
    tags: dict[str, str] | None = None,
) -> LoggedRun:
    """Log one ended run folder to MLflow (``uri`` None or empty: :func:`default_uri`).

    Raises WorkbenchError when MLflow is not installed, the folder is not a
    run, the run is still training, or the tracking store refuses.
    """
    run = RunDir(run_dir)
    uri = uri or default_uri(run.path.resolve().parent)
    mlflow = require_mlflow()
    config, status_record = run.read_config(), run.read_status()
    status = RunStatus(status_record["status"])
    if status is RunStatus.RUNNING:
        raise WorkbenchError(f"{run.path}: the run is still training; log it when it has ended")
    client = mlflow.MlflowClient(tracking_uri=uri)
    try:
        experiment_id = _experiment_id(client, experiment, uri)
        earlier = client.search_runs(
            [experiment_id], filter_string=f"tags.`{RUN_TAG}` = '{_quoted(run.name)}'"
        )
        for logged in earlier:
            tags_now = logged.data.tags
            if (
                tags_now.get(COMPLETE_TAG) == "complete"
                and tags_now.get("rulwb.status") == status.value
            ):
                return LoggedRun(run.path, uri, experiment, logged.info.run_id, new=False)
        for logged in earlier:  # cut off, or of an earlier status: replaced
            client.delete_run(logged.info.run_id)
        run_id = _log(client, mlflow, experiment_id, run, config, status_record, tags or {})
    except mlflow.exceptions.MlflowException as error:
        raise WorkbenchError(f"{run.path}: MLflow at {uri} refused the run ({error})") from None
    return LoggedRun(run.path, uri, experiment, run_id, new=True)


def log_runs(
    paths: Iterable[str | Path],
    uri: str | None = None,
    experiment: str = EXPERIMENT,
    notice: Callable[[str], None] | None = None,
    tags: dict[str, str] | None = None,
) -> list[LoggedRun]:
    """Log every ended run that ``paths`` name (run folders, run stores, comparison folders).

    Runs still training, damaged folders and runs MLflow refuses are skipped
    with a ``notice``; MLflow missing stops at once.
    """
    require_mlflow()  # said before any path is looked at
    logged = []
    for run in (r for path in paths for r in runs_in(path)):
        try:
            logged.append(log_run(run, uri, experiment, tags))
        except (WorkbenchError, ValueError) as error:
            if isinstance(error, MlflowMissing):
                raise
            if notice is not None:
                notice(str(error))
    return logged


class MlflowMissing(WorkbenchError):
    """MLflow is not installed (an optional extra)."""


def require_mlflow() -> Any:
    try:
        import mlflow
        import mlflow.exceptions
    except ImportError:
        raise MlflowMissing(
            "MLflow is not installed; install the extra: pip install 'rul-workbench[mlflow]'"
        ) from None
    return mlflow


def _experiment_id(client: Any, name: str, uri: str) -> str:
    """The experiment's id, creating it (artifacts beside a SQLite store) when it is new."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if uri.startswith("sqlite:///"):
        location = (Path(uri[len("sqlite:///") :]).parent / ARTIFACTS).resolve().as_uri()
    try:
        # the UI then opens the experiment on its runs, not on the GenAI (traces) overview
        kind = {"mlflow.experimentKind": "custom_model_development"}
        return client.create_experiment(name, artifact_location=location, tags=kind)
    except Exception:  # created meanwhile by another process
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def _log(
    client: Any,
    mlflow: Any,
    experiment_id: str,
    run: RunDir,
    config: dict[str, Any],
    status_record: dict[str, Any],
    extra_tags: dict[str, str],
) -> str:
    from mlflow.entities import Metric, Param, RunTag

    status = RunStatus(status_record["status"])
    tags = {
        RUN_TAG: run.name,
        "rulwb.run_dir": str(run.path.resolve()),
        "rulwb.status": status.value,
        "rulwb.method": str(config.get("method", "")),
        "rulwb.seed": str(config.get("seed", "")),
        **extra_tags,
    }
    started = _ms(status_record.get("created"))
    created = client.create_run(experiment_id, start_time=started, tags=tags, run_name=run.name)
    run_id = created.info.run_id
    params = [Param(k, v) for k, v in flatten(config).items()]
    for i in range(0, len(params), _PARAMS_PER_BATCH):
        client.log_batch(run_id, params=params[i : i + _PARAMS_PER_BATCH])
    stamp = int(time.time() * 1000)
    metrics = [Metric(k, v, stamp, step) for k, v, step in run_figures(run)]
    for i in range(0, len(metrics), _METRICS_PER_BATCH):
        client.log_batch(run_id, metrics=metrics[i : i + _METRICS_PER_BATCH])
    for path in sorted(run.path.iterdir()):
        if path.name in NOT_ARTIFACTS:
            continue
        if path.is_dir():
            client.log_artifacts(run_id, str(path), artifact_path=path.name)
        elif path.is_file():
            client.log_artifact(run_id, str(path))
    client.log_batch(run_id, tags=[RunTag(COMPLETE_TAG, "complete")])
    ended = _ms(status_record.get("updated")) or None
    client.set_terminated(run_id, MLFLOW_STATUS[status], end_time=ended)
    return run_id


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``config.json`` as MLflow params: nested keys joined with dots, values as text."""
    params: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            params.update(flatten(value, name + "."))
        else:
            params[name] = value if isinstance(value, str) else json.dumps(value)
    return params


def run_figures(run: RunDir) -> list[tuple[str, float, int]]:
    """Every metric of a run as ``(key, value, step)``: history, probe summary, metrics.json."""
    figures: list[tuple[str, float, int]] = []
    if (run.path / HISTORY).is_file():
        history = run.read_history()
        for row in history.to_dict("records"):
            epoch = int(row["epoch"])
            figures += [
                (f"epoch/{column}", float(value), epoch)
                for column, value in row.items()
                if column != "epoch" and _number(value)
            ]
    if (run.path / PROBE).is_file():
        figures += [(k, v, 0) for k, v in probe_summary(run).items()]
    if (run.path / METRICS).is_file():
        metrics = run.read_metrics() or {}
        figures += [(k, float(v), 0) for k, v in metrics.items() if _number(v)]
    return figures


def probe_summary(run: RunDir) -> dict[str, float]:
    """Mean, median and last value of each probe figure, and how often the tasks conflict."""
    probe = run.read_probe()
    summary: dict[str, float] = {"probe/steps": float(len(probe))}
    for column in probe.columns:
        if column in ("step", "epoch") or probe[column].dtype.kind not in "fi":
            continue
        values = probe[column].dropna()
        values = values[values.map(math.isfinite)]
        if values.empty:
            continue
        summary |= {
            f"probe/{column}/mean": float(values.mean()),
            f"probe/{column}/median": float(values.median()),
            f"probe/{column}/last": float(values.iloc[-1]),
        }
        if column == "cosine":
            summary["probe/cosine/conflict_share"] = float((values < 0).mean())
    return summary


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ms(stamp: Any) -> int:
    """Milliseconds since the epoch of an ISO time in status.json; now when absent or odd."""
    try:
        return int(datetime.fromisoformat(str(stamp)).timestamp() * 1000)
    except ValueError:
        return int(time.time() * 1000)


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
