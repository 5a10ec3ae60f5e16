"""The one interface every loss/gradient balancing method implements.

A method is a small object that turns the two per-task losses (and, for
gradient methods, the 2x2 Gram matrix of the per-task gradients on the
shared parameters) into task weights. The trainer never changes between
methods; it only asks the method, following the pattern of TorchJD and
LibMTL (docs/methods.md#how-a-method-plugs-in).

How the trainer uses a method, per optimiser step:

* Without per-task gradients (``needs_gradients`` False and no probe this
  step): ``method.combine(losses).backward()``.
* With per-task gradients ``g_k`` on the shared parameters (always when
  ``needs_gradients`` is True): ``w = method.weigh(gram, losses.detach())``
  exactly once; the shared update is ``sum_k w_k g_k``; each head gets its
  own task's gradient times ``method.head_weights(w)[k]``. Learnable
  method parameters (``method.parameters()``) then get their gradients from
  ``method.combine(losses.detach()).backward()``, which only involves them.

How the heads' gradients are weighted (:meth:`BalancingMethod.head_weights`),
one rule per kind of method, so that a gradient step and a plain step agree:

* loss weighting (fixed, AMNL, GABA, GRACE, uncertainty, DWA, GradNorm,
  FAMO, RLW): each head gets its task's weight, ``h_k = w_k``, which is
  exactly backward of the weighted loss ``sum_k w_k L_k``;
* gradient surgery and aggregation (PCGrad, MGDA, MGDA-UB, CAGrad, IMTL-G,
  Aligned-MTL, Nash-MTL, UPGrad, DualProj, GradVac, ConFIG): the weights
  only combine the shared gradients; each head gets its own task's
  gradient with weight 1, as LibMTL and TorchJD do for task-specific
  parameters (:class:`core.methods.aggregation.GradientAggregation`);
* DB-MTL: each head gets the gradient of its own log loss,
  ``h_k = 1 / (L_k + eps)``; the magnitude balancing is shared-only.

Tasks are always ordered as :data:`TASKS`: index 0 is RUL, index 1 health.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

TASKS: tuple[str, str] = ("rul", "health")
K = len(TASKS)

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_KIND_WORDS = {bool: "true or false", int: "a whole number", float: "a number"}


@dataclass(frozen=True)
class Hyperparameter:
    """A setting of a balancing method, as the GUI and the CLI show it.

    The type of ``default`` (bool, int or float) is the setting's type;
    ``minimum`` and ``maximum`` are inclusive bounds, ``None`` when open.
    """

    name: str
    default: float | int | bool
    description: str
    minimum: float | None = None
    maximum: float | None = None

    @property
    def kind(self) -> type:
        """``bool``, ``int`` or ``float``: what values of this setting are."""
        return type(self.default)

    def coerce(self, value: Any, method: str = "") -> float | int | bool:
        """``value`` as this setting's type and within its bounds.

        Strings (from a command line or a settings file) are parsed; a bool
        is never taken for a number, and a float is taken for an int only if
        it is whole.

        Raises
        ------
        ValueError
            Naming the method, the setting and what was wrong.
        """
        where = f"{method}: " if method else ""
        try:
            result = _convert(value, self.kind)
        except (TypeError, ValueError):
            raise ValueError(
                f"{where}{self.name} must be {_KIND_WORDS[self.kind]}, got {value!r}"
            ) from None
        self._check_range(result, where)
        return result

    def _check_range(self, value: float | int | bool, where: str) -> None:
        if self.kind is bool:
            return
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{where}{self.name} must be >= {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{where}{self.name} must be <= {self.maximum}, got {value}")

    def describe(self) -> dict[str, Any]:
        """Plain-JSON description for ``rulwb methods --json`` and the GUI."""
        return {
            "name": self.name,
            "type": self.kind.__name__,
            "default": self.default,
            "description": self.description,
            "minimum": self.minimum,
            "maximum": self.maximum,
        }


def _convert(value: Any, kind: type) -> float | int | bool:
    """Convert one value to ``kind``; raises TypeError/ValueError when it cannot."""
    if isinstance(value, str):
        return _parse(value.strip(), kind)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise TypeError(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(value)
    if kind is int:
        # type-ignores: typeshed gives numbers.Real.__trunc__ an _IntegralLike result, so
        # mypy rejects int(Real); int() accepts every numbers.Real at run time.
        if float(value) != int(value):  # type: ignore[call-overload]
            raise ValueError(value)
        return int(value)  # type: ignore[call-overload]
    return float(value)


def _parse(text: str, kind: type) -> float | int | bool:
    """Parse a setting typed by a person, e.g. ``"0.7"``, ``"100"``, ``"true"``."""
    if kind is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(text)
    number = float(text)
    return _convert(number, kind)


class Entry:
    """Anything a comparison can hold: a balancing method or a classical baseline.

    What every entry has, so that the registry, ``rulwb methods``, the GUI's
    method list and the run configuration treat them alike: a registry name,
    a title, a description and named settings (:class:`Hyperparameter`), parsed
    and checked once here.

    Parameters
    ----------
    **params
        Values for the names in :attr:`hyperparameters`; missing ones take
        their defaults. Strings are parsed (``"0.7"``), so CLI values can be
        passed straight through.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    hyperparameters: ClassVar[tuple[Hyperparameter, ...]] = ()
    needs_gradients: ClassVar[bool] = False
    trains_health: ClassVar[bool] = True
    #: A classical baseline (``gbm``, ``weibull``: :mod:`core.baseline`) that takes a
    #: method's place in a comparison but trains no network.
    baseline: ClassVar[bool] = False
    #: Its constant weights are chosen on validation before the run trains
    #: (``fixed_tuned``; :mod:`core.training.tuning`).
    tuned: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = self._resolve(params)

    @classmethod
    def _resolve(cls, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled in, names and values checked, types coerced."""
        known = {h.name: h for h in cls.hyperparameters}
        unknown = sorted(set(given) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise ValueError(
                f"{cls.name}: unknown setting(s) {', '.join(unknown)}; valid settings: {valid}"
            )
        return {
            h.name: h.coerce(given[h.name], cls.name) if h.name in given else h.default
            for h in cls.hyperparameters
        }

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({settings})"


class BalancingMethod(Entry):
    """Balancing methods' base: fixed loss weights, MSE for RUL, no learnable parameters.

    Subclasses set the class attributes, override the rules that differ,
    and keep whatever state they need in :meth:`state_dict`.
    """

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._weights = torch.full((K,), 1.0 / K, dtype=torch.float64)

    # ------------------------------------------------------------------ losses
    def rul_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        """Batch RUL loss (scalar); plain MSE against the capped RUL."""
        return torch.mean((pred - target) ** 2)

    def parameters(self) -> list[torch.nn.Parameter]:
        """Learnable weights the MODEL's optimiser trains with the network.

        Empty for most methods. Their gradients come from :meth:`combine`.
        """
        return []

    def combine(self, losses: Tensor) -> Tensor:
        """Total loss ``sum_k w_k L_k`` to backward on steps without gradients.

        Parameters
        ----------
        losses
            ``[L_rul, L_health]``, shape ``(2,)``.
        """
        return torch.sum(self.current_weights().to(losses) * losses)

    # ---------------------------------------------------------------- weights
    def begin_step(self, step: int) -> bool:
        """Called at the start of every optimiser step: does this step need per-task gradients?

        ``needs_gradients`` for most methods. A method may measure less often
        (GABA's ``every``) and use its weights in force, with one backward of
        the weighted loss, in between.
        """
        return self.needs_gradients

    def weigh(self, gram: Tensor, losses: Tensor) -> Tensor:
        """Shared-parameter weights ``w`` (2,) for this step's update ``sum_k w_k g_k``.

        Called exactly once per optimiser step on steps with per-task
        gradients, so stateful methods (EMA, step counters) advance here.

        Parameters
        ----------
        gram
            2x2 Gram matrix ``G[i, j] = g_i . g_j`` of the shared gradients.
        losses
            Detached ``[L_rul, L_health]``.

        Returns
        -------
        Tensor
            Weights with ``gram``'s dtype and device.
        """
        return self.current_weights().to(gram)

    def unmeasured_weights(self, gram: Tensor, losses: Tensor) -> Tensor:
        """Weights of a step the gradient probe measured but this method did not ask to.

        Exactly what a plain step (:meth:`combine`) would use, so probing never
        changes training. A method that weighs gradients keeps its weights in
        force (GABA with ``every`` > 1 advances its EMA only when it measures);
        any other method's :meth:`weigh` is its per-step rule, the same one
        :meth:`combine` applies (RLW's draw, FAMO's step), and runs once as usual.
        """
        if self.needs_gradients:
            return self.current_weights().to(gram)
        return self.weigh(gram, losses)

    def head_weights(self, weights: Tensor) -> Tensor:
        """Multiplier of each head's own-task gradient, given the step's weights.

        Returning ``weights`` makes a gradient step identical to backward of
        ``sum_k w_k L_k``, which is what a loss-weighting method means.
        """
        return weights

    def current_weights(self) -> Tensor:
        """Weights in force on ``[L_rul, L_health]`` (float64, detached), for reports."""
        return self._weights.detach().clone()

    def end_epoch(self, mean_train_losses: Tensor) -> None:
        """Hook called after each training epoch with the epoch's mean losses (2,)."""

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly where training stopped."""
        return {"params": dict(self.params), "weights": self._weights.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; settings must match this method's."""
        if state["params"] != self.params:
            raise ValueError(
                f"{self.name}: saved settings {state['params']} differ from {self.params}"
            )
        self._weights = state["weights"].detach().clone().to(torch.float64)


def gram_norms(gram: Tensor) -> Tensor:
    """Per-task gradient norms ``||g_k||`` from the Gram diagonal (float64, CPU).

    The diagonal can be a hair below zero from rounding; clamp before the root.
    """
    return gram.detach().to("cpu", torch.float64).diagonal().clamp_min(0.0).sqrt()
