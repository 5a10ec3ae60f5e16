"""Telling the user why a run failed, and which runs can share prepared data.

Plain functions shared by every front end (the GUI's worker shows the message
in the run queue and an error dialog).
"""

from __future__ import annotations

import json

from core.common.errors import DataError, WorkbenchError
from core.experiment.run import ExperimentConfig
from core.runs import RunStoreError


def data_key(config: ExperimentConfig) -> str:
    """What makes two experiments use the same prepared data: source and preprocessing."""
    return json.dumps(
        {"source": config.source.to_dict(), "preprocess": config.preprocess.to_dict()},
        sort_keys=True,
    )


def describe_failure(exc: BaseException, config: ExperimentConfig) -> str:
    """A message an engineer can act on, rather than a bare exception name."""
    if isinstance(exc, DataError):
        return f"The data could not be used: {exc}"
    if isinstance(exc, RunStoreError):
        return f"The run folder could not be written: {exc}"
    text = str(exc)
    if "out of memory" in text.lower():
        return (
            f"The device ran out of memory with batch size {config.train.batch_size} "
            f"and the '{config.preset}' preset. Try a smaller batch size or preset, "
            "or train on the CPU."
        )
    if isinstance(exc, WorkbenchError | ValueError):
        return text
    return f"{type(exc).__name__}: {text}"
