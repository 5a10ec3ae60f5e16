"""Every setting declared once reaches the command line and config.json (the GUI: its own test).

Walks every declared field of the training and preprocessing settings: a
value other than the default, typed as a user would on ``rulwb train``,
arrives in the experiment, survives config.json, and a value of the wrong
kind in config.json is refused with the setting's name.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.cli.main import build_parser
from core.cli.train_cmd import experiment_from_args
from core.common.settings import check, declared, is_settings
from core.data.config import PreprocessConfig
from core.experiment.run import ExperimentConfig
from core.training.config import TrainConfig
from tests.helpers.settings_values import SETTINGS_CLASSES, cli_words, flat, other_value, read

SECTION = {"TrainConfig": "train", "PreprocessConfig": "preprocess"}
FIELDS = [(cls, key, d) for cls in SETTINGS_CLASSES for key, d in flat(cls)]


def experiment(*words: str) -> ExperimentConfig:
    return experiment_from_args(build_parser().parse_args(["train", *words]))


@pytest.mark.parametrize(("cls", "key", "d"), FIELDS, ids=[k for _, k, _ in FIELDS])
def test_every_setting_has_a_flag_and_survives_config_json(cls, key, d):
    value = other_value(d)
    assert value != d.default
    config = experiment(*cli_words(d, value))
    section = getattr(config, SECTION[cls.__name__])
    assert read(section, key) == value, f"{d.flag} did not reach the experiment"
    again = ExperimentConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert read(getattr(again, SECTION[cls.__name__]), key) == value


@pytest.mark.parametrize(("cls", "key", "d"), FIELDS, ids=[k for _, k, _ in FIELDS])
def test_a_wrong_kind_in_config_json_names_the_setting(cls, key, d):
    saved = experiment().to_dict()
    section = saved[SECTION[cls.__name__]]
    *outer, name = key.split(".")
    for part in outer:
        section = section[part]
    section[name] = {"not": "a value"}
    with pytest.raises(ValueError, match=name):
        ExperimentConfig.from_dict(saved)


def test_bounds_and_choices_come_from_the_declaration():
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="select_on must be one of rul, health, combined"):
        TrainConfig(select_on="loss")
    check(TrainConfig())  # the defaults are within their own bounds


def test_the_command_line_keeps_its_own_defaults_where_declared():
    assert experiment().train.trajectories is False, "no live trajectories for a headless run"
    assert TrainConfig().trajectories is True


@pytest.mark.parametrize(
    "cls",
    [*SETTINGS_CLASSES, *(d.base for d in [*declared(PreprocessConfig)] if is_settings(d.base))],
)
def test_every_field_of_a_settings_class_is_declared(cls):
    """A field added without :func:`core.common.settings.setting` would miss the CLI and the GUI."""
    assert {f.name for f in dataclasses.fields(cls)} == {d.name for d in declared(cls)}
