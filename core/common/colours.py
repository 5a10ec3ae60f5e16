"""The colours that name things: tasks, health states and balancing methods.

One table for every picture the product draws (the GUI's live panels and the
HTML report), so "gaba" is the same green on screen and in a report attached
to a maintenance review. Plain strings: no drawing library is imported here.
"""

from __future__ import annotations

from collections import Counter

#: The two tasks.
RUL = "#e8710a"
HEALTH = "#1a73e8"

#: Health states by class index (0 normal, 1 degrading, 2 critical).
HEALTH_STATES = ("normal", "degrading", "critical")
STATE_COLOURS = {"normal": "#34a853", "degrading": "#f9ab00", "critical": "#d93025"}

#: Qualitative palette (Tableau 10) for methods and extra series.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)

# Known methods get a fixed colour, so "gaba" is the same green in every
# session and every picture; unknown ones take the palette colour fewest methods have.
_METHOD_COLOURS: dict[str, str] = {
    "fixed": "#5f6368",
    "fixed_tuned": "#ff9da7",
    "single_task": "#bab0ac",
    "amnl": "#9c755f",
    "gaba": "#59a14f",
    "grace": "#76b7b2",
    "uncertainty": "#b07aa1",
    "dwa": "#edc948",
    "gradnorm": "#e15759",
    "pcgrad": "#4e79a7",
    "gbm": "#1f1f1f",  # the classical baseline: near-black, drawn dashed
    "weibull": "#8c564b",  # the age-only life model: brown, drawn dashed
}

#: Methods drawn with a dashed line: baselines that are not a balancing method.
DASHED_METHODS = frozenset({"gbm", "weibull"})


def method_colour(method: str) -> str:
    """The colour of a balancing method, the same for the whole session."""
    if method not in _METHOD_COLOURS:
        # the palette colour fewest methods have so far (the first such, in palette order):
        # a new method never takes a colour already on screen while one is left unused
        used = Counter(_METHOD_COLOURS.values())
        _METHOD_COLOURS[method] = min(PALETTE, key=lambda colour: used[colour])
    return _METHOD_COLOURS[method]
