"""Typed preprocessing settings with the defaults of docs/data.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

CMAPSS_INFORMATIVE_SENSORS: tuple[str, ...] = (
    "s2",
    "s3",
    "s4",
    "s7",
    "s8",
    "s9",
    "s11",
    "s12",
    "s13",
    "s14",
    "s15",
    "s17",
    "s20",
    "s21",
)


@dataclass(frozen=True)
class HealthThresholds:
    """Health-state thresholds on the capped RUL (in cycles).

    normal if RUL > ``degrading``; degrading if ``critical`` < RUL <= ``degrading``;
    critical if RUL <= ``critical``.
    """

    degrading: float = 80.0
    critical: float = 30.0

    NAMES = ("normal", "degrading", "critical")

    def __post_init__(self) -> None:
        if not self.critical < self.degrading:
            raise ValueError(
                f"health thresholds: critical ({self.critical}) must be below "
                f"degrading ({self.degrading})"
            )

    def classify(self, rul: np.ndarray) -> np.ndarray:
        """Class index per RUL value: 0 normal, 1 degrading, 2 critical."""
        rul = np.asarray(rul)
        labels = np.zeros(rul.shape, dtype=np.int64)
        labels[rul <= self.degrading] = 1
        labels[rul <= self.critical] = 2
        return labels


@dataclass(frozen=True)
class PreprocessConfig:
    """Every setting of the data protocol, with the book's defaults.

    Attributes
    ----------
    window
        Window length W in cycles; a window's labels are its last cycle's.
    rul_cap
        Cap of the piecewise-linear RUL target.
    health
        Health-state thresholds on the capped RUL.
    sensors
        Feature columns to use. ``None`` means: the 14 informative C-MAPSS
        sensors for C-MAPSS, and every non-constant sensor for other data.
    include_settings
        Also feed the operating settings to the model as features.
    conditions
        Number of operating conditions (KMeans clusters on the settings).
        ``None`` means: 6 for the multi-condition C-MAPSS subsets (FD002,
        FD004), 1 otherwise.
    constant_tolerance
        A training column whose standard deviation is below this is dropped.
    val_fraction
        Share of training units held out for validation (by unit).
    seed
        Seed of the validation split and of KMeans.
    eps
        Added to the standard deviation in the z-score.
    """

    window: int = 30
    rul_cap: float = 125.0
    health: HealthThresholds = field(default_factory=HealthThresholds)
    sensors: tuple[str, ...] | None = None
    include_settings: bool = False
    conditions: int | None = None
    constant_tolerance: float = 1e-6
    val_fraction: float = 0.2
    seed: int = 0
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"window must be at least 1, got {self.window}")
        if self.rul_cap <= 0:
            raise ValueError(f"rul_cap must be positive, got {self.rul_cap}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.conditions is not None and self.conditions < 1:
            raise ValueError(f"conditions must be at least 1, got {self.conditions}")

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (for run configs)."""
        out = asdict(self)
        out["sensors"] = list(self.sensors) if self.sensors is not None else None
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PreprocessConfig:
        """Inverse of :meth:`to_dict`; unknown keys are rejected."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown preprocessing settings: {sorted(unknown)}")
        data = dict(data)
        if isinstance(data.get("health"), dict):
            data["health"] = HealthThresholds(**data["health"])
        if data.get("sensors") is not None:
            data["sensors"] = tuple(data["sensors"])
        return cls(**data)
