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
# normalization (training and inference passes, and a backward pass you derive), each
# matching `torch.nn.BatchNorm1d`, then repeat CS231n's study: how much does BN protect a
# deep network from a badly chosen weight-initialisation scale?
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `batchnorm_train(x, gamma, beta, running_mean, running_var)` | 3 |
# | Q2 | `batchnorm_eval(x, gamma, beta, running_mean, running_var)` | 2 |
# | Q3 | `batchnorm_backward(dout, x, gamma)`: derive it, then implement | 4 |
# | Q4 | `running_statistics(batches)` | 1 |
# | Q5 | `init_scale_study(seed)`: with and without BN over initialisation scales | 2 |
#
# Part D also asks a written question (2 points). PyTorch's defaults `eps = 1e-5` and
# `momentum = 0.1` hold throughout.
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it: it compares your function with PyTorch
# and names the mistake it recognises. The grade counts only hidden cases of the same kinds,
# and a mistake the check recognises earns nothing on its question.
#
# **Rules.** Use NumPy only: not `torch`, and not `course_lib.layers` (it contains the
# answers). Keep the function names and arguments. Before you submit, run *Kernel →
# Restart and Run All*.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import matplotlib.pyplot as plt
import numpy as np

from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.homework.hw06 import EXPERIMENT, check, train_network
from course_lib.plots import color, use_style

EPS, MOMENTUM = 1e-5, 0.1
use_style()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Part A: the forward passes
#
# ### Q1 (3 points): training mode
#
# For a batch `x` of shape (N, D), return what `BatchNorm1d` in training mode returns and
# stores: the output (N, D), normalised per feature with the batch's statistics and then
# scaled by `gamma` and shifted by `beta`; and the running mean and variance (D,) after
# this batch. Lecture 06, section 3 has the forward pass, section 5 the running statistics.
# One detail to get right: which variance goes where (the *unbiased* one is stored).
# Return new arrays for the statistics (do not rely on in-place updates).


# %%
def batchnorm_train(x, gamma, beta, running_mean, running_var):
    """Batch normalization in training mode.

    Args:
        x: batch, shape (N, D) with N >= 2.
        gamma, beta: scale and shift, shape (D,).
        running_mean, running_var: the running statistics before this batch, shape (D,).

    Returns:
        tuple (out, running_mean, running_var): out (N, D) and the updated statistics (D,).
    """
    ### BEGIN SOLUTION
    n = x.shape[0]
    mean, biased = np.mean(x, axis=0), np.var(x, axis=0)
    normalised = (x - mean) / np.sqrt(biased + EPS)
    new_mean = running_mean + MOMENTUM * (mean - running_mean)
    new_var = running_var + MOMENTUM * (biased * n / (n - 1) - running_var)
    return gamma * normalised + beta, new_mean, new_var
    ### END SOLUTION


# %%
check("q1", batchnorm_train)

# %% [markdown]
# ### Q2 (2 points): evaluation mode
#
# Return what `BatchNorm1d` returns in evaluation mode for inputs of shape (N, D), any
# N >= 1 (lecture 06, section 5: at inference a prediction must not depend on which other
# examples share its batch).


# %%
def batchnorm_eval(x, gamma, beta, running_mean, running_var):
    """Batch normalization in evaluation mode.

    Args:
        x: inputs, shape (N, D) (any N >= 1).
        gamma, beta: scale and shift, shape (D,).
        running_mean, running_var: the running statistics, shape (D,).

    Returns:
        out, shape (N, D).
    """
    ### BEGIN SOLUTION
    scale = gamma / np.sqrt(running_var + EPS)
    return (x - running_mean) * scale + beta
    ### END SOLUTION


# %%
check("q2", batchnorm_eval)

# %% [markdown]
# ## Part B: the backward pass, derived
#
# ### Q3 (4 points)
#
# Given the upstream gradient `dout` $= \partial L/\partial y$ (N, D) of the training-mode
# output, return $\partial L/\partial x$ (N, D), $\partial L/\partial \gamma$ (D,) and
# $\partial L/\partial \beta$ (D,).
#
# 1. On paper: write the forward pass as a graph, $x \to \mu_B,\ \sigma^2_B \to \hat x \to
#    y$. Every $x_i$ reaches every $y_j$ of its column through $\mu_B$ and $\sigma^2_B$, so
#    go backwards node by node and add the gradients where paths meet (lecture 01: sum at
#    forks). Simplify until $\partial L/\partial x$ is written with $\hat x$, $\sigma$ and
#    sums over the batch only: no loop over examples.
# 2. Implement your result. The check compares it with autograd; the cell after it checks
#    it against centered differences too.


# %%
def batchnorm_backward(dout, x, gamma):
    """Gradients of training-mode batch normalization.

    Args:
        dout: upstream gradient, shape (N, D).
        x: the forward pass's input, shape (N, D).
        gamma: scale, shape (D,).

    Returns:
        tuple (dx, dgamma, dbeta) with shapes (N, D), (D,), (D,).
    """
    ### BEGIN SOLUTION
    inv_std = 1.0 / np.sqrt(np.var(x, axis=0) + EPS)
    xhat = (x - np.mean(x, axis=0)) * inv_std
    d_beta = np.sum(dout, axis=0)
    d_gamma = np.sum(dout * xhat, axis=0)
    d_xhat_centered = dout - d_beta / x.shape[0] - xhat * d_gamma / x.shape[0]
    return gamma * inv_std * d_xhat_centered, d_gamma, d_beta
    ### END SOLUTION


# %%
check("q3", batchnorm_backward)

# %% [markdown]
# The same check without PyTorch: centered differences of $L = \sum y \cdot d$ for a random
# $d$, whose gradient with respect to $x$ is exactly what `batchnorm_backward` returns.

# %%
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
# Return the running mean and variance (each (D,)) that a fresh `BatchNorm1d` holds after
# seeing `batches` in training mode, one after the other. Start where PyTorch starts.


# %%
def running_statistics(batches):
    """Running mean and variance after a sequence of training batches.

    Args:
        batches: list of arrays, each of shape (N, D).

    Returns:
        tuple (running_mean, running_var), each of shape (D,).
    """
    ### BEGIN SOLUTION
    width = batches[0].shape[1]
    stats = (np.zeros(width), np.ones(width))
    for batch in batches:
        stats = batchnorm_train(batch, np.ones(width), np.zeros(width), *stats)[1:]
    return stats
    ### END SOLUTION


# %%
check("q4", running_statistics)

# %% [markdown]
# The running statistics approach the data's true mean and variance geometrically; the
# cell prints them after 1, 10 and 60 batches of data with mean 2 and variance 9.

# %%
batches = [2.0 + 3.0 * rng.standard_normal((32, 1)) for _ in range(60)]
for k in [1, 10, 60]:
    mean, var = running_statistics(batches[:k])
    print(f"after {k:2d} batches: running mean {mean[0]:.3f}, running var {var[0]:.3f}")

# %% [markdown]
# ## Part D: BN vs the weight-initialisation scale
#
# `train_network(seed, weight_scale, batchnorm)` trains a 64 → 32 → 32 → 32 → 10 ReLU
# network on digits with full-batch gradient descent, every weight drawn with standard
# deviation `weight_scale`, and returns its training accuracy at the last step. With
# `batchnorm=(batchnorm_train, batchnorm_backward)` each hidden layer normalises with your
# functions before its ReLU; with `batchnorm=None` it is the plain network.
#
# ### Q5 (2 points): the study
#
# For each scale in `EXPERIMENT["scales"]` (in order), train once with your BN and once
# without. Return a dict with keys `"bn"` and `"no bn"`, each an array of the accuracies,
# one per scale. The check asks for them to be on the right side of thresholds measured
# over several seeds.


# %%
def init_scale_study(seed):
    """Training accuracies with and without BN, one per scale of EXPERIMENT["scales"].

    Returns:
        dict {"bn": array (len(scales),), "no bn": array (len(scales),)}.
    """
    ### BEGIN SOLUTION
    pair = (batchnorm_train, batchnorm_backward)
    runs = {"bn": pair, "no bn": None}
    scales = EXPERIMENT["scales"]
    return {k: np.array([train_network(seed, s, bn) for s in scales]) for k, bn in runs.items()}
    ### END SOLUTION


# %%
check("q5", init_scale_study)

# %% [markdown]
# The study in a figure: the training accuracy at each weight scale, with and without BN.

# %%
study = init_scale_study(0)
for key, label in [("bn", "with BN"), ("no bn", "without BN")]:
    plt.plot(EXPERIMENT["scales"], study[key], "o-", color=color(key), label=label)
plt.xscale("log")
plt.xlabel("standard deviation of the initial weights")
plt.ylabel(f"training accuracy after {EXPERIMENT['steps']} steps")
plt.title("BN makes the initial weight scale almost irrelevant")
plt.legend()
plt.show()

# %% [markdown]
# **Question (written, 2 points).** Why does the plain network fail at the smallest and the
# largest weight scale while the BN network trains at all of them? Answer in three or four
# sentences, about the size of the activations layer after layer.

# %% [markdown]
# ### BEGIN SOLUTION
# Without BN each layer multiplies the size of the activations by about the weight scale
# times the square root of the layer width (halved by the ReLU): at 0.01 the signal and the
# gradients shrink layer after layer until the last layers see almost nothing, at 1 they
# grow until the logits are huge and the softmax is saturated, so gradient descent makes no
# progress in either case. BN divides each hidden layer's output by its own batch standard
# deviation, so whatever the weight scale, every layer passes on activations of unit size
# and the gradients neither vanish nor explode; the scale of the weights no longer matters.
# ### END SOLUTION

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
