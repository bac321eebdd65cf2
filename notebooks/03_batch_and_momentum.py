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
# Real training takes a small random **mini-batch**, steps, and takes the next one. This
# lecture asks what the batch size changes (time per update and per epoch, gradient noise,
# where training ends), how **momentum** — keeping part of the last movement — rolls past
# local minima and damps zig-zags, and how large a step each method tolerates. We build the
# pieces from scratch, measure them, and check them against `torch.optim.SGD`.
#
# 1. Batches, epochs and shuffling
# 2. Gradient noise
# 3. Time per update and time per epoch
# 4. Noisy updates can help
# 5. Batch size, compared fairly
# 6. Momentum
# 7. Nesterov momentum
# 8. From scratch vs `torch.optim.SGD`
# 9. The library, takeaways, exercises

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
from threadpoolctl import threadpool_info, threadpool_limits

from course_lib import optim, plots
from course_lib.data import load_digits, minibatches, standardize, train_val_test_split
from course_lib.explorers import OptimizerExplorer
from course_lib.gradcheck import format_bound
from course_lib.losses import cross_entropy
from course_lib.surfaces import BumpyCurve, IllConditionedQuadratic, Rosenbrock
from course_lib.training import set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
plots.use_style()

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
# **shuffle** the data, so the batches differ from epoch to epoch.
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
# Twenty examples, numbered 0–19, in batches of 6: each epoch has four batches
# (6 + 6 + 6 + 2), every example appears exactly once, and the second epoch uses a new order.

# %%
ids = np.arange(20)
rng = np.random.default_rng(0)
epochs = [[yb for _, yb in shuffled_batches(ids, ids, 6, rng)] for _ in range(2)]
for e, batches in enumerate(epochs):
    print(f"epoch {e}: " + " | ".join(" ".join(f"{i:2d}" for i in b) for b in batches))
order = [np.concatenate(batches) for batches in epochs]
assert all([len(b) for b in batches] == [6, 6, 6, 2] for batches in epochs)
assert sorted(order[0]) == sorted(order[1]) == list(range(20)) and (order[0] != order[1]).any()

# %% [markdown]
# The same iterator lives in the library as `course_lib.data.minibatches(X, y, batch_size,
# shuffle=True, rng=None)`; given the same `numpy.random.Generator` it returns the same
# batches, epoch after epoch. From here on we use the library version.

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
# the learning rate $\eta$, the batch size $B$, and how batches are sampled. With $B = N$ it
# is plain (full-batch) gradient descent; with $B < N$, **stochastic gradient descent
# (SGD)**.
#
# Our first model is **softmax regression** on the handwritten digits (8×8 images, 64
# features, 10 classes): logits $z = XW + b$, the mean cross-entropy loss, and its gradient
# $\partial L/\partial W = X^\top \partial L/\partial z$ (`course_lib.losses.cross_entropy`
# returns the loss and $\partial L/\partial z$). The data are split into training,
# validation and test sets, standardized with training statistics; this lecture never
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
# The loop itself, with every hyperparameter visible. It counts updates rather than epochs.


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
# $W = 0, b = 0$: first the $N$ per-example gradients (each flattened into
# $64\cdot10 + 10 = 650$ numbers), whose mean must be the full gradient.


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
# the full gradient against the formula, and the noise relative to $\lVert g\rVert$.


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
    ratio = noise_formula(B) / np.linalg.norm(g_full)
    print(f"B = {B:4d}: measured {noise[B]:.3f}, formula {noise_formula(B):.3f}, /|g| {ratio:.2f}")
    assert abs(noise[B] - noise_formula(B)) <= 0.1 * noise_formula(B) + 1e-12

# %%
Bs = np.unique(np.geomspace(1, N - 1, 300).round())
fig, ax = plt.subplots()
ax.loglog(Bs, [noise_formula(B) for B in Bs], color=plots.color_of("formula", 0), label="formula")
measured = [noise[B] for B in batch_sizes[:-1]]
ax.loglog(batch_sizes[:-1], measured, "o", color=plots.color_of("measured", 1), label="measured")
ax.axhline(np.linalg.norm(g_full), color=plots.color("reference"), linestyle="--", label=r"$\|g\|$")
ax.set(xlabel="batch size B", ylabel=r"noise $\sqrt{E\|g_B - g\|^2}$")
ax.set_title("mini-batch gradient noise on the digits (at W = 0)")
ax.legend()
plt.show()

# %% [markdown]
# At $B = 1$ the noise is several times the gradient itself; around $B = 32$ it is about as
# large as the gradient; at $B = N$ it is zero (left out of the log-log plot).
#
# ## 3. Time per update and time per epoch
#
# From here on the model is a small MLP in PyTorch (64 inputs, 32 ReLU units, 10 logits,
# float32) trained by `torch.optim.SGD`. An update on $B$ examples costs a fixed part
# (Python, PyTorch's dispatch, allocation) plus a part that grows with $B$ (the matrix
# products); an epoch makes $\lceil N/B\rceil$ updates.

# %%
X_train_t, y_train_t = torch.tensor(X_train, dtype=torch.float32), torch.from_numpy(y_train)
X_val_t, y_val_t = torch.tensor(X_val, dtype=torch.float32), torch.from_numpy(y_val)


