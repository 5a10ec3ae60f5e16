"""Which column of a user's CSV is the unit id, the time, a setting or a sensor.

Historian exports name columns freely ("ESN", "Engine Serial", "op_setting_1",
"Operating Hours") and in any order, so roles are guessed from name hints and
from whether a column holds numbers. The user's explicit
:class:`ColumnMapping` (``--unit-col``, ``--time-col``, ``--setting-cols``,
``--ignore-cols``) overrides the guess field by field.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pandas as pd

from core.common.errors import DataError
from core.data.csv_format import MISSING_TOKENS
from core.data.time_axis import AGE_HINTS, CYCLES, HOUR_WORDS, HOURS, looks_like_dates

UNIT_HINTS = ("unit", "engine", "esn", "serial", "asset", "machine", "id")
TIME_HINTS = (
    # a maintenance system's counts since new first (cycles before hours), then generic names
    "csn",
    "cycles_since_new",
    "flight_cycles",
    "tsn",
    "time_since_new",
    "hours_since_new",
    "flight_hours",
    "cycle",
    "cycles",
    "time",
    "step",
    "hours",
    "hour",
    "operating_hours",
    "flight",
    "flights",
    "runtime",
    "t",
    "timestamp",
)
SETTING_HINTS = (
    "setting",
    "settings",
    "op_setting",
    "condition",
    "conditions",
    "altitude",
    "mach",
    "tra",
    "throttle",
    "regime",
)
TIMESTAMP_HINTS = ("timestamp", "date", "datetime", "comment", "comments", "note", "notes")
TARGET_HINTS = ("rul", "remaining_useful_life")
# Too short to trust inside longer names ("T24" is a temperature, "valve_id" no unit).
EXACT_ONLY = frozenset({"t", "id"})
NUMERIC = "numeric"
TEXT = "text"
EMPTY = "empty"
#: The time "column" numbering each unit's rows 1, 2, 3 ... in file order (chosen, never guessed).
ROW_ORDER = "(row order)"


@dataclass(frozen=True)
class ColumnMapping:
    """The role of each column; ``None``/empty fields are detected.

    Attributes
    ----------
    unit
        Unit (engine, asset) identifier column.
    time
        Time or cycle column (numeric, strictly increasing within a unit), or
        :data:`ROW_ORDER` to number each unit's rows in file order.
    settings
        Operating-setting columns (for condition clustering); empty: detected.
    ignore
        Columns to leave out (timestamps, comments, ...).
    sensors
        Sensor columns; ``None`` means every remaining numeric column.
    """

    unit: str | None = None
    time: str | None = None
    settings: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sensors: tuple[str, ...] | None = None


def name_tokens(name: str) -> list[str]:
    """Lower-case words of a column name: ``"machineID"`` -> ``["machine", "id"]``."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [token for token in re.split(r"[^0-9a-z]+", spaced.lower()) if token]


def time_unit_of(column: str, is_timestamp: bool = False) -> str:
    """``hours`` for an hours-since-new or timestamp axis, else ``cycles``.

    A best guess from the name (``TSN_h``, ``flight_hours`` -> hours; ``CSN``,
    ``cycle`` -> cycles); the user can say otherwise (``--time-unit``).
    """
    if is_timestamp:
        return HOURS
    return HOURS if HOUR_WORDS & set(name_tokens(column)) else CYCLES


def hint_score(name: str, hints: tuple[str, ...]) -> tuple | None:
    """How well ``name`` matches ``hints`` (smaller is better), ``None`` if not at all.

    An exact name beats a word inside a longer name; a name made mostly of
    hint words beats one that merely contains one ("Engine Serial" beats
    "engine_temp"); earlier hints in the list rank higher.
    """
    tokens = name_tokens(name)
    joined = "_".join(tokens)
    matched = [
        rank
        for rank, hint in enumerate(hints)
        if joined == hint or (hint not in EXACT_ONLY and f"_{hint}_" in f"_{joined}_")
    ]
    if not matched:
        return None
    words = {word for hint in hints if f"_{hint}_" in f"_{joined}_" for word in hint.split("_")}
    coverage = sum(token in words for token in tokens) / max(len(tokens), 1)
    return (joined not in hints, -coverage, min(matched))


def column_kind(values: pd.Series, decimal: str = ".") -> str:
    """``numeric`` when most filled cells are numbers, else ``text`` (or ``empty``).

    A mostly numeric column with a few bad cells stays numeric, so the reader
    reports those cells instead of silently dropping a sensor.
    """
    if is_number_dtype(values.dtype):
        return NUMERIC
    text = values.astype(str).str.strip()
    filled = text[~text.str.lower().isin(MISSING_TOKENS)]
    if filled.empty:
        return EMPTY
    if decimal != ".":
        filled = filled.str.replace(decimal, ".", regex=False)
    share = pd.to_numeric(filled, errors="coerce").notna().mean()
    return NUMERIC if share >= 0.5 else TEXT


