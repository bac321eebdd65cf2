"""Homework hw01 (lecture 01, backpropagation): questions, cases and how they are judged.

The student writes, in ``homework/hw01_backprop.ipynb``:

====  ===================================  ======  ==================  ==========================
key   function                             points  kind                public cases judged on
====  ===================================  ======  ==================  ==========================
q1    ``affine_backward(dout, x, W)``           2  derive by shapes    stored outputs
q2    ``relu_backward(dout, x)``                1  implement           stored outputs
q3    ``softmax_loss(scores, y)``               2  implement, stable   stored outputs
q4    ``two_layer_loss(params, X, y, reg)``     3  compose             stored outputs
q5    ``sin(x)`` for ``Value``                  1  new operation       stored outputs
q6    ``power(a, b)`` for ``Value``             1  new operation       stored outputs
q7    ``silu_backward(dout, x)``                2  derive, then code   stored outputs
q8    ``train_two_layer(X, y, rng)``            2  experiment, judged  held-out accuracy
====  ===================================  ======  ==================  ==========================

The expected outputs (PyTorch's, computed by the instructor's references) and the output of
every known mistake are stored data (:mod:`~course_lib.homework.stored`); nothing here
computes an answer. Written (graded by hand, in the review file): ``w1``, what the training
and held-out accuracies of q8 say.

Every case maker takes a ``seed``: None gives the public cases, the grader's hidden cases
come from the instructor's secret seed. Inputs and upstream gradients come from separate
random streams. q4 calls the student's q1 to q3: the grader runs it with stand-ins for them
(:mod:`~course_lib.homework.standins`). q8 trains on warped digits
(:mod:`~course_lib.homework.digits`) and is judged on warped digits it never receives; the
grader's are made from the secret seed, so no student has seen them.

In the notebook: ``from course_lib.homework.hw01 import check``, then after each answer
``check("q1", affine_backward)``.

Forbidden modules (:data:`FORBIDDEN`): torch (so also ``torch.autograd``),
``course_lib.layers`` and ``course_lib.losses``: the point is to derive the gradients by
hand. The grader hides them from the submission's kernel (an import fails).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Question
from course_lib.homework.digits import warp_digits
from course_lib.homework.messages import say
from course_lib.homework.unanswered import quiet_unanswered

#: Default seeds of the public cases, one per question.
PUBLIC = {"q1": 101, "q2": 202, "q3": 303, "q4": 404, "q5": 505, "q6": 606, "q7": 707, "q8": 808}


def streams(seed: int) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """Two independent standard-normal samplers from ``seed``: one for a case's inputs,
    one for its upstream gradients (so that ``dout`` never repeats an input's noise)."""
    inputs, upstream = (np.random.default_rng([seed, k]) for k in (0, 1))
    return (lambda *shape: inputs.standard_normal(shape)), (
        lambda *shape: upstream.standard_normal(shape)
    )


# ----- q1 affine_backward ---------------------------------------------------------------


def _affine_cases(seed: int | None = None) -> list[Case]:
    r, up = streams(PUBLIC["q1"] if seed is None else seed)
    names = ("dout", "x", "W")
    shapes = [
        (2, 3, 4, "2 examples, 3 -> 4 features"),
        (1, 2, 2, "a single example"),
        (5, 4, 3, "5 examples, 4 -> 3 features"),
    ]
    return [Case(label, (up(n, m), r(n, d), r(d, m)), names) for n, d, m, label in shapes]


# ----- q2 relu_backward -----------------------------------------------------------------


def _relu_cases(seed: int | None = None) -> list[Case]:
    r, up = streams(PUBLIC["q2"] if seed is None else seed)
    names = ("dout", "x")
    cases = []
    for shape, shift, label in [
        ((3, 4), 0.0, "3 x 4, mixed signs, two inputs exactly 0"),
        ((2, 5), -1.0, "2 x 5, mostly negative inputs, one exactly 0"),
        ((4, 3), 1.0, "4 x 3, mostly positive inputs, one exactly 0"),
    ]:
        x = r(*shape) + shift
        x.flat[1], x.flat[2] = abs(x.flat[1]) + 0.1, -abs(x.flat[2]) - 0.1  # both gate states
        x.flat[:: 7 if shift == 0.0 else 100] = 0.0  # exact zeros: the gate's edge case
        cases.append(Case(label, (up(*shape), x), names))
    return cases


# ----- q3 softmax_loss ------------------------------------------------------------------


def _softmax_cases(seed: int | None = None) -> list[Case]:
    r, _ = streams(PUBLIC["q3"] if seed is None else seed)
    names = ("scores", "y")
    single = 800 * r(1, 5)  # labelled with its lowest score: the loss cannot round to 0
    return [
        Case("4 examples, 3 classes", (r(4, 3), np.array([0, 2, 1, 2])), names),
        Case(
            "huge scores (exp overflows without the max trick)",
            (1000 * r(3, 4), np.array([3, 0, 1])),
            names,
        ),
        Case("a single example, 5 classes, huge scores", (single, single.argmin(axis=1)), names),
    ]


# ----- q4 two_layer_loss ----------------------------------------------------------------


def _two_layer_cases(seed: int | None = None) -> list[Case]:
    r, _ = streams(PUBLIC["q4"] if seed is None else seed)
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


# ----- q5 sin and q6 power for Value ----------------------------------------------------

#: The graphs q5 builds with the student's ``sin``, by label (the references build the same
#: graphs with torch's ``sin``).
SIN_GRAPHS: dict[str, Callable] = {
    "f = sin(x)": lambda sin, x: sin(x),
    "f = sin(x) * x   (x is used twice: gradients add)": lambda sin, x: sin(x) * x,
    "f = sin(sin(x))   (a chain: local derivatives multiply)": lambda sin, x: sin(sin(x)),
}
#: The graphs q6 builds with the student's ``power``.
POWER_GRAPHS: dict[str, Callable] = {
    "f = power(a, b)": lambda pw, a, b: pw(a, b),
    "f = power(a, a) * b   (a feeds both operands)": lambda pw, a, b: pw(a, a) * b,
    "f = power(power(a, b), b)": lambda pw, a, b: pw(pw(a, b), b),
}


def call_on_values(graphs: dict[str, Callable]) -> Callable[[Callable, tuple], tuple]:
    """A ``Question.call`` that builds ``graphs[label]`` from Values and runs backward:
    returns (f, the gradient of every leaf)."""

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


def _sin_cases(seed: int | None = None) -> list[Case]:
    if seed is None:
        xs, where = (0.7, -2.3, 1.9), "at x = {x:g}"
    else:  # away from the zeros of cos, where the graphs' gradients vanish
        rng = np.random.default_rng(seed)
        xs = rng.uniform(0.3, 1.2, 3) * rng.choice([-1.0, 1.0], 3)
        where = "at a random x"
    points = zip(SIN_GRAPHS, (float(x) for x in xs), strict=True)
    return [Case(f"{label} {where.format(x=x)}", (label, x), ("graph", "x")) for label, x in points]


def _power_cases(seed: int | None = None) -> list[Case]:
    pairs, where = ((1.7, 2.5), (0.6, -1.5), (1.3, 0.8)), "at a = {a:g}, b = {b:g}"
    if seed is not None:  # a > 0 and away from 1: log(a) appears in d/db
        rng = np.random.default_rng(seed)
        bases = rng.uniform(1.2, 2.0, 3) ** rng.choice([-1.0, 1.0], 3)
        pairs = tuple((float(a), float(rng.uniform(0.5, 2) * rng.choice([-1, 1]))) for a in bases)
        where = "at random a > 0 and b"
    points = zip(POWER_GRAPHS, pairs, strict=True)
    return [
        Case(f"{label} {where.format(a=a, b=b)}", (label, a, b), ("graph", "a", "b"))
        for label, (a, b) in points
    ]


# ----- q7 silu_backward -----------------------------------------------------------------


def _silu_cases(seed: int | None = None) -> list[Case]:
    r, up = streams(PUBLIC["q7"] if seed is None else seed)
    names = ("dout", "x")
    return [
        Case("3 x 4 input", (up(3, 4), 2 * r(3, 4)), names),
        Case("large inputs of both signs", (up(2, 3), 8 * r(2, 3)), names),
        Case("a single row", (up(1, 5), r(1, 5)), names),
    ]


# ----- q8 train the two-layer net on warped digits --------------------------------------

#: Digits given to the student's training function; the other 500 of the 1797 are held out.
TRAIN_ROWS = 1297
#: Held-out accuracy for all the points of q8, and for half of them (on warped digits:
#: measured while writing it, the solution's network reached 0.82 to 0.87 over six splits,
#: the same network trained on all 1797 unwarped public digits 0.66 to 0.74).
FULL_ACCURACY, HALF_ACCURACY = 0.78, 0.65


def digits_split(seed: int | None = None) -> tuple[np.ndarray, ...]:
    """q8's data: ``(X_train (1297, 64), y_train, X_held (500, 64), y_held)``.

    Every digit is warped (:func:`~course_lib.homework.digits.warp_digits`) from ``seed``;
    None is the public split the self-check uses (and the notebook's Part D), the grader's
    come from the instructor's secret seed.
    """
    from course_lib.data import load_digits

    seed = PUBLIC["q8"] if seed is None else seed
    X, y = load_digits()
    order = np.random.default_rng(seed).permutation(len(X))
    train, held = order[:TRAIN_ROWS], order[TRAIN_ROWS:]
    rng = np.random.default_rng([seed, 2])
    return warp_digits(X[train], rng), y[train], warp_digits(X[held], rng), y[held]


def _digits_cases(seed: int | None = None) -> list[Case]:
    X, y, X_held, y_held = digits_split(seed)
    label = f"{TRAIN_ROWS} warped training digits, judged on {len(y_held)} held-out digits"
    args = (X, y, np.random.default_rng([PUBLIC["q8"] if seed is None else seed, 1]))
    return [Case(label, args, ("X", "y", "rng"), secret=(X_held, y_held))]


def _predict(params: dict, X: np.ndarray) -> np.ndarray:
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return np.argmax(hidden @ params["W2"] + params["b2"], axis=1)


def _shape_problem(params: Any, d: int, c: int) -> str | None:
    if not isinstance(params, dict) or not {"W1", "b1", "W2", "b2"} <= set(params):
        return say("hw01.q8.keys")
    try:
        shapes = {k: np.asarray(params[k], dtype=float).shape for k in ("W1", "b1", "W2", "b2")}
    except (TypeError, ValueError):
        return say("hw01.q8.not-numbers")
    h = shapes["b1"][0] if len(shapes["b1"]) == 1 else -1  # the width, from the hidden bias
    wanted = {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}
    wrong = [
        say("hw01.q8.wrong-shape", key=k, shape=shapes[k], expected=wanted[k])
        for k in wanted
        if shapes[k] != wanted[k]
    ]
    if wrong:
        return say("hw01.q8.shapes", wrong=", ".join(wrong), d=d, c=c)
    if not all(np.all(np.isfinite(params[k])) for k in wanted):
        return say("hw01.q8.diverged")
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
    from course_lib.homework.checking import exception_kind

    X, y, _ = case.args
    if isinstance(params, tuple | list) and len(params) == 2 and params[0] == "raised":
        shown = exception_kind(params[1]) if case.hidden else params[1]
        return 0.0, say("hw01.q8.raised", exception=shown)
    X_held, y_held = case.secret
    problem = _shape_problem(params, X.shape[1], 10)
    if problem:
        return 0.0, problem
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    train_acc = float(np.mean(_predict(params, X) == y))
    held_acc = float(np.mean(_predict(params, X_held) == y_held))
    said = say("hw01.q8.accuracies", held=f"{held_acc:.3f}", train=f"{train_acc:.3f}")
    if held_acc >= FULL_ACCURACY:
        return 1.0, f"{said} >= {FULL_ACCURACY}"
    if train_acc < 0.5:
        why = say("hw01.q8.did-not-fit")
    elif train_acc - held_acc > 0.12:
        why = say("hw01.q8.overfitting")
    else:
        why = say("hw01.q8.train-longer")
    fraction = 0.5 if held_acc >= HALF_ACCURACY else 0.0
    return fraction, f"{said} < {FULL_ACCURACY}: {why}"


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.layers", "course_lib.losses")


def _question(key: str, function: str, points: float, inputs, names, **more) -> Question:
    return Question("hw01", key, function, points, inputs, names, **more)


ASSIGNMENT = Assignment(
    name="hw01",
    title="Backpropagation",
    notebook="hw01_backprop",
    questions=(
        _question(
            "q1", "affine_backward", 2, _affine_cases, ("dx", "dW", "db"),
            mistakes=("db-averaged", "dW-over-n"),
        ),
        _question(
            "q2", "relu_backward", 1, _relu_cases, ("dx",),
            mistakes=("gradient-at-zero", "forgot-dout", "gated-by-dout"),
        ),
        _question(
            "q3", "softmax_loss", 2, _softmax_cases, ("loss", "dscores"),
            mistakes=(
                "summed-gradient", "summed-loss", "true-class-kept", "no-max-shift",
                "log-of-underflow",
            ),
        ),
        _question(
            "q4", "two_layer_loss", 3, _two_layer_cases, ("loss", "grads"),
            mistakes=(
                "penalty-factor", "biases-regularised", "penalty-only-in-loss",
                "penalty-only-in-gradients",
            ),
            uses=("q1", "q2", "q3"),
            standins=("affine_backward", "relu_backward", "softmax_loss"),
        ),
        _question(
            "q5", "sin", 1, _sin_cases, ("f", "df/dx"),
            call=call_on_values(SIN_GRAPHS),
            mistakes=("local-rule-ignores-g", "derivative-of-cos"),
        ),
        _question(
            "q6", "power", 1, _power_cases, ("f", "df/da", "df/db"),
            call=call_on_values(POWER_GRAPHS),
            mistakes=("no-log-a", "power-rule-for-b", "local-rule-ignores-g"),
        ),
        _question(
            "q7", "silu_backward", 2, _silu_cases, ("dx",),
            mistakes=("first-term-only", "second-term-only", "forgot-dout"),
        ),
        _question(
            "q8", "train_two_layer", 2, _digits_cases, ("params",),
            call=_call_training, judge=_judge_training, uses=("q4",),
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
)  # fmt: skip

#: The self-check students call after each question: ``check("q1", affine_backward)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
