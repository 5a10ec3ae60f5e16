"""The one place that knows older run folders: the format number and how to read old files.

A run folder's ``config.json`` and ``metrics.json`` carry ``"format":
FORMAT_VERSION``; a file without the key is format 1 (every run made before
the number was written). :class:`~core.runs.store.RunDir` reads both files
through :func:`current_config` and :func:`current_metrics`, and checkpoints
through :func:`current_checkpoint`, so every reader sees the current shape
and no reader needs a "run made before X existed" branch of its own. A file
of a format newer than this program's is refused with a message naming it,
never misread. When a file's shape changes, ``FORMAT_VERSION`` goes up and the
step from the previous format is added here.

Format 1 to 2:

* a training or preprocessing setting the file lacks did not exist when the
  run was made (the current code has always written every field): it gets the
  value that reproduces what the run did, :data:`BEFORE_IT_EXISTED`, not
  today's default;
* a ``model`` section whose dropout is not zero (written when the presets had
  dropout) becomes an explicit ``dropout``: no preset has dropout at format 2
  (``core/model/presets.py``), and ``dropout`` is how a run asks for some;
* a ``metrics.json`` without ``select_on`` kept the epoch of the best
  validation RMSE: ``select_on`` is ``rul`` and its score is ``val_rmse``.

Runs that predate a whole file are read elsewhere, where the answer is
derived: no ``preprocessing.json`` (the pipeline is rebuilt from the source)
or no ``intervals.json`` (calibrated from ``trajectories.csv``) in
:mod:`core.prediction.inference`, and a ``preprocessing.json`` without
``time_unit`` (cycles) in :mod:`core.data.pipeline_file`.

Plain dicts only: ``core.runs`` imports nothing above ``core.common``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeGuard

from core.runs.atomic import RunStoreError

#: The shape of the config.json and metrics.json the current code writes.
FORMAT_VERSION = 2
#: The key that holds it; a file without it is format 1.
FORMAT_KEY = "format"
#: Every config.json the workbench ever wrote records the library versions under this
#: key. A file without it (and without a format) was written by hand for ``rulwb
#: train --config``: what it leaves out takes today's defaults, as a user expects,
#: not the behaviour of runs from before a setting existed.
WRITTEN_BY_THE_WORKBENCH = "versions"

#: ``section.setting`` -> the value that reproduces what a run did before the
#: setting existed, for a format-1 config.json that lacks it. The commit that
#: added the setting, and where the value is not the one it came with, why.
BEFORE_IT_EXISTED: dict[str, Any] = {
    # In the first version (49c4572) with these defaults, changed since. Every
    # config.json has them; a file that lacks one was written by hand.
    "train.rul_bias_init": False,  # 49c4572; True since c9123a3
    "train.early_stopping_patience": 15,  # 49c4572; 8 since 743d8d0
    "train.eval_batch_size": 4096,  # 49c4572; 0 (by device) since 96a4865
    "preprocess.window": 30,  # 49c4572; 40 since 743d8d0
    # Added later.
    "train.probe_space": "parameters",  # 28fd147
    # 6f8f39a added it as "combined"; before it, the kept checkpoint, early
    # stopping and the plateau schedule followed the validation RMSE
    "train.select_on": "rul",
    "train.lr_schedule": "plateau",  # 6f8f39a (ReduceLROnPlateau before); cosine since e2b2e28
    "train.input_noise": 0.0,  # 6f8f39a; 0.5 since e2b2e28, 0.2 since 4d24b3d
    # b8fcf75; runs before it have no intervals.json: calibrated when read, at this coverage
    "train.interval_coverage": 0.9,
    "train.threads": 0,  # be56e3b (the process's own thread count before)
    "preprocess.test_units": 0.0,  # 405304f (no test set for a source without one)
    "train.tensorboard": False,  # 2635637
    "train.refit": False,  # 80260ad
    "preprocess.sensors_by": "",  # 73b5725
    "preprocess.sensors_top": 8,  # 73b5725 (unused while sensors_by is empty)
    "preprocess.smoothing": 1.0,  # dfda924
    "train.late_weight": 1.0,  # dfda924
    "train.optimizer": "adamw",  # a556c16
    "train.swa_from": 0,  # 743d8d0
}


def format_of(raw: dict[str, Any], file: str | Path | None = None) -> int:
    """The format a config.json or metrics.json was written in (1 without the key).

    RunStoreError naming ``file`` for a format this program cannot read: a newer
    one (written by a newer rul-workbench) or a value that is not a format number.
    """
    version = raw.get(FORMAT_KEY, 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RunStoreError(
            f"'{FORMAT_KEY}' must be a whole number from 1, found {version!r}", file
        )
    if version > FORMAT_VERSION:
        raise RunStoreError(
            f"written in run-folder format {version} by a newer rul-workbench; this one reads "
            f"formats 1 to {FORMAT_VERSION}: update rul-workbench to use this run",
            file,
        )
    return version


def stamped(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as a file of the current format holds it: ``"format"`` first."""
    return {FORMAT_KEY: FORMAT_VERSION, **_without_format(data)}


def current_config(raw: dict[str, Any], file: str | Path | None = None) -> dict[str, Any]:
    """A config.json of any format in the current shape (without the ``format`` key).

    Only what the file lacks is filled in; a value it holds is never changed.
    ``raw`` itself is left as it was.
    """
    version = format_of(raw, file)
    config = _without_format(raw)
    if version < 2 and WRITTEN_BY_THE_WORKBENCH in raw:
        config = _config_1_to_2(config)
    return config


def current_metrics(raw: dict[str, Any], file: str | Path | None = None) -> dict[str, Any]:
    """A metrics.json of any format in the current shape (without the ``format`` key)."""
    version = format_of(raw, file)
    metrics = _without_format(raw)
    if version < 2 and "select_on" not in metrics:
        # 6f8f39a: before select_on a run kept the epoch of the best validation RMSE
        metrics["select_on"] = "rul"
        if "selection_score" not in metrics and _number(metrics.get("val_rmse")):
            metrics["selection_score"] = metrics["val_rmse"]
    return metrics


def current_checkpoint(state: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint (``best.pt``, ``last.pt``) in the current shape.

    A ``last.pt`` saved before select_on (6f8f39a) kept the best epoch's score,
    its validation RMSE, under ``best.val_rmse`` instead of ``best.score``.
    """
    best = state.get("best")
    if isinstance(best, dict) and "score" not in best and "val_rmse" in best:
        return {**state, "best": {**best, "score": best["val_rmse"]}}
    return state


def _config_1_to_2(config: dict[str, Any]) -> dict[str, Any]:
    for name, value in BEFORE_IT_EXISTED.items():
        section, key = name.split(".")
        part = config.get(section)
        if isinstance(part, dict) and key not in part:
            config[section] = {**part, key: value}
    model = config.get("model")
    if "dropout" not in config and isinstance(model, dict):
        lstm, funnel = model.get("lstm_dropout"), model.get("funnel_dropout")
        if _number(lstm) and _number(funnel) and (lstm, funnel) != (0, 0):
            config["dropout"] = [float(lstm), float(funnel)]
    return config


def _without_format(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != FORMAT_KEY}


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
