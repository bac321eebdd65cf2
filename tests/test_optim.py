"""course_lib.optim against torch.optim, for every option combination.

Both sides start from the same float64 parameters and receive the same random gradients at
every step; after each step the parameters must agree to rounding error.
"""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pytest
import torch

from course_lib import optim

torch.set_num_threads(1)

SHAPES = [(3,), (4, 5), (2, 3, 2)]
STEPS = 50
# Both implementations do the same float64 operations in the same order, so only rounding
# separates them. The tolerance is far tighter than 1e-6 so that a misplaced eps shows up.
TOL = 1e-10
OPTIMIZERS = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


def case_id(kwargs: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults"


def max_rel_error(ours: list[np.ndarray], theirs: list[torch.Tensor]) -> float:
    errors = []
    for a, t in zip(ours, theirs, strict=True):
        b = t.detach().numpy()
        errors.append(np.max(np.abs(a - b)) / np.max(np.abs(b)))
    return max(errors)


def run_side_by_side(name, kwargs, *, seed=0, foreach=False, lr_changes=None, steps=STEPS):
    """Step course_lib.optim.<name> and torch.optim.<name> together; return the worst error.

    ``lr_changes`` maps a step index to a new learning rate, set on both sides before it.
    """
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=shape) for shape in SHAPES]
    tparams = [torch.tensor(p, requires_grad=True) for p in params]  # torch.tensor copies
    ours = getattr(optim, name)(params, **kwargs)
    theirs = getattr(torch.optim, name)(tparams, foreach=foreach, **kwargs)
    worst = 0.0
    for k in range(steps):
        if lr_changes and k in lr_changes:
            ours.lr = lr_changes[k]
            theirs.param_groups[0]["lr"] = lr_changes[k]
        grads = [rng.normal(size=shape) for shape in SHAPES]
        ours.step(grads)
        for tp, g in zip(tparams, grads, strict=True):
            tp.grad = torch.tensor(g)
        theirs.step()
        worst = max(worst, max_rel_error(params, tparams))
    return worst, ours, theirs


def grid(**options) -> list[dict]:
    return [
        dict(zip(options, values, strict=True)) for values in itertools.product(*options.values())
    ]


def sgd_is_valid(kw: dict) -> bool:
    return not kw["nesterov"] or (kw["momentum"] > 0 and kw["dampening"] == 0)


SGD_GRID = grid(
    momentum=[0, 0.9], dampening=[0, 0.5], nesterov=[False, True], weight_decay=[0, 0.1]
)
SGD_CASES = [dict(lr=0.05, **kw) for kw in SGD_GRID if sgd_is_valid(kw)]
SGD_INVALID = [kw for kw in SGD_GRID if not sgd_is_valid(kw)]
ADAGRAD_CASES = [
    dict(lr=0.1, **kw)
    for kw in grid(lr_decay=[0, 0.05], weight_decay=[0, 0.1], initial_accumulator_value=[0, 0.5])
]
RMSPROP_CASES = [
    dict(lr=0.01, **kw)
    for kw in grid(momentum=[0, 0.9], centered=[False, True], weight_decay=[0, 0.1])
] + [dict(lr=0.01, alpha=0.8, eps=1e-3, momentum=0.5, centered=True)]
ADAM_CASES = [
    dict(lr=0.05, **kw)
    for kw in grid(amsgrad=[False, True], weight_decay=[0, 0.1], betas=[(0.9, 0.999), (0.8, 0.95)])
] + [dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3, amsgrad=True, weight_decay=0.2)]


@pytest.mark.parametrize("foreach", [False, True], ids=["single", "foreach"])
@pytest.mark.parametrize("kwargs", SGD_CASES, ids=case_id)
def test_sgd_matches_torch_for_every_valid_option_combination(kwargs, foreach):
    worst, *_ = run_side_by_side("SGD", kwargs, foreach=foreach)
    assert worst <= TOL


@pytest.mark.parametrize("kwargs", SGD_INVALID, ids=case_id)
def test_sgd_rejects_nesterov_without_momentum_or_with_dampening_like_torch(kwargs):
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=0.1, **kwargs)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([np.zeros(3)], lr=0.1, **kwargs)


@pytest.mark.parametrize("foreach", [False, True], ids=["single", "foreach"])
@pytest.mark.parametrize("kwargs", ADAGRAD_CASES, ids=case_id)
def test_adagrad_matches_torch_with_lr_decay_weight_decay_and_accumulator(kwargs, foreach):
    worst, *_ = run_side_by_side("Adagrad", kwargs, foreach=foreach)
    assert worst <= TOL


