# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 01 — Backpropagation
#
# Training a network means moving its parameters θ against the gradient of a loss $L$. A
# network has thousands to billions of parameters, so the question of this lecture is:
# **how do we get every partial derivative of the loss at once, cheaply and correctly?**
# The answer is **backpropagation** (反向传播): one forward pass that stores intermediate
# values, then one backward pass that applies the chain rule from the output back to every
# parameter. We work it out by hand on small graphs, then *build* a scalar autograd engine
# in about forty lines, train a small network with it, and measure what storing the
# forward pass buys in time and costs in memory.
#
# 1. A linear model, exhaustive search and gradient descent
# 2. Why layers need a nonlinearity
# 3. The computational graph: forward pass and backward pass
# 4. A neuron as a circuit of gates
# 5. Build the engine: `Value` in forty lines
# 6. Train a small network with the engine
# 7. Matrix gradients by shape matching
# 8. A two-layer network, backward pass by hand
# 9. Numerical gradients: the reference for debugging
# 10. Why frameworks store the forward activations: time and memory
# 11. PyTorch's view: `requires_grad`, `.backward()`, `.grad`
# 12. The library version
# 13. Side note: smoothing a noisy loss curve
# 14. Takeaways, exercises and homework

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import functools
import math
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint_sequential

from course_lib import autograd, data, layers, losses, plots, saved_tensors
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.training import set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
plots.use_style()
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A linear model, exhaustive search and gradient descent
#
# Start with the smallest learning problem: three points $(x, y) = (1, 2), (2, 4), (3, 6)$
# and the **linear model** $\hat y = w x + b$. We judge a choice of $(w, b)$ by the
# **mean squared error** (MSE), the loss
#
# $$L(w, b) = \frac{1}{N}\sum_{n=1}^{N} (\hat y_n - y_n)^2 = \frac{1}{N}\sum_{n=1}^{N} (w x_n + b - y_n)^2 .$$
#
# The bluntest way to train is **exhaustive search** (穷举法): evaluate the loss on a grid
# of candidate values and keep the best. Here a grid of 41 × 41 pairs is enough.

# %%
x_data = np.array([1.0, 2.0, 3.0])
y_data = np.array([2.0, 4.0, 6.0])


def cost(w, b):
    """MSE of the model y_hat = w * x + b on the three points."""
    return np.mean((w * x_data + b - y_data) ** 2)


ws, bs = np.linspace(0.0, 4.0, 41), np.linspace(-2.0, 2.0, 41)
grid = np.array([[cost(w, b) for b in bs] for w in ws])
i, j = np.unravel_index(grid.argmin(), grid.shape)
print(f"best of {grid.size} pairs: w = {ws[i]:.1f}, b = {bs[j]:.1f}, loss = {grid[i, j]:.4f}")

# %% [markdown]
# The loss as a function of $w$ (for three fixed values of $b$) is a parabola. Its lowest
# point, at $b = 0$, is the answer. Exhaustive search is fine for two parameters; with a
# million parameters a grid of 41 values per axis would have $41^{10^6}$ points.

# %%
fig, ax = plt.subplots()
for k, shade in zip((10, 20, 30), plots.shades(3), strict=True):  # b = -1, 0, 1
    ax.plot(ws, grid[:, k], color=shade, label=f"b = {bs[k]:.0f}")
ax.plot(ws[i], grid[i, j], "o", color=plots.color("minimum"), label="best grid point")
ax.set(xlabel="w", ylabel="loss (MSE)", title="Exhaustive search: loss against w")
ax.legend()
plt.show()

# %% [markdown]
# **Gradient descent** replaces the grid by a walk downhill. The derivatives of the loss are
#
# $$\frac{\partial L}{\partial w} = \frac{2}{N}\sum_n (\hat y_n - y_n)\,x_n, \qquad
# \frac{\partial L}{\partial b} = \frac{2}{N}\sum_n (\hat y_n - y_n),$$
#
# and each step moves against them with a **learning rate** $\eta$:
# $w \leftarrow w - \eta\,\partial L/\partial w$, and the same for $b$.
# First we check the formulas against a **centered difference**
# $(f(w + h) - f(w - h)) / 2h$ at an arbitrary point (section 9 says more about this check).


# %%
def grad_cost(w, b):
    """(dL/dw, dL/db) of the MSE above."""
    residual = w * x_data + b - y_data
    return np.array([2 * np.mean(residual * x_data), 2 * np.mean(residual)])


point = np.array([0.5, 0.3])
numeric = numerical_gradient(lambda p: cost(p[0], p[1]), point)
err = rel_error(grad_cost(*point), numeric)
print(f"analytic gradient {grad_cost(*point)}, numerical {numeric}")
print(f"relative error: {format_bound(err, 1e-7)}")
assert err < 1e-7

# %% [markdown]
# Now run gradient descent from $w = b = 0$ with three learning rates. If $\eta$ is too
# large, each step overshoots the bottom of the valley by more than it started from, and
# the loss *diverges*. For this quadratic loss the limit is $\eta < 2/\lambda_{\max}$,
# where $\lambda_{\max}$ is the largest curvature (eigenvalue of the Hessian; lecture 02).


# %%
def gradient_descent(eta, epochs=60):
    """Full-batch gradient descent from w = b = 0; returns (w, b, loss per epoch)."""
    w, b, costs = 0.0, 0.0, []
    for _ in range(epochs):
        costs.append(cost(w, b))
        dw, db = grad_cost(w, b)
        w, b = w - eta * dw, b - eta * db
    return w, b, costs


runs = {eta: gradient_descent(eta) for eta in (0.02, 0.15, 0.25)}
hessian = 2 / 3 * np.array([[np.sum(x_data**2), np.sum(x_data)], [np.sum(x_data), 3.0]])
print(f"largest stable learning rate 2 / lambda_max = {2 / np.linalg.eigvalsh(hessian).max():.3f}")
for eta, (w, b, costs) in runs.items():
    print(f"eta = {eta}: w = {w:.4g}, b = {b:.4g}, loss after 60 epochs = {costs[-1]:.3g}")

# %%
curves = {f"eta = {eta}": costs for eta, (_, _, costs) in runs.items()}
loss_title = "Gradient descent: a too-large learning rate diverges"
plots.loss_curves(curves, ylabel="loss (MSE)", logy=True, title=loss_title)
plt.show()

# %% [markdown]
# A small $\eta$ is safe but slow, $\eta = 0.15$ gets close to the minimum quickly, and
# $\eta = 0.25$, above the limit printed above, makes the loss grow by a constant factor
# every epoch. A rising loss curve is the first thing to look for when training fails.
#
# ## 2. Why layers need a nonlinearity
#
# A network is a chain of layers. If each layer is only linear (an affine map
# $W x + b$), the chain collapses into a single layer:
#
# $$W_2 (W_1 x + b_1) + b_2 = \underbrace{W_2 W_1}_{W}\, x + \underbrace{W_2 b_1 + b_2}_{b} = W x + b .$$
#
# Depth would then add nothing. Numerically, with examples as the columns of $X$:

# %%
W1, b1 = rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
W2, b2 = rng.standard_normal((2, 4)), rng.standard_normal((2, 1))
X = rng.standard_normal((3, 5))  # 5 examples, 3 features each
two_layers = W2 @ (W1 @ X + b1) + b2
W, b = W2 @ W1, W2 @ b1 + b2
with_relu = W2 @ np.maximum(W1 @ X + b1, 0.0) + b2
diff = np.max(np.abs(two_layers - (W @ X + b)))
print(f"max |two linear layers - one layer Wx + b|: {format_bound(diff, 1e-12)}")
print(f"the same with a ReLU in between:          {np.max(np.abs(with_relu - (W @ X + b))):.4f}")
assert diff < 1e-12

