"""Where runs are kept by default: one run store shared by the GUI and ``rulwb``.

``$RUL_WORKBENCH_RUNS`` when set, else ``runs/`` in the per-user application
data folder, the folder Qt's ``QStandardPaths.AppDataLocation`` names for the
workbench (organisation "RUL Workbench", application "rul-workbench"), worked
out here without Qt so that the command line and the GUI agree and a run
trained with ``rulwb train`` appears in the GUI's run list.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Environment variable naming the run store folder.
RUNS_ENV = "RUL_WORKBENCH_RUNS"
ORGANISATION = "RUL Workbench"
APPLICATION = "rul-workbench"


def app_data_folder() -> Path:
    """The per-user data folder of the workbench, as Qt's AppDataLocation gives it."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / ORGANISATION / APPLICATION


def default_runs_dir() -> Path:
    """The run store: ``$RUL_WORKBENCH_RUNS``, else ``runs/`` in the per-user data folder."""
    env = os.environ.get(RUNS_ENV)
    if env:
        return Path(env).expanduser()
    return app_data_folder() / "runs"
