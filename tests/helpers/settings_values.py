"""A valid value other than the default for every declared setting, and how to type it.

Shared by the test that walks every setting through the command line and
config.json (tests/core/common/test_settings.py) and the one that walks it through
the GUI's forms (tests/workbench/experiment/test_settings_forms.py).
"""

from __future__ import annotations

from typing import Any

from core.common.settings import Declared, declared, is_settings
from core.data.config import PreprocessConfig
from core.training.config import TrainConfig

SETTINGS_CLASSES = (TrainConfig, PreprocessConfig)


def flat(cls: type, prefix: str = "") -> list[tuple[str, Declared]]:
    """Every declared field of ``cls`` by dotted key (nested settings classes opened)."""
    out = []
    for d in declared(cls):
        if is_settings(d.base):
            out += flat(d.base, prefix + d.name + ".")
        else:
            out.append((prefix + d.name, d))
    return out


def other_value(d: Declared) -> Any:
    """A valid value that differs from the field's default."""
    about, default = d.about, d.default
    if d.base is bool:
        return not default
    if about.choices is not None:
        return next(c for c in about.choices if c != default)
    if d.base is tuple:
        return ("s2", "s3")
    if d.base is str:
        return "cpu" if default != "cpu" else "auto"
    if d.base is int:
        if default is None:
            return int(about.minimum or 0) + 1
        return default + 1 if about.maximum is None or default + 1 <= about.maximum else default - 1
    step = about.step or 0.1
    up = default + step
    return up if about.maximum is None or up <= about.maximum else default - step


def cli_words(d: Declared, value: Any) -> list[str]:
    """The command-line words that set ``d`` to ``value``."""
    if d.base is bool:
        return [d.flag if value else "--no-" + d.flag[2:]]
    text = (
        ",".join(value)
        if isinstance(value, tuple)
        else repr(value)
        if isinstance(value, float)
        else str(value)
    )
    return [d.flag, text]


def read(config: Any, key: str) -> Any:
    """``config.a.b`` for key ``"a.b"``."""
    for part in key.split("."):
        config = getattr(config, part)
    return config
