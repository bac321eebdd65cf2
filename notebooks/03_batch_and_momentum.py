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
# lecture asks what the batch size changes (time per update and per epoch, noise in the
# gradient, where training ends) and how **momentum** — keeping part of the last movement —
# helps gradient descent roll past local minima and stop zig-zagging in narrow valleys. We
# build the pieces from scratch, measure them, and check them against `torch.optim.SGD`.
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
for batches in epochs:
    assert [len(b) for b in batches] == [6, 6, 6, 2]
    assert sorted(np.concatenate(batches)) == list(range(20))
assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))

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
# is plain (full-batch) gradient descent; with $B < N$ it is **stochastic gradient descent
# (SGD)**.
#
# Our first model is **softmax regression** on the handwritten digits (8×8 images, 64
# features, 10 classes): logits $z = XW + b$, the mean cross-entropy loss, and its gradient
# $\partial L/\partial W = X^\top \partial L/\partial z$. `course_lib.losses.cross_entropy`
# returns the loss and $\partial L/\partial z$. The data are split into training,
# validation and test sets and standardized with training statistics; this lecture never
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
# Noise is one side of the trade-off; time is the other. From here on the model is a small
# MLP in PyTorch: 64 inputs, 32 ReLU units, 10 logits, float32, trained by
# `torch.optim.SGD`. An update on $B$ examples costs a fixed part (Python, PyTorch's
# dispatch, allocating tensors) plus a part that grows with $B$ (the matrix products); an
# epoch makes $\lceil N/B\rceil$ updates.

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
# We time 10 updates (best of five repeats) for $B = 1, 4, 16, \dots, 1024$ and $N$, on
# one CPU thread: `torch.set_num_threads(1)` (setup cell) limits PyTorch, and
# `threadpoolctl.threadpool_limits(1)` limits NumPy's BLAS and every OpenMP pool. On a GPU
# the clock is read only after `torch.cuda.synchronize()`, because GPU work runs
# asynchronously. Timings differ from run to run and machine to machine, so the tests do not
# compare the table.


