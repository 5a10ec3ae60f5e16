"""Export a run's selected model, with its normalisation, as ONNX or TorchScript.

What a run predicts with is :meth:`core.prediction.inference.FleetPredictor.from_run`:
the run's ``best.pt`` (the weights kept on validation, or the refit model when
the run refitted) and its fitted preprocessing. The exported graph is that
model *behind* the preprocessing's arithmetic, so it takes **raw readings**:

* input ``readings``: float64, ``[batch, window, columns]``, the columns in the
  order :func:`input_columns` gives (the features the run used, then any
  operating-setting column the condition model needs that is not a feature);
  a window is the last ``window`` cycles of an engine, oldest first, and an
  engine with fewer cycles is front-padded by repeating its first row
  (:func:`raw_windows` builds them from a fleet);
* inside: each row's operating condition (the nearest KMeans centre of its
  standardised settings, when the run has several), the per-condition z-score
  in float64, then a cast to float32 -- exactly the training pipeline's steps,
  so the exported model reproduces the run's predictions, not approximately;
* outputs ``rul`` ``[batch]`` (in the run's time unit, normally cycles, never
  negative), ``health_logits`` and ``health_probabilities`` ``[batch, 3]``
  (normal, degrading, critical).

A run trained with ``--smoothing`` (each engine's normalised readings
exponentially smoothed from its first record) takes the engine's **history**
instead: ``[batch, time, columns]``, every reading from the engine's first
record on, oldest first, any number of them (histories of one batch have the
same length; :func:`raw_histories`). The model normalises, smooths from the
first row on (the same recursion, as a matrix product), keeps the last
``window`` rows (front-padding a short history with its first row) and
predicts, as the workbench does. A reading older than ``k`` records weighs
``(1 - alpha)**k``, so a long history may be cut to its last few hundred
records at a cost below 1e-6 of a cycle (``model.json`` says how many).

Why float64 in: sensor readings such as 1589.7 or 9050.2 keep about 1e-4 of
their digits in float32, and after a z-score by a standard deviation of 0.5
that is a visible change of the prediction. Normalising in float64 and casting
afterwards is what the workbench does.

Each export checks itself: the written file is loaded back (onnxruntime,
``torch.jit.load``) and must reproduce the PyTorch model on a batch of
readings of every operating condition, else nothing is left behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from core.common.errors import WorkbenchError
from core.data.config import HealthThresholds
from core.data.fleet import Fleet
from core.data.pipeline_file import FILE as PREPROCESSING
from core.data.pipeline_file import pipeline_to_dict
from core.data.prepare import FittedPipeline
from core.data.preprocess import unit_codes
from core.model import DualTaskModel
from core.prediction.inference import FleetPredictor

FORMATS = ("onnx", "torchscript")
MODEL_FILES = {"onnx": "model.onnx", "torchscript": "model.pt"}
SIGNATURE = "model.json"
INPUT = "readings"
OUTPUTS = ("rul", "health_logits", "health_probabilities")
#: How closely the written file must reproduce the PyTorch model (RUL in cycles).
SELF_CHECK_TOLERANCE = 1e-3
#: ONNX opset: 18 is the oldest the torch.export-based exporter writes well; onnxruntime
#: 1.18 (the oldest the ``deploy`` extra allows) runs up to 21.
OPSET = 18


@dataclass(frozen=True)
class ExportedModel:
    """Where an export went: the folder, the model file in it and the input columns."""

    folder: Path
    model_file: Path
    columns: tuple[str, ...]
    window: int


def input_columns(pipeline: FittedPipeline) -> tuple[str, ...]:
    """The input's columns: the run's features, then settings the condition model needs."""
    used = tuple(pipeline.features.used)
    settings = pipeline.conditions.settings if pipeline.conditions.fitted else ()
    return used + tuple(s for s in settings if s not in used)


class RawReadingsModel(nn.Module):
    """The run's model behind its preprocessing: raw readings in, RUL and health out."""

    feature_index: Tensor
    mean: Tensor
    spread: Tensor
    setting_index: Tensor
    centre: Tensor
    scale: Tensor
    centres: Tensor

    def __init__(self, model: DualTaskModel, pipeline: FittedPipeline) -> None:
        super().__init__()
        self.model = model.eval()
        #: Smoothing's alpha (1: none, the input is one window) and the window length.
        self.alpha, self.window = float(pipeline.config.smoothing), int(pipeline.config.window)
        columns = input_columns(pipeline)
        where = {name: i for i, name in enumerate(columns)}
        normaliser, conditions = pipeline.normaliser, pipeline.conditions
        assert normaliser.mean is not None and normaliser.std is not None
        self.by_condition = conditions.fitted
        self.register_buffer("feature_index", _index(pipeline.features.used, where))
        self.register_buffer("mean", _double(normaliser.mean))
        # the z-score's divisor exactly as ConditionNormaliser.transform forms it
        self.register_buffer("spread", _double(normaliser.std + normaliser.eps))
        if self.by_condition:
            self.register_buffer("setting_index", _index(conditions.settings, where))
            self.register_buffer("centre", _double(conditions.centre))
            self.register_buffer("scale", _double(conditions.scale))
            self.register_buffer("centres", _double(conditions.centres))

    def forward(self, readings: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        values = readings.index_select(2, self.feature_index)
        if self.by_condition:
            settings = (readings.index_select(2, self.setting_index) - self.centre) / self.scale
            distance = (settings.unsqueeze(-2) - self.centres).pow(2).sum(-1)  # [B, W, k]
            condition = distance.argmin(-1)  # nearest centre, as OperatingConditions.assign
            mean, spread = self.mean[condition], self.spread[condition]
        else:
            mean, spread = self.mean[0], self.spread[0]
        normalised = (values - mean) / spread
        if self.alpha < 1.0:  # a history in: smooth it, then its last window
            normalised = last_window(smoothed_history(normalised, self.alpha), self.window)
        rul, logits = self.model(normalised.float())
        return rul, logits, torch.softmax(logits, dim=-1)


def smoothed_history(values: Tensor, alpha: float) -> Tensor:
    """``s_t = alpha x_t + (1 - alpha) s_{t-1}`` from ``s_0 = x_0`` along dim 1, as one product.

    :func:`core.data.prepare.smoothed`'s recursion (scipy's lfilter) written as
    a lower-triangular matrix of weights, ``alpha (1 - alpha)**(t - k)`` for
    ``k >= 1`` and ``(1 - alpha)**t`` for the first row, so an exporter sees
    tensor arithmetic of any length instead of a loop.
    """
    t = torch.arange(values.shape[1], dtype=values.dtype, device=values.device)
    lag = t.unsqueeze(1) - t.unsqueeze(0)  # [time, time]: t - k
    decay = torch.pow(torch.full_like(lag, 1.0 - alpha), lag.clamp(min=0.0))
    weights = torch.where(lag >= 0, alpha * decay, torch.zeros_like(lag))
    weights = torch.where(t.unsqueeze(0) == 0, torch.where(lag >= 0, decay, weights), weights)
    return torch.einsum("tk,bkf->btf", weights, values)


def last_window(values: Tensor, window: int) -> Tensor:
    """The last ``window`` rows along dim 1; a shorter history front-padded with its first row."""
    padded = torch.cat([values[:, :1].expand(-1, window, -1), values], dim=1)
    return padded[:, -window:]


def export_model(run_dir: str | Path, format: str, out: str | Path | None = None) -> ExportedModel:
    """Write the run's model (``format``: onnx or torchscript) and its notes into ``out``.

    ``out`` is a folder (default: ``<run folder>-<format>`` beside the run
    folder); it gets ``model.onnx`` or ``model.pt``, ``preprocessing.json``,
    ``model.json`` (the inputs and outputs, machine-readable) and ``README.md``.
    A folder that exists is refused unless it is an earlier export (it is
    replaced) or empty.
    """
    run = Path(run_dir)
    if format not in FORMATS:
        raise WorkbenchError(
            f"{run}: cannot export as '{format}': the formats are {', '.join(FORMATS)}"
        )
    if not run.is_dir():
        raise WorkbenchError(f"{run}: no such run folder")
    predictor = FleetPredictor.from_run(run)  # names the folder when it holds no model
    folder = Path(out) if out is not None else run.parent / f"{run.name}-{format}"
    _check_target(folder)
    wrapped = RawReadingsModel(predictor.model, predictor.pipeline).eval()
    window = predictor.config.preprocess.window
    length = _sample_length(predictor.pipeline)
    sample = _sample_readings(predictor.pipeline, length(0))
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=folder.parent) as work:
        staging = Path(work) / "model"
        staging.mkdir()
        model_file = staging / MODEL_FILES[format]
        signature = _signature(run, predictor, format)
        if format == "onnx":
            _write_onnx(wrapped, sample, model_file, signature)
        else:
            _write_torchscript(wrapped, sample, model_file, signature)
        other = _sample_readings(predictor.pipeline, length(1), batch_per_condition=3, seed=1)
        _check_reproduces(wrapped, model_file, format, other)
        _write_notes(staging, run, predictor, signature)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    columns = input_columns(predictor.pipeline)
    return ExportedModel(folder, folder / MODEL_FILES[format], columns, window)


