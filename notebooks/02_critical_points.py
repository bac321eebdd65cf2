# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 02 — Critical points and the Hessian
#
# Training a network can fail for three different reasons, and each needs a different
# fix. This lecture first shows how to tell them apart, then studies the one that belongs
# to optimization: gradient descent stops where the gradient is zero. Such a **critical
# point** may be a minimum, a maximum or a **saddle point**, and the matrix of second
# derivatives, the **Hessian**, tells which. We compute Hessians three ways, escape a
# saddle along its downhill direction, count how often the critical points of a small
# network are saddles, see how the Hessian's **condition number** slows gradient descent,
# and meet second-order methods and the tools that scale: Hessian-vector products and
# power iteration.
#
# 1. When training fails: model bias, optimization or overfitting?
# 2. Critical points and the Taylor view
# 3. The Hessian three ways
# 4. The smallest network with a saddle point
# 5. Saddle points outnumber minima: the minimum ratio
# 6. Ill-conditioning and the condition number
# 7. Second-order methods, Hessian-vector products and power iteration
# 8. The library
# 9. Takeaways, glossary and exercises

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from course_lib import plots
from course_lib.data import make_moons, train_val_test_split
from course_lib.gradcheck import format_bound, rel_error
from course_lib.hessian import classify_critical_point, hessian, minimum_ratio
from course_lib.plots import contour_with_paths, eigenvalue_spectrum, loss_curves, use_style
from course_lib.surfaces import IllConditionedQuadratic, Rosenbrock, TwoWeightNet
from course_lib.training import evaluate, fit, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. When training fails: model bias, optimization or overfitting?
#
# A model does badly on new data. Before changing anything, look at the **training loss**
# first, then at the loss on held-out data:
#
# | what you see | diagnosis | what helps |
# |---|---|---|
# | training loss high, and no bigger model does better | **model bias**: no parameter setting fits the data | a more flexible model: more features, more layers, more units |
# | training loss high, but a *smaller* model reaches a lower training loss | **optimization** failure: a good setting exists, gradient descent did not find it | a better optimizer, a better architecture (lectures 03, 04, 06) |
# | training loss low, held-out loss high | **overfitting** | more data, data augmentation, a less flexible model, regularization, early stopping |

# %% [markdown]
# The middle row is the diagnostic worth remembering. A deeper network can do everything a
# shallower one can (its extra layers could, in principle, pass their input through almost
# unchanged). So if a deeper network ends with a *higher training loss* than a shallower
# one, the problem is not overfitting (that would show on held-out data, not on the
# training set) and not model bias. It is optimization.
#
# We run that test. Two *plain* multilayer perceptrons on the same two-moons data: 2
# linear layers vs 12, sigmoid activations, no batch normalization, no residual
# connections, plain SGD with the same learning rate. The data are split into training,
# validation and test sets.

# %%
X, y = make_moons(400, noise=0.2, seed=0)
split = train_val_test_split(X, y, val_fraction=0.2, test_fraction=0.2, seed=0)
X_train, y_train, X_val, y_val, X_test, y_test = (torch.tensor(a) for a in split)
train_batches = [(X_train[i : i + 40], y_train[i : i + 40]) for i in range(0, len(X_train), 40)]


def plain_mlp(n_linear, width=16, activation=nn.Sigmoid):
    """n_linear Linear layers with an activation (a sigmoid) between them (float64)."""
    layers, d = [], 2
    for _ in range(n_linear - 1):
        layers += [nn.Linear(d, width), activation()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, 2)).double()


print(f"train / val / test sizes: {len(X_train)} / {len(X_val)} / {len(X_test)}")

# %%
models, histories = {}, {}
for depth in (2, 12):
    set_seed(0)
    models[depth] = plain_mlp(depth)
    opt = torch.optim.SGD(models[depth].parameters(), lr=1.0)
    histories[depth] = fit(
        models[depth], train_batches, nn.CrossEntropyLoss(), opt,
        epochs=30, val_loader=[(X_val, y_val)], progress=False,
    )  # fmt: skip
curves = {
    f"{d} layers, {part}": getattr(h, f"{part}_loss")
    for d, h in histories.items()
    for part in ("train", "val")
}
loss_curves(
    curves,
    ylabel="cross-entropy loss",
    title="same data, same SGD: the deeper plain net does not train",
)
plt.show()

# %%
loss_fn = nn.CrossEntropyLoss()
print("layers  parameters  train loss  train acc  val loss  val acc")
for depth, model in models.items():
    tr = evaluate(model, [(X_train, y_train)], loss_fn)
    va = evaluate(model, [(X_val, y_val)], loss_fn)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"{depth:6d}  {n_params:10d}  {tr['loss']:10.4f}  {tr['accuracy']:9.3f}  {va['loss']:8.4f}  {va['accuracy']:7.3f}"
    )
deep_train = evaluate(models[12], [(X_train, y_train)], loss_fn)["loss"]
shallow_train = evaluate(models[2], [(X_train, y_train)], loss_fn)["loss"]
assert deep_train > shallow_train + 0.2

# %% [markdown]
# The 12-layer net has more parameters, yet it does not even fit the training set, while
# the 2-layer net, which the 12-layer one could imitate, does much better. So its failure
# is an optimization failure. But is it *stuck at a critical point*, where the gradient is
# zero? Two measurements on the whole training set after training say no. The cell below
# prints the gradient norm of every layer's weights, and the training loss next to
# $\ln 2$, the loss of guessing 50/50, and next to the best constant guess (the entropy of
# the label frequencies).

# %%
deep = models[12]
deep.zero_grad()
loss_deep = loss_fn(deep(X_train), y_train)
loss_deep.backward()
norms = [layer.weight.grad.norm().item() for layer in deep if isinstance(layer, nn.Linear)]
print("gradient norm of each layer's weights, layer 1 (input) to 12 (output):")
print("  " + "  ".join(f"{n:.0e}" for n in norms))
q = y_train.double().mean().item()  # fraction of class 1
best_constant = -(q * math.log(q) + (1 - q) * math.log(1 - q))
print(f"training loss {loss_deep.item():.3f}; ln 2 = {math.log(2):.3f}; best constant guess {best_constant:.3f}")  # fmt: skip
assert loss_deep.item() > math.log(2) > best_constant and norms[-1] > 1e-2 > 1e-6 > norms[0]

# %% [markdown]
# The output layer's gradient is far from zero, and the loss is *above* that of the best
# constant guess, which the output layer alone could reach through its bias: this is not a
# critical point. It is a *vanishing-gradient plateau*. Going back through layer $k$, the
# backward signal $\delta_k = \partial L/\partial z_k$ (at the layer's output $z_k$) is
# multiplied by the weights and then by the sigmoid's slope:
# $\delta_{k-1} = (\delta_k W_k) \odot \sigma'(z_{k-1})$. So one layer changes its size by at
# most $\lVert W_k\rVert_2 \max\sigma'$ (largest singular value times largest slope), and
# $\sigma' \le 1/4$. For the weights of this network that bound is below 1 at every
# layer:

