"""Helpers every GUI feature may use: background tasks and form fields.

May import core and Qt only, never another part of the workbench.
"""
