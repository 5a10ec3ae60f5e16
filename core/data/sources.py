"""Data sources named as users type them: ``demo``, ``cmapss:FD001``, ``csv:PATH``, ``ncmapss:F``.

``csv:PATH`` is one file, a folder of one file per unit, or a glob
(``csv:fleet/*.csv``); CSV and Parquet files are read alike.

A :class:`SourceSpec` is plain data (it goes into every run's config.json so the
run can be repeated) and :func:`load_source` turns it into a :class:`FleetPair`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from core.common.errors import DataError
from core.data.cmapss import SUBSETS, load_cmapss
from core.data.csv_source import (
    ColumnMapping,
    ReadOptions,
    preview_csv,
    read_fleet_csv,
    read_truth_csv,
)
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet import Fleet, FleetPair
from core.data.fleet_files import columns_as_read, fleet_files, is_many_files, read_fleet_files
from core.data.removals import apply_removals, read_removals


@dataclass(frozen=True)
class SourceSpec:
    """Where the data comes from and how to read it.

    Attributes
    ----------
    kind
        ``demo``, ``cmapss``, ``csv`` or ``ncmapss``.
    subset
        C-MAPSS subset (``FD001`` .. ``FD004``).
    path
        Run-to-failure CSV for ``csv`` (a file, a folder of one file per
        unit, or a glob); the HDF5 file for ``ncmapss``.
    cmapss_dir
        C-MAPSS folder or zip; ``None`` uses ``$RUL_WORKBENCH_CMAPSS``.
    unit_col, time_col, setting_cols, ignore_cols
        Explicit column mapping for CSV files (``None``/empty: detected).
    test_csv, truth_csv
        Optional in-service CSV (file, folder or glob) and its truth file.
    removals
        Removals log (unit, time or date, reason) saying which training units
        failed and which were suspended; ``None``: every unit failed.
    failure_reasons
        Words of a removal reason that mean failure (empty: detected).
    per_cycle
        ``mean`` or ``last``: reduce several rows of one cycle to one.
    time_unit
        ``cycles`` or ``hours`` (``None``: from the time column's name).
    demo
        Demo fleet settings.
    """

    kind: str = "demo"
    subset: str | None = None
    path: str | None = None
    cmapss_dir: str | None = None
    unit_col: str | None = None
    time_col: str | None = None
    setting_cols: tuple[str, ...] = ()
    ignore_cols: tuple[str, ...] = ()
    test_csv: str | None = None
    truth_csv: str | None = None
    removals: str | None = None
    failure_reasons: tuple[str, ...] = ()
    per_cycle: str | None = None
    time_unit: str | None = None
    demo: DemoConfig = field(default_factory=DemoConfig)

    @property
    def label(self) -> str:
        """The short form users type (``cmapss:FD001``)."""
        if self.kind == "cmapss":
            return f"cmapss:{self.subset}"
        if self.kind in ("csv", "ncmapss"):
            return f"{self.kind}:{self.path}"
        return "demo"

    @classmethod
    def parse(cls, text: str, **options) -> SourceSpec:
        """``demo`` | ``cmapss:FD00x`` | ``csv:PATH`` | ``ncmapss:FILE`` plus keyword options."""
        kind, _, rest = text.partition(":")
        kind = kind.strip().lower()
        if kind == "demo":
            return cls(kind="demo", **options)
        if kind == "cmapss":
            subset = rest.strip().upper()
            if subset not in SUBSETS:
                raise DataError(f"unknown C-MAPSS subset '{rest}'", hint=f"use one of {SUBSETS}")
            return cls(kind="cmapss", subset=subset, **options)
        if kind in ("csv", "ncmapss") and rest:
            return cls(kind=kind, path=rest, **options)
        raise DataError(
            f"unknown data source '{text}'",
            hint="use demo, cmapss:FD001..cmapss:FD004, csv:PATH (a file, folder or glob) "
            "or ncmapss:FILE.h5",
        )

    def to_dict(self) -> dict:
        out = asdict(self)
        out["setting_cols"] = list(self.setting_cols)
        out["ignore_cols"] = list(self.ignore_cols)
        out["failure_reasons"] = list(self.failure_reasons)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> SourceSpec:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["setting_cols"] = tuple(data.get("setting_cols") or ())
        data["ignore_cols"] = tuple(data.get("ignore_cols") or ())
        data["failure_reasons"] = tuple(data.get("failure_reasons") or ())
        if isinstance(data.get("demo"), dict):
            data["demo"] = DemoConfig(**data["demo"])
        return cls(**data)


def load_source(spec: SourceSpec) -> FleetPair:
    """Read the fleets a source names; every problem is a :class:`DataError`."""
    if spec.kind == "demo":
        return make_demo_fleet(spec.demo)
    if spec.kind == "cmapss":
        return load_cmapss(spec.subset or "", spec.cmapss_dir)
    if spec.kind == "csv":
        return _load_csv(spec)
    if spec.kind == "ncmapss":
        from core.data.ncmapss import load_ncmapss  # h5py only when asked for

        return load_ncmapss(spec.path or "", per_cycle=spec.per_cycle or "mean")
    raise DataError(f"unknown data source kind '{spec.kind}'")


def column_mapping(spec: SourceSpec) -> ColumnMapping:
    """The CSV column roles a source names (empty ones are detected from the file)."""
    return ColumnMapping(
        unit=spec.unit_col,
        time=spec.time_col,
        settings=tuple(spec.setting_cols),
        ignore=tuple(spec.ignore_cols),
    )


def read_options(spec: SourceSpec) -> ReadOptions:
    """How the source's files record time (per-cycle rule, time unit)."""
    return ReadOptions(per_cycle=spec.per_cycle, time_unit=spec.time_unit)


def read_fleet(
    location: str,
    mapping: ColumnMapping,
    run_to_failure: bool,
    options: ReadOptions,
    reference=None,
) -> Fleet:
    """One fleet from a file, a folder of per-unit files or a glob."""
    if is_many_files(location):
        return read_fleet_files(location, mapping, run_to_failure, reference, options)
    return read_fleet_csv(Path(location), mapping, run_to_failure, None, reference, options)


def read_training_fleet(spec: SourceSpec) -> Fleet:
    """The run-to-failure fleet of a CSV source, with its suspended units when a log says so."""
    train = read_fleet(spec.path or "", column_mapping(spec), True, read_options(spec))
    if spec.removals:
        time_col = spec.time_col or _detected_time(spec)
        records = read_removals(spec.removals, spec.failure_reasons, time_col)
        train = apply_removals(train, records, spec.removals)
    return train


def _detected_time(spec: SourceSpec) -> str | None:
    detected = preview_csv(first_file(spec.path or ""), mapping=column_mapping(spec)).mapping
    return detected.time if detected else None


def first_file(location: str) -> Path:
    """The file whose header stands for a source's columns (the first of a folder)."""
    return fleet_files(location)[0] if is_many_files(location) else Path(location)


def _load_csv(spec: SourceSpec) -> FleetPair:
    train = read_training_fleet(spec)
    test = read_in_service(spec, train) if spec.test_csv else None
    if spec.truth_csv and not spec.test_csv:
        raise DataError("a truth file was given without an in-service CSV", file=spec.truth_csv)
    return FleetPair(train=train, test=test, source=spec.label)


def read_in_service(spec: SourceSpec, train: Fleet) -> Fleet:
    """A CSV source's in-service file (and its truth), read with the training file's columns.

    Also what the import dialog checks when the user attaches an in-service
    file as the test set, so the dialog accepts exactly what training reads.
    """
    in_service = _as_trained(spec, column_mapping(spec), train)
    options = dataclasses.replace(read_options(spec), time_unit=train.time_unit)
    test = read_fleet(spec.test_csv or "", in_service, False, options, train.frame)
    if spec.truth_csv:
        test.truth_rul = read_truth_csv(Path(spec.truth_csv), test)
    return test


def _as_trained(spec: SourceSpec, mapping: ColumnMapping, train: Fleet) -> ColumnMapping:
    """The training file's resolved columns, so the in-service file is read the same way."""
    return columns_as_read(first_file(spec.path or ""), mapping, train)
