"""Data sources (C-MAPSS, user CSV, demo fleet), preprocessing and windows."""
