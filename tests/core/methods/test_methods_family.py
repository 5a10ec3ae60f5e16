"""The wider balancing family: each method against TorchJD or its paper's closed form.

Gradient methods are checked on explicit random gradient matrices ``J``
(2 x n), including conflicting and badly scaled ones: the update
``w @ J`` from the method's weights on ``J J^T`` must equal TorchJD's
aggregation of ``J``, or the paper's two-task closed form.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torchjd import aggregation as tjd
from torchjd.scalarization import FAMO as TorchJDFAMO

from core.methods import METHODS
from core.methods.aggregation import MissingSolverError, missing_packages
from core.methods.cagrad import cagrad_weights
from core.methods.registry import balancing_methods, create_method

F64 = torch.float64
LOSSES = torch.tensor([2.0, 0.5])
HAS_CVXPY = not missing_packages(("cvxpy", "clarabel", "ecos"))
needs_cvxpy = pytest.mark.skipif(not HAS_CVXPY, reason="cvxpy/ECOS (nash-mtl extra) missing")


def jacobian(seed: int, kind: str, n: int = 40) -> torch.Tensor:
    """Two task gradients: ``random``, ``conflict`` (cosine < 0) or ``scaled`` (ratio 500)."""
    generator = torch.Generator().manual_seed(seed)
    g_r, g_h = torch.randn(2, n, generator=generator, dtype=F64)
    if kind == "conflict":
        g_h = -0.7 * g_r + 0.4 * g_h
        assert g_r @ g_h < 0
    if kind == "scaled":
        g_r = 500.0 * g_r
    return torch.stack([g_r, g_h])


CASES = [(seed, kind) for seed in range(4) for kind in ("random", "conflict", "scaled")]


def update(name: str, matrix: torch.Tensor, **params) -> torch.Tensor:
    """``sum_k w_k g_k`` with the weights the method gives for ``matrix``'s Gram."""
    w = create_method(name, **params).weigh(matrix @ matrix.T, LOSSES)
    assert w.dtype == F64 and w.shape == (2,)
    return w @ matrix


def assert_same_update(ours: torch.Tensor, theirs: torch.Tensor, matrix: torch.Tensor, tol=1e-9):
    """Equal up to ``tol`` relative to the larger task gradient."""
    scale = float(matrix.norm(dim=1).max())
    torch.testing.assert_close(ours, theirs.to(F64), atol=tol * scale, rtol=0)


# ---------------------------------------------------------------------- registry
def test_registry_lists_the_whole_family_under_lower_snake_names() -> None:
    family = {
        "mgda", "mgda_ub", "cagrad", "imtl_g", "aligned_mtl", "nash_mtl", "upgrad",
        "dualproj", "gradvac", "conflict_free", "db_mtl", "famo", "rlw",
    }  # fmt: skip
    assert family <= set(METHODS) and len(METHODS) >= 22
    assert "config" not in METHODS, "'config' is CLI vocabulary"
    for name in METHODS:
        assert name == name.lower() and " " not in name and "-" not in name


@pytest.mark.parametrize(
    ("name", "defaults"),
    [
        ("cagrad", {"c": 0.5}),
        ("gradvac", {"beta": 0.5, "eps": 1e-8}),
        ("db_mtl", {"beta": 0.9, "beta_sigma": 0.0}),
        ("famo", {"lr": 0.025, "weight_decay": 1e-3}),
        ("nash_mtl", {"max_norm": 1.0, "update_weights_every": 1, "optim_niter": 20}),
        ("rlw", {"seed": -1}),
        ("mgda", {}),
        ("upgrad", {}),
    ],
)
def test_paper_defaults(name: str, defaults: dict) -> None:
    assert {h.name: h.default for h in METHODS[name].hyperparameters} == defaults


