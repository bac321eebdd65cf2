# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 03 — Batch size and momentum
#
# Gradient descent as we wrote it so far looks at every training example before it moves.
# Real training does not: it takes a small random **mini-batch**, steps, and takes the next
# one. This lecture asks what the batch size changes (speed per update, speed per epoch,
# noise in the gradient, the final accuracy) and how **momentum** — keeping part of the last
# movement — helps gradient descent roll past local minima and stop zig-zagging in narrow
# valleys. We build the pieces from scratch, measure them on this machine, and check the
# optimizers against `torch.optim.SGD` step for step.
#
# 1. Batches, epochs and shuffling
# 2. Gradient noise: how far a mini-batch gradient is from the full gradient
# 3. Time per update and time per epoch, measured
# 4. Noisy updates can help
# 5. Momentum
# 6. Nesterov momentum
# 7. From scratch vs `torch.optim.SGD`
# 8. The library, takeaways and homework

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib import optim
from course_lib.data import load_digits, minibatches, standardize, train_val_test_split
from course_lib.explorers import OptimizerExplorer
from course_lib.gradcheck import format_bound
from course_lib.losses import cross_entropy
from course_lib.plots import contour_with_paths, loss_curves, use_style
from course_lib.surfaces import BumpyCurve, IllConditionedQuadratic, Rosenbrock
from course_lib.training import set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. Batches, epochs and shuffling
#
# The training loss is a mean over the $N$ training examples, and so is its gradient:
#
# $$L(\theta) = \frac1N \sum_{i=1}^N \ell_i(\theta), \qquad
# g = \nabla L(\theta) = \frac1N \sum_{i=1}^N \nabla \ell_i(\theta).$$
#
# Computing $g$ exactly needs a pass over all $N$ examples. Instead we split the data into
# **batches** of $B$ examples and take one step per batch, with the batch's mean gradient
# $g_{\mathcal B} = \frac1B \sum_{i \in \mathcal B} \nabla \ell_i(\theta)$. One pass over all
# batches is an **epoch**: it makes $\lceil N/B \rceil$ *updates*. After every epoch we
# **shuffle** the data, so the batches differ from epoch to epoch and no example is always
# seen next to the same neighbours.
#
# A shuffling batch iterator takes a few lines: draw a random order, then cut it into slices.


# %%
def shuffled_batches(X, y, batch_size, rng):
    """One epoch of (X_batch, y_batch) in a fresh random order; last batch may be smaller."""
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


# %% [markdown]
# Twenty examples (the number in the lecture's example), numbered 0–19, in batches of 6:
# each epoch has four batches (6 + 6 + 6 + 2), every example appears exactly once, and the
# second epoch uses a new order.

# %%
ids = np.arange(20)
rng = np.random.default_rng(0)
epochs = [[yb for _, yb in shuffled_batches(ids, ids, 6, rng)] for _ in range(2)]
for e, batches in enumerate(epochs):
    print(f"epoch {e}: " + " | ".join(" ".join(f"{i:2d}" for i in b) for b in batches))
for batches in epochs:
    assert [len(b) for b in batches] == [6, 6, 6, 2]
    assert sorted(np.concatenate(batches)) == list(range(20))
assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))

# %% [markdown]
# The same iterator lives in the library as `course_lib.data.minibatches(X, y, batch_size,
# shuffle=True, rng=None)`. Given the same `numpy.random.Generator`, it returns exactly the
# same batches, epoch after epoch. From here on we use the library version.

# %%
rng_ours, rng_lib = np.random.default_rng(7), np.random.default_rng(7)
same = all(
    np.array_equal(a[1], b[1])
    for _ in range(5)
    for a, b in zip(
        shuffled_batches(ids, ids, 6, rng_ours), minibatches(ids, ids, 6, rng=rng_lib), strict=True
    )
)
print(f"5 epochs, ours vs course_lib.data.minibatches: identical batches = {same}")
assert same

# %% [markdown]
# **Mini-batch SGD.** The training loop, in pseudocode:
#
# ```
# θ = initialise()
# for epoch in range(num_epochs):
#     for batch in shuffled_batches(data, batch_size):
#         g = gradient of the mean loss on batch at θ
#         θ = θ − η g
# ```
#
# Its **hyperparameters** are the initialisation, the number of steps (epochs or updates),
# the learning rate $\eta$, the batch size $B$, and how batches are sampled (here: shuffle
# every epoch, then take consecutive slices). With $B = N$ it is plain (full-batch)
# gradient descent; with $B < N$ it is **stochastic gradient descent (SGD)**.
#
# Our test model is **softmax regression** on the handwritten digits (8×8 images, 64
# features, 10 classes): logits $z = XW + b$, the mean cross-entropy loss, and its gradient
# $\partial L/\partial W = X^\top \partial L/\partial z$. `course_lib.losses.cross_entropy`
# returns the loss and $\partial L/\partial z$. The data are split into training,
# validation and test sets, and standardized with training statistics; this lecture never
# looks at the test set.

# %%
X, y = load_digits()
X_train, y_train, X_val, y_val, X_test, y_test = train_val_test_split(X, y, seed=0, stratify=True)
X_train, X_val, X_test, _, _ = standardize(X_train, X_val, X_test)
N = len(X_train)
print(f"train {X_train.shape}, validation {X_val.shape}, test {X_test.shape}")


def loss_and_grads(params, Xb, yb):
    """Softmax regression: mean cross-entropy of Xb @ W + b, and its gradients [dW, db]."""
    W, b = params
    loss, dlogits = cross_entropy(Xb @ W + b, yb)
    return loss, [Xb.T @ dlogits, dlogits.sum(axis=0)]


