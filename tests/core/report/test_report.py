"""`rulwb report`: a comparison folder as one self-contained HTML page of the summary's figures."""

from __future__ import annotations

import dataclasses
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli.main import main
from core.common.formats import format_metric
from core.comparisons.runner import comparison_summary
from core.report import read_comparison, render
from core.report.figures import gradient_figure
from core.runs import RunDir
from tests.helpers.experiments import SMALL_TREES_FLAGS

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    """The parts of the page the tests read: headings, table rows, tags and links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self.links: list[str] = []
        self._heading = self._cell = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [value for name, value in attrs if name in ("src", "href") and value]
        if tag == "h2":
            self._heading = True
            self.headings.append("")
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        self._heading = False if tag == "h2" else self._heading
        self._cell = False if tag in ("td", "th") else self._cell

    def handle_data(self, data):
        if self._heading:
            self.headings[-1] += data
        elif self._cell:
            self.rows[-1][-1] += data

    def row(self, first: str, width: int | None = None) -> list[str]:
        """The first table row starting with ``first`` (and ``width`` cells, when given)."""
        return next(
            r for r in self.rows if r and r[0] == first and (width is None or len(r) == width)
        )


@pytest.fixture(scope="module")
def comparison(tmp_path_factory) -> Path:
    """Two networks and the classical baseline, two seeds each, on a small demo fleet."""
    folder = tmp_path_factory.mktemp("comparison")
    code = main(["compare", "--source", "demo", "--demo-units", "24", "--window", "20",
                 "--preset", "tiny", "--epochs", "2", "--probe-every", "2",
                 "--methods", "fixed,gaba,gbm", "--seeds", "0-1", "--out", str(folder),
                 *SMALL_TREES_FLAGS, "--json"])  # fmt: skip
    assert code == 0
    return folder


@pytest.fixture(scope="module")
def page(comparison) -> tuple[str, Page]:
    assert main(["report", str(comparison)]) == 0
    text = (comparison / "report.html").read_text(encoding="utf-8")
    return text, Page(text)


def test_the_report_has_every_section_with_a_figure_each(page):
    text, parsed = page
    assert parsed.headings == [
        "Data and protocol", "Sensor health indicators", "Results", "Validation curves",
        "Gradient balance",
        "Test predictions", "Health state on the test engines", "Prognostic metrics",
        "Configuration", "Runs", "Machines and software",
    ]  # fmt: skip
    assert parsed.tags.count("svg") == 5
    assert "demo fleet (synthetic)" in text


def test_the_results_are_the_comparison_summary(page, comparison, capsys):
    text, parsed = page
    summary = json.loads((comparison / "summary.json").read_text())
    for method in summary["methods"]:
        row = parsed.row(method["method"], width=8)  # test figures and seed ensemble
        assert row[1] == str(method["n"]) == "2"
        rmse, nasa = (float(row[i].split(" ± ")[0].replace(",", "")) for i in (2, 3))
        assert rmse == pytest.approx(method["rmse_mean"], abs=0.005)
        assert nasa == pytest.approx(method["nasa_score_mean"], abs=0.5)
        assert row[2].endswith(f" ± {method['rmse_std']:.2f}")
        assert row[7] == f"{format_metric('rmse', method['ensemble_rmse'])} (of 2)"
    gaba = next(m for m in summary["methods"] if m["method"] == "gaba")
    paired = next(r for r in parsed.rows if r and r[0] == "gaba" and r[1].startswith(("+", "-")))
    assert paired[1].startswith(f"{gaba['rmse_diff']:+.2f} [{gaba['rmse_diff_low']:+.2f}, ")
    assert paired[1].endswith("(n = 2)") and paired[2] == "–", "no Wilcoxon test from 2 pairs"
    assert paired[4] == f"± {gaba['rmse_unit_resolution']:.2f}", "what one run's units resolve"
    assert "One run resolves: for each seed, a paired 95 % bootstrap" in text


def test_the_prognostic_figures_are_the_summarys_with_an_alpha_lambda_plot(page, comparison):
    text, parsed = page
    summary = json.loads((comparison / "summary.json").read_text())
    for method in summary["methods"]:
        row = parsed.row(method["method"], width=8)  # the results table comes first
        prognostic = next(r for r in parsed.rows if r and r[0] == method["method"]
                          and r is not row and len(r) == 8
                          and not r[1].startswith(("+", "-")))  # fmt: skip
        share, horizon = prognostic[2], prognostic[4]
        assert share.startswith(format_metric("alpha_lambda", method["alpha_lambda_mean"]))
        assert horizon.startswith(format_metric("prognostic_horizon",
                                                method["prognostic_horizon_mean"]))  # fmt: skip
    gaba = next(m for m in summary["methods"] if m["method"] == "gaba")
    paired = parsed.row("gaba", width=10)  # α-λ, PH and CRA against fixed
    assert paired[1].startswith(f"{gaba['alpha_lambda_diff']:+.3f} [")
    assert paired[4].startswith(f"{gaba['prognostic_horizon_diff']:+.2f} [")
    assert "α-λ plot, test engines aligned at failure" in text
    assert "gaba (α-λ " in text and "gbm (α-λ " in text


def test_the_gradient_figure_shows_the_networks_and_not_the_baseline(comparison):
    svg = gradient_figure(read_comparison(comparison))
    assert svg is not None
    assert "gaba: ratio" in svg and "fixed: ratio" in svg
    assert "gbm" not in svg, "the classical baseline has no gradients"


def test_equal_task_weights_are_both_visible_on_a_readable_scale(comparison):
    """Fixed weights' 0.5 and 0.5: health was drawn over RUL, on an axis of 0.48-0.52."""
    from matplotlib.figure import Figure

    from core.report.figures import _draw_gradients

    record = read_comparison(comparison)
    fixed = record.runs_of("fixed")[0]
    moved = dataclasses.replace(fixed, probe=fixed.probe.assign(weight_rul=0.3, weight_health=0.7))
    styles = {}
    for name, run in (("equal", fixed), ("moved", moved)):
        ratio, weights = Figure().subplots(1, 2)
        _draw_gradients(ratio, weights, run)
        styles[name] = [line.get_linestyle() for line in weights.get_lines()]
    assert styles["equal"] == ["-", "--"], "health dashed over the equal RUL weight"
    assert styles["moved"] == ["-", "-"]
    svg = gradient_figure(record)
    assert svg is not None  # the weights' axis spans 0 to 1, not 0.48 to 0.52
    assert ">0.48<" not in svg and ">1.0<" in svg


