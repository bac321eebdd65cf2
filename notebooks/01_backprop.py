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
# Training a network means moving its parameters against the gradient of a cost. A network
# has thousands to billions of parameters, so the question of this lecture is: **how do we
# get every partial derivative of the cost at once, cheaply and correctly?** The answer is
# **backpropagation** (反向传播): one forward pass that stores intermediate values, then one
# backward pass that applies the chain rule from the output back to every parameter. We
# build it from a two-parameter linear model up to a two-layer network, check each step against a
# numerical gradient and `torch.autograd`, and measure why it beats finite differences.
#
# 1. A linear model, exhaustive search and gradient descent
# 2. Smoothing a noisy cost curve
# 3. Why layers need a nonlinearity
# 4. The computational graph: forward pass and backward pass
# 5. Sum at forks, multiply along layers
# 6. A scalar autograd engine and its graph
# 7. Matrix gradients by shape matching
# 8. A two-layer network, backward pass by hand
# 9. Numerical gradients: the reference for debugging
# 10. Why frameworks store the forward activations: a measurement
# 11. PyTorch's view: `requires_grad`, `.backward()`, `.grad`
# 12. The library version
# 13. Takeaways and homework

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from course_lib import layers, losses
from course_lib.autograd import Value, draw_graph
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.plots import loss_curves, use_style
from course_lib.training import set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A linear model, exhaustive search and gradient descent
#
# Start with the smallest learning problem: three points $(x, y) = (1, 2), (2, 4), (3, 6)$
# and the **linear model** $\hat y = w x + b$. We judge a choice of $(w, b)$ by the
# **mean squared error** (MSE), the cost
#
# $$\mathrm{cost}(w, b) = \frac{1}{N}\sum_{n=1}^{N} (\hat y_n - y_n)^2 = \frac{1}{N}\sum_{n=1}^{N} (w x_n + b - y_n)^2 .$$
#
# The bluntest way to train is **exhaustive search** (穷举法): evaluate the cost on a grid
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
print(f"best of {grid.size} pairs: w = {ws[i]:.1f}, b = {bs[j]:.1f}, cost = {grid[i, j]:.4f}")

# %% [markdown]
# The cost as a function of $w$ (for three fixed values of $b$) is a parabola. Its lowest
# point, at $b = 0$, is the answer. Exhaustive search is fine for two parameters; with a
# million parameters a grid of 41 values per axis would have $41^{10^6}$ points.

# %%
fig, ax = plt.subplots()
for k in (10, 20, 30):  # b = -1, 0, 1
    ax.plot(ws, grid[:, k], label=f"b = {bs[k]:.0f}")
ax.plot(ws[i], grid[i, j], "o", color="black", label="best grid point")
ax.set(xlabel="w", ylabel="cost (MSE)", title="Exhaustive search: cost against w")
ax.legend()
plt.show()

# %% [markdown]
# **Gradient descent** replaces the grid by a walk downhill. The derivatives of the cost are
#
# $$\frac{\partial\,\mathrm{cost}}{\partial w} = \frac{2}{N}\sum_n (\hat y_n - y_n)\,x_n, \qquad
# \frac{\partial\,\mathrm{cost}}{\partial b} = \frac{2}{N}\sum_n (\hat y_n - y_n),$$
#
# and each step moves against them with a **learning rate** $\alpha$:
# $w \leftarrow w - \alpha\,\partial\,\mathrm{cost}/\partial w$, and the same for $b$.
# First we check the formulas against a **centered difference**
# $(f(w + h) - f(w - h)) / 2h$ at an arbitrary point (section 9 says more about this check).


# %%
def grad_cost(w, b):
    """(dcost/dw, dcost/db) of the MSE above."""
    residual = w * x_data + b - y_data
    return np.array([2 * np.mean(residual * x_data), 2 * np.mean(residual)])


point = np.array([0.5, 0.3])
numeric = numerical_gradient(lambda p: cost(p[0], p[1]), point)
err = rel_error(grad_cost(*point), numeric)
print(f"analytic gradient {grad_cost(*point)}, numerical {numeric}")
print(f"relative error: {format_bound(err, 1e-7)}")
assert err < 1e-7

