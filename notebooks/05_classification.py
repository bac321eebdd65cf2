# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 05 — Classification losses
#
# A classifier outputs one score per class. Which loss turns those scores into a training
# signal? We encode classes as one-hot vectors, turn scores into probabilities with a
# stable softmax, and compare mean squared error with cross-entropy, whose error surface
# shows why it wins; then PyTorch's traps, the hinge loss, losses as likelihoods, and why a
# classifier good on its training data tends to be good on all data.
#
# 1. Classes as one-hot vectors
# 2. Softmax, computed stably
# 3. Cross-entropy and its gradient
# 4. MSE vs cross-entropy
# 5. PyTorch's `CrossEntropyLoss` takes logits
# 6. Two classes, and the hinge loss
# 7. Every loss is a negative log-likelihood; label smoothing
# 8. Why more data or a smaller hypothesis set generalises
# 9. Every loss against PyTorch
# 10. The library, takeaways, glossary and exercises

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import losses, plots
from course_lib.data import load_digits, make_blobs, standardize, train_val_test_split
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.plots import decision_boundary, loss_curves, use_style
from course_lib.training import fit, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. Classes as one-hot vectors
#
# In **classification** the target is one of $C$ classes, not a number. Numbering the
# classes 1, 2, 3 and regressing on the number is tempting, but numbers carry an order and
# a distance: with the squared error, predicting 2 for a class-1 example costs
# $(2-1)^2 = 1$ and predicting 3 costs $(3-1)^2 = 4$, as if class 1 were closer to class 2
# than to class 3. That is a fact about our numbering, not about the data.
#
# A **one-hot vector** encodes class $k$ as the $k$-th unit vector $\mathbf e_k$:
# $[1, 0, 0]$, $[0, 1, 0]$, $[0, 0, 1]$. Every two different classes are now at the same
# distance $\sqrt 2$.

# %%
ids = np.array([1.0, 2.0, 3.0])
one_hot = np.eye(3)
dist_ids = np.abs(ids[:, None] - ids[None, :])
dist_one_hot = np.linalg.norm(one_hot[:, None, :] - one_hot[None, :, :], axis=-1)
print("distance between classes as numbers 1, 2, 3:\n", dist_ids)
print("distance between classes as one-hot vectors:\n", dist_one_hot)
off_diagonal = dist_one_hot[~np.eye(3, dtype=bool)]
assert np.allclose(off_diagonal, np.sqrt(2))

# %% [markdown]
# The extra structure changes what a model learns. Take 150 points on a line in three
# clusters, at $x = -2$ ("left"), $0$ ("middle") and $2$ ("right"). We fit a line
# $\hat y = wx + b$ to the class numbers by least squares and predict the nearest number,
# once with left, middle, right = 1, 2, 3 and once with 1, 3, 2.

