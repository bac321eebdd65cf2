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
# When training stops making progress, the usual suspect is a critical point. This lecture
# shows a more common culprit: a learning rate that is wrong for some directions of the
# loss surface. We give every parameter its own step size (AdaGrad, RMSProp, Adam), change
# the global step size over time (learning-rate **scheduling** and **warm-up**), and check
# every piece against `torch.optim` step for step.
#
# 1. Training stalls, but not at a critical point
# 2. AdaGrad: one learning rate per parameter
# 3. RMSProp and Adam (with bias correction)
# 4. Checking against `torch.optim`
# 5. Learning-rate scheduling and warm-up
# 6. AdaGrad's late burst, and how decay removes it
# 7. How the pieces combine
# 8. All optimizers side by side
# 9. The library, takeaways and homework

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

from course_lib import optim, schedules
from course_lib.data import load_digits, standardize, train_val_test_split
from course_lib.explorers import OptimizerExplorer
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.plots import contour_with_paths, history_curves, loss_curves, lr_curves, use_style
from course_lib.surfaces import IllConditionedQuadratic, Rosenbrock
from course_lib.training import fit, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. Training stalls, but not at a critical point
#
# When the loss stops falling, we may think the parameters sit at a **critical point**,
# where the gradient is zero. Often they do not: the loss can stall while the gradient is
# large. Then the parameters bounce between the walls of a valley, because the learning
# rate is too large for the steep direction. So look at the **gradient norm**, not only at
# the loss.
#
# Take the elongated bowl $f(\mathbf p) = \tfrac12 \mathbf p^\top A \mathbf p$ with
# $A = \operatorname{diag}(1, \kappa)$ and $\kappa = 50$: curvature 1 along $x$, 50 along
# $y$. A gradient-descent step $\mathbf p \leftarrow \mathbf p - \eta A \mathbf p$ multiplies
# each coordinate by $(1 - \eta\lambda)$, where $\lambda$ is its curvature:
#
# $$x_{t+1} = (1 - \eta)\,x_t, \qquad y_{t+1} = (1 - \eta\kappa)\,y_t .$$
#
# A coordinate shrinks only if $|1 - \eta\lambda| < 1$, that is $\eta < 2/\lambda$. At
# $\eta = 2/\kappa = 0.04$ the factor for $y$ is exactly $-1$: $y$ flips sign forever.
# First, a helper that records the points an optimizer visits (it stops early if the
# point runs away). Plain gradient descent is `course_lib.optim.SGD` from lecture 03.


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
print(
    f"one step: {p1}, predicted (1 - lr*lambda)*p0: {predicted}, error {format_bound(err, 1e-12)}"
)
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
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
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
# With $\eta = 0.04$ the loss stops falling at 25, yet the gradient norm stays at 50: the
# run is not at a critical point at all, the learning rate is just too large for $y$. With
# $\eta = 0.02$ the loss and the gradient norm fall together.
#
# *No single fixed learning rate works* on this surface. To keep $y$ stable we need
# $\eta < 2/\kappa = 0.04$; but then $x$ shrinks by a factor of at least $1 - 2/\kappa = 0.96$
# per step, so after 60 steps it keeps at least $2.5 \cdot 0.96^{60} \approx 0.22$ of its
# distance. A slightly larger rate diverges along $y$; a safe small one crawls along $x$.

# %%
rates = {"lr 0.041 (diverges)": 0.041, "lr 0.039 (zig-zags)": 0.039, "lr 0.01 (crawls)": 0.01}
fixed = {
    name: run(valley, lambda ps, lr=lr: optim.SGD(ps, lr=lr), 60) for name, lr in rates.items()
}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
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

