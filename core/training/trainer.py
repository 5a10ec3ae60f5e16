"""The training loop: plain Python, reporting progress as events, checking stop/pause.

The same trainer serves the CLI and the GUI's worker thread. It selects the
model on validation only (early stopping, best checkpoint) and evaluates the
test set once, at the end, on the selected weights.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.common.formats import count
from core.data.prepare import PreparedData
from core.methods.base import BalancingMethod
from core.model import DualTaskModel
from core.runs import BEST_CHECKPOINT, RunDir, RunStatus
from core.runs.tensorboard import ScalarLog
from core.training.batches import DeviceWindows, steps_per_epoch
from core.training.config import TrainConfig
from core.training.control import TrainingControl
from core.training.ema import WeightAverage
from core.training.evaluation import (
    predict,
    validation_figures,
)
from core.training.events import (
    EpochEvent,
    Event,
    FinishedEvent,
    PredictionsEvent,
    ProbeEvent,
    RefitEvent,
    StepEvent,
)
from core.training.results import record_results
from core.training.selection import selection_score
from core.training.step import Diverged, TrainingStep

PROBE_COLUMNS = ("norm_rul", "norm_health", "ratio", "cosine", "effective_ratio")
#: Written after every epoch: everything :meth:`Trainer.restore` needs to go on.
LAST_CHECKPOINT = "last.pt"
#: Momentum of ``optimizer="sgd"`` (the usual value; the study of docs/balance.md uses it).
SGD_MOMENTUM = 0.9
#: The weights selected on validation, kept beside a refit model (which becomes best.pt).
SELECTED_CHECKPOINT = "selected.pt"

#: A refit (see :attr:`TrainConfig.refit`): the kept epochs' history rows -> the refit
#: model's weights, or None when it was stopped. Built by whoever builds the trainer.
Refit = Callable[[list[dict]], dict[str, Any] | None]


def plain_row(row: dict) -> dict:
    """A history row with numpy scalars as Python numbers (``torch.load`` safe mode)."""
    return {key: value.item() if hasattr(value, "item") else value for key, value in row.items()}


def resolve_device(name: str) -> torch.device:
    """``auto`` is CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but no CUDA device is available; use --device cpu")
    return torch.device(name)


@torch.no_grad()
def start_at_mean_rul(model: DualTaskModel, mean_rul: float) -> None:
    """Set the RUL head's output bias so the untrained model predicts about the mean."""
    last = [m for m in model.rul_head.modules() if isinstance(m, torch.nn.Linear)][-1]
    last.bias.fill_(mean_rul)


@dataclass
class TrainResult:
    """How a run ended and what it produced."""

    status: RunStatus
    history: list[dict]
    metrics: dict = field(default_factory=dict)
    best_epoch: int = 0
    detail: str = ""


