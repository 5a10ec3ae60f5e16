"""The steps of the data protocol: features, operating conditions, z-score, labels.

Every statistic (constant columns, KMeans centres, means and standard
deviations) is fitted on the training units only and then applied unchanged
to validation, test and in-service units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from core.common.errors import DataError
from core.data.config import PreprocessConfig
from core.data.fleet import CYCLE, UNIT, Fleet
from core.data.health_indicators import rank_sensors, scores_record, sensor_scores


@dataclass(frozen=True)
class FeatureChoice:
    """Columns fed to the model, and the candidates left out with the reason."""

    used: tuple[str, ...]
    dropped: dict[str, str]
    #: With ``sensors_by``: each ranked sensor's scores on the fitting units (None: undefined).
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)
    #: The health-indicator score the sensors were ranked by; "" when they were not.
    ranked_by: str = ""


def choose_features(
    train: Fleet,
    config: PreprocessConfig,
    recommended: tuple[str, ...] | None,
    conditions: np.ndarray | None = None,
) -> FeatureChoice:
    """Pick feature columns: explicit list, else the source's list, else non-constant sensors.

    With ``config.sensors_by``, the best ``config.sensors_top`` non-constant
    sensors (of the explicit list, if any) by that score on ``train``, whose
    rows' operating ``conditions`` z-score them first when there are several.
    """
    candidates = list(train.sensor_columns)
    scores: dict[str, dict[str, float | None]] = {}
    if config.sensors_by:
        used, dropped, scores = _best_sensors(train, config, conditions)
    elif config.sensors is not None:
        _check_columns_exist(train, config.sensors)
        used = list(config.sensors)
        dropped = {c: "not selected" for c in candidates if c not in used}
    elif recommended is not None:
        used = [c for c in recommended if c in candidates]
        dropped = {c: "not informative for this data set" for c in candidates if c not in used}
    else:
        std = train.frame[candidates].std(ddof=0)
        constant = std < config.constant_tolerance
        used = [c for c in candidates if not constant[c]]
        dropped = {c: f"constant on training units (std {std[c]:.3g})" for c in std.index[constant]}
    if config.include_settings:
        used += [c for c in train.setting_columns if c not in used]
    if not used:
        raise DataError(
            "no usable feature column: every sensor is constant on the training units",
            file=train.name,
        )
    return FeatureChoice(tuple(used), dropped, scores, config.sensors_by)


def _best_sensors(
    train: Fleet, config: PreprocessConfig, conditions: np.ndarray | None
) -> tuple[list[str], dict[str, str], dict[str, dict[str, float | None]]]:
    """The sensors ``config.sensors_by`` ranks best, the others with why, and the scores."""
    pool = list(train.sensor_columns)
    if config.sensors is not None:
        _check_columns_exist(train, config.sensors)
        pool = list(config.sensors)
    std = train.frame[pool].std(ddof=0)
    constant = std < config.constant_tolerance
    dropped = {c: "not selected" for c in train.sensor_columns if c not in pool}
    dropped |= {c: f"constant on training units (std {std[c]:.3g})" for c in pool if constant[c]}
    ranked = [c for c in pool if not constant[c]]
    if not ranked:
        return [], dropped, {}
    scores = sensor_scores(train, ranked, conditions, config.eps)
    used, low, _ = rank_sensors(scores, config.sensors_by, config.sensors_top)
    return used, dropped | low, scores_record(scores)


def _check_columns_exist(fleet: Fleet, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in fleet.frame.columns]
    if missing:
        raise DataError(
            f"feature column(s) {missing} not in the data",
            file=fleet.name,
            hint=f"available: {fleet.sensor_columns}",
        )


class OperatingConditions:
    """KMeans clustering of the operating settings into ``k`` conditions.

    Settings are standardised before clustering so that altitude (tens of
    thousands of feet) does not drown Mach number; with ``k == 1`` no model is
    fitted and every row is condition 0.
    """

    def __init__(self, k: int, seed: int):
        self.k = k
        self.seed = seed
        #: The training fleet's setting columns, in the order the centres use them.
        self.settings: tuple[str, ...] = ()
        #: Standardisation of the settings, and the KMeans centres in standardised units.
        self.centre = self.scale = self.centres = np.zeros(0)
        #: The farthest a training row lies from its centre (standardised units).
        self.reach = 0.0
        #: How ``k`` was chosen, in words (set by the user, by the source, or detected).
        self.how = f"{k}"

    def fit(self, fleet: Fleet) -> OperatingConditions:
        if self.k == 1:
            return self
        if not fleet.setting_columns:
            raise DataError(
                f"{self.k} operating conditions requested but the data has no setting columns",
                file=fleet.name,
                hint="name the setting columns, or use one condition",
            )
        self.settings = tuple(fleet.setting_columns)
        values = fleet.frame[list(self.settings)].to_numpy(np.float64)
        self.centre = values.mean(axis=0)
        self.scale = values.std(axis=0) + 1e-12
        n_distinct = len(np.unique(values, axis=0))
        if n_distinct < self.k:
            raise DataError(
                f"{self.k} operating conditions requested but the settings take only "
                f"{n_distinct} distinct values",
                file=fleet.name,
            )
        kmeans = KMeans(n_clusters=self.k, n_init=10, random_state=self.seed)
        self.centres = kmeans.fit((values - self.centre) / self.scale).cluster_centers_
        self.reach = float(self.distances(fleet).max())
        return self

    @property
    def fitted(self) -> bool:
        return len(self.centres) > 0

    def _scaled_distances(self, fleet: Fleet) -> np.ndarray:
        """Distance of every row's settings to every centre, standardised: (rows, k)."""
        missing = [c for c in self.settings if c not in fleet.frame.columns]
        if missing:
            raise DataError(
                f"setting column(s) {missing} of the training data are missing", file=fleet.name
            )
        values = (fleet.frame[list(self.settings)].to_numpy(np.float64) - self.centre) / self.scale
        return np.linalg.norm(values[:, None, :] - self.centres[None, :, :], axis=2)

    def assign(self, fleet: Fleet) -> np.ndarray:
        """Condition index of every row: its nearest centre (what KMeans predicts)."""
        if not self.fitted:
            return np.zeros(fleet.n_rows, dtype=np.int64)
        return self._scaled_distances(fleet).argmin(axis=1).astype(np.int64)

    def distances(self, fleet: Fleet) -> np.ndarray:
        """Every row's distance to its nearest centre (0 with one condition)."""
        if not self.fitted:
            return np.zeros(fleet.n_rows)
        return self._scaled_distances(fleet).min(axis=1)


