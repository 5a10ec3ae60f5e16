"""The run store under faults: writers in two processes, damaged JSON, a full disk.

Every fault is injected for real where it can be (two spawned processes, bytes
written over a file); a full disk is simulated inside :mod:`core.runs.atomic`
and :class:`pathlib.Path` so that writes, fsyncs and folder creation there fail
with ``ENOSPC`` exactly as the kernel reports it.
"""

from __future__ import annotations

import json
import multiprocessing
import pathlib
import shutil
import time

import pandas as pd
import pytest
import torch

from core.cli.main import main
from core.common.errors import WorkbenchError
from core.data.demo import DemoConfig
from core.data.sources import SourceSpec
from core.experiment.run import ExperimentConfig, run_experiment
from core.runs import RunDir, RunStatus, RunStore, RunStoreError
from core.training.config import TrainConfig
from core.training.events import EpochEvent
from tests.reliability import full_disk
from tests.reliability.store_writers import PAYLOAD, hammer

CONFIG = {"method": "gaba", "seed": 0, "lr": 1e-3}
SPAWN = multiprocessing.get_context("spawn")


def small_experiment(epochs: int) -> ExperimentConfig:
    """Tiny preset on a 24-unit demo fleet (as tests/core/conftest.py): about a second."""
    train = TrainConfig(epochs=epochs, batch_size=128, probe_every=5, device="cpu")
    demo = SourceSpec(demo=DemoConfig(train_units=24, test_units=8))
    return ExperimentConfig(source=demo, preset="tiny", train=train)


def leftovers(folder: pathlib.Path) -> list[str]:
    """Temporary files an atomic write left behind (there must be none)."""
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------ two processes
def start_writers(root, rounds, shared=None):
    """Two spawned writer processes released at the same instant; returns (procs, queue)."""
    root.mkdir(parents=True, exist_ok=True)
    start, out, clock = SPAWN.Barrier(3), SPAWN.Queue(), time.time()
    procs = [
        SPAWN.Process(target=hammer, args=(str(root), w, start, rounds, shared, out, clock))
        for w in (1, 2)
    ]
    for proc in procs:
        proc.start()
    start.wait(timeout=60)
    return procs, out


def owners(folder: pathlib.Path) -> dict[str, object]:
    """Read every file of a run folder as a reader would: {file: the one writer it names}.

    Fails if a file cannot be parsed whole or mixes two writers' content.
    """
    found: dict[str, set] = {}
    for name in ("config.json", "metrics.json", "status.json"):
        if (folder / name).exists():  # files are replaced, never removed: no race here
            record = json.loads((folder / name).read_text())
            if name == "metrics.json":
                assert record["payload"] == [record["writer"]] * PAYLOAD, "torn metrics.json"
            if name != "status.json":
                found[name] = {record["writer"]}
            elif record["detail"]:  # "" when created, then "writer <id> round <i>"
                found[name] = {int(record["detail"].split()[1])}
    run = RunDir(folder)
    for name, table in (("history.csv", run.read_history()), ("probe.csv", run.read_probe())):
        if len(table):
            found[name] = set(table["writer"].tolist())
        if "epoch" in table:
            assert table["epoch"].tolist() == list(range(1, len(table) + 1)), "torn history"
    assert all(len(who) == 1 for who in found.values()), f"{folder.name} mixes writers {found}"
    return {name: who.pop() for name, who in found.items()}


def read_while(procs, root) -> int:
    """Read every run under ``root`` until the writers end; how many folders were read."""
    reads = 0
    while any(proc.is_alive() for proc in procs):
        for folder in root.iterdir():
            reads += bool(owners(folder))
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0, f"writer process failed (exit {proc.exitcode})"
    return reads


def test_two_processes_creating_same_named_runs_get_their_own_folders(tmp_path):
    root = tmp_path / "runs"
    procs, out = start_writers(root, rounds=30)
    reads = read_while(procs, root)
    paths = {pathlib.Path(out.get(timeout=10)) for _ in procs}
    assert len(paths) == 2, "both writers ended in one folder"
    assert sum(p.name.endswith("_same_beef") for p in paths) == 1, "the mkdir race was not run"
    assert reads > 0, "the parent never read while the writers wrote"
    for path in paths:
        writer = RunDir(path).read_config()["writer"]
        assert set(owners(path).values()) == {writer}
        assert RunDir(path).read_metrics()["round"] == 29
        assert RunDir(path).read_probe()["step"].tolist() == list(range(30))
        assert leftovers(path) == []
    assert [info.damaged for info in RunStore(root).list_runs()] == [None, None]


