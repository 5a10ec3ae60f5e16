"""Training one network: settings, progress events, the step, the trainer, results, tuning.

May import: core.common, core.data, core.model, core.runs, core.evaluation,
core.methods, core.probe. Running a whole experiment (data, method, baselines,
resume) is :mod:`core.experiment`, a layer up.
"""
