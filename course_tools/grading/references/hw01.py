"""hw01's references: PyTorch for every expected output, and each known mistake's output.

q4 also has a composed NumPy reference that calls q1 to q3 by name, for the stand-in
tables; ``tests/instructor/test_hw01_mistakes.py`` checks it against PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from course_lib.autograd import Value
from course_lib.homework.hw01 import POWER_GRAPHS, SIN_GRAPHS, call_on_values
from course_tools.grading.references import Reference


def leaf(array) -> torch.Tensor:
    """A float64 leaf tensor that records its gradient."""
    return torch.tensor(np.asarray(array, dtype=float), dtype=torch.float64, requires_grad=True)


def affine_backward(dout, x, W):
    x_t, W_t, b_t = leaf(x), leaf(W), leaf(np.zeros(W.shape[1]))
    (x_t @ W_t + b_t).backward(torch.tensor(dout))
    return (x_t.grad.numpy(), W_t.grad.numpy(), b_t.grad.numpy())


def relu_backward(dout, x):
    x_t = leaf(x)
    torch.relu(x_t).backward(torch.tensor(dout))
    return x_t.grad.numpy()


def softmax_loss(scores, y):
    s = leaf(scores)
    loss = torch.nn.functional.cross_entropy(s, torch.tensor(y))
    loss.backward()
    return (loss.item(), s.grad.numpy())


def two_layer_loss(params, X, y, reg):
    p = {k: leaf(v) for k, v in params.items()}
    hidden = torch.relu(torch.tensor(X) @ p["W1"] + p["b1"])
    scores = hidden @ p["W2"] + p["b2"]
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y))
    loss = loss + reg * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    loss.backward()
    return (loss.item(), {k: v.grad.numpy() for k, v in p.items()})


def two_layer_composed(params, X, y, reg, use):
    """q4 written with q1 to q3 (``use[name]``): the calls a stand-in table records."""
    a = X @ params["W1"] + params["b1"]
    h = np.maximum(a, 0.0)
    loss, dscores = use["softmax_loss"](h @ params["W2"] + params["b2"], y)
    dh, dW2, db2 = use["affine_backward"](dscores, h, params["W2"])
    _, dW1, db1 = use["affine_backward"](use["relu_backward"](dh, a), X, params["W1"])
    penalty = np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2)
    grads = {
        "W1": dW1 + 2 * reg * params["W1"],
        "b1": db1,
        "W2": dW2 + 2 * reg * params["W2"],
        "b2": db2,
    }
    return loss + reg * penalty, grads


def on_tensors(graphs: dict[str, Callable], op: Callable) -> Callable[..., tuple]:
    """The outputs of a Value question's graph built with ``op`` on torch tensors."""

    def reference(label: str, *numbers: float) -> tuple:
        leaves = [leaf(v) for v in numbers]
        out = graphs[label](op, *leaves)
        out.backward()
        return (out.item(), *(leaf.grad.item() for leaf in leaves))

    return reference


def silu_backward(dout, x):
    x_t = leaf(x)
    torch.nn.functional.silu(x_t).backward(torch.tensor(dout))
    return x_t.grad.numpy()


# ----- mistakes ---------------------------------------------------------------------------


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def _twist(reference: Callable, change: Callable) -> Callable:
    """A wrong answer: the reference's output, then ``change(output, *args)``."""
    return lambda *args: change(reference(*args), *args)


def _softmax_naive(scores, y):
    """Softmax cross-entropy without the max shift: exp overflows to inf, inf / inf = NaN."""
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return -np.log(p[np.arange(len(y)), y]).mean(), d / len(y)