# %%
zs, h = [], X_train
for layer in deep:  # the forward pass again, keeping every z_k and its gradient
    h = layer(h)
    if isinstance(layer, nn.Linear):
        h.retain_grad()
        zs.append(h)
loss_fn(h, y_train).backward()
linears = [layer for layer in deep if isinstance(layer, nn.Linear)]
bounds, ratios = [], []
for k in range(11, 0, -1):  # from the output layer back to the first
    slope = torch.sigmoid(zs[k - 1]) * (1 - torch.sigmoid(zs[k - 1]))
    bounds.append((torch.linalg.matrix_norm(linears[k].weight, 2) * slope.max()).item())
    ratios.append((zs[k - 1].grad.norm() / zs[k].grad.norm()).item())
print("‖δ_{k-1}‖ / ‖δ_k‖, k = 12 … 2: " + " ".join(f"{r:.2f}" for r in ratios))
print("bound ‖W_k‖·max σ':          " + " ".join(f"{b:.2f}" for b in bounds))
assert all(r <= b for r, b in zip(ratios, bounds, strict=True)) and max(bounds) < 1

# %% [markdown]
# The gradient therefore shrinks by orders of magnitude from layer to layer (the norms
# printed above); the first layers receive almost nothing and do not learn, and the
# network's output hardly depends on its input:

# %%
with torch.no_grad():
    spread = torch.softmax(deep(X_train), dim=1)[:, 1].std().item()
print(f"spread (std) of the predicted P(class 1) over the {len(X_train)} training inputs: {format_bound(spread, 1e-6)}")  # fmt: skip
assert spread < 1e-6

# %% [markdown]
# Lecture 04 returns to this: a stalled loss is not the same as a zero gradient, so look at
# the gradient norms, layer by layer. Lecture 06's batch normalization is one cure.
#
# The rest of this lecture (after a word on choosing models) is about the points where the
# gradient really is zero.
#
# **Picking the model: the validation set.** Suppose we try many models and keep the one
# with the best score on some held-out data. That score is then optimistic: we selected
# the model *because* it did well on exactly those examples. Kaggle makes this concrete.
# Its **public leaderboard** scores submissions on part of the hidden test data, again and
# again; the **private leaderboard**, revealed only at the end, uses the rest. A team that
# tunes against the public board can climb it and then drop on the private one. The same
# holds for us: choose among models (and hyperparameters) with a **validation set**, and
# touch the **test set** once, at the very end, to report what a new user would see.

# %%
chosen = min(models, key=lambda d: evaluate(models[d], [(X_val, y_val)], loss_fn)["loss"])
test = evaluate(models[chosen], [(X_test, y_test)], loss_fn)
print(f"chosen by validation loss: {chosen} layers")
print(f"its test loss {test['loss']:.4f}, test accuracy {test['accuracy']:.3f} (measured once)")

# %% [markdown]
# ## 2. Critical points and the Taylor view
#
# Near any point $\theta'$ the loss is approximated by its second-order **Taylor
# expansion**
#
# $$L(\theta) \approx L(\theta') + g^\top(\theta-\theta') + \tfrac12(\theta-\theta')^\top
# H\,(\theta-\theta'),\qquad g = \nabla L(\theta'),\quad H_{ij} = \frac{\partial^2 L}
# {\partial\theta_i\,\partial\theta_j}(\theta').$$
#
# At a **critical point** the gradient is zero, $g = 0$, so only the Hessian term is left.
# Write $v = \theta - \theta'$. Then the sign of $v^\top H v$ decides:
#
# - $v^\top H v > 0$ for every $v \ne 0$: the loss rises in all directions, a **local
#   minimum**;
# - $v^\top H v < 0$ for every $v \ne 0$: a **local maximum**;
# - positive for some $v$ and negative for others: a **saddle point**.
#
# We cannot try every $v$, but we do not need to. $H$ is symmetric, so
# $H = \sum_k \lambda_k u_k u_k^\top$ with orthonormal eigenvectors $u_k$, and
# $v^\top H v = \sum_k \lambda_k (u_k^\top v)^2$. All **eigenvalues** positive (H
# **positive definite**): a minimum. All negative: a maximum. Both signs: a saddle. Some
# eigenvalues zero and no mixed signs: second derivatives alone cannot decide
# (**degenerate**).

# %% [markdown]
# Take $f(x, y) = x^3 - 3xy + y^3$. Its gradient $(3x^2 - 3y,\; 3y^2 - 3x)$ vanishes at
# $(0, 0)$ and $(1, 1)$, and its Hessian is
# $H = \begin{pmatrix} 6x & -3 \\ -3 & 6y\end{pmatrix}$.


# %%
def cubic(p):
    x, y = p[..., 0], p[..., 1]
    return x**3 - 3 * x * y + y**3


def cubic_grad(p):
    x, y = p
    return np.array([3 * x**2 - 3 * y, 3 * y**2 - 3 * x])


def cubic_hessian(p):
    x, y = p
    return np.array([[6 * x, -3.0], [-3.0, 6 * y]])


# %%
for point in ([0.0, 0.0], [1.0, 1.0]):
    p = np.array(point)
    H = cubic_hessian(p)
    print(
        f"{p}: gradient {cubic_grad(p)}, eigenvalues {np.linalg.eigvalsh(H)} -> {classify_critical_point(H)}"
    )

# %% [markdown]
# At the saddle $(0, 0)$, $H = \begin{pmatrix} 0 & -3 \\ -3 & 0\end{pmatrix}$: along
# $v = (1, 1)$, $v^\top H v = -6$ and $f$ falls; along $v = (1, -1)$, $v^\top Hv = +6$ and
# $f$ rises. Check the prediction $f(tv) \approx \tfrac12 t^2 v^\top H v$ for a small $t$:

# %%
H0, t = cubic_hessian(np.zeros(2)), 1e-3
for v in (np.array([1.0, 1.0]), np.array([1.0, -1.0])):
    predicted = 0.5 * t**2 * v @ H0 @ v
    print(
        f"v = {v}: vᵀHv = {v @ H0 @ v:+.0f}, f(tv) = {cubic(t * v):+.4e}, ½t²vᵀHv = {predicted:+.4e}"
    )
    assert abs(cubic(t * v) - predicted) <= 2 * t**3 + 1e-15  # the rest is the cubic term

# %% [markdown]
# **How good is the quadratic approximation?** At the minimum $\theta' = (1, 1)$ take
# $\theta = \theta' + t\,d$ for a fixed unit direction $d$. The error of the
# second-order Taylor model is of third order, so halving $t$ should divide it by 8: the
# ratio error$/t^3$ settles to a constant. (For a cubic the ratio is exactly
# $d_x^3 + d_y^3$, the third-order term.)

# %%
p_min, d = np.array([1.0, 1.0]), np.array([0.6, 0.8])
H1 = cubic_hessian(p_min)
print("     t      error   error / t³")
for t in (1e-1, 5e-2, 2.5e-2, 1e-2, 1e-3):
    delta = t * d
    quadratic = cubic(p_min) + cubic_grad(p_min) @ delta + 0.5 * delta @ H1 @ delta
    err = abs(cubic(p_min + delta) - quadratic)
    print(f"{t:6.4f}  {err:9.2e}  {err / t**3:9.4f}")
