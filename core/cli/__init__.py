"""Headless command line (`rulwb`).

The top of core: one module per command, each importing what it needs lazily
(so ``rulwb --help`` loads no torch).

May import: every core package; never Qt or workbench.
"""