# %%
rng = np.random.default_rng(0)
x_line = np.concatenate([rng.normal(center, 0.5, 50) for center in (-2.0, 0.0, 2.0)])
cluster = np.repeat([0, 1, 2], 50)  # 0 = left, 1 = middle, 2 = right
numberings = {
    "left, middle, right = 1, 2, 3": [1, 2, 3],
    "left, middle, right = 1, 3, 2": [1, 3, 2],
}
fits = {}
for name, numbers in numberings.items():
    target = np.array(numbers, dtype=float)[cluster]
    A = np.column_stack([x_line, np.ones_like(x_line)])
    w, b = np.linalg.lstsq(A, target, rcond=None)[0]
    predicted = np.clip(np.rint(w * x_line + b), 1, 3)
    fits[name] = (target, w, b, np.mean(predicted == target))
    print(f"{name}: fitted line {w:.4f} x + {b:.4f}, accuracy {fits[name][3]:.4f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
grid = np.linspace(-3.5, 3.5, 2)
for ax, (name, (target, w, b, acc)) in zip(axes, fits.items(), strict=True):
    ax.scatter(x_line, target, s=12, alpha=0.5, label="examples (class number)")
    ax.plot(grid, w * grid + b, color=plots.color("highlight"), label="least-squares line")
    ax.set(xlabel="input x", ylabel="class number", title=f"{name}: accuracy {acc:.2f}")
    ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# Same data, same model, and the accuracy collapses because we renamed two classes: the
# line would have to go up, then down, so the best straight line is almost flat and
# predicts "2" for nearly all. A one-hot target has no order; a model with one output per
# class treats every numbering alike (section 3 checks this).
#
# So a classifier outputs a vector $\mathbf z \in \mathbb R^C$, one score per class, and we
# compare it with the one-hot target. The raw scores are called **logits**; next we turn
# them into probabilities.

# %% [markdown]
# ## 2. Softmax, computed stably
#
# The **softmax** maps logits $\mathbf z \in \mathbb R^C$ to probabilities:
#
# $$p_i = \mathrm{softmax}(\mathbf z)_i = \frac{e^{z_i}}{\sum_{j=1}^{C} e^{z_j}} .$$
#
# Every $p_i$ is positive, they sum to 1, and a larger logit gets a larger probability.
# Written as it stands, it breaks for large logits: $e^{z}$ overflows float64 for
# $z > 709.8$, so logits like $[1000, 1001, 1002]$ give $\infty / \infty$ = nan.


# %%
def naive_softmax(z):
    """softmax(z) along the last axis, exactly as the formula is written."""
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


big = np.array([1000.0, 1001.0, 1002.0])
with np.errstate(over="ignore", invalid="ignore"):  # silence NumPy's overflow warning
    print(f"naive softmax of {big}: {naive_softmax(big)}")
print(f"naive softmax of {big - 1000}: {naive_softmax(big - 1000)}")

# %% [markdown]
# The fix: adding a constant $c$ to every logit multiplies numerator and denominator by
# $e^{c}$, so $\mathrm{softmax}(\mathbf z + c) = \mathrm{softmax}(\mathbf z)$. Take $c = -m$
# with $m = \max_j z_j$ (seed 004 subtracts the row maximum the same way). Then every
# exponent is $\le 0$ and the denominator lies in $[1, C]$: no overflow, no division by 0.


# %%
def softmax(z):
    """softmax(z) along the last axis, stable: subtract the maximum first."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


print(f"stable softmax of {big}: {softmax(big)}")
err = np.abs(softmax(big) - naive_softmax(big - 1000)).max()
print(f"softmax(z) vs softmax(z - 1000): max difference {format_bound(err, 1e-15)}")
assert err < 1e-15

# %% [markdown]
# Losses need $\log p_i$, and the log of a softmax has its own trap: a logit far below the
# others underflows to probability 0 and $\log 0 = -\infty$, though the true value is
# finite. Work in log space instead. The **log-sum-exp** function is
#
# $$\mathrm{LSE}(\mathbf z) = \log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m},
# \qquad m = \max_j z_j ,$$
#
# and $\log p_i = z_i - \mathrm{LSE}(\mathbf z)$, which never takes the log of 0.


# %%
def logsumexp(z):
    """log sum_j exp(z_j) along the last axis, stable."""
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def log_softmax(z):
    """log softmax(z) along the last axis: z - logsumexp(z)."""
    return z - logsumexp(z)[..., None]


far = np.array([0.0, -1000.0])
with np.errstate(divide="ignore"):  # silence NumPy's log(0) warning
    print(f"log(softmax({far})) = {np.log(softmax(far))}")
print(f"log_softmax({far})  = {log_softmax(far)}")

# %% [markdown]
# Both agree with PyTorch's `torch.softmax`, `torch.logsumexp` and `torch.log_softmax`,
# also for logits in the thousands (float64 throughout):

# %%
z_test = np.concatenate([rng.normal(size=(6, 5)), 1000 * rng.normal(size=(2, 5))])
z_torch = torch.tensor(z_test)
checks = {
    "softmax vs torch.softmax": rel_error(softmax(z_test), torch.softmax(z_torch, dim=-1)),
    "logsumexp vs torch.logsumexp": rel_error(logsumexp(z_test), torch.logsumexp(z_torch, dim=-1)),
    "log_softmax vs torch.log_softmax": rel_error(
        log_softmax(z_test), torch.log_softmax(z_torch, dim=-1)
    ),
}
for name, err in checks.items():
    print(f"{name:<34} relative error {format_bound(err, 1e-12)}")
assert max(checks.values()) < 1e-12

# %% [markdown]
# The same functions live in `course_lib.losses` as `softmax(z, axis=-1)` and
# `log_softmax(z, axis=-1)`; the rest of the lecture uses those.

# %% [markdown]
# ## 3. Cross-entropy and its gradient
#
# Seed 001 draws the classifier as $x \to$ network $\to y \to$ softmax $\to y' \leftrightarrow
# \hat y$; in our letters $y$ is the logits $\mathbf z$, $y'$ the probabilities $\mathbf p$
# and $\hat y$ the one-hot target $\mathbf y$. The **cross-entropy** is
#
# $$e = -\sum_i \hat y_i \ln y'_i, \qquad\text{in our letters}\qquad
# L(\mathbf z, \mathbf y) = -\sum_{i=1}^{C} y_i \log p_i = -\log p_c ,$$
#
# where $c$ is the correct class. It is 0 when $p_c = 1$ and grows without bound as
# $p_c \to 0$.
#
# **The gradient with respect to the logits.** Write $\log p_i = z_i - \mathrm{LSE}(\mathbf z)$
# and use $\sum_i y_i = 1$:
#
# $$L = -\sum_i y_i z_i + \mathrm{LSE}(\mathbf z), \qquad
# \frac{\partial\, \mathrm{LSE}}{\partial z_j} = \frac{e^{z_j}}{\sum_k e^{z_k}} = p_j
# \qquad\Longrightarrow\qquad
# \frac{\partial L}{\partial z_j} = p_j - y_j .$$
#
# "Prediction minus target", as for least squares. For $N$ examples, a matrix $Z$ of
# logits and the mean loss, it is $(P - Y)/N$; seed 004's code computes exactly this.


# %%
def cross_entropy(logits, labels):
    """Mean cross-entropy of logits (N, C) against integer labels (N,), and its gradient."""
    n = logits.shape[0]
    log_p = losses.log_softmax(logits)
    loss = -log_p[np.arange(n), labels].mean()
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return loss, grad / n


# %% [markdown]
# Two checks: a centered numerical gradient (`course_lib.gradcheck.numerical_gradient`,
# lecture 01) and PyTorch's `F.cross_entropy` differentiated by autograd.

# %%
Z = rng.normal(size=(5, 4))
labels = rng.integers(0, 4, size=5)
loss, grad = cross_entropy(Z, labels)
num_grad = numerical_gradient(lambda z: cross_entropy(z, labels)[0], Z)
Z_t = torch.tensor(Z, requires_grad=True)
loss_t = F.cross_entropy(Z_t, torch.tensor(labels))
loss_t.backward()
print(f"loss {loss:.4f}, F.cross_entropy {loss_t.item():.4f}")
print(
    f"gradient vs numerical gradient: relative error {format_bound(rel_error(grad, num_grad), 1e-8)}"
)
print(
    f"gradient vs torch.autograd:     relative error {format_bound(rel_error(grad, Z_t.grad), 1e-12)}"
)
assert rel_error(grad, num_grad) < 1e-8 and rel_error(grad, Z_t.grad) < 1e-12

# %% [markdown]
# The gradient of one example is bounded. The entries of $\mathbf p - \mathbf y$ off the
# correct class sum to $1 - p_c$, so
# $\lVert \mathbf p - \mathbf y \rVert^2 = (1-p_c)^2 + \sum_{j\ne c} p_j^2 \le 2(1-p_c)^2$:
# the norm is at most $\sqrt 2\,(1 - p_c)$, close to $\sqrt 2$ when the model is confidently
# wrong. Section 4 shows why it matters that it stays that large.

# %%
Z_many = 5 * rng.normal(size=(1000, 4))
labels_many = rng.integers(0, 4, size=1000)
p_many = losses.softmax(Z_many)
norms = np.linalg.norm(p_many - np.eye(4)[labels_many], axis=1)
p_correct = p_many[np.arange(1000), labels_many]
print(
    f"largest ratio |p - y| / (sqrt(2) (1 - p_c)) over 1000 random examples: "
    f"{(norms / (np.sqrt(2) * (1 - p_correct))).max():.4f}"
)
assert np.all(norms <= np.sqrt(2) * (1 - p_correct) + 1e-12)

# %% [markdown]
# **Cross-entropy is maximum likelihood.** Read $p_c(\mathbf x)$ as the model's probability
# that input $\mathbf x$ has class $c$. For independent examples the probability the model
# gives to all the observed labels, the **likelihood**, is $\prod_n p_{y_n}(\mathbf x_n)$, and
#
# $$-\frac1N \log \prod_{n=1}^N p_{y_n}(\mathbf x_n) = \frac1N \sum_{n=1}^N -\log p_{y_n}(\mathbf x_n)
# = \text{mean cross-entropy},$$
#
# so minimising the mean cross-entropy is **maximum likelihood** estimation: choose the
# parameters under which the observed labels are most probable.

# %%
Z20, labels20 = rng.normal(size=(20, 3)), rng.integers(0, 3, size=20)
likelihood = np.prod(losses.softmax(Z20)[np.arange(20), labels20])
mean_ce = cross_entropy(Z20, labels20)[0]
print(
    f"likelihood of 20 labels {likelihood:.3e}; -log(likelihood) / N = "
    f"{-np.log(likelihood) / 20:.6f}; mean cross-entropy = {mean_ce:.6f}"
)
assert abs(-np.log(likelihood) / 20 - mean_ce) < 1e-12

# %% [markdown]
# Back to the line of section 1. Softmax regression (lecture 03: logits
# $z_k = w_k x + b_k$) trained with cross-entropy does not care how the classes are
# numbered: renaming classes swaps outputs. From zero weights, with both numberings, 200
# full-batch gradient steps in PyTorch:


# %%
def train_on_line(labels, steps=200, lr=1.0):
    """Softmax regression on x_line with cross-entropy; returns (model, accuracy)."""
    model = nn.Linear(1, 3).double()
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x_t, y_t = torch.tensor(x_line)[:, None], torch.tensor(labels)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x_t), y_t).backward()
        opt.step()
    return model, (model(x_t).argmax(dim=1) == y_t).double().mean().item()


# %%
trained = {}
for name, numbers in numberings.items():
    trained[name] = train_on_line(np.array(numbers)[cluster] - 1)  # classes 0, 1, 2
    print(f"{name}: accuracy {trained[name][1]:.4f}")
(m1, _), (m2, _) = trained.values()
swap = [0, 2, 1]  # the second numbering swaps the outputs of "middle" and "right"
err = (m1.weight[swap] - m2.weight).abs().max().item()
print(
    f"weights of the second model = weights of the first with two rows swapped: error {format_bound(err, 1e-12)}"
)
assert err < 1e-12

# %% [markdown]
# ## 4. MSE vs cross-entropy
#
# Why not keep the mean squared error on the probabilities, $e = \sum_i (\hat y_i - y'_i)^2$
# in seed 001's letters? It is 0 exactly when $\mathbf p = \mathbf y$ too. Seed 001 answers
# with a picture, which we now compute. Three classes, target $\mathbf y = [1, 0, 0]$, and
# the third logit fixed very low ($z_3 = -1000$, so $p_3 = 0$); both losses are functions
# of $(z_1, z_2)$:
#
# $$L_{\text{MSE}}(z_1, z_2) = \sum_{i=1}^{3} (p_i - y_i)^2, \qquad
# L_{\text{CE}}(z_1, z_2) = -\log p_1 .$$
#
# (PyTorch's `F.mse_loss` averages over the $C$ entries instead: a factor $1/C$.) The
# prediction is right when $z_1 \gg z_2$ and badly wrong at, say, $(-10, 10)$. Autograd
# gives the gradients on a grid over $[-10, 10]^2$.

# %%
Z3 = -1000.0
y_target = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)


def logits3(z12):
    """Append the fixed third logit Z3 to free logits of shape (..., 2)."""
    return torch.cat([z12, torch.full_like(z12[..., :1], Z3)], dim=-1)


surface_losses = {
    "MSE": lambda z12: ((torch.softmax(logits3(z12), dim=-1) - y_target) ** 2).sum(dim=-1),
    "cross-entropy": lambda z12: -torch.log_softmax(logits3(z12), dim=-1)[..., 0],
}


# %%
def loss_and_grad_norm(loss_fn, z12):
    """Loss and norm of its gradient with respect to (z1, z2), at points of shape (..., 2)."""
    z12 = torch.as_tensor(z12, dtype=torch.float64).clone().requires_grad_()
    loss = loss_fn(z12)
    (grad,) = torch.autograd.grad(loss.sum(), z12)  # points are independent: sum is safe
    return loss.detach().numpy(), grad.norm(dim=-1).numpy()


# %%
bad_start = np.array([-10.0, 10.0])
p_bad = losses.softmax(np.r_[bad_start, Z3])
print(
    f"at the badly wrong point (z1, z2) = {bad_start}: p1 = {p_bad[0]:.1e}, "
    f"1 - p2 = {1 - p_bad[1]:.1e}, p3 = {p_bad[2]:.1e}"
)
at_bad = {name: loss_and_grad_norm(fn, bad_start) for name, fn in surface_losses.items()}
for name, (value, norm) in at_bad.items():
    print(f"  {name:<14} loss {value:8.4f}   gradient norm {norm:.4e}")
assert at_bad["MSE"][1] < 1e-7 and abs(at_bad["cross-entropy"][1] - np.sqrt(2)) < 1e-6

# %% [markdown]
# At the badly wrong point the MSE is near its largest value 2, yet its gradient is of
# order $10^{-8}$: gradient descent would not move. The cross-entropy gradient has norm
# $\sqrt 2$, the bound of section 3.
#
# **Only the difference of the logits matters.** With $p_3 = 0$, and since softmax ignores
# a shift of all logits (section 2), $p_1 = \sigma(d)$ with $d = z_1 - z_2$ (the sigmoid of
# section 6). So $L_{\text{CE}} = \log(1 + e^{-d})$ and $L_{\text{MSE}} = 2\,\sigma(-d)^2$
# are constant along every diagonal $z_1 - z_2 = \text{const}$, with gradients along
# $(1, -1)$. Checked on 1000 random points, with the shift invariance:

# %%
z12 = np.random.default_rng(5).uniform(-10, 10, size=(1000, 2))
d = z12[:, 0] - z12[:, 1]
in_d = {"MSE": 2 / (1 + np.exp(d)) ** 2, "cross-entropy": np.logaddexp(0.0, -d)}
errs = []
for name, fn in surface_losses.items():
    value, _ = loss_and_grad_norm(fn, z12)
    shifted, _ = loss_and_grad_norm(fn, z12 + 3.0)  # add 3 to both free logits
    errs += [rel_error(value, in_d[name]), rel_error(shifted, value)]
print(f"both surfaces vs their formulas in d = z1 - z2, and after shifting (z1, z2) by 3: {format_bound(max(errs), 1e-12)}")  # fmt: skip
assert max(errs) < 1e-12

# %% [markdown]
# The whole surfaces tell the same story:

# %%
g1, g2 = np.meshgrid(np.linspace(-10, 10, 61), np.linspace(-10, 10, 61))
grid_points = np.stack([g1, g2], axis=-1)
norm_levels = np.linspace(-17, 1, 19)  # one colour scale for both gradient norms
fig, axes = plt.subplots(2, 2, figsize=(10, 8), layout="constrained")
for col, (name, fn) in enumerate(surface_losses.items()):
    value, norm = loss_and_grad_norm(fn, grid_points)
    panels = [(value, 20, f"{name} loss"), (np.log10(norm), norm_levels, f"log10 {name} gradient norm")]  # fmt: skip
    for ax, (field, levels, title) in zip(axes[:, col], panels, strict=True):
        fig.colorbar(ax.contourf(g1, g2, field, levels=levels, cmap="viridis"), ax=ax)
        ax.plot(*bad_start, "o", color=plots.color("highlight"), markersize=10, clip_on=False, zorder=5, label="badly wrong (-10, 10)")  # fmt: skip
        ax.set(xlabel="$z_1$ (logit of the correct class)", ylabel="$z_2$", title=title)
        ax.legend(loc="lower left", frameon=True)
plt.show()

# %% [markdown]
# The MSE surface is a plateau over the whole wrong half (upper left), its gradient large
# only near the diagonal: the loss is large exactly where it is flat. The cross-entropy
# surface is a ramp, its gradient norm near $\sqrt 2$ on the whole wrong half.
#
# **Why the MSE surface is flat.** The MSE gradient passes through the softmax, whose
# Jacobian is
#
# $$\frac{\partial p_i}{\partial z_j} = p_i\,([i = j] - p_j), \qquad
# \frac{\partial L_{\text{MSE}}}{\partial z_j} = \sum_i 2\,(p_i - y_i)\, p_i\,([i=j] - p_j).$$
#
# At $(-10, 10)$ the softmax is saturated, $p_2 \approx 1$ and $p_1 \approx e^{-20}$, so
# every Jacobian entry is of size $p_1 p_2 \approx 2 \times 10^{-9}$ or 0: a large error
# times a vanishing Jacobian. Cross-entropy's log undoes the exponential, and its gradient
# $\mathbf p - \mathbf y$ has no Jacobian factor. The Jacobian formula against
# `torch.autograd.functional.jacobian` (a looser tolerance: at the saturated point
# $1 - p_2$ keeps only about seven significant digits):


# %%
def softmax_jacobian(z):
    """d softmax(z)_i / d z_j = p_i ([i = j] - p_j), shape (C, C), for logits z of shape (C,)."""
    p = losses.softmax(z)
    return np.diag(p) - np.outer(p, p)


for z in (np.r_[bad_start, Z3], rng.normal(size=3)):
    J_torch = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=0), torch.tensor(z))
    J = softmax_jacobian(z)
    print(
        f"z = {z}: largest |entry| {np.abs(J).max():.1e}, "
        f"relative error vs torch {format_bound(rel_error(J, J_torch), 1e-6)}"
    )
    assert rel_error(J, J_torch) < 1e-6

# %% [markdown]
# **Training a model from a bad start.** Now a real model: softmax regression
# ($\mathbf z = W\mathbf x + \mathbf b$) on 300 points in three clusters, started
# *confidently wrong*: row $k$ of $W$ is $-s\,\mathbf c_k$, minus $s$ times the centre of
# cluster $k$, so each point's own class gets the lowest score. From the same start, full-
# batch gradient descent (`torch.optim.SGD`, learning rate 1, 300 steps) minimises the
# mean cross-entropy or the mean MSE on the probabilities; a third run uses MSE from the
# milder $s = 2$ instead of $s = 3$.

# %%
centers = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
X3, y3 = make_blobs(n_samples=300, centers=centers, std=0.8, seed=0)
X3_t, y3_t = torch.tensor(X3), torch.tensor(y3)
Y3 = F.one_hot(y3_t, 3).double()
model_losses = {
    "cross-entropy": lambda z: F.cross_entropy(z, y3_t),
    "MSE": lambda z: ((torch.softmax(z, dim=1) - Y3) ** 2).sum(dim=1).mean(),
}


# %%
def train_from_bad_start(loss_fn, scale, steps=300, lr=1.0):
    """Softmax regression with W = -scale * centers, b = 0; accuracy and gradient norm per step."""
    model = nn.Linear(2, 3).double()
    with torch.no_grad():
        model.weight.copy_(-scale * torch.tensor(centers))
        model.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    record = {"accuracy": [], "grad norm": []}
    for _ in range(steps + 1):
        opt.zero_grad()
        z = model(X3_t)
        loss_fn(z).backward()
        record["accuracy"].append((z.argmax(dim=1) == y3_t).double().mean().item())
        record["grad norm"].append(torch.cat([q.grad.ravel() for q in model.parameters()]).norm().item())  # fmt: skip
        opt.step()
    return {key: np.array(values) for key, values in record.items()}


# %%
runs = {
    "cross-entropy, s = 3": train_from_bad_start(model_losses["cross-entropy"], 3.0),
    "MSE, s = 3": train_from_bad_start(model_losses["MSE"], 3.0),
    "MSE, s = 2 (milder start)": train_from_bad_start(model_losses["MSE"], 2.0),
}
for name, r in runs.items():
    reached = np.flatnonzero(r["accuracy"] >= 0.9)
    when = f"at step {reached[0]}" if reached.size else "never in 300 steps"
    print(f"{name:<26} accuracy: start {r['accuracy'][0]:.3f}, after 300 steps {r['accuracy'][-1]:.3f}; reaches 0.9 {when}")  # fmt: skip
ce, mse, mild = runs.values()
assert ce["accuracy"][10] > 0.9 > 0.1 > mse["accuracy"][-1] and mild["accuracy"][-1] > 0.9

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for ax, key in ((ax1, "accuracy"), (ax2, "grad norm")):
    for i, (name, r) in enumerate(runs.items()):
        style = "--" if "milder" in name else "-"
        ax.plot(r[key], style, color=plots.color_of(name, i), label=name)
    ax.set(xlabel="step", ylabel=f"training {key}", title=f"training {key}")
ax2.legend()  # one legend for both panels
ax2.set_yscale("log")
fig.suptitle("softmax regression from a confidently wrong start: the same model, two losses")
plt.show()

# %% [markdown]
# Cross-entropy fixes the confidently wrong model within a few steps. MSE from the same
# start does not fix a single point in 300 steps: its gradient starts about a hundred
# times smaller (right panel) and stays small. From the milder start it escapes, after long
# plateaus.
#
# Seed 001's lesson: a confidently wrong softmax is in **saturation**, its derivatives
# exponentially small; a loss that compares probabilities (like MSE) inherits the
# vanishing gradient. Cross-entropy's logarithm cancels the exponential, so its gradient is
# large exactly when the prediction is confidently wrong.

# %% [markdown]
# ## 5. PyTorch's `CrossEntropyLoss` takes logits
#
# Seed 001's tip: in PyTorch, cross-entropy contains the softmax. `nn.CrossEntropyLoss()(z,
# labels)` (and `F.cross_entropy`) computes the mean of $-\log \mathrm{softmax}(\mathbf z)_c$
# from the logits, with the stable log-softmax of section 2, so the model must end with a
# linear layer, not with `nn.Softmax`.
#
# The common bug adds the softmax anyway: the loss becomes
# $-\log \mathrm{softmax}(\mathbf p)_c$ with $\mathbf p = \mathrm{softmax}(\mathbf z)$,
# softmax twice. Since every $p_i \in [0, 1]$, even a perfect $\mathbf p = \mathbf e_c$
# gives $\mathrm{softmax}(\mathbf e_c)_c = e / (e + C - 1)$, so the loss never goes below
#
# $$L_{\text{floor}} = \log\!\left(1 + \frac{C-1}{e}\right) \quad\text{(the cell evaluates it for } C = 10\text{)}.$$

# %%
C = 10
labels10 = torch.arange(C)
confident = 50.0 * torch.eye(C, dtype=torch.float64)  # every example confidently right
floor = np.log(1 + (C - 1) / np.e)
correct = nn.CrossEntropyLoss()(confident, labels10).item()
buggy = nn.CrossEntropyLoss()(torch.softmax(confident, dim=1), labels10).item()
print(f"{'correct: CrossEntropyLoss(logits)':<50} {correct:.4f}")
print(f"{'double softmax: CrossEntropyLoss(softmax(logits))':<50} {buggy:.4f}")
print(f"{'floor log(1 + (C - 1) / e)':<50} {floor:.4f}")
assert abs(buggy - floor) < 1e-12

# %% [markdown]
# The gradients shrink too: the second softmax squeezes inputs in $[0, 1]$, and the first
# one's Jacobian multiplies every gradient, so a confidently wrong prediction again gets
# almost no gradient (section 4's saturation, now inside a "cross-entropy" loss).

# %%
cases = {
    "random logits": torch.randn(64, C, dtype=torch.float64),
    "confidently wrong logits": 10.0 * torch.eye(C, dtype=torch.float64)[(labels10 + 1) % C],
}
for case, z in cases.items():
    y_case = labels10.repeat(len(z) // C + 1)[: len(z)]
    norms = []
    for use_softmax in (False, True):
        z_req = z.clone().requires_grad_()
        loss = F.cross_entropy(torch.softmax(z_req, dim=1) if use_softmax else z_req, y_case)
        loss.backward()
        norms.append(z_req.grad.norm().item())
    print(f"{case:<25} gradient norm: correct {norms[0]:.1e}, double softmax {norms[1]:.1e}")

# %% [markdown]
# On real data: the 64 → 32 → 10 ReLU network on the handwritten digits of lecture 04
# (standardized), 5 epochs of mini-batches of 64 with `course_lib.training.fit`, ending
# with `nn.Softmax(dim=1)` (the bug) or with the linear layer. Same weights and batches,
# once with SGD (learning rate 0.1) and once with Adam (0.01).

# %%
X, y = load_digits()
X_tr, y_tr, X_va, y_va, _, _ = train_val_test_split(X, y, seed=0, stratify=True)
X_tr, X_va, _, _ = standardize(X_tr, X_va)
digits_train = torch.utils.data.TensorDataset(
    torch.tensor(X_tr, dtype=torch.float32), torch.tensor(y_tr)
)
digits_val = [(torch.tensor(X_va, dtype=torch.float32), torch.tensor(y_va))]
optimizers = {
    "SGD": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "Adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
}


# %%
def train_digits(make_opt, double_softmax):
    """Train the 64-32-10 network for 5 epochs; returns fit's History."""
    set_seed(0)
    layers = [nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)]
    model = nn.Sequential(*layers, *([nn.Softmax(dim=1)] if double_softmax else []))
    loader = torch.utils.data.DataLoader(
        digits_train, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return fit(
        model,
        loader,
        nn.CrossEntropyLoss(),
        make_opt(model.parameters()),
        epochs=5,
        val_loader=digits_val,
        progress=False,
    )


# %%
histories = {
    f"{opt_name}, {'double softmax' if bug else 'logits (correct)'}": train_digits(make_opt, bug)
    for opt_name, make_opt in optimizers.items()
    for bug in (False, True)
}
print(f"{'run':<28} {'final train loss':>16} {'val accuracy':>13}")
for name, h in histories.items():
    print(f"{name:<28} {h.train_loss[-1]:16.4f} {h.val_accuracy[-1]:13.4f}")
assert all(h.train_loss[-1] > floor for name, h in histories.items() if "double" in name)

# %%
ax = loss_curves(
    {name: h.train_loss for name, h in histories.items()},
    logy=True,
    ylabel="training loss",
    title="digits: the double-softmax bug",
    ax=plt.subplots(layout="constrained")[1],
)
for line in ax.lines:  # the optimizer sets the colour, the line style tells the bug apart
    line.set_linestyle("--" if "double" in line.get_label() else "-")
ax.axhline(floor, color=plots.color("reference"), linestyle=":", label=f"floor {floor:.4f}")
ax.legend()
plt.show()

# %% [markdown]
# With SGD the buggy network learns slowly (its gradients are smaller, as printed above)
# and ends far less accurate. With Adam, which rescales every gradient by its own size, its
# accuracy looks fine, which is why the bug often goes unnoticed; but its loss stalls just
# above the floor and says nothing about the model's confidence. The fix: leave the softmax
# out of the model, pass logits to `CrossEntropyLoss`, and call
# `torch.softmax(logits, dim=1)` only where you need probabilities.

# %% [markdown]
# ## 6. Two classes, and the hinge loss
#
# In **binary classification** there are two classes, 0 and 1, and one logit $z$ is enough.
# The **sigmoid** $\sigma(z) = 1/(1 + e^{-z})$ turns it into the probability of class 1. It is
# the softmax of the two logits $(z, 0)$: $e^{z}/(e^{z} + e^{0}) = \sigma(z)$. The
# cross-entropy of section 3 with target $t \in \{0, 1\}$ becomes the
# **binary cross-entropy**
#
# $$\mathrm{BCE}(z, t) = -\big[t \log \sigma(z) + (1 - t) \log(1 - \sigma(z))\big],
# \qquad \frac{\partial\, \mathrm{BCE}}{\partial z} = \sigma(z) - t ,$$
#
# again "prediction minus target".

# %%
z_bin = np.linspace(-5, 5, 11)
sigmoid = 1 / (1 + np.exp(-z_bin))
err = np.abs(sigmoid - losses.softmax(np.column_stack([z_bin, np.zeros_like(z_bin)]))[:, 0]).max()
print(f"sigmoid(z) vs softmax((z, 0))[0]: max difference {format_bound(err, 1e-15)}")
assert err < 1e-15

# %% [markdown]
# Computed as written, BCE fails at large logits. For $z = 40$, $\sigma(z)$ rounds to 1 in
# float64 and $\log(1 - \sigma(z)) = -\infty$; for $z = -800$, $e^{800}$ overflows and
# $0 \cdot \log 0$ is nan. With $\log \sigma(z) = -\log(1 + e^{-z})$ and
# $\log(1 - \sigma(z)) = -z - \log(1 + e^{-z})$, sorting out the sign of $z$ gives a form
# that never exponentiates a large positive number or takes the log of 0:
#
# $$\mathrm{BCE}(z, t) = \max(z, 0) - z\,t + \log\!\left(1 + e^{-|z|}\right).$$


# %%
def naive_bce(z, t):
    s = 1 / (1 + np.exp(-z))
    return -(t * np.log(s) + (1 - t) * np.log(1 - s))


def bce_per_example(z, t):
    """Binary cross-entropy of each logit in z against its target in t, in the stable form."""
    return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))


