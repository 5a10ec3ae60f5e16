"""Data sources named the way users type them: ``demo``, ``cmapss:FD001``, ``csv:PATH``.

A :class:`SourceSpec` is plain data (it goes into every run's config.json so the
run can be repeated) and :func:`load_source` turns it into a :class:`FleetPair`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from core.data.cmapss import SUBSETS, load_cmapss
from core.data.csv_source import ColumnMapping, preview_csv, read_fleet_csv, read_truth_csv
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet import Fleet, FleetPair
from core.errors import DataError


@dataclass(frozen=True)
class SourceSpec:
    """Where the data comes from and how to read it.

    Attributes
    ----------
    kind
        ``demo``, ``cmapss`` or ``csv``.
    subset
        C-MAPSS subset (``FD001`` .. ``FD004``).
    path
        Run-to-failure CSV for ``csv``.
    cmapss_dir
        C-MAPSS folder or zip; ``None`` uses ``$RUL_WORKBENCH_CMAPSS``.
    unit_col, time_col, setting_cols, ignore_cols
        Explicit column mapping for CSV files (``None``/empty: detected).
    test_csv, truth_csv
        Optional in-service CSV and its truth file (RUL per unit).
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
    demo: DemoConfig = field(default_factory=DemoConfig)

    @property
    def label(self) -> str:
        """The short form users type (``cmapss:FD001``)."""
        if self.kind == "cmapss":
            return f"cmapss:{self.subset}"
        if self.kind == "csv":
            return f"csv:{self.path}"
        return "demo"

    @classmethod
    def parse(cls, text: str, **options) -> SourceSpec:
        """``demo`` | ``cmapss:FD00x`` | ``csv:PATH`` plus keyword options."""
        kind, _, rest = text.partition(":")
        kind = kind.strip().lower()
        if kind == "demo":
            return cls(kind="demo", **options)
        if kind == "cmapss":
            subset = rest.strip().upper()
            if subset not in SUBSETS:
                raise DataError(f"unknown C-MAPSS subset '{rest}'", hint=f"use one of {SUBSETS}")
            return cls(kind="cmapss", subset=subset, **options)
        if kind == "csv" and rest:
            return cls(kind="csv", path=rest, **options)
        raise DataError(
            f"unknown data source '{text}'",
            hint="use demo, cmapss:FD001..cmapss:FD004 or csv:PATH",
        )

    def to_dict(self) -> dict:
        out = asdict(self)
        out["setting_cols"] = list(self.setting_cols)
        out["ignore_cols"] = list(self.ignore_cols)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> SourceSpec:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["setting_cols"] = tuple(data.get("setting_cols") or ())
        data["ignore_cols"] = tuple(data.get("ignore_cols") or ())
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
    raise DataError(f"unknown data source kind '{spec.kind}'")


def column_mapping(spec: SourceSpec) -> ColumnMapping:
    """The CSV column roles a source names (empty ones are detected from the file)."""
    return ColumnMapping(
        unit=spec.unit_col,
        time=spec.time_col,
        settings=tuple(spec.setting_cols),
        ignore=tuple(spec.ignore_cols),
    )


def _load_csv(spec: SourceSpec) -> FleetPair:
    mapping = column_mapping(spec)
    train = read_fleet_csv(Path(spec.path or ""), mapping, run_to_failure=True)
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
    test = read_fleet_csv(Path(spec.test_csv or ""), in_service, False, reference=train.frame)
    if spec.truth_csv:
        test.truth_rul = read_truth_csv(Path(spec.truth_csv), test)
    return test


def _as_trained(spec: SourceSpec, mapping: ColumnMapping, train: Fleet) -> ColumnMapping:
    """The training file's resolved columns, so the in-service file is read the same way."""
    detected = preview_csv(Path(spec.path or ""), mapping=mapping).mapping
    return replace(
        mapping,
        unit=mapping.unit or (detected.unit if detected else None),
        time=mapping.time or (detected.time if detected else None),
        settings=tuple(train.setting_columns),
        sensors=tuple(train.sensor_columns),
    )
