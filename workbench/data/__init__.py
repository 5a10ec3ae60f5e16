"""The Data feature: choosing a source, its preprocessing, and importing the user's CSV files.

The Data dock (source and protocol form, the loaded fleet's summary, and the
``life_data`` views: sensor scores and the Weibull plot) and the CSV import
dialog (a file or a folder of engine files, delimiter/decimal detection, column
roles, removals log, the check with file/row/column messages and its preview).
May import core, ``common``, ``plotting`` and ``life_data``; the fleet feature
uses the import dialog through this package.
"""

from workbench.data.csv_import import IN_SERVICE, RUN_TO_FAILURE, CsvImportDialog

__all__ = ["IN_SERVICE", "RUN_TO_FAILURE", "CsvImportDialog"]