# %% [markdown]
# ## 2. AdaGrad: one learning rate per parameter
#
# The fix is to give each parameter $\theta_i$ its own step size. Write $g_i^t$ for the
# gradient of the loss with respect to $\theta_i$ at step $t$ and replace the update by
#
# $$\theta_i^{t+1} \leftarrow \theta_i^t - \frac{\eta}{\sigma_i^t}\, g_i^t .$$
#
# **AdaGrad** takes $\sigma_i^t$ to be the **root mean square** (RMS) of all the gradients
# of parameter $i$ so far:
#
# $$\sigma_i^t = \sqrt{\frac{1}{t+1}\sum_{k=0}^{t} \left(g_i^k\right)^2 } .$$
#
# A steep direction has large gradients, hence a large $\sigma_i$ and small steps; a flat
# direction gets large steps. The lecture pairs this with the decaying rate
# $\eta^t = \eta/\sqrt{t+1}$. The two $\sqrt{t+1}$ cancel:
#
# $$\frac{\eta^t}{\sigma_i^t} = \frac{\eta}{\sqrt{\sum_{k\le t} (g_i^k)^2}} ,$$
#
# which is the form PyTorch's `Adagrad` uses (it keeps the running *sum* of squares and
# adds a small $\epsilon = 10^{-10}$ after the square root). From scratch:


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
print(
    f"(eta / sqrt(t+1)) / RMS  vs  eta / sqrt(sum g^2): max difference {format_bound(err, 1e-12)}"
)
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

# %% [markdown]
# **The flaw.** The sum $\sum_k (g_i^k)^2$ only grows, so the effective learning rate
# $\eta/\sqrt{\sum_k (g_i^k)^2}$ only shrinks. AdaGrad remembers a steep stretch forever.
# Feed one parameter 20 gradients of size 10 (a steep slope), then 400 gradients of size
# 0.1 (a long plateau that deserves large steps):


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
print(
    f"step size on the slope (step 20): {ada_steps[19]:.1e}; at the end of the plateau: {ada_steps[-1]:.1e}"
)
never_up = bool(np.all(np.diff(ada_rates) <= 1e-9 * ada_rates[1:]))  # up to rounding error
print(f"effective learning rate never increases: {never_up}")
assert never_up

# %% [markdown]
# On the plateau the steps are more than 400 times smaller than the learning rate
# $\eta = 0.1$, and they keep shrinking.
#
# ## 3. RMSProp and Adam (with bias correction)
#
# **RMSProp** forgets old gradients. It replaces the mean over all steps by an
# **exponential moving average** (EMA) of the squared gradients, with a hyperparameter
# $\alpha$ that decides how much the past counts against the current gradient:
#
# $$\left(\sigma_i^t\right)^2 = \alpha \left(\sigma_i^{t-1}\right)^2 + (1 - \alpha)\left(g_i^t\right)^2,
# \qquad \theta_i^{t+1} \leftarrow \theta_i^t - \frac{\eta}{\sigma_i^t + \epsilon}\, g_i^t .$$
#
# PyTorch's `RMSprop` starts the average at 0 and uses $\alpha = 0.99$,
# $\epsilon = 10^{-8}$ (added after the root).


# %%
def rmsprop_step(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8):
    """One RMSProp step, in place: v <- alpha v + (1 - alpha) g^2; theta <- theta - lr g / (sqrt(v) + eps)."""
    state["v"] = alpha * state.get("v", 0.0) + (1 - alpha) * g * g
    theta -= lr * g / (np.sqrt(state["v"]) + eps)


# %%
plateau_steps = {
    "AdaGrad": ada_steps,
    "RMSProp, alpha = 0.99": step_sizes(rmsprop_step, slope_then_plateau, lr=0.1, alpha=0.99),
    "RMSProp, alpha = 0.9": step_sizes(rmsprop_step, slope_then_plateau, lr=0.1, alpha=0.9),
}
loss_curves(
    plateau_steps,
    xlabel="step",
    ylabel="|step| (learning rate 0.1)",
    logy=True,
    title="slope (20 steps), then plateau",
)
plt.axvline(20, color="gray", linestyle=":")
plt.show()

# %%
for name, sizes in plateau_steps.items():
    print(f"{name:<22} last step on the plateau: {sizes[-1]:.1e}")

# %% [markdown]
# RMSProp forgets the slope: the slope's share of $\sigma^2$ decays like $\alpha^k$, so the
# step climbs back towards $\eta$. With $\alpha = 0.9$ it is back within about 100 steps;
# with PyTorch's default $\alpha = 0.99$ it has recovered a sixth of $\eta$ after 400.
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
# $1 - \beta^t$ is the **bias correction**. PyTorch's defaults: $\eta = 10^{-3}$,
# $(\beta_1, \beta_2) = (0.9, 0.999)$, $\epsilon = 10^{-8}$; they work for many problems
# without tuning.


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
# uncorrected step is $\eta\,(1-\beta_1^t)/\sqrt{1-\beta_2^t}$: $3.2\,\eta$ at $t = 1$ and
# about $6.6\,\eta$ around $t = 12$, because $v$ (with $\beta_2 = 0.999$) is biased far more
# than $m$. The corrected step is $\eta$ from the start.