assert abs(err / t**3 - (d**3).sum()) < 1e-6

# %%
surface = SimpleNamespace(
    value=cubic, name="f = x³ − 3xy + y³", minimum=p_min,
    default_xlim=(-1.2, 2.0), default_ylim=(-1.2, 2.0), axis_labels=("x", "y"),
)  # fmt: skip
ax = contour_with_paths(surface, levels=25, log_levels=False, colorbar_label="f(x, y)")
grid = np.stack(np.meshgrid(np.linspace(-1.2, 2, 200), np.linspace(-1.2, 2, 200)), axis=-1)
red = plots.color("highlight")
ax.contour(grid[..., 0], grid[..., 1], cubic(grid), levels=[0.0], colors=[red], linestyles="--")
ax.plot([], [], "--", color=red, label="level f = 0 through the saddle")
ax.plot(0, 0, "X", color=red, markersize=10, linestyle="none", label="saddle point")
ax.legend(loc="upper left", frameon=True)
plt.show()

# %% [markdown]
# ## 3. The Hessian three ways
#
# The Hessian of $f:\mathbb R^n\to\mathbb R$ is the $n\times n$ matrix
# $H_{ij} = \partial^2 f / \partial x_i\,\partial x_j$. It is symmetric whenever the second
# derivatives are continuous. Three ways to get it, on
#
# $$g(x, y) = \sin(x)\,e^{y} + x^2 y .$$
#
# **1. By hand.** $g_x = \cos(x)e^y + 2xy$ and $g_y = \sin(x)e^y + x^2$, so
#
# $$H = \begin{pmatrix} -\sin(x)e^y + 2y & \cos(x)e^y + 2x \\
# \cos(x)e^y + 2x & \sin(x)e^y \end{pmatrix}.$$
#
# **2. By finite differences.** Perturb two coordinates at once:
#
# $$H_{ij} \approx \frac{g(x + he_i + he_j) - g(x + he_i - he_j) - g(x - he_i + he_j)
# + g(x - he_i - he_j)}{4h^2},$$
#
# with an error of order $h^2$, plus rounding error of order $\epsilon_{\text{machine}}/h^2$.
#
# **3. By automatic differentiation.** Differentiate the gradient again,
# `torch.autograd.functional.hessian`.


# %%
def g_toy(p):  # p: float64 tensor of shape (2,)
    return torch.sin(p[0]) * torch.exp(p[1]) + p[0] ** 2 * p[1]


def g_toy_hessian(x, y):
    c, s, e = math.cos(x), math.sin(x), math.exp(y)
    return np.array([[-s * e + 2 * y, c * e + 2 * x], [c * e + 2 * x, s * e]])


# %%
def fd_hessian(f, x, h=1e-4):
    """Central-difference Hessian of f (a function of a float64 tensor) at x of shape (n,)."""
    E, H = np.eye(x.size) * h, np.empty((x.size, x.size))
    fx = lambda q: float(f(torch.tensor(q)))  # noqa: E731
    for i in range(x.size):
        for j in range(x.size):
            signs = ((1, 1), (1, -1), (-1, 1), (-1, -1))
            pp, pm, mp, mm = (fx(x + a * E[i] + b * E[j]) for a, b in signs)
            H[i, j] = (pp - pm - mp + mm) / (4 * h * h)
    return H


# %%
x0 = np.array([0.5, -0.3])
H_hand = g_toy_hessian(*x0)
H_fd = fd_hessian(g_toy, x0)
H_torch = torch.autograd.functional.hessian(g_toy, torch.tensor(x0)).numpy()
print("by hand:\n", H_hand)
err_fd, err_torch = rel_error(H_fd, H_hand), rel_error(H_torch, H_hand)
print(f"relative error, finite differences vs hand: {err_fd:.1e}")
print(f"relative error, torch.autograd vs hand:     {format_bound(err_torch, 1e-14)}")
assert err_fd < 1e-7 and err_torch < 1e-14

# %% [markdown]
# Autograd agrees with the formula to rounding error; finite differences to about
# $10^{-9}$. The step size $h$ trades truncation error ($\propto h^2$) for rounding error
# ($\propto 1/h^2$):

# %%
print("     h   rel. error vs hand")
for h in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
    print(f"{h:6.0e}   {rel_error(fd_hessian(g_toy, x0, h), H_hand):.1e}")

# %% [markdown]
# Both methods live in `course_lib.hessian`: `finite_difference_hessian(f, x, h=1e-4)` is
# the function above (it computes only $i \le j$ and mirrors, so the result is exactly
# symmetric) and `hessian(f, x)` wraps `torch.autograd.functional.hessian` and returns a
# float64 NumPy array. From now on we use them.

# %%
from course_lib.hessian import finite_difference_hessian

err_lib_fd = rel_error(finite_difference_hessian(g_toy, x0), H_fd)
err_lib = rel_error(hessian(g_toy, x0), H_torch)
print(
    f"course_lib finite_difference_hessian vs ours: {format_bound(err_lib_fd, 1e-12)}; course_lib hessian vs torch: {format_bound(err_lib, 1e-15)}"
)
assert err_lib_fd < 1e-12 and err_lib < 1e-15

# %% [markdown]
# ## 4. The smallest network with a saddle point
#
# The network $\hat y = w_1 w_2 x$ has two weights and no activation. With the single
# training example $(x, y) = (1, 1)$ its loss is
#
# $$L(w_1, w_2) = (1 - w_1 w_2)^2 .$$
#
# Gradient: $\partial L/\partial w_1 = -2w_2(1 - w_1w_2)$,
# $\partial L/\partial w_2 = -2w_1(1 - w_1w_2)$. It vanishes at the origin and on the whole
# curve $w_1 w_2 = 1$, where $L = 0$: every point of that curve is a global minimum.
# Second derivatives:
#
# $$H = \begin{pmatrix} 2w_2^2 & 4w_1w_2 - 2 \\ 4w_1w_2 - 2 & 2w_1^2 \end{pmatrix},
# \qquad H(0, 0) = \begin{pmatrix} 0 & -2 \\ -2 & 0 \end{pmatrix}.$$
#
# The surface is `course_lib.surfaces.TwoWeightNet`, which has these formulas built in;
# we check them against autograd.

# %%
net = TwoWeightNet()
origin = np.zeros(2)
H_origin = net.hessian(origin)
err = rel_error(H_origin, hessian(net.value, origin))
lam, U = np.linalg.eigh(H_origin)
print(f"gradient at the origin: {net.grad(origin) + 0.0}")  # + 0.0 turns -0.0 into 0.0
print(
    f"Hessian at the origin:\n{H_origin}\nmax relative error vs autograd: {format_bound(err, 1e-12)}"
)
print(
    f"eigenvalues {lam}; eigenvector of λ = {lam[0]:+.0f}: {U[:, 0]}, of λ = {lam[1]:+.0f}: {U[:, 1]}"
)
print(f"the origin is a {classify_critical_point(H_origin)}")
assert err < 1e-12 and np.allclose(lam, [-2, 2])

