"""``weibull``: an age-only Weibull life model, the reliability engineer's yardstick.

Before any sensor is read, a reliability engineer fits a Weibull distribution to
the fleet's lives and asks what it predicts. This entry does exactly that, so a
comparison shows what the networks add over the unit's age alone
(docs/methods.md#weibull):

* **Fit** — a 2-parameter Weibull, survival ``S(t) = exp(-(t/λ)^k)``, by maximum
  likelihood on the **training units'** lives: a failed unit's life as a
  failure, a suspended unit's removal time (:attr:`PreparedData.suspended`,
  removed before it failed) as a right-censored observation, whose likelihood
  term is ``S(removal)`` instead of the density. A unit's life is read off its
  windows as ``cycle + rul_uncapped`` (the same sum at every window: its last
  time). Validation units stay out of the fit: they are for the figures, as for
  every other entry.
* **Prediction** at a unit's age ``t`` (a window's last ``cycle``): the
  conditional mean residual life ``E[T - t | T > t] = ∫_t^∞ S(u) du / S(t)``
  (:func:`mean_residual_life`), capped at the RUL cap like the targets.
* **Interval** — its own, not the split-conformal one: the conditional quantiles
  of ``T - t`` given ``T > t`` at the run's coverage (:func:`residual_quantile`).
* **Health state** — the probability of each state under the same conditional
  distribution (:meth:`WeibullFit.state_probabilities`), as log-probabilities.
* **B10** — the age by which 10 % of units fail, ``λ (-ln 0.9)^(1/k)``.

The library is scipy: ``scipy.stats.weibull_min.fit`` on a
``scipy.stats.CensoredData`` (right-censored) with the location fixed at 0 is a
maintained maximum-likelihood fit with suspensions, and scipy is already a
dependency (the comparisons' statistics and scikit-learn use it). The
reliability-specific packages (``reliability``, ``lifelines``, ``surpyval``) fit
the same likelihood but would be new dependencies for one two-parameter fit;
``scipy.special.gammaincc`` gives the mean residual life in closed form.

On C-MAPSS FD001 (100 engines, all failed) the fit is k = 4.409, λ = 225.0
cycles, B10 = 135.1 cycles. With 40 of the engines suspended at a seeded 40-90 %
of their lives (``core.data.fleet_export.export_fleet``, seed 0), the censored
fit gives k = 5.17, λ = 226.0 (whole lives: 4.409, 225.0); taking the
suspensions as failures gives k = 3.67, λ = 195.3. The censored fit recovers the
scale, the mean life and B10 within 10 %, the as-failures fit misses all three;
neither recovers the shape within 10 % on that draw. Over 40 draws the censored
shape is +9.5 % high on average, as much as with lives drawn from the fitted
Weibull itself: the export cuts each engine at a share of *its own* life, while
the censored likelihood assumes removals independent of lives; with removal ages
drawn independently of the lives it recovers both (``studies/weibull_suspensions.py``,
tests/core/baseline/test_weibull.py, docs/methods.md#weibull).

Everything here is Qt-free and independent of the run machinery, so the GUI can
draw the probability plot (:func:`probability_plot_points`, :func:`fit_weibull`)
with pyqtgraph; :mod:`core.baseline.weibull_run` turns a fit into a run folder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scipy import special, stats

from core.data.windows import WindowSet
from core.methods.base import Entry
from core.methods.registry import register

#: Above this ``(t/λ)^k`` the conditional mean residual life uses the incomplete gamma
#: function's asymptotic series (``exp(z)`` and ``Q(a, z)`` would leave float64's range).
_ASYMPTOTIC = 600.0


@register
class WeibullLife(Entry):
    """A Weibull fitted to the training units' lives: RUL from age alone, no sensors."""

    name = "weibull"
    title = "Weibull life model (baseline)"
    description = (
        "A 2-parameter Weibull fitted (scipy, suspensions right-censored) to the training "
        "units' lives; predicts the conditional mean residual life at each unit's age. "
        "The reliability engineer's yardstick: what age alone tells."
    )
    baseline: ClassVar[bool] = True


