"""Judging runs: metrics, intervals, prognostic metrics, statistics over seeds, seed ensembles.

:mod:`~core.evaluation.metrics` (RMSE, NASA score, health accuracy and
macro-F1), :mod:`~core.evaluation.intervals` (calibrated RUL intervals),
:mod:`~core.evaluation.prognostics` (alpha-lambda, prognostic horizon, RA, CRA),
:mod:`~core.evaluation.statistics` (a comparison's summary: mean and std over
seeds, paired differences and their intervals), :mod:`~core.evaluation.seed_ensembles`
(a comparison's seed ensembles from the runs' saved predictions),
:mod:`~core.evaluation.unit_resolution` (the difference one run's units can
resolve: a paired bootstrap over units),
:mod:`~core.evaluation.variants` (how runs of one method differ) and
:mod:`~core.evaluation.balance` (the balance of the task gradients in words).

May import: core.common, core.data, core.runs.
"""
