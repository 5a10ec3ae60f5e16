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
from core.training.control import TrainingControl
from core.training.experiment import ExperimentConfig


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
