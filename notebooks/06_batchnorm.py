# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 06 — Batch normalization
#
# Lectures 03 and 04 changed the optimizer to cope with an elongated loss surface; this
# lecture changes the surface. Inputs on very different scales make the loss a narrow
# valley, and rescaling them makes it round. We normalise the network's inputs
# (**feature normalization**) and then every layer (**batch normalization**), derive and
# check BN's forward and backward passes, see why a network behaves differently in
# training and evaluation mode, and measure what BN buys.
#
# 1. Feature scales shape the error surface
# 2. Normalising features: the inputs, and inside the network
# 3. Batch normalization: the training forward pass
# 4. The backward pass, derived and checked
# 5. Inference: moving averages, `train()` and `eval()`
# 6. Experiment: the same network with and without BN
# 7. Pitfalls: batch size 1 and small batches
# 8. Images, biases, fine-tuning, and why BN helps
# 9. The library, takeaways and homework
# 10. Exercises

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from course_lib.data import load_digits, make_regression, standardize, train_val_test_split
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.layers import BatchNorm1d, BatchNorm2d, Linear, ReLU, Sequential
from course_lib.plots import color, color_of, contour_with_paths, use_style
from course_lib.training import evaluate, fit, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. Feature scales shape the error surface
#
# Take the linear model $\hat y = w_1 x_1 + w_2 x_2 + b$ with the mean squared error. The
# loss plotted over the parameters is its **error surface**. Let $x_1$ have a scale of
# about 1 and $x_2$ one of about 100 (the same quantity in a unit 100 times smaller, say).
# A change of $w_2$ then moves $\hat y$ 100 times more than the same change of $w_1$: the
# loss is steep along $w_2$, flat along $w_1$, a long narrow valley.
#
# We build the data with `course_lib.data.make_regression` (two standard-normal features,
# $y = X w_{\text{true}} + 1 + \text{noise}$) and multiply the second feature by 100, so
# its true weight is 100 times smaller.

# %%
X_unit, y_reg, true_w = make_regression(n_samples=200, n_features=2, noise=0.1, seed=0)
X_raw = X_unit * np.array([1.0, 100.0])
print(f"feature means {X_raw.mean(axis=0)}, standard deviations {X_raw.std(axis=0)}")
print(f"true weights for the raw features: w1 = {true_w[0]:.4f}, w2 = {true_w[1] / 100:.4f}")

# %% [markdown]
# With $\theta = (w_1, w_2, b)$ and the design matrix $A = [x_1\; x_2\; \mathbf 1]$ (one row
# per example), the loss is a quadratic:
#
# $$L(\theta) = \frac1N \lVert A\theta - y \rVert^2, \qquad \nabla L = H\theta - c, \qquad
# H = \frac2N A^\top A, \quad c = \frac2N A^\top y .$$
#
# The Hessian $H$ is the same everywhere, and around the minimum $\theta^*$ the loss is
# exactly $L^* + \tfrac12 (\theta - \theta^*)^\top H (\theta - \theta^*)$. Lecture 04 showed
# what gradient descent does on such a bowl: it is stable only for
# $\eta < 2/\lambda_{\max}$. The best fixed rate is
# $\eta^* = 2/(\lambda_{\min} + \lambda_{\max})$; with the condition number
# $\kappa = \lambda_{\max}/\lambda_{\min}$ the error then shrinks by
# $(\kappa - 1)/(\kappa + 1)$ per step, and reaching a tolerance takes about
# $\tfrac{\kappa}{4}\ln(\text{initial error}/\text{tolerance})$ steps.


# %%
class LinearMSE:
    """MSE as a quadratic in theta = (w1, w2, b); ``value`` takes (w1, w2) with b at its best."""

    def __init__(self, X, y, name):
        A = np.column_stack([X, np.ones(len(X))])
        self.A, self.y, self.name, self.axis_labels = A, y, name, ("$w_1$", "$w_2$")
        self.H, self.c = 2 * A.T @ A / len(y), 2 * A.T @ y / len(y)
        self.theta_star = np.linalg.lstsq(A, y, rcond=None)[0]
        self.minimum, self.loss_min = self.theta_star[:2], self.loss(self.theta_star)
        self.default_xlim, self.default_ylim = [(m - 3.0, m + 3.0) for m in self.minimum]

    def loss(self, theta):
        return np.mean((self.A @ theta - self.y) ** 2)

    def grad(self, theta):
        return self.H @ theta - self.c

    def value(self, w):
        d = np.concatenate([w - self.minimum, np.zeros((*w.shape[:-1], 1))], axis=-1)
        return self.loss_min + 0.5 * np.einsum("...i,ij,...j->...", d, self.H, d)


# %% [markdown]
# The same model on the raw features and after **standardization** (each feature shifted
# and scaled to mean 0 and standard deviation 1 with `course_lib.data.standardize`;
# section 2 looks at it closely). First a check that the quadratic form used for the
# contour plots equals the MSE computed from the data:

# %%
X_stdz = standardize(X_raw)[0]
surfaces = {
    "raw inputs": LinearMSE(X_raw, y_reg, "raw inputs"),
    "standardized inputs": LinearMSE(X_stdz, y_reg, "standardized inputs"),
}
w_test = np.array([[0.5, -0.2], [-1.0, 0.7]])
for name, s in surfaces.items():
    direct = [s.loss(np.r_[w, s.theta_star[2]]) for w in w_test]
    err = np.abs(s.value(w_test) - direct).max() / max(direct)
    print(
        f"{name:<20} quadratic form vs MSE from the data: relative error {format_bound(err, 1e-12)}"
    )
    assert err < 1e-12

# %% [markdown]
# Now gradient descent from $\theta = 0$ (the same starting function for both models: it
# predicts 0 everywhere), each at its best fixed learning rate $\eta^*$, until the loss is
# within $10^{-6}$ of its minimum.


# %%
def gradient_descent(surface, lr, tol=1e-6, max_steps=100_000):
    """Points theta visited by GD from 0 until loss - min < tol: shape (T, 3)."""
    theta = np.zeros(3)
    path = [theta]
    while surface.loss(theta) - surface.loss_min >= tol and len(path) <= max_steps:
        theta = theta - lr * surface.grad(theta)
        path.append(theta)
    return np.array(path)


# %%
runs = {}
for name, s in surfaces.items():
    lam = np.linalg.eigvalsh(s.H)
    kappa, lr = lam[-1] / lam[0], 2 / (lam[0] + lam[-1])
    runs[name] = gradient_descent(s, lr)
    estimate = kappa / 4 * np.log((s.loss(np.zeros(3)) - s.loss_min) / 1e-6)
    print(f"{name}: eigenvalues of H {lam}, condition number {kappa:.1f}, lr {lr:.1e}")
    print(
        f"  GD steps to tolerance 1e-6: {len(runs[name]) - 1} (estimate kappa/4 ln(...): {estimate:.0f})"
    )

# %%
raw, stdz = surfaces.values()
panels = [  # (surface, title, w2 limits): the middle panel stretches the w2 axis 100 times
    (raw, "raw, equal axes", None),
    (raw, "raw, $w_2$ axis stretched 100 times", raw.minimum[1] + np.array([-0.03, 0.03])),
    (stdz, "standardized, equal axes", None),
]
fig, axes = plt.subplots(1, 3, figsize=(12, 4.3), layout="constrained")
for ax, (s, title, ylim) in zip(axes, panels, strict=True):
    path = runs[s.name][:, :2]
    keep = np.unique(np.r_[0:30, np.geomspace(1, len(path) - 1, 200).astype(int)])
    contour_with_paths(
        s, {f"GD, {len(path) - 1} steps": path[keep[keep < len(path)]]}, ylim=ylim, ax=ax
    )
    ax.set_aspect("equal" if ylim is None else "auto")
    ax.set_title(title)