# %% [markdown]
# An activation function (ReLU, sigmoid σ, tanh) between the layers breaks the collapse;
# that is what makes a deep network more expressive than a linear model.
#
# ## 3. The computational graph: forward pass and backward pass
#
# A **computational graph** writes a computation as nodes (values) joined by operations.
# Take one weight of a neuron with pre-activation $z = w_1 x_1 + w_2 x_2 + b$ and
# activation $a = \sigma(z)$. By the chain rule,
# $\dfrac{\partial L}{\partial w_1} = \dfrac{\partial z}{\partial w_1}\,\dfrac{\partial L}{\partial z}$.
#
# - **Forward pass**: $\partial z/\partial w_1 = x_1$, the *input* of the layer. It is known as
#   soon as the forward computation reaches the neuron.
# - **Backward pass**: $\partial L/\partial z$ depends on everything after the neuron. Say $a$
#   feeds two neurons $z' = w_3 a + b'$ and $z'' = w_4 a + b''$. Then
#
# $$\frac{\partial L}{\partial z} = \sigma'(z)\left[w_3 \frac{\partial L}{\partial z'} + w_4 \frac{\partial L}{\partial z''}\right].$$
#
# This is a *recursion*: once $\partial L/\partial z'$ and $\partial L/\partial z''$ are
# known, $\partial L/\partial z$ follows. So we start at the output and go backward, layer
# by layer, reusing the values stored in the forward pass. We check it on that network,
#
# ```
# x1, x2 ──> z ─σ─> a ──w3──> z'  ─σ─> y'   ──┐
#                     └──w4──> z'' ─σ─> y''  ──┴──> L = ½[(y' − t')² + (y'' − t'')²]
# ```


# %%
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


x1, x2, t1, t2 = 1.0, -2.0, 1.0, 0.0  # inputs and targets
p = {"w1": 0.5, "w2": -0.3, "b": 0.1, "w3": 0.8, "w4": -1.2, "b3": 0.2, "b4": -0.1}
# forward pass: store every z and a
z = p["w1"] * x1 + p["w2"] * x2 + p["b"]
a = sigmoid(z)
z_p, z_pp = p["w3"] * a + p["b3"], p["w4"] * a + p["b4"]  # z' and z''
y_p, y_pp = sigmoid(z_p), sigmoid(z_pp)
loss_small = 0.5 * ((y_p - t1) ** 2 + (y_pp - t2) ** 2)
print(f"z = {z:.4f}, a = {a:.4f}, z' = {z_p:.4f}, z'' = {z_pp:.4f}, L = {loss_small:.4f}")

# %% [markdown]
# Backward pass: the output layer first ($\partial L/\partial z' = \sigma'(z')\,(y' - t')$,
# with $\sigma'(z) = \sigma(z)(1 - \sigma(z))$), then the recursion, then each weight
# gradient = (input of its layer) × ($\partial L/\partial z$ of its neuron). PyTorch's
# `torch.autograd` must agree:

# %%
dL_dz_p = y_p * (1 - y_p) * (y_p - t1)
dL_dz_pp = y_pp * (1 - y_pp) * (y_pp - t2)
dL_dz = a * (1 - a) * (p["w3"] * dL_dz_p + p["w4"] * dL_dz_pp)  # the recursion
by_hand = {
    "w1": x1 * dL_dz, "w2": x2 * dL_dz, "b": dL_dz,
    "w3": a * dL_dz_p, "w4": a * dL_dz_pp, "b3": dL_dz_p, "b4": dL_dz_pp,
}  # fmt: skip
print("by hand: " + ", ".join(f"dL/d{k} = {v:.5f}" for k, v in by_hand.items()))
tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
a_t = torch.sigmoid(tp["w1"] * x1 + tp["w2"] * x2 + tp["b"])
y_p_t = torch.sigmoid(tp["w3"] * a_t + tp["b3"])
y_pp_t = torch.sigmoid(tp["w4"] * a_t + tp["b4"])
(0.5 * ((y_p_t - t1) ** 2 + (y_pp_t - t2) ** 2)).backward()
err = max(abs(by_hand[k] - tp[k].grad.item()) for k in p)
print(f"max |recursion by hand - torch.autograd| over the 7 parameters: {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# ## 4. A neuron as a circuit of gates
#
# A neuron with two inputs computes $f = \sigma(w_0 x_0 + w_1 x_1 + w_2)$: the sigmoid of a
# weighted sum plus a bias $w_2$. Take the example of the CS231n notes, $w = (2, -3, -3)$
# and $x = (-1, -2)$, and split $f$ into **gates**, primitive operations each with a
# **local derivative** that needs only its own inputs and output:
#
# | gate | forward | local derivative |
# |---|---|---|
# | two products | $p_0 = w_0 x_0$, $p_1 = w_1 x_1$ | $\partial p_0/\partial w_0 = x_0$, $\partial p_0/\partial x_0 = w_0$ (same for $p_1$) |
# | sum | $s = p_0 + p_1 + w_2$ | $1$ for each input |
# | negation | $n = -s$ | $-1$ |
# | exponential | $e = \exp(n)$ | $e$ (the stored output) |
# | shift | $d = 1 + e$ | $1$ |
# | reciprocal | $f = 1 / d$ | $-1/d^2$ |
#
# The backward pass starts with $\partial f/\partial f = 1$ and multiplies the local
# derivatives from the output back to the inputs. The five gates after the sum together
# have the derivative $\sigma'(s) = \sigma(s)(1 - \sigma(s))$, which the cell checks. By hand:

# %%
w0, w1, w2, x0, x1 = 2.0, -3.0, -3.0, -1.0, -2.0
s = w0 * x0 + w1 * x1 + w2  # forward pass, keeping every intermediate value
n = -s
e = math.exp(n)
d = 1.0 + e
f = 1.0 / d
df_dd = -1.0 / d**2  # backward pass, from the output to the inputs
df_de = df_dd * 1.0
df_dn = df_de * e
df_ds = df_dn * -1.0  # the sum gate hands this on to each of its three inputs
by_hand = {"w0": df_ds * x0, "w1": df_ds * x1, "w2": df_ds, "x0": df_ds * w0, "x1": df_ds * w1}
print(f"f = {f:.4f}, df/ds = {df_ds:.4f}, sigma(s)(1 - sigma(s)) = {f * (1 - f):.4f}")
print("by hand: " + ", ".join(f"df/d{k} = {v:.3f}" for k, v in by_hand.items()))
assert abs(df_ds - f * (1 - f)) < 1e-12

# %% [markdown]
# ## 5. Build the engine: `Value` in forty lines
#
# Every gate did two things: compute its output (forward), and remember its local
# derivatives so that it can later apply its **local rule**: pass *upstream gradient ×
# local derivative* back to each input. An autograd engine does that for every operation,
# automatically. Our `Value` wraps one number. Each operation returns a new `Value` that
# stores its `parents` (the operands) and its `local_grads`
# ($\partial\,\text{result}/\partial\,\text{parent}$). Plain numbers are wrapped as
# `Value`s too, so `2 * v` and `v + 1` work. Three operations (`+`, `*`, `tanh`) are enough
# to start:


# %%
class Value:
    """A number that remembers how it was computed: its parents and d(self)/d(parent)."""

    def __init__(self, data, parents=(), local_grads=()):
        self.data, self.grad = float(data), 0.0
        self.parents, self.local_grads = parents, local_grads

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    __radd__, __rmul__ = __add__, __mul__  # for 2 + v and 2 * v


# %% [markdown]
# The backward pass needs an order in which every node comes after its parents: a
# **topological order**, found by a depth-first walk from the output. `backward` sets
# $\partial\,\text{out}/\partial\,\text{out} = 1$ and visits the order in reverse. Each
# node passes `local * node.grad` to each parent: local derivatives *multiply* along a
# chain. Where a value is used twice (a **fork**), `+=` *adds* what arrives along each
# path. In short, *sum at forks, multiply along layers* (分叉相加，分层相乘). As in
# PyTorch, gradients accumulate: reset them before a second backward pass.


# %%
def backward(self):
    """Set .grad of every Value that self depends on to d(self)/d(that Value)."""
    order, seen = [], set()

    def visit(node):  # depth first: a node is appended after all of its parents
        if node not in seen:
            seen.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)

    visit(self)
    self.grad = 1.0
    for node in reversed(order):  # from the output back to the leaves
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            parent.grad += local * node.grad  # chain rule; += sums the paths at a fork


Value.backward = backward
Value.__sub__ = lambda self, other: self + (-1.0) * other  # a - b = a + (-1) b: no new rule