def mlp(seed, hidden=32):
    """64 -> hidden (ReLU) -> 10 logits, PyTorch's default initialisation drawn from `seed`."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )


# %% [markdown]
# We time up to ten updates (the best of three repeats) for $B = 1, 4, 16, \dots, 1024$
# and $N$ on one thread: `torch.set_num_threads` limits PyTorch, and
# `threadpoolctl.threadpool_limits` limits BLAS and every OpenMP pool.
#
# **Parallelism.** With two threads PyTorch splits a matrix product between two cores. That
# pays only when there is enough arithmetic to share, so we also time a *wide* MLP (1024
# hidden units, 32 times the work per example) on one and on two threads. Timings vary
# between runs and machines; the tests do not compare them.


# %%
def best_mean_time(step, calls, repeats=3, sync=lambda: None):
    """Best of `repeats`: the mean wall-clock time of step(0), ..., step(calls - 1)."""
    best = math.inf
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        for i in range(calls):
            step(i)
        sync()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


# %%
def seconds_per_update(batch_size, hidden=32, threads=1, device="cpu"):
    """Time of one SGD update of mlp(0, hidden) on `device`, with `threads` CPU threads."""
    net, Xd, yd = mlp(0, hidden).to(device), X_train_t.to(device), y_train_t.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    calls = min(10, max(2, 512 // batch_size))  # at most 10 updates, 512 examples per repeat
    batches = [torch.randperm(N)[:batch_size].to(device) for _ in range(calls)]

    def update(i):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(Xd[batches[i]]), yd[batches[i]]).backward()
        opt.step()

    sync = torch.cuda.synchronize if device == "cuda" else lambda: None
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        threads_used[hidden, threads] = (torch.get_num_threads(), threadpool_info())
        seconds = best_mean_time(update, calls, sync=sync)
    torch.set_num_threads(1)
    return seconds


# %%
# NBVAL_IGNORE_OUTPUT
import os  # on a machine busy with other work, two threads wait for each other: skip them

timing_sizes, wide_sizes, threads_used = [4**k for k in range(6)] + [N], [1, 16, 256, N], {}
setups = {"32 hidden, 1 thread": (32, 1, timing_sizes), "1024 hidden, 1 thread": (1024, 1, wide_sizes),
          "1024 hidden, 2 threads": (1024, 2, wide_sizes)}  # fmt: skip
load = getattr(os, "getloadavg", lambda: (0.0,))()[0]  # not available on Windows
if load > (os.cpu_count() or 1) - 0.5:
    print(f"load average {load:.1f} on {os.cpu_count()} cores: the two-thread timing is skipped")
    del setups["1024 hidden, 2 threads"]
per_update = {s: {B: seconds_per_update(B, h, t) for B in Bs} for s, (h, t, Bs) in setups.items()}
print("seconds per update (per epoch)")
print(f"{'B':>5}" + "".join(f"{s:>26}" for s in setups))
for B in timing_sizes:
    cells = [
        f"{t[B]:.1e} ({t[B] * math.ceil(N / B):.1e})" if B in t else "" for t in per_update.values()
    ]
    print(f"{B:5d}" + "".join(f"{c:>26}" for c in cells))

# %%
per_epoch = {
    s: {B: t * math.ceil(N / B) for B, t in times.items()} for s, times in per_update.items()
}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
for ax, (what, table) in zip(axes, {"update": per_update, "epoch": per_epoch}.items(), strict=True):
    for i, (setup, times) in enumerate(table.items()):
        sizes = list(times)
        ax.loglog(sizes, list(times.values()), "o-", color=plots.color_of(setup, i), label=setup)
    ax.set(xlabel="batch size B", ylabel=f"seconds per {what}", title=f"time per {what}, CPU")
    ax.legend()
plt.show()

# %% [markdown]
# Read the figure from left to right. At small $B$ the fixed cost dominates: a 4 times
# larger $B$ barely changes the time of an update, so an epoch takes about a quarter as
# long. At large $B$ the arithmetic shows: the time per update grows, and the time per
# epoch falls ever more slowly towards a floor, the arithmetic of $N$ examples that every
# epoch must do. The wide MLP gets there at a smaller $B$. At the largest $B$ two threads
# share the arithmetic and cut the time; at $B = 1$ there is nothing to split. (On one
# core, or on a busy machine, two threads cannot help; the cell then skips them.) The counts
# behind this are the same on every machine:

# %%
macs = 64 * 1024 + 1024 * 10  # forward multiply-adds per example, 1024 hidden units
print(f"{'B':>5} {'updates/epoch':>14} {'multiply-adds/update':>21} {'multiply-adds/epoch':>20}")
for B in wide_sizes:
    print(f"{B:5d} {math.ceil(N / B):14d} {B * macs:21.2e} {N * macs:20.2e}")
claimed = all(
    n_torch == threads and all(p["num_threads"] <= threads for p in pools)
    for (_, threads), (n_torch, pools) in threads_used.items()
)
print(f"each setup ran on the threads it claims (torch and every BLAS/OpenMP pool): {claimed}")
assert claimed and torch.get_num_threads() == 1

# %% [markdown]
# *On a GPU* thousands of arithmetic units share the rows of a batch, so the time per
# update stays nearly flat as $B$ grows until every unit is busy. Each update also pays for
# launching its kernels, so for a network this tiny a GPU may lose at small $B$. With a CUDA
# GPU, the cell below times the same updates there, reading the clock after
# `torch.cuda.synchronize()` because GPU work runs asynchronously (output not compared).

# %%
# NBVAL_IGNORE_OUTPUT
if torch.cuda.is_available():
    gpu = {B: seconds_per_update(B, device="cuda") for B in timing_sizes}
    print(f"{'batch size':>10} {'GPU s/update':>13} {'CPU s/update':>13}")
    for B in timing_sizes:
        print(f"{B:10d} {gpu[B]:13.2e} {per_update['32 hidden, 1 thread'][B]:13.2e}")
else:
    print("no CUDA GPU here: the GPU timing is skipped")

# %% [markdown]
# The two extremes, with a mini-batch in between:
#
# | batch size | updates per epoch | cost of one update | noise of the gradient |
# |---|---|---|---|
# | $N$ (full batch) | 1 | the largest | none: the exact gradient, a stable step |
# | 1 | $N$ | the smallest | the largest: a noisy step |
# | 32 (a mini-batch) | $\lceil N/32\rceil$ | small | moderate |

# %% [markdown]
# ## 4. Noisy updates can help
#
# A noisy gradient sounds like a bad thing. But where the *full* gradient is zero — at a
# local minimum or a saddle point of $L$ — the gradients of single batches usually are not,
# so SGD keeps moving while full-batch gradient descent is stuck.
#
# A toy problem makes this exact. Take the 1-D curve $f$ of `course_lib.surfaces.BumpyCurve`
# (a bowl with a bump: a local minimum on the left, the global minimum on the right) and
# eight "examples" that tilt it: $\ell_i(w) = f(w) + a_i w$ with tilts
# $a_i \in \{\pm1, \pm2, \pm3, \pm4\}$. The tilts average to zero, so the full loss is
# exactly $f$. At the local minimum $w^\star$ of $f$ the full gradient is zero, but a batch
# gradient is $f'(w^\star) + \bar a_{\mathcal B} = \bar a_{\mathcal B}$, the mean tilt of the
# batch.

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
for B, colour in zip((1, 4, 8), plots.shades(3), strict=True):
    path = sgd_on_tilts(B, seed=0)
    ax.plot(np.arange(len(path)) * B / len(tilts), path, color=colour, label=f"batch size {B}")
for x, name, role, style in [
    (curve.global_minimum, "global minimum", "minimum", ":"),
    (curve.hill_top, "top of the bump", "axis", "--"),
    (curve.local_minimum, "local minimum", "highlight", ":"),
]:
    ax.axhline(x[0], color=plots.color(role), linestyle=style, linewidth=1, label=name)
ax.set(xlabel="epoch", ylabel="w", title="SGD started at a local minimum of the full loss")
ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
plt.show()

# %% [markdown]
# The same noise can also throw a point back out of the good basin, and early on some runs
# do; but the right basin is wider and deeper, so the runs end there. The lesson is not
# "smaller is always better" but "a zero full gradient does not stop SGD".

# %% [markdown]
# ## 5. Batch size, compared fairly
#
# Does a smaller batch train a better model? With $B$ change the number of updates per
# epoch, the noise of each update and — if $\eta$ stays fixed — how far an epoch moves. A
# fair study keeps them apart:
#
# - the MLP of section 3 with $B$ = 8, 32, 128, 512;
# - three learning-rate rules from $\eta_0 = 0.1$ at $B_0 = 32$: *constant* $\eta = \eta_0$,
#   **square-root scaling** $\eta = \eta_0\sqrt{B/B_0}$, **linear scaling** $\eta = \eta_0 B/B_0$;
# - three seeds per setting (initialisation and batch order), as mean and range;
# - judged after the same number of *epochs* (5) and of *updates* (100).
#
# Why these rules? An epoch makes about $N/B$ steps, each of mean $-\eta g$ and noise
# variance about $\eta^2\sigma^2/B$ (section 2): over the epoch the drift adds up to
# $(N/B)\,\eta\,g$ and the variance to $(N/B)\,\eta^2\sigma^2/B$. Linear scaling keeps both
# fixed per epoch (while $g$ changes little); square-root scaling keeps the noise *per
# update* fixed. The cell prints both sums, relative to $B_0$.

# %%
N_EPOCHS, N_UPDATES, ETA0, B0, seeds = 5, 100, 0.1, 32, (0, 1, 2)
study_sizes = [8, 32, 128, 512]
rules = {
    "constant": lambda B: ETA0,
    "√B": lambda B: ETA0 * math.sqrt(B / B0),
    "linear": lambda B: ETA0 * B / B0,
}
print(f"{'rule':>8} {'B':>4} {'η':>6} {'drift per epoch':>16} {'variance per epoch':>19}")
for name, rule in rules.items():
    for B in study_sizes:
        eta = rule(B)
        drift = (N / B * eta) / (N / B0 * ETA0)
        noise_var = (N / B * eta**2 / B) / (N / B0 * ETA0**2 / B0)
        print(f"{name:>8} {B:4d} {eta:6.3f} {drift:16.3f} {noise_var:19.3f}")

# %% [markdown]
# At small $B$ Python's overhead per update dominates, so we train the nine runs of one
# batch size (3 rules × 3 seeds) at once: run $r$'s weights are slice $r$ of stacked
# tensors, each run draws its own batch, and `torch.baddbmm` multiplies it by its own
# weights. The loss is the sum of the runs' mean losses, so its gradient with respect to
# slice $r$ is run $r$'s own gradient; each slice steps with its own $\eta$. That machinery
# is `course_lib.stacked.StackedMLPs(nets)`: `.step(lrs, X, y)` updates every run on its own
# batch, `.evaluate(X, y)` gives every run's loss on one data set.


# %% [markdown]
# The check: two stacked runs with different learning rates against two `nn.Sequential`
# networks trained by `torch.optim.SGD` on the same 20 batches.

# %%
from course_lib.stacked import StackedMLPs, stack_weights

nets, lrs = [mlp(0), mlp(1)], [0.1, 0.4]
pair = StackedMLPs(nets)
opts = [torch.optim.SGD(net.parameters(), lr=lr) for net, lr in zip(nets, lrs, strict=True)]
batch_ids = torch.randint(N, (20, 2, 32), generator=torch.Generator().manual_seed(0))
for idx in batch_ids:  # idx[r]: the batch of run r
    pair.step(lrs, X_train_t[idx], y_train_t[idx])
    for net, opt, i in zip(nets, opts, idx, strict=True):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X_train_t[i]), y_train_t[i]).backward()
        opt.step()
err = max((p - q).abs().max().item() for p, q in zip(pair.params, stack_weights(nets), strict=True))
print(f"stacked runs vs torch.optim.SGD, 20 updates: max difference {format_bound(err, 1e-5)}")
assert err < 1e-5


# %%
def train_and_val_losses(stacked):
    """(R, 2): every run's mean loss on the whole training set and on the validation set."""
    train, val = stacked.evaluate(X_train_t, y_train_t), stacked.evaluate(X_val_t, y_val_t)
    return torch.stack([train, val], dim=1).numpy()