# %%
def seconds_per_update(batch_size, device="cpu", steps=10, repeats=5):
    """Best of `repeats`: the mean time of one torch.optim.SGD update of mlp(0) on `device`."""
    net, Xd, yd = mlp(0).to(device), X_train_t.to(device), y_train_t.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    batches = [torch.randperm(N)[:batch_size].to(device) for _ in range(steps)]
    sync = torch.cuda.synchronize if device == "cuda" else lambda: None
    best = math.inf
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        for idx in batches:
            loss = torch.nn.functional.cross_entropy(net(Xd[idx]), yd[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sync()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


# %%
# NBVAL_IGNORE_OUTPUT
timing_sizes = [4**k for k in range(6)] + [N]
with threadpool_limits(limits=1):
    pools = threadpool_info()  # the thread pools as they are during the measurement
    per_update = {B: seconds_per_update(B) for B in timing_sizes}
per_epoch = {B: per_update[B] * math.ceil(N / B) for B in timing_sizes}
print(f"{'batch size':>10} {'updates/epoch':>14} {'s/update':>10} {'s/epoch':>10}")
for B in timing_sizes:
    print(f"{B:10d} {math.ceil(N / B):14d} {per_update[B]:10.2e} {per_epoch[B]:10.2e}")

# %%
fig, ax = plt.subplots()
for i, (label, times) in enumerate({"per update": per_update, "per epoch": per_epoch}.items()):
    seconds = [times[B] for B in timing_sizes]
    ax.loglog(timing_sizes, seconds, "o-", color=plots.color_of(label, i), label=label)
ax.set(xlabel="batch size B", ylabel="seconds", title="the MLP on the digits, one CPU thread")
ax.legend()
plt.show()

# %% [markdown]
# Read the figure from left to right. For small $B$ the fixed cost dominates: a 4 times
# larger $B$ barely changes the time of an update, so an epoch takes about a quarter as
# long. For large $B$ the arithmetic shows: the time per update grows and the time per
# epoch stops falling. Big batches are *cheaper per epoch* because they pay the fixed cost fewer times.
# Two facts robust enough to check on every machine:

# %%
one_thread = torch.get_num_threads() == 1 and all(p["num_threads"] == 1 for p in pools)
print(f"timed on one thread (torch, and every BLAS/OpenMP pool threadpoolctl found): {one_thread}")
slower = per_epoch[1] > per_epoch[256]
print(f"an epoch at batch size 1 takes longer than at batch size 256: {slower}")
assert one_thread and slower

# %% [markdown]
# *On a GPU* thousands of arithmetic units work on the rows of a batch in parallel, so the
# time per update stays nearly flat as $B$ grows until every unit is busy, and an epoch is
# far shorter. Each update also pays for launching its kernels, so for a network this tiny a
# GPU may not beat the CPU at small $B$. When PyTorch sees a CUDA GPU, the cell below times
# the same updates there (its output is not compared).

# %%
# NBVAL_IGNORE_OUTPUT
if torch.cuda.is_available():
    gpu = {B: seconds_per_update(B, device="cuda") for B in timing_sizes}
    print(f"{'batch size':>10} {'GPU s/update':>13} {'CPU s/update':>13}")
    for B in timing_sizes:
        print(f"{B:10d} {gpu[B]:13.2e} {per_update[B]:13.2e}")
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
# A noisy gradient sounds like a bad thing. But noise has a use: where the *full* gradient
# is zero — at a local minimum or a saddle point of $L$ — the gradients of single batches are
# usually not zero, so SGD keeps moving while full-batch gradient descent is stuck.
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
# The same noise can also throw a point back out of the good basin, and in some runs it
# does, early on; but the right basin is wider and deeper, so the runs end up there. The
# lesson is not "smaller is always better" but "a zero full gradient does not stop SGD".

# %% [markdown]
# ## 5. Batch size, compared fairly
#
# Does a smaller batch train a better model? Three things change together with $B$: the
# number of updates per epoch, the noise of each update, and — if $\eta$ stays fixed — how
# far an epoch moves. A fair study keeps them apart:
#
# - the MLP of section 3 with $B$ = 8, 32, 128, 512;
# - three learning-rate rules from $\eta_0 = 0.1$ at $B_0 = 32$: *constant* $\eta = \eta_0$,
#   **square-root scaling** $\eta = \eta_0\sqrt{B/B_0}$, **linear scaling** $\eta = \eta_0 B/B_0$;
# - three seeds per setting (initialisation and batch order, shared by the three rules),
#   reported as mean and range;
# - judged twice: after the same number of *epochs* (5: the same examples seen) and after
#   the same number of *updates* (100: the same number of steps).
#
# Why these rules? An epoch makes about $N/B$ steps, each of mean $-\eta g$ and noise
# variance about $\eta^2\sigma^2/B$ (section 2), so over the epoch the drift adds up to
# $(N/B)\,\eta\,g$ and the variance to $(N/B)\,\eta^2\sigma^2/B$. Linear scaling keeps both
# fixed per epoch (while $g$ changes little over a few steps); square-root scaling keeps the
# noise *per update* fixed. The cell prints both sums, relative to $B_0$.

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
# slice $r$ is run $r$'s own gradient; each slice steps with its own $\eta$.


# %%
def stacked_weights(nets):
    """Each MLP's W1 (64, H), b1 (1, H), W2 (H, 10), b2 (1, 10), stacked over the nets."""
    parts = [[n[0].weight.T, n[0].bias[None], n[2].weight.T, n[2].bias[None]] for n in nets]
    return [torch.stack(ps).detach() for ps in zip(*parts, strict=True)]


def stacked_losses(params, Xb, yb):
    """Mean cross-entropy of each run r on its own batch: Xb (R, B, 64), yb (R, B) -> (R,)."""
    W1, b1, W2, b2 = params
    z = torch.baddbmm(b2, torch.relu(torch.baddbmm(b1, Xb, W1)), W2)
    ce = torch.nn.functional.cross_entropy(z.flatten(0, 1), yb.flatten(), reduction="none")
    return ce.view(yb.shape).mean(dim=1)


def stacked_step(params, lrs, Xb, yb):
    """One SGD update of every run; run r steps with learning rate lrs[r] (lrs: shape (R,))."""
    grads = torch.autograd.grad(stacked_losses(params, Xb, yb).sum(), params)
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            p -= lrs[:, None, None] * g


# %% [markdown]
# The check: two stacked runs with different learning rates against two `nn.Sequential`
# networks trained by `torch.optim.SGD` on the same 20 batches.

# %%
nets, lrs = [mlp(0), mlp(1)], [0.1, 0.4]
params = [p.requires_grad_() for p in stacked_weights(nets)]
opts = [torch.optim.SGD(net.parameters(), lr=lr) for net, lr in zip(nets, lrs, strict=True)]
batch_ids = torch.randint(N, (20, 2, 32), generator=torch.Generator().manual_seed(0))
for idx in batch_ids:  # idx[r]: the batch of run r
    stacked_step(params, torch.tensor(lrs), X_train_t[idx], y_train_t[idx])
    for net, opt, i in zip(nets, opts, idx, strict=True):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X_train_t[i]), y_train_t[i]).backward()
        opt.step()
