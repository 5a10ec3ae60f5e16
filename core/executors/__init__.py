"""Where a comparison's runs happen: here one after another, in several processes, or on Ray.

``serial`` trains each (method, seed) pair in this process, as ``rulwb
compare`` always did. ``local`` trains N pairs at once in worker processes of
this machine (:mod:`core.executors.local`); ``ray`` sends each pair to a Ray
cluster as one task (:mod:`core.executors.ray_cluster`). Either way a worker
trains in a scratch folder of its own and sends the run folder's files back
(:mod:`core.executors.transfer`), so the driver's run store ends up exactly
as a serial comparison leaves it, with no shared file system, and a run whose
worker died is resumed from the ``last.pt`` already sent back
(:mod:`core.executors.driver`). The executor changes where a run happens,
never what it computes: a run's configuration, seed and thread count decide
its metrics.

May import: core.common, core.data, core.runs, core.training (events, control)
and core.experiment (what a worker runs).
"""

from core.executors.base import Executor, ExecutorError
from core.executors.config import EXECUTORS, ExecutorConfig, open_executor
from core.executors.driver import RunOutcome, run_tasks
from core.executors.reports import RunTask

__all__ = [
    "EXECUTORS",
    "Executor",
    "ExecutorConfig",
    "ExecutorError",
    "RunOutcome",
    "RunTask",
    "open_executor",
    "run_tasks",
]