# %% [markdown]
# In $g = \tanh(ab + a)$ the input $a$ is used twice, so by the two rules
# $\partial g/\partial a = (1 - g^2)(b + 1)$. The course's library has the same engine,
# `course_lib.autograd.Value` (with more operations and input checks), and PyTorch has its
# own. All three must agree:


# %%
def fork(a, b):
    return (a * b + a).tanh()


a0, b0 = 0.5, -2.0
leaves = {
    "ours": [Value(a0), Value(b0)],
    "course_lib": [autograd.Value(a0), autograd.Value(b0)],
    "torch": [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a0, b0)],
}
for pair in leaves.values():
    fork(*pair).backward()
grads = {name: np.array([float(v.grad) for v in pair]) for name, pair in leaves.items()}
rule = (1 - math.tanh(a0 * b0 + a0) ** 2) * (b0 + 1)  # (1 - g^2)(b + 1)
errs = [abs(grads["ours"][0] - rule)]
errs += [np.max(np.abs(grads["ours"] - grads[k])) for k in ("course_lib", "torch")]
print(f"dg/da = {grads['ours'][0]:.6f} (rule: {rule:.6f}), dg/db = {grads['ours'][1]:.6f}")
print(f"max |ours - rule|, |ours - course_lib|, |ours - torch|: {format_bound(max(errs), 1e-12)}")
assert max(errs) < 1e-12

# %% [markdown]
# A new operation is a forward formula plus its local derivatives. The circuit of section 4
# needs `sigmoid`, with local derivative $s(1 - s)$; the gate patterns below need `maximum`.
# One `sigmoid` node replaces the five gates after the sum: frameworks *fuse* common
# operations this way. The engine must reproduce the hand computation and PyTorch:


# %%
def sigmoid_op(self):
    s = 1.0 / (1.0 + math.exp(-self.data))
    return Value(s, (self,), (s * (1.0 - s),))


def maximum(self, other):
    first = self.data > other.data  # which input wins
    return Value(max(self.data, other.data), (self, other), (float(first), float(not first)))


Value.sigmoid, Value.maximum = sigmoid_op, maximum


# %%
def circuit(w0, w1, w2, x0, x1):
    return (w0 * x0 + w1 * x1 + w2).sigmoid()


inputs = {"w0": w0, "w1": w1, "w2": w2, "x0": x0, "x1": x1}
ours = {k: Value(v) for k, v in inputs.items()}
theirs = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in inputs.items()}
circuit(**ours).backward()
circuit(**theirs).backward()
err_hand = max(abs(ours[k].grad - by_hand[k]) for k in inputs)
err_torch = max(abs(ours[k].grad - theirs[k].grad.item()) for k in inputs)
print("engine: " + ", ".join(f"df/d{k} = {v.grad:.3f}" for k, v in ours.items()))
print(f"max |engine - by hand| {format_bound(err_hand, 1e-12)}, "
      f"max |engine - torch| {format_bound(err_torch, 1e-12)}")  # fmt: skip
assert err_hand < 1e-12 and err_torch < 1e-12

# %% [markdown]
# `course_lib.autograd.draw_graph` draws the library engine's graph of the same circuit,
# built from the primitive gates of section 4, with each node's value (`data`) and gradient
# (`grad`). The constants `1` appear as leaves of their own:

# %%
lib = {k: autograd.Value(v, label=k) for k, v in inputs.items()}
nodes = {"p0": lib["w0"] * lib["x0"], "p1": lib["w1"] * lib["x1"]}
nodes["s"] = nodes["p0"] + nodes["p1"] + lib["w2"]
nodes["n"] = -nodes["s"]
nodes["e"] = nodes["n"].exp()
nodes["d"] = 1 + nodes["e"]
nodes["f"] = 1 / nodes["d"]
for label, node in nodes.items():
    node.label = label
nodes["f"].backward()
autograd.draw_graph(nodes["f"])
plt.show()

# %% [markdown]
# Read the gradients off the drawing and three patterns appear, which make any circuit
# easy to differentiate in your head. Call $g$ the gradient arriving at a gate's output:
#
# | gate | forward | gradient to the inputs | pattern |
# |---|---|---|---|
# | add | $a + b$ | $g$, $g$ | *distributes* $g$ unchanged to every input |
# | multiply | $a b$ | $g b$, $g a$ | *swaps* the inputs, scaled by $g$ |
# | max | $\max(a, b)$ | $g$ to the larger input, $0$ to the other | *routes* $g$ to the winner |
#
# In the circuit the sum gave the same $\partial f/\partial s$ to $p_0$, $p_1$ and $w_2$,
# and the product $w_0 x_0$ gave $w_0$ the value of $x_0$ and $x_0$ the value of $w_0$,
# both times $\partial f/\partial s$. Each pattern, checked with the engine and with
# centered differences:

# %%
gates = {  # name: (the gate on Values, the same gate on floats, the pattern)
    "add": (Value.__add__, float.__add__, lambda a, b, g: (g, g)),
    "multiply": (Value.__mul__, float.__mul__, lambda a, b, g: (g * b, g * a)),
    "max": (Value.maximum, max, lambda a, b, g: (g * (a > b), g * (b > a))),
}
a0, b0, upstream = 1.5, -0.5, -2.0  # two inputs and the gradient arriving from above
err = 0.0
for name, (gate, float_gate, pattern) in gates.items():
    a, b = Value(a0), Value(b0)
    (gate(a, b) * upstream).backward()
    numeric = numerical_gradient(lambda v, f=float_gate: upstream * f(*v), np.array([a0, b0]))
    expected = np.array(pattern(a0, b0, upstream), dtype=float) + 0.0  # + 0.0: no "-0.0"
    err = max(err, np.abs([a.grad, b.grad] - expected).max(), np.abs(numeric - expected).max())
    print(f"{name:8s} a = {a0}, b = {b0}, g = {upstream}: gradients to (a, b) {expected}")
print(f"engine and centered differences agree with every pattern: {format_bound(err, 1e-8)}")
assert err < 1e-8

# %% [markdown]
# ## 6. Train a small network with the engine
#
# Nothing in `Value` knows about networks: a network is a longer expression. We classify
# the *two moons* (`course_lib.data.make_moons`: two interleaving half circles that no
# straight line separates) with a 2-8-1 network: 2 inputs, 8 tanh hidden units and one tanh
# output unit whose sign is the predicted class. The loss is the MSE between the outputs and
# the targets $t = \pm 1$. The sizes are chosen for pure Python: $N = 60$ standardized
# points, every weight and bias a `Value`, and 30 steps of full-batch gradient descent with
# $\eta = 0.5$; each step builds and differentiates a graph of thousands of `Value`s.

# %%
X_raw, y_moons = data.make_moons(60, noise=0.1, seed=0)
X_new_raw, y_new = data.make_moons(1000, noise=0.1, seed=1)  # fresh points, for testing only
X_moons, X_new, _, _ = data.standardize(X_raw, X_new_raw)  # statistics of the 60 training points
points, targets = X_moons.tolist(), [2.0 * c - 1.0 for c in y_moons.tolist()]  # t = -1 or +1
init = np.random.default_rng(0)


def new_layer(n_in, n_out, std):
    """n_out neurons, each a list of n_in weights and then a bias, all engine Values."""
    rows = [[Value(init.normal(0.0, std)) for _ in range(n_in)] for _ in range(n_out)]
    return [[*row, Value(0.0)] for row in rows]


net = [new_layer(2, 8, std=1.4), new_layer(8, 1, std=0.35)]
parameters = [p for layer in net for neuron in layer for p in neuron]


# %%
def mlp(x):
    """The network's output for one point x (a list of two floats), as a Value."""
    h = x
    for layer in net:  # zip stops after the weights; neuron[-1] is the bias
        h = [
            sum((w * v for w, v in zip(neuron, h, strict=False)), neuron[-1]).tanh()
            for neuron in layer
        ]
    return h[0]


def mse_loss():
    """(MSE over the 60 points as a Value, the outputs)."""
    outputs = [mlp(x) for x in points]
    return sum((o - t) * (o - t) for o, t in zip(outputs, targets, strict=True)) * (1 / 60), outputs


def weights():
    """The current weights as arrays, one (n_out, n_in + 1) array per layer (bias last)."""
    return [np.array([[p.data for p in neuron] for neuron in layer]) for layer in net]