def accuracy(params, Xs, ys):
    W, b = params
    return float(np.mean((Xs @ W + b).argmax(axis=1) == ys))


# %% [markdown]
# The loop itself, with every hyperparameter visible. It counts updates rather than epochs,
# so that we can later compare batch sizes both ways.


# %%
def sgd_softmax(batch_size, num_updates, lr=0.1, seed=0):
    """Mini-batch SGD on softmax regression from zero weights; returns [W, b]."""
    rng = np.random.default_rng(seed)  # sampling: a new order every epoch
    params = [np.zeros((64, 10)), np.zeros(10)]  # initialisation
    done = 0
    while done < num_updates:  # one pass of this loop is one epoch
        for Xb, yb in minibatches(X_train, y_train, batch_size, rng=rng):
            _, grads = loss_and_grads(params, Xb, yb)
            for p, g in zip(params, grads, strict=True):
                p -= lr * g
            done += 1
            if done == num_updates:
                break
    return params


# %%
params = sgd_softmax(batch_size=32, num_updates=3 * math.ceil(N / 32))
print(
    f"3 epochs, batch 32: train accuracy {accuracy(params, X_train, y_train):.4f}, "
    f"validation accuracy {accuracy(params, X_val, y_val):.4f}"
)

# %% [markdown]
# ## 2. Gradient noise
#
# A mini-batch gradient is a random estimate of the full gradient. Drawing the batch
# uniformly without replacement makes it *unbiased*, $\mathbb E[g_{\mathcal B}] = g$, and
# its spread — the **gradient noise** — follows from the spread $\sigma^2$ of the
# per-example gradients $g_i = \nabla\ell_i$:
#
# $$\mathbb E\,\lVert g_{\mathcal B} - g\rVert^2 = \frac{\sigma^2}{B}\cdot\frac{N-B}{N-1},
# \qquad \sigma^2 = \frac1N\sum_{i=1}^N \lVert g_i - g\rVert^2 .$$
#
# So the noise shrinks like $1/\sqrt B$, and vanishes at $B = N$. We check the formula at
# the starting point $W = 0, b = 0$: first the $N$ per-example gradients (each one flattened
# into a vector of $64\cdot10 + 10 = 650$ numbers), whose mean must be the full gradient.


# %%
def flat(grads):
    return np.concatenate([g.ravel() for g in grads])


params0 = [np.zeros((64, 10)), np.zeros(10)]
G = np.array(
    [flat(loss_and_grads(params0, X_train[i : i + 1], y_train[i : i + 1])[1]) for i in range(N)]
)
g_full = flat(loss_and_grads(params0, X_train, y_train)[1])
err = np.abs(G.mean(axis=0) - g_full).max()
sigma2 = np.mean(np.sum((G - g_full) ** 2, axis=1))
print(
    f"per-example gradients {G.shape}; mean vs full gradient: max error {format_bound(err, 1e-12)}"
)
print(f"|g| = {np.linalg.norm(g_full):.4f}, sigma = {math.sqrt(sigma2):.4f}")
assert err < 1e-12

# %% [markdown]
# Now 200 random batches for each batch size: the measured root-mean-square distance from
# the full gradient against the formula.


# %%
def noise_formula(B):
    return math.sqrt(sigma2 / B * (N - B) / (N - 1))


rng = np.random.default_rng(0)
batch_sizes = [1, 8, 32, 128, 512, N]
noise = {}
for B in batch_sizes:
    d2 = [
        np.sum((G[rng.choice(N, B, replace=False)].mean(axis=0) - g_full) ** 2) for _ in range(200)
    ]
    noise[B] = math.sqrt(np.mean(d2))
    print(f"B = {B:4d}: measured noise {noise[B]:.3f}, formula {noise_formula(B):.3f}")
    assert abs(noise[B] - noise_formula(B)) <= 0.1 * noise_formula(B) + 1e-12

# %%
Bs = np.unique(np.geomspace(1, N - 1, 300).round())
fig, ax = plt.subplots()
ax.loglog(Bs, [noise_formula(B) for B in Bs], label="formula")
ax.loglog(batch_sizes[:-1], [noise[B] for B in batch_sizes[:-1]], "o", label="measured")
ax.axhline(np.linalg.norm(g_full), color="gray", linestyle="--", label=r"$\|g\|$ (full gradient)")
ax.set(xlabel="batch size B", ylabel=r"noise $\sqrt{E\|g_B - g\|^2}$")
ax.set_title("mini-batch gradient noise on the digits (at W = 0)")
ax.legend()
plt.show()

# %% [markdown]
# At $B = 1$ the noise is about five times larger than the gradient itself; at $B = 128$ it
# is about half of it; at $B = N$ it is zero ($B = N$ is left out of the log-log plot).
#
# ## 3. Time per update and time per epoch, measured
#
# Noise is one side of the trade-off; time is the other. An update on a batch of $B$
# examples costs a fixed part (Python calls, argument checks, allocating arrays) plus a part
# that grows with $B$ (the matrix products). One epoch makes $\lceil N/B\rceil$ updates. We
# time one epoch of the loop above (the best of three runs) for $B = 1, 2, 4, \dots, 1024$
# and $N$, on one CPU thread. The numbers change from run to run and machine to machine, so
# this cell's output is not compared by the tests.


