"""A scalar reverse-mode automatic differentiation engine (lecture 01, backpropagation).

Every arithmetic operation on a ``Value`` records where its result came from and a
*local rule*: given the gradient of the final output with respect to the result, return
the gradients with respect to the operands (the chain rule, one step). ``Value.backward``
visits the graph from the output back to the leaves and applies those rules in order.

Public names:
    Value: a float that remembers the computation that produced it.
    draw_graph: a matplotlib figure of the computational graph behind a ``Value``.
    graph_layout: the positions ``draw_graph`` uses (boxes, operation circles, arrows).

PyTorch counterpart: a 0-d ``torch.Tensor`` with ``requires_grad=True`` and
``tensor.backward()``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from course_lib._validation import check_real

if TYPE_CHECKING:
    import matplotlib.axes
    import matplotlib.figure

# A local rule maps the gradient arriving at a result to one gradient per operand.
LocalRule = Callable[[float], tuple[float, ...]]


class Value:
    """A scalar that records how it was computed, so gradients can flow back through it.

    Args:
        data: the number (any finite real; stored as a float).
        label: optional name shown by ``draw_graph`` (e.g. ``"w"``).

    Attributes:
        data: float, the value computed in the forward pass.
        grad: float, d(output)/d(this value) after ``output.backward()``; starts at 0.0.
        label: str, the optional name.
        op: str, the operation that produced this value (``""`` for a leaf).
        parents: tuple of the ``Value`` operands of that operation (empty for a leaf).

    Supports ``+ - * /`` with Values or plain numbers on either side, unary minus,
    ``v ** c`` for a constant int/float ``c``, and the methods ``exp``, ``log``, ``tanh``,
    ``relu``, ``sigmoid``.

    PyTorch counterpart: ``torch.tensor(data, dtype=torch.float64, requires_grad=True)``.
    """

    __slots__ = ("_local_rule", "data", "grad", "label", "op", "parents")

    def __init__(self, data: float, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        # A finite float (the common case) is stored as it is; anything else is checked.
        is_float = data.__class__ is float and math.isfinite(data)
        self.data = data if is_float else check_real(data, "data")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self._local_rule: LocalRule | None = None

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.3g}, grad={self.grad:.3g})"

    @staticmethod
    def from_op(data: float, op: str, parents: tuple[Value, ...], local_rule: LocalRule) -> Value:
        """The result of an operation, wired into the graph: how every op here is built.

        Args:
            data: the forward result (a finite real number).
            op: a short name for the operation, shown by ``draw_graph`` (e.g. ``"sin"``).
            parents: tuple of the operand Values, in order.
            local_rule: callable ``g -> tuple of floats``: given d(output)/d(result) = g,
                return d(output)/d(parent) for each parent, in the same order. This is one
                step of the chain rule; ``backward`` adds what it returns to each parent.

        Returns:
            a new Value with ``op``, ``parents`` and the rule attached.

        Example (a new operation, as in homework hw01)::

            def square(x):
                return Value.from_op(x.data**2, "square", (x,), lambda g: (g * 2 * x.data,))
        """
        if not isinstance(op, str):
            raise TypeError(f"op must be a str, got {type(op).__name__}")
        if not isinstance(parents, tuple) or not all(isinstance(p, Value) for p in parents):
            raise TypeError("parents must be a tuple of Value objects")
        if not callable(local_rule):
            raise TypeError(f"local_rule must be callable, got {type(local_rule).__name__}")
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"data must be a real number, got {type(data).__name__}")
        return _result(float(data), op, parents, local_rule)

    # ----- binary operations ------------------------------------------------------------

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other, "+")
        return _result(self.data + other.data, "+", (self, other), lambda g: (g, g))

    def __sub__(self, other: Value | float) -> Value:
        other = _as_value(other, "-")
        return _result(self.data - other.data, "-", (self, other), lambda g: (g, -g))

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other, "*")
        a, b = self.data, other.data
        return _result(a * b, "*", (self, other), lambda g: (g * b, g * a))

    def __truediv__(self, other: Value | float) -> Value:
        other = _as_value(other, "/")
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"'/' divides {a:g} by a Value whose data is 0")
        return _result(a / b, "/", (self, other), lambda g: (g / b, -g * a / (b * b)))

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value):
            raise TypeError("'**' needs a constant int or float exponent, got a Value")
        c = check_real(exponent, "exponent")
        x = self.data
        if x < 0 and not c.is_integer():
            raise ValueError(f"'**' of a negative base {x:g} needs an integer exponent, got {c}")
        if x == 0 and c < 0:
            raise ZeroDivisionError(f"'**' raises 0 to the negative power {c:g}")
        return _result(x**c, f"**{c:g}", (self,), lambda g: (g * c * x ** (c - 1),))

    # Reflected forms: Python calls these for `2 + v`, `2 - v`, `2 * v`, `2 / v`.
    def __radd__(self, other: float) -> Value:
        return _as_value(other, "+") + self

    def __rsub__(self, other: float) -> Value:
        return _as_value(other, "-") - self

    def __rmul__(self, other: float) -> Value:
        return _as_value(other, "*") * self

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other, "/") / self

    # ----- unary operations -------------------------------------------------------------

    def __neg__(self) -> Value:
        return _result(-self.data, "neg", (self,), lambda g: (-g,))

    def exp(self) -> Value:
        """e ** self; local derivative exp(x)."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"'exp' of {self.data:g} overflows a float64") from None
        return _result(e, "exp", (self,), lambda g: (g * e,))

    def log(self) -> Value:
        """Natural logarithm; local derivative 1 / x. Raises ValueError for data <= 0."""
        x = self.data
        if x <= 0:
            raise ValueError(f"'log' needs data > 0, got {x:g}")
        return _result(math.log(x), "log", (self,), lambda g: (g / x,))

    def tanh(self) -> Value:
        """Hyperbolic tangent; local derivative 1 - tanh(x)**2."""
        t = math.tanh(self.data)
        return _result(t, "tanh", (self,), lambda g: (g * (1.0 - t * t),))

    def relu(self) -> Value:
        """max(0, x); local derivative 1 for x > 0 and 0 otherwise (also at 0, like torch)."""
        x = self.data
        return _result(max(x, 0.0), "relu", (self,), lambda g: (g if x > 0 else 0.0,))

    def sigmoid(self) -> Value:
        """1 / (1 + exp(-x)); local derivative s * (1 - s)."""
        x = self.data
        # Two algebraically equal forms, so that exp never overflows for large |x|.
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return _result(s, "sigmoid", (self,), lambda g: (g * s * (1.0 - s),))

    # ----- backward pass ----------------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every Value this one depends on (and itself), each after all of its parents.

        Returns:
            list of Values; leaves come first and ``self`` is last.
        """
        order: list[Value] = []
        seen: set[Value] = set()
        # An explicit stack instead of recursion: long chains (a loss summed over many
        # examples) would exceed Python's recursion limit.
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in reversed(node.parents))
        return order

    def backward(self) -> None:
        """Fill ``.grad`` of every Value in the graph with d(self)/d(that value).

        Seeds ``self.grad`` with 1.0 and applies each local rule from the output back to
        the leaves. Where a Value feeds several operations (a fork), the gradients arriving
        along each path are added.

        Leaf gradients ACCUMULATE, as in PyTorch: calling ``backward()`` twice without
        setting the leaves' ``grad`` back to 0.0 doubles them. Intermediate Values are reset
        at the start of every call, so their ``grad`` always belongs to the latest pass.

        PyTorch counterpart: ``loss.backward()``.
        """
        order = self.topological_order()
        for node in order:
            if node.parents:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            parents = node.parents
            if parents:
                grads = node._local_rule(node.grad)
                if not isinstance(grads, tuple):
                    grads = tuple(grads)
                if len(grads) != len(parents):
                    raise ValueError(
                        f"the local rule of {node.op!r} returned {len(grads)} gradient(s) "
                        f"for {len(parents)} parent(s)"
                    )
                for parent, g in zip(parents, grads, strict=False):  # lengths checked above
                    parent.grad += float(g)


def _result(data: float, op: str, parents: tuple[Value, ...], local_rule: LocalRule) -> Value:
    """A new Value wired into the graph, for operands already checked (``from_op`` checks
    its arguments and then calls this; the operations of this module call it directly, so
    that an operation costs about what it costs in micrograd)."""
    if not math.isfinite(data):
        inputs = ", ".join(f"{p.data:g}" for p in parents)
        raise ValueError(f"{op!r} of ({inputs}) gives {data}, which is not finite")
    out = Value.__new__(Value)
    out.data, out.grad, out.label = data, 0.0, ""
    out.op, out.parents, out._local_rule = op, parents, local_rule
    return out


def _as_value(x: Any, op: str) -> Value:
    """Wrap a plain number as a leaf Value so operations can mix the two."""
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{op!r} needs a Value or a real number, got {type(x).__name__}")
    return Value(x)


# ----- drawing -------------------------------------------------------------------------

# Horizontal distance between layers and vertical distance between rows, in data units;
# plots.computational_graph draws boxes and circles sized for this grid.
_LAYER_WIDTH = 3.0
_ROW_HEIGHT = 1.35


def _layers(order: list[Value]) -> dict[Value, int]:
    """Layer (column) of each node: one more than its deepest parent.

    Leaves sit one layer before their first consumer, so a constant such as the ``1`` in
    ``1 + exp(z)`` appears next to where it is used instead of far to the left.
    """
    depth: dict[Value, int] = {}
    for node in order:  # parents come before their children
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    layer = {node: depth[node] for node in order if node.parents}
    for node in order:
        for p in node.parents:
            if not p.parents:
                layer[p] = min(layer.get(p, depth[node]), depth[node] - 1)
    layer.setdefault(order[-1], 0)  # the output is a lone leaf
    return layer


def _box_text(node: Value, show_grad: bool) -> str:
    lines = [node.label] if node.label else []
    lines.append(f"data {node.data:.3g}")
    if show_grad:
        lines.append(f"grad {node.grad:.3g}")
    return "\n".join(lines)


_OP_SYMBOLS = {"-": "\u2212", "*": "\u00d7", "/": "\u00f7", "neg": "\u2212x", "sigmoid": "\u03c3"}


def _op_symbol(op: str) -> str:
    """Short text for an operation's circle: ``*`` becomes ``×``, ``**2`` becomes ``^2``."""
    return "^" + op[2:] if op.startswith("**") else _OP_SYMBOLS.get(op, op)