plt.show()

# %% [markdown]
# (The paths show every step up to step 30, then 200 steps spread over the run.) With equal
# axes the raw valley looks like a line: moving $w_2$ by 0.05 costs as much as moving $w_1$
# by 5. Stretching the $w_2$ axis shows gradient descent inside it: at $\eta^*$ the steep
# direction is multiplied by $1 - \eta^*\lambda_{\max} = -(\kappa - 1)/(\kappa + 1)
# \approx -0.9998$ per step, so $w_2$ zig-zags across the valley while $w_1$ creeps along
# it. On standardized features the contours are almost circles and a handful of steps
# suffice; for large $\kappa$ the step count matches $\tfrac\kappa4 \ln(\cdot)$. The
# stability limit is sharp: 5% above $2/\lambda_{\max}$ the raw model diverges.

# %%
s = surfaces["raw inputs"]
lam_max = np.linalg.eigvalsh(s.H)[-1]
for factor in (0.95, 1.05):
    theta = np.zeros(3)
    for _ in range(300):
        theta = theta - factor * 2 / lam_max * s.grad(theta)
    print(f"lr = {factor:.2f} x 2/lambda_max: loss after 300 steps {s.loss(theta):.1e}")

# %% [markdown]
# ## 2. Normalising features: the inputs, and inside the network
#
# **Feature normalization** gives every input dimension the same range. Its most common
# form, standardization, works per feature $i$ over the examples $r$ of the training set:
#
# $$m_i = \frac1N \sum_r x_i^r, \qquad \sigma_i = \sqrt{\frac1N \sum_r (x_i^r - m_i)^2},
# \qquad \tilde x_i^r = \frac{x_i^r - m_i}{\sigma_i} .$$
#
# The statistics come from the training set only and are reused for validation and test
# data, which stand for new data arriving after training (often one example at a time),
# whose own statistics are not available. Section 5 meets the same problem inside the
# network.

