# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 01 — Backpropagation
#
# In lecture 01 you derived the gradients of a two-layer network by hand and built a scalar
# autograd engine. Here you write them yourself, derive one layer the lecture did not, and
# train your network on real handwritten digits:
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `affine_backward(dout, x, W)`: gradients of `out = x @ W + b` | 2 |
# | Q2 | `relu_backward(dout, x)`: gradient of `out = max(x, 0)` | 1 |
# | Q3 | `softmax_loss(scores, y)`: softmax cross-entropy and its gradient | 2 |
# | Q4 | `two_layer_loss(params, X, y, reg)`: the loss and all four gradients of the net | 3 |
# | Q5 | `sin(x)`: a new operation for `course_lib.autograd.Value` | 1 |
# | Q6 | `power(a, b)`: `a ** b` for two `Value`s | 1 |
# | Q7 | `silu_backward(dout, x)`: derive, then implement, a layer the lecture skipped | 2 |
# | Q8 | `train_two_layer(X, y, rng)`: train the net; judged on digits it never sees | 2 |
# | W1 | a written answer about Q8's experiment (graded by hand) | 2 |
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it. The check compares your function with
# PyTorch on several inputs and prints what passed or, for a failing case, the input, the
# expected and the actual output, what mistake it looks like, and a hint. The grade counts
# only hidden cases of the same kinds, made from a secret seed, so code that only fits the
# printed cases earns nothing; and a mistake the check recognises earns nothing on its
# question.
# Cells that use your functions raise `NotImplementedError` until you have answered;
# *Run All* carries on past them.
#
# **Rules.** Use NumPy and `math` only: not `torch`, and not `course_lib.layers` or
# `course_lib.losses` (they contain the answers). Keep the function names and arguments.
# You may add cells. Before you submit, run *Kernel → Restart and Run All* and check that
# every check passes; the grader runs your notebook the same way, in a fresh kernel.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from course_lib.autograd import Value
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.homework.hw01 import check, digits_split
from course_lib.plots import color, use_style

use_style()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Part A: the backward pass of a two-layer network
#
# The network maps a batch `X` of shape (N, D) to class scores of shape (N, C):
#
# $$h = \mathrm{ReLU}(X W_1 + b_1), \qquad s = h W_2 + b_2, \qquad
# L = \frac{1}{N}\sum_i -\log \mathrm{softmax}(s_i)_{y_i} + \lambda\left(\lVert W_1\rVert^2 + \lVert W_2\rVert^2\right).$$
#
# Backpropagation walks this chain from the loss back to the weights. Each stage receives
# `dout` = ∂L/∂(its output) and returns the gradients with respect to its inputs.
#
# ### Q1 (2 points): the affine layer
#
# The layer computes `out = x @ W + b` with `x` of shape (N, D), `W` (D, M) and `b` (M,);
# you receive `dout` = ∂L/∂out, shape (N, M). Return ∂L/∂x, ∂L/∂W and ∂L/∂b, each with the
# shape of what it is the gradient of. Lecture 01, §7 (matrix gradients by shape matching)
# shows how the shapes alone decide each product; the bias is shared by all N examples (§5).

# %%
def affine_backward(dout, x, W):
    """Backward pass of the affine layer out = x @ W + b.

    Args:
        dout: upstream gradient dL/d(out), shape (N, M).
        x: the layer's input, shape (N, D).
        W: the weights, shape (D, M).

    Returns:
        tuple (dx, dW, db) with shapes (N, D), (D, M), (M,).
    """
    ### BEGIN SOLUTION
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db
    ### END SOLUTION


# %%
check("q1", affine_backward)

# %% [markdown]
# ### Q2 (1 point): ReLU
#
# `out = max(x, 0)` element-wise. Given `dout` = ∂L/∂out and the input `x` (same shape),
# return ∂L/∂x. Where `x` is exactly 0 the derivative is undefined: use the value PyTorch
# uses (its ReLU counts 0 as inactive). Lecture 01, §4 shows a gate's backward pass.

# %%
def relu_backward(dout, x):
    """Backward pass of out = max(x, 0), element-wise.

    Args:
        dout: upstream gradient, any shape.
        x: the ReLU's input, same shape as dout.

    Returns:
        dx, same shape as x.
    """
    ### BEGIN SOLUTION
    return dout * (x > 0)
    ### END SOLUTION