# %% [markdown]
# **Escaping the saddle.** The gradient is zero at the origin, so gradient descent started
# there never moves. The Hessian still shows the way down: along the eigenvector $u$ of the
# negative eigenvalue $\lambda = -2$, the Taylor expansion predicts
# $L(\text{origin} + \varepsilon u) \approx L(\text{origin}) + \tfrac12\lambda\varepsilon^2$,
# a decrease. Here $u = \pm(1, 1)/\sqrt2$, so exactly
# $L(\varepsilon u) = (1 - \varepsilon^2/2)^2 = 1 - \varepsilon^2 + \varepsilon^4/4$.

# %%
u = U[:, 0] * np.sign(U[0, 0])  # eigenvectors have no preferred sign; take the one towards w1 > 0
for eps in (0.3, 0.1, 0.01):
    before, after = net.value(origin), net.value(origin + eps * u)
    predicted = before + 0.5 * lam[0] * eps**2
    print(
        f"ε = {eps:4}: loss before {before:.6f}, after {after:.6f}, predicted {predicted:.6f}, gap {abs(after - predicted):.1e}"
    )
    assert abs(after - predicted) <= eps**4 / 4 + 1e-15

# %% [markdown]
# From the escaped point, plain gradient descent does the rest. For comparison we also
# start gradient descent at the surface's suggested start $(-1.5, 1.48)$, which lies
# almost on the line $w_1 = -w_2$: that is the direction of the *positive* eigenvalue, the
# path along which the saddle attracts. Gradient descent is the loop of lecture 01; we
# write it once here and reuse it below.


# %%
def gradient_descent(surface, start, lr, steps, tol=None):
    """Points visited by p <- p - lr * grad(p), shape (T, 2).

    With tol, stops once ||p - surface.minimum|| <= tol * ||start - surface.minimum||.
    """
    p = np.array(start, dtype=float)
    path, target = [p.copy()], None if tol is None else tol * np.linalg.norm(p - surface.minimum)
    for _ in range(steps):
        p = p - lr * surface.grad(p)
        path.append(p.copy())
        if target is not None and np.linalg.norm(p - surface.minimum) <= target:
            break
    return np.array(path)


# %%
paths = {
    "from the origin": gradient_descent(net, origin, lr=0.1, steps=60),
    "from (−1.5, 1.48)": gradient_descent(net, net.start, lr=0.1, steps=60),
    "from the escape step 0.1·u": gradient_descent(net, 0.1 * u, lr=0.1, steps=60),
}
for name, path in paths.items():
    below = np.flatnonzero(net.value(path) < 1e-6)
    when = f"after {below[0]} steps" if below.size else "never"
    final = net.value(path[-1])
    shown = format_bound(final, 1e-10) if final < 1e-10 else f"{final:.1e}"
    print(f"GD {name}: loss < 1e-6 {when}; final point {path[-1]}, loss {shown}")
growth = (paths["from the escape step 0.1·u"] @ u)[:6]
print(f"component along u, first steps: {growth}; growth factors {growth[1:] / growth[:-1]}")
assert np.all(np.abs(growth[1:] / growth[:-1] - 1.2) < 0.01)

# %%
fig, ax = plt.subplots(figsize=(7, 6.5), layout="constrained")
moving = {k: v for k, v in paths.items() if k != "from the origin"}  # that path is one point
contour_with_paths(net, moving, levels=25, ax=ax)
w1, green, red = np.linspace(0.5, 2, 50), plots.color("minimum"), plots.color("highlight")
ax.plot(w1, net.minimum_curve(w1), "--", color=green, label="minima: w₁w₂ = 1")
ax.plot(-w1, net.minimum_curve(-w1), "--", color=green)
ax.plot(
    0, 0, "X", color=red, markersize=10, linestyle="none", label="saddle point (GD from it stays)"
)
ax.set_title("two-weight net: gradient descent near the saddle at the origin")
ax.set_aspect("equal")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=True)
plt.show()

# %% [markdown]
# Gradient descent started exactly at the saddle never moves. Started at $(-1.5, 1.48)$ it
# first slides towards the saddle (the loss sits near 1, the saddle's value, for several
# steps), then leaves along the negative-curvature direction. After the escape
# step, the linearised update $p \leftarrow p - \eta H p$ multiplies the component along
# $u$ by $1 - \eta\lambda = 1 + 0.1 \cdot 2 = 1.2$ per step, as printed: escaping is
# exponential, but it starts from the size of the step, so a tiny perturbation takes
# about $\ln(1/\varepsilon)/\ln 1.2$ steps to get away. In practice we do not know where
# the saddles are, and forming $H$ is too expensive (section 7); the noise of mini-batches
# (lecture 03) and momentum play the role of the escape step.

# %% [markdown]
# ## 5. Saddle points outnumber minima: the minimum ratio
#
# At a critical point with $n$ parameters, a minimum needs all $n$ eigenvalues positive; a
# saddle needs just one negative. In high dimension it is plausible that most critical
# points are saddles, and that the few with (almost) all eigenvalues positive have low
# loss. We measure this on a small network. For a critical point with Hessian $H$ define
# the **minimum ratio**
#
# $$\text{minimum ratio} = \frac{\#\{\text{eigenvalues of } H > \text{tol}\}}{n},$$
#
# equal to 1 at a strict local minimum (`course_lib.hessian.minimum_ratio`).
#
# **The network.** A 1-7-1 tanh net (22 parameters) fits 30 noisy samples of
# $\sin(1.5x)$. The loss is the mean squared error plus a small **weight decay**
# $10^{-2}\lVert\theta\rVert^2$: without it the net has exactly flat directions (a hidden
# unit whose output weight is zero can change its input weights freely), its critical
# points are degenerate, and the search below finds almost none. Everything is in float64,
# and `theta` may hold a batch of parameter vectors, shape (..., 22).

# %%
gen = torch.Generator().manual_seed(0)
x_reg = torch.linspace(-2, 2, 30, dtype=torch.float64)
y_reg = torch.sin(1.5 * x_reg) + 0.1 * torch.randn(30, generator=gen, dtype=torch.float64)
HIDDEN, WEIGHT_DECAY = 7, 1e-2
N_PARAMS = 3 * HIDDEN + 1


def net_loss(theta):
    """Training loss of the 1-7-1 tanh net; theta (..., 22) -> loss (...)."""
    W1, b1, w2 = (theta[..., k * HIDDEN : (k + 1) * HIDDEN, None] for k in range(3))
    prediction = (w2 * torch.tanh(W1 * x_reg + b1)).sum(-2) + theta[..., -1:]
    return ((prediction - y_reg) ** 2).mean(-1) + WEIGHT_DECAY * (theta**2).sum(-1)