@dataclass(frozen=True)
class WeibullFit:
    """A fitted 2-parameter Weibull and the lives it was fitted to.

    Attributes
    ----------
    shape, scale
        ``k`` and ``λ`` of ``S(t) = exp(-(t/λ)^k)`` (``λ`` in the time column's unit).
    failure_times, suspension_times
        The lives of the failed units and the removal times of the suspended ones.
    b10
        The age by which 10 % of units have failed.
    """

    shape: float
    scale: float
    failure_times: tuple[float, ...] = ()
    suspension_times: tuple[float, ...] = ()
    b10: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "b10", self.b_life(0.10))

    @property
    def failures(self) -> int:
        return len(self.failure_times)

    @property
    def suspensions(self) -> int:
        return len(self.suspension_times)

    @property
    def mean_life(self) -> float:
        """The mean time to failure, ``λ Γ(1 + 1/k)``."""
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    def b_life(self, fraction: float) -> float:
        """The age by which ``fraction`` of units have failed (B10 for 0.1)."""
        return float(self.scale * (-math.log1p(-fraction)) ** (1.0 / self.shape))

    def mean_residual_life(self, age: np.ndarray) -> np.ndarray:
        return mean_residual_life(age, self.shape, self.scale)

    def residual_quantile(self, age: np.ndarray, q: float) -> np.ndarray:
        return residual_quantile(age, q, self.shape, self.scale)

    def state_probabilities(
        self, age: np.ndarray, degrading: float, critical: float, cap: float
    ) -> np.ndarray:
        """(n, 3) probabilities of normal, degrading, critical at each age.

        The states are those of the capped RUL ``min(T - t, cap)`` given
        ``T > t``, with the thresholds of
        :meth:`core.data.config.HealthThresholds.classify` (normal above
        ``degrading``, critical at or below ``critical``): the targets' own rule.
        """
        t = np.maximum(np.asarray(age, dtype=np.float64), 0.0)
        normal = _capped_above(t, degrading, cap, self.shape, self.scale)
        above_critical = _capped_above(t, critical, cap, self.shape, self.scale)
        critical_p = np.ones_like(t)
        if critical < cap:  # 1 - S(t + c) / S(t), accurate when it is tiny
            z = _z(t, self.shape, self.scale)
            critical_p = -np.expm1(z - _z(t + critical, self.shape, self.scale))
        degrading_p = np.clip(above_critical - normal, 0.0, 1.0)
        return np.stack([normal, degrading_p, critical_p], axis=1)

    def to_dict(self) -> dict:
        """Plain JSON: the parameters, B10, the counts and the times."""
        return {
            "shape": self.shape,
            "scale": self.scale,
            "b10": self.b10,
            "mean_life": self.mean_life,
            "failures": self.failures,
            "suspensions": self.suspensions,
            "failure_times": list(self.failure_times),
            "suspension_times": list(self.suspension_times),
        }

    @classmethod
    def from_dict(cls, data: dict) -> WeibullFit:
        return cls(
            float(data["shape"]),
            float(data["scale"]),
            tuple(map(float, data.get("failure_times", ()))),
            tuple(map(float, data.get("suspension_times", ()))),
        )


def fit_weibull(failures: Iterable[float], suspensions: Iterable[float] = ()) -> WeibullFit:
    """Maximum-likelihood 2-parameter Weibull; suspensions are right-censored.

    ``scipy.stats.weibull_min.fit`` on ``scipy.stats.CensoredData.right_censored``
    with the location fixed at 0 (a 2-parameter Weibull: life counted from new).

    Raises
    ------
    ValueError
        When a time is not positive and finite, or fewer than two distinct
        failure times leave the shape undetermined.
    """
    failed = np.asarray(list(failures), dtype=np.float64)
    suspended = np.asarray(list(suspensions), dtype=np.float64)
    times = np.r_[failed, suspended]
    if not np.all(np.isfinite(times)) or np.any(times <= 0):
        raise ValueError("Weibull lives must be positive and finite (ages counted from new)")
    if len(np.unique(failed)) < 2:
        raise ValueError(
            f"a Weibull fit needs at least 2 failures at different times; got {len(failed)} "
            f"failure(s) and {len(suspended)} suspension(s)"
        )
    censored = np.r_[np.zeros(len(failed), bool), np.ones(len(suspended), bool)]
    data = stats.CensoredData.right_censored(times, censored)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            shape, _, scale = stats.weibull_min.fit(data, floc=0)
    except stats.FitError as error:  # pragma: no cover - scipy's own failure, reworded
        raise ValueError(f"the Weibull fit did not converge ({error})") from None
    if not (np.isfinite(shape) and np.isfinite(scale) and shape > 0 and scale > 0):
        raise ValueError(f"the Weibull fit did not converge (k = {shape}, λ = {scale})")
    return WeibullFit(float(shape), float(scale), tuple(failed.tolist()), tuple(suspended.tolist()))


