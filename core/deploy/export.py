"""Export a run's selected model, with its normalisation, as ONNX or TorchScript.

What a run predicts with is :meth:`core.prediction.inference.FleetPredictor.from_run`:
the run's ``best.pt`` (the weights kept on validation, or the refit model when
the run refitted) and its fitted preprocessing. The exported graph is that
model *behind* the preprocessing's arithmetic, so it takes **raw readings**:

* input ``readings``: float64, ``[batch, window, columns]``, the columns in the
  order :func:`~core.deploy.inputs.input_columns` gives (the features the run used, then any
  operating-setting column the condition model needs that is not a feature);
  a window is the last ``window`` cycles of an engine, oldest first, and an
  engine with fewer cycles is front-padded by repeating its first row
  (:func:`~core.deploy.inputs.raw_windows` builds them from a fleet);
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
same length; :func:`~core.deploy.inputs.raw_histories`). The model normalises, smooths from the
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

import numpy as np
import torch
from torch import Tensor, nn

from core.common.errors import WorkbenchError
from core.data.prepare import FittedPipeline
from core.deploy import notes
from core.deploy.inputs import INPUT, input_columns
from core.deploy.notes import SIGNATURE
from core.model import DualTaskModel
from core.prediction.inference import FleetPredictor

FORMATS = ("onnx", "torchscript")
MODEL_FILES = {"onnx": "model.onnx", "torchscript": "model.pt"}
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
        signature = notes.signature(run, predictor, format, MODEL_FILES[format])
        if format == "onnx":
            _write_onnx(wrapped, sample, model_file, signature)
        else:
            _write_torchscript(wrapped, sample, model_file, signature)
        other = _sample_readings(predictor.pipeline, length(1), batch_per_condition=3, seed=1)
        _check_reproduces(wrapped, model_file, format, other)
        notes.write_notes(staging, run, predictor, signature)
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
