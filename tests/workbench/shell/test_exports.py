"""File ▸ Export model… and the "Log runs to MLflow" setting, end to end in the window."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PySide6.QtWidgets import QDialog, QFileDialog

from core.data.sources import load_source
from core.deploy import raw_windows
from core.experiment.run import read_run_config
from core.runs import RunDir
from core.runs.mlflow_log import RUN_TAG, sqlite_uri
from workbench.shell.exports import ExportModelDialog

pytestmark = pytest.mark.slow


def loaded(qtbot, window):
    qtbot.waitUntil(lambda: window.data_dock.data is not None, timeout=10_000)
    return window


def test_ended_runs_go_to_mlflow_and_file_export_model_writes_the_selected_run(
    qtbot, make_window, quick, tmp_path, monkeypatch, errors
):
    mlflow = pytest.importorskip("mlflow", reason="MLflow is an optional extra")
    import torch

    window = loaded(qtbot, make_window())
    quick(window, methods=("fixed",), seeds="0,1", epochs=1)
    tracking = window.experiment_dock.tracking.editors
    tracking["mlflow"].setChecked(True)
    uri = sqlite_uri(tmp_path / "tracking.db")
    tracking["mlflow_uri"].setText(uri)
    logged: list[str] = []
    window.run_export.logged.connect(logged.append)
    with qtbot.waitSignal(window.controller.queueIdle, timeout=90_000):
        assert window.train() == 2
    qtbot.waitUntil(lambda: len(logged) == 2, timeout=90_000)
    assert errors == []
    rows = window.queue_model.rows
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("rul-workbench")
    for row in rows:
        name = RunDir(row.run_dir).name
        [run] = client.search_runs([experiment.experiment_id], f"tags.`{RUN_TAG}` = '{name}'")
        assert run.data.metrics["rmse"] == pytest.approx(row.metrics["rmse"])
        assert run.data.params["seed"] == str(RunDir(row.run_dir).read_config()["seed"])
    assert window.experiment_dock.state()["tracking"]["mlflow_uri"] == uri  # remembered

    first = rows[0]
    window.queue_dock.select([first.row_id])
    offered: list[str] = []

    def choose_torchscript(dialog: ExportModelDialog) -> int:
        offered.append(dialog.run.currentData())
        dialog.format.setCurrentIndex(dialog.format.findData("torchscript"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportModelDialog, "exec", choose_torchscript)
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kw: str(folder))
    with qtbot.waitSignal(window.run_export.exported, timeout=60_000) as done:
        window.model_action.trigger()
    assert offered == [first.run_dir], "the run selected in the queue"
    model_file = folder / f"{RunDir(first.run_dir).name}-torchscript" / "model.pt"
    assert done.args == [str(model_file)]
    assert window.status.currentMessage() == f"Model exported: {model_file}"
    # the exported model predicts the run's in-service engines as the run did
    config = read_run_config(RunDir(first.run_dir))
    fleet = load_source(config.source).test
    columns = json.loads((model_file.parent / "model.json").read_text())["input"]["columns"]
    readings, units, _ = raw_windows(fleet, columns, config.preprocess.window, last_only=True)
    with torch.no_grad():
        rul = torch.jit.load(str(model_file))(torch.from_numpy(readings))[0].numpy()
    engines = pd.read_csv(f"{first.run_dir}/predictions.csv").set_index("unit").loc[units]
    np.testing.assert_allclose(rul, engines["pred_rul"], atol=1e-4, rtol=0)
    assert errors == []


def test_export_model_says_why_when_no_run_kept_a_model_or_a_folder_holds_none(
    qtbot, make_window, tmp_path, errors
):
    window = make_window(autoload=False)
    assert not window.run_export.export_model_as()
    assert errors[-1][0] == "No model to export" and "train one" in errors[-1][1]
    empty = tmp_path / "not-a-run"
    empty.mkdir()
    window.run_export.export_model(empty, "torchscript", tmp_path)
    qtbot.waitUntil(lambda: errors[-1][0] == "Model not exported", timeout=30_000)
    assert f"{empty}: no best.pt checkpoint" in errors[-1][1]
