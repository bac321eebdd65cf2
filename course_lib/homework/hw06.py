"""Homework hw06 (lecture 06, batch normalization): questions and PyTorch references.

The student writes, in ``homework/hw06_batchnorm.ipynb``:

====  ==============================================================  ======  ==============
key   function                                                        points  checked against
====  ==============================================================  ======  ==============
q1    ``batchnorm_train(x, gamma, beta, running_mean, running_var)``       3  BatchNorm1d
q2    ``batchnorm_eval(x, gamma, beta, running_mean, running_var)``        2  ``.eval()``
q3    ``batchnorm_backward(dout, x, gamma)``                               4  autograd
q4    ``running_statistics(batches)``                                      1  BatchNorm1d
====  ==============================================================  ======  ==============

All use PyTorch's defaults: ``eps = 1e-5`` and ``momentum = 0.1``.

The case makers of q1 to q4 take a ``seed``: the public cases use the default, the grader
adds cases made from the instructor's secret seed (``course_tools.grading.instructor``).

Forbidden modules (:data:`FORBIDDEN`): torch and ``course_lib.layers`` (whose BatchNorm1d is
the answer). The grader hides them from the submission's kernel (an import fails) and flags
code that mentions them.
"""

from __future__ import annotations

import numpy as np

from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Question

EPS, MOMENTUM = 1e-5, 0.1


def _torch():
    import torch

    return torch


def _bn_layer(gamma, beta, running_mean, running_var):
    """A float64 ``torch.nn.BatchNorm1d`` holding the given parameters and statistics."""
    torch = _torch()
    layer = torch.nn.BatchNorm1d(len(gamma), eps=EPS, momentum=MOMENTUM).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(gamma))
        layer.bias.copy_(torch.tensor(beta))
        layer.running_mean.copy_(torch.tensor(running_mean))
        layer.running_var.copy_(torch.tensor(running_var))
    return layer


def _bn_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    names = ("x", "gamma", "beta", "running_mean", "running_var")
    cases = []
    for n, d, label in [
        (4, 3, "4 examples, 3 features"),
        (2, 2, "the smallest batch, N = 2"),
        (16, 5, "16 examples on a large scale"),
    ]:
        scale = 100.0 if n == 16 else 1.0
        x = scale * rng.standard_normal((n, d)) + rng.standard_normal(d)
        gamma, beta = 1 + 0.5 * rng.standard_normal(d), 0.5 * rng.standard_normal(d)
        stats = (0.3 * rng.standard_normal(d), 0.5 + rng.random(d))
        cases.append(Case(label, (x, gamma, beta, *stats), names))
    return cases


# ----- q1 and q2: forward ---------------------------------------------------------------


def _train_reference(x, gamma, beta, running_mean, running_var):
    torch = _torch()
    layer = _bn_layer(gamma, beta, running_mean, running_var).train()
    out = layer(torch.tensor(x)).detach().numpy()
    return (out, layer.running_mean.numpy(), layer.running_var.numpy())


def _eval_reference(x, gamma, beta, running_mean, running_var):
    torch = _torch()
    layer = _bn_layer(gamma, beta, running_mean, running_var).eval()
    return layer(torch.tensor(x)).detach().numpy()


# ----- q3 backward ----------------------------------------------------------------------


def _backward_cases(seed: int = 603) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for case in _bn_cases(seed):
        x, gamma = case.args[0], case.args[1]
        dout = rng.standard_normal(x.shape)
        cases.append(Case(case.label, (dout, x, gamma), ("dout", "x", "gamma")))
    return cases


def _backward_reference(dout, x, gamma):
    torch = _torch()
    layer = _bn_layer(gamma, np.zeros_like(gamma), np.zeros_like(gamma), np.ones_like(gamma))
    x_t = torch.tensor(x, requires_grad=True)
    layer.train()(x_t).backward(torch.tensor(dout))
    return (x_t.grad.numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy())


# ----- q4 running statistics over several batches ---------------------------------------


def _running_cases(seed: int = 604) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for count, n, d in [(5, 8, 3), (1, 4, 2), (30, 16, 4)]:
        batches = [2.0 + 3.0 * rng.standard_normal((n, d)) for _ in range(count)]
        cases.append(Case(f"{count} batches of {n} x {d}, mean 2, std 3", (batches,), ("batches",)))
    return cases


def _running_reference(batches):
    torch = _torch()
    d = batches[0].shape[1]
    layer = _bn_layer(np.ones(d), np.zeros(d), np.zeros(d), np.ones(d)).train()
    for batch in batches:
        layer(torch.tensor(batch))
    return (layer.running_mean.numpy(), layer.running_var.numpy())


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.layers")

ASSIGNMENT = Assignment(
    name="hw06",
    title="Batch normalization",
    notebook="hw06_batchnorm",
    questions=(
        Question(
            "q1",
            "batchnorm_train",
            3,
            lambda seed=601: _bn_cases(seed),
            _train_reference,
            ("out", "running_mean", "running_var"),
            "normalise with the batch mean and the BIASED batch variance (np.var), then "
            "gamma * x_hat + beta; update running_mean and running_var with momentum 0.1 "
            "using the UNBIASED variance (np.var(x, axis=0, ddof=1)), as PyTorch does.",
        ),
        Question(
            "q2",
            "batchnorm_eval",
            2,
            lambda seed=602: _bn_cases(seed),
            _eval_reference,
            ("out",),
            "in evaluation mode the batch plays no part: use running_mean and "
            "running_var in place of the batch statistics, with the same eps.",
        ),
        Question(
            "q3",
            "batchnorm_backward",
            4,
            _backward_cases,
            _backward_reference,
            ("dx", "dgamma", "dbeta"),
            "dbeta = sum(dout), dgamma = sum(dout * x_hat) over the batch; dx = gamma / "
            "(N * sigma) * (N * dout - sum(dout) - x_hat * sum(dout * x_hat)) with "
            "sigma = sqrt(var + eps) and the biased variance.",
        ),
        Question(
            "q4",
            "running_statistics",
            1,
            _running_cases,
            _running_reference,
            ("running_mean", "running_var"),
            "start from running_mean = 0 and running_var = 1 and apply your q1 update "
            "once per batch, in order.",
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", batchnorm_train)``.
check = ASSIGNMENT.check
