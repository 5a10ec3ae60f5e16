"""A simulated full disk for the run store: ENOSPC at write, fsync or mkdir, on request.

It replaces ``os`` and ``open`` inside :mod:`core.runs.atomic` only (and
:meth:`pathlib.Path.mkdir` below the store's folder), so nothing else in the
test process sees a full disk.
"""

from __future__ import annotations

import builtins
import errno
import os
import pathlib

import pytest

import core.runs.atomic as atomic


class FullDisk:
    """A disk that fills up on request: writes (or fsyncs, or mkdirs) then fail with ENOSPC.

    ``full = False`` frees space again. Once full, writes still store ``room``
    more bytes, so a file can fill the disk midway (the case where ``torch.save``
    hides the error in a RuntimeError).
    """

    def __init__(self, root: pathlib.Path, fail_at: str = "write", room: int = 0) -> None:
        self.root, self.fail_at, self.room, self.full = root, fail_at, room, False

    def check(self, stage: str) -> None:
        """Raise the kernel's full-disk error if the disk is full at this stage."""
        if self.full and stage == self.fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(self, fd, *args, **kwargs):
        """Stands in for ``os.fdopen``: the atomic writer's temporary file, on this disk."""
        return _DiskFile(os.fdopen(fd, *args, **kwargs), self)

    def open_file(self, *args, **kwargs):
        """Stands in for the builtin ``open`` (``os.open`` stays the real one)."""
        return _DiskFile(builtins.open(*args, **kwargs), self)

    def fsync(self, fd: int) -> None:
        """Stands in for ``os.fsync``: where delayed allocation reports a full disk."""
        self.check("fsync")
        os.fsync(fd)

    def __getattr__(self, name: str):
        """Everything else is the real ``os``."""
        return getattr(os, name)


class _DiskFile:
    """A file on the FullDisk: a write past the last free byte lands in part, then fails."""

    def __init__(self, handle, disk: FullDisk) -> None:
        self._handle, self._disk = handle, disk

    def write(self, data) -> int:
        """Write, or store what still fits and raise ENOSPC."""
        if not (self._disk.full and self._disk.fail_at == "write"):
            return self._handle.write(data)
        chunk, room = bytes(data), self._disk.room
        self._handle.write(chunk[:room])
        self._disk.room = max(room - len(chunk), 0)
        if len(chunk) > room:
            self._disk.check("write")
        return len(chunk)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()

    def __getattr__(self, name: str):
        return getattr(self._handle, name)


def install(monkeypatch: pytest.MonkeyPatch, root: pathlib.Path, fail_at: str, room: int = 0):
    """Put a FullDisk under ``root`` (undone by ``monkeypatch`` at the end of the test)."""
    full = FullDisk(root, fail_at, room)
    real_mkdir = pathlib.Path.mkdir

    def mkdir(path, *args, **kwargs):
        if not path.exists() and (path == full.root or full.root in path.parents):
            full.check("mkdir")
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(atomic, "os", full)
    monkeypatch.setattr(atomic, "open", full.open_file, raising=False)
    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    return full