err = max((p - q).abs().max().item() for p, q in zip(params, stacked_weights(nets), strict=True))
print(f"stacked runs vs torch.optim.SGD, 20 updates: max difference {format_bound(err, 1e-5)}")
assert err < 1e-5


# %%
def evaluate_stacked(params):
    """(R, 2): each run's mean loss on the whole training set and on the validation set."""
    R = len(params[0])
    with torch.no_grad():
        sets = [(X_train_t, y_train_t), (X_val_t, y_val_t)]
        losses = [stacked_losses(params, X.expand(R, -1, -1), y.expand(R, -1)) for X, y in sets]
    return torch.stack(losses, dim=1).numpy()


# %%
def train_stacked(B, lrs, run_seeds, num_updates, checkpoints):
    """SGD on one stacked MLP per seed; returns {update: (R, 2) train and val losses}."""
    params = [p.requires_grad_() for p in stacked_weights([mlp(s) for s in run_seeds])]
    lrs, rngs = torch.tensor(lrs), [torch.Generator().manual_seed(s) for s in run_seeds]
    log, done = {0: evaluate_stacked(params)}, 0
    while done < num_updates:  # one epoch: every run shuffles with its own generator
        order = torch.stack([torch.randperm(N, generator=g) for g in rngs])
        for start in range(0, N, B):
            idx = order[:, start : start + B]
            stacked_step(params, lrs, X_train_t[idx], y_train_t[idx])
            done += 1
            if done in checkpoints or start + B >= N:  # and at the end of every epoch
                log[done] = evaluate_stacked(params)
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
# The results: mean [min–max] over the three seeds. The last digits depend on the CPU, so
# the tests do not compare this table; the claims below it are checked on every machine.

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
fig, axes = plt.subplots(2, 3, figsize=(12, 6.8), layout="constrained", sharey=True)
for col, name in enumerate(rules):
    for B in study_sizes:
        steps, losses = study[B]
        train = losses[:, col, :, 0]  # (logged steps, seeds)
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
#   $B = 512$ is no worse. Square-root scaling sits in between; it keeps the noise per
#   update, not the progress per epoch.
# - *Per update*, with $\eta$ scaled, a larger batch is far ahead: each update does more
#   work, and (section 3) its cost grows slowly with $B$.
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
# eventually fails (the step passes the stability limit $2/\lambda$ of lecture 02; warm-up,
# lecture 04, helps) and where noise may help to leave sharp regions (section 4's toy).
# Before blaming $B$: scale $\eta$, use several seeds, and judge both budgets.

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
# the ball arrives at the local minimum with speed, climbs the bump on the remaining
# velocity, and rolls down into the global minimum. If the next hill is too high
# (`hill_height=4` instead of 2), the velocity runs out on the way up and the ball rolls
# back into the local minimum.

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
assert abs(p2["GD"][-1, 0] - c2.local_minimum[0]) < 1e-3
assert abs(p2["momentum 0.9"][-1, 0] - c2.global_minimum[0]) < 1e-3
assert abs(p4["momentum 0.9"][-1, 0] - c4.local_minimum[0]) < 1e-3
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
# cancel; the gradients along the valley point the same way every step, so they add up.
# $\beta = 0.5$ damps the zig-zag; $\beta = 0.9$ keeps too much of the old velocity and
# overshoots. Each panel draws GD first and wider, so the momentum path on top never hides it.

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
# like $|z|^t$ where $z$ is the larger root of $z^2 - (1 + \beta - \eta \lambda)z + \beta = 0$;
# the slowest direction sets the *rate*. Two classical results follow: the best plain
# gradient descent ($\eta = 2/(1+\kappa)$) has rate $\frac{\kappa-1}{\kappa+1}$, and the best
# momentum ($\eta = \frac{4}{(1+\sqrt\kappa)^2}$,
# $\beta = \big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\big)^2$) has rate
# $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$ — for small tolerances about $\sqrt\kappa$ times
# fewer steps.


