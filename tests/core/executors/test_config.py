"""Where a comparison's runs happened, in words (the report's "ran on" row)."""

from __future__ import annotations

import pytest

from core.executors.config import ExecutorConfig


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (ExecutorConfig(), "this process, one run after another"),
        (ExecutorConfig("local", jobs=3, retries=0), "3 worker processes on this machine"),
        (
            ExecutorConfig("local"),
            "one per core worker processes on this machine; a run whose worker died resumed up "
            "to 2 times",
        ),
        (
            ExecutorConfig("ray", address="10.0.0.5:6379", gpus=0.25, retries=1),
            "a Ray cluster at 10.0.0.5:6379, 0.25 GPU per run; a run whose worker died "
            "resumed up to 1 times",
        ),
        (
            ExecutorConfig("ray", retries=0),
            "a Ray instance started on this machine (loopback only)",
        ),
    ],
)
def test_an_executor_says_where_the_runs_happened(config, words):
    assert config.describe() == words