def bce_with_logits(z, t):
    """Mean binary cross-entropy of logits z against targets t (same shape), and its gradient."""
    e = np.exp(-np.abs(z))  # <= 1: sigmoid(z) = 1 / (1 + e) for z >= 0, e / (1 + e) for z < 0
    sigma = np.where(z >= 0, 1.0, e) / (1 + e)
    return bce_per_example(z, t).mean(), (sigma - t) / z.size


# %%
z_big, t_big = np.array([40.0, -800.0, -800.0]), np.array([0.0, 1.0, 0.0])
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    print(f"naive sigmoid + log:                   {naive_bce(z_big, t_big)}")
print(f"stable form:                           {bce_per_example(z_big, t_big)}")
z_t, t_t = torch.tensor(z_big), torch.tensor(t_big)
print(
    f"F.binary_cross_entropy_with_logits:    "
    f"{F.binary_cross_entropy_with_logits(z_t, t_t, reduction='none').numpy()}"
)
print(
    f"F.binary_cross_entropy(sigmoid(z)):    "
    f"{F.binary_cross_entropy(torch.sigmoid(z_t), t_t, reduction='none').numpy()}"
)

# %% [markdown]
# The stable form gives the exact losses 40, 800 and 0; PyTorch's `BCEWithLogitsLoss`
# (`F.binary_cross_entropy_with_logits`) uses the same formula. Its sibling `BCELoss` takes
# probabilities and clamps each log at $-100$: no inf, but 40 and 800 both come out as 100.
# Worse, it loses the gradient of a confidently wrong prediction. It only sees
# $p = \sigma(z)$, so autograd computes $\partial L/\partial p \cdot \sigma'(z)$ with
# $\sigma'(z) = p(1 - p)$, and the two signs of $z$ fail differently:
#
# - $z > 0$, target 0: floats near 1 are coarse, so $\sigma(z)$ rounds to exactly 1 early
#   (in float32, a network's default dtype, from about $z = 16.6$). Then $\sigma'(z) = 0$,
#   and so is the gradient.
# - $z < 0$, target 1: floats near 0 are fine, so $\sigma(z) \approx e^{z}$ stays
#   representable down to $z \approx -88.7$ in float32. But `BCELoss`'s backward divides by
#   $\max(p(1-p), 10^{-12})$: below $z \approx \ln 10^{-12} = -27.6$ the gradient is
#   $-10^{12}\,p(1-p)$ instead of $-1$ and fades exponentially. (In float64 the clamp
#   also fades the $z > 0$ side.)
#
# `BCEWithLogitsLoss` passes $\sigma(z) - t \approx \pm 1$ on both sides. Where does
# $\sigma(z)$ round to 1 and to 0, and what gradients reach six confidently wrong logits?