# %%
def train_stacked(B, lrs, run_seeds, num_updates, checkpoints):
    """SGD on one stacked MLP per seed; returns {update: (R, 2) train and val losses}."""
    stacked = StackedMLPs([mlp(s) for s in run_seeds])
    rngs = [torch.Generator().manual_seed(s) for s in run_seeds]
    log, done = {0: train_and_val_losses(stacked)}, 0
    while done < num_updates:  # one epoch: every run shuffles with its own generator
        order = torch.stack([torch.randperm(N, generator=g) for g in rngs])
        for start in range(0, N, B):
            idx = order[:, start : start + B]
            stacked.step(lrs, X_train_t[idx], y_train_t[idx])
            done += 1
            if done in checkpoints or start + B >= N:  # and at the end of every epoch
                log[done] = train_and_val_losses(stacked)
            if done == num_updates:
                break
    return log


# %% [markdown]
# Each batch size trains until it has done both 5 epochs and 100 updates, logging the
# training and validation loss of all nine runs along the way.

# %%
checkpoints = {1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, N_UPDATES}
runs = [(name, s) for name in rules for s in seeds]
study = {}  # B -> (updates logged (K,), losses (K, rules, seeds, [train, val]))
for B in study_sizes:
    total = max(N_EPOCHS * math.ceil(N / B), N_UPDATES)
    lrs = [rules[name](B) for name, _ in runs]
    log = train_stacked(B, lrs, [s for _, s in runs], total, checkpoints)
    steps = np.array(sorted(log))
    study[B] = steps, np.array([log[k] for k in steps]).reshape(len(steps), len(rules), -1, 2)


def judged(B, budget):
    """Losses (rules, seeds, 2) of batch size B after N_EPOCHS epochs or N_UPDATES updates."""
    steps, losses = study[B]
    k = N_EPOCHS * math.ceil(N / B) if budget == "epochs" else N_UPDATES
    return losses[list(steps).index(k)]


# %% [markdown]
# The results, mean [min–max] over the three seeds. Their last digits depend on the CPU, so
# the tests compare only the claims checked below.

# %%
# NBVAL_IGNORE_OUTPUT
for budget in ("epochs", "updates"):
    for j, metric in enumerate(("training", "validation")):
        print(f"same {budget}, {metric} loss: mean [min–max] of 3 seeds")
        print(f"{'rule':>8}" + "".join(f"{'B = ' + str(B):>23}" for B in study_sizes))
        for i, name in enumerate(rules):
            row = [judged(B, budget)[i, :, j] for B in study_sizes]
            cells = "".join(f"{a.mean():9.3f} [{a.min():.3f}–{a.max():.3f}]" for a in row)
            print(f"{name:>8}{cells}")


# %%
def per_seed(rule, budget, j=0):
    """(batch sizes, seeds): the training (j = 0) or validation (j = 1) loss of one rule."""
    k = list(rules).index(rule)
    return np.array([judged(B, budget)[k, :, j] for B in study_sizes])


def rises(a):
    """True when a (batch sizes, seeds) rises with the batch size in every seed."""
    return bool(np.all(np.diff(a, axis=0) > 0))


# %%
const, const_val = per_seed("constant", "epochs"), per_seed("constant", "epochs", j=1)
const_upd, lin_upd = per_seed("constant", "updates"), per_seed("linear", "updates")
lin = per_seed("linear", "epochs").mean(axis=1)
claims = {
    "constant η, same epochs: training loss rises with B": rises(const),
    "constant η, same epochs: validation loss rises with B": rises(const_val),
    "constant η, same updates: all B within 0.1": np.ptp(const_upd.mean(axis=1)) < 0.1,
    "linear η, same epochs: no B more than 0.01 above B = 32": lin.max() < lin[1] + 0.01,
    "linear η, same updates: training loss falls as B grows": rises(-lin_upd),
}
for claim, holds in claims.items():
    print(f"{claim:56}: {holds}")
assert all(claims.values())

