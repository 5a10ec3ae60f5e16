"""What a run's gradient balance means, in words: its effective ratio and the tasks' agreement.

The effective ratio ``w_rul |g_rul| / (w_health |g_health|)`` is the mix of
the two tasks in the shared update -- the only thing a method's weights
change under AdamW or clipped SGD (docs/balance.md). Far from 1 the update
is one task's; whether that matters depends on whether the task gradients
agree (their cosine): on C-MAPSS they do (0.4-0.7), and methods whose
effective ratios differ ten-thousandfold validate within about a cycle.
The GUI's gradients panel and the HTML report print :func:`balance_note`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from statistics import median

#: Effective ratios within this factor of 1 count as balanced.
BALANCED_WITHIN = 10.0
#: A cosine beyond +-this counts as agreeing (conflicting) task gradients.
AGREE = 0.2
#: Epochs before this are most methods' warm-up (GABA's 100 steps, DWA's two epochs).
FROM_EPOCH = 3


def typical_balance(rows: Iterable[Mapping]) -> tuple[float, float] | None:
    """Median effective ratio and cosine over the probed epochs from :data:`FROM_EPOCH` on
    (all probed epochs when the run is shorter); ``None`` before anything was probed."""
    probed = [r for r in rows if _finite(r.get("effective_ratio")) and _finite(r.get("cosine"))]
    later = [r for r in probed if int(r.get("epoch") or 0) >= FROM_EPOCH] or probed
    if not later:
        return None
    return (median(float(r["effective_ratio"]) for r in later),
            median(float(r["cosine"]) for r in later))  # fmt: skip


def balance_note(rows: Iterable[Mapping]) -> str:
    """One sentence on a run's (or a method's runs') balance; empty when unprobed."""
    typical = typical_balance(rows)
    if typical is None:
        return ""
    ratio, cosine = typical
    share = _share(SHARE_WORDS, ratio)
    if cosine >= AGREE:
        agreement = (f"the task gradients agree (cosine {cosine:.2f}): on such tasks another "
                     "balance changes validation figures little")  # fmt: skip
    elif cosine <= -AGREE:
        agreement = (
            f"the task gradients conflict (cosine {cosine:.2f}), so the balance matters here"
        )
    else:
        agreement = f"the task gradients are nearly orthogonal (cosine {cosine:.2f})"
    return f"{share[0].upper()}{share[1:]}; {agreement}."


def balance_headline(rows: Iterable[Mapping]) -> str:
    """The same in a few words, for a panel's toolbar: ``RUL-dominated 30 : 1 · cos 0.60``."""
    typical = typical_balance(rows)
    return "" if typical is None else f"{_share(SHARE_SHORT, typical[0])} · cos {typical[1]:.2f}"


#: Who the shared update belongs to, by the typical effective ratio: a sentence and a label.
SHARE_WORDS = {
    "none": "the RUL task gets no share of the shared update (effective ratio 0)",
    "rul": "the shared update stays RUL-dominated (effective ratio {ratio} : 1)",
    "health": "the shared update is health-dominated (effective ratio 1 : {inverse})",
    "even": "the two tasks share the shared update evenly (effective ratio {ratio})",
}
SHARE_SHORT = {
    "none": "RUL gets no share of the shared update",
    "rul": "shared update RUL-dominated {ratio} : 1",
    "health": "shared update health-dominated 1 : {inverse}",
    "even": "shared update balanced {ratio} : 1",
}


def _share(words: dict[str, str], ratio: float) -> str:
    """Who the shared update belongs to at this effective ratio, in ``words``."""
    if ratio <= 0:
        kind = "none"
    elif ratio >= BALANCED_WITHIN:
        kind = "rul"
    else:
        kind = "health" if ratio <= 1 / BALANCED_WITHIN else "even"
    inverse = 1 / ratio if ratio > 0 else 0.0
    return words[kind].format(ratio=_times(ratio), inverse=_times(inverse))


def _times(value: float) -> str:
    """A ratio as people read one: 30, 1,930 (not 1.93e+03), 4.5."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