# %%
for dtype in (torch.float32, torch.float64):
    s = torch.sigmoid(z_scan := torch.arange(-800.0, 60.0, 0.01, dtype=torch.float64).to(dtype))
    print(f"{dtype!s:<13}: σ(z) rounds to 1 from z ≈ {z_scan[s == 1][0]:.1f} and to 0 below z ≈ {z_scan[s == 0][-1]:.1f}")  # fmt: skip

# %%
z_wrong, grads = [20.0, 30.0, 50.0, -20.0, -30.0, -50.0], {}  # targets: 0 for z > 0, 1 for z < 0
for dtype in (torch.float32, torch.float64):
    z = torch.tensor(z_wrong, dtype=dtype, requires_grad=True)
    t = (z < 0).to(dtype)
    F.binary_cross_entropy(torch.sigmoid(z), t, reduction="sum").backward()
    grads[f"BCELoss, {str(dtype)[6:]}"] = z.grad.tolist()
    grads[f"BCEWithLogitsLoss, {str(dtype)[6:]}"] = torch.autograd.grad(F.binary_cross_entropy_with_logits(z, t, reduction="sum"), z)[0].tolist()  # fmt: skip
print("    z" + "".join(f"{name:>28}" for name in grads))
for i, zi in enumerate(z_wrong):
    print(f"{zi:5.0f}" + "".join(f"{g[i]:28.1e}" for g in grads.values()))