def _softmax_log_of_underflow(scores, y):
    """Shifted, but the log taken of the probabilities: a probability that underflowed to 0
    gives an infinite loss."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return -np.log(p[np.arange(len(y)), y]).mean(), d / len(y)


def _penalised(params, X, y, reg, on_loss: bool, on_grad: float, on_bias: bool):
    loss, grads = two_layer_loss(params, X, y, 0.0)
    keys = ("W1", "b1", "W2", "b2") if on_bias else ("W1", "W2")
    penalty = sum(float(np.sum(params[k] ** 2)) for k in keys)
    grads = {k: g + (on_grad * reg * params[k] if k in keys else 0.0) for k, g in grads.items()}
    return (loss + (reg * penalty if on_loss else 0.0), grads)


def _wrong_sin(derivative: Callable[[float, float], float]) -> Callable:
    def sin(x):
        return Value.from_op(np.sin(x.data), "sin", (x,), lambda g: (derivative(g, x.data),))

    return lambda label, x: call_on_values(SIN_GRAPHS)(sin, (label, x))


def _wrong_power(rule: Callable[[float, float, float], tuple]) -> Callable:
    def power(a, b):
        return Value.from_op(a.data**b.data, "pow", (a, b), lambda g: rule(g, a.data, b.data))

    return lambda label, a, b: call_on_values(POWER_GRAPHS)(power, (label, a, b))


REFERENCES = {
    "q1": Reference(
        affine_backward,
        {
            "db-averaged": _twist(affine_backward, lambda o, d, x, W: (o[0], o[1], d.mean(0))),
            "dW-over-n": _twist(affine_backward, lambda o, d, x, W: (o[0], o[1] / len(x), o[2])),
        },
    ),
    "q2": Reference(
        relu_backward,
        {
            "gradient-at-zero": lambda dout, x: dout * (x >= 0),
            "forgot-dout": lambda dout, x: (x > 0).astype(float),
            "gated-by-dout": lambda dout, x: dout * (dout > 0),
        },
    ),
    "q3": Reference(
        softmax_loss,
        {
            "summed-gradient": _twist(softmax_loss, lambda o, s, y: (o[0], o[1] * len(y))),
            "summed-loss": _twist(softmax_loss, lambda o, s, y: (o[0] * len(y), o[1])),
            "true-class-kept": _twist(
                softmax_loss, lambda o, s, y: (o[0], o[1] + np.eye(s.shape[1])[y] / len(y))
            ),
            "no-max-shift": _softmax_naive,
            "log-of-underflow": _softmax_log_of_underflow,
        },
    ),
    "q4": Reference(
        two_layer_loss,
        {
            "penalty-factor": lambda p, X, y, reg: _penalised(p, X, y, reg, True, 1.0, False),
            "biases-regularised": lambda p, X, y, reg: _penalised(p, X, y, reg, True, 2.0, True),
            "penalty-only-in-loss": lambda p, X, y, reg: _penalised(p, X, y, reg, True, 0, False),
            "penalty-only-in-gradients": lambda p, X, y, reg: _penalised(
                p, X, y, reg, False, 2.0, False
            ),
        },
        composed=two_layer_composed,
        upstream={
            "affine_backward": affine_backward,
            "relu_backward": relu_backward,
            "softmax_loss": softmax_loss,
        },
    ),
    "q5": Reference(
        on_tensors(SIN_GRAPHS, torch.sin),
        {
            "local-rule-ignores-g": _wrong_sin(lambda g, x: np.cos(x)),
            "derivative-of-cos": _wrong_sin(lambda g, x: -g * np.sin(x)),
        },
    ),
    "q6": Reference(
        on_tensors(POWER_GRAPHS, torch.pow),
        {
            "no-log-a": _wrong_power(lambda g, a, b: (g * b * a ** (b - 1), g * a**b)),
            "power-rule-for-b": _wrong_power(
                lambda g, a, b: (g * b * a ** (b - 1), g * b * a ** (b - 1))
            ),
            "local-rule-ignores-g": _wrong_power(
                lambda g, a, b: (b * a ** (b - 1), a**b * np.log(a))
            ),
        },
    ),
    "q7": Reference(
        silu_backward,
        {
            "first-term-only": lambda dout, x: dout * _sigmoid(x),
            "second-term-only": lambda dout, x: dout * x * _sigmoid(x) * (1 - _sigmoid(x)),
            "forgot-dout": lambda dout, x: silu_backward(np.ones_like(dout), x),
        },
    ),
    "q8": Reference(None),
}