@pytest.mark.parametrize("foreach", [False, True], ids=["single", "foreach"])
@pytest.mark.parametrize("kwargs", RMSPROP_CASES, ids=case_id)
def test_rmsprop_matches_torch_with_momentum_centering_and_weight_decay(kwargs, foreach):
    worst, *_ = run_side_by_side("RMSprop", kwargs, foreach=foreach)
    assert worst <= TOL


@pytest.mark.parametrize("foreach", [False, True], ids=["single", "foreach"])
@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=case_id)
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_and_adamw_match_torch_with_amsgrad_weight_decay_and_betas(name, kwargs, foreach):
    worst, *_ = run_side_by_side(name, kwargs, foreach=foreach)
    assert worst <= TOL


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_defaults_match_torch(name):
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    for arg in list(ours)[1:]:
        assert ours[arg].default == theirs[arg].default, arg


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizers_match_torch_with_default_arguments(name):
    worst, *_ = run_side_by_side(name, {}, seed=1)
    assert worst <= TOL


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_setting_lr_between_steps_matches_setting_param_group_lr(name):
    lr_changes = {0: 0.05, 20: 0.2, 35: 0.01, 45: 0.0}
    kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    worst, ours, _ = run_side_by_side(name, kwargs, seed=2, lr_changes=lr_changes)
    assert worst <= TOL
    assert ours.lr == 0.0


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"momentum": 0.9}),
        ("Adagrad", {"initial_accumulator_value": 0.1}),
        ("RMSprop", {"momentum": 0.9, "centered": True}),
        ("Adam", {"amsgrad": True}),
        ("AdamW", {"amsgrad": True}),
    ],
)
def test_state_buffers_have_torch_names_and_values(name, kwargs):
    _, ours, theirs = run_side_by_side(name, kwargs, steps=5)
    assert ours.step_count == 5
    for i, tp in enumerate(theirs.param_groups[0]["params"]):
        torch_buffers = {k: v for k, v in theirs.state[tp].items() if k != "step"}
        assert set(ours.state[i]) == set(torch_buffers)
        for key, value in torch_buffers.items():
            np.testing.assert_allclose(ours.state[i][key], value.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_updates_the_callers_arrays_in_place(name):
    rng = np.random.default_rng(3)
    base = rng.normal(size=(2, 6))
    params = [base[0], base[1, :4].reshape(2, 2)]  # views into one buffer
    before = base.copy()
    opt = getattr(optim, name)(params, lr=0.1)
    opt.step([np.ones(6), np.ones((2, 2))])
    assert all(a is b for a, b in zip(opt.params, params, strict=True))
    assert not np.array_equal(base[0], before[0])
    assert not np.array_equal(base[1, :4], before[1, :4])
    np.testing.assert_array_equal(base[1, 4:], before[1, 4:])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_never_modifies_the_gradients(name):
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    opt = getattr(optim, name)([np.zeros(4)], lr=0.1, **kwargs)
    grad = np.arange(4.0)
    for _ in range(3):
        opt.step([grad])
    np.testing.assert_array_equal(grad, np.arange(4.0))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_params_stay_float32_and_follow_torch(name):
    rng = np.random.default_rng(4)
    p = rng.normal(size=(5,)).astype(np.float32)
    tp = torch.tensor(p, requires_grad=True)
    ours, theirs = getattr(optim, name)([p], lr=0.1), getattr(torch.optim, name)([tp], lr=0.1)
    for _ in range(10):
        g = rng.normal(size=5).astype(np.float32)
        ours.step([g])
        tp.grad = torch.tensor(g)
        theirs.step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        (np.zeros(3), TypeError, "params must be a list"),
        ([], ValueError, "params"),
        ([np.zeros(3), np.arange(3)], TypeError, r"params\[1\] must have a floating dtype"),
        ([[0.0, 1.0]], TypeError, r"params\[0\] must be a NumPy ndarray"),
    ],
    ids=["bare-array", "empty", "int-dtype", "python-list"],
)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_bad_params_are_rejected_with_their_name(name, params, error, match):
    with pytest.raises(error, match=match):
        getattr(optim, name)(params)


def test_the_same_array_listed_twice_is_rejected():
    p = np.zeros(3)
    with pytest.raises(ValueError, match=r"params\[2\] is the same array as params\[0\]"):
        optim.SGD([p, np.zeros(2), p], lr=0.1)


def test_read_only_params_are_rejected():
    p = np.zeros(3)
    p.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\] is read-only"):
        optim.Adam([p])


