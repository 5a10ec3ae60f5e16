"""The Qt workbench (GUI), grouped by feature. Depends on core; core never depends on it.

Layers, from the bottom (``tests/test_architecture.py`` checks them):

* ``common`` — helpers every feature may use (running work off the GUI thread,
  form fields); imports only core and Qt.
* ``plotting`` — how plots look and behave (style, hover, curve buffers,
  coalesced redraws, PNG/CSV export, the panel base class); may import common.
* ``panels`` — the live and result panels; may import plotting and common.
* features: ``data`` (loading fleets, CSV import), ``experiment`` (what to
  train), ``training`` (the run queue, the training worker, the live feed),
  ``fleet`` (in-service predictions). A feature may import the layers below
  it and another feature only through that package's public names (its
  ``__init__``), never another feature's modules.
* ``shell`` — the application, main window, toolbar, status bar and
  settings; it assembles the features and may import anything.
"""
