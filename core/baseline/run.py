"""Running a classical baseline like a network run: fit, evaluate, write the run folder."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from core.baseline.features import window_features
from core.baseline.gbm import GradientBoosting
from core.baseline.weibull import WeibullLife
from core.baseline.weibull_run import fit_and_evaluate_weibull
from core.data.prepare import PreparedData
from core.data.windows import WindowSet
from core.methods.base import Entry
from core.runs import RunDir, RunStatus
from core.training.events import Event, FinishedEvent
from core.training.results import record_results
from core.training.trainer import TrainResult


def run_baseline(
    method: Entry,
    data: PreparedData,
    seed: int,
    select_on: str,
    run: RunDir | None = None,
    on_event: Callable[[Event], None] | None = None,
    coverage: float = 0.9,
    threads: int = 0,
) -> TrainResult:
    """Fit on the training windows, evaluate like a network run, write the run folder.

    ``threads`` (the run's ``threads`` setting; 0 leaves the process's) caps
    scikit-learn's OpenMP threads as it caps torch's for a network. Left to
    itself, scikit-learn takes every core: beside a GUI, training workers or
    other runs its threads spin against theirs (measured: the demo fit took
    over 5 minutes in the GUI on a loaded 2-core machine, 30 s with one thread).
    ``weibull`` (:mod:`core.baseline.weibull_run`) fits on lives alone, with no threads.
    """
    started = time.perf_counter()
    if isinstance(method, WeibullLife):
        metrics, detail = fit_and_evaluate_weibull(data, select_on, run, coverage)
    else:
        if not isinstance(method, GradientBoosting):
            raise TypeError(f"'{method.name}' is not a classical baseline")
        with _threads(threads):
            metrics = _fit_and_evaluate(method, data, seed, select_on, run, coverage)
        detail = _trees_detail(data)
    metrics.update(
        status=RunStatus.FINISHED.value,
        best_epoch=0,
        epochs_run=0,
        steps=0,
        seconds=time.perf_counter() - started,
    )
    if run is not None:
        run.write_metrics(metrics)
        run.set_status(RunStatus.FINISHED, detail)
    if on_event is not None:
        run_dir = None if run is None else str(run.path)
        on_event(FinishedEvent(RunStatus.FINISHED.value, metrics, run_dir, detail))
    return TrainResult(RunStatus.FINISHED, [], metrics, 0, detail)


def _trees_detail(data: PreparedData) -> str:
    detail = "fitted gradient-boosted trees (no epochs)"
    if data.suspended:
        detail += (
            f"; the {len(data.suspended)} suspended units were left out (trees have no "
            "censored loss, and taking them as failures would bias every prediction low)"
        )
    return detail


def _threads(threads: int) -> contextlib.AbstractContextManager:
    return (
        threadpool_limits(threads, user_api="openmp") if threads > 0 else contextlib.nullcontext()
    )


def _fit_and_evaluate(
    method: GradientBoosting,
    data: PreparedData,
    seed: int,
    select_on: str,
    run: RunDir | None,
    coverage: float,
) -> dict:
    """Fit both models on the failed units' training windows; figures as a network's."""
    regressor, classifier = method.models(seed)
    windows = data.failed_training_windows()
    train = window_features(windows)
    regressor.fit(train, windows.rul)
    classifier.fit(train, windows.health)

    def predict(windows: WindowSet) -> tuple[np.ndarray, np.ndarray]:
        features = window_features(windows)
        rul = regressor.predict(features).astype(np.float32)
        return rul, _logits(classifier, features)

    val = predict(data.val)
    test = None if data.test is None else predict(data.test)
    return record_results(data, select_on, val, test, run, coverage)


def _logits(classifier: HistGradientBoostingClassifier, features: np.ndarray) -> np.ndarray:
    """(n, 3) log-probabilities of the three health states (a class absent in training: -inf)."""
    probabilities = np.zeros((len(features), 3))
    probabilities[:, classifier.classes_] = classifier.predict_proba(features)
    with np.errstate(divide="ignore"):
        return np.log(probabilities).astype(np.float32)
