"""The Experiment feature: preset, device, epochs, seeds and the methods to train.

The Experiment dock and the method picker with editors generated from the
method registry. May import core and ``common``.
"""
