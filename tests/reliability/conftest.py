"""Fixtures of the reliability tests; the GUI ones are tests/workbench's, imported, not copied.

tests/workbench/conftest.py is loaded under its own module name (to pytest
both files are "conftest"), with tests/workbench on the path for the
``gui_support`` module it imports. Its plain fixtures are re-exported here.
Its two autouse fixtures (private settings, no threads left running) are
*not*: registered here they would apply to every reliability test, including
ones that start subprocesses and know nothing of Qt. A GUI test module opts in
by importing them from :data:`GUI_FIXTURES_MODULE` (see test_gui_faults.py).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

WORKBENCH_TESTS = Path(__file__).resolve().parents[1] / "workbench"
#: sys.modules name of tests/workbench/conftest.py as loaded here.
GUI_FIXTURES_MODULE = "workbench_gui_fixtures"


def _load_gui_fixtures():
    """tests/workbench/conftest.py as a module, loaded once per session."""
    if GUI_FIXTURES_MODULE in sys.modules:
        return sys.modules[GUI_FIXTURES_MODULE]
    if str(WORKBENCH_TESTS) not in sys.path:
        sys.path.insert(0, str(WORKBENCH_TESTS))
    spec = importlib.util.spec_from_file_location(
        GUI_FIXTURES_MODULE, WORKBENCH_TESTS / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[GUI_FIXTURES_MODULE] = module
    spec.loader.exec_module(module)
    return module


_gui = _load_gui_fixtures()
artifacts = _gui.artifacts
errors = _gui.errors
make_window = _gui.make_window
quick = _gui.quick
