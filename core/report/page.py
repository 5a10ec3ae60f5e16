"""The comparison report as one self-contained HTML page.

What an engineer attaches to a maintenance review: what was compared on
which data and how, the results with their uncertainty, the curves behind
them, and enough configuration and version detail to repeat every run. The
page needs nothing but itself: styles inline, figures as inline SVG, no
script, no link to fetch — it opens the same way offline, in a mail client's
preview, or printed.
"""

from __future__ import annotations

import contextlib
import html
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import __version__
from core.common.formats import count, format_metric
from core.comparisons.runner import comparison_summary, normalised_config
from core.data.time_axis import CYCLES
from core.evaluation.balance import balance_note
from core.evaluation.statistics import compared_metric
from core.evaluation.variants import differing_settings, settings_rows
from core.executors.config import ExecutorConfig
from core.report import figures
from core.report.collect import ComparisonRecord
from core.report.environment import run_environments, this_machine
from core.report.sensors import sensor_section
from core.report.tables import (
    OTHER_COLUMNS,
    PROGNOSTIC_COLUMNS,
    PROGNOSTIC_PAIRED,
    TEST_COLUMNS,
    VAL_PROGNOSTIC_COLUMNS,
    VAL_PROGNOSTIC_PAIRED,
    figures_table,
    html_table,
    key_value_table,
    paired_table,
    statistics_notes,
)
from core.report.weibull import weibull_section
from core.runs.atomic import atomic_write_text
from core.training.selection import LABELS

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #3c4043;
       max-width: 1100px; margin: 24px auto; padding: 0 16px; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0; } h2 { margin-top: 2em; border-bottom: 1px solid #dadce0; }
.sub { color: #80868b; margin-top: 4px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.92em;
        display: block; max-width: 100%; overflow-x: auto; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e8eaed; text-align: left; }
th { background: #f1f3f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.settings td:first-child { color: #5f6368; }
.note { color: #5f6368; font-size: 0.92em; } .warn { color: #b06000; }
figure { margin: 12px 0 24px; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(250px, 1fr));
           gap: 0 24px; }
h3 { font-size: 1em; margin: 8px 0 0; } td.num, th { white-space: nowrap; }
@media print { h2 { break-before: auto; } figure { break-inside: avoid; } }
"""


def render(record: ComparisonRecord, generated: datetime | None = None) -> str:
    """The whole page for a comparison's finished runs."""
    if not record.runs:
        raise ValueError(f"'{record.title}' has no finished run to report")
    generated = generated or datetime.now(UTC)
    summary = comparison_summary(record.table, _cap(record), record.baseline)
    sections = [
        _header(record, generated),
        _section("Data and protocol", _protocol(record, summary)),
        sensor_section(_base(record)),
        _section("Results", _results(record, summary)),
        _figure_section("Validation curves", figures.validation_curves(record)),
        _gradient_section(record),
        _figure_section("Test predictions", figures.test_scatter(record)),
        _figure_section("Health state on the test engines", figures.confusion_matrices(record)),
        _prognostics(record, summary),
        weibull_section(record),
        _section("Configuration", _configuration(record)),
        _section("Runs", _runs(record)),
        _section("Machines and software", _machines(record)),
    ]
    title = html.escape(f"Comparison report: {record.title}")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{_CSS}</style></head><body>"
        + "".join(s for s in sections if s)
        + "</body></html>"
    )


def write_report(record: ComparisonRecord, out: str | Path) -> Path:
    """Render and write atomically (a half-written report never replaces an old one)."""
    path = Path(out)
    atomic_write_text(path, render(record))
    return path


def _cap(record: ComparisonRecord) -> float:
    return float(_base(record).get("preprocess", {}).get("rul_cap", 125.0))


def _base(record: ComparisonRecord) -> dict[str, Any]:
    """The comparison's shared configuration: the plan's, else the first network run's."""
    if record.plan and isinstance(record.plan.get("base"), dict):
        return record.plan["base"]
    networks = [run for run in record.runs if not run.history.empty] or record.runs
    return networks[0].config


def _header(record: ComparisonRecord, generated: datetime) -> str:
    methods, seeds = record.methods, sorted({run.seed for run in record.runs})
    when = generated.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<h1>Comparison report: {html.escape(record.title)}</h1>"
        f"<p class='sub'>{len(record.runs)} finished runs · {len(methods)} methods "
        f"({html.escape(', '.join(methods))}) · seeds {', '.join(map(str, seeds))} · "
        f"written {when} by rul-workbench {__version__}</p>"
    )


def _section(title: str, body: str) -> str:
    return f"<h2>{html.escape(title)}</h2>{body}"