# %% [markdown]
# Now run gradient descent from $w = b = 0$ with three learning rates. If $\alpha$ is too
# large, each step overshoots the bottom of the valley by more than it started from, and
# the cost *diverges*. For this quadratic cost the limit is $\alpha < 2/\lambda_{\max}$,
# where $\lambda_{\max}$ is the largest curvature (eigenvalue of the Hessian; lecture 02).


# %%
def gradient_descent(alpha, epochs=60):
    """Full-batch gradient descent from w = b = 0; returns (w, b, cost per epoch)."""
    w, b, costs = 0.0, 0.0, []
    for _ in range(epochs):
        costs.append(cost(w, b))
        dw, db = grad_cost(w, b)
        w, b = w - alpha * dw, b - alpha * db
    return w, b, costs


runs = {alpha: gradient_descent(alpha) for alpha in (0.02, 0.15, 0.25)}
hessian = 2 / 3 * np.array([[np.sum(x_data**2), np.sum(x_data)], [np.sum(x_data), 3.0]])
print(f"largest stable learning rate 2 / lambda_max = {2 / np.linalg.eigvalsh(hessian).max():.3f}")
for alpha, (w, b, costs) in runs.items():
    print(f"alpha = {alpha}: w = {w:.4g}, b = {b:.4g}, cost after 60 epochs = {costs[-1]:.3g}")

# %%
curves = {f"alpha = {alpha}": costs for alpha, (_, _, costs) in runs.items()}
loss_curves(
    curves, ylabel="cost (MSE)", logy=True, title="Gradient descent: a too-large alpha diverges"
)
plt.show()

# %% [markdown]
# A small $\alpha$ is safe but slow, $\alpha = 0.15$ gets close to the minimum quickly, and $\alpha = 0.25 > 0.18$ makes the cost grow by a constant factor every
# epoch. A rising cost curve is the first thing to look for when training fails.
#
# ## 2. Smoothing a noisy cost curve
#
# **Stochastic gradient descent** (SGD) takes one step per randomly drawn example instead of
# per pass over the data. Each step is cheap, but the cost of the current example jumps
# around, so the curve is hard to read. An **exponential moving average** (EMA) smooths it:
#
# $$C'_0 = C_0, \qquad C'_i = \beta\, C_i + (1 - \beta)\, C'_{i-1}.$$
#
# In this form $\beta$ is the weight of the *newest* value, so a small $\beta$ smooths more.
# Unrolling the recursion shows what is being averaged: geometrically decaying weights,
#
# $$C'_T = (1-\beta)^T C_0 + \sum_{k=1}^{T} \beta (1-\beta)^{T-k} C_k .$$
#
# We run SGD on 30 noisy points from $y = 2x + 1$ and record each step's single-example cost.

# %%
x_noisy = rng.uniform(0.0, 3.0, size=30)
y_noisy = 2.0 * x_noisy + 1.0 + 0.5 * rng.standard_normal(30)
w, b, step_costs = 0.0, 0.0, []
for n in rng.integers(0, 30, size=300):  # one random example per step
    residual = w * x_noisy[n] + b - y_noisy[n]
    step_costs.append(residual**2)
    w, b = w - 0.03 * 2 * residual * x_noisy[n], b - 0.03 * 2 * residual
print(f"after 300 SGD steps: w = {w:.4f}, b = {b:.4f}")


# %%
def smooth(costs, beta):
    """Exponential moving average C'_i = beta * C_i + (1 - beta) * C'_{i-1}, C'_0 = C_0."""
    out = [costs[0]]
    for c in costs[1:]:
        out.append(beta * c + (1 - beta) * out[-1])
    return np.array(out)


