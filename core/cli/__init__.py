"""Headless command line (`rulwb`)."""