def test_two_processes_replacing_one_file_leave_one_complete_version(tmp_path):
    run = RunStore(tmp_path / "runs").create_run({"writer": None})
    procs, _ = start_writers(tmp_path / "runs", rounds=40, shared=str(run.path))
    reads = read_while(procs, tmp_path / "runs")
    assert reads > 0, "the parent never read while the writers wrote"
    final = run.read_metrics()
    assert final["writer"] in (1, 2) and final["round"] == 39
    assert final["payload"] == [final["writer"]] * PAYLOAD
    assert len(run.read_history()) == 40
    assert leftovers(run.path) == []


# ------------------------------------------------------------ damaged files
def truncate(path: pathlib.Path) -> None:
    """Cut a file in half, as a crash of a non-atomic writer or a bad copy would."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def as_directory(path: pathlib.Path) -> None:
    """Replace a file by a directory of the same name."""
    path.unlink()
    path.mkdir()


DAMAGES = {
    "truncated config": ("config.json", truncate, "config.json: not valid JSON"),
    "truncated status": ("status.json", truncate, "status.json: not valid JSON"),
    "truncated metrics": ("metrics.json", truncate, "metrics.json: not valid JSON"),
    "config is a list": ("config.json", '["gaba", 0]', "config.json: expected a JSON object"),
    "metrics is a string": ("metrics.json", '"done"', "metrics.json: expected a JSON object"),
    "status is null": ("status.json", "null", "status.json: expected a JSON object"),
    "status number": ("status.json", '{"status": 3}', "status.json: unknown status 3"),
    "invalid UTF-8": ("config.json", b'{"method": "\xff\xfe"}', "config.json: cannot be read"),
    "empty metrics": ("metrics.json", "", "metrics.json: empty file"),
    "config is a folder": ("config.json", as_directory, "config.json: cannot be read"),
    "status is a folder": ("status.json", as_directory, "status.json: cannot be read"),
    "metrics is a folder": ("metrics.json", as_directory, "metrics.json: cannot be read"),
    "status removed": ("status.json", pathlib.Path.unlink, "status.json: missing"),
}


def damage(path: pathlib.Path, how) -> None:
    """Apply one of DAMAGES' edits to ``path``."""
    if callable(how):
        how(path)
    else:
        path.write_bytes(how if isinstance(how, bytes) else how.encode())


def finished_run(runs: RunStore, name: str) -> RunDir:
    """A run with config, metrics and a finished status."""
    run = runs.create_run(CONFIG, name)
    run.write_metrics({"rmse": 12.5, "best_epoch": 2})
    run.set_status(RunStatus.FINISHED, "done")
    return run


@pytest.mark.parametrize("case", DAMAGES)
def test_damaged_json_is_listed_with_the_file_and_the_rest_still_works(tmp_path, case):
    file, how, reason = DAMAGES[case]
    runs = RunStore(tmp_path / "runs")
    before, broken, after = (finished_run(runs, n) for n in ("before", "broken", "after"))
    damage(broken.path / file, how)
    (runs.root / "my notes").mkdir()  # the user's own folder and file: not runs, not listed
    (runs.root / "stray.txt").write_text("hello")

    infos = {info.path: info for info in runs.list_runs()}
    assert set(infos) == {before.path, broken.path, after.path}
    assert reason in infos[broken.path].damaged
    for good in (before, after):
        assert infos[good.path].damaged is None
        assert infos[good.path].status is RunStatus.FINISHED
        assert runs.open_run(good.name).read_metrics()["rmse"] == 12.5


def test_hand_edited_field_types_in_status_do_not_break_the_list(tmp_path):
    runs = RunStore(tmp_path / "runs")
    run = runs.create_run(CONFIG)
    record = json.loads((run.path / "status.json").read_text())
    record.update(pid="12", created=5, process_start=[1], host=None, detail=7)
    (run.path / "status.json").write_text(json.dumps(record))
    (info,) = runs.list_runs()
    assert info.damaged is None and info.detail == "7"
    assert info.status is RunStatus.RUNNING  # another host (None): cannot be checked


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> RunDir:
    """A real one-epoch run with its checkpoint, to open with `rulwb predict`."""
    runs = RunStore(tmp_path_factory.mktemp("trained") / "runs")
    _, run = run_experiment(small_experiment(epochs=1), runs)
    return run


