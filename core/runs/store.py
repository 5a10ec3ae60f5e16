"""Run folders: one folder per training run, written so a crash leaves it readable.

Every file a run folder can hold, and when it is written: docs/architecture.md, "A run folder".

Every file except ``probe.csv`` is replaced atomically (see :mod:`core.runs.atomic`).
A folder holding neither ``config.json`` nor ``status.json`` is not a run and
:meth:`RunStore.list_runs` ignores it silently (it may be the user's own folder);
a folder holding one of them but damaged is listed with ``damaged`` set.
"""

from __future__ import annotations

import contextlib
import csv
import pickle
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core.runs.atomic import (
    RunStoreError,
    append_text,
    atomic_write,
    atomic_write_json,
    csv_text,
    describe_os_error,
    read_complete_lines,
    read_csv_table,
    read_json,
    union_columns,
)
from core.runs.run_format import (
    FORMAT_VERSION,
    current_checkpoint,
    current_config,
    current_metrics,
    format_of,
    stamped,
)
from core.runs.status import RunStatus, effective_status, now, status_record

CONFIG, STATUS, METRICS = "config.json", "status.json", "metrics.json"
HISTORY, PROBE = "history.csv", "probe.csv"
PREDICTIONS, TRAJECTORIES = "predictions.csv", "trajectories.csv"
_NAME_TRIES = 1000
#: The weights a run predicts with: selected on validation (or the refit model).
BEST_CHECKPOINT = "best.pt"


@dataclass(frozen=True)
class RunInfo:
    """What the run list shows about one folder; ``damaged`` says why parts are missing."""

    path: Path
    name: str
    status: RunStatus | None
    config: dict[str, Any] | None
    metrics: dict[str, Any] | None
    damaged: str | None
    created: datetime
    detail: str = ""


def _check_object(value: Any, path: Path) -> dict[str, Any]:
    """Refuse JSON that is valid but not an object (a hand-edited list, a number ...)."""
    if not isinstance(value, dict):
        raise RunStoreError(f"expected a JSON object, found {type(value).__name__}", path)
    return value