# ------------------------------------------------------------- MGDA and MGDA-UB
def mgda_closed_form(g_r: torch.Tensor, g_h: torch.Tensor) -> torch.Tensor:
    """Sener and Koltun's two-task min-norm point, weight of g_r clipped to [0, 1]."""
    w_r = ((g_h @ g_h - g_r @ g_h) / (g_r - g_h).pow(2).sum()).clamp(0.0, 1.0)
    return w_r * g_r + (1 - w_r) * g_h


@pytest.mark.parametrize("name", ["mgda", "mgda_ub"])
@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_mgda_is_the_two_task_closed_form(name: str, seed: int, kind: str) -> None:
    matrix = jacobian(seed, kind)
    ours = update(name, matrix)
    assert_same_update(ours, mgda_closed_form(*matrix), matrix)
    assert_same_update(ours, tjd.MGDA()(matrix), matrix)


def test_mgda_picks_the_smaller_gradient_when_it_is_inside_the_other() -> None:
    g_r, g_h = torch.tensor([4.0, 0.0], dtype=F64), torch.tensor([1.0, 0.0], dtype=F64)
    w = create_method("mgda").weigh(torch.stack([g_r, g_h]) @ torch.stack([g_r, g_h]).T, LOSSES)
    torch.testing.assert_close(w, torch.tensor([0.0, 1.0], dtype=F64))
    assert METHODS["mgda_ub"].gradient_space == "representation"
    assert METHODS["mgda"].gradient_space == "shared"


# ------------------------------------------------------------------------ IMTL-G
def imtl_g_closed_form(g_r: torch.Tensor, g_h: torch.Tensor) -> torch.Tensor:
    """Liu et al. (2021): alpha_h = g_r U^T (D U^T)^-1 with D = g_r - g_h, U = u_r - u_h."""
    u = g_r / g_r.norm() - g_h / g_h.norm()
    alpha_h = (g_r @ u) / ((g_r - g_h) @ u)
    return (1 - alpha_h) * g_r + alpha_h * g_h


@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_imtl_g_is_the_closed_form_and_projects_equally(seed: int, kind: str) -> None:
    matrix = jacobian(seed, kind)
    ours = update("imtl_g", matrix)
    assert_same_update(ours, imtl_g_closed_form(*matrix), matrix, tol=1e-8)
    assert_same_update(ours, tjd.IMTLG()(matrix), matrix)
    units = matrix / matrix.norm(dim=1, keepdim=True)
    projections = units @ ours
    torch.testing.assert_close(projections[0], projections[1])


# ------------------------------------------------------------------------ CAGrad
def cagrad_objective(gram: torch.Tensor, x: torch.Tensor, c: float) -> torch.Tensor:
    """Paper's inner objective ``g_w.g0 + c ||g0|| ||g_w||`` for ``w = (x, 1 - x)``."""
    w = torch.stack([x, 1 - x], dim=-1)
    mean = torch.tensor([0.5, 0.5], dtype=F64)
    radius = c * (mean @ gram @ mean).sqrt()
    return w @ gram @ mean + radius * ((w @ gram) * w).sum(-1).clamp_min(0).sqrt()


@pytest.mark.parametrize("c", [0.0, 0.2, 0.5, 2.0])
@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_cagrad_closed_form_minimises_the_papers_objective(c: float, seed: int, kind: str):
    matrix = jacobian(seed, kind)
    gram = matrix @ matrix.T / (matrix @ matrix.T).trace()
    w = create_method("cagrad", c=c).weigh(matrix @ matrix.T, LOSSES)
    mean = torch.tensor([0.5, 0.5], dtype=F64)
    radius = c * math.sqrt(float(mean @ gram @ mean))
    if radius == 0:
        torch.testing.assert_close(w, mean)
        return
    step = (w - mean).sum()  # w = mean + radius / ||g_x|| (x, 1 - x)
    mix = (w - mean) / step
    assert step * (mix @ gram @ mix).sqrt() == pytest.approx(radius)
    grid = torch.linspace(0, 1, 20001, dtype=F64)
    best = cagrad_objective(gram, grid, c).min()
    assert cagrad_objective(gram, mix[0], c) <= best + 1e-12


