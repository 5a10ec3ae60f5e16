"""House rule: core/ never imports Qt, pyqtgraph or workbench (checked two ways)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "core"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "workbench", "shiboken6")


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_sources_import_no_qt():
    offenders = {
        str(path.relative_to(CORE)): sorted(_imported_roots(path) & set(FORBIDDEN))
        for path in CORE.rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


@pytest.mark.slow
def test_core_imports_with_qt_blocked():
    """Importing every core module works in a process where Qt cannot be imported."""
    modules = sorted(
        ".".join(path.relative_to(CORE.parent).with_suffix("").parts)
        for path in CORE.rglob("*.py")
        if path.name != "__main__.py"
    )
    script = (
        "import sys\n"
        f"for name in {FORBIDDEN!r}: sys.modules[name] = None\n"
        f"import importlib\nfor m in {modules!r}: importlib.import_module(m)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# ------------------------------------------------------------ the GUI's layers
WORKBENCH = CORE.parent / "workbench"
#: What each part of workbench/ may import from the rest of workbench/ (see
#: workbench/__init__.py). "name" allows any module of that part; "name:public"
#: only the package itself (its __init__'s public names), never its modules.
ALLOWED = {
    "common": set(),
    "plotting": {"common"},
    "panels": {"common", "plotting"},
    "life_data": {"common", "plotting"},
    "data": {"common", "plotting", "life_data"},
    "experiment": {"common", "plotting"},
    "fleet": {"common", "plotting", "data:public"},
    "training": {"common", "plotting", "panels"},
    "shell": {"common", "plotting", "panels", "data", "experiment", "fleet", "training"},
}


def _workbench_imports(path: Path) -> set[str]:
    """Dotted names of the workbench modules and packages ``path`` imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("workbench.")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench."):
            names.add(node.module)
    return names


def test_workbench_parts_import_only_what_their_layer_allows():
    offenders = []
    for path in sorted(WORKBENCH.rglob("*.py")):
        parts = path.relative_to(WORKBENCH).parts
        if len(parts) == 1:  # workbench/__init__.py, __main__.py
            continue
        part = parts[0]
        assert part in ALLOWED, f"workbench/{part}/ has no rule in ALLOWED"
        for name in _workbench_imports(path):
            target = name.split(".")
            if target[1] == part:
                continue
            whole_package = len(target) == 2
            if target[1] in ALLOWED[part] or (
                whole_package and f"{target[1]}:public" in ALLOWED[part]
            ):
                continue
            offenders.append(f"{path.relative_to(WORKBENCH.parent)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_workbench_parts_are_small_and_say_what_they_hold():
    for package in sorted(p for p in WORKBENCH.iterdir() if (p / "__init__.py").exists()):
        modules = [m for m in package.glob("*.py") if m.name != "__init__.py"]
        assert len(modules) <= 10, f"{package.name}: {len(modules)} modules, split it"
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert docstring and "import" in docstring, f"{package.name}: say what it may import"


# ------------------------------------------------------------ core's layers
#: core's packages from the bottom up. A module may import its own package and any
#: package of a LOWER layer, never one of its own layer or above, so no two
#: packages can import each other (a cycle fails here, lazy imports included).
CORE_LAYERS = (
    ("common",),
    ("model", "data", "runs"),
    ("evaluation", "methods"),
    ("probe",),
    ("training",),
    ("baseline",),
    ("experiment",),
    ("executors",),
    ("comparisons",),
    ("prediction",),
    ("deploy", "report"),
    ("cli",),
)
CORE_LAYER = {package: rank for rank, layer in enumerate(CORE_LAYERS) for package in layer}


def _core_imports(path: Path) -> set[str]:
    """The core packages ``path`` imports anywhere in it (``core.X...`` -> ``X``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n.split(".")[1] for n in names if n.startswith("core.")}


def test_core_packages_import_only_lower_layers():
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE).parts
        if len(parts) == 1:
            continue
        package = parts[0]
        assert package in CORE_LAYER, f"core/{package}/ has no place in CORE_LAYERS"
        for target in _core_imports(path) - {package}:
            if CORE_LAYER.get(target, len(CORE_LAYERS)) >= CORE_LAYER[package]:
                offenders.append(f"{path.relative_to(CORE.parent)} imports core.{target}")
    assert not offenders, "\n".join(offenders)


def test_core_top_level_holds_packages_only_each_saying_what_it_may_import():
    loose = sorted(p.name for p in CORE.glob("*.py") if p.name not in ("__init__.py",))
    assert not loose, f"modules at core/'s top level, put them in a package: {loose}"
    for package in sorted(p for p in CORE.iterdir() if (p / "__init__.py").exists()):
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert docstring and "may import" in docstring.lower(), (
            f"core/{package.name}: say what it holds and what it may import"
        )