def _gradient_section(record: ComparisonRecord) -> str:
    """The ratio and weights figure, and per method what its balance means (evaluation.balance)."""
    svg = figures.gradient_figure(record)
    if not svg:
        return ""
    notes = []
    for method in record.methods:
        rows = [row for run in record.runs_of(method) for row in run.history.to_dict("records")]
        note = balance_note(rows)
        if note:
            notes.append(f"<li><b>{html.escape(method)}</b>: {html.escape(note)}</li>")
    listed = f"<ul class=balance>{''.join(notes)}</ul>" if notes else ""
    return _section("Gradient balance", f"<figure>{svg}</figure>{listed}")


def _figure_section(title: str, svg: str | None) -> str:
    return _section(title, f"<figure>{svg}</figure>") if svg else ""


def _protocol(record: ComparisonRecord, summary: Any) -> str:
    base = _base(record)
    source, prep, train = base.get("source", {}), base.get("preprocess", {}), base.get("train", {})
    health = prep.get("health", {})
    select_on = train.get("select_on")
    unit = record.time_unit  # a fleet timed in hours counts its window in records
    rows = [
        ("data", _source_text(source)),
        (
            "window",
            f"{prep.get('window')} {'cycles' if unit == CYCLES else 'records'} "
            "(shorter units front-padded)",
        ),
        ("RUL cap", f"{prep.get('rul_cap')} {unit}"),
        (
            "health states",
            f"critical at RUL <= {health.get('critical')} {unit}, "
            f"degrading at RUL <= {health.get('degrading')}, else normal",
        ),
        (
            "validation units",
            f"{_percent(prep.get('val_fraction'))} of the training units, whole units, "
            f"split seed {prep.get('seed')}",
        ),
        ("model", f"{base.get('preset')} preset"),
        (
            "training",
            f"{_epochs(record, train)}, "
            f"batch {train.get('batch_size')}, "
            f"lr {train.get('lr')} ({train.get('lr_schedule')} schedule), "
            f"weight decay {train.get('weight_decay')}, input noise {train.get('input_noise')}",
        ),
        (
            "kept weights",
            f"best epoch on the validation units by {LABELS.get(select_on, select_on)}; "
            + _early_stopping(train.get("early_stopping_patience")),
        ),
        ("test", _test_text(summary, prep)),
    ]
    if record.plan and record.plan.get("executor"):
        rows.append(("ran on", _executor_text(record.plan["executor"])))
    return key_value_table(rows)


def _epochs(record: ComparisonRecord, train: dict[str, Any]) -> str:
    """The epoch budget, or every budget the runs had when they differ."""
    budgets = {
        int(epochs)
        for run in record.runs
        if (epochs := (run.config.get("train") or {}).get("epochs")) is not None
    }
    if len(budgets) > 1:
        shown = " / ".join(str(b) for b in sorted(budgets, reverse=True))
        return f"up to {shown} epochs (differs by run)"
    epochs = train.get("epochs")
    return f"up to {count(epochs, 'epoch') if isinstance(epochs, int) else epochs}"


def _early_stopping(patience: Any) -> str:
    if not patience:
        return "no early stopping: every epoch trained"
    return f"early stopping after {patience} epochs without improvement"


def _source_text(source: dict[str, Any]) -> str:
    kind = source.get("kind")
    if kind == "cmapss":
        return f"NASA C-MAPSS {source.get('subset')}"
    if kind == "csv":
        text = f"CSV {source.get('path')}"
        if source.get("removals"):
            text += (
                f", removals log {source['removals']} (engines removed before failure are "
                "suspensions: a censored RUL loss in training, never a failure)"
            )
        if source.get("test_csv"):
            text += f", in-service engines {source['test_csv']}"
        return text
    return "demo fleet (synthetic)"


def _executor_text(executor: Any) -> str:
    """``comparison.json``'s executor in words; as saved when it is not one this version reads."""
    known = {f.name for f in fields(ExecutorConfig)}
    if isinstance(executor, dict) and set(executor) <= known:
        with contextlib.suppress(TypeError, ValueError):
            return ExecutorConfig(**executor).describe()
    return str(executor)


def _percent(value: Any) -> str:
    return "?" if value is None else f"{100 * float(value):g} %"


def _test_text(summary: Any, prep: dict[str, Any]) -> str:
    if compared_metric(summary) == "val_rmse":
        return "no test split: methods are compared on their validation figures"
    held = float(prep.get("test_units") or 0)  # a count, or a share of the units below 1
    share = f"{100 * held:g} % of the units" if 0 < held < 1 else count(int(held), "unit")
    where = f"{share} held out of the fleet, each cut at a seeded point of its life; "
    where = where if held else ""
    return where + "evaluated once per run, on the kept weights; never used to choose anything"


