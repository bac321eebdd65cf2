# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 02 — Critical points and the Hessian
#
# Lecture 02 read the shape of a loss surface from its second derivatives. Here you compute
# Hessians by hand and with autograd, classify critical points, leave a saddle point along
# its direction of negative curvature, take Newton steps, and finally hunt down every
# critical point of a surface and of a small network.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `hessian_of_f(p)`: the Hessian of Himmelblau's function, derived by hand | 2 |
# | Q2 | `autograd_hessian(f, x)`: any function's Hessian with `torch.autograd.grad` | 2 |
# | Q3 | `classify(H, tol)`: minimum, maximum, saddle point or degenerate | 2 |
# | Q4 | `escape_direction(H)`: the most negative eigenvalue and its unit eigenvector | 2 |
# | Q5 | `newton_step(x, g, H)`: one Newton step, derived from the quadratic model | 2 |
# | Q6 | `find_critical_points(grad, hess, starts, tol)`: all critical points, classified | 3 |
# | W1 | a written answer about the network's critical points (graded by hand) | 2 |
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it: it compares your function with a reference
# on several inputs and prints what passed or, for a failing case, the input, the expected
# and the actual value, what mistake it looks like, and a hint. The grade counts only hidden
# cases of the same kinds (other points, matrices, starts and data), and a mistake the
# check recognises earns nothing on its question.
# Cells that use your functions raise `NotImplementedError` until you have answered;
# *Run All* carries on past them.
#
# **Rules.** Use NumPy and `torch.autograd.grad`, not `torch.autograd.functional.hessian`
# or `course_lib.hessian` (they contain the answers). Keep the function names and
# arguments; you may add cells. Before you submit, run *Kernel → Restart and Run All*: the
# grader runs your notebook the same way, in a fresh kernel.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.gradcheck import format_bound, rel_error
from course_lib.homework.hw02 import check, f_xy, himmelblau, tanh_net, tanh_net_data
from course_lib.plots import color, use_style

torch.set_num_threads(1)
use_style()
np.set_printoptions(precision=4, suppress=True)


def gradient(f, p):
    """The gradient of a scalar torch function f at the point p (a NumPy array), by autograd."""
    point = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    return torch.autograd.grad(f(point), point)[0].numpy()

# %% [markdown]
# ## Part A: Hessians
#
# Our running example is *Himmelblau's function*, a classic test surface:
#
# $$f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 .$$
#
# It has several minima, a maximum and saddle points between them; you will find them all
# in Part D. (Lecture 02, §2 used $x^3 + y^3 - 3xy$, available here as `f_xy`.)
#
# ### Q1 (2 points): the Hessian by hand
#
# Derive the gradient of $f$ and then the **Hessian**, $H_{ij} = \partial^2 f / \partial
# p_i \partial p_j$, on paper, and return it at the point `p = (x, y)` as a (2, 2) array.

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hessian_of_f(p):
    """Hessian of Himmelblau's function, in closed form.

    Args:
        p: array of shape (2,), the point (x, y).

    Returns:
        array of shape (2, 2).
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", hessian_of_f)

# %% [markdown]
# ### Q2 (2 points): any Hessian with autograd
#
# By hand does not scale. Write `autograd_hessian(f, x)`: the Hessian of a scalar torch
# function `f` at the point `x` (a float64 tensor of shape (n,)), shape (n, n), using
# `torch.autograd.grad` twice (lecture 02, §3 shows how autograd differentiates a gradient).

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def autograd_hessian(f, x):
    """Hessian of a scalar torch function by differentiating its gradient.

    Args:
        f: callable mapping a float64 tensor of shape (n,) to a scalar tensor.
        x: float64 tensor of shape (n,), the point.

    Returns:
        array or tensor of shape (n, n).
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", autograd_hessian)

# %% [markdown]
# The two answers must agree. At a random point:

