"""The dual-task network: one shared backbone, a RUL head and a health head.

Hard parameter sharing (docs/model.md): the backbone runs once per
batch and both heads read the same shared representation. The split of the
parameters into shared / RUL head / health head is defined here and only
here, because the balancing methods and the gradient probe act on the
shared parameters and must all agree on what they are.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import Tensor, nn

from core.model.layers import BiLSTM, ConvStack, LastStepAttention, funnel, head, parameter_count
from core.model.presets import ModelPreset, resolve_preset

HEALTH_CLASSES = 3
SHARED_BLOCKS = ("cnn", "bilstm", "attention", "funnel")
# Initial bias of the RUL output layer. The shared representation barely
# varies between windows at initialisation, so with PyTorch's default bias
# the final ReLU is closed for EVERY window in a third to three quarters of
# seeds (measured: tiny 7/20, compact 5/20, paper 15/20), and a closed ReLU
# passes no gradient: the RUL task would never start learning. A positive
# bias opens it; 1.0 is a small RUL whatever scale the trainer uses.
RUL_OUTPUT_BIAS = 1.0


@dataclass(frozen=True)
class ParameterGroups:
    """The model's parameters split by who owns them; disjoint and complete.

    Attributes
    ----------
    shared
        Backbone parameters, reached by both tasks' gradients.
    rul_head
        Parameters only the RUL loss reaches.
    health_head
        Parameters only the health loss reaches.
    """

    shared: list[nn.Parameter]
    rul_head: list[nn.Parameter]
    health_head: list[nn.Parameter]

    def __getitem__(self, name: str) -> list[nn.Parameter]:
        return getattr(self, name)

    def items(self) -> list[tuple[str, list[nn.Parameter]]]:
        """``(group name, parameters)`` pairs in a fixed order."""
        return [(n, self[n]) for n in ("shared", "rul_head", "health_head")]


class DualTaskModel(nn.Module):
    """CNN -> BiLSTM -> attention -> funnel, then a RUL head and a health head.

    Parameters
    ----------
    n_features
        Features per cycle (the input's last dimension). The window length is
        free: nothing in the model depends on it.
    preset
        A :class:`ModelPreset` or the name of one in :data:`core.model.PRESETS`.
    """

    def __init__(self, n_features: int, preset: ModelPreset | str = "compact") -> None:
        super().__init__()
        if n_features < 1:
            raise ValueError(f"n_features must be at least 1, got {n_features}")
        self.n_features = n_features
        self.preset = p = resolve_preset(preset)
        cnn = ConvStack(n_features, p.conv_channels, p.kernel_size)
        bilstm = BiLSTM(cnn.out_width, p.lstm_hidden, p.lstm_layers, p.lstm_dropout)
        self.backbone = nn.Sequential(
            OrderedDict(
                cnn=cnn,
                bilstm=bilstm,
                attention=LastStepAttention(bilstm.out_width, p.attention_heads),
                funnel=funnel(bilstm.out_width, p.funnel_widths, p.funnel_dropout),
            )
        )
        width = p.representation_width
        self.rul_head = head(width, p.rul_head_widths, 1, final_relu=True)
        self.health_head = head(width, p.health_head_widths, HEALTH_CLASSES, final_relu=False)
        rul_output = self.rul_head[-2]  # the last Linear, before the final ReLU
        assert isinstance(rul_output, nn.Linear)
        nn.init.constant_(rul_output.bias, RUL_OUTPUT_BIAS)

    def representation(self, x: Tensor) -> Tensor:
        """Shared features ``(B, d)`` of windows ``x`` of shape ``(B, W, F)``.

        This is the funnel output both heads read; a representation-level
        probe takes task gradients with respect to it.
        """
        if x.dim() != 3 or x.shape[-1] != self.n_features:
            raise ValueError(
                f"expected windows of shape (batch, window, {self.n_features}), "
                f"got {tuple(x.shape)}"
            )
        return self.backbone(x)

    def heads(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Both heads on a representation ``z``: ``(rul (B,), health_logits (B, 3))``."""
        return self.rul_head(z).squeeze(-1), self.health_head(z)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Predicted RUL ``(B,)`` (never negative) and health logits ``(B, 3)``."""
        return self.heads(self.representation(x))

    def parameter_groups(self) -> ParameterGroups:
        """Shared, RUL-head and health-head parameters (disjoint, covering all)."""
        return ParameterGroups(
            shared=list(self.backbone.parameters()),
            rul_head=list(self.rul_head.parameters()),
            health_head=list(self.health_head.parameters()),
        )

    def blocks(self) -> OrderedDict[str, list[nn.Parameter]]:
        """Shared parameters by backbone block, in forward order.

        The keys are ``cnn``, ``bilstm``, ``attention`` and ``funnel``; their
        parameters together are exactly ``parameter_groups().shared``.
        """
        return OrderedDict(
            (name, list(getattr(self.backbone, name).parameters())) for name in SHARED_BLOCKS
        )

    def count_parameters(self) -> dict[str, float]:
        """Parameter counts per group and the shared share (0..1) of the total."""
        counts = {name: parameter_count(params) for name, params in self.parameter_groups().items()}
        total = sum(counts.values())
        return {"total": total, **counts, "shared_share": counts["shared"] / total}
