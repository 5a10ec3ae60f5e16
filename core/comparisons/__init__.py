"""Running a comparison: every (method, seed) pair of a run store, resumable, on an executor.

:mod:`~core.comparisons.runner` plans the pairs, skips finished ones, resumes
interrupted ones, hands them to :mod:`core.executors` and writes the
comparison's summary (statistics from :mod:`core.evaluation.statistics`);
:mod:`~core.comparisons.folder_lock` lets one comparison at a time train into a folder.
Not to be confused with those statistics, nor with the GUI's Comparison tab,
which shows what this writes.

May import: every core layer below it (common, data, model, runs, evaluation,
methods, probe, training, baseline, experiment, executors).
"""
