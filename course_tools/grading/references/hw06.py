"""hw06's references: PyTorch's BatchNorm1d (training and evaluation mode, autograd,
running statistics) and every known mistake. q4 and q5 are also written with the earlier
answers called by name, for the stand-in tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.homework.hw06 import EPS, EXPERIMENT, MOMENTUM, train_network
from course_tools.grading.references import Reference


def _bn_layer(gamma, beta, running_mean, running_var):
    """A float64 ``torch.nn.BatchNorm1d`` holding the given parameters and statistics."""
    layer = torch.nn.BatchNorm1d(len(gamma), eps=EPS, momentum=MOMENTUM).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(gamma))
        layer.bias.copy_(torch.tensor(beta))
        layer.running_mean.copy_(torch.tensor(running_mean))
        layer.running_var.copy_(torch.tensor(running_var))
    return layer


def _train_reference(x, gamma, beta, running_mean, running_var):
    layer = _bn_layer(gamma, beta, running_mean, running_var).train()
    out = layer(torch.tensor(x)).detach().numpy()
    return (out, layer.running_mean.numpy(), layer.running_var.numpy())


def _eval_reference(x, gamma, beta, running_mean, running_var):
    layer = _bn_layer(gamma, beta, running_mean, running_var).eval()
    return layer(torch.tensor(x)).detach().numpy()


def _backward_reference(dout, x, gamma):
    layer = _bn_layer(gamma, np.zeros_like(gamma), np.zeros_like(gamma), np.ones_like(gamma))
    x_t = torch.tensor(x, requires_grad=True)
    layer.train()(x_t).backward(torch.tensor(dout))
    return (x_t.grad.numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy())


def _running_reference(batches):
    d = batches[0].shape[1]
    layer = _bn_layer(np.ones(d), np.zeros(d), np.zeros(d), np.ones(d)).train()
    for batch in batches:
        layer(torch.tensor(batch))
    return (layer.running_mean.numpy(), layer.running_var.numpy())


def _bn_torch(x, gamma, beta, mean, var, *, ddof=0, eps_outside=False):
    """``gamma * (x - mean) / sqrt(var + eps) + beta`` (or eps added after the root)."""
    x, mean, var = torch.tensor(x), torch.tensor(mean), torch.tensor(var)
    std = var.sqrt() + EPS if eps_outside else (var + EPS).sqrt()
    return (torch.tensor(gamma) * (x - mean) / std + torch.tensor(beta)).numpy()


def _train_variant(*, normalise_ddof=0, running_ddof=1, swapped=False, eps_outside=False):
    def wrong(x, gamma, beta, running_mean, running_var):
        mu, var = x.mean(axis=0), x.var(axis=0, ddof=normalise_ddof)
        out = _bn_torch(x, gamma, beta, mu, var, eps_outside=eps_outside)
        keep = MOMENTUM if swapped else 1 - MOMENTUM
        batch_var = x.var(axis=0, ddof=running_ddof)
        return (
            out,
            keep * running_mean + (1 - keep) * mu,
            keep * running_var + (1 - keep) * batch_var,
        )

    return wrong


def _eval_with_batch_statistics(x, gamma, beta, running_mean, running_var):
    return _train_reference(x, gamma, beta, running_mean, running_var)[0]


def _eval_var_as_std(x, gamma, beta, running_mean, running_var):
    return _bn_torch(x, gamma, beta, running_mean, (running_var + EPS) ** 2 - EPS)


def _backward_variant(kind: str) -> Callable[..., Any]:
    """The backward pass with a path left out (``"no statistics"``: mu and sigma held
    constant; ``"no sigma"``: only the mean's path) or ``"x not x_hat"`` in dgamma."""

    def wrong(dout, x, gamma):
        x_t = torch.tensor(x, requires_grad=True)
        mu, var = x_t.mean(dim=0), x_t.var(dim=0, unbiased=False)
        if kind in ("no statistics", "no sigma"):
            var = var.detach()
        if kind == "no statistics":
            mu = mu.detach()
        g = torch.tensor(gamma, requires_grad=True)
        out = g * (x_t - mu) / (var + EPS).sqrt()
        out.backward(torch.tensor(dout))
        dgamma = g.grad.numpy()
        if kind == "x not x_hat":
            dgamma = (dout * x).sum(axis=0)
        return (x_t.grad.numpy(), dgamma, dout.sum(axis=0))

    return wrong


def _backward_unbiased(dout, x, gamma):
    x_t = torch.tensor(x, requires_grad=True)
    g = torch.tensor(gamma, requires_grad=True)
    mu, var = x_t.mean(dim=0), x_t.var(dim=0, unbiased=True)
    (g * (x_t - mu) / (var + EPS).sqrt()).backward(torch.tensor(dout))
    return (x_t.grad.numpy(), g.grad.numpy(), dout.sum(axis=0))


def _running_from_zero_variance(batches):
    d = batches[0].shape[1]
    mean, var = np.zeros(d), np.zeros(d)
    for batch in batches:
        n = batch.shape[0]
        mean = (1 - MOMENTUM) * mean + MOMENTUM * batch.mean(axis=0)
        var = (1 - MOMENTUM) * var + MOMENTUM * batch.var(axis=0) * n / (n - 1)
    return (mean, var)


def _running_biased(batches):
    d = batches[0].shape[1]
    mean, var = np.zeros(d), np.ones(d)
    for batch in batches:
        mean = (1 - MOMENTUM) * mean + MOMENTUM * batch.mean(axis=0)
        var = (1 - MOMENTUM) * var + MOMENTUM * batch.var(axis=0)
    return (mean, var)


def _dx_scaled(scale: Callable) -> Callable:
    """The right gradients with dx multiplied by ``scale(x, gamma)`` (a factor left out)."""

    def wrong(dout, x, gamma):
        dx, dgamma, dbeta = _backward_reference(dout, x, gamma)
        return (dx * scale(x, gamma), dgamma, dbeta)

    return wrong


def batchnorm_train(x, gamma, beta, running_mean, running_var):
    """q1's answer in NumPy (the stand-ins' reference: fast, and equal to PyTorch's)."""
    n = x.shape[0]
    mean, biased = x.mean(axis=0), x.var(axis=0)
    out = gamma * (x - mean) / np.sqrt(biased + EPS) + beta
    new_mean = (1 - MOMENTUM) * running_mean + MOMENTUM * mean
    new_var = (1 - MOMENTUM) * running_var + MOMENTUM * biased * n / (n - 1)
    return out, new_mean, new_var


def batchnorm_backward(dout, x, gamma):
    """q3's answer in NumPy."""
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + EPS)
    xhat = (x - x.mean(axis=0)) * inv_std
    dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
    n = x.shape[0]
    return gamma * inv_std * (dout - dbeta / n - xhat * dgamma / n), dgamma, dbeta