# %% [markdown]
# Before training, the engine's gradient of the loss must match PyTorch's for every
# parameter (the same network written with tensors):

# %%
loss, _ = mse_loss()
loss.backward()
torch_weights = [torch.tensor(W, requires_grad=True) for W in weights()]
h = torch.tensor(X_moons)
for W in torch_weights:
    h = torch.tanh(h @ W[:, :-1].T + W[:, -1])
torch.mean((h[:, 0] - torch.tensor(targets)) ** 2).backward()
torch_grads = torch.cat([W.grad.ravel() for W in torch_weights]).numpy()
err = np.max(np.abs(np.array([p.grad for p in parameters]) - torch_grads))
print(
    f"max |engine - torch.autograd| over the {len(parameters)} gradients: {format_bound(err, 1e-12)}"
)
assert err < 1e-12

# %%
# NBVAL_IGNORE_OUTPUT
start, history = time.perf_counter(), []
for _ in range(30):
    loss, outputs = mse_loss()
    for p in parameters:
        p.grad = 0.0  # gradients accumulate: reset them before every backward pass
    loss.backward()
    for p in parameters:
        p.data -= 0.5 * p.grad  # a gradient-descent step with eta = 0.5
    history.append(loss.data)
print(f"30 training steps with the engine took {time.perf_counter() - start:.1f} s")


# %% [markdown]
# To draw the decision regions we need the network on tens of thousands of grid points, so
# `predict` runs the trained weights through NumPy (no gradients needed). It must agree with
# the engine on the training points:


# %%
def predict(P):
    """Class (0 or 1) of each row of P, shape (M, 2), with the trained weights."""
    h = P
    for W in weights():
        h = np.tanh(h @ W[:, :-1].T + W[:, -1])
    return (h[:, 0] > 0).astype(int)


_, outputs = mse_loss()
same = np.array_equal(predict(X_moons), [int(o.data > 0) for o in outputs])
train_acc, test_acc = np.mean(predict(X_moons) == y_moons), np.mean(predict(X_new) == y_new)
assert same and history[-1] < history[0] / 3 and train_acc >= 0.9 and test_acc >= 0.85
print("NumPy predictions = engine predictions; the loss fell below a third of its start ✓")
print("accuracy >= 0.9 on the 60 training points and >= 0.85 on 1000 new points ✓")

# %%
fig, (ax_loss, ax_regions) = plt.subplots(1, 2, figsize=(11, 4.2))
plots.loss_curves({"train": history}, xlabel="gradient-descent step", ylabel="loss (MSE)",
                  title="The engine trains a 2-8-1 network", ax=ax_loss)  # fmt: skip
plots.decision_boundary(predict, X_moons, y_moons, title="Decision regions", ax=ax_regions)
ax_regions.set(xlabel="$x_1$ (standardized)", ylabel="$x_2$ (standardized)")
plt.show()

# %% [markdown]
# The boundary bends around both moons, which no linear model could do (section 2). The
# engine is complete in principle; what it lacks is speed, because every scalar is a
# Python object. From now on we work with whole matrices, as frameworks do.
#
# ## 7. Matrix gradients by shape matching
#
# For $D = W X$ with $W$ of shape (5, 10) and $X$ of shape (10, 3) (examples are the
# *columns* of $X$), suppose the backward pass has delivered $dD = \partial L/\partial D$,
# shaped like $D$, (5, 3). Each gradient has the shape of what it is the gradient of, and
# only one product of $dD$ with $X$ or $W$ has that shape — **shape matching**:
#
# $$dW = dD\, X^\top \quad (5{\times}3)(3{\times}10) = (5{\times}10), \qquad
# dX = W^\top dD \quad (10{\times}5)(5{\times}3) = (10{\times}3).$$
#
# To check, take the scalar $L = \sum_{ij} D_{ij} G_{ij}$ for a fixed random $G$, whose
# $dD$ is exactly $G$, and compare with `numerical_gradient`:

# %%
W = rng.standard_normal((5, 10))
X = rng.standard_normal((10, 3))
G = rng.standard_normal((5, 3))  # plays the role of dL/dD
dW, dX = G @ X.T, W.T @ G
err_W = rel_error(dW, numerical_gradient(lambda W_: np.sum((W_ @ X) * G), W))
err_X = rel_error(dX, numerical_gradient(lambda X_: np.sum((W @ X_) * G), X))
print(f"relative error of dW = dD X^T and dX = W^T dD: {format_bound(max(err_W, err_X), 1e-7)}")
assert err_W < 1e-7 and err_X < 1e-7

# %% [markdown]
# `course_lib.layers.Linear` (like PyTorch, whose batches hold one example per row) uses *rows*:
# `out = x @ W + b` with `x` of shape (N, in) and `W` of shape (in, out). The rule is the
# same, transposed: $dW = x^\top\, d\text{out}$, $dx = d\text{out}\, W^\top$, and
# $db = \sum_i d\text{out}_i$. Section 12 loads our weights into the library's layers
# and compares the gradients.

# %% [markdown]
# ## 8. A two-layer network, backward pass by hand
#
# The network of this section (rows are examples, as in `Linear`) is
#
# $$a = X W_1 + b_1,\quad h = \mathrm{ReLU}(a),\quad s = h W_2 + b_2,\quad
# p_{ij} = \frac{e^{s_{ij}}}{\sum_k e^{s_{ik}}},$$
#
# $$L = -\frac{1}{N}\sum_{i=1}^N \log p_{i y_i} + \lambda\left(\sum W_1^2 + \sum W_2^2\right).$$
#
# The **L2 regularisation** convention here is $\lambda$ times the plain sum of squares
# (no factor ½), so it adds $2\lambda W$ to each weight gradient and nothing to the biases.
# Walking back from the loss, with $Y$ the one-hot labels:
#
# $$ds = \frac{P - Y}{N},\quad dW_2 = h^\top ds + 2\lambda W_2,\quad db_2 = \textstyle\sum_i ds_i,\quad
# dh = ds\, W_2^\top,$$
#
# $$da = dh \odot [a > 0],\quad dW_1 = X^\top da + 2\lambda W_1,\quad db_1 = \textstyle\sum_i da_i .$$
#
# The softmax gradient $p_{ij} - [j = y_i]$ comes from
# $-\log p_{iy_i} = \log\sum_k e^{s_{ik}} - s_{iy_i}$; ReLU passes the gradient where its
# input was positive and blocks it elsewhere; the $1/N$ is applied once, in $ds$, and
# every later sum over examples inherits it. The forward pass keeps $a$, $h$ and $p$ in a
# *cache*, because the backward pass needs them.


# %%
def forward_pass(params, X, y, reg):
    """Loss of X -> affine -> ReLU -> affine -> softmax loss + L2, and the cache (a, h, p)."""
    a = X @ params["W1"] + params["b1"]
    h = np.maximum(a, 0.0)
    s = h @ params["W2"] + params["b2"]
    p = np.exp(s - s.max(axis=1, keepdims=True))  # shift: no overflow, same softmax
    p /= p.sum(axis=1, keepdims=True)
    data_loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    return data_loss + reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2)), (a, h, p)


def backward_pass(params, X, y, reg, cache):
    """Gradients of the loss with respect to W1, b1, W2, b2, from the stored (a, h, p)."""
    a, h, p = cache
    ds = p.copy()
    ds[np.arange(len(y)), y] -= 1.0
    ds /= len(y)
    da = (ds @ params["W2"].T) * (a > 0)
    return {"W1": X.T @ da + 2 * reg * params["W1"], "b1": da.sum(axis=0),
            "W2": h.T @ ds + 2 * reg * params["W2"], "b2": ds.sum(axis=0)}  # fmt: skip


# %% [markdown]
# A small instance: $N = 5$ examples, $D = 4$ features, $H = 6$ hidden units, $C = 3$
# classes, $\lambda = 0.05$. First the **numerical gradient** (centered differences on every
# entry of every parameter), then `torch.autograd` in float64:

# %%
N, D, H, C = 5, 4, 6, 3
reg = 0.05
X, y = rng.standard_normal((N, D)), rng.integers(0, C, size=N)
params = {"W1": 0.5 * rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
          "W2": 0.5 * rng.standard_normal((H, C)), "b2": 0.1 * rng.standard_normal(C)}  # fmt: skip
