"""Small, fast experiments shared by the training, resume and GUI tests."""

from __future__ import annotations

from core.data.demo import DemoConfig
from core.data.sources import SourceSpec
from core.experiment.run import ExperimentConfig
from core.training.config import TrainConfig

SMALL_DEMO = DemoConfig(train_units=24, test_units=8)


def small_experiment(**changes) -> ExperimentConfig:
    """Tiny preset on a 24-unit demo fleet, 2 epochs: about a second per run."""
    train = TrainConfig(epochs=2, batch_size=128, probe_every=5, device="cpu")
    config = ExperimentConfig(source=SourceSpec(demo=SMALL_DEMO), preset="tiny", train=train)
    return config.with_(**changes)