def mean_residual_life(age: np.ndarray, shape: float, scale: float) -> np.ndarray:
    """``E[T - t | T > t] = ∫_t^∞ S(u) du / S(t)`` for a Weibull(k, λ), at each age ``t``.

    With ``a = 1/k`` and ``z = (t/λ)^k``, ``∫_t^∞ S = (λ/k) Γ(a) Q(a, z)`` (``Q`` the
    regularised upper incomplete gamma function) and ``S(t) = exp(-z)``, so the
    mean residual life is ``λ Γ(1 + a) Q(a, z) e^z``; far in the tail (``z`` above
    :data:`_ASYMPTOTIC`) ``Γ(a, z) e^z ≈ z^(a-1) (1 + (a-1)/z + (a-1)(a-2)/z² + …)``,
    to four terms (relative error below 1e-9).
    """
    z = _z(age, shape, scale)
    a = 1.0 / shape
    near = np.minimum(z, _ASYMPTOTIC)
    exact = scale * special.gamma(1.0 + a) * special.gammaincc(a, near) * np.exp(near)
    far = np.maximum(z, _ASYMPTOTIC)
    terms = 1 + (a - 1) / far * (1 + (a - 2) / far * (1 + (a - 3) / far))
    series = (scale / shape) * far ** (a - 1) * terms
    return np.where(z <= _ASYMPTOTIC, exact, series)


def residual_quantile(age: np.ndarray, q: float, shape: float, scale: float) -> np.ndarray:
    """The ``q`` quantile of ``T - t`` given ``T > t``: ``λ ((t/λ)^k - ln(1-q))^(1/k) - t``."""
    t = np.maximum(np.asarray(age, dtype=np.float64), 0.0)
    return scale * (_z(t, shape, scale) - math.log1p(-q)) ** (1.0 / shape) - t


def conditional_survival(age: np.ndarray, r: float, shape: float, scale: float) -> np.ndarray:
    """``P(T - t > r | T > t) = S(t + r) / S(t)`` at each age ``t``."""
    t = np.maximum(np.asarray(age, dtype=np.float64), 0.0)
    return np.exp(_z(t, shape, scale) - _z(t + r, shape, scale))


def probability_plot_points(
    failures: Iterable[float], suspensions: Iterable[float] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Failure times and their median-rank unreliability ``F``, for a Weibull probability plot.

    Johnson's adjusted ranks take the suspensions into account: with all ``n``
    units in time order (a failure before a suspension at the same time) and
    ``reverse`` a unit's position counted from the end (n for the first), each
    failure's rank grows by ``(n + 1 - previous rank) / (1 + reverse)``; a
    suspension adds nothing but raises the increments after it. Bernard's
    approximation turns a rank ``r`` into ``F = (r - 0.3) / (n + 0.4)``. On
    Weibull paper (``ln t`` against ``ln(-ln(1 - F))``) a Weibull is the line
    ``y = k (ln t - ln λ)``.
    """
    failed = np.asarray(list(failures), dtype=np.float64)
    suspended = np.asarray(list(suspensions), dtype=np.float64)
    times = np.r_[failed, suspended]
    is_failure = np.r_[np.ones(len(failed), bool), np.zeros(len(suspended), bool)]
    order = np.lexsort((~is_failure, times))  # by time; a failure first on a tie
    n = len(times)
    rank, ranks = 0.0, []
    for position, i in enumerate(order):
        if is_failure[i]:
            rank += (n + 1 - rank) / (1 + n - position)
            ranks.append(rank)
    return times[order][is_failure[order]], (np.asarray(ranks) - 0.3) / (n + 0.4)


def training_lives(windows: WindowSet, suspended: Iterable = ()) -> tuple[np.ndarray, np.ndarray]:
    """The lives of the failed units and the removal times of the suspended ones.

    ``windows`` hold whole units (the training windows). A unit's life is
    ``cycle + rul_uncapped``, the same at every one of its windows; it is read
    at the last, where ``rul_uncapped`` is 0 and no float32 rounding enters.
    """
    last = windows.last_of_each_unit()
    ends = (windows.cycle[last] + windows.rul_uncapped[last]).astype(np.float64)
    ids = [windows.unit_ids[u] for u in windows.unit[last]]
    out = set(suspended)
    is_suspended = np.array([unit in out for unit in ids], dtype=bool)
    return ends[~is_suspended], ends[is_suspended]


def _z(age: np.ndarray, shape: float, scale: float) -> np.ndarray:
    """The cumulative hazard ``(t/λ)^k`` (ages below 0 taken as 0)."""
    return (np.maximum(np.asarray(age, dtype=np.float64), 0.0) / scale) ** shape


def _capped_above(age: np.ndarray, x: float, cap: float, shape: float, scale: float) -> np.ndarray:
    """``P(min(T - t, cap) > x | T > t)``: 0 once ``x`` reaches the cap."""
    if x >= cap:
        return np.zeros(np.shape(age))
    return conditional_survival(age, x, shape, scale)