# %%
colours = dict(zip(study_sizes, plots.shades(len(study_sizes)), strict=True))
fig, axes = plt.subplots(2, 2, figsize=(10, 6.8), layout="constrained", sharey=True)
for col, name in enumerate(("constant", "linear")):  # √B lies in between: see the table
    for B in study_sizes:
        steps, losses = study[B]
        train = losses[:, list(rules).index(name), :, 0]  # (logged steps, seeds)
        for ax, x, keep in [
            (axes[0, col], steps / math.ceil(N / B), steps <= N_EPOCHS * math.ceil(N / B)),
            (axes[1, col], steps, (steps >= 1) & (steps <= N_UPDATES)),
        ]:
            ax.plot(x[keep], train[keep].mean(1), color=colours[B], label=f"B = {B}")
            ax.fill_between(
                x[keep], train[keep].min(1), train[keep].max(1), color=colours[B], alpha=0.25
            )
    axes[0, col].set(title=f"{name} η: same epochs", xlabel="epoch", yscale="log")
    axes[1, col].set(title=f"{name} η: same updates", xlabel="update", xscale="log")
for ax in axes[:, 0]:
    ax.set_ylabel("training loss (mean and range)")
axes[0, 0].legend()
plt.show()

# %% [markdown]
# Reading the claims, and the figure column by column (one learning-rate rule each):
#
# - *Constant $\eta$* reproduces the naive finding: after the same epochs, larger batches
#   are worse on the training *and* the validation set. But after the same number of
#   updates all four batch sizes end close together. The deficit was the number of steps.
# - *Linear scaling* removes it: after the same epochs $B$ = 8 … 128 end together and
#   $B = 512$ is no worse. Square-root scaling (table only) sits in between: it keeps
#   noise per update, not progress per epoch.
# - *Per update*, with $\eta$ scaled, a larger batch is far ahead: each update does more work.
#
# And generalisation? The next figure puts every run at both budgets on one plot.

# %%
fig, ax = plt.subplots()
for B in study_sizes:
    runs_B = np.concatenate([judged(B, b).reshape(-1, 2) for b in ("epochs", "updates")])
    ax.scatter(runs_B[:, 0], runs_B[:, 1], color=colours[B], s=18, label=f"B = {B}")
ax.plot([0.01, 2.3], [0.01, 2.3], color=plots.color("reference"), linestyle="--", label="equal")
ax.set(xscale="log", yscale="log", xlabel="training loss", ylabel="validation loss")
ax.set_title("validation vs training loss: every run, both budgets")
ax.legend()
plt.show()
lin_val = per_seed("linear", "epochs", j=1).mean(1)
same_val = np.ptp(lin[:3]) < 0.01 and np.ptp(lin_val[:3]) < 0.02
print(
    f"linear η, same epochs, B = 8, 32, 128: training within 0.01, validation within 0.02: {same_val}"
)
assert same_val

# %% [markdown]
# All batch sizes lie on one curve: at the same training loss the validation loss is the
# same, whatever $B$. This small network shows no sign that small batches generalise
# better. That claim comes from large networks and very large batches, where linear scaling
# eventually fails (the step passes a stability limit, section 7; warm-up, lecture 04,
# helps) and noise may help to leave sharp regions (section 4's toy). Before blaming $B$:
# scale $\eta$, use several seeds, and judge both budgets.

# %% [markdown]
# ## 6. Momentum
#
# A ball rolling down a hill does not stop at the first dip: it carries **momentum**.
# Gradient descent with momentum keeps a **velocity** $v$ — the last movement — and each
# step is the last movement, shrunk by a factor $\beta \in [0, 1)$, minus the current
# gradient step:
#
# $$v_t = \beta\, v_{t-1} - \eta\, g_t, \qquad \theta_t = \theta_{t-1} + v_t,
# \qquad v_0 = 0,$$
#
# where $g_t = \nabla L(\theta_{t-1})$. With $\beta = 0$ it is plain gradient descent.
# Unrolling the recursion shows that the velocity is a *weighted sum of all past
# gradients*, the recent ones weighing most:
#
# $$v_t = -\eta \sum_{k=1}^{t} \beta^{\,t-k}\, g_k .$$
#
# The weights sum to $(1-\beta^t)/(1-\beta) \to 1/(1-\beta)$: with $\beta = 0.9$ a constant
# gradient eventually gives steps $1/(1-\beta)$ times larger than plain gradient descent
# would take. A check with 50 random gradients in $\mathbb R^3$:

# %%
rng = np.random.default_rng(1)
grad_seq = rng.standard_normal((50, 3))
beta, eta = 0.9, 0.1
v = np.zeros(3)
for g in grad_seq:
    v = beta * v - eta * g
weights = beta ** np.arange(len(grad_seq) - 1, -1, -1)  # β^(t-k) for k = 1..t
err = np.abs(v - (-eta * weights @ grad_seq)).max()
print(f"recursion vs weighted sum of past gradients: max difference {format_bound(err, 1e-12)}")
print(
    f"sum of weights {weights.sum():.4f}, formula (1 - β^t)/(1 - β) = {(1 - beta**50) / (1 - beta):.4f}"
)
assert err < 1e-12 and abs(weights.sum() - (1 - beta**50) / (1 - beta)) < 1e-12

# %% [markdown]
# In code, for any gradient function (we reuse it on every surface below):


# %%
def heavy_ball(grad, x0, lr, momentum, steps):
    """Points visited by v <- momentum*v - lr*grad(x), x <- x + v; shape (steps + 1, d)."""
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    path = [x.copy()]
    for _ in range(steps):
        v = momentum * v - lr * grad(x)
        x = x + v
        path.append(x.copy())
    return np.array(path)


# %% [markdown]
# **The ball and the bump.** On the bumpy curve, plain gradient descent from $x = -4$
# slides into the local minimum and stops there: the gradient is zero. With $\beta = 0.9$
# the ball arrives there with speed, climbs the bump on the remaining velocity, and rolls
# into the global minimum. If the next hill is too high (`hill_height=4` instead of 2), the
# velocity runs out on the way up and the ball rolls back.

# %%
balls = {}
for h in (2.0, 4.0):
    c = BumpyCurve(hill_height=h)
    settings = {"GD": 0.0, "momentum 0.9": 0.9}
    paths = {name: heavy_ball(c.grad, c.start, 0.03, mom, 300) for name, mom in settings.items()}
    balls[h] = (c, paths)
    for name, path in paths.items():
        minima = {"local": c.local_minimum[0], "global": c.global_minimum[0]}
        where = next((k for k, x in minima.items() if abs(path[-1, 0] - x) < 1e-3), "no")
        print(f"hill height {h:g}, {name:12s}: ends at x = {path[-1, 0]:.4f}, {where} minimum")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (h, (c, paths)) in zip(axes, balls.items(), strict=True):
    curves = {name: path[:, 0] for name, path in paths.items()}
    title = f"position vs step, hill height {h:g}"
    plots.loss_curves(curves, xlabel="step", ylabel="position x", title=title, ax=ax)
    for x, role in [(c.local_minimum, "highlight"), (c.global_minimum, "minimum")]:
        ax.axhline(x[0], color=plots.color(role), linestyle=":", linewidth=1)
plt.show()

