"""RUL for engines in service: a run (or a seed ensemble of runs) applied to a fleet.

:mod:`~core.prediction.inference` loads a run's selected model and
preprocessing and predicts; :mod:`~core.prediction.ensemble` combines the
runs of a seed ensemble; :mod:`~core.prediction.fleet` reads an in-service
fleet and predicts it with a run or an ensemble (``rulwb predict``, the fleet view).

May import: every core layer below it (common, data, model, runs, evaluation,
training, experiment, comparisons); never core.cli or core.report.
"""