loss, cache = forward_pass(params, X, y, reg)
grads = backward_pass(params, X, y, reg, cache)
err = max(
    rel_error(grads[k], numerical_gradient(lambda _: forward_pass(params, X, y, reg)[0], params[k]))
    for k in params
)
print(f"loss = {loss:.6f}")
print(f"max relative error of dW1, db1, dW2, db2 vs numerical gradient: {format_bound(err, 1e-7)}")
assert err < 1e-7

# %%
X_t, y_t = torch.tensor(X), torch.tensor(y)


def torch_loss(W1, b1, W2, b2):
    """The same loss written with torch operations (used again by gradcheck below)."""
    s = torch.relu(X_t.to(W1.dtype) @ W1 + b1) @ W2 + b2
    return F.cross_entropy(s, y_t) + reg * ((W1**2).sum() + (W2**2).sum())


inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in params.values()]
loss_t = torch_loss(*inputs)
loss_t.backward()
err = max(rel_error(grads[k], t.grad) for k, t in zip(params, inputs, strict=True))
print(f"|loss - torch loss|: {format_bound(abs(loss - loss_t.item()), 1e-12)}, "
      f"max relative error vs torch.autograd: {format_bound(err, 1e-12)}")  # fmt: skip
assert abs(loss - loss_t.item()) < 1e-12 and err < 1e-12

# %% [markdown]
# ## 9. Numerical gradients: the reference for debugging
#
# The centered difference
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
#
# has error $O(h^2)$ and needs nothing but the function. It is *slow*: two evaluations of
# $f$ per parameter, so $2P$ forward passes for $P$ parameters, where backprop needs one
# forward and one backward pass. We never train with it; we use it to *debug* a
# hand-written backward pass on a tiny problem. Judge the match with the **relative error**
# $\max|a - b| / \max(|a| + |b|)$ (`rel_error`): in float64, about $10^{-7}$ or less means
# correct; above $10^{-3}$ is almost certainly a bug.
#
# A classic slip is dividing by $N$ twice, for example once in $ds$ and again in $db_2$.
# The check catches it at once:

# %%
buggy = backward_pass(params, X, y, reg, cache)
buggy["b2"] = buggy["b2"] / N  # the bug: the 1/N is already inside ds
numeric_b2 = numerical_gradient(lambda _: forward_pass(params, X, y, reg)[0], params["b2"])
print(f"db2 with the bug: relative error {rel_error(buggy['b2'], numeric_b2):.2f}")
print(f"db2 correct:      relative error {format_bound(rel_error(grads['b2'], numeric_b2), 1e-7)}")
assert rel_error(grads["b2"], numeric_b2) < 1e-7 < rel_error(buggy["b2"], numeric_b2)

# %% [markdown]
# PyTorch ships the same check as `torch.autograd.gradcheck(func, inputs)`: it compares the
# analytic Jacobian of `func` with finite differences (step `eps=1e-6`) and returns `True`
# or raises an error. It needs `float64` inputs:

# %%
inputs = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in params.values())
print(f"gradcheck in float64: {torch.autograd.gradcheck(torch_loss, inputs)}")

# %% [markdown]
# Why not float32? It keeps only about 7 significant digits: near the loss value of this
# network the gap between neighbouring float32 numbers, `np.spacing`, is the power of two
# that the cell below prints. With $h = 10^{-6}$ the difference $f(x+h) - f(x-h)$ is only a
# few such gaps, so the numerical derivative can only take multiples of
# $\text{gap}/(2h)$ — far too coarse for these gradients. The same check in float32 fails
# (PyTorch also warns; we silence the warning and print the error's first line):

# %%
gap = float(np.spacing(np.float32(loss)))
print(f"float32 gap near the loss {loss:.3f}: 2^{np.log2(gap):.0f}; "
      f"resolution of a centered difference with h = 1e-6: {gap / 2e-6:.3f}")  # fmt: skip
inputs32 = tuple(torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in params.values())
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.autograd.gradcheck(torch_loss, inputs32)
    print("float32 gradcheck passed")
except RuntimeError as error:  # torch's GradcheckError is a RuntimeError
    print(f"float32 gradcheck failed: {str(error).splitlines()[0]}")

# %% [markdown]
# **Forward mode and reverse mode.** Backpropagation is **reverse-mode** automatic
# differentiation: one backward pass computes a *vector–Jacobian product* $u^\top J$, and
# for a scalar loss ($u = 1$) that is the whole gradient, all $P$ partial derivatives at
# once. **Forward-mode** differentiation carries derivatives along with the forward
# computation instead: one pass computes a *Jacobian–vector product* $Jv$, the derivative
# of the loss along one direction $v$. With $v = e_i$ that is one partial derivative, so
# the gradient takes $P$ forward-mode passes: exact, unlike finite differences ($2P$
# passes), but as many. PyTorch has both: `loss.backward()`, and dual tensors in
# `torch.autograd.forward_ad`. Forward mode pays off for functions with few inputs and many
# outputs; a loss has many inputs and one output.
#
# We get all $P$ partial derivatives of the section-8 network three ways, for 2, 6 and 18
# hidden units, and count the passes each method makes through the loss.


