"""Homework hw06 (lecture 06, batch normalization): questions and their cases.

The student writes, in ``homework/hw06_batchnorm.ipynb``:

====  ==============================================================  ======  ==============
key   function                                                        points  public cases on
====  ==============================================================  ======  ==============
q1    ``batchnorm_train(x, gamma, beta, running_mean, running_var)``       3  stored outputs
q2    ``batchnorm_eval(x, gamma, beta, running_mean, running_var)``        2  stored outputs
q3    ``batchnorm_backward(dout, x, gamma)``                               4  stored outputs
q4    ``running_statistics(batches)``                                      1  stored outputs
q5    ``init_scale_study(seed)``: a deep MLP with and without BN over      2  thresholds (judge)
      weight-initialisation scales (CS231n's study)
w1    written answer (Part D), a markdown cell                             2  graded by hand
====  ==============================================================  ======  ==============

All use PyTorch's defaults: ``eps = 1e-5`` and ``momentum = 0.1``. The expected outputs are
PyTorch's (``BatchNorm1d`` in training and evaluation mode, autograd), computed by the
instructor's references and stored as data with every known mistake's output
(:mod:`~course_lib.homework.stored`). q3 is derive-then-implement: the prompt names the
quantities, the student derives the backward pass; its upstream gradients come from a
random stream of their own, and every batch has at least three examples (with two, the
gradient with respect to x is zero whatever the upstream gradient).

q4 calls the student's q1, q5 calls q1 and q3 through :func:`train_network`: the grader
runs them with stand-ins (:mod:`~course_lib.homework.standins`). Every case maker takes a
``seed``: None gives the public cases, the grader's hidden cases come from the instructor's
secret seed.

Forbidden modules (:data:`FORBIDDEN`): torch and ``course_lib.layers`` (whose BatchNorm1d is
the answer). The grader hides them from the submission's kernel (an import fails).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Question
from course_lib.homework.digits import digits_copy
from course_lib.homework.messages import say
from course_lib.homework.unanswered import quiet_unanswered

EPS, MOMENTUM = 1e-5, 0.1


def _bn_cases(seed: int, smallest: int = 2) -> list[Case]:
    """Batches of 4 x 3, of ``smallest`` x 2 and of 16 x 5 on a large scale, with their
    parameters and running statistics."""
    rng = np.random.default_rng(seed)
    names = ("x", "gamma", "beta", "running_mean", "running_var")
    cases = []
    for n, d, label in [
        (4, 3, "4 examples, 3 features"),
        (smallest, 2, f"the smallest batch, N = {smallest}"),
        (16, 5, "16 examples on a large scale"),
    ]:
        scale = 100.0 if n == 16 else 1.0
        x = scale * rng.standard_normal((n, d)) + rng.standard_normal(d)
        gamma, beta = 1 + 0.5 * rng.standard_normal(d), 0.5 * rng.standard_normal(d)
        stats = (0.3 * rng.standard_normal(d), 0.5 + rng.random(d))
        cases.append(Case(label, (x, gamma, beta, *stats), names))
    return cases


# ----- q1 and q2: forward ---------------------------------------------------------------


# ----- q3 backward ----------------------------------------------------------------------


def _backward_cases(seed: int | None = None) -> list[Case]:
    seed = 603 if seed is None else seed
    upstream = np.random.default_rng([seed, 1])  # a stream of its own, not x's
    cases = []
    for case in _bn_cases(seed, smallest=3):
        x, gamma = case.args[0], case.args[1]
        dout = upstream.standard_normal(x.shape)
        cases.append(Case(case.label, (dout, x, gamma), ("dout", "x", "gamma")))
    return cases


# ----- q4 running statistics over several batches ---------------------------------------


def _running_cases(seed: int | None = None) -> list[Case]:
    rng = np.random.default_rng(604 if seed is None else seed)
    cases = []
    for count, n, d in [(5, 8, 3), (1, 4, 2), (30, 16, 4)]:
        batches = [2.0 + 3.0 * rng.standard_normal((n, d)) for _ in range(count)]
        cases.append(Case(f"{count} batches of {n} x {d}, mean 2, std 3", (batches,), ("batches",)))
    return cases


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
    X, y = digits_copy()
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


def _study_cases(seed: int | None = None) -> list[Case]:
    net_seed = int(np.random.default_rng(605 if seed is None else seed).integers(1_000_000))
    label = f"network seed {net_seed}" if seed is None else "a random network seed"
    return [Case(label, (net_seed,), ("seed",))]


def _call_study(fn: Callable, args: tuple) -> dict:
    out = fn(*args)
    if not isinstance(out, dict):
        raise TypeError(f"init_scale_study must return a dict, got {type(out).__name__}")
    return {k: np.asarray(out[k], dtype=float) for k in ("bn", "no bn") if k in out}


def _judge_study(case: Case, result: Any) -> tuple[float, str]:
    scales = EXPERIMENT["scales"]
    if not isinstance(result, dict) or set(result) != {"bn", "no bn"}:
        return 0.0, say("hw06.q5.keys")
    for key, acc in result.items():
        if np.shape(acc) != (len(scales),) or not np.all((acc >= 0) & (acc <= 1)):
            return 0.0, say("hw06.q5.shape", key=key, n=len(scales))
    bn, plain = result["bn"], result["no bn"]
    gaps = bn[[0, -1]] - plain[[0, -1]]
    if bn.min() >= BN_ABOVE and gaps.min() >= GAP:
        # no numbers: a different CPU's rounding may move them a little
        return 1.0, say("hw06.q5.passed", above=BN_ABOVE, gap=GAP)
    seen = ""
    if not case.hidden:
        seen = say("hw06.q5.seen", bn=np.round(bn, 3).tolist(), plain=np.round(plain, 3).tolist())
    if bn.min() < BN_ABOVE:
        return 0.0, seen + say("hw06.q5.bn-too-low", above=BN_ABOVE)
    return 0.0, seen + say("hw06.q5.gap-too-small", gap=GAP)


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.layers")


def _question(key: str, function: str, points: float, inputs, names, **more) -> Question:
    return Question("hw06", key, function, points, inputs, names, **more)


ASSIGNMENT = Assignment(
    name="hw06",
    title="Batch normalization",
    notebook="hw06_batchnorm",
    questions=(
        _question(
            "q1", "batchnorm_train", 3, lambda seed=None: _bn_cases(601 if seed is None else seed),
            ("out", "running_mean", "running_var"),
            mistakes=("biased-running-variance", "unbiased-to-normalise", "momentum-on-past",
                      "eps-outside-root"),
            may_change=("running_mean", "running_var"),
        ),
        _question(
            "q2", "batchnorm_eval", 2, lambda seed=None: _bn_cases(602 if seed is None else seed),
            ("out",),
            mistakes=("batch-statistics", "running-var-as-std"),
        ),
        _question(
            "q3", "batchnorm_backward", 4, _backward_cases, ("dx", "dgamma", "dbeta"),
            mistakes=("statistics-held-constant", "variance-path-missing", "unbiased-variance",
                      "dgamma-with-x", "dx-missing-gamma", "dx-missing-inv-std"),
        ),
        _question(
            "q4", "running_statistics", 1, _running_cases, ("running_mean", "running_var"),
            mistakes=("variance-starts-at-zero", "biased-variance"),
            uses=("q1",), standins=("batchnorm_train",),
        ),
        _question(
            "q5", "init_scale_study", 2, _study_cases, ("accuracies",),
            call=_call_study, judge=_judge_study,
            uses=("q1", "q3"), standins=("train_network",),
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
)  # fmt: skip

#: The self-check students call after each question: ``check("q1", batchnorm_train)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
