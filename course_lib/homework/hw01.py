"""Homework hw01 (lecture 01, backpropagation): questions, cases and PyTorch references.

The student writes, in ``homework/hw01_backprop.ipynb``:

====  =========================================  ======  ===================================
key   function                                   points  checked against
====  =========================================  ======  ===================================
q1    ``affine_backward(dout, x, W)``                 2  ``torch.autograd`` on ``x @ W + b``
q2    ``relu_backward(dout, x)``                      1  ``torch.relu``
q3    ``softmax_loss(scores, y)``                     2  ``torch.nn.functional.cross_entropy``
q4    ``two_layer_loss(params, X, y, reg)``           3  ``torch.autograd`` on the same net
q5    ``sin(x)`` for ``autograd.Value``               1  ``torch.sin`` in three graphs
q6    ``power(a, b)`` for ``autograd.Value``          1  ``torch.pow`` in three graphs
====  =========================================  ======  ===================================

Every case maker takes a ``seed``: the public cases use the default, the grader adds cases
made from the instructor's secret seed (``course_tools.grading.instructor``).

In the notebook: ``from course_lib.homework.hw01 import check``, then after each answer
``check("q1", affine_backward)``.

Forbidden modules (:data:`FORBIDDEN`): torch (so also ``torch.autograd``),
``course_lib.layers`` and ``course_lib.losses``: the point is to derive the gradients by
hand. The grader hides them from the submission's kernel (an import fails) and flags code
that mentions them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Question


def _torch():
    """Import torch lazily: the student-side half of a check never needs it."""
    import torch

    return torch


def _leaf(array: Any):
    """A float64 leaf tensor that records its gradient."""
    return _torch().tensor(
        np.asarray(array, dtype=float), dtype=_torch().float64, requires_grad=True
    )


def _normal(seed: int) -> Callable[..., np.ndarray]:
    rng = np.random.default_rng(seed)
    return lambda *shape: rng.standard_normal(shape)


# ----- q1 affine_backward ---------------------------------------------------------------


def _affine_cases(seed: int = 101) -> list[Case]:
    r = _normal(seed)
    names = ("dout", "x", "W")
    shapes = [
        (2, 3, 4, "2 examples, 3 -> 4 features"),
        (1, 2, 2, "a single example"),
        (5, 4, 3, "5 examples, 4 -> 3 features"),
    ]
    return [Case(label, (r(n, m), r(n, d), r(d, m)), names) for n, d, m, label in shapes]


def _affine_reference(dout, x, W):
    x_t, W_t, b_t = _leaf(x), _leaf(W), _leaf(np.zeros(W.shape[1]))
    (x_t @ W_t + b_t).backward(_torch().tensor(dout))
    return (x_t.grad.numpy(), W_t.grad.numpy(), b_t.grad.numpy())


# ----- q2 relu_backward -----------------------------------------------------------------


def _relu_cases(seed: int = 202) -> list[Case]:
    r = _normal(seed)
    with_zero = r(3, 4)
    with_zero[1, 2] = 0.0
    names = ("dout", "x")
    return [
        Case("random 3 x 4 input with one entry exactly 0", (r(3, 4), with_zero), names),
        Case("all inputs negative", (r(1, 5), -np.abs(r(1, 5)) - 0.1), names),
        Case("all inputs positive", (r(2, 2), np.abs(r(2, 2)) + 0.1), names),
    ]


def _relu_reference(dout, x):
    x_t = _leaf(x)
    _torch().relu(x_t).backward(_torch().tensor(dout))
    return x_t.grad.numpy()


# ----- q3 softmax_loss ------------------------------------------------------------------


def _softmax_cases(seed: int = 303) -> list[Case]:
    r = _normal(seed)
    names = ("scores", "y")
    return [
        Case("4 examples, 3 classes", (r(4, 3), np.array([0, 2, 1, 2])), names),
        Case(
            "huge scores (exp overflows without the max trick)",
            (1000 * r(3, 4), np.array([3, 0, 1])),
            names,
        ),
        Case("a single example, 5 classes", (r(1, 5), np.array([4])), names),
    ]


def _softmax_reference(scores, y):
    s = _leaf(scores)
    loss = _torch().nn.functional.cross_entropy(s, _torch().tensor(y))
    loss.backward()
    return (loss.item(), s.grad.numpy())


# ----- q4 two_layer_loss ----------------------------------------------------------------


def _two_layer_cases(seed: int = 404) -> list[Case]:
    r = _normal(seed)
    names = ("params", "X", "y", "reg")
    cases = []
    for n, d, h, c, reg, label in [
        (5, 4, 6, 3, 0.1, "N=5, D=4, H=6, C=3, reg=0.1"),
        (3, 2, 3, 2, 0.0, "N=3, D=2, H=3, C=2, no regularisation"),
        (4, 3, 5, 4, 0.5, "N=4, D=3, H=5, C=4, reg=0.5"),
    ]:
        params = {"W1": r(d, h), "b1": 0.1 * r(h), "W2": r(h, c), "b2": 0.1 * r(c)}
        y = np.arange(n) % c
        cases.append(Case(label, (params, r(n, d), y, reg), names))
    return cases


def _two_layer_reference(params, X, y, reg):
    torch = _torch()
    p = {k: _leaf(v) for k, v in params.items()}
    hidden = torch.relu(torch.tensor(X) @ p["W1"] + p["b1"])
    scores = hidden @ p["W2"] + p["b2"]
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y))
    loss = loss + reg * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    loss.backward()
    return (loss.item(), {k: v.grad.numpy() for k, v in p.items()})


# ----- q5 sin and q6 power for Value ----------------------------------------------------

# Each graph is written once and run twice: with the student's op on Values, and with
# torch's op on tensors for the reference.
_SIN_GRAPHS: dict[str, Callable] = {
    "f = sin(x)": lambda sin, x: sin(x),
    "f = sin(x) * x   (x is used twice: gradients add)": lambda sin, x: sin(x) * x,
    "f = sin(sin(x))   (a chain: local derivatives multiply)": lambda sin, x: sin(sin(x)),
}
_POWER_GRAPHS: dict[str, Callable] = {
    "f = power(a, b)": lambda pw, a, b: pw(a, b),
    "f = power(a, a) * b   (a feeds both operands)": lambda pw, a, b: pw(a, a) * b,
    "f = power(power(a, b), b)": lambda pw, a, b: pw(pw(a, b), b),
}


def _call_on_values(graphs: dict[str, Callable]) -> Callable[[Callable, tuple], tuple]:
    """A ``Question.call`` that builds ``graphs[label]`` from Values and runs backward."""

    def call(fn: Callable, args: tuple) -> tuple:
        from course_lib.autograd import Value

        label, *numbers = args
        leaves = [Value(v) for v in numbers]
        out = graphs[label](fn, *leaves)
        if not isinstance(out, Value):
            raise TypeError(f"the function must return a Value, got {type(out).__name__}")
        out.backward()
        return (out.data, *(leaf.grad for leaf in leaves))

    return call


def _reference_on_tensors(graphs: dict[str, Callable], op: Callable) -> Callable[..., tuple]:
    def reference(label: str, *numbers: float) -> tuple:
        leaves = [_leaf(v) for v in numbers]
        out = graphs[label](op, *leaves)
        out.backward()
        return (out.item(), *(leaf.grad.item() for leaf in leaves))

    return reference


def _sin_cases(seed: int | None = None) -> list[Case]:
    xs = (0.7, -2.3, 1.9) if seed is None else np.random.default_rng(seed).uniform(-3, 3, 3)
    points = zip(_SIN_GRAPHS, (float(x) for x in xs), strict=True)
    return [Case(f"{label} at x = {x:g}", (label, x), ("graph", "x")) for label, x in points]


def _power_cases(seed: int | None = None) -> list[Case]:
    pairs = ((1.7, 2.5), (0.6, -1.5), (1.3, 0.8))
    if seed is not None:  # a > 0: log(a) appears in d/db
        rng = np.random.default_rng(seed)
        pairs = tuple((float(rng.uniform(0.3, 2.0)), float(rng.uniform(-2, 2))) for _ in range(3))
    points = zip(_POWER_GRAPHS, pairs, strict=True)
    return [
        Case(f"{label} at a = {a:g}, b = {b:g}", (label, a, b), ("graph", "a", "b"))
        for label, (a, b) in points
    ]


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.layers", "course_lib.losses")

ASSIGNMENT = Assignment(
    name="hw01",
    title="Backpropagation",
    notebook="hw01_backprop",
    questions=(
        Question(
            "q1",
            "affine_backward",
            2,
            _affine_cases,
            _affine_reference,
            ("dx", "dW", "db"),
            "match shapes: dx = dout @ W.T has the shape of x (N, D), dW has the shape of W "
            "(D, M), and db sums dout over the examples (axis 0).",
        ),
        Question(
            "q2",
            "relu_backward",
            1,
            _relu_cases,
            _relu_reference,
            ("dx",),
            "ReLU passes dout through where x > 0 and blocks it elsewhere; "
            "at x == 0 use 0, as PyTorch does.",
        ),
        Question(
            "q3",
            "softmax_loss",
            2,
            _softmax_cases,
            _softmax_reference,
            ("loss", "dscores"),
            "subtract each row's max z first; then log p = z - log(sum(exp(z))) stays finite, "
            "while log of a probability that rounded to 0 is -inf. The loss is the mean of "
            "-log p[i, y[i]]; dscores = (p - one_hot(y)) / N.",
        ),
        Question(
            "q4",
            "two_layer_loss",
            3,
            _two_layer_cases,
            _two_layer_reference,
            ("loss", "grads"),
            "forward: h = relu(X @ W1 + b1), scores = h @ W2 + b2; loss = softmax loss + "
            "reg * (sum(W1**2) + sum(W2**2)). Backward: chain softmax_loss, affine_backward, "
            "relu_backward, affine_backward, then add 2 * reg * W to each weight gradient.",
        ),
        Question(
            "q5",
            "sin",
            1,
            _sin_cases,
            _reference_on_tensors(_SIN_GRAPHS, lambda x: _torch().sin(x)),
            ("f", "df/dx"),
            "build the result with Value.from_op(data, 'sin', (x,), local_rule); the local "
            "rule gets g = d(out)/d(result) and returns a 1-tuple: g times d sin(x)/dx.",
            call=_call_on_values(_SIN_GRAPHS),
        ),
        Question(
            "q6",
            "power",
            1,
            _power_cases,
            _reference_on_tensors(_POWER_GRAPHS, lambda a, b: _torch().pow(a, b)),
            ("f", "df/da", "df/db"),
            "a ** b depends on both operands: d/da = b * a**(b - 1) and "
            "d/db = a**b * log(a); the local rule returns both, in the order of the parents.",
            call=_call_on_values(_POWER_GRAPHS),
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", affine_backward)``.
check = ASSIGNMENT.check
