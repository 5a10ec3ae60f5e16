"""Reader of NASA's C-MAPSS turbofan data (FD001-FD004).

Accepts the three layouts users actually have: a folder of ``.txt`` files, a
folder of ``.txt.gz`` files, or NASA's download (a zip that holds
``CMAPSSData.zip``, or that inner zip itself).
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.config import CMAPSS_INFORMATIVE_SENSORS
from core.data.fleet import CYCLE, UNIT, Fleet, FleetPair
from core.errors import DataError

SUBSETS = ("FD001", "FD002", "FD003", "FD004")
SETTINGS = ("setting_1", "setting_2", "setting_3")
SENSORS = tuple(f"s{i}" for i in range(1, 22))
COLUMNS = (UNIT, CYCLE, *SETTINGS, *SENSORS)
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
    except (OSError, EOFError) as exc:
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


def parse_table(raw: bytes, where: str) -> pd.DataFrame:
    """Parse one space-separated 26-column C-MAPSS table, locating any bad line."""
    try:
        frame = pd.read_csv(io.BytesIO(raw), sep=r"\s+", header=None, dtype=np.float64)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        frame = None
    if frame is None or frame.shape[1] != len(COLUMNS):
        raise _locate_bad_line(raw, where)
    frame.columns = list(COLUMNS)
    if not np.isfinite(frame.to_numpy()).all():
        raise _locate_bad_line(raw, where)
    frame[UNIT] = frame[UNIT].astype(np.int64)
    return frame


def _locate_bad_line(raw: bytes, where: str) -> DataError:
    """The first line with the wrong field count or a non-numeric field."""
    lines = raw.decode("latin-1").splitlines()
    if not any(line.strip() for line in lines):
        return DataError("the file is empty", file=where)
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != len(COLUMNS):
            return DataError(
                f"expected {len(COLUMNS)} space-separated columns, found {len(fields)}",
                file=where,
                row=number,
                hint="C-MAPSS rows are: unit, cycle, 3 settings, 21 sensors",
            )
        for name, value in zip(COLUMNS, fields, strict=True):
            try:
                number_value = float(value)
            except ValueError:
                return DataError(f"'{value}' is not a number", file=where, row=number, column=name)
            if not np.isfinite(number_value):
                return DataError(f"'{value}' is not finite", file=where, row=number, column=name)
    return DataError("the file could not be parsed as a C-MAPSS table", file=where)


def _check_cycles(frame: pd.DataFrame, where: str) -> None:
    """Cycles must go up by one within a unit, and units must not repeat."""
    same_unit = frame[UNIT].to_numpy()[1:] == frame[UNIT].to_numpy()[:-1]
    steps = np.diff(frame[CYCLE].to_numpy())
    bad = np.flatnonzero(same_unit & (steps <= 0))
    if bad.size:
        row = int(bad[0]) + 2
        raise DataError(
            "cycle does not increase within the unit", file=where, row=row, column=CYCLE
        )
    starts = frame[UNIT].to_numpy()[np.r_[0, np.flatnonzero(~same_unit) + 1]]
    if len(starts) != len(np.unique(starts)):
        raise DataError("a unit's rows are split into several blocks", file=where, column=UNIT)


def read_truth(raw: bytes, where: str, units: list) -> pd.Series:
    """RUL_FD00x.txt: one true RUL per test unit, in unit order."""
    try:
        values = pd.read_csv(io.BytesIO(raw), sep=r"\s+", header=None, dtype=np.float64)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise DataError("expected one number per line", file=where) from None
    if values.shape[1] != 1:
        raise DataError(f"expected one column, found {values.shape[1]}", file=where)
    truth = values.iloc[:, 0].to_numpy()
    if len(truth) != len(units):
        raise DataError(
            f"{len(truth)} RUL values for {len(units)} test units",
            file=where,
            hint="the truth file must have one line per test unit",
        )
    if not np.isfinite(truth).all() or (truth < 0).any():
        row = int(np.flatnonzero(~np.isfinite(truth) | (truth < 0))[0]) + 1
        raise DataError("RUL must be a finite number >= 0", file=where, row=row)
    return pd.Series(truth, index=pd.Index(units, name=UNIT), name="rul")


def _read_fleet(archive: CmapssArchive, name: str, label: str, run_to_failure: bool) -> Fleet:
    raw, where = archive.read(name)
    frame = parse_table(raw, where)
    _check_cycles(frame, where)
    return Fleet(
        name=label,
        frame=frame,
        sensor_columns=list(SENSORS),
        setting_columns=list(SETTINGS),
        run_to_failure=run_to_failure,
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
    test = _read_fleet(archive, f"test_{subset}.txt", f"C-MAPSS {subset} test", False)
    raw, where = archive.read(f"RUL_{subset}.txt")
    test.truth_rul = read_truth(raw, where, test.unit_ids)
    return FleetPair(
        train=train,
        test=test,
        source=f"cmapss:{subset}",
        sensors=CMAPSS_INFORMATIVE_SENSORS,
        conditions=6 if subset in MULTI_CONDITION else 1,
    )