def _sample_length(pipeline: FittedPipeline):
    """Rows of the samples traced and checked: a window, or histories of two other lengths."""
    window = pipeline.config.window
    if pipeline.config.smoothing >= 1.0:
        return lambda _: window
    return lambda which: (window + 17, max(window // 2, 1))[which]


def history_horizon(alpha: float, negligible: float = 1e-9) -> int:
    """Records after which a reading's weight in the smoothed value is below ``negligible``."""
    return int(np.ceil(np.log(negligible) / np.log(1.0 - alpha))) if alpha < 1.0 else 0


def _check_target(folder: Path) -> None:
    """Refuse to replace a folder that is neither empty nor an earlier export."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise WorkbenchError(f"{folder}: exists and is not a folder; give another --out")
    earlier = folder / SIGNATURE
    if any(folder.iterdir()) and not earlier.is_file():
        raise WorkbenchError(
            f"{folder}: the folder holds other files; give an empty folder or a new name"
        )


def raw_windows(
    fleet: Fleet, columns: tuple[str, ...] | list[str], window: int, last_only: bool = False
) -> tuple[np.ndarray, list, np.ndarray]:
    """Raw windows of ``columns`` the way training windowed them: ``[n, window, columns]``.

    Stride 1 over each unit (units and cycles in the fleet's order), a unit
    shorter than ``window`` front-padded with its first row, float64. Returns
    the windows, each window's unit id and the cycle it ends at; ``last_only``
    keeps one window per unit (its latest), what an engine in service is scored on.
    """
    windows, units, ends = [], [], []
    for history, unit, cycles in zip(*raw_histories(fleet, columns), strict=True):
        rows = np.arange(len(history))
        padded = np.r_[np.repeat(rows[:1], max(window - len(rows), 0)), rows]
        starts = (
            range(len(padded) - window, len(padded) - window + 1)
            if last_only
            else range(len(padded) - window + 1)
        )
        for start in starts:
            windows.append(history[padded[start : start + window]])
            units.append(unit)
            ends.append(cycles[padded[start + window - 1]])
    shape = (0, window, len(columns))
    return (np.stack(windows) if windows else np.zeros(shape)), units, np.asarray(ends)


def raw_histories(
    fleet: Fleet, columns: tuple[str, ...] | list[str]
) -> tuple[list[np.ndarray], list, list[np.ndarray]]:
    """Each engine's raw readings from its first record (``[time, columns]``, float64).

    The input of a model exported from a run with smoothing (feed one engine at
    a time, or several histories of one length). Returns the histories, the
    units and each history's cycles.
    """
    missing = [c for c in columns if c not in fleet.frame.columns]
    if missing:
        raise WorkbenchError(f"{fleet.name}: column(s) {missing} of the exported model missing")
    values = fleet.frame[list(columns)].to_numpy(np.float64)
    cycles = fleet.frame["cycle"].to_numpy()
    codes, ids = unit_codes(fleet)
    rows = [np.flatnonzero(codes == code) for code in range(len(ids))]
    return [values[r] for r in rows], list(ids), [cycles[r] for r in rows]


# ------------------------------------------------------------------ writers
def _write_onnx(model: nn.Module, sample: Tensor, path: Path, signature: dict) -> None:
    try:
        import onnx
        import onnxscript  # noqa: F401  (torch's exporter needs it; say so before it fails)
    except ImportError as error:
        raise WorkbenchError(
            f"ONNX export needs the onnx and onnxscript packages ({error.name} is missing): "
            "pip install 'rul-workbench[deploy]'"
        ) from None
    batch = torch.export.Dim("batch", min=1)
    axes = (
        {0: batch}
        if signature["input"]["window_only"]
        else {0: batch, 1: torch.export.Dim("time", min=1)}
    )
    with _quiet(), torch.no_grad():
        program = torch.onnx.export(
            model,
            (sample,),
            dynamo=True,
            input_names=[INPUT],
            output_names=list(OUTPUTS),
            dynamic_shapes=(axes,),
            opset_version=OPSET,
            verbose=False,
        )
    assert program is not None
    program.save(str(path))
    saved = onnx.load(str(path))
    for key, value in (("rul_workbench", json.dumps(signature)), ("columns", ",".join(
        signature["input"]["columns"]
    ))):  # fmt: skip
        saved.metadata_props.add(key=key, value=value)
    onnx.save(saved, str(path))


def _write_torchscript(model: nn.Module, sample: Tensor, path: Path, signature: dict) -> None:
    with _quiet(), torch.no_grad():
        traced = torch.jit.trace(model, (sample,), check_trace=False)
        torch.jit.save(traced, str(path), _extra_files={SIGNATURE: json.dumps(signature)})


def _check_reproduces(model: nn.Module, path: Path, format: str, readings: Tensor) -> None:
    """The written file must give the PyTorch model's outputs (another batch size too)."""
    with torch.no_grad():
        expected = [t.numpy() for t in model(readings)]
    if format == "onnx":
        got = _run_onnx(path, readings.numpy())
    else:
        with _quiet(), torch.no_grad():
            got = [t.numpy() for t in torch.jit.load(str(path))(readings)]
    for name, want, have in zip(OUTPUTS, expected, got, strict=True):
        gap = float(np.max(np.abs(np.asarray(have) - want))) if want.size else 0.0
        if not gap <= SELF_CHECK_TOLERANCE:
            raise WorkbenchError(
                f"{path}: the exported {format} model does not reproduce the run's model "
                f"({name} differs by {gap:.3g}); nothing was written"
            )


def _run_onnx(path: Path, readings: np.ndarray) -> list[np.ndarray]:
    try:
        import onnxruntime
    except ImportError:
        raise WorkbenchError(
            "checking the ONNX export needs onnxruntime: pip install 'rul-workbench[deploy]'"
        ) from None
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(list(OUTPUTS), {INPUT: readings})


#: Loggers of the exporter's internals (missing torchvision ops, constant folding notes).
_CHATTY_LOGGERS = ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript", "onnx_ir")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporters' and tracer's own warnings and log lines while they run.

    They speak of torch's internals and API deprecations (``torch.jit`` is
    deprecated in favour of ``torch.export``); the export is judged by
    :func:`_check_reproduces`, not by what the tools print.
    """
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


# ------------------------------------------------------------------- inputs
def _sample_readings(
    pipeline: FittedPipeline, window: int, batch_per_condition: int = 2, seed: int = 0
) -> Tensor:
    """Plausible raw readings of every operating condition (for tracing and the self-check)."""
    normaliser, conditions = pipeline.normaliser, pipeline.conditions
    assert normaliser.mean is not None and normaliser.std is not None
    columns = input_columns(pipeline)
    rng = np.random.default_rng(seed)
    batches = []
    for c in range(normaliser.k):
        z = rng.standard_normal((batch_per_condition, window, len(columns)))
        readings = np.zeros_like(z)
        for i, name in enumerate(columns):
            if name in pipeline.features.used:
                j = pipeline.features.used.index(name)
                readings[..., i] = normaliser.mean[c, j] + normaliser.std[c, j] * z[..., i]
        if conditions.fitted:
            setting = conditions.centre + conditions.scale * conditions.centres[c]
            for j, name in enumerate(conditions.settings):
                readings[..., columns.index(name)] = setting[j]
        batches.append(readings)
    return torch.from_numpy(np.concatenate(batches))


def _index(names: tuple[str, ...] | list[str], where: dict[str, int]) -> Tensor:
    return torch.tensor([where[n] for n in names], dtype=torch.long)


def _double(values: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float64))


# -------------------------------------------------------------------- notes
def _signature(run: Path, predictor: FleetPredictor, format: str) -> dict[str, Any]:
    """``model.json``: what goes in and what comes out, for programs."""
    pipeline, config = predictor.pipeline, predictor.config
    window, columns = config.preprocess.window, input_columns(pipeline)
    health, classes = pipeline.config.health, list(HealthThresholds.NAMES)
    alpha = pipeline.config.smoothing
    return {
        "format": "rul-workbench exported model",
        "version": 1,
        "model_format": format,
        "model_file": MODEL_FILES[format],
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


def _write_notes(folder: Path, run: Path, predictor: FleetPredictor, signature: dict) -> None:
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
