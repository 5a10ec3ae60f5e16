"""`rulwb --help` answers without the training stack; its examples are real command lines."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli.main import EXAMPLES, build_parser

ROOT = Path(__file__).resolve().parents[3]
#: Packages that cost seconds to import and that no help text needs.
HEAVY = ("torch", "sklearn", "scipy", "matplotlib", "torchjd")


def loaded_after(code: str) -> dict[str, bool]:
    """Which of :data:`HEAVY` a fresh interpreter has imported after running ``code``."""
    script = (
        "import sys, contextlib, io\n"
        f"{code}\n"
        f"print({{m: m in sys.modules for m in {HEAVY!r}}}, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return eval(result.stderr.strip().splitlines()[-1])  # a dict literal we printed


def test_importing_the_cli_loads_no_torch():
    result = subprocess.run(
        [sys.executable, "-c", "import core.cli.main, sys; print('torch' in sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
    assert loaded_after("import core.cli.main") == dict.fromkeys(HEAVY, False)


@pytest.mark.parametrize("command", ["--help", "train --help", "compare --help", "probe --help"])
def test_help_loads_no_training_stack(command):
    code = (
        "from core.cli.main import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    main({command.split()!r})\n"
        "assert 'usage: rulwb' in out.getvalue()"
    )
    assert loaded_after(code) == dict.fromkeys(HEAVY, False)


def test_help_examples_are_command_lines_rulwb_accepts():
    lines = [line.strip() for line in EXAMPLES.splitlines() if line.strip().startswith("rulwb ")]
    assert [line.split()[1] for line in lines] == ["train", "compare", "report", "predict"]
    assert "examples:" in build_parser().format_help()
    for line in lines:
        args = build_parser().parse_args(shlex.split(line)[1:])
        assert callable(args.handler)
    compare = build_parser().parse_args(shlex.split(lines[1])[1:])
    assert (compare.methods, compare.seeds, compare.source) == ("fixed,gaba", "0-4", "cmapss:FD001")


def test_method_names_are_checked_when_parsed(capsys):
    assert build_parser().parse_args(["train", "--method", "gaba"]).method == "gaba"
    assert build_parser().parse_args(["train"]).method == "fixed"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["probe", "--method", "gabba"])
    err = capsys.readouterr().err
    assert "argument --method: unknown method 'gabba'" in err
    assert "fixed, fixed_tuned, gaba" in err


def test_compare_offers_every_executor():
    from core.executors import EXECUTORS

    compare = build_parser()._subparsers._group_actions[0].choices["compare"]  # type: ignore[union-attr]
    executor = next(a for a in compare._actions if a.dest == "executor")
    assert tuple(executor.choices) == EXECUTORS