def running_composed(batches, use):
    """q4 written with q1 called by name."""
    width = batches[0].shape[1]
    stats = (np.zeros(width), np.ones(width))
    for batch in batches:
        stats = tuple(use["batchnorm_train"](batch, np.ones(width), np.zeros(width), *stats)[1:])
    return stats


def train_network_reference(seed, weight_scale, batchnorm=None):
    """hw06's ``train_network`` with the references of q1 and q3 when BN is asked for."""
    pair = None if batchnorm is None else (batchnorm_train, batchnorm_backward)
    return train_network(seed, weight_scale, pair)


def study_composed(seed, use):
    """q5 written with ``train_network`` called by name."""
    runs = {"bn": (batchnorm_train, batchnorm_backward), "no bn": None}
    scales = EXPERIMENT["scales"]
    return {
        k: np.array([use["train_network"](seed, s, bn) for s in scales]) for k, bn in runs.items()
    }


REFERENCES = {
    "q1": Reference(
        _train_reference,
        {
            "biased-running-variance": _train_variant(running_ddof=0),
            "unbiased-to-normalise": _train_variant(normalise_ddof=1),
            "momentum-on-past": _train_variant(swapped=True),
            "eps-outside-root": _train_variant(eps_outside=True),
        },
    ),
    "q2": Reference(
        _eval_reference,
        {
            "batch-statistics": _eval_with_batch_statistics,
            "running-var-as-std": _eval_var_as_std,
        },
    ),
    "q3": Reference(
        _backward_reference,
        {
            "statistics-held-constant": _backward_variant("no statistics"),
            "variance-path-missing": _backward_variant("no sigma"),
            "unbiased-variance": _backward_unbiased,
            "dgamma-with-x": _backward_variant("x not x_hat"),
            "dx-missing-gamma": _dx_scaled(lambda x, gamma: 1 / gamma),
            "dx-missing-inv-std": _dx_scaled(lambda x, gamma: np.sqrt(x.var(axis=0) + EPS)),
        },
    ),
    "q4": Reference(
        _running_reference,
        {
            "variance-starts-at-zero": _running_from_zero_variance,
            "biased-variance": _running_biased,
        },
        composed=running_composed,
        upstream={"batchnorm_train": batchnorm_train},
    ),
    "q5": Reference(
        None,
        composed=study_composed,
        upstream={"train_network": train_network_reference},
    ),
}
