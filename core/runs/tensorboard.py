"""A run's scalars as TensorBoard event files, so runs open beside a team's other experiments.

Written with tensorboardX (a small pure-Python writer) rather than
``torch.utils.tensorboard``, which needs the whole ``tensorboard`` package.
Two ways in, one mapping of figures to tags (:data:`EPOCH_TAGS`, :data:`STEP_TAGS`):

* live, while a run trains with the ``tensorboard`` setting on: every epoch
  adds its history row and the probe records of its steps to an event file in
  the run folder itself, so ``tensorboard --logdir RUNS`` lists every run by
  its folder name, and the file travels with the run's other files when a
  worker process or a cluster node trains it;
* afterwards, from the run folder's ``history.csv`` and ``probe.csv``
  (``rulwb tensorboard``), for runs trained without the setting or elsewhere.

The x axis is the number of optimiser updates done, for every tag: an epoch's
row sits at its last update (history's ``step``), a probe record of 0-based
step k at k + 1 (the update it measured). Per-epoch and per-step figures line
up, and a resumed run can tell TensorBoard to drop everything after the epoch
it resumes from (``purge_step``) without losing that epoch's own row.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.runs.store import RunDir

#: history.csv column -> TensorBoard tag (one value per epoch, at the epoch's last step).
EPOCH_TAGS = {
    "train_loss_rul": "loss/train_rul",
    "train_loss_health": "loss/train_health",
    "train_loss_total": "loss/train_total",
    "val_loss_rul": "loss/val_rul",
    "val_loss_health": "loss/val_health",
    "val_rmse": "validation/rmse",
    "val_mae": "validation/mae",
    "val_nasa_mean": "validation/nasa_mean",
    "val_accuracy": "validation/accuracy",
    "val_macro_f1": "validation/macro_f1",
    "selection_score": "validation/selection_score",
    "weight_rul": "weights/epoch_mean_rul",
    "weight_health": "weights/epoch_mean_health",
    "lr": "train/learning_rate",
}
#: probe.csv column -> tag (one value per probed step).
STEP_TAGS = {
    "norm_rul": "gradients/norm_rul",
    "norm_health": "gradients/norm_health",
    "ratio": "gradients/ratio",
    "effective_ratio": "gradients/effective_ratio",
    "cosine": "gradients/cosine",
    "weight_rul": "weights/rul",
    "weight_health": "weights/health",
}


class ScalarLog:
    """An open event file of one run; scalars go in as rows of history or probe records.

    Parameters
    ----------
    folder
        Where the event files go (created).
    resume_step
        When a resumed run opens its log again: the first update after the
        epoch it resumes from. TensorBoard discards older files' events from
        this step on (written by the interrupted attempt), so no curve has a
        doubled tail.
    """

    def __init__(self, folder: str | Path, resume_step: int | None = None) -> None:
        from tensorboardX import SummaryWriter  # imported only by runs that write events

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        # Event files are named by the second they open in: a run resumed within the
        # same second would reopen, and overwrite, the first attempt's file. The
        # attempt number keeps them apart and sorts after the file it follows.
        attempt = len(list(folder.glob("events.out.tfevents.*")))
        self.writer = SummaryWriter(
            str(folder),
            purge_step=resume_step,
            flush_secs=30,
            filename_suffix=f".{attempt}" if attempt else "",
        )

    def add_epoch(self, row: dict[str, Any]) -> None:
        """One history row: validation figures, losses, weights and learning rate."""
        self._add(row, EPOCH_TAGS, int(row["step"]))

    def add_steps(self, records: Iterable[dict[str, Any]]) -> None:
        """Probe records: gradient norms, ratio, cosine and the weights at each probed step."""
        for record in records:
            self._add(record, STEP_TAGS, int(record["step"]) + 1)

    def _add(self, values: dict[str, Any], tags: dict[str, str], step: int) -> None:
        for column, tag in tags.items():
            value = values.get(column)
            if isinstance(value, int | float) and math.isfinite(value):
                self.writer.add_scalar(tag, float(value), step)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def export_run(run_dir: str | Path, out: str | Path) -> Path:
    """Write a finished (or stopped) run's scalars into ``out`` from its files; ``out`` is replaced.

    Replacing rather than appending: exporting twice must not double every curve.
    """
    run, out = RunDir(run_dir), Path(out)
    shutil.rmtree(out, ignore_errors=True)
    log = ScalarLog(out)
    try:
        history = run.read_history() if (run.path / "history.csv").is_file() else None
        if history is not None:
            for row in history.to_dict("records"):
                log.add_epoch(row)
        if (run.path / "probe.csv").is_file():
            log.add_steps(run.read_probe().to_dict("records"))
    finally:
        log.close()
    return out