# %%
constant_grad = np.full(2000, 0.5)  # eps = 0 below so that the formula is exact
adam_sizes = {
    "with bias correction": step_sizes(adam_step, constant_grad, eps=0.0) / 1e-3,
    "without bias correction": step_sizes(adam_step, constant_grad, eps=0.0, bias_correction=False)
    / 1e-3,
}
t = np.arange(1, 2001)
formula = (1 - 0.9**t) / np.sqrt(1 - 0.999**t)
err = np.abs(adam_sizes["without bias correction"] - formula).max()
print(f"uncorrected step vs eta (1 - b1^t) / sqrt(1 - b2^t): max error {format_bound(err, 1e-9)}")
assert err < 1e-9
for k in (1, 2, 5, 12, 50, 200, 1000, 2000):
    print(
        f"t = {k:4d}: step / lr with correction {adam_sizes['with bias correction'][k - 1]:.4f}, without {adam_sizes['without bias correction'][k - 1]:.4f}"
    )

# %%
fig, ax = plt.subplots()
for name, sizes in adam_sizes.items():
    ax.plot(t, sizes, label=name)
ax.set(xscale="log", xlabel="step t", ylabel="|step| / lr", title="Adam on a constant gradient")
ax.legend()
plt.show()

# %% [markdown]
# ## 4. Checking against `torch.optim`
#
# Each from-scratch optimizer must take exactly the steps of its PyTorch counterpart. We
# run 50 steps on the Rosenbrock surface (lecture 03) in float64, feeding PyTorch the same
# NumPy gradients (`course_lib.optim.torch_path` records the points a `torch.optim`
# optimizer visits), and compare the whole path.

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
for name, (step_fn, cls, hyper) in cases.items():
    reference = optim.torch_path(cls, rosen, 50, **hyper)
    err_scratch = np.abs(scratch_path(rosen, step_fn, 50, **hyper) - reference).max()
    err_lib = np.abs(
        run(rosen, lambda ps, c=cls, h=hyper: getattr(optim, c)(ps, **h), 50) - reference
    ).max()
    print(
        f"{name:<8} max error over 50 steps vs torch.optim.{cls}: from scratch {format_bound(err_scratch, 1e-10)}, course_lib.optim.{cls} {format_bound(err_lib, 1e-10)}"
    )
    assert err_scratch < 1e-10 and err_lib < 1e-10

# %% [markdown]
# The same three optimizers live in `course_lib.optim` as `Adagrad`, `RMSprop` and `Adam`
# (plus `SGD` and `AdamW`), with PyTorch's argument names and defaults. They update a list
# of NumPy arrays in place with `opt.step(grads)`, and `opt.lr` may be changed between
# steps. From here on the lecture uses them.
#
# ## 5. Learning-rate scheduling and warm-up
#
# The adaptive factor $1/\sigma_i$ acts per parameter. **Learning-rate scheduling** changes
# the global $\eta$ with the step $k$ instead. *Decay* makes it smaller over time: bold
# steps early, fine steps near the end. **Warm-up** first makes it larger, then smaller.
# The common schedules, with $\eta$ the base rate:
#
# | schedule | $\eta_k$ | PyTorch |
# |---|---|---|
# | step decay | $\eta\,\gamma^{\lfloor k/s \rfloor}$ | `StepLR` |
# | exponential decay | $\eta\,\gamma^{k}$ | `ExponentialLR` |
# | cosine decay | $\eta_{\min} + (\eta - \eta_{\min})\,\frac{1 + \cos(\pi k/T)}{2}$ | `CosineAnnealingLR` |
# | linear warm-up | $\eta\,\big(f + (1-f)\min(k, W)/W\big)$ | `LinearLR` |
# | warm-up + cosine | linear warm-up for $k < W$, then cosine over $T - W$ steps | `SequentialLR` |
# | Transformer | $d^{-0.5}\,\min\!\big(s^{-0.5},\; s\,W^{-1.5}\big)$, $s = k+1$ | `LambdaLR` |
#
# The last one is the warm-up of "Attention Is All You Need": it rises linearly for $W$
# steps and then decays like $1/\sqrt{s}$; $d$ is the model width. From scratch, as plain
# functions of $k$ (base rate 0.1, $T = 100$ steps, $W = 10$ warm-up steps, $f = 1/3$):

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
for name, make in torch_schedulers.items():
    reference = torch_rates(make, T + 20, lr=1.0 if name == "transformer" else lr0)
    errs = [
        np.abs(np.array([f(k) for k in range(T + 20)]) - reference).max()
        for f in (scratch_schedules[name], library_schedules[name])
    ]
    print(
        f"{name:<17} max error over {T + 20} steps: from scratch {format_bound(errs[0], 1e-12)}, course_lib.schedules {format_bound(errs[1], 1e-12)}"
    )
    assert max(errs) < 1e-12