# %% [markdown]
# The dotted lines mark the local minimum (red) and the global minimum (green). Where the
# points end up on the curves:

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (h, (c, paths)) in zip(axes, balls.items(), strict=True):
    xs = np.linspace(*c.default_xlim, 400)[:, None]
    ax.plot(xs[:, 0], c.value(xs), color=plots.color("reference"), label="loss f(x)")
    ax.plot(*c.start, c.value(c.start), "x", color=plots.color("axis"), ms=9, label="start")
    for i, ((name, path), marker) in enumerate(zip(paths.items(), ["o", "*"], strict=True)):
        end = (path[-1, 0], c.value(path[-1]))
        ax.plot(*end, marker, color=plots.color_of(name, i), ms=12, label=f"{name}: end")
    ax.set(xlabel="x", ylabel="loss", title=f"final points, hill height {h:g}")
    ax.legend()
plt.show()

# %%
(c2, p2), (c4, p4) = balls[2.0], balls[4.0]
ends = [p2["GD"][-1, 0], p2["momentum 0.9"][-1, 0], p4["momentum 0.9"][-1, 0]]
minima = [c2.local_minimum[0], c2.global_minimum[0], c4.local_minimum[0]]
assert np.allclose(ends, minima, rtol=0, atol=1e-3)  # the endings printed above
k = np.argmin(np.abs(p2["momentum 0.9"][:, 0] - c2.local_minimum[0]))
speed = abs(p2["momentum 0.9"][k + 1, 0] - p2["momentum 0.9"][k, 0])
gradient = abs(c2.grad(c2.local_minimum)[0])
print(f"momentum passes the local minimum near step {k} with speed {speed:.3f} per step")
print(f"(the gradient at the local minimum is {format_bound(gradient, 1e-10)})")
assert gradient < 1e-10

# %% [markdown]
# **Damping the zig-zag.** On an ill-conditioned quadratic $L(\theta) = \tfrac12\theta^\top
# H\theta$ (eigenvalues 1 and $\kappa = 50$, axes rotated by 30°), gradient descent with a
# learning rate near the stability limit $2/\kappa$ bounces across the narrow valley
# (lecture 02). The gradients across the valley alternate in sign, so in the velocity they
# cancel; along the valley they point the same way, so they add up. $\beta = 0.5$ damps the
# zig-zag; $\beta = 0.9$ keeps too much of the old velocity and overshoots.

# %%
quad = IllConditionedQuadratic(condition_number=50, angle=np.pi / 6)
zig = {
    "GD, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.0, 40),
    "momentum 0.5, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.5, 40),
    "momentum 0.9, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.9, 40),
}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
for ax, name in zip(axes, list(zig)[1:], strict=True):
    plots.contour_with_paths(quad, {k: zig[k] for k in ("GD, lr 0.035", name)}, ax=ax)
    ax.set_title(f"40 steps, condition number 50: GD and {name.split(',')[0]}")
plt.show()

# %% [markdown]
# How many steps until $\lVert\theta\rVert \le 10^{-3}\lVert\theta_0\rVert$? Along an
# eigenvector with eigenvalue $\lambda$ the momentum step is linear,
# $\theta_{t+1} = (1 + \beta - \eta \lambda)\,\theta_t - \beta\, \theta_{t-1}$, so it shrinks
# like $|z|^t$, where $z$ is the root of $z^2 - (1 + \beta - \eta \lambda)z + \beta = 0$ of
# largest modulus; the slowest direction sets the *rate*. Two classical results follow: the
# best plain gradient descent ($\eta = 2/(1+\kappa)$) has rate $\frac{\kappa-1}{\kappa+1}$,
# and the best momentum ($\eta = \frac{4}{(1+\sqrt\kappa)^2}$,
# $\beta = \big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\big)^2$) has rate
# $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$: for small tolerances about $\sqrt\kappa$ times
# fewer steps.


# %%
def rate(lr, momentum, eigenvalues=(1.0, 50.0), nesterov=False):
    """Largest |root| of z² - a z + c over the eigenvalues (heavy ball, or Nesterov: §7)."""
    radii = []
    for h in lr * np.asarray(eigenvalues, dtype=float):
        a, c = (1 + momentum) * (1 - h), momentum * (1 - h)
        poly = [1.0, -a, c] if nesterov else [1.0, h - 1 - momentum, momentum]
        radii.append(np.abs(np.roots(poly)).max())
    return max(radii)


# %%
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
    "momentum, best lr and β": best_mom,
}
counts = {}
print(f"{'method':<26} {'lr':>6} {'β':>6} {'rate':>7} {'steps to 1e-3':>14}")
for name, (lr, mom) in settings.items():
    counts[name] = steps_to_tol(heavy_ball(quad.grad, quad.start, lr, mom, 2000))
    print(f"{name:<26} {lr:6.4f} {mom:6.4f} {rate(lr, mom):7.4f} {counts[name]:14d}")
assert (
    counts["momentum 0.5, lr 0.035"] < counts["GD, lr 0.035"]
    and 4 * counts["momentum, best lr and β"] < counts["GD, best lr 2/(1+κ)"]
)

# %% [markdown]
# With a well-chosen $\beta$ momentum needs several times fewer steps than the best plain
# gradient descent (the ratio approaches $\sqrt{50}$ for smaller tolerances); with too much
# momentum ($\beta = 0.9$ here) it spirals and gains less. Still, $\beta = 0.9$ is the usual
# default: for real networks $\kappa$ is huge and unknown, and $\eta$ is tuned with it.
#
# ## 7. Nesterov momentum
#
# Momentum computes the gradient at the current point and then adds the velocity. **Nesterov
# momentum** first moves by the velocity, looks at the gradient *there*, and corrects:
#
# $$v_t = \beta\, v_{t-1} - \eta\, \nabla L(\theta_{t-1} + \beta\, v_{t-1}), \qquad
# \theta_t = \theta_{t-1} + v_t.$$
#
# If the velocity is about to carry the point up the far wall of a valley, the look-ahead
# gradient already points back, and the step is shortened. That damps the spiral.

# %% [markdown]
# **The form PyTorch uses.** The look-ahead needs a gradient at a point that is not the
# current parameter. Rename the look-ahead point $p_t = \theta_t + \beta v_t$ and the buffer
# $b_t = -v_t/\eta$, and write $g_t = \nabla L(p_{t-1})$. Then
#
# $$p_t = \theta_t + \beta v_t = p_{t-1} - \beta v_{t-1} + (1+\beta)v_t
# = p_{t-1} - \eta g_t + \beta v_t,$$
#
# where the last step used $\beta v_{t-1} = v_t + \eta g_t$. Dividing the velocity update by
# $-\eta$ gives $b_t = \beta b_{t-1} + g_t$, and $\beta v_t = -\eta\beta\, b_t$. That is
# exactly `torch.optim.SGD(..., momentum=β, nesterov=True)`, with the gradient taken at the
# parameter itself:
#
# $$b_t = \beta\, b_{t-1} + g_t, \qquad p_t = p_{t-1} - \eta\,(g_t + \beta\, b_t).$$
#
# We check the two forms on the Rosenbrock function: the look-ahead points
# $\theta_t + \beta v_t$ of our version against the parameters of `torch.optim.SGD`, which
# `course_lib.optim.torch_path` feeds the surface's gradient at each step.


