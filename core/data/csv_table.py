"""Turning a CSV file's data lines into checked values, locating any bad cell.

Validation is vectorised: the whole table is converted at once, and only when
something is wrong do we go back to find the first offending line and quote
its raw text, so a clean 60k-row file costs a C-parser pass and a few array
operations.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd

from core.common.errors import DataError
from core.data.columns import is_number_dtype
from core.data.csv_format import DELIMITER_NAMES, MISSING_TOKENS, CsvText, field_count

_INTEGER_TEXT = r"[+-]?(?:0|[1-9]\d{0,17})"
_MAX_EXACT_FLOAT = 2.0**53


def check_field_counts(text: CsvText, limit: int | None = None) -> None:
    """Every data line must have as many fields as the header (ragged rows are errors)."""
    n = len(text.header)
    rows = text.rows if limit is None else text.rows[:limit]
    delimiter = text.delimiter
    suspects = [i for i, line in enumerate(rows) if '"' in line or line.count(delimiter) != n - 1]
    for i in suspects:
        count = field_count(rows[i], delimiter)
        if count != n:
            raise text.fail(
                f"this line has {count} fields but the header has {n}",
                i,
                hint=_ragged_hint(text, i, count),
            )


def _ragged_hint(text: CsvText, index: int, count: int) -> str:
    name = DELIMITER_NAMES[text.delimiter]
    if text.rows[index].count('"') % 2:
        return "a quoted value seems to span lines; remove line breaks inside values"
    if count < len(text.header):
        return (
            f"a value is missing; keep empty cells as empty fields between {name}s "
            "so every line has as many fields as the header"
        )
    extra = text.fields(index)[len(text.header) :]
    if not any(field.strip() for field in extra):
        return f"a trailing {name}? remove it, or name the extra column in the header"
    return f"a value may contain a {name}; put such values in double quotes"


def parse_rows(text: CsvText, text_columns: set[int]) -> pd.DataFrame:
    """The data lines as a frame named by the header; ``text_columns`` stay strings.

    Pandas' C parser does the work; lines with unbalanced quotes (or anything
    the C parser reads differently from our field count) fall back to a
    line-by-line split, which always agrees with :func:`check_field_counts`.
    """
    frame = None
    data = "\n".join(text.rows)
    if '"' not in data or all(line.count('"') % 2 == 0 for line in text.rows):
        frame = _parse_fast(data, text, text_columns)
    if frame is None or frame.shape != (len(text.rows), len(text.header)):
        frame = _parse_slow(text)
    frame.columns = list(text.header)
    return frame


def _parse_fast(data: str, text: CsvText, text_columns: set[int]) -> pd.DataFrame | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.read_csv(
                io.BytesIO(data.encode("utf-8", errors="surrogatepass")),  # bytes parse faster
                encoding="utf-8",
                encoding_errors="replace",
                sep=text.delimiter,
                decimal=text.decimal,
                header=None,
                names=list(range(len(text.header))),
                index_col=False,
                dtype=dict.fromkeys(text_columns, str),
                na_filter=False,
                skip_blank_lines=False,
                quotechar='"',
                engine="c",
                low_memory=False,
            )
    except (ValueError, OverflowError, pd.errors.ParserError):
        return None


def _parse_slow(text: CsvText) -> pd.DataFrame:
    n = len(text.header)
    rows = [(text.fields(i) + [""] * n)[:n] for i in range(len(text.rows))]
    return pd.DataFrame(rows, columns=list(range(n)), dtype=str)


def to_numbers(column: pd.Series, decimal: str = ".") -> np.ndarray:
    """Float values of a column; cells that are not numbers become NaN."""
    if is_number_dtype(column.dtype) and column.dtype != np.uint64:
        return column.to_numpy(dtype=np.float64)
    cells = column.astype(str).str.strip()
    if decimal != ".":
        cells = cells.str.replace(decimal, ".", regex=False)
    return pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def numeric_block(frame: pd.DataFrame, names: list[str], text: CsvText) -> np.ndarray:
    """The columns ``names`` as a float matrix, or a DataError at the first bad cell.

    Bad means missing (empty, NA, NaN), not a number, or infinite; the first
    one in file order is reported with its line, column and raw text.
    """
    values = np.empty((len(frame), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        values[:, j] = to_numbers(frame[name], text.decimal)
    bad = ~np.isfinite(values)
    if bad.any():
        raise _bad_cell(values, bad, names, text)
    return values


def _bad_cell(values: np.ndarray, bad: np.ndarray, names: list[str], text: CsvText) -> DataError:
    i = int(np.argmax(bad.any(axis=1)))
    j = int(np.argmax(bad[i]))
    name = names[j]
    raw = _raw_cell(text, i, name)
    more = int(bad[:, j].sum()) - 1
    suffix = f" ({more} more bad cells in this column)" if more else ""
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    if raw.lower() in MISSING_TOKENS:
        what = f"missing value '{shown}'" if raw else "missing value (empty cell)"
        hint = "fill it in or remove the row, or leave the column out with --ignore-cols"
    elif np.isinf(values[i, j]):
        what = f"infinite value '{shown}'" if "inf" in raw.lower() else f"'{shown}' is too large"
        hint = "replace it with a finite number or remove the row"
    else:
        what = f"'{shown}' is not a number"
        hint = _not_a_number_hint(raw, text.decimal)
    return text.fail(what + suffix, i, column=name, hint=hint)


def _raw_cell(text: CsvText, index: int, name: str) -> str:
    fields = text.fields(index)
    position = text.header.index(name)
    return fields[position].strip() if position < len(fields) else ""


def _not_a_number_hint(raw: str, decimal: str) -> str:
    if decimal == "." and "," in raw:
        return "the file uses '.' as decimal mark elsewhere; write this value the same way"
    if decimal == "," and "." in raw and "," in raw:
        return "the file uses ',' as decimal mark; remove thousands separators"
    return (
        "sensor, setting and time columns must hold only numbers; "
        "if this column is not a sensor, leave it out with --ignore-cols"
    )


def unit_ids(column: pd.Series, text: CsvText, name: str) -> pd.Series:
    """Unit ids stripped of spaces; integers if every id is a plain integer, else text."""
    codes, distinct = pd.factorize(column.astype(str), sort=False)
    ids = pd.Series(distinct, dtype=str).str.strip()  # string work on distinct ids only
    missing = ids.str.lower().isin(MISSING_TOKENS).to_numpy()
    if missing.any():
        raise text.fail(
            "missing unit id",
            int(np.argmax(missing[codes])),
            column=name,
            hint="every row needs the id of its unit",
        )
    if ids.str.fullmatch(_INTEGER_TEXT).all():
        return pd.Series(pd.to_numeric(ids).to_numpy(dtype=np.int64)[codes])
    return pd.Series(ids.to_numpy()[codes], dtype=str)


def as_cycles(values: np.ndarray) -> np.ndarray:
    """Integer cycles when every value is a whole number, else the floats (hours)."""
    whole = np.all(np.abs(values) < _MAX_EXACT_FLOAT) and np.all(values == np.round(values))
    return values.astype(np.int64) if whole else values


def row_order_cycles(units: pd.Series) -> np.ndarray:
    """Cycles 1, 2, 3 ... of each unit's rows in file order (for a file with no cycle column).

    Only what the user chose: the reader cannot tell whether a file without a
    cycle column lists each unit's rows in time order.
    """
    return units.groupby(units, sort=False).cumcount().to_numpy(np.int64) + 1


def unit_order(units: pd.Series, cycles: np.ndarray, text: CsvText, name: str) -> np.ndarray:
    """Row order by unit (first appearance) then file order, after checking the cycles.

    Within a unit, cycles must strictly increase in file order; rows of
    different units may interleave.
    """
    codes = pd.factorize(units, sort=False)[0]
    order = np.argsort(codes, kind="stable")
    same_unit = codes[order][1:] == codes[order][:-1]
    step_back = same_unit & ~(cycles[order][1:] > cycles[order][:-1])
    if step_back.any():
        positions = np.flatnonzero(step_back)
        rows = order[positions + 1]
        k = int(np.argmin(rows))
        raise _cycle_error(units, cycles, text, name, int(rows[k]), int(order[positions[k]]))
    return order


def _cycle_error(units, cycles, text: CsvText, name: str, row: int, previous: int) -> DataError:
    unit = show_id(units.iloc[row])
    before = int(text.line_numbers[previous])
    now, then = show_number(cycles[row]), show_number(cycles[previous])
    if cycles[row] == cycles[previous]:
        what = f"unit {unit}: cycle {now} appears twice (also at line {before})"
        hint = "within a unit every cycle must appear once; remove the duplicate row"
    else:
        what = f"unit {unit}: cycle goes back from {then} (line {before}) to {now}"
        hint = "within a unit, cycles must strictly increase down the file; sort by unit, cycle"
    return text.fail(what, row, column=name, hint=hint)


def show_number(value) -> str:
    """``12`` rather than ``12.0`` for whole numbers, ``12.5`` otherwise."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"


def show_id(unit) -> str:
    """A unit id as users see it: ``'ESN-0042'`` for text, ``7`` for numbers."""
    return f"'{unit}'" if isinstance(unit, str) else str(unit)