def graph_layout(
    value: Value, *, show_grad: bool = True
) -> tuple[list[tuple[float, float, str]], list[tuple[float, float, str]], list[tuple]]:
    """Positions of the boxes, operation circles and arrows that depict ``value``'s graph.

    Args:
        value: the output Value.
        show_grad: include each node's ``grad`` in its box.

    Returns:
        ``(boxes, circles, arrows)``: boxes are ``(x, y, text)``, one per Value; circles are
        ``(x, y, symbol)``, one per operation, placed just left of the Value it produces;
        arrows are ``(x0, y0, x1, y1, kind)`` with kind ``"box->op"`` or ``"op->box"``.
        Leaves are on the left, the output on the right; within a layer nodes are ordered
        top to bottom by first appearance in the topological order.
    """
    if not isinstance(value, Value):
        raise TypeError(f"value must be a Value, got {type(value).__name__}")
    order = value.topological_order()
    layer = _layers(order)
    rows: dict[int, list[Value]] = {}
    for node in order:
        rows.setdefault(layer[node], []).append(node)
    position = {}
    for k, nodes in rows.items():
        for i, node in enumerate(nodes):
            position[node] = (k * _LAYER_WIDTH, ((len(nodes) - 1) / 2 - i) * _ROW_HEIGHT)

    boxes = [(*position[n], _box_text(n, show_grad)) for n in order]
    circles, arrows = [], []
    for node in order:
        if not node.parents:
            continue
        x, y = position[node]
        op_x = x - _LAYER_WIDTH / 2
        circles.append((op_x, y, _op_symbol(node.op)))
        arrows.append((op_x, y, x, y, "op->box"))
        arrows.extend((*position[p], op_x, y, "box->op") for p in dict.fromkeys(node.parents))
    return boxes, circles, arrows


def draw_graph(
    value: Value, *, ax: matplotlib.axes.Axes | None = None, show_grad: bool = True
) -> matplotlib.figure.Figure:
    """Draw the computational graph of ``value``: leaves on the left, output on the right.

    Each Value is a box with its label (if any), data and grad (3 significant digits);
    each operation is a small circle with its symbol. Call ``value.backward()`` first to
    see the gradients.

    Args:
        value: the output Value.
        ax: Axes to draw into; a new figure sized to the graph is made when None.
        show_grad: include each node's grad in its box.

    Returns:
        the matplotlib Figure holding the drawing (close it with ``plt.close(fig)``).
    """
    from course_lib import plots  # imported here so that autograd itself needs no matplotlib

    boxes, circles, arrows = graph_layout(value, show_grad=show_grad)
    ax = plots.computational_graph(boxes, circles, arrows, ax=ax)
    ax.set_title(f"computational graph of {value.label or 'the output'}")
    return ax.figure