# %%
def nesterov_lookahead(grad, x0, lr, momentum, steps):
    """Look-ahead Nesterov; returns the points x_t and the look-ahead points x_t + β v_t."""
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
# **Stability limits.** How large may $\eta$ be? Along an eigenvector of curvature
# $\lambda$ each method is a linear recursion in $h = \eta\lambda$: gradient descent
# multiplies by $1 - h$, heavy ball is the recursion of section 6, and Nesterov's
# look-ahead gradient $\lambda(\theta_t + \beta(\theta_t - \theta_{t-1}))$ gives
#
# $$\theta_{t+1} = (1+\beta)(1-h)\,\theta_t - \beta(1-h)\,\theta_{t-1}.$$
#
# A recursion $\theta_{t+1} = a\theta_t - c\,\theta_{t-1}$ shrinks exactly when both roots
# of $z^2 - az + c$ lie inside the unit circle: $|c| < 1$ and $|a| < 1 + c$. For
# $0 \le \beta < 1$ that gives three limits:
#
# $$\text{GD: } \eta < \frac{2}{\lambda}, \qquad
# \text{heavy ball: } \eta < \frac{2(1+\beta)}{\lambda}, \qquad
# \text{Nesterov: } \eta < \frac{2(1+\beta)}{(1+2\beta)\lambda}.$$
#
# With $\beta = 0.9$: $\eta\lambda$ below 2, 3.8 and $3.8/2.8 \approx 1.357$. We measure them
# with the step functions: one run with $\eta = 1$ on a diagonal quadratic with curvatures
# $h$ = 0.002, 0.004, …, 3.998, 1000 steps from 1.


# %%
def run_method(name, grad, x0, lr, steps):
    """Points visited by "GD", "momentum 0.9" or "Nesterov 0.9": (steps + 1, *x0.shape).

    x0 may hold several starts as rows, with lr of shape (rows, 1): independent runs."""
    if name.startswith("Nesterov"):
        return nesterov_lookahead(grad, x0, lr, 0.9, steps)[0]
    return heavy_ball(grad, x0, lr, 0.0 if name == "GD" else 0.9, steps)


# %%
h_grid = np.arange(1, 2000) * 0.002
limits = {"GD": 2.0, "momentum 0.9": 2 * 1.9, "Nesterov 0.9": 2 * 1.9 / 2.8}
measured = {}
for name in limits:
    with np.errstate(over="ignore", invalid="ignore"):  # the unstable coordinates blow up
        end = run_method(name, lambda x: h_grid * x, np.ones_like(h_grid), 1.0, 1000)[-1]
    shrinks = np.abs(end) < 1
    edge = int(np.argmin(shrinks))  # the first h that does not shrink
    measured[name] = h_grid[edge - 1]
    print(
        f"{name:13s} largest stable ηλ on the grid {measured[name]:.3f}, formula {limits[name]:.3f}"
    )
    assert shrinks[:edge].all() and not shrinks[edge:].any()  # one edge, no stray point
    assert measured[name] < limits[name] <= measured[name] + 0.0021  # within one grid step

# %%
hs = np.linspace(0.01, 4.0, 400)
fig, ax = plt.subplots()
for i, name in enumerate(limits):
    beta, nesterov = (0.0, False) if name == "GD" else (0.9, name.startswith("Nesterov"))
    radius = [rate(h, beta, eigenvalues=(1.0,), nesterov=nesterov) for h in hs]
    ax.plot(hs, radius, color=plots.color_of(name, i), label=name)
    ax.plot(measured[name], 1.0, "o", color=plots.color_of(name, i), markerfacecolor="none")
ax.axhline(1.0, color=plots.color("reference"), linestyle="--", label="|z| = 1: the edge")
ax.set(xlabel=r"$h = \eta\lambda$", ylabel="largest |root| (shrink factor per step)", ylim=(0, 2))
ax.set_title("stability on a quadratic, β = 0.9 (circles: measured limits)")
ax.legend()
plt.show()

# %% [markdown]
# Below its limit Nesterov damps more. In a direction that spirals (complex roots) the
# shrink factor per step is the roots' modulus: $\sqrt\beta$ for heavy ball,
# $\sqrt{\beta(1-h)}$ for Nesterov, smaller when $0 < h < 1$. On the $\kappa = 50$ quadratic
# at $\eta = 0.015$ the slow direction ($\lambda = 1$) sets the rate, and Nesterov's spiral
# dies out sooner:

# %%
quad_paths = {
    "momentum 0.9": heavy_ball(quad.grad, quad.start, 0.015, 0.9, 200),
    "Nesterov 0.9": nesterov_lookahead(quad.grad, quad.start, 0.015, 0.9, 200)[0],
}
for name, path in quad_paths.items():
    nesterov = name.startswith("Nesterov")
    modulus = math.sqrt(0.9 * (1 - 0.015) if nesterov else 0.9)
    r = rate(0.015, 0.9, nesterov=nesterov)
    print(
        f"{name}: rate {r:.4f} (modulus formula {modulus:.4f}), steps to 1e-3: {steps_to_tol(path)}"
    )

# %% [markdown]
# **On Rosenbrock.** At the minimum its Hessian has $\lambda_{\max} \approx 1002$ (lecture
# 02), so $\eta = 0.002$ puts $\eta\lambda_{\max}$ near 2.0: past Nesterov's limit, a hair
# past gradient descent's, well inside heavy ball's. At $\eta = 0.001$ all three are stable
# near the minimum: that is where we compare them, 4000 steps each from $(-1.2, 1)$:

# %%
lam_max = np.linalg.eigvalsh(rosen.hessian(rosen.minimum))[-1]
lrs = (1e-3, 2e-3)  # both learning rates side by side: one row each, lr of shape (2, 1)
both = {
    n: run_method(n, rosen.grad, np.tile(rosen.start, (2, 1)), np.array(lrs)[:, None], 4000)
    for n in limits
}
rosen_runs = {f"{n}, lr {lr}": both[n][:, j] for j, lr in enumerate(lrs) for n in limits}
for lr in lrs:
    print(f"lr {lr}: ηλmax = {lr * lam_max:.3f} at the minimum")
    for name in limits:
        d = np.linalg.norm(rosen_runs[f"{name}, lr {lr}"] - rosen.minimum, axis=1)
        hit, best = np.flatnonzero(d < 1e-6), d[-1000:].min()
        where = "> 0.1" if best > 0.1 else f"{best:.0e}"
        verdict = f"after {hit[0]} steps" if hit.size else f"never (last 1000 steps: {where})"
        print(f"  {name:13s}: within 1e-6 of the minimum {verdict}")

# %%
fig, (ax1, ax3) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
first_60 = {name: path[:61] for name, path in quad_paths.items()}
plots.contour_with_paths(quad, first_60, ax=ax1).set_title("60 steps, lr 0.015, κ = 50")
for i, (label, path) in enumerate(rosen_runs.items()):
    style = "-" if label.endswith("0.001") else ":"
    d = np.linalg.norm(path[::10] - rosen.minimum, axis=1)  # every 10th step is enough to draw
    ax3.semilogy(np.arange(0, len(path), 10), d, style, color=plots.color_of(label, i), label=label)
