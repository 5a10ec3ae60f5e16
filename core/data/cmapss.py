"""Reader of NASA's C-MAPSS turbofan data (FD001-FD004).

Accepts the three layouts users actually have: a folder of ``.txt`` files, a
folder of ``.txt.gz`` files, or NASA's download (a zip that holds
``CMAPSSData.zip``, or that inner zip itself). The text format is checked by
:mod:`core.data.number_text`; absurd readings are reported and replaced as
the CSV reader does it (:mod:`core.data.outliers`).
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from core.common.errors import DataError
from core.data.config import CMAPSS_INFORMATIVE_SENSORS
from core.data.csv_table import show_number
from core.data.fleet import CYCLE, UNIT, Fleet, FleetPair
from core.data.number_text import NumberTable, read_number_table
from core.data.outliers import repair_absurd

SUBSETS = ("FD001", "FD002", "FD003", "FD004")
SETTINGS = ("setting_1", "setting_2", "setting_3")
SENSORS = tuple(f"s{i}" for i in range(1, 22))
READINGS = (*SETTINGS, *SENSORS)
COLUMNS = (UNIT, CYCLE, *READINGS)
_ROW_LAYOUT = "C-MAPSS rows are: unit, cycle, 3 settings, 21 sensors"
_MAX_EXACT_FLOAT = 2.0**53
MULTI_CONDITION = {"FD002", "FD004"}
ENV_VAR = "RUL_WORKBENCH_CMAPSS"


def cmapss_location(explicit: str | Path | None = None) -> Path:
    """The folder or zip to read C-MAPSS from: ``explicit``, else ``$RUL_WORKBENCH_CMAPSS``."""
    location = explicit or os.environ.get(ENV_VAR)
    if not location:
        raise DataError(
            "no C-MAPSS location given",
            hint=f"pass --cmapss-dir FOLDER_OR_ZIP or set {ENV_VAR}",
        )
    path = Path(location).expanduser()
    if not path.exists():
        raise DataError("C-MAPSS folder or zip not found", file=path)
    return path


class CmapssArchive:
    """Reads the raw bytes of ``train_FD001.txt`` etc. from a folder or a zip."""

    def __init__(self, location: str | Path):
        self.location = Path(location)
        self._members: dict[str, bytes] | None = None
        if self.location.is_file():
            self._members = _zip_members(self.location)

    def read(self, name: str) -> tuple[bytes, str]:
        """Bytes of the member ``name`` (e.g. ``train_FD001.txt``) and where they came from."""
        if self._members is not None:
            if name not in self._members:
                raise DataError(f"{name} is missing from the zip", file=self.location)
            return self._members[name], f"{self.location}!{name}"
        for candidate in (self.location / name, self.location / f"{name}.gz"):
            if candidate.is_file():
                raw = candidate.read_bytes()
                return (_gunzip(raw, candidate) if candidate.suffix == ".gz" else raw), str(
                    candidate
                )
        raise DataError(
            f"{name} (or {name}.gz) not found in the C-MAPSS folder",
            file=self.location,
            hint="point to the folder that holds train_FD00x.txt, test_FD00x.txt, RUL_FD00x.txt",
        )


def _gunzip(raw: bytes, where: Path | str) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"damaged gzip file ({exc})", file=where) from None


def _zip_members(path: Path) -> dict[str, bytes]:
    """Every ``*.txt`` member, looking one level into a nested ``CMAPSSData.zip``."""
    try:
        with zipfile.ZipFile(path) as outer:
            members = _txt_members(outer)
            for info in outer.infolist():
                if info.filename.lower().endswith(".zip"):
                    with zipfile.ZipFile(io.BytesIO(outer.read(info))) as inner:
                        members.update(_txt_members(inner))
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"not a readable zip ({exc})", file=path) from None
    return members


def _txt_members(archive: zipfile.ZipFile) -> dict[str, bytes]:
    return {
        Path(info.filename).name: archive.read(info)
        for info in archive.infolist()
        if info.filename.lower().endswith(".txt")
    }


def parse_table(raw: bytes, where: str) -> tuple[NumberTable, np.ndarray]:
    """Parse one space-separated 26-column C-MAPSS table, locating any bad line.

    Returns the numbers and the unit ids as integers, once the ids and the
    cycles are known to be sound.
    """
    table = read_number_table(raw, where, COLUMNS)
    units = _unit_ids(table)
    _check_cycles(table, units)
    return table, units


def _unit_ids(table: NumberTable) -> np.ndarray:
    """Unit ids as integers: a fractional or enormous id is a typo, not a unit."""
    units = table.values[:, 0]
    bad = (units != np.round(units)) | (np.abs(units) >= _MAX_EXACT_FLOAT)
    if bad.any():
        i = int(np.argmax(bad))
        raise table.fail(
            f"unit id {show_number(units[i])} is not a whole number",
            i,
            column=UNIT,
            hint=_ROW_LAYOUT,
        )
    return units.astype(np.int64)


def _check_cycles(table: NumberTable, units: np.ndarray) -> None:
    """Cycles must go up within a unit, and a unit's rows must stay together."""
    same_unit = units[1:] == units[:-1]
    steps = np.diff(table.values[:, 1])
    bad = np.flatnonzero(same_unit & (steps <= 0))
    if bad.size:
        raise table.fail(
            f"unit {units[bad[0]]}: cycle does not increase within the unit",
            int(bad[0]) + 1,
            column=CYCLE,
            hint="each unit's rows come in increasing cycle order",
        )
    starts = np.r_[0, np.flatnonzero(~same_unit) + 1]
    _, first = np.unique(units[starts], return_index=True)
    if len(first) != len(starts):
        again = int(starts[np.setdiff1d(np.arange(len(starts)), first).min()])
        raise table.fail(
            f"unit {units[again]} appears again after other units",
            again,
            column=UNIT,
            hint="keep each unit's rows together, in cycle order",
        )


