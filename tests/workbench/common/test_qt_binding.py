"""The installed Qt binding survives a flood of signal emits (the worker sends one per step).

PySide6 6.12.0 on CPython 3.11 drops a reference to ``True`` on every
``Signal.emit()`` and to ``None`` on every void Qt call, and the interpreter
aborts ("Fatal Python error: bool_dealloc") after a few thousand; pyproject.toml
excludes it. This runs the flood in a subprocess so a broken wheel fails this
test with a readable message instead of killing the whole test session.
"""

from __future__ import annotations

import subprocess
import sys

FLOOD = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
class Sender(QObject):
    step = Signal(int)
app = QCoreApplication([])
sender = Sender()
sender.step.connect(lambda value: None)
before = sys.getrefcount(True), sys.getrefcount(None)
for i in range(20000):
    sender.step.emit(i)
after = sys.getrefcount(True), sys.getrefcount(None)
print(before[0] - after[0], before[1] - after[1])
"""


def test_signal_flood_keeps_reference_counts():
    result = subprocess.run([sys.executable, "-c", FLOOD], capture_output=True, text=True)
    assert result.returncode == 0, f"the Qt binding aborted the interpreter: {result.stderr[-500:]}"
    lost_true, lost_none = (int(v) for v in result.stdout.split())
    assert abs(lost_true) < 100 and abs(lost_none) < 100, result.stdout
