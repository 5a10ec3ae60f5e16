"""`rulwb export`: the exported model reproduces the run's own predictions from raw readings."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.cli.main import main
from core.common.errors import WorkbenchError
from core.data.sources import load_source
from core.deploy import export_model, raw_histories, raw_windows
from core.experiment.run import read_run_config
from core.prediction.inference import FleetPredictor
from core.runs import RunDir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny run on a demo fleet of three operating conditions (so the condition model acts)."""
    out = tmp_path_factory.mktemp("export") / "runs"
    code = main(["train", "--source", "demo", "--demo-units", "24", "--demo-conditions", "3",
                 "--window", "15", "--preset", "tiny", "--epochs", "4", "--lr", "0.01",
                 "--batch-size", "64", "--threads", "1", "--out", str(out), "--json"])  # fmt: skip
    assert code == 0
    [folder] = out.iterdir()
    return folder


def _expected(run) -> tuple[pd.DataFrame, pd.DataFrame]:
    trajectories = pd.read_csv(run / "trajectories.csv")
    return trajectories[trajectories["split"] == "test"], pd.read_csv(run / "predictions.csv")


def _check(run, outputs_of, folder) -> None:
    """Score the in-service fleet's raw windows and compare with the run's saved predictions."""
    signature = json.loads((folder / "model.json").read_text())
    config = read_run_config(RunDir(run))
    fleet = load_source(config.source).test
    columns = signature["input"]["columns"]
    assert signature["input"]["conditions"] == 3 and signature["input"]["condition_settings"]
    readings, units, cycles = raw_windows(fleet, columns, config.preprocess.window)
    assert readings.dtype == np.float64 and readings.shape[1:] == (15, len(columns))
    rul, logits, probabilities = outputs_of(readings)
    assert rul.shape == (len(readings),) and probabilities.shape == (len(readings), 3)
    trajectories, engines = _expected(run)
    got = pd.DataFrame({"unit": units, "cycle": cycles, "rul": rul})
    both = trajectories.merge(got, on=["unit", "cycle"], validate="one_to_one")
    assert len(both) == len(trajectories) == len(got)
    assert both["rul"].std() > 10.0, "a model that learned something: predictions differ"
    np.testing.assert_allclose(both["rul"], both["pred_rul"], atol=1e-4, rtol=0)
    last, last_units, _ = raw_windows(fleet, columns, config.preprocess.window, last_only=True)
    rul, logits, probabilities = outputs_of(last)
    names = ["p_normal", "p_degrading", "p_critical"]
    got = pd.DataFrame(
        {"unit": last_units, "rul": rul, **dict(zip(names, probabilities.T, strict=True))}
    )
    both = engines.merge(got, on="unit", suffixes=("", "_exported"), validate="one_to_one")
    assert len(both) == len(engines) == fleet.frame["unit"].nunique()
    np.testing.assert_allclose(both["rul"], both["pred_rul"], atol=1e-4, rtol=0)
    for name in names:
        np.testing.assert_allclose(both[f"{name}_exported"], both[name], atol=1e-4, rtol=0)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax, probabilities, atol=1e-6)


def test_the_onnx_model_reproduces_the_runs_predictions_from_raw_readings(run, tmp_path, capsys):
    import onnxruntime

    out = tmp_path / "onnx"
    assert main(["export", "--run", str(run), "--format", "onnx", "--out", str(out)]) == 0
    assert "model.onnx" in capsys.readouterr().out
    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    assert [i.name for i in session.get_inputs()] == ["readings"]
    assert [o.name for o in session.get_outputs()] == ["rul", "health_logits",
                                                       "health_probabilities"]  # fmt: skip
    _check(run, lambda x: session.run(None, {"readings": x}), out)
    assert (out / "preprocessing.json").read_bytes() == (run / "preprocessing.json").read_bytes()
    readme = (out / "README.md").read_text()
    columns = json.loads((out / "model.json").read_text())["input"]["columns"]
    assert all(f"`{name}`" in readme for name in columns) and "float64" in readme
    metadata = {p.key: p.value for p in __import__("onnx").load(str(out / "model.onnx"))
                .metadata_props}  # fmt: skip
    assert metadata["columns"] == ",".join(columns)


