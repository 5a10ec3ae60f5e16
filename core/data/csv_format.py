"""How a user's CSV file is written: its encoding, delimiter, decimal mark and lines.

Plant historians and spreadsheets export "CSV" in many dialects: comma or
semicolon or tab separated, decimal commas in European locales, UTF-8 with or
without a byte-order mark, UTF-16, or Windows-1252. This module turns the raw
bytes into a :class:`CsvText` (header plus data lines, each with its line
number in the file) so the reader can point at the exact line of any problem.
Every failure is a :class:`~core.common.errors.DataError`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.common.errors import DataError

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
SNIFF_LINES = 50
DECIMAL_SNIFF_LINES = 200
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "#n/a", "#na", "-nan", "nat", "<na>"}
)

# Control characters other than tab and line breaks: signs of a binary file.
_CONTROL_CHARS = tuple(chr(code) for code in (*range(9), 11, 12, *range(14, 32), 127))
_BINARY = re.compile("[" + re.escape("".join(_CONTROL_CHARS)) + "]")
_COMMA_DECIMAL = re.compile(r"\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*")
_DOT_DECIMAL = re.compile(r"\s*[+-]?\d*\.\d+(?:[eE][+-]?\d+)?\s*")
_SAVE_AS_UTF8 = "save the file as UTF-8 text; in Excel choose 'CSV UTF-8'"


@dataclass
class CsvText:
    """A decoded CSV file split into its header and data lines.

    Attributes
    ----------
    path
        The file, for messages.
    encoding, delimiter, decimal
        What was detected.
    header
        Column names (stripped; an empty name becomes ``column_<i>``).
    header_line
        1-based line number of the header.
    rows
        Data lines, blank lines left out, without line breaks.
    line_numbers
        1-based file line number of each data line.
    files, file_of_row
        For the lines of several files read as one (a fleet folder whose files
        share a header): each file's path and the index of each line's file, so
        a message names the file the line is in. Empty/``None`` for one file.
    """

    path: Path
    encoding: str
    delimiter: str
    decimal: str
    header: list[str]
    header_line: int
    rows: list[str]
    line_numbers: np.ndarray
    files: tuple[str, ...] = ()
    file_of_row: np.ndarray | None = None

    def file_at(self, index: int | None = None) -> str:
        """The file data row ``index`` is in (the only file, for a single file)."""
        if index is None or self.file_of_row is None:
            return str(self.path)
        return self.files[int(self.file_of_row[index])]

    def fail(self, problem: str, index: int | None = None, column=None, hint=None) -> DataError:
        """A :class:`DataError` located at data row ``index`` (0-based) of this file."""
        row = None if index is None else int(self.line_numbers[index])
        return DataError(problem, file=self.file_at(index), row=row, column=column, hint=hint)

    def fields(self, index: int) -> list[str]:
        """The raw fields of data row ``index``, to quote an offending value."""
        return split_line(self.rows[index], self.delimiter)


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes; a missing file, a folder or an unreadable file is a DataError."""
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=str(path), hint="check the path")
    if path.is_dir():
        raise DataError("this is a folder, not a CSV file", file=str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror})", file=str(path)) from None
    if not raw.strip():
        raise DataError("the file is empty", file=str(path), hint="export the data again")
    return raw


def decode(raw: bytes, path: str | Path) -> tuple[str, str]:
    """Text and encoding name: BOM-marked UTF-8/UTF-16 first, else UTF-8, else cp1252.

    Windows-1252 decodes almost any byte, so it is tried last and strictly;
    what even it rejects is reported at the line where decoding failed.
    """
    if raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            failure, failed_encoding = exc, encoding
            continue
        return _normalise_newlines(text), encoding
    line = raw[: failure.start].decode(failed_encoding, errors="replace").count("\n") + 1
    bad = raw[failure.start : failure.start + 1].hex()
    raise DataError(
        f"cannot decode byte 0x{bad}: the file is not UTF-8, UTF-16 or Windows-1252 text",
        file=str(path),
        row=line,
        hint=_SAVE_AS_UTF8,
    )


def _normalise_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def reject_binary(text: str, path: str | Path) -> None:
    """Control characters (NUL and friends) mean binary data or UTF-16 without a BOM."""
    if not any(char in text for char in _CONTROL_CHARS):  # fast: one memchr-like scan each
        return
    found = _BINARY.search(text)
    # _BINARY matches exactly the characters of _CONTROL_CHARS, one of which is present.
    assert found is not None
    line = text.count("\n", 0, found.start()) + 1
    code = ord(found.group())
    raise DataError(
        f"the file contains binary data (character 0x{code:02x})",
        file=str(path),
        row=line,
        hint="is it really a CSV text file? UTF-16 files need a byte-order mark; " + _SAVE_AS_UTF8,
    )


def split_line(line: str, delimiter: str) -> list[str]:
    """Fields of one line, honouring double quotes; fast when there are none."""
    if '"' not in line:
        return line.split(delimiter)
    return next(csv.reader([line], delimiter=delimiter, quotechar='"', strict=False), [""])


def field_count(line: str, delimiter: str) -> int:
    """Number of fields of one line (quote-aware)."""
    if '"' not in line:
        return line.count(delimiter) + 1
    return len(split_line(line, delimiter))