# %% [markdown]
# **Finding critical points.** Critical points of every kind are the zeros of the gradient
# $g(\theta)$, whose Jacobian is the Hessian $H$. **Newton's method** for the equation
# $g = 0$ (section 7 meets it as an optimizer) linearises $g(\theta - s) \approx g - Hs$
# and takes the step $s = H^{-1}g$. It does not care whether the zero is a minimum or a
# saddle, which is what we want here. A full step can overshoot, so we halve it until it
# lowers $\lVert g\rVert$. Some halving always works: the gradient of
# $\tfrac12\lVert g\rVert^2$ is $Hg$, and $(Hg)^\top s = g^\top H H^{-1} g = \lVert g
# \rVert^2 > 0$, so $-s$ points downhill on $\lVert g\rVert^2$. (Damping the step instead
# of halving it gives the Levenberg–Marquardt method, a common alternative.)
#
# We run many searches at once, one per row of `theta`. Rows are independent, so entry $k$
# of the gradient, summed over the rows, has as its gradient row $k$ of every row's
# Hessian: 22 backward passes give all the Hessians. `course_lib.critical_points` holds
# this machinery: `batched_gradients`, `batched_hessians`, and the search with its halving,
# `newton_critical_points(loss, theta)`. The cell checks the batched Hessians against
# `course_lib.hessian.hessian` and the two identities above with autograd.

# %%
from course_lib.critical_points import batched_gradients, batched_hessians, newton_critical_points

theta_test = torch.randn(3, N_PARAMS, generator=gen, dtype=torch.float64)
H_test = batched_hessians(net_loss, theta_test)
g_test = batched_gradients(net_loss, theta_test)
err_h = max(rel_error(H, hessian(net_loss, t)) for H, t in zip(H_test, theta_test, strict=True))
t_req = theta_test.clone().requires_grad_()
(g_graph,) = torch.autograd.grad(net_loss(t_req).sum(), t_req, create_graph=True)
(grad_half_sq,) = torch.autograd.grad(0.5 * (g_graph**2).sum(), t_req)  # ∇ ½‖g‖² by autograd
Hg = (H_test @ g_test[..., None])[..., 0]
s_test = torch.linalg.solve(H_test, g_test)  # the Newton steps
err_hg = rel_error(grad_half_sq, Hg)
err_descent = rel_error((Hg * s_test).sum(1), (g_test**2).sum(1))
print(f"Hessians vs course_lib.hessian.hessian {format_bound(err_h, 1e-12)}; ∇½‖g‖² vs Hg {format_bound(err_hg, 1e-12)}; (Hg)ᵀs vs ‖g‖² {format_bound(err_descent, 1e-10)}")  # fmt: skip
assert err_h < 1e-12 and err_hg < 1e-12 and err_descent < 1e-10


# %% [markdown]
# **Where to start.** Purely random starts mostly find high-loss saddles. To reach the
# low-loss region too, we draw 40 random parameter vectors $\theta \sim \mathcal N(0, I)$,
# run full-batch gradient descent on the loss from all of them at once (learning rate
# 0.1), and start the search from the snapshots after 0, 30, 300 and 1000 steps: 160
# starts in all. We keep the points whose gradient norm falls below a threshold.

# %%
# NBVAL_IGNORE_OUTPUT
# The counts below can differ by a point or two on another CPU: a few starts are sensitive
# to rounding. The claims asserted two cells below hold everywhere.
GRAD_TOL = 1e-10
theta = torch.randn(40, N_PARAMS, generator=gen, dtype=torch.float64)
starts = []
for step in range(1001):
    if step in (0, 30, 300, 1000):
        starts.append(theta.clone())
    theta = theta - 0.1 * batched_gradients(net_loss, theta)
theta, grad_norm = newton_critical_points(net_loss, torch.cat(starts), iters=50)
found, rest = theta[grad_norm < GRAD_TOL], grad_norm[grad_norm >= GRAD_TOL]
print(f"starts: {len(theta)}; converged to ‖g‖ < {GRAD_TOL:.0e}: {len(found)}; the others stopped at ‖g‖ > {rest.min():.0e}")  # fmt: skip
assert rest.min() > 1e3 * GRAD_TOL  # a wide gap: no run sits near the threshold

# %% [markdown]
# Many runs converge to the same point (or to a copy of it: permuting the hidden units,
# or flipping the signs of one unit's three weights, leaves the loss unchanged). We keep
# one point per distinct loss value, then compute each one's Hessian spectrum and its
# minimum ratio.

# %%
# NBVAL_IGNORE_OUTPUT
EIG_TOL = 1e-6
points = {}
for theta in found:
    points.setdefault(round(float(net_loss(theta)), 6), theta)
losses = np.array(sorted(points))
hessians = [hessian(net_loss, points[loss]) for loss in losses]
spectra = [np.linalg.eigvalsh(H) for H in hessians]
ratios = np.array([minimum_ratio(H, EIG_TOL) for H in hessians])
negatives = np.array([(lam < -EIG_TOL).sum() for lam in spectra])
is_min = ratios == 1
print(f"distinct critical points: {len(losses)}; local minima (ratio 1): {is_min.sum()}; saddle points: {(~is_min).sum()}")  # fmt: skip
print("negative eigenvalues  min. ratio  points  loss range")
for n_neg in np.unique(negatives):
    group, ratio = losses[negatives == n_neg], ratios[negatives == n_neg][0]
    print(f"{n_neg:20d}  {ratio:10.3f}  {group.size:6d}  {group.min():.4f} – {group.max():.4f}")
all_eigenvalues = np.concatenate(spectra)
flat_mse = int((np.abs(all_eigenvalues - 2 * WEIGHT_DECAY) < EIG_TOL).sum())
print(f"eigenvalues equal to 2·weight decay = {2 * WEIGHT_DECAY:g} (the MSE alone is flat there): {flat_mse} of {all_eigenvalues.size}")  # fmt: skip

# %%
n_saddle, n_min, lowest_third = (~is_min).sum(), is_min.sum(), np.quantile(losses, 1 / 3)
# fmt: off
claims = {
    "saddle points outnumber local minima more than 3 to 1": n_saddle > 3 * n_min > 0,
    "the highest-loss point has the lowest minimum ratio": ratios[np.argmax(losses)] == ratios.min(),
    "every local minimum lies among the lowest third of the losses": losses[is_min].max() <= lowest_third,
    f"no eigenvalue within {EIG_TOL:.0e} of 0 (no degenerate point)": np.abs(all_eigenvalues).min() > 1e2 * EIG_TOL,
    "over 5% of all eigenvalues equal 2·weight decay (MSE flat)": flat_mse > 0.05 * all_eigenvalues.size,
}
# fmt: on
for claim, holds in claims.items():
    print(f"{claim}: {'✓' if holds else '✗'}")
assert all(claims.values())

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
edge = plots.color("axis")
ax1.scatter(ratios[~is_min], losses[~is_min], color=plots.color("negative"), edgecolor=edge, label="saddle point")  # fmt: skip
ax1.scatter(ratios[is_min], losses[is_min], color=plots.color("minimum"), marker="s", edgecolor=edge, label="local minimum")  # fmt: skip
ax1.set(xlabel="minimum ratio (fraction of eigenvalues > 1e-6)", ylabel="training loss (MSE + weight decay)",
        title=f"{len(losses)} critical points of a 22-parameter tanh net", yscale="log")  # fmt: skip
ax1.legend()
best_saddle = int(np.flatnonzero(~is_min)[0])
eigenvalue_spectrum(spectra[best_saddle], tol=EIG_TOL, ax=ax2,
                    title=f"Hessian spectrum of the lowest-loss saddle (loss {losses[best_saddle]:.4f})")  # fmt: skip