# %%
def seconds_per_epoch(batch_size, repeats=3):
    best = math.inf
    for r in range(repeats):
        params, rng = [np.zeros((64, 10)), np.zeros(10)], np.random.default_rng(r)
        start = time.perf_counter()
        for Xb, yb in minibatches(X_train, y_train, batch_size, rng=rng):
            _, grads = loss_and_grads(params, Xb, yb)
            for p, g in zip(params, grads, strict=True):
                p -= 0.1 * g
        best = min(best, time.perf_counter() - start)
    return best


# %%
# NBVAL_IGNORE_OUTPUT
timing_sizes = [2**k for k in range(11)] + [N]
updates = {B: math.ceil(N / B) for B in timing_sizes}
per_epoch = {B: seconds_per_epoch(B) for B in timing_sizes}
per_update = {B: per_epoch[B] / updates[B] for B in timing_sizes}
print(f"{'batch size':>10} {'updates/epoch':>14} {'s/update':>10} {'s/epoch':>10}")
for B in timing_sizes:
    print(f"{B:10d} {updates[B]:14d} {per_update[B]:10.2e} {per_epoch[B]:10.2e}")

# %%
fig, ax = plt.subplots()
ax.loglog(timing_sizes, [per_update[B] for B in timing_sizes], "o-", label="seconds per update")
ax.loglog(timing_sizes, [per_epoch[B] for B in timing_sizes], "s-", label="seconds per epoch")
ax.set(
    xlabel="batch size B",
    ylabel="seconds",
    title="softmax regression on the digits, one CPU thread",
)
ax.legend()
plt.show()

# %% [markdown]
# Read the figure from left to right. For small $B$ the fixed cost dominates: doubling $B$
# barely changes the time of an update, so the time of an epoch nearly halves. For large
# $B$ the arithmetic dominates: the time per update grows in proportion to $B$ and the time
# per epoch stops falling. Big batches are *cheaper per epoch* because they pay the fixed
# cost fewer times.
#
# *On a GPU* the effect is much stronger. A GPU has thousands of arithmetic units that
# work on the rows of a batch in parallel, so the time per update stays almost flat as $B$
# grows — until the batch is large enough to keep every unit busy. Up to that size a larger
# batch costs nearly nothing extra per update, and an epoch takes far less time. (This
# machine has no GPU, so we cannot show it here.)
#
# The table of the two extremes, with a mini-batch in between, measured here (the lecture's
# example had 20 examples; we have $N$ = 1259):

# %%
# NBVAL_IGNORE_OUTPUT
print(f"{'batch size':>12} {'updates/epoch':>14} {'s/update':>10} {'s/epoch':>10} {'noise':>7}")
for B, name in [(N, "N (full)"), (1, "1"), (32, "32")]:
    noise_B = noise_formula(B)
    print(f"{name:>12} {updates[B]:14d} {per_update[B]:10.1e} {per_epoch[B]:10.1e} {noise_B:7.3f}")

# %% [markdown]
# The parts of the table that do not depend on the clock, and one timing fact robust enough
# to check automatically: an epoch at batch size 1 takes longer than at batch size 256.

# %%
print(f"batch size | updates per epoch | gradient noise (|g| = {np.linalg.norm(g_full):.3f})")
for B, name in [(N, "N (full)"), (1, "1"), (32, "32")]:
    print(f"{name:>10} | {updates[B]:17d} | {noise_formula(B):.3f}")
slower = per_epoch[1] > per_epoch[256]
print(f"an epoch at batch size 1 takes longer than at batch size 256: {slower}")
assert slower

# %% [markdown]
# | batch size | updates per epoch | cost of one update | noise of the gradient |
# |---|---|---|---|
# | $N$ (full batch) | 1 | the largest | none: the exact gradient, a stable step |
# | 1 | $N$ | the smallest | the largest: a noisy step |
# | 32 (a mini-batch) | $\lceil N/32\rceil$ | small | moderate |
#
# ## 4. Noisy updates can help
#
# A noisy gradient sounds like a bad thing. But noise has a use: where the *full* gradient
# is zero — at a local minimum or a saddle point of $L$ — the gradients of single batches are
# usually not zero, so SGD keeps moving while full-batch gradient descent is stuck.
#
# A toy problem makes this exact. Take the 1-D curve $f$ of `course_lib.surfaces.BumpyCurve`
# (a bowl with a bump: a local minimum on the left, the lower global minimum on the right)
# and 8 examples whose losses tilt it by different slopes $a_i$ that average to zero:
#
# $$\ell_i(w) = f(w) + a_i w, \qquad a = (-4, -3, -2, -1, 1, 2, 3, 4), \qquad
# L(w) = \frac18\sum_i \ell_i(w) = f(w).$$
#
# At the local minimum $w^\star$ of $f$ the full gradient is zero, but a batch gradient is
# $f'(w^\star) + \bar a_{\mathcal B} = \bar a_{\mathcal B}$, the mean tilt of the batch.

# %%
curve = BumpyCurve()
tilts = np.array([-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0])
w_star = curve.local_minimum
print(
    f"local minimum w* = {w_star[0]:.4f}, full gradient there: {format_bound(abs(curve.grad(w_star)[0]), 1e-10)}"
)
rng = np.random.default_rng(0)
for B in (1, 2, 4, 8):
    norms = [
        abs(curve.grad(w_star)[0] + a.mean()) for a, _ in minibatches(tilts, tilts, B, rng=rng)
    ]
    print(f"B = {B}: batch gradient norms in one epoch: {np.round(norms, 3)}")
assert abs(curve.grad(w_star)[0]) < 1e-10

