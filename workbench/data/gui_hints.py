"""The engine's hints in the GUI's words: "tick it under Ignored", not "--ignore-cols".

Messages and hints of :class:`~core.common.errors.DataError` are written once in
``core/`` and shared by the command line and the GUI, so they name ``rulwb``
flags. A GUI user has no flags; each flag phrase is rewritten here to the
control that does the same thing. A flag no phrase covers still never reaches
the user: a preprocessing flag becomes its Data-dock label (derived from the
setting's declaration), any other one "the matching setting".
"""

from __future__ import annotations

import re

from core.common.settings import declared, is_settings
from core.data.columns import ROW_ORDER
from core.data.config import PreprocessConfig

#: Flag phrases of core's data hints and what a GUI user does instead, most specific first.
GUI_PHRASES: tuple[tuple[str, str], ...] = (
    (r"leave (?:it|the column) out with --ignore-cols", "set the column's role to Ignored"),
    (r"name it with --time-col", "choose it under Time / cycle"),
    (rf"choose --time-col '{re.escape(ROW_ORDER)}'", f"choose {ROW_ORDER} under Time / cycle"),
    (r"name it with --unit-col", "choose it under Unit id"),
    (r"--setting-cols", "the Operating settings list"),
    (r"pass --cmapss-dir \S+", "choose the C-MAPSS folder in the Data dock"),
    (r"give --test-csv", "attach an in-service file"),
    (r"set --test-units 0", "set 'Test units held out' to 0 in the Data dock"),
    (r"with --test-units", "under Test set (or 'Test units held out' in the Data dock)"),
)
#: Any flag, with a following argument in quotes or capitals (``--cmapss-dir FOLDER``).
FLAG = re.compile(r"(--[a-z][a-z0-9-]*)(?: ('[^']*'|[A-Z_]{2,}\b|\d[\d.]*))?")


def gui_wording(text: str) -> str:
    """``text`` with every command-line flag replaced by what the GUI user does instead."""
    for pattern, replacement in GUI_PHRASES:
        text = re.sub(pattern, replacement, text)
    return FLAG.sub(_setting_name, text)


def _setting_name(match: re.Match) -> str:
    flag, value = match.group(1), match.group(2)
    label = _preprocess_labels().get(flag)
    named = f"'{label}' in the Data dock" if label else "the matching setting"
    return f"{named} (set to {value})" if value else named


def _preprocess_labels(cls: type = PreprocessConfig) -> dict[str, str]:
    """Flag -> GUI label of every preprocessing setting (nested ones included)."""
    labels: dict[str, str] = {}
    for d in declared(cls):
        if is_settings(d.base):
            labels.update(_preprocess_labels(d.base))
        else:
            labels[d.flag] = d.about.label
    return labels
