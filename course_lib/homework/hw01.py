"""Homework hw01 (lecture 01, backpropagation): questions, cases and PyTorch references.

The student writes, in ``homework/hw01_backprop.ipynb``:

====  ===================================  ======  ==================  =============================
key   function                             points  kind                checked against
====  ===================================  ======  ==================  =============================
q1    ``affine_backward(dout, x, W)``           2  derive by shapes    torch.autograd, ``x @ W + b``
q2    ``relu_backward(dout, x)``                1  implement           ``torch.relu``
q3    ``softmax_loss(scores, y)``               2  implement, stable   ``F.cross_entropy``
q4    ``two_layer_loss(params, X, y, reg)``     3  compose             torch.autograd, same net
q5    ``sin(x)`` for ``Value``                  1  new operation       ``torch.sin``, three graphs
q6    ``power(a, b)`` for ``Value``             1  new operation       ``torch.pow``, three graphs
q7    ``silu_backward(dout, x)``                2  derive, then code   ``F.silu``
q8    ``train_two_layer(X, y, rng)``            2  experiment, judged  held-out digits' accuracy
====  ===================================  ======  ==================  =============================

Written (graded by hand, in the review file): ``w1``, what the training and held-out
accuracies of q8 say.

Every case maker takes a ``seed``: the public cases use the default, the grader adds cases
made from the instructor's secret seed (``course_tools.grading.instructor``). For q8 that is
another split of the digits: the held-out rows the network is judged on are never given to
the student's function (they are the case's ``secret``).

Each question lists its common mistakes (:class:`~course_lib.homework.checking.Mistake`): the
self-check names them ("your db is the mean of dout over the examples …").

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

from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Mistake, Question
from course_lib.homework.unanswered import quiet_unanswered


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


# ----- q7 silu_backward -----------------------------------------------------------------


def _silu_cases(seed: int = 707) -> list[Case]:
    r = _normal(seed)
    names = ("dout", "x")
    return [
        Case("3 x 4 input", (r(3, 4), 2 * r(3, 4)), names),
        Case("large inputs of both signs", (r(2, 3), 8 * r(2, 3)), names),
        Case("a single row", (r(1, 5), r(1, 5)), names),
    ]


def _silu_reference(dout, x):
    x_t = _leaf(x)
    _torch().nn.functional.silu(x_t).backward(_torch().tensor(dout))
    return x_t.grad.numpy()


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


# ----- q8 train the two-layer net on the digits -----------------------------------------

#: Digits given to the student's training function; the rest of the 1797 are held out.
TRAIN_ROWS = 1297
#: Held-out accuracy for all the points of q8, and for half of them.
FULL_ACCURACY, HALF_ACCURACY = 0.93, 0.85


def _digits_cases(seed: int = 808) -> list[Case]:
    from course_lib.data import load_digits

    X, y = load_digits()
    order = np.random.default_rng(seed).permutation(len(X))
    train, held = order[:TRAIN_ROWS], order[TRAIN_ROWS:]
    label = f"{TRAIN_ROWS} training digits, judged on {len(held)} held-out digits"
    args = (X[train], y[train], np.random.default_rng(seed + 1))
    return [Case(label, args, ("X", "y", "rng"), secret=(X[held], y[held]))]


def _predict(params: dict, X: np.ndarray) -> np.ndarray:
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return np.argmax(hidden @ params["W2"] + params["b2"], axis=1)


def _shape_problem(params: Any, d: int, c: int) -> str | None:
    if not isinstance(params, dict) or not {"W1", "b1", "W2", "b2"} <= set(params):
        return "train_two_layer must return a dict with the keys W1, b1, W2, b2"
    try:
        shapes = {k: np.asarray(params[k], dtype=float).shape for k in ("W1", "b1", "W2", "b2")}
    except (TypeError, ValueError):
        return "the parameters must be arrays of numbers"
    h = shapes["b1"][0] if len(shapes["b1"]) == 1 else -1  # the width, from the hidden bias
    wanted = {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}
    wrong = [f"{k} {shapes[k]} (expected {wanted[k]})" for k in wanted if shapes[k] != wanted[k]]
    if wrong:
        return "wrong parameter shapes: " + ", ".join(wrong) + f", with D = {d}, C = {c}"
    if not all(np.all(np.isfinite(params[k])) for k in wanted):
        return "the parameters contain NaN or inf: the training diverged (learning rate?)"
    return None


def _call_training(fn: Callable, args: tuple) -> Any:
    """The student's params, or ``("raised", message)``: judged like a wrong answer, so
    that a run raising on one split still lets the other splits count."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:
        return ("raised", f"{type(exc).__name__}: {exc}"[:300])