beta, raw = 0.1, np.array(step_costs)
smoothed = smooth(raw, beta)
T = len(raw) - 1
unrolled = (1 - beta) ** T * raw[0] + np.sum(
    beta * (1 - beta) ** (T - np.arange(1, T + 1)) * raw[1:]
)
print(
    f"|recursion - unrolled sum| at the last step: {format_bound(abs(smoothed[-1] - unrolled), 1e-12)}"
)
assert abs(smoothed[-1] - unrolled) < 1e-12

# %%
curves = {"single-example cost (raw)": raw, f"EMA, beta = {beta}": smoothed}
ax = loss_curves(curves, xlabel="SGD step", ylabel="cost", title="Smoothing a noisy SGD cost curve")
ax.get_lines()[0].set_alpha(0.4)
ax.set_ylim(0.0, 3.0)  # the first few steps (cost up to about 27) are off the top
ax.legend()
plt.show()

# %% [markdown]
# The average shows the trend that the raw curve hides. The price is a *lag* of roughly
# $1/\beta$ steps: over the first few dozen steps the average still remembers the large
# early costs.
#
# ## 3. Why layers need a nonlinearity
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
# An activation function $\sigma$ between the layers (ReLU, sigmoid, tanh) breaks the
# collapse; that is what makes a deep network more expressive than a linear model.
#
# ## 4. The computational graph: forward pass and backward pass
#
# A **computational graph** writes a computation as nodes (values) joined by operations.
# Take one weight $w$ of a neuron with pre-activation $z = w_1 x_1 + w_2 x_2 + b$ and
# activation $a = \sigma(z)$. By the chain rule,
#
# $$\frac{\partial C}{\partial w_1} = \frac{\partial z}{\partial w_1}\,\frac{\partial C}{\partial z}.$$
#
# - **Forward pass**: $\partial z/\partial w_1 = x_1$, the *input* of the layer. It is known as
#   soon as the forward computation reaches the neuron.
# - **Backward pass**: $\partial C/\partial z$ depends on everything after the neuron. Say $a$
#   feeds two neurons $z' = w_3 a + b'$ and $z'' = w_4 a + b''$. Then
#
# $$\frac{\partial C}{\partial z} = \sigma'(z)\left[w_3 \frac{\partial C}{\partial z'} + w_4 \frac{\partial C}{\partial z''}\right].$$
#
# This is a *recursion*: once $\partial C/\partial z'$ and $\partial C/\partial z''$ are
# known, $\partial C/\partial z$ follows. So we start at the output and go backward, layer
# by layer, reusing the values stored in the forward pass. We check it on that exact network,
#
# ```
# x1, x2 ──> z ─σ─> a ──w3──> z'  ─σ─> y'   ──┐
#                     └──w4──> z'' ─σ─> y''  ──┴──> C = ½[(y' − t')² + (y'' − t'')²]
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
C = 0.5 * ((y_p - t1) ** 2 + (y_pp - t2) ** 2)
print(f"z = {z:.4f}, a = {a:.4f}, z' = {z_p:.4f}, z'' = {z_pp:.4f}, C = {C:.4f}")

# %% [markdown]
# Backward pass: the output layer first ($\partial C/\partial z' = \sigma'(z')\,(y' - t')$,
# with $\sigma'(z) = \sigma(z)(1 - \sigma(z))$), then the recursion, then each weight
# gradient = (input of its layer) × ($\partial C/\partial z$ of its neuron).

# %%
dC_dz_p = y_p * (1 - y_p) * (y_p - t1)
dC_dz_pp = y_pp * (1 - y_pp) * (y_pp - t2)
dC_dz = a * (1 - a) * (p["w3"] * dC_dz_p + p["w4"] * dC_dz_pp)  # the recursion
by_hand = {
    "w1": x1 * dC_dz, "w2": x2 * dC_dz, "b": dC_dz,
    "w3": a * dC_dz_p, "w4": a * dC_dz_pp, "b3": dC_dz_p, "b4": dC_dz_pp,
}  # fmt: skip
print("by hand: " + ", ".join(f"dC/d{k} = {v:.5f}" for k, v in by_hand.items()))

