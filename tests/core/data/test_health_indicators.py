"""Monotonicity, trendability and prognosability of sensors, and the sensor choice by them."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from core.data.cmapss import load_cmapss
from core.data.config import CMAPSS_INFORMATIVE_SENSORS, PreprocessConfig
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet import Fleet
from core.data.health_indicators import (
    SCORES,
    condition_zscores,
    monotonicity,
    prognosability,
    rank_sensors,
    sensor_scores,
    trendability,
)
from core.data.pipeline_file import pipeline_from_dict, pipeline_to_dict
from core.data.prepare import prepare
from core.data.summary import format_summary, summarise
from core.report.sensors import sensor_section

CONSTANT_SENSORS = ("s1", "s5", "s10", "s16", "s18", "s19")
SMALL = DemoConfig(train_units=30, test_units=10)

# Three units with known series (one column each).
A = np.array([1.0, 2.0, 3.0, 4.0])  # rises every step: +3 −0 over 3 steps
B = np.array([0.0, 1.0, 0.0, 2.0, 3.0])  # +3 −1 over 4 steps
C = np.array([5.0, 4.0, 6.0])  # +1 −1 over 2 steps


def test_monotonicity_by_hand():
    # |3 − 0| / 3 = 1, |3 − 1| / 4 = 0.5, |1 − 1| / 2 = 0: mean 0.5
    assert monotonicity([A, B, C]) == pytest.approx([0.5])
    assert monotonicity([A[::-1]]) == pytest.approx([1.0]), "falling counts as much as rising"
    assert monotonicity([np.full(5, 7.0)]) == pytest.approx([0.0])
    assert math.isnan(monotonicity([np.array([1.0])])[0]), "one cycle has no step"


def test_trendability_by_hand():
    # Resampled to the shortest length (3) at 0, 1/2, 1 of each life:
    # A -> 1, 2.5, 4; B -> 0, 0, 3; C -> 5, 4, 6.
    corr = {
        "AB": np.corrcoef([1, 2.5, 4], [0, 0, 3])[0, 1],
        "AC": np.corrcoef([1, 2.5, 4], [5, 4, 6])[0, 1],
        "BC": np.corrcoef([0, 0, 3], [5, 4, 6])[0, 1],
    }
    assert trendability([A, B, C]) == pytest.approx([min(abs(c) for c in corr.values())])
    assert trendability([A, 2 * A + 1]) == pytest.approx([1.0])
    assert trendability([A, -A]) == pytest.approx([1.0]), "|correlation|: mirrored shapes agree"
    assert trendability([A, np.full(4, 3.0)]) == pytest.approx([0.0]), "constant: no trend"
    assert math.isnan(trendability([A])[0]), "one unit has no pair"


def test_trendability_resamples_over_each_life():
    """A unit twice as long that traces the same shape over its life correlates fully."""
    short = np.maximum(np.linspace(0, 1, 50) - 0.5, 0)  # healthy, then wearing from mid-life
    long = np.maximum(np.linspace(0, 1, 100) - 0.5, 0)
    assert trendability([short, long]) == pytest.approx([1.0], abs=1e-3)


def test_trendability_is_the_minimum_over_every_pair_in_blocks(monkeypatch):
    rng = np.random.default_rng(0)
    units = [np.cumsum(rng.normal(size=(int(rng.integers(20, 40)), 3)), axis=0) for _ in range(9)]
    length = min(len(u) for u in units)
    expected = []
    for col in range(3):
        resampled = [np.interp(np.linspace(0, len(u) - 1, length), np.arange(len(u)), u[:, col])
                     for u in units]  # fmt: skip
        corr = np.abs(np.corrcoef(resampled))
        expected.append(corr[~np.eye(len(units), dtype=bool)].min())
    assert trendability(units) == pytest.approx(expected)
    monkeypatch.setattr("core.data.health_indicators._BLOCK", 20)  # two units per block
    assert trendability(units) == pytest.approx(expected)


def test_prognosability_by_hand():
    # failure values 4, 3, 6: std (n − 1) = sqrt(7/3); |first − failure| = 3, 3, 1: mean 7/3
    expected = math.exp(-math.sqrt(7 / 3) / (7 / 3))
    assert expected == pytest.approx(0.5196, abs=1e-4)
    assert prognosability([A, B, C]) == pytest.approx([expected])
    assert prognosability([A, A + 0.0]) == pytest.approx([1.0]), "same failure value"
    assert prognosability([np.full(3, 2.0), np.full(4, 2.0)]) == pytest.approx([0.0])
    assert math.isnan(prognosability([A])[0])


def _fleet(series: dict[str, list[np.ndarray]], suspended=frozenset()) -> Fleet:
    """Units 1..n, one column per sensor."""
    names = list(series)
    rows = []
    for unit, columns in enumerate(zip(*series.values(), strict=True), start=1):
        for cycle, values in enumerate(zip(*columns, strict=True), start=1):
            rows.append({"unit": unit, "cycle": cycle, **dict(zip(names, values, strict=True))})
    return Fleet("tiny", pd.DataFrame(rows), names, suspended=frozenset(suspended))


def test_sensor_scores_of_a_fleet_table():
    fleet = _fleet({"wear": [A, B, C], "flat": [np.full(4, 1.0), np.full(5, 1.0), np.full(3, 1.0)]})
    table = sensor_scores(fleet)
    assert list(table.columns) == ["sensor", *SCORES]
    assert table["sensor"].tolist() == ["wear", "flat"]
    wear = table.set_index("sensor").loc["wear"]
    assert wear["monotonicity"] == pytest.approx(0.5)
    assert wear["trendability"] == pytest.approx(trendability([A, B, C])[0])
    assert wear["prognosability"] == pytest.approx(prognosability([A, B, C])[0])
    assert table.set_index("sensor").loc["flat"].tolist() == [0.0, 0.0, 0.0]
    assert table.attrs["scored_on"] == "3 failed fitting units, sensor values as recorded"


def test_suspended_units_are_left_out():
    """A suspended unit's last record is not a failure value."""
    fleet = _fleet({"wear": [A, B, C]}, suspended={3})
    assert sensor_scores(fleet)["prognosability"][0] == pytest.approx(prognosability([A, B])[0])


