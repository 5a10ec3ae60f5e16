"""Runs that differ in more than method and seed: naming the difference, telling them apart.

A comparison pairs runs by seed and averages them by method. A run made with
another setting as well (a refit, more epochs, another window) belongs to
another experiment: averaged with the others it blurs both, and paired with
them it measures the setting as much as the method. The report lists such
settings; the GUI's Comparison tab warns and shows each variant as an entry
of its own (``fixed · refit=True``), which pairs with the plain method by
seed, so the setting's own effect is measured.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

#: Settings that differ between runs of a comparison by design.
PER_RUN = ("method", "method_params", "seed", "versions")
#: A setting's value in a run whose configuration does not have it.
MISSING = "(not set)"
#: Longest setting value written into an entry's name.
VALUE_CHARS = 24


def settings_rows(config: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A nested configuration as ``section.name = value`` rows, in file order."""
    rows = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += settings_rows(value, f"{name}.")
        else:
            rows.append((name, _setting(value)))
    return rows


def _setting(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "(none)"
    return "(none)" if value is None else str(value)


def _shared(config: dict[str, Any]) -> dict[str, str]:
    """A run's settings other than those that differ by design, flattened."""
    return dict(settings_rows({k: v for k, v in config.items() if k not in PER_RUN}))


def differing_settings(configs: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """Settings (other than method and seed) whose value is not the same in every run.

    ``configs`` are the runs' ``config.json`` contents (as ``RunDir.read_config``
    gives them: a setting an older file lacks is already filled in,
    :mod:`core.runs.run_format`); each setting comes with its values,
    ``"False / True"``. A setting one run's config lacks (``dropout``, which
    is absent where the run keeps the preset's) counts as :data:`MISSING` there.
    """
    values = _values([_shared(c) for c in configs])
    return [(k, " / ".join(sorted(v))) for k, v in values.items() if len(v) > 1]


def _values(flat: list[dict[str, str]]) -> dict[str, set[str]]:
    """Every setting's values over the runs (``MISSING`` where a run lacks it), in file order."""
    names = dict.fromkeys(name for settings in flat for name in settings)
    return {n: {settings.get(n, MISSING) for settings in flat} for n in names}


def variant_suffixes(configs: Sequence[dict[str, Any] | None]) -> list[str]:
    """Per run, what sets it apart: ``" · refit=True"``, or ``""`` for the usual variant.

    For each setting that differs between the runs, the value most runs have
    (the first seen on a tie) is the usual one; a run is named by the settings
    where it departs from it. A run whose configuration is unknown (None) gets
    no suffix.
    """
    flat = [None if c is None else _shared(c) for c in configs]
    known = [f for f in flat if f is not None]
    names = [name for name, values in _values(known).items() if len(values) > 1]
    usual = {n: Counter(f.get(n, MISSING) for f in known).most_common(1)[0][0] for n in names}
    suffixes = []
    for settings in flat:
        departs = [] if settings is None else [
            f"{name.rsplit('.', 1)[-1]}={_short(settings.get(name, MISSING))}"
            for name in names
            if settings.get(name, MISSING) != usual[name]
        ]  # fmt: skip
        suffixes.append(f" · {', '.join(departs)}" if departs else "")
    return suffixes


def _short(value: str) -> str:
    return value if len(value) <= VALUE_CHARS else value[: VALUE_CHARS - 1] + "…"