def is_number_dtype(dtype) -> bool:
    """Integer or float; booleans parsed from "True"/"False" count as text."""
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def unit_column(header: list[str], mapping: ColumnMapping | None = None) -> str:
    """The unit column: the user's choice, else the best name match.

    Needs only the header, so the reader can keep unit ids as text while parsing.
    """
    user = _checked_user_mapping(header, mapping or ColumnMapping())
    if user.unit is not None:
        return user.unit
    found = _best_match(header, UNIT_HINTS, _explicit_columns(user))
    if found is None:
        raise _missing_unit(header)
    return found


def detect_columns(
    header: list[str],
    sample: pd.DataFrame,
    mapping: ColumnMapping | None = None,
    *,
    decimal: str = ".",
) -> ColumnMapping:
    """Fully resolved mapping (every column given a role) for a file's header and rows.

    Parameters
    ----------
    header
        Column names in file order.
    sample
        Some or all rows, columns named as in ``header`` (strings or parsed numbers).
    mapping
        The user's explicit choices; they override detection field by field.
    decimal
        Decimal mark of string cells in ``sample``.

    Raises
    ------
    DataError
        Duplicate names, a mapped column that does not exist, a column given two
        roles, or no unit, time or sensor column found.
    """
    return resolve_columns(header, sample, mapping, decimal=decimal)[0]


def resolve_columns(
    header: list[str],
    sample: pd.DataFrame,
    mapping: ColumnMapping | None = None,
    *,
    decimal: str = ".",
) -> tuple[ColumnMapping, list[tuple[str, str]]]:
    """:func:`detect_columns` plus why each auto-ignored column was left out."""
    detected = detect_roles(header, sample, mapping, decimal=decimal)
    if detected.problem is not None:
        raise detected.problem
    return detected.mapping, detected.notes


@dataclass(frozen=True)
class Detection:
    """What detection made of a header, even when a role is missing.

    A file without a cycle column still has a unit id and settings; the import
    dialog shows them and asks for the one missing role instead of showing
    nothing at all.

    Attributes
    ----------
    mapping
        Every role found (``unit``/``time`` are ``None`` when missing).
    notes
        Columns left out by detection, with the reason.
    problem
        Why the mapping is not usable yet (the first missing role), if it is not.
    """

    mapping: ColumnMapping
    notes: list[tuple[str, str]]
    problem: DataError | None = None


def detect_roles(
    header: list[str],
    sample: pd.DataFrame,
    mapping: ColumnMapping | None = None,
    *,
    decimal: str = ".",
) -> Detection:
    """Every role detection can give, and the first role it cannot (instead of raising).

    Raises
    ------
    DataError
        For a mapping that cannot be applied at all: duplicate names, a mapped
        column not in the file, a column given two roles.
    """
    user = _checked_user_mapping(header, mapping or ColumnMapping())
    taken = _explicit_columns(user)
    problems: list[DataError] = []
    unit = user.unit or _best_match(header, UNIT_HINTS, taken)
    if unit is None:
        problems.append(_missing_unit(header))
    taken.update([unit] if unit else [])
    kinds = {name: _kind(sample, name, decimal) for name in header if name not in taken}
    time = user.time or _find_time(header, kinds, taken, problems, sample)
    taken.update([time] if time else [])
    settings = user.settings or _find_settings(header, kinds, taken)
    taken.update(settings)
    notes: list[tuple[str, str]]
    if user.sensors is not None:
        sensors, notes = user.sensors, []
    else:
        sensors, notes = _remaining_sensors(header, kinds, taken)
    if not sensors:
        problems.append(_no_sensors())
    used = {unit, time, *settings, *sensors}
    ignore = tuple(name for name in header if name not in used)
    found = ColumnMapping(unit, time, tuple(settings), ignore, tuple(sensors))
    return Detection(found, notes, problems[0] if problems else None)


def _no_sensors() -> DataError:
    return DataError(
        "no sensor columns: every column other than unit and time is a setting, "
        "text, empty or ignored",
        row=1,
        hint="a run-to-failure log needs at least one numeric sensor column",
    )


def _kind(sample: pd.DataFrame, name: str, decimal: str) -> str:
    return column_kind(sample[name], decimal) if name in sample.columns else NUMERIC


def _explicit_columns(user: ColumnMapping) -> set[str]:
    named = {user.unit, user.time, *user.settings, *user.ignore, *(user.sensors or ())}
    return {name for name in named if name is not None}


def _best_match(header: list[str], hints: tuple[str, ...], exclude: set[str]) -> str | None:
    scored = [
        (score, position, name)
        for position, name in enumerate(header)
        if name not in exclude and (score := hint_score(name, hints)) is not None
    ]
    return min(scored)[2] if scored else None


