"""What every part of core shares: errors, declared settings, number formats, colours.

The bottom layer: :mod:`core.common.errors` (the message a user sees),
:mod:`core.common.settings` (a setting declared once, read by the CLI and the
GUI), :mod:`core.common.formats` (how each kind of number is printed) and
:mod:`core.common.colours` (one colour per method everywhere).

May import: nothing of core.
"""
