"""A run folder as ``{file name: bytes}`` and back: how runs cross machines.

Workers never write into the driver's run store: they train in a scratch
folder, and send the files an epoch changed (history, probe, status, the
checkpoints) as bytes. The driver writes them atomically into its own folder
of the run, so the store on the user's machine is complete at every epoch,
without a shared file system, and a run whose worker died can go on from the
``last.pt`` the driver already holds.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import IO

from core.runs.atomic import atomic_write

#: Written by the driver alone (where the run happened); never sent by a worker.
WORKER_FILE = "worker.json"


class FolderWatch:
    """Remembers what was already sent, so each report carries only changed files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sent: dict[str, tuple[int, int]] = {}

    def changed(self) -> dict[str, bytes]:
        """Files whose size or modification time changed since the last call."""
        files = {}
        for path in sorted(self.folder.iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name == WORKER_FILE:
                continue  # atomic writes' temporary files start with a dot
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if self._sent.get(path.name) != stamp:
                files[path.name] = path.read_bytes()
                self._sent[path.name] = stamp
        return files


def read_folder(folder: Path) -> dict[str, bytes]:
    """Every file of a run folder."""
    return FolderWatch(folder).changed()


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into ``folder`` (made if missing), each atomically.

    A name with a path separator is refused: files come from another
    process, and must never land outside the run's folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"refusing a run file named {name!r}")
        atomic_write(folder / name, functools.partial(_write, data))


def _write(data: bytes, handle: IO[bytes]) -> None:
    handle.write(data)
