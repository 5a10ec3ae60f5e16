"""A plain-dict summary of prepared data, for the CLI (`rulwb data summary`) and the GUI."""

from __future__ import annotations

from core.data.health_indicators import format_scores, scores_record
from core.data.prepare import PreparedData


def summarise(data: PreparedData) -> dict:
    """Units, rows and windows per split, features used and dropped, conditions, classes."""
    test_last = data.test_last
    return {
        "source": data.source,
        "train_units": data.train.n_units,
        "val_units": data.val.n_units,
        "test_units": 0 if test_last is None else len(test_last),
        "train_rows": data.rows["train"],
        "val_rows": data.rows["val"],
        "test_rows": data.rows.get("test", 0),
        "train_windows": len(data.train),
        "val_windows": len(data.val),
        "test_windows": 0 if test_last is None else len(test_last),
        "test_trajectory_windows": 0 if data.test is None else len(data.test),
        "features": list(data.features),
        "dropped_features": dict(data.pipeline.features.dropped),
        "conditions": data.pipeline.conditions.k,
        "conditions_how": data.pipeline.conditions.how,
        "class_counts": data.class_counts(),
        "rul_cap": data.config.rul_cap,
        "window": data.config.window,
        "health_thresholds": {
            "degrading": data.config.health.degrading,
            "critical": data.config.health.critical,
        },
        "test_split": data.test_split,
        "unit_status": data.unit_status,
        "time_unit": data.time_unit,
        "suspended_units": len(data.suspended),
        "warnings": [str(w) for w in data.warnings],
        "health_indicators": _health_indicators(data),
    }


def _health_indicators(data: PreparedData) -> dict:
    """Each sensor's monotonicity, trendability and prognosability (None where undefined)."""
    scores = data.sensor_scores
    rows = [{"sensor": name, **values} for name, values in scores_record(scores).items()]
    return {"scored_on": scores.attrs.get("scored_on", ""), "sensors": rows}


def format_summary(summary: dict) -> str:
    """The summary as aligned text for a terminal."""
    lines = [f"source            {summary['source']}"]
    for split in ("train", "val", "test"):
        lines.append(
            f"{split:<6} units {summary[f'{split}_units']:>6}   rows {summary[f'{split}_rows']:>7}"
            f"   windows {summary[f'{split}_windows']:>7}"
        )
    lines.append(f"training units    {summary.get('unit_status', '')}")
    lines.append(f"test split        {summary.get('test_split', '')}")
    unit = summary.get("time_unit", "cycles")
    records = "cycles" if unit == "cycles" else "records"
    lines.append(
        f"window            {summary['window']} {records}, RUL cap {summary['rul_cap']:g} {unit}"
    )
    thresholds = summary["health_thresholds"]
    lines.append(
        f"health states     normal > {thresholds['degrading']:g} >= degrading > "
        f"{thresholds['critical']:g} >= critical"
    )
    lines.append(f"conditions        {summary.get('conditions_how', summary['conditions'])}")
    lines.append(f"features ({len(summary['features'])})     {', '.join(summary['features'])}")
    for name, why in summary["dropped_features"].items():
        lines.append(f"  dropped {name:<8} {why}")
    scores = summary.get("health_indicators") or {}
    if scores.get("sensors"):
        lines.append(f"health indicators ({scores['scored_on']}; * feature used)")
        lines += format_scores(scores["sensors"], summary["features"])
    for split, counts in summary["class_counts"].items():
        text = ", ".join(f"{k} {v}" for k, v in counts.items())
        lines.append(f"classes {split:<6}    {text}")
    lines += [f"warning: {w}" for w in summary["warnings"]]
    return "\n".join(lines)