ax2.set_yscale("symlog", linthresh=1e-2)  # linear within ±0.01, logarithmic outside
plt.show()

# %% [markdown]
# **What the plot shows.** Saddles far outnumber minima, and the highest-loss critical
# point has the most negative directions (both asserted above, with the exact counts in
# the table). The local minima sit among
# the lowest losses; in between, the loss tends to fall as the ratio rises, but the groups
# overlap: near the bottom, minima lie next to saddles with a few negative directions. On
# the right, a few large eigenvalues and many small ones: near the bottom the negative
# eigenvalues are tiny next to the largest, so the way out of such a saddle is a gentle
# slope, and gradient descent can spend a long time near it.
#
# **Caveats.** The network is tiny; for real networks the claim rests on other evidence
# (e.g. Dauphin et al., 2014). What we find depends on the starts, and we cannot claim to
# have found *all* critical points; runs that did not converge are discarded. And weight
# decay adds exactly $2 \cdot 10^{-2}$ to every eigenvalue: the many eigenvalues equal to
# $0.02$ (printed above) are directions in which the MSE alone is flat (**degenerate**),
# so there the decay, not the data, decides the sign.

# %% [markdown]
# ## 6. Ill-conditioning and the condition number
#
# Even without saddles, gradient descent can be slow. Near a minimum the loss is
# approximately a quadratic $\tfrac12 p^\top A p$ (section 2, with $A = H$). Its
# **condition number** is the ratio of the largest to the smallest Hessian eigenvalue,
#
# $$\kappa = \frac{\lambda_{\max}}{\lambda_{\min}} .$$
#
# In the eigenbasis a gradient step $p \leftarrow p - \eta Ap$ multiplies each coordinate
# by $1 - \eta\lambda_k$. Stability along the steep direction needs
# $\eta < 2/\lambda_{\max}$, but then the flat direction shrinks by only
# $1 - \eta\lambda_{\min} > 1 - 2/\kappa$ per step. The best fixed step,
# $\eta = 2/(\lambda_{\min} + \lambda_{\max})$, shrinks both coordinates by
# $\rho = (\kappa - 1)/(\kappa + 1)$ per step, flipping the sign of the steep one each
# time: the **zig-zag**. Reaching a distance $\varepsilon$ times the initial one takes
#
# $$T = \left\lceil\frac{\ln(1/\varepsilon)}{\ln(1/\rho)}\right\rceil \approx
# \frac{\kappa}{2}\,\ln\frac1\varepsilon \text{ steps: linear in } \kappa .$$
#
# `course_lib.surfaces.IllConditionedQuadratic(κ)` has Hessian eigenvalues 1 and κ.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
for kappa, ax in zip((2, 50), axes, strict=True):
    valley = IllConditionedQuadratic(kappa)
    lam = np.linalg.eigvalsh(valley.hessian(valley.start))
    lr = 2 / (lam[0] + lam[-1])
    path = gradient_descent(valley, valley.start, lr, steps=25)
    contour_with_paths(valley, {f"GD, lr = 2/(1+κ) = {lr:.3f}, 25 steps": path}, ax=ax)
    ax.legend(loc="lower right", frameon=True)
    ax.set_title(f"κ = λmax/λmin = {lam[-1] / lam[0]:g}")
plt.show()

# %%
eps = 1e-6
print("     κ  steps measured  predicted T  (κ/2)·ln(1/ε)")
for kappa in (3, 10, 30, 100, 300, 1000):
    valley = IllConditionedQuadratic(kappa)
    lam = np.linalg.eigvalsh(valley.hessian(valley.start))
    cond, lr = lam[-1] / lam[0], 2 / (lam[0] + lam[-1])
    steps = len(gradient_descent(valley, valley.start, lr, steps=100_000, tol=eps)) - 1
    rho = (cond - 1) / (cond + 1)
    predicted = math.ceil(math.log(1 / eps) / math.log(1 / rho))
    print(f"{cond:6g}  {steps:14d}  {predicted:11d}  {cond / 2 * math.log(1 / eps):13.0f}")
    assert abs(steps - predicted) <= 1

# %% [markdown]
# The count grows in proportion to κ, as predicted. Real losses are far from this
# friendly: the Rosenbrock valley of lectures 03–04 has a condition number in the
# thousands at its minimum (printed below).

# %%
rosen = Rosenbrock()
for name, p in (("start", rosen.start), ("minimum", rosen.minimum)):
    lam = np.linalg.eigvalsh(rosen.hessian(p))
    print(
        f"Rosenbrock at the {name} {p}: eigenvalues {lam}, condition number {lam[-1] / lam[0]:.0f}"
    )

# %% [markdown]
# ## 7. Second-order methods, Hessian-vector products and power iteration
#
# **Newton's method.** Use the whole quadratic model
# $L(\theta + s) \approx L + g^\top s + \tfrac12 s^\top H s$ and jump to its stationary
# point: setting the derivative $g + Hs$ to zero gives
#
# $$\theta_{\text{new}} = \theta - H^{-1} g .$$
#
# If $L$ *is* a quadratic, one step lands exactly on the critical point, whatever κ is:
# the Hessian undoes the elongation. We solve $Hs = g$ rather than inverting $H$.


# %%
def newton_step(p, grad, H):
    return p - np.linalg.solve(H, grad)


valley = IllConditionedQuadratic(1000)
p1 = newton_step(valley.start, valley.grad(valley.start), valley.hessian(valley.start))
g1 = np.linalg.norm(valley.grad(p1))
print(
    f"κ = 1000: gradient norm {np.linalg.norm(valley.grad(valley.start)):.1f} at the start, {format_bound(g1, 1e-12)} after ONE Newton step"
)
assert g1 < 1e-12

# %% [markdown]
# On a non-quadratic surface the model is only local, so Newton's method needs several
# steps; near the minimum the number of correct digits roughly doubles per step
# (**quadratic convergence**). On Rosenbrock:

# %%
p, newton_path = rosen.start.copy(), [rosen.start.copy()]
print("step  loss        gradient norm")
for k in range(10):
    grad_norm = np.linalg.norm(rosen.grad(p))
    loss_k, tiny = rosen.value(p), "< 1e-10"  # below 1e-10 the digits are rounding
    print(f"{k:4d}  {f'{loss_k:.3e}' if loss_k >= 1e-10 else tiny:>10}  "
          f"{f'{grad_norm:.3e}' if grad_norm >= 1e-10 else tiny:>10}")  # fmt: skip
    if grad_norm < 1e-10:
        break
    p = newton_step(p, rosen.grad(p), rosen.hessian(p))
    newton_path.append(p.copy())
gd_path = gradient_descent(rosen, rosen.start, lr=1e-3, steps=2000)
print(f"gradient descent (lr 1e-3) after 2000 steps: loss {rosen.value(gd_path[-1]):.3e}")

