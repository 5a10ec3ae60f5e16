"""Removal records and suspended units: reading the log, and training that learns from them.

A suspended unit (removed before it failed) tells the model only that its RUL
was *at least* the time it still ran. These tests check the log reader, the
split (validation and test from failed units only), the one-sided RUL loss and
the masked health loss, every method and the probe on such data, and that a
fleet without suspensions trains exactly as before.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

from core.common.errors import DataError
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet_export import export_fleet
from core.data.prepare import prepare
from core.data.removals import apply_removals, read_removals
from core.data.sources import SourceSpec, load_source
from core.experiment.run import ExperimentConfig, build_trainer
from core.methods.registry import balancing_methods, create_method
from core.runs import RunStatus
from core.training.config import TrainConfig
from core.training.step import censored_losses

DEMO = DemoConfig(train_units=24, test_units=8)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    pair = make_demo_fleet(DEMO)
    return export_fleet(pair, tmp_path_factory.mktemp("fleet"), suspended_share=0.4)


def _spec(out, **changes) -> SourceSpec:
    return SourceSpec.parse(
        f"csv:{out.engines}",
        removals=str(out.removals),
        test_csv=str(out.in_service),
        truth_csv=str(out.truth),
        **changes,
    )


@pytest.fixture(scope="module")
def censored_data(exported):
    return prepare(load_source(_spec(exported)))


# ------------------------------------------------------------------ the removals log
def test_removals_mark_the_suspended_units(exported) -> None:
    fleet = load_source(_spec(exported)).train
    assert fleet.suspended == frozenset(exported.suspended)
    assert fleet.status_summary() == (
        f"24 units: {len(exported.failed)} failed, {len(exported.suspended)} suspended "
        "(removals file removals.csv)"
    )


def test_without_a_log_every_unit_is_taken_as_a_failure_and_said_so(exported) -> None:
    fleet = load_source(dataclasses.replace(_spec(exported), removals=None)).train
    assert fleet.suspended == frozenset()
    assert fleet.status_summary() == "24 units, all taken as run to failure"


def _log(tmp_path, rows: list[str]) -> str:
    path = tmp_path / "removals.csv"
    path.write_text("esn,removal_date,CSN_at_removal,reason\n" + "\n".join(rows) + "\n")
    return str(path)


def test_reason_words_and_their_override(tmp_path) -> None:
    path = _log(
        tmp_path,
        [
            "A,2024-01-01,10,Unscheduled removal",
            "B,2024-01-01,10,scheduled maintenance",
            "C,2024-01-01,10,FAILURE: bearing",
            "D,2024-01-01,10,LLP life limit",
        ],
    )
    detected = {r.unit: r.failed for r in read_removals(path)}
    assert detected == {"A": True, "B": False, "C": True, "D": False}
    chosen = {r.unit: r.failed for r in read_removals(path, ("bearing",))}
    assert chosen == {"A": False, "B": False, "C": True, "D": False}


def test_an_unknown_reason_names_its_line_and_column(tmp_path) -> None:
    path = _log(tmp_path, ["A,2024-01-01,10,failure", "B,2024-01-01,10,went to Nice"])
    with pytest.raises(DataError) as caught:
        read_removals(path)
    assert (caught.value.row, caught.value.column) == (3, "reason")
    assert "--failure-reasons" in (caught.value.hint or "")


def test_a_unit_recorded_twice_is_an_error(tmp_path) -> None:
    path = _log(tmp_path, ["A,2024-01-01,10,failure", "A,2024-02-01,20,failure"])
    with pytest.raises(DataError, match="two removal records") as caught:
        read_removals(path)
    assert caught.value.row == 3


def test_log_checked_against_the_fleet(exported, tmp_path) -> None:
    fleet = load_source(dataclasses.replace(_spec(exported), removals=None)).train
    records = read_removals(exported.removals, (), "CSN")
    unknown = [*records, dataclasses.replace(records[0], unit="ESN-99999", line=99)]
    with pytest.raises(DataError, match="'ESN-99999' is not in the fleet") as caught:
        apply_removals(fleet, unknown, exported.removals)
    assert caught.value.row == 99 and caught.value.file == str(exported.removals)
    with pytest.raises(DataError, match="1 unit\\(s\\) of the fleet have no removal record"):
        apply_removals(fleet, records[1:], exported.removals)
    early = [dataclasses.replace(records[0], time=1.0), *records[1:]]
    with pytest.raises(DataError, match="before its last record") as caught:
        apply_removals(fleet, early, exported.removals)
    assert caught.value.row == records[0].line


def test_the_removal_time_is_read_in_the_fleets_time_unit(exported) -> None:
    records = read_removals(exported.removals, (), "CSN")
    table = pd.read_csv(exported.removals)
    assert [r.time for r in records] == table["CSN_at_removal"].astype(float).tolist()


# ------------------------------------------------------------------ the split and labels
def test_validation_and_test_units_are_failed_units(censored_data, exported) -> None:
    assert not set(censored_data.val.unit_ids) & set(exported.suspended)
    assert censored_data.val.censored is None
    assert censored_data.test is not None and censored_data.test.censored is None


def test_held_out_test_units_are_failed_units(exported) -> None:
    spec = dataclasses.replace(_spec(exported), test_csv=None, truth_csv=None)
    config = ExperimentConfig(source=spec).preprocess
    data = prepare(load_source(spec), dataclasses.replace(config, test_units=4))
    assert data.test is not None
    assert not set(data.test.unit_ids) & set(exported.suspended)


def test_censored_windows_are_the_suspended_units_below_the_cap(censored_data, exported) -> None:
    train = censored_data.train
    ids = np.array(train.unit_ids, dtype=object)[train.unit]
    suspended = np.isin(ids, list(exported.suspended))
    cap = censored_data.config.rul_cap
    np.testing.assert_array_equal(train.censored_mask, suspended & (train.rul < cap))
    assert train.censored_mask.any() and (suspended & (train.rul >= cap)).any()


def test_gbm_leaves_the_suspended_units_out(censored_data, exported) -> None:
    kept = censored_data.failed_training_windows()
    assert not set(np.array(kept.unit_ids, dtype=object)[kept.unit]) & set(exported.suspended)
    assert len(kept) < len(censored_data.train)


# ------------------------------------------------------------------ the losses
def test_one_sided_rul_loss_and_masked_health_loss() -> None:
    method = create_method("fixed")
    pred = torch.tensor([10.0, 50.0, 50.0, 10.0], requires_grad=True)
    bound = torch.tensor([20.0, 20.0, 100.0, 20.0])
    censored = torch.tensor([True, True, False, False])
    health = torch.tensor([1, 0, 0, 2])
    logits = torch.zeros(4, 3, requires_grad=True)
    loss_rul, loss_health = censored_losses(method, pred, logits, bound, health, censored)
    # below its bound: the usual error; above its bound: nothing; uncensored: both ways
    expected = method.rul_loss(torch.tensor([10.0, 20.0, 50.0, 10.0]), bound)
    assert loss_rul.item() == pytest.approx(expected.item())
    loss_rul.backward()
    assert pred.grad is not None and float(pred.grad[1]) == 0.0 and float(pred.grad[0]) < 0
    # window 0 is censored in the degrading band: its state is unknown and left out
    assert loss_health.item() == pytest.approx(math.log(3))
    loss_health.backward()
    assert logits.grad is not None and torch.all(logits.grad[0] == 0)
    assert torch.any(logits.grad[1] != 0)


def test_a_batch_with_no_certain_state_has_zero_health_loss() -> None:
    logits = torch.zeros(2, 3, requires_grad=True)
    _, loss = censored_losses(
        create_method("fixed"),
        torch.zeros(2),
        logits,
        torch.tensor([5.0, 6.0]),
        torch.tensor([2, 1]),
        torch.tensor([True, True]),
    )
    assert loss.item() == 0.0


# ------------------------------------------------------------------ training on it
QUICK = TrainConfig(epochs=1, batch_size=512, probe_every=3, trajectories=False, device="cpu")


@pytest.mark.slow
@pytest.mark.parametrize("name", balancing_methods())
def test_every_method_trains_on_suspended_units(name: str, censored_data, exported) -> None:
    config = ExperimentConfig(source=_spec(exported), preset="tiny", method=name, train=QUICK)
    result = build_trainer(config, censored_data).fit()
    assert result.status == RunStatus.FINISHED, result.detail
    for key in ("val_rmse", "rmse", "macro_f1"):
        assert math.isfinite(result.metrics[key]), (key, result.metrics[key])


def test_the_probe_measures_the_masked_losses(censored_data, exported) -> None:
    config = ExperimentConfig(source=_spec(exported), preset="tiny", train=QUICK)
    trainer = build_trainer(config, censored_data)
    index, x, rul, health = next(trainer.train_set.batches(512, None))
    censored = trainer.train_set.censored_of(index)
    assert censored is not None and bool(censored.any())
    masked = trainer.step_fn.losses(x, rul, health, censored)
    plain = trainer.step_fn.losses(x, rul, health)
    assert not torch.allclose(masked, plain)
    outcome = trainer.step_fn(x, rul, health, step=0, epoch=1, probe=True, censored=censored)
    assert outcome.probe is not None and math.isfinite(outcome.probe["ratio"])
    torch.testing.assert_close(outcome.losses, masked.detach())
