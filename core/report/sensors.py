"""The report's sensor table: which sensors of the compared data carry the wear.

Monotonicity, trendability and prognosability of every sensor
(:mod:`core.data.health_indicators`), on the fitting units of the
comparison's source under its preprocessing. Unlike the rest of the report
these are not read from the run folders: the source is read again, so a
report written where the source cannot be read (a CSV path of another
machine, no C-MAPSS folder) says so instead of showing the table.
"""

from __future__ import annotations

import html
from typing import Any

from core.common.errors import WorkbenchError
from core.data.config import PreprocessConfig
from core.data.health_indicators import SCORES, format_score
from core.data.prepare import prepare
from core.data.sources import SourceSpec, load_source
from core.report.tables import html_table

TITLE = "Sensor health indicators"


def sensor_section(base: dict[str, Any]) -> str:
    """The section for a comparison's shared configuration (``config.json``'s layout)."""
    try:
        source = SourceSpec.from_dict(base.get("source") or {})
        config = PreprocessConfig.from_dict(base.get("preprocess") or {})
        data = prepare(load_source(source), config)
    except (WorkbenchError, OSError, ValueError, KeyError, TypeError) as error:
        why = html.escape(f"the source could not be read here ({error})")
        return _section(f"<p class='note'>Not computed: {why}.</p>")
    scores = data.sensor_scores
    if scores.empty:
        return ""
    used = set(data.features)
    body = [
        [html.escape(str(row["sensor"])), "yes" if row["sensor"] in used else "",
         *(format_score(row[s]) for s in SCORES)]
        for _, row in scores.iterrows()
    ]  # fmt: skip
    chosen = data.pipeline.features
    how = (
        f" The features were the best {data.config.sensors_top} by {chosen.ranked_by}."
        if chosen.ranked_by
        else ""
    )
    note = (
        f"Scored on {scores.attrs.get('scored_on', 'the fitting units')} (Coble & Hines 2009, "
        "as MATLAB's Predictive Maintenance Toolbox; docs/data.md), each from 0 to 1, higher "
        "better: monotonicity, the mean share of a unit's steps that go one way; trendability, "
        "the weakest |correlation| between two units' life-long series; prognosability, how "
        "little the failure values scatter against the distance from first to failure value. "
        f"A constant sensor scores 0; – where a score is undefined.{how}"
    )
    head = ["sensor", "feature", *SCORES]
    table = html_table(head, body, numeric_from=2, css="sensors")
    return _section(f"<p class='note'>{html.escape(note)}</p>{table}")


def _section(body: str) -> str:
    return f"<h2>{html.escape(TITLE)}</h2>{body}"
