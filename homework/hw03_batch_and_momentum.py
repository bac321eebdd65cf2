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
# build both from scratch, check them against PyTorch, and compare them.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `minibatches(X, y, batch_size, rng)`: one shuffled epoch of mini-batches | 2 |
# | Q2 | `momentum_step(theta, grad, velocity, lr, momentum)`: SGD with momentum | 3 |
# | Q3 | `nesterov_step(theta, grad_fn, velocity, lr, momentum)`: Nesterov momentum | 3 |
# | Q4 | `linear_regression_epoch(w, X, y, batch_size, lr, rng)`: one epoch of mini-batch SGD | 2 |
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it. The optimizer checks run your step function
# for 30 steps and compare the whole path with `torch.optim.SGD`; a failing case prints the
# input, the expected and the actual path, and a hint. Part C compares the methods.
# Cells that use your functions raise `NotImplementedError` until you have answered;
# *Run All* carries on past them.
#
# **Rules.** Use NumPy only: not `torch`, and not `course_lib.data.minibatches` or
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

from course_lib.data import make_regression
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
# One **epoch** visits every example once. Shuffle at the start of every epoch, so that the
# batches differ from epoch to epoch: draw `order = rng.permutation(len(X))` once per call,
# then yield consecutive slices of `order`. The last batch is smaller when `batch_size`
# does not divide `len(X)`. Use exactly `rng.permutation`, so that your order matches the
# check's.

# %% nbgrader={"grade": false, "grade_id": "hw03-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
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
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", minibatches)

# %% [markdown]
# ## Part B: momentum
#
# ### Q2 (3 points): SGD with momentum
#
# The **velocity** $v$ remembers past movement: $v \leftarrow m v - \eta g$, then
# $\theta \leftarrow \theta + v$. Unrolled, $v$ is a weighted sum of all past gradients with
# weights $m^k$. (PyTorch stores $b = -v/\eta$ instead; for a constant learning rate the
# points visited are the same.)

# %% nbgrader={"grade": false, "grade_id": "hw03-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
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
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", momentum_step)

# %% [markdown]
# ### Q3 (3 points): Nesterov momentum
#
# Nesterov evaluates the gradient where momentum is about to carry us, the **look-ahead**
# point: $v \leftarrow m v - \eta \nabla f(\theta + m v)$, then $\theta \leftarrow \theta + v$.
# That is why this function receives the gradient *function* `grad_fn`.

# %% nbgrader={"grade": false, "grade_id": "hw03-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
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
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", nesterov_step)

# %% [markdown]
# ### Q4 (2 points): one epoch of mini-batch SGD
#
# For linear regression with loss $\frac1B\sum_{i \in \text{batch}} (x_i^\top w - y_i)^2$ the
# gradient is $\frac2B X_b^\top (X_b w - y_b)$. Take one plain SGD step per mini-batch from
# your `minibatches`, passing it the `rng` you receive.

# %% nbgrader={"grade": false, "grade_id": "hw03-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
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
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", linear_regression_epoch)

# %% [markdown]
# ## Part C: compare
#
# On an elongated quadratic (condition number 50), count the steps each method needs to get
# the loss below $10^{-6}$, with the same learning rate.

# %% tags=["raises-exception"]
surface = IllConditionedQuadratic(50.0)


def path_until_converged(step):
    """Points visited by step(theta, velocity) -> (theta, velocity) until the loss < 1e-6."""
    theta, v, path = surface.start.copy(), np.zeros(2), [surface.start.copy()]
    while surface.value(theta) > 1e-6 and len(path) < 5000:
        theta, v = step(theta, v)
        path.append(theta)
    return np.array(path)


paths = {
    "gradient descent": path_until_converged(lambda t, v: momentum_step(t, surface.grad(t), v, 0.019, 0.0)),
    "momentum 0.9": path_until_converged(lambda t, v: momentum_step(t, surface.grad(t), v, 0.019, 0.9)),
    "Nesterov 0.9": path_until_converged(lambda t, v: nesterov_step(t, surface.grad, v, 0.019, 0.9)),
}
for name, path in paths.items():
    print(f"{name:17s} {len(path) - 1:5d} steps")
contour_with_paths(surface, {k: p[:60] for k, p in paths.items()})
plt.title("the first 60 steps on a quadratic with condition number 50")
plt.show()

# %% [markdown]
# And the batch size: with the same number of epochs, smaller batches make more updates.

# %% tags=["raises-exception"]
X, y, true_w = make_regression(n_samples=256, n_features=5, noise=0.1, seed=0, bias=0.0)
print("batch size  updates  final MSE")
for batch_size in [1, 16, 256]:
    rng, w = np.random.default_rng(0), np.zeros(5)
    for _ in range(5):
        w = linear_regression_epoch(w, X, y, batch_size, 0.01, rng)
    mse = np.mean((X @ w - y) ** 2)
    print(f"{batch_size:10d} {5 * -(-256 // batch_size):8d} {mse:10.4f}")

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