ax3.set(xlabel="step", ylabel="distance to the minimum", title="Rosenbrock, 4000 steps")
ax3.legend(fontsize=8)
plt.show()

# %% [markdown]
# Where all three are stable ($\eta = 0.001$), both momentum methods need about the same
# number of steps, while gradient descent is still far away. At $\eta = 0.002$ heavy ball
# converges twice as fast, but Nesterov, past its limit, keeps bouncing around the minimum
# (dotted brown); gradient descent is a hair past its own limit. Nesterov damps better
# *below* its limit, and its limit is lower. In PyTorch they are one flag apart.

# %% [markdown]
# **Try it yourself.** The explorer redraws these trajectories as you move its sliders:
# $\eta$, the momentum $\beta$ (labelled β₁, Adam's name for it in lecture 04; β₂ is
# unused), the steps and the surface. Find the largest $\eta$ at which gradient descent
# still converges on the valley, then switch momentum on. It needs a running kernel.

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
# ## 8. From scratch vs `torch.optim.SGD`
#
# PyTorch writes heavy-ball momentum with the buffer $b$ instead of the velocity $v$:
#
# $$b_t = \beta\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t,$$
#
# the same method, since $v_t = -\eta\, b_t$ when $\eta$ is constant (if $\eta$ changes
# during training, PyTorch's step follows the new rate at once). Adam (lecture 04) keeps
# $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$: the same weights on the past, rescaled to an
# average, so $m_t = (1-\beta)\,b_t$ when $\beta_1 = \beta$. Our optimizer in the buffer
# form, with the library's `step(grads)` interface: plain SGD, momentum, and Nesterov.


# %%
class ScratchSGD:
    """SGD on a list of ndarrays (updated in place), with optional (Nesterov) momentum."""

    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        self.params, self.lr, self.beta, self.nesterov = params, lr, momentum, nesterov
        self.buffers = [None] * len(params)

    def step(self, grads):
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if self.beta:
                b = g.copy() if self.buffers[i] is None else self.beta * self.buffers[i] + g
                self.buffers[i] = b
                g = g + self.beta * b if self.nesterov else b
            p -= self.lr * g


# %% [markdown]
# First, the buffer form visits the same points as the velocity form of section 6, and its
# buffer is Adam's first moment up to the factor $1-\beta$:

# %%
p = np.array(quad.start, dtype=float)
opt = ScratchSGD([p], lr=0.035, momentum=0.5)
buffer_path = [p.copy()]
for _ in range(40):
    opt.step([quad.grad(p)])
    buffer_path.append(p.copy())
err = np.abs(np.array(buffer_path) - zig["momentum 0.5, lr 0.035"]).max()
print(f"buffer form vs velocity form, 40 steps: max difference {format_bound(err, 1e-12)}")
b, m = np.zeros(3), np.zeros(3)
for g in grad_seq:  # the 50 gradients of section 6, β = β₁ = 0.9
    b, m = beta * b + g, beta * m + (1 - beta) * g
err_adam = np.abs(m - (1 - beta) * b).max()
print(f"Adam's m_t vs (1 - β) b_t, 50 steps: max difference {format_bound(err_adam, 1e-12)}")
assert err < 1e-12 and err_adam < 1e-12

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


# %% [markdown]
# The same optimizer, with PyTorch's full set of options (`dampening`, `weight_decay`) and
# argument checks, is `course_lib.optim.SGD(params, lr, momentum=0, dampening=0,
# nesterov=False, weight_decay=0)`. Both are compared with PyTorch, one line each:

# %%
configs = {
    "SGD": {},
    "momentum 0.9": {"momentum": 0.9},
    "Nesterov 0.9": {"momentum": 0.9, "nesterov": True},
}
reference = {name: run_torch(batches, lr=0.1, **cfg) for name, cfg in configs.items()}
for label, make in [("ScratchSGD", ScratchSGD), ("course_lib.optim.SGD", optim.SGD)]:
    runs_ours = {
        n: run_numpy(lambda ps, c=c, m=make: m(ps, lr=0.1, **c), batches)
        for n, c in configs.items()
    }
    err = max(np.abs(runs_ours[n] - reference[n]).max() for n in configs)
    print(
        f"{label} vs torch.optim.SGD (plain, momentum, Nesterov; 100 steps): max error {format_bound(err, 1e-10)}"
    )
    assert err < 1e-10

# %% [markdown]
# ## 9. The library, takeaways, exercises
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
# For example, the ball of section 6 with the library optimizer:

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
# - An epoch is one pass over the shuffled data in batches of $B$: $\lceil N/B\rceil$
#   updates. A mini-batch gradient is unbiased; its noise shrinks like $1/\sqrt B$.
# - A larger batch costs more per update but less per epoch (the fixed cost is paid fewer
#   times), down to the floor set by the arithmetic. More threads, or a GPU, help only when
#   a batch has enough arithmetic to share. Noise keeps SGD moving where the full gradient
#   is zero.
# - Compare batch sizes with the learning rate scaled (linear scaling keeps the progress
#   and the noise per epoch), several seeds, at equal epochs *and* equal updates. With a
#   fixed $\eta$, "large batches are worse" measures only the number of updates.
# - Momentum $v_t = \beta v_{t-1} - \eta g_t$ sums past gradients with weights
#   $\beta^{t-k}$: it rolls through small local minima and damps the zig-zag of narrow
#   valleys (about $\sqrt\kappa$ times fewer steps when tuned). PyTorch's buffer is
#   $b_t = -v_t/\eta$; Adam's first moment is $m_t = (1-\beta_1)\,b_t$.
# - Nesterov momentum takes the gradient at the look-ahead point $\theta + \beta v$
#   (PyTorch: $b \leftarrow \beta b + g$, step $g + \beta b$). On a quadratic, stability
#   needs $\eta\lambda$ below 2 (GD), $2(1+\beta)$ (heavy ball) and $2(1+\beta)/(1+2\beta)$
#   (Nesterov): Nesterov damps more below its limit, but its limit is lower.

# %% [markdown]
# **Homework.** `homework/hw03_batch_and_momentum.ipynb`: write a shuffling mini-batch
# iterator, SGD with momentum and with Nesterov momentum, and compare them on a surface and
# on a small network.
#
# **Glossary.** This lecture's key terms, in English and Chinese, are in the course
# [glossary](glossary.md).
#
# **Exercises.** Predict first, then change the code and run it; each answer is folded
# below its exercise.

# %% [markdown]
# **Exercise 1.** In section 2, what noise does the formula predict at $B = N/2$, relative
# to $B = 1$? Measure it with 200 random batches.

