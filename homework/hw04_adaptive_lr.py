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
# Here you write RMSProp, repair a broken Adam, write a warm-up + cosine schedule, and then
# use them to train a small network at a learning rate that only works with warm-up.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `rmsprop_step(theta, grad, square_avg, lr, alpha, eps)` | 2 |
# | Q2 | `adam_step(theta, grad, m, v, t, lr, betas, eps)`: find and fix the bugs of a draft | 4 |
# | Q3 | `warmup_cosine_lr(step, lr, warmup_steps, total_steps)` | 2 |
# | Q4 | `train_adam(seed, lr, warmup_steps, steps)`: Adam on a small network | 2 |
# | Q5 | `warmup_experiment(seeds)`: with and without warm-up at a high rate | 2 |
#
# Part C also asks a written question (2 points, read by your instructor).
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it. The optimizer checks run your step function
# for 40 steps on a toy surface and compare the whole path with `torch.optim`; the schedule
# check compares every step with `torch.optim.lr_scheduler`. A failing check names the
# mistake it recognises. The grade counts only hidden cases of the same kinds, and a mistake
# the check recognises earns nothing on its question.
#
# **Rules.** Use NumPy and `math` only: not `torch`, and not `course_lib.optim` or
# `course_lib.schedules` (they contain the answers). Keep the function names and arguments;
# you may add cells. Before you submit, run *Kernel → Restart and Run All*.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from course_lib.homework.hw04 import EXPERIMENT, check, network_problem
from course_lib.plots import color, use_style

use_style()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part A: adaptive optimizers
#
# ### Q1 (2 points): RMSProp
#
# Write one step of RMSProp as `torch.optim.RMSprop` takes it (no momentum, not centered):
# the new moving average of squared gradients and the new parameters. Lecture 04,
# section 3 has the update; PyTorch's placement of `eps` is the one to match. All arrays
# have shape (n,).


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rmsprop_step(theta, grad, square_avg, lr, alpha, eps):
    """One RMSProp step (torch.optim.RMSprop without momentum or centering).

    Args:
        theta: parameters, shape (n,).
        grad: gradient at theta, shape (n,).
        square_avg: moving average of squared gradients, shape (n,) (zeros at first).
        lr: learning rate.
        alpha: smoothing constant in [0, 1), the weight of the past.
        eps: added to the denominator.

    Returns:
        tuple (theta, square_avg) after the step.
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", rmsprop_step)

# %% [markdown]
# ### Q2 (4 points): find and fix the bugs in a draft Adam
#
# A classmate wrote the draft below. It runs, its first step even looks plausible, but its
# path leaves `torch.optim.Adam`'s after a few steps. It has *three* bugs. Find them by
# comparing it with the update of lecture 04, section 3 (what must be stored as the state?
# which correction goes with which average? where does `eps` go?), then write a correct
# `adam_step` with the same arguments. The check tells you which bug is left, if any.


# %%
def adam_step_draft(theta, grad, m, v, t, lr, betas, eps):
    """A draft of one Adam step. It does not match torch.optim.Adam: find its three bugs."""
    b1, b2 = betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad * grad
    m = m / (1 - b1**t)
    v_hat = v / (1 - b1**t)
    return theta - lr * m / np.sqrt(v_hat + eps), m, v


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam_step(theta, grad, m, v, t, lr, betas, eps):
    """One Adam step (torch.optim.Adam without weight decay or amsgrad).

    Args:
        theta, grad: parameters and the gradient there, shape (n,).
        m, v: first and second moment estimates, shape (n,) (zeros at first).
        t: the step number, starting at 1.
        lr, betas, eps: learning rate, (beta1, beta2), added to the denominator.

    Returns:
        tuple (theta, m, v) after the step: m and v are the state for the next step.
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", adam_step)