bce32, logits32, bce64, _ = (np.array(g) for g in grads.values())
assert np.all(bce32[:3] == 0) and abs(bce32[3] + 1) < 1e-3 and -bce32[5] < 1e-9  # fmt: skip
assert 0.05 < -bce32[4] < 0.2 and 0.05 < bce64[1] < 0.2 and np.all(np.abs(np.abs(logits32) - 1) < 1e-6)  # fmt: skip

# %% [markdown]
# So in PyTorch, as with `CrossEntropyLoss`, give the loss the logits. The gradient
# $\sigma(z) - t$ of our stable version agrees with autograd:

# %%
z_rand, t_rand = 10 * rng.normal(size=8), rng.uniform(size=8)  # soft targets are allowed
loss, grad = bce_with_logits(z_rand, t_rand)
z_req = torch.tensor(z_rand, requires_grad=True)
loss_t = F.binary_cross_entropy_with_logits(z_req, torch.tensor(t_rand))
loss_t.backward()
print(
    f"loss {loss:.4f} vs torch {loss_t.item():.4f}; gradient relative error vs autograd "
    f"{format_bound(rel_error(grad, z_req.grad), 1e-12)}"
)
assert abs(loss - loss_t.item()) < 1e-12 and rel_error(grad, z_req.grad) < 1e-12

# %% [markdown]
# In a model, binary classification means one output unit and float targets of the same
# shape. Logistic regression (a single `nn.Linear(2, 1)`) on two overlapping clusters,
# trained with `nn.BCEWithLogitsLoss`:

# %%
X2, y2 = make_blobs(n_samples=200, centers=np.array([[-1.0, 0.0], [1.0, 0.5]]), std=0.8, seed=0)
X2_t, y2_t = torch.tensor(X2, dtype=torch.float32), torch.tensor(y2, dtype=torch.float32)
logistic = nn.Linear(2, 1)
opt = torch.optim.SGD(logistic.parameters(), lr=0.5)
for _ in range(200):
    opt.zero_grad()
    nn.BCEWithLogitsLoss()(logistic(X2_t)[:, 0], y2_t).backward()
    opt.step()
with torch.no_grad():
    logit2 = logistic(X2_t)[:, 0]
    bce2 = nn.BCEWithLogitsLoss()(logit2, y2_t).item()
print(
    f"logistic regression: BCE {bce2:.4f}, accuracy {((logit2 > 0) == (y2_t > 0.5)).float().mean():.4f}"
)


# %%
def predict_binary(points):
    with torch.no_grad():
        return (logistic(torch.tensor(points, dtype=torch.float32))[:, 0] > 0).long().numpy()


decision_boundary(predict_binary, X2, y2, title="logistic regression with BCEWithLogitsLoss")
plt.show()

# %% [markdown]
# **The multiclass hinge loss.** Seed 004 names a second classic loss for scores
# $\mathbf s$ (logits, not probabilities): the **multiclass hinge loss**, or SVM loss. It asks
# the correct class to beat every wrong class by at least a **margin** $\Delta$ (here 1):
#
# $$L_i = \sum_{j \ne y_i} \max\!\big(0,\; s_j - s_{y_i} + \Delta\big).$$
#
# A wrong class contributes only while it is within $\Delta$ of the correct score, with
# (sub)gradient $+1$ on $s_j$ and $-1$ on $s_{y_i}$. Once all margins are met the loss and
# its gradient are exactly 0, whereas cross-entropy always asks for more confidence.


# %%
def multiclass_hinge(scores, labels, margin=1.0):
    """Mean multiclass SVM loss of scores (N, C) against labels (N,), and its subgradient."""
    n = scores.shape[0]
    rows = np.arange(n)
    terms = np.maximum(0.0, scores - scores[rows, labels][:, None] + margin)
    terms[rows, labels] = 0.0  # the correct class is not compared with itself
    active = (terms > 0).astype(float)
    active[rows, labels] = -active.sum(axis=1)
    return terms.sum() / n, active / n


# %%
for s_example in ([3.0, 0.0, 0.0], [0.5, 0.0, 0.0], [-2.0, 0.0, 0.0]):
    s_row, label0 = np.array([s_example]), np.array([0])
    print(
        f"scores {s_row[0]}, correct class 0: hinge {multiclass_hinge(s_row, label0)[0]:.4f}, "
        f"cross-entropy {losses.cross_entropy(s_row, label0)[0]:.4f}"
    )

# %% [markdown]
# PyTorch's `F.multi_margin_loss` computes the same sum but divides each example's sum by
# $C$, so we compare with $C$ times it. The gradient is checked against autograd (random
# scores, so no term sits exactly on a kink):

# %%
S = rng.normal(size=(6, 5))
labels_s = rng.integers(0, 5, size=6)
loss, grad = multiclass_hinge(S, labels_s)
S_t = torch.tensor(S, requires_grad=True)
loss_t = 5 * F.multi_margin_loss(S_t, torch.tensor(labels_s), margin=1.0)
loss_t.backward()
print(
    f"hinge loss {loss:.4f}, 5 * F.multi_margin_loss {loss_t.item():.4f}, "
    f"gradient relative error vs autograd {format_bound(rel_error(grad, S_t.grad), 1e-12)}"
)
assert abs(loss - loss_t.item()) < 1e-12 and rel_error(grad, S_t.grad) < 1e-12

# %% [markdown]
# ## 7. Every loss is a negative log-likelihood; label smoothing
#
# Section 3 read cross-entropy as maximum likelihood. The other losses are the same idea
# with another probability model for the target: each is the **negative log-likelihood**
# $-\log p(\text{target} \mid \text{output})$, averaged over the examples.
#
# | loss | model of the target | $-\log p$ |
# |---|---|---|
# | MSE | Gaussian, $y \sim \mathcal N(\hat y, s^2)$ with $s$ fixed | $(y - \hat y)^2/(2s^2) + \tfrac12\log(2\pi s^2)$ |
# | BCE | Bernoulli, $t = 1$ with probability $\sigma(z)$ | $-t\log\sigma(z) - (1-t)\log(1-\sigma(z))$ |
# | CE | categorical, class $c$ with probability $\mathrm{softmax}(\mathbf z)_c$ | $-\log p_c$ |
#
# For MSE the scale $s$ only rescales the loss and adds a constant: the best $\hat y$ is the
# same for every $s$. Against `torch.distributions`:

# %%
rng7, tt = np.random.default_rng(7), torch.tensor
y_hat, y_obs, s = rng7.normal(size=6), rng7.normal(size=6), 0.5
z6, t6 = 3 * rng7.normal(size=6), rng7.integers(0, 2, size=6).astype(float)
Z6, c6 = rng7.normal(size=(6, 4)), rng7.integers(0, 4, size=6)
nll = {
    "MSE = Gaussian": (losses.mse(y_hat, y_obs)[0] / (2 * s**2) + 0.5 * np.log(2 * np.pi * s**2),
                       torch.distributions.Normal(tt(y_hat), s).log_prob(tt(y_obs))),
    "BCE = Bernoulli": (losses.binary_cross_entropy_with_logits(z6, t6)[0],
                        torch.distributions.Bernoulli(logits=tt(z6)).log_prob(tt(t6))),
    "CE = categorical": (losses.cross_entropy(Z6, c6)[0],
                         torch.distributions.Categorical(logits=tt(Z6)).log_prob(tt(c6))),
}  # fmt: skip
for name, (ours, log_prob) in nll.items():
    print(f"{name:<17} loss {ours:.4f}; mean -log p from torch.distributions {-log_prob.mean().item():.4f}")  # fmt: skip
