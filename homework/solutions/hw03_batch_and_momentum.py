# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 03 — Batch size and momentum
#
# Lecture 03 trained with mini-batches and added momentum to gradient descent. Here you
# build both from scratch, check them against PyTorch, compare the optimizers on a surface
# and on a small network, and measure how the batch size changes the number of updates and
# the computation the network needs to reach a target loss.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `minibatches(X, y, batch_size, rng)`: one shuffled epoch of mini-batches | 2 |
# | Q2 | `momentum_step(theta, grad, velocity, lr, momentum)`: SGD with momentum | 2 |
# | Q3 | `nesterov_step(theta, grad_fn, velocity, lr, momentum)`: Nesterov momentum | 2 |
# | Q4 | `linear_regression_epoch(w, X, y, batch_size, lr, rng)`: one epoch, gradient derived | 2 |
# | Q5 | `updates_to_target(loss_and_grad, theta, X, y, batch_size, lr, target, rng)`: the experiment's measurement | 3 |
# | W1 | a written answer about the batch-size experiment (graded by hand) | 2 |
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it. The optimizer checks run your step function
# for 30 steps and compare the whole path with `torch.optim.SGD`; a failing case prints the
# input, the expected and the actual path, what mistake it looks like, and a hint. The
# grade counts only hidden cases of the same kinds (other starts, data and generators), and
# a mistake the check recognises earns nothing on its question.
# Cells that use your functions raise `NotImplementedError` until you have answered;
# *Run All* carries on past them.
#
# **Rules.** Use NumPy only: not `torch`, and not `course_lib.data` (its `minibatches`) or
# `course_lib.optim` (they contain the answers). Keep the function names and arguments; you
# may add cells. Before you submit, run *Kernel → Restart and Run All*: the grader runs your
# notebook the same way, in a fresh kernel.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import matplotlib.pyplot as plt
import numpy as np

from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.homework.hw03 import check
from course_lib.plots import contour_with_paths, use_style
from course_lib.surfaces import IllConditionedQuadratic

use_style()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part A: mini-batches
#
# ### Q1 (2 points): a shuffling mini-batch iterator
#
# Write `minibatches(X, y, batch_size, rng)`: a generator that yields one **epoch** of
# shuffled mini-batches `(X_batch, y_batch)`, every example exactly once, in batches of
# `batch_size` (the last one smaller when `batch_size` does not divide `len(X)`). Each call
# is a new epoch with a new random order. So that your order matches the check's, draw the
# order with a single call of `rng.permutation` per epoch, and use it front to back.


# %%
def minibatches(X, y, batch_size, rng):
    """Yield one epoch of shuffled mini-batches.

    Args:
        X: array of shape (N, ...).
        y: array of shape (N, ...), aligned with X.
        batch_size: examples per batch, B >= 1.
        rng: a numpy Generator; each call draws a new permutation from it.

    Yields:
        (X_batch, y_batch) of shapes (B, ...) and (B, ...); the last may be smaller.
    """
    ### BEGIN SOLUTION
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        batch = order[start : start + batch_size]
        yield X[batch], y[batch]
    ### END SOLUTION


# %%
check("q1", minibatches)

# %% [markdown]
# ## Part B: momentum
#
# ### Q2 (2 points): SGD with momentum
#
# Write one step of SGD with momentum in the velocity form of lecture 03, §6: the
# **velocity** is the step the parameters take (it includes the learning rate), and it
# remembers past steps through the momentum coefficient. Return the new parameters and the
# new velocity. (PyTorch stores the velocity divided by −η instead; for a constant learning
# rate the points visited are the same, and the check compares those.)


# %%
def momentum_step(theta, grad, velocity, lr, momentum):
    """One step of SGD with momentum.

    Args:
        theta: parameters, shape (n,).
        grad: gradient of the loss at theta, shape (n,).
        velocity: the previous velocity, shape (n,) (zeros at the first step).
        lr: learning rate.
        momentum: the momentum coefficient m in [0, 1).

    Returns:
        tuple (theta, velocity) after the step.
    """
    ### BEGIN SOLUTION
    velocity = momentum * velocity - lr * grad
    return theta + velocity, velocity
    ### END SOLUTION


# %%
check("q2", momentum_step)

# %% [markdown]
# ### Q3 (2 points): Nesterov momentum
#
# Nesterov momentum (lecture 03, §7) is momentum with the gradient evaluated at the
# **look-ahead** point, where momentum alone is about to carry the parameters. Write one
# step in the same velocity form as Q2. That is why this function receives the gradient
# *function* `grad_fn`.