# %% [markdown]
# Start every run at $w^\star$ and run SGD with learning rate 0.2 for 30 epochs, 20 seeds
# per batch size. Full-batch gradient descent ($B = 8$) never moves. With $B = 1$ the
# steps are large and random; sooner or later a few steps in a row push the point over the
# bump, into the wider and deeper basin on the right, which is much harder to leave.


# %%
def sgd_on_tilts(B, seed, lr=0.2, epochs=30):
    rng, w = np.random.default_rng(seed), w_star.copy()
    path = [w[0]]
    for _ in range(epochs):
        for a, _ in minibatches(tilts, tilts, B, rng=rng):
            w -= lr * (curve.grad(w) + a.mean())
            path.append(w[0])
    return np.array(path)


escaped = {
    B: np.mean([sgd_on_tilts(B, s)[-1] > curve.hill_top[0] for s in range(20)])
    for B in (1, 2, 4, 8)
}
for B, frac in escaped.items():
    print(f"B = {B}: ends right of the bump in {frac:.0%} of 20 runs")
assert escaped[1] > 0.9 and escaped[8] == 0

# %%
fig, ax = plt.subplots(figsize=(8.5, 4.4), layout="constrained")
for B in (1, 4, 8):
    path = sgd_on_tilts(B, seed=0)
    ax.plot(np.arange(len(path)) * B / len(tilts), path, label=f"batch size {B}")
for x, name, style in [
    (curve.global_minimum, "global minimum", "g:"),
    (curve.hill_top, "top of the bump", "k--"),
    (curve.local_minimum, "local minimum", "r:"),
]:
    ax.axhline(x[0], color=style[0], linestyle=style[1:], linewidth=1, label=name)
ax.set(xlabel="epoch", ylabel="w", title="SGD started at a local minimum of the full loss")
ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
plt.show()

# %% [markdown]
# The same noise can also throw a point back out of the good basin, and in some runs it
# does, early on; but the right basin is wider and deeper, so the runs end up there. The
# lesson is not "smaller is always better" but "a zero full gradient does not stop SGD".
#
# **Batch size and accuracy on the digits.** The lecture also reports that smaller batches
# often reach better *validation* accuracy in large networks. Let us look at our small model
# in two fair ways: the same number of **epochs** (each run sees every example equally
# often, so small batches make many more updates), and the same number of *updates*
# (large batches then see many more examples).

# %%
acc_sizes = [1, 4, 16, 64, 256, N]
budgets = {"same epochs (5)": lambda B: 5 * math.ceil(N / B), "same updates (300)": lambda B: 300}
results = {}
for title, budget in budgets.items():
    print(f"{title}:\n  batch size  updates  train acc  val acc")
    results[title] = {}
    for B in acc_sizes:
        params = sgd_softmax(B, num_updates=budget(B))
        tr, va = accuracy(params, X_train, y_train), accuracy(params, X_val, y_val)
        results[title][B] = (tr, va)
        print(f"  {B:10d} {budget(B):8d} {tr:10.4f} {va:8.4f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained", sharey=True)
for ax, (title, res) in zip(axes, results.items(), strict=True):
    ax.semilogx(acc_sizes, [res[B][0] for B in acc_sizes], "o-", label="training accuracy")
    ax.semilogx(acc_sizes, [res[B][1] for B in acc_sizes], "s-", label="validation accuracy")
    ax.set(xlabel="batch size", ylabel="accuracy", title=f"softmax regression, {title}")
    ax.legend()
plt.show()

# %% [markdown]
# What the two tables show:
#
# - **Same number of epochs:** small batches win on both training and validation accuracy,
#   simply because they make many more updates from the same data. Full-batch descent
#   made only 5 steps.
# - **Same number of updates:** batch size 1 is worst (its steps are the noisiest), and from
#   $B \approx 16$ on the runs are almost identical: once the noise is small, more examples
#   per step buy little, but each step costs more.
#
# Do large batches generalise worse here? With a fixed number of epochs, large batches are
# worse on *both* sets — an optimization problem (too few updates), which is what the
# lecture's observation "larger batch, worse training result" looks like here. At nearly
# equal training accuracy, batch size 1 reaches a higher validation accuracy than batch
# size 4 (the table above), but the gap is a handful of the 269 validation images, within the
# spread we would expect between seeds. The stronger claim, that small batches generalise
# better at equal training loss, comes from large non-convex networks, where the noise
# helps to leave sharp regions (as in the toy above); this small convex model gives no clear
# evidence either way. Measure it for your own model, as we did here.
#
# ## 5. Momentum
#
# A ball rolling down a hill does not stop at the first dip: it carries **momentum**.
# Gradient descent with momentum keeps a **velocity** $m$ — the last movement — and each
# step is the last movement, shrunk by a factor $\lambda \in [0, 1)$, minus the current
# gradient step:
#
# $$m_t = \lambda\, m_{t-1} - \eta\, g_t, \qquad \theta_t = \theta_{t-1} + m_t,
# \qquad m_0 = 0,$$
#
# where $g_t = \nabla L(\theta_{t-1})$. With $\lambda = 0$ it is plain gradient descent.
# Unrolling the recursion shows that the velocity is a *weighted sum of all past
# gradients*, the recent ones weighing most:
#
# $$m_t = -\eta \sum_{k=1}^{t} \lambda^{\,t-k}\, g_k .$$
#
# The weights sum to $(1-\lambda^t)/(1-\lambda) \to 1/(1-\lambda)$: with $\lambda = 0.9$ a
# constant gradient eventually gives steps ten times larger than plain gradient descent
# would take. A check with 50 random gradients in $\mathbb R^3$:

# %%
rng = np.random.default_rng(1)
grad_seq = rng.standard_normal((50, 3))
lam, eta = 0.9, 0.1
m = np.zeros(3)
for g in grad_seq:
    m = lam * m - eta * g
weights = lam ** np.arange(len(grad_seq) - 1, -1, -1)  # λ^(t-k) for k = 1..t
err = np.abs(m - (-eta * weights @ grad_seq)).max()
print(f"recursion vs weighted sum of past gradients: max difference {format_bound(err, 1e-12)}")
print(
    f"sum of weights {weights.sum():.4f}, formula (1 - λ^t)/(1 - λ) = {(1 - lam**50) / (1 - lam):.4f}"
)
assert err < 1e-12 and abs(weights.sum() - (1 - lam**50) / (1 - lam)) < 1e-12

# %% [markdown]
# In code, for any gradient function (we reuse it on every surface below):


# %%
def heavy_ball(grad, x0, lr, momentum, steps):
    """Points visited by m <- momentum*m - lr*grad(x), x <- x + m; shape (steps + 1, d)."""
    x = np.array(x0, dtype=float)
    m = np.zeros_like(x)
    path = [x.copy()]
    for _ in range(steps):
        m = momentum * m - lr * grad(x)
        x = x + m
        path.append(x.copy())
    return np.array(path)


# %% [markdown]
# **The ball and the bump.** On the bumpy curve, plain gradient descent from $x = -4$
# slides into the local minimum and stops there: the gradient is zero. With momentum
# $\lambda = 0.9$ the ball arrives at the local minimum with speed, climbs the bump on the
# remaining velocity, and rolls down into the global minimum. If the next hill is too high
# (`hill_height=4` instead of 2), the velocity runs out on the way up and the ball rolls
# back into the local minimum.

# %%
balls = {}
for h in (2.0, 4.0):
    c = BumpyCurve(hill_height=h)
    settings = {"gradient descent": 0.0, "momentum 0.9": 0.9}
    paths = {name: heavy_ball(c.grad, c.start, 0.03, mom, 300) for name, mom in settings.items()}
    balls[h] = (c, paths)
    for name, path in paths.items():
        minima = {"local": c.local_minimum[0], "global": c.global_minimum[0]}
        where = next((k for k, x in minima.items() if abs(path[-1, 0] - x) < 1e-3), "no")
        print(f"hill height {h:g}, {name:16s}: ends at x = {path[-1, 0]:.4f}, {where} minimum")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (h, (c, paths)) in zip(axes, balls.items(), strict=True):
    curves = {name: path[:, 0] for name, path in paths.items()}
    title = f"position vs step, hill height {h:g}"
    loss_curves(curves, xlabel="step", ylabel="position x", title=title, ax=ax)
    for x, style in [(c.local_minimum, "r:"), (c.global_minimum, "g:")]:
        ax.axhline(x[0], color=style[0], linestyle=style[1:], linewidth=1)
plt.show()

# %% [markdown]
# The dotted lines mark the local minimum (red) and the global minimum (green). Where the
# points end up on the curves:

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (h, (c, paths)) in zip(axes, balls.items(), strict=True):
    xs = np.linspace(*c.default_xlim, 400)[:, None]
    ax.plot(xs[:, 0], c.value(xs), color="gray", label="loss f(x)")
    ax.plot(c.start[0], c.value(c.start), "kx", markersize=9, label="start")
    for (name, path), marker in zip(paths.items(), ["o", "*"], strict=True):
        ax.plot(path[-1, 0], c.value(path[-1]), marker, markersize=12, label=f"{name}: end")
    ax.set(xlabel="x", ylabel="loss", title=f"final points, hill height {h:g}")
    ax.legend()
plt.show()

# %%
(c2, p2), (c4, p4) = balls[2.0], balls[4.0]
assert abs(p2["gradient descent"][-1, 0] - c2.local_minimum[0]) < 1e-3
assert abs(p2["momentum 0.9"][-1, 0] - c2.global_minimum[0]) < 1e-3
assert abs(p4["momentum 0.9"][-1, 0] - c4.local_minimum[0]) < 1e-3
k = np.argmin(np.abs(p2["momentum 0.9"][:, 0] - c2.local_minimum[0]))
speed = abs(p2["momentum 0.9"][k + 1, 0] - p2["momentum 0.9"][k, 0])
gradient = abs(c2.grad(c2.local_minimum)[0])
print(f"momentum passes the local minimum near step {k} with speed {speed:.3f} per step")
print(f"(the gradient at the local minimum is {format_bound(gradient, 1e-10)})")
assert gradient < 1e-10

# %% [markdown]
# **Damping the zig-zag.** On an ill-conditioned quadratic $f(\mathbf p) = \tfrac12\mathbf
# p^\top A\mathbf p$ (curvatures 1 and $\kappa = 50$, axes rotated by 30°), gradient descent
# with a learning rate near the stability limit $2/\kappa$ bounces across the narrow valley
# (lecture 02). The gradients across the valley alternate in sign, so in the velocity they
# cancel; the gradients along the valley point the same way every step, so they add up.
# Momentum 0.5 damps the zig-zag; momentum 0.9 keeps too much of the old velocity and
# overshoots — the lecture's warning that momentum can run off course.