class Trainer:
    """Trains one dual-task model under one balancing method.

    Parameters
    ----------
    data
        Prepared windows (train, validation, optional test).
    method
        The balancing method (fresh; it keeps per-run state).
    model
        The model to train (built by the caller under the run's seed).
    config
        Training settings.
    seed
        Seed of the batch order.
    run
        Run folder to write history, probe, checkpoint and results to (optional).
    on_event
        Called with each :mod:`core.training.events` record, in this thread.
    control
        Stop/pause flags another thread may set.
    """

    def __init__(
        self,
        data: PreparedData,
        method: BalancingMethod,
        model: DualTaskModel,
        config: TrainConfig,
        seed: int = 0,
        run: RunDir | None = None,
        on_event: Callable[[Event], None] | None = None,
        control: TrainingControl | None = None,
    ) -> None:
        self.data, self.method, self.config, self.run = data, method, config, run
        self.scalars: ScalarLog | None = None
        self.emit = on_event or (lambda event: None)
        self.control = control or TrainingControl()
        self.device = resolve_device(config.device)
        self.bf16 = config.bf16 and self.device.type == "cuda"
        self.eval_batch_size = config.eval_batch_size or (
            4096 if self.device.type == "cuda" else 512
        )
        self.model = model.to(self.device)
        if config.rul_bias_init:
            start_at_mean_rul(self.model, float(data.train.rul.mean()))
        for p in method.parameters():
            p.data = p.data.to(self.device)
        self.generator = torch.Generator().manual_seed(seed)
        self.train_set = DeviceWindows(data.train, self.device)
        self.val_set = DeviceWindows(data.val, self.device)
        self.test_set = DeviceWindows(data.test, self.device) if data.test is not None else None
        self.optimizer = self._optimizer()
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optimizer,
            "min",
            config.plateau_factor,
            config.plateau_patience,
            min_lr=config.min_lr,
        )
        self.step_fn = TrainingStep(
            self.model,
            method,
            self.optimizer,
            config.clip_norm,
            self.bf16,
            config.probe_space,
            config.late_weight,
        )
        self.steps_per_epoch = steps_per_epoch(len(self.train_set), config.batch_size)
        swa_after = (config.swa_from - 1) * self.steps_per_epoch if config.swa_from > 0 else None
        self.ema = WeightAverage(self.model, config.ema_decay, swa_after)
        self.history: list[dict] = []
        self.step = 0
        self.epoch = 0  # last completed epoch
        # (selection score, epoch, EMA state); the state is None until an epoch improves
        self.best: tuple[float, int, dict[str, Any] | None] = (math.inf, 0, None)
        #: Set when the run asks for a refit after selection (``build_trainer`` does).
        self.refit: Refit | None = None
        #: Wall time a tuned method (``fixed_tuned``) spent choosing its weights before this
        #: run trained, counted in the run's ``seconds`` (``build_trainer`` sets it).
        self.tuning_seconds = 0.0

    def _optimizer(self) -> torch.optim.Optimizer:
        groups = [
            {"params": list(self.model.parameters()), "weight_decay": self.config.weight_decay}
        ]
        if self.method.parameters():
            groups.append({"params": self.method.parameters(), "weight_decay": 0.0})
        fused = self.device.type == "cuda"
        if self.config.optimizer == "sgd":
            return torch.optim.SGD(groups, lr=self.config.lr, momentum=SGD_MOMENTUM, fused=fused)
        return torch.optim.AdamW(groups, lr=self.config.lr, fused=fused)

    # ------------------------------------------------------------------ loop
    def fit(self) -> TrainResult:
        """Train until the epoch budget, early stopping, a stop request or divergence.

        After :meth:`restore` it goes on from the epoch after the restored one.
        Running out of device memory ends the run as failed with advice, keeping
        the finished epochs (the caller's queue goes on).
        """
        status, detail = RunStatus.FINISHED, ""
        if self.config.threads > 0:
            # torch's CPU reductions split by thread count, so the count is part of the run.
            torch.set_num_threads(self.config.threads)
        self._open_scalar_log()
        # a run resumed after its early stop fired (killed, or stopped during the final
        # evaluation) has no epoch left: training on would change what it keeps
        first = self.config.epochs + 1 if self._early_stop_due() else self.epoch + 1
        try:
            for epoch in range(first, self.config.epochs + 1):
                if not self._train_epoch(epoch):
                    status, detail = RunStatus.STOPPED, f"stopped by request in epoch {epoch}"
                    break
                if self._end_epoch(epoch):
                    detail = f"early stopping after epoch {epoch}"
                    break
        except Diverged as exc:
            status, detail = RunStatus.DIVERGED, str(exc)
        except torch.OutOfMemoryError:
            status, detail = RunStatus.FAILED, self._out_of_memory_advice()
        finally:
            if self.scalars is not None:
                self.scalars.close()
                self.scalars = None
        return self._finish(status, detail)

    def _open_scalar_log(self) -> None:
        """TensorBoard events in the run folder when asked; a resumed run purges what came after."""
        if self.config.tensorboard and self.run is not None:
            resumed = self.step + 1 if self.epoch > 0 else None
            self.scalars = ScalarLog(self.run.path, resume_step=resumed)

    def _out_of_memory_advice(self) -> str:
        """What ran out and what to try; the allocator is emptied so the next run has room."""
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        return (
            f"the {self.device.type.upper()} device ran out of memory at step {self.step} "
            f"with batch size {self.config.batch_size} (evaluation batch "
            f"{self.eval_batch_size}); try a smaller batch size, a smaller model "
            "preset, bf16 on CUDA, or --device cpu"
        )

    def _train_epoch(self, epoch: int) -> bool:
        """One pass over the training windows; False when a stop was requested."""
        started = time.perf_counter()
        loss_sum = torch.zeros(2, dtype=torch.float64, device=self.device)
        weight_sum, probes, n = torch.zeros(2, dtype=torch.float64), [], 0
        for index, x, rul, health in self.train_set.batches(self.config.batch_size, self.generator):
            self.control.wait_if_paused()
            if self.control.stop_requested:
                return False
            outcome = self._one_step(epoch, x, rul, health, self.train_set.censored_of(index))
            loss_sum += outcome.losses.double()
            weight_sum += outcome.weights.double()
            n += 1
            if outcome.probe is not None:
                probes.append(outcome.probe)
        self._epoch_stats: dict[str, Any] = {
            "losses": (loss_sum / max(n, 1)).cpu(),
            "weights": weight_sum / max(n, 1),
            "probes": probes,
            "seconds": time.perf_counter() - started,
        }
        return True

    def _one_step(self, epoch: int, x, rul, health, censored=None):
        self._schedule_lr()
        if self.config.input_noise > 0:
            x = x + self.config.input_noise * torch.randn_like(x)
        probe_due = self.config.probe_every > 0 and self.step % self.config.probe_every == 0
        outcome = self.step_fn(
            x,
            rul,
            health,
            step=self.step,
            epoch=epoch,
            probe=probe_due,
            probe_blocks=self.config.probe_blocks,
            censored=censored,
        )
        self.ema.update(self.model)
        losses = outcome.losses.tolist()
        self.emit(
            StepEvent(
                self.step,
                epoch,
                self.steps_per_epoch,
                losses[0],
                losses[1],
                float(outcome.weights[0]),
                float(outcome.weights[1]),
                self.optimizer.param_groups[0]["lr"],
            )
        )
        if outcome.probe is not None:
            self.emit(ProbeEvent(outcome.probe))
        self.step += 1
        return outcome

    def _schedule_lr(self) -> None:
        """Linear warm-up from lr/10 over ``warmup_epochs``, then the cosine decay if chosen.

        The rate depends on the step alone, so a resumed run follows the same
        schedule. Under ``plateau`` only the warm-up is set here.
        """
        c = self.config
        warm = c.warmup_epochs * self.steps_per_epoch
        if self.step <= warm and warm > 0:
            lr = c.lr * (0.1 + 0.9 * min(self.step / warm, 1.0))
        elif c.lr_schedule == "cosine":
            total = max(c.epochs * self.steps_per_epoch - warm, 1)
            progress = min((self.step - warm) / total, 1.0)
            lr = c.min_lr + (c.lr - c.min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
        else:
            return
        self.optimizer.param_groups[0]["lr"] = lr
        for group in self.optimizer.param_groups[1:]:
            group["lr"] = lr

    # ------------------------------------------------------------ per epoch
    def _end_epoch(self, epoch: int) -> bool:
        """Validate, schedule, checkpoint, report; True when early stopping fires."""
        stats = self._epoch_stats
        self.method.end_epoch(stats["losses"].float())
        val_rul, val_logits = predict(self.ema.model, self.val_set, self.eval_batch_size, self.bf16)
        row = self._history_row(epoch, stats, val_rul, val_logits)
        score = row["selection_score"]
        if epoch > self.config.warmup_epochs and self.config.lr_schedule == "plateau":
            self.plateau.step(score)
        improved = score < self.best[0]
        if improved:
            self.best = (score, epoch, copy.deepcopy(self.ema.model.state_dict()))
        self.history.append(row)
        self.epoch = epoch
        self._save_epoch(stats["probes"], improved)
        self.emit(EpochEvent(epoch, self.config.epochs, row, improved))
        if self.config.trajectories:
            self._emit_predictions(epoch, val_rul, val_logits)
        return self._early_stop_due()

    def _early_stop_due(self) -> bool:
        """Whether ``patience`` epochs have passed since the best (never before the first)."""
        patience = self.config.early_stopping_patience
        return self.epoch > 0 and patience > 0 and self.epoch - self.best[1] >= patience

    def _history_row(self, epoch: int, stats: dict, val_rul, val_logits) -> dict:
        losses, weights = stats["losses"].tolist(), stats["weights"].tolist()
        cap = self.data.config.rul_cap
        figures = validation_figures(self.data.val, val_rul, val_logits, cap)
        row = {
            "epoch": epoch,
            "step": self.step,
            "train_loss_rul": losses[0],
            "train_loss_health": losses[1],
            "train_loss_total": weights[0] * losses[0] + weights[1] * losses[1],
            **figures,
            "selection_score": selection_score(figures, self.config.select_on, cap),
            "weight_rul": weights[0],
            "weight_health": weights[1],
        }
        for name in PROBE_COLUMNS:
            values = [p[name] for p in stats["probes"] if np.isfinite(p[name])]
            row[name] = float(np.median(values)) if values else math.nan
        row["lr"] = self.optimizer.param_groups[0]["lr"]
        row["seconds"] = stats["seconds"]
        return row

    def _save_epoch(self, probes: list[dict], improved: bool) -> None:
        if self.run is None:
            return
        self.run.write_history(self.history)
        if probes:
            self.run.append_probe(probes)
        if self.scalars is not None:
            self.scalars.add_steps(probes)
            self.scalars.add_epoch(self.history[-1])
            self.scalars.flush()  # the epoch is on disk with its history row
        if improved:
            best_weights = self.best[2]
            assert best_weights is not None  # _end_epoch has just stored the improved weights
            self.run.save_checkpoint(self._checkpoint(best_weights), BEST_CHECKPOINT)
        self.run.save_checkpoint(self.training_state(), LAST_CHECKPOINT)

    # ---------------------------------------------------------- resumption
    def training_state(self) -> dict:
        """Everything that decides the rest of the run, after a completed epoch.

        Model, optimiser, LR schedule, weight average, method state, the
        batch-order generator and the global RNG (dropout), the history and the
        best weights so far: restored, the run ends as it would have uninterrupted.
        """
        state = {
            "epoch": self.epoch,
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "plateau": self.plateau.state_dict(),
            "ema": self.ema.state_dict(),
            "method": self.method.state_dict(),
            "batch_order": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "history": [plain_row(row) for row in self.history],
            "best": {"score": self.best[0], "epoch": self.best[1], "model": self.best[2]},
        }
        if self.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state_all()
        return state

    def restore(self, state: dict) -> None:
        """Go back to a :meth:`training_state`; :meth:`fit` then continues after its epoch."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.plateau.load_state_dict(state["plateau"])
        self.ema.load_state_dict(state["ema"])
        self.method.load_state_dict(state["method"])
        self.generator.set_state(state["batch_order"])
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.history = [dict(row) for row in state["history"]]
        best = state["best"]  # an older checkpoint's shape: core.runs.run_format
        self.best = (float(best["score"]), int(best["epoch"]), best["model"])

    def _checkpoint(self, weights: dict) -> dict:
        return {
            "model": weights,
            "n_features": self.data.n_features,
            "preset": self.model.preset.to_dict(),
            "epoch": self.best[1],
            "select_on": self.config.select_on,
            "selection_score": self.best[0],
        }

    def _emit_predictions(self, epoch: int, val_rul, val_logits) -> None:
        splits = [("val", self.data.val, val_rul, val_logits)]
        if self.test_set is not None:
            assert self.data.test is not None  # test_set exists only when data.test does
            rul, logits = self._predict_after_save(self.test_set)
            splits.append(("test", self.data.test, rul, logits))
        for split, windows, rul, logits in splits:
            self.emit(
                PredictionsEvent(
                    epoch,
                    split,
                    windows.unit_ids,
                    windows.unit.copy(),
                    windows.cycle.copy(),
                    windows.rul.copy(),
                    rul,
                    logits.argmax(1),
                )
            )

    # ------------------------------------------------------------- the end
    def _finish(self, status: RunStatus, detail: str) -> TrainResult:
        """Evaluate the selected weights on the test set once and write the results."""
        metrics: dict = {}
        extra = {"tuning_seconds": self.tuning_seconds}  # what the run cost beside its epochs
        if self.best[2] is not None:
            self.ema.model.load_state_dict(self.best[2])
            refit = None
            if status is RunStatus.FINISHED and self.refit is not None:
                started = time.perf_counter()
                refit, status, note = self._refit_weights()
                extra["refit_seconds"] = time.perf_counter() - started
                detail = "; ".join(filter(None, (detail, note)))
            metrics = self._final_evaluation(refit)
        metrics.update(
            status=status.value,
            best_epoch=self.best[1],
            epochs_run=len(self.history),
            steps=self.step,
            seconds=sum(r["seconds"] for r in self.history) + sum(extra.values()),
            torch_threads=torch.get_num_threads(),
        )
        metrics.update({key: value for key, value in extra.items() if value})
        if self.run is not None:
            self.run.write_metrics(metrics)
            self.run.set_status(status, detail, step=self.step)
        run_dir = None if self.run is None else str(self.run.path)
        self.emit(FinishedEvent(status.value, metrics, run_dir, detail))
        return TrainResult(status, self.history, metrics, self.best[1], detail)

    def _predict_after_save(self, windows: DeviceWindows) -> tuple[np.ndarray, np.ndarray]:
        """An inference pass after the epoch was saved: an abandoned run leaves at its next batch.

        The validation pass that completes an epoch is not one of these: it
        runs to its end, so that epoch reaches history.csv and best.pt.
        """
        model, batch = self.ema.model, self.eval_batch_size
        return predict(model, windows, batch, self.bf16, control=self.control)

    def _final_evaluation(self, refit: dict[str, Any] | None = None) -> dict:
        """Validation figures and interval calibration from the selected weights; test
        figures from them too, or from the refit model when there is one."""
        val = self._predict_after_save(self.val_set)
        if refit is not None:
            self._keep_refit(refit)
        test = None if self.test_set is None else self._predict_after_save(self.test_set)
        config = self.config
        metrics = record_results(
            self.data, config.select_on, val, test, self.run, config.interval_coverage
        )
        if refit is not None:
            metrics.update(refit_epochs=self.best[1], refit_units=self._refit_units())
        return metrics

    # -------------------------------------------------------------- refit
    def train_only(self, kept: list[dict]) -> dict[str, Any] | None:
        """Train as many epochs as ``kept`` has rows, without validation (a refit).

        Under the plateau schedule each epoch runs at the rate the selection run
        had in it (its history's ``lr``), since there is no validation score to
        follow; the cosine schedule and the warm-up depend on the step alone.
        Returns the weight average, or None when a stop was requested.
        """
        for epoch, row in enumerate(kept, start=1):
            if self.config.lr_schedule == "plateau" and epoch > self.config.warmup_epochs:
                for group in self.optimizer.param_groups:
                    group["lr"] = float(row["lr"])
            if not self._train_epoch(epoch):
                return None
            self.method.end_epoch(self._epoch_stats["losses"].float())
            self.epoch = epoch
            self.emit(RefitEvent(epoch, len(kept)))
        return copy.deepcopy(self.ema.model.state_dict())

    def _refit_weights(self) -> tuple[dict[str, Any] | None, RunStatus, str]:
        """The refit model's weights, with the run's status and a note when there are none."""
        assert self.refit is not None
        epochs = self.best[1]
        try:
            weights = self.refit(self.history[:epochs])
        except Diverged as exc:
            return None, RunStatus.DIVERGED, f"the refit diverged ({exc}); test: selected weights"
        if weights is None:
            note = "stopped during the refit (resume to refit); test: the selected weights"
            return None, RunStatus.STOPPED, note
        return (
            weights,
            RunStatus.FINISHED,
            f"refit on every training unit for {count(epochs, 'epoch')}",
        )

    def _keep_refit(self, weights: dict[str, Any]) -> None:
        """The refit model becomes best.pt (what predicts); the selected weights stay beside."""
        if self.run is not None:
            assert self.best[2] is not None  # a refit follows a selection
            self.run.save_checkpoint(self._checkpoint(self.best[2]), SELECTED_CHECKPOINT)
            refit = {**self._checkpoint(weights), "refit_epochs": self.best[1]}
            self.run.save_checkpoint(refit, BEST_CHECKPOINT)
        self.ema.model.load_state_dict(weights)

    def _refit_units(self) -> int:
        return len(set(self.data.train.unit_ids) | set(self.data.val.unit_ids))