# %%
def nesterov_step(theta, grad_fn, velocity, lr, momentum):
    """One step of Nesterov momentum (look-ahead form).

    Args:
        theta: parameters, shape (n,).
        grad_fn: callable returning the gradient at a point, shape (n,) -> (n,).
        velocity: the previous velocity, shape (n,).
        lr: learning rate.
        momentum: the momentum coefficient m in [0, 1).

    Returns:
        tuple (theta, velocity) after the step.
    """
    ### BEGIN SOLUTION
    velocity = momentum * velocity - lr * grad_fn(theta + momentum * velocity)
    return theta + velocity, velocity
    ### END SOLUTION


# %%
check("q3", nesterov_step)

# %% [markdown]
# ### Q4 (2 points): one epoch of mini-batch SGD
#
# For linear regression, each mini-batch's loss is its mean squared error
# $\frac1B\sum_{i \in \text{batch}} (x_i^\top w - y_i)^2$. Derive its gradient with respect
# to `w` (shape (D,)), then write one epoch: one plain SGD step per mini-batch of your
# `minibatches`, passing it the `rng` you receive. Return the weights after the epoch.


# %%
def linear_regression_epoch(w, X, y, batch_size, lr, rng):
    """One epoch of mini-batch SGD on the mean squared error of X @ w.

    Args:
        w: weights, shape (D,).
        X: inputs, shape (N, D).
        y: targets, shape (N,).
        batch_size: examples per batch.
        lr: learning rate.
        rng: numpy Generator passed to minibatches.

    Returns:
        the weights after the epoch, shape (D,).
    """
    ### BEGIN SOLUTION
    for X_b, y_b in minibatches(X, y, batch_size, rng):
        w = w - lr * 2 * X_b.T @ (X_b @ w - y_b) / len(y_b)
    return w
    ### END SOLUTION


# %%
check("q4", linear_regression_epoch)

# %% [markdown]
# ## Part C: compare
#
# On an elongated quadratic (condition number 50), count the steps each method needs to get
# the loss below $10^{-6}$, with the same learning rate.

# %%
surface = IllConditionedQuadratic(50.0)


def path_until_converged(step):
    """Points visited by step(theta, velocity) -> (theta, velocity) until the loss < 1e-6."""
    theta, v, path = surface.start.copy(), np.zeros(2), [surface.start.copy()]
    while surface.value(theta) > 1e-6 and len(path) < 5000:
        theta, v = step(theta, v)
        path.append(theta)
    return np.array(path)


paths = {
    "gradient descent": path_until_converged(
        lambda t, v: momentum_step(t, surface.grad(t), v, 0.019, 0.0)
    ),
    "momentum 0.9": path_until_converged(
        lambda t, v: momentum_step(t, surface.grad(t), v, 0.019, 0.9)
    ),
    "Nesterov 0.9": path_until_converged(
        lambda t, v: nesterov_step(t, surface.grad, v, 0.019, 0.9)
    ),
}
for name, path in paths.items():
    print(f"{name:17s} {len(path) - 1:5d} steps")
contour_with_paths(surface, {k: p[:60] for k, p in paths.items()})
plt.title("the first 60 steps on a quadratic with condition number 50")
plt.show()

# %% [markdown]
# **The same comparison on a small network.** A 1-16-1 tanh network fits 128 noisy samples
# of $\sin(2x)$ with the mean squared error. Its 49 parameters live in one vector `theta`;
# `net_loss_and_grad(theta, X, y)` returns the loss on `(X, y)` and its gradient, written
# by hand as in lecture 01 and checked below against a numerical gradient. Then full-batch
# steps with your functions, learning rate 0.1, until the loss is at most 0.05.

# %%
data_rng = np.random.default_rng(0)
X_net = data_rng.uniform(-2.0, 2.0, size=(128, 1))
y_net = np.sin(2 * X_net[:, 0]) + 0.1 * data_rng.standard_normal(128)
HIDDEN = 16
theta_net = np.random.default_rng(1).normal(size=3 * HIDDEN + 1)
theta_net[HIDDEN:] *= np.repeat([0.0, 0.25, 0.0], [HIDDEN, HIDDEN, 1])  # b1 = 0, small W2, b2 = 0


def net_loss_and_grad(theta, X, y):
    """Mean squared error of the 1-16-1 tanh net on X (B, 1), y (B,); gradient shape (49,)."""
    W1, b1, W2, b2 = np.split(theta, [HIDDEN, 2 * HIDDEN, 3 * HIDDEN])
    h = np.tanh(X * W1 + b1)  # (B, 16)
    d_out = 2 * (h @ W2 + b2 - y) / len(y)  # dL/d(output), (B,)
    d_pre = np.outer(d_out, W2) * (1 - h**2)  # dL/d(pre-activation), (B, 16)
    grad = np.concatenate([X[:, 0] @ d_pre, d_pre.sum(axis=0), h.T @ d_out, [d_out.sum()]])
    return np.mean((h @ W2 + b2 - y) ** 2), grad


def net_grad(theta):
    return net_loss_and_grad(theta, X_net, y_net)[1]