# %%
def seconds(fn, repeat):
    """Best wall-clock time of `repeat` calls of fn()."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


passes = [0]  # calls of flat_loss, one forward pass each


def flat_loss(theta, shapes):
    """The section-8 loss of one parameter vector theta, cut into W1, b1, W2, b2 of `shapes`."""
    passes[0] += 1
    parts = torch.split(theta, [math.prod(shape) for shape in shapes])
    return torch_loss(*(part.view(shape) for part, shape in zip(parts, shapes, strict=True)))


# %%
def by_differences(theta, shapes):
    f = lambda v: flat_loss(torch.from_numpy(v), shapes).item()  # noqa: E731
    return numerical_gradient(f, theta.numpy().copy())  # 2 passes per parameter


def by_forward_mode(theta, shapes):
    fwd, partials = torch.autograd.forward_ad, []
    for e in torch.eye(len(theta), dtype=torch.float64):  # one pass per direction e_i
        with fwd.dual_level():  # theta carries the tangent e through the pass
            loss = flat_loss(fwd.make_dual(theta, e), shapes)
            partials.append(fwd.unpack_dual(loss).tangent.item())
    return np.array(partials)


# %%
def by_reverse_mode(theta, shapes):
    theta = theta.clone().requires_grad_()
    flat_loss(theta, shapes).backward()  # one forward pass, then one backward pass
    return theta.grad.numpy()


methods = {"finite differences": by_differences, "forward mode": by_forward_mode,
           "reverse mode": by_reverse_mode}  # fmt: skip


# %%
# NBVAL_IGNORE_OUTPUT
timing, counts, gradients = {}, {}, {}
warm_up = [(D, 2), (2,), (2, C), (C,)]  # the first forward-mode pass sets up its machinery
by_forward_mode(torch.zeros(8 * 2 + 3, dtype=torch.float64), warm_up)
for hidden in (2, 6, 18):
    shapes = [(D, hidden), (hidden,), (hidden, C), (C,)]
    theta = torch.from_numpy(0.5 * rng.standard_normal(sum(math.prod(s) for s in shapes)))
    P = len(theta)
    for name, method in methods.items():
        passes[0], start = 0, time.perf_counter()
        gradients[name, P] = method(theta, shapes)
        timing[name, P], counts[name, P] = time.perf_counter() - start, passes[0]
        if counts[name, P] == 1:  # one pass is too quick to time once: best of 20
            timing[name, P] = seconds(lambda m=method, t=theta, s=shapes: m(t, s), 20)
    print(f"P = {P:4d}: " + ", ".join(f"{n} {timing[n, P]:.1e} s" for n in methods))

# %%
Ps = sorted({P for _, P in counts})
print("passes through the loss for all P partial derivatives:")
for P in Ps:
    print(f"P = {P:4d}: " + ", ".join(f"{n} {counts[n, P]}" for n in methods))
exact = {P: gradients["reverse mode", P] for P in Ps}
err_fwd = max(np.abs(gradients["forward mode", P] - exact[P]).max() for P in Ps)
err_fd = max(rel_error(gradients["finite differences", P], exact[P]) for P in Ps)
print(f"forward vs reverse mode: max difference {format_bound(err_fwd, 1e-12)}; "
      f"finite differences: relative error {format_bound(err_fd, 1e-7)}")  # fmt: skip
assert (
    all([counts[n, P] for n in methods] == [2 * P, P, 1] for P in Ps)
    and err_fwd < 1e-12
    and err_fd < 1e-7
)

# %%
fig, ax = plt.subplots()
for i, name in enumerate(methods):
    ax.loglog(Ps, [timing[name, P] for P in Ps], "o-", color=plots.color_of(name, i), label=name)
ax.set_xticks(Ps, [str(P) for P in Ps], minor=False)
ax.set_xticks([], minor=True)  # no minor tick labels between the three P
ax.set(xlabel="number of parameters P", ylabel="seconds for all P partial derivatives")
ax.set_title("All gradients of the two-layer network, three ways")
ax.legend()
plt.show()

# %% [markdown]
# Finite differences and forward mode need a number of passes that grows in proportion to
# $P$, and their time grows with it (a forward-mode pass costs more than a plain one: it
# carries a tangent along with every value); reverse mode needs one forward and one
# backward pass whatever $P$ is. That is why networks are trained with reverse mode, and finite
# differences serve only as the reference for checks.

# %% [markdown]
# ## 10. Why frameworks store the forward activations: time and memory
#
# Every backward rule so far needed values of the forward pass: a product needs its inputs,
# `tanh` and `exp` their outputs, the two-layer network its cache $(a, h, p)$. Take a chain
# of tanh layers $h_k = \tanh(h_{k-1} W_k)$, $k = 1, \dots, K$, on a batch of $B = 128$ rows
# of width 64 (float64), with $L = \sum h_K$. The backward step of layer $k$ needs $h_{k-1}$
# (for $\partial L/\partial W_k$) and $h_k$ (for $\tanh' = 1 - h_k^2$). Three ways to have them:
#
# - *store* every $h_k$ during the forward pass: $K$ layer evaluations, $K + 1$
#   activations held until the backward pass;
# - *recompute* $h_{k-1}$ from the input $h_0$ whenever layer $k$'s backward step needs it:
#   two activations at a time, but $K(K+1)/2$ layer evaluations;
# - **gradient checkpointing** (`torch.utils.checkpoint`): keep only the input of each of
#   about $\sqrt K$ segments and recompute one segment at a time during the backward pass:
#   about $2\sqrt K$ activations for less than one extra forward pass.
#
# We count the bytes autograd keeps for the backward pass with
# `course_lib.saved_tensors.SavedTensors`, a context manager built on PyTorch's
# `torch.autograd.graph.saved_tensors_hooks`, which sees every tensor autograd saves (we
# exclude the weights, which exist anyway); the layer evaluations, with a counter.

# %%
B_chain, width = 128, 64
evaluations = [0]  # layer evaluations, counted by layer()


def chain(depth, seed=0):
    """Weights W_1..W_depth (64 x 64, requiring grad) and an input batch (128 x 64)."""
    gen = torch.Generator().manual_seed(seed)
    Ws = [torch.randn(width, width, generator=gen, dtype=torch.float64) for _ in range(depth)]
    x = torch.randn(B_chain, width, generator=gen, dtype=torch.float64)
    return [(W / math.sqrt(width)).requires_grad_() for W in Ws], x


def layer(W, h):
    evaluations[0] += 1
    return torch.tanh(h @ W)


# %%
def stored(Ws, x):
    """Plain autograd; returns the bytes of activations held until the backward pass."""
    with saved_tensors.SavedTensors(exclude=Ws) as saved:
        h = x
        for W in Ws:
            h = layer(W, h)
    h.sum().backward()
    return saved.nbytes


def checkpointed(Ws, x):
    """torch.utils.checkpoint with about sqrt(depth) segments; returns the bytes held."""
    segments = round(math.sqrt(len(Ws)))
    with saved_tensors.SavedTensors(exclude=Ws) as saved:
        functions = [functools.partial(layer, W) for W in Ws]
        h = checkpoint_sequential(functions, segments, x, use_reentrant=False)
    h.sum().backward()
    return saved.nbytes


# %%
def recomputed(Ws, x):
    """Backward one layer at a time, recomputing its input from x; returns the most bytes held."""
    upstream, most = None, 0
    for k in reversed(range(len(Ws))):
        with torch.no_grad():  # recompute h_{k-1}, keeping nothing for backward
            h = functools.reduce(lambda h, W: layer(W, h), Ws[:k], x)
        h.requires_grad_()
        with saved_tensors.SavedTensors(exclude=Ws) as saved:
            out = layer(Ws[k], h)
        out.backward(torch.ones_like(out) if upstream is None else upstream)
        upstream, most = h.grad, max(most, saved.nbytes)
    return most


strategies = {"stored": stored, "recomputed": recomputed, "checkpointed": checkpointed}
activation = B_chain * width * 8  # bytes of one 128 x 64 float64 activation

# %% [markdown]
# All three must give the same gradients. The counts below are exact, computed from the
# shapes, so they are the same on every machine:

# %%
table, seconds_run, err = {}, {}, 0.0
for depth in (9, 16, 36):
    reference = None
    for name, run in strategies.items():
        Ws, x = chain(depth)
        evaluations[0], start = 0, time.perf_counter()
        held = run(Ws, x) // activation
        seconds_run[depth, name] = time.perf_counter() - start  # printed two cells below
        table[depth, name] = (held, evaluations[0])
        flat = torch.cat([W.grad.ravel() for W in Ws])
        reference = flat if reference is None else reference
        err = max(err, (flat - reference).abs().max().item())
    row = ", ".join(f"{n} {table[depth, n][0]:2d} / {table[depth, n][1]:3d}" for n in strategies)
    print(f"K = {depth:2d}: activations held / layer evaluations: {row}")
print(f"max |gradient - stored gradient| over all runs: {format_bound(err, 1e-12)}")
assert err < 1e-12
for k in (9, 16, 36):
    assert table[k, "stored"] == (k + 1, k) and table[k, "recomputed"] == (2, k * (k + 1) // 2)

# %%
# NBVAL_IGNORE_OUTPUT
print("K = 36: " + ", ".join(f"{name} {seconds_run[36, name] * 1e3:.0f} ms" for name in strategies))

# %%
held = {name: table[36, name][0] * activation for name in strategies}
evals = {name: table[36, name][1] for name in strategies}
assert held["checkpointed"] < held["stored"] / 2 and held["stored"] > 36 * width * width * 8
assert evals["stored"] < evals["checkpointed"] < 2 * evals["stored"] < evals["recomputed"] / 9
print(f"K = 36: storing holds more bytes than the 36 weights; recomputing evaluates "
      f"{evals['recomputed'] // evals['stored']}x the layers ✓")  # fmt: skip
print("K = 36: checkpointing holds < half the memory of storing, for < 2x its layer evaluations ✓")

# %% [markdown]
# Storing does the fewest layer evaluations and is what frameworks do by default; its
# price is memory that grows with depth and with the batch size: here the stored
# activations already outweigh the weights. Recomputing everything keeps the memory
# constant but makes the work quadratic in depth (the times, printed above, follow).
# Gradient checkpointing sits in between: `torch.utils.checkpoint.checkpoint` (around any
# function) and `checkpoint_sequential` are how models are trained when memory runs out.
#
# ## 11. PyTorch's view: `requires_grad`, `.backward()`, `.grad`
#
# In PyTorch a tensor created with `requires_grad=True` is a leaf of the graph; every
# operation on it records its backward rule (as our `Value` does). `loss.backward()` runs
# the backward pass and stores $\partial\,\text{loss}/\partial\,\text{leaf}$ in `leaf.grad`.
# One rule surprises everybody once: *gradients accumulate*. `backward()` *adds* to
# `.grad`, so a second call without zeroing doubles it (it is meant for summing gradients
# over several losses or mini-batches). On the linear model of section 1 at $w = 0$:

# %%
x_t, y_t = torch.tensor(x_data), torch.tensor(y_data)
w = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
for call in range(1, 4):
    cost_t = ((w * x_t - y_t) ** 2).mean()
    cost_t.backward()
    print(f"after backward() call {call}: w.grad = {w.grad.item():.4f}")

# %% [markdown]
# In a training loop this is a bug: each step uses the sum of all past gradients. The fix
# is to zero the gradients after (or before) every step, with `w.grad.zero_()` or, when
# an optimizer holds the parameters, `optimizer.zero_grad()`. We train $\hat y = w x + b$
# with $\eta = 0.02$ three ways and compare with the NumPy gradient descent of section 1:


# %%
def train_torch(mode, eta=0.02, epochs=60):
    """Gradient descent on w, b with torch; mode is 'buggy', 'zero_' or 'optimizer'."""
    w, b = (torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in range(2))
    optimizer = torch.optim.SGD([w, b], lr=eta)
    for _ in range(epochs):
        ((w * x_t + b - y_t) ** 2).mean().backward()
        if mode == "optimizer":
            optimizer.step()
            optimizer.zero_grad()
            continue
        with torch.no_grad():  # the update itself must not be recorded in the graph
            w -= eta * w.grad
            b -= eta * b.grad
        if mode == "zero_":
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item()


# %%
w_np, b_np, _ = runs[0.02]
for mode in ("buggy", "zero_", "optimizer"):
    w_final, b_final = train_torch(mode)
    print(f"{mode:9s}: w = {w_final:.4g}, b = {b_final:.4g}")
err = max(abs(np.array(train_torch(mode)) - [w_np, b_np]).max() for mode in ("zero_", "optimizer"))
print(f"NumPy gradient descent: w = {w_np:.4g}, b = {b_np:.4g}; "
      f"max difference of the fixed loops {format_bound(err, 1e-12)}")  # fmt: skip
assert err < 1e-12

# %% [markdown]
# The buggy loop overshoots far past $w = 2$: the accumulated gradient keeps pushing in
# old directions long after the current gradient has turned. Both fixes reproduce our
# NumPy gradient descent exactly (still on its way to $w = 2$: $\eta = 0.02$ is the slow
# rate of section 1).
#
# ## 12. The library version
#
# From now on the course uses the library instead of the notebook's code:
#
# | idea (this lecture) | where it lives |
# |---|---|
# | scalar autograd engine, graph drawing (sections 4–6) | `course_lib.autograd.Value` (our engine plus `-`, `/`, `**`, `exp`, `log`, `relu`, input checks), `draw_graph` |
# | centered differences, relative error (section 9) | `course_lib.gradcheck.numerical_gradient`, `rel_error` |
# | affine layer and ReLU with forward / backward (sections 7–8) | `course_lib.layers.Linear`, `ReLU`, `Sequential` |
# | softmax and cross-entropy with its gradient $(P - Y)/N$ (section 8) | `course_lib.losses.softmax`, `cross_entropy` |
# | the bytes autograd saves for backward (section 10) | `course_lib.saved_tensors.SavedTensors` |
#
# Each layer's `forward` keeps its cache and `backward(dout)` fills `layer.grads` and
# returns the gradient for the layer below; `Sequential` calls them in order and in
# reverse. The layers know nothing of regularisation, so we add $2\lambda W$ ourselves.
# Loaded with the same weights, the library network must reproduce our gradients:

# %%
net2 = layers.Sequential(layers.Linear(D, H, rng=0), layers.ReLU(), layers.Linear(H, C, rng=0))
for i, k in [(0, "1"), (2, "2")]:
    net2[i].params["W"][...] = params["W" + k]
    net2[i].params["b"][...] = params["b" + k]
data_loss, dscores = losses.cross_entropy(net2.forward(X), y)
net2.backward(dscores)
lib_grads = {"W1": net2.grads["0.W"] + 2 * reg * params["W1"], "b1": net2.grads["0.b"],
             "W2": net2.grads["2.W"] + 2 * reg * params["W2"], "b2": net2.grads["2.b"]}  # fmt: skip
lib_loss = data_loss + reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
err = max(rel_error(lib_grads[k], grads[k]) for k in grads)
print(f"|library loss - our loss|: {format_bound(abs(lib_loss - loss), 1e-12)}, "
      f"max relative error of the library gradients: {format_bound(err, 1e-12)}")  # fmt: skip
assert err < 1e-12 and abs(lib_loss - loss) < 1e-12

# %% [markdown]
# ## 13. Side note: smoothing a noisy loss curve
#
# **Stochastic gradient descent** (SGD) takes one step per randomly drawn example instead of
# per pass over the data. Each step is cheap, but the loss of the current example jumps
# around, so the curve is hard to read. An **exponential moving average** (EMA) smooths it.
# With the course's convention, $\beta$ is the weight of the *past*:
#
# $$m_0 = L_0, \qquad m_t = \beta\, m_{t-1} + (1 - \beta)\, L_t ,$$
#
# so a larger $\beta$ smooths more. Careful when you read Lee's notes: they write
# $C'_i = \beta C_i + (1-\beta)C'_{i-1}$, with $\beta$ the weight of the *new* value, so
# their $\beta$ is our $1 - \beta$. We keep the convention of Adam (lecture 04), where
# $\beta$ weights the past. Unrolling the recursion shows what is being averaged:
# geometrically decaying weights,
#
# $$m_T = \beta^T L_0 + \sum_{t=1}^{T} (1-\beta)\, \beta^{T-t} L_t .$$
#
# We run SGD on 30 noisy points from $y = 2x + 1$ and record each step's single-example loss.

# %%
ema_rng = np.random.default_rng(1)
x_noisy = ema_rng.uniform(0.0, 3.0, size=30)
y_noisy = 2.0 * x_noisy + 1.0 + 0.5 * ema_rng.standard_normal(30)
w, b, step_costs = 0.0, 0.0, []
for n in ema_rng.integers(0, 30, size=300):  # one random example per step
    residual = w * x_noisy[n] + b - y_noisy[n]
    step_costs.append(residual**2)
    w, b = w - 0.03 * 2 * residual * x_noisy[n], b - 0.03 * 2 * residual
print(f"after 300 SGD steps: w = {w:.4f}, b = {b:.4f}")


# %%
def smooth(costs, beta):
    """Exponential moving average m_t = beta * m_{t-1} + (1 - beta) * L_t, m_0 = L_0."""
    out = [costs[0]]
    for c in costs[1:]:
        out.append(beta * out[-1] + (1 - beta) * c)
    return np.array(out)


beta, raw = 0.9, np.array(step_costs)
smoothed = smooth(raw, beta)
T = len(raw) - 1
unrolled = beta**T * raw[0] + np.sum((1 - beta) * beta ** (T - np.arange(1, T + 1)) * raw[1:])
err = abs(smoothed[-1] - unrolled)
print(f"|recursion - unrolled sum| at the last step: {format_bound(err, 1e-12)}")
assert err < 1e-12

# %%
curves = {"single-example loss (raw)": raw, f"EMA, beta = {beta}": smoothed}
title = "Smoothing a noisy SGD loss curve"
ax = plots.loss_curves(curves, xlabel="SGD step", ylabel="loss", title=title)
ax.get_lines()[0].set_alpha(0.4)
ax.set_ylim(0.0, 3.0)  # the first few steps are off the top
ax.legend()
plt.show()

# %% [markdown]
# The average shows the trend that the raw curve hides. The price is a *lag* of roughly
# $1/(1 - \beta)$ steps: over the first few dozen steps the average still remembers the
# large early losses. Adam (lecture 04) uses the same average, with the same $\beta$.
#
# ## 14. Takeaways, exercises and homework
#
# - Gradient descent needs $\partial L/\partial\theta$ for every parameter; the learning rate
#   must be small enough, or the loss diverges. Without a nonlinearity, stacked linear
#   layers collapse into one.
# - Backpropagation = chain rule on the computational graph: the forward pass stores what
#   the local derivatives need, the backward pass multiplies them from the output back.
#   Sum at forks, multiply along layers; add distributes, multiply swaps, max routes.
# - An autograd engine is a few dozen lines: each operation records its parents and local
#   derivatives; `backward` walks a topological order in reverse. It trains a network.
# - Matrix gradients follow from shapes: $D = W X \Rightarrow dW = dD\,X^\top$, $dX = W^\top dD$.
# - One backward pass (reverse mode) gives all $P$ gradients; forward mode needs $P$
#   passes and finite differences $2P$. Finite differences remain the reference for
#   debugging (relative error below about $10^{-7}$, float64).
# - Storing activations buys one-pass backprop with memory; checkpointing trades some
#   recomputation for less memory. In PyTorch `.grad` accumulates: zero it every step.
#
# The key terms of this lecture, with their Chinese names, are in the
# [glossary](glossary.md).

# %% [markdown]
# **Homework.** `homework/hw01_backprop.ipynb`: implement the backward passes of the affine
# layer, ReLU and the softmax loss, assemble the two-layer network's loss and gradients,
# add two new operations to the scalar engine (`sin`, and `power` with a `Value`
# exponent), and gradient-check your work without PyTorch.
#
# **Exercises.** Predict the answer before you run anything. Each answer is folded under
# its exercise.

# %% [markdown]
# **Exercise 1.** In section 4, change the bias $w_2$ from $-3$ to $7$. Will the gradients
# with respect to $w$ and $x$ grow or shrink, and why? Rerun the circuit cells to check.

# %% tags=["answer"]
slopes = {}
for bias in (-3.0, 7.0):
    s_b = 2.0 * -1.0 + -3.0 * -2.0 + bias  # w0 x0 + w1 x1 + w2 with w = (2, -3), x = (-1, -2)
    f_b = 1.0 / (1.0 + math.exp(-s_b))
    slopes[bias] = f_b * (1 - f_b)  # df/ds; df/dw0 = df/ds * x0, and so on
    grads_b = [slopes[bias] * v for v in (-1.0, -2.0, 1.0, 2.0, -3.0)]  # w0, w1, w2, x0, x1
    print(f"w2 = {bias:+.0f}: s = {s_b:.0f}, f = {f_b:.5f}, df/ds = {slopes[bias]:.2e}, "
          f"gradients " + ", ".join(f"{g:.2e}" for g in grads_b))  # fmt: skip
print(f"every gradient is {slopes[-3.0] / slopes[7.0]:,.0f} times smaller")


# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# They shrink, all by the same factor. Every gradient is $\partial f/\partial s$ times an
# input or a weight (the sum distributes, the products swap), and
# $\partial f/\partial s = \sigma(s)(1 - \sigma(s))$. With $w_2 = 7$ the sum is $s = 11$,
# the sigmoid is *saturated* ($f \approx 0.99998$), and its slope falls from 0.197 to
# $1.7 \cdot 10^{-5}$: about 12 000 times smaller (11 772, printed). A saturated unit passes almost no
# gradient back, which is the vanishing gradient of lecture 02 in one gate.
# </details>

# %% [markdown]
# **Exercise 2.** Give the moons network 2 hidden units instead of 8 (`new_layer(2, 2, ...)`
# and `new_layer(2, 1, ...)`). Will the decision boundary still bend around the moons?


# %% tags=["answer"]
def moons_weights(hidden):
    """Section 6's initial weights for `hidden` units: the same draws as new_layer."""
    draw, sizes = np.random.default_rng(0), ((2, hidden, 1.4), (hidden, 1, 0.35))
    rows = [
        [[*draw.normal(0.0, std, n_in), 0.0] for _ in range(n_out)] for n_in, n_out, std in sizes
    ]
    return [torch.tensor(W, dtype=torch.float64, requires_grad=True) for W in rows]


