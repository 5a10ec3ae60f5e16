"""Run folders on disk: one folder per training run, crash-safe to write and read.

The trainer writes through :class:`RunDir`; the GUI and CLI list and open runs
through :class:`RunStore`. Problems with the disk surface as
:class:`RunStoreError` (a :class:`core.common.errors.WorkbenchError`) naming the file.
Files written by older versions are read in the current shape in one place,
:mod:`core.runs.run_format`.

May import: core.common.
"""

from core.runs.atomic import RunStoreError
from core.runs.store import BEST_CHECKPOINT, RunDir, RunInfo, RunStatus, RunStore

__all__ = ["BEST_CHECKPOINT", "RunDir", "RunInfo", "RunStatus", "RunStore", "RunStoreError"]
