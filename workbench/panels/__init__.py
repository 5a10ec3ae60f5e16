"""The workbench's panels, one module per panel: live training and results.

Losses, per-task gradient norms and ratio, task weights, per-block
gradients, RUL trajectories, test results and the method comparison. May
import core, ``plotting`` and ``common``.
"""

from workbench.panels.block_gradients import BlockGradientPanel
from workbench.panels.comparison import ComparisonPanel
from workbench.panels.gradients import GradientPanel
from workbench.panels.loss import LossPanel
from workbench.panels.task_weights import TaskWeightPanel
from workbench.panels.test_results import TestResultsPanel
from workbench.panels.trajectory import TrajectoryPanel
from workbench.plotting.panel import Panel

__all__ = [
    "BlockGradientPanel",
    "ComparisonPanel",
    "GradientPanel",
    "LossPanel",
    "Panel",
    "TaskWeightPanel",
    "TestResultsPanel",
    "TrajectoryPanel",
]
