"""Runs that share method and seed but not every setting are told apart by name."""

from __future__ import annotations

from datetime import datetime

from core.prediction.fleet import seed_ensembles
from core.runs import RunInfo, RunStatus
from core.training.config import TrainConfig
from tests.helpers.experiments import small_experiment
from workbench.training.run_queue_model import RunQueueModel, row_from_config


def _config(method: str, epochs: int, seed: int = 0):
    return small_experiment(method=method, seed=seed, train=TrainConfig(epochs=epochs))


def test_queue_rows_of_one_method_and_seed_name_what_differs(qapp):
    model = RunQueueModel()
    rows = [
        row_from_config(_config("gaba", 12)),
        row_from_config(_config("gaba", 4)),
        row_from_config(_config("fixed", 4)),
    ]
    model.add(rows)
    shown = [model.index(i, 0).data() for i in range(3)]
    assert shown == ["gaba s0 · epochs=12", "gaba s0", "fixed s0"]
    model.remove({rows[0].row_id})
    assert [model.index(i, 0).data() for i in range(2)] == ["gaba s0", "fixed s0"]


def test_seed_ensembles_that_differ_in_a_setting_say_which(tmp_path):
    infos = []
    for epochs in (12, 4):
        for seed in (0, 1):
            folder = tmp_path / f"gaba_{epochs}_{seed}"
            folder.mkdir()
            (folder / "best.pt").write_bytes(b"")
            config = _config("gaba", epochs, seed).to_dict()
            infos.append(
                RunInfo(folder, folder.name, RunStatus.FINISHED, config, {}, None, datetime.now())
            )
    labels = sorted(label for label, _ in seed_ensembles(infos))
    assert labels == [  # the first group's setting is the usual one; the other is named
        "gaba seed ensemble: 2 runs (seeds 0, 1)",
        "gaba · epochs=4 seed ensemble: 2 runs (seeds 0, 1)",
    ]
