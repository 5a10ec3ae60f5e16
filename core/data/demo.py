"""The built-in demo fleet: a seeded synthetic turbofan fleet that looks like C-MAPSS.

Each unit starts with its own initial wear and manufacturing offsets, wears
along a health index that accelerates toward failure, and shows that wear in a
subset of its sensors under realistic noise. Some sensors are constant and one
is pure noise, so feature selection has something to do. Optionally the units
fly in several operating conditions that shift every sensor, as in FD002/FD004.
The in-service split is cut before failure and comes with its true RUL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.data.fleet import CYCLE, UNIT, Fleet, FleetPair

SETTINGS = ("setting_1", "setting_2", "setting_3")
SENSORS = tuple(f"s{i}" for i in range(1, 22))

# Sensor baselines at condition 0 (C-MAPSS-like magnitudes) and, for the
# degrading sensors, the shift at failure in units of the noise level.
_BASELINE = np.array(
    [
        518.67,
        642.5,
        1590.5,
        1408.9,
        14.62,
        21.61,
        553.4,
        2388.1,
        9065.2,
        1.30,
        47.54,
        521.4,
        2388.1,
        8143.7,
        8.44,
        0.03,
        392.0,
        2388.0,
        100.0,
        38.8,
        23.29,
    ]
)
_NOISE = np.array(
    [
        0.0,
        0.5,
        6.0,
        9.0,
        0.0,
        0.001,
        0.9,
        0.07,
        22.0,
        0.0,
        0.27,
        0.74,
        0.07,
        19.0,
        0.037,
        0.0,
        1.5,
        0.0,
        0.0,
        0.18,
        0.11,
    ]
)
_SHIFT = np.array(
    [0, 4, 4, 5, 0, 0, -4, 3, 1.5, 0, 5, -4.5, 3, 1.5, 4.5, 0, 3.5, 0, 0, -4.5, -4.5], dtype=float
)
_CONDITIONS = np.array(
    [
        [0.0, 0.0, 100.0],
        [10.0, 0.25, 100.0],
        [20.0, 0.70, 100.0],
        [25.0, 0.62, 60.0],
        [35.0, 0.84, 100.0],
        [42.0, 0.84, 100.0],
    ]
)


@dataclass(frozen=True)
class DemoConfig:
    """Size and character of the demo fleet (defaults: FD001-like, quick to train)."""

    train_units: int = 200
    test_units: int = 100
    conditions: int = 1
    min_life: int = 128
    mean_extra_life: float = 80.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.train_units < 2 or self.test_units < 0:
            raise ValueError("the demo fleet needs at least 2 training units")
        if not 1 <= self.conditions <= len(_CONDITIONS):
            raise ValueError(f"demo conditions must be 1..{len(_CONDITIONS)}")

    def to_dict(self) -> dict:
        return asdict(self)


def _unit_frames(rng: np.random.Generator, n: int, cfg: DemoConfig, cut: bool) -> pd.DataFrame:
    """Rows of ``n`` units; with ``cut`` each unit stops before failure (in service)."""
    life = cfg.min_life + rng.gamma(2.0, cfg.mean_extra_life / 2.0, n).round().astype(int)
    shown = life.copy()
    if cut:
        shown = np.maximum((life * rng.uniform(0.25, 0.97, n)).astype(int), 5)
    unit = np.repeat(np.arange(1, n + 1), shown)
    start = np.r_[0, np.cumsum(shown)[:-1]]
    cycle = np.arange(len(unit)) - np.repeat(start, shown) + 1
    frac = cycle / np.repeat(life, shown)
    wear0 = np.repeat(rng.uniform(0.0, 0.15, n), shown)
    rate = np.repeat(rng.uniform(3.0, 6.0, n), shown)
    health_index = wear0 + (1 - wear0) * np.expm1(rate * frac) / np.expm1(rate)
    condition = rng.integers(0, cfg.conditions, len(unit))
    settings = _CONDITIONS[condition] + rng.normal(0, [0.002, 0.0003, 0.0], (len(unit), 3))
    offsets = np.repeat(rng.normal(0, 0.8, (n, len(SENSORS))), shown, axis=0) * _NOISE
    scale = 1.0 + 0.08 * condition[:, None] * (_NOISE > 0)
    noise = rng.normal(0, 1, (len(unit), len(SENSORS))) * _NOISE
    sensors = (_BASELINE + offsets) * scale + np.outer(health_index, _SHIFT * _NOISE) + noise
    frame = pd.DataFrame(sensors, columns=list(SENSORS))
    frame.insert(0, UNIT, unit)
    frame.insert(1, CYCLE, cycle)
    for i, name in enumerate(SETTINGS):
        frame.insert(2 + i, name, settings[:, i])
    frame.attrs["life"] = life
    frame.attrs["shown"] = shown
    return frame


def make_demo_fleet(config: DemoConfig | None = None) -> FleetPair:
    """The demo fleet: run-to-failure training units and cut in-service units with truth."""
    cfg = config or DemoConfig()
    rng = np.random.default_rng(cfg.seed)
    train_frame = _unit_frames(rng, cfg.train_units, cfg, cut=False)
    test_frame = _unit_frames(rng, cfg.test_units, cfg, cut=True)
    truth = pd.Series(
        (test_frame.attrs["life"] - test_frame.attrs["shown"]).astype(float),
        index=pd.Index(np.arange(1, cfg.test_units + 1), name=UNIT),
        name="rul",
    )
    label = "demo fleet" + (f" ({cfg.conditions} conditions)" if cfg.conditions > 1 else "")
    settings = list(SETTINGS)
    train = Fleet(f"{label} train", train_frame, list(SENSORS), settings, True)
    test = Fleet(f"{label} in service", test_frame, list(SENSORS), settings, False, truth)
    return FleetPair(train=train, test=test, source="demo", conditions=cfg.conditions)
