"""Reader of true-RUL files for in-service fleets.

Two forms are accepted: a two-column file with a header (unit, rul), matched
to the fleet by unit id, or a headerless single column of numbers in the
order of the fleet's units, as in NASA's ``RUL_FD00x.txt``. Files are small,
so they are read line by line and every problem names its line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from core.common.errors import DataError
from core.data.csv_format import (
    DELIMITERS,
    MISSING_TOKENS,
    decode,
    read_bytes,
    reject_binary,
    split_line,
)
from core.data.csv_table import show_id
from core.data.fleet import UNIT, Fleet

_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_FORMS = "use a header line 'unit,rul' and one line per unit, or one RUL number per line"
Line = tuple[int, str]


def read_truth_csv(path: str | Path, fleet: Fleet) -> pd.Series:
    """True RUL at each in-service unit's last cycle, indexed by the fleet's unit ids.

    Raises
    ------
    DataError
        Unreadable file, a RUL that is missing, not a number, infinite or
        negative (with its line), or units that do not match the fleet.
    """
    path = Path(path)
    text, _ = decode(read_bytes(path), path)
    reject_binary(text, path)
    lines = [(i, line) for i, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if not lines:
        raise DataError("the truth file is empty", file=str(path))
    delimiter = next((d for d in DELIMITERS if d in lines[0][1]), None)
    if delimiter is None:
        return _ordered_truth(path, lines, fleet)
    return _keyed_truth(path, lines, delimiter, fleet)


def _ordered_truth(path: Path, lines: list[Line], fleet: Fleet) -> pd.Series:
    """One number per line, in the order of the fleet's units (an optional header)."""
    if _number_or_none(lines[0][1]) is None and lines[0][1].strip().lower() not in MISSING_TOKENS:
        lines = lines[1:]
    values = [_rul(path, number, line, None, ".") for number, line in lines]
    if len(values) != fleet.n_units:
        raise DataError(
            f"the truth file has {len(values)} RUL values but the fleet has {fleet.n_units} units",
            file=str(path),
            hint="one value per in-service unit, in the order of the in-service file; " + _FORMS,
        )
    return _series(values, fleet.unit_ids)


def _keyed_truth(path: Path, lines: list[Line], delimiter: str, fleet: Fleet) -> pd.Series:
    """A header, then ``unit<delimiter>rul`` lines matched to the fleet by id."""
    header_number, header = lines[0]
    names = [name.strip() for name in split_line(header, delimiter)]
    if len(names) != 2:
        raise DataError(
            f"expected two columns (unit, rul) but the header has {len(names)}",
            file=str(path),
            row=header_number,
            hint=_FORMS,
        )
    if _number_or_none(names[1]) is not None:
        raise DataError(
            "the first line looks like data, not a header",
            file=str(path),
            row=header_number,
            hint=_FORMS,
        )
    decimal = "," if delimiter != "," else "."
    keys = _fleet_keys(fleet)
    found: dict[object, tuple[int, float]] = {}
    for number, line in lines[1:]:
        key, rul = _keyed_line(path, number, line, delimiter, names, decimal, keys)
        if key in found:
            raise DataError(
                f"unit {show_id(key)} appears twice (also at line {found[key][0]})",
                file=str(path),
                row=number,
                column=names[0],
            )
        found[key] = (number, rul)
    _check_same_units(path, keys, found)
    return _series([found[key][1] for key in keys], fleet.unit_ids)


def _keyed_line(
    path: Path,
    number: int,
    line: str,
    delimiter: str,
    names: list[str],
    decimal: str,
    keys: list,
) -> tuple[object, float]:
    fields = split_line(line, delimiter)
    if len(fields) != 2:
        raise DataError(
            f"this line has {len(fields)} fields, expected 2 (unit, rul)",
            file=str(path),
            row=number,
        )
    unit = fields[0].strip()
    if not unit:
        raise DataError("missing unit id", file=str(path), row=number, column=names[0])
    key = int(unit) if keys and isinstance(keys[0], int) and _INTEGER_TEXT.fullmatch(unit) else unit
    return key, _rul(path, number, fields[1], names[1], decimal)


def _fleet_keys(fleet: Fleet) -> list:
    """Fleet ids as plain Python values, so ``7`` in the file matches unit 7."""
    ids = fleet.unit_ids
    if all(isinstance(unit, int | np.integer) for unit in ids):
        return [int(unit) for unit in ids]
    return [str(unit).strip() for unit in ids]


def _rul(path: Path, number: int, raw: str, column: str | None, decimal: str) -> float:
    cell = raw.strip()
    if cell.lower() in MISSING_TOKENS:
        raise DataError("missing RUL value", file=str(path), row=number, column=column)
    value = _number_or_none(cell.replace(decimal, ".") if decimal != "." else cell)
    if value is None or not math.isfinite(value):
        raise DataError(
            f"RUL '{cell[:40]}' is not a finite number",
            file=str(path),
            row=number,
            column=column,
            hint=_FORMS,
        )
    if value < 0:
        raise DataError(
            f"negative RUL {cell}",
            file=str(path),
            row=number,
            column=column,
            hint="RUL counts the cycles left until failure; it cannot be negative",
        )
    return value


def _number_or_none(text: str) -> float | None:
    if "_" in text:  # float() accepts "1_000"; a truth file should not
        return None
    try:
        return float(text.strip())
    except ValueError:
        return None


def _check_same_units(path: Path, keys: list, found: dict) -> None:
    missing = [key for key in keys if key not in found]
    known = set(keys)
    extra = [key for key in found if key not in known]
    if not missing and not extra:
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} fleet unit(s) have no RUL, e.g. {_some(missing)}")
    if extra:
        parts.append(f"{len(extra)} unit(s) are not in the fleet, e.g. {_some(extra)}")
    raise DataError(
        "the truth file does not match the in-service fleet: " + "; ".join(parts),
        file=str(path),
        hint="the truth file needs exactly one line per in-service unit",
    )


def _some(keys: list, limit: int = 5) -> str:
    return ", ".join(show_id(key) for key in keys[:limit]) + (", ..." if len(keys) > limit else "")


def _series(values: list[float], units: list) -> pd.Series:
    return pd.Series(values, index=pd.Index(units, name=UNIT), dtype="float64", name="rul")