# %%
check("q2", relu_backward)

# %% [markdown]
# ### Q3 (2 points): softmax cross-entropy
#
# For scores `s` of shape (N, C) and integer labels `y` of shape (N,), the loss is
#
# $$p_{ij} = \frac{e^{s_{ij}}}{\sum_k e^{s_{ik}}}, \qquad
# L = -\frac{1}{N}\sum_i \log p_{i y_i}.$$
#
# Return `L` (a float) and `dscores` = ∂L/∂s, shape (N, C). Derive the gradient yourself or
# follow lecture 01, §8. Real scores can be large: `np.exp(1000.0)` overflows, and one check
# case has scores in the thousands, so your function must stay finite there too.

# %%
def softmax_loss(scores, y):
    """Mean softmax cross-entropy loss and its gradient.

    Args:
        scores: class scores, shape (N, C).
        y: integer labels in [0, C), shape (N,).

    Returns:
        tuple (loss, dscores): a float and an array of shape (N, C).
    """
    ### BEGIN SOLUTION
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(y)
    loss = -log_p[np.arange(n), y].mean()
    dscores = np.exp(log_p)
    dscores[np.arange(n), y] -= 1.0
    return loss, dscores / n
    ### END SOLUTION


# %%
check("q3", softmax_loss)

# %% [markdown]
# ### Q4 (3 points): the whole network
#
# Put the pieces together. `params` is a dict with `W1` (D, H), `b1` (H,), `W2` (H, C) and
# `b2` (C,); `reg` is the λ of the loss above (the penalty is on the weights, not the
# biases). Return the loss and a dict of gradients with the same keys and shapes as
# `params`. Reuse your functions from Q1–Q3.

# %%
def two_layer_loss(params, X, y, reg):
    """Loss and gradients of affine -> ReLU -> affine -> softmax loss + L2.

    Args:
        params: dict with W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
        X: inputs, shape (N, D).
        y: integer labels, shape (N,).
        reg: the L2 strength lambda (a float >= 0).

    Returns:
        tuple (loss, grads): a float, and a dict with the keys of params holding arrays
        of the same shapes.
    """
    ### BEGIN SOLUTION
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    scores = h @ W2 + b2
    loss, dscores = softmax_loss(scores, y)
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dh, dW2, db2 = affine_backward(dscores, h, W2)
    da = relu_backward(dh, a)
    _, dW1, db1 = affine_backward(da, X, W1)
    grads = {"W1": dW1 + 2 * reg * W1, "b1": db1, "W2": dW2 + 2 * reg * W2, "b2": db2}
    return loss, grads
    ### END SOLUTION


# %%
check("q4", two_layer_loss)

# %% [markdown]
# ## Part B: two new operations for the scalar engine
#
# Every operation of `course_lib.autograd.Value` is built with `Value.from_op(data, op,
# parents, local_rule)`. The **local rule** receives `g`, the gradient of the final output
# with respect to the operation's result, and returns one gradient per parent: one step of
# the chain rule. `backward()` does the rest, including adding gradients where a value is
# used twice. For example, squaring:

# %%
def square(x):
    return Value.from_op(x.data**2, "square", (x,), lambda g: (g * 2 * x.data,))


x = Value(3.0)
f = square(x) + x  # x is used twice: df/dx = 2x + 1
f.backward()
print(f"f = {f.data:g}, df/dx = {x.grad:g} (expected {2 * 3.0 + 1:g})")

# %% [markdown]
# ### Q5 (1 point): `sin`
#
# Write `sin(x)` for a `Value` `x`: a new `Value` holding $\sin$ of `x.data`, wired into the
# graph so that `backward()` gives `x` the right gradient. The check builds three graphs
# with it: alone, with `x` used twice, and `sin` of `sin`.

# %%
def sin(x):
    """sin of a Value, as a new Value wired into the graph.

    Args:
        x: a Value.

    Returns:
        a Value with data sin(x.data) and x as its parent.
    """
    ### BEGIN SOLUTION
    return Value.from_op(math.sin(x.data), "sin", (x,), lambda g: (g * math.cos(x.data),))
    ### END SOLUTION


# %%
check("q5", sin)