# %% tags=["answer"]
half = N // 2
rng_half = np.random.default_rng(1)
d2_half = [
    np.sum((G[rng_half.choice(N, half, replace=False)].mean(0) - g_full) ** 2) for _ in range(200)
]
print(f"B = {half}: measured {math.sqrt(np.mean(d2_half)):.4f}, formula {noise_formula(half):.4f}")
print(f"relative to B = 1: formula {noise_formula(half) / noise_formula(1):.4f}, "
      f"1/sqrt(N - 1) = {1 / math.sqrt(N - 1):.4f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# With $B = N/2$ the formula gives $\frac{\sigma^2}{N/2}\cdot\frac{N/2}{N-1} =
# \frac{\sigma^2}{N-1}$ (for even $N$; here $N = 1259$ is odd and $B = 629$, a difference
# beyond the fourth digit), so the noise is $1/\sqrt{N-1}$ of the noise at $B = 1$: about
# 0.028, some 35 times smaller. The finite-population factor $(N-B)/(N-1)$ matters here: the
# plain $1/\sqrt B$ rule would predict $1/\sqrt{N/2}$, a factor $\sqrt 2$ more. The 200
# batches measure the formula's value to within 1%.
# </details>

# %% [markdown]
# **Exercise 2.** In section 7, take $\beta = 0.5$. Predict the three stability limits from
# the formulas, then measure them with the cell that scans $h$.

# %% tags=["answer"]
steppers = {"GD": (heavy_ball, 0.0), "momentum 0.5": (heavy_ball, 0.5),
            "Nesterov 0.5": (lambda *a: nesterov_lookahead(*a)[0], 0.5)}  # fmt: skip
for name, (method, beta_s) in steppers.items():
    with np.errstate(over="ignore", invalid="ignore"):
        end = method(lambda x: h_grid * x, np.ones_like(h_grid), 1.0, beta_s, 1000)[-1]
    edge = int(np.argmin(np.abs(end) < 1))
    formula = (
        2 * (1 + beta_s) / (1 + 2 * beta_s) if name.startswith("Nesterov") else 2 * (1 + beta_s)
    )
    print(f"{name:13s} largest stable ηλ on the grid {h_grid[edge - 1]:.3f}, formula {formula:.3f}")

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Gradient descent's limit does not depend on $\beta$: $\eta\lambda < 2$. Heavy ball:
# $2(1 + 0.5) = 3$. Nesterov: $2(1 + 0.5)/(1 + 1) = 1.5$. Less momentum lowers heavy
# ball's limit but *raises* Nesterov's (from 1.357 at $\beta = 0.9$): as $\beta \to 0$
# both tend to gradient descent's 2. The scan finds each limit within one grid step
# (0.002).
# </details>

# %% [markdown]
# **Exercise 3.** In section 5, set `ETA0 = 0.2`. Which run fails first, and why? (Look at
# $\eta$ for linear scaling at $B = 512$; recall lecture 02's stability limit.)

# %% tags=["answer"]
for rule_name, rule in rules.items():
    eta_512 = 0.2 * rule(512) / ETA0  # the rule with ETA0 = 0.2 at B = 512
    runs_512 = StackedMLPs([mlp(s) for s in seeds])
    shuffles = [torch.Generator().manual_seed(s) for s in seeds]
    for _ in range(5):  # five epochs of three updates
        order = torch.stack([torch.randperm(N, generator=g) for g in shuffles])
        for start in range(0, N, 512):
            idx = order[:, start : start + 512]
            runs_512.step([eta_512] * len(seeds), X_train_t[idx], y_train_t[idx])
    final = runs_512.evaluate(X_train_t, y_train_t).numpy()
    diverged = not (final <= math.log(10)).any()  # NaN counts as diverged
    verdict = "every seed above ln 10 = 2.30 (guessing)" if diverged else f"mean {final.mean():.1f}"
    print(f"{rule_name:>8} η = {eta_512:.1f}: training loss after 5 epochs {verdict}")

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# The linear-scaling run at $B = 512$, with $\eta = 0.2 \cdot 512/32 = 3.2$: after five
# epochs its loss is worse than guessing in every seed, while the constant ($\eta = 0.2$)
# and square-root ($\eta = 0.8$) runs train. Lecture 02's limit $\eta < 2/\lambda_{\max}$
# applies to the steepest direction of the loss: a step of 3.2 overshoots along it by more
# than it gains, and the error grows from update to update. With `ETA0 = 0.1` the same run
# uses $\eta = 1.6$ and is stable. Linear scaling always meets this wall at some batch
# size; warm-up (lecture 04) postpones it.
# </details>

# %% [markdown]
# **Exercise 4.** In section 5, train the constant-$\eta$ runs at $B = 512$ for 20 epochs,
# then on to 200 updates. Does $B = 512$ catch up with $B = 32$ after its 5 epochs (200
# updates)? What does that say about "large batches are worse"?

# %% tags=["answer"]
# NBVAL_IGNORE_OUTPUT
runs_const, shuffles = (
    StackedMLPs([mlp(s) for s in seeds]),
    [torch.Generator().manual_seed(s) for s in seeds],
)
done, seen = 0, {}
while done < 200:
    order = torch.stack([torch.randperm(N, generator=g) for g in shuffles])
    for idx in order.split(512, dim=1):  # one epoch of batches of 512
        runs_const.step([ETA0] * len(seeds), X_train_t[idx], y_train_t[idx])
        done += 1
        if done in (15, 60, 200):  # 5 epochs, 20 epochs, 200 updates
            seen[done] = runs_const.evaluate(X_train_t, y_train_t).numpy().mean()
        if done == 200:
            break
b32 = judged(32, "epochs")[0, :, 0].mean()  # constant η, B = 32, 5 epochs = 200 updates
print(
    f"B = 512: training loss {seen[15]:.2f} after 5 epochs, {seen[60]:.2f} after 20, {seen[200]:.2f} after 200 updates"
)
print(f"B = 32 after 5 epochs (200 updates): {b32:.2f}")

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# After 20 epochs $B = 512$ has made only 60 updates and its loss (about 0.65) is still far
# above $B = 32$'s after 5 epochs (about 0.15). After 200 updates, as many as $B = 32$
# made in its 5 epochs, it ends at about the same loss. With a fixed $\eta$ the loss
# follows the number of updates, not the number of examples seen: "large batches are
# worse" at equal epochs only says they took fewer steps. (The printed values depend on
# the CPU in their last digits, so the tests do not compare them.)
# </details>

# %% [markdown]
# **Exercise 5.** In section 6, find the $\beta$ that minimises `rate(0.035, β)` on a grid of
# $\beta$. Does it beat the best plain gradient descent?

# %% tags=["answer"]
beta_grid = np.round(np.arange(0.0, 1.0, 0.01), 2)
rates = np.array([rate(0.035, b) for b in beta_grid])
best = int(np.argmin(rates))
print(f"best β on the grid {beta_grid[best]:.2f}: rate {rates[best]:.4f}")
print(
    f"gradient descent: rate {rate(0.035, 0.0):.4f} at lr 0.035, {rate(*best_gd):.4f} at its best lr"
)
print(
    f"steps of the best GD per step at the best β, for small tolerances: "
    f"{math.log(rates[best]) / math.log(rate(*best_gd)):.1f}"
)

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# $\beta = 0.67$, with rate 0.8185: far better than gradient descent at the same
# $\eta = 0.035$ (0.965) and even at its best $\eta$ (0.9608), so about 5 times fewer
# steps for a small tolerance (the ratio of the logarithms of the rates). Tuning $\eta$
# and $\beta$ together does better still: $(\sqrt\kappa - 1)/(\sqrt\kappa + 1) = 0.752$,
# section 6.
# </details>