@needs_cvxpy
@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_cagrad_matches_torchjd(seed: int, kind: str) -> None:
    matrix = jacobian(seed, kind)
    assert_same_update(update("cagrad", matrix), tjd.CAGrad(c=0.5)(matrix), matrix, tol=1e-4)


def test_cagrad_with_opposite_gradients_stops() -> None:
    g = torch.tensor([[1.0, 2.0], [-1.0, -2.0]], dtype=F64)
    torch.testing.assert_close(cagrad_weights(g @ g.T, 0.5) @ g, torch.zeros(2, dtype=F64))


# ----------------------------------------------- TorchJD weightings, as aggregators
@pytest.mark.parametrize(
    ("name", "aggregator"),
    [
        ("aligned_mtl", lambda: tjd.AlignedMTL()),
        ("upgrad", lambda: tjd.UPGrad()),
        ("dualproj", lambda: tjd.DualProj()),
        ("conflict_free", lambda: tjd.ConFIG()),
    ],
)
@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_update_equals_torchjds_aggregation(name, aggregator, seed: int, kind: str) -> None:
    matrix = jacobian(seed, kind)
    assert_same_update(update(name, matrix), aggregator()(matrix), matrix)


def test_upgrad_and_dualproj_never_conflict_with_a_task() -> None:
    matrix = jacobian(0, "conflict")
    for name in ("upgrad", "dualproj", "conflict_free", "mgda", "imtl_g"):
        assert (matrix @ update(name, matrix) >= -1e-9).all(), name


def run_sequence(method, aggregator, seed: int, unit: bool = False, steps: int = 8) -> None:
    """Stateful methods: the same sequence of matrices gives the same updates."""
    for step in range(steps):
        matrix = jacobian(seed * 100 + step, ("random", "conflict", "scaled")[step % 3])
        if unit:
            matrix = matrix / matrix.norm(dim=1, keepdim=True)
        ours = method.weigh(matrix @ matrix.T, LOSSES) @ matrix
        assert_same_update(ours, aggregator(matrix), matrix, tol=1e-6)


@pytest.mark.parametrize("beta", [0.5, 0.01])
def test_gradvac_follows_torchjd_over_a_sequence(beta: float) -> None:
    run_sequence(create_method("gradvac", beta=beta), tjd.GradVac(beta=beta), seed=beta > 0.1)


def test_gradvac_lifts_a_conflict_to_its_target_cosine() -> None:
    method = create_method("gradvac")
    aligned = jacobian(0, "random")
    aligned[1] = aligned[0] + 0.1 * aligned[1]  # cosine near 1: target rises
    method.weigh(aligned @ aligned.T, LOSSES)
    matrix = jacobian(1, "conflict")
    w = method.weigh(matrix @ matrix.T, LOSSES)
    assert (w > 1).all(), "both gradients get a share of the other to raise the cosine"


# ---------------------------------------------------------------------- Nash-MTL
@needs_cvxpy
@pytest.mark.filterwarnings("ignore:You are solving a parameterized problem that is not DPP")
@pytest.mark.parametrize("every", [1, 3])
def test_nash_mtl_follows_torchjd_over_a_sequence_of_unit_gradients(every: int) -> None:
    """On unit-norm gradients the scale preconditioning is the identity."""
    method = create_method("nash_mtl", update_weights_every=every)
    aggregator = tjd.NashMTL(n_tasks=2, update_weights_every=every)
    run_sequence(method, aggregator, seed=every, unit=True)


@needs_cvxpy
@pytest.mark.parametrize(("seed", "kind"), CASES)
def test_nash_mtl_solves_the_bargaining_equation(seed: int, kind: str) -> None:
    matrix = jacobian(seed, kind)
    matrix[0] *= 4.0  # with "scaled": a ratio of 2000, where the raw solver fails
    gram = matrix @ matrix.T
    method = create_method("nash_mtl", max_norm=0.0)
    alpha = method.weigh(gram, LOSSES)
    torch.testing.assert_close(gram @ alpha, 1 / alpha, rtol=1e-6, atol=0)
    assert method.solver_warnings == 0
    clipped = create_method("nash_mtl").weigh(gram, LOSSES)  # max_norm = 1
    assert (clipped @ matrix).norm().item() == pytest.approx(min(1.0, (alpha @ matrix).norm()))