# %% [markdown]
# (For the Transformer schedule the optimizer's base rate is 1, so that `LambdaLR`'s factor
# is the rate itself.) The schedules, drawn with `course_lib.plots.lr_curves`:

# %%
decays = ("step decay", "exponential", "cosine")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
lr_curves({name: library_schedules[name] for name in decays}, T, title="decay", ax=ax1)
lr_curves(
    {name: f for name, f in library_schedules.items() if name not in decays},
    T,
    title="warm-up",
    ax=ax2,
)
plt.show()

# %% [markdown]
# **Why adaptive methods need warm-up.** Adam's $\hat v_t$ estimates the mean squared
# gradient $\mathbb E[g^2]$ from very few gradients at the start: at $t = 1$ it is a single
# $g_1^2$. With noisy gradients that estimate, and with it the adaptive factor
# $1/\sqrt{\hat v_t}$, varies enormously; and the first step is always $\eta\,g_1/|g_1|$,
# a full step of size $\eta$ in the direction of a noisy gradient. Simulate 2000 runs (seeds) of one
# parameter whose gradients are $g_t = 0.1 + \xi_t$ with standard normal noise $\xi_t$,
# so $\mathbb E[g^2] = 1.01$:

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
print("   t   v_hat / E[g^2]: 5%     50%     95%   mean |step|/lr   with 100-step warm-up")
for k in (1, 2, 5, 10, 30, 100, 300, 1000):
    mean_step = step_over_lr[:, k - 1].mean()
    print(
        f"{k:4d}   {lo[k - 1]:19.4f} {mid[k - 1]:7.4f} {hi[k - 1]:7.4f}   {mean_step:14.4f}   {warm[k - 1] * mean_step:21.4f}"
    )

# %%
fig, ax = plt.subplots()
ax.fill_between(t, lo, hi, alpha=0.3, label="v_hat / E[g^2], 5%-95% of runs")
ax.plot(t, mid, label="v_hat / E[g^2], median")
ax.plot(t, step_over_lr.mean(axis=0), label="mean |step| / lr")
ax.set(
    xscale="log",
    yscale="log",
    xlabel="step t",
    ylabel="ratio",
    title="Adam's second-moment estimate is noisy at first",
)
ax.legend()
plt.show()

