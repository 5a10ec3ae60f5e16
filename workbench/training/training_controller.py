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

from core.executors import ExecutorConfig
from core.runs import RunStore
from workbench.common.background import WorkerThread
from workbench.training.jobs import BatchJob, JobOutcome, TrainingJob
from workbench.training.run_queue_model import WAITING, QueueRow, RunQueueModel
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
    #: Sends a batch (rows for a parallel executor) to the worker thread.
    submitBatch = Signal(object)
    #: A row started training (row id).
    runStarted = Signal(int)
    #: A training event of the running row (row id, event).
    runEvent = Signal(int, object)
    #: A row ended (JobOutcome).
    runEnded = Signal(object)
    #: No more queued rows: the queue is done (a halted queue, its rows still queued, is not).
    queueIdle = Signal()
    #: The running row was paused (True) or continued (False).
    pausedChanged = Signal(bool)
    #: A sentence about a row's run as it starts (row id, text), e.g. cores oversubscribed;
    #: also kept as the row's detail.
    runNote = Signal(int, str)

    def __init__(self, model: RunQueueModel, runs_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self.store = RunStore(runs_dir)
        self.current: TrainingJob | BatchJob | None = None
        self.active = False
        #: Where queued rows train: one at a time here (serial), or at once on an executor.
        self.executor = ExecutorConfig()
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
        if self.executor.kind != "serial" and not row.resume:
            self._launch_batch()
            return
        self._launch(row)

    def _launch_batch(self) -> None:
        """Every queued new run at once on the parallel executor (resumed runs go serially)."""
        self._ensure_thread()
        rows = [r for r in self.model.rows if r.status == "queued" and not r.resume and r.config]
        batch = BatchJob([(r.row_id, r.config) for r in rows if r.config], self.executor)
        batch.data = next((r.data for r in rows if r.data is not None), None)
        self.current = batch
        for row in rows:
            self.model.update(row.row_id, status=WAITING, progress=0.0, detail="")
        self.submitBatch.emit(batch)

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
        self.submitBatch.connect(worker.run_batch)
        worker.runStarted.connect(self._on_started)
        worker.runFolder.connect(lambda row_id, folder: self.model.update(row_id, run_dir=folder))
        worker.runEvent.connect(self.runEvent)
        worker.runEnded.connect(self._on_ended)
        worker.runNote.connect(self._on_note)
        self._thread = WorkerThread(worker, "training-worker")

    def _on_started(self, row_id: int) -> None:
        if isinstance(self.current, BatchJob):
            self.current.running.add(row_id)
            self.model.update(row_id, status="running", detail=self.executor_text())
        self.runStarted.emit(row_id)

    def _on_note(self, row_id: int, text: str) -> None:
        if self._owns(row_id):
            self.model.update(row_id, detail=text)
            self.runNote.emit(row_id, text)

    def executor_text(self) -> str:
        """Where batch rows train, for the queue's detail and the status bar."""
        if self.executor.kind == "ray":
            return f"on Ray at {self.executor.address or 'this machine'}"
        return "in a worker process of this machine"

    def _on_ended(self, outcome: JobOutcome) -> None:
        if not self._owns(outcome.row_id):
            return
        if isinstance(self.current, BatchJob):
            self.current.running.discard(outcome.row_id)
            self.current.pending.discard(outcome.row_id)
            if not self.current.pending:
                self.current = None
        else:
            self.current = None
        if outcome.status == "queued":  # a batch row cancelled before it began
            self.model.update(outcome.row_id, status="queued", detail=outcome.detail)
            self._advance()
            return
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

    def _owns(self, row_id: int) -> bool:
        """Whether ``row_id`` belongs to the job or batch in flight."""
        if isinstance(self.current, BatchJob):
            return row_id in self.current.pending
        return self.current is not None and self.current.row_id == row_id

    def _progress(self, row_id: int) -> float:
        row = self.model.find(row_id)
        return 0.0 if row is None else row.progress

    def _val_rmse(self, row_id: int) -> float | None:
        row = self.model.find(row_id)
        return None if row is None else row.val_rmse

    # -------------------------------------------------------------- control
    def pause(self) -> None:
        """Hold the running row after its current step (a batch cannot be held)."""
        if isinstance(self.current, TrainingJob) and not self.current.control.paused:
            self.current.control.pause()
            self.model.update(self.current.row_id, status="paused")
            self.pausedChanged.emit(True)

    def resume(self) -> None:
        """Let a paused row continue."""
        if isinstance(self.current, TrainingJob) and self.current.control.paused:
            self.current.control.resume()
            self.model.update(self.current.row_id, status="running")
            self.pausedChanged.emit(False)

    def stop(self, halt_queue: bool = False) -> None:
        """Stop the running row after its step (it is saved as stopped).

        With ``halt_queue`` the queued rows stay queued instead of starting.
        A batch stops as a whole: its rows not begun go back to queued, and the
        queue halts (they would otherwise start again at once).
        """
        if halt_queue or isinstance(self.current, BatchJob):
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

    @property
    def batch_running(self) -> bool:
        """Whether rows train at once on a parallel executor now."""
        return isinstance(self.current, BatchJob)

    def trains(self, row_id: int) -> bool:
        """Whether ``row_id`` has begun training and not ended (a waiting batch row has not)."""
        if isinstance(self.current, BatchJob):
            return row_id in self.current.running
        return self._owns(row_id)

    def training_rows(self) -> list[int]:
        """Rows of the batch that have begun and not ended, in queue order."""
        if not isinstance(self.current, BatchJob):
            return []
        return [row_id for row_id, _ in self.current.rows if row_id in self.current.running]

    def is_running(self, row_id: int) -> bool:
        """Whether ``row_id`` is a row training (or waiting in a batch) now."""
        return self._owns(row_id)

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
