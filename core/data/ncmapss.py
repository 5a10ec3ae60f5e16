"""Reader of NASA's N-CMAPSS turbofan data (Arias Chao et al., 2021), one ``.h5`` file.

Layout of a file such as ``N-CMAPSS_DS01-005.h5`` (as NASA's notebook and the
public loaders read it): for each split ``dev`` and ``test`` the row-aligned
datasets ``W_`` (flight conditions: alt, Mach, TRA, T2), ``X_s_`` (14 physical
sensors), ``X_v_`` (14 virtual sensors), ``T_`` (10 health parameters),
``Y_`` (RUL in cycles, one column) and ``A_`` (unit, cycle, Fc, hs); plus the
byte-string name arrays ``W_var``, ``X_s_var``, ``X_v_var``, ``T_var``,
``A_var``. There is one row per second of flight, so a cycle has thousands of
rows and a file several GB.

The workbench models one row per cycle, so each (unit, cycle) is reduced to
one row while the file is read in blocks of ``chunk_rows`` rows: memory grows
with the block and the number of cycles, never with the number of rows. ``T``
is never read: it is the degradation itself and would leak the answer.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.common.errors import DataError
from core.data.fleet import CYCLE, UNIT, Fleet, FleetPair

RULES = ("mean", "last")
SPLITS = ("dev", "test")
DEFAULT_CHUNK_ROWS = 100_000
_LAYOUT_HINT = (
    "an N-CMAPSS file holds W_, X_s_, X_v_, T_, Y_, A_ datasets for 'dev' and 'test' "
    "and the name arrays W_var, X_s_var, X_v_var, T_var, A_var"
)
_ORDER_HINT = "N-CMAPSS rows come unit by unit, each unit's cycles in increasing order"


def load_ncmapss(
    path: str | Path,
    per_cycle: str = "mean",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    include_virtual: bool = False,
) -> FleetPair:
    """The dev split as the run-to-failure fleet and the test split as the in-service one.

    Parameters
    ----------
    path
        An N-CMAPSS ``.h5`` file.
    per_cycle
        How a cycle's rows become one row: ``"mean"`` (mean of every column
        over the cycle) or ``"last"`` (the cycle's last row).
    chunk_rows
        Rows read at a time; bounds the memory of the read.
    include_virtual
        Add the virtual sensors ``X_v`` to the sensor columns.

    Settings are the ``W`` columns, sensors the ``X_s`` columns (then ``X_v``).
    The test fleet's ``truth_rul`` is ``Y`` at each unit's last row. N-CMAPSS
    test units also run to failure, so that truth is (about) 0: a test figure
    computed at each unit's last cycle is read at end of life, not mid-life.
    """
    path = Path(path)
    _check_arguments(path, per_cycle, chunk_rows)
    h5py = _import_h5py(path)
    with _open(h5py, path) as hdf:
        layout = _Layout.read(hdf, path, include_virtual)
        train, test = (_read_split(hdf, layout, split, per_cycle, chunk_rows) for split in SPLITS)
    return FleetPair(
        train=train, test=test, source=f"ncmapss:{path}", sensors=None, conditions=None
    )


def _check_arguments(path: Path, per_cycle: str, chunk_rows: int) -> None:
    """Refuse bad options before touching a file of several GB."""
    if per_cycle not in RULES:
        raise DataError(
            f"unknown per_cycle rule '{per_cycle}'",
            file=path,
            hint=f"use one of: {', '.join(RULES)}",
        )
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise DataError(
            f"chunk_rows must be a positive whole number, not {chunk_rows!r}",
            file=path,
            hint=f"the default is {DEFAULT_CHUNK_ROWS}",
        )


def _import_h5py(path: Path) -> Any:
    """h5py is imported only here, so the rest of the workbench runs without it."""
    try:
        return importlib.import_module("h5py")
    except ImportError:
        raise DataError(
            "reading N-CMAPSS files needs the h5py package, which is not installed",
            file=path,
            hint="pip install h5py",
        ) from None


def _open(h5py: Any, path: Path) -> Any:
    """The open file; a missing or non-HDF5 file is the user's to fix, not a crash."""
    if not path.is_file():
        raise DataError("file not found", file=path, hint="give the path of an N-CMAPSS .h5 file")
    if not h5py.is_hdf5(str(path)):
        raise DataError(
            "not an HDF5 file",
            file=path,
            hint="N-CMAPSS files are HDF5 files named like N-CMAPSS_DS01-005.h5",
        )
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"cannot open the HDF5 file ({exc})", file=path) from None


