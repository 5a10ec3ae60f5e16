"""The missing-X11-libraries message, before Qt aborts with its own."""

from __future__ import annotations

import io

from workbench.shell import system_check


def test_missing_xcb_libraries_are_named_with_the_command_that_installs_them(monkeypatch):
    monkeypatch.setattr(system_check.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    present = {"xcb-icccm", "xcb-image"}
    monkeypatch.setattr(
        system_check.ctypes.util, "find_library", lambda name: name if name in present else None
    )
    out = io.StringIO()
    assert system_check.warn_about_missing_libraries(out)
    text = out.getvalue()
    assert "sudo apt install libxcb-cursor0 libxcb-keysyms1" in text
    assert "libxcb-icccm4" not in text and "QT_QPA_PLATFORM=offscreen" in text


def test_nothing_is_said_offscreen_or_when_everything_is_there(monkeypatch):
    monkeypatch.setattr(system_check.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(system_check.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert not system_check.warn_about_missing_libraries(io.StringIO())
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setattr(system_check.ctypes.util, "find_library", lambda name: name)
    assert not system_check.warn_about_missing_libraries(io.StringIO())