# %% [markdown]
# The same network in PyTorch, with `torch.autograd` computing the gradients:

# %%
tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
a_t = torch.sigmoid(tp["w1"] * x1 + tp["w2"] * x2 + tp["b"])
y_p_t = torch.sigmoid(tp["w3"] * a_t + tp["b3"])
y_pp_t = torch.sigmoid(tp["w4"] * a_t + tp["b4"])
(0.5 * ((y_p_t - t1) ** 2 + (y_pp_t - t2) ** 2)).backward()
err = max(abs(by_hand[k] - tp[k].grad.item()) for k in p)
print(f"max |recursion by hand - torch.autograd| over the 7 parameters: {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# ## 5. Sum at forks, multiply along layers
#
# Two rules are all the chain rule needs on a graph, summed up as *"sum at forks, multiply
# along layers"* (分叉相加，分层相乘):
#
# - along a chain $a \to u \to g$, local derivatives *multiply*:
#   $\frac{dg}{da} = \frac{dg}{du}\frac{du}{da}$;
# - where a value is used twice (a **fork**), the gradients arriving along each path *add*.
#
# In $f = a b + a$, the input $a$ is used twice, so $\partial f/\partial a = b + 1$. Feeding
# $f$ into $g = \tanh(f)$ adds a layer: $\partial g/\partial a = (1 - \tanh^2 f)(b + 1)$.
# The scalar engine `Value` of `course_lib.autograd` (next section) applies both rules:

# %%
a, b = Value(0.5, label="a"), Value(-2.0, label="b")
f = a * b + a  # a is used twice: a fork
g = f.tanh()  # one more layer
g.backward()
expected = (1 - np.tanh(f.data) ** 2) * (b.data + 1)
print(f"f = {f.data:.4f}, dg/da = {a.grad:.6f}, (1 - tanh^2 f)(b + 1) = {expected:.6f}")

a_t, b_t = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, -2.0))
torch.tanh(a_t * b_t + a_t).backward()
err = max(abs(a.grad - a_t.grad.item()), abs(b.grad - b_t.grad.item()))
print(f"max |Value - torch.autograd| for dg/da, dg/db: {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# ## 6. A scalar autograd engine and its graph
#
# Take the sigmoid of a product, $f(w, x) = \dfrac{1}{1 + e^{-(w x)}}$. Split it into
# primitive operations, each with a **local derivative** that needs only its own inputs:
#
# | node | forward | local derivative |
# |---|---|---|
# | $z = w \cdot x$ | product | $\partial z/\partial w = x$, $\partial z/\partial x = w$ |
# | $n = -z$ | negation | $-1$ |
# | $e = \exp(n)$ | exponential | $e^{n} = e$ (the stored output) |
# | $d = 1 + e$ | sum | $1$ |
# | $f = 1 / d$ | reciprocal | $-1/d^2$ |
#
# The backward pass starts with $\partial f/\partial f = 1$ and multiplies the local
# derivatives from right to left. By hand:

# %%
w0, x0 = 2.0, -1.0
z = w0 * x0  # forward pass, keeping every intermediate value
n = -z
e = np.exp(n)
d = 1.0 + e
f = 1.0 / d
df_dd = -1.0 / d**2  # backward pass, right to left
df_de = df_dd * 1.0
df_dn = df_de * e
df_dz = df_dn * -1.0
df_dw, df_dx = df_dz * x0, df_dz * w0
print(f"f = {f:.6f}, df/dw = {df_dw:.6f}, df/dx = {df_dx:.6f}")

# %% [markdown]
# `course_lib.autograd.Value` automates exactly this. Each operation creates a new `Value`
# that remembers its operands and a **local rule** (given $\partial \text{out}/\partial
# \text{result}$, return $\partial \text{out}/\partial \text{operand}$ for each operand).
# `backward()` sorts the graph so that every node comes after its operands (a
# **topological order**), sets the output's gradient to 1, and applies the local rules in
# reverse order, adding what arrives at forks. `draw_graph` shows each node's value
# (`data`) and gradient (`grad`):

# %%
w, x = Value(w0, label="w"), Value(x0, label="x")
z = w * x
n = -z
e = n.exp()
d = 1 + e
f = 1 / d
for node, name in [(z, "z"), (n, "n"), (e, "e"), (d, "d"), (f, "f")]:
    node.label = name
f.backward()
fig = draw_graph(f)
plt.show()

# %% [markdown]
# The constants `1` appear as leaves of their own: the engine wraps plain numbers as
# `Value`s. The leaf gradients must equal the closed form: the derivative of the sigmoid
# is $\sigma'(z) = \sigma(z)(1 - \sigma(z))$, so $\partial f/\partial w = \sigma(z)(1-\sigma(z))\,x$
# and $\partial f/\partial x = \sigma(z)(1-\sigma(z))\,w$.

# %%
s = f.data
closed_form = np.array([s * (1 - s) * x0, s * (1 - s) * w0])
w_t, x_t = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (w0, x0))
torch.sigmoid(w_t * x_t).backward()
engine = np.array([w.grad, x.grad])
err_torch = np.max(np.abs(engine - [w_t.grad.item(), x_t.grad.item()]))
err_closed = np.max(np.abs(engine - closed_form))
print(f"Value: df/dw = {w.grad:.6f}, df/dx = {x.grad:.6f}  (by hand: {df_dw:.6f}, {df_dx:.6f})")
print(
    f"max |Value - torch.autograd| = {format_bound(err_torch, 1e-12)}, max |Value - closed form| = {format_bound(err_closed, 1e-12)}"
)
assert err_torch < 1e-12 and err_closed < 1e-12

