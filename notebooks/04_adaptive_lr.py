# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 04 — Adaptive learning rate
#
# When training stops making progress, the usual suspect is a critical point. More often
# the learning rate is wrong for some directions of the loss surface. We give every
# parameter its own step size (AdaGrad, RMSProp, Adam), change the global step size over
# time (learning-rate **scheduling** and **warm-up**), add AdamW, gradient clipping and a
# learning-rate range test, and check each piece against PyTorch.
#
# 1. Training stalls, but not at a critical point
# 2. AdaGrad: one learning rate per parameter
# 3. RMSProp and Adam (with bias correction)
# 4. Checking against `torch.optim`
# 5. Learning-rate scheduling and warm-up
# 6. AdaGrad's late burst, and how decay removes it
# 7. How the pieces combine
# 8. All optimizers side by side
# 9. AdamW, gradient clipping, and finding a learning rate
# 10. The library, takeaways, exercises and homework
#
# Notation: $\eta$ learning rate, $\theta$ parameters, $g_t$ gradient at step $t$ (from 1),
# $\beta$ the weight an exponential moving average gives to the *past*, $\epsilon$ a small
# constant.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from course_lib import optim, plots, schedules
from course_lib.data import load_digits, standardize, train_val_test_split
from course_lib.explorers import OptimizerExplorer
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.plots import contour_with_paths, history_curves, loss_curves, lr_curves, use_style
from course_lib.surfaces import IllConditionedQuadratic, Rosenbrock, WindingValley
from course_lib.training import fit, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. Training stalls, but not at a critical point
#
# A stalled loss does not mean the parameters sit at a **critical point**, where the
# gradient is zero. They may bounce between the walls of a valley, with a large gradient,
# because the rate is too large for the steep direction. So look at the **gradient norm**,
# not only at the loss.
#
# Take the elongated bowl $f(\mathbf p) = \tfrac12 \mathbf p^\top A \mathbf p$ with
# $A = \operatorname{diag}(1, \kappa)$ and $\kappa = 50$. A gradient-descent step
# $\mathbf p \leftarrow \mathbf p - \eta A \mathbf p$ multiplies each coordinate by
# $(1 - \eta\lambda)$, where $\lambda$ is its curvature:
#
# $$x_{t+1} = (1 - \eta)\,x_t, \qquad y_{t+1} = (1 - \eta\kappa)\,y_t .$$
#
# A coordinate shrinks only if $|1 - \eta\lambda| < 1$, that is $\eta < 2/\lambda$. At
# $\eta = 2/\kappa = 0.04$ the factor for $y$ is $-1$: $y$ flips sign forever. First, a
# helper recording the points an optimizer visits (`course_lib.optim.SGD`, lecture 03, is
# plain gradient descent).


# %%
def run(surface, make_opt, steps, start=None):
    """Points visited by ``make_opt([p])`` from ``start``: shape (T, 2), T <= steps + 1.

    Stops early when a coordinate exceeds 1e3 in size (the run diverges).
    """
    p = np.array(surface.start if start is None else start, dtype=float)
    opt = make_opt([p])
    path = [p.copy()]
    for _ in range(steps):
        opt.step([surface.grad(p)])
        path.append(p.copy())
        if np.abs(p).max() > 1e3:
            break
    return np.array(path)


