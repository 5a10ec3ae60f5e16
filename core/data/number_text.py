"""Whitespace-separated number tables (C-MAPSS's train/test/RUL files), checked line by line.

The format is strict: every non-blank line holds the same number of fields,
separated by spaces or tabs, and every field is a plain finite decimal number.
A byte-order mark (UTF-8 or UTF-16) and Windows or old Mac line ends are
accepted, since editors add them when a user re-saves a file.

Clean files take one pass of pandas' C parser, guarded by a byte scan: a file
whose bytes are all digits, signs, dots, exponents and blanks cannot hold
text that the parser would read differently from these rules (it reads
``True`` as 1, for instance). Anything else goes to the line-by-line check,
which is the reference: it names the first bad line and field.
"""

from __future__ import annotations

import codecs
import io
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.common.errors import DataError

_PLAIN_BYTES = b"0123456789eE+-. \t\n"
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NOT_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity"})
_BLANKS = re.compile(r"[ \t]+")
_SAVE_AS_TEXT = "save the file as plain text (ASCII or UTF-8), numbers separated by spaces"


@dataclass
class NumberTable:
    """The numbers of a table file, and how to point back at its lines.

    Attributes
    ----------
    values
        (rows, columns) finite float64, blank lines left out.
    file
        Where the table came from, for messages.
    text
        The normalised bytes, kept to find line numbers when a message needs them.
    """

    values: np.ndarray
    file: str
    text: bytes
    _lines: np.ndarray | None = field(default=None, repr=False)

    def line_numbers(self) -> np.ndarray:
        """1-based file line of each row; computed on first use (errors and warnings only)."""
        if self._lines is None:
            filled = [bool(line.strip(b" \t")) for line in self.text.split(b"\n")]
            self._lines = np.flatnonzero(filled) + 1
        return self._lines

    def fail(self, problem: str, index: int, column=None, hint=None) -> DataError:
        """A :class:`DataError` located at row ``index`` (0-based) of the table."""
        row = int(self.line_numbers()[index])
        return DataError(problem, file=self.file, row=row, column=column, hint=hint)


def read_number_table(raw: bytes, where: str, columns: tuple[str, ...]) -> NumberTable:
    """Parse ``raw`` as a table of ``len(columns)`` numbers per line, or raise a located error."""
    text = normalise(raw, where)
    values = None
    if not text.translate(None, _PLAIN_BYTES):
        values = _parse_fast(text, len(columns))
    if values is None:
        raise first_bad_line(text, where, columns)
    return NumberTable(values, where, text)


def normalise(raw: bytes, where: str) -> bytes:
    """The bytes without a byte-order mark, UTF-16 made UTF-8, every line ending a LF."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeError:
            raise DataError(
                "the file starts like UTF-16 text but is not valid UTF-16",
                file=where,
                hint=_SAVE_AS_TEXT,
            ) from None
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return raw


def _parse_fast(text: bytes, width: int) -> np.ndarray | None:
    """Pandas' C parser; ``None`` when it fails or the result breaks the rules."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pd.read_csv(io.BytesIO(text), sep=r"\s+", header=None, dtype=np.float64)
    except (ValueError, OverflowError, pd.errors.ParserError):
        return None
    values = frame.to_numpy(np.float64)
    if values.shape[1] != width or not np.isfinite(values).all():
        return None
    return values


def first_bad_line(text: bytes, where: str, columns: tuple[str, ...]) -> DataError:
    """The error at the first line with the wrong field count or a field that is not a
    finite number; the reference check the fast path must agree with."""
    lines = _decode(text).split("\n")
    if not any(line.strip(" \t") for line in lines):
        return DataError("the file is empty", file=where)
    for number, line in enumerate(lines, start=1):
        stripped = line.strip(" \t")
        fields = _BLANKS.split(stripped) if stripped else []
        if fields and len(fields) != len(columns):
            return DataError(
                f"expected {len(columns)} space-separated columns, found {len(fields)}",
                file=where,
                row=number,
                hint=_width_hint(line, columns),
            )
        for name, value in zip(columns, fields, strict=False):
            problem = cell_problem(value)
            if problem:
                return DataError(problem, where, number, name, _cell_hint(value))
    return DataError("the file could not be read as a table of numbers", file=where)


def _decode(text: bytes) -> str:
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        return text.decode("latin-1")  # every byte decodes, so a bad cell can be quoted


def cell_problem(value: str) -> str | None:
    """What is wrong with one field, or ``None`` for a plain finite number."""
    if _NUMBER.fullmatch(value):
        return None if np.isfinite(float(value)) else f"'{_shown(value)}' is too large"
    if value.lower() in _NOT_FINITE:
        return f"'{_shown(value)}' is not a finite number"
    return f"'{_shown(value)}' is not a number"


def _shown(value: str) -> str:
    """A field as a message can quote it: short, and control characters escaped."""
    value = value if len(value) <= 40 else value[:37] + "..."
    return value if value.isprintable() else ascii(value)[1:-1]


def _width_hint(line: str, columns: tuple[str, ...]) -> str:
    if "\x00" in line:
        return "the file looks like UTF-16 text without a byte-order mark; " + _SAVE_AS_TEXT
    if len(columns) == 1:
        return "the file must hold one number per line"
    return f"each line holds {len(columns)} numbers: " + ", ".join(columns[:3]) + ", ..."


def _cell_hint(value: str) -> str:
    if "\x00" in value:
        return "the file looks like UTF-16 text without a byte-order mark; " + _SAVE_AS_TEXT
    if "," in value:
        return "use '.' as the decimal mark and spaces between numbers"
    return "replace it with a finite number or remove the row"
