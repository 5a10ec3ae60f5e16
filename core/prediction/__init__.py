"""RUL for engines in service: a run (or a seed ensemble of runs) applied to a fleet.

:mod:`~core.prediction.inference` loads a run's selected model and
preprocessing and predicts; :mod:`~core.prediction.ensemble` combines the
runs of a seed ensemble; :mod:`~core.prediction.fleet` reads an in-service
fleet and predicts it with a run or an ensemble (``rulwb predict``, the fleet view).

May import: every core layer below it (common, data, model, runs, evaluation,
training, experiment, comparisons); never core.cli or core.report.
"""

# The maintenance view's rule (core.prediction.fleet.ranked_engines), here without imports so
# that ``rulwb predict --help`` can show it without loading the model stack.
#: Default maintenance threshold (in the run's time unit): an engine is due when its
#: interval's lower bound is below it.
DUE_BELOW = 30.0
#: How engines can be ranked, most urgent first: column -> what it means.
RANK_BY = {"pred_rul": "predicted RUL", "rul_lower": "lower bound"}