# %% [markdown]
# Because $\sigma'$ has this simple closed form, the engine also offers `sigmoid` as *one*
# node with local rule $s(1 - s)$: four nodes of the graph above become one, with the same
# gradient. Frameworks fuse common operations this way.

# %%
w_fused, x_fused = Value(w0), Value(x0)
(w_fused * x_fused).sigmoid().backward()
print(f"fused sigmoid node: df/dw = {w_fused.grad:.6f}, df/dx = {x_fused.grad:.6f}")
assert abs(w_fused.grad - w.grad) < 1e-12 and abs(x_fused.grad - x.grad) < 1e-12

# %% [markdown]
# ## 7. Matrix gradients by shape matching
#
# Networks work with matrices, not scalars. For $D = W X$ with $W$ of shape (5, 10) and
# $X$ of shape (10, 3) (examples are the *columns* of $X$), suppose the backward pass has
# delivered $dD = \partial L/\partial D$, shaped like $D$, (5, 3). Each gradient has the
# shape of what it is the gradient of, and there is only one product of $dD$ with $X$ or
# $W$ that has that shape — **shape matching**:
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
print(f"relative error dW = dD X^T: {format_bound(err_W, 1e-7)}")
print(f"relative error dX = W^T dD: {format_bound(err_X, 1e-7)}")
assert err_W < 1e-7 and err_X < 1e-7

# %% [markdown]
# `course_lib.layers.Linear` (like PyTorch, whose batches hold one example per row) uses *rows*:
# `out = x @ W + b` with `x` of shape (N, in) and `W` of shape (in, out). The rule is the
# same, transposed: $dW = x^\top\, d\text{out}$, $dx = d\text{out}\, W^\top$, and
# $db = \sum_i d\text{out}_i$. Give the layer $W^\top$ and the rows $X^\top$, and its
# gradients are the transposes of ours:

# %%
lin = layers.Linear(10, 5, rng=0)
lin.params["W"][...] = W.T
lin.params["b"][...] = 0.0
out = lin.forward(X.T)  # = (W X)^T
dx = lin.backward(G.T)
err_W = np.max(np.abs(lin.grads["W"] - dW.T))
err_x = np.max(np.abs(dx - dX.T))
print(
    f"max |Linear.grads['W'] - dW^T| = {format_bound(err_W, 1e-12)}, max |Linear dx - dX^T| = {format_bound(err_x, 1e-12)}"
)
assert err_W < 1e-12 and err_x < 1e-12

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
def forward(params, X, y, reg):
    """Loss of X -> affine -> ReLU -> affine -> softmax loss + L2, and the cache (a, h, p)."""
    a = X @ params["W1"] + params["b1"]
    h = np.maximum(a, 0.0)
    s = h @ params["W2"] + params["b2"]
    p = np.exp(s - s.max(axis=1, keepdims=True))  # shift: no overflow, same softmax
    p /= p.sum(axis=1, keepdims=True)
    data_loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    return data_loss + reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2)), (a, h, p)


def backward(params, X, y, reg, cache):
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
loss, cache = forward(params, X, y, reg)
grads = backward(params, X, y, reg, cache)
print(f"loss = {loss:.6f}")
for name in params:
    numeric = numerical_gradient(lambda _: forward(params, X, y, reg)[0], params[name])
    err = rel_error(grads[name], numeric)
    print(f"d{name}: relative error vs numerical gradient {format_bound(err, 1e-7)}")
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
print(f"|loss - torch loss|: {format_bound(abs(loss - loss_t.item()), 1e-12)}")
assert abs(loss - loss_t.item()) < 1e-12
for name, tensor in zip(params, inputs, strict=True):
    err = rel_error(grads[name], tensor.grad)
    print(f"d{name}: relative error vs torch.autograd {format_bound(err, 1e-12)}")
    assert err < 1e-12

# %% [markdown]
# ## 9. Numerical gradients: the reference for debugging
#
# The centered difference
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
#
# has error $O(h^2)$ and needs nothing but the function. It is *slow*: two evaluations of
# $f$ per parameter, so $2P$ forward passes for $P$ parameters. We never train with it; we
# use it to *debug* a hand-written backward pass on a tiny problem. Judge the match with
# the **relative error** $\max|a - b| / \max(|a| + |b|)$ (`rel_error`): in float64, about
# $10^{-7}$ or less means correct; above $10^{-3}$ is almost certainly a bug.
#
# A classic slip is dividing by $N$ twice, for example once in $ds$ and again in $db_2$.
# The check catches it at once:

# %%
buggy = backward(params, X, y, reg, cache)
buggy["b2"] = buggy["b2"] / N  # the bug: the 1/N is already inside ds
numeric_b2 = numerical_gradient(lambda _: forward(params, X, y, reg)[0], params["b2"])
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
# Why not float32? It keeps only about 7 significant digits: near a loss of 1 the spacing
# between neighbouring float32 numbers is $2^{-23} \approx 1.2 \times 10^{-7}$. With
# $h = 10^{-6}$ the difference $f(x+h) - f(x-h)$ is only a few such steps, so the numerical
# derivative can only take multiples of $2^{-23}/(2 \cdot 10^{-6}) \approx 0.06$ — useless
# for gradients of size 0.1. The same check in float32 fails (PyTorch also warns; we
# silence the warning and print the error's first line):

# %%
inputs32 = tuple(torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in params.values())
print(f"resolution of a float32 centered difference: {2**-23 / (2 * 1e-6):.3f}")
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.autograd.gradcheck(torch_loss, inputs32)
    print("float32 gradcheck passed")
except RuntimeError as error:  # torch's GradcheckError is a RuntimeError
    print(f"float32 gradcheck failed: {str(error).splitlines()[0]}")

# %% [markdown]
# ## 10. Why frameworks store the forward activations: a measurement
#
# Look back at the graph of section 6: the local derivative of `exp` is its own output $e$,
# that of $1/d$ needs $d$, that of $w \cdot x$ needs $x$. If each gradient were computed from
# a separately derived formula, every formula would recompute those intermediate values —
# the forward pass again, once per parameter. Backpropagation instead *stores the forward
# activations* (our `cache`) and reuses them, so all $P$ gradients cost about one forward
# plus one backward pass, whatever $P$. Finite differences need $2P$ forward passes.
#
# We time both on the two-layer network of section 8 while the hidden width $H$ grows, so
# the parameter count $P = D H + H + H C + C$ goes from 11 to about 3000.