# %% [markdown]
# In the first steps $\hat v_t$ can be 300 times too small or 4 times too large, and the
# steps are 5 times larger than later ones (about $0.2\,\eta$ once the averages settle).
# A warm-up keeps $\eta$ small until $\hat v_t$ is a reliable estimate; with a 100-step
# linear warm-up from $0.1\,\eta$ the early steps are no larger than the later ones.
#
# ## 6. AdaGrad's late burst, and how decay removes it
#
# Back to AdaGrad in the lecture's form: $\sigma_i^t$ is the RMS of *all* past gradients
# and $\eta$ stays constant. Once the parameters sit near the bottom of a valley the
# gradients vanish, the mean of their squares keeps shrinking, so $\sigma_i$ becomes small
# and $\eta/\sigma_i$ large. Then a tiny gradient makes a big step: the parameters
# *burst* out of the valley, the large gradients there inflate $\sigma_i$ again, and they
# fall back.
#
# When exactly? Near a minimum with Hessian $H$ the gradient is $H\mathbf p$, and a step
# with per-parameter rates $D = \operatorname{diag}(\eta/\sigma_1, \eta/\sigma_2)$ is
# $\mathbf p \leftarrow (I - DH)\,\mathbf p$. It shrinks $\mathbf p$ only while the largest
# eigenvalue of $DH$ stays below 2: section 1's condition $\eta\lambda < 2$, with the rates
# folded into the matrix.
#
# We show it on a long, winding valley that is flat along its floor:
#
# $$f(x, y) = a\left(\sqrt{1 + x^2} - 1\right) + \frac{b}{2}\,\big(y - c \sin x\big)^2,
# \qquad a = 0.5,\; b = 10,\; c = 0.5 .$$
#
# Along the floor $y = c \sin x$ the slope is at most $a$; across it the walls are steep.
# At the minimum (the origin) the Hessian is
# $H = \begin{pmatrix} a + bc^2 & -bc \\ -bc & b \end{pmatrix}
# = \begin{pmatrix} 3 & -5 \\ -5 & 10 \end{pmatrix}$. The surface is not in
# `course_lib.surfaces`, so we define it here with the same interface.


# %%
class WindingValley:
    """f = a (sqrt(1 + x^2) - 1) + b/2 (y - c sin x)^2 for points of shape (..., 2)."""

    name, axis_labels = "winding valley", ("x", "y")
    minimum, start = np.zeros(2), np.array([-8.0, 1.0])
    default_xlim, default_ylim = (-9.0, 2.0), (-1.5, 1.5)
    a, b, c = 0.5, 10.0, 0.5

    def value(self, p):
        x, y = p[..., 0], p[..., 1]
        return self.a * (np.sqrt(1 + x * x) - 1) + self.b / 2 * (y - self.c * np.sin(x)) ** 2

    def grad(self, p):
        x, y = p[..., 0], p[..., 1]
        r = y - self.c * np.sin(x)
        dx = self.a * x / np.sqrt(1 + x * x) - self.b * r * self.c * np.cos(x)
        return np.stack([dx, self.b * r], axis=-1)


# %%
winding = WindingValley()
p0 = np.array([-3.0, 0.7])
err = rel_error(winding.grad(p0), numerical_gradient(lambda q: float(winding.value(q)), p0))
print(f"winding valley: relative error of grad vs numerical gradient {format_bound(err, 1e-7)}")
assert err < 1e-7
H_min = np.array([[3.0, -5.0], [-5.0, 10.0]])
H_num = np.array(
    [numerical_gradient(lambda q, i=i: float(winding.grad(q)[i]), np.zeros(2)) for i in range(2)]
)
err = np.abs(H_num - H_min).max()
print(
    f"Hessian at the minimum vs finite differences of grad: max error {format_bound(err, 1e-6)}; eigenvalues {np.linalg.eigvalsh(H_min)}"
)
assert err < 1e-6

# %% [markdown]
# The RMS form is PyTorch's `Adagrad` with the learning rate $\eta_t\sqrt{t+1}$ (section 2),
# so `course_lib.optim.Adagrad` runs it if we set `opt.lr` at every step. We compare a
# constant $\eta = 0.2$ with two decaying schedules from section 5 (exponential with
# $\gamma = 0.995$, and cosine over the 600 steps). At every step we record the rates
# $\eta_t/\sigma_i^t$ and the largest eigenvalue of $D_t H$.


# %%
def adagrad_rms_run(surface, schedule, steps):
    """AdaGrad with sigma = RMS of past gradients and rate schedule(t).

    Returns the path, shape (steps + 1, 2), and the rates eta_t / sigma_i, shape (steps, 2).
    """
    p = surface.start.copy()
    opt = optim.Adagrad([p])
    path, rates = [p.copy()], []
    for t in range(steps):
        opt.lr = schedule(t) * math.sqrt(t + 1)
        opt.step([surface.grad(p)])
        path.append(p.copy())
        rates.append(schedule(t) / np.sqrt(opt.state[0]["sum"] / (t + 1)))
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
fig, axes = plt.subplots(1, 3, figsize=(16, 4.4), dpi=80, layout="constrained")
contour_with_paths(winding, burst, ax=axes[0])
burst_losses = {name: winding.value(path) for name, path in burst.items()}
loss_curves(burst_losses, xlabel="step", logy=True, title="loss", ax=axes[1])
loss_curves(
    sharpness,
    xlabel="step",
    ylabel="largest eigenvalue of D H",
    title="stability near the minimum",
    ax=axes[2],
)
axes[2].axhline(2, color="gray", linestyle="--", label="stability limit 2")
axes[2].legend()
plt.show()