def moons_output(Ws, P):
    h = torch.tensor(P)
    for W in Ws:
        h = torch.tanh(h @ W[:, :-1].T + W[:, -1])
    return h[:, 0]


# %% tags=["answer"]
for hidden in (8, 2):  # section 6's 30 steps with eta 0.5, written with torch tensors
    Ws = moons_weights(hidden)
    for _ in range(30):
        loss_h = torch.mean((moons_output(Ws, X_moons) - torch.tensor(targets)) ** 2)
        with torch.no_grad():
            for W, g in zip(Ws, torch.autograd.grad(loss_h, Ws), strict=True):
                W -= 0.5 * g
    with torch.no_grad():
        acc = [
            np.mean((moons_output(Ws, P) > 0).numpy() == c)
            for P, c in ((X_moons, y_moons), (X_new, y_new))
        ]
    print(
        f"{hidden} hidden units: accuracy {acc[0]:.2f} on the training points, {acc[1]:.2f} on new points"
    )


# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Only a little. Each hidden unit contributes one soft step along a straight line, and the
# output unit combines them; with two units the boundary can bend once, between two
# lines, not wrap around the tips of both moons. After the same 30 steps the accuracy
# drops from 0.97 to 0.87 on the training points and from 0.96 to 0.88 on new points
# (the cell replays the training of section 6 with torch tensors, whose gradients the
# engine matched). Eight units are not needed for the idea, but they give the boundary
# enough pieces.
# </details>

