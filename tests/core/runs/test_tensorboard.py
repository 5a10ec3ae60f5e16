"""TensorBoard event files: live from a training run or exported from its files, same scalars."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from core.cli.main import main
from core.runs import RunDir

pytestmark = pytest.mark.slow


def scalars(folder) -> dict[str, list[tuple[int, float]]]:
    """Every scalar of the event files under ``folder``: tag -> [(step, value)], in file order."""
    found: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(folder.rglob("events.out.tfevents.*")):
        for event in _events(path):
            for value in event.summary.value:
                found.setdefault(value.tag, []).append((event.step, value.simple_value))
    return found


def train(tmp_path, *extra: str) -> RunDir:
    code = main(["train", "--source", "demo", "--demo-units", "24", "--window", "20",
                 "--preset", "tiny", "--epochs", "3", "--method", "gaba", "--probe-every", "2",
                 "--out", str(tmp_path / "runs"), "--json", *extra])  # fmt: skip
    assert code == 0
    [run] = (tmp_path / "runs").iterdir()
    return RunDir(run)


def test_a_run_with_the_setting_writes_its_scalars_live(tmp_path, capsys):
    run = train(tmp_path, "--tensorboard")
    assert json.loads((run.path / "config.json").read_text())["train"]["tensorboard"] is True
    events = scalars(run.path)
    history, probe = run.read_history(), run.read_probe()
    assert [step for step, _ in events["validation/rmse"]] == list(history["step"])
    assert [v for _, v in events["validation/rmse"]] == pytest.approx(list(history["val_rmse"]))
    assert [v for _, v in events["gradients/ratio"]] == pytest.approx(list(probe["ratio"]))
    assert [s for s, _ in events["weights/rul"]] == list(probe["step"] + 1), "updates done"
    for tag in ("loss/train_rul", "loss/val_health", "validation/macro_f1", "gradients/norm_rul",
                "gradients/cosine", "weights/health", "train/learning_rate"):  # fmt: skip
        assert events[tag], tag


def test_without_the_setting_no_events_are_written(tmp_path, capsys):
    run = train(tmp_path)
    assert not list(run.path.glob("events.out.tfevents.*"))


def test_an_exported_run_has_the_live_runs_scalars_and_exporting_twice_doubles_nothing(
    tmp_path, capsys
):
    run = train(tmp_path, "--tensorboard")
    out = tmp_path / "logs"
    for _ in range(2):
        assert main(["tensorboard", str(tmp_path / "runs"), "--out", str(out)]) == 0
    exported = scalars(out / run.path.name)
    assert exported == scalars(run.path)
    assert "tensorboard --logdir" in capsys.readouterr().out


class _SameSecond:
    """``time`` as tensorboardX's writer sees it, frozen: every event file opens in one second."""

    def time(self) -> float:
        return 1_796_103_863.0

    def __getattr__(self, name):
        return getattr(time, name)


def test_a_resumed_run_tells_tensorboard_to_drop_the_events_after_its_epoch(tmp_path, monkeypatch):
    from tensorboardX import event_file_writer
    from tensorboardX.proto import event_pb2

    # a fast machine resumes within the second the first attempt opened its file in
    monkeypatch.setattr(event_file_writer, "time", _SameSecond())

    from core.experiment.resume import resume_run
    from core.experiment.run import load_data, run_experiment
    from core.runs import RunStore
    from core.training.control import TrainingControl
    from core.training.events import EpochEvent
    from tests.helpers.experiments import small_experiment

    config = small_experiment()
    config = config.with_(train=replace(config.train, epochs=3, tensorboard=True))
    control = TrainingControl()

    def stop_after_epoch_2(event):
        if isinstance(event, EpochEvent) and event.epoch == 2:
            control.request_stop()

    store, data = RunStore(tmp_path), load_data(config)
    _, run = run_experiment(config, store, data, stop_after_epoch_2, control)
    epoch_2_step = int(run.read_history()["step"].iloc[-1])
    resume_run(run)
    files = sorted(run.path.glob("events.out.tfevents.*"))
    assert len(files) == 2, "the resumed run opens a second event file"
    starts = [e for e in _events(files[1]) if e.HasField("session_log")]
    assert starts and starts[0].session_log.status == event_pb2.SessionLog.START
    assert starts[0].step == epoch_2_step + 1, "TensorBoard drops what came after epoch 2"
    events = scalars(run.path)
    assert [s for s, _ in events["validation/rmse"]] == list(run.read_history()["step"])


def _events(path):
    from tensorboardX.proto import event_pb2

    data, at = path.read_bytes(), 0
    while at < len(data):
        length = int.from_bytes(data[at : at + 8], "little")
        yield event_pb2.Event.FromString(data[at + 12 : at + 12 + length])
        at += 12 + length + 4


def test_a_folder_with_no_run_is_refused_with_a_message(tmp_path, capsys):
    assert main(["tensorboard", str(tmp_path / "nothing")]) == 2
    assert "no such run" in capsys.readouterr().err
