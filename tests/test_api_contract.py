"""The public API promised in ARCHITECTURE.md exists with the promised signatures.

Notebooks, homework and tests outside the package call these names, so a renamed argument or a
changed default is a breaking change. Each entry lists the leading parameters in order; a value
of REQUIRED means "no default". Extra parameters after these are allowed only as keyword-only.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

REQUIRED = inspect.Parameter.empty
ANY = object()  # the contract does not fix the default

CONTRACT = {
    "autograd": {
        "Value": {"data": REQUIRED},
        "draw_graph": {"value": REQUIRED},
    },
    "gradcheck": {
        "numerical_gradient": {"f": REQUIRED, "x": REQUIRED, "h": 1e-5},
        "rel_error": {"a": REQUIRED, "b": REQUIRED},
    },
    "hessian": {
        "hessian": {"f": REQUIRED, "x": REQUIRED},
        "finite_difference_hessian": {"f": REQUIRED, "x": REQUIRED},
        "classify_critical_point": {"H": REQUIRED, "tol": 1e-6},
        "minimum_ratio": {"H": REQUIRED, "tol": 1e-6},
        "hessian_vector_product": {"f": REQUIRED, "x": REQUIRED, "v": REQUIRED},
        "top_eigenvalue": {"f": REQUIRED, "x": REQUIRED},
    },
    "surfaces": {
        "IllConditionedQuadratic": {"condition_number": ANY},
        "Rosenbrock": {},
        "Saddle": {},
        "TwoWeightNet": {},
        "BumpyCurve": {},
    },
    "optim": {
        "SGD": {
            "params": REQUIRED,
            "lr": ANY,
            "momentum": 0,
            "dampening": 0,
            "nesterov": False,
            "weight_decay": 0,
        },
        "Adagrad": {
            "params": REQUIRED,
            "lr": 1e-2,
            "lr_decay": 0,
            "weight_decay": 0,
            "initial_accumulator_value": 0,
            "eps": 1e-10,
        },
        "RMSprop": {
            "params": REQUIRED,
            "lr": 1e-2,
            "alpha": 0.99,
            "eps": 1e-8,
            "weight_decay": 0,
            "momentum": 0,
            "centered": False,
        },
        "Adam": {
            "params": REQUIRED,
            "lr": 1e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0,
            "amsgrad": False,
        },
        "AdamW": {
            "params": REQUIRED,
            "lr": 1e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 1e-2,
            "amsgrad": False,
        },
    },
    "schedules": {
        "constant": {"lr": REQUIRED},
        "step_decay": {"lr": REQUIRED, "step_size": REQUIRED, "gamma": 0.1},
        "exponential": {"lr": REQUIRED, "gamma": REQUIRED},
        "cosine": {"lr": REQUIRED, "T_max": REQUIRED, "eta_min": 0.0},
        "linear_warmup": {"lr": REQUIRED, "warmup_steps": REQUIRED, "start_factor": 1 / 3},
        "warmup_cosine": {
            "lr": REQUIRED,
            "warmup_steps": REQUIRED,
            "total_steps": REQUIRED,
            "eta_min": 0.0,
        },
        "transformer": {"d_model": REQUIRED, "warmup_steps": REQUIRED},
    },
    "losses": {
        "softmax": {"z": REQUIRED},
        "log_softmax": {"z": REQUIRED},
        "mse": {"pred": REQUIRED, "target": REQUIRED},
        "cross_entropy": {"logits": REQUIRED, "labels": REQUIRED, "label_smoothing": 0.0},
        "binary_cross_entropy_with_logits": {"logits": REQUIRED, "targets": REQUIRED},
        "multiclass_hinge": {"scores": REQUIRED, "labels": REQUIRED, "margin": 1.0},
    },
    "layers": {
        "Linear": {"in_features": REQUIRED, "out_features": REQUIRED},
        "ReLU": {},
        "Sigmoid": {},
        "Tanh": {},
        "Dropout": {"p": ANY},
        "BatchNorm1d": {"num_features": REQUIRED, "eps": 1e-5, "momentum": 0.1},
        "Sequential": {"layers": inspect.Parameter.VAR_POSITIONAL},
    },
    "data": {
        "make_moons": {},
        "make_spirals": {},
        "make_blobs": {},
        "load_digits": {},
        "load_diabetes": {},
        "train_val_test_split": {"X": REQUIRED, "y": REQUIRED},
        "standardize": {"X_train": REQUIRED},
        "minibatches": {
            "X": REQUIRED,
            "y": REQUIRED,
            "batch_size": REQUIRED,
            "shuffle": True,
            "rng": None,
        },
    },
    "training": {
        "set_seed": {"seed": REQUIRED},
        "get_device": {},
        "fit": {
            "model": REQUIRED,
            "train_loader": REQUIRED,
            "loss_fn": REQUIRED,
            "optimizer": REQUIRED,
        },
        "evaluate": {"model": REQUIRED, "loader": REQUIRED, "loss_fn": REQUIRED},
    },
    "plots": {
        "contour_with_paths": {"surface": REQUIRED},
        "loss_curves": {"curves": REQUIRED},
        "lr_curves": {"schedules": REQUIRED, "steps": REQUIRED},
        "eigenvalue_spectrum": {"eigenvalues": REQUIRED},
        "decision_boundary": {"predict": REQUIRED, "X": REQUIRED, "y": REQUIRED},
    },
}

CASES = [(module, name) for module, names in CONTRACT.items() for name in names]


@pytest.mark.parametrize(("module", "name"), CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_public_name_has_the_promised_signature(module, name):
    obj = getattr(importlib.import_module(f"course_lib.{module}"), name, None)
    assert obj is not None, f"course_lib.{module}.{name} is missing"
    assert obj.__doc__ and obj.__doc__.strip(), f"course_lib.{module}.{name} has no docstring"
    params = list(inspect.signature(obj).parameters.values())
    expected = CONTRACT[module][name]
    assert [p.name for p in params[: len(expected)]] == list(expected), (
        f"{module}.{name}{inspect.signature(obj)} does not start with {list(expected)}"
    )
    for param, want in zip(params, expected.values(), strict=False):
        if want is inspect.Parameter.VAR_POSITIONAL:
            assert param.kind is inspect.Parameter.VAR_POSITIONAL
        elif want is not ANY:
            assert param.default == want, f"{module}.{name}: {param.name} default {param.default}"
    for param in params[len(expected) :]:
        assert param.default is not REQUIRED or param.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ), f"{module}.{name}: extra parameter {param.name} must have a default"


@pytest.mark.parametrize("module", sorted(CONTRACT))
def test_module_docstring_names_the_lecture(module):
    doc = importlib.import_module(f"course_lib.{module}").__doc__ or ""
    assert "ecture" in doc, f"course_lib.{module} docstring should say which lecture introduces it"