# %% tags=["raises-exception"]
p = np.array([0.7, -1.3])
by_hand = hessian_of_f(p)
by_autograd = np.asarray(autograd_hessian(himmelblau, torch.tensor(p)))
print(f"by hand vs by autograd: relative error {format_bound(rel_error(by_hand, by_autograd), 1e-12)}")

# %% [markdown]
# ### Q3 (2 points): classify a critical point
#
# Write `classify(H, tol)`: from the Hessian `H` at a critical point, return `"local
# minimum"`, `"local maximum"`, `"saddle point"`, or `"degenerate"` when the second-order
# test cannot decide (lecture 02, §2: what the eigenvalues of $H$ say). Treat eigenvalues
# with $|\lambda| \le$ `tol` as zero.

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def classify(H, tol=1e-6):
    """Kind of critical point from the Hessian there.

    Args:
        H: symmetric array of shape (n, n).
        tol: eigenvalues with |lambda| <= tol count as zero.

    Returns:
        "local minimum", "local maximum", "saddle point" or "degenerate".
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", classify)

# %% tags=["raises-exception"]
p = np.array([3.0, 2.0])
print(f"f at {p}: gradient {gradient(himmelblau, p)}, a {classify(hessian_of_f(p))}")

# %% [markdown]
# ## Part B: escaping a saddle point
#
# At a saddle the gradient is zero, so gradient descent does not move. The Hessian still
# shows the way out (lecture 02, §4).
#
# ### Q4 (2 points): the escape direction
#
# Write `escape_direction(H)`: return the smallest eigenvalue of `H` (a float) and a unit
# eigenvector for it, shape (n,) (either sign is accepted).

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def escape_direction(H):
    """The direction of most negative curvature.

    Args:
        H: symmetric array of shape (n, n).

    Returns:
        tuple (lambda_min, u): the smallest eigenvalue (a float) and a unit eigenvector
        for it, shape (n,).
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", escape_direction)

# %% [markdown]
# Step away from the saddle of `f_xy` at the origin and compare the loss change with the
# second-order prediction $\tfrac12\lambda\eta^2$ (the cubic terms make up the difference).

# %% tags=["raises-exception"]
lam, u = escape_direction(np.asarray(autograd_hessian(f_xy, torch.zeros(2, dtype=torch.float64))))
for eta in [0.1, 0.01]:
    change = f_xy(eta * u) - f_xy(np.zeros(2))
    print(f"eta = {eta}: f changes by {change:.3e}, prediction {0.5 * lam * eta**2:.3e}")

# %% [markdown]
# ## Part C: Newton's method
#
# ### Q5 (2 points): one Newton step
#
# Newton's method jumps to the stationary point of the local quadratic model of the loss
# around `x` (the second-order Taylor expansion, lecture 02, §7). Derive that point from
# the model, then write `newton_step(x, g, H)`: given the point `x` (n,), the gradient `g`
# (n,) and the Hessian `H` (n, n, invertible) there, return the new point (n,).

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def newton_step(x, g, H):
    """One Newton step.

    Args:
        x: the current point, shape (n,).
        g: the gradient at x, shape (n,).
        H: the Hessian at x, shape (n, n), invertible.

    Returns:
        the stationary point of the quadratic model around x, shape (n,).
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q5", newton_step)

# %% [markdown]
# Newton's method looks for a zero of the gradient, not for a minimum: from some starts it
# converges to a minimum of Himmelblau's function, from others to a saddle or the maximum.

# %% tags=["raises-exception"]
for start in [(2.5, 2.5), (0.0, 0.0), (-3.0, 0.0)]:
    p = np.array(start)
    for _ in range(8):
        p = newton_step(p, gradient(himmelblau, p), hessian_of_f(p))
    print(f"from {start}: after 8 steps at {np.round(p, 4) + 0.0}, a {classify(hessian_of_f(p))}")

# %% [markdown]
# ## Part D: every critical point, then a network's
#
# ### Q6 (3 points): find and classify all critical points
#
# Write `find_critical_points(grad, hess, starts, tol)`. `grad(p)` and `hess(p)` return the
# gradient (n,) and the Hessian (n, n) at a point `p` (n,); `starts` is an array (S, n) of
# starting points. From every start, run Newton's method (your Q5) for at most 50 steps,
# until the gradient norm is below `tol`; drop a start that does not get there (or whose
# Hessian is singular). Return `(points, kinds)`: the distinct points reached, an array
# (K, n), each once (points closer than 1e-6 are the same), and their kinds (your Q3), a
# list of K strings. The check judges your list: every point must be critical and rightly
# classified, none repeated, and none that Newton reaches from these starts missing.

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-6", "locked": false, "schema_version": 3, "solution": true, "task": false}
def find_critical_points(grad, hess, starts, tol=1e-10):
    """All critical points Newton's method reaches from the starts, each once, classified.

    Args:
        grad: callable, point (n,) -> gradient (n,).
        hess: callable, point (n,) -> Hessian (n, n).
        starts: array (S, n) of starting points.
        tol: a point is critical when the gradient norm is below tol.

    Returns:
        tuple (points, kinds): array (K, n) and a list of K strings.
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q6", find_critical_points)

