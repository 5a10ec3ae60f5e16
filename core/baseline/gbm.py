"""``gbm``: gradient-boosted trees on per-window sensor summaries, a comparison entry like a method.

What a reliability engineer could fit in a minute instead of a network:
scikit-learn's ``HistGradientBoostingRegressor`` for the RUL and
``HistGradientBoostingClassifier`` for the health state, on the last value,
mean and slope of every feature over each window
(:func:`core.baseline.features.window_features`). It uses exactly the
networks' data: the same split, preprocessing, windows, capped targets and
test protocol (one prediction per test unit at its last cycle), so its row in
a comparison is paired by seed with theirs. Trees need no scaling and no
epochs; nothing is selected on the test set (there is nothing to select: the
iteration count is fixed, as in the reference figures of
docs/reference_results.md).

It registers with the balancing methods, so ``rulwb compare --methods
fixed,gaba,gbm``, ``rulwb train --method gbm`` and the GUI's method list take
it; :func:`core.experiment.run.run_experiment` sends it to
:func:`core.baseline.run.run_baseline` instead of to the network trainer.
Its run folder has config, metrics, predictions and trajectories, and no
history, probe or checkpoints.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from core.methods.base import Entry, Hyperparameter
from core.methods.registry import register


@register
class GradientBoosting(Entry):
    """Gradient-boosted trees on window summaries: a classical baseline, not a balancing method."""

    name = "gbm"
    title = "Gradient boosting (baseline)"
    description = (
        "scikit-learn gradient-boosted trees on each sensor's last value, mean and slope "
        "over the window; the classical baseline every comparison can show."
    )
    baseline: ClassVar[bool] = True
    hyperparameters = (
        Hyperparameter("max_iter", 400, "Boosting iterations (trees per output).", 1, 100_000),
        Hyperparameter("learning_rate", 0.05, "Shrinkage of each tree.", 1e-4, 1.0),
        Hyperparameter("max_leaf_nodes", 31, "Leaves per tree.", 2, 4096),
    )

    def models(self, seed: int) -> tuple[HistGradientBoostingRegressor, Any]:
        """The regressor (RUL) and classifier (health), without internal early stopping.

        Early stopping would hold out random *windows* of the training units;
        a fixed iteration count keeps the split the networks' own. Without it
        (and without feature subsampling) scikit-learn's histogram boosting has
        no randomness left: every seed grows the same trees, so ``gbm`` has a
        standard deviation of 0 over seeds and pairs with every network seed.
        The seed is still passed, for any setting that would use it.
        """
        shared = {
            "max_iter": self.params["max_iter"],
            "learning_rate": self.params["learning_rate"],
            "max_leaf_nodes": self.params["max_leaf_nodes"],
            "early_stopping": False,
            "random_state": seed,
        }
        return HistGradientBoostingRegressor(**shared), HistGradientBoostingClassifier(**shared)
