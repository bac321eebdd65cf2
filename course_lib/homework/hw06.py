"""Homework hw06 (lecture 06, batch normalization): questions and PyTorch references.

The student writes, in ``homework/hw06_batchnorm.ipynb``:

====  ==============================================================  ======  ==============
key   function                                                        points  checked against
====  ==============================================================  ======  ==============
q1    ``batchnorm_train(x, gamma, beta, running_mean, running_var)``       3  BatchNorm1d
q2    ``batchnorm_eval(x, gamma, beta, running_mean, running_var)``        2  ``.eval()``
q3    ``batchnorm_backward(dout, x, gamma)``                               4  autograd
q4    ``running_statistics(batches)``                                      1  BatchNorm1d
q5    ``init_scale_study(seed)``: a deep MLP with and without BN over      2  thresholds (judge)
      weight-initialisation scales (CS231n's study)
w1    written answer (Part D), a markdown cell                             2  graded by hand
====  ==============================================================  ======  ==============

All use PyTorch's defaults: ``eps = 1e-5`` and ``momentum = 0.1``. q3 is derive-then-
implement: the prompt names the quantities, the student derives the backward pass. Each
question lists the mistakes its check names (:class:`~course_lib.homework.checking.Mistake`).

The case makers of q1 to q5 take a ``seed``: the public cases use the default, the grader
adds cases made from the instructor's secret seed (``course_tools.grading.instructor``).

Forbidden modules (:data:`FORBIDDEN`): torch and ``course_lib.layers`` (whose BatchNorm1d is
the answer). The grader hides them from the submission's kernel (an import fails) and flags
code that mentions them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Mistake, Question
from course_lib.homework.unanswered import quiet_unanswered

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


# ----- the mistakes: batch normalization with one slip, in torch ------------------------


def _bn_torch(x, gamma, beta, mean, var, *, ddof=0, eps_outside=False):
    """``gamma * (x - mean) / sqrt(var + eps) + beta`` (or eps added after the root)."""
    torch = _torch()
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
        torch = _torch()
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
    torch = _torch()
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


# ----- q5 BN vs the weight-initialisation scale -----------------------------------------

#: q5's study (after CS231n's assignment 2): a 64 -> 32 -> 32 -> 32 -> 10 ReLU network on
#: the first ``digits`` digits, weights drawn N(0, scale^2) for each scale in ``scales``,
#: ``steps`` full-batch gradient-descent steps at ``lr``, with and without BN before every
#: ReLU. Measured over 20 seeds while writing it: with BN the training accuracy was at
#: least 0.86 at every scale; without, 0.105 at scale 1e-2 and at most 0.34 at scale 1,
#: at least 0.56 below BN's at both extremes.
EXPERIMENT = {"scales": (1e-2, 1e-1, 1.0), "steps": 100, "lr": 0.1, "digits": 400}
HIDDEN = (32, 32, 32)
#: The judge: with BN every accuracy at least BN_ABOVE; at the smallest and the largest
#: scale the plain network's accuracy at least GAP below BN's.
BN_ABOVE, GAP = 0.7, 0.35


def train_network(seed: int, weight_scale: float, batchnorm=None) -> float:
    """Train q5's network once; return its training accuracy at the last step.

    Args:
        seed: seed of the weights.
        weight_scale: the standard deviation of every initial weight.
        batchnorm: None for the plain network, or the pair ``(batchnorm_train,
            batchnorm_backward)`` of your functions (Q1 and Q3): each hidden layer then
            normalises its affine output (training mode, gamma = 1 and beta = 0 at first,
            both trained) before the ReLU.

    Returns:
        the fraction of the digits the network classifies correctly in its last step.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # the matrices are tiny: threads only add overhead
        return _train_network(seed, weight_scale, batchnorm)


