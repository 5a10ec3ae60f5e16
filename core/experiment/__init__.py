"""One experiment: a method or baseline on a source with settings, from data to run folder.

:mod:`~core.experiment.run` holds :class:`ExperimentConfig` and
:func:`run_experiment` (loads the data, builds the model and the trainer, or
sends a baseline to :mod:`core.baseline`); :mod:`~core.experiment.initial_probe`
measures the task gradients of the untrained model. Importing this package
registers every comparison entry (the balancing methods, then the baselines):
read the whole list from here (``from core.experiment import METHODS``), not
from :mod:`core.methods`, which holds the balancing methods only.

May import: core.common, core.data, core.model, core.runs, core.evaluation,
core.methods, core.probe, core.training, core.baseline.
"""

import core.baseline  # noqa: F401  (registers the baselines after the methods)
from core.methods.registry import METHODS, balancing_methods, create_method, describe_methods

__all__ = ["METHODS", "balancing_methods", "create_method", "describe_methods"]