def _judge_training(case: Case, params: Any) -> tuple[float, str]:
    """Full points at held-out accuracy >= FULL_ACCURACY, half at >= HALF_ACCURACY."""
    X, y, _ = case.args
    if isinstance(params, tuple | list) and len(params) == 2 and params[0] == "raised":
        return 0.0, f"your function raised {params[1]}"
    X_held, y_held = case.secret
    problem = _shape_problem(params, X.shape[1], 10)
    if problem:
        return 0.0, problem
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    train_acc = float(np.mean(_predict(params, X) == y))
    held_acc = float(np.mean(_predict(params, X_held) == y_held))
    said = f"held-out accuracy {held_acc:.3f} (training {train_acc:.3f})"
    if held_acc >= FULL_ACCURACY:
        return 1.0, f"{said} >= {FULL_ACCURACY}"
    if train_acc < 0.5:
        why = (
            "the net did not even fit its training digits: check that each step moves "
            "against the gradient and that the learning rate is neither tiny nor huge"
        )
    elif train_acc - held_acc > 0.08:
        why = "it fits the training digits far better than new ones: overfitting (lecture 02, §1)"
    else:
        why = "train longer, or with a better learning rate or width"
    fraction = 0.5 if held_acc >= HALF_ACCURACY else 0.0
    return fraction, f"{said} < {FULL_ACCURACY}: {why}"


# ----- common mistakes, each computed from the trusted references -----------------------


def _twist(reference: Callable, change: Callable) -> Callable:
    """A wrong answer: the reference's output, then ``change(output, *args)``."""
    return lambda *args: change(reference(*args), *args)


def _softmax_parts(scores, y):
    loss, dscores = _softmax_reference(scores, y)
    return loss, dscores, len(y)


def _penalised(params, X, y, reg, on_loss: bool, on_grad: float, on_bias: bool):
    loss, grads = _two_layer_reference(params, X, y, 0.0)
    keys = ("W1", "b1", "W2", "b2") if on_bias else ("W1", "W2")
    penalty = sum(float(np.sum(params[k] ** 2)) for k in keys)
    grads = {k: g + (on_grad * reg * params[k] if k in keys else 0.0) for k, g in grads.items()}
    return (loss + (reg * penalty if on_loss else 0.0), grads)


def _wrong_sin(derivative: Callable[[float, float], float]) -> Callable:
    """The outputs of q5's graphs when sin's local rule is ``derivative(g, x)``."""

    def sin(x):
        from course_lib.autograd import Value

        return Value.from_op(np.sin(x.data), "sin", (x,), lambda g: (derivative(g, x.data),))

    return lambda label, x: _call_on_values(_SIN_GRAPHS)(sin, (label, x))


def _wrong_power(rule: Callable[[float, float, float], tuple]) -> Callable:
    """The outputs of q6's graphs when power's local rule is ``rule(g, a, b)``."""

    def power(a, b):
        from course_lib.autograd import Value

        return Value.from_op(a.data**b.data, "pow", (a, b), lambda g: rule(g, a.data, b.data))

    return lambda label, a, b: _call_on_values(_POWER_GRAPHS)(power, (label, a, b))


AFFINE_MISTAKES = (
    Mistake(
        "db averaged",
        "your db is the mean of dout over the examples: every example adds its own "
        "contribution to the shared bias, and contributions add up (lecture 01, §5: sum at forks)",
        _twist(_affine_reference, lambda o, dout, x, W: (o[0], o[1], dout.mean(axis=0))),
    ),
    Mistake(
        "dW divided by N",
        "your dW is divided by the number of examples: the 1/N of a mean loss is already "
        "inside dout, this layer must not add it again",
        _twist(_affine_reference, lambda o, dout, x, W: (o[0], o[1] / len(x), o[2])),
    ),
)

