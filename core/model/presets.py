"""Named widths for the dual-task network.

Every preset keeps the book's structure (CNN, BiLSTM, attention, funnel, two
heads) and only changes widths, so comparisons made with a small preset on a
CPU transfer to the paper preset on a GPU.

No preset uses dropout (the book used 0.3 in the BiLSTM and 0.2 in the
funnel). Dropout anywhere before the RUL head's ReLUs makes the evaluation-mode
model predict systematically lower than the model that was trained (measured
on FD001: -4 cycles at the RUL cap on the training windows themselves, with
0.2 left only in the BiLSTM and between funnel layers); the workbench
regularises with Gaussian input noise instead, which leaves no such gap
(``TrainConfig.input_noise``). The study behind this is docs/recipe.md; the
``lstm_dropout`` / ``funnel_dropout`` fields (``--dropout``) stay for users who
want them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ModelPreset:
    """Widths and regularisation of a :class:`~core.model.DualTaskModel`.

    Attributes
    ----------
    name
        Short name shown to the user.
    conv_channels
        Output channels of the Conv1d blocks, in order (kernel ``kernel_size``,
        same padding, BatchNorm + ReLU each).
    kernel_size
        Convolution kernel length in cycles; odd so "same" padding is symmetric.
    lstm_hidden
        BiLSTM hidden size per direction; the sequence width is twice this.
    lstm_layers
        Stacked BiLSTM layers.
    lstm_dropout
        Dropout between BiLSTM layers (ignored with a single layer, where
        PyTorch would warn that it has no effect).
    attention_heads
        Heads of the self-attention over time; must divide ``2 * lstm_hidden``.
    funnel_widths
        Widths of the shared fully connected funnel after the last time step;
        the last one is the width of the shared representation.
    funnel_dropout
        Dropout after each funnel layer.
    rul_head_widths
        Hidden widths of the RUL head (a final width-1 layer and ReLU follow).
    health_head_widths
        Hidden widths of the health head (a final 3-logit layer follows).
    """

    name: str
    conv_channels: tuple[int, ...]
    kernel_size: int
    lstm_hidden: int
    lstm_layers: int
    lstm_dropout: float
    attention_heads: int
    funnel_widths: tuple[int, ...]
    funnel_dropout: float
    rul_head_widths: tuple[int, ...]
    health_head_widths: tuple[int, ...]

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError(f"model preset '{self.name}': " + "; ".join(problems))

    @property
    def sequence_width(self) -> int:
        """Width of the BiLSTM output and of the attention (both directions)."""
        return 2 * self.lstm_hidden

    @property
    def representation_width(self) -> int:
        """Width of the shared representation fed to both heads."""
        return self.funnel_widths[-1]

    def to_dict(self) -> dict:
        """Plain-JSON form, for a run's saved configuration."""
        return asdict(self)


def _problems(preset: ModelPreset) -> list[str]:
    """Every inconsistency in a preset, so one message can list them all."""
    problems = []
    widths = (
        *preset.conv_channels,
        *preset.funnel_widths,
        *preset.rul_head_widths,
        *preset.health_head_widths,
        preset.lstm_hidden,
        preset.lstm_layers,
        preset.attention_heads,
    )
    if not preset.conv_channels or not preset.funnel_widths:
        problems.append("needs at least one conv block and one funnel layer")
    if any(w < 1 for w in widths):
        problems.append("every width, layer count and head count must be at least 1")
    if preset.kernel_size < 1 or preset.kernel_size % 2 == 0:
        problems.append(f"kernel_size must be odd and positive, got {preset.kernel_size}")
    if preset.attention_heads >= 1 and preset.sequence_width % preset.attention_heads:
        problems.append(
            f"attention_heads ({preset.attention_heads}) must divide "
            f"2 * lstm_hidden ({preset.sequence_width})"
        )
    for label, p in (
        ("lstm_dropout", preset.lstm_dropout),
        ("funnel_dropout", preset.funnel_dropout),
    ):
        if not 0.0 <= p < 1.0:
            problems.append(f"{label} must be in [0, 1), got {p}")
    return problems


PAPER = ModelPreset(
    name="paper",
    conv_channels=(64, 128, 64),
    kernel_size=3,
    lstm_hidden=256,
    lstm_layers=2,
    lstm_dropout=0.0,
    attention_heads=8,
    funnel_widths=(256, 64, 32),
    funnel_dropout=0.0,
    rul_head_widths=(64, 32, 16),
    health_head_widths=(32, 16),
)

COMPACT = ModelPreset(
    name="compact",
    conv_channels=(32, 64, 32),
    kernel_size=3,
    lstm_hidden=64,
    lstm_layers=2,
    lstm_dropout=0.0,
    attention_heads=4,
    funnel_widths=(64, 32),
    funnel_dropout=0.0,
    rul_head_widths=(32, 16),
    health_head_widths=(16,),
)

TINY = ModelPreset(
    name="tiny",
    conv_channels=(8, 16, 8),
    kernel_size=3,
    lstm_hidden=16,
    lstm_layers=1,
    lstm_dropout=0.0,
    attention_heads=2,
    funnel_widths=(16, 8),
    funnel_dropout=0.0,
    rul_head_widths=(8,),
    health_head_widths=(8,),
)

PRESETS: dict[str, ModelPreset] = {p.name: p for p in (PAPER, COMPACT, TINY)}


def resolve_preset(preset: ModelPreset | str) -> ModelPreset:
    """Return ``preset`` itself, or the named one from :data:`PRESETS`.

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.
    """
    if isinstance(preset, ModelPreset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        valid = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown model preset '{preset}'; choose one of: {valid}") from None
