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
# its direction of negative curvature, and take Newton steps.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `hessian_of_f(p)`: the Hessian of f(x, y) = x³ + y³ − 3xy by hand | 2 |
# | Q2 | `autograd_hessian(f, x)`: any function's Hessian with `torch.autograd.grad` | 2 |
# | Q3 | `classify(H, tol)`: minimum, maximum, saddle point or degenerate | 2 |
# | Q4 | `escape_direction(H)`: the most negative eigenvalue and its unit eigenvector | 2 |
# | Q5 | `newton_step(x, g, H)`: one Newton step | 2 |
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it: it compares your function with a reference
# on several inputs and prints what passed or, for a failing case, the input, the expected
# and the actual value, and a hint.
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
import numpy as np
import torch

from course_lib.homework.hw02 import check, f_xy

torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Part A: Hessians
#
# Our running example is
#
# $$f(x, y) = x^3 + y^3 - 3xy, \qquad \nabla f = \begin{pmatrix} 3x^2 - 3y \\ 3y^2 - 3x \end{pmatrix}.$$
#
# Its gradient vanishes where $y = x^2$ and $x = y^2$: at $(0, 0)$ and $(1, 1)$.
#
# ### Q1 (2 points): the Hessian by hand
#
# Differentiate once more. The **Hessian** is the matrix $H_{ij} = \partial^2 f / \partial
# p_i \partial p_j$; for a smooth function it is symmetric.

# %%
def hessian_of_f(p):
    """Hessian of f(x, y) = x**3 + y**3 - 3*x*y, in closed form.

    Args:
        p: array of shape (2,), the point (x, y).

    Returns:
        array of shape (2, 2).
    """
    ### BEGIN SOLUTION
    return np.array([[6.0 * p[0], -3.0], [-3.0, 6.0 * p[1]]])
    ### END SOLUTION


# %%
check("q1", hessian_of_f)

# %% [markdown]
# ### Q2 (2 points): any Hessian with autograd
#
# By hand does not scale. Autograd differentiates twice: first
# `g = torch.autograd.grad(f(x), x, create_graph=True)[0]` keeps the graph of the gradient
# itself, then the gradient of each component `g[i]` is row `i` of the Hessian.

# %%
def autograd_hessian(f, x):
    """Hessian of a scalar torch function by differentiating its gradient.

    Args:
        f: callable mapping a float64 tensor of shape (n,) to a scalar tensor.
        x: float64 tensor of shape (n,), the point.

    Returns:
        array or tensor of shape (n, n).
    """
    ### BEGIN SOLUTION
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(len(x))]
    return torch.stack(rows).detach()
    ### END SOLUTION


# %%
check("q2", autograd_hessian)

# %% [markdown]
# The two answers must agree. At a random point:

# %%
p = np.array([0.7, -1.3])
by_hand = hessian_of_f(p)
by_autograd = np.asarray(autograd_hessian(f_xy, torch.tensor(p)))
print(f"max |by hand - by autograd| = {np.max(np.abs(by_hand - by_autograd)):.1e}")

# %% [markdown]
# ### Q3 (2 points): classify a critical point
#
# Near a critical point $\theta'$, $L(\theta) \approx L(\theta') + \tfrac12 v^\top H v$ with
# $v = \theta - \theta'$. If every eigenvalue of $H$ is positive, every direction goes up: a
# **local minimum**. All negative: a **local maximum**. Both signs: a **saddle point**. Treat
# $|\lambda| \le$ `tol` as zero; with zeros and no mixed signs the Hessian cannot decide:
# return `"degenerate"`.

# %%
def classify(H, tol=1e-6):
    """Kind of critical point from the Hessian there.

    Args:
        H: symmetric array of shape (n, n).
        tol: eigenvalues with |lambda| <= tol count as zero.

    Returns:
        "local minimum", "local maximum", "saddle point" or "degenerate".
    """
    ### BEGIN SOLUTION
    lam = np.linalg.eigvalsh(H)
    positive, negative = lam > tol, lam < -tol
    if positive.all():
        return "local minimum"
    if negative.all():
        return "local maximum"
    if positive.any() and negative.any():
        return "saddle point"
    return "degenerate"
    ### END SOLUTION


# %%
check("q3", classify)

# %%
for point in [(0.0, 0.0), (1.0, 1.0)]:
    print(f"f at {point}: {classify(hessian_of_f(np.array(point)))}")

# %% [markdown]
# ## Part B: escaping a saddle point
#
# At a saddle the gradient is zero, so gradient descent does not move. The Hessian still
# shows the way out: along a unit eigenvector $u$ with eigenvalue $\lambda < 0$,
# $L(\theta' + \eta u) \approx L(\theta') + \tfrac12 \lambda \eta^2 < L(\theta')$.
#
# ### Q4 (2 points): the escape direction
#
# Return the smallest eigenvalue and its unit eigenvector (either sign is accepted).

# %%
def escape_direction(H):
    """The direction of most negative curvature.

    Args:
        H: symmetric array of shape (n, n).

    Returns:
        tuple (lambda_min, u): the smallest eigenvalue (a float) and a unit eigenvector
        for it, shape (n,).
    """
    ### BEGIN SOLUTION
    lam, vectors = np.linalg.eigh(H)
    return float(lam[0]), vectors[:, 0]
    ### END SOLUTION


# %%
check("q4", escape_direction)

# %% [markdown]
# Step away from the saddle of $f$ at the origin and compare the loss change with the
# second-order prediction $\tfrac12\lambda\eta^2$ (the cubic terms make up the difference).

# %%
lam, u = escape_direction(hessian_of_f(np.zeros(2)))
for eta in [0.1, 0.01]:
    change = f_xy(eta * u) - f_xy(np.zeros(2))
    print(f"eta = {eta}: f changes by {change:.3e}, prediction {0.5 * lam * eta**2:.3e}")

# %% [markdown]
# ## Part C: Newton's method
#
# Newton's method jumps to the minimum of the local quadratic model:
# $x_{\text{new}} = x - H^{-1} g$. On a quadratic function that is the exact minimum in one
# step; elsewhere it converges fast once close. Solve $H d = g$ instead of inverting $H$.
#
# ### Q5 (2 points): one Newton step

# %%
def newton_step(x, g, H):
    """One Newton step.

    Args:
        x: the current point, shape (n,).
        g: the gradient at x, shape (n,).
        H: the Hessian at x, shape (n, n), invertible.

    Returns:
        the new point x - H^{-1} g, shape (n,).
    """
    ### BEGIN SOLUTION
    return x - np.linalg.solve(H, g)
    ### END SOLUTION


# %%
check("q5", newton_step)

# %% [markdown]
# Newton's method looks for a zero of the gradient, not for a minimum: started near the
# minimum it converges to $(1, 1)$ in a few steps, started near the saddle it converges to
# the saddle. That is one reason it is not used naively for neural networks, whose critical
# points are mostly saddles.

# %%
def grad_f(p):
    x, y = p
    return np.array([3 * x**2 - 3 * y, 3 * y**2 - 3 * x])


for start in [(1.5, 0.7), (0.2, -0.1)]:
    p = np.array(start)
    for _ in range(6):
        p = newton_step(p, grad_f(p), hessian_of_f(p))
    print(f"from {start}: after 6 steps at {np.round(p, 6) + 0.0}, a {classify(hessian_of_f(p))}")

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