def _find_time(
    header: list[str],
    kinds: dict[str, str],
    taken: set[str],
    problems: list[DataError],
    sample: pd.DataFrame,
) -> str | None:
    """The time column; ``None`` (and why, in ``problems``) if there is none.

    A numeric cycle or hours column is preferred (cycles since new first);
    without one, a text column of dates and times is the time axis (elapsed
    hours from each unit's first record).
    """
    not_numeric = {name for name, kind in kinds.items() if kind != NUMERIC}
    found = _best_match(header, TIME_HINTS, not_numeric | taken)
    if found is not None:
        return found
    dates = [
        name
        for name in header
        if name in not_numeric
        and name in sample.columns
        and hint_score(name, (*TIME_HINTS, *TIMESTAMP_HINTS)) is not None
        and looks_like_dates(sample[name])
    ]
    if dates:
        return _best_match(dates, (*TIME_HINTS, *TIMESTAMP_HINTS), taken)
    text = _best_match(header, TIME_HINTS, taken)
    if text is not None:
        problems.append(
            DataError(
                "the time column holds text that is neither numbers nor dates",
                row=1,
                column=text,
                hint="the reader needs a cycle or hours column (e.g. CSN, TSN) or dates and "
                f"times; name it with --time-col; {_ROW_ORDER_HINT}",
            )
        )
        return None
    problems.append(
        DataError(
            "no time/cycle column found",
            row=1,
            hint=f"name it with --time-col; {_ROW_ORDER_HINT}; looked for numeric columns "
            "named like CSN, TSN, cycle, time, step, hours or t, and for a timestamp column; "
            f"columns are: {_listing(header)}",
        )
    )
    return None


_ROW_ORDER_HINT = (
    f"if each unit's rows are in cycle order, choose --time-col '{ROW_ORDER}' to number them"
)


def _find_settings(header: list[str], kinds: dict[str, str], taken: set[str]) -> tuple[str, ...]:
    return tuple(
        name
        for name in header
        if name not in taken
        and kinds.get(name) == NUMERIC
        and hint_score(name, SETTING_HINTS) is not None
    )


def _remaining_sensors(
    header: list[str], kinds: dict[str, str], taken: set[str]
) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    sensors: list[str] = []
    notes: list[tuple[str, str]] = []
    for name in header:
        if name in taken:
            continue
        reason = _ignore_reason(name, kinds.get(name, NUMERIC))
        if reason is None:
            sensors.append(name)
        else:
            notes.append((name, reason))
    return tuple(sensors), notes


def _ignore_reason(name: str, kind: str) -> str | None:
    if hint_score(name, TARGET_HINTS) is not None:
        return "looks like a RUL target and was ignored (the reader computes RUL from cycles)"
    if hint_score(name, AGE_HINTS) is not None:
        return (
            "counts the unit's age (cycles or hours since new) beside the time column and was "
            "ignored, so the model reads the sensors rather than the age"
        )
    if hint_score(name, TIMESTAMP_HINTS) is not None:
        return "looks like a timestamp, date or comment and was ignored"
    if kind == TEXT:
        return "holds text, not numbers, and was ignored"
    if kind == EMPTY:
        return "is empty and was ignored"
    return None


def _checked_user_mapping(header: list[str], user: ColumnMapping) -> ColumnMapping:
    """The user's mapping with names matched to the header and roles checked."""
    _check_unique(header)

    def one(name: str | None) -> str | None:
        return None if name is None else _header_name(name, header)

    def time(name: str | None) -> str | None:
        return ROW_ORDER if name is not None and name.strip() == ROW_ORDER else one(name)

    def many(names) -> tuple[str, ...]:
        names = (names,) if isinstance(names, str) else names  # one name, not its letters
        return tuple(dict.fromkeys(_header_name(name, header) for name in names))

    sensors = None if user.sensors is None else many(user.sensors)
    checked = ColumnMapping(
        one(user.unit), time(user.time), many(user.settings), many(user.ignore), sensors
    )
    _check_single_roles(checked)
    return checked


def _check_unique(header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError("duplicate column name", row=1, column=name)
        seen.add(name)


def _header_name(name: str, header: list[str]) -> str:
    """``name`` as spelled in the header; case and surrounding spaces are forgiven."""
    if name in header:
        return name
    folded = [column for column in header if column.strip().lower() == name.strip().lower()]
    if len(folded) == 1:
        return folded[0]
    close = difflib.get_close_matches(name, header, n=3)
    suggestion = f"did you mean {', '.join(close)}? " if close else ""
    raise DataError(
        "the column mapping names a column that is not in the file",
        row=1,
        column=name,
        hint=f"{suggestion}columns are: {_listing(header)}",
    )


def _check_single_roles(user: ColumnMapping) -> None:
    roles: dict[str, str] = {}
    for role, names in (
        ("unit", [user.unit]),
        ("time", [user.time]),
        ("setting", user.settings),
        ("ignored", user.ignore),
        ("sensor", user.sensors or ()),
    ):
        for name in names:
            if name is None:
                continue
            if name in roles:
                raise DataError(
                    f"the column mapping gives this column two roles ({roles[name]} and {role})",
                    column=name,
                    hint="give each column one role",
                )
            roles[name] = role


def _missing_unit(header: list[str]) -> DataError:
    return DataError(
        "no unit/engine id column found",
        row=1,
        hint="name it with --unit-col; looked for names like unit, engine, id, serial, esn, "
        f"asset or machine; columns are: {_listing(header)}",
    )


def _listing(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
