"""The fitted preprocessing of a run as a versioned JSON file, ``preprocessing.json``.

A run predicts from its folder alone: the feature list, the operating
conditions (standardisation and KMeans centres of the settings), the
per-condition means and standard deviations, the training range of every
feature, and the protocol (window, RUL cap, health thresholds, ...) are saved
when the run begins, as plain numbers (no pickle, readable by any tool), and
loaded back into a :class:`~core.data.prepare.FittedPipeline` that windows a
new fleet exactly as the training windows were made. Runs made before this
file existed are rebuilt from their source instead (see :mod:`core.prediction.inference`).

Format (``"format": "rul-workbench preprocessing"``, ``"version": 1``):
``config`` (the preprocessing settings), ``features`` (``used``; ``dropped``
with reasons; with ``sensors_by``, ``ranked_by`` and the health-indicator
``scores`` of every ranked sensor), ``conditions`` (``k``, ``seed``, ``settings`` column names,
``centre`` and ``scale`` of the settings, ``centres`` k × settings,
``reach``), ``normaliser`` (``eps``, ``mean`` and ``std``: k × features) and
``range`` (``low``, ``high``: per feature, normalised units) and ``time_unit``
(``cycles`` or ``hours``: the unit of every RUL the run predicts; a file
without it is from a run of cycles, :func:`run_time_unit`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from core.common.errors import WorkbenchError
from core.data.config import PreprocessConfig
from core.data.prepare import FittedPipeline
from core.data.preprocess import ConditionNormaliser, FeatureChoice, OperatingConditions
from core.data.time_axis import CYCLES, HOURS

FILE = "preprocessing.json"
FORMAT = "rul-workbench preprocessing"
VERSION = 1


def pipeline_to_dict(pipeline: FittedPipeline) -> dict[str, Any]:
    """Everything needed to window new data like the training data, JSON-ready."""
    conditions, normaliser = pipeline.conditions, pipeline.normaliser
    assert normaliser.mean is not None and normaliser.std is not None, "an unfitted pipeline"
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": pipeline.config.to_dict(),
        "features": _features_record(pipeline.features),
        "conditions": {
            "k": conditions.k,
            "seed": conditions.seed,
            "settings": list(conditions.settings),
            "centre": _list(conditions.centre),
            "scale": _list(conditions.scale),
            "centres": _list(conditions.centres),
            "reach": conditions.reach,
        },
        "normaliser": {
            "eps": normaliser.eps,
            "mean": _list(normaliser.mean),
            "std": _list(normaliser.std),
        },
        "range": {"low": _list(pipeline.low), "high": _list(pipeline.high)},
        "time_unit": pipeline.time_unit,
    }


def pipeline_from_dict(data: Any, file: Path | str = FILE) -> FittedPipeline:
    """The pipeline a :func:`pipeline_to_dict` record describes; damage names ``file``."""
    try:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r}; this program reads {VERSION}")
        config = PreprocessConfig.from_dict(data["config"])
        saved_features = data["features"]
        features = FeatureChoice(
            tuple(saved_features["used"]),
            dict(saved_features["dropped"]),
            dict(saved_features.get("scores", {})),
            str(saved_features.get("ranked_by", "")),
        )
        saved = data["conditions"]
        conditions = OperatingConditions(int(saved["k"]), int(saved["seed"]))
        conditions.settings = tuple(saved["settings"])
        conditions.centre, conditions.scale = _array(saved["centre"]), _array(saved["scale"])
        conditions.centres, conditions.reach = _array(saved["centres"], 2), float(saved["reach"])
        normaliser = ConditionNormaliser(conditions.k, float(data["normaliser"]["eps"]))
        normaliser.mean = _array(data["normaliser"]["mean"], 2)
        normaliser.std = _array(data["normaliser"]["std"], 2)
        low, high = _array(data["range"]["low"]), _array(data["range"]["high"])
        _check_shapes(features, conditions, normaliser, low, high)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise WorkbenchError(f"{file}: the saved preprocessing cannot be used ({error})") from None
    time_unit = str(data.get("time_unit", CYCLES))  # see run_time_unit
    return FittedPipeline(config, features, conditions, normaliser, low, high, time_unit)


def run_time_unit(run_dir: str | Path) -> str:
    """``cycles`` or ``hours``: the unit of a run's RUL, from its ``preprocessing.json``.

    ``cycles`` where the file does not say: it was written before time units
    existed (1a0830e), the run predates the file (41a51ba) -- every such run is
    of cycles -- or the file cannot be read.
    """
    try:
        saved = json.loads((Path(run_dir) / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return CYCLES
    unit = saved.get("time_unit") if isinstance(saved, dict) else None
    return HOURS if str(unit or "").strip().lower() == HOURS else CYCLES


def _features_record(features: FeatureChoice) -> dict[str, Any]:
    """Used and dropped features; with ``sensors_by``, the score ranked by and all the scores."""
    record: dict[str, Any] = {"used": list(features.used), "dropped": features.dropped}
    if features.ranked_by:
        record |= {"ranked_by": features.ranked_by, "scores": features.scores}
    return record


def _check_shapes(features, conditions, normaliser, low, high) -> None:
    n, k = len(features.used), conditions.k
    if normaliser.mean.shape != (k, n) or normaliser.std.shape != (k, n):
        raise ValueError(f"normaliser statistics are not {k} conditions × {n} features")
    if low.shape != (n,) or high.shape != (n,):
        raise ValueError(f"the training range does not list {n} features")
    if conditions.fitted and conditions.centres.shape != (k, len(conditions.settings)):
        raise ValueError(f"condition centres are not {k} × {len(conditions.settings)} settings")


def _list(values: np.ndarray) -> list:
    return np.asarray(values, dtype=np.float64).tolist()


def _array(values: list, ndim: int = 1) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return array.reshape((0,) * ndim) if ndim > 1 else array
    if array.ndim != ndim:
        raise ValueError(f"expected {ndim}-dimensional numbers, found {array.ndim}")
    return array