# %%
def rate(lr, momentum, eigenvalues=(1.0, 50.0)):
    return max(
        np.abs(np.roots([1.0, -(1 + momentum - lr * lam), momentum])).max() for lam in eigenvalues
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
    "momentum, best lr and β": best_mom,
}
counts = {}
print(f"{'method':<26} {'lr':>6} {'β':>6} {'rate':>7} {'steps to 1e-3':>14}")
for name, (lr, mom) in settings.items():
    counts[name] = steps_to_tol(heavy_ball(quad.grad, quad.start, lr, mom, 2000))
    print(f"{name:<26} {lr:6.4f} {mom:6.4f} {rate(lr, mom):7.4f} {counts[name]:14d}")
assert counts["momentum 0.5, lr 0.035"] < counts["GD, lr 0.035"]
assert counts["momentum, best lr and β"] < counts["GD, best lr 2/(1+κ)"] / 4

# %% [markdown]
# With a well-chosen $\beta$ momentum needs several times fewer steps than the best plain
# gradient descent (the table prints both counts; the ratio approaches $\sqrt{50}$ for
# smaller tolerances); with too much momentum ($\beta = 0.9$ here) it spirals and gains
# less. In practice $\beta = 0.9$ is the usual default, because for real networks $\kappa$
# is huge and unknown, and the learning rate is tuned with it.
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
# Trajectories side by side. Left: the quadratic with $\kappa = 50$ and learning rate 0.015,
# where heavy-ball momentum 0.9 spirals and Nesterov's look-ahead damps the spiral. Right:
# the Rosenbrock valley with learning rate 0.002 — plain gradient descent crawls along the
# curved valley floor, both momentum methods travel much further; heavy ball swings out past
# the minimum, Nesterov stays inside the valley. Each method keeps its colour in both panels.

# %%
quad_paths = {
    "momentum 0.9": heavy_ball(quad.grad, quad.start, 0.015, 0.9, 60),
    "Nesterov 0.9": nesterov_lookahead(quad.grad, quad.start, 0.015, 0.9, 60)[0],
}
rosen_paths = {
    "GD": heavy_ball(rosen.grad, rosen.start, 2e-3, 0.0, 300),
    "momentum 0.9": heavy_ball(rosen.grad, rosen.start, 2e-3, 0.9, 300),
    "Nesterov 0.9": nesterov_lookahead(rosen.grad, rosen.start, 2e-3, 0.9, 300)[0],
}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
plots.contour_with_paths(quad, quad_paths, ax=ax1).set_title(
    "60 steps, lr 0.015, condition number 50"
)
plots.contour_with_paths(rosen, rosen_paths, ax=ax2).set_title("300 steps on Rosenbrock, lr 0.002")
plt.show()

