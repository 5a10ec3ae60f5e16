"""A run's selected model as a file that runs without the workbench (ONNX, TorchScript).

Why a package of its own: deployment is the one place where a run leaves the
workbench's Python world. A run folder predicts only through
:mod:`core.prediction.inference`, which needs this code base, pandas and the run's
``preprocessing.json``; an exported model folder needs an ONNX runtime or
libtorch and nothing else, so a service, an edge box or another team's
pipeline can score engines with the exact weights and normalisation the run
was judged on. ``rulwb export`` and File ▸ Export model… both call
:func:`export_model`; docs/deploy.md says what goes in and what comes out.

May import: core.common, core.data, core.model, core.prediction.
"""

from core.deploy.export import FORMATS, ExportedModel, export_model
from core.deploy.inputs import raw_histories, raw_windows

__all__ = ["FORMATS", "ExportedModel", "export_model", "raw_histories", "raw_windows"]
