"""Every comparison entry by name (balancing methods, then baselines), for the CLI and the GUI.

Entries register where they are defined: a module decorates its class with
:func:`register`. :mod:`core.methods` imports every balancing method module,
so importing anything from ``core.methods`` registers the methods;
:mod:`core.baseline` registers the classical baselines after them, and
:mod:`core.experiment` (what runs an entry) imports both, so every layer that
can run a comparison sees the whole list in one order.
A new method is one module plus one import line in ``core/methods/__init__.py``;
it then appears in ``rulwb methods``, the GUI's method list and every
comparison, with its settings described for ``rulwb methods --json``.
This module imports no method, so it can never be part of an import cycle.
"""

from __future__ import annotations

from typing import Any

from core.methods.base import Entry

#: Name -> class, in registration order (the order ``core/methods/__init__.py``
#: imports the method modules), which is the order the CLI and GUI list them.
METHODS: dict[str, type[Entry]] = {}


def register(method: type[Entry]) -> type[Entry]:
    """Add an entry class under its ``name``; usable as a class decorator.

    Raises
    ------
    ValueError
        If another class already holds the name.
    """
    existing = METHODS.get(method.name)
    if existing is not None and existing is not method:
        raise ValueError(f"a balancing method named '{method.name}' is already registered")
    METHODS[method.name] = method
    return method


def create_method(name: str, **params: Any) -> Entry:
    """A new entry (method or baseline) by registry name, with settings (strings are parsed).

    Raises
    ------
    ValueError
        For an unknown name (listing the valid ones), an unknown setting or
        a value of the wrong type or out of range.
    """
    try:
        method = METHODS[name]
    except KeyError:
        valid = ", ".join(METHODS)
        raise ValueError(f"unknown balancing method '{name}'; choose one of: {valid}") from None
    return method(**params)


def balancing_methods() -> list[str]:
    """Registry names of the balancing methods (every entry but the baselines)."""
    return [name for name, method in METHODS.items() if not method.baseline]


def describe_methods() -> list[dict[str, Any]]:
    """Plain-JSON description of every method, in registry order."""
    return [
        {
            "name": m.name,
            "title": m.title,
            "description": m.description,
            "needs_gradients": m.needs_gradients,
            "baseline": m.baseline,
            "trains_health": m.trains_health,
            "hyperparameters": [h.describe() for h in m.hyperparameters],
        }
        for m in METHODS.values()
    ]