# %% [markdown]
# ### Q6 (1 point): `power` with a `Value` exponent
#
# The engine's `v ** c` only accepts a constant exponent. Write `power(a, b)` $= a^b$ for two
# `Value`s with `a.data > 0`, with gradients for both. Derive the two partial derivatives
# first: as a function of `a` it is a power, as a function of `b` an exponential.

# %%
def power(a, b):
    """a ** b for two Values (a.data > 0), with gradients for both.

    Args:
        a: the base, a Value with positive data.
        b: the exponent, a Value.

    Returns:
        a Value with data a.data ** b.data and parents (a, b).
    """
    ### BEGIN SOLUTION
    out = a.data**b.data
    local_rule = lambda g: (g * b.data * a.data ** (b.data - 1), g * out * math.log(a.data))  # noqa: E731
    return Value.from_op(out, "pow", (a, b), local_rule)
    ### END SOLUTION


# %%
check("q6", power)

# %% [markdown]
# ## Part C: gradient-check your work without PyTorch
#
# The checks above compare with PyTorch. Without a reference, compare with **centered
# differences**, $\partial f/\partial x_i \approx (f(x + h e_i) - f(x - h e_i)) / 2h$:
# slow (two evaluations per parameter) but needing nothing except the loss itself.
# `course_lib.gradcheck.numerical_gradient` computes it; `rel_error` judges the match (in
# float64, below about 1e-7 means correct). This part runs once Q1–Q4 are done.

# %%
N, D, H, C = 6, 5, 7, 3
params = {"W1": rng.standard_normal((D, H)), "b1": rng.standard_normal(H),
          "W2": rng.standard_normal((H, C)), "b2": rng.standard_normal(C)}
X, y = rng.standard_normal((N, D)), rng.integers(0, C, size=N)
loss, grads = two_layer_loss(params, X, y, reg=0.05)
for name in params:
    numeric = numerical_gradient(lambda _: two_layer_loss(params, X, y, 0.05)[0], params[name])
    err = rel_error(grads[name], numeric)
    print(f"{name}: relative error vs centered differences {format_bound(err, 1e-7)}")

# %% [markdown]
# And the same idea for the new operations: one scalar, two nearby evaluations.

# %%
h = 1e-6
for a0, b0 in [(1.7, 2.5), (0.6, -1.5)]:
    a, b = Value(a0), Value(b0)
    power(a, b).backward()
    da = (a0 + h) ** b0 - (a0 - h) ** b0
    db = a0 ** (b0 + h) - a0 ** (b0 - h)
    print(f"a={a0}, b={b0}: rel error da {format_bound(rel_error(a.grad, da / (2 * h)), 1e-7)}, "
          f"db {format_bound(rel_error(b.grad, db / (2 * h)), 1e-7)}")

# %% [markdown]
# ### Q7 (2 points): derive a layer the lecture skipped
#
# The SiLU activation (also called swish) is $\mathrm{SiLU}(x) = x\,\sigma(x)$, element-wise,
# with $\sigma$ the sigmoid of lecture 01, §4. Derive $d\,\mathrm{SiLU}/dx$ on paper and
# write it using $\sigma(x)$ only (no new exponentials needed), then implement the backward
# pass: given `dout` = ∂L/∂out and the input `x` (same shape), return ∂L/∂x. Test your
# formula at one point with a centered difference before you run the check; the cell after
# the check does it for many points.

# %%
def silu_backward(dout, x):
    """Backward pass of out = x * sigmoid(x), element-wise.

    Args:
        dout: upstream gradient, any shape.
        x: the SiLU's input, same shape as dout.

    Returns:
        dx, same shape as x.
    """
    ### BEGIN SOLUTION
    gate = 1.0 / (1.0 + np.exp(-x))
    return dout * gate * (1.0 + x * (1.0 - gate))
    ### END SOLUTION


# %%
check("q7", silu_backward)

# %%
x_test = np.linspace(-6, 6, 25)


def silu(x):
    return x / (1.0 + np.exp(-x))


numeric = (silu(x_test + 1e-6) - silu(x_test - 1e-6)) / 2e-6
err = rel_error(silu_backward(np.ones_like(x_test), x_test), numeric)
print(f"silu_backward vs centered differences at 25 points: {format_bound(err, 1e-7)}")

