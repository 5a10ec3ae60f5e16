"""Crash-safe file writing for run folders.

Every file of a run is replaced whole: the new content goes to a hidden
temporary file in the same folder, is flushed and fsynced, and only then
renamed over the old file with :func:`os.replace` (atomic on POSIX and
Windows when both names are on one file system). A crash or a full disk at
any point leaves either the previous complete file or the new complete file,
never a half-written one, and no temporary file is left behind.

The one exception is the gradient-probe log, which grows by appending rows
many times per epoch; rewriting it each time would cost O(n^2). Appends are
rolled back on error, and readers ignore a torn last line (see
:func:`read_complete_lines`). The small CSV helpers at the end are shared by
the tables of a run (history, probe, predictions, trajectories).
"""

from __future__ import annotations

import contextlib
import csv
import enum
import errno
import io
import json
import math
import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from core.common.errors import WorkbenchError


class RunStoreError(WorkbenchError):
    """A run folder could not be written or read; the message names the file.

    Parameters
    ----------
    reason
        What went wrong, in the user's words, without the file name.
    file
        The file concerned, if any; ``str(error)`` reads ``"<file>: <reason>"``.
    """

    def __init__(self, reason: str, file: str | Path | None = None) -> None:
        self.reason = reason
        self.file = None if file is None else Path(file)
        super().__init__(f"{self.file}: {reason}" if self.file is not None else reason)


def describe_os_error(error: OSError) -> str:
    """What went wrong with the disk, in the user's words; a full disk is said plainly."""
    if error.errno == errno.ENOSPC:
        return "the disk is full (no space left on device); free some space and retry"
    if error.errno == errno.EDQUOT:
        return "the disk quota is exceeded; free some space and retry"
    return error.strerror or str(error)


def _write_failure(path: Path, error: OSError) -> RunStoreError:
    """A user-facing error for a failed write, telling a full disk apart."""
    return RunStoreError(
        f"could not write: {describe_os_error(error)}. "
        "The previous version of the file, if any, is unchanged.",
        path,
    )


def _os_error_behind(error: BaseException) -> OSError | None:
    """The OSError that caused ``error``, if any.

    Some writers hide the disk's error: ``torch.save`` on a full disk raises
    a RuntimeError ("unexpected pos ...") whose context is the ENOSPC OSError.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable by syncing its folder (POSIX only; best effort)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _process_umask() -> int:
    """The process's umask, read without changing it where the system says (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def _usual_mode(path: Path) -> int:
    """The permissions a plain ``open(path, "w")`` would give: the old file's, else 0666 & ~umask.

    ``mkstemp`` creates its file 0600, so without this every run-folder file
    and exported report was unreadable to colleagues sharing a run store.
    """
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_process_umask()


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], object]) -> None:
    """Replace ``path`` with what ``write`` puts into a binary file object, atomically.

    Whatever ``write`` returns (e.g. the byte count of ``handle.write``) is ignored.

    Raises
    ------
    RunStoreError
        On any operating-system error (full disk, permissions); the old file
        is left as it was and the temporary file is removed.
    """
    path = Path(path)
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.chmod(tmp_name, _usual_mode(path))
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except Exception as error:
        os_error = _os_error_behind(error)
        if os_error is None:
            raise
        raise _write_failure(path, os_error) from error
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    _fsync_folder(path.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Atomically replace ``path`` with UTF-8 ``text``."""
    data = text.encode("utf-8")
    atomic_write(path, lambda handle: handle.write(data))


def json_safe(value: Any, where: str = "") -> Any:
    """A copy of ``value`` that strict JSON accepts: NaN and inf become ``None``.

    numpy scalars and arrays, tuples, sets, paths, enums and datetimes are
    turned into their plain JSON equivalents, so configs and metrics can hold
    them without every caller converting by hand.
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist(), where)
    if isinstance(value, np.generic):
        return json_safe(value.item(), where)
    if isinstance(value, enum.Enum):
        return json_safe(value.value, where)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(
        f"value at '{where or '<top>'}' of type {type(value).__name__} is not JSON data"
    )


def atomic_write_json(path: str | Path, value: Any) -> None:
    """Atomically write ``value`` as indented strict JSON (NaN/inf stored as null)."""
    try:
        safe = json_safe(value)
    except TypeError as error:
        raise TypeError(f"cannot write {path}: {error}") from error
    atomic_write_text(path, json.dumps(safe, indent=2, allow_nan=False) + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning every way it can be broken into a readable RunStoreError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise RunStoreError("missing", path) from error
    except (OSError, UnicodeDecodeError) as error:
        raise RunStoreError(f"cannot be read ({error})", path) from error
    if not text.strip():
        raise RunStoreError("empty file", path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RunStoreError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "it may be truncated or hand-edited",
            path,
        ) from error


def append_text(path: str | Path, text: str) -> None:
    """Append ``text`` to ``path`` durably; on failure cut the file back to its old length.

    A torn tail left by an earlier crash (no final newline) is cut off first,
    so the new rows never glue onto half a row.
    """
    path = Path(path)
    data = text.encode("utf-8")
    try:
        with open(path, "ab+") as handle:
            old_size = _drop_torn_tail(handle)
            try:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            except OSError:
                with contextlib.suppress(OSError):
                    handle.truncate(old_size)
                raise
    except OSError as error:
        raise _write_failure(path, error) from error


def _drop_torn_tail(handle: IO[bytes]) -> int:
    """Truncate an open file after its last newline; return the resulting size."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return 0
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return size
    handle.seek(0)
    content = handle.read()
    keep = content.rfind(b"\n") + 1
    handle.truncate(keep)
    handle.seek(keep)
    return keep


def read_complete_lines(path: str | Path) -> bytes:
    """The file's bytes up to and including its last newline (a torn last line dropped)."""
    data = Path(path).read_bytes()
    return data[: data.rfind(b"\n") + 1]


def csv_text(rows: list[dict[str, Any]], columns: list[str], header: bool) -> str:
    """Rows as CSV text in ``columns`` order; missing values left empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def union_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Union of the rows' keys in order of first appearance."""
    return list(dict.fromkeys(key for row in rows for key in row))


def read_csv_table(path: Path, data: bytes | None = None) -> pd.DataFrame:
    """A CSV file (or its given bytes) as a table; a missing or empty file is an empty table."""
    try:
        data = path.read_bytes() if data is None else data
    except FileNotFoundError:
        return pd.DataFrame()
    except OSError as error:
        raise RunStoreError(f"cannot be read ({error})", path) from error
    if not data.strip():
        return pd.DataFrame()
    try:
        return pd.read_csv(io.BytesIO(data))
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise RunStoreError(f"not a readable CSV table ({error})", path) from error