# %%
for name, loss in burst_losses.items():
    log_loss = np.log10(loss)
    rise = log_loss[1:] - np.minimum.accumulate(log_loss)[:-1]  # above the best loss so far
    above = np.flatnonzero(sharpness[name] > 2)
    print(
        f"{name:<18} lowest loss {loss.min():.1e} (step {loss.argmin():3d}), largest jump "
        f"{max(rise.max(), 0):3.1f} decades, final loss {loss[-1]:.1e}; "
        f"max eigenvalue of DH {sharpness[name].max():.2f}, above 2 from step {above[0] if above.size else '-'}"
    )

# %% [markdown]
# With a constant $\eta$ the rates $\eta/\sigma_i$ keep growing; the largest eigenvalue of
# $DH$ passes 2 at step 121. From then on the distance to the minimum grows instead of
# shrinking, starting from a tiny value, so the loss still falls for a while, bottoms out
# near $10^{-7}$ and then jumps up by almost seven decades around step 200. The run then
# hovers at the stability limit and never converges. Both decaying schedules keep the
# eigenvalue below 2, and the loss keeps falling. PyTorch's `Adagrad` has the decay
# $\eta/\sqrt{t+1}$ built in, so it never bursts, at the price of the ever-shrinking steps
# of section 2.
#
# ## 7. How the pieces combine
#
# Every step of an adaptive optimizer with a schedule is a product of three factors:
#
# $$\Delta\theta_i^t = -\underbrace{\eta}_{\text{global}} \times
# \underbrace{s(t)}_{\text{schedule, by step or epoch}} \times
# \underbrace{\frac{1}{\sigma_i^t}}_{\text{adaptive, per parameter}} \times\; g_i^t$$
#
# (Adam uses $\hat m_i^t$ in place of $g_i^t$.) The two mechanisms do different jobs:
#
# | | what it adjusts | level | what it is for |
# |---|---|---|---|
# | RMSProp / Adam | the step size of each parameter | per parameter (local) | keep parameters with very large or very small gradients from updating unstably |
# | learning-rate scheduling | the overall learning rate during training | the optimizer's global rate | search boldly early, converge finely late |
#
# One parameter with loss $\tfrac12(\theta - 3)^2$, `course_lib.optim.RMSprop` with
# $\eta = 0.1$, and the factor $s(t)$ of a warm-up + cosine schedule (warm-up 3 steps,
# 8 steps in all). We predict each step from the three factors and compare it with the
# optimizer's actual step:

# %%
eta, factor = 0.1, schedules.warmup_cosine(1.0, warmup_steps=3, total_steps=8)
theta = np.zeros(1)
opt = optim.RMSprop([theta], lr=eta)
print("   t   gradient g   eta   s(t)    1/sigma   predicted -eta*s*g/sigma   actual step")
worst = 0.0
for t in range(8):
    g, before = theta - 3, theta.copy()
    opt.lr = eta * factor(t)
    opt.step([g])
    inv_sigma = 1 / (np.sqrt(opt.state[0]["square_avg"][0]) + opt.eps)
    predicted, actual = -eta * factor(t) * inv_sigma * g[0], (theta - before)[0]
    worst = max(worst, abs(predicted - actual))
    print(
        f"{t:4d} {g[0]:12.4f} {eta:5.2f} {factor(t):6.4f} {inv_sigma:10.4f} {predicted:26.4f} {actual:13.4f}"
    )
print(f"max |predicted - actual| = {format_bound(worst, 1e-12)}")
assert worst < 1e-12