# %%
for surface, paths in [(quad, quad_paths), (rosen, rosen_paths)]:
    for name, path in paths.items():
        dist = np.linalg.norm(path[-1] - surface.minimum)
        print(f"{surface.name:33s} {name:12s}: distance to the minimum {dist:.2e}")

# %% [markdown]
# **Try it yourself.** The explorer below redraws these trajectories when you move a
# slider: $\eta$, the momentum $\beta$ (the slider says β₁, Adam's name for it in lecture 04;
# β₂ is unused here), the steps and the surface. Find the largest $\eta$ at which plain
# gradient descent still converges on the valley, then switch momentum on. It needs a
# running kernel; the figure above is its static twin.

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
# ## 8. From scratch vs `torch.optim.SGD`
#
# PyTorch writes heavy-ball momentum with the buffer $b$ instead of the velocity $v$:
#
# $$b_t = \beta\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t,$$
#
# the same method, since $v_t = -\eta\, b_t$ when $\eta$ is constant. (The two differ only
# when the learning rate changes during training: PyTorch's buffer is scaled by the new
# rate at once.) Adam (lecture 04) keeps $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$: the same
# weights on the past, rescaled to an average, so $m_t = (1-\beta)\,b_t$ when $\beta_1 = \beta$.
# Momentum 0.9 and Adam's $\beta_1 = 0.9$ look equally far back. Our optimizer in the buffer
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
#   times); on a GPU the time per update stays nearly flat until the hardware is full.
#   Noise keeps SGD moving where the full gradient is zero.
# - Compare batch sizes with the learning rate scaled (linear scaling keeps the progress
#   and the noise per epoch), several seeds, at equal epochs *and* equal updates. With a
#   fixed $\eta$, "large batches are worse" measures only the number of updates.
# - Momentum $v_t = \beta v_{t-1} - \eta g_t$ sums past gradients with weights
#   $\beta^{t-k}$: it rolls through small local minima and damps the zig-zag of narrow
#   valleys (about $\sqrt\kappa$ times fewer steps when tuned). PyTorch's buffer is
#   $b_t = -v_t/\eta$; Adam's first moment is $m_t = (1-\beta_1)\,b_t$.
# - Nesterov momentum takes the gradient at the look-ahead point $\theta + \beta v$;
#   PyTorch's form $b \leftarrow \beta b + g$, step $g + \beta b$, is the same method.

# %% [markdown]
# **Homework.** `homework/hw03_batch_and_momentum.ipynb`: write a shuffling mini-batch
# iterator, SGD with momentum and with Nesterov momentum, and compare them on a surface and
# on a small network.
#
# **Glossary.** The key terms of this lecture, in English and Chinese with a one-line
# definition each, are in the course [glossary](glossary.md).
#
# **Exercises.** Predict the answer first, then change the code and run it.
#
# 1. In section 2, what noise does the formula predict at $B = N/2$, relative to $B = 1$?
#    Measure it with 200 random batches.
# 2. In section 3, time a wider MLP (`mlp(0, hidden=1024)` in `seconds_per_update`). Does
#    the time per update start to grow with $B$ at a smaller batch size than before? Why?
# 3. In section 5, set `ETA0 = 0.2`. Which run fails first, and why? (Look at $\eta$ for
#    linear scaling at $B = 512$ and recall the stability limit of lecture 02.)
# 4. In section 5, train the constant-$\eta$ runs for 20 epochs instead of 5. Does the gap
#    between $B = 32$ and $B = 512$ close? What does that say about "large batches are worse"?
# 5. In section 6, find the $\beta$ that minimises `rate(0.035, β)` on a grid of $\beta$.
#    Does it beat the best plain gradient descent?
