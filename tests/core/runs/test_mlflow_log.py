"""MLflow logging against the real MLflow: a SQLite store, idempotency, and a local server.

Every figure read back from MLflow is compared with the run folder's own files.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from core.cli import mlflow_cmd
from core.cli.main import main
from core.common.errors import WorkbenchError
from core.runs import RunDir, RunStatus, mlflow_log
from core.runs.mlflow_log import COMPLETE_TAG, RUN_TAG, log_run, sqlite_uri

pytestmark = pytest.mark.slow
mlflow = pytest.importorskip("mlflow", reason="an optional extra: pip install -e .[mlflow]")

TINY = ["--source", "demo", "--demo-units", "24", "--window", "20", "--preset", "tiny",
        "--epochs", "2", "--probe-every", "2", "--threads", "1"]  # fmt: skip
TRAIN = ["train", *TINY, "--method", "gaba"]


@pytest.fixture(autouse=True, scope="module")
def _no_tracking_uri_from_the_environment():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield


@pytest.fixture(scope="module")
def store(tmp_path_factory, _no_tracking_uri_from_the_environment):
    """A run store holding one tiny run trained with ``--mlflow`` (the default SQLite store)."""
    store = tmp_path_factory.mktemp("mlflow") / "runs"
    assert main([*TRAIN, "--out", str(store), "--mlflow"]) == 0
    return store


def the_run(store) -> RunDir:
    [folder] = [p for p in store.iterdir() if (p / "config.json").is_file()]
    return RunDir(folder)


def logged(client, name: str, experiment: str = "rul-workbench"):
    """The active MLflow runs tagged as logged from run folder ``name``."""
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id], filter_string=f"tags.`{RUN_TAG}` = '{name}'")


def expected_params(config: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in config.items():
        if isinstance(value, dict) and value:
            out |= expected_params(value, f"{prefix}{key}.")
        else:
            out[prefix + key] = value if isinstance(value, str) else json.dumps(value)
    return out


def check_logged_run(client, run_id: str, run: RunDir) -> None:
    """Params, per-epoch metrics, probe summary, test metrics and artifacts match the folder."""
    got = client.get_run(run_id)
    assert got.data.tags[RUN_TAG] == run.name and got.data.tags["rulwb.method"] == "gaba"
    assert got.info.status == "FINISHED" and got.data.tags[COMPLETE_TAG] == "complete"
    config = run.read_config()
    assert got.data.params == expected_params(config)
    assert got.data.params["train.epochs"] == "2" and got.data.params["method"] == "gaba"
    history = pd.read_csv(run.path / "history.csv")
    for column in ("val_rmse", "train_loss_rul", "weight_health", "lr", "cosine"):
        series = client.get_metric_history(run_id, f"epoch/{column}")
        assert [(m.step, m.value) for m in sorted(series, key=lambda m: m.step)] == [
            (int(e), pytest.approx(v))
            for e, v in zip(history["epoch"], history[column], strict=True)
        ], column
    metrics = json.loads((run.path / "metrics.json").read_text())
    for key in ("rmse", "nasa_score", "macro_f1", "val_rmse", "interval_coverage", "best_epoch"):
        assert got.data.metrics[key] == pytest.approx(metrics[key]), key
    probe = pd.read_csv(run.path / "probe.csv")
    assert got.data.metrics["probe/steps"] == len(probe) > 0
    assert got.data.metrics["probe/ratio/mean"] == pytest.approx(probe["ratio"].mean())
    assert got.data.metrics["probe/cosine/median"] == pytest.approx(probe["cosine"].median())
    share = (probe["cosine"] < 0).mean()
    assert got.data.metrics["probe/cosine/conflict_share"] == pytest.approx(share)
    files = {p.name for p in run.path.iterdir() if p.is_file()}
    assert "last.pt" in files and "best.pt" in files
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert artifacts == files - {"last.pt"}
    for name in ("metrics.json", "best.pt"):
        copy = client.download_artifacts(run_id, name, str(run.path.parent.parent / "download"))
        assert Path(copy).read_bytes() == (run.path / name).read_bytes(), name


def test_train_with_mlflow_logs_the_run_to_a_sqlite_store_beside_the_runs(store, capsys):
    run = the_run(store)
    assert (store / "mlflow.db").is_file() and (store / "mlartifacts").is_dir()
    client = mlflow.MlflowClient(sqlite_uri(store / "mlflow.db"))
    [logged_run] = logged(client, run.name)
    check_logged_run(client, logged_run.info.run_id, run)


def test_a_logged_run_is_not_logged_twice_and_a_cut_off_log_is_replaced(store, capsys):
    run = the_run(store)
    client = mlflow.MlflowClient(sqlite_uri(store / "mlflow.db"))
    [first] = logged(client, run.name)
    capsys.readouterr()
    assert main(["mlflow", str(store)]) == 0
    assert "0 run(s) logged, 1 already there" in capsys.readouterr().out
    [still] = logged(client, run.name)
    assert still.info.run_id == first.info.run_id
    client.delete_tag(first.info.run_id, COMPLETE_TAG)  # as if the logging had been cut off
    again = log_run(run.path)
    assert again.new and again.run_id != first.info.run_id
    [only] = logged(client, run.name)
    assert only.info.run_id == again.run_id
    check_logged_run(client, again.run_id, run)


def test_a_run_still_training_is_not_logged(store, tmp_path):
    run = the_run(store)
    copy = RunDir(tmp_path / run.name)
    copy.path.mkdir()
    for name in ("config.json", "history.csv"):
        (copy.path / name).write_bytes((run.path / name).read_bytes())
    copy.set_status(RunStatus.RUNNING)  # this process: alive
    with pytest.raises(WorkbenchError, match=f"{copy.path}: the run is still training"):
        log_run(copy.path, sqlite_uri(tmp_path / "m.db"))


def test_compare_with_mlflow_logs_every_run_to_the_given_store(tmp_path, capsys):
    out, db = tmp_path / "cmp", tmp_path / "tracking" / "runs.db"
    db.parent.mkdir()
    args = ["compare", "--methods", "fixed", "--seeds", "0", *TINY, "--out", str(out),
            "--mlflow", sqlite_uri(db), "--mlflow-experiment", "fd001"]  # fmt: skip
    assert main(args) == 0
    assert "1 run(s) logged" in capsys.readouterr().out
    [folder] = (out / "runs").iterdir()
    client = mlflow.MlflowClient(sqlite_uri(db))
    [run] = logged(client, folder.name, "fd001")
    assert run.data.tags["rulwb.comparison"] == "cmp" and run.data.params["method"] == "fixed"
    assert run.info.artifact_uri.startswith((tmp_path / "tracking" / "mlartifacts").as_uri())


def test_without_mlflow_installed_the_message_says_how_and_nothing_trains(tmp_path, monkeypatch,
                                                                         capsys):  # fmt: skip
    monkeypatch.setitem(sys.modules, "mlflow", None)
    assert main([*TRAIN, "--out", str(tmp_path / "runs"), "--mlflow"]) == 2
    assert "pip install 'rul-workbench[mlflow]'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
    assert main(["mlflow", str(tmp_path)]) == 2
    assert "MLflow is not installed" in capsys.readouterr().err


def test_the_cli_and_the_engine_name_the_same_default_experiment():
    assert mlflow_cmd.EXPERIMENT == mlflow_log.EXPERIMENT


# -------------------------------------------------------------- a real server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """``mlflow server`` on 127.0.0.1 (a free port), stopped after the test."""
    port = _free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1",
               "--backend-store-uri", sqlite_uri(tmp_path / "server.db"),
               "--artifacts-destination", str(tmp_path / "server-artifacts")]  # fmt: skip
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no job workers
    with open(tmp_path / "server.log", "wb") as log:  # the child keeps its own handle
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (tmp_path / "server.log").read_text(errors="replace")[-800:]
                pytest.skip(f"mlflow server did not start within 60 s: {tail}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def test_runs_go_to_a_tracking_server(store, server, capsys):
    run = the_run(store)
    assert main(["mlflow", str(run.path), "--uri", server]) == 0
    assert f"1 run(s) logged, 0 already there, experiment 'rul-workbench' at {server}" in (
        capsys.readouterr().out
    )
    client = mlflow.MlflowClient(server)
    [logged_run] = logged(client, run.name)
    check_logged_run(client, logged_run.info.run_id, run)
    assert math.isclose(
        client.get_run(logged_run.info.run_id).data.metrics["rmse"],
        json.loads((run.path / "metrics.json").read_text())["rmse"],
    )
