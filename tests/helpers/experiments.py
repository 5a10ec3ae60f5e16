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


def small_experiment(**changes) -> ExperimentConfig:
    """Tiny preset on a 24-unit demo fleet, 2 epochs: about a second per run."""
    train = TrainConfig(epochs=2, batch_size=128, probe_every=5, device="cpu")
    config = ExperimentConfig(
        source=SourceSpec(demo=SMALL_DEMO),
        preprocess=PreprocessConfig(window=SMALL_WINDOW),
        preset="tiny",
        train=train,
    )
    return config.with_(**changes)
