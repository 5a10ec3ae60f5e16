"""What crosses between the GUI thread and the training worker: a job in, an outcome out.

Both are plain dataclasses. A job carries its own
:class:`~core.training.control.TrainingControl`, so
the GUI can pause, stop or abandon exactly the run it means, from its own
thread, while the worker is busy inside the training loop and cannot process
signals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from core.data.prepare import PreparedData
from core.executors import ExecutorConfig
from core.experiment.run import ExperimentConfig
from core.training.control import TrainingControl


@dataclass
class TrainingJob:
    """One queued (method, seed) run for the worker.

    Attributes
    ----------
    row_id
        The run queue row this job belongs to.
    config
        The full experiment (written to the run folder's config.json).
    data
        Prepared data the Data dock already loaded for this exact source and
        preprocessing, so the worker need not load it again; ``None`` lets the
        worker load it (a re-run of an old run, or settings not yet loaded).
    control
        Pause/stop/abandon flags the GUI sets and the trainer checks between steps.
    resume_dir
        A run folder to go on with from its last completed epoch (``last.pt``),
        instead of starting a new run.
    """

    row_id: int
    config: ExperimentConfig
    data: PreparedData | None = None
    control: TrainingControl = field(default_factory=TrainingControl)
    resume_dir: str | None = None

    can_pause = True


@dataclass
class BatchJob:
    """Queued rows that train at once on a parallel executor (processes here, or Ray).

    Attributes
    ----------
    rows
        (row id, experiment) of every row in the batch, in queue order.
    executor
        Where they train (``local`` or ``ray``).
    data
        The Data dock's prepared data, shipped to Ray workers (None: loaded).
    control
        Stop (for the whole batch) and abandon; a batch cannot be paused.
    running
        Rows whose run has begun and not ended (kept by the controller).
    pending
        Rows that have not ended yet (kept by the controller).
    """

    rows: list[tuple[int, ExperimentConfig]]
    executor: ExecutorConfig
    data: PreparedData | None = None
    control: TrainingControl = field(default_factory=TrainingControl)
    running: set[int] = field(default_factory=set)
    pending: set[int] = field(default_factory=set)

    can_pause = False

    def __post_init__(self) -> None:
        self.pending = {row_id for row_id, _ in self.rows}


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended, with what the GUI shows at the end of a run.

    Attributes
    ----------
    row_id
        The run queue row.
    status
        ``finished``, ``stopped``, ``diverged`` or ``failed``.
    metrics
        Test metrics (empty when the run failed before evaluating).
    run_dir
        The run folder, when one was created.
    detail
        Why it ended (early stopping, stop request, divergence step ...).
    predictions
        Per-engine test predictions read back from the run folder, or None.
    error
        A message for the user when the run failed.
    trace
        The technical traceback behind ``error`` (shown under "details").
    """

    row_id: int
    status: str
    metrics: dict = field(default_factory=dict)
    run_dir: str | None = None
    detail: str = ""
    predictions: pd.DataFrame | None = None
    error: str | None = None
    trace: str = ""
