"""The GUI-side owner of the training worker: walks the run queue, pauses, stops, shuts down.

It lives in the GUI thread. The worker thread is started with the first job
(an idle workbench holds no thread) and sent one job at a time, so the
queue stays editable while a run trains: removing or adding rows only
changes what :meth:`RunQueueModel.next_queued` returns next.

Stopping follows the house rule of docs/architecture.md: request stop through
the job's control, the trainer finishes its step, evaluates and saves what it
has, the worker's slot returns, the thread's event loop quits, and we wait
for it (bounded).
Shutting down (the window closes) abandons the job instead of stopping it:
the epochs already finished are on disk, and the evaluation a stop would run
is skipped (see :mod:`core.training.control`): closing waits for one step at most
(or for the validation pass that completes an epoch, so that epoch is kept).
The worker runs in a :class:`~workbench.common.background.WorkerThread`, the
workbench's one way of working off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.runs import RunStore
from workbench.common.background import WorkerThread
from workbench.training.jobs import JobOutcome, TrainingJob
from workbench.training.run_queue_model import QueueRow, RunQueueModel
from workbench.training.worker import TrainingWorker

#: How long closing the window waits for the current step to end and the run to be marked.
SHUTDOWN_WAIT_MS = 4_000


class TrainingController(QObject):
    """Runs the queue's rows on the one training worker.

    Parameters
    ----------
    model
        The run queue; rows with status ``queued`` are run in order.
    runs_dir
        The run store folder.
    parent
        Qt parent (the main window).
    """

    #: Sends a job to the worker thread (queued connection).
    submit = Signal(object)
    #: A row started training (row id).
    runStarted = Signal(int)
    #: A training event of the running row (row id, event).
    runEvent = Signal(int, object)
    #: A row ended (JobOutcome).
    runEnded = Signal(object)
    #: No more queued rows: the queue is done (or was halted).
    queueIdle = Signal()
    #: The running row was paused (True) or continued (False).
    pausedChanged = Signal(bool)

    def __init__(self, model: RunQueueModel, runs_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self.store = RunStore(runs_dir)
        self.current: TrainingJob | None = None
        self.active = False
        self._thread: WorkerThread | None = None

    @property
    def busy(self) -> bool:
        """Whether a run is training (or paused) now."""
        return self.current is not None

    # ---------------------------------------------------------------- queue
    def start(self) -> None:
        """Run queued rows one after another until none is left."""
        self.active = True
        self._advance()

    def _advance(self) -> None:
        if self.current is not None or not self.active:
            return
        row = self.model.next_queued()
        if row is None or row.config is None:
            self.active = False
            self.queueIdle.emit()
            return
        self._launch(row)

    def _launch(self, row: QueueRow) -> None:
        self._ensure_thread()
        assert row.config is not None
        resume_dir = row.run_dir if row.resume else None
        self.current = TrainingJob(row.row_id, row.config, row.data, resume_dir=resume_dir)
        self.model.update(row.row_id, status="running", progress=0.0, detail="")
        self.submit.emit(self.current)

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        worker = TrainingWorker(self.store)
        self.submit.connect(worker.run_job)
        worker.runStarted.connect(self.runStarted)
        worker.runEvent.connect(self.runEvent)
        worker.runEnded.connect(self._on_ended)
        self._thread = WorkerThread(worker, "training-worker")

    def _on_ended(self, outcome: JobOutcome) -> None:
        if self.current is None or outcome.row_id != self.current.row_id:
            return
        self.current = None
        self.model.update(
            outcome.row_id,
            status=outcome.status,
            progress=1.0 if outcome.status == "finished" else self._progress(outcome.row_id),
            metrics=outcome.metrics,
            val_rmse=outcome.metrics.get("val_rmse", self._val_rmse(outcome.row_id)),
            run_dir=outcome.run_dir,
            detail=outcome.error or outcome.detail,
            data=None,  # the worker caches data; rows need not keep it alive
            resume=False,
        )
        self.runEnded.emit(outcome)
        self._advance()

    def _progress(self, row_id: int) -> float:
        row = self.model.find(row_id)
        return 0.0 if row is None else row.progress

    def _val_rmse(self, row_id: int) -> float | None:
        row = self.model.find(row_id)
        return None if row is None else row.val_rmse

    # -------------------------------------------------------------- control
    def pause(self) -> None:
        """Hold the running row after its current step."""
        if self.current is not None and not self.current.control.paused:
            self.current.control.pause()
            self.model.update(self.current.row_id, status="paused")
            self.pausedChanged.emit(True)

    def resume(self) -> None:
        """Let a paused row continue."""
        if self.current is not None and self.current.control.paused:
            self.current.control.resume()
            self.model.update(self.current.row_id, status="running")
            self.pausedChanged.emit(False)

    def stop(self, halt_queue: bool = False) -> None:
        """Stop the running row after its step (it is saved as stopped).

        With ``halt_queue`` the queued rows stay queued instead of starting.
        """
        if halt_queue:
            self.active = False
        if self.current is not None:
            self.current.control.request_stop()

    def queue_resume(self, rows: list[QueueRow]) -> int:
        """Queue runs to go on from their last completed epoch, in their own folders.

        The rows keep their place in the list; they run when the queue reaches
        them, like any queued row. Returns how many were queued.
        """
        rows = [r for r in rows if r.run_dir and r.config and not self.is_running(r.row_id)]
        for row in rows:
            detail = "to resume after its last completed epoch"
            self.model.update(row.row_id, status="queued", resume=True, detail=detail)
        if rows and not self.busy:
            self.start()
        return len(rows)

    def is_running(self, row_id: int) -> bool:
        """Whether ``row_id`` is the row training now."""
        return self.current is not None and self.current.row_id == row_id

    # ------------------------------------------------------------- shutdown
    def shutdown(self, wait_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Stop the running row, end the worker thread and wait for it.

        The running job is abandoned: it ends at its next step, or at the
        next batch of an evaluation, without evaluating the test set.

        Returns
        -------
        bool
            True when the thread ended within ``wait_ms``. Every finished
            epoch is already on disk either way: the trainer rewrites
            history.csv (and best.pt when it improved) at the end of each epoch.
        """
        self.active = False
        if self.current is not None:
            self.current.control.abandon()
        thread, self._thread = self._thread, None
        return True if thread is None else thread.shutdown(wait_ms)