def _results(record: ComparisonRecord, summary: Any) -> str:
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in statistics_notes(summary))
    if compared_metric(summary) == "val_rmse":
        notes = "<p class='warn'>No test split: every figure is a validation figure.</p>" + notes
    left = ""
    if record.left_out:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in record.left_out)
        left = f"<p class='warn'>Left out of every table and figure:</p><ul>{items}</ul>"
    tables = [
        figures_table(summary, TEST_COLUMNS, ensemble=True),
        figures_table(summary, OTHER_COLUMNS),
        "<p>Paired with the baseline:</p>" + paired_table(summary),
    ]
    return "".join(tables) + notes + left


#: What the prognostic section's figures are, for a reader who has not met them.
PROGNOSTIC_NOTE = (
    "Prognostic metrics over every prediction of an engine's life (Saxena et al. 2010; "
    "docs/prognostics.md), on the capped true RUL, α = 0.2, λ = 0.5: α-λ accuracy is the share "
    "of engines whose prediction half-way from the first prediction to failure lies within "
    "±20 % of the true RUL; α-λ fraction the share of an engine's predictions within that "
    "cone; the prognostic horizon how long before failure the predictions enter, and stay in, "
    "the true RUL ± 20 % of the engine's life (PH share: of the span predicted); RA the "
    "relative accuracy at λ and CRA its mean over the engine's predictions. Test engines are "
    "cut before failure, so only those whose record reaches half-way count for α-λ and RA. "
    "Higher is better for all of them: a paired difference above zero is an improvement."
)


def _prognostics(record: ComparisonRecord, summary: Any) -> str:
    """Prognostic figures per method, paired with the baseline, and the α-λ plot."""
    tables = [figures_table(summary, PROGNOSTIC_COLUMNS),
              figures_table(summary, VAL_PROGNOSTIC_COLUMNS)]  # fmt: skip
    svg = figures.alpha_lambda_figure(record)
    if not any(tables) and svg is None:
        return ""  # runs from before the prognostic figures, without trajectories
    parts = [f"<p class='note'>{html.escape(PROGNOSTIC_NOTE)}</p>", *tables]
    if any(tables):
        paired = paired_table(summary, PROGNOSTIC_PAIRED, VAL_PROGNOSTIC_PAIRED)
        parts += ["<p>Paired with the baseline:</p>" + paired] if paired else []
    parts += [f"<figure>{svg}</figure>"] if svg else []
    return _section("Prognostic metrics", "".join(parts))


def _configuration(record: ComparisonRecord) -> str:
    base = _base(record)
    differing = differing_settings(normalised_config(run.config) for run in record.runs)
    varies = {name for name, _ in differing}
    blocks = []
    for section in ("source", "preprocess", "model", "train"):
        values = dict(base.get(section) or {})
        if section == "source" and values.get("kind") != "demo":
            values.pop("demo", None)  # the demo fleet's settings matter only for the demo
        shared = [
            (name, value)
            for name, value in settings_rows(values)
            if f"{section}.{name}" not in varies  # listed below, with every run's value
        ]
        blocks.append(f"<div><h3>{section}</h3>{key_value_table(shared)}</div>")
    parts = [
        f"<p>Settings every run shares ({html.escape(str(base.get('preset')))} preset):</p>",
        f"<div class='columns'>{''.join(blocks)}</div>",
    ]
    params = {run.method: run.config.get("method_params") or {} for run in record.runs}
    rows = [
        (m, ", ".join(f"{k} = {v}" for k, v in p.items()) or "defaults") for m, p in params.items()
    ]
    parts += ["<p>Method settings:</p>", key_value_table(rows)]
    if differing:
        note = "<p class='warn'>Settings that differ between runs:</p>"
        parts += [note, key_value_table(differing)]
    return "".join(parts)


def _runs(record: ComparisonRecord) -> str:
    head = ["run", "status", "folder", "kept epoch", "epochs", "seconds", "val. RMSE", "test RMSE"]
    body = []
    for run in record.runs:
        m = run.metrics
        epochs = m.get("epochs_run") or None  # the classical baseline has no epochs
        body.append([
            html.escape(f"{run.method} s{run.seed}"),
            html.escape(str(m.get("status"))),
            html.escape(run.path.name),
            str(m.get("best_epoch")) if epochs else "–",
            str(epochs) if epochs else "–",
            format_metric("seconds", m.get("seconds")),
            format_metric("val_rmse", m.get("val_rmse")),
            format_metric("rmse", m.get("rmse")),
        ])  # fmt: skip
    return html_table(head, body, numeric_from=3, css="runs")


def _machines(record: ComparisonRecord) -> str:
    return (
        "<p>The runs:</p>"
        + key_value_table(run_environments(record))
        + "<p>This report was written on:</p>"
        + key_value_table(this_machine())
    )
