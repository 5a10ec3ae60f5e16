"""`rulwb`: data summary, methods, train, compare (resumable), probe, predict, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from core.cli.main import main

SMALL = ["--demo-units", "24", "--preset", "tiny", "--batch-size", "128", "--device", "cpu",
         "--window", "30"]  # fmt: skip


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_data_summary_json_on_demo(capsys):
    code, out, _ = run_cli(capsys, "data", "summary", "--json")
    summary = json.loads(out)
    assert code == 0
    for key in (
        "train_units",
        "val_units",
        "test_units",
        "train_windows",
        "val_windows",
        "test_windows",
        "features",
        "dropped_features",
        "conditions",
        "class_counts",
    ):
        assert key in summary
    assert (summary["train_units"], summary["val_units"], summary["test_units"]) == (160, 40, 100)


def test_data_summary_fd001(capsys, cmapss):
    code, out, _ = run_cli(capsys, "data", "summary", "--source", "cmapss:FD001",
                           "--cmapss-dir", cmapss, "--json")  # fmt: skip
    summary = json.loads(out)
    assert code == 0 and summary["train_windows"] + summary["val_windows"] == 16731
    assert len(summary["features"]) == 14 and summary["test_windows"] == 100


def _string_unit_csv(path, sep=",", decimal="."):
    rows = []
    for u, life in (("ESN-0042", 40), ("ESN-0007", 50), ("ESN-1100", 45), ("ESN-0500", 38)):
        for c in range(1, life + 1):
            wear = c / life
            rows.append({"temp_b": 500 + 20 * wear + (c % 3) * 0.1, "serial": u, "const": 1.0,
                         "vib": 0.2 + wear + (c % 5) * 0.01, "cycle": c})  # fmt: skip
    frame = pd.DataFrame(rows)[["temp_b", "serial", "const", "vib", "cycle"]]
    frame.to_csv(path, sep=sep, decimal=decimal, index=False)
    return path


def test_summary_of_user_csv_with_string_units_and_any_column_order(capsys, tmp_path):
    path = _string_unit_csv(tmp_path / "fleet.csv")
    code, out, _ = run_cli(capsys, "data", "summary", "--source", f"csv:{path}", "--json")
    summary = json.loads(out)
    assert code == 0
    assert summary["train_units"] + summary["val_units"] == 4
    assert summary["features"] == ["temp_b", "vib"]
    assert "const" in summary["dropped_features"]


def test_summary_of_semicolon_decimal_comma_export(capsys, tmp_path):
    path = _string_unit_csv(tmp_path / "export.csv", sep=";", decimal=",")
    code, out, _ = run_cli(capsys, "data", "summary", "--source", f"csv:{path}",
                           "--unit-col", "serial", "--time-col", "cycle", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["features"] == ["temp_b", "vib"]


@pytest.mark.slow
def test_bad_input_prints_message_not_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,cycle,s1\n1,1,2\n1,2,oops\n")
    result = subprocess.run(
        [sys.executable, "-m", "core.cli.main", "data", "summary", "--source", f"csv:{bad}"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bad.csv" in result.stderr and "line 3" in result.stderr and "s1" in result.stderr


def test_methods_json_lists_the_book_methods(capsys):
    code, out, _ = run_cli(capsys, "methods", "--json")
    names = {m["name"] for m in json.loads(out)}
    assert code == 0
    assert {"fixed", "single_task", "amnl", "gaba", "grace", "uncertainty", "dwa", "gradnorm",
            "pcgrad"} <= names  # fmt: skip


def test_train_then_rerun_from_config_reproduces(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "train", *SMALL, "--epochs", "1", "--method", "gaba",
                           "--param", "warmup_steps=3", "--out", tmp_path, "--json")  # fmt: skip
    first = json.loads(out)
    assert code == 0 and first["status"] == "finished"
    for key in ("rmse", "nasa_score", "accuracy", "macro_f1", "run_dir"):
        assert key in first
    low, high = first["rmse_interval"]  # what the figure is worth over its test units
    assert low < first["rmse"] < high
    config = f"{first['run_dir']}/config.json"
    code, out, _ = run_cli(capsys, "train", "--config", config, "--out", tmp_path, "--json")
    again = json.loads(out)
    assert again["rmse"] == pytest.approx(first["rmse"], abs=1e-9)
    assert again["run_dir"] != first["run_dir"]


def test_unknown_method_setting_is_a_clear_error(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", *SMALL, "--epochs", "1", "--param", "lamda=3",
                           "--out", tmp_path)  # fmt: skip
    assert code == 2 and "lamda" in err and "lambda_rul" in err


@pytest.mark.slow
def test_train_with_refit_reports_the_refit(capsys, tmp_path):
    code, out, err = run_cli(capsys, "train", *SMALL, "--epochs", "2", "--refit", "--out",
                             tmp_path, "--json")  # fmt: skip
    result = json.loads(out)
    assert code == 0 and result["detail"].startswith("refit on every training unit for")
    epochs = result["best_epoch"]
    assert f"refit on training and validation units: epoch {epochs}/{epochs}" in err


@pytest.mark.slow
def test_compare_is_resumable(capsys, tmp_path):
    args = ["compare", *SMALL, "--epochs", "1", "--methods", "fixed,gaba", "--seeds", "0-1",
            "--out", tmp_path, "--json"]  # fmt: skip
    code, out, _ = run_cli(capsys, *args)
    summary = json.loads(out)
    assert code == 0 and [m["method"] for m in summary["methods"]] == ["fixed", "gaba"]
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert len(table) == 4 and (tmp_path / "summary.csv").exists()
    runs_before = sorted(p.name for p in (tmp_path / "runs").iterdir())
    code, _, _ = run_cli(capsys, *args)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == runs_before, "nothing redone"


@pytest.mark.slow
def test_compare_where_every_run_fails_says_so(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("RUL_WORKBENCH_CMAPSS", raising=False)
    code, _, err = run_cli(capsys, "compare", "--source", "cmapss:FD001", "--preset", "tiny",
                           "--methods", "fixed", "--seeds", "0", "--executor", "local",
                           "--jobs", "1", "--out", tmp_path)  # fmt: skip
    assert code == 1 and "no C-MAPSS location given" in err
    assert "no run of the comparison has finished" in err and "lacks column" not in err
    assert not (tmp_path / "summary.csv").exists()


def test_compare_without_a_test_split_prints_validation_figures():
    from core.cli.compare_cmd import _format
    from core.evaluation.statistics import summarise

    runs = pd.DataFrame({"method": ["fixed", "fixed", "gaba", "gaba"], "seed": [0, 1, 0, 1],
                         "val_rmse": [20.0, 21.0, 19.0, 18.0],
                         "val_macro_f1": [0.8, 0.7, 0.8, 0.9]})  # fmt: skip
    summary = summarise(runs, metrics=["val_rmse", "val_macro_f1"])
    summary["val_rmse_unit_resolution"] = [float("nan"), 1.234]
    text = _format(summary)
    head, fixed, gaba = text.splitlines()[:3]
    assert "val. RMSE - fixed [95 % CI]" in head and "NASA" not in head
    assert head.endswith("one run ±")
    assert fixed.split()[:6] == ["fixed", "2", "20.50", "±", "0.71", "0.750"]
    assert "-2.00 [-14.71, +10.71] (n=2)" in gaba and gaba.endswith("± 1.23")


def test_compare_refuses_a_backwards_seed_range(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", *SMALL, "--methods", "fixed", "--seeds", "4-0",
                           "--out", tmp_path)  # fmt: skip
    assert code == 2 and "the range '4-0' runs backwards" in err
    assert not (tmp_path / "runs").exists(), "nothing trained"


def test_probe_reports_ratio_statistics(capsys):
    code, out, _ = run_cli(capsys, "probe", *SMALL, "--batches", "3", "--json")
    result = json.loads(out)
    assert code == 0 and result["batches"] == 3
    ratio = result["ratio"]
    assert ratio["min"] <= ratio["q1"] <= ratio["median"] <= ratio["q3"] <= ratio["max"]
    assert ratio["median"] > 10, "RUL gradients dominate at initialisation"


def test_predict_in_service_engines(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "train", *SMALL, "--epochs", "1", "--out", tmp_path, "--json")
    run_dir = json.loads(out)["run_dir"]
    code, out, _ = run_cli(capsys, "predict", "--run", run_dir, "--out", tmp_path / "fleet.csv")
    table = pd.read_csv(tmp_path / "fleet.csv")
    assert code == 0 and len(table) == 12
    assert table["pred_rul"].is_monotonic_increasing
    assert {"unit", "pred_rul", "pred_health", "true_rul", "error"} <= set(table.columns)
    assert (table["rul_lower"] < table["rul_upper"]).all(), "calibrated intervals of the run"
    due_below = float(table["rul_lower"].median())
    code, _, _ = run_cli(capsys, "predict", "--run", run_dir, "--rank-by", "rul_lower",
                         "--due-below", str(due_below), "--out", tmp_path / "due.csv")  # fmt: skip
    ranked = pd.read_csv(tmp_path / "due.csv")
    assert code == 0 and ranked["rul_lower"].is_monotonic_increasing
    assert ranked["due"].tolist() == (ranked["rul_lower"] < due_below).tolist()
    assert 0 < ranked["due"].sum() < len(ranked), "the fleet view's rule: some due, some not"


def test_presets_print_parameter_counts(capsys):
    code, out, _ = run_cli(capsys, "presets", "--json")
    counts = json.loads(out)
    assert code == 0 and set(counts) == {"paper", "compact", "tiny"}
    assert 3.3e6 < counts["paper"]["total"] < 3.7e6 and counts["paper"]["shared_share"] > 0.99
    assert counts["tiny"]["total"] < counts["compact"]["total"] < counts["paper"]["total"]


def test_train_probes_in_representation_space_on_request(capsys, tmp_path):
    args = ["--epochs", "1", "--probe-every", "2", "--probe-space", "representation"]
    code, out, _ = run_cli(capsys, "train", *SMALL, *args, "--out", tmp_path, "--json")
    probe = pd.read_csv(f"{json.loads(out)['run_dir']}/probe.csv")
    assert code == 0 and len(probe) > 1
    assert set(probe["probe_space"]) == {"representation"}


@pytest.mark.slow
def test_a_maintenance_export_trains_end_to_end_with_its_removals(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "data", "export", "--demo-units", "24", "--out", tmp_path)
    assert code == 0 and "failed" in out and "suspended" in out
    source = ["--source", f"csv:{tmp_path / 'engines'}", "--removals", tmp_path / "removals.csv",
              "--time-col", "CSN", "--test-csv", tmp_path / "in_service",
              "--truth-csv", tmp_path / "in_service_truth.csv"]  # fmt: skip
    code, out, _ = run_cli(capsys, "data", "summary", *source, "--json")
    summary = json.loads(out)
    assert summary["unit_status"].startswith("24 units: 14 failed, 10 suspended")
    assert summary["time_unit"] == "cycles" and summary["suspended_units"] == 10
    code, out, _ = run_cli(capsys, "train", *source, *SMALL[2:], "--epochs", "1",
                           "--out", tmp_path / "runs", "--json")  # fmt: skip
    result = json.loads(out)
    assert code == 0 and result["status"] == "finished"
    saved = json.loads((tmp_path / result["run_dir"] / "config.json").read_text())
    assert saved["source"]["removals"] == str(tmp_path / "removals.csv")
    code, out, _ = run_cli(capsys, "predict", "--run", result["run_dir"], "--source",
                           f"csv:{tmp_path / 'in_service'}", "--json")  # fmt: skip
    engines = json.loads(out)
    assert code == 0 and len(engines) == 12
    assert {e["unit"] for e in engines} == {p.stem for p in (tmp_path / "in_service").glob("*")}
    code, out, _ = run_cli(capsys, "data", "summary", *source[:2], "--json")
    assert json.loads(out)["unit_status"] == "24 units, all taken as run to failure"


@pytest.mark.slow
def test_a_removals_log_naming_an_unknown_unit_is_a_message(tmp_path):
    run_cli_export = [sys.executable, "-m", "core.cli.main", "data", "export", "--demo-units",
                      "6", "--out", str(tmp_path)]  # fmt: skip
    subprocess.run(run_cli_export, check=True, capture_output=True)
    log = tmp_path / "removals.csv"
    log.write_text(log.read_text() + "ESN-99999,2024-01-01,10,failure\n")
    result = subprocess.run(
        [sys.executable, "-m", "core.cli.main", "data", "summary",
         "--source", f"csv:{tmp_path / 'engines'}", "--removals", str(log)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "removals.csv" in result.stderr and "line 8" in result.stderr
    assert "'ESN-99999' is not in the fleet" in result.stderr