# %% [markdown]
# ## Part D: train it on handwritten digits
#
# Your `two_layer_loss` is all a network needs to learn. The 8×8 digits of
# `course_lib.data.load_digits` have D = 64 pixels in [0, 1] and C = 10 classes. Here each
# digit is moved by a small random warp (a rotation, a shift, noise), so that the digits a
# network is judged on are images nobody has seen before.
#
# ### Q8 (2 points): train the net, judged on digits it never sees
#
# Write `train_two_layer(X, y, rng)`: from the training digits `X` (N, 64) and labels `y`
# (N,), train the two-layer network of Q4 with mini-batch gradient descent using your
# `two_layer_loss`, and return its `params` (the dict of Q4, any hidden width H). Draw
# every random number (initial weights, batch order) from `rng`. Choose the width, the
# learning rate, the batch size, the number of epochs and `reg` yourself.
#
# The check does not compare your parameters with anything: it predicts the class of
# 500 warped digits your function never received and scores the accuracy: full points from
# 0.78, half from 0.65. The grader does the same on digits warped with a secret seed, which
# no student has seen. Keep the training under about two seconds.

# %%
def train_two_layer(X, y, rng):
    """Train affine -> ReLU -> affine on (X, y) with mini-batch gradient descent.

    Args:
        X: training inputs, shape (N, D).
        y: integer labels in [0, C), shape (N,).
        rng: numpy Generator for every random choice.

    Returns:
        params: dict with W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
    """
    ### BEGIN SOLUTION
    width, lr, batch_size, epochs, reg = 64, 0.4, 50, 30, 1e-4
    n_in, n_out = X.shape[1], int(y.max()) + 1
    params = {"W1": rng.standard_normal((n_in, width)) * np.sqrt(2 / n_in),
              "b1": np.zeros(width),
              "W2": rng.standard_normal((width, n_out)) * np.sqrt(1 / width),
              "b2": np.zeros(n_out)}
    for _ in range(epochs):
        shuffled = rng.permutation(len(X))
        for first in range(0, len(X), batch_size):
            rows = shuffled[first : first + batch_size]
            _, grads = two_layer_loss(params, X[rows], y[rows], reg)
            for key in params:
                params[key] -= lr * grads[key]
    return params
    ### END SOLUTION


# %%
check("q8", train_two_layer)

# %% [markdown]
# Now measure what the check measured, on its own split: `digits_split()` returns the 1297
# warped training digits and the 500 held-out ones the check used. Train on the training
# digits, then compare the accuracy on them with the accuracy on the held-out ones, overall
# and digit by digit.

# %%
def accuracy(params, X, y):
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return np.mean(np.argmax(hidden @ params["W2"] + params["b2"], axis=1) == y)


X_train, y_train, X_held, y_held = digits_split()
trained = train_two_layer(X_train, y_train, np.random.default_rng(0))
print(f"training accuracy {accuracy(trained, X_train, y_train):.2f}, "
      f"held-out accuracy {accuracy(trained, X_held, y_held):.2f}")
digits = np.arange(10)
sets = [(X_train, y_train, "train"), (X_held, y_held, "validation")]
for offset, (X, y, label) in enumerate(sets):
    per_digit = [accuracy(trained, X[y == d], y[y == d]) for d in digits]
    plt.bar(digits + 0.4 * offset - 0.2, per_digit, width=0.4, color=color(label),
            label="training digits" if label == "train" else "held-out digits")
plt.xticks(digits)
plt.xlabel("digit")
plt.ylabel("accuracy")
plt.title("accuracy digit by digit: the digits it trained on, and new ones")
plt.legend()
plt.show()

# %% [markdown]
# **Question W1 (2 points, written, graded by hand).** Compare the two accuracies printed
# above, and the gap between them in the figure. What does the gap tell you about your
# network, and why is the net graded on digits it never saw rather than on its training
# digits? Answer in two or three sentences in the cell below.

# %% [markdown]
# ### BEGIN SOLUTION
# The training accuracy is higher than the held-out one: part of what the net learned is
# specific to the digits it was trained on (overfitting), and the figure shows it for almost
# every digit, most for the hardest ones. A score on the training digits would reward
# memorising them, which a large enough network can do perfectly; what we want is the
# accuracy on new digits, and only data the training never touched estimates it without bias.
# ### END SOLUTION

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