def garbage(path: pathlib.Path) -> None:
    """Overwrite with bytes that are no checkpoint at all."""
    path.write_bytes(b"garbage\n")


def list_checkpoint(path: pathlib.Path) -> None:
    """A loadable torch file that holds a list, not a checkpoint dictionary."""
    torch.save([1, 2, 3], path)


PREDICT_DAMAGES = {
    "truncated config": ("config.json", truncate, "not valid JSON"),
    "config is a list": ("config.json", "[1, 2]", "expected a JSON object"),
    "invalid UTF-8": ("config.json", b"\xff\xfe{", "cannot be read"),
    "empty config": ("config.json", "", "empty file"),
    "config is a folder": ("config.json", as_directory, "cannot be read"),
    "truncated checkpoint": ("best.pt", truncate, "checkpoint cannot be loaded"),
    "garbage checkpoint": ("best.pt", garbage, "damaged or not a workbench checkpoint"),
    "list checkpoint": ("best.pt", list_checkpoint, "expected a dictionary"),
    "checkpoint removed": (
        "best.pt",
        pathlib.Path.unlink,
        "no best.pt checkpoint (the run trained 1 epoch but its checkpoint is not in the folder",
    ),
}


@pytest.mark.parametrize("case", PREDICT_DAMAGES)
def test_rulwb_predict_on_a_damaged_run_says_which_file_and_exits_2(
    trained_run, tmp_path, capsys, case
):
    file, how, reason = PREDICT_DAMAGES[case]
    copy = pathlib.Path(shutil.copytree(trained_run.path, tmp_path / "runs" / "copy"))
    damage(copy / file, how)
    assert main(["predict", "--run", str(copy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rulwb: error: ") and reason in err
    assert str(copy / file) in err or case == "checkpoint removed"
    assert "Traceback" not in err
    assert main(["predict", "--run", str(trained_run.path), "--json"]) == 0  # the rest still works
    assert len(json.loads(capsys.readouterr().out)) == 8  # the 8 in-service engines


def retype(field: str, value):
    """An edit of config.json that keeps valid JSON but sets ``field`` (a.b) to ``value``."""

    def edit(path: pathlib.Path) -> None:
        config = json.loads(path.read_text())
        *parents, last = field.split(".")
        target = config
        for key in parents:
            target = target[key]
        target[last] = value
        path.write_text(json.dumps(config))

    return edit


def as_list(path: pathlib.Path) -> None:
    """A config.json that is valid JSON but a list."""
    path.write_text("[1, 2]")


WRONG_CONFIGS = {
    "predict, epochs as text": (["predict", "--run", "{run}"], retype("train.epochs", "two")),
    "predict, source as text": (["predict", "--run", "{run}"], retype("source", "demo")),
    "train --config, a list": (
        ["train", "--config", "{run}/config.json", "--out", "{run}"],
        as_list,
    ),
}


@pytest.mark.parametrize("case", WRONG_CONFIGS)
def test_rulwb_on_a_config_with_wrong_types_exits_2(trained_run, tmp_path, capsys, case):
    command, edit = WRONG_CONFIGS[case]
    copy = pathlib.Path(shutil.copytree(trained_run.path, tmp_path / "copy"))
    edit(copy / "config.json")
    assert main([arg.format(run=copy) for arg in command]) == 2
    assert "config.json" in capsys.readouterr().err


# ---------------------------------------------------------------- full disk
@pytest.fixture
def make_disk(tmp_path, monkeypatch):
    """Install a FullDisk under tmp_path/runs failing at 'write', 'fsync' or 'mkdir'."""
    return lambda fail_at, room=0: full_disk.install(monkeypatch, tmp_path / "runs", fail_at, room)


@pytest.fixture(
    params=[("write", 0), ("write", 64), ("fsync", 0)], ids=["write", "midway", "fsync"]
)
def disk(request, make_disk) -> full_disk.FullDisk:
    """The run store's disk, failing at the first ``write()``, after 64 more bytes, or only
    at ``fsync()`` (delayed allocation, network file systems)."""
    return make_disk(*request.param)


def history(run: RunDir, epochs: int) -> None:
    run.write_history([{"epoch": e, "val_rmse": 40.0 - e} for e in range(1, 10 * epochs + 1)])


def checkpoint(run: RunDir, epochs: int) -> None:
    run.save_checkpoint({"epoch": epochs, "model": {"w": torch.full((50_000,), float(epochs))}})


def metrics(run: RunDir, epochs: int) -> None:
    run.write_metrics({"rmse": 20.0 - epochs, "epochs_run": epochs, "per_unit": [1.5] * 40})


def status(run: RunDir, epochs: int) -> None:
    run.set_status(RunStatus.RUNNING, f"epoch {epochs}")


def probe(run: RunDir, epochs: int) -> None:
    run.append_probe([{"step": 10 * epochs + s, "ratio": 500.0 / epochs} for s in range(10)])


def predictions(run: RunDir, epochs: int) -> None:
    units = range(1, 21)
    run.write_predictions(pd.DataFrame({"unit": units, "pred_rul": [epochs * 1.5] * len(units)}))


WRITES = {
    "history.csv": history,
    "best.pt": checkpoint,
    "metrics.json": metrics,
    "status.json": status,
    "probe.csv": probe,
    "predictions.csv": predictions,
}


@pytest.mark.parametrize("file", WRITES)
def test_full_disk_names_the_file_and_keeps_its_last_complete_version(disk, file):
    write = WRITES[file]
    run = RunStore(disk.root).create_run(CONFIG)
    write(run, 1)
    before = (run.path / file).read_bytes()
    disk.full = True
    with pytest.raises(RunStoreError, match="the disk is full") as caught:
        write(run, 2)
    assert caught.value.file == run.path / file
    assert isinstance(caught.value, WorkbenchError)  # what the CLI and GUI catch and show
    assert (run.path / file).read_bytes() == before
    assert leftovers(run.path) == []
    disk.full = False  # space returns: the same write now goes through
    write(run, 2)
    assert (run.path / file).read_bytes() != before
    (info,) = RunStore(disk.root).list_runs()
    assert info.damaged is None


def test_full_disk_keeps_a_checkpoint_loadable(disk):
    run = RunStore(disk.root).create_run(CONFIG)
    checkpoint(run, 1)
    disk.full = True
    with pytest.raises(RunStoreError, match=r"best\.pt"):
        checkpoint(run, 2)
    assert run.load_checkpoint()["epoch"] == 1
    disk.full = False
    checkpoint(run, 2)
    assert run.load_checkpoint()["model"]["w"][0].item() == 2.0


def test_full_disk_on_probe_append_leaves_only_complete_rows(disk):
    run = RunStore(disk.root).create_run(CONFIG)
    probe(run, 1)
    disk.full = True
    with pytest.raises(RunStoreError, match=r"probe\.csv"):
        probe(run, 2)
    disk.full = False
    probe(run, 3)
    assert run.read_probe()["step"].tolist() == [*range(10, 20), *range(30, 40)]


@pytest.mark.parametrize("fail_at", ["write", "fsync", "mkdir"])
@pytest.mark.parametrize("first_run", [True, False], ids=["new store", "existing store"])
def test_full_disk_while_creating_a_run_leaves_no_folder(make_disk, fail_at, first_run):
    disk = make_disk(fail_at)
    runs = RunStore(disk.root)
    earlier = [] if first_run else [runs.create_run(CONFIG, "earlier").path]
    disk.full = True
    with pytest.raises(RunStoreError, match="the disk is full") as caught:
        runs.create_run(CONFIG, "new")
    named = caught.value.file
    assert named is not None and disk.root in (named, *named.parents)
    assert sorted(disk.root.glob("*")) == earlier, "a half-made run folder was left"
    disk.full = False
    assert runs.create_run(CONFIG, "new").read_config() == CONFIG
    assert len(runs.list_runs()) == len(earlier) + 1


@pytest.mark.slow
def test_training_that_fills_the_disk_in_epoch_two_keeps_epoch_one(disk):
    """A whole run: epoch 1 is saved, then the disk fills; a clear error, epoch 1 kept."""

    def fill_after_epoch_one(event) -> None:
        if isinstance(event, EpochEvent) and event.epoch == 1:
            disk.full = True

    runs = RunStore(disk.root)
    with pytest.raises(RunStoreError, match="the disk is full") as caught:
        run_experiment(small_experiment(epochs=2), runs, on_event=fill_after_epoch_one)
    chain, error = [], caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    files = {e.file.name for e in chain if isinstance(e, RunStoreError) and e.file}
    assert "history.csv" in files, f"epoch 2's history write did not fail first: {files}"
    disk.full = False
    (info,) = runs.list_runs()
    run = RunDir(info.path)
    assert run.read_history()["epoch"].tolist() == [1]
    assert run.load_checkpoint()["epoch"] == 1
    assert leftovers(run.path) == []