@pytest.mark.parametrize(
    ("grads", "error", "match"),
    [
        ([np.zeros(3), np.zeros(4)], ValueError, "grads has 2 arrays, expected 3"),
        (
            [np.zeros(3), np.zeros(4), np.zeros((2, 2))],
            ValueError,
            r"grads\[1\] has shape \(4,\), expected \(2, 3\) to match params\[1\]",
        ),
        ([np.zeros(3), np.zeros((2, 3)), np.array([[0, np.nan]])], ValueError, r"grads\[2\]"),
        ([np.zeros(3), np.full((2, 3), np.inf), np.zeros((1, 2))], ValueError, r"grads\[1\]"),
        (np.zeros(3), TypeError, "grads must be a list"),
        ([np.zeros(3), "oops", np.zeros((1, 2))], TypeError, r"grads\[1\]"),
    ],
    ids=["too-few", "wrong-shape", "nan", "inf", "bare-array", "string"],
)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_bad_grads_are_rejected_with_their_name(name, grads, error, match):
    params = [np.ones(3), np.ones((2, 3)), np.ones((1, 2))]
    opt = getattr(optim, name)(params, lr=0.1)
    with pytest.raises(error, match=match):
        opt.step(grads)
    assert opt.step_count == 0
    np.testing.assert_array_equal(params[1], np.ones((2, 3)))


