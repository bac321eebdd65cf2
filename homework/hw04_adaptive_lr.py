# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 04 — Adaptive learning rate
#
# Lecture 04 gave every parameter its own step size and changed the global one over time.
# Here you write RMSProp, Adam with bias correction, and a warm-up + cosine schedule, each
# checked step by step against PyTorch.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `rmsprop_step(theta, grad, square_avg, lr, alpha, eps)` | 3 |
# | Q2 | `adam_step(theta, grad, m, v, t, lr, betas, eps)` | 4 |
# | Q3 | `warmup_cosine_lr(step, lr, warmup_steps, total_steps)` | 3 |
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it. The optimizer checks run your step function
# for 40 steps on a toy surface and compare the whole path with `torch.optim`; the schedule
# check compares every step with `torch.optim.lr_scheduler`. Cells that use your functions
# raise `NotImplementedError` until you have answered; *Run All* carries on past them.
#
# **Rules.** Use NumPy and `math` only: not `torch`, and not `course_lib.optim` or
# `course_lib.schedules` (they contain the answers). Keep the function names and arguments;
# you may add cells. Before you submit, run *Kernel → Restart and Run All*: the grader runs
# your notebook the same way, in a fresh kernel.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from course_lib.homework.hw04 import check
from course_lib.plots import use_style
from course_lib.surfaces import Rosenbrock

use_style()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part A: adaptive optimizers
#
# ### Q1 (3 points): RMSProp
#
# RMSProp divides each parameter's step by the root of a moving average of its squared
# gradients, so steep directions take small steps and flat ones large steps:
#
# $$s \leftarrow \alpha s + (1 - \alpha) g^2, \qquad
# \theta \leftarrow \theta - \frac{\eta}{\sqrt{s} + \epsilon}\, g .$$
#
# As in PyTorch, $\epsilon$ is added after the square root.

# %% nbgrader={"grade": false, "grade_id": "hw04-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rmsprop_step(theta, grad, square_avg, lr, alpha, eps):
    """One RMSProp step (torch.optim.RMSprop without momentum or centering).

    Args:
        theta: parameters, shape (n,).
        grad: gradient at theta, shape (n,).
        square_avg: moving average of squared gradients, shape (n,) (zeros at first).
        lr: learning rate.
        alpha: smoothing constant in [0, 1).
        eps: added to the denominator.

    Returns:
        tuple (theta, square_avg) after the step.
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", rmsprop_step)

# %% [markdown]
# ### Q2 (4 points): Adam with bias correction
#
# Adam keeps moving averages of the gradient (momentum) and of its square (RMSProp):
#
# $$m \leftarrow \beta_1 m + (1-\beta_1) g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2 .$$
#
# Both start at zero, so early on they are biased towards zero; dividing by
# $1 - \beta^t$ (with $t = 1, 2, \dots$ the step number) removes the bias:
#
# $$\hat m = \frac{m}{1-\beta_1^t}, \qquad \hat v = \frac{v}{1-\beta_2^t}, \qquad
# \theta \leftarrow \theta - \frac{\eta\, \hat m}{\sqrt{\hat v} + \epsilon}.$$

# %% nbgrader={"grade": false, "grade_id": "hw04-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam_step(theta, grad, m, v, t, lr, betas, eps):
    """One Adam step (torch.optim.Adam without weight decay or amsgrad).

    Args:
        theta: parameters, shape (n,).
        grad: gradient at theta, shape (n,).
        m, v: first and second moment estimates, shape (n,) (zeros at first).
        t: the step number, starting at 1.
        lr: learning rate.
        betas: (beta1, beta2).
        eps: added to the denominator.

    Returns:
        tuple (theta, m, v) after the step.
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", adam_step)

# %% [markdown]
# Without the correction the early steps are off: at $t = 1$, $m / \sqrt{v} = 0.1 g /
# \sqrt{0.001 g^2} \approx \pm 3.2$, a step three times the learning rate, and the ratio keeps
# drifting while the two averages warm up at different speeds. With the correction,
# $\hat m / \sqrt{\hat v} = \pm 1$ at the first step, which therefore moves each coordinate by
# almost exactly the learning rate:

# %% tags=["raises-exception"]
theta0, g = np.array([-1.2, 1.0]), Rosenbrock().grad(np.array([-1.2, 1.0]))
theta1, _, _ = adam_step(theta0, g, np.zeros(2), np.zeros(2), 1, 0.01, (0.9, 0.999), 1e-8)
print(f"first Adam step with lr 0.01: {theta1 - theta0}")

# %% [markdown]
# ## Part B: warm-up + cosine
#
# ### Q3 (3 points): the schedule
#
# Start at a third of the learning rate and grow linearly to `lr` during `warmup_steps`
# (PyTorch's `LinearLR` with `start_factor=1/3`), then follow half a cosine down to 0 at
# `total_steps` (`CosineAnnealingLR`):
#
# $$\eta_k = \begin{cases} \eta\left(\tfrac13 + \tfrac23 \tfrac{k}{w}\right) & k < w \\
# \tfrac{\eta}{2}\left(1 + \cos\left(\pi \tfrac{k - w}{T - w}\right)\right) & k \ge w \end{cases}$$

# %% nbgrader={"grade": false, "grade_id": "hw04-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def warmup_cosine_lr(step, lr, warmup_steps, total_steps):
    """The learning rate at ``step`` of a linear warm-up followed by cosine decay.

    Args:
        step: the step number k >= 0.
        lr: the peak learning rate, reached at k = warmup_steps.
        warmup_steps: w >= 1.
        total_steps: T > w, where the rate reaches 0.

    Returns:
        the learning rate, a float.
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", warmup_cosine_lr)

# %% tags=["raises-exception"]
steps = np.arange(101)
plt.plot(steps, [warmup_cosine_lr(k, 0.1, 10, 100) for k in steps])
plt.xlabel("step")
plt.ylabel("learning rate")
plt.title("warm-up for 10 steps, then cosine decay to step 100")
plt.show()

# %% [markdown]
# ## Part C: compare on the Rosenbrock valley
#
# 2000 steps of each from the classic start $(-1.2, 1)$; the minimum is at $(1, 1)$.
# Adam with the schedule combines the global step size $\eta$, the schedule factor and
# the per-parameter factor $1/\sqrt{\hat v}$: the composition of lecture 04. On this
# small problem the constant rate happens to end closer; try other peaks and lengths.

# %% tags=["raises-exception"]
surface = Rosenbrock()
runs = {"RMSProp lr 0.002": None, "Adam lr 0.02": None, "Adam + warm-up/cosine 0.05": None}
for name in runs:
    theta, s, m, v = surface.start.copy(), np.zeros(2), np.zeros(2), np.zeros(2)
    for t in range(1, 2001):
        g = surface.grad(theta)
        if name.startswith("RMSProp"):
            theta, s = rmsprop_step(theta, g, s, 0.002, 0.99, 1e-8)
        else:
            lr = 0.02 if name == "Adam lr 0.02" else warmup_cosine_lr(t - 1, 0.05, 100, 2000)
            theta, m, v = adam_step(theta, g, m, v, t, lr, (0.9, 0.999), 1e-8)
    runs[name] = theta
    print(f"{name:27s} ends at {theta}, loss {surface.value(theta):.2e}")

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