def test_a_baseline_far_from_every_curve_is_named_instead_of_stretching_the_axis():
    """weibull's age-only RMSE (twice the networks') squashed the curves to a strip."""
    from matplotlib.figure import Figure

    from core.report.figures import _draw_levels

    axes = Figure().subplots()
    curves = np.array([13.0, 12.0, 12.5, 14.0, 15.0])
    axes.plot(np.arange(5), curves)
    axes.set_ylim(11.0, 16.0)  # clipped to the settled curves, as the report does
    levels = {"gbm": {"val_rmse": 16.5}, "weibull": {"val_rmse": 28.2}}
    _draw_levels(axes, "val_rmse", levels, curves)
    dashed = [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert [line.get_ydata()[0] for line in dashed] == [16.5]  # gbm, near: drawn
    assert axes.get_ylim()[1] > 16.5, "the clipped axis grew to the near level"
    assert axes.get_ylim()[1] < 20, "and not to the far one"
    assert [t.get_text() for t in axes.texts] == ["off the range: weibull 28.20 ↑"]


def test_the_confusion_counts_are_summed_over_seeds(comparison):
    from core.report.figures import _confusion

    record = read_comparison(comparison)
    runs = record.runs_of("gaba")
    by_hand = sum(pd.DataFrame(r.metrics["confusion"]).to_numpy() for r in runs)
    assert (_confusion(runs) == by_hand).all()
    assert by_hand.sum() == sum(len(r.predictions) for r in runs)


def test_the_page_needs_nothing_but_itself(page):
    _, parsed = page
    assert parsed.links == [], "no image, style or script is fetched"
    assert not {"script", "link", "img", "iframe"} & set(parsed.tags)


def test_versions_threads_and_machine_are_recorded(page):
    import torch

    _, parsed = page
    runs = parsed.row(next(r[0] for r in parsed.rows if r and r[0].startswith("host ")))
    assert f"torch {torch.__version__}" in runs[0] and "1 torch thread" in runs[0]
    assert parsed.row("torch", width=2)[1] == torch.__version__
    assert parsed.row("scikit-learn", width=2)[1] != "not installed"


def test_a_stopped_run_is_left_out_and_named(comparison, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(comparison, copy)
    record = read_comparison(copy)
    stopped = record.runs_of("gaba")[1].path
    status = json.loads((stopped / "status.json").read_text())
    (stopped / "status.json").write_text(json.dumps({**status, "status": "stopped"}))
    assert main(["report", str(copy), "--out", str(tmp_path / "r.html")]) == 0
    parsed = Page((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert parsed.row("gaba", width=8)[1] == "1"
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert f"{stopped.name}: stopped, not used" in text


def test_a_run_made_with_another_setting_is_reported_as_a_variant(comparison, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(comparison, copy)
    refit = read_comparison(copy).runs_of("gaba")[1].path
    config = json.loads((refit / "config.json").read_text())
    config["train"]["refit"] = True
    (refit / "config.json").write_text(json.dumps(config))
    older = read_comparison(copy).runs_of("fixed")[0].path  # made before refit existed
    config = json.loads((older / "config.json").read_text())
    del config["train"]["refit"]
    config.pop("format", None)  # written before run-folder formats: format 1
    (older / "config.json").write_text(json.dumps(config))
    record = read_comparison(copy)
    assert record.methods == ["fixed", "gaba", "gaba · refit=True", "gbm"]
    parsed = Page(render(record))
    assert (
        parsed.row("gaba", width=8)[1] == "1" and parsed.row("gaba · refit=True", width=8)[1] == "1"
    )
    assert ["train.refit", "False / True"] in parsed.rows


def test_runs_with_other_epochs_are_not_said_to_share_them_nor_paired_on_one_seed(
    comparison, tmp_path
):
    """One 12-epoch run among 4-epoch ones: no 'epochs 4' as a shared setting, no 'up to 4
    epochs', and no difference printed from a single seed pair (the GUI says no comparison)."""
    copy = tmp_path / "copy"
    shutil.copytree(comparison, copy)
    longer = read_comparison(copy).runs_of("gaba")[0].path
    config = json.loads((longer / "config.json").read_text())
    budget = config["train"]["epochs"]
    config["train"]["epochs"] = budget + 8
    (longer / "config.json").write_text(json.dumps(config))
    record = read_comparison(copy)
    variant = f"gaba · epochs={budget + 8}"
    assert variant in record.methods
    parsed = Page(render(record))
    assert ["epochs", str(budget)] not in parsed.rows
    values = " / ".join(sorted({str(budget), str(budget + 8)}))
    assert ["train.epochs", values] in parsed.rows
    assert parsed.row("training")[1].startswith(f"up to {budget + 8} / {budget} epochs (differs")
    paired = [row for row in parsed.rows if row and row[0] == variant]
    assert paired and all("(n = 1)" not in cell for row in paired for cell in row)


def test_a_method_trained_longer_on_every_seed_is_not_paired_with_shorter_fixed_runs(
    comparison, tmp_path
):
    """Both gaba runs with 8 more epochs and no fixed run like them: the report prints no
    difference for the variant (it would credit GABA with the epochs), as the GUI's tab says
    'no comparison': both read core.evaluation.statistics's like-for-like pairs."""
    from workbench.panels.comparison_tables import NO_COMPARISON, verdict

    copy = tmp_path / "copy"
    shutil.copytree(comparison, copy)
    for run in read_comparison(copy).runs_of("gaba"):
        config = json.loads((run.path / "config.json").read_text())
        config["train"]["epochs"] += 8
        (run.path / "config.json").write_text(json.dumps(config))
    record = read_comparison(copy)
    [variant] = [m for m in record.methods if m.startswith("gaba · epochs=")]
    parsed = Page(render(record))
    # The paired row, not the figures table's (its second cell is the number of runs).
    paired = [row for row in parsed.rows if row and row[0] == variant and len(row) == 8
              and not row[1].isdigit()]  # fmt: skip
    assert paired and paired[0][1] == "–", "a difference printed for an unlike pair"
    assert paired[0][4] == "–", "nor what one run resolves against it"
    summary = comparison_summary(record.table, 125.0).set_index("method")
    assert summary.loc[variant, "paired_with"] == ""
    assert summary.loc["gbm", "paired_with"] == "fixed"
    assert verdict(summary.loc[variant]) == NO_COMPARISON  # the Comparison tab's marker


def test_runs_without_a_test_split_are_compared_on_validation_figures(comparison, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(comparison, copy)
    for metrics_file in (copy / "runs").glob("*/metrics.json"):
        metrics = json.loads(metrics_file.read_text())
        test_keys = ("rmse", "nasa_score", "mae", "accuracy", "macro_f1", "rmse_uncapped")
        kept = {k: v for k, v in metrics.items() if k not in (*test_keys, "confusion")}
        metrics_file.write_text(json.dumps(kept))
        (metrics_file.parent / "predictions.csv").unlink()
    text = render(read_comparison(copy))
    parsed = Page(text)
    assert "No test split: every figure is a validation figure." in text
    assert "Test predictions" not in parsed.headings
    paired = parsed.row("gaba", width=5)
    assert paired[1].endswith("(n = 2)")
    assert paired[4].startswith("± "), "validation units resolve (trajectories.csv's val rows)"
    assert any(r[:2] == ["method", "val. RMSE − fixed [95 % CI]"] for r in parsed.rows)


def test_a_folder_that_is_no_comparison_is_refused_with_a_message(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a comparison folder" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


def test_a_run_with_unreadable_files_is_named_not_fatal(comparison, tmp_path):
    from core.report import read_runs

    copy = tmp_path / "copy"
    shutil.copytree(comparison, copy)
    runs = sorted((copy / "runs").iterdir())
    (runs[0] / "metrics.json").write_text("{ not json")
    record = read_runs(runs, "damaged")
    assert len(record.runs) == len(runs) - 1
    assert [note for note in record.left_out if runs[0].name in note]
    assert RunDir(runs[1]).read_metrics() is not None


def test_another_baseline_pairs_every_method_with_it(comparison, tmp_path, capsys):
    """`rulwb report --baseline gaba`: the paired table reads fixed - gaba, the negation."""
    out = tmp_path / "against_gaba.html"
    assert main(["report", str(comparison), "--out", str(out), "--baseline", "gaba"]) == 0
    parsed = Page(out.read_text(encoding="utf-8"))
    summary = json.loads((comparison / "summary.json").read_text())
    gaba = next(m for m in summary["methods"] if m["method"] == "gaba")
    paired = next(r for r in parsed.rows if r and r[0] == "fixed" and r[1].startswith(("+", "-")))
    assert paired[1].startswith(f"{-gaba['rmse_diff']:+.2f} [{-gaba['rmse_diff_high']:+.2f}, ")
    assert paired[4] == f"± {gaba['rmse_unit_resolution']:.2f}", "the same units, either way"
    assert "RMSE − gaba" in out.read_text(encoding="utf-8")
    assert main(["report", str(comparison), "--out", str(out), "--baseline", "grace"]) == 2
    assert "--baseline grace has no finished run" in capsys.readouterr().err


def test_compare_refuses_a_baseline_it_does_not_run(tmp_path, capsys):
    code = main(["compare", "--source", "demo", "--methods", "gaba", "--seeds", "0",
                 "--baseline", "fixed", "--out", str(tmp_path / "c")])  # fmt: skip
    assert code == 2
    assert "--baseline fixed is not one of the compared methods (gaba)" in capsys.readouterr().err


def test_the_gradient_section_says_what_each_methods_balance_means(page, comparison):
    import html as html_text

    import pandas as pd

    from core.evaluation.balance import balance_note

    text, _ = page
    for method in ("fixed", "gaba"):
        rows = [row for history in sorted((comparison / "runs").glob(f"*_{method}_s*/history.csv"))
                for row in pd.read_csv(history).to_dict("records")]  # fmt: skip
        note = balance_note(rows)
        assert "effective ratio" in note
        assert f"<li><b>{method}</b>: {html_text.escape(note)}</li>" in text
    assert "<li><b>gbm</b>" not in text, "the tree baseline has no gradients to speak of"


def test_a_fleet_timed_in_hours_with_removals_is_reported_in_its_own_words(tmp_path):
    """A folder of engine files timed in hours since new, a removals log and units held out:
    the protocol says hours (and records for the window), the suspensions, where the test
    units come from and where the runs happened, and the figures' axes say hours."""
    from core.data.demo import DemoConfig, make_demo_fleet
    from core.data.fleet_export import export_fleet

    fleet = export_fleet(make_demo_fleet(DemoConfig(train_units=20, test_units=4)), tmp_path)
    out = tmp_path / "comparison"
    assert main(["compare", "--source", f"csv:{fleet.engines}", "--removals", str(fleet.removals),
                 "--time-col", "TSN_h", "--test-units", "5", "--window", "20", "--preset", "tiny",
                 "--epochs", "1", "--methods", "fixed,gbm", "--seeds", "0", "--out", str(out),
                 *SMALL_TREES_FLAGS, "--json"]) == 0  # fmt: skip
    text = render(read_comparison(out))
    protocol: dict[str, str] = {}
    for key, value in (r for r in Page(text).rows if len(r) == 2):
        protocol.setdefault(key, value)  # "Data and protocol" comes before the configuration
    assert protocol["window"] == "20 records (shorter units front-padded)"
    assert protocol["RUL cap"] == "125.0 hours"
    assert protocol["health states"].startswith("critical at RUL <= 30.0 hours")
    assert (
        f"removals log {fleet.removals} (engines removed before failure are suspensions"
        in (protocol["data"])
    )
    assert protocol["test"].startswith("5 units held out of the fleet")
    assert protocol["training"].startswith("up to 1 epoch,")
    assert protocol["ran on"] == "this process, one run after another"
    assert "true RUL (hours)" in text and "hours before failure" in text
    assert "(cycles)" not in text
