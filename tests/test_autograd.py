"""course_lib.autograd.Value against torch.autograd in float64, and draw_graph."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.autograd import Value, draw_graph, graph_layout

torch.set_num_threads(1)


def leaf_tensor(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def number(t: torch.Tensor) -> float:
    return t.detach().item()


def torch_grad(t: torch.Tensor) -> float:
    return 0.0 if t.grad is None else float(t.grad)


# Each operation is written once and applied to Values and to torch tensors alike; operand
# transforms such as b * b + 0.5 keep divisions and logarithms in their safe domains.
OPS = {
    "add": lambda a, b, c: a + b,
    "sub": lambda a, b, c: a - b,
    "mul": lambda a, b, c: a * b,
    "div": lambda a, b, c: a / (b * b + 0.5),
    "neg": lambda a, b, c: -a,
    "square": lambda a, b, c: a**2,
    "cube": lambda a, b, c: a**3,
    "pow_1.5": lambda a, b, c: (a * a + 0.5) ** 1.5,
    "pow_-0.5": lambda a, b, c: (a * a + 0.5) ** -0.5,
    "exp": lambda a, b, c: a.exp(),
    "log": lambda a, b, c: (a * a + 0.5).log(),
    "tanh": lambda a, b, c: a.tanh(),
    "relu": lambda a, b, c: a.relu(),
    "sigmoid": lambda a, b, c: a.sigmoid(),
    "const_plus": lambda a, b, c: c + a,
    "const_minus": lambda a, b, c: c - a,
    "const_times": lambda a, b, c: c * a,
    "const_over": lambda a, b, c: c / (a * a + 0.5),
    "plus_const": lambda a, b, c: a + c,
    "minus_const": lambda a, b, c: a - c,
    "times_const": lambda a, b, c: a * c,
    "over_const": lambda a, b, c: a / c,
}

step_strategy = st.tuples(
    st.sampled_from(sorted(OPS)),
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.floats(0.25, 2.0),
)


@settings(max_examples=200)
@given(
    leaves=st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4),
    steps=st.lists(step_strategy, min_size=1, max_size=12),
)
def test_random_expression_graphs_match_torch_autograd(leaves, steps):
    values = [Value(x) for x in leaves]
    tensors = [leaf_tensor(x) for x in leaves]
    pool_v, pool_t = list(values), list(tensors)
    for name, i, j, c in steps:
        i, j = i % len(pool_t), j % len(pool_t)
        t = OPS[name](pool_t[i], pool_t[j], c)
        if not abs(number(t)) <= 1e3:  # skip steps that would blow up (or give NaN)
            continue
        pool_t.append(t)
        pool_v.append(OPS[name](pool_v[i], pool_v[j], c))
    # Summing every node makes each one feed two operations: forks everywhere.
    out_v = sum(pool_v[len(leaves) :], start=pool_v[-1])
    out_t = sum(pool_t[len(leaves) :], start=pool_t[-1])
    out_v.backward()
    out_t.backward()
    assert math.isclose(out_v.data, number(out_t), rel_tol=1e-9, abs_tol=1e-12)
    ours = np.array([v.grad for v in values])
    theirs = np.array([torch_grad(t) for t in tensors])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


UNARY_CASES = [
    ("exp", lambda a: a.exp(), [-3.0, 0.0, 2.5]),
    ("log", lambda a: a.log(), [0.1, 1.0, 7.0]),
    ("tanh", lambda a: a.tanh(), [-2.0, 0.0, 0.7]),
    ("relu", lambda a: a.relu(), [-1.5, 0.0, 2.0]),
    ("sigmoid", lambda a: a.sigmoid(), [-40.0, -1.0, 0.0, 3.0, 40.0]),
    ("neg", lambda a: -a, [-1.0, 2.0]),
    ("pow2", lambda a: a**2, [-1.5, 0.0, 2.0]),
    ("pow3_int", lambda a: a**3, [-1.5, 2.0]),
    ("pow_half", lambda a: a**0.5, [0.3, 4.0]),
    ("pow_minus1", lambda a: a**-1, [-2.0, 0.5]),
    ("pow_2.7", lambda a: a**2.7, [0.2, 1.9]),
]


@pytest.mark.parametrize(
    ("fn", "x"),
    [(fn, x) for _, fn, xs in UNARY_CASES for x in xs],
    ids=[f"{name}({x})" for name, _, xs in UNARY_CASES for x in xs],
)
def test_unary_operation_matches_torch(fn, x):
    v, t = Value(x), leaf_tensor(x)
    out_v, out_t = fn(v), fn(t)
    out_v.backward()
    out_t.backward()
    assert math.isclose(out_v.data, number(out_t), rel_tol=1e-12, abs_tol=1e-300)
    assert math.isclose(v.grad, torch_grad(t), rel_tol=1e-12, abs_tol=1e-300)


BINARY_CASES = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
@pytest.mark.parametrize(("x", "y"), [(1.5, -0.4), (-2.0, 3.0), (0.25, 0.25)])
def test_binary_operation_matches_torch(name, x, y):
    fn = BINARY_CASES[name]
    a, b = Value(x), Value(y)
    ta, tb = leaf_tensor(x), leaf_tensor(y)
    out_v, out_t = fn(a, b), fn(ta, tb)
    out_v.backward()
    out_t.backward()
    assert math.isclose(out_v.data, number(out_t), rel_tol=1e-12)
    np.testing.assert_allclose([a.grad, b.grad], [torch_grad(ta), torch_grad(tb)], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
@pytest.mark.parametrize("constant", [2, -0.5, np.float64(3.0)])
@pytest.mark.parametrize("side", ["left", "right"])
def test_plain_numbers_work_on_either_side(name, constant, side):
    fn = BINARY_CASES[name]
    v, t = Value(1.7), leaf_tensor(1.7)
    args_v = (constant, v) if side == "left" else (v, constant)
    args_t = (float(constant), t) if side == "left" else (t, float(constant))
    out_v, out_t = fn(*args_v), fn(*args_t)
    assert isinstance(out_v, Value)
    out_v.backward()
    out_t.backward()
    assert math.isclose(out_v.data, number(out_t), rel_tol=1e-12)
    assert math.isclose(v.grad, torch_grad(t), rel_tol=1e-12)


def test_sigmoid_from_primitive_ops_matches_torch():
    w, x = Value(0.5, "w"), Value(-1.2, "x")
    tw, tx = leaf_tensor(0.5), leaf_tensor(-1.2)
    out = 1 / (1 + (-(w * x)).exp())
    ref = 1 / (1 + torch.exp(-(tw * tx)))
    out.backward()
    ref.backward()
    assert math.isclose(out.data, number(ref), rel_tol=1e-12)
    assert math.isclose(w.grad, torch_grad(tw), rel_tol=1e-12)
    assert math.isclose(x.grad, torch_grad(tx), rel_tol=1e-12)


def test_gradients_add_up_where_a_value_is_used_twice():
    a, ta = Value(-1.3), leaf_tensor(-1.3)
    out, ref = a * a + a.tanh() * a, ta * ta + ta.tanh() * ta
    out.backward()
    ref.backward()
    assert math.isclose(a.grad, torch_grad(ta), rel_tol=1e-12)


def test_second_backward_accumulates_into_leaves_like_torch():
    a, b = Value(0.8), Value(-2.0)
    ta, tb = leaf_tensor(0.8), leaf_tensor(-2.0)
    hidden, t_hidden = a * b, ta * tb
    out, ref = hidden.exp() + a, t_hidden.exp() + ta
    t_hidden.retain_grad()
    for _ in range(2):
        out.backward()
        ref.backward(retain_graph=True)
    np.testing.assert_allclose([a.grad, b.grad], [torch_grad(ta), torch_grad(tb)], rtol=1e-12)
    # Intermediate nodes hold only the latest pass; torch's retained grad accumulates, so
    # compare with half of it.
    assert math.isclose(hidden.grad, number(t_hidden.grad) / 2, rel_tol=1e-12)
    assert out.grad == 1.0


def test_backward_handles_a_chain_deeper_than_the_recursion_limit():
    x = Value(0.5)
    total = x
    for _ in range(3000):
        total = total + x
    total.backward()
    assert x.grad == 3001.0


def test_repr_shows_data_and_grad():
    v = Value(0.7310585, label="s")
    v.grad = 0.1966119
    assert repr(v) == "Value(label='s', data=0.731, grad=0.197)"
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        ("1.0", TypeError, "data"),
        (None, TypeError, "data"),
        (True, TypeError, "data"),
        ([1.0], TypeError, "data"),
        (float("nan"), ValueError, "data"),
        (float("inf"), ValueError, "data"),
    ],
)
def test_constructor_rejects_non_real_or_non_finite_data(data, error, match):
    with pytest.raises(error, match=match):
        Value(data)


def test_constructor_rejects_a_non_string_label():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


def test_log_of_non_positive_data_names_the_operation():
    for x in (0.0, -1.0):
        with pytest.raises(ValueError, match="log"):
            Value(x).log()


def test_power_with_a_value_exponent_is_a_type_error():
    with pytest.raises(TypeError, match=r"\*\*"):
        Value(2.0) ** Value(3.0)


def test_fractional_power_of_a_negative_base_is_a_value_error():
    with pytest.raises(ValueError, match=r"\*\*"):
        Value(-2.0) ** 0.5


def test_operations_reject_non_numbers():
    with pytest.raises(TypeError, match=r"'\+'"):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match=r"'\*'"):
        [1.0] * Value(1.0)


def test_overflow_is_reported_instead_of_returning_inf():
    with pytest.raises(ValueError, match="exp"):
        Value(1000.0).exp()
    with pytest.raises(ValueError, match=r"'\*'"):
        Value(1e200) * Value(1e200)


def test_division_by_zero_raises():
    with pytest.raises(ZeroDivisionError, match="/"):
        Value(1.0) / Value(0.0)


# ----- drawing ---------------------------------------------------------------------------


def sigmoid_graph() -> tuple[Value, list[Value]]:
    w, x = Value(0.5, "w"), Value(-1.2, "x")
    out = 1 / (1 + (-(w * x)).exp())
    out.backward()
    return out, [w, x]


def test_draw_graph_has_one_box_per_value_and_one_circle_per_operation():
    out, (w, _) = sigmoid_graph()
    fig = draw_graph(out)
    try:
        assert isinstance(fig, matplotlib.figure.Figure)
        ax = fig.axes[0]
        boxes = [t.get_text() for t in ax.texts if t.get_gid() == "value"]
        circles = [t.get_text() for t in ax.texts if t.get_gid() == "op"]
        # w, x, w*x, -(w*x), exp, the constant 1 twice, 1 + exp, the output
        assert len(boxes) == 9
        assert len(circles) == 5  # *, neg, exp, +, /
        for node in out.topological_order():
            assert sum(f"data {node.data:.3g}" in text for text in boxes) >= 1
        assert f"w\ndata {w.data:.3g}\ngrad {w.grad:.3g}" in boxes
        assert ax.get_title()
    finally:
        plt.close(fig)
    assert not plt.fignum_exists(fig.number)


def test_draw_graph_without_grads_and_into_a_given_axes():
    out, _ = sigmoid_graph()
    fig, ax = plt.subplots()
    try:
        assert draw_graph(out, ax=ax, show_grad=False) is fig
        assert not any("grad" in t.get_text() for t in ax.texts)
    finally:
        plt.close(fig)


def test_layout_puts_every_node_right_of_its_operands():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    out = (c + a).tanh() - b.relu() + c
    boxes, circles, arrows = graph_layout(out)
    order = out.topological_order()
    x_of = {node: box[0] for node, box in zip(order, boxes, strict=True)}
    for node in order:
        for parent in node.parents:
            assert x_of[parent] < x_of[node]
    assert x_of[out] == max(x_of.values())
    assert len(circles) == sum(1 for node in order if node.parents)
    assert all(x1 > x0 for x0, _, x1, _, _ in arrows)


def test_draw_graph_rejects_a_non_value():
    with pytest.raises(TypeError, match="value"):
        draw_graph(3.0)


def test_from_op_builds_a_new_operation_that_matches_torch():
    def softplus(x):
        s = math.log1p(math.exp(x.data))
        sig = 1.0 / (1.0 + math.exp(-x.data))
        return Value.from_op(s, "softplus", (x,), lambda g: (g * sig,))

    x = Value(0.3)
    out = softplus(x) * x  # x used twice: the rule's gradient adds to the direct one
    out.backward()
    xt = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    (torch.nn.functional.softplus(xt) * xt).backward()
    assert out.op == "*" and out.parents[0].op == "softplus"
    assert math.isclose(x.grad, xt.grad.item(), rel_tol=1e-12)


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((1.0, 3, (), lambda g: ()), TypeError, "op must be a str"),
        ((1.0, "f", [Value(1.0)], lambda g: (g,)), TypeError, "parents must be a tuple"),
        ((1.0, "f", (2.0,), lambda g: (g,)), TypeError, "parents must be a tuple"),
        ((1.0, "f", (), None), TypeError, "local_rule must be callable"),
        (("1", "f", (), lambda g: ()), TypeError, "data must be a real number"),
        ((math.inf, "f", (Value(2.0),), lambda g: (g,)), ValueError, "'f' of \\(2\\) gives inf"),
    ],
)
def test_from_op_rejects_bad_arguments(args, error, match):
    with pytest.raises(error, match=match):
        Value.from_op(*args)


def test_local_rule_returning_the_wrong_number_of_gradients_is_named_in_the_error():
    a, b = Value(1.0), Value(2.0)
    out = Value.from_op(3.0, "bad", (a, b), lambda g: (g,))
    with pytest.raises(ValueError, match="'bad' returned 1 gradient\\(s\\) for 2 parent\\(s\\)"):
        out.backward()