# %%
quad = IllConditionedQuadratic(condition_number=50, angle=np.pi / 6)
zig = {
    "GD, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.0, 40),
    "momentum 0.5, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.5, 40),
    "momentum 0.9, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.9, 40),
}
ax = contour_with_paths(quad, zig)
ax.set_title("40 steps on a quadratic with condition number 50")
plt.show()

# %% [markdown]
# How many steps until $\lVert\mathbf p\rVert \le 10^{-3}\lVert\mathbf p_0\rVert$? Along an
# eigen-direction with curvature $h$ the momentum step is linear,
# $x_{t+1} = (1 + \lambda - \eta h)\,x_t - \lambda\, x_{t-1}$, so $x_t$ shrinks like $|z|^t$
# where $z$ is the larger root of $z^2 - (1 + \lambda - \eta h)z + \lambda = 0$; the slowest
# direction sets the *rate*. Two classical results follow: the best plain gradient descent
# ($\eta = 2/(1+\kappa)$) has rate $\frac{\kappa-1}{\kappa+1}$, and the best momentum
# ($\eta = \frac{4}{(1+\sqrt\kappa)^2}$, $\lambda = \big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\big)^2$)
# has rate $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$ — for small tolerances about $\sqrt\kappa$
# times fewer steps.


# %%
def rate(lr, momentum, curvatures=(1.0, 50.0)):
    return max(
        np.abs(np.roots([1.0, -(1 + momentum - lr * h), momentum])).max() for h in curvatures
    )


def steps_to_tol(path, tol=1e-3):
    ratio = np.linalg.norm(path, axis=1) / np.linalg.norm(path[0])
    return int(np.argmax(ratio <= tol)) if (ratio <= tol).any() else None


kappa, sk = 50.0, math.sqrt(50.0)
best_gd, best_mom = (2 / (1 + kappa), 0.0), (4 / (1 + sk) ** 2, ((sk - 1) / (sk + 1)) ** 2)
for name, formula, (lr, mom) in [
    ("GD", (kappa - 1) / (kappa + 1), best_gd),
    ("momentum", (sk - 1) / (sk + 1), best_mom),
]:
    print(f"best {name}: rate from the roots {rate(lr, mom):.6f}, formula {formula:.6f}")
    assert abs(rate(lr, mom) - formula) < 1e-6

# %%
settings = {
    "GD, lr 0.035": (0.035, 0.0),
    "momentum 0.5, lr 0.035": (0.035, 0.5),
    "momentum 0.9, lr 0.035": (0.035, 0.9),
    "GD, best lr 2/(1+κ)": best_gd,
    "momentum, best lr and λ": best_mom,
}
counts = {}
print(f"{'method':<26} {'lr':>6} {'λ':>6} {'rate':>7} {'steps to 1e-3':>14}")
for name, (lr, mom) in settings.items():
    counts[name] = steps_to_tol(heavy_ball(quad.grad, quad.start, lr, mom, 2000))
    print(f"{name:<26} {lr:6.4f} {mom:6.4f} {rate(lr, mom):7.4f} {counts[name]:14d}")
assert counts["momentum 0.5, lr 0.035"] < counts["GD, lr 0.035"]
assert counts["momentum, best lr and λ"] < counts["GD, best lr 2/(1+κ)"] / 4

# %% [markdown]
# With a well-chosen $\lambda$ momentum needs several times fewer steps than the best plain
# gradient descent (36 against 173; the ratio approaches $\sqrt{50} \approx 7$ for smaller
# tolerances); with too much momentum ($\lambda = 0.9$ here) it spirals and gains less.
# In practice $\lambda = 0.9$ is the usual default, because for real networks
# $\kappa$ is huge and unknown, and the learning rate is tuned with it.
#
# ## 6. Nesterov momentum
#
# Momentum computes the gradient at the current point and then adds the velocity. **Nesterov
# momentum** first moves by the velocity, looks at the gradient *there*, and corrects:
#
# $$v_{t+1} = \rho\, v_t - \alpha \nabla f(x_t + \rho\, v_t), \qquad x_{t+1} = x_t + v_{t+1}.$$
#
# If the velocity is about to carry the point up the far wall of a valley, the look-ahead
# gradient already points back, and the step is shortened. That is what damps the spiral.
#
# **The form PyTorch uses.** The look-ahead needs a gradient at a point that is not the
# current parameter. Rename the look-ahead point $p_t = x_t + \rho v_t$ and the buffer
# $b_t = -v_t/\alpha$. Then
#
# $$p_{t+1} = x_{t+1} + \rho v_{t+1} = p_t - \rho v_t + (1+\rho)v_{t+1}
# = p_t - \alpha g_t + \rho v_{t+1}, \qquad g_t = \nabla f(p_t),$$
#
# where the last step used $\rho v_t = v_{t+1} + \alpha g_t$. Dividing the velocity update by
# $-\alpha$ gives $b_{t+1} = \rho b_t + g_t$, and $\rho v_{t+1} = -\alpha\rho\, b_{t+1}$.
# That is exactly `torch.optim.SGD(..., momentum=μ, nesterov=True)` with $\mu = \rho$ and
# lr $= \alpha$:
#
# $$b_{t+1} = \mu\, b_t + g_t, \qquad p_{t+1} = p_t - \alpha\,(g_t + \mu\, b_{t+1}).$$
#
# The gradient is now taken at the parameter itself. We check the two forms on the
# Rosenbrock function: the look-ahead points $x_t + \rho v_t$ of our version against the
# parameters of `torch.optim.SGD`, whose gradient comes from `torch.autograd` (the surfaces'
# `value` accepts a tensor).