# %% [markdown]
# The schedule sets how bold the whole run is at each step; $1/\sigma$ rescales each
# parameter. Note the first RMSProp step: $1/\sigma = 1/(0.1\,|g|)$ because the average
# starts at 0, so the step is $10\,\eta\,s(0)$. That is one more reason to warm up.
#
# ## 8. All optimizers side by side
#
# Five optimizers from `course_lib.optim` on three surfaces: the valley of section 1, the
# same valley rotated by 30° (so that its axes are no longer the coordinate axes), and
# Rosenbrock. Each optimizer gets one learning rate per surface, the best of the grid
# $\{1, 2, 5\} \times 10^{-4 \ldots -1}$ (searched once while writing this lecture; edit the
# dictionary to try others). "Steps" counts the steps until the loss first falls below the
# tolerance.

# %%
optimizers = {  # name: (class, extra arguments, lr per surface: valley, rotated, Rosenbrock)
    "SGD": (optim.SGD, {}, (0.02, 0.02, 0.002)),
    "momentum": (optim.SGD, {"momentum": 0.9}, (0.01, 0.01, 0.002)),
    "AdaGrad": (optim.Adagrad, {}, (0.5, 0.5, 0.5)),
    "RMSProp": (optim.RMSprop, {}, (0.5, 0.2, 0.01)),
    "Adam": (optim.Adam, {}, (0.1, 0.2, 0.5)),
}
arena = {  # name: (surface, steps, tolerance)
    "valley (kappa 50)": (valley, 200, 1e-6),
    "rotated valley": (IllConditionedQuadratic(50.0, angle=math.pi / 6), 200, 1e-6),
    "Rosenbrock": (rosen, 1000, 1e-4),
}

# %%
paths = {
    (surface_name, name): run(
        surface, lambda ps, c=cls, kw=kw, lr=lrs[j]: c(ps, lr=lr, **kw), steps
    )
    for j, (surface_name, (surface, steps, _)) in enumerate(arena.items())
    for name, (cls, kw, lrs) in optimizers.items()
}

# %%
fig, axes = plt.subplots(1, 3, figsize=(17, 4.8), dpi=80, layout="constrained")
for ax, (surface_name, (surface, steps, _)) in zip(axes, arena.items(), strict=True):
    contour_with_paths(surface, {name: paths[surface_name, name] for name in optimizers}, ax=ax)
    ax.set_title(f"{surface_name}, {steps} steps")
axes[2].legend(loc="lower right", frameon=True, framealpha=0.85)  # away from the paths
plt.show()

# %%
# NBVAL_IGNORE_OUTPUT
# (final losses near or below the tolerance depend on the CPU's rounding; the next cell states
# what holds on every machine)
for j, (surface_name, (surface, steps, tol)) in enumerate(arena.items()):
    print(f"{surface_name} ({steps} steps, tolerance {tol:.0e})")
    print(f"  {'optimizer':<10} {'lr':>6} {'final loss':>11} {'steps':>6}")
    for name, (_, _, lrs) in optimizers.items():
        path, lr = paths[surface_name, name], lrs[j]
        loss = surface.value(path)
        final = "diverged" if len(path) <= steps else f"{loss[-1]:.1e}"
        hit = np.flatnonzero(loss < tol)
        print(f"  {name:<10} {lr:6g} {final:>11} {hit[0] if hit.size else '-':>6}")

# %%
first_hit = {  # (surface, optimizer) -> first step with loss below the tolerance, or None
    key: next(iter(np.flatnonzero(arena[key[0]][0].value(path) < arena[key[0]][2])), None)
    for key, path in paths.items()
}
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
# $10\,\eta$ per coordinate as in section 7; it is still the first back at the minimum.)
# Rotate the valley by 30° and that advantage disappears: $1/\sigma_i$ rescales
# the coordinates but cannot rotate them. AdaGrad then misses the tolerance and momentum
# is fastest. On Rosenbrock's curved valley only momentum and Adam reach the tolerance
# within 1000 steps, Adam first. No method wins everywhere; only momentum and Adam reach
# the tolerance on all three surfaces.

# %% [markdown]
# **Try it yourself.** The explorer draws the same five optimizers with one shared learning
# rate $\eta$ and your choice of $\beta_1$ (momentum and Adam), $\beta_2$ (RMSProp's $\alpha$
# and Adam's second moment), number of steps and surface. Look for the $\eta$ where SGD
# diverges on the valley while AdaGrad and RMSProp are still stable, and watch how Adam's
# path changes as $\beta_1$ goes to 0 (it becomes RMSProp with bias correction). It needs a
# running kernel; the figure above is its static twin.