def test_several_conditions_are_zscored_and_set_points_stay_constant():
    # 14.62 fourteen times has a mean 1.8e-15 off: divided by eps it would be -1.8e-7, not 0
    values = np.array([[10.0, 14.62]] * 7 + [[12.0, 14.62]] * 7 + [[100.0, 7.0], [104.0, 7.0]])
    conditions = np.array([0] * 14 + [1, 1])
    z = condition_zscores(values, conditions, 1e-8)
    assert z[:, 0] == pytest.approx([-1] * 7 + [1] * 7 + [-1, 1])
    assert z[:, 1].tolist() == [0.0] * 16, "a set-point sensor is constant within its condition"


def test_ranking_names_the_rank_and_keeps_table_order():
    table = pd.DataFrame(
        {"sensor": ["a", "b", "c", "d"], "monotonicity": [0.2, np.nan, 0.9, 0.5],
         "trendability": 0.0, "prognosability": 0.0}
    )  # fmt: skip
    kept, dropped, rank = rank_sensors(table, "monotonicity", 2)
    assert kept == ["c", "d"]
    assert rank == {"c": 1, "d": 2, "a": 3, "b": 4}
    assert dropped["a"] == "ranked 3rd of 4 by monotonicity (0.200); the best 2 kept"
    assert dropped["b"] == "ranked 4th of 4 by monotonicity (–); the best 2 kept"


