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
# pieces yourself, add label smoothing, and see with your own training loop why
# cross-entropy trains where mean squared error on probabilities stalls.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `log_softmax(z)`: stable for any logits | 2 |
# | Q2 | `cross_entropy(logits, labels, label_smoothing)`: loss and gradient | 3 |
# | Q3 | `mse_on_softmax(logits, labels)`: MSE between probabilities and one-hot, with gradient | 2 |
# | Q4 | `train_softmax_regression(X, y, loss_fn, lr, steps)`: full-batch gradient descent | 3 |
#
# Part C asks a written question (not graded by the checks; your instructor reads it).
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it: it compares your function with PyTorch on
# several inputs and prints what passed or, for a failing case, the input, the expected and
# the actual output, and a hint. Cells that use your functions raise `NotImplementedError`
# until you have answered; *Run All* carries on past them.
#
# **Rules.** Use NumPy only: not `torch`, and not `course_lib.losses` (it contains the
# answers). Keep the function names and arguments; you may add cells. Before you submit, run
# *Kernel → Restart and Run All*: the grader runs your notebook the same way.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import matplotlib.pyplot as plt
import numpy as np

from course_lib.data import make_blobs
from course_lib.homework.hw05 import check
from course_lib.plots import use_style

use_style()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part A: stable softmax losses
#
# ### Q1 (2 points): log-softmax
#
# $\log \mathrm{softmax}(z)_j = z_j - \log\sum_k e^{z_k}$. Computed naively, $e^{1000}$
# overflows. Subtracting the row maximum $m$ first changes nothing mathematically,
# $z_j - m - \log\sum_k e^{z_k - m}$, and keeps every exponent $\le 0$.

# %%
def log_softmax(z):
    """Row-wise log-softmax, stable for any finite logits.

    Args:
        z: logits, shape (N, C).

    Returns:
        array (N, C) of log-probabilities; each row's exp sums to 1.
    """
    ### BEGIN SOLUTION
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    ### END SOLUTION


# %%
check("q1", log_softmax)

# %% [markdown]
# ### Q2 (3 points): cross-entropy with label smoothing
#
# **Label smoothing** trains against a softened target: with $C$ classes and smoothing $s$,
# $t = (1 - s)\,\text{one\_hot}(y) + s / C$. The loss is the mean over examples of
# $-\sum_c t_c \log p_c$, and its gradient with respect to the logits is $(p - t)/N$, the
# same form as with hard labels. PyTorch: `F.cross_entropy(..., label_smoothing=s)`.

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
    n, c = logits.shape
    target = np.full((n, c), label_smoothing / c)
    target[np.arange(n), labels] += 1.0 - label_smoothing
    log_p = log_softmax(logits)
    loss = -(target * log_p).sum() / n
    return loss, (np.exp(log_p) - target) / n
    ### END SOLUTION


# %%
check("q2", cross_entropy)

# %% [markdown]
# ### Q3 (2 points): mean squared error on probabilities
#
# The alternative the lecture warns about: $L = \frac1N\sum_i \sum_c (p_{ic} - y_{ic})^2$
# with $p = \mathrm{softmax}(z)$. Its gradient passes through the softmax Jacobian,
# $\partial p_c / \partial z_j = p_c([c = j] - p_j)$.

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
    n, c = logits.shape
    p = np.exp(log_softmax(logits))
    diff = p - np.eye(c)[labels]
    dp = 2 * diff / n
    dz = p * (dp - (dp * p).sum(axis=1, keepdims=True))
    return (diff**2).sum() / n, dz
    ### END SOLUTION


# %%
check("q3", mse_on_softmax)

# %% [markdown]
# At a badly wrong, confident prediction the difference is stark: the cross-entropy gradient
# is large, the MSE gradient almost zero.

# %%
z, y = np.array([[12.0, -3.0, 0.5]]), np.array([1])
for name, loss_fn in [("cross-entropy", cross_entropy), ("MSE on softmax", mse_on_softmax)]:
    loss, grad = loss_fn(z, y)
    print(f"{name:15s} loss {loss:8.4f}  gradient norm {np.linalg.norm(grad):.2e}")

# %% [markdown]
# ## Part B: training
#
# ### Q4 (3 points): softmax regression by gradient descent
#
# Logits are $XW + b$. Start from zeros, and at every step compute the loss and its gradient
# with `loss_fn`, record the loss, and update $W \leftarrow W - \eta X^\top \partial L/\partial z$,
# $b \leftarrow b - \eta \sum_i \partial L/\partial z_i$.

# %%
def train_softmax_regression(X, y, loss_fn, lr, steps):
    """Full-batch gradient descent for a linear classifier.

    Args:
        X: inputs, shape (N, D).
        y: integer labels in [0, C), shape (N,), with C = y.max() + 1.
        loss_fn: callable (logits, labels) -> (loss, dlogits), e.g. your cross_entropy.
        lr: learning rate.
        steps: number of updates.

    Returns:
        tuple (W, b, losses): W (D, C), b (C,), and the loss before each update, shape (steps,).
    """
    ### BEGIN SOLUTION
    c = int(y.max()) + 1
    W, b = np.zeros((X.shape[1], c)), np.zeros(c)
    losses = []
    for _ in range(steps):
        loss, dz = loss_fn(X @ W + b, y)
        losses.append(loss)
        W = W - lr * X.T @ dz
        b = b - lr * dz.sum(axis=0)
    return W, b, np.array(losses)
    ### END SOLUTION


# %%
check("q4", train_softmax_regression)

# %% [markdown]
# ## Part C: cross-entropy vs MSE from a bad start
#
# Train the same classifier with each loss, starting from a deliberately bad point: we add
# a large constant to the logits of class 0, so every example is confidently predicted as
# class 0.

# %%
X, y = make_blobs(n_samples=150, centers=3, seed=0)
bad_bias = np.array([8.0, 0.0, 0.0])
curves = {}
for name, loss_fn in [("cross-entropy", cross_entropy), ("MSE on softmax", mse_on_softmax)]:
    shifted_loss = lambda z, t, f=loss_fn: f(z + bad_bias, t)  # noqa: E731
    W, b, losses = train_softmax_regression(X, y, shifted_loss, 0.5, 200)
    accuracy = np.mean(np.argmax(X @ W + b + bad_bias, axis=1) == y)
    curves[name] = losses / losses[0]
    print(f"{name:15s} accuracy after 200 steps: {accuracy:.3f}")
for name, curve in curves.items():
    plt.plot(curve, label=name)
plt.xlabel("step")
plt.ylabel("loss / initial loss")
plt.title("the same model from a bad start")
plt.legend()
plt.show()

# %% [markdown]
# **Question (written, not auto-graded).** Why does MSE on softmax probabilities make
# almost no progress at first while cross-entropy does? Answer in two or three sentences,
# using the gradient norms printed in Part A.

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
