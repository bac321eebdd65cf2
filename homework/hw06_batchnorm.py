# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 06 — Batch normalization
#
# Lecture 06 normalised activations inside the network. Here you implement batch
# normalization completely: the training forward pass with running statistics, the
# inference pass, and the backward pass, each matching `torch.nn.BatchNorm1d`.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `batchnorm_train(x, gamma, beta, running_mean, running_var)` | 3 |
# | Q2 | `batchnorm_eval(x, gamma, beta, running_mean, running_var)` | 2 |
# | Q3 | `batchnorm_backward(dout, x, gamma)` | 4 |
# | Q4 | `running_statistics(batches)` | 1 |
#
# All questions use PyTorch's defaults `eps = 1e-5` and `momentum = 0.1` (defined below).
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it: it compares your function with PyTorch on
# several inputs and prints what passed or, for a failing case, the input, the expected and
# the actual output, and a hint. Cells that use your functions raise `NotImplementedError`
# until you have answered; *Run All* carries on past them.
#
# **Rules.** Use NumPy only: not `torch`, and not `course_lib.layers` (it contains the
# answers). Keep the function names and arguments; you may add cells. Before you submit,
# run *Kernel → Restart and Run All*: the grader runs your notebook the same way.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import numpy as np

from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.homework.hw06 import check

EPS, MOMENTUM = 1e-5, 0.1
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Part A: the forward passes
#
# ### Q1 (3 points): training mode
#
# For a batch $x$ of shape (N, D), per feature: $\mu = \frac1N\sum_i x_i$,
# $\sigma^2 = \frac1N\sum_i (x_i - \mu)^2$ (biased), $\hat x = (x - \mu)/\sqrt{\sigma^2 +
# \epsilon}$ and $y = \gamma \hat x + \beta$. The running statistics move towards the
# batch's: $r_\mu \leftarrow (1 - m) r_\mu + m\mu$ and $r_{\sigma^2} \leftarrow (1 - m)
# r_{\sigma^2} + m \frac{N}{N-1}\sigma^2$: PyTorch stores the **unbiased** variance.
# Return new arrays for the statistics (do not rely on in-place updates).

# %% nbgrader={"grade": false, "grade_id": "hw06-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_train(x, gamma, beta, running_mean, running_var):
    """Batch normalization in training mode.

    Args:
        x: batch, shape (N, D) with N >= 2.
        gamma, beta: scale and shift, shape (D,).
        running_mean, running_var: the running statistics before this batch, shape (D,).

    Returns:
        tuple (out, running_mean, running_var): out (N, D) and the updated statistics (D,).
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", batchnorm_train)

# %% [markdown]
# ### Q2 (2 points): evaluation mode
#
# At inference a prediction must not depend on which other examples share its batch, so
# the running statistics replace the batch's.

# %% nbgrader={"grade": false, "grade_id": "hw06-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_eval(x, gamma, beta, running_mean, running_var):
    """Batch normalization in evaluation mode.

    Args:
        x: inputs, shape (N, D) (any N >= 1).
        gamma, beta: scale and shift, shape (D,).
        running_mean, running_var: the running statistics, shape (D,).

    Returns:
        out, shape (N, D).
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", batchnorm_eval)

# %% [markdown]
# ## Part B: the backward pass
#
# ### Q3 (4 points)
#
# In training mode every output depends on every input of its column through $\mu$ and
# $\sigma$. With $\sigma = \sqrt{\sigma^2 + \epsilon}$, summing over the batch:
#
# $$\frac{\partial L}{\partial \beta} = \sum_i d_i, \qquad
# \frac{\partial L}{\partial \gamma} = \sum_i d_i \hat x_i, \qquad
# \frac{\partial L}{\partial x_i} = \frac{\gamma}{N\sigma}\Big(N d_i - \sum_j d_j
# - \hat x_i \sum_j d_j \hat x_j\Big),$$
#
# where $d$ = `dout`. Derive it on paper first: follow $x \to \mu, \sigma^2 \to \hat x \to
# y$ backwards, adding the gradient along every path (sum at forks).

# %% nbgrader={"grade": false, "grade_id": "hw06-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_backward(dout, x, gamma):
    """Gradients of training-mode batch normalization.

    Args:
        dout: upstream gradient, shape (N, D).
        x: the forward pass's input, shape (N, D).
        gamma: scale, shape (D,).

    Returns:
        tuple (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,).
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", batchnorm_backward)

# %% [markdown]
# The same check without PyTorch: centered differences of $L = \sum y \cdot d$ for a random
# $d$, whose gradient with respect to $x$ is exactly what `batchnorm_backward` returns.

# %% tags=["raises-exception"]
x, gamma, beta = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal(4)
dout = rng.standard_normal((6, 4))
dx, dgamma, dbeta = batchnorm_backward(dout, x, gamma)
loss = lambda: np.sum(batchnorm_train(x, gamma, beta, np.zeros(4), np.ones(4))[0] * dout)  # noqa: E731
for name, array, analytic in [("x", x, dx), ("gamma", gamma, dgamma), ("beta", beta, dbeta)]:
    err = rel_error(analytic, numerical_gradient(lambda _: loss(), array))
    print(f"d{name}: relative error vs centered differences {format_bound(err, 1e-7)}")

# %% [markdown]
# ## Part C: running statistics
#
# ### Q4 (1 point)
#
# Starting from $r_\mu = 0$ and $r_{\sigma^2} = 1$ (PyTorch's initial values), feed the
# batches one by one through your Q1 update and return the final statistics.

# %% nbgrader={"grade": false, "grade_id": "hw06-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def running_statistics(batches):
    """Running mean and variance after a sequence of training batches.

    Args:
        batches: list of arrays, each of shape (N, D).

    Returns:
        tuple (running_mean, running_var), each of shape (D,).
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", running_statistics)

# %% [markdown]
# The running statistics approach the data's true mean (2) and variance (9) geometrically:
# after $k$ batches the initial values still weigh $0.9^k$.

# %% tags=["raises-exception"]
batches = [2.0 + 3.0 * rng.standard_normal((32, 1)) for _ in range(60)]
for k in [1, 10, 60]:
    mean, var = running_statistics(batches[:k])
    print(f"after {k:2d} batches: running mean {mean[0]:.3f}, running var {var[0]:.3f}")

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
