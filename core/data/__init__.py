"""Data sources (C-MAPSS, user CSV, demo fleet), preprocessing and windows.

May import: core.common (and pandas, numpy, scipy, scikit-learn, h5py).
"""
