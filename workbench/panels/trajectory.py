"""One engine's life: true and predicted RUL over its cycles, with the health-state bands.

This is the view engineers trust most: whether the prediction follows the
knee of the piecewise-linear target and warns in time as the engine nears
failure. The latest predictions of each split are kept, so switching engine
or split needs no new training event.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QSizePolicy, QToolButton, QWidget

from core.common.formats import count, format_value
from core.evaluation.prognostics import ALPHA, LAMBDA, alpha_cone, engine_figures
from core.training.events import PredictionsEvent
from workbench.common.time_units import CYCLES, HOURS, rul_label, time_axis_label, time_unit
from workbench.plotting.health_bands import HealthBands, state_markers
from workbench.plotting.hover import nearest_index
from workbench.plotting.interval_band import IntervalBand
from workbench.plotting.panel import Panel, checkbox_row, clear_items
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import (
    HEALTH_STATES,
    RUL,
    STATE_COLOURS,
    TRUE_RUL,
    pen,
    set_axis_label,
    set_title,
)

SPLITS = {"val": "validation", "test": "test"}


class TrajectoryPanel(Panel):
    """True and predicted RUL of a chosen validation or test engine, refreshed each epoch."""

    title = "Engine trajectory"
    empty_text = (
        "No predictions yet — press Train: each engine's true and predicted RUL "
        "appear after the first epoch."
    )

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(coalescer, parent)
        self.latest: dict[str, PredictionsEvent] = {}
        self.units: list = []  # identifiers listed in the engine selector, in its order
        #: The unit of the shown run's time and RUL: ``cycles`` or ``hours``.
        self.time_unit = CYCLES
        self.plot = self.add_plot(0, 0, "RUL trajectory", "cycle", "RUL (cycles)")
        self.health_bands = HealthBands(self.plot)
        self.true_curve = self.add_curve(self.plot, "true RUL", TRUE_RUL, width=2.5)
        self.true_curve.setZValue(10)  # the target stays visible over the prediction's markers
        self.pred_curve = self.add_curve(self.plot, "predicted RUL", RUL, width=1.5)
        # A finished run's kept model carries its calibrated interval; live epochs have none.
        self.band = IntervalBand(self.plot)
        # The α cone (1 ± α) × true RUL: dashed lines, no fill, so the interval band shows.
        cone_pen = pen(TRUE_RUL, 1.0, dashed=True, alpha=160)
        self.cone = (self.plot.plot(pen=cone_pen), self.plot.plot(pen=cone_pen))
        for line in self.cone:
            line.setZValue(8)
        self.state_markers = {s: state_markers(self.plot, s, in_legend=True) for s in HEALTH_STATES}
        self.hover = self.add_readout(self.plot, "cycle", self._describe)
        self._build_controls()
        self.set_thresholds()
        self.health_bands.set_visible(False)

    def _build_controls(self) -> None:
        self.split_box = QComboBox()
        for key, label in SPLITS.items():
            self.split_box.addItem(label, key)
        self.split_box.currentIndexChanged.connect(self._split_changed)
        self.previous_button = _arrow_button("◀", "Previous engine", self.previous_unit)
        self.next_button = _arrow_button("▶", "Next engine", self.next_unit)
        self.unit_box = QComboBox()
        self.unit_box.setMinimumContentsLength(6)
        # Grow with the engines listed: serials such as "ESN-70012" show whole.
        self.unit_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # ...and never shrink below them: a crowded dock squeezes the state label instead.
        # (A combo's minimum size counts only ``minimumContentsLength`` characters.)
        self.unit_box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.unit_box.currentIndexChanged.connect(self._unit_changed)
        self.state_label = QLabel("no predictions yet")
        # The headline gives way first in a narrow panel (its tooltip says it all).
        self.state_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state_label.setMinimumWidth(0)
        self.cone_box = QCheckBox(f"α cone (±{100 * ALPHA:.0f} %)")
        self.cone_box.setChecked(True)
        self.cone_box.setToolTip(
            f"Dashed: (1 ± {ALPHA:g}) × true RUL, the cone the α-λ accuracy tests the "
            f"prediction against at λ = {LAMBDA:g} (half-way from the first prediction to "
            "failure); it narrows to the failure time"
        )
        self.cone_box.toggled.connect(lambda _: self.mark_dirty())
        checkbox_row(
            self.controls,
            self.split_box,
            QLabel("engine"),
            self.previous_button,
            self.unit_box,
            self.next_button,
            self.cone_box,
            self.state_label,
        )
        self._update_buttons()

    # ------------------------------------------------------------------ API
    def set_predictions(self, event: PredictionsEvent) -> None:
        """Keep the newest predictions of ``event.split``; the shown engine stays selected."""
        self.latest[event.split] = event
        if event.split == self.current_split():
            self._fill_units()
        self.mark_dirty()

    def set_time_unit(self, unit: str | None) -> None:
        """Label time and RUL in the run's unit: ``cycles`` (also for ``None``) or ``hours``."""
        self.time_unit = time_unit(unit)
        set_axis_label(self.plot, "bottom", time_axis_label(self.time_unit))
        set_axis_label(self.plot, "left", rul_label(self.time_unit))
        self.hover.x_name = time_axis_label(self.time_unit)
        self.mark_dirty()

    def set_thresholds(self, degrading: float = 80.0, critical: float = 30.0) -> None:
        """Health-state thresholds on the RUL, as in ``HealthThresholds``."""
        if not critical < degrading:
            raise ValueError(f"critical ({critical}) must be below degrading ({degrading})")
        self.thresholds = (float(degrading), float(critical))
        self.health_bands.set_thresholds(*self.thresholds)

    def current_split(self) -> str:
        """'val' or 'test'."""
        return self.split_box.currentData()

    def current_unit(self):
        """The shown engine's identifier (None when nothing is shown)."""
        index = self.unit_box.currentIndex()
        return self.units[index] if 0 <= index < len(self.units) else None

    def select_split(self, split: str) -> None:
        """Show the validation ('val') or test ('test') engines."""
        self.split_box.setCurrentIndex(self.split_box.findData(split))

    def select_unit(self, unit) -> None:
        """Show the engine with identifier ``unit`` (if the split has it)."""
        index = _position(self.units, unit)
        if index >= 0:
            self.unit_box.setCurrentIndex(index)

    def next_unit(self) -> None:
        """Show the next engine in the list."""
        self.unit_box.setCurrentIndex(
            min(self.unit_box.currentIndex() + 1, self.unit_box.count() - 1)
        )

    def previous_unit(self) -> None:
        """Show the previous engine in the list."""
        self.unit_box.setCurrentIndex(max(self.unit_box.currentIndex() - 1, 0))

    def reset(self) -> None:
        """Forget all predictions for a new run."""
        self.latest.clear()
        self.units = []
        self.unit_box.clear()
        clear_items(self._drawn())
        self.band.clear()
        self.state_label.setText("no predictions yet")
        self.readout.clear()
        self.health_bands.set_visible(False)
        self.update_placeholder()

    def has_data(self) -> bool:
        """Whether the shown split has predictions."""
        return self.current_split() in self.latest

    def placeholder_text(self) -> str | None:
        """The general hint before any prediction; which split lacks them after."""
        if self.has_data():
            return None
        if not self.latest:
            return self.empty_text
        when = "after each epoch" if self.current_split() == "val" else "when the run finishes"
        return f"No {SPLITS[self.current_split()]} predictions yet — they come {when}."

    def table(self) -> pd.DataFrame:
        """The shown engine's windows: cycle, true and predicted RUL, predicted state."""
        rows = self._unit_rows()
        if rows is None:
            return pd.DataFrame(columns=["unit", "cycle", "true_rul", "pred_rul", "pred_health"])
        event, index = rows
        return pd.DataFrame(
            {
                "unit": self.current_unit(),
                "cycle": event.cycle[index],
                "true_rul": event.true_rul[index],
                "pred_rul": event.pred_rul[index],
                "pred_health": np.array(HEALTH_STATES)[event.pred_health[index]],
            }
        )

    # ------------------------------------------------------------ internals
    def _drawn(self) -> list:
        """The curves and markers that show an engine (cleared when none is shown)."""
        return [self.true_curve, self.pred_curve, *self.cone, *self.state_markers.values()]

    def _unit_rows(self) -> tuple[PredictionsEvent, np.ndarray] | None:
        """The current split's event and the shown engine's window indices, by cycle."""
        event = self.latest.get(self.current_split())
        unit = self.current_unit()
        if event is None or unit is None:
            return None
        code = list(event.unit_ids).index(unit)
        index = np.flatnonzero(np.asarray(event.unit) == code)
        return event, index[np.argsort(event.cycle[index], kind="stable")]

    def _fill_units(self) -> None:
        """List the split's engines, keeping the selected one when it is still there."""
        event = self.latest.get(self.current_split())
        units = [] if event is None else [event.unit_ids[c] for c in np.unique(event.unit)]
        if units == self.units:
            return
        keep = self.current_unit()
        self.units = units
        self.unit_box.blockSignals(True)
        self.unit_box.clear()
        self.unit_box.addItems([str(unit) for unit in units])
        self.unit_box.setCurrentIndex(max(_position(units, keep), 0) if units else -1)
        self.unit_box.blockSignals(False)
        self._update_buttons()

    def _split_changed(self) -> None:
        self._fill_units()
        self.mark_dirty()

    def _unit_changed(self) -> None:
        self._update_buttons()
        self.mark_dirty()

    def _update_buttons(self) -> None:
        index, count = self.unit_box.currentIndex(), self.unit_box.count()
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(0 <= index < count - 1)

    def _redraw(self) -> None:
        rows = self._unit_rows()
        # No bands without a trajectory: over an empty plot they would fill it with one colour.
        self.health_bands.set_visible(rows is not None)
        if rows is None:
            clear_items(self._drawn())
            self.band.clear()
            split = SPLITS[self.current_split()]
            self.state_label.setText(f"no {split} predictions yet")
            return
        event, index = rows
        cycle, predicted = event.cycle[index], event.pred_rul[index]
        self.true_curve.setData(cycle, event.true_rul[index])
        self.pred_curve.setData(cycle, predicted)
        if self.cone_box.isChecked():
            for line, bound in zip(self.cone, alpha_cone(event.true_rul[index]), strict=True):
                line.setData(cycle, bound)
        else:
            clear_items(list(self.cone))
        if event.rul_lower is not None and event.rul_upper is not None:
            self.band.set_bounds(cycle, event.rul_lower[index], event.rul_upper[index])
        else:
            self.band.clear()
        states = event.pred_health[index]
        for code, state in enumerate(HEALTH_STATES):
            mine = states == code
            self.state_markers[state].setData(cycle[mine], predicted[mine])
        self._show_state(event, index)

    def _show_state(self, event: PredictionsEvent, index: np.ndarray) -> None:
        """Headline: the predicted state at the engine's latest cycle, and the epoch."""
        if index.size == 0:
            self.state_label.setText("")
            return
        last = index[-1]
        state = HEALTH_STATES[int(event.pred_health[last])]
        colour = STATE_COLOURS[state]
        split = SPLITS[event.split]
        band = " · shaded: calibrated interval" if event.rul_lower is not None else ""
        model = f"refit, {count(event.epoch, 'epoch')}" if event.refit else f"epoch {event.epoch}"
        set_title(self.plot, f"Engine {self.current_unit()} ({split}) · {model}{band}")
        self.state_label.setText(self._headline(state, colour, float(event.pred_rul[last])))
        hours = self.time_unit == HOURS
        self.state_label.setToolTip(
            f"Predicted at the engine's last {'record' if hours else 'cycle'}, "
            f"{format_value(float(event.cycle[last]))}{' h' if hours else ''}\n"
            + self._cone_verdict(event, index)
        )

    def _cone_verdict(self, event: PredictionsEvent, index: np.ndarray) -> str:
        """Whether the prediction at λ = 0.5 lies in the α cone (the engine's α-λ accuracy).

        The end of life is the last window's time plus its true RUL; the event
        carries the capped truth, so for an engine cut off more than the cap
        before failure t_λ comes early (trajectories.csv's uncapped truth fixes it).
        """
        cycle = event.cycle[index].astype(float)
        true, predicted = event.true_rul[index].astype(float), event.pred_rul[index].astype(float)
        eol = float(cycle[-1] + true[-1])
        try:
            passed = engine_figures(cycle, true, predicted, eol)["alpha_lambda"]
        except ValueError:  # no truth (an in-service engine) or a non-finite value
            return "α-λ accuracy: no truth to test against"
        t_lambda = cycle[0] + LAMBDA * (eol - cycle[0])
        at = np.flatnonzero(cycle >= t_lambda - 1e-9)
        if math.isnan(passed) or not at.size:
            return f"α-λ accuracy: no prediction at λ = {LAMBDA:g} (the record ends before it)"
        k = int(at[0])
        lower, upper = alpha_cone(true[k : k + 1])
        where = "inside" if passed else "outside"
        return (
            f"At λ = {LAMBDA:g} ({self._at(float(cycle[k]))}) the prediction "
            f"{format_value(float(predicted[k]))} lies {where} the α cone "
            f"[{format_value(float(lower[0]))}, {format_value(float(upper[0]))}]"
        )

    def rul_band(self, rul: float) -> str:
        """The health state the RUL head's number falls in (the thresholds: 'at or below')."""
        degrading, critical = self.thresholds
        return "critical" if rul <= critical else "degrading" if rul <= degrading else "normal"

    def _headline(self, state: str, colour: str, rul: float) -> str:
        """Both heads at the last cycle, with ≠ where the health head's state is not the
        band the RUL head's number falls in (as the fleet table marks it)."""
        unit = "h" if self.time_unit == HOURS else "cycles"
        band = self.rul_band(rul)
        rul_text = f"RUL <b>{rul:.1f}</b> {unit}"
        if band == state:
            return f"now <b style='color:{colour}'>{state}</b> · {rul_text}"
        return (
            f"now <b style='color:{colour}'>{state}</b> (health head) ≠ {rul_text}, "
            f"in the <b style='color:{STATE_COLOURS[band]}'>{band}</b> band"
        )

    def _describe(self, x: float, y: float) -> str | None:
        rows = self._unit_rows()
        if rows is None:
            return None
        event, index = rows
        at = nearest_index(event.cycle[index], x)
        if at is None:
            return None
        row = index[at]
        self.hover.line.setPos(float(event.cycle[row]))
        self.hover.line.show()
        state = HEALTH_STATES[int(event.pred_health[row])]
        unit = " h" if self.time_unit == HOURS else ""
        return (
            f"{self._at(float(event.cycle[row]))} · true "
            f"{format_value(float(event.true_rul[row]))}{unit} · predicted "
            f"{format_value(float(event.pred_rul[row]))}{unit} ({state})"
        )

    def _at(self, time: float) -> str:
        """``cycle 120`` or ``1,234.5 h``: where on the engine's life, in the run's unit."""
        if self.time_unit == HOURS:
            return f"{format_value(time)} h"
        return f"cycle {format_value(time)}"


def _position(units: list, unit) -> int:
    """Index of ``unit`` in ``units`` (-1 when absent or None)."""
    return units.index(unit) if unit is not None and unit in units else -1


def _arrow_button(text: str, tip: str, slot) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button