numeric = numerical_gradient(lambda t: net_loss_and_grad(t, X_net, y_net)[0], theta_net.copy())
err = rel_error(net_grad(theta_net), numeric)
print(f"gradient vs numerical gradient: relative error {format_bound(err, 1e-8)}")
print(f"loss at the start: {net_loss_and_grad(theta_net, X_net, y_net)[0]:.3f}")


# %%
def net_steps_to_target(step, target=0.05, max_steps=2000):
    """Full-batch steps of step(theta, velocity) -> (theta, velocity) until the loss <= target."""
    theta, v, steps = theta_net.copy(), np.zeros_like(theta_net), 0
    while net_loss_and_grad(theta, X_net, y_net)[0] > target and steps < max_steps:
        theta, v = step(theta, v)
        steps += 1
    return steps


for name, step in {
    "gradient descent": lambda t, v: momentum_step(t, net_grad(t), v, 0.1, 0.0),
    "momentum 0.9": lambda t, v: momentum_step(t, net_grad(t), v, 0.1, 0.9),
    "Nesterov 0.9": lambda t, v: nesterov_step(t, net_grad, v, 0.1, 0.9),
}.items():
    print(f"{name:17s} {net_steps_to_target(step):5d} steps to a loss of 0.05")

# %% [markdown]
# ## Part D: batch size and the updates to a target loss
#
# ### Q5 (3 points): count the updates
#
# Write `updates_to_target(loss_and_grad, theta, X, y, batch_size, lr, target, rng)`, for
# any model: `loss_and_grad(theta, X, y)` returns the model's loss on `(X, y)` and its
# gradient with respect to `theta`, like `net_loss_and_grad` above. Start from `theta`, run
# plain mini-batch SGD (your `minibatches`, passing it the `rng` you receive), epoch after
# epoch, and return the number of updates (an int) after which the loss on all of `X` first
# is at most `target`. Measure that loss after every update. Give up after `MAX_UPDATES` =
# 3000 updates and return 3000. (The check runs it on the linear regression of Q4 from
# $w = 0$.)

# %%
MAX_UPDATES = 3000


def updates_to_target(loss_and_grad, theta, X, y, batch_size, lr, target, rng):
    """Updates of mini-batch SGD from theta until the loss on all of X is <= target.

    Args:
        loss_and_grad: callable (theta, X, y) -> (loss, gradient shaped like theta).
        theta: the starting parameters, shape (P,).
        X: inputs, shape (N, D).
        y: targets, shape (N,).
        batch_size: examples per batch.
        lr: learning rate.
        target: the loss to reach.
        rng: numpy Generator passed to minibatches.

    Returns:
        the number of updates (an int), at most MAX_UPDATES.
    """
    ### BEGIN SOLUTION
    updates = 0
    while updates < MAX_UPDATES:
        for X_b, y_b in minibatches(X, y, batch_size, rng):
            theta = theta - lr * loss_and_grad(theta, X_b, y_b)[1]
            updates += 1
            if loss_and_grad(theta, X, y)[0] <= target or updates == MAX_UPDATES:
                return updates
    return updates
    ### END SOLUTION


# %%
check("q5", updates_to_target)

# %% [markdown]
# **The experiment.** Train the network of Part C with mini-batches of size 1 to the whole
# data set. Scale the learning rate with the batch size (the linear scaling rule of lecture
# 03, §5), up to a cap of 0.15 above which the full-batch steps would become unstable, and
# count the updates and the epochs each run needs to reach a loss of 0.05. Each row is the
# median of three seeds.

# %%
print("batch size      lr  updates  epochs")
for batch_size in [1, 4, 16, 64, 128]:
    lr = min(0.01 * batch_size, 0.15)
    runs = [
        updates_to_target(
            net_loss_and_grad,
            theta_net,
            X_net,
            y_net,
            batch_size,
            lr,
            0.05,
            np.random.default_rng(s),
        )
        for s in range(3)
    ]
    updates = int(np.median(runs))
    print(f"{batch_size:10d} {lr:7.3f} {updates:8d} {updates * batch_size / 128:7.2f}")

# %% [markdown]
# **Question W1 (2 points, written, graded by hand).** In the table, over which batch sizes
# do the updates fall in proportion to the batch size, and where do they stop falling? Why
# there, and what does it mean for the computation (the epochs) each batch size needs?
# Answer in two or three sentences in the cell below.

# %% [markdown]
# ### BEGIN SOLUTION
# While the learning rate can grow with the batch size, each update of a B times larger
# batch does about the work of B small updates, so the updates fall like 1/B and the epochs
# stay about the same. Once the learning rate hits its cap (stability of the full-batch
# step), larger batches only reduce the noise of a step whose size cannot grow: the updates
# stop falling and the epochs, the computation, grow in proportion to the batch size.
# ### END SOLUTION

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
