"""A user's CSV says nothing of its operating regimes: their number is read off the settings."""

from __future__ import annotations

import pytest

from core.cli.main import main
from core.data.config import PreprocessConfig
from core.data.demo import DemoConfig
from core.data.prepare import prepare
from core.data.sources import SourceSpec, load_source


def demo_csv(folder, conditions: int):
    fleet = load_source(
        SourceSpec(demo=DemoConfig(train_units=30, test_units=4, conditions=conditions))
    )
    path = folder / f"fleet{conditions}.csv"
    fleet.train.frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("regimes", [1, 3, 6])
def test_the_number_of_regimes_is_detected_from_the_settings(tmp_path, regimes):
    data = prepare(load_source(SourceSpec.parse(f"csv:{demo_csv(tmp_path, regimes)}")))
    assert data.pipeline.conditions.k == regimes
    assert ("detected" in data.pipeline.conditions.how) == (regimes > 1)


def test_the_user_overrides_the_detected_number_and_the_summary_says_which(tmp_path, capsys):
    path = demo_csv(tmp_path, 3)
    set_by_user = prepare(
        load_source(SourceSpec.parse(f"csv:{path}")), PreprocessConfig(conditions=2)
    )
    assert (
        set_by_user.pipeline.conditions.k == 2 and set_by_user.pipeline.conditions.how == "2 (set)"
    )
    assert main(["data", "summary", "--source", f"csv:{path}"]) == 0
    assert "conditions        3 detected from the settings (silhouette" in capsys.readouterr().out