# %%
# NBVAL_IGNORE_OUTPUT
OptimizerExplorer(
    ["SGD", "momentum", "AdaGrad", "RMSProp", "Adam"],
    {name: surface for name, (surface, _, _) in arena.items()},
    lr=0.01,
    steps=200,
)

# %% [markdown]
# **A small network on real data.** A two-layer network (64 → 32 → 10, ReLU) on the
# handwritten digits (1797 images of 8×8 pixels, standardized), trained for 8 epochs with
# mini-batches of 64 and `course_lib.training.fit`. Every optimizer starts from the same
# initial weights and sees the same batches; each uses a learning rate typical for its
# kind (not tuned).

# %%
X, y = load_digits()
X_tr, y_tr, X_va, y_va, _, _ = train_val_test_split(X, y, seed=0, stratify=True)
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
# NBVAL_IGNORE_OUTPUT
histories = {}
for name, make_opt in digit_optimizers.items():
    start = time.perf_counter()
    set_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    loader = torch.utils.data.DataLoader(
        train_set, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    histories[name] = fit(
        model,
        loader,
        nn.CrossEntropyLoss(),
        make_opt(model.parameters()),
        epochs=8,
        val_loader=val_batches,
        progress=False,
    )
    print(f"{name:<9} trained in {time.perf_counter() - start:.2f} s")

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
# ## 9. The library, takeaways and homework
#
# **In `course_lib`.** `course_lib.optim` holds `SGD`, `Adagrad`, `RMSprop`, `Adam` and
# `AdamW` with `torch.optim`'s names, defaults and order of operations;
# `course_lib.schedules` holds `constant`, `step_decay`, `exponential`, `cosine`,
# `linear_warmup`, `warmup_cosine` and `transformer`, each a function of the step that
# equals what `torch.optim.lr_scheduler` reports. A schedule drives an optimizer through
# `opt.lr`, the pattern of every training loop from now on:

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
# - A stalled loss is not proof of a critical point: check the gradient norm. A learning
#   rate too large for the steep directions makes the parameters bounce across a valley,
#   and on an elongated surface no single fixed rate is both stable and fast.
# - **Adaptive learning rates** divide the step of each parameter by $\sigma_i$, a root
#   mean square of its past gradients. AdaGrad averages over all steps, so its steps only
#   shrink; RMSProp uses an exponential moving average with factor $\alpha$; Adam adds
#   momentum and **bias correction**, without which its first steps are up to 6.6 times
#   too large.
# - **Scheduling** changes the global rate over time: decay (step, exponential, cosine)
#   and **warm-up** (linear, warm-up + cosine, the Transformer's
#   $d^{-0.5}\min(s^{-0.5}, s\,W^{-1.5})$). Adaptive methods need warm-up because their
#   second-moment estimate is unreliable for the first steps.
# - Without decay, AdaGrad's RMS form bursts out of a valley once $\sigma_i$ has shrunk so
#   far that the step $\eta/\sigma_i$ is past the stability limit; a decaying schedule
#   removes the bursts.
# - The final step is $\eta \times s(t) \times 1/\sigma_i$: global rate, schedule,
#   per-parameter factor.
# - Our AdaGrad, RMSProp, Adam and all six schedules match PyTorch to rounding error.
#
# - Side by side (section 8), no optimizer wins on every surface: AdaGrad and RMSProp are
#   fastest on the axis-aligned valley, momentum on the rotated one, Adam on Rosenbrock, and
#   only momentum and Adam reach the tolerance on all three.
#
# **Homework.** `homework/hw04_adaptive_lr.ipynb`: implement RMSProp, Adam with bias
# correction, and a warm-up + cosine schedule, and verify all three against PyTorch.
#
# **Glossary.** adaptive learning rate — 自适应学习率; root mean square (RMS) — 均方根;
# exponential moving average — 指数移动平均; bias correction — 偏差修正; momentum —
# 动量; learning-rate scheduling — 学习率调度; learning-rate decay — 学习率衰减;
# warm-up — 预热; critical point — 临界点; gradient norm — 梯度范数.