# %%
def nesterov_lookahead(grad, x0, lr, momentum, steps):
    """Look-ahead Nesterov; returns the points x_t and the look-ahead points x_t + ρ v_t."""
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    xs, ahead = [x.copy()], [x.copy()]
    for _ in range(steps):
        v = momentum * v - lr * grad(x + momentum * v)
        x = x + v
        xs.append(x.copy())
        ahead.append(x + momentum * v)
    return np.array(xs), np.array(ahead)


# %%
rosen = Rosenbrock()
xs, ahead = nesterov_lookahead(rosen.grad, rosen.start, lr=1e-3, momentum=0.9, steps=300)
torch_points = optim.torch_path("SGD", rosen, 300, lr=1e-3, momentum=0.9, nesterov=True)
err = np.abs(ahead - torch_points).max()
print(
    f"look-ahead points vs torch.optim.SGD(nesterov=True): max difference {format_bound(err, 1e-10)}"
)
print(
    f"(the points x_t themselves differ from torch's by up to {np.abs(xs - torch_points).max():.1e})"
)
assert err < 1e-10

# %% [markdown]
# Trajectories side by side. Left: the quadratic with $\kappa = 50$ and learning rate 0.015,
# where heavy-ball momentum 0.9 spirals and Nesterov's look-ahead damps the spiral. Right:
# the Rosenbrock valley with learning rate 0.002 — plain gradient descent crawls along the
# curved valley floor, both momentum methods travel much further; heavy ball swings out past
# the minimum, Nesterov stays inside the valley.

# %%
quad_paths = {
    "momentum 0.9": heavy_ball(quad.grad, quad.start, 0.015, 0.9, 60),
    "Nesterov 0.9": nesterov_lookahead(quad.grad, quad.start, 0.015, 0.9, 60)[0],
}
rosen_paths = {
    "gradient descent": heavy_ball(rosen.grad, rosen.start, 2e-3, 0.0, 300),
    "momentum 0.9": heavy_ball(rosen.grad, rosen.start, 2e-3, 0.9, 300),
    "Nesterov 0.9": nesterov_lookahead(rosen.grad, rosen.start, 2e-3, 0.9, 300)[0],
}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
contour_with_paths(quad, quad_paths, ax=ax1).set_title("60 steps, lr 0.015, condition number 50")
contour_with_paths(rosen, rosen_paths, ax=ax2).set_title("300 steps on Rosenbrock, lr 0.002")
plt.show()

# %%
for surface, paths in [(quad, quad_paths), (rosen, rosen_paths)]:
    for name, path in paths.items():
        dist = np.linalg.norm(path[-1] - surface.minimum)
        print(f"{surface.name:33s} {name:16s}: distance to the minimum {dist:.2e}")

# %% [markdown]
# **Try it yourself.** The explorer below redraws these trajectories whenever you move a
# slider: the learning rate $\eta$, the momentum $\beta_1$ (β₂ is not used by these methods),
# the number of steps and the surface. Find the largest $\eta$ at which plain gradient
# descent still converges on the valley, then switch momentum on. It needs a running kernel;
# the figure above is its static twin.

# %%
# NBVAL_IGNORE_OUTPUT
OptimizerExplorer(
    ["SGD", "momentum", "Nesterov"],
    {"condition number 50": quad, "Rosenbrock": rosen},
    lr=0.015,
    beta1=0.9,
    steps=60,
)

# %% [markdown]
# Nesterov is not faster everywhere; it is more careful. On the Rosenbrock run heavy ball
# happens to end closer, after a wild swing. Both are one flag apart in PyTorch.
#
# ## 7. From scratch vs `torch.optim.SGD`
#
# PyTorch writes heavy-ball momentum with the buffer $b$ instead of the velocity $m$:
#
# $$b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t,$$
#
# the same method, since $m_t = -\eta\, b_t$ when $\eta$ is constant ($\mu = \lambda$). (The
# two differ only when the learning rate changes during training: PyTorch's buffer is scaled
# by the new rate at once.) Our optimizer in this form, in a few lines, with the same
# `step(grads)` interface as the library: plain SGD, momentum, and Nesterov.


# %%
class ScratchSGD:
    """SGD on a list of ndarrays (updated in place), with optional (Nesterov) momentum."""

    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        self.params, self.lr, self.mu, self.nesterov = params, lr, momentum, nesterov
        self.buffers = [None] * len(params)

    def step(self, grads):
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if self.mu:
                b = g.copy() if self.buffers[i] is None else self.mu * self.buffers[i] + g
                self.buffers[i] = b
                g = g + self.mu * b if self.nesterov else b
            p -= self.lr * g


# %% [markdown]
# First, the buffer form and the velocity form of section 5 visit the same points:

# %%
p = np.array(quad.start, dtype=float)
opt = ScratchSGD([p], lr=0.035, momentum=0.5)
buffer_path = [p.copy()]
for _ in range(40):
    opt.step([quad.grad(p)])
    buffer_path.append(p.copy())