err = max(abs(ours + log_prob.mean().item()) for ours, log_prob in nll.values())
print(f"max difference {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# **Cross-entropy is entropy plus KL divergence.** Let the target be any distribution
# $\mathbf q$ over the classes (a one-hot vector is one). Adding and subtracting
# $\sum_i q_i \log q_i$ splits the cross-entropy $H(\mathbf q, \mathbf p) = -\sum_i q_i\log p_i$:
#
# $$H(\mathbf q, \mathbf p) = \underbrace{-\sum_i q_i \log q_i}_{H(\mathbf q)}
# + \underbrace{\sum_i q_i \log\frac{q_i}{p_i}}_{\mathrm{KL}(\mathbf q\,\|\,\mathbf p)} .$$
#
# The **entropy** $H(\mathbf q)$ does not depend on the model: even a perfect model pays
# it. The **KL divergence** is $\ge 0$, and 0 only at $\mathbf p = \mathbf q$. Minimising
# cross-entropy therefore pulls $\mathbf p$ onto $\mathbf q$; for a one-hot $\mathbf q$,
# $H(\mathbf q) = 0$ and cross-entropy *is* the KL divergence. On soft targets:

# %%
Q, Zq = losses.softmax(rng7.normal(size=(5, 4))), rng7.normal(size=(5, 4))  # rows of Q sum to 1
log_p = losses.log_softmax(Zq)
ce, entropy, kl = -(Q * log_p).sum(1), -(Q * np.log(Q)).sum(1), (Q * (np.log(Q) - log_p)).sum(1)
q_dist, p_dist = torch.distributions.Categorical(probs=tt(Q)), torch.distributions.Categorical(logits=tt(Zq))  # fmt: skip
errs = [rel_error(entropy + kl, ce), rel_error(entropy, q_dist.entropy()),
        rel_error(kl, torch.distributions.kl_divergence(q_dist, p_dist)),
        rel_error(ce.mean(), F.cross_entropy(tt(Zq), tt(Q)).item())]  # fmt: skip
print(f"H(q) + KL(q || p) = H(q, p), and entropy, KL, cross-entropy vs torch: max relative error "
      f"{format_bound(max(errs), 1e-12)}; smallest KL {kl.min():.3f} > 0")  # fmt: skip
assert max(errs) < 1e-12 and kl.min() > 0

# %% [markdown]
# **Label smoothing.** With a one-hot target the loss $-\log p_c$ keeps falling as the
# correct logit pulls away, and the gradient $\mathbf p - \mathbf y$ never reaches 0: the
# logits are pushed apart forever. **Label smoothing** trains against
# $\mathbf q = (1 - \alpha)\,\mathbf y + \alpha/C$ instead (PyTorch:
# `CrossEntropyLoss(label_smoothing=α)`). The minimum is then at $\mathbf p = \mathbf q$,
# where the gradient $\mathbf p - \mathbf q$ vanishes and the loss is $H(\mathbf q) > 0$:
# the correct class gets $1 - \alpha + \alpha/C$, its logit leading every other by the
# finite gap $\log\big(1 + (1 - \alpha)C/\alpha\big)$. From scratch, against PyTorch and
# `course_lib.losses.cross_entropy(label_smoothing=α)`:


# %%
def cross_entropy_smoothed(logits, labels, alpha):
    """Mean cross-entropy of logits (N, C) against (1 - alpha) one-hot + alpha / C, and its gradient."""
    n, c = logits.shape
    q = (1 - alpha) * np.eye(c)[labels] + alpha / c
    log_p = losses.log_softmax(logits)
    return -(q * log_p).sum(axis=1).mean(), (np.exp(log_p) - q) / n


loss, grad = cross_entropy_smoothed(Z, labels, 0.1)  # Z, labels: section 3's check
lib_loss, lib_grad = losses.cross_entropy(Z, labels, label_smoothing=0.1)
Z_t = torch.tensor(Z, requires_grad=True)
(loss_t := F.cross_entropy(Z_t, torch.tensor(labels), label_smoothing=0.1)).backward()
err = max(abs(loss - loss_t.item()), abs(lib_loss - loss_t.item()), rel_error(grad, Z_t.grad), rel_error(lib_grad, Z_t.grad))  # fmt: skip
print(f"smoothed cross-entropy and its gradient (P - Q) / N, from scratch and course_lib vs torch: {format_bound(err, 1e-12)}")  # fmt: skip
assert err < 1e-12

# %% [markdown]
# One example, $C = 10$, gradient descent on its logits from 0 (learning rate 1): the gap
# between the correct logit and the others, without and with smoothing ($\alpha = 0.1$):

# %%
alphas = np.array([[0.0], [0.1]])  # one row per run
q10 = (1 - alphas) * np.eye(10)[0] + alphas / 10  # class 0 is correct
z10, gaps = np.zeros((2, 10)), {}
for t in range(1, 10_001):
    z10 -= softmax(z10) - q10  # the gradient of each row's cross-entropy
    if t in (10, 100, 1000, 10_000):
        gaps[t] = z10[:, 0] - z10[:, 1]
print("  step   gap without smoothing   gap with smoothing (0.1)")
for t, (plain, smoothed) in gaps.items():
    print(f"{t:6d} {plain:23.2f} {smoothed:20.4f}")
print(f"log(1 + (1 - alpha) C / alpha) = log 91 = {np.log(91):.4f}")
assert gaps[10_000][0] > gaps[1000][0] + 2 and abs(gaps[10_000][1] - np.log(91)) < 1e-6

# %% [markdown]
# Without smoothing the gap grows by about $\ln 10 \approx 2.3$ per tenfold number of
# steps, without end: ever more confidence. With smoothing it settles at $\log 91$, where
# the correct class has probability 0.91. Smoothing is a cheap regulariser against
# overconfidence (the Transformer paper uses $\alpha = 0.1$); the homework implements it.

# %% [markdown]
# ## 8. Why more data or a smaller hypothesis set generalises
#
# Training picks the classifier that is best on the training data. Why should it also be
# good on data it has not seen? Seed 001 answers with a small theory, which we simulate.
#
# - $D_{\text{all}}$ is all the data there is: 1000 points $x \in [0, 1]$, labelled 1 when
#   $x > 0.37$, with 10% of the labels flipped so that no classifier is perfect.
# - A **hypothesis set** $\mathcal H$ is the set of classifiers we allow; ours are
#   thresholds $h_t(x) = 1[x > t]$: $\mathcal H_1 = \{0.5\}$,
#   $\mathcal H_{10} = \{0.1, 0.2, \dots, 1.0\}$, $\mathcal H_{100} = \{0.01, 0.02, \dots, 1.00\}$.
# - $L(h, D)$ is the fraction of the examples in $D$ that $h$ gets wrong.
# - $D_{\text{train}}$ is $N$ examples drawn independently from $D_{\text{all}}$;
#   $h^{\text{train}}$ minimises $L(h, D_{\text{train}})$ over $\mathcal H$, and
#   $h^{\text{all}}$ minimises $L(h, D_{\text{all}})$, the best $\mathcal H$ offers.

# %%
rng_h = np.random.default_rng(1)
x_all = rng_h.uniform(0, 1, 1000)
y_all = (x_all > 0.37).astype(int)
flipped = rng_h.random(1000) < 0.1
y_all[flipped] = 1 - y_all[flipped]
thresholds = np.arange(1, 101) / 100
mistakes = ((x_all[None, :] > thresholds[:, None]) != y_all[None, :]).astype(float)  # (100, 1000)
L_all = mistakes.mean(axis=1)  # L(h_t, D_all) for every threshold t
hypothesis_sets = {1: np.array([49]), 10: np.arange(9, 100, 10), 100: np.arange(100)}
for size, idx in hypothesis_sets.items():
    best = idx[np.argmin(L_all[idx])]
    print(
        f"|H| = {size:3d}: h_all has t = {thresholds[best]:.2f}, L(h_all, D_all) = {L_all[best]:.4f}"
    )

# %% [markdown]
# We want $L(h^{\text{train}}, D_{\text{all}}) - L(h^{\text{all}}, D_{\text{all}}) \le \delta$.
# Call $D_{\text{train}}$ *good* if it misjudges no classifier by more than
# $\varepsilon = \delta/2$: $|L(h, D_{\text{train}}) - L(h, D_{\text{all}})| \le \varepsilon$
# for every $h \in \mathcal H$. On a good training set the wish comes true:
#
# $$L(h^{\text{train}}, D_{\text{all}}) \le L(h^{\text{train}}, D_{\text{train}}) + \varepsilon
# \le L(h^{\text{all}}, D_{\text{train}}) + \varepsilon \le L(h^{\text{all}}, D_{\text{all}}) + 2\varepsilon .$$
#
# For one fixed $h$, $L(h, D_{\text{train}})$ is the mean of $N$ independent 0/1 values
# with expectation $L(h, D_{\text{all}})$. **Hoeffding's inequality** bounds how far it
# strays: $P\big(|L(h, D_{\text{train}}) - L(h, D_{\text{all}})| > \varepsilon\big) \le 2\exp(-2N\varepsilon^2)$.
# A training set is bad if this happens for at least one $h$, and the probability that at
# least one of several events happens is at most the sum of their probabilities (the
# **union bound**). So
#
# $$P(D_{\text{train}} \text{ is bad}) \le |\mathcal H| \cdot 2 \exp(-2N\varepsilon^2) .$$
#
# More data or fewer hypotheses make bad training sets rarer. We draw 4000 training sets
# for each $N$ and count the bad ones ($\varepsilon = 0.1$).

# %%
eps, trials, sizes = 0.1, 4000, [10, 20, 40, 80, 160, 320]
sim = {}  # (N, |H|) -> frequency of bad sets, max gap on good sets, mean L(h_train, D_all)
for N in sizes:
    picks = rng_h.integers(0, 1000, size=(trials, N))  # each row is one training set
    counts = np.bincount(
        (np.arange(trials)[:, None] * 1000 + picks).ravel(), minlength=trials * 1000
    )
    L_train = counts.reshape(trials, 1000) @ mistakes.T / N  # (trials, 100)
    for size, idx in hypothesis_sets.items():
        bad = np.abs(L_train[:, idx] - L_all[idx]).max(axis=1) > eps
        h_train = idx[np.argmin(L_train[:, idx], axis=1)]
        gap = L_all[h_train] - L_all[idx].min()
        sim[N, size] = (bad.mean(), gap[~bad].max(initial=0.0), L_all[h_train].mean())


# %%
def hoeffding_bound(N, size):
    return size * 2 * np.exp(-2 * N * eps**2)


# %%
print(
    f"{'N':>4} " + "".join(f"{'|H| = ' + str(s) + ': freq / bound':>28}" for s in hypothesis_sets)
)
for N in sizes:
    cells = "".join(
        f" {sim[N, s][0]:15.4f} / {hoeffding_bound(N, s):9.4f}" for s in hypothesis_sets
    )
    print(f"{N:4d} {cells}")
assert all(sim[N, s][0] <= hoeffding_bound(N, s) for N in sizes for s in hypothesis_sets)
max_gap = max(sim[key][1] for key in sim)
print(
    f"largest L(h_train, D_all) - L(h_all, D_all) on a good training set: {max_gap:.4f} "
    f"(guaranteed <= 2 eps = {2 * eps})"
)
assert max_gap <= 2 * eps

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
N_grid = np.array(sizes)
for i, size in enumerate(hypothesis_sets):
    color = plots.color_of(f"|H| = {size}", i)
    freq = np.array([sim[N, size][0] for N in sizes])
    seen = freq > 0  # a frequency of 0 has no place on a log axis
    ax.plot(N_grid[seen], freq[seen], "o-", color=color, label=f"|H| = {size}: frequency")
    bound = hoeffding_bound(N_grid, size)
    ax.plot(N_grid, bound, "--", color=color, label=f"|H| = {size}: bound")
ax.axhline(1, color=plots.color("reference"), linewidth=0.8, label="probability 1")
ax.set(xscale="log", yscale="log", xlabel="training set size N", ylabel="P(D_train is bad)")
ax.set_title(f"bad training sets vs the Hoeffding bound (eps = {eps})")
ax.legend(ncol=2, fontsize=8)
plt.show()

# %% [markdown]
# The frequency of bad training sets stays under the bound everywhere and falls
# exponentially with $N$; larger hypothesis sets need more data for the same guarantee.
# But the bound is loose, already for $|\mathcal H| = 1$, where no union bound is involved.
# For one fixed $h$ the number of mistakes on $D_{\text{train}}$ is binomial with $N$
# trials and $p = L(h, D_{\text{all}})$, so $P(D_{\text{train}}\text{ is bad})$ can be
# computed exactly. Hoeffding's inequality must hold for *every* variable with values in
# $[0, 1]$, including the worst, of variance $1/4$; it ignores that our mistakes have the
# smaller variance $p(1 - p)$, whose tail is much thinner:

# %%
p_h1 = L_all[hypothesis_sets[1][0]]  # L(h, D_all) of the single threshold 0.5
print(f"|H| = 1: p = {p_h1:.3f}, variance p(1 - p) = {p_h1 * (1 - p_h1):.3f} (Hoeffding allows 0.25)")  # fmt: skip
print("   N   exact P(bad)  simulated  Hoeffding  Hoeffding / exact")
exact_h1 = {}
for N in sizes:
    k = np.arange(N + 1)
    pmf = np.array([math.comb(N, j) for j in k], dtype=float) * p_h1**k * (1 - p_h1) ** (N - k)
    exact = pmf[np.abs(k / N - p_h1) > eps].sum()
    exact_h1[N] = exact
    print(f"{N:4d}  {exact:12.2e}  {sim[N, 1][0]:9.4f}  {hoeffding_bound(N, 1):9.4f}  {hoeffding_bound(N, 1) / exact:17.0f}")  # fmt: skip
assert all(hoeffding_bound(N, 1) / exact_h1[N] > 10 for N in (80, 160))
assert all(
    abs(sim[N, 1][0] - e) < 4 * np.sqrt(e * (1 - e) / trials) + 1e-3 for N, e in exact_h1.items()
)

# %% [markdown]
# For $|\mathcal H| > 1$ the union bound adds slack of its own. The sum of the
# probabilities is exact when the events never happen together, and loose when they
# overlap. Neighbouring thresholds err on almost the same examples, so their events "$h$ is
# misjudged" mostly happen together and the sum counts the same bad training sets again and
# again: the frequencies for $|\mathcal H| = 100$ are far below 100 times those for
# $|\mathcal H| = 1$.
#
# **The trade-off.** A smaller $\mathcal H$ is safer, but its best member is worse (seed
# 001: "鱼与熊掌不可兼得", you cannot have both): $L(h^{\text{all}}, D_{\text{all}})$, the last
# row below, falls as $|\mathcal H|$ grows. What we actually get is
# $L(h^{\text{train}}, D_{\text{all}})$, averaged over the 4000 training sets:

# %%
print(
    f"{'N':>4} "
    + "".join(f"{'|H| = ' + str(s):>10}" for s in hypothesis_sets)
    + "   (mean L(h_train, D_all))"
)
for N in sizes:
    print(f"{N:4d} " + "".join(f"{sim[N, s][2]:10.4f}" for s in hypothesis_sets))
best_all = [L_all[idx].min() for idx in hypothesis_sets.values()]
print("best " + "".join(f"{b:10.4f}" for b in best_all) + "   (L(h_all, D_all))")
assert best_all[0] > best_all[1] > best_all[2]
larger_wins = [N for N in sizes if sim[N, 100][2] < sim[N, 10][2]]
print(f"|H| = 100 beats |H| = 10 from N = {larger_wins[0]} on; below it |H| = 10 is better")
assert larger_wins == sizes[sizes.index(larger_wins[0]) :] and larger_wins[0] > sizes[0]

# %% [markdown]
# With the smallest training sets the ten-threshold set does slightly better than the
# hundred-threshold set: the extra thresholds mostly let training fit the noise of a tiny
# sample. Once $N$ is large enough (printed above) the larger set wins: the data now
# suffice to find its better members. The single threshold is never misled and never good.
# This is the balance behind **generalisation**, doing well on data not seen in training: a
# flexible model family needs enough data to choose well in it.

# %% [markdown]
# ## 9. Every loss against PyTorch
#
# One check for all the losses of this lecture: the from-scratch and the
# `course_lib.losses` versions against `torch.nn.functional` on the same float64 inputs
# (some logits in the thousands), values and gradients, worst error in one line. The MSE
# from scratch is lecture 01's one-liner, with gradient $2(\text{pred} - \text{target})/n$.

# %%
Z8 = np.concatenate([3 * rng.normal(size=(6, 5)), 1000 * rng.normal(size=(2, 5))])
labels8 = rng.integers(0, 5, size=8)
targets8 = rng.uniform(size=(8, 5))


def torch_value_and_grad(fn, first, *rest):
    """fn(first, *rest) with PyTorch in float64, and its gradient with respect to ``first``."""
    t = torch.tensor(first, requires_grad=True)
    value = fn(t, *(torch.tensor(r) for r in rest))
    value.backward()
    return value.item(), t.grad.numpy()


def scratch_mse(pred, target):
    return np.mean((pred - target) ** 2), 2 * (pred - target) / pred.size


# %%
loss_cases = {  # name: (from scratch, course_lib, torch reference, inputs)
    "cross_entropy": (cross_entropy, losses.cross_entropy, F.cross_entropy, (Z8, labels8)),
    "mse": (scratch_mse, losses.mse, F.mse_loss, (Z8 / 1000, targets8)),
    "binary_cross_entropy_with_logits": (
        bce_with_logits,
        losses.binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits,
        (Z8, targets8),
    ),
    "multiclass_hinge": (
        multiclass_hinge,
        losses.multiclass_hinge,
        lambda s, y: 5 * F.multi_margin_loss(s, y),
        (Z8, labels8),
    ),
}

# %%
table = {
    "softmax": [
        rel_error(f(Z8), torch.softmax(torch.tensor(Z8), dim=-1)) for f in (softmax, losses.softmax)
    ],
    "log_softmax": [
        rel_error(f(Z8), torch.log_softmax(torch.tensor(Z8), dim=-1))
        for f in (log_softmax, losses.log_softmax)
    ],
}
for name, (scratch, library, reference, inputs) in loss_cases.items():
    ref_value, ref_grad = torch_value_and_grad(reference, *inputs)
    for fn in (scratch, library):
        value, grad = fn(*inputs)
        table.setdefault(name, []).append(
            max(rel_error(value, ref_value), rel_error(grad, ref_grad))
        )

# %%
worst = max(max(errs) for errs in table.values())
print(f"{len(table)} functions ({', '.join(table)}), from scratch and in course_lib, vs torch, value and gradient: max relative error {format_bound(worst, 1e-12)}")  # fmt: skip
assert worst < 1e-12

# %% [markdown]
# From now on the course uses `course_lib.losses` for NumPy code and the
# `torch.nn.functional` / `torch.nn` losses for PyTorch models.
#
# ## 10. The library, takeaways, glossary and exercises
#
# **In `course_lib`.** `course_lib.losses` holds `softmax` and `log_softmax` (stable for
# huge logits) and four losses that return `(loss, gradient with respect to the first
# argument)` with PyTorch's mean reduction: `cross_entropy(logits, labels,
# label_smoothing=0.0)`, `mse(pred, target)`, `binary_cross_entropy_with_logits(logits,
# targets)` and `multiclass_hinge(scores, labels, margin=1.0)` (summed over wrong classes).
# The gradient is where a NumPy backward pass starts, as in lecture 01's network:

# %%
logits = rng.normal(size=(4, 3))
labels4 = np.array([0, 2, 1, 2])
loss, dlogits = losses.cross_entropy(logits, labels4)
print(f"loss {loss:.4f}; dlogits (the start of the backward pass):\n{dlogits}")
print(f"each row of dlogits sums to 0: {np.allclose(dlogits.sum(axis=1), 0)}")
assert np.allclose(dlogits.sum(axis=1), 0)

# %% [markdown]
# **Takeaways.**
#
# - Classes are one-hot vectors, not numbers. Stable softmax subtracts the largest logit.
# - Cross-entropy has the gradient $\mathbf p - \mathbf y$, of norm at most $\sqrt 2$. MSE
#   on softmax probabilities saturates: from a confidently wrong start it did not move,
#   while cross-entropy recovered in a few steps.
# - Give PyTorch's losses logits: a softmax before `CrossEntropyLoss` puts a floor under
#   the loss; `BCELoss` on $\sigma(z)$ loses the gradient of a confidently wrong
#   prediction, exactly once $\sigma(z)$ rounds to 1, fading below $z \approx -27.6$.
# - The hinge loss stops caring once every margin is met; cross-entropy never does.
# - Every loss is a negative log-likelihood; cross-entropy is entropy plus KL divergence.
#   Label smoothing stops the logits' runaway at a finite gap.
# - $P(D_{\text{train}}\text{ is bad}) \le |\mathcal H| \cdot 2\exp(-2N\varepsilon^2)$: more
#   data or a smaller $\mathcal H$ help, but a smaller $\mathcal H$ has a worse best member.
#   The bound is loose twice: Hoeffding ignores the variance, the union bound the overlap.

# %% [markdown]
# **Homework.** `homework/hw05_classification.ipynb`: write a stable log-softmax, the
# cross-entropy with label smoothing and its gradient, and MSE on softmax probabilities
# with its gradient; then train the same softmax regression under both losses from a bad
# start and explain the difference.
#
# **Glossary.** The terms in bold are in the course [glossary](glossary.md), in English and
# Chinese (e.g. cross-entropy — 交叉熵, softmax — 归一化指数函数, saturation — 饱和).

# %% [markdown]
# **Exercises.** Predict the answer before you run the code, then open the answer.

# %% [markdown]
# **1.** In section 2, at which logit does `np.exp` overflow in float32 instead of
# float64? Try `naive_softmax(big.astype(np.float32) - 920)` and `- 900`.

# %% tags=["answer"]
with np.errstate(over="ignore", invalid="ignore"):
    for shift in (920, 900):
        print(f"naive softmax of big - {shift} in float32: {naive_softmax(big.astype(np.float32) - shift)}")  # fmt: skip
print(f"exp overflows above z = {np.log(np.finfo(np.float32).max):.2f} in float32, "
      f"{np.log(np.finfo(np.float64).max):.2f} in float64")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# $e^z$ overflows once $z$ exceeds the log of the largest float: 88.72 in float32, 709.78
# in float64. So $[80, 81, 82]$ (big $-$ 920) still works in float32, while $[100, 101,
# 102]$ (big $-$ 900) gives $\infty/\infty$ = nan, although float64 would handle it. A
# network's logits are float32, one more reason to subtract the maximum.
# </details>

# %% [markdown]
# **2.** In section 4, start the softmax regression from the milder $s = 1$. Will MSE still
# be stuck, and how many steps will it need to reach accuracy 0.9?

# %% tags=["answer"]
mildest = train_from_bad_start(model_losses["MSE"], 1.0)
print(f"MSE from s = 1: accuracy 0.9 first at step {np.flatnonzero(mildest['accuracy'] >= 0.9)[0]}")
print(f"gradient norm at the start: MSE from s = 1 {mildest['grad norm'][0]:.1e}, from s = 3 "
      f"{runs['MSE, s = 3']['grad norm'][0]:.1e}; cross-entropy from s = 3 {runs['cross-entropy, s = 3']['grad norm'][0]:.1e}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Not stuck: from $s = 1$ MSE reaches accuracy 0.9 at step 32, against step 227 from
# $s = 2$ and never from $s = 3$. Its starting gradient is about four times that from
# $s = 3$, still far below cross-entropy's: the milder the saturation, the sooner MSE
# leaves its plateau. Cross-entropy does not depend on such luck.
# </details>

# %% [markdown]
# **3.** In section 6, repeat the scan with `torch.float16`. Where does $\sigma(z)$ round
# to 1 now? (The spacing of float16 just below 1 is $2^{-11}$.)

# %% tags=["answer"]
s16 = torch.sigmoid(z16 := torch.arange(-800.0, 60.0, 0.01, dtype=torch.float64).to(torch.float16))  # fmt: skip
print(f"float16: σ(z) rounds to 1 from z ≈ {z16[s16 == 1][0]:.2f} and to 0 below z ≈ {z16[s16 == 0][-1]:.1f}; "
      f"12 ln 2 = {12 * math.log(2):.2f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Near $z = 8.3$. $\sigma(z) = 1/(1 + e^{-z})$ rounds to 1 once $1 - \sigma(z) \approx e^{-z}$
# is below half the spacing, $2^{-12}$, that is for $z > 12 \ln 2 = 8.32$. From there on
# $\sigma'(z)$, computed from the rounded $\sigma(z)$, is 0: in half precision a loss on
# probabilities loses a confidently wrong logit already at 8.3.
# </details>

# %% [markdown]
# **4.** In section 8, flip no labels. How do the exact $P(D_{\text{train}}\text{ is bad})$
# for $|\mathcal H| = 1$ and the Hoeffding bound change? Explain with $p(1 - p)$.

# %% tags=["answer"]
p_clean = np.mean((x_all > 0.5) != (x_all > 0.37))  # L(h_0.5, D_all) without flipped labels
print(f"p = {p_clean:.3f}, p(1 - p) = {p_clean * (1 - p_clean):.3f} (with noise {p_h1:.3f}, {p_h1 * (1 - p_h1):.3f})")  # fmt: skip
print("   N   exact P(bad): clean  with noise   Hoeffding")
for N in sizes:
    k = np.arange(N + 1)
    pmf = (
        np.array([math.comb(N, j) for j in k], dtype=float) * p_clean**k * (1 - p_clean) ** (N - k)
    )
    print(f"{N:4d}  {pmf[np.abs(k / N - p_clean) > eps].sum():19.2e} {exact_h1[N]:11.2e} {hoeffding_bound(N, 1):11.4f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Without noise the threshold 0.5 errs only on the points between 0.37 and 0.5, so
# $p = 0.128$ and the variance $p(1-p) = 0.112$ is smaller than with noise (0.159). The
# exact probability of a bad training set falls faster with $N$ (at $N = 160$ about seven
# times lower), while the Hoeffding bound does not move: it never looks at $p$.
# </details>

# %% [markdown]
# **5.** With label smoothing $\alpha = 0.1$ and $C = 10$, what is the lowest possible
# cross-entropy of one example, and the correct class's probability there? How large is
# the optimal logit gap for $\alpha = 0.01$?

# %% tags=["answer"]
q_best = (1 - 0.1) * np.eye(10)[0] + 0.1 / 10
print(f"alpha 0.1: lowest loss H(q) = {-(q_best * np.log(q_best)).sum():.4f}, p_correct = {q_best[0]:.2f}; "
      f"loss there {cross_entropy_smoothed(np.log(q_best)[None], np.array([0]), 0.1)[0]:.4f}")  # fmt: skip
print(f"optimal gap: alpha 0.1 {np.log(1 + 0.9 * 10 / 0.1):.2f}, alpha 0.01 {np.log(1 + 0.99 * 10 / 0.01):.2f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# The lowest loss is the entropy of the smoothed target, $H(\mathbf q) = 0.500$, reached
# when the model predicts $\mathbf q$ itself: 0.91 for the correct class, 0.01 for each
# other. With $\alpha = 0.01$ the optimal gap grows from 4.51 to 6.90: less smoothing
# allows more confidence, and $\alpha \to 0$ sends the gap to infinity.
# </details>