def read_truth(raw: bytes, where: str, units: list) -> pd.Series:
    """RUL_FD00x.txt: one true RUL per test unit, in unit order."""
    table = read_number_table(raw, where, ("RUL",))
    truth = table.values[:, 0]
    if len(truth) != len(units):
        raise DataError(
            f"{len(truth)} RUL values for {len(units)} test units",
            file=where,
            hint="the truth file must have one line per test unit",
        )
    if (truth < 0).any():
        raise table.fail("RUL must be >= 0", int(np.argmax(truth < 0)), column="RUL")
    return pd.Series(truth, index=pd.Index(units, name=UNIT), name="rul")


def _read_fleet(
    archive: CmapssArchive,
    name: str,
    label: str,
    run_to_failure: bool,
    reference: pd.DataFrame | None = None,
) -> Fleet:
    """One fleet; absurd readings are replaced (``reference``: the training frame, whose
    medians fill units without a plausible reading) and reported as warnings."""
    raw, where = archive.read(name)
    table, units = parse_table(raw, where)
    readings = table.values[:, 2:].copy()
    found = repair_absurd(readings, list(READINGS), units, where, table.line_numbers, reference)
    frame = pd.DataFrame(readings, columns=list(READINGS))
    frame.insert(0, CYCLE, table.values[:, 1])
    frame.insert(0, UNIT, units)
    return Fleet(
        name=label,
        frame=frame,
        sensor_columns=list(SENSORS),
        setting_columns=list(SETTINGS),
        run_to_failure=run_to_failure,
        warnings=found,
    )


def load_cmapss(subset: str, location: str | Path | None = None) -> FleetPair:
    """Train (run to failure), test (in service) and truth of one subset.

    Parameters
    ----------
    subset
        ``FD001`` .. ``FD004`` (case-insensitive).
    location
        Folder of ``.txt``/``.txt.gz`` files or NASA's zip; defaults to
        ``$RUL_WORKBENCH_CMAPSS``.
    """
    subset = subset.upper()
    if subset not in SUBSETS:
        raise DataError(f"unknown C-MAPSS subset '{subset}'", hint=f"use one of {SUBSETS}")
    archive = CmapssArchive(cmapss_location(location))
    train = _read_fleet(archive, f"train_{subset}.txt", f"C-MAPSS {subset} train", True)
    test = _read_fleet(archive, f"test_{subset}.txt", f"C-MAPSS {subset} test", False, train.frame)
    raw, where = archive.read(f"RUL_{subset}.txt")
    test.truth_rul = read_truth(raw, where, test.unit_ids)
    return FleetPair(
        train=train,
        test=test,
        source=f"cmapss:{subset}",
        sensors=CMAPSS_INFORMATIVE_SENSORS,
        conditions=6 if subset in MULTI_CONDITION else 1,
    )
