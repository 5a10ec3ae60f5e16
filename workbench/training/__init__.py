"""The Training feature: the run queue, the training worker and the live feed.

The queue model and view, the controller that starts, pauses, stops and
resumes runs, the worker thread that runs core's trainer, the feed that
turns its events into panel updates, run replay, and the feed of finished
runs into the Comparison tab. May import core, ``common``, ``plotting`` and
``panels``.
"""