RELU_MISTAKES = (
    Mistake(
        "gradient 1 at x == 0",
        "your dx lets the gradient through where x is exactly 0; PyTorch's ReLU derivative "
        "there is 0, and the check follows it",
        lambda dout, x: dout * (x >= 0),
    ),
    Mistake(
        "forgot dout",
        "your dx is the ReLU's local derivative alone: the chain rule multiplies it by the "
        "upstream gradient dout (lecture 01, §4)",
        lambda dout, x: (x > 0).astype(float),
    ),
    Mistake(
        "gated by dout",
        "your dx is gated by the sign of dout; what opens the ReLU's gate is the sign of its "
        "input x",
        lambda dout, x: dout * (dout > 0),
    ),
)

SOFTMAX_MISTAKES = (
    Mistake(
        "gradient of the summed loss",
        "your dscores is N times too large: the loss is a mean over the N examples, so its "
        "gradient is one over N times the gradient of the sum",
        _twist(_softmax_parts, lambda o, s, y: (o[0], o[1] * o[2])),
    ),
    Mistake(
        "summed loss",
        "your loss is the sum over the examples; the loss asked for is their mean",
        _twist(_softmax_parts, lambda o, s, y: (o[0] * o[2], o[1])),
    ),
    Mistake(
        "true class not subtracted",
        "your dscores is the softmax divided by N: the one-hot target of the true class is "
        "missing from the gradient (lecture 01, §8)",
        lambda s, y: (
            _softmax_reference(s, y)[0],
            _softmax_reference(s, y)[1] + np.eye(s.shape[1])[y] / len(y),
        ),
    ),
)

TWO_LAYER_MISTAKES = (
    Mistake(
        "penalty derivative without its factor 2",
        "your weight gradients carry reg times W, half the derivative of the squared penalty "
        "(differentiate w**2)",
        lambda p, X, y, reg: _penalised(p, X, y, reg, True, 1.0, False),
    ),
    Mistake(
        "biases regularised",
        "your loss and gradients penalise the biases too; the penalty is on W1 and W2 only",
        lambda p, X, y, reg: _penalised(p, X, y, reg, True, 2.0, True),
    ),
    Mistake(
        "penalty only in the loss",
        "your loss includes the penalty but your weight gradients do not: every term of the "
        "loss contributes to the gradient",
        lambda p, X, y, reg: _penalised(p, X, y, reg, True, 0.0, False),
    ),
    Mistake(
        "penalty only in the gradients",
        "your gradients include the penalty but your loss does not",
        lambda p, X, y, reg: _penalised(p, X, y, reg, False, 2.0, False),
    ),
)

SIN_MISTAKES = (
    Mistake(
        "local rule ignores g",
        "your local rule returns the local derivative without multiplying by g, the gradient "
        "arriving from above: right for f = sin(x) alone, wrong inside a bigger graph",
        _wrong_sin(lambda g, x: np.cos(x)),
    ),
    Mistake(
        "derivative of cos",
        "your local derivative is -sin(x), the derivative of cos; differentiate sin",
        _wrong_sin(lambda g, x: -g * np.sin(x)),
    ),
)

POWER_MISTAKES = (
    Mistake(
        "df/db without log a",
        "your df/db treats the exponent like a base: a**b grows in b exponentially, which "
        "brings a factor ln a",
        _wrong_power(lambda g, a, b: (g * b * a ** (b - 1), g * a**b)),
    ),
    Mistake(
        "power rule for b too",
        "your df/db uses the power rule, which holds for the base only; for the exponent, "
        "write a**b = exp(b ln a) and differentiate",
        _wrong_power(lambda g, a, b: (g * b * a ** (b - 1), g * b * a ** (b - 1))),
    ),
    Mistake(
        "local rule ignores g",
        "your local rule returns the local derivatives without multiplying them by g, the "
        "gradient arriving from above",
        _wrong_power(lambda g, a, b: (b * a ** (b - 1), a**b * np.log(a))),
    ),
)

