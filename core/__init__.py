"""The RUL workbench engine: data, model, balancing methods, probe, training, runs, CLI.

This package never imports Qt; the GUI in ``workbench`` is a client of it, like the CLI.
"""

__version__ = "0.1.0"