def sniff_delimiter(header: str, sample: list[str]) -> str | None:
    """The delimiter that splits the header and the first lines into the same fields.

    A candidate must appear in the header; a consistent field count across the
    sample beats a larger one, so decimal commas in ``;``-files do not win.
    """
    best, best_score = None, None
    for preference, delimiter in enumerate(DELIMITERS):
        n = field_count(header, delimiter)
        if n < 2:
            continue
        consistent = all(field_count(line, delimiter) == n for line in sample)
        score = (consistent, n, preference)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def sniff_decimal(rows: list[str], delimiter: str) -> str:
    """``','`` when a non-comma-separated file writes numbers like ``12,5``.

    Looks at the first few hundred lines that hold a comma or a dot at all,
    so files whose first rows are whole numbers are still judged correctly.
    """
    if delimiter == ",":
        return "."
    commas = dots = looked = 0
    for line in rows:
        if "," not in line and "." not in line:
            continue
        for cell in split_line(line, delimiter):
            commas += _COMMA_DECIMAL.fullmatch(cell) is not None
            dots += _DOT_DECIMAL.fullmatch(cell) is not None
        looked += 1
        if looked >= DECIMAL_SNIFF_LINES:
            break
    return "," if commas > dots else "."


def read_csv_text(path: str | Path) -> CsvText:
    """Decode ``path`` and split it into header and data lines.

    Raises
    ------
    DataError
        Missing file, folder, empty file, undecodable or binary content, no
        delimiter, a header that looks like data, duplicate column names, or
        no data rows under the header.
    """
    path = Path(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return parquet_text(path)
    text, encoding = decode(read_bytes(path), path)
    reject_binary(text, path)
    lines = text.split("\n")
    first = _first_nonblank(lines, 0)
    if first is None:
        raise DataError("the file is empty", file=str(path))
    delimiter, first = _explicit_delimiter(lines, first)
    if first is None:
        raise DataError("the file has no header row", file=str(path), row=len(lines))
    delimiter = delimiter or _find_delimiter(lines, first, path)
    rows, numbers = _data_lines(lines, first + 1, delimiter)
    header = _header_names(lines[first], delimiter, path, first + 1)
    if not rows:
        raise DataError(
            "the file has a header but no data rows",
            file=str(path),
            row=first + 1,
            hint="export the data rows as well",
        )
    decimal = sniff_decimal(rows, delimiter)
    return CsvText(path, encoding, delimiter, decimal, header, first + 1, rows, numbers)


#: File name endings read as Apache Parquet (historians export it) rather than as text.
PARQUET_SUFFIXES = (".parquet", ".pq")


def parquet_text(path: Path) -> CsvText:
    """A Parquet file as the CSV text it would be, so every check and message is the CSV reader's.

    Rendering costs a pass over the values but means Parquet needs no second
    reader with its own rules. Lines are counted as in that CSV: the header is
    line 1, so data row r (from 1) is line r + 1. Dates become ISO text, which
    the timestamp reader understands.
    """
    read_bytes(path)  # the same missing/folder/empty messages as a CSV file
    try:
        import pyarrow.csv as pa_csv
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise DataError(
            "reading Parquet needs pyarrow", file=str(path), hint="pip install pyarrow"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise DataError(
            f"cannot read the file as Parquet ({exc})",
            file=str(path),
            hint="export the data again, or as CSV",
        ) from None
    if table.num_rows == 0:
        raise DataError("the file has columns but no data rows", file=str(path), row=1)
    sink = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    pa_csv.write_csv(table, sink, write_options=options)
    rows = sink.getvalue().decode("utf-8").rstrip("\n").split("\n")
    if len(rows) != table.num_rows:
        raise DataError(
            "a text value holds a line break", file=str(path), hint="remove line breaks in values"
        )
    header = [str(name).strip() or f"column_{i + 1}" for i, name in enumerate(table.column_names)]
    numbers = np.arange(2, len(rows) + 2)
    return CsvText(path, "parquet", ",", ".", header, 1, rows, numbers)


def _first_nonblank(lines: list[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
    return None


def _explicit_delimiter(lines: list[str], first: int) -> tuple[str | None, int | None]:
    """Excel's optional ``sep=;`` first line names the delimiter."""
    line = lines[first].strip()
    if len(line) == 5 and line.lower().startswith("sep=") and line[4] in DELIMITERS:
        return line[4], _first_nonblank(lines, first + 1)
    return None, first


def _find_delimiter(lines: list[str], first: int, path: Path) -> str:
    sample = [line for line in lines[first + 1 : first + 1 + SNIFF_LINES] if line.strip()]
    delimiter = sniff_delimiter(lines[first], sample)
    if delimiter is None:
        raise DataError(
            "cannot find the column delimiter in the header",
            file=str(path),
            row=first + 1,
            hint="columns must be separated by commas, semicolons or tabs, "
            "with a header row naming at least a unit, a time and a sensor column",
        )
    return delimiter


def _data_lines(lines: list[str], start: int, delimiter: str) -> tuple[list[str], np.ndarray]:
    blank = " \t" + delimiter  # spreadsheets write ";;;;" for empty rows: blank too
    keep = [i for i in range(start, len(lines)) if lines[i].strip(blank)]
    return [lines[i] for i in keep], np.asarray(keep, dtype=np.int64) + 1


def _header_names(line: str, delimiter: str, path: Path, number: int) -> list[str]:
    names = [name.strip() for name in split_line(line, delimiter)]
    names = [name or f"column_{i}" for i, name in enumerate(names, start=1)]
    if all(_looks_numeric(name) for name in names):
        raise DataError(
            "the first line looks like data, not a header row",
            file=str(path),
            row=number,
            hint="add a header line naming the columns, such as unit,cycle,s1,...; "
            "for NASA C-MAPSS text files use the cmapss source",
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(
                f"duplicate column name (columns {seen[name]} and {i})",
                file=str(path),
                row=number,
                column=name,
                hint="give every column a distinct name",
            )
        seen[name] = i
    return names


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True
