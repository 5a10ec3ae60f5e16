"""The training-recipe settings: cosine schedule, input noise, dropout override."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from core.experiment.run import ExperimentConfig, build_trainer, run_experiment
from core.runs import RunStore
from core.training.config import TrainConfig
from tests.helpers.experiments import small_experiment


def with_train(config: ExperimentConfig, **changes) -> ExperimentConfig:
    return config.with_(train=replace(config.train, **changes))


def test_cosine_schedule_warms_up_then_falls_to_min_lr(small_data):
    config = with_train(small_experiment(), lr_schedule="cosine", epochs=4, warmup_epochs=1)
    result, _ = run_experiment(config, data=small_data)
    rates = [row["lr"] for row in result.history]
    c = config.train
    assert rates == sorted(rates, reverse=True)  # after the warm-up epoch, only down
    assert rates[-1] == pytest.approx(c.min_lr, rel=0.05, abs=c.lr * 0.02)
    trainer = build_trainer(config, small_data)
    warm = trainer.steps_per_epoch
    trainer.step = warm + (c.epochs * warm - warm) // 2  # halfway through the decay
    trainer._schedule_lr()
    halfway = trainer.optimizer.param_groups[0]["lr"]
    assert halfway == pytest.approx((c.lr + c.min_lr) / 2, rel=0.02)


def test_plateau_schedule_keeps_the_rate_without_a_plateau(small_data):
    config = with_train(small_experiment(), lr_schedule="plateau", epochs=3)
    result, _ = run_experiment(config, data=small_data)
    assert [row["lr"] for row in result.history][1:] == [config.train.lr] * 2


def test_input_noise_changes_training_but_never_evaluation(small_data, monkeypatch):
    """Noise is added to the training batches only: predictions never see it."""
    quiet = run_experiment(with_train(small_experiment(), input_noise=0.0), data=small_data)[0]
    noisy = run_experiment(with_train(small_experiment(), input_noise=0.5), data=small_data)[0]
    assert noisy.history[0]["train_loss_rul"] != quiet.history[0]["train_loss_rul"]
    trainer = build_trainer(with_train(small_experiment(), input_noise=0.5), small_data)
    seen = []
    real_forward = trainer.model.forward
    monkeypatch.setattr(trainer.model, "forward", lambda x: seen.append(x) or real_forward(x))
    from core.training.evaluation import predict

    predict(trainer.model, trainer.val_set, 512)
    clean = trainer.val_set.inputs(torch.arange(len(seen[0])))
    torch.testing.assert_close(seen[0], clean)


def test_recipe_settings_are_checked():
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(lr_schedule="step")
    with pytest.raises(ValueError, match="input_noise"):
        TrainConfig(input_noise=-0.1)


def test_dropout_override_is_recorded_and_rebuilds_the_same_model():
    config = small_experiment().with_(dropout=(0.0, 0.0))
    saved = config.to_dict()
    assert saved["dropout"] == [0.0, 0.0] and saved["model"]["funnel_dropout"] == 0.0
    assert ExperimentConfig.from_dict(saved).model_preset() == config.model_preset()
    assert "dropout" not in small_experiment().to_dict()  # older runs keep their identity
    assert ExperimentConfig.from_dict({**saved, "dropout": 0.3}).dropout == (0.3, 0.3)
    with pytest.raises(ValueError, match="dropout"):
        ExperimentConfig.from_dict({**saved, "dropout": "none"})
    with pytest.raises(ValueError, match="funnel_dropout"):
        small_experiment().with_(dropout=(0.0, 1.5)).model_preset()


def test_the_thread_count_is_part_of_the_run_and_is_honoured(small_data, tmp_path):
    """config.json records the threads; a repeat with --config trains on as many."""
    before = torch.get_num_threads()
    try:
        config = small_experiment(train=TrainConfig(epochs=1, device="cpu", threads=2))
        result, run = run_experiment(config, RunStore(tmp_path), small_data)
        assert torch.get_num_threads() == 2 and result.metrics["torch_threads"] == 2
        saved = ExperimentConfig.from_dict(run.read_config())
        assert saved.train.threads == 2
    finally:
        torch.set_num_threads(before)


def test_late_predictions_cost_late_weight_times_early_ones():
    """With w = 4 a late error of 10 costs 4x an early error of 10, in any squared RUL loss."""
    from core.methods import create_method
    from core.training.step import late_weighted

    target = torch.tensor([50.0, 50.0])
    pred = torch.tensor([60.0, 40.0])  # one late, one early, both 10 cycles off
    stretched = late_weighted(pred, target, 4.0)
    errors = (stretched - target) ** 2
    assert errors.tolist() == pytest.approx([400.0, 100.0])
    method = create_method("fixed")
    assert method.rul_loss(late_weighted(pred, target, 1.0), target) == pytest.approx(100.0)


@pytest.mark.slow
def test_late_weight_changes_training(small_data):
    plain = run_experiment(with_train(small_experiment(), late_weight=1.0), data=small_data)[0]
    late = run_experiment(with_train(small_experiment(), late_weight=3.0), data=small_data)[0]
    assert late.history[0]["train_loss_rul"] != plain.history[0]["train_loss_rul"]


def _fixed(small_data, weights, optimizer, clip_norm=1.0, lr=1e-2):
    """Validation RMSE per epoch of fixed weights (a learning rate that learns)."""
    config = small_experiment(
        method="fixed", method_params={"lambda_rul": weights[0], "lambda_health": weights[1]}
    )
    config = with_train(
        config, optimizer=optimizer, epochs=2, probe_every=0, lr=lr, clip_norm=clip_norm
    )
    history = run_experiment(config, data=small_data)[0].history
    return [row["val_rmse"] for row in history]


@pytest.mark.slow
def test_only_the_mix_of_the_task_weights_reaches_the_update(small_data):
    """AdamW divides each parameter's step by its own gradient scale, and clipping the
    gradient's norm does the same for SGD: 0.5 / 0.5 and 5 / 5 train the same model. The mix
    does matter, and without clipping SGD takes the weights' size as a learning rate."""
    half = _fixed(small_data, (0.5, 0.5), "adamw")
    assert _fixed(small_data, (5.0, 5.0), "adamw") == pytest.approx(half, rel=1e-3)
    assert _fixed(small_data, (0.01, 0.99), "adamw") != pytest.approx(half, rel=1e-2)
    clipped = _fixed(small_data, (0.5, 0.5), "sgd")
    # clipping equalises only the steps whose gradient norm exceeds it: nearly all of them
    # (0.05 % apart here; exactly equal from the start near 0, whose gradients are larger)
    assert _fixed(small_data, (0.05, 0.05), "sgd") == pytest.approx(clipped, rel=2e-3)
    unclipped = _fixed(small_data, (0.5, 0.5), "sgd", clip_norm=0.0, lr=1e-3)
    assert _fixed(small_data, (0.05, 0.05), "sgd", 0.0, 1e-3) != pytest.approx(unclipped, rel=1e-2)


def test_swa_is_the_equal_weight_mean_of_the_steps_after_it_starts():
    """Steps 1-2 follow the EMA; steps 3, 4, 5 are averaged with weight 1/3 each."""
    from core.training.ema import WeightAverage

    model = torch.nn.Linear(1, 1, bias=False)
    average = WeightAverage(model, decay=0.999, uniform_after=2)
    seen = []
    for value in (10.0, 20.0, 1.0, 2.0, 6.0):
        model.weight.data.fill_(value)
        average.update(model)
        seen.append(value)
    assert average.model.weight.item() == pytest.approx((1.0 + 2.0 + 6.0) / 3)


def test_swa_from_changes_the_evaluated_weights_not_the_training(small_data):
    ema = with_train(small_experiment(), epochs=2, swa_from=0)
    swa = with_train(small_experiment(), epochs=2, swa_from=2)
    runs = [run_experiment(config, data=small_data)[0].history for config in (ema, swa)]
    assert runs[0][0]["val_rmse"] == runs[1][0]["val_rmse"]  # epoch 1: EMA in both
    assert runs[0][1]["train_loss_rul"] == runs[1][1]["train_loss_rul"]
    assert runs[0][1]["val_rmse"] != runs[1][1]["val_rmse"]