# %% [markdown]
# **The smallest tanh network.** The network $\hat y = w_2 \tanh(w_1 x)$ has two weights.
# On 20 noisy samples of $1.5\tanh(0.8x)$ its loss is the mean squared error plus the weight
# decay $10^{-2}\lVert w\rVert^2$ of lecture 02, §5. `tanh_net(data)` returns its loss,
# gradient and Hessian in closed form; first check the Hessian against your Q2, then find
# every critical point from a grid of starts and print the kind and the loss of each.

# %% tags=["raises-exception"]
loss, grad, hess = tanh_net(tanh_net_data(seed=0))
points, kinds = np.empty((0, 2)), []  # none to draw until Q2 and Q6 are answered
w_test = np.array([0.7, -1.2])
err = rel_error(hess(w_test), np.asarray(autograd_hessian(loss, torch.tensor(w_test))))
print(f"closed-form Hessian vs your autograd_hessian: {format_bound(err, 1e-12)}")
axis = np.linspace(-3, 3, 7)
points, kinds = find_critical_points(grad, hess, np.array([(a, b) for a in axis for b in axis]))
for w, kind in sorted(zip(np.round(points, 3) + 0.0, kinds), key=lambda item: item[0][0]):
    print(f"w = ({w[0]:+.3f}, {w[1]:+.3f}): {kind:13s} loss {loss(w):.4f}")

# %% [markdown]
# The same points on the loss surface: the two minima mirror each other through the origin,
# and the saddle sits on the ridge between them.

# %%
w1, w2 = np.meshgrid(np.linspace(-3, 3, 61), np.linspace(-3, 3, 61))
surface = np.vectorize(lambda a, b: loss(np.array([a, b])))(w1, w2)
plt.contour(w1, w2, np.log(surface), levels=25, cmap="Greys_r", linewidths=0.7)
for kind, key in [("local minimum", "minimum"), ("saddle point", "highlight")]:
    found = np.array([p for p, k in zip(points, kinds) if k == kind]).reshape(-1, 2)
    plt.plot(found[:, 0], found[:, 1], "o", color=color(key), markersize=9, label=kind)
plt.xlabel("$w_1$")
plt.ylabel("$w_2$")
plt.title("critical points of the smallest tanh network (log loss)")
plt.legend()
plt.show()

# %% [markdown]
# **Question W1 (2 points, written, graded by hand).** Look at the printed critical points.
# Why do the two minima have the same loss, and why must any path from one minimum to the
# other climb to at least the loss of the saddle's region? Answer in two or three sentences
# in the cell below.

# %% [markdown] nbgrader={"grade": false, "grade_id": "hw02-answer-7", "locked": false, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