# %% [markdown]
# **Exercise 3.** Call `maximum` with two equal inputs. Where does our engine send the
# gradient, and where does `torch.maximum`? Check both.

# %% tags=["answer"]
a_eq, b_eq = Value(1.0), Value(1.0)
a_eq.maximum(b_eq).backward()
a_t, b_t = (torch.tensor(1.0, requires_grad=True) for _ in range(2))
torch.maximum(a_t, b_t).backward()
print(
    f"our maximum: ({a_eq.grad}, {b_eq.grad}); torch.maximum: ({a_t.grad.item()}, {b_t.grad.item()})"
)

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# At a tie $\max$ has no derivative, so any split of the upstream gradient with weights
# that add up to 1 is a valid choice (a *subgradient*). Our engine tests `self.data >
# other.data`, which is false at a tie, so it routes everything to the second input:
# $(0, 1)$. `torch.maximum` splits evenly: $(0.5, 0.5)$. Ties are rare with real-valued
# data, but a gradient check exactly at a tie (or at a ReLU's 0) can disagree with
# finite differences for this reason.
# </details>

# %% [markdown]
# **Exercise 4.** Double the depth of section 10 to $K = 72$. By what factor do the stored
# activations, the recomputed layer evaluations and the checkpointed activations grow?

# %% tags=["answer"]
for name in ("stored", "checkpointed"):
    held_72 = strategies[name](*chain(72)) // activation
    print(f"K = 72, {name}: {held_72} activations held, {held_72 / table[36, name][0]:.2f}x K = 36")
print(f"K = 72, recomputed: {72 * 73 // 2} layer evaluations, {72 * 73 / (36 * 37):.2f}x K = 36")

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Storing grows linearly: $K + 1$ activations, from 37 to 73 ($1.97\times$). Recomputing
# grows quadratically: $K(K+1)/2$ layer evaluations, from 666 to 2628 ($3.95\times$,
# almost 4). Checkpointing grows like $2\sqrt K$: from 12 to 17 activations
# ($1.42\times$, close to $\sqrt 2$). With `round(sqrt(72))` = 8 segments of 9 layers it
# holds the 8 segment inputs plus the 9 activations of the segment being recomputed.
# Doubling the depth costs checkpointing far less memory than storing.
# </details>

# %% [markdown]
# **Exercise 5.** In section 13, set $\beta = 0.99$. How many steps does the smoothed curve
# lag behind?

# %% tags=["answer"]
for beta_lag in (0.9, 0.99):
    ages = np.arange(5000)
    mean_age = np.sum((1 - beta_lag) * beta_lag**ages * ages)  # weights (1 - β) β^k on age k
    rise = math.ceil(math.log(1 / math.e) / math.log(beta_lag))  # steps to follow 63% of a jump
    print(f"β = {beta_lag}: mean age of the averaged losses {mean_age:.1f} steps; "
          f"63% of a jump after {rise} steps")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# About 100 steps instead of 10. The average gives the loss of $k$ steps ago the weight
# $(1-\beta)\beta^k$, so its mean age is $\beta/(1-\beta)$: 9 steps at $\beta = 0.9$, 99
# at $\beta = 0.99$; after a sudden change it has caught up 63% of the way after about
# $1/(1-\beta)$ steps (10 and 100). In a run of 300 steps, a lag of 100 hides a third of
# the run: the curve is smooth but tells you late that the loss has changed.
# </details>