class RunDir:
    """One run folder and the files in it; every write is atomic.

    Parameters
    ----------
    path
        The run folder (it must exist).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._probe_columns: list[str] | None = None

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    @property
    def name(self) -> str:
        """The folder name, which identifies the run."""
        return self.path.name

    def write_config(self, config: dict[str, Any]) -> None:
        """Store the full configuration, stamped with the current format (NaN/inf become null)."""
        atomic_write_json(self.path / CONFIG, stamped(config))

    def read_config(self) -> dict[str, Any]:
        """The run's configuration in the current shape, whatever format it was written in
        (:mod:`core.runs.run_format`); RunStoreError if missing, damaged or newer."""
        path = self.path / CONFIG
        return current_config(_check_object(read_json(path), path), path)

    def set_status(self, status: RunStatus, detail: str = "", **extra: Any) -> None:
        """Record the run's state, the owning process and the time.

        ``extra`` holds what explains the state, e.g. ``step=1234`` where a run diverged.
        """
        if RunStatus(status) is RunStatus.INTERRUPTED:
            raise ValueError("'interrupted' is inferred when reading and is never written")
        created = self._created_or(now().isoformat())
        atomic_write_json(self.path / STATUS, status_record(status, detail, created, extra))

    def _created_or(self, default: str) -> str:
        """The creation time already recorded, so status updates keep it."""
        with contextlib.suppress(RunStoreError):
            created = read_json(self.path / STATUS).get("created")
            if isinstance(created, str):
                return created
        return default

    def read_status(self) -> dict[str, Any]:
        """The status record; ``running`` becomes ``interrupted`` if its process is gone."""
        path = self.path / STATUS
        record = _check_object(read_json(path), path)
        allowed = [s.value for s in RunStatus]
        if record.get("status") not in allowed:
            raise RunStoreError(
                f"unknown status {record.get('status')!r} (expected one of {allowed})", path
            )
        return effective_status(record)

    def write_history(self, rows: list[dict[str, Any]]) -> None:
        """Replace history.csv with the whole per-epoch table."""
        text = csv_text(rows, union_columns(rows), header=True) if rows else ""
        data = text.encode("utf-8")
        atomic_write(self.path / HISTORY, lambda handle: handle.write(data))

    def read_history(self) -> pd.DataFrame:
        """The per-epoch table (empty before the first epoch)."""
        return read_csv_table(self.path / HISTORY)

    def append_probe(self, rows: list[dict[str, Any]]) -> None:
        """Append gradient-probe rows; the header is written once.

        If rows bring a column the file lacks, the file is rewritten once with
        the wider header rather than dropping the new values.
        """
        if not rows:
            return
        path = self.path / PROBE
        columns = self._probe_columns or self._read_probe_header()
        if columns is None:
            self._probe_columns = union_columns(rows)
            append_text(path, csv_text(rows, self._probe_columns, header=True))
        elif set(union_columns(rows)) <= set(columns):
            append_text(path, csv_text(rows, columns, header=False))
        else:
            wider = pd.concat([self.read_probe(), pd.DataFrame(rows)], ignore_index=True)
            atomic_write(path, lambda handle: wider.to_csv(handle, index=False))
            self._probe_columns = list(wider.columns)

    def keep_probe_up_to(self, epoch: int) -> None:
        """Drop probe rows after ``epoch``: a resumed run redoes that epoch and writes them anew."""
        probe = self.read_probe()
        if probe.empty or "epoch" not in probe or not (probe["epoch"] > epoch).any():
            return
        kept = probe[probe["epoch"] <= epoch]
        atomic_write(self.path / PROBE, lambda handle: kept.to_csv(handle, index=False))
        self._probe_columns = list(kept.columns)

    def _read_probe_header(self) -> list[str] | None:
        """Column names of an existing probe.csv (None if absent or only a torn header)."""
        try:
            with open(self.path / PROBE, encoding="utf-8", newline="") as handle:
                line = handle.readline()
        except FileNotFoundError:
            return None
        if not line.endswith("\n"):
            return None
        return next(csv.reader([line]))

    def read_probe(self) -> pd.DataFrame:
        """Probe rows, ignoring a last line torn by a crash mid-append."""
        path = self.path / PROBE
        try:
            data = read_complete_lines(path)
        except FileNotFoundError:
            return pd.DataFrame()
        return read_csv_table(path, data)

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        """Store the test metrics, stamped with the current format (NaN/inf become null)."""
        atomic_write_json(self.path / METRICS, stamped(metrics))

    def read_metrics(self) -> dict[str, Any] | None:
        """The test metrics in the current shape (:mod:`core.runs.run_format`), or None while
        the run has not written them."""
        path = self.path / METRICS
        if not path.exists():
            return None
        return current_metrics(_check_object(read_json(path), path), path)

    def upgrade(self) -> list[str]:
        """Rewrite config.json and metrics.json of an older format in the current one.

        What is written is what reading them gives (:mod:`core.runs.run_format`),
        so nothing a reader sees changes; the folder no longer needs the
        migration. Returns the files rewritten.
        """
        rewritten = []
        for name, read, write in (
            (CONFIG, self.read_config, self.write_config),
            (METRICS, self.read_metrics, self.write_metrics),
        ):
            path = self.path / name
            if path.exists() and format_of(read_json(path), path) < FORMAT_VERSION:
                current = read()
                assert current is not None
                write(current)
                rewritten.append(name)
        return rewritten

    def _write_table(self, file_name: str, table: pd.DataFrame) -> None:
        atomic_write(self.path / file_name, lambda handle: table.to_csv(handle, index=False))

    def write_predictions(self, df: pd.DataFrame) -> None:
        """Store the per-engine test predictions."""
        self._write_table(PREDICTIONS, df)

    def read_predictions(self) -> pd.DataFrame:
        """Per-engine test predictions (empty if not written)."""
        return read_csv_table(self.path / PREDICTIONS)

    def write_trajectories(self, df: pd.DataFrame) -> None:
        """Store per-engine trajectories (unit, cycle, split, true_rul, pred_rul, ...)."""
        self._write_table(TRAJECTORIES, df)

    def read_trajectories(self) -> pd.DataFrame:
        """Per-engine trajectories (empty if not written)."""
        return read_csv_table(self.path / TRAJECTORIES)

    def _checkpoint_path(self, name: str) -> Path:
        """The checkpoint file, refusing names that would leave the run folder."""
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"checkpoint name must be a plain file name, got {name!r}")
        return self.path / name

    def has_checkpoint(self, name: str = BEST_CHECKPOINT) -> bool:
        return self._checkpoint_path(name).is_file()

    def save_checkpoint(self, state: dict[str, Any], name: str = BEST_CHECKPOINT) -> None:
        """Save a checkpoint with ``torch.save``, atomically."""
        import torch

        atomic_write(self._checkpoint_path(name), lambda handle: torch.save(state, handle))

    def load_checkpoint(
        self, name: str = BEST_CHECKPOINT, map_location: Any = "cpu", weights_only: bool = True
    ) -> dict[str, Any]:
        """Load a checkpoint in the current shape; ``weights_only`` refuses arbitrary pickled
        objects."""
        import torch

        path = self._checkpoint_path(name)
        try:
            state = torch.load(path, map_location=map_location, weights_only=weights_only)
        except FileNotFoundError as error:
            raise RunStoreError("checkpoint missing", path) from error
        except pickle.UnpicklingError as error:
            # torch's own text here suggests weights_only=False, which is wrong for a damaged file
            raise RunStoreError(
                "checkpoint cannot be loaded (the file is damaged or not a workbench checkpoint)",
                path,
            ) from error
        except (OSError, RuntimeError, EOFError, ValueError) as error:
            raise RunStoreError(f"checkpoint cannot be loaded ({error})", path) from error
        if not isinstance(state, dict):
            raise RunStoreError(
                f"checkpoint cannot be loaded (expected a dictionary, found "
                f"{type(state).__name__})",
                path,
            )
        return current_checkpoint(state)


def _label(config: dict[str, Any], name: str | None) -> str:
    """Folder label: ``name`` if given, else ``<method>_s<seed>`` from the config."""
    if name is None:
        method = config.get("method", "run")
        if isinstance(method, dict):
            method = method.get("name", "run")
        seed = config.get("seed")
        name = f"{method}_s{seed}" if seed is not None else str(method)
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-._")[:60]
    return label or "run"


def _new_suffix() -> str:
    """Four random hex digits that keep two runs started in one second apart."""
    return secrets.token_hex(2)


def _created_from(folder: Path, status: dict[str, Any] | None) -> datetime:
    """Creation time: from status.json, else the folder name, else the folder's mtime."""
    with contextlib.suppress(TypeError, ValueError):
        created = datetime.fromisoformat(status["created"])  # type: ignore[index]
        return created if created.tzinfo else created.astimezone()
    with contextlib.suppress(ValueError):
        return datetime.strptime(folder.name[:15], "%Y%m%d-%H%M%S").astimezone()
    return datetime.fromtimestamp(folder.stat().st_mtime).astimezone()