def _train_network(seed: int, weight_scale: float, batchnorm) -> float:
    from course_lib.homework.hw04 import _digits

    X, y = _digits()
    X, y = X[: EXPERIMENT["digits"]], y[: EXPERIMENT["digits"]]
    rng, lr = np.random.default_rng(seed), EXPERIMENT["lr"]
    sizes = [64, *HIDDEN, 10]
    W = [weight_scale * rng.standard_normal((a, b)) for a, b in itertools.pairwise(sizes)]
    b = [np.zeros(n) for n in sizes[1:]]
    gamma, beta = [np.ones(n) for n in HIDDEN], [np.zeros(n) for n in HIDDEN]
    for _ in range(EXPERIMENT["steps"]):
        inputs, affine, normed, h = [], [], [], X
        for i in range(len(HIDDEN)):
            inputs.append(h)
            affine.append(h @ W[i] + b[i])
            a = affine[i]
            if batchnorm is not None:
                zeros, ones = np.zeros(HIDDEN[i]), np.ones(HIDDEN[i])
                a = np.asarray(batchnorm[0](affine[i], gamma[i], beta[i], zeros, ones)[0])
            normed.append(a)
            h = np.maximum(a, 0.0)
        z = h @ W[-1] + b[-1]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        accuracy = float(np.mean(p.argmax(axis=1) == y))
        d = p.copy()
        d[np.arange(len(y)), y] -= 1.0
        d /= len(y)
        grads = [(h.T @ d, d.sum(axis=0))]
        dh = d @ W[-1].T
        for i in reversed(range(len(HIDDEN))):
            da = dh * (normed[i] > 0)
            if batchnorm is not None:
                da, dgamma, dbeta = (np.asarray(v) for v in batchnorm[1](da, affine[i], gamma[i]))
                gamma[i], beta[i] = gamma[i] - lr * dgamma, beta[i] - lr * dbeta
            grads.insert(0, (inputs[i].T @ da, da.sum(axis=0)))
            dh = da @ W[i].T
        for i, (dW, db) in enumerate(grads):
            W[i], b[i] = W[i] - lr * dW, b[i] - lr * db
    return accuracy


def _study_cases(seed: int = 605) -> list[Case]:
    net_seed = int(np.random.default_rng(seed).integers(1_000_000))
    return [Case(f"network seed {net_seed}", (net_seed,), ("seed",))]


def _call_study(fn: Callable, args: tuple) -> dict:
    out = fn(*args)
    if not isinstance(out, dict):
        raise TypeError(f"init_scale_study must return a dict, got {type(out).__name__}")
    return {k: np.asarray(out[k], dtype=float) for k in ("bn", "no bn") if k in out}


