"""The loaded data's summary as compact HTML for the Data dock.

It answers what an engineer checks before training: how many engines and
windows each split has, which sensors the model will see, which were dropped
and why, and whether the health states are balanced enough to learn.
"""

from __future__ import annotations

from html import escape

from core.data.prepare import FEW_VALIDATION_UNITS

STATES = ("normal", "degrading", "critical")
STATE_COLOURS = {"normal": "#1a7f37", "degrading": "#9a6700", "critical": "#cf222e"}


def summary_html(summary: dict) -> str:
    """HTML for one :func:`core.data.summary.summarise` dictionary."""
    parts = [
        f"<b>{escape(str(summary['source']))}</b>",
        _splits_table(summary),
        _unit_status(summary),
        _test_split(summary),
        _validation(summary),
        _protocol(summary),
        _features(summary),
        _classes(summary),
        _warnings(summary),
    ]
    return "".join(p for p in parts if p)


def _splits_table(summary: dict) -> str:
    rows = "".join(
        f"<tr><td>{split}</td><td align=right>{summary[f'{split}_units']:,}</td>"
        f"<td align=right>{summary[f'{split}_windows']:,}</td></tr>"
        for split in ("train", "val", "test")
    )
    head = "<tr><th align=left>split</th><th>engines</th><th>windows</th></tr>"
    return f"<table cellspacing=0 cellpadding=2>{head}{rows}</table>"


def _unit_status(summary: dict) -> str:
    """How many training units failed and how many were suspended (removed before failure)."""
    text = str(summary.get("unit_status") or "")
    if not text:
        return ""
    return f"<p>Training units: {escape(text)}</p>"


def _test_split(summary: dict) -> str:
    """Where test figures come from; said in the warning colour when nowhere."""
    text = str(summary.get("test_split") or "")
    if not text:
        return ""
    colour = STATE_COLOURS["degrading"] if text.startswith("no test split") else "#57606a"
    return f"<p><font color='{colour}'>Test: {escape(text)}</font></p>"


def _validation(summary: dict) -> str:
    """A small validation split, said near the top (its warning, in full, is further down)."""
    n = int(summary.get("val_units") or 0)
    if not 0 < n < FEW_VALIDATION_UNITS:
        return ""
    colour = STATE_COLOURS["degrading"]
    return (
        f"<p><font color='{colour}'>Validation: only {n} unit{'s' * (n != 1)} choose the kept "
        "epoch (see the warnings below)</font></p>"
    )


def _protocol(summary: dict) -> str:
    thresholds = summary["health_thresholds"]
    unit = "hours" if summary.get("time_unit") == "hours" else "cycles"
    # A window counts rows: cycles of a fleet of cycles, records of a fleet of hours.
    rows = "cycles" if unit == "cycles" else "records"
    return (
        f"<p>Time in {unit}. Window {summary['window']} {rows}, "
        f"RUL cap {summary['rul_cap']:g} {unit}, "
        f"{summary['conditions']} operating condition(s).<br>"
        f"Health: normal &gt; {thresholds['degrading']:g} &ge; degrading &gt; "
        f"{thresholds['critical']:g} &ge; critical.</p>"
    )


def _features(summary: dict) -> str:
    used = ", ".join(escape(f) for f in summary["features"])
    text = f"<p><b>{len(summary['features'])} features used:</b> {used}"
    dropped = summary["dropped_features"]
    if dropped:
        items = "".join(
            f"<li>{escape(str(name))}: <i>{escape(str(why))}</i></li>"
            for name, why in dropped.items()
        )
        text += f"<br><b>{len(dropped)} dropped:</b><ul style='margin:0'>{items}</ul>"
    return text + "</p>"


def _classes(summary: dict) -> str:
    head = "".join(f"<th><font color='{STATE_COLOURS[s]}'>{s}</font></th>" for s in STATES)
    rows = ""
    for split, counts in summary["class_counts"].items():
        cells = "".join(f"<td align=right>{counts.get(s, 0):,}</td>" for s in STATES)
        rows += f"<tr><td>{split}</td>{cells}</tr>"
    return (
        "<p><b>Health states (windows)</b></p>"
        f"<table cellspacing=0 cellpadding=2><tr><th></th>{head}</tr>{rows}</table>"
    )


def _warnings(summary: dict) -> str:
    warnings = summary.get("warnings") or []
    if not warnings:
        return ""
    items = "".join(f"<li>{escape(str(w))}</li>" for w in warnings[:20])
    more = f"<li>… and {len(warnings) - 20} more</li>" if len(warnings) > 20 else ""
    return f"<p><b><font color='#9a6700'>Warnings</font></b></p><ul>{items}{more}</ul>"
