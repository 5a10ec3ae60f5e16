"""The files shipped in resources/: the icon, the sample fleets, the plot style."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog

from core.cli.main import main as rulwb
from resources import ICON, PLOT_STYLE, ResourceError, sample_fleets
from workbench.data.csv_import import CsvImportDialog
from workbench.plotting import style


# ------------------------------------------------------------------ the icon
def test_the_window_icon_is_the_shipped_svg(make_window):
    window = make_window(autoload=False)
    icon = window.windowIcon()
    assert not icon.isNull()
    assert icon.pixmap(48).toImage() == QIcon(str(ICON)).pixmap(48).toImage()
    assert {"#1a73e8", "#e8710a"} <= set(ICON.read_text().split('"'))  # health blue, RUL orange


# ------------------------------------------------------------------ the sample fleets
def test_a_sample_fleet_opens_in_the_import_dialog_checked_and_loads(
    qtbot, make_window, monkeypatch
):
    """File > Sample fleets > Demo fleet: the dialog shows the folder, its removals log, its
    files and the failed / suspended counts; importing it makes it the data to train on."""
    [sample] = [s for s in sample_fleets() if s.folder.name == "demo_fleet"]
    window = make_window(autoload=False)
    seen: dict = {}

    def run_dialog(dialog: CsvImportDialog) -> QDialog.DialogCode:
        assert dialog.wait_checked(), dialog.report_text()
        seen["path"] = Path(dialog.path_edit.text())
        seen["removals"] = dialog.kind.removals()
        seen["files"] = [dialog.files_list.item(i).text() for i in range(dialog.files_list.count())]
        seen["failed"] = dialog.failed_files()
        seen["report"] = dialog.report_text()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(CsvImportDialog, "exec", run_dialog)
    [action] = [a for a in window.samples_menu.actions() if a.text() == "Demo fleet…"]
    assert "6 engines" in action.statusTip()
    action.trigger()
    assert seen["path"] == sample.engines and seen["removals"] == sample.removals
    assert seen["files"] == [f"ESN-7000{i}.csv" for i in range(1, 7)] and seen["failed"] == {}
    assert "6 units: 4 failed, 2 suspended (removals file removals.csv)" in seen["report"]
    qtbot.waitUntil(lambda: window.data_dock.data is not None, timeout=30_000)
    source, _ = window.data_dock.settings()
    assert source.kind == "csv" and Path(source.path) == sample.engines
    assert Path(source.removals) == sample.removals


def test_the_sample_fleet_is_what_its_readme_command_writes(tmp_path, capsys):
    """The README's command still makes these files (run it again when the demo changes)."""
    [sample] = [s for s in sample_fleets() if s.folder.name == "demo_fleet"]
    readme = (sample.folder / "README.txt").read_text()
    [command] = [line.split() for line in readme.splitlines() if "rulwb data export" in line]
    assert command[-2:] == ["--out", "resources/samples/demo_fleet"]
    assert rulwb([*command[1:-1], str(tmp_path)]) == 0
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.csv"))
    kept = sorted(p.relative_to(sample.folder) for p in sample.folder.rglob("*.csv"))
    assert set(kept) <= set(made)
    left_out = {p.parts[0] for p in set(made) - set(kept)}
    assert left_out == {"in_service", "in_service_truth.csv"}  # as the README's rm says
    for name in kept:
        assert (tmp_path / name).read_bytes() == (sample.folder / name).read_bytes(), name
    assert sum(p.stat().st_size for p in sample.folder.rglob("*")) < 300_000


def test_sample_fleets_are_folders_with_engines_and_a_removals_log(tmp_path):
    shutil.copytree(sample_fleets()[0].folder, tmp_path / "a_fleet")
    (tmp_path / "not_a_fleet").mkdir()
    (tmp_path / "notes.txt").write_text("")
    [found] = sample_fleets(tmp_path)
    assert found.name == "A fleet" and found.summary.startswith("Demo fleet: 6 engines")
    assert sample_fleets(tmp_path / "missing") == []


# ------------------------------------------------------------------ the plot style
def test_the_plot_style_constants_are_the_json_values():
    data = json.loads(PLOT_STYLE.read_text())
    for name, colour in data["colours"].items():
        assert getattr(style, name.upper()) == colour, name
    assert set(data["colours"]) == set(style.COLOUR_NAMES)
    assert style.LINE_WIDTH == data["line_width"] == 2.0
    assert style.TITLE_HEIGHT == data["title_height"] == 22
    assert (style.TITLE_SIZE, style.AXIS_LABEL_SIZE) == ("10pt", "9pt")
    assert style.FOREGROUND == "#3c4043" and style.WARNING == "#b06000"  # the look, unchanged
    assert style.pen(style.RATIO).widthF() == 2.0


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda text: text[:-3], "is damaged (Expecting"),
        (lambda text: text.replace('"#9334e6"', '"purple"'), "colours.ratio must be a colour"),
        (lambda text: text.replace('"9pt"', "9"), "font_sizes.axis_label must be a size"),
        (lambda text: text.replace('"line_width": 2.0', '"line_width": -1'), "line_width must"),
        (lambda text: "[]", "not a JSON object"),
    ],
)
def test_a_damaged_plot_style_names_its_file_and_the_fault(tmp_path, damage, named):
    broken = tmp_path / "plot_style.json"
    broken.write_text(damage(PLOT_STYLE.read_text()))
    with pytest.raises(ResourceError) as raised:
        style.load_style(broken)
    assert str(broken) in str(raised.value) and named in str(raised.value)
    with pytest.raises(ResourceError, match=r"cannot read .*missing\.json"):
        style.load_style(tmp_path / "missing.json")
