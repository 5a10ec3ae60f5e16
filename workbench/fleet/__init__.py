"""The Fleet feature: RUL and health of engines in service, from a finished run.

The fleet dock and view (ranked table, per-engine trajectory, export); the
prediction itself is core's (:mod:`core.prediction.fleet`) and runs off the
GUI thread. May import core, ``common``, ``plotting`` and ``workbench.data``'s
public names.
"""
