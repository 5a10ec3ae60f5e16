"""A fleet written as a maintenance system exports it: engine files and a removals log.

Used to show (and to test) what the readers accept: one CSV per engine serial
with a ``timestamp`` text column and cycles and hours since new (``CSN``,
``TSN_h``) instead of a cycle column, a removals log (``esn, removal_date,
CSN_at_removal, reason``) in which a share of the engines were removed for
scheduled maintenance before they failed, and the in-service engines with
their true remaining cycles. ``rulwb data export`` writes one from any source.

The suspended engines are cut at a seeded 40-90 % of their life, so the
fleet's truth is known: the same engines' whole lives are the reference a
censoring-aware training is measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.fleet import CYCLE, UNIT, Fleet, FleetPair

#: Share of each suspended engine's life it ran before its scheduled removal.
SUSPENDED_LIFE = (0.4, 0.9)
_START = pd.Timestamp("2019-01-01 06:00")


@dataclass(frozen=True)
class ExportedFleet:
    """Where an export wrote each part, and which engines it suspended."""

    engines: Path
    removals: Path
    in_service: Path | None
    truth: Path | None
    suspended: tuple[str, ...]
    failed: tuple[str, ...]


def serial(unit: object) -> str:
    """An engine serial for a unit id (``7`` -> ``ESN-70007``)."""
    text = str(unit)
    return f"ESN-{70000 + int(text)}" if text.lstrip("-").isdigit() else text


def export_fleet(
    pair: FleetPair,
    out: str | Path,
    suspended_share: float = 0.4,
    seed: int = 0,
    digits: int | None = None,
) -> ExportedFleet:
    """Write ``pair`` as engine folders and a removals log under ``out``; see the module doc.

    ``digits``: significant digits of the readings written (``None``: every digit of
    the float). Historians keep about 6, as C-MAPSS does, in about half the space.
    """
    if digits is not None and digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}")
    out = Path(out)
    float_format = None if digits is None else f"%.{digits}g"
    rng = np.random.default_rng(seed)
    units = pair.train.unit_ids
    n_suspended = round(suspended_share * len(units))
    chosen = set(rng.choice(len(units), n_suspended, replace=False).tolist())
    shares = rng.uniform(*SUSPENDED_LIFE, len(units))
    engines = out / "engines"
    engines.mkdir(parents=True, exist_ok=True)
    removals: list[dict] = []
    suspended: list[str] = []
    failed: list[str] = []
    for i, (unit, rows) in enumerate(pair.train.frame.groupby(UNIT, sort=False)):
        kept = max(int(len(rows) * shares[i]), 1) if i in chosen else len(rows)
        table = _engine_table(rows.iloc[:kept], pair.train, rng)
        table.to_csv(engines / f"{serial(unit)}.csv", index=False, float_format=float_format)
        (suspended if i in chosen else failed).append(serial(unit))
        removals.append(_removal(serial(unit), table, i in chosen, rng))
    removals_path = out / "removals.csv"
    pd.DataFrame(removals).to_csv(removals_path, index=False)
    in_service, truth = _export_in_service(pair.test, out, rng, float_format)
    return ExportedFleet(engines, removals_path, in_service, truth, tuple(suspended), tuple(failed))


def _engine_table(rows: pd.DataFrame, fleet: Fleet, rng: np.random.Generator) -> pd.DataFrame:
    """One engine's records: timestamp, CSN, TSN_h, settings and sensors (no unit column)."""
    cycles = rows[CYCLE].to_numpy()
    gaps = rng.uniform(6.0, 30.0, len(cycles))  # hours between flights, irregular
    start = _START + pd.Timedelta(days=float(rng.uniform(0, 700)))
    times = start + pd.to_timedelta(np.cumsum(gaps), unit="h")
    hours = np.round(np.cumsum(rng.uniform(1.2, 2.6, len(cycles))), 1)
    table = pd.DataFrame(
        {
            "timestamp": times.strftime("%Y-%m-%d %H:%M:%S"),
            "CSN": cycles,
            "TSN_h": hours,
        }
    )
    columns = [*fleet.setting_columns, *fleet.sensor_columns]
    for column in columns:
        table[column] = rows[column].to_numpy()
    return table


def _removal(esn: str, table: pd.DataFrame, suspended: bool, rng) -> dict:
    """The removal record ending an engine's file: scheduled (suspended) or a failure."""
    reason = (
        "scheduled maintenance"
        if suspended
        else str(rng.choice(["unscheduled - failure", "failure: EGT margin exceeded"]))
    )
    return {
        "esn": esn,
        "removal_date": str(table["timestamp"].iloc[-1])[:10],
        "CSN_at_removal": int(table["CSN"].iloc[-1]),
        "reason": reason,
    }


def _export_in_service(
    test: Fleet | None, out: Path, rng: np.random.Generator, float_format: str | None = None
) -> tuple[Path | None, Path | None]:
    """The in-service engines as a folder, and their truth (``esn,remaining_cycles``)."""
    if test is None:
        return None, None
    folder = out / "in_service"
    folder.mkdir(parents=True, exist_ok=True)
    for unit, rows in test.frame.groupby(UNIT, sort=False):
        table = _engine_table(rows, test, rng)
        table.to_csv(folder / f"{serial(unit)}.csv", index=False, float_format=float_format)
    if test.truth_rul is None:
        return folder, None
    truth = out / "in_service_truth.csv"
    pd.DataFrame(
        {
            "esn": [serial(u) for u in test.truth_rul.index],
            "remaining_cycles": test.truth_rul.to_numpy(),
        }
    ).to_csv(truth, index=False)
    return folder, truth
