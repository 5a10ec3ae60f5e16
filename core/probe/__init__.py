"""The gradient probe: per-task gradients, their norms, ratio and cosine.

:mod:`~core.probe.gradients` takes each task's gradient on the shared
parameters (the Gram matrix every gradient method weighs);
:mod:`~core.probe.representation` takes it on the shared representation
instead (one backward through the heads per task).

May import: core.common, core.methods (the Gram helpers), torch.
"""
