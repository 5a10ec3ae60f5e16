"""The workbench's own exception types.

Every problem caused by the user's input is reported as a :class:`DataError`
whose message names the file, the row and the column where they are known,
says what is wrong and what to do about it. Callers (CLI, GUI) catch this one
type, show the message and keep running.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


@dataclass
class DataError(WorkbenchError):
    """Bad input data, located as precisely as possible.

    Parameters
    ----------
    problem
        What is wrong, in the user's words.
    file
        The file the problem is in, if any.
    row
        1-based line number in the file (the header is line 1), if known.
    column
        Column name (or 1-based index) if known.
    hint
        What the user can do about it.
    """

    problem: str
    file: str | Path | None = None
    row: int | None = None
    column: str | int | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"{self.file}")
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.problem
        if self.hint:
            text += f" ({self.hint})"
        return text

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class DataWarning:
    """Something odd but survivable in the input, kept for the summary and the GUI report."""

    problem: str
    file: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        return str(DataError(self.problem, self.file, self.row, self.column))
