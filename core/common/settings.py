"""Each setting declared once: a dataclass field carrying its help, range, choices and flag.

A settings dataclass (:class:`core.training.config.TrainConfig`,
:class:`core.data.config.PreprocessConfig`) declares every field with
:func:`setting`. Everything else is derived from that one declaration:

* the ``rulwb`` flags (:func:`add_arguments`, :func:`from_args`),
* reading ``config.json`` with the same type rules everywhere (:func:`from_dict`),
* range and choice checks with one wording (:func:`check`),
* the GUI's editors (``workbench.common.form_fields.SettingsForm`` walks
  :func:`declared`).

So a new setting is one field: it appears on the command line, in every run's
``config.json`` and in the GUI, and ``tests/core/common/test_settings.py`` walks
every field through all three.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

#: "The same as the field's default" (``None`` is a real default, so it cannot mean that).
SAME_AS_FIELD: Any = object()


@dataclass(frozen=True)
class Setting:
    """What the CLI and the GUI need to know about one setting.

    Attributes
    ----------
    help
        One sentence for ``--help`` and the GUI's tooltip.
    label
        The GUI's label (short, in the user's words).
    flag
        The command-line flag when it is not ``--`` + the name with dashes.
    minimum, maximum
        Inclusive bounds of a number.
    choices
        The allowed words of a text setting.
    step
        The GUI's spin-box step of a number.
    decimals
        The GUI's decimals of a number, when the step's own are too few.
    cli_default
        The command line's default where it differs from the field's (e.g.
        no live trajectories for a headless run).
    """

    help: str
    label: str
    flag: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    step: float | None = None
    decimals: int | None = None
    cli_default: Any = SAME_AS_FIELD


def setting(
    default: Any = dataclasses.MISSING, *, default_factory: Any = None, **about: Any
) -> Any:
    """A dataclass field with its :class:`Setting` (keyword arguments) as metadata."""
    metadata = {"setting": Setting(**about)}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Declared:
    """One declared field of a settings class, with its resolved type."""

    name: str
    kind: Any
    about: Setting
    default: Any

    @property
    def flag(self) -> str:
        return self.about.flag or "--" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def optional(self) -> bool:
        """Whether ``None`` is allowed (it means "automatic")."""
        return type(None) in typing.get_args(self.kind)

    @property
    def base(self) -> Any:
        """The type without ``None``: bool, int, float, str, tuple or a nested settings class."""
        args = [a for a in typing.get_args(self.kind) if a is not type(None)]
        kind = args[0] if isinstance(self.kind, types.UnionType) and len(args) == 1 else self.kind
        return typing.get_origin(kind) or kind


#: Declared fields per settings class, computed once (``check`` runs on every construction).
_DECLARED: dict[type, tuple[Declared, ...]] = {}


def declared(cls: type) -> tuple[Declared, ...]:
    """Every field of ``cls`` declared with :func:`setting`, in declaration order."""
    if cls not in _DECLARED:
        hints = typing.get_type_hints(cls)
        _DECLARED[cls] = tuple(
            Declared(f.name, hints[f.name], f.metadata["setting"], _default(f))
            for f in dataclasses.fields(cls)
            if "setting" in f.metadata
        )
    return _DECLARED[cls]


def _default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def is_settings(kind: Any) -> bool:
    """Whether ``kind`` is a nested settings class (a dataclass of declared fields)."""
    return dataclasses.is_dataclass(kind) and isinstance(kind, type)


# ------------------------------------------------------------------- checks
def check(obj: Any) -> None:
    """Range and choice checks of every declared field; ValueError names the setting."""
    for d in declared(type(obj)):
        value = getattr(obj, d.name)
        if value is None or is_settings(d.base):
            continue
        about = d.about
        if about.choices is not None and value not in about.choices:
            raise ValueError(f"{d.name} must be one of {', '.join(about.choices)}, got {value!r}")
        if about.minimum is not None and value < about.minimum:
            raise ValueError(f"{d.name} must be at least {about.minimum:g}, got {value}")
        if about.maximum is not None and value > about.maximum:
            raise ValueError(f"{d.name} must be at most {about.maximum:g}, got {value}")


# --------------------------------------------------------------- config.json
def from_dict(cls: type, data: dict, what: str) -> Any:
    """``cls`` from a plain dict (a run's ``config.json``); unknown keys and wrong kinds refused.

    An int is taken for a float, a list for a tuple; a bool is never a number.
    ``what`` names the section in messages (e.g. "training setting").
    """
    if not isinstance(data, dict):
        raise ValueError(f"{what}s must be a mapping, found {data!r}")
    by_name = {d.name: d for d in declared(cls)}
    unknown = set(data) - set(by_name)
    if unknown:
        raise ValueError(f"unknown {what}s: {sorted(unknown)}")
    return cls(**{k: _typed(by_name[k], v, what) for k, v in data.items()})


def _typed(d: Declared, value: Any, what: str) -> Any:
    base = d.base
    if value is None and d.optional:
        return None
    if is_settings(base):
        return from_dict(base, value, f"{what} '{d.name}'")
    if base is tuple and isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    is_number_but_bool = base is not bool and isinstance(value, bool)
    if base in (bool, int, float, str) and isinstance(value, base) and not is_number_but_bool:
        return value
    raise ValueError(f"{what} '{d.name}' must be {_kind_name(d)}, found {value!r}")


def _kind_name(d: Declared) -> str:
    name = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(
        d.base, "a list of names"
    )
    return f"{name} or null" if d.optional else name


# ------------------------------------------------------------ command line
def add_arguments(group: Any, cls: type) -> None:
    """One flag per declared field of ``cls`` (nested settings classes included)."""
    for d in declared(cls):
        if is_settings(d.base):
            add_arguments(group, d.base)
            continue
        default = d.default if d.about.cli_default is SAME_AS_FIELD else d.about.cli_default
        about = d.about
        text = about.help + ("" if default is None else f" (default: {_shown(default)})")
        if d.base is bool:
            group.add_argument(
                d.flag, action=argparse.BooleanOptionalAction, default=default, help=text
            )
        else:
            group.add_argument(
                d.flag, type=_parser(d), default=default, choices=about.choices, help=text
            )


def from_args(cls: type, args: argparse.Namespace) -> Any:
    """``cls`` from the flags :func:`add_arguments` declared."""
    values = {}
    for d in declared(cls):
        values[d.name] = from_args(d.base, args) if is_settings(d.base) else getattr(args, d.dest)
    return cls(**values)


def _parser(d: Declared) -> Any:
    if d.base is tuple:
        return names
    return d.base


def names(text: str) -> tuple[str, ...]:
    """``a, b,c`` as ``("a", "b", "c")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _shown(value: Any) -> str:
    return (
        ",".join(value)
        if isinstance(value, tuple)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )
