# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 05 — Classification losses
#
# Lecture 05 compared losses for classification. Here you write the numerically stable
# pieces yourself, derive the gradient of a loss the lecture did not differentiate (label
# smoothing), and see on a real network why cross-entropy trains where mean squared error
# on probabilities stalls.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `log_softmax(z)`: stable for any logits | 2 |
# | Q2 | `cross_entropy(logits, labels, label_smoothing)`: derive the gradient, then implement | 3 |
# | Q3 | `mse_on_softmax(logits, labels)`: MSE between probabilities and one-hot, with gradient | 2 |
# | Q4 | `train_softmax_regression(X, y, loss_fn, lr, steps)`: full-batch gradient descent | 2 |
# | Q5 | `bad_start_experiment(seed)`: an MLP from a saturated start, with each loss | 2 |
#
# Part C also asks a written question (2 points, read by your instructor).
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it: it compares your function with PyTorch and
# prints what passed or, for a failing case, the input, the expected and the actual output,
# the mistake it recognises and a hint. The grade counts only hidden cases of the same
# kinds, and a mistake the check recognises earns nothing on its question.
#
# **Rules.** Use NumPy only: not `torch`, and not `course_lib.losses` (it contains the
# answers). Keep the function names and arguments. Before you submit, run *Kernel → Restart
# and Run All*.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import matplotlib.pyplot as plt
import numpy as np

from course_lib.data import make_blobs
from course_lib.homework.hw05 import EXPERIMENT, check, mlp_problem
from course_lib.plots import use_style

use_style()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part A: stable softmax losses
#
# ### Q1 (2 points): log-softmax
#
# Return the log of the softmax of each row of `z` (shape (N, C) in, (N, C) out), without
# overflow or `log(0)` for any finite logits: one check case has logits in the thousands.
# Lecture 05, section 2 shows how to compute the softmax stably; carry the idea over to
# its log.


# %%
def log_softmax(z):
    """Row-wise log-softmax, stable for any finite logits.

    Args:
        z: logits, shape (N, C).

    Returns:
        array (N, C) of log-probabilities; each row's exp sums to 1.
    """
    ### BEGIN SOLUTION
    top = np.max(z, axis=1, keepdims=True)
    log_norm = top + np.log(np.sum(np.exp(z - top), axis=1, keepdims=True))
    return z - log_norm
    ### END SOLUTION


# %%
check("q1", log_softmax)

# %% [markdown]
# ### Q2 (3 points): label smoothing, derived then implemented
#
# *Label smoothing* trains against a softened target instead of the one-hot vector:
# with smoothing $s$ and $C$ classes, PyTorch's target $t$ (`label_smoothing=s`) keeps
# $1 - s$ of the one-hot vector and spreads the remaining $s$ evenly over all $C$ classes
# (the true one included). The loss is the mean over the $N$ examples of the cross-entropy
# between $t$ and $p = \mathrm{softmax}(z)$.
#
# 1. On paper: write $t$, then derive $\partial L / \partial z$ for one example and then for
#    the batch mean. Lecture 05, section 3 derived it for a one-hot target; here the target
#    is soft, so redo the derivation, using only that the entries of $t$ sum to 1.
# 2. Implement it: return the loss (a float) and `dlogits` (shape (N, C)). Use your
#    `log_softmax`.


# %%
def cross_entropy(logits, labels, label_smoothing=0.0):
    """Mean cross-entropy with optional label smoothing, and its gradient.

    Args:
        logits: shape (N, C).
        labels: integer class ids, shape (N,).
        label_smoothing: s in [0, 1).

    Returns:
        tuple (loss, dlogits): a float and an array of shape (N, C).
    """
    ### BEGIN SOLUTION
    n_examples, n_classes = logits.shape
    soft = np.eye(n_classes)[labels] * (1.0 - label_smoothing) + label_smoothing / n_classes
    log_p = log_softmax(logits)
    return float(-np.sum(soft * log_p) / n_examples), (np.exp(log_p) - soft) / n_examples
    ### END SOLUTION


# %%
check("q2", cross_entropy)

# %% [markdown]
# ### Q3 (2 points): mean squared error on probabilities
#
# The alternative lecture 05, section 4 warns about: the squared distance between the
# probabilities $p = \mathrm{softmax}(z)$ and the one-hot target, summed over the classes
# and averaged over the examples. Return the loss and its gradient with respect to the
# logits, shape (N, C). The gradient must pass through the softmax.


# %%
def mse_on_softmax(logits, labels):
    """MSE between softmax probabilities and one-hot targets, and its gradient.

    Args:
        logits: shape (N, C).
        labels: integer class ids, shape (N,).

    Returns:
        tuple (loss, dlogits): a float and an array of shape (N, C).
    """
    ### BEGIN SOLUTION
    count = logits.shape[0]
    probs = np.exp(log_softmax(logits))
    residual = probs - np.eye(logits.shape[1])[labels]
    d_probs = 2.0 * residual / count
    inner = np.sum(d_probs * probs, axis=1, keepdims=True)
    return float(np.sum(residual**2) / count), probs * (d_probs - inner)
    ### END SOLUTION


# %%
check("q3", mse_on_softmax)

# %% [markdown]
# At a badly wrong, confident prediction, the two gradients:

# %%
z, y = np.array([[12.0, -3.0, 0.5]]), np.array([1])
for name, loss_fn in [("cross-entropy", cross_entropy), ("MSE on softmax", mse_on_softmax)]:
    loss, grad = loss_fn(z, y)
    print(f"{name:15s} loss {loss:8.4f}  gradient norm {np.linalg.norm(grad):.2e}")

# %% [markdown]
# ## Part B: training
#
# ### Q4 (2 points): softmax regression by gradient descent
#
# A linear classifier, logits $XW + b$ with $W$ of shape (D, C) and $b$ of shape (C,),
# $C$ = `y.max() + 1`, both starting at zero. Run `steps` steps of full-batch gradient
# descent at rate `lr`, using `loss_fn(logits, y) -> (loss, dlogits)` for the loss and its
# gradient at the logits. Return $W$, $b$ and the loss at each step before its update.


# %%
def train_softmax_regression(X, y, loss_fn, lr, steps):
    """Full-batch gradient descent for a linear classifier.

    Args: X (N, D); y (N,) labels in [0, C); loss_fn (logits, labels) -> (loss, dlogits);
    lr the learning rate; steps the number of updates.

    Returns:
        tuple (W, b, losses): W (D, C), b (C,), and the loss before each update, shape (steps,).
    """
    ### BEGIN SOLUTION
    n_classes = int(np.max(y)) + 1
    weights, bias = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
    history = np.empty(steps)
    for k in range(steps):
        history[k], d_logits = loss_fn(X @ weights + bias, y)
        weights -= lr * (X.T @ d_logits)
        bias -= lr * np.sum(d_logits, axis=0)
    return weights, bias, history
    ### END SOLUTION


# %%
check("q4", train_softmax_regression)

# %% [markdown]
# ## Part C: cross-entropy vs MSE from a bad start, on a real network
#
# `mlp_problem(seed)` gives a 64 → 32 → 10 ReLU network on 600 digits, started badly: its
# output bias makes every digit a confident 0. It returns the parameters (a dict), the
# digits `X`, `y`, and `network(params, X) -> (logits, backward)`, where
# `backward(dlogits)` returns the gradients of the parameters (its docstring has the
# shapes).
#
# ### Q5 (2 points): the experiment
#
# From this start, train the network once with your `cross_entropy` and once with your
# `mse_on_softmax`: full-batch gradient descent on all parameters with `EXPERIMENT`'s
# `lr` and `steps`. Return the training accuracy (on `X`, `y`) reached with each loss, as a
# dict with keys `"cross-entropy"` and `"MSE on softmax"`. The check asks for each to be on
# the right side of a threshold measured over many seeds.


# %%
def bad_start_experiment(seed):
    """Training accuracy of mlp_problem(seed)'s network after EXPERIMENT's steps, per loss.

    Returns:
        dict {"cross-entropy": float, "MSE on softmax": float}.
    """
    ### BEGIN SOLUTION
    accuracy = {}
    for name, loss_fn in (("cross-entropy", cross_entropy), ("MSE on softmax", mse_on_softmax)):
        params, X, y, network = mlp_problem(seed)
        for _ in range(EXPERIMENT["steps"]):
            logits, backward = network(params, X)
            grads = backward(loss_fn(logits, y)[1])
            params = {k: params[k] - EXPERIMENT["lr"] * grads[k] for k in params}
        accuracy[name] = float(np.mean(np.argmax(network(params, X)[0], axis=1) == y))
    return accuracy
    ### END SOLUTION


# %%
check("q5", bad_start_experiment)

# %% [markdown]
# The same comparison with the linear classifier of Q4, drawn: the loss relative to its
# start, from a start that adds a large constant to the logits of class 0.

# %%
X, y = make_blobs(n_samples=150, centers=3, seed=0)
bad_bias = np.array([8.0, 0.0, 0.0])
for name, loss_fn in [("cross-entropy", cross_entropy), ("MSE on softmax", mse_on_softmax)]:
    shifted_loss = lambda z, t, f=loss_fn: f(z + bad_bias, t)  # noqa: E731
    W, b, losses = train_softmax_regression(X, y, shifted_loss, 0.5, 200)
    plt.plot(losses / losses[0], label=name)
plt.xlabel("step")
plt.ylabel("loss / initial loss")
plt.title("a linear classifier from a bad start")
plt.legend()
plt.show()

# %% [markdown]
# **Question (written, 2 points).** Why does MSE on softmax probabilities make no progress
# from this start while cross-entropy trains? Answer in two or three sentences, using the
# gradient norms printed in Part A.

# %% [markdown]
# ### BEGIN SOLUTION
# The softmax is saturated at the bad start: the probability of class 0 is almost 1, so the
# softmax Jacobian p(1 − p) is almost zero and the MSE gradient, which is multiplied by it,
# nearly vanishes (a plateau). The cross-entropy gradient is p − y, which stays large exactly
# when the prediction is confidently wrong, because the log cancels the exponential of the
# softmax.
# ### END SOLUTION

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