#: Silhouette a clustering of the settings must reach to count as distinct operating regimes.
REGIME_SILHOUETTE = 0.8
#: Numbers of regimes tried when a source does not say, and rows sampled to judge them.
REGIME_CANDIDATES = range(2, 9)
REGIME_SAMPLE = 4000


def detect_conditions(fleet: Fleet, seed: int) -> tuple[int, str]:
    """How many operating regimes the setting columns show, and how that was judged.

    For sources that do not say (a user's CSV). KMeans with k = 2..8 on the
    standardised settings of a seeded sample of rows; the k with the best
    silhouette is taken when that silhouette reaches :data:`REGIME_SILHOUETTE`
    (well-separated regimes, as the six of C-MAPSS FD002/FD004 at about 0.99),
    else one condition (settings that merely wander, as FD001's).
    """
    if not fleet.setting_columns:
        return 1, "one (no setting columns)"
    values = fleet.frame[fleet.setting_columns].to_numpy(np.float64)
    values = (values - values.mean(axis=0)) / (values.std(axis=0) + 1e-12)
    rng = np.random.default_rng(seed)
    if len(values) > REGIME_SAMPLE:
        values = values[rng.choice(len(values), REGIME_SAMPLE, replace=False)]
    distinct = len(np.unique(values, axis=0))
    best_k, best = 1, -1.0
    for k in REGIME_CANDIDATES:
        if k >= distinct:
            break
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(values)
        score = float(silhouette_score(values, labels))
        if score > best:
            best_k, best = k, score
    if best >= REGIME_SILHOUETTE:
        return best_k, f"{best_k} detected from the settings (silhouette {best:.2f})"
    return 1, f"one: the settings show no distinct regimes (best silhouette {max(best, 0):.2f})"


class ConditionNormaliser:
    """Per-(condition, feature) z-score with statistics from the training units."""

    def __init__(self, k: int, eps: float):
        self.k = k
        self.eps = eps
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, values: np.ndarray, conditions: np.ndarray) -> ConditionNormaliser:
        n_features = values.shape[1]
        self.mean = np.zeros((self.k, n_features))
        self.std = np.ones((self.k, n_features))
        for c in range(self.k):
            rows = values[conditions == c]
            if len(rows):
                self.mean[c] = rows.mean(axis=0)
                self.std[c] = rows.std(axis=0)
        return self

    def transform(self, values: np.ndarray, conditions: np.ndarray) -> np.ndarray:
        assert self.mean is not None and self.std is not None, "fit() must come before transform()"
        return (values - self.mean[conditions]) / (self.std[conditions] + self.eps)


def rul_targets(fleet: Fleet) -> np.ndarray:
    """Uncapped RUL of every row.

    Run-to-failure units fail at their last cycle; in-service units have
    ``truth_rul`` cycles left after their last recorded cycle (NaN when the
    truth is unknown).
    """
    frame = fleet.frame
    last = frame.groupby(UNIT, sort=False)[CYCLE].transform("max").to_numpy(np.float64)
    remaining = last - frame[CYCLE].to_numpy(np.float64)
    if fleet.run_to_failure:
        return remaining
    if fleet.truth_rul is None:
        return np.full(len(frame), np.nan)
    return remaining + frame[UNIT].map(fleet.truth_rul).to_numpy(np.float64)


def unit_codes(fleet: Fleet) -> tuple[np.ndarray, tuple]:
    """Integer code of each row's unit (0..n-1 in order of appearance) and the ids."""
    codes, ids = pd.factorize(fleet.frame[UNIT], sort=False)
    return codes.astype(np.int64), tuple(ids.tolist())


def validation_units(units: list, fraction: float, seed: int) -> list:
    """Seeded choice of whole units for validation (never windows of one unit on both sides)."""
    n_val = 0
    if fraction > 0 and len(units) >= 2:
        n_val = min(max(round(fraction * len(units)), 1), len(units) - 1)
    order = np.random.default_rng(seed).permutation(len(units))
    return [units[i] for i in sorted(order[:n_val])]