# %%
X_tr, y_tr, X_va, y_va, _, _ = train_val_test_split(X_raw, y_reg, seed=0)
m, sigma = X_tr.mean(axis=0), X_tr.std(axis=0)  # training statistics only
Xn_tr, Xn_va = (X_tr - m) / sigma, (X_va - m) / sigma
print(
    f"training set:   means {np.round(Xn_tr.mean(axis=0), 4) + 0.0}, standard deviations {Xn_tr.std(axis=0)}"
)
print(f"validation set: means {Xn_va.mean(axis=0)}, standard deviations {Xn_va.std(axis=0)}")
err = max(np.abs(Xn_tr.mean(axis=0)).max(), np.abs(Xn_tr.std(axis=0) - 1).max())
print(f"training set: largest |mean| or |std - 1|: {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# The training set is exactly standardized; the validation set only approximately, as
# new data would be. This is what `course_lib.data.standardize` does (it also leaves a
# constant feature at 0 instead of dividing by 0):

# %%
lib_tr, lib_va, _, _ = standardize(X_tr, X_va)
err = max(np.abs(lib_tr - Xn_tr).max(), np.abs(lib_va - Xn_va).max())
print(f"from scratch vs course_lib.data.standardize: max difference {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# **Inside the network.** A layer computes $z = W x + b$ and then $a = \sigma(z)$ (or ReLU),
# the next layer's input: hidden values are features too, and section 1 applies to them.
# Even with standardized inputs their scales differ between units and layers (they depend
# on $W$), and change whenever training changes $W$. Three layers at their initial weights
# (`course_lib.layers.Linear`, PyTorch's initialisation) on the standardized digits (1797
# images of 8×8 pixels):

# %%
X_dig, y_dig = load_digits()
Xd_tr, yd_tr, Xd_va, yd_va, Xd_te, yd_te = train_val_test_split(X_dig, y_dig, seed=0, stratify=True)
Xd_tr, Xd_va, Xd_te, _, _ = standardize(Xd_tr, Xd_va, Xd_te)
a = Xd_tr
for k in range(1, 4):
    z = Linear(64, 64, rng=k).forward(a)
    mu_z, sd_z = z.mean(axis=0), z.std(axis=0)
    print(
        f"layer {k}: z per unit: mean in [{mu_z.min():+.3f}, {mu_z.max():+.3f}], std in [{sd_z.min():.3f}, {sd_z.max():.3f}]"
    )
    a = np.maximum(z, 0)

# %% [markdown]
# The spread shrinks layer by layer and varies by a factor of 2-3 between the units of one
# layer. The fix is to normalise again inside the network, per hidden unit: either $z$
# before the activation or $a$ after it. Normalising before a ReLU gives the next layer
# values with mean about 0.4 and standard deviation about 0.6 (0.40 and 0.58 for a ReLU of
# an exactly normal $z$); normalising after gives mean 0 and standard deviation 1. For a
# sigmoid or tanh, normalising before keeps $z$ where the activation is not flat. Both are
# used; `Linear → BatchNorm → ReLU` is the most common.

# %%
z = Linear(64, 64, rng=1).forward(Xd_tr)
normalise = lambda v: (v - v.mean(axis=0)) / (v.std(axis=0) + 1e-8)  # noqa: E731
placements = {"before ReLU": np.maximum(normalise(z), 0), "after ReLU": normalise(np.maximum(z, 0))}
for name, nxt in placements.items():
    print(
        f"normalise {name}: next layer's inputs have mean {round(nxt.mean(), 3) + 0.0:.3f}, std {nxt.std():.3f}"
    )

# %% [markdown]
# ## 3. Batch normalization: the training forward pass
#
# Which examples should give $\mu$ and $\sigma$ of a hidden unit? Ideally all training
# examples, but the hidden values change after every update, and pushing a million
# examples through the network before each step is far too slow. **Batch normalization**
# (BN) uses the mini-batch the step already processes. For a batch $x_1, \dots, x_B$ of one
# unit (each of the $D$ units is handled separately):
#
# $$\mu = \frac1B \sum_{i=1}^B x_i, \qquad \sigma^2 = \frac1B \sum_{i=1}^B (x_i - \mu)^2,
# \qquad \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
# y_i = \gamma \hat x_i + \beta .$$
#
# The variance is the biased one (divided by $B$); $\epsilon = 10^{-5}$ avoids dividing by
# zero. The learnable scale $\gamma$ and shift $\beta$ (per unit, starting at 1 and 0) give
# back the freedom to choose each unit's mean and spread; with
# $\gamma = \sqrt{\sigma^2 + \epsilon}$ and $\beta = \mu$ the layer is the identity.


# %%
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode BN of a batch x of shape (N, D); returns out (N, D) and a cache."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)  # biased: divides by B
    inv_sigma = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_sigma
    return gamma * x_hat + beta, (x_hat, inv_sigma, gamma)


# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 3)) * np.array([1.0, 10.0, 0.1]) + np.array([5.0, -3.0, 0.0])
out, _ = batchnorm_forward(x, np.ones(3), np.zeros(3))
print(f"input:  column means {x.mean(axis=0)}, stds {x.std(axis=0)}")
print(f"output: column means {np.round(out.mean(axis=0), 4) + 0.0}, stds {out.std(axis=0)}")
gamma, beta = np.array([2.0, 0.5, 1.0]), np.array([1.0, 0.0, -1.0])
out, _ = batchnorm_forward(x, gamma, beta)
print(
    f"with gamma {gamma}, beta {beta}: means {np.round(out.mean(axis=0), 4) + 0.0}, stds {out.std(axis=0)}"
)
identity, _ = batchnorm_forward(x, np.sqrt(x.var(axis=0) + 1e-5), x.mean(axis=0))
print(
    f"gamma = sqrt(var + eps), beta = mu gives back x: max error {format_bound(np.abs(identity - x).max(), 1e-12)}"
)
assert np.abs(identity - x).max() < 1e-12

# %% [markdown]
# (The output's standard deviation is $\sqrt{\sigma^2/(\sigma^2 + \epsilon)}$, a hair under 1
# for the third column, whose variance is about 0.003.)
#
# **One batch, one computation.** Without BN each example goes through the network on its
# own; with BN, $\mu$ and $\sigma$ depend on every example of the batch, so one example's
# output depends on the others. Change only example 0 and watch examples 1-7:

# %%
x_changed = x.copy()
x_changed[0] += 10.0
linear = Linear(3, 3, rng=0)
for name, layer in [
    ("Linear", linear.forward),
    ("BN", lambda v: batchnorm_forward(v, gamma, beta)[0]),
]:
    change = np.abs(layer(x_changed)[1:] - layer(x)[1:]).max()
    print(f"{name:<6}: largest change of the outputs of examples 1-7: {change:.4f}")

# %% [markdown]
# The linear layer leaves the other examples alone. BN turns the batch into one
# computation: the shift of example 0 moves $\mu$ and $\sigma$, and with them every other
# output. The gradient is coupled the same way.

# %% [markdown]
# ## 4. The backward pass, derived and checked
#
# Take one unit (one column) and write $d_i = \partial L/\partial y_i$ for the gradient
# arriving from above and $s = \sqrt{\sigma^2 + \epsilon}$. The parameters are easy, since
# $y_i = \gamma \hat x_i + \beta$:
#
# $$\frac{\partial L}{\partial \beta} = \sum_i d_i, \qquad
# \frac{\partial L}{\partial \gamma} = \sum_i d_i \hat x_i, \qquad
# g_i := \frac{\partial L}{\partial \hat x_i} = \gamma d_i .$$
#
# The input $x_j$ reaches $\hat x_i$ along three paths: directly (only when $i = j$),
# through $\mu$, and through $s$. Using $\partial\mu/\partial x_j = 1/B$ and
# $\sum_i (x_i - \mu) = 0$,
#
# $$\frac{\partial \sigma^2}{\partial x_j} = \frac2B (x_j - \mu), \qquad
# \frac{\partial s}{\partial x_j} = \frac{1}{2s}\frac{\partial \sigma^2}{\partial x_j} =
# \frac{\hat x_j}{B}, \qquad
# \frac{\partial \hat x_i}{\partial x_j} = \frac{\delta_{ij} - 1/B}{s} - \frac{x_i - \mu}{s^2}
# \frac{\hat x_j}{B} = \frac1s\Big(\delta_{ij} - \frac1B - \frac{\hat x_i \hat x_j}{B}\Big).$$
#
# Summing over the paths (sum at forks, lecture 01) gives the compact formula
#
# $$\frac{\partial L}{\partial x_j} = \sum_i g_i \frac{\partial \hat x_i}{\partial x_j} =
# \frac{1}{B s}\Big(B g_j - \sum_i g_i - \hat x_j \sum_i g_i \hat x_i\Big).$$

# %% [markdown]
# In words: take $g$, remove its mean and its component along $\hat x$, divide by $s$.
# A consequence we can test: in every column $\sum_j \partial L/\partial x_j = 0$ and
# $\sum_j \hat x_j\, \partial L/\partial x_j = 0$ (exactly for $\epsilon = 0$; with
# $\epsilon > 0$ the second sum is of order $\epsilon/\sigma^2$). Shifting or scaling a whole
# column does not change BN's output, so the gradient has no component in those two
# directions.


# %%
def batchnorm_backward(dout, cache):
    """Gradients of training-mode BN: dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,)."""
    x_hat, inv_sigma, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = gamma * dout  # dL/dx_hat
    dx = inv_sigma * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, dgamma, dbeta


# %% [markdown]
# **Check 1: a numerical gradient.** For a fixed random $d$, the scalar
# $L = \sum_{i,k} y_{ik} d_{ik}$ has $\partial L/\partial y = d$, so `batchnorm_backward(d, cache)`
# must equal the centered-difference gradient of $L$ (`course_lib.gradcheck`, lecture 01).

# %%
x = rng.normal(size=(6, 4)) * 3 + 1
gamma, beta, d = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(6, 4))
out, cache = batchnorm_forward(x, gamma, beta)
dx, dgamma, dbeta = batchnorm_backward(d, cache)
scalar = lambda: np.sum(batchnorm_forward(x, gamma, beta)[0] * d)  # noqa: E731
pairs = [(dx, x), (dgamma, gamma), (dbeta, beta)]
err = max(rel_error(ours, numerical_gradient(lambda _: scalar(), a)) for ours, a in pairs)
print(f"dx, dgamma, dbeta: max relative error vs centered differences {format_bound(err, 1e-8)}")
assert err < 1e-8
_, cache0 = batchnorm_forward(x, gamma, beta, eps=0.0)
dx0 = batchnorm_backward(d, cache0)[0]
sums = np.abs(dx0.sum(axis=0)).max(), np.abs((dx0 * cache0[0]).sum(axis=0)).max()
print(
    f"with eps = 0: largest column sum of dx {format_bound(sums[0], 1e-12)}, of x_hat * dx {format_bound(sums[1], 1e-12)}"
)
assert max(sums) < 1e-12

# %% [markdown]
# **Check 2: PyTorch.** `torch.nn.BatchNorm1d` in float64 and in training mode, with our
# $\gamma$ (its `weight`) and $\beta$ (its `bias`), forward and then autograd:

# %%
bn = nn.BatchNorm1d(4, dtype=torch.float64)
with torch.no_grad():
    bn.weight.copy_(torch.tensor(gamma))
    bn.bias.copy_(torch.tensor(beta))
x_t = torch.tensor(x, requires_grad=True)
out_t = bn(x_t)
out_t.backward(torch.tensor(d))
pairs = [(out, out_t), (dx, x_t.grad), (dgamma, bn.weight.grad), (dbeta, bn.bias.grad)]
err = max(rel_error(ours, theirs) for ours, theirs in pairs)
print(f"out, dx, dgamma, dbeta: max relative error vs torch {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# The from-scratch forward and backward passes agree with PyTorch to rounding error.
#
# ## 5. Inference: moving averages, `train()` and `eval()`
#
# At test time a prediction should not depend on which examples share its batch, and
# there may be a single example. So BN needs fixed statistics for inference. It collects
# them during training as a **moving average** of the batch statistics,
#
# $$\bar\mu \leftarrow p\,\bar\mu + (1 - p)\,\mu_t ,$$
#
# where $\mu_t$ is the mean of batch $t$ and $p$ (say 0.9 or 0.99) how much of the old
# estimate is kept; the same update tracks the variance.

# %% [markdown]
# PyTorch's `momentum` argument is $1 - p$, the weight of the new batch (default 0.1), and
# the running variance stores the **unbiased variance** $\frac{B}{B-1}\sigma_t^2$ of the
# batch, while the normalisation in training uses the biased $\sigma_t^2$:
#
# $$r_\mu \leftarrow (1 - m)\,r_\mu + m\,\mu_t, \qquad
# r_{\sigma^2} \leftarrow (1 - m)\,r_{\sigma^2} + m\,\frac{B}{B-1}\sigma_t^2, \qquad
# m = 0.1,\; r_\mu = 0,\; r_{\sigma^2} = 1 \text{ at the start.}$$
#
# In **evaluation mode** BN uses the running statistics instead:
# $y = \gamma\,(x - r_\mu)/\sqrt{r_{\sigma^2} + \epsilon} + \beta$, a fixed affine map per unit,
# so each example is processed on its own. 30 batches of 16 examples (three units with
# means 2, -1, 0 and standard deviations 3, 0.5, 1) through the update and through
# `torch.nn.BatchNorm1d` in **training mode**:

# %%
stream = [rng.normal(size=(16, 3)) * [3.0, 0.5, 1.0] + [2.0, -1.0, 0.0] for _ in range(30)]
momentum, r_mean, r_var, r_var_biased = 0.1, np.zeros(3), np.ones(3), np.ones(3)
bn = nn.BatchNorm1d(3, momentum=momentum, dtype=torch.float64)  # training mode by default
for batch in stream:
    n = len(batch)
    r_mean = (1 - momentum) * r_mean + momentum * batch.mean(axis=0)
    r_var = (1 - momentum) * r_var + momentum * batch.var(axis=0) * n / (n - 1)
    r_var_biased = (1 - momentum) * r_var_biased + momentum * batch.var(axis=0)
    bn(torch.tensor(batch))
err = max(
    np.abs(r_mean - bn.running_mean.numpy()).max(), np.abs(r_var - bn.running_var.numpy()).max()
)
biased = np.abs(r_var_biased - bn.running_var.numpy()).max()
print(f"running mean {r_mean}, running var {r_var}")
print(f"running mean and var: max error vs torch {format_bound(err, 1e-12)}")
print(f"(with the biased variance instead: error {biased:.1e})")
assert err < 1e-12

# %% [markdown]
# After 30 batches the initial values still weigh $0.9^{30} \approx 0.04$, so the running
# statistics are close to, not at, the true means $(2, -1, 0)$ and variances $(9, 0.25,
# 1)$. In evaluation mode PyTorch normalises with them:

# %%
bn.eval()
x_new = rng.normal(size=(5, 3))
ours = (x_new - r_mean) / np.sqrt(r_var + bn.eps)  # gamma = 1 and beta = 0 here
err = np.abs(ours - bn(torch.tensor(x_new)).detach().numpy()).max()
print(f"evaluation mode: max error vs torch {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# **Forgetting `eval()`.** `model.train()` and `model.eval()` switch every BN (and dropout)
# layer of a model; a new model is in training mode. A model evaluated in training mode
# still runs, so the bug is silent. We train a small network with BN on the digits (three
# hidden layers of 64 units, BN before each ReLU, 4 epochs of SGD) and classify the 269
# test images while forgetting `eval()`.

# %%
tensor = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
train_set = torch.utils.data.TensorDataset(tensor(Xd_tr), torch.tensor(yd_tr))
Xt_te, yt_te = tensor(Xd_te), torch.tensor(yd_te)


def make_mlp(batchnorm, width=64, hidden_layers=3, after_relu=False):
    """64 -> width (x hidden_layers) -> 10 with ReLU; BN before each ReLU (or after) if asked."""
    layers, d_in = [], 64
    for _ in range(hidden_layers):
        block = [nn.BatchNorm1d(width), nn.ReLU()] if batchnorm else [nn.ReLU()]
        layers += [nn.Linear(d_in, width), *(block[::-1] if after_relu else block)]
        d_in = width
    return nn.Sequential(*layers, nn.Linear(d_in, 10))


def digit_loader(seed):
    """The training images in shuffled batches of 32, the order fixed by the seed."""
    gen = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(train_set, batch_size=32, shuffle=True, generator=gen)


# %%
set_seed(0)
bn_model = make_mlp(batchnorm=True)
optimizer = torch.optim.SGD(bn_model.parameters(), lr=0.1)
history = fit(bn_model, digit_loader(0), nn.CrossEntropyLoss(), optimizer, epochs=4, progress=False)
print(f"final training loss {history.train_loss[-1]:.4f}; in training mode: {bn_model.training}")

# %% [markdown]
# First, one test image (number 0) classified in two different batches of four. In
# training mode its logits depend on the three companions; in evaluation mode they do not.

# %%
batch_a, batch_b = Xt_te[[0, 1, 2, 3]], Xt_te[[0, 4, 5, 6]]
with torch.no_grad():
    for mode in ("train", "eval"):
        bn_model.train(mode == "train")
        gap = (bn_model(batch_a)[0] - bn_model(batch_b)[0]).abs().max().item()
        print(f"{mode:<5} mode: largest change of image 0's logits between the batches: {gap:.4f}")

# %% [markdown]
# Now the test accuracy under four ways of batching the test set: one batch of 269, batches
# of 8 (some of 9, so that none has a single image), batches of 2, and batches of 32 in the
# order of the labels (test data often arrives sorted). In evaluation mode all four must
# agree. `course_lib.training.evaluate` switches to evaluation mode (and back); the
# training-mode numbers come from a loop that restores the model's state afterwards, since
# a training-mode forward pass moves the running statistics even under `torch.no_grad()`.


# %%
def accuracy_in_mode(model, batches, training):
    """Test accuracy with the model in training or evaluation mode (state restored)."""
    state, was_training = {k: v.clone() for k, v in model.state_dict().items()}, model.training
    model.train(training)
    with torch.no_grad():
        correct = sum((model(Xt_te[i]).argmax(dim=1) == yt_te[i]).sum().item() for i in batches)
    model.load_state_dict(state)
    model.train(was_training)
    return correct / len(yt_te)


# %%
n_te = len(yt_te)
batchings = {
    "one batch of 269": [np.arange(n_te)],
    "batches of 8-9": np.array_split(np.arange(n_te), n_te // 8),
    "batches of 2-3": np.array_split(np.arange(n_te), n_te // 2),
    "batches of 32-34, sorted by label": np.array_split(
        np.argsort(yd_te, kind="stable"), n_te // 32
    ),
}
print(f"{'test batches':<32} {'eval mode':>9} {'train mode':>10}")
for name, batches in batchings.items():
    loader_te = [(Xt_te[i], yt_te[i]) for i in batches]
    in_eval = evaluate(bn_model, loader_te, nn.CrossEntropyLoss())["accuracy"]
    print(f"{name:<32} {in_eval:9.3f} {accuracy_in_mode(bn_model, batches, True):10.3f}")

# %% [markdown]
# In evaluation mode the accuracy is the same however the test set is cut. In training mode
# it is fine only for large, mixed batches, like training batches; with small batches or
# batches of one class it collapses, because each batch is normalised by its own
# statistics: a sorted batch of zeros is shifted to mean 0, and the network no longer sees
# that they are zeros. Finally, the silent side effect:

# %%
saved = {k: v.clone() for k, v in bn_model.state_dict().items()}
bn_model.train()
with torch.no_grad():
    bn_model(Xt_te[np.argsort(yd_te, kind="stable")[:32]])  # "evaluating" one sorted batch
shift = (bn_model[1].running_mean - saved["1.running_mean"]).abs().max().item()
bn_model.load_state_dict(saved)  # undo it
print(f"one training-mode forward pass moved the running mean by up to {shift:.4f}")

# %% [markdown]
# With momentum 0.1 one batch pulls the running mean 10% of the way to its own mean;
# "evaluating" a test set in training mode overwrites what training stored. Rule: call
# `model.eval()` before validation, testing and prediction, and `model.train()` before
# training again (`course_lib.training.fit` and `evaluate` do it for you).
#
# ## 6. Experiment: the same network with and without BN
#
# The network of section 5 with and without BN, plain SGD (batches of 32, 40 steps an
# epoch, 4 epochs) at a normal rate, 0.1, and a high one, 1.0, from two seeds (each fixing
# the initial weights and batch order for both networks). Every 10 steps we record the mean
# training loss and the validation accuracy, and note the first step whose loss is not
# finite.


# %%
def train_and_watch(batchnorm, lr, seed, epochs=4, every=10, after_relu=False):
    """SGD on the digits -> (mean training loss of each `every` steps, validation accuracy
    after them, the first step whose loss is not finite or None)."""
    set_seed(seed)
    model, loss_fn = make_mlp(batchnorm, after_relu=after_relu), nn.CrossEntropyLoss()
    optimizer, loader = torch.optim.SGD(model.parameters(), lr=lr), digit_loader(seed)
    batch_losses, losses, accuracies, nan_step = [], [], [], None
    for x, y in (batch for _ in range(epochs) for batch in loader):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
        if nan_step is None and not np.isfinite(batch_losses[-1]):
            nan_step = len(batch_losses)
        if len(batch_losses) % every == 0:  # evaluate() switches to eval mode and back
            losses.append(np.mean(batch_losses[-every:]))
            accuracies.append(evaluate(model, val_batches, loss_fn)["accuracy"])
    return np.array(losses), np.array(accuracies), nan_step


# %%
# NBVAL_IGNORE_OUTPUT
# (the lr 1.0 runs amplify round-off: their numbers, even whether a run without BN
# diverges, depend on the CPU; the next cell checks what holds on every machine)
val_batches, runs, start = [(tensor(Xd_va), torch.tensor(yd_va))], {}, time.perf_counter()
for lr in (0.1, 1.0):
    for name in ("no BN", "BN"):
        runs[name, lr] = [train_and_watch(name == "BN", lr, seed) for seed in range(2)]
print(f"8 runs trained in {time.perf_counter() - start:.1f} s; per seed:")
for (name, lr), seeds in runs.items():
    end = [f"NaN from step {s}" if s else f"{loss[-4:].mean():.3f}" for loss, _, s in seeds]
    acc = ", ".join(f"{a[-1]:.3f}" for _, a, _ in seeds)
    print(f"{name:<5} lr {lr}: last-epoch training loss {', '.join(end)}; val accuracy {acc}")


# %%
def per_seed(f):
    """{(name, lr): array over the seeds of f(losses, accuracies)}."""
    return {key: np.array([f(loss, acc) for loss, acc, _ in v]) for key, v in runs.items()}


last = per_seed(lambda loss, _: np.nan_to_num(loss[-4:].mean(), nan=np.inf))  # last epoch
after_1, final = per_seed(lambda _, acc: acc[3]), per_seed(lambda _, acc: acc[-1])

# %%
claims = {
    "lr 0.1, after epoch 1: BN ahead by > 0.2 in validation accuracy, every seed": (
        after_1["BN", 0.1] - after_1["no BN", 0.1]
    ).min()
    > 0.2,
    "lr 1.0: BN's last-epoch training loss < half of no BN's, every seed": (
        2 * last["BN", 1.0] < last["no BN", 1.0]
    ).all(),
    "lr 1.0: BN ends with validation accuracy > 0.75, every seed": final["BN", 1.0].min() > 0.75,
    "lr 1.0: BN ahead by > 0.2 in mean final validation accuracy": (
        final["BN", 1.0].mean() - final["no BN", 1.0].mean() > 0.2
    ),
    "no BN: lr 1.0 ends > 0.1 behind lr 0.1 in mean validation accuracy": (
        final["no BN", 0.1].mean() - final["no BN", 1.0].mean() > 0.1
    ),
}
for claim, holds in claims.items():
    print(f"{claim}: {holds}")
assert all(claims.values())

# %%
per_epoch = len(digit_loader(0))  # steps per epoch
fig, axes = plt.subplots(2, 2, figsize=(11, 6.6), layout="constrained")
for (name, lr), seeds in runs.items():
    row = axes[int(lr == 1.0)]
    for seed, (losses, accuracies, nan_step) in enumerate(seeds):
        t = np.arange(1, len(losses) + 1) * 10 / per_epoch
        style = {"color": color_of(name), "linestyle": ("-", "--", ":")[seed]}
        row[0].semilogy(t, losses, label=f"{name}, seed {seed}", **style)
        row[1].plot(t, accuracies, **style)
        if nan_step is not None:  # a diverged run: mark its last finite loss and the NaN step
            k = max(np.isfinite(losses).argmin() - 1, 0)
            label = f"{name}, seed {seed}: loss NaN from step {nan_step}"
            row[0].plot(t[k], losses[k], "X", color=color("highlight"), ms=10, label=label)
            for ax in row:
                ax.axvline(nan_step / per_epoch, color=color("highlight"), lw=1)
for row, lr in zip(axes, (0.1, 1.0), strict=True):
    row[0].set(xlabel="epoch", ylabel="training loss", title=f"lr {lr}: training loss")
    row[1].set(xlabel="epoch", ylabel="validation accuracy", title=f"lr {lr}: validation accuracy")
fig.legend(*axes[1, 0].get_legend_handles_labels(), loc="outside right center", fontsize=8)
plt.show()

# %% [markdown]
# At the normal rate the network without BN starts slowly in every seed: its loss stays
# near that of guessing among 10 classes, $\ln 10 = 2.3$, for most of the first epoch, and
# its validation accuracy lags far behind. At the high rate it is unstable: a run diverges
# (the loss overflows and the weights become NaN: the curve ends at the cross and the red
# line) or survives with a loss far above BN's. Which seeds diverge, and when, can change
# with the last bits of the CPU's sums (the table is this machine's); the checks hold on
# every machine. With BN every seed trains at both rates. Whatever the layers below did,
# BN gives each unit mean $\beta$ and standard deviation $|\gamma|$ over the batch (learned,
# starting at 0 and 1); after the ReLU the next layer sees mean about 0.4 and standard
# deviation about 0.6 at the start (section 2). Section 8 asks why this helps.
#
# ## 7. Pitfalls: batch size 1 and small batches
#
# **Batch size 1 in training mode.** With one example, $\mu = x$, so $\hat x = 0$ and the
# output is $\beta$ whatever the input. Section 4's formulas give $\partial L/\partial x = 0$
# and $\partial L/\partial\gamma = 0$; only $\partial L/\partial\beta = \sum_i d_i$ is not
# zero, so $\beta$ (and every layer above) learns to fit a constant. Our functions and
# PyTorch's kernel agree (`torch.batch_norm`, the operation under `nn.BatchNorm1d`,
# without its batch-size check):

# %%
x1, d1 = rng.normal(size=(1, 4)), rng.normal(size=(1, 4))
out1, cache1 = batchnorm_forward(x1, gamma, beta)
dx1, dgamma1, dbeta1 = batchnorm_backward(d1, cache1)
leaves = [torch.tensor(a, requires_grad=True) for a in (x1, gamma, beta)]
out1_t = torch.batch_norm(*leaves, None, None, True, 0.1, 1e-5, False)  # training mode
out1_t.backward(torch.tensor(d1))
print(f"B = 1: output == beta: {np.array_equal(out1[0], beta)}")
zero_ours, zero_torch = (
    not (dx1.any() or dgamma1.any()),
    not (leaves[0].grad.any() or leaves[1].grad.any()),
)
print(f"dL/dx == 0 and dL/dgamma == 0 exactly: ours {zero_ours}, torch {zero_torch}")
print(f"dL/dbeta = sum of d = {dbeta1}, non-zero: {bool(np.all(dbeta1 != 0))}")
err = max(rel_error(out1, out1_t), rel_error(dbeta1, leaves[2].grad))
print(f"output and dL/dbeta: max relative error vs torch {format_bound(err, 1e-12)}")
assert zero_ours and zero_torch and np.all(dbeta1 != 0) and err < 1e-12

# %% [markdown]
# PyTorch's layer refuses such a batch outright, while evaluation mode handles one image:

# %%
bn_model.train()
try:
    bn_model(Xt_te[:1])
except ValueError as err:
    print(f"ValueError: {err}")
bn_model.eval()
with torch.no_grad():
    predicted = bn_model(Xt_te[:1]).argmax(dim=1).item()
print(f"in evaluation mode one image is fine: predicted {predicted}, label {yd_te[0]}")

# %% [markdown]
# A training set whose size leaves a last batch of one example triggers this error
# mid-epoch; `DataLoader(..., drop_last=True)` avoids it.
#
# **Batch size 2.** Each value is then exactly half the gap away from the mean, so BN maps
# every pair to $\pm 1$ (up to $\epsilon$), whatever the inputs:

# %%
pair = rng.normal(size=(2, 5)) * 10
print(batchnorm_forward(pair, np.ones(5), np.zeros(5))[0])

# %% [markdown]
# **Small batches give noisy statistics.** $\mu_t$ is an average of $B$ values, so its
# spread around the mean of the whole training set is about $\sigma/\sqrt B$. We measure it
# on the first layer of the trained model: for each batch size, 200 random batches, the
# batch mean and variance of each of the 64 units, their standard deviation across batches
# relative to the unit's $\sigma$ (or $\sigma^2$), averaged over the units.

# %%
with torch.no_grad():
    Z = bn_model[0](tensor(Xd_tr)).numpy().astype(np.float64)  # (N, 64) before the first BN
sizes = [2, 4, 8, 16, 32, 64, 128]
spread_mean, spread_var = [], []
for B in sizes:
    idx = rng.permuted(np.tile(np.arange(len(Z)), (200, 1)), axis=1)[:, :B]  # 200 batches
    batch_means, batch_vars = Z[idx].mean(axis=1), Z[idx].var(axis=1)  # (200, 64) each
    spread_mean.append(np.mean(batch_means.std(axis=0) / Z.std(axis=0)))
    spread_var.append(np.mean(batch_vars.std(axis=0) / Z.var(axis=0)))
ratio = np.array(spread_mean) * np.sqrt(sizes)
assert np.abs(ratio - 1).max() < 0.1, ratio  # within the noise of 200 batches
for B, sm, sv in zip(sizes, spread_mean, spread_var, strict=True):
    print(
        f"B = {B:3d}: spread of batch mean / sigma {sm:.3f} (1/sqrt(B) = {1 / np.sqrt(B):.3f}), of batch var / sigma^2 {sv:.3f}"
    )

# %%
fig, ax = plt.subplots(layout="constrained")
ax.loglog(sizes, spread_mean, "o-", color=color_of("batch mean", 0), label="batch mean (relative to $\\sigma$)")  # fmt: skip
ax.loglog(sizes, spread_var, "s-", color=color_of("batch variance", 1), label="batch variance (relative to $\\sigma^2$)")  # fmt: skip
ax.loglog(sizes, 1 / np.sqrt(sizes), "--", color=color("reference"), label="$1/\\sqrt{B}$")
ax.set(
    xlabel="batch size B", ylabel="spread across batches", title="noise of BN's batch statistics"
)
ax.legend()
plt.show()

# %% [markdown]
# The spread of the batch mean follows $1/\sqrt B$ to within the noise of 200 batches, and
# the batch variance is noisier still. With batches of 2 or 4 every step normalises with
# statistics off by half a standard deviation or more. Keep BN's batches at a few
# dozen examples or more; for tiny batches, normalisations that do not use the batch are
# the usual replacement: **layer normalization** normalises each example over its own
# features (Transformers use it), group normalization over groups of channels.

# %% [markdown]
# ## 8. Images, biases, fine-tuning, and why BN helps
#
# **BatchNorm2d.** A convolutional layer outputs images of shape $(N, C, H, W)$: $C$
# channels, each a map of $H \times W$ positions computed by the same filter. BN therefore
# normalises each *channel* over all $N \cdot H \cdot W$ values (one $\mu_c$, $\sigma_c^2$,
# $\gamma_c$, $\beta_c$ per channel), and the running variance uses $B = NHW$. From
# scratch, against `torch.nn.BatchNorm2d` and `course_lib.layers.BatchNorm2d`:


# %%
def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
    """Training-mode BN of images x (N, C, H, W): one mean and biased variance per channel."""
    mu, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    return gamma[:, None, None] * (x - mu) / np.sqrt(var + eps) + beta[:, None, None]


gamma3, beta3 = np.array([1.5, 0.5, 1.0]), np.array([0.0, 1.0, -1.0])
torch_bn2, lib_bn2 = nn.BatchNorm2d(3, dtype=torch.float64), BatchNorm2d(3)
with torch.no_grad():
    torch_bn2.weight.copy_(torch.tensor(gamma3))
    torch_bn2.bias.copy_(torch.tensor(beta3))
lib_bn2.params["gamma"][...], lib_bn2.params["beta"][...] = gamma3, beta3

# %%
errors2d = []
for k in range(3):  # three batches of 4 images with 3 channels of 5 x 5 on different scales
    xb = rng.normal(size=(4, 3, 5, 5)) * np.array([1.0, 10.0, 0.1])[:, None, None] + k
    db, xb_t = rng.normal(size=xb.shape), torch.tensor(xb, requires_grad=True)
    (out_t := torch_bn2(xb_t)).backward(torch.tensor(db))
    errors2d += [rel_error(batchnorm2d_forward(xb, gamma3, beta3), out_t),
                 rel_error(lib_bn2.forward(xb), out_t), rel_error(lib_bn2.backward(db), xb_t.grad)]  # fmt: skip
errors2d += [rel_error(lib_bn2.running_mean, torch_bn2.running_mean),
             rel_error(lib_bn2.running_var, torch_bn2.running_var)]  # fmt: skip
print(f"3 batches: output from scratch and course_lib, dx, running mean and variance vs "
      f"torch.nn.BatchNorm2d: max relative error {format_bound(max(errors2d), 1e-12)}")  # fmt: skip
assert max(errors2d) < 1e-12

# %% [markdown]
# **No bias before BN.** BN subtracts each unit's batch mean, and a bias $b$ added just
# before it is part of that mean: $\mathrm{BN}(Wx + b) = \mathrm{BN}(Wx)$. The bias
# changes nothing and its gradient is 0 (the column sums of $\partial L/\partial x$ vanish,
# section 4); $\beta$ does its job. So the layer before BN is built without one:
# `nn.Linear(..., bias=False)`, `nn.Conv2d(..., bias=False)`.

# %%
x_b, up = torch.tensor(Xd_tr[:32]), torch.tensor(rng.normal(size=(32, 16)))  # float64
lin_b, bn_b = nn.Linear(64, 16).double(), nn.BatchNorm1d(16).double()
out_b = bn_b(lin_b(x_b))
out_b.backward(up)  # any loss: a fixed upstream gradient
with torch.no_grad():
    lin_b.bias += 5.0
    moved = (bn_b(lin_b(x_b)) - out_b).abs().max().item()
bias_grad = lin_b.bias.grad.abs().max().item()
print(f"gradient of the bias before BN: {format_bound(bias_grad, 1e-12)}; shifting the bias by 5 "
      f"changes BN's output by {format_bound(moved, 1e-12)}")  # fmt: skip
print(f"parameters of nn.Linear(64, 16): {sum(q.numel() for q in lin_b.parameters())}, "
      f"with bias=False: {nn.Linear(64, 16, bias=False).weight.numel()}")  # fmt: skip
assert bias_grad < 1e-12 and moved < 1e-12

# %% [markdown]
# **BN during fine-tuning.** A trained network is often *fine-tuned*: trained a little more
# on a small new data set, in small batches. In training mode BN would normalise with the
# statistics of a few unrepresentative examples and overwrite its running statistics with
# them. Keep BN in evaluation mode instead: after `model.train()`, call `.eval()` on every
# BN layer, so that it uses the statistics learned on the large data set; $\gamma$ and
# $\beta$ still learn. The network of section 5, fine-tuned for 30 steps on 30 images of the
# digits 0–2 in batches of 4 (learning rate 0.01), both ways:


# %%
def fine_tune(freeze_bn, steps=30, seed=0):
    """A copy of bn_model after `steps` SGD steps on (x_few, y_few) in batches of 4."""
    model = copy.deepcopy(bn_model).train()
    if freeze_bn:
        for layer in model.modules():
            if isinstance(layer, nn.BatchNorm1d):
                layer.eval()  # normalise with the running statistics and keep them
    opt, gen = torch.optim.SGD(model.parameters(), lr=0.01), torch.Generator().manual_seed(seed)
    for _ in range(steps):
        batch = torch.randint(0, len(y_few), (4,), generator=gen)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x_few[batch]), y_few[batch]).backward()
        opt.step()
    return model


# %%
# NBVAL_IGNORE_OUTPUT
# (one test image more or less, depending on the CPU; the next cell states what holds)
few = np.flatnonzero(yd_va < 3)[:30]  # 30 validation images, all of them 0, 1 or 2
x_few, y_few = tensor(Xd_va[few]), torch.tensor(yd_va[few])
whole_test = [np.arange(n_te)]
before = accuracy_in_mode(bn_model, whole_test, False)
tuned = {"BN in training mode": fine_tune(False), "BN kept in eval()": fine_tune(True)}
after, drift = {}, {}
for name, model in tuned.items():
    after[name] = accuracy_in_mode(model, whole_test, False)
    drift[name] = max((model[k].running_mean - bn_model[k].running_mean).abs().max().item() for k in (1, 4, 7))  # fmt: skip
    print(f"{name:<20} test accuracy {after[name]:.3f} (before {before:.3f}); running means moved by up to {drift[name]:.2f}")  # fmt: skip

# %%
trained_bn, frozen_bn = tuned
print(f"{trained_bn}: accuracy falls by more than 0.03: {before - after[trained_bn] > 0.03}; "
      f"running means move by more than 0.1: {drift[trained_bn] > 0.1}")  # fmt: skip
print(f"{frozen_bn}: accuracy within 0.015 of before: {abs(before - after[frozen_bn]) < 0.015}; "
      f"running means unchanged: {drift[frozen_bn] == 0}")  # fmt: skip
assert before - after[trained_bn] > 0.03 and drift[trained_bn] > 0.1
assert abs(before - after[frozen_bn]) < 0.015 and drift[frozen_bn] == 0

# %% [markdown]
# With BN in training mode the running means move far towards the three digits and the
# accuracy on all ten drops; kept in evaluation mode, BN's statistics stay put and the
# accuracy barely changes.
#
# **Why does BN help? An open question.** The BN paper (Ioffe and Szegedy, 2015) blamed
# **internal covariate shift**: every update changes the distribution of each layer's
# inputs, which the next layer must keep chasing; BN fixes their mean and variance.
# Santurkar et al. (2018) tested this: noise injected after BN, shifting the distributions
# at every step, trained about as well as plain BN, and by their measure BN did not reduce
# the shift. They found instead a smoother loss: along a step the loss and its gradient
# change less, so larger steps are safe. A related effect is easy to measure: BN's output
# ignores the scale of the weights feeding it, and their gradient shrinks by that scale.

# %%
lin_s, bn_s = nn.Linear(64, 16, bias=False).double(), nn.BatchNorm1d(16).double()


def out_and_weight_grad(scale):
    """BN's output with lin_s's weights scaled by `scale`, and the gradient with respect to them."""
    w = (scale * lin_s.weight.detach()).requires_grad_()
    out = bn_s(x_b @ w.T)
    out.backward(up)
    return out.detach(), w.grad


(out_1, grad_1), (out_10, grad_10) = out_and_weight_grad(1.0), out_and_weight_grad(10.0)
change = (out_10 - out_1).abs().max().item()
print(f"weights x 10: BN's output changes by {format_bound(change, 1e-3)} (only through epsilon); "
      f"the weight gradient is x {(grad_10.norm() / grad_1.norm()).item():.3f}")  # fmt: skip
assert change < 1e-3 and abs(grad_10.norm() / grad_1.norm() - 0.1) < 1e-3

# %% [markdown]
# Large weights thus take relatively small steps: the effective learning rate adapts to
# their scale. **What our experiments show:** standardized inputs turn a narrow valley into
# a round one (section 1, where "smoother" is exact); with BN the digits network trains
# faster and survives $\eta = 1$ (section 6); BN ignores the scale of the weights below it.
# All of this fits both explanations. **What they cannot show:** which mechanism causes
# the gain. We measured neither the shift of each layer's inputs nor the smoothness of the
# network's loss, ran no noise-injection control, and trained one small network on 8×8
# digits with two seeds.

# %% [markdown]
# ## 9. The library, takeaways and homework
#
# **In `course_lib`.** `course_lib.layers.BatchNorm1d(num_features, eps=1e-5,
# momentum=0.1)` holds the forward pass of section 3, the backward pass of section 4 and
# the running statistics of section 5, with PyTorch's conventions: `params["gamma"]`,
# `params["beta"]`, `running_mean` (starting at 0), `running_var` (starting at 1, updated
# with the unbiased variance), `train()` / `eval()`; `BatchNorm2d` does the same per
# channel. Both refuse a single value per unit in training mode, like PyTorch. Against
# `torch.nn.BatchNorm1d` on three training batches (forward and backward) and one
# evaluation batch:

# %%
lib_bn, torch_bn = BatchNorm1d(4), nn.BatchNorm1d(4, dtype=torch.float64)
lib_bn.params["gamma"][...], lib_bn.params["beta"][...] = gamma, beta
with torch.no_grad():
    torch_bn.weight.copy_(torch.tensor(gamma))
    torch_bn.bias.copy_(torch.tensor(beta))
errors = []
for k in range(3):
    xb, db = rng.normal(size=(6, 4)) * 2 + k, rng.normal(size=(6, 4))
    xb_t = torch.tensor(xb, requires_grad=True)
    torch_bn.weight.grad = torch_bn.bias.grad = None
    out_t = torch_bn(xb_t)
    out_t.backward(torch.tensor(db))
    pairs = [(lib_bn.forward(xb), out_t), (lib_bn.backward(db), xb_t.grad)]
    pairs += [
        (lib_bn.grads["gamma"], torch_bn.weight.grad),
        (lib_bn.grads["beta"], torch_bn.bias.grad),
    ]
    errors += [rel_error(a, b) for a, b in pairs]

# %%
errors += [rel_error(lib_bn.running_mean, torch_bn.running_mean)]
errors += [rel_error(lib_bn.running_var, torch_bn.running_var)]
x_eval = rng.normal(size=(3, 4))
errors += [rel_error(lib_bn.eval().forward(x_eval), torch_bn.eval()(torch.tensor(x_eval)))]
print(
    "course_lib BatchNorm1d vs torch (3 training batches: forward, dx, dgamma, dbeta; running "
    f"statistics; evaluation mode): max relative error {format_bound(max(errors), 1e-12)}"
)
assert max(errors) < 1e-12

# %% [markdown]
# With `Linear`, `ReLU` and `Sequential` from the same module, BN becomes one more layer in
# a NumPy network; `Sequential` collects the parameters under names like PyTorch's:

# %%
net = Sequential(Linear(64, 32, rng=0), BatchNorm1d(32), ReLU(), Linear(32, 10, rng=1))
print(net)
print(f"parameters: {list(net.params)}")
try:
    net.forward(Xd_te[:1])  # training mode: one row is refused
except ValueError as err:
    print(f"ValueError: {err}")
print(f"evaluation mode, one image -> logits of shape {net.eval().forward(Xd_te[:1]).shape}")

# %% [markdown]
# **Takeaways.**
#
# - Features on different scales make the error surface a narrow valley, where gradient
#   descent needs thousands of times more steps than after standardization.
# - Feature normalization uses training-set statistics and reuses them for new data;
#   hidden values are features too, so we normalise again inside the network.
# - Batch normalization normalises each unit with the mini-batch mean and biased variance,
#   then scales by $\gamma$ and shifts by $\beta$; one example's output and gradient depend
#   on the whole batch. Images are normalised per channel; the layer before BN needs no
#   bias.
# - For inference BN keeps moving averages (PyTorch's `momentum` weights the new batch;
#   the running variance is unbiased). Forgetting `model.eval()` makes predictions depend
#   on the batch; when fine-tuning, keep BN in evaluation mode.
# - BN trained faster at a normal rate and kept training at a high one. Whether through
#   less covariate shift or a smoother loss, our experiments cannot decide.
# - With batch size 1 BN passes no gradient to its input; batch statistics are noisy like
#   $1/\sqrt B$.

# %% [markdown]
# **Homework.** `homework/hw06_batchnorm.ipynb`: write BN's training forward pass with the
# running statistics, the evaluation-mode pass and the backward pass in NumPy, and match
# `torch.nn.BatchNorm1d`, running statistics included.
#
# **Glossary.** The terms in bold are in the course [glossary](glossary.md), in English and
# Chinese.
#
# ## 10. Exercises
#
# Predict the answer before you run the code, then open the answer.

# %% [markdown]
# **1.** In section 1, scale $x_2$ by 10 instead of 100. By what factor do the condition
# number and the number of GD steps on the raw inputs change?

# %% tags=["answer"]
kappa = {}
for scale in (10.0, 100.0):
    lam = np.linalg.eigvalsh(LinearMSE(X_unit * np.array([1.0, scale]), y_reg, "").H)
    kappa[scale] = lam[-1] / lam[0]
s10 = LinearMSE(X_unit * np.array([1.0, 10.0]), y_reg, "x2 scaled by 10")
lam10 = np.linalg.eigvalsh(s10.H)
steps10 = len(gradient_descent(s10, 2 / (lam10[0] + lam10[-1]))) - 1
print(f"condition number: x2 x 10 {kappa[10.0]:.1f}, x2 x 100 {kappa[100.0]:.1f} (ratio {kappa[100.0] / kappa[10.0]:.0f}); "
      f"GD steps with x2 x 10: {steps10}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# The condition number falls about a hundredfold: it grows with the *square* of the ratio
# of the scales, since $H = \frac2N A^\top A$ multiplies the scale of $x_2$ by itself. The
# number of steps, about $\tfrac\kappa4\ln(\cdot)$, falls by about the same factor, from
# the 39 558 of section 1 to 396.
# </details>

# %% [markdown]
# **2.** Build `make_mlp` with BN after the ReLU (`after_relu=True`) and train it as in
# section 6 at lr 1.0 (seed 0). Does it still train? Then train the usual BN network at
# lr 3.0.

# %% tags=["answer"]
tries = {"BN after ReLU, lr 1.0": train_and_watch(True, 1.0, 0, after_relu=True),
         "BN before ReLU, lr 3.0": train_and_watch(True, 3.0, 0)}  # fmt: skip
for name, (loss, acc, nan_step) in tries.items():
    print(f"{name}: diverged {nan_step is not None}; last-epoch training loss below 0.3: "
          f"{loss[-4:].mean() < 0.3}; validation accuracy above 0.9 in the last epoch: {acc[-4:].max() > 0.9}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Yes: with BN after the ReLU the network trains at lr 1.0 about as well as with BN before
# it, though at this rate its validation accuracy swings from one evaluation to the next.
# At lr 3.0 the usual BN network still does not diverge, where the network without BN
# already failed at 1.0 (section 6), but it trains worse: its last-epoch loss stays above
# 0.3. BN widens the range of usable learning rates; it does not remove the limit.
# </details>

# %% [markdown]
# **3.** With PyTorch's `momentum=0.01`, after how many batches does the initial running
# variance weigh less than 0.04? Check it with `nn.BatchNorm1d`.

# %% tags=["answer"]
slow = nn.BatchNorm1d(1, momentum=0.01, dtype=torch.float64)
weights = []
for _ in range(400):  # constant batches have variance 0, so running_var = 0.99^n exactly
    slow(torch.full((4, 1), 2.0, dtype=torch.float64))
    weights.append(slow.running_var.item())
first = next(n for n, w in enumerate(weights, 1) if w < 0.04)
print(f"the initial variance weighs {weights[first - 1]:.4f} after {first} batches "
      f"({weights[first - 2]:.4f} after {first - 1}); ln 0.04 / ln 0.99 = {np.log(0.04) / np.log(0.99):.1f}")  # fmt: skip
print(
    f"with momentum 0.1: below 0.04 after {next(n for n in range(1, 100) if 0.9**n < 0.04)} batches"
)

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# After 321 batches: the initial value weighs $(1 - m)^n = 0.99^n$, which falls below
# 0.04 once $n > \ln 0.04/\ln 0.99 = 320.3$. With momentum 0.1 it took 31 batches; the
# smaller momentum averages over ten times more batches, smoother but ten times slower to
# forget the start (and to follow the weights as training changes them).
# </details>

# %% [markdown]
# **4.** For a batch of two, $\hat x = \pm 1$ (up to $\epsilon$). Use the formula of
# section 4 to predict $\partial L/\partial x$ when $d_1 = d_2$, then check with
# `batchnorm_backward`.

# %% tags=["answer"]
x_pair, d_equal = rng.normal(size=(2, 3)), np.tile(rng.normal(size=(1, 3)), (2, 1))  # d_1 = d_2
dx_pair = batchnorm_backward(d_equal, batchnorm_forward(x_pair, np.ones(3), np.zeros(3))[1])[0]
print(f"dL/dx for d_1 = d_2: largest |entry| {format_bound(np.abs(dx_pair).max(), 1e-12)}")
assert np.abs(dx_pair).max() < 1e-12

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Zero. With $g_1 = g_2 = \gamma d$ and $\hat x_2 = -\hat x_1$: $B g_j - \sum_i g_i =
# 2\gamma d - 2\gamma d = 0$ and $\sum_i g_i \hat x_i = \gamma d(\hat x_1 + \hat x_2) = 0$. An
# upstream gradient that is the same for both examples asks to move both outputs the same
# way, and BN's outputs, always $\pm 1$, cannot move that way.
# </details>

# %% [markdown]
# **5.** Classify the test set in training mode with batches of 64 sorted by label. Is the
# accuracy closer to the eval-mode number or to that of sorted batches of 32?

# %% tags=["answer"]
sorted_64 = np.array_split(np.argsort(yd_te, kind="stable"), n_te // 64)
print(f"training mode, sorted batches of {len(sorted_64[0])}-{len(sorted_64[-1])}: "
      f"accuracy {accuracy_in_mode(bn_model, sorted_64, True):.3f}; "
      f"evaluation mode {accuracy_in_mode(bn_model, whole_test, False):.3f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Closer to the sorted batches of 32 (0.305 in section 5) than to evaluation mode: 0.591.
# Sorted by label, a batch of 67 holds only two or three digits, and its statistics are
# as far from a training batch's mix as before. A larger batch helps only if it is a mixed
# sample of the data; in evaluation mode the batching never matters.
# </details>