# %%
valley = IllConditionedQuadratic(condition_number=50.0)
lr = 0.04
p1 = run(valley, lambda ps: optim.SGD(ps, lr=lr), 1)[1]
predicted = (1 - lr * np.array([1.0, valley.condition_number])) * valley.start
err = np.abs(p1 - predicted).max()
print(f"one step vs (1 - lr * lambda) * p0: max error {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# Now 100 steps at $\eta = 0.04$ (the steep coordinate flips forever) and at $\eta = 0.02$
# (both coordinates shrink). The loss and the gradient norm are computed along each path.

# %%
stall = {
    f"lr = {lr}": run(valley, lambda ps, lr=lr: optim.SGD(ps, lr=lr), 100) for lr in (0.04, 0.02)
}
losses = {name: valley.value(path) for name, path in stall.items()}
grad_norms = {name: np.linalg.norm(valley.grad(path), axis=1) for name, path in stall.items()}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
loss_curves(losses, xlabel="step", logy=True, title="loss: lr = 0.04 stops falling", ax=ax1)
loss_curves(
    grad_norms,
    xlabel="step",
    ylabel="gradient norm",
    logy=True,
    title="gradient norm: stays large for lr = 0.04",
    ax=ax2,
)
plt.show()

# %%
for name in stall:
    print(
        f"{name}: final loss {losses[name][-1]:.4f}, final gradient norm {grad_norms[name][-1]:.1e}"
    )

# %% [markdown]
# With $\eta = 0.04$ the loss stops falling while the gradient norm stays large (printed
# above): no critical point, the rate is just too large for $y$. With $\eta = 0.02$ both
# fall.
#
# *No fixed learning rate is both stable and fast* here. Stability along $y$ needs
# $\eta < 2/\kappa$; then $x$ shrinks by a factor of at least $1 - 2/\kappa$ per step and
# keeps at least $2.5\,(1 - 2/\kappa)^{60}$ of its distance after 60 steps (printed
# below). Just above the limit the run diverges; just below, it converges slowly while $y$
# zig-zags; a small rate crawls along $x$.

# %%
rates = {"lr 0.041 (diverges)": 0.041, "lr 0.039 (zig-zags)": 0.039, "lr 0.01 (crawls)": 0.01}
fixed = {
    name: run(valley, lambda ps, lr=lr: optim.SGD(ps, lr=lr), 60) for name, lr in rates.items()
}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
contour_with_paths(valley, {k: v for k, v in fixed.items() if "diverges" in k}, ax=ax1)
contour_with_paths(valley, {k: v for k, v in fixed.items() if "diverges" not in k}, ax=ax2)
ax1.set_title("too large: diverges along y (60 steps)")
ax2.set_title("stable: zig-zags, or crawls along x (60 steps)")
plt.show()

# %%
for name, path in fixed.items():
    print(f"{name:<22} distance to the minimum after 60 steps: {np.linalg.norm(path[-1]):8.4f}")
bound = 2.5 * (1 - 2 / valley.condition_number) ** 60
print(f"{'bound for any stable lr':<22} distance along x alone is at least:   {bound:8.4f}")
assert all(np.linalg.norm(path[-1]) > bound for path in fixed.values())
fewest = math.ceil(math.log(2.5 / 1e-3) / -math.log(1 - 2 / valley.condition_number))
for lr in (0.039, 0.01):  # both converge, but no faster than the bound allows
    dist = np.linalg.norm(run(valley, lambda ps, lr=lr: optim.SGD(ps, lr=lr), 2000), axis=1)
    print(f"lr {lr}: within 1e-3 of the minimum after {np.argmax(dist < 1e-3)} steps "
          f"(any stable lr needs at least {fewest})")  # fmt: skip

# %% [markdown]
# ## 2. AdaGrad: one learning rate per parameter
#
# The fix is to give each parameter $\theta_i$ its own step size. Write $g_{t,i}$ for the
# gradient of the loss with respect to $\theta_i$ at step $t$ and replace the update by
#
# $$\theta_{t,i} = \theta_{t-1,i} - \frac{\eta}{\sigma_{t,i}}\, g_{t,i} .$$
#
# **AdaGrad** takes $\sigma_{t,i}$ to be the **root mean square** (RMS) of all the
# gradients of parameter $i$ so far:
#
# $$\sigma_{t,i} = \sqrt{\frac{1}{t}\sum_{k=1}^{t} g_{k,i}^2 } .$$
#
# A steep direction gets small steps, a flat one large steps. The lecture pairs this with
# the decaying rate $\eta_t = \eta/\sqrt{t}$, and the two $\sqrt{t}$ cancel:
#
# $$\frac{\eta_t}{\sigma_{t,i}} = \frac{\eta}{\sqrt{\sum_{k\le t} g_{k,i}^2}} ,$$
#
# which is the form PyTorch's `Adagrad` uses (it keeps the running *sum* of squares and
# adds $\epsilon = 10^{-10}$ after the square root). From scratch:


# %%
def adagrad_step(theta, g, state, lr=1e-2, eps=1e-10):
    """One AdaGrad step, in place: theta <- theta - lr * g / (sqrt(sum of g^2) + eps)."""
    state["sum"] = state.get("sum", 0.0) + g * g
    theta -= lr * g / (np.sqrt(state["sum"]) + eps)


# %%
rng = np.random.default_rng(0)
g_stream = rng.normal(size=(30, 2))
t = np.arange(1, 31)[:, None]
rms = np.sqrt(np.cumsum(g_stream**2, axis=0) / t)
err = np.abs((0.1 / np.sqrt(t)) / rms - 0.1 / np.sqrt(np.cumsum(g_stream**2, axis=0))).max()
print(f"(eta / sqrt(t)) / RMS  vs  eta / sqrt(sum g^2): max difference {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# On the valley of section 1, AdaGrad with $\eta = 0.5$ gives the flat coordinate a much
# larger effective learning rate $\eta/(\sqrt{\sum g^2}+\epsilon)$ than the steep one, and
# gets closer in 60 steps than any fixed rate did.

# %%
theta, state = valley.start.copy(), {}
for _ in range(60):
    adagrad_step(theta, valley.grad(theta), state, lr=0.5)
eff = 0.5 / (np.sqrt(state["sum"]) + 1e-10)
print(f"effective learning rate after 60 steps: x (flat) {eff[0]:.4f}, y (steep) {eff[1]:.4f}")
print(f"distance to the minimum after 60 steps: {np.linalg.norm(theta):.4f}")
assert eff[0] > eff[1] and np.linalg.norm(theta) < min(
    np.linalg.norm(p[-1]) for p in fixed.values()
)

# %% [markdown]
# **The flaw.** The sum $\sum_k g_{k,i}^2$ only grows, so the effective learning rate
# only shrinks: AdaGrad remembers a steep stretch forever. One parameter gets 20
# gradients of size 10 (a steep slope), then 400 of size 0.1 (a plateau that deserves
# large steps):


# %%
def step_sizes(step_fn, grads, **hyper):
    """|change of theta| at each step when one parameter is fed the gradients ``grads``."""
    theta, state, sizes = np.zeros(1), {}, []
    for g in grads:
        before = theta.copy()
        step_fn(theta, np.array([g]), state, **hyper)
        sizes.append(abs(theta - before)[0])
    return np.array(sizes)


# %%
slope_then_plateau = np.r_[np.full(20, 10.0), np.full(400, 0.1)]
ada_steps = step_sizes(adagrad_step, slope_then_plateau, lr=0.1)
ada_rates = ada_steps / slope_then_plateau  # effective learning rate = |step| / |g|
print(f"step size at step 20 (slope): {ada_steps[19]:.1e}; at the end: {ada_steps[-1]:.1e}")
never_up = bool(np.all(np.diff(ada_rates) <= 1e-9 * ada_rates[1:]))  # up to rounding error
print(f"effective learning rate never increases: {never_up}")
assert never_up and ada_steps[-1] < 0.01 * 0.1

# %% [markdown]
# On the plateau the steps stay far below the learning rate $\eta = 0.1$ (the last one is
# under 1 % of it), and they keep shrinking.
#
# ## 3. RMSProp and Adam (with bias correction)
#
# **RMSProp** forgets old gradients. It replaces the mean over all steps by an
# **exponential moving average** (EMA) of the squared gradients, with weight $\beta$ on the
# past:
#
# $$\sigma_{t,i}^2 = \beta\, \sigma_{t-1,i}^2 + (1 - \beta)\, g_{t,i}^2,
# \qquad \theta_{t,i} = \theta_{t-1,i} - \frac{\eta}{\sigma_{t,i} + \epsilon}\, g_{t,i} .$$
#
# PyTorch's `RMSprop` calls $\beta$ `alpha` (as the seed lecture does), starts the average
# at 0 and uses $\beta = 0.99$, $\epsilon = 10^{-8}$.


# %%
def rmsprop_step(theta, g, state, lr=1e-2, beta=0.99, eps=1e-8):
    """One RMSProp step, in place: v <- beta v + (1 - beta) g^2; theta <- theta - lr g / (sqrt(v) + eps)."""
    state["v"] = beta * state.get("v", 0.0) + (1 - beta) * g * g
    theta -= lr * g / (np.sqrt(state["v"]) + eps)


# %%
plateau_steps = {
    "AdaGrad": ada_steps,
    "RMSProp, beta = 0.99": step_sizes(rmsprop_step, slope_then_plateau, lr=0.1, beta=0.99),
    "RMSProp, beta = 0.9": step_sizes(rmsprop_step, slope_then_plateau, lr=0.1, beta=0.9),
}
ax = loss_curves(
    plateau_steps,
    xlabel="step",
    ylabel="|step| (learning rate 0.1)",
    logy=True,
    title="slope (20 steps), then plateau",
    ax=plt.subplots(layout="constrained")[1],
)
ax.lines[2].set_linestyle("--")  # both RMSProp curves have RMSProp's colour
ax.axvline(20, color=plots.color("reference"), linestyle=":", label="end of the slope")
ax.legend()
plt.show()

# %%
for name, sizes in plateau_steps.items():
    print(f"{name:<22} last step on the plateau: {sizes[-1]:.1e}")

# %% [markdown]
# RMSProp forgets the slope: the slope's share of $\sigma^2$ decays like $\beta^k$, so the
# step climbs back towards $\eta$, quickly with $\beta = 0.9$, slowly with the default 0.99.
#
# **Adam** is RMSProp plus **momentum** (lecture 03): it divides an EMA of the gradients
# $m$ by the root of an EMA of the squared gradients $v$:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,$$
# $$\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
# \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} .$$
#
# Both averages start at 0, so early on they are biased towards 0: for a constant
# gradient $g$, $m_t = (1-\beta_1^t)\,g$ and $v_t = (1-\beta_2^t)\,g^2$. Dividing by
# $1 - \beta^t$ is the **bias correction**. PyTorch's defaults, $\eta = 10^{-3}$,
# $(\beta_1, \beta_2) = (0.9, 0.999)$ and $\epsilon = 10^{-8}$, work for many problems.


# %%
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, bias_correction=True):
    """One Adam step, in place (t, m, v kept in ``state``)."""
    beta1, beta2 = betas
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    v = state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    if bias_correction:
        m, v = m / (1 - beta1**t), v / (1 - beta2**t)
    theta -= lr * m / (np.sqrt(v) + eps)


# %% [markdown]
# *Without bias correction* the first steps are too large. For a constant gradient the
# uncorrected step is $\eta\,(1-\beta_1^t)/\sqrt{1-\beta_2^t}$ (with $\epsilon = 0$):
# $(1-\beta_1)/\sqrt{1-\beta_2}$, more than $3\eta$, at $t = 1$, and larger still for a
# few dozen steps, since $v$ is biased far more than $m$. The corrected step is $\eta$.

# %%
constant_grad = np.full(2000, 0.5)  # eps = 0 here so that the formula is exact
adam_sizes = {
    "with bias correction": step_sizes(adam_step, constant_grad, eps=0.0) / 1e-3,
    "without": step_sizes(adam_step, constant_grad, eps=0.0, bias_correction=False) / 1e-3,
}
t = np.arange(1, 2001)
formula = (1 - 0.9**t) / np.sqrt(1 - 0.999**t)
err = np.abs(adam_sizes["without"] - formula).max()
print(f"uncorrected step vs eta (1 - b1^t) / sqrt(1 - b2^t): max error {format_bound(err, 1e-9)}")
assert err < 1e-9 and np.abs(adam_sizes["with bias correction"] - 1).max() < 1e-12
print("step / lr with bias correction: 1 at every step ✓")
for k in (1, 12, 100, 2000):
    print(f"t = {k:4d}: step / lr without bias correction {adam_sizes['without'][k - 1]:.4f}")

# %% [markdown]
# **The step does not depend on the gradient's scale.** Multiply every gradient by $c$:
# $\hat m_t$ grows by $c$, $\sqrt{\hat v_t}$ by $|c|$, and the step stays the same while
# $\sqrt{\hat v_t} \gg \epsilon$. At $t = 1$, $\hat m_1 = g_1$ and $\sqrt{\hat v_1} = |g_1|$,
# so the first step is exactly
#
# $$\theta_1 - \theta_0 = -\eta\,\frac{g_1}{|g_1| + \epsilon},$$
#
# a full step $\eta$ unless $|g_1|$ is within a few orders of magnitude of $\epsilon$;
# without bias correction it is $-\eta\,(1-\beta_1)\,g_1/(\sqrt{1-\beta_2}\,|g_1|
# + \epsilon)$. SGD's step, $\eta\,|g_1|$, scales with the gradient. We check both formulas
# against `torch.optim.Adam` for $|g_1|$ from $10^{-6}$ to $10^{3}$ ($\epsilon = 10^{-8}$).

# %%
scales, eps = 10.0 ** np.arange(-6, 4), 1e-8  # |g_1| from 1e-6 to 1e3
first_step = {}
for correct in (True, False):
    theta = np.zeros(scales.size)
    adam_step(theta, scales.copy(), {}, lr=1e-3, eps=eps, bias_correction=correct)
    first_step[correct] = -theta / 1e-3  # step / lr
p = torch.zeros(scales.size, dtype=torch.float64, requires_grad=True)
torch_adam = torch.optim.Adam([p], lr=1e-3, eps=eps)
p.grad = torch.tensor(scales)
torch_adam.step()
errs = [
    np.abs(first_step[True] - scales / (scales + eps)).max(),
    np.abs(first_step[False] - 0.1 * scales / (math.sqrt(1e-3) * scales + eps)).max(),
    np.abs(first_step[True] + p.detach().numpy() / 1e-3).max(),
]
print(
    f"first step vs both formulas and vs torch.optim.Adam: max error {format_bound(max(errs), 1e-12)}"
)
assert max(errs) < 1e-12

# %%
print("  |g_1|    SGD step / lr   Adam step / lr: with bias correction   without")
for s, a, b in zip(scales, first_step[True], first_step[False], strict=True):
    print(f"{s:7.0e} {s:14.0e} {a:36.4f} {b:9.4f}")

# %% [markdown]
# Across nine orders of magnitude Adam's first step is $\eta$ (a bit less at
# $|g_1| = 10^{-6}$, where $\epsilon$ is a hundredth of $|g_1|$), while SGD's step follows
# the gradient. Below $|g| \approx \epsilon$ Adam turns into SGD with the rate
# $\eta/\epsilon$. Left: the bias over time; right: the first step across gradient scales
# down to $10^{-12}$.

# %%
fine = np.logspace(-12, 3, 200)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for ax, x, curves in (
    (ax1, t, (adam_sizes["with bias correction"], adam_sizes["without"])),
    (ax2, fine, (fine / (fine + eps), 0.1 * fine / (math.sqrt(1e-3) * fine + eps))),
):
    ax.plot(x, curves[0], color=plots.color("adam"), label="Adam, with bias correction")
    ax.plot(x, curves[1], color=plots.color("adam"), linestyle="--", label="Adam, without")
ax2.plot(fine, fine, color=plots.color("sgd"), label="SGD")
ax2.axvline(eps, color=plots.color("reference"), linestyle=":", label="epsilon")
ax1.set(xscale="log", xlabel="step t", ylabel="|step| / lr", title="constant gradient 0.5")
ax2.set(xscale="log", yscale="log", ylim=(1e-6, 1e2), xlabel="|g_1|", ylabel="|step| / lr")
ax2.set_title("first step across gradient scales")
ax1.legend()
ax2.legend()
plt.show()

# %% [markdown]
# ## 4. Checking against `torch.optim`
#
# Each from-scratch optimizer must take exactly the steps of its PyTorch counterpart: 50
# steps on Rosenbrock (lecture 03) in float64, PyTorch fed the same NumPy gradients
# (`course_lib.optim.torch_path` records the points a `torch.optim` optimizer visits).

# %%
rosen = Rosenbrock()


def scratch_path(surface, step_fn, steps, **hyper):
    """Points visited by a from-scratch step function: shape (steps + 1, 2)."""
    theta, state, path = surface.start.copy(), {}, [surface.start.copy()]
    for _ in range(steps):
        step_fn(theta, surface.grad(theta), state, **hyper)
        path.append(theta.copy())
    return np.array(path)


# %%
cases = {  # name: (from-scratch step, torch.optim / course_lib.optim class name, hyperparameters)
    "AdaGrad": (adagrad_step, "Adagrad", {"lr": 0.1}),
    "RMSProp": (rmsprop_step, "RMSprop", {"lr": 0.01}),
    "Adam": (adam_step, "Adam", {"lr": 0.05, "betas": (0.8, 0.99)}),
}
errs = {}
for name, (step_fn, cls, hyper) in cases.items():
    reference = optim.torch_path(cls, rosen, 50, **hyper)
    lib = run(rosen, lambda ps, c=cls, h=hyper: getattr(optim, c)(ps, **h), 50)
    errs[name] = max(np.abs(scratch_path(rosen, step_fn, 50, **hyper) - reference).max(),
                     np.abs(lib - reference).max())  # fmt: skip
print(
    f"{', '.join(errs)}: 50 steps, from scratch and course_lib.optim vs torch.optim, "
    f"max error {format_bound(max(errs.values()), 1e-10)}"
)
assert max(errs.values()) < 1e-10

# %% [markdown]
# The same three optimizers live in `course_lib.optim` as `Adagrad`, `RMSprop` and `Adam`
# (plus `SGD` and `AdamW`), with PyTorch's argument names and defaults: `opt.step(grads)`
# updates a list of NumPy arrays in place, and `opt.lr` may change between steps.
#
# ## 5. Learning-rate scheduling and warm-up
#
# The adaptive factor $1/\sigma_i$ acts per parameter. **Learning-rate scheduling** changes
# the global $\eta$ with the number $k = t - 1$ of steps taken so far (PyTorch's count of
# `scheduler.step()` calls). *Decay* makes it smaller over time: bold steps early, fine
# steps late. **Warm-up** first makes it larger, then smaller. With $\eta$ the base rate:
#
# | schedule | $\eta_k$ | PyTorch |
# |---|---|---|
# | step decay | $\eta\,\gamma^{\lfloor k/s \rfloor}$ | `StepLR` |
# | exponential decay | $\eta\,\gamma^{k}$ | `ExponentialLR` |
# | cosine decay | $\eta_{\min} + (\eta - \eta_{\min})\,\frac{1 + \cos(\pi k/T)}{2}$ | `CosineAnnealingLR` |
# | linear warm-up | $\eta\,\big(f + (1-f)\min(k, W)/W\big)$ | `LinearLR` |
# | warm-up + cosine | linear warm-up for $k < W$, then cosine over $T - W$ steps | `SequentialLR` |
# | Transformer | $d^{-0.5}\,\min\!\big(t^{-0.5},\; t\,W^{-1.5}\big)$, $t = k+1$ | `LambdaLR` |
#
# The last is the warm-up of "Attention Is All You Need": it rises linearly for $W$ steps,
# then decays like $1/\sqrt{t}$; $d$ is the model width. From scratch, as functions of $k$
# (base rate 0.1, $T = 100$ steps, $W = 10$ warm-up steps, $f = 1/3$):

# %%
lr0, T, W, d_model = 0.1, 100, 10, 64
scratch_schedules = {
    "step decay": lambda k: lr0 * 0.5 ** (k // 30),
    "exponential": lambda k: lr0 * 0.97**k,
    "cosine": lambda k: lr0 * (1 + math.cos(math.pi * k / T)) / 2,
    "linear warm-up": lambda k: lr0 * (1 / 3 + 2 / 3 * min(k, W) / W),
    "warm-up + cosine": lambda k: (
        lr0 * (1 / 3 + 2 / 3 * k / W)
        if k < W
        else lr0 * (1 + math.cos(math.pi * (k - W) / (T - W))) / 2
    ),
    "transformer": lambda k: d_model**-0.5 * min((k + 1) ** -0.5, (k + 1) * W**-1.5),
}

# %% [markdown]
# PyTorch's schedulers change the rate of an optimizer in place; we read
# `get_last_lr()` before each `scheduler.step()`. The same schedules are in
# `course_lib.schedules`, each a function `f(k)` equal to what PyTorch reports after $k$
# calls of `scheduler.step()`.

# %%
sched = torch.optim.lr_scheduler
torch_schedulers = {
    "step decay": lambda o: sched.StepLR(o, step_size=30, gamma=0.5),
    "exponential": lambda o: sched.ExponentialLR(o, gamma=0.97),
    "cosine": lambda o: sched.CosineAnnealingLR(o, T_max=T),
    "linear warm-up": lambda o: sched.LinearLR(o, start_factor=1 / 3, total_iters=W),
    "warm-up + cosine": lambda o: sched.SequentialLR(
        o,
        [
            sched.LinearLR(o, start_factor=1 / 3, total_iters=W),
            sched.CosineAnnealingLR(o, T_max=T - W),
        ],
        milestones=[W],
    ),
    "transformer": lambda o: sched.LambdaLR(o, lr_lambda=scratch_schedules["transformer"]),
}

# %%
library_schedules = {
    "step decay": schedules.step_decay(lr0, step_size=30, gamma=0.5),
    "exponential": schedules.exponential(lr0, gamma=0.97),
    "cosine": schedules.cosine(lr0, T_max=T),
    "linear warm-up": schedules.linear_warmup(lr0, warmup_steps=W),
    "warm-up + cosine": schedules.warmup_cosine(lr0, warmup_steps=W, total_steps=T),
    "transformer": schedules.transformer(d_model, warmup_steps=W),
}


# %%
def torch_rates(make_scheduler, steps, lr):
    """The learning rate a torch scheduler reports at steps 0 .. steps - 1."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler, rates = make_scheduler(opt), []
    for _ in range(steps):
        rates.append(scheduler.get_last_lr()[0])
        opt.step()
        scheduler.step()
    return np.array(rates)


# %%
worst = 0.0
for name, make in torch_schedulers.items():
    reference = torch_rates(make, T + 20, lr=1.0 if name == "transformer" else lr0)
    for f in (scratch_schedules[name], library_schedules[name]):
        worst = max(worst, np.abs(np.array([f(k) for k in range(T + 20)]) - reference).max())
print(
    f"{len(torch_schedulers)} schedules, {T + 20} steps, from scratch and course_lib.schedules "
    f"vs torch.optim.lr_scheduler: max error {format_bound(worst, 1e-12)}"
)
assert worst < 1e-12

# %% [markdown]
# (For the Transformer schedule the optimizer's base rate is 1, so that `LambdaLR`'s factor
# is the rate itself.) **The Transformer schedule at the paper's size.** With $d = 512$ and
# $W = 4000$ the two branches of the minimum meet where $t^{-0.5} = t\,W^{-1.5}$, at
# $t = W$, so the peak is
#
# $$\eta_{\max} = d^{-0.5}\,W^{-0.5} = \frac{1}{\sqrt{512 \cdot 4000}} .$$
#
# We compare `course_lib.schedules.transformer(512, 4000)` over 40 000 steps with the
# formula, its peak and where it occurs:

# %%
paper = schedules.transformer(512, warmup_steps=4000)
t_paper = np.arange(1, 40_001)  # t = k + 1
paper_rates = np.array([paper(k) for k in range(40_000)])
formula = 512**-0.5 * np.minimum(t_paper**-0.5, t_paper * 4000**-1.5)
err = np.abs(paper_rates - formula).max() / formula.max()
peak = 512**-0.5 * 4000**-0.5
print(f"schedule vs formula over 40 000 steps: max relative error {format_bound(err, 1e-12)}")
print(f"largest rate {paper_rates.max():.3e} at t = {t_paper[paper_rates.argmax()]}; "
      f"formula d^-0.5 W^-0.5 = {peak:.3e}")  # fmt: skip
assert err < 1e-12 and t_paper[paper_rates.argmax()] == 4000
assert abs(paper_rates.max() - peak) < 1e-15

# %%
decays = ("step decay", "exponential", "cosine")
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
lr_curves({name: library_schedules[name] for name in decays}, T, title="decay", ax=axes[0])
warmups = {name: f for name, f in library_schedules.items() if name not in decays}
lr_curves(warmups, T, title="warm-up", ax=axes[1])
axes[2].plot(t_paper, paper_rates, color=plots.color("transformer"), label="transformer")
axes[2].plot(4000, peak, "o", color=plots.color("highlight"), label="peak at t = W")
axes[2].set(xlabel="step t", ylabel="learning rate", title="Transformer, d = 512, W = 4000")
axes[2].legend()
plt.show()

# %% [markdown]
# **Why adaptive methods need warm-up.** Adam's $\hat v_t$ estimates the mean squared
# gradient $\mathbb E[g^2]$ from very few gradients at the start: at $t = 1$ from a single
# $g_1^2$. With noisy gradients that estimate, and the factor $1/\sqrt{\hat v_t}$, vary
# enormously, and the first step has the full size $\eta$ in the direction of one noisy
# gradient. 2000 simulated runs of one parameter with gradients $g_t = 0.1 + \xi_t$,
# $\xi_t$ standard normal, so $\mathbb E[g^2] = 1.01$:

# %%
rng = np.random.default_rng(0)
runs, steps, (beta1, beta2) = 2000, 1000, (0.9, 0.999)
noisy = 0.1 + rng.standard_normal((runs, steps))
t = np.arange(1, steps + 1)
m_hat = np.zeros((runs, steps))
v_hat = np.zeros((runs, steps))
m = v = np.zeros(runs)
for k in range(steps):
    m = beta1 * m + (1 - beta1) * noisy[:, k]
    v = beta2 * v + (1 - beta2) * noisy[:, k] ** 2
    m_hat[:, k], v_hat[:, k] = m / (1 - beta1 ** (k + 1)), v / (1 - beta2 ** (k + 1))
ratio = v_hat / 1.01  # estimate / true mean square
step_over_lr = np.abs(m_hat) / np.sqrt(v_hat)

# %%
lo, mid, hi = np.percentile(ratio, [5, 50, 95], axis=0)
warm = np.array(
    [schedules.linear_warmup(1.0, warmup_steps=100, start_factor=0.1)(k) for k in range(steps)]
)
mean_step = step_over_lr.mean(axis=0)
print("   t   v_hat / E[g^2]: 5%     50%     95%   mean |step|/lr   with 100-step warm-up")
for k in (1, 2, 10, 100, 1000):
    print(f"{k:4d}   {lo[k - 1]:19.3f} {mid[k - 1]:7.3f} {hi[k - 1]:7.3f}   "
          f"{mean_step[k - 1]:14.3f}   {warm[k - 1] * mean_step[k - 1]:21.3f}")  # fmt: skip
assert lo[0] < 0.01 and hi[0] > 2 and mean_step[0] > 4 * mean_step[-1]
assert (warm * mean_step)[:100].max() < 1.5 * mean_step[-1]

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax1.fill_between(t, lo, hi, alpha=0.3, color=plots.color("adam"), label="5% to 95% of the runs")
ax1.plot(t, mid, color=plots.color("adam"), label="median")
ax1.set(xscale="log", yscale="log", xlabel="step t", ylabel="v_hat / E[g^2]")
ax1.set_title("Adam's second-moment estimate is noisy at first")
ax2.plot(t, mean_step, color=plots.color("no warm-up"), linestyle="--", label="no warm-up")
ax2.plot(t, warm * mean_step, color=plots.color("warm-up"), label="100-step warm-up")
ax2.set(xscale="log", yscale="log", xlabel="step t", ylabel="mean |step| / lr")
ax2.set_title("so its first steps are the largest")
ax1.legend()
ax2.legend()
plt.show()

# %% [markdown]
# In the first steps $\hat v_t$ is often far too small or far too large (the 5 % and 95 %
# columns), and the mean step is several times its size once the noise in $\hat m_t$
# averages out. A warm-up keeps $\eta$ small until $\hat v_t$ is reliable: with a 100-step
# linear warm-up from $0.1\,\eta$ the early steps are no larger than the later ones.
#
# **Warm-up on a network.** A 64 → 128 → 128 → 10 ReLU network on the handwritten digits
# (1797 images of 8×8 pixels, intensities in $[0, 1]$), Adam at $\eta = 0.05$ (high for
# it), mini-batches of 64, 150 steps, two seeds: cosine decay from the first step, or a
# 40-step warm-up from $\eta/3$, then the decay. Pixels are non-negative, so for *one*
# image a first-layer unit's gradient has one sign on all its input weights. A batch
# mixes the signs, unevenly, and Adam's first step moves every weight with a gradient by
# $\eta$ against its sign (section 3). Where one sign dominates, the unit's input $z$ moves the
# same way on every image. A unit pushed below zero on every image is *dead*: its ReLU
# never fires, so it gets no gradient again. Seed 0's first step:

# %%
X, y = load_digits()  # X: (1797, 64) pixel intensities in [0, 1]; y: the digit
X_tr, y_tr, X_va, y_va, _, _ = train_val_test_split(X, y, seed=0, stratify=True)
pixels, labels = torch.tensor(X_tr, dtype=torch.float32), torch.tensor(y_tr)
factors = {"no warm-up": schedules.cosine(1.0, T_max=150),
           "warm-up": schedules.warmup_cosine(1.0, warmup_steps=40, total_steps=150)}  # fmt: skip


def make_net(seed):
    set_seed(seed)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 10))  # fmt: skip


def dead_units(model):
    """First-layer units whose output is 0 on every training image."""
    with torch.no_grad():
        return int((model[:2](pixels).amax(dim=0) == 0).sum())


# %%
model = make_net(0)
first = torch.randint(0, len(labels), (64,), generator=torch.Generator().manual_seed(0))
nn.functional.cross_entropy(model(pixels[first]), labels[first]).backward()
signs = torch.sign(model[0].weight.grad)  # (128 units, 64 pixels); 0 for a pixel blank in the batch
n_pos, n_neg = (signs > 0).sum(dim=1), (signs < 0).sum(dim=1)
has_grad = n_pos + n_neg > 0  # a unit that is 0 on the whole batch gets no gradient
share = (torch.maximum(n_pos, n_neg) / (n_pos + n_neg))[has_grad].mean().item()
with torch.no_grad():  # Adam's first step is -lr * sign(g) on every weight and bias (section 3)
    z = model[0](pixels)  # (N, 128)
    shift = pixels @ (-0.05 * signs).T - 0.05 * torch.sign(model[0].bias.grad)
one_way = ((shift > 0).all(dim=0) | (shift < 0).all(dim=0)).sum().item()
dead_before = dead_units(model)
torch.optim.Adam(model.parameters(), lr=0.05).step()
print(f"units whose weight gradients all have one sign: {((n_pos == 0) | (n_neg == 0))[has_grad].sum().item()} "
      f"of the {has_grad.sum().item()} with a gradient; the majority sign covers {share:.0%} of a unit's weights")  # fmt: skip
print(f"first step at lr 0.05: {one_way} units shifted the same way on every image, typically by "
      f"{(shift.mean(dim=0).abs() / z.std(dim=0)).median().item():.0f} times their spread over the images")  # fmt: skip
print(f"dead first-layer units: {dead_before} at the start, {dead_units(model)} after this one step")  # fmt: skip


# %%
def warmup_run(seed, factor, lr=0.05, steps=150, batch_size=64):
    """Adam at lr * factor(k): batch losses, dead units every 5 steps, final loss, val accuracy."""
    model = make_net(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = sched.LambdaLR(opt, factor)
    batches, losses, dead = torch.Generator().manual_seed(seed), [], [dead_units(model)]
    for k in range(steps):
        idx = torch.randint(0, len(labels), (batch_size,), generator=batches)
        loss = nn.functional.cross_entropy(model(pixels[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        scheduler.step()
        losses.append(loss.item())
        if (k + 1) % 5 == 0:
            dead.append(dead_units(model))
    with torch.no_grad():
        final = nn.functional.cross_entropy(model(pixels), labels).item()
        accuracy = (model(torch.tensor(X_va, dtype=torch.float32)).argmax(1).numpy() == y_va).mean()
    return np.array(losses), np.array(dead), final, accuracy


# %%
# NBVAL_IGNORE_OUTPUT
start = time.perf_counter()
warmup_runs = {
    (name, seed): warmup_run(seed, f) for name, f in factors.items() for seed in range(2)
}
print(f"4 runs in {time.perf_counter() - start:.1f} s")
for (name, seed), (losses, dead, final, acc) in warmup_runs.items():
    print(f"{name:<10} seed {seed}: largest batch loss in steps 1-30 {losses[:30].max():4.2f}; dead units "
          f"after 10 steps {dead[2]:3d}, at the end {dead[-1]:3d}; final training loss {final:.3f}, "
          f"validation accuracy {acc:.3f}")  # fmt: skip

# %% [markdown]
# These raw numbers vary from one CPU to another (chaotic runs at a high rate). What holds
# with a wide margin on every machine, seed by seed:

# %%
no_wu, wu = ([warmup_runs[name, s] for s in range(2)] for name in factors)
claims = {
    "batch loss above 2.6 (ln 10 = 2.30 at the start) in steps 1-30": lambda r: r[0][:30].max() > 2.6,
    "more than 90 of 128 first-layer units dead after 10 steps": lambda r: r[1][2] > 90,
    "more than 80 dead at the end": lambda r: r[1][-1] > 80,
}  # fmt: skip
for claim, holds in claims.items():
    print(f"{claim}: without warm-up {sum(map(holds, no_wu))} of 2 seeds, with warm-up {sum(map(holds, wu))} of 2")  # fmt: skip
    assert all(map(holds, no_wu)) and not any(map(holds, wu))
ratio = min(a[2] / b[2] for a, b in zip(no_wu, wu, strict=True))
gap = abs(np.mean([r[3] for r in no_wu]) - np.mean([r[3] for r in wu]))
print(f"final training loss without warm-up over 1.5 times that with it, every seed: {ratio > 1.5}")
print(f"mean validation accuracies within 0.03 of each other: {gap < 0.03}")
assert ratio > 1.5 and gap < 0.03

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for (name, seed), (losses, dead, _, _) in warmup_runs.items():
    style = {"color": plots.color(name), "label": f"{name} (2 seeds)" if seed == 0 else None}
    ax1.plot(np.arange(5, len(losses) + 1), np.convolve(losses, np.ones(5) / 5, "valid"), **style)
    ax2.plot(np.arange(0, len(losses) + 1, 5), dead, **style)
ax1.axhline(math.log(10), color=plots.color("reference"), linestyle=":", label="ln 10 (start)")
ax1.set(yscale="log", xlabel="step", ylabel="batch loss, mean of the last 5")
ax1.set_title("Adam at lr 0.05 on the digits: loss")
ax2.axvline(40, color=plots.color("reference"), linestyle=":", label="end of the warm-up")
ax2.set(xlabel="step", ylabel="dead first-layer units (of 128)", title="units that never fire")
ax1.legend()
ax2.legend()
plt.show()

# %% [markdown]
# Without warm-up the loss rises above $\ln 10$ in the first steps and most of the first
# layer dies within ten steps. With warm-up the first steps are a third as large: a quarter
# of the units die at once and more while the rate climbs, about half as many as without
# warm-up in the end, and the training loss ends lower for every seed. Validation accuracy
# ends about equal: the surviving units suffice. At $\eta = 0.1$ most units die even with
# warm-up (exercise 2).
#
# ## 6. AdaGrad's late burst, and how decay removes it
#
# Back to AdaGrad in the lecture's form: $\sigma_{t,i}$ is the RMS of *all* past gradients
# and $\eta$ is constant. Near a valley's bottom the gradients vanish, the mean of their
# squares keeps shrinking and $\eta/\sigma_{t,i}$ grows, until a tiny gradient makes a big
# step: the parameters *burst* out, the large gradients there inflate $\sigma_{t,i}$
# again, and they fall back.
#
# When exactly? Near a minimum with Hessian $H$ the gradient is $H\mathbf p$, and a step
# with per-parameter rates $D = \operatorname{diag}(\eta/\sigma_1, \eta/\sigma_2)$ is
# $\mathbf p \leftarrow (I - DH)\,\mathbf p$. It shrinks $\mathbf p$ only while the largest
# eigenvalue of $DH$ stays below 2: section 1's condition $\eta\lambda < 2$, with the rates
# folded into the matrix.

# %% [markdown]
# We show it on a long, winding valley that is flat along its floor:
#
# $$f(x, y) = a\left(\sqrt{1 + x^2} - 1\right) + \frac{b}{2}\,\big(y - c \sin x\big)^2,
# \qquad a = 0.5,\; b = 10,\; c = 0.5 .$$
#
# Along the floor $y = c \sin x$ the slope is at most $a$; across it the walls are steep.
# At the minimum (the origin) the Hessian is
# $H = \begin{pmatrix} a + bc^2 & -bc \\ -bc & b \end{pmatrix}
# = \begin{pmatrix} 3 & -5 \\ -5 & 10 \end{pmatrix}$. It is `course_lib.surfaces.WindingValley`,
# which computes $\sqrt{1+x^2} - 1$ as $x^2 / (\sqrt{1+x^2} + 1)$: the textbook form rounds
# to 0 once $x^2$ is below the float spacing near 1. Both against 60-digit decimals:

# %%
from decimal import Decimal, localcontext  # for a 60-digit reference value

winding = WindingValley()
naive = lambda x: winding.a * (math.sqrt(1 + x * x) - 1)  # noqa: E731 -- the textbook form
with localcontext() as ctx:
    ctx.prec = 60
    exact = {x: float(Decimal(winding.a) * ((1 + Decimal(x) ** 2).sqrt() - 1)) for x in (1e-4, 1e-8, 1e-12)}  # fmt: skip
for x, value in exact.items():
    lib = winding.value(np.array([x, winding.c * np.sin(x)]))  # on the floor: second term 0
    print(f"x = {x:.0e}: library relative error {format_bound(abs(lib - value) / value, 1e-15)}, "
          f"textbook form relative error {abs(naive(x) - value) / value:.0e}")  # fmt: skip
    assert abs(lib - value) < 1e-15 * value
assert naive(1e-8) == 0.0

# %%
p0 = np.array([-3.0, 0.7])
err = rel_error(winding.grad(p0), numerical_gradient(lambda q: float(winding.value(q)), p0))
H_min = np.array([[3.0, -5.0], [-5.0, 10.0]])
err_h = np.abs(winding.hessian(np.zeros(2)) - H_min).max()
print(f"winding valley: grad vs numerical gradient, relative error {format_bound(err, 1e-7)}; "
      f"Hessian at the minimum vs the matrix above {format_bound(err_h, 1e-12)}; "
      f"eigenvalues {np.linalg.eigvalsh(H_min)}")  # fmt: skip
assert err < 1e-7 and err_h < 1e-12

# %% [markdown]
# The RMS form is PyTorch's `Adagrad` with the rate $\eta_t\sqrt{t}$ (section 2), so
# `course_lib.optim.Adagrad` runs it if we set `opt.lr` at every step. A constant
# $\eta = 0.2$ against two decaying schedules (exponential with $\gamma = 0.995$, and
# cosine over 600 steps); at every step we record $\eta_t/\sigma_{t,i}$ and the largest
# eigenvalue of $D_t H$.


# %%
def adagrad_rms_run(surface, schedule, steps):
    """AdaGrad with sigma = RMS of past gradients and rate schedule(k) at step t = k + 1.

    Returns the path, shape (steps + 1, 2), and the rates eta_t / sigma_i, shape (steps, 2).
    """
    p = surface.start.copy()
    opt = optim.Adagrad([p])
    path, rates = [p.copy()], []
    for k in range(steps):
        opt.lr = schedule(k) * math.sqrt(k + 1)
        opt.step([surface.grad(p)])
        path.append(p.copy())
        rates.append(schedule(k) / np.sqrt(opt.state[0]["sum"] / (k + 1)))
    return np.array(path), np.array(rates)


# %%
burst_schedules = {
    "constant 0.2": schedules.constant(0.2),
    "exponential decay": schedules.exponential(0.2, gamma=0.995),
    "cosine decay": schedules.cosine(0.2, T_max=600),
}
burst, sharpness = {}, {}
for name, schedule in burst_schedules.items():
    burst[name], rates = adagrad_rms_run(winding, schedule, 600)
    root = np.sqrt(rates)  # D H has the eigenvalues of the symmetric D^1/2 H D^1/2
    sharpness[name] = np.linalg.eigvalsh(root[:, :, None] * H_min * root[:, None, :])[:, -1]

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.9), layout="constrained")
contour_with_paths(winding, burst, colorbar=False, ax=axes[0])
burst_losses = {name: winding.value(path) for name, path in burst.items()}
loss_curves(burst_losses, xlabel="step", logy=True, title="loss", ax=axes[1])
loss_curves(
    sharpness,
    xlabel="step",
    ylabel="largest eigenvalue of D H",
    title="stability near the minimum",
    ax=axes[2],
)
axes[2].axhline(2, color=plots.color("axis"), linestyle="--", label="stability limit 2")
axes[2].legend(loc="center right", bbox_to_anchor=(1.0, 0.62))  # clear of the curves
plt.show()

# %%
for name, loss in burst_losses.items():
    log_loss = np.log10(loss)
    jump = (log_loss[1:] - np.minimum.accumulate(log_loss)[:-1]).max()  # above the best so far
    above = np.flatnonzero(sharpness[name] > 2)
    when = (
        f"first above 2 at step {above[0] + 1}"
        if above.size
        else f"at most {sharpness[name].max():.2f}"
    )
    end = "above 1e-3" if loss[-1] > 1e-3 else "below 1e-10" if loss[-1] < 1e-10 else "in between"
    print(f"{name:<18} largest eigenvalue of DH {when}; "
          f"loss jumps up by more than 5 decades: {jump > 5}; final loss {end}")  # fmt: skip
assert burst_losses["constant 0.2"][-1] > 1e-3
assert all(sharpness[n].max() < 2 and burst_losses[n][-1] < 1e-10 for n in list(burst)[1:])

# %% [markdown]
# With a constant $\eta$ the rates $\eta/\sigma_i$ grow until the largest eigenvalue of
# $DH$ passes 2 (the step is printed above). Then the distance to the minimum grows: the
# loss bottoms out, jumps up by several decades, and hovers at the stability limit. Both
# decaying schedules keep the eigenvalue below 2, and the loss falls to the last step.
# PyTorch's `Adagrad` has the decay $\eta/\sqrt{t}$ built in, so it never bursts, at the
# price of the ever-shrinking steps of section 2.
#
# ## 7. How the pieces combine
#
# Every step of an adaptive optimizer with a schedule is a product of three factors:
#
# $$\Delta\theta_{t,i} = -\underbrace{\eta}_{\text{global}} \times
# \underbrace{s(k)}_{\text{schedule, by step or epoch}} \times
# \underbrace{\frac{1}{\sigma_{t,i}}}_{\text{adaptive, per parameter}} \times\; g_{t,i}$$
#
# (Adam uses $\hat m_{t,i}$ in place of $g_{t,i}$.) The two mechanisms do different jobs:
#
# | | what it adjusts | level | what it is for |
# |---|---|---|---|
# | RMSProp / Adam | the step size of each parameter | per parameter (local) | keep parameters with very large or very small gradients from updating unstably |
# | learning-rate scheduling | the overall learning rate during training | the optimizer's global rate | search boldly early, converge finely late |

# %% [markdown]
# One parameter with loss $\tfrac12(\theta - 3)^2$, `course_lib.optim.RMSprop` with
# $\eta = 0.1$, and the factor $s(k)$ of a warm-up + cosine schedule (warm-up 3 steps,
# 8 steps in all). We predict each step from the three factors and compare it with the
# optimizer's actual step:

# %%
eta, factor = 0.1, schedules.warmup_cosine(1.0, warmup_steps=3, total_steps=8)
theta = np.zeros(1)
opt = optim.RMSprop([theta], lr=eta)
print("   t   gradient g   eta   s(k)    1/sigma   predicted -eta*s*g/sigma   actual step")
worst = 0.0
for k in range(8):
    g, before = theta - 3, theta.copy()
    opt.lr = eta * factor(k)
    opt.step([g])
    inv_sigma = 1 / (np.sqrt(opt.state[0]["square_avg"][0]) + opt.eps)
    predicted, actual = -eta * factor(k) * inv_sigma * g[0], (theta - before)[0]
    worst = max(worst, abs(predicted - actual))
    print(f"{k + 1:4d} {g[0]:12.4f} {eta:5.2f} {factor(k):6.4f} {inv_sigma:10.4f} "
          f"{predicted:26.4f} {actual:13.4f}")  # fmt: skip
print(f"max |predicted - actual| = {format_bound(worst, 1e-12)}")
assert worst < 1e-12

# %% [markdown]
# The schedule sets how bold the run is at each step; $1/\sigma$ rescales each parameter.
# RMSProp's first step is $10\,\eta\,s(0)$: its average starts at 0 without bias
# correction, so $\sigma_1 = \sqrt{1-\beta}\,|g_1| = 0.1\,|g_1|$. One more reason to warm up.
#
# ## 8. All optimizers side by side
#
# Five optimizers from `course_lib.optim` on three surfaces: the valley of section 1, the
# same valley rotated by 30°, and Rosenbrock. "Steps" counts the steps until the loss first
# falls below a tolerance. Each optimizer gets its best rate per surface from the grid
# $\{1, 2, 5\} \times 10^{-4 \ldots -1}$: the fewest steps to the tolerance or, failing
# that, the lowest final loss. The from-scratch steps work elementwise, so one run steps
# all 12 rates at once.


# %%
def sgd_step(theta, g, state, lr=1e-3, momentum=0.0):
    """One SGD step, in place, in torch's form: b <- momentum b + g; theta <- theta - lr b."""
    b = state["b"] = momentum * state.get("b", 0.0) + g
    theta -= lr * b


# %%
grid = (np.array([1.0, 2.0, 5.0]) * 10.0 ** np.arange(-4, 0)[:, None]).ravel()  # 1e-4 ... 5e-1


def search(surface, step_fn, steps, tol, **hyper):
    """All rates of ``grid`` at once: first step with loss < tol (steps + 1 if never), final loss."""
    theta = np.tile(surface.start, (grid.size, 1))  # one row per rate
    state, first, diverged = {}, np.full(grid.size, steps + 1), np.zeros(grid.size, bool)
    for t in range(1, steps + 1):
        step_fn(theta, surface.grad(theta), state, lr=grid[:, None], **hyper)
        diverged |= np.abs(theta).max(axis=1) > 1e3
        theta[diverged] = surface.start  # park a diverged run where it cannot overflow
        first[(surface.value(theta) < tol) & (first > steps) & ~diverged] = t
    return first, np.where(diverged, np.inf, surface.value(theta))


# %%
optimizers = {  # name: (from-scratch step, course_lib.optim class, extra arguments)
    "SGD": (sgd_step, optim.SGD, {}),
    "momentum": (sgd_step, optim.SGD, {"momentum": 0.9}),
    "AdaGrad": (adagrad_step, optim.Adagrad, {}),
    "RMSProp": (rmsprop_step, optim.RMSprop, {}),
    "Adam": (adam_step, optim.Adam, {}),
}
arena = {  # name: (surface, steps, tolerance)
    "valley (kappa 50)": (valley, 200, 1e-6),
    "rotated valley": (IllConditionedQuadratic(50.0, angle=math.pi / 6), 200, 1e-6),
    "Rosenbrock": (rosen, 1000, 1e-4),
}
best_lr, found = {}, {}
for surface_name, (surface, steps, tol) in arena.items():
    for name, (step_fn, _, kw) in optimizers.items():
        first, final = search(surface, step_fn, steps, tol, **kw)
        best = np.lexsort((final, first))[0]  # fewest steps, then lowest final loss
        best_lr[surface_name, name], found[surface_name, name] = grid[best], first[best]

# %% [markdown]
# The chosen rates, then the same runs with the library optimizers (`course_lib.optim`),
# which must reach the tolerance at the same step as the search said:

# %%
paths = {}
for (surface_name, name), lr in best_lr.items():
    (surface, steps, _), (_, cls, kw) = arena[surface_name], optimizers[name]
    paths[surface_name, name] = run(surface, lambda ps, c=cls, r=lr, h=kw: c(ps, lr=r, **h), steps)
print(f"{'optimizer':<10}" + "".join(f"{s:>20}" for s in arena))
for name in optimizers:
    print(f"{name:<10}" + "".join(f"{best_lr[s, name]:>20g}" for s in arena))
first_hit = {  # (surface, optimizer) -> first step with loss below the tolerance, or None
    key: next(iter(np.flatnonzero(arena[key[0]][0].value(path) < arena[key[0]][2])), None)
    for key, path in paths.items()
}
same = all((found[k] if found[k] <= arena[k[0]][1] else None) == first_hit[k] for k in paths)
print(f"library runs reach the tolerance at the search's step, or not at all like it: {same}")
assert same
on_edge = [k for k, lr in best_lr.items() if lr == grid[-1] and found[k] <= arena[k[0]][1]]
print(f"best rate at the top of the grid (a larger one might be faster): {on_edge}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), layout="constrained")
for ax, (surface_name, (surface, steps, _)) in zip(axes, arena.items(), strict=True):
    on_surface = {name: paths[surface_name, name] for name in optimizers}
    contour_with_paths(surface, on_surface, colorbar=False, ax=ax)
    ax.set_title(f"{surface_name}, {steps} steps")
for ax in axes[:2]:
    ax.get_legend().remove()  # one legend for the three panels
axes[2].legend(loc="lower right", frameon=True, framealpha=0.85)  # away from the paths
plt.show()

# %%
# NBVAL_IGNORE_OUTPUT
# (final losses near or below the tolerance depend on the CPU's rounding; the next cell states
# what holds on every machine)
for surface_name, (surface, steps, tol) in arena.items():
    print(f"{surface_name} ({steps} steps, tolerance {tol:.0e})")
    for name in optimizers:
        path, hit = paths[surface_name, name], first_hit[surface_name, name]
        final = "diverged" if len(path) <= steps else f"{surface.value(path)[-1]:.1e}"
        print(f"  {name:<10} final loss {final:>9}, steps {hit if hit is not None else '-':>5}")

# %%
for surface_name in arena:
    hits = {name: first_hit[surface_name, name] for name in optimizers}
    ranked = sorted((k, name) for name, k in hits.items() if k is not None)
    gaps = np.diff([k for k, _ in ranked])
    assert gaps.size == 0 or gaps.min() >= 10, "a near tie: the ranking would depend on rounding"
    print(f"{surface_name}: reach the tolerance, fastest first: {', '.join(n for _, n in ranked)}")
everywhere = [n for n in optimizers if all(first_hit[surf, n] is not None for surf in arena)]
print(f"reach the tolerance on all three surfaces: {', '.join(everywhere)}")

# %% [markdown]
# On the axis-aligned valley AdaGrad and RMSProp are fastest: $1/\sigma_i$ undoes the
# difference in curvature between $x$ and $y$. (RMSProp's long jump is its first step,
# $10\,\eta$ per coordinate as in section 7.) Rotated by 30°, the valley takes that
# advantage away, since $1/\sigma_i$ rescales the coordinates but cannot rotate them:
# AdaGrad misses the tolerance and momentum is fastest. On Rosenbrock only momentum and
# Adam reach it, Adam first. No method wins everywhere. Where a best rate sits at the top
# of the grid (listed above), the grid, not the method, limits the result.
#
# **Try it yourself.** In a running kernel, find the $\eta$ where SGD diverges on the
# valley while AdaGrad and RMSProp stay stable.

# %%
# NBVAL_IGNORE_OUTPUT
OptimizerExplorer(
    ["SGD", "momentum", "AdaGrad", "RMSProp", "Adam"],
    {name: surface for name, (surface, _, _) in arena.items()},
    lr=0.01,
    steps=200,
)

# %% [markdown]
# **A small network on real data.** A 64 → 32 → 10 ReLU network on the digits of section
# 5, now standardized, 8 epochs of mini-batches of 64 with `course_lib.training.fit`. All
# optimizers start from the same weights, see the same batches, and use a rate typical for
# their kind (not tuned).

# %%
X_tr, X_va, _, _ = standardize(X_tr, X_va)
train_set = torch.utils.data.TensorDataset(
    torch.tensor(X_tr, dtype=torch.float32), torch.tensor(y_tr)
)
val_batches = [(torch.tensor(X_va, dtype=torch.float32), torch.tensor(y_va))]
digit_optimizers = {
    "SGD": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
    "AdaGrad": lambda ps: torch.optim.Adagrad(ps, lr=0.05),
    "RMSProp": lambda ps: torch.optim.RMSprop(ps, lr=3e-3),
    "Adam": lambda ps: torch.optim.Adam(ps, lr=1e-2),
}
print(f"training examples {len(X_tr)}, validation examples {len(X_va)}")


# %%
def train_digits(make_opt, epochs=8):
    """The 64-32-10 network from seed 0, on the same batches: (model, optimizer, History)."""
    set_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    loader = torch.utils.data.DataLoader(
        train_set, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    opt = make_opt(model.parameters())
    history = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=epochs,
                  val_loader=val_batches, progress=False)  # fmt: skip
    return model, opt, history


# %%
# NBVAL_IGNORE_OUTPUT
start, digit_runs = time.perf_counter(), {}
for name, make_opt in digit_optimizers.items():
    digit_runs[name] = train_digits(make_opt)
histories = {name: history for name, (_, _, history) in digit_runs.items()}
print(f"5 optimizers trained in {time.perf_counter() - start:.1f} s")

# %%
print(f"{'optimizer':<10} {'train loss':>10} {'val loss':>9} {'val accuracy':>13}")
for name, h in histories.items():
    print(f"{name:<10} {h.train_loss[-1]:10.3f} {h.val_loss[-1]:9.3f} {h.val_accuracy[-1]:13.3f}")

# %% [markdown]
# Plain SGD lags behind; momentum and the three adaptive methods all reach a similar, higher
# validation accuracy in 8 epochs, and Adam has the lowest training loss.

# %%
history_curves(histories, title="digits")
plt.show()

# %% [markdown]
# ## 9. AdamW, gradient clipping, and finding a learning rate
#
# **AdamW.** Weight decay (lecture 02) shrinks every weight a little at each step. For SGD
# it equals the L2 penalty $\tfrac\lambda2\lVert\theta\rVert^2$ added to the loss, whose
# gradient $\lambda\theta$ joins $g_t$. In Adam it does not: `torch.optim.Adam` with
# `weight_decay` $\lambda$ adds $\lambda\theta$ to the gradient *before* the division by
# $\sqrt{\hat v_t}$, so weights with large gradients hardly decay and weights with tiny ones
# decay by almost $\eta$ per step. **AdamW** decouples the two:
#
# $$\theta \leftarrow \theta\,(1 - \eta\lambda), \qquad \text{then Adam's step with } g_t
# \text{ alone},$$
#
# so every weight shrinks by the same factor. From scratch it is one line before
# `adam_step`:


# %%
def adamw_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """One AdamW step, in place: decay theta, then Adam's step with the loss gradient only."""
    theta *= 1 - lr * weight_decay
    adam_step(theta, g, state, lr=lr, betas=betas, eps=eps)


hyper = {"lr": 0.05, "weight_decay": 0.5}
reference = optim.torch_path("AdamW", rosen, 50, **hyper)
err = max(np.abs(scratch_path(rosen, adamw_step, 50, **hyper) - reference).max(),
          np.abs(run(rosen, lambda ps: optim.AdamW(ps, **hyper), 50) - reference).max())  # fmt: skip
print(f"AdamW, 50 steps, from scratch and course_lib.optim vs torch.optim.AdamW: max error {format_bound(err, 1e-10)}")  # fmt: skip
assert err < 1e-10

# %% [markdown]
# On the digits network of section 8 (Adam, $\eta = 0.01$, same start and batches) we add
# L2 ($\lambda = 0.01$) or AdamW's decay ($\lambda = 0.1$) and compare each first-layer
# weight with its value after the run without decay, sorted by gradient size
# ($\sqrt{\hat v}$ at the end of that run) into quartiles:

# %%
# NBVAL_IGNORE_OUTPUT
start = time.perf_counter()
decay_runs = {
    "Adam + L2 (0.01)": train_digits(lambda ps: torch.optim.Adam(ps, lr=1e-2, weight_decay=0.01)),
    "AdamW (0.1)": train_digits(lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.1)),
}
print(f"2 runs in {time.perf_counter() - start:.1f} s")

# %%
plain_model, plain_opt, _ = digit_runs["Adam"]
W_plain, state = plain_model[0].weight.detach(), plain_opt.state[plain_model[0].weight]
grad_size = (state["exp_avg_sq"] / (1 - 0.999 ** state["step"])).sqrt()  # sqrt(v_hat) per weight
blank = torch.tensor(X_tr.std(axis=0) == 0)  # pixels blank in every training image
edges = torch.quantile(grad_size[:, ~blank], torch.tensor([0.25, 0.5, 0.75]))
quartile = torch.bucketize(grad_size, edges)  # 0 = smallest gradients ... 3 = largest

# %%
print(f"{'median |w| / |w without decay|':<32}" + "".join(f"{f'quartile {q + 1}':>12}" for q in range(4)) + f"{'blank pixels':>14}")  # fmt: skip
shrink = {}
for name, (model, _, history) in decay_runs.items():
    r = (model[0].weight.detach() / W_plain).abs()
    shrink[name] = [r[(quartile == q) & ~blank].median().item() for q in range(4)] + [r[:, blank].median().item()]  # fmt: skip
    blank_text = "< 0.001" if shrink[name][4] < 1e-3 else f"{shrink[name][4]:.3f}"
    print(f"{name:<32}" + "".join(f"{v:12.2f}" for v in shrink[name][:4]) + f"{blank_text:>14}"
          f"   (validation accuracy {history.val_accuracy[-1]:.3f})")  # fmt: skip
steps = int(state["step"])
print(
    f"AdamW on the blank pixels: (1 - lr * weight decay)^steps = 0.999^{steps} = {0.999**steps:.3f}"
)
l2, adamw = np.array(shrink["Adam + L2 (0.01)"]), np.array(shrink["AdamW (0.1)"])
assert l2[3] > 2 * l2[0] and l2[4] < 1e-3 and np.ptp(adamw[:4]) < 0.05
assert abs(adamw[4] - 0.999**steps) < 1e-4  # float32 rounding of 160 products

# %% [markdown]
# With L2 the decay follows the gradients: weights with the smallest ones end at about a
# fifth of their decay-free size, those with the largest above half. The three pixels
# blank in every image give their weights no loss gradient, so Adam turns the tiny
# $\lambda\theta$ into steps of size $\eta$ and wipes them out. AdamW shrinks all weights
# alike. Validation accuracy hardly changes; what differs is *which* weights shrink.
#
# **Gradient clipping.** One huge gradient can throw the parameters far away, where the
# gradients are larger still. **Gradient clipping** rescales the gradients, all together,
# to a norm of at most $c$: $g \leftarrow g \cdot \min(1, c/\lVert g\rVert)$, keeping the
# direction. `torch.nn.utils.clip_grad_norm_` does it to every `.grad` in place (adding
# $10^{-6}$ to the norm), `course_lib.optim.clip_grad_norm_` to a list of NumPy arrays:

# %%
grads = [rng.normal(size=(3, 4)) * 10, rng.normal(size=5)]
scratch = [g * min(1, 2.0 / (np.sqrt(sum((g**2).sum() for g in grads)) + 1e-6)) for g in grads]
params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
for p, g in zip(params, grads, strict=True):
    p.grad = torch.tensor(g)
torch.nn.utils.clip_grad_norm_(params, max_norm=2.0)
optim.clip_grad_norm_(grads, max_norm=2.0)  # in place
err = max(max(np.abs(a - b).max(), np.abs(a - p.grad.numpy()).max())
          for a, b, p in zip(scratch, grads, params, strict=True))  # fmt: skip
print(f"clipped gradients, from scratch and course_lib.optim vs torch: max error {format_bound(err, 1e-12)}")  # fmt: skip
assert err < 1e-12

# %% [markdown]
# Clipping guards against the rare huge gradient without lowering the rate for the rest of
# training. On Rosenbrock, started on its steep wall at $(-2, -1)$, SGD at $\eta = 0.002$
# is thrown out and diverges; at $\eta = 0.001$ it survives but is slow. Clipped at
# $c = 100$, $\eta = 0.002$ works:


# %%
def clipped_sgd(lr, max_norm=None, start=(-2.0, -1.0), steps=1000):
    """SGD on Rosenbrock, optionally clipped: path (T, 2) and the number of clipped steps."""
    p, clipped = np.array(start), 0
    opt, path = optim.SGD([p], lr=lr), [p.copy()]
    for _ in range(steps):
        g = [rosen.grad(p)]
        if max_norm is not None:
            clipped += optim.clip_grad_norm_(g, max_norm) > max_norm
        opt.step(g)
        path.append(p.copy())
        if np.abs(p).max() > 1e3:
            break
    return np.array(path), clipped


# %%
clip_runs = {"lr 0.002, clipped at 100": clipped_sgd(0.002, max_norm=100.0),
             "lr 0.001": clipped_sgd(0.001), "lr 0.002": clipped_sgd(0.002)}  # fmt: skip
print(f"gradient norm at the start: {np.linalg.norm(rosen.grad(np.array([-2.0, -1.0]))):.0f}")
for name, (path, clipped) in clip_runs.items():
    end = f"diverged after {len(path) - 1} steps" if len(path) <= 1000 else f"loss after 1000 steps {rosen.value(path[-1]):.3f}"  # fmt: skip
    print(f"{name:<26} {end}; steps clipped: {clipped}")
losses_end = {
    name: rosen.value(path[-1]) for name, (path, _) in clip_runs.items() if len(path) > 1000
}
assert len(clip_runs["lr 0.002"][0]) < 10 and losses_end["lr 0.002, clipped at 100"] < losses_end["lr 0.001"] / 3  # fmt: skip

# %%
clip_paths = {name: path for name, (path, _) in clip_runs.items()}
ax = contour_with_paths(rosen, clip_paths, ax=plt.subplots(layout="constrained")[1])
ax.set_title("SGD from the steep wall of Rosenbrock, 1000 steps")
ax.legend(loc="upper center", frameon=True, framealpha=0.85)  # where no path runs
plt.show()

# %% [markdown]
# The clipped run clips a few early steps, walks down the wall at a capped pace, then is
# plain SGD at the larger rate and ends far below the run at $\eta = 0.001$. Adam divides
# by the gradient's own scale (section 3), so for Adam clipping changes little and is no
# substitute for warm-up.
#
# **Finding a learning rate.** The **learning-rate range test** takes one short run: raise
# $\eta$ geometrically from $10^{-4}$ to 10 over 100 mini-batches, smooth the loss with a
# bias-corrected EMA, stop once it exceeds 4 times its minimum. The loss falls fastest
# about a decade below the rate of its minimum; take a tenth of that rate. For Adam on
# section 8's network:


# %%
def range_test(make_opt, lr_min=1e-4, lr_max=10.0, steps=100, beta=0.9):
    """Smoothed training loss while lr grows geometrically: (rates, losses), stopped early."""
    set_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt, batches = make_opt(model.parameters()), torch.Generator().manual_seed(0)
    x_all, y_all = train_set.tensors
    rates, avg, smooth = lr_min * (lr_max / lr_min) ** np.linspace(0, 1, steps), 0.0, []
    for k, lr in enumerate(rates):
        opt.param_groups[0]["lr"] = lr
        idx = torch.randint(0, len(y_all), (64,), generator=batches)
        loss = nn.functional.cross_entropy(model(x_all[idx]), y_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        avg = beta * avg + (1 - beta) * loss.item()
        smooth.append(avg / (1 - beta ** (k + 1)))  # bias-corrected EMA, as in Adam
        if not smooth[-1] < 4 * min(smooth):  # also stops on NaN
            break
    return rates[: len(smooth)], np.array(smooth)


# %%
# NBVAL_IGNORE_OUTPUT
rates, smooth = range_test(lambda ps: torch.optim.Adam(ps))
best = rates[np.argmin(smooth)]
print(f"{len(rates)} steps; lowest smoothed loss at lr {best:.3f}, stopped at lr {rates[-1]:.3f}; "
      f"suggested lr {best / 10:.4f}")  # fmt: skip

# %%
print(f"lowest smoothed loss at an lr between 0.1 and 0.3: {0.1 < best < 0.3}; "
      f"stopped below lr 1: {rates[-1] < 1}")  # fmt: skip
assert 0.1 < best < 0.3 and rates[-1] < 1
fig, ax = plt.subplots(layout="constrained")
ax.plot(rates, smooth, color=plots.color("adam"), label="Adam")
ax.axvline(best, color=plots.color("reference"), linestyle=":", label="lowest loss")
ax.axvline(best / 10, color=plots.color_of("suggested", 2), linestyle="--", label="a tenth of it")
ax.set(xscale="log", xlabel="learning rate (grows every step)", ylabel="smoothed training loss")
ax.set_title("learning-rate range test, Adam")
ax.legend()
plt.show()

# %% [markdown]
# The loss is lowest near $\eta = 0.2$, so the test suggests about 0.02, close to
# section 8's 0.01. The minimum's own rate is too high for a whole run: the test saw each
# rate for one step only. Eight epochs at each:

# %%
# NBVAL_IGNORE_OUTPUT
tried = {f"lr {lr:.3f}": train_digits(lambda ps, lr=lr: torch.optim.Adam(ps, lr=lr))[2] for lr in (best / 10, best)}  # fmt: skip
for name, h in tried.items():
    print(f"{name}: final training loss {h.train_loss[-1]:.3f}, validation accuracy {h.val_accuracy[-1]:.3f}")  # fmt: skip

# %%
(suggested, at_best) = tried.values()
print(f"a tenth of the minimum's rate ends with a training loss below a third of the minimum's rate: "
      f"{suggested.train_loss[-1] < at_best.train_loss[-1] / 3}")  # fmt: skip
assert suggested.train_loss[-1] < at_best.train_loss[-1] / 3

# %% [markdown]
# ## 10. The library, takeaways, exercises and homework
#
# **In `course_lib`.** `course_lib.optim` holds `SGD`, `Adagrad`, `RMSprop`, `Adam` and
# `AdamW` with `torch.optim`'s names, defaults and order of operations, and
# `clip_grad_norm_`;
# `course_lib.schedules` holds `constant`, `step_decay`, `exponential`, `cosine`,
# `linear_warmup`, `warmup_cosine` and `transformer`, each a function of the step that
# equals what `torch.optim.lr_scheduler` reports; `course_lib.surfaces.WindingValley` is
# the valley of section 6. A schedule drives an optimizer through `opt.lr`, the pattern of
# every training loop from now on:

# %%
p = rosen.start.copy()
opt = optim.Adam([p], lr=0.5)
schedule = schedules.warmup_cosine(0.5, warmup_steps=50, total_steps=1000)
for k in range(1000):
    opt.lr = schedule(k)
    opt.step([rosen.grad(p)])
print(f"Adam with warm-up + cosine on Rosenbrock: final point {p}, loss {rosen.value(p):.1e}")

# %% [markdown]
# **Takeaways.**
#
# - A stalled loss is not proof of a critical point: check the gradient norm. On an
#   elongated surface no fixed rate is both stable and fast.
# - **Adaptive learning rates** divide each parameter's step by $\sigma_i$, an RMS of its
#   past gradients: AdaGrad over all steps (steps only shrink), RMSProp with an EMA, Adam
#   with momentum and **bias correction**; Adam's step is about $\eta$ unless
#   $|g| \lesssim \epsilon$.
# - **Scheduling** changes the global rate over time: decay, and **warm-up**, which Adam
#   needs because its moment estimates are unreliable at first. Without decay, AdaGrad's
#   RMS form bursts out of a valley.
# - Each step is $\eta \times s(k) \times 1/\sigma_i$. No optimizer wins on every surface.
# - AdamW shrinks every weight alike; L2 inside Adam spares weights with large gradients.
#   Clipping caps a rare huge gradient; a range test finds a rate in one short run.
# - Our optimizers, clipping and schedules match PyTorch to rounding error.
#
# **Glossary.** The terms in bold are in the course [glossary](glossary.md), in English
# and Chinese.

# %% [markdown]
# **Exercises.** Predict the answer before you run the code, then open the answer.

# %% [markdown]
# **1.** In section 3, feed Adam a constant gradient of $10^{-9}$ instead of 0.5 (keep
# $\epsilon = 10^{-8}$). Will its step be close to $\eta$, to $\eta/10$, or to SGD's
# $\eta\,|g|$?

# %% tags=["answer"]
tiny = step_sizes(adam_step, np.full(100, 1e-9), eps=1e-8) / 1e-3  # step / lr
print(f"step / lr for g = 1e-9: {tiny[0]:.4f} at t = 1, {tiny[-1]:.4f} at t = 100; 1/11 = {1 / 11:.4f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Close to $\eta/10$: exactly $\eta/11$ at every step. For a constant gradient
# $\hat m_t = g$ and $\sqrt{\hat v_t} = |g|$, so the step is
# $\eta\,|g|/(|g| + \epsilon) = \eta \cdot 10^{-9}/(1.1 \cdot 10^{-8}) = \eta/11$. SGD's
# step, $\eta \cdot 10^{-9}$, would be a hundred million times smaller. Near $\epsilon$ Adam's
# normalisation fades out, as in the right panel of section 3's figure.
# </details>

# %% [markdown]
# **2.** In section 5, run `warmup_run` at `lr=0.1` with the warm-up. How many first-layer
# units die? Then rerun on standardized pixels at 0.05 without warm-up: do units die, does
# the early loss jump?

# %% tags=["answer"]
at_high = warmup_run(0, factors["warm-up"], lr=0.1)[1][-1]  # seed 0
pixels_raw, pixels = pixels, torch.tensor(standardize(X_tr)[0], dtype=torch.float32)
standardized = warmup_run(0, factors["no warm-up"])  # dead units counted on the same inputs
pixels = pixels_raw
print(f"lr 0.1 with warm-up: more than 80 of 128 units dead at the end: {at_high > 80}")
print(f"standardized, lr 0.05, no warm-up: dead units {standardized[1][-1]}; "
      f"batch loss above ln 10 in steps 1-30: {standardized[0][:30].max() > math.log(10)}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# At $\eta = 0.1$ most of the first layer dies even with the warm-up: the rate is simply
# too high for this network, and the warm-up only delays the damage. With standardized
# pixels no unit dies: each input now has both signs over the images, so a step that
# lowers $z$ on some images raises it on others. The early loss still jumps above
# $\ln 10$, though: that part of the problem is Adam's full-size first steps, which
# warm-up, not standardization, addresses.
# </details>

# %% [markdown]
# **3.** Set $W = 8000$ in the Transformer schedule with $d = 512$. By what factor does the
# peak change, and where is it?

# %% tags=["answer"]
longer = np.array([schedules.transformer(512, warmup_steps=8000)(k) for k in range(40_000)])
print(f"peak {longer.max():.3e} at t = {longer.argmax() + 1}; ratio to the W = 4000 peak "
      f"{longer.max() / paper_rates.max():.4f}; 1/sqrt(2) = {2**-0.5:.4f}")  # fmt: skip
print(f"the two schedules agree from t = 8000 on: {np.allclose(longer[7999:], paper_rates[7999:])}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# The peak $d^{-0.5}W^{-0.5}$ falls by $1/\sqrt 2 \approx 0.707$, to $4.94 \times 10^{-4}$,
# and moves to $t = W = 8000$. After its peak each schedule is the same curve
# $d^{-0.5}t^{-0.5}$, so from $t = 8000$ on the two agree: a longer warm-up climbs more
# slowly to a lower peak and changes nothing later.
# </details>

# %% [markdown]
# **4.** In section 6, run the constant schedule with $\eta = 0.1$ instead of 0.2. Does the
# largest eigenvalue of $DH$ still pass 2 within 600 steps, earlier or later?

# %% tags=["answer"]
path_01, rates_01 = adagrad_rms_run(winding, schedules.constant(0.1), 1500)
root = np.sqrt(rates_01)
sharp_01 = np.linalg.eigvalsh(root[:, :, None] * H_min * root[:, None, :])[:, -1]
print(f"largest eigenvalue of DH in the first 600 steps: {sharp_01[:600].max():.2f}; "
      f"first above 2 at step {np.flatnonzero(sharp_01 > 2)[0] + 1}")  # fmt: skip
print(f"loss after 600 steps below 1e-15: {winding.value(path_01[600]) < 1e-15}")

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# Later, and not within 600 steps: the eigenvalue stays below 1.55 and the loss keeps
# falling. With half the rate, $\sigma_i$ must shrink to half the size before $DH$ reaches
# the same eigenvalue. But the RMS of all past gradients keeps shrinking like $1/\sqrt t$
# once the gradients are tiny, so $\eta/\sigma_i$ keeps growing and the eigenvalue passes 2
# at step 1000: a smaller constant rate postpones the burst, only a decaying one removes it.
# </details>

# %% [markdown]
# **5.** Run the range test of section 9 for SGD with momentum 0.9
# (`lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)`). Where is the loss lowest, and
# how does a tenth of that rate compare with the 0.05 that section 8 used?

# %% tags=["answer"]
# NBVAL_IGNORE_OUTPUT
rates_m, smooth_m = range_test(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))
best_m = rates_m[np.argmin(smooth_m)]
print(f"momentum: lowest smoothed loss at lr {best_m:.2f}, a tenth of it {best_m / 10:.3f}")

# %% [markdown] tags=["answer"]
# <details><summary>Answer</summary>
#
# The loss is lowest near $\eta = 0.8$, so the test suggests about 0.08, the same order as
# the 0.05 of section 8 (chosen there without a test). Rates of different optimizers do
# not compare: Adam's $\eta$ is a step length, while for SGD and momentum $\eta$ multiplies
# the gradient.
# </details>

# %% [markdown]
# **Homework.** `homework/hw04_adaptive_lr.ipynb`: implement RMSProp, Adam with bias
# correction, and a warm-up + cosine schedule, and verify all three against PyTorch.