def test_the_torchscript_model_reproduces_the_runs_predictions_from_raw_readings(run, tmp_path):
    import torch

    exported = export_model(run, "torchscript", tmp_path / "ts")
    assert exported.model_file.name == "model.pt"
    files: dict[str, bytes] = {"model.json": b""}
    model = torch.jit.load(str(exported.model_file), _extra_files=files)
    assert json.loads(files["model.json"])["input"]["columns"] == list(exported.columns)

    def outputs_of(readings):
        with torch.no_grad():
            return [t.numpy() for t in model(torch.from_numpy(readings))]

    _check(run, outputs_of, exported.folder)
    again = export_model(run, "torchscript", tmp_path / "ts")  # an earlier export is replaced
    assert again.folder == exported.folder


def test_bad_input_is_refused_with_a_message_naming_the_path(run, tmp_path, capsys):
    with pytest.raises(WorkbenchError, match=f"{run}.*'keras'.*onnx, torchscript"):
        export_model(run, "keras", tmp_path / "x")
    empty = tmp_path / "not-a-run"
    empty.mkdir()
    assert main(["export", "--run", str(empty), "--format", "torchscript"]) == 2
    assert f"{empty}: no best.pt checkpoint" in capsys.readouterr().err
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(WorkbenchError, match=f"{busy}: the folder holds other files"):
        export_model(run, "torchscript", busy)
    assert (busy / "notes.txt").read_text() == "mine"


@pytest.fixture(scope="module")
def smoothed_run(tmp_path_factory):
    """A tiny run whose inputs are smoothed over each engine's history (three conditions)."""
    out = tmp_path_factory.mktemp("export-smoothed") / "runs"
    code = main(["train", "--source", "demo", "--demo-units", "24", "--demo-conditions", "3",
                 "--window", "15", "--smoothing", "0.3", "--preset", "tiny", "--epochs", "4",
                 "--lr", "0.01", "--batch-size", "64", "--threads", "1", "--out", str(out),
                 "--json"])  # fmt: skip
    assert code == 0
    [folder] = out.iterdir()
    return folder


@pytest.mark.parametrize("format", ["onnx", "torchscript"])
def test_a_smoothed_run_is_exported_taking_each_engines_history(smoothed_run, tmp_path, format):
    """Fed an engine's readings from its first record, the model reproduces the run at every
    cycle: smoothing, the last window and its front padding happen inside."""
    import onnxruntime
    import torch

    exported = export_model(smoothed_run, format, tmp_path / format)
    signature = json.loads((exported.folder / "model.json").read_text())["input"]
    assert signature["shape"][1] == "time" and signature["smoothing"] == 0.3
    assert "first record" in (exported.folder / "README.md").read_text()
    if format == "onnx":
        session = onnxruntime.InferenceSession(str(exported.model_file))
        outputs_of = lambda x: session.run(None, {"readings": x})  # noqa: E731
    else:
        model = torch.jit.load(str(exported.model_file))

        def outputs_of(x):
            with torch.no_grad():
                return [t.numpy() for t in model(torch.from_numpy(x))]

    config = read_run_config(RunDir(smoothed_run))
    fleet = load_source(config.source).test
    histories, units, cycles = raw_histories(fleet, exported.columns)
    got = []
    for history, unit, unit_cycles in zip(histories, units, cycles, strict=True):
        for end in (15, len(history)):  # one window, and the whole history beyond it
            rul = outputs_of(history[None, :end])[0]
            got.append({"unit": unit, "cycle": unit_cycles[end - 1], "rul": float(rul[0])})
    trajectories, _ = _expected(smoothed_run)
    both = trajectories.merge(pd.DataFrame(got), on=["unit", "cycle"], validate="one_to_one")
    assert len(both) == 2 * len(histories)
    assert both["rul"].std() > 10.0, "a model that learned something: predictions differ"
    np.testing.assert_allclose(both["rul"], both["pred_rul"], atol=1e-4, rtol=0)
    # histories shorter than the window: the workbench front-pads the smoothed series
    short = replace(fleet, frame=fleet.frame.groupby("unit").head(7), truth_rul=None)
    expected = FleetPredictor.from_run(smoothed_run).predict(short).engines.set_index("unit")
    exported_short = [float(outputs_of(h[None, :7])[0][0]) for h in histories]
    np.testing.assert_allclose(exported_short, expected.loc[units, "pred_rul"], atol=1e-4, rtol=0)