err = np.abs(np.array(buffer_path) - zig["momentum 0.5, lr 0.035"]).max()
print(f"buffer form vs velocity form, 40 steps: max difference {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# Now the real test: softmax regression on the digits, 100 mini-batches of 32, three
# settings. PyTorch computes its own gradients with autograd in float64; after every step we
# compare all parameters.

# %%
rng = np.random.default_rng(0)
batches = [b for _ in range(3) for b in minibatches(X_train, y_train, 32, rng=rng)][:100]


def run_torch(batches, **sgd_args):
    W = torch.zeros(64, 10, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    opt, history = torch.optim.SGD([W, b], **sgd_args), []
    for Xb, yb in batches:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(
            torch.from_numpy(Xb) @ W + b, torch.from_numpy(yb)
        ).backward()
        opt.step()
        history.append(flat([W.detach().numpy(), b.detach().numpy()]))
    return np.array(history)


# %%
def run_numpy(make_opt, batches):
    params = [np.zeros((64, 10)), np.zeros(10)]
    opt, history = make_opt(params), []
    for Xb, yb in batches:
        opt.step(loss_and_grads(params, Xb, yb)[1])
        history.append(flat(params))
    return np.array(history)


# %%
configs = {
    "SGD": {},
    "momentum 0.9": {"momentum": 0.9},
    "Nesterov 0.9": {"momentum": 0.9, "nesterov": True},
}
reference = {name: run_torch(batches, lr=0.1, **cfg) for name, cfg in configs.items()}
for name, cfg in configs.items():
    ours = run_numpy(lambda ps, cfg=cfg: ScratchSGD(ps, lr=0.1, **cfg), batches)
    err = np.abs(ours - reference[name]).max()
    print(
        f"{name:13s}: ScratchSGD vs torch.optim.SGD over 100 steps, max error {format_bound(err, 1e-10)}"
    )
    assert err < 1e-10

# %% [markdown]
# The same optimizer, with PyTorch's full set of options (`dampening`, `weight_decay`) and
# argument checks, is `course_lib.optim.SGD(params, lr, momentum=0, dampening=0,
# nesterov=False, weight_decay=0)`. It matches too:

# %%
for name, cfg in configs.items():
    lib = run_numpy(lambda ps, cfg=cfg: optim.SGD(ps, lr=0.1, **cfg), batches)
    err = np.abs(lib - reference[name]).max()
    print(
        f"{name:13s}: course_lib.optim.SGD vs torch.optim.SGD, max error {format_bound(err, 1e-10)}"
    )
    assert err < 1e-10

# %% [markdown]
# ## 8. The library, takeaways and homework
#
# From now on the course uses the library versions:
#
# - `course_lib.data.minibatches(X, y, batch_size, shuffle=True, rng=None)` — one shuffled
#   epoch per call; pass one `numpy.random.Generator` for a new, reproducible order every
#   epoch (PyTorch: `DataLoader(TensorDataset(X, y), batch_size, shuffle=True)`).
# - `course_lib.optim.SGD` — plain, momentum and Nesterov SGD with `torch.optim.SGD`'s
#   arguments; `params` are updated in place by `opt.step(grads)`. Lecture 04 adds Adagrad,
#   RMSprop and Adam to the same module.
# - `course_lib.surfaces` — `BumpyCurve`, `IllConditionedQuadratic` and `Rosenbrock` for
#   watching optimizers move, and `course_lib.plots.contour_with_paths` to draw them.
#
# For example, the ball of section 5 with the library optimizer:

# %%
c = BumpyCurve(hill_height=2.0)
x = c.start.copy()
opt = optim.SGD([x], lr=0.03, momentum=0.9)
for _ in range(300):
    opt.step([c.grad(x)])
print(
    f"course_lib.optim.SGD(momentum=0.9) on the bumpy curve ends at x = {x[0]:.4f}, "
    f"global minimum at {c.global_minimum[0]:.4f}"
)
assert abs(x[0] - c.global_minimum[0]) < 1e-3

# %% [markdown]
# **Takeaways.**
#
# - An **epoch** is one pass over the data in **batches** of $B$, shuffled anew each epoch;
#   it makes $\lceil N/B\rceil$ updates. Full batch: one exact, stable update per epoch.
#   Batch size 1: $N$ noisy updates.
# - A mini-batch gradient is unbiased; its *noise* is
#   $\sigma\sqrt{(N-B)/(B(N-1))}$, shrinking like $1/\sqrt B$.
# - A larger batch costs more per update but less per epoch, because the fixed cost of an
#   update is paid fewer times; on a GPU the time per update stays nearly flat until the
#   hardware is full.
# - Noise keeps SGD moving where the full gradient is zero. Compare batch sizes both per
#   epoch and per update: per epoch, small batches make more progress; per update, large
#   batches are less noisy.
# - **Momentum** $m \leftarrow \lambda m - \eta g$, $\theta \leftarrow \theta + m$ follows a
#   weighted sum of all past gradients: it rolls through small local minima (not over high
#   hills) and damps the zig-zag of ill-conditioned valleys, with about $\sqrt\kappa$ times
#   fewer steps when tuned. Too much momentum overshoots.
# - **Nesterov momentum** takes the gradient at the look-ahead point $x + \rho v$; PyTorch
#   implements it as $b \leftarrow \mu b + g$, step $g + \mu b$, which is the same method.
#
# **Homework.** `homework/hw03_batch_and_momentum.ipynb`: write a shuffling mini-batch
# iterator, SGD with momentum and with Nesterov momentum, and compare them on a surface and
# on a small network.
#
# **Glossary.** batch — 批次 (批量); mini-batch — 小批量; batch size — 批量大小; epoch —
# 轮次 (回合); shuffle — 打乱; update — 更新; stochastic gradient descent (SGD) — 随机梯度
# 下降; hyperparameter — 超参数; gradient noise — 梯度噪声; unbiased — 无偏; softmax
# regression — softmax 回归; momentum — 动量; velocity — 速度; rate of convergence — 收敛
# 速度; Nesterov momentum — Nesterov 动量; look-ahead — 前瞻.