# %% [markdown]
# ## Part B: warm-up + cosine
#
# ### Q3 (2 points): the schedule
#
# Return the learning rate at step `step` (k = 0, 1, …) of the schedule lecture 04,
# section 5 built with PyTorch's `SequentialLR`: a `LinearLR` warm-up with
# `start_factor=1/3` for `warmup_steps` steps, then `CosineAnnealingLR` down to 0 at
# `total_steps`. Your function should also accept `warmup_steps = 0`: then it is the cosine
# decay alone, from `lr` at step 0 (Q4 uses that for the run without warm-up).


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def warmup_cosine_lr(step, lr, warmup_steps, total_steps):
    """The learning rate at ``step`` of a linear warm-up followed by cosine decay.

    Args:
        step: the step number k >= 0.
        lr: the peak learning rate, reached at k = warmup_steps.
        warmup_steps: w >= 0 (0: no warm-up).
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
plt.plot(steps, [warmup_cosine_lr(k, 0.1, 10, 100) for k in steps], color=color("warm-up"))
plt.xlabel("step k")
plt.ylabel("learning rate")
plt.title("warm-up for 10 steps, then cosine decay to step 100")
plt.show()

# %% [markdown]
# ## Part C: warm-up on a small network
#
# `network_problem(seed)` builds a 64 → 64 → 10 ReLU network on the 1797 digits and hands
# you its parameters (a dict of arrays), `batch_loss(params, t)` (the loss on mini-batch
# `t` = 1, 2, … of 32 digits and the gradients, a dict with the same keys) and
# `full_loss(params)` (the loss on all digits). Its docstring gives the shapes.
#
# ### Q4 (2 points): train it with your Adam and your schedule
#
# Train the network from `network_problem(seed)` for `steps` mini-batch steps with your
# `adam_step` (PyTorch's default betas and eps) at the rates of your `warmup_cosine_lr`
# with peak `lr` and `total_steps = steps`. Return the mini-batch losses, shape
# (steps,), and the full loss at the end. Every parameter array is updated at every step.


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_adam(seed, lr, warmup_steps, steps):
    """Adam with warm-up + cosine on network_problem(seed): returns (losses (steps,), final_loss)."""
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", train_adam)

# %% [markdown]
# ### Q5 (2 points): the experiment
#
# `EXPERIMENT` holds a peak rate far above Adam's default, a warm-up length and a number of
# steps. For every seed in `seeds`, train once without warm-up (`warmup_steps = 0`) and
# once with the warm-up, at the same peak rate. Return a dict with keys `"no warm-up"` and
# `"warm-up"`, each an array of the final full losses, one per seed. The check asks for
# the median of each to be on the right side of a threshold measured over many seeds.


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def warmup_experiment(seeds):
    """Final full losses of Adam at EXPERIMENT's peak rate, without and with warm-up.

    Returns:
        dict {"no warm-up": array (len(seeds),), "warm-up": array (len(seeds),)}.
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q5", warmup_experiment)

# %% [markdown]
# The first steps, where the two runs differ most: how far does each coordinate move at
# step 1 compared with the size of the initial weights?

# %% tags=["raises-exception"]
params, batch_loss, _ = network_problem(0)
loss, grads = batch_loss(params, 1)
W0 = params["W0"]
for name, warmup in (("no warm-up", 0), ("warm-up", EXPERIMENT["warmup"])):
    rate = warmup_cosine_lr(0, EXPERIMENT["lr"], warmup, EXPERIMENT["steps"])
    moved, _, _ = adam_step(W0, grads["W0"], 0 * W0, 0 * W0, 1, rate, (0.9, 0.999), 1e-8)
    print(f"{name:10s}: step 1 moves W0 by {np.abs(moved - W0).max():.3f} at most")
print(f"initial |W0| entries: median {np.median(np.abs(W0)):.3f}")

# %% [markdown]
# **Question (written, 2 points).** Why does the run without warm-up fail at this learning
# rate while the warmed-up one trains? Answer in three or four sentences, using the
# first-step sizes printed above and lecture 04, section 5.

# %% [markdown] nbgrader={"grade": false, "grade_id": "hw04-answer-6", "locked": false, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
