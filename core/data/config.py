"""Typed preprocessing settings with the defaults of docs/data.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from core.common.settings import check, from_dict, setting

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

    degrading: float = setting(
        80.0,
        help="health: a window is 'degrading' when its capped RUL is at or below this "
        "(RUL <= value) and above --critical-below; above it, 'normal'",
        label="Degrading at RUL ≤",
        flag="--degrading-below",
        minimum=0.0,
        maximum=10_000.0,
        step=5.0,
    )
    critical: float = setting(
        30.0,
        help="health: a window is 'critical' when its capped RUL is at or below this "
        "(RUL <= value)",
        label="Critical at RUL ≤",
        flag="--critical-below",
        minimum=0.0,
        maximum=10_000.0,
        step=5.0,
    )

    NAMES = ("normal", "degrading", "critical")

    def __post_init__(self) -> None:
        check(self)
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
    smoothing
        Exponential smoothing factor alpha of the normalised readings, per
        unit and causal (``s_t = alpha x_t + (1 - alpha) s_{t-1}``, ``s_0 =
        x_0``); 1 is off. Sensor noise is large next to the slow degradation
        trend, and a smoothed window shows the trend with fewer cycles.
    rul_cap
        Cap of the piecewise-linear RUL target.
    health
        Health-state thresholds on the capped RUL.
    sensors
        Feature columns to use. ``None`` means: the 14 informative C-MAPSS
        sensors for C-MAPSS, and every non-constant sensor for other data.
    sensors_by
        ``monotonicity``, ``trendability`` or ``prognosability``: keep the
        ``sensors_top`` non-constant sensors (of ``sensors``, if given) that
        score best on the fitting units (:mod:`core.data.health_indicators`),
        instead of the source's recommendation. Empty (the default): off.
    sensors_top
        How many sensors ``sensors_by`` keeps.
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
    test_units
        For a source without a test fleet (a user's single run-to-failure
        file): units held out as a test set, a share below 1 or a whole
        count; 0 means no test set (:mod:`core.data.holdout`).
    seed
        Seed of the validation and test splits and of KMeans.
    eps
        Added to the standard deviation in the z-score.
    """

    window: int = setting(
        40, help="cycles per input window", label="Window (cycles)", minimum=1, maximum=500
    )
    smoothing: float = setting(
        1.0,
        help="exponential smoothing of each unit's normalised readings: the newest reading's "
        "weight alpha (1: off, every reading as read; RVE uses 0.1). Causal: a smoothed "
        "value depends only on the unit's earlier readings",
        label="Smoothing (alpha)",
        minimum=0.01,
        maximum=1.0,
        step=0.05,
    )
    rul_cap: float = setting(
        125.0,
        help="cap of the piecewise-linear RUL target",
        label="RUL cap",
        minimum=1.0,
        maximum=10_000.0,
        step=5.0,
    )
    health: HealthThresholds = setting(
        default_factory=HealthThresholds, help="health-state thresholds", label="Health"
    )
    sensors: tuple[str, ...] | None = setting(
        None,
        help="feature columns a,b,c (default: informative / non-constant)",
        label="Sensors",
    )
    sensors_by: str = setting(
        "",
        help="rank the non-constant sensors (of --sensors, if given) by this health-indicator "
        "score on the fitting units and keep the best --sensors-top (empty: off, the source's "
        "or the explicit choice as before)",
        label="Rank sensors by",
        choices=("", "monotonicity", "trendability", "prognosability"),
    )
    sensors_top: int = setting(
        8,
        help="how many sensors --sensors-by keeps",
        label="Best sensors kept",
        minimum=1,
        maximum=1000,
    )
    include_settings: bool = setting(
        False, help="also feed the operating settings to the model", label="Settings as inputs"
    )
    conditions: int | None = setting(
        None,
        help="operating conditions, KMeans k (default: by source)",
        label="Conditions",
        minimum=1,
        maximum=20,
    )
    constant_tolerance: float = setting(
        1e-6,
        help="drop training columns whose std is below this",
        label="Constant below",
        minimum=0.0,
        maximum=1e6,
        step=1e-6,
    )
    val_fraction: float = setting(
        0.2,
        help="share of training units held out for validation (at least 0.05: the kept "
        "epoch, early stopping and the intervals are judged on them)",
        label="Validation share",
        minimum=0.05,
        maximum=0.95,
        step=0.05,
    )
    test_units: float = setting(
        0.0,
        help="run-to-failure units held out as a test set when the source has none: a share "
        "(0.2) or a count (20), each cut at a random point of its life; 0: no test set, the "
        "results are validation figures",
        label="Test units held out",
        minimum=0.0,
        maximum=100_000.0,
        step=1.0,
        decimals=2,
    )
    seed: int = setting(
        0,
        help="seed of the validation and test splits and of KMeans",
        label="Data seed",
        flag="--data-seed",
        minimum=0,
        maximum=2**31 - 1,
    )
    eps: float = setting(
        1e-8,
        help="added to the std in the z-score",
        label="z-score epsilon",
        minimum=0.0,
        maximum=1.0,
        step=1e-8,
    )

    def __post_init__(self) -> None:
        check(self)
        if self.test_units >= 1 and not float(self.test_units).is_integer():
            raise ValueError(
                f"test_units must be a share below 1 or a whole number of units, "
                f"got {self.test_units:g}"
            )

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (for run configs)."""
        out = asdict(self)
        out["sensors"] = list(self.sensors) if self.sensors is not None else None
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PreprocessConfig:
        """Inverse of :meth:`to_dict`; unknown keys and values of the wrong kind are refused."""
        return from_dict(cls, data, "preprocessing setting")
