"""Going on with a run that was stopped, interrupted (killed) or failed, from its last epoch.

The trainer writes ``last.pt`` after every completed epoch (see
:meth:`core.training.trainer.Trainer.training_state`). Resuming rebuilds the
run's data, model and method from its ``config.json``, restores that state
and trains on in the same folder; on CPU the run then ends with the same
metrics as if it had never stopped.
"""

from __future__ import annotations

from collections.abc import Callable

from core.common.errors import WorkbenchError
from core.data.prepare import PreparedData
from core.experiment.run import build_trainer, load_data, read_run_config
from core.runs import RunDir, RunStatus, RunStoreError
from core.training.control import TrainingControl
from core.training.events import Event
from core.training.trainer import LAST_CHECKPOINT, Trainer, TrainResult

#: Runs that ended for good: a finished run has nothing left, a diverged one would diverge again.
FINAL = (RunStatus.FINISHED, RunStatus.DIVERGED)


class ResumeError(WorkbenchError):
    """The run cannot be resumed; the message says why and what to do instead."""


def resumable(run: RunDir) -> bool:
    """True when the run has a last-epoch checkpoint and did not end for good."""
    try:
        status = RunStatus(run.read_status().get("status", ""))
    except (RunStoreError, ValueError):
        return False
    return (
        status not in FINAL and status != RunStatus.RUNNING and run.has_checkpoint(LAST_CHECKPOINT)
    )


def resume_trainer(
    run: RunDir,
    data: PreparedData | None = None,
    on_event: Callable[[Event], None] | None = None,
    control: TrainingControl | None = None,
) -> Trainer:
    """A trainer restored to the run's last completed epoch, writing to the same folder."""
    _check_resumable(run)
    config = read_run_config(run)
    state = run.load_checkpoint(LAST_CHECKPOINT, map_location="cpu")
    trainer = build_trainer(config, data or load_data(config), run, on_event, control)
    trainer.restore(state)
    run.keep_probe_up_to(trainer.epoch)
    run.write_history(trainer.history)
    run.set_status(RunStatus.RUNNING, f"resumed after epoch {trainer.epoch}", step=trainer.step)
    return trainer


def resume_run(
    run: RunDir,
    on_event: Callable[[Event], None] | None = None,
    control: TrainingControl | None = None,
    data: PreparedData | None = None,
) -> TrainResult:
    """Continue ``run`` from its last completed epoch to its end, in the same folder."""
    return resume_trainer(run, data, on_event, control).fit()


def _check_resumable(run: RunDir) -> None:
    status = run.read_status().get("status", "")
    if status in FINAL:
        raise ResumeError(f"{run.path}: the run {status}; there is nothing to resume")
    if status == RunStatus.RUNNING:
        raise ResumeError(f"{run.path}: the run is still running in another process")
    if not run.has_checkpoint(LAST_CHECKPOINT):
        raise ResumeError(
            f"{run.path}: no {LAST_CHECKPOINT} (the run ended before its first epoch "
            "completed, or was written by an older version); train it again instead"
        )