SILU_MISTAKES = (
    Mistake(
        "product rule: first term only",
        "your dx is dout times sigmoid(x): x * sigmoid(x) is a product of two functions of x, "
        "and the product rule adds a second term",
        lambda dout, x: dout * _sigmoid(x),
    ),
    Mistake(
        "product rule: second term only",
        "your dx keeps only x times the sigmoid's derivative: the product rule also "
        "differentiates the factor x",
        lambda dout, x: dout * x * _sigmoid(x) * (1 - _sigmoid(x)),
    ),
    Mistake(
        "forgot dout",
        "your dx is the local derivative alone: multiply it by the upstream gradient dout",
        lambda dout, x: _silu_reference(np.ones_like(dout), x),
    ),
)


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
            "lecture 01, §7 (matrix gradients by shape matching): each gradient has the shape "
            "of what it is the gradient of, and a bias shared by all examples collects the "
            "gradient of every one of them.",
            mistakes=AFFINE_MISTAKES,
        ),
        Question(
            "q2",
            "relu_backward",
            1,
            _relu_cases,
            _relu_reference,
            ("dx",),
            "lecture 01, §4: a gate passes the upstream gradient where it is open and blocks "
            "it where it is closed; at exactly 0 PyTorch counts the gate as closed.",
            mistakes=RELU_MISTAKES,
        ),
        Question(
            "q3",
            "softmax_loss",
            2,
            _softmax_cases,
            _softmax_reference,
            ("loss", "dscores"),
            "lecture 01, §8: the loss is a mean over examples, and its gradient with respect "
            "to the scores is the probabilities minus the target, scaled by the mean. For "
            "huge scores: a constant added to a row changes no probability, and a log of a "
            "probability that rounded to 0 is -inf, so compute log p without forming p first.",
            mistakes=SOFTMAX_MISTAKES,
        ),
        Question(
            "q4",
            "two_layer_loss",
            3,
            _two_layer_cases,
            _two_layer_reference,
            ("loss", "grads"),
            "lecture 01, §8: run the forward pass keeping what the backward pass needs, then "
            "walk back through your q3, q1, q2 and q1 again; the penalty is one more term of "
            "the loss, differentiated on its own and added.",
            mistakes=TWO_LAYER_MISTAKES,
        ),
        Question(
            "q5",
            "sin",
            1,
            _sin_cases,
            _reference_on_tensors(_SIN_GRAPHS, lambda x: _torch().sin(x)),
            ("f", "df/dx"),
            "lecture 01, §6: an operation is its value plus a local rule that turns g, the "
            "gradient of the output with respect to the result, into one gradient per parent "
            "(a 1-tuple here).",
            call=_call_on_values(_SIN_GRAPHS),
            mistakes=SIN_MISTAKES,
        ),
        Question(
            "q6",
            "power",
            1,
            _power_cases,
            _reference_on_tensors(_POWER_GRAPHS, lambda a, b: _torch().pow(a, b)),
            ("f", "df/da", "df/db"),
            "lecture 01, §6: with two parents the local rule returns two gradients, in the "
            "order of the parents; a**b depends on a as a power and on b as an exponential.",
            call=_call_on_values(_POWER_GRAPHS),
            mistakes=POWER_MISTAKES,
        ),
        Question(
            "q7",
            "silu_backward",
            2,
            _silu_cases,
            _silu_reference,
            ("dx",),
            "derive it on paper first: SiLU is a product of two functions of x, and the "
            "lecture's sigmoid (§4) has a derivative you can write with the sigmoid itself; "
            "then check your formula at one point with a centered difference (§9).",
            mistakes=SILU_MISTAKES,
        ),
        Question(
            "q8",
            "train_two_layer",
            2,
            _digits_cases,
            None,
            ("params",),
            "initialise small random weights (with rng), then repeat mini-batch steps against "
            "the gradient of your two_layer_loss; watch the training loss fall before you "
            "look at accuracy.",
            call=_call_training,
            judge=_judge_training,
        ),
    ),
    written=(
        WrittenQuestion(
            "w1",
            "hw01-answer-9",
            2,
            "Part D: compare the training and held-out accuracies the notebook printed. What "
            "does the gap tell you, and why is the net graded on digits it never saw rather "
            "than on its training digits? (two or three sentences)",
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", affine_backward)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
