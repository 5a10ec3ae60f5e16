"""Small, fast experiments shared by the training, resume and GUI tests."""

from __future__ import annotations

from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig
from core.data.sources import SourceSpec
from core.experiment.run import ExperimentConfig
from core.training.config import TrainConfig

SMALL_DEMO = DemoConfig(train_units=24, test_units=8)


#: Windows of the small experiments: the book's 30, shorter than the default 40 (a quarter less
#: work per step in every test that trains one).
SMALL_WINDOW = 30

#: The small experiments' gradient-boosted trees: 40 boosting iterations instead of the default
#: 400. What the tests check (a run folder, intervals, a comparison, thread counts) does not
#: depend on the count, and a fit takes a tenth of the time (about 3 s less each, a dozen fits).
SMALL_TREES = {"max_iter": 40}
#: The same for `rulwb compare` (`rulwb train` takes ``--param max_iter=40``).
SMALL_TREES_FLAGS = ["--param", "gbm.max_iter=40"]


def small_experiment(**changes) -> ExperimentConfig:
    """Tiny preset on a 24-unit demo fleet, 2 epochs: about a second per run.

    A gbm run gets :data:`SMALL_TREES` unless ``method_params`` says otherwise.
    """
    train = TrainConfig(epochs=2, batch_size=128, probe_every=5, device="cpu")
    config = ExperimentConfig(
        source=SourceSpec(demo=SMALL_DEMO),
        preprocess=PreprocessConfig(window=SMALL_WINDOW),
        preset="tiny",
        train=train,
    )
    if changes.get("method") == "gbm":
        changes.setdefault("method_params", SMALL_TREES)
    return config.with_(**changes)