# Hyperparameters that torch.optim rejects too: both must raise ValueError.
SHARED_BAD_HYPERPARAMETERS = [
    ("SGD", {"lr": -0.1}, "lr"),
    ("SGD", {"momentum": -0.5}, "momentum"),
    ("SGD", {"weight_decay": -1.0}, "weight_decay"),
    ("Adagrad", {"lr_decay": -0.1}, "lr_decay"),
    ("Adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ("Adagrad", {"eps": -1e-10}, "eps"),
    ("RMSprop", {"alpha": -0.1}, "alpha"),
    ("RMSprop", {"momentum": -0.9}, "momentum"),
    ("RMSprop", {"eps": -1.0}, "eps"),
    ("Adam", {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    ("Adam", {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    ("Adam", {"lr": -1e-3}, "lr"),
    ("AdamW", {"weight_decay": -0.01}, "weight_decay"),
    ("AdamW", {"betas": (0.9, 1.5)}, r"betas\[1\]"),
]


@pytest.mark.parametrize(("name", "kwargs", "match"), SHARED_BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_are_rejected_like_torch(name, kwargs, match):
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([np.zeros(2)], **kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "match"),
    [
        ("SGD", {"nesterov": "yes", "momentum": 0.9}, TypeError, "nesterov"),
        ("SGD", {"lr": float("nan")}, ValueError, "lr"),
        ("RMSprop", {"alpha": 1.5}, ValueError, "alpha"),
        ("RMSprop", {"centered": 1}, TypeError, "centered"),
        ("Adam", {"betas": (0.9,)}, TypeError, "betas"),
        ("Adam", {"amsgrad": None}, TypeError, "amsgrad"),
        ("Adam", {"eps": "1e-8"}, TypeError, "eps"),
    ],
)
def test_bad_hyperparameter_types_and_values_name_the_argument(name, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(optim, name)([np.zeros(2)], **kwargs)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_negative_lr_set_between_steps_is_rejected_at_the_next_step(name):
    opt = getattr(optim, name)([np.zeros(2)], lr=0.1)
    opt.lr = -0.01
    with pytest.raises(ValueError, match="lr"):
        opt.step([np.ones(2)])


def test_torch_path_matches_the_numpy_optimizer_on_a_surface():
    from course_lib.surfaces import Rosenbrock

    surface = Rosenbrock()
    reference = optim.torch_path("Adam", surface, 40, lr=0.02)
    p = surface.start.copy()
    opt, points = optim.Adam([p], lr=0.02), [p.copy()]
    for _ in range(40):
        opt.step([surface.grad(p)])
        points.append(p.copy())
    assert reference.shape == (41, 2)
    assert np.array_equal(reference[0], surface.start)
    np.testing.assert_allclose(np.array(points), reference, rtol=0, atol=1e-12)


def test_torch_path_rejects_an_unknown_optimizer_and_negative_steps():
    from course_lib.surfaces import Saddle

    with pytest.raises(ValueError, match=r"optimizer must name a class in torch\.optim"):
        optim.torch_path("Adamm", Saddle(), 3)
    with pytest.raises(ValueError, match="steps"):
        optim.torch_path("SGD", Saddle(), -1, lr=0.1)


def test_float32_parameters_stay_float32_and_the_step_allocates_no_new_parameter():
    import torch

    rng = np.random.default_rng(3)
    p = rng.standard_normal(1000).astype(np.float32)
    g = rng.standard_normal(1000).astype(np.float32)
    tp = torch.tensor(p.copy(), requires_grad=True)
    same_array = p
    for opt, ref in (
        (optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True), torch.optim.SGD),
        (optim.Adam([p], lr=0.1), torch.optim.Adam),
    ):
        tp = torch.tensor(p.copy(), requires_grad=True)
        kwargs = {"momentum": 0.9, "nesterov": True} if ref is torch.optim.SGD else {}
        torch_opt = ref([tp], lr=0.1, **kwargs)
        for _ in range(3):
            opt.step([g])
            tp.grad = torch.tensor(g)
            torch_opt.step()
        assert p is same_array and p.dtype == np.float32
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_huge_but_finite_float32_gradient_is_accepted_and_a_nan_is_not():
    p = np.zeros(4, dtype=np.float32)
    optim.SGD([p], lr=1e-30).step([np.full(4, 1e30, dtype=np.float32)])  # squares overflow
    assert np.all(np.isfinite(p))
    g = np.ones(4, dtype=np.float32)
    g[2] = np.nan
    with pytest.raises(ValueError, match=r"grads\[0\] contains NaN or infinity"):
        optim.SGD([p], lr=0.1).step([g])


def test_the_fused_update_and_the_numpy_fallback_agree_and_read_only_grads_warn_nothing():
    import warnings

    rng = np.random.default_rng(5)
    g = rng.standard_normal((6, 4))
    frozen = g.copy()
    frozen.flags.writeable = False
    results = []
    for grad in (g, frozen, np.asfortranarray(g), g[:, ::-1][:, ::-1]):
        p = np.ones((6, 4))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            optim.SGD([p], lr=0.5).step([grad])
        results.append(p)
    for p in results:
        np.testing.assert_allclose(p, 1.0 - 0.5 * g, rtol=0, atol=1e-15)


# ---------------------------------------------------------------- gradient clipping


def torch_clipped(grads, max_norm, norm_type):
    """torch.nn.utils.clip_grad_norm_ on float64 copies: (total norm, clipped grads)."""
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return float(total), [p.grad.numpy() for p in params]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, float("inf")])
@pytest.mark.parametrize("max_norm", [0.0, 0.5, 5.0, 1e6])
def test_clip_grad_norm_matches_torch_for_every_norm_type(norm_type, max_norm):
    rng = np.random.default_rng(int(max_norm) + int(norm_type if norm_type < 10 else 10))
    grads = [rng.standard_normal(shape) for shape in SHAPES]
    expected_total, expected = torch_clipped(grads, max_norm, norm_type)
    total = optim.clip_grad_norm_(grads, max_norm, norm_type=norm_type)
    assert abs(total - expected_total) <= 1e-12 * expected_total
    for ours, theirs in zip(grads, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_keeps_the_direction_and_caps_the_norm():
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    before = np.concatenate([g.ravel() for g in grads])
    total = optim.clip_grad_norm_(grads, 1.0)
    after = np.concatenate([g.ravel() for g in grads])
    assert total == pytest.approx(np.linalg.norm(before), rel=1e-12)
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)  # torch's 1e-6 guard
    np.testing.assert_allclose(after / np.linalg.norm(after), before / total, rtol=1e-12)


def test_clip_grad_norm_leaves_gradients_below_the_limit_untouched():
    grads = [np.array([0.3, -0.4])]
    assert optim.clip_grad_norm_(grads, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(grads[0], [0.3, -0.4])


def test_clip_grad_norm_clips_a_huge_finite_float32_gradient_without_overflow():
    grads = [np.full(4, 1e30, dtype=np.float32)]
    total = optim.clip_grad_norm_(grads, 1.0)
    assert total == pytest.approx(2e30, rel=1e-6)  # float32 squares would overflow to inf
    assert grads[0].dtype == np.float32
    np.testing.assert_allclose(grads[0], 0.5, rtol=1e-6)


@pytest.mark.parametrize(
    ("grads", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "at least one"),
        (np.ones(3), {}, TypeError, "grads must be a list"),
        ([[1.0, 2.0]], {}, TypeError, r"grads\[0\] must be a NumPy ndarray"),
        ([np.array([1.0, np.nan])], {}, ValueError, r"grads\[0\] contains NaN"),
        ([np.ones(2), np.array([np.inf, 0.0])], {}, ValueError, r"grads\[1\] contains NaN"),
        ([np.ones(2)], {"max_norm": -1.0}, ValueError, "max_norm"),
        ([np.ones(2)], {"norm_type": 0.0}, ValueError, "norm_type"),
        ([np.ones(2)], {"norm_type": "2"}, TypeError, "norm_type"),
        ([np.ones(2)], {"norm_type": True}, TypeError, "norm_type"),
    ],
)
def test_clip_grad_norm_rejects_bad_input_naming_the_argument(grads, kwargs, error, match):
    kwargs = {"max_norm": 1.0, **kwargs}
    with pytest.raises(error, match=match):
        optim.clip_grad_norm_(grads, **kwargs)


def test_clip_grad_norm_rejects_read_only_gradients():
    g = np.ones(3)
    g.flags.writeable = False
    with pytest.raises(ValueError, match=r"grads\[0\] is read-only"):
        optim.clip_grad_norm_([g], 1.0)