def _judge_study(case: Case, result: Any) -> tuple[float, str]:
    scales = EXPERIMENT["scales"]
    if not isinstance(result, dict) or set(result) != {"bn", "no bn"}:
        return 0.0, "return a dict with the keys 'bn' and 'no bn'"
    for key, acc in result.items():
        if np.shape(acc) != (len(scales),) or not np.all((acc >= 0) & (acc <= 1)):
            return 0.0, f"{key!r} must hold {len(scales)} accuracies in [0, 1], one per scale"
    bn, plain = result["bn"], result["no bn"]
    gaps = bn[[0, -1]] - plain[[0, -1]]
    if bn.min() >= BN_ABOVE and gaps.min() >= GAP:
        return 1.0, (  # no numbers: a different CPU's rounding may move them a little
            f"with BN every accuracy is at least {BN_ABOVE}; at the smallest and the largest "
            f"scale the plain network is at least {GAP} below"
        )
    seen = f"accuracies with BN {np.round(bn, 3).tolist()}, without {np.round(plain, 3).tolist()}"
    if bn.min() < BN_ABOVE:
        return 0.0, (
            f"{seen}: with BN every scale should reach {BN_ABOVE}; check that the BN runs "
            "pass your (batchnorm_train, batchnorm_backward) and the scales in order"
        )
    return 0.0, (
        f"{seen}: without BN the smallest and the largest scale should stay at least {GAP} "
        "below BN; check that the plain runs pass batchnorm=None"
    )


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
            "lecture 06, sections 3 and 5: the batch is normalised with its own statistics; "
            "the running statistics are moving averages that weigh the past by 1 - momentum, "
            "and PyTorch's differ from the normalisation's in one respect: which variance.",
            mistakes=(
                Mistake(
                    "biased running variance",
                    "your running_var averages the BIASED batch variance: PyTorch stores the "
                    "unbiased one (divided by N - 1) in the running statistics",
                    _train_variant(running_ddof=0),
                ),
                Mistake(
                    "unbiased variance to normalise",
                    "your out is normalised with the UNBIASED variance: the batch is "
                    "normalised with the biased one (divided by N); only running_var uses N - 1",
                    _train_variant(normalise_ddof=1),
                ),
                Mistake(
                    "momentum on the past",
                    "your running statistics give weight momentum to the past: PyTorch's "
                    "momentum 0.1 is the weight of the NEW batch statistics",
                    _train_variant(swapped=True),
                ),
                Mistake(
                    "eps outside the root",
                    "your out adds eps after the square root: eps goes inside, with the variance",
                    _train_variant(eps_outside=True),
                ),
            ),
        ),
        Question(
            "q2",
            "batchnorm_eval",
            2,
            lambda seed=602: _bn_cases(seed),
            _eval_reference,
            ("out",),
            "lecture 06, section 5: at inference a prediction must not depend on the other "
            "examples of its batch.",
            mistakes=(
                Mistake(
                    "batch statistics at test time",
                    "your out uses the batch's own mean and variance: in evaluation mode the "
                    "running statistics replace them",
                    _eval_with_batch_statistics,
                ),
                Mistake(
                    "running_var as a standard deviation",
                    "your out divides by running_var itself: it is a variance, so take the "
                    "root of running_var + eps",
                    _eval_var_as_std,
                ),
            ),
        ),
        Question(
            "q3",
            "batchnorm_backward",
            4,
            _backward_cases,
            _backward_reference,
            ("dx", "dgamma", "dbeta"),
            "draw the graph x -> (mean, variance) -> x_hat -> out and go backwards: x reaches "
            "x_hat directly AND through both batch statistics, and the gradients of all "
            "three paths add up (lecture 06, section 4; sum at forks, lecture 01).",
            mistakes=(
                Mistake(
                    "statistics held constant",
                    "your dx treats the batch mean and variance as constants: x also reaches "
                    "the output through them, add the gradient along those paths",
                    _backward_variant("no statistics"),
                ),
                Mistake(
                    "variance path missing",
                    "your dx has the path through the batch mean but not the one through the "
                    "batch variance: add it",
                    _backward_variant("no sigma"),
                ),
                Mistake(
                    "unbiased variance",
                    "your gradients use the UNBIASED variance: the forward pass normalises "
                    "with the biased one, differentiate that",
                    _backward_unbiased,
                ),
                Mistake(
                    "dgamma with x",
                    "your dgamma multiplies dout by x: gamma scales the NORMALISED input",
                    _backward_variant("x not x_hat"),
                ),
            ),
        ),
        Question(
            "q4",
            "running_statistics",
            1,
            _running_cases,
            _running_reference,
            ("running_mean", "running_var"),
            "PyTorch's BatchNorm1d starts its running statistics at the values that leave "
            "an input unchanged, then applies your Q1 update once per batch, in order.",
            mistakes=(
                Mistake(
                    "variance starts at zero",
                    "your running_var starts at 0: PyTorch starts it at 1 (and the mean at 0)",
                    _running_from_zero_variance,
                ),
                Mistake(
                    "biased variance",
                    "your running_var averages the BIASED batch variance: use the same update "
                    "as Q1, with the unbiased one",
                    _running_biased,
                ),
            ),
        ),
        Question(
            "q5",
            "init_scale_study",
            2,
            _study_cases,
            None,
            ("accuracies",),
            "one train_network run per scale in EXPERIMENT['scales'], in order, with your "
            "two BN functions and with batchnorm=None.",
            call=_call_study,
            judge=_judge_study,
        ),
    ),
    written=(
        WrittenQuestion(
            "w1",
            "hw06-answer-6",
            2,
            "Part D: why does the plain network fail at the smallest and the largest weight "
            "scale while the BN network trains at all of them? (three or four sentences, "
            "about the size of the activations layer after layer)",
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", batchnorm_train)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