# %%
def seconds(fn, repeat):
    """Best wall-clock time of `repeat` calls of fn()."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def all_numerical_gradients(params):
    """2P forward passes: a centered difference for every entry of every parameter."""

    def loss_fn(_):
        return forward(params, X, y, reg)[0]

    return {k: numerical_gradient(loss_fn, v) for k, v in params.items()}


def backprop(params):
    """One forward pass (keeping the cache) and one backward pass."""
    return backward(params, X, y, reg, forward(params, X, y, reg)[1])


# %%
# NBVAL_IGNORE_OUTPUT
sizes, t_numeric, t_backprop = [], [], []
for width in (1, 4, 16, 64, 375):
    net_rng = np.random.default_rng(width)
    ps = {"W1": 0.5 * net_rng.standard_normal((D, width)), "b1": np.zeros(width),
          "W2": 0.5 * net_rng.standard_normal((width, C)), "b2": np.zeros(C)}  # fmt: skip
    sizes.append(sum(v.size for v in ps.values()))
    t_numeric.append(seconds(lambda ps=ps: all_numerical_gradients(ps), repeat=2))
    t_backprop.append(seconds(lambda ps=ps: backprop(ps), repeat=50))
for P, tn, tb in zip(sizes, t_numeric, t_backprop, strict=True):
    print(f"P = {P:5d}: finite differences {tn:.2e} s, backprop {tb:.2e} s, ratio {tn / tb:6.0f}")

# %%
fig, ax = plt.subplots()
ax.loglog(sizes, t_numeric, "o-", label="finite differences (2P forward passes)")
ax.loglog(sizes, t_backprop, "s-", label="backprop (1 forward + 1 backward)")
ax.set(xlabel="number of parameters P", ylabel="seconds for all P gradients",
       title="Cost of all gradients: finite differences vs backprop")  # fmt: skip
ax.legend()
plt.show()

# %% [markdown]
# The finite-difference time grows in proportion to $P$ (slope 1 on the log-log plot, and
# each forward pass also gets slower as the network grows); the backprop time grows far
# more slowly, because at these sizes it is dominated by fixed per-call overheads. The timings depend on the machine, so only the robust facts are printed
# as checks:

# %%
print(f"parameters: {sizes}")
print(
    f"forward passes for all gradients at P = {sizes[-1]}: finite differences {2 * sizes[-1]}, backprop 1 (+ 1 backward)"
)
print(f"backprop more than 10x faster at the largest P: {t_numeric[-1] > 10 * t_backprop[-1]}")
assert t_numeric[-1] > 10 * t_backprop[-1]

# %% [markdown]
# ## 11. PyTorch's view: `requires_grad`, `.backward()`, `.grad`
#
# In PyTorch a tensor created with `requires_grad=True` is a leaf of the graph; every
# operation on it records its backward rule (as `Value` does). `loss.backward()` runs the
# backward pass and stores $\partial\,\text{loss}/\partial\,\text{leaf}$ in `leaf.grad`.
# One rule surprises everybody once: *gradients accumulate*. `backward()` *adds* to
# `.grad`, so a second call without zeroing doubles it (it is meant for summing gradients
# over several losses or mini-batches). On the linear model of section 1 at $w = 0$,
# $\partial\,\text{cost}/\partial w = -56/3 \approx -18.67$:

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
# with $\alpha = 0.02$ three ways and compare with the NumPy gradient descent of section 1:


# %%
def train_torch(mode, alpha=0.02, epochs=60):
    """Gradient descent on w, b with torch; mode is 'buggy', 'zero_' or 'optimizer'."""
    w, b = (torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in range(2))
    optimizer = torch.optim.SGD([w, b], lr=alpha)
    for _ in range(epochs):
        ((w * x_t + b - y_t) ** 2).mean().backward()
        if mode == "optimizer":
            optimizer.step()
            optimizer.zero_grad()
            continue
        with torch.no_grad():  # the update itself must not be recorded in the graph
            w -= alpha * w.grad
            b -= alpha * b.grad
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
print(
    f"NumPy gradient descent: w = {w_np:.4g}, b = {b_np:.4g}; max difference of the fixed loops {format_bound(err, 1e-12)}"
)
assert err < 1e-12

# %% [markdown]
# The buggy loop overshoots to $w \approx 3.7$: the accumulated gradient keeps pushing in
# old directions long after the current gradient has turned. Both fixes reproduce our
# NumPy gradient descent exactly (still on its way to $w = 2$: $\alpha = 0.02$ is the slow
# rate of section 1).
#
# ## 12. The library version
#
# From now on the course uses the library instead of the notebook's code:
#
# | idea (this lecture) | where it lives |
# |---|---|
# | scalar autograd, graph drawing (sections 5–6) | `course_lib.autograd.Value`, `draw_graph` |
# | centered differences, relative error (section 9) | `course_lib.gradcheck.numerical_gradient`, `rel_error` |
# | affine layer and ReLU with forward / backward (sections 7–8) | `course_lib.layers.Linear`, `ReLU`, `Sequential` |
# | softmax and cross-entropy with its gradient $(P - Y)/N$ (section 8) | `course_lib.losses.softmax`, `cross_entropy` |
#
# Each layer's `forward` keeps its cache and `backward(dout)` fills `layer.grads` and
# returns the gradient for the layer below; `Sequential` calls them in order and in
# reverse. The layers know nothing of regularisation, so we add $2\lambda W$ ourselves.
# Loaded with the same weights, the library network must reproduce our gradients:

# %%
net = layers.Sequential(layers.Linear(D, H, rng=0), layers.ReLU(), layers.Linear(H, C, rng=0))
for i, k in [(0, "1"), (2, "2")]:
    net[i].params["W"][...] = params["W" + k]
    net[i].params["b"][...] = params["b" + k]
data_loss, dscores = losses.cross_entropy(net.forward(X), y)
net.backward(dscores)
lib_grads = {"W1": net.grads["0.W"] + 2 * reg * params["W1"], "b1": net.grads["0.b"],
             "W2": net.grads["2.W"] + 2 * reg * params["W2"], "b2": net.grads["2.b"]}  # fmt: skip
lib_loss = data_loss + reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
err = max(rel_error(lib_grads[k], grads[k]) for k in grads)
print(f"|library loss - our loss|: {format_bound(abs(lib_loss - loss), 1e-12)}")
print(f"max relative error, library gradients vs our backward: {format_bound(err, 1e-12)}")
assert err < 1e-12 and abs(lib_loss - loss) < 1e-12

# %% [markdown]
# ## 13. Takeaways and homework
#
# - Gradient descent needs $\partial\,\text{cost}/\partial\theta$ for every parameter; the
#   learning rate must be small enough, or the cost diverges. An EMA makes noisy cost
#   curves readable.
# - Without a nonlinearity, stacked linear layers collapse into one.
# - Backpropagation = chain rule on the computational graph: the forward pass stores each
#   layer's input and activations, the backward pass computes $\partial C/\partial z$
#   recursively from the output. Sum at forks, multiply along layers.
# - Matrix gradients follow from shapes: $D = W X \Rightarrow dW = dD\,X^\top$,
#   $dX = W^\top dD$; with rows as examples, $dW = x^\top d\text{out}$.
# - One backward pass gives all $P$ gradients for about the price of a forward pass; finite
#   differences need $2P$ forward passes. They remain the reference for debugging: relative
#   error below about $10^{-7}$, in float64.
# - In PyTorch `.grad` accumulates: zero it every step (`optimizer.zero_grad()`).
#
# **Homework.** `homework/hw01_backprop.ipynb`: implement the backward passes of the affine
# layer, ReLU and the softmax loss, assemble the two-layer network's loss and gradients,
# add two new operations to the scalar engine (`sin`, and `power` with a `Value`
# exponent), and gradient-check your work without PyTorch.