def _dataset(hdf: Any, path: Path, name: str) -> Any:
    """The dataset ``name``; anything else there (nothing, a group) is a layout error."""
    found = hdf.get(name)
    if found is None or not hasattr(found, "shape") or not hasattr(found, "dtype"):
        raise DataError("dataset missing from the file", file=path, column=name, hint=_LAYOUT_HINT)
    return found


def _names(hdf: Any, path: Path, name: str) -> list[str]:
    """A ``*_var`` array of byte strings as column names."""
    raw = np.asarray(_dataset(hdf, path, name)[()]).ravel()
    names = [
        (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)).strip() for v in raw
    ]
    if not names or "" in names or len(set(names)) != len(names):
        raise DataError(
            f"names must be distinct and non-empty, found {names}",
            file=path,
            column=name,
            hint=_LAYOUT_HINT,
        )
    return names


@dataclass(frozen=True)
class _Layout:
    """The column names of the datasets that feed the frame, and where unit and cycle sit in A."""

    path: Path
    named: dict[str, list[str]]
    unit_at: int
    cycle_at: int
    aux_width: int

    @classmethod
    def read(cls, hdf: Any, path: Path, include_virtual: bool) -> _Layout:
        """Read the name arrays once; every split is checked against them."""
        groups = ("W", "X_s", "X_v") if include_virtual else ("W", "X_s")
        named = {g: _names(hdf, path, f"{g}_var") for g in groups}
        aux = _names(hdf, path, "A_var")
        for needed in (UNIT, CYCLE):
            if needed not in aux:
                raise DataError(
                    f"no '{needed}' among the auxiliary names {aux}",
                    file=path,
                    column="A_var",
                    hint="A's columns are unit, cycle, Fc, hs",
                )
        layout = cls(path, named, aux.index(UNIT), aux.index(CYCLE), len(aux))
        layout.check_distinct()
        return layout

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.named)

    @property
    def settings(self) -> list[str]:
        return list(self.named["W"])

    @property
    def sensors(self) -> list[str]:
        return [c for g in self.groups[1:] for c in self.named[g]]

    def check_distinct(self) -> None:
        """Two columns of one name would silently shadow each other in the frame."""
        columns = [UNIT, CYCLE, *self.settings, *self.sensors]
        twice = sorted({c for c in columns if columns.count(c) > 1})
        if twice:
            raise DataError(
                f"column names {twice} appear more than once (unit, cycle, "
                f"{', '.join(g + '_var' for g in self.groups)})",
                file=self.path,
                column=f"{self.groups[-1]}_var",
                hint="rename them in the file",
            )


def _read_split(hdf: Any, layout: _Layout, split: str, rule: str, chunk_rows: int) -> Fleet:
    """One split, read block by block and reduced to one row per (unit, cycle)."""
    sets = _split_datasets(hdf, layout, split)
    rows = sets["A"].shape[0]
    reducer = _CycleReducer(rule, layout.path, f"A_{split}")
    for start in range(0, rows, chunk_rows):
        stop = min(start + chunk_rows, rows)
        units, cycles = _unit_cycle(sets["A"], layout, split, start, stop)
        values = np.hstack([_block(sets[g], layout.path, start, stop) for g in layout.groups])
        rul = _block(sets["Y"], layout.path, start, stop).reshape(-1)
        reducer.feed(units, cycles, values, rul, start)
    return _fleet(reducer.finish(), layout, split)


