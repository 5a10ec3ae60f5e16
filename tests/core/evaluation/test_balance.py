"""core.evaluation.balance: a run's effective ratio and task agreement, in words."""

from __future__ import annotations

from core.evaluation.balance import balance_note, typical_balance


def rows(ratios, cosines, start=1):
    return [
        {"epoch": e, "effective_ratio": r, "cosine": c}
        for e, (r, c) in enumerate(zip(ratios, cosines, strict=True), start)
    ]


def test_the_typical_balance_skips_the_warm_up_epochs():
    history = rows([600, 500, 30, 28, 32], [0.1, 0.2, 0.6, 0.62, 0.58])
    assert typical_balance(history) == (30, 0.6)  # medians of epochs 3-5
    assert typical_balance(rows([7.0], [0.3])) == (7.0, 0.3)  # a short run: what it has
    assert typical_balance([{"epoch": 4, "effective_ratio": float("nan"), "cosine": 0.5}]) is None


def test_the_note_names_the_dominant_task_and_whether_the_tasks_agree():
    gaba = balance_note(rows([600, 500, 30, 28, 32], [0.1, 0.2, 0.6, 0.62, 0.58]))
    assert gaba.startswith("The shared update stays RUL-dominated (effective ratio 30 : 1)")
    assert "the task gradients agree (cosine 0.60)" in gaba
    health = balance_note(rows([0.05] * 3, [-0.5] * 3))
    assert "health-dominated (effective ratio 1 : 20)" in health
    assert "(effective ratio 1,930 : 1)" in balance_note(rows([1930.0] * 3, [0.5] * 3))
    assert "conflict (cosine -0.50), so the balance matters here" in health
    even = balance_note(rows([1.0] * 3, [0.0] * 3))
    assert "evenly (effective ratio 1)" in even and "nearly orthogonal" in even
    assert "no share" in balance_note(rows([0.0] * 3, [0.4] * 3))
    assert balance_note([]) == ""