def test_nash_mtl_without_its_solver_says_how_to_install_it(monkeypatch) -> None:
    import core.methods.aggregation as aggregation

    monkeypatch.setattr(aggregation, "find_spec", lambda name: None)
    with pytest.raises(MissingSolverError, match=r'pip install "rul-workbench\[nash-mtl\]"'):
        create_method("nash_mtl")


@pytest.mark.parametrize("name", ["upgrad", "dualproj"])
def test_projection_methods_without_quadprog_say_how_to_install_it(monkeypatch, name) -> None:
    import torchjd._mixins

    monkeypatch.setattr(torchjd._mixins, "find_spec", lambda name: None)
    with pytest.raises(MissingSolverError, match=r'"torchjd\[quadprog-projector\]"'):
        create_method(name)


# ------------------------------------------------------------------------ DB-MTL
def test_db_mtl_without_ema_is_libmtls_update_on_log_losses() -> None:
    method = create_method("db_mtl", beta=0.0)
    matrix, losses = jacobian(3, "scaled"), torch.tensor([900.0, 1.1])
    w = method.weigh(matrix @ matrix.T, losses)
    log_grads = matrix / (losses[:, None].to(F64) + 1e-8)
    norms = log_grads.norm(dim=1)
    expected = ((norms.max() / norms)[:, None] * log_grads).sum(0)
    assert_same_update(w @ matrix, expected, matrix)
    torch.testing.assert_close(method.head_weights(w), 1 / (losses.to(F64) + 1e-8))


def test_db_mtl_ema_of_the_log_gradient_norms_by_hand() -> None:
    method = create_method("db_mtl")  # beta = 0.9
    losses = torch.tensor([2.0, 0.5])
    n1 = torch.tensor([3.0, 1.0], dtype=F64) / (losses.to(F64) + 1e-8)
    n2 = torch.tensor([1.0, 4.0], dtype=F64) / (losses.to(F64) + 1e-8)
    method.weigh(torch.diag(torch.tensor([9.0, 1.0], dtype=F64)), losses)
    w = method.weigh(torch.diag(torch.tensor([1.0, 16.0], dtype=F64)), losses)
    ema = n2 + 0.9 * (0.1 * n1 - n2)  # u1 = 0.1 n1 from u0 = 0
    torch.testing.assert_close(w, ema.max() / (ema + 1e-8) / (losses.to(F64) + 1e-8))


# -------------------------------------------------------------------------- FAMO
def loss_sequence(steps: int = 12) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(7)
    decay = torch.tensor([0.97, 0.8], dtype=F64) ** torch.arange(steps, dtype=F64)[:, None]
    noise = 1 + 0.1 * torch.rand(steps, 2, generator=generator, dtype=F64)
    return list(torch.tensor([50.0, 1.0], dtype=F64) * decay * noise)


def test_famo_matches_torchjds_famo_with_next_step_losses() -> None:
    ours, theirs = create_method("famo"), TorchJDFAMO(2).double()
    for step, losses in enumerate(loss_sequence()):
        if step:
            theirs.update(losses)  # the next batch's losses stand in for the same batch's
        tracked = losses.clone().requires_grad_()
        (expected,) = torch.autograd.grad(theirs(tracked), tracked)
        w = ours.weigh(torch.eye(2, dtype=F64), losses)
        torch.testing.assert_close(w, expected, atol=1e-12, rtol=1e-9)
        assert w.sum().item() == pytest.approx(1.0)
    assert ours.task_preferences()[0] > 0.5, "the slower (RUL) loss gains weight"


