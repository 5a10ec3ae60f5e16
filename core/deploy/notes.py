"""What is written beside an exported model: model.json, README.md and preprocessing.json.

``model.json`` says for programs, and ``README.md`` for people, what goes in
(a window or, for a smoothed run, a history; the columns in order; raw
readings) and what comes out; ``preprocessing.json`` is the run's own file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from core.data.config import HealthThresholds
from core.data.pipeline_file import FILE as PREPROCESSING
from core.data.pipeline_file import pipeline_to_dict
from core.deploy.inputs import INPUT, history_horizon, input_columns
from core.prediction.inference import FleetPredictor

SIGNATURE = "model.json"


def signature(run: Path, predictor: FleetPredictor, format: str, model_file: str) -> dict[str, Any]:
    """``model.json``: what goes in and what comes out, for programs."""
    pipeline, config = predictor.pipeline, predictor.config
    window, columns = config.preprocess.window, input_columns(pipeline)
    health, classes = pipeline.config.health, list(HealthThresholds.NAMES)
    alpha = pipeline.config.smoothing
    return {
        "format": "rul-workbench exported model",
        "version": 1,
        "model_format": format,
        "model_file": model_file,
        "run": run.name,
        "method": config.method,
        "seed": config.seed,
        "preset": config.preset,
        "input": {
            "name": INPUT,
            "shape": ["batch", window if alpha >= 1.0 else "time", len(columns)],
            "dtype": "float64",
            "columns": list(columns),
            "features": list(pipeline.features.used),
            "condition_settings": list(pipeline.conditions.settings)
            if pipeline.conditions.fitted
            else [],
            "conditions": pipeline.conditions.k,
            "window": window,
            "window_only": alpha >= 1.0,
            "smoothing": alpha,
            "history_horizon": history_horizon(alpha),
            "normalised_inside": True,
        },
        "outputs": {
            "rul": {
                "shape": ["batch"],
                "dtype": "float32",
                "unit": pipeline.time_unit,
                "cap": pipeline.config.rul_cap,
            },
            "health_logits": {"shape": ["batch", 3], "dtype": "float32", "classes": classes},
            "health_probabilities": {"shape": ["batch", 3], "dtype": "float32", "classes": classes},
        },
        "health_thresholds": {"degrading": health.degrading, "critical": health.critical},
    }


def write_notes(folder: Path, run: Path, predictor: FleetPredictor, signature: dict) -> None:
    """``preprocessing.json`` (copied, or made for a run that predates it), model.json, README."""
    saved = run / PREPROCESSING
    # the run's own file, byte for byte; without one, the pipeline the predictor
    # rebuilt (core.prediction.inference reads runs made before the file existed)
    if saved.is_file():
        shutil.copyfile(saved, folder / PREPROCESSING)
    else:
        text = json.dumps(pipeline_to_dict(predictor.pipeline), indent=2)
        (folder / PREPROCESSING).write_text(text, encoding="utf-8")
    (folder / SIGNATURE).write_text(json.dumps(signature, indent=2), encoding="utf-8")
    (folder / "README.md").write_text(_readme(signature), encoding="utf-8")


def _input_text(given: dict) -> str:
    """What the input holds: one window per engine, or (a smoothed run) its whole history."""
    raw = (
        "**raw** readings in the units of the training data (not z-scored: the model "
        "normalises them itself, exactly as training did)."
    )
    if given["window_only"]:
        return (
            f"float64, shape `[batch, {given['window']}, {len(given['columns'])}]`: per engine, "
            f"its last {given['window']} cycles, oldest first, {raw} An engine with fewer "
            "cycles is front-padded by repeating its first row."
        )
    return (
        f"float64, shape `[batch, time, {len(given['columns'])}]`: per engine, its readings "
        f"from its **first record** on, oldest first, {raw} The run smoothed each engine's "
        f"readings from its first record (alpha {given['smoothing']:g}), so the model needs "
        "the history: it smooths it, keeps the last "
        f"{given['window']} rows (front-padding a shorter history) and predicts. Histories "
        "in one batch have one length (feed engines one at a time otherwise). A reading "
        f"{given['history_horizon']} records old weighs under 1e-9: a longer history may be "
        f"cut to its last {given['history_horizon'] + given['window']} records."
    )


def _readme(s: dict) -> str:
    given, unit = s["input"], s["outputs"]["rul"]["unit"]
    columns = "\n".join(f"{i}. `{name}`" for i, name in enumerate(given["columns"]))
    load = (
        "```python\nimport onnxruntime\nsession = onnxruntime.InferenceSession('model.onnx')\n"
        "rul, logits, probabilities = session.run(None, {'readings': windows})\n```"
        if s["model_format"] == "onnx"
        else "```python\nimport torch\nmodel = torch.jit.load('model.pt')\n"
        "rul, logits, probabilities = model(torch.from_numpy(windows))\n```"
    )
    settings = given["condition_settings"]
    conditions = (
        f"The run has {given['conditions']} operating conditions: each row's condition is "
        f"the nearest of the saved centres of its settings ({', '.join(settings)}), "
        "computed inside the model."
        if settings
        else "The run has one operating condition: every row is z-scored with the same statistics."
    )
    return f"""# Exported model of run {s["run"]}

{s["method"]}, seed {s["seed"]}, preset {s["preset"]}: the weights the run's predictions use
(its `best.pt`), exported as {s["model_format"]} by `rulwb export`.

## Input `readings`

{_input_text(given)} Columns, in this order:

{columns}

{conditions} The statistics are in `preprocessing.json` (the run's own file).

## Outputs

* `rul`, float32 `[batch]`: remaining useful life in {unit} at the window's last cycle,
  never negative; trained on targets capped at {s["outputs"]["rul"]["cap"]:g}.
* `health_logits`, float32 `[batch, 3]`: normal, degrading, critical.
* `health_probabilities`, float32 `[batch, 3]`: their softmax. The run calls a RUL at or
  below {s["health_thresholds"]["degrading"]:g} degrading and at or below
  {s["health_thresholds"]["critical"]:g} critical.

## Use

{load}

`model.json` says the same for programs.
"""
