"""How the workbench's plots look and behave, shared by every panel and the fleet view.

The style (colours and line styles per method and task), hover read-outs,
growable curve buffers, coalesced redraws, PNG/CSV export and the panel base
class. May import core, Qt, pyqtgraph and ``workbench.common``.
"""