def test_famo_plain_and_gradient_steps_agree() -> None:
    plain, probed = create_method("famo"), create_method("famo")
    for losses in loss_sequence():
        tracked = losses.clone().requires_grad_()
        (grad,) = torch.autograd.grad(plain.combine(tracked), tracked)
        w = probed.weigh(torch.eye(2, dtype=F64), losses)
        torch.testing.assert_close(grad, w)
        torch.testing.assert_close(plain.head_weights(w), w)
    assert not plain.needs_gradients and plain.parameters() == []


# --------------------------------------------------------------------------- RLW
def test_rlw_draws_softmax_of_normals_from_its_own_seeded_generator() -> None:
    method = create_method("rlw", seed=5)
    generator = torch.Generator().manual_seed(5)
    global_state = torch.get_rng_state()
    for _ in range(4):
        expected = torch.softmax(torch.randn(2, generator=generator, dtype=F64), 0)
        w = method.weigh(torch.eye(2, dtype=F64), LOSSES)
        torch.testing.assert_close(w, expected)
        torch.testing.assert_close(method.head_weights(w), w)
    assert torch.equal(torch.get_rng_state(), global_state), "the global generator is untouched"


def test_rlw_default_seed_follows_the_runs_seed() -> None:
    def first_weights(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        return create_method("rlw").combine(LOSSES)

    assert first_weights(1) == first_weights(1) and first_weights(1) != first_weights(2)


@pytest.mark.parametrize("name", ["famo", "rlw"])
def test_loss_level_state_round_trip(name: str) -> None:
    original = create_method(name, **({"seed": 3} if name == "rlw" else {}))
    sequence = loss_sequence()
    for losses in sequence[:5]:
        original.combine(losses)
    resumed = create_method(name, **({"seed": 3} if name == "rlw" else {}))
    resumed.load_state_dict(copy.deepcopy(original.state_dict()))
    for losses in sequence[5:]:
        torch.testing.assert_close(original.combine(losses), resumed.combine(losses))


# ------------------------------------------------- head weights and degenerate input
OWN_GRADIENT = {
    "pcgrad", "mgda", "mgda_ub", "cagrad", "imtl_g", "aligned_mtl", "nash_mtl", "upgrad",
    "dualproj", "gradvac", "conflict_free",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(balancing_methods()))
def test_head_weights_follow_one_rule_per_kind(name: str) -> None:
    if name == "nash_mtl" and not HAS_CVXPY:
        pytest.skip("cvxpy/ECOS (nash-mtl extra) missing")
    method = create_method(name)
    matrix = jacobian(1, "conflict")
    w = method.weigh(matrix @ matrix.T, LOSSES)
    heads = method.head_weights(w)
    if name in OWN_GRADIENT:
        torch.testing.assert_close(heads, torch.ones(2, dtype=F64))
    elif name == "db_mtl":
        torch.testing.assert_close(heads, 1 / (LOSSES.to(F64) + 1e-8))
    else:  # loss weighting: a gradient step is backward of sum_k w_k L_k
        torch.testing.assert_close(heads, w)


DEGENERATE = {
    "health gradient zero": [[3.0, 4.0], [0.0, 0.0]],
    "identical": [[1.0, 2.0], [1.0, 2.0]],
    "opposite": [[1.0, 2.0], [-2.0, -4.0]],
    "orthogonal": [[1e3, 0.0], [0.0, 1e-3]],
}


@pytest.mark.parametrize("case", sorted(DEGENERATE))
@pytest.mark.parametrize("name", sorted({*OWN_GRADIENT, "db_mtl"}))
def test_degenerate_gradients_give_finite_weights(name: str, case: str) -> None:
    if name == "nash_mtl" and not HAS_CVXPY:
        pytest.skip("cvxpy/ECOS (nash-mtl extra) missing")
    matrix = torch.tensor(DEGENERATE[case], dtype=F64)
    w = create_method(name).weigh(matrix @ matrix.T, LOSSES)
    assert torch.isfinite(w).all(), (name, case, w)