def _split_datasets(hdf: Any, layout: _Layout, split: str) -> dict[str, Any]:
    """The split's datasets, checked for shape before any row is read."""
    widths = {g: len(names) for g, names in layout.named.items()}
    widths.update(Y=1, A=layout.aux_width)
    sets = {g: _dataset(hdf, layout.path, f"{g}_{split}") for g in widths}
    rows = sets["A"].shape[0] if len(sets["A"].shape) else 0
    for group, width in widths.items():
        _check_shape(sets[group], layout.path, group, split, rows, width)
    if rows == 0:
        raise DataError(
            "the split has no rows", file=layout.path, column=f"A_{split}", hint=_LAYOUT_HINT
        )
    return sets


def _check_shape(dataset: Any, path: Path, group: str, split: str, rows: int, width: int) -> None:
    """Row-aligned datasets of numbers, one column per name (Y: one column or a vector)."""
    name, shape = f"{group}_{split}", tuple(dataset.shape)
    if dataset.dtype.kind not in "fiu":
        raise DataError(f"holds {dataset.dtype}, not numbers", file=path, column=name)
    if not shape or shape[0] != rows:
        raise DataError(
            f"has {shape[0] if shape else 0} rows but A_{split} has {rows}",
            file=path,
            column=name,
            hint="the W_, X_s_, X_v_, Y_ and A_ datasets of a split are row-aligned",
        )
    vector = len(shape) == 1 and group == "Y"
    if not (vector or (len(shape) == 2 and shape[1] == width)):
        raise DataError(
            f"has shape {shape}, expected {rows} rows of {width} column(s), one per name",
            file=path,
            column=name,
            hint=f"{group}_var names its columns" if group != "Y" else "Y holds one RUL per row",
        )