def test_choice_by_score_picks_the_best_and_the_run_records_it(tmp_path):
    pair = make_demo_fleet(SMALL)
    config = PreprocessConfig(sensors_by="trendability", sensors_top=3)
    data = prepare(pair, config)
    scores = data.sensor_scores.set_index("sensor")
    varying = [s for s in pair.train.sensor_columns if s not in CONSTANT_SENSORS]
    best = scores.loc[varying, "trendability"].sort_values(ascending=False, kind="stable")
    assert set(data.features) == set(best.index[:3])
    assert data.features == tuple(s for s in pair.train.sensor_columns if s in best.index[:3])
    fourth = best.index[3]
    assert data.pipeline.features.dropped[fourth].startswith(f"ranked 4th of {len(varying)} by")
    assert data.pipeline.features.ranked_by == "trendability"
    # the run's preprocessing.json keeps the choice and the scores, and reads back the same
    saved = json.loads(json.dumps(pipeline_to_dict(data.pipeline), allow_nan=False))
    assert saved["features"]["ranked_by"] == "trendability"
    assert saved["features"]["scores"][fourth]["trendability"] == pytest.approx(best[fourth])
    assert pipeline_from_dict(saved).features == data.pipeline.features


def test_choice_by_score_ranks_within_an_explicit_list():
    config = PreprocessConfig(sensors=("s2", "s3", "s4", "s7"), sensors_by="prognosability",
                              sensors_top=2)  # fmt: skip
    data = prepare(make_demo_fleet(SMALL), config)
    assert len(data.features) == 2 and set(data.features) <= {"s2", "s3", "s4", "s7"}
    assert data.pipeline.features.dropped["s11"] == "not selected"


def test_off_by_default_leaves_the_features_unchanged():
    pair = make_demo_fleet(SMALL)
    assert PreprocessConfig().sensors_by == ""
    plain = prepare(pair, PreprocessConfig())
    assert plain.pipeline.features.ranked_by == "" and plain.pipeline.features.scores == {}
    assert "ranked_by" not in pipeline_to_dict(plain.pipeline)["features"]
    assert plain.features == tuple(s for s in pair.train.sensor_columns
                                   if s not in CONSTANT_SENSORS)  # fmt: skip


def test_summary_lists_every_sensor_with_its_scores():
    data = prepare(make_demo_fleet(SMALL))
    summary = json.loads(json.dumps(summarise(data), allow_nan=False))
    rows = summary["health_indicators"]["sensors"]
    assert [r["sensor"] for r in rows] == list(data.sensor_scores["sensor"])
    assert set(rows[0]) == {"sensor", *SCORES}
    text = format_summary(summary)
    assert "health indicators (" in text and "prognosability" in text
    assert any(line.split()[:1] == ["s2"] and line.endswith("*") for line in text.splitlines())


def test_report_section_from_the_comparisons_source():
    base = {
        "source": {"kind": "demo", "demo": dataclasses.asdict(SMALL)},
        "preprocess": {"window": 20},
    }
    page = sensor_section(base)
    assert page.startswith("<h2>Sensor health indicators</h2>")
    assert page.count("<tr>") == 1 + 21, "a header and one row per sensor"
    assert "<td>s2</td><td>yes</td>" in page
    unreadable = sensor_section({"source": {"kind": "csv", "path": "/nowhere/fleet.csv"}})
    assert "Not computed: the source could not be read here" in unreadable


@pytest.fixture(scope="module")
def fd001(cmapss):
    return prepare(load_cmapss("FD001", cmapss))


@pytest.mark.cmapss
@pytest.mark.parametrize("score", SCORES)
def test_fd001_informative_sensors_outrank_constant_ones(fd001, score):
    scores = fd001.sensor_scores.set_index("sensor")[score]
    assert fd001.sensor_scores.attrs["units"] == 80, "the fitting units only"
    informative = scores[list(CMAPSS_INFORMATIVE_SENSORS)]
    constant = scores[list(CONSTANT_SENSORS)].fillna(-np.inf)
    assert informative.notna().all()
    assert informative.min() > constant.max(), f"{score}:\n{scores}"


@pytest.mark.cmapss
def test_fd001_choice_by_score_picks_the_k_best(cmapss):
    config = PreprocessConfig(sensors_by="trendability", sensors_top=5)
    data = prepare(load_cmapss("FD001", cmapss), config)
    assert data.features == ("s4", "s7", "s11", "s12", "s15")
    assert data.pipeline.features.dropped["s21"].startswith("ranked 6th of 15 by trendability")
    assert prepare(load_cmapss("FD001", cmapss)).n_features == 14, "off: the source's 14"