# %%
rosen_paths = {"GD lr 1e-3, 2000 steps": gd_path, f"Newton, {len(newton_path) - 1} steps": np.array(newton_path)}  # fmt: skip
ax = contour_with_paths(rosen, rosen_paths, xlim=(-2, 2), ylim=(-3.5, 3))
ax.legend(loc="lower left", frameon=True)
plt.show()

# %% [markdown]
# Newton's method reached the minimum in a handful of steps where gradient descent had not
# arrived after 2000. Note two warnings in the table. The loss went *up* on some steps:
# pure Newton does not know it should go downhill, and practical versions add a line
# search or damping (section 5 halved its steps). And it is attracted to *any* critical
# point, saddles included: that is exactly why section 5 used it to find saddles.
#
# **Why not for big networks?** With $N$ parameters, $H$ has $N^2$ entries and solving
# $Hs = g$ costs about $N^3/3$ floating-point operations, at every step:

# %%
for n in (1e6, 1e8):
    memory_tb = 4 * n**2 / 1e12  # float32: 4 bytes per entry
    hours = (n**3 / 3) / 1e13 / 3600  # at 10 TFLOP/s
    duration = f"{hours:,.0f} hours" if hours < 8766 else f"{hours / 8766:,.0f} years"
    print(
        f"N = {n:.0e}: Hessian {memory_tb:,.0f} TB, one solve ≈ {duration} at 10 TFLOP/s; the gradient: {4 * n / 1e6:,.0f} MB"
    )

# %% [markdown]
# **Hessian-vector products.** Many uses of the Hessian only need $Hv$ for some vector
# $v$, and that costs about two gradients, never forming $H$:
#
# $$Hv = \nabla_\theta\big(\nabla_\theta L(\theta)^\top v\big),$$
#
# a second backward pass through the graph of the first (double backpropagation). We
# check it at the lowest-loss local minimum of section 5.


# %%
from course_lib.hessian import hessian_vector_product, top_eigenvalue


def hvp(f, x, v):
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(grad @ v, x)[0]


theta_star = points[losses[is_min][0]]
H_star = hessian(net_loss, theta_star)
v = torch.randn(N_PARAMS, generator=gen, dtype=torch.float64)
err = rel_error(hvp(net_loss, theta_star, v).numpy(), H_star @ v.numpy())
err_lib = rel_error(hessian_vector_product(net_loss, theta_star, v), H_star @ v.numpy())
print(f"Hv by double backprop vs H @ v: {format_bound(err, 1e-12)}; course_lib.hessian.hessian_vector_product: {format_bound(err_lib, 1e-12)}")  # fmt: skip
assert err < 1e-12 and err_lib < 1e-12

# %% [markdown]
# **Power iteration.** Repeating $v \leftarrow Hv / \lVert Hv\rVert$ turns $v$ towards
# the eigenvector whose eigenvalue is largest in size, and the Rayleigh quotient
# $v^\top H v$ converges to that eigenvalue. Only products $Hv$ are needed. (The top
# eigenvalue limits the stable learning rate, $\eta < 2/\lambda_{\max}$, section 6.)

# %%
v = torch.randn(N_PARAMS, generator=gen, dtype=torch.float64)
for _ in range(300):
    hv = hvp(net_loss, theta_star, v)
    v = hv / hv.norm()
estimate = float(v @ hvp(net_loss, theta_star, v))
exact = np.linalg.eigvalsh(H_star)[-1]
lib_estimate, _ = top_eigenvalue(net_loss, theta_star, num_iters=1000)
print(
    f"top eigenvalue: power iteration {estimate:.6f}, course_lib.top_eigenvalue {lib_estimate:.6f}, full spectrum {exact:.6f}"
)
print(
    f"relative error: {format_bound(abs(estimate - exact) / exact, 1e-8)}, {format_bound(abs(lib_estimate - exact) / exact, 1e-8)}"
)
assert abs(estimate - exact) / exact < 1e-8 and abs(lib_estimate - exact) / exact < 1e-8

# %% [markdown]
# At a minimum every eigenvalue is positive, so the largest in size is the largest. At a
# saddle the power iteration may return a negative eigenvalue instead, and it fails when
# the two largest sizes are equal with opposite signs (the two-weight net's ±2).
#
# ## 8. The library
#
# | piece | where it lives | used later in |
# |---|---|---|
# | exact Hessian (autograd, float64), finite-difference Hessian | `course_lib.hessian.hessian`, `finite_difference_hessian` | checks in this lecture (in hw02 you write your own) |
# | classify a critical point, minimum ratio | `classify_critical_point(H, tol)`, `minimum_ratio(H, tol)` | hw02's self-checks |
# | Hessian-vector product, power iteration | `hessian_vector_product(f, x, v)`, `top_eigenvalue(f, x)` | — |
# | batched Hessians, Newton's search for critical points (section 5) | `course_lib.critical_points`: `batched_hessians(loss, theta)`, `newton_critical_points(loss, theta)` | — |
# | toy surfaces with `value` / `grad` / `hessian` | `course_lib.surfaces`: `IllConditionedQuadratic`, `Rosenbrock`, `Saddle`, `TwoWeightNet`, `BumpyCurve` | 03 (momentum on the valley and the bumpy curve), 04 (adaptive optimizers on the valley and Rosenbrock) |
# | contour plots with paths, spectra, loss curves | `course_lib.plots` | all lectures |
#
# Every surface knows its critical points, so the Hessian tools classify them directly,
# and the surfaces' hand-written Hessians agree with autograd:

# %%
from course_lib.surfaces import BumpyCurve, Saddle

for surface in (IllConditionedQuadratic(10), Rosenbrock(), Saddle(), TwoWeightNet(), BumpyCurve()):
    for point in surface.critical_points:
        H = surface.hessian(point)
        assert rel_error(H, hessian(surface.value, point)) < 1e-12
        print(f"{surface.name:32s} at {np.round(point, 4)}: {classify_critical_point(H)}")

# %% [markdown]
# ## 9. Takeaways, glossary and exercises
#
# - First find out *which* problem you have. A deeper network with a *higher training
#   loss* than a shallower one has an optimization problem, not overfitting. A stalled
#   loss is not yet a critical point: the deep sigmoid net sat on a vanishing-gradient
#   plateau with a clearly non-zero gradient. Choose models with a validation set.
# - At a **critical point** ($g = 0$) the signs of the Hessian's **eigenvalues** decide:
#   all positive, minimum; all negative, maximum; mixed, **saddle point**. The Hessian by
#   hand, by finite differences and by autograd agree.
# - A saddle is not a trap for a method that uses curvature: the eigenvector of a negative
#   eigenvalue is a way down, with the decrease $\tfrac12\lambda\varepsilon^2$ predicted.
# - Newton's method on $g = 0$ found the critical points of a small network: saddles far
#   outnumbered minima, and the minima had low loss (with the caveats of section 5).
# - The **condition number** makes gradient descent zig-zag and need about
#   $(\kappa/2)\ln(1/\varepsilon)$ steps; Newton's method solves a quadratic in one step
#   but costs $O(N^2)$ memory and $O(N^3)$ time. **Hessian-vector products** and **power
#   iteration** get curvature information at the cost of a few gradients.
#
# **Homework.** `homework/hw02_critical_points.ipynb`: compute Hessians analytically and
# with autograd, classify critical points, escape a saddle along the negative-curvature
# eigenvector, and take one Newton step.
#
# **Glossary.** Every term in bold is in the course [glossary](glossary.md), in English and
# Chinese (e.g. saddle point — 鞍点, Hessian — 海森矩阵, condition number — 条件数).

