"""Files shipped with the workbench: its icon, sample fleets, the default plot style.

Plain files beside this module, installed with it as package data (so a wheel
carries them); this module only says where they are and reads them. No Qt is
imported here: the GUI and the engine may both use it.

- ``icon.svg``: the application and window icon.
- ``plot_style.json``: the plots' colours, line width and font sizes
  (read once by :mod:`workbench.plotting.style`).
- ``samples/<name>/``: sample fleets, each a folder ``engines/`` of one CSV per
  engine, a removals log ``removals.csv`` and a ``README.txt`` (what it is,
  how it was made); File > Sample fleets opens one in the CSV import dialog.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.common.errors import WorkbenchError

ROOT = Path(__file__).resolve().parent
ICON = ROOT / "icon.svg"
PLOT_STYLE = ROOT / "plot_style.json"
SAMPLES = ROOT / "samples"


class ResourceError(WorkbenchError):
    """A file shipped with the workbench is missing or damaged (the message names it)."""


@dataclass(frozen=True)
class SampleFleet:
    """A sample fleet: its engine files, its removals log and what its README says."""

    folder: Path

    @property
    def name(self) -> str:
        """The name shown in the menu (``demo_fleet`` -> ``Demo fleet``)."""
        return self.folder.name.replace("_", " ").capitalize()

    @property
    def engines(self) -> Path:
        return self.folder / "engines"

    @property
    def removals(self) -> Path:
        return self.folder / "removals.csv"

    @property
    def summary(self) -> str:
        """The first line of its README (what the fleet is)."""
        readme = self.folder / "README.txt"
        lines = readme.read_text(encoding="utf-8").splitlines() if readme.is_file() else []
        return lines[0].strip() if lines else ""


def sample_fleets(root: Path = SAMPLES) -> list[SampleFleet]:
    """The sample fleets under ``root``, by name: folders with ``engines/`` and a removals log."""
    if not root.is_dir():
        return []
    found = (SampleFleet(folder) for folder in sorted(root.iterdir()))
    return [s for s in found if s.engines.is_dir() and s.removals.is_file()]


def read_json(path: Path) -> Any:
    """A JSON resource, or a :class:`ResourceError` naming the file and what is wrong."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResourceError(f"cannot read {path}: {error.strerror or error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResourceError(
            f"{path} is damaged ({error}); restore it from the workbench's sources or reinstall"
        ) from error
