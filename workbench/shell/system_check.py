"""Before Qt starts: say which system libraries its X11 (xcb) plugin needs and lacks.

On a minimal Linux, Qt 6 aborts with "could not load the Qt platform plugin
xcb" and no hint of the cause: the plugin needs X11 libraries that desktop
installs have and server or container images do not. The check only reads
the library cache (no X connection), prints the packages to install, and
lets Qt try anyway (a library may be present under a name the cache misses).
"""

from __future__ import annotations

import ctypes.util
import os
import sys

#: Library (as ctypes names it) -> Debian/Ubuntu package that provides it.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-randr": "libxcb-randr0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def uses_xcb() -> bool:
    """Whether Qt will open an X11 window (Linux, a display, no other platform chosen)."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform != "linux" or (platform and not platform.startswith("xcb")):
        return False
    return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")


def missing_packages() -> list[str]:
    """Packages of the xcb plugin's libraries the library cache does not know."""
    return [package for lib, package in XCB_LIBRARIES.items() if not ctypes.util.find_library(lib)]


def warn_about_missing_libraries(stream=None) -> bool:
    """Print what to install when the xcb plugin's libraries are missing; True if it did."""
    missing = missing_packages() if uses_xcb() else []
    if missing:
        print(
            "rul-workbench: Qt's X11 plugin needs system libraries that seem to be missing: "
            f"{', '.join(missing)}.\n  Install them (Debian/Ubuntu): sudo apt install "
            f"{' '.join(missing)}\n  or run without a window: QT_QPA_PLATFORM=offscreen "
            "rul-workbench --screenshot shot.png (the rulwb command needs no window at all).",
            file=stream or sys.stderr,
        )
    return bool(missing)