# %% [markdown]
# **Exercises.** Predict the answer before you run the code. Each answer is folded under
# its exercise.

# %% [markdown]
# **Exercise 1.** In section 1, build `plain_mlp(12, activation=nn.ReLU)` and compute the
# gradient norm of each layer's weights *before* training, for ReLU and for the sigmoid.
# Will the first layer's still be orders of magnitude below the last layer's?

# %% tags=["answer"]
for activation in (nn.Sigmoid, nn.ReLU):
    set_seed(0)
    model = plain_mlp(12, activation=activation)
    loss_fn(model(X_train), y_train).backward()
    g = [m.weight.grad.norm().item() for m in model if isinstance(m, nn.Linear)]
    print(f"{activation.__name__:7s} layer 1 to 12: " + " ".join(f"{n:.0e}" for n in g)
          + f"; last / first = {g[-1] / g[0]:.0e}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Still, but far less. With sigmoids the last layer's gradient is about $4 \cdot 10^9$ times
# the first's already at initialisation; with ReLU about $3 \cdot 10^3$. A ReLU's slope is
# 1 where the unit is active, not at most 1/4, so the $\max\sigma'$ factor of section 1 is
# gone. What remains is the weight factor: PyTorch's default initialisation draws weights
# so small (uniform in $\pm 1/\sqrt{\text{fan-in}}$) that each ReLU layer still shrinks
# the signal, by about half (three orders of magnitude over eleven layers). Initialisations scaled for ReLU (He, $\text{Var}\,w = 2/\text{fan-in}$) and
# batch normalization (lecture 06) remove that factor too.
# </details>

# %% [markdown]
# **Exercise 2.** In section 4, start gradient descent at $10^{-8}u$ instead of $0.1u$. Use
# the growth factor $1.2$ to predict how many more steps it needs before the loss drops
# below $10^{-6}$, then check.

# %% tags=["answer"]
first_below = {}
for scale in (0.1, 1e-8):
    path = gradient_descent(net, scale * u, lr=0.1, steps=1000)
    first_below[scale] = int(np.flatnonzero(net.value(path) < 1e-6)[0])
print(
    f"steps until the loss < 1e-6: from 0.1·u {first_below[0.1]}, from 1e-8·u {first_below[1e-8]}"
)
print(f"difference {first_below[1e-8] - first_below[0.1]}; predicted ln(1e7) / ln(1.2) = "
      f"{math.log(1e7) / math.log(1.2):.1f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# About 88 more steps. Near the saddle the component along $u$ grows by the factor 1.2 per
# step, so growing from $10^{-8}$ to 0.1, a factor $10^7$, takes
# $\ln(10^7)/\ln 1.2 \approx 88.4$ steps; after that the two runs are the same. The
# measured difference is 88. The escape is exponential, but a start very close to the
# saddle pays a long plateau first.
# </details>

# %% [markdown]
# **Exercise 3.** In section 5, the Hessian of the mean squared error alone is the Hessian
# of the loss minus $2 \cdot 10^{-2} I$ (the weight decay's part). At the lowest-loss local
# minimum, how many of its eigenvalues are zero (within $10^{-6}$) or negative? Is that
# point a strict local minimum of the MSE alone?

# %% tags=["answer"]
lowest_min = int(np.flatnonzero(is_min)[0])
mse_spectrum = spectra[lowest_min] - 2 * WEIGHT_DECAY
zero = np.abs(mse_spectrum) < EIG_TOL
theta_min = points[losses[lowest_min]]
print(f"MSE gradient norm there: {float(2 * WEIGHT_DECAY * theta_min.norm()):.3f}")
print(f"loss {losses[lowest_min]:.4f}; MSE Hessian: {zero.sum()} eigenvalues zero, "
      f"{(mse_spectrum < -EIG_TOL).sum()} negative, smallest nonzero {np.abs(mse_spectrum[~zero]).min():.1e}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# No. The MSE's Hessian there has no zero eigenvalue but 5 negative ones: the loss
# Hessian's eigenvalues between 0 and 0.02 drop below zero once the decay's $+0.02$ is
# taken away. Nor is the point a critical point of the MSE: the MSE's gradient there is
# $-2 \cdot 10^{-2}\theta$, which the decay's gradient balances (its norm is printed). The
# data alone leave this point on a slope with some downhill curvature; the decay makes it
# a strict minimum. As section 5's caveats say, in the weakly curved directions the decay,
# not the data, decides.
# </details>

# %% [markdown]
# **Exercise 4.** In section 6, run gradient descent on the κ = 10 valley with
# $\eta = 2.1/\lambda_{\max}$. What does the path do, and why?

# %% tags=["answer"]
valley = IllConditionedQuadratic(10)
lam = np.linalg.eigvalsh(valley.hessian(valley.start))
path = gradient_descent(valley, valley.start, lr=2.1 / lam[-1], steps=50)
U_valley = np.linalg.eigh(valley.hessian(valley.start))[1]
coords = path @ U_valley  # coordinates along the flat and the steep eigenvector
print(f"steep coordinate, ratio per step: {coords[1:6, 1] / coords[:5, 1]}")
print(f"flat coordinate, ratio per step: {coords[1:4, 0] / coords[:3, 0]}")
print(
    f"distance to the minimum: {np.linalg.norm(path[0]):.2f} at the start, {np.linalg.norm(path[-1]):.1f} after 50 steps"
)

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# It zig-zags across the valley with growing swings and diverges. In the eigenbasis a
# step multiplies each coordinate by $1 - \eta\lambda_k$: along the steep direction that is
# $1 - 2.1 = -1.1$ (the sign flips and the size grows by 10% per step), along the flat one
# $1 - 0.21 = 0.79$. The flat coordinate converges, but the steep one grows like $1.1^t$:
# after 50 steps the distance is $1.1^{50} \approx 117$ times the start. $\eta$ is just
# above the limit $2/\lambda_{\max}$.
# </details>

# %% [markdown]
# **Exercise 5.** Run the power iteration of section 7 at the lowest-loss *saddle* of
# section 5. Which eigenvalue does it return: the most negative, or the largest positive
# one?

# %% tags=["answer"]
saddle_spectrum = spectra[best_saddle]
estimate_s, _ = top_eigenvalue(net_loss, points[losses[best_saddle]], num_iters=300)
print(f"power iteration: {estimate_s:.4f}; spectrum: most negative {saddle_spectrum[0]:.1e}, "
      f"largest {saddle_spectrum[-1]:.4f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# The largest positive one. Power iteration finds the eigenvalue largest in *size*, and at
# this saddle the negative eigenvalues are tiny next to the largest positive one (printed).
# To find the most negative eigenvalue, run the power iteration on $\lambda_{\max} I - H$
# (its top eigenvector is $H$'s bottom one), or use Lanczos' method.
# </details>