def _attempt(read: Any, problems: list[str]) -> Any:
    """Call ``read``; on RunStoreError note a short reason and return None."""
    try:
        return read()
    except RunStoreError as error:
        problems.append(f"{error.file.name}: {error.reason}" if error.file else error.reason)
        return None


def inspect_run(folder: Path) -> RunInfo | None:
    """What can be read of one folder; None if it is not a run folder at all."""
    if not (folder / CONFIG).exists() and not (folder / STATUS).exists():
        return None
    run = RunDir(folder)
    problems: list[str] = []
    config = _attempt(run.read_config, problems)
    status = _attempt(run.read_status, problems)
    metrics = _attempt(run.read_metrics, problems)
    return RunInfo(
        path=folder,
        name=folder.name,
        status=RunStatus(status["status"]) if status else None,
        config=config,
        metrics=metrics,
        damaged="; ".join(problems) or None,
        created=_created_from(folder, status),
        detail=str(status.get("detail", "")) if status else "",
    )


class RunStore:
    """The folder that holds every run; creates, lists and opens runs.

    Parameters
    ----------
    root
        Folder of the runs; created on the first :meth:`create_run`.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def create_run(self, config: dict[str, Any], name: str | None = None) -> RunDir:
        """Make a new run folder with its config and status ``running``.

        The folder name is ``<local time>_<name>_<4 hex>``; it is made with an
        exclusive ``mkdir``, so two processes can never share a folder.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise RunStoreError(
                f"cannot create the runs folder: {describe_os_error(error)}", self.root
            ) from error
        label = _label(config, name)
        for _ in range(_NAME_TRIES):
            folder = self.root / f"{now():%Y%m%d-%H%M%S}_{label}_{_new_suffix()}"
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            except OSError as error:
                raise RunStoreError(
                    f"cannot create a run folder: {describe_os_error(error)}", folder
                ) from error
            return self._initialise(RunDir(folder), config)
        raise RunStoreError(f"no free run folder name after {_NAME_TRIES} tries", self.root)

    @staticmethod
    def _initialise(run: RunDir, config: dict[str, Any]) -> RunDir:
        """Write config and status; remove the folder again if that fails."""
        try:
            run.write_config(config)
            run.set_status(RunStatus.RUNNING)
        except BaseException:
            shutil.rmtree(run.path, ignore_errors=True)
            raise
        return run

    def list_runs(self) -> list[RunInfo]:
        """Every run folder, oldest first. Never raises for a damaged folder."""
        if not self.root.is_dir():
            return []
        infos = []
        for folder in self.root.iterdir():
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                info = inspect_run(folder)
            except Exception as error:  # a safety net: one bad folder must not hide the rest
                info = _unreadable(folder, error)
            if info is not None:
                infos.append(info)
        return sorted(infos, key=lambda info: (info.created, info.name))

    def open_run(self, path: str | Path) -> RunDir:
        """The run at ``path`` (absolute, or a folder name inside the root)."""
        folder = Path(path)
        if not folder.is_absolute() and not folder.is_dir():
            folder = self.root / folder
        if not folder.is_dir():
            raise RunStoreError("no such run folder", folder)
        return RunDir(folder)


def _unreadable(folder: Path, error: Exception) -> RunInfo:
    """A list entry for a folder that could not be inspected at all."""
    return RunInfo(
        path=folder,
        name=folder.name,
        status=None,
        config=None,
        metrics=None,
        damaged=f"unreadable ({type(error).__name__}: {error})",
        created=datetime.fromtimestamp(0).astimezone(),
    )


def runs_in(path: str | Path) -> list[Path]:
    """The run folders a path names: itself, its ``runs/`` (a comparison), or a store's runs."""
    path = Path(path)
    if (path / CONFIG).is_file():
        return [path]
    store = path / "runs" if (path / "runs").is_dir() else path
    if not store.is_dir():
        raise RunStoreError("no such run, run store or comparison folder", path)
    found = [info.path for info in RunStore(store).list_runs() if not info.damaged]
    if not found:
        raise RunStoreError("holds no run folder", path)
    return found
