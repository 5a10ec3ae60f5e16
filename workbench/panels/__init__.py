"""The live panels of the workbench, one module per panel."""

from workbench.panels.base import Panel
from workbench.panels.block_gradients import BlockGradientPanel
from workbench.panels.comparison import ComparisonPanel
from workbench.panels.gradients import GradientPanel
from workbench.panels.loss import LossPanel
from workbench.panels.task_weights import TaskWeightPanel
from workbench.panels.test_results import TestResultsPanel
from workbench.panels.trajectory import TrajectoryPanel

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