def _block(dataset: Any, path: Path, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` as float64; a damaged file fails here, with its location."""
    try:
        return np.asarray(dataset[start:stop], dtype=np.float64)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"cannot read rows {start + 1}-{stop} ({exc})",
            file=path,
            row=start + 1,
            column=dataset.name.lstrip("/"),
        ) from None


def _unit_cycle(
    aux: Any, layout: _Layout, split: str, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray]:
    """Unit ids and cycles of a block as int64: a fractional or missing one is not a unit."""
    block = _block(aux, layout.path, start, stop)
    found = []
    for at, what in ((layout.unit_at, UNIT), (layout.cycle_at, CYCLE)):
        column = block[:, at]
        bad = ~np.isfinite(column) | (column != np.round(column)) | (np.abs(column) >= 2.0**53)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{what} {float(column[i])!r} is not a whole number",
                file=layout.path,
                row=start + i + 1,
                column=f"A_{split}",
                hint=f"A's '{what}' column holds whole numbers",
            )
        found.append(column.astype(np.int64))
    return found[0], found[1]


@dataclass
class _Groups:
    """Consecutive (unit, cycle) groups of rows, reduced: first row's keys, sums or last rows."""

    units: np.ndarray
    cycles: np.ndarray
    values: np.ndarray
    counts: np.ndarray
    rul: np.ndarray

    def part(self, keep: slice) -> _Groups:
        return _Groups(
            self.units[keep],
            self.cycles[keep],
            self.values[keep],
            self.counts[keep],
            self.rul[keep],
        )

    @staticmethod
    def join(parts: list[_Groups]) -> _Groups:
        return _Groups(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(_Groups))
        )


class _CycleReducer:
    """Folds row blocks, in file order, into one row per (unit, cycle).

    A block's last group may go on in the next block, so it is held back
    (``pending``) and merged into the next block's first group when their
    unit and cycle match. Only the finished groups are kept, so memory grows
    with the number of cycles, not rows.
    """

    def __init__(self, rule: str, path: Path, dataset: str):
        self.rule = rule
        self.path = path
        self.dataset = dataset
        self.done: list[_Groups] = []
        self.pending: _Groups | None = None
        self.seen_units: set[int] = set()

    def feed(
        self, units: np.ndarray, cycles: np.ndarray, values: np.ndarray, rul: np.ndarray, start: int
    ) -> None:
        """Reduce one block whose first row is row ``start`` (0-based) of the dataset."""
        self._check_order(units, cycles, start)
        begins = np.flatnonzero(
            np.r_[True, (units[1:] != units[:-1]) | (cycles[1:] != cycles[:-1])]
        )
        ends = np.r_[begins[1:], len(units)]
        if self.rule == "mean":
            reduced = np.add.reduceat(values, begins, axis=0)
        else:
            reduced = values[ends - 1]
        groups = _Groups(units[begins], cycles[begins], reduced, ends - begins, rul[ends - 1])
        self._merge_pending(groups)
        self.done.append(groups.part(slice(None, -1)))
        self.pending = groups.part(slice(-1, None))

    def _merge_pending(self, groups: _Groups) -> None:
        """The held-back group joins this block's first group, or is finished."""
        held = self.pending
        if held is None:
            return
        if held.units[0] == groups.units[0] and held.cycles[0] == groups.cycles[0]:
            if self.rule == "mean":
                groups.values[0] += held.values[0]
            groups.counts[0] += held.counts[0]
        else:
            self.done.append(held)

    def _check_order(self, units: np.ndarray, cycles: np.ndarray, start: int) -> None:
        """Cycles never go back within a unit, and a unit's rows stay together.

        Checked against the previous block's last row too, so a fault at a block
        boundary is found whatever ``chunk_rows`` is.
        """
        held = self.pending
        lead = 0 if held is None else 1
        if held is not None:
            units, cycles = np.r_[held.units, units], np.r_[held.cycles, cycles]
        same = units[1:] == units[:-1]
        back = np.flatnonzero(same & (cycles[1:] < cycles[:-1]))
        if back.size:
            at = int(back[0]) + 1
            raise self._error(
                f"unit {units[at]}: cycle goes back from {cycles[at - 1]} to {cycles[at]}",
                start + at - lead,
            )
        for at in np.flatnonzero(np.r_[not lead, ~same]).tolist():
            if int(units[at]) in self.seen_units:
                raise self._error(
                    f"unit {units[at]} appears again after other units", start + at - lead
                )
            self.seen_units.add(int(units[at]))

    def _error(self, problem: str, row: int) -> DataError:
        """A row-order fault at 0-based dataset row ``row``."""
        return DataError(
            problem, file=self.path, row=row + 1, column=self.dataset, hint=_ORDER_HINT
        )

    def finish(self) -> _Groups:
        """All groups, the last one included; ``values`` become means under the mean rule."""
        parts = self.done + ([] if self.pending is None else [self.pending])
        groups = _Groups.join(parts)
        if self.rule == "mean":
            groups.values = groups.values / groups.counts[:, None]
        return groups


def _fleet(groups: _Groups, layout: _Layout, split: str) -> Fleet:
    """The canonical frame; the test split gets its truth from Y at each unit's last row."""
    frame = pd.DataFrame(groups.values, columns=[*layout.settings, *layout.sensors])
    frame.insert(0, CYCLE, groups.cycles)
    frame.insert(0, UNIT, groups.units)
    train = split == "dev"
    truth = None
    if not train:
        last = pd.Series(groups.rul).groupby(groups.units, sort=False).last()
        truth = pd.Series(
            last.to_numpy(), index=pd.Index(last.index.to_numpy(np.int64), name=UNIT), name="rul"
        )
    return Fleet(
        name=f"N-CMAPSS {layout.path.name} {split}",
        frame=frame,
        sensor_columns=layout.sensors,
        setting_columns=layout.settings,
        run_to_failure=train,
        truth_rul=truth,
    )
