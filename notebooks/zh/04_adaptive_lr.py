# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 第 04 讲 — 自适应学习率
#
# 训练停滞不前时，人们首先怀疑的通常是临界点。更常见的原因是：学习率对损失曲面的某些方向并不合适。我们给每个参数各自的步长（AdaGrad、RMSProp、Adam），让全局步长随时间变化（**学习率调度**（learning-rate scheduling）与**预热**（warm-up）），再加上 AdamW、梯度裁剪和学习率范围测试，并把每一部分都与 PyTorch 对照检验。
#
# 1. 训练停滞，却不在临界点
# 2. AdaGrad：每个参数一个学习率
# 3. RMSProp 与 Adam（含偏差修正）
# 4. 与 `torch.optim` 对照检验
# 5. 学习率调度与预热
# 6. AdaGrad 后期的爆发，以及衰减如何消除它
# 7. 各部分如何组合
# 8. 所有优化器并排比较
# 9. AdamW、梯度裁剪，以及如何找到学习率
# 10. 课程库、要点、练习与作业
#
# 符号：$\eta$ 为学习率，$\theta$ 为参数，$g_t$ 为第 $t$ 步（从 1 开始计）的梯度，$\beta$ 为指数移动平均赋予*过去*的权重，$\epsilon$ 为一个很小的常数。

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %% tags=["language"]
from course_lib.language import set_language

set_language("zh")

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
# ## 1. 训练停滞，却不在临界点
#
# 损失停滞并不意味着参数停在了**临界点**（critical point），也就是梯度为零的地方。参数可能正带着很大的梯度在山谷的两壁之间来回弹跳，因为对陡峭的方向来说，学习率太大了。所以要看**梯度范数**（gradient norm），而不能只看损失。
#
# 以狭长的碗形曲面 $f(\mathbf p) = \tfrac12 \mathbf p^\top A \mathbf p$ 为例，其中 $A = \operatorname{diag}(1, \kappa)$，$\kappa = 50$。一步梯度下降 $\mathbf p \leftarrow \mathbf p - \eta A \mathbf p$ 把每个坐标乘以 $(1 - \eta\lambda)$，其中 $\lambda$ 是该坐标方向的曲率：
#
# $$x_{t+1} = (1 - \eta)\,x_t, \qquad y_{t+1} = (1 - \eta\kappa)\,y_t .$$
#
# 只有当 $|1 - \eta\lambda| < 1$，即 $\eta < 2/\lambda$ 时，坐标才会缩小。当 $\eta = 2/\kappa = 0.04$ 时，$y$ 的因子是 $-1$：$y$ 会永远来回变号。先写一个辅助函数，记录优化器经过的各个点（第 03 讲的 `course_lib.optim.SGD` 就是普通的梯度下降）。


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
# 下面分别以 $\eta = 0.04$（陡峭的坐标永远来回变号）和 $\eta = 0.02$（两个坐标都会缩小）各走 100 步，并沿每条路径计算损失和梯度范数。

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
# 当 $\eta = 0.04$ 时，损失不再下降，梯度范数却始终很大（上面打印了两者）：这里并没有临界点，只是学习率对 $y$ 来说太大了。当 $\eta = 0.02$ 时，两者一起下降。
#
# 在这里，*没有哪个固定的学习率能同时做到稳定和快速*。沿 $y$ 方向稳定需要 $\eta < 2/\kappa$；这样一来，$x$ 每一步乘上的因子至少是 $1 - 2/\kappa$，60 步之后它与最小值的距离仍不小于 $2.5\,(1 - 2/\kappa)^{60}$（下面打印）。学习率略高于这个极限，训练就会发散；略低于它，虽然收敛但很慢，同时 $y$ 来回折返；小的学习率则只能沿 $x$ 缓慢爬行。

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
# ## 2. AdaGrad：每个参数一个学习率
#
# 解决办法是给每个参数 $\theta_i$ 各自的步长。记 $g_{t,i}$ 为第 $t$ 步时损失对 $\theta_i$ 的梯度，把更新改为
#
# $$\theta_{t,i} = \theta_{t-1,i} - \frac{\eta}{\sigma_{t,i}}\, g_{t,i} .$$
#
# **AdaGrad**（自适应梯度）取 $\sigma_{t,i}$ 为参数 $i$ 到目前为止所有梯度的**均方根**（root mean square，RMS）：
#
# $$\sigma_{t,i} = \sqrt{\frac{1}{t}\sum_{k=1}^{t} g_{k,i}^2 } .$$
#
# 陡峭的方向步子小，平坦的方向步子大。课程中把它与逐渐衰减的学习率 $\eta_t = \eta/\sqrt{t}$ 搭配使用，两个 $\sqrt{t}$ 正好相互抵消：
#
# $$\frac{\eta_t}{\sigma_{t,i}} = \frac{\eta}{\sqrt{\sum_{k\le t} g_{k,i}^2}} ,$$
#
# 这正是 PyTorch 的 `Adagrad` 所用的形式（它保存梯度平方的累计*和*，并在开平方之后加上 $\epsilon = 10^{-10}$）。从零实现如下：


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
# 在第 1 节的山谷上，学习率 $\eta = 0.5$ 的 AdaGrad 给平坦坐标的有效学习率 $\eta/(\sqrt{\sum g^2}+\epsilon)$ 远大于给陡峭坐标的，60 步内就比任何固定学习率都更接近最小值。

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
# **缺陷。** 和式 $\sum_k g_{k,i}^2$ 只增不减，所以有效学习率只减不增：AdaGrad 会永远记住曾经走过的一段陡坡。给一个参数先输入 20 个大小为 10 的梯度（一段陡坡），再输入 400 个大小为 0.1 的梯度（一片本该迈大步的平台）：


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
# 在平台上，步长始终远低于学习率 $\eta = 0.1$（最后一步还不到它的 1 %），而且还在不断缩小。
#
# ## 3. RMSProp 与 Adam（含偏差修正）
#
# **RMSProp**（均方根传播）会遗忘旧的梯度。它把对所有步的平均换成梯度平方的**指数移动平均**（exponential moving average，EMA），赋予过去的权重为 $\beta$：
#
# $$\sigma_{t,i}^2 = \beta\, \sigma_{t-1,i}^2 + (1 - \beta)\, g_{t,i}^2,
# \qquad \theta_{t,i} = \theta_{t-1,i} - \frac{\eta}{\sigma_{t,i} + \epsilon}\, g_{t,i} .$$
#
# PyTorch 的 `RMSprop` 把 $\beta$ 叫作 `alpha`（原课程也是这么叫的），平均值从 0 开始，默认取 $\beta = 0.99$、$\epsilon = 10^{-8}$。


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
# RMSProp 会忘掉那段陡坡：陡坡在 $\sigma^2$ 中所占的份额按 $\beta^k$ 衰减，所以步长会回升到接近 $\eta$：$\beta = 0.9$ 时回升得快，默认的 0.99 时回升得慢。
#
# **Adam** 就是 RMSProp 加上**动量**（momentum，见第 03 讲）：它用梯度的 EMA $m$ 除以梯度平方的 EMA $v$ 的平方根：
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,$$
# $$\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
# \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} .$$
#
# 两个平均都从 0 开始，所以在初期会偏向 0：对于恒定的梯度 $g$，有 $m_t = (1-\beta_1^t)\,g$、$v_t = (1-\beta_2^t)\,g^2$。除以 $1 - \beta^t$ 就是**偏差修正**（bias correction）。PyTorch 的默认值 $\eta = 10^{-3}$、$(\beta_1, \beta_2) = (0.9, 0.999)$、$\epsilon = 10^{-8}$ 在许多问题上都适用。


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
# *不做偏差修正*，最初几步就会太大。对于恒定的梯度，未经修正的步长是 $\eta\,(1-\beta_1^t)/\sqrt{1-\beta_2^t}$（取 $\epsilon = 0$）：在 $t = 1$ 时是 $(1-\beta_1)/\sqrt{1-\beta_2}$，超过 $3\eta$，而且在之后的几十步里还会更大，因为 $v$ 的偏差比 $m$ 大得多。修正后的步长就是 $\eta$。

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
# **步长与梯度的尺度无关。** 把每个梯度都乘以 $c$：$\hat m_t$ 变为原来的 $c$ 倍，$\sqrt{\hat v_t}$ 变为 $|c|$ 倍，只要 $\sqrt{\hat v_t} \gg \epsilon$，步长就保持不变。在 $t = 1$ 时，$\hat m_1 = g_1$，$\sqrt{\hat v_1} = |g_1|$，所以第一步恰好是
#
# $$\theta_1 - \theta_0 = -\eta\,\frac{g_1}{|g_1| + \epsilon},$$
#
# 也就是大小为 $\eta$ 的一整步，除非 $|g_1|$ 与 $\epsilon$ 相差不到几个数量级；不做偏差修正时，第一步是 $-\eta\,(1-\beta_1)\,g_1/(\sqrt{1-\beta_2}\,|g_1|
# + \epsilon)$。而 SGD 的步长 $\eta\,|g_1|$ 随梯度成比例变化。我们用 `torch.optim.Adam` 对 $|g_1|$ 从 $10^{-6}$ 到 $10^{3}$ 检验这两个公式（$\epsilon = 10^{-8}$）。

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
# 在九个数量级的范围内，Adam 的第一步都是 $\eta$（在 $|g_1| = 10^{-6}$ 处略小一些，因为那里 $\epsilon$ 是 $|g_1|$ 的百分之一），而 SGD 的步长随梯度变化。在 $|g| \approx \epsilon$ 以下，Adam 就变成了学习率为 $\eta/\epsilon$ 的 SGD。左图：偏差随时间的变化；右图：梯度尺度一直降到 $10^{-12}$ 时的第一步。

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
# ## 4. 与 `torch.optim` 对照检验
#
# 每个从零实现的优化器，都必须与对应的 PyTorch 优化器走出完全相同的每一步：在 Rosenbrock 曲面（第 03 讲）上用 float64 跑 50 步，给 PyTorch 输入同样的 NumPy 梯度（`course_lib.optim.torch_path` 记录 `torch.optim` 优化器经过的各个点）。

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
# 同样的三个优化器以 `Adagrad`、`RMSprop` 和 `Adam` 的名字收录在 `course_lib.optim` 中（另外还有 `SGD` 和 `AdamW`），参数名和默认值都与 PyTorch 相同：`opt.step(grads)` 原地更新一组 NumPy 数组，并且可以在两步之间修改 `opt.lr`。
#
# ## 5. 学习率调度与预热
#
# 自适应因子 $1/\sigma_i$ 作用于每个参数。**学习率调度**则根据已经走过的步数 $k = t - 1$（即 PyTorch 中调用 `scheduler.step()` 的次数）改变全局的 $\eta$。*衰减*让它随时间变小：前期大胆迈步，后期精细调整。**预热**则先让它变大，再让它变小。记 $\eta$ 为基础学习率：
#
# | 调度 | $\eta_k$ | PyTorch |
# |---|---|---|
# | 阶梯衰减 | $\eta\,\gamma^{\lfloor k/s \rfloor}$ | `StepLR` |
# | 指数衰减 | $\eta\,\gamma^{k}$ | `ExponentialLR` |
# | 余弦衰减 | $\eta_{\min} + (\eta - \eta_{\min})\,\frac{1 + \cos(\pi k/T)}{2}$ | `CosineAnnealingLR` |
# | 线性预热 | $\eta\,\big(f + (1-f)\min(k, W)/W\big)$ | `LinearLR` |
# | 预热 + 余弦 | $k < W$ 时线性预热，之后在 $T - W$ 步内做余弦衰减 | `SequentialLR` |
# | Transformer | $d^{-0.5}\,\min\!\big(t^{-0.5},\; t\,W^{-1.5}\big)$，$t = k+1$ | `LambdaLR` |
#
# 最后一种是论文 “Attention Is All You Need” 中的预热：它在前 $W$ 步线性上升，之后按 $1/\sqrt{t}$ 衰减；$d$ 是模型的宽度。下面从零实现，写成 $k$ 的函数（基础学习率 0.1，$T = 100$ 步，$W = 10$ 步预热，$f = 1/3$）：

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
# PyTorch 的调度器会原地修改优化器的学习率；我们在每次调用 `scheduler.step()` 之前读取 `get_last_lr()`。同样的调度也收录在 `course_lib.schedules` 中，每个都是一个函数 `f(k)`，其值等于调用 $k$ 次 `scheduler.step()` 之后 PyTorch 报告的学习率。

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
# （对于 Transformer 调度，优化器的基础学习率取 1，这样 `LambdaLR` 的因子就是学习率本身。）**论文规模下的 Transformer 调度。** 取 $d = 512$、$W = 4000$ 时，最小值里的两个分支在 $t^{-0.5} = t\,W^{-1.5}$ 处相交，也就是在 $t = W$ 处，所以峰值为
#
# $$\eta_{\max} = d^{-0.5}\,W^{-0.5} = \frac{1}{\sqrt{512 \cdot 4000}} .$$
#
# 我们在 40 000 步上把 `course_lib.schedules.transformer(512, 4000)` 与公式比较，并检查它的峰值及峰值出现的位置：

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
# **为什么自适应方法需要预热。** 在开始阶段，Adam 的 $\hat v_t$ 只能用极少的梯度来估计梯度平方的均值 $\mathbb E[g^2]$：在 $t = 1$ 时只来自单独一个 $g_1^2$。梯度有噪声时，这个估计以及因子 $1/\sqrt{\hat v_t}$ 都波动极大，而第一步会以完整的大小 $\eta$ 沿着一个带噪声的梯度方向迈出。下面对一个参数模拟 2000 次独立的优化，其梯度为 $g_t = 0.1 + \xi_t$，$\xi_t$ 服从标准正态分布，因此 $\mathbb E[g^2] = 1.01$：

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
# 在最初几步里，$\hat v_t$ 常常远远偏小或偏大（见 5 % 和 95 % 两列），平均步长是 $\hat m_t$ 中的噪声平均掉之后的好几倍。预热让 $\eta$ 先保持较小，直到 $\hat v_t$ 变得可靠：采用从 $0.1\,\eta$ 开始的 100 步线性预热，早期的步子就不会比后期的大。
#
# **在网络上预热。** 一个 64 → 128 → 128 → 10 的 ReLU 网络，数据是手写数字（1797 张 8×8 像素的图像，像素强度位于 $[0, 1]$ 区间），用 Adam 以 $\eta = 0.05$ 训练（对它来说偏高），小批次大小为 64，共 150 步，两个随机种子：从第一步起就做余弦衰减，或者先从 $\eta/3$ 开始做 40 步预热，再做衰减。像素都是非负的，所以对*一张*图像而言，第一层某个单元在它所有输入权重上的梯度符号都相同。一个批次会把符号混在一起，但混得并不均匀；而 Adam 的第一步会把每个有梯度的权重都朝其梯度符号的反方向移动 $\eta$（第 3 节）。在某一符号占多数的单元上，该单元的输入 $z$ 在每张图像上都朝同一方向移动。一个在每张图像上都被推到零以下的单元就*死*了：它的 ReLU 再也不会激活，因此再也得不到梯度。种子 0 的第一步：

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
# 这些原始数字在不同的 CPU 上会有所不同（高学习率下的训练是混沌的）。在每台机器上、对每个种子都以很大的余量成立的结论是：

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
# 不预热时，损失在最初几步就升到 $\ln 10$ 以上，第一层的大部分单元在十步之内死亡。有预热时，最初几步只有三分之一大：大约四分之一的单元立刻死亡，在学习率爬升的过程中又死掉一些，最终只有不预热时的一半左右，而且每个种子的训练损失最终都更低。验证准确率最后大致相同：存活下来的单元已经够用。在 $\eta = 0.1$ 时，即使预热，大部分单元也会死亡（练习 2）。
#
# ## 6. AdaGrad 后期的爆发，以及衰减如何消除它
#
# 回到课程中 AdaGrad 的形式：$\sigma_{t,i}$ 是过去*所有*梯度的 RMS，$\eta$ 保持不变。在山谷底部附近，梯度趋于零，梯度平方的平均值不断缩小，$\eta/\sigma_{t,i}$ 不断变大，直到一个很小的梯度也造成很大的一步：参数*爆发*式地冲出去，那里的大梯度又让 $\sigma_{t,i}$ 重新变大，参数随之落回谷底。
#
# 究竟什么时候会发生？在海森矩阵为 $H$ 的最小值附近，梯度是 $H\mathbf p$，而按参数设定学习率 $D = \operatorname{diag}(\eta/\sigma_1, \eta/\sigma_2)$ 的一步是 $\mathbf p \leftarrow (I - DH)\,\mathbf p$。只有当 $DH$ 的最大特征值保持在 2 以下时，这一步才会让 $\mathbf p$ 缩小：这正是第 1 节的条件 $\eta\lambda < 2$，只不过把各个参数的学习率并入了矩阵。

# %% [markdown]
# 我们在一条又长又弯、沿谷底很平坦的山谷上演示这一现象：
#
# $$f(x, y) = a\left(\sqrt{1 + x^2} - 1\right) + \frac{b}{2}\,\big(y - c \sin x\big)^2,
# \qquad a = 0.5,\; b = 10,\; c = 0.5 .$$
#
# 沿着谷底 $y = c \sin x$，坡度至多为 $a$；横穿谷底的方向上，两壁很陡。在最小值（原点）处，海森矩阵为
# $H = \begin{pmatrix} a + bc^2 & -bc \\ -bc & b \end{pmatrix}
# = \begin{pmatrix} 3 & -5 \\ -5 & 10 \end{pmatrix}$。它就是 `course_lib.surfaces.WindingValley`，其中把 $\sqrt{1+x^2} - 1$ 算成 $x^2 / (\sqrt{1+x^2} + 1)$：一旦 $x^2$ 小于 1 附近的浮点间距，教科书上的写法就会舍入为 0。下面把两种写法都与 60 位十进制的结果比较：

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
# RMS 形式就是学习率取 $\eta_t\sqrt{t}$ 的 PyTorch `Adagrad`（第 2 节），所以只要每一步都设置 `opt.lr`，就能用 `course_lib.optim.Adagrad` 运行它。我们把恒定的 $\eta = 0.2$ 与两种衰减调度（$\gamma = 0.995$ 的指数衰减，以及在 600 步上的余弦衰减）进行比较；每一步都记录 $\eta_t/\sigma_{t,i}$ 以及 $D_t H$ 的最大特征值。


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
# 当 $\eta$ 恒定时，$\eta/\sigma_i$ 会不断增大，直到 $DH$ 的最大特征值超过 2（上面打印了发生在哪一步）。此后与最小值的距离不断增长：损失先是触底，然后跳升好几个数量级，之后一直在稳定性极限附近徘徊。两种衰减调度都让特征值保持在 2 以下，损失一直下降到最后一步。PyTorch 的 `Adagrad` 内置了衰减 $\eta/\sqrt{t}$，所以它从不爆发，代价则是第 2 节中那种不断缩小的步长。
#
# ## 7. 各部分如何组合
#
# 带调度的自适应优化器，每一步都是三个因子的乘积：
#
# $$\Delta\theta_{t,i} = -\underbrace{\eta}_{\text{全局}} \times
# \underbrace{s(k)}_{\text{调度，按步或按轮次}} \times
# \underbrace{\frac{1}{\sigma_{t,i}}}_{\text{自适应，逐参数}} \times\; g_{t,i}$$
#
# （Adam 用 $\hat m_{t,i}$ 代替 $g_{t,i}$。）这两种机制各司其职：
#
# | | 调整的对象 | 作用层面 | 目的 |
# |---|---|---|---|
# | RMSProp / Adam | 每个参数的步长 | 逐参数（局部） | 防止梯度特别大或特别小的参数更新不稳定 |
# | 学习率调度 | 训练过程中的整体学习率 | 优化器的全局学习率 | 前期大胆探索，后期精细收敛 |

# %% [markdown]
# 考虑一个参数，损失为 $\tfrac12(\theta - 3)^2$，使用 $\eta = 0.1$ 的 `course_lib.optim.RMSprop`，以及预热 + 余弦调度的因子 $s(k)$（预热 3 步，共 8 步）。我们由这三个因子预测每一步，并与优化器实际走的每一步进行比较：

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
# 调度决定整个训练在每一步迈多大的步子；$1/\sigma$ 则对每个参数分别缩放。RMSProp 的第一步是 $10\,\eta\,s(0)$：它的平均值从 0 开始且没有偏差修正，所以 $\sigma_1 = \sqrt{1-\beta}\,|g_1| = 0.1\,|g_1|$。这又是一个需要预热的理由。
#
# ## 8. 所有优化器并排比较
#
# 在三个曲面上比较 `course_lib.optim` 中的五个优化器：第 1 节的山谷、把同一山谷旋转 30° 后的版本，以及 Rosenbrock 曲面。“Steps”（步数）统计的是损失首次降到容差以下所需的步数。每个优化器在每个曲面上都从网格 $\{1, 2, 5\} \times 10^{-4 \ldots -1}$ 中选出最佳学习率：达到容差所需步数最少的那个；如果都达不到，就取最终损失最低的那个。从零实现的单步函数都是逐元素运算，所以一次调用就能同时推进全部 12 个学习率。


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
# 下面先列出选出的学习率，再用库中的优化器（`course_lib.optim`）重复同样的运行；它们必须与搜索结果在同一步达到容差：

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
# 在与坐标轴对齐的山谷上，AdaGrad 和 RMSProp 最快：$1/\sigma_i$ 抵消了 $x$ 与 $y$ 方向上曲率的差异。（RMSProp 的那一大跳是它的第一步，如第 7 节所说，每个坐标各走 $10\,\eta$。）把山谷旋转 30° 后，这个优势就没有了，因为 $1/\sigma_i$ 能缩放各个坐标，却不能旋转它们：AdaGrad 达不到容差，动量法最快。在 Rosenbrock 曲面上只有动量法和 Adam 能达到容差，Adam 最先。没有哪种方法处处取胜。如果某个最佳学习率位于网格的上端（见上面的列表），那么限制结果的是网格，而不是方法本身。
#
# **自己动手试试。** 在运行中的内核里，找出让 SGD 在山谷上发散、而 AdaGrad 和 RMSProp 仍保持稳定的 $\eta$。

# %%
# NBVAL_IGNORE_OUTPUT
OptimizerExplorer(
    ["SGD", "momentum", "AdaGrad", "RMSProp", "Adam"],
    {name: surface for name, (surface, _, _) in arena.items()},
    lr=0.01,
    steps=200,
)

# %% [markdown]
# **真实数据上的小网络。** 一个 64 → 32 → 10 的 ReLU 网络，数据是第 5 节的手写数字，这次做了标准化；用 `course_lib.training.fit` 以大小为 64 的小批次训练 8 个轮次。所有优化器都从相同的权重出发，看到相同的批次，各自使用同类方法常用的学习率（未经调参）。

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
# 普通 SGD 落在后面；动量法和三种自适应方法在 8 个轮次内都达到了相近且更高的验证准确率，其中 Adam 的训练损失最低。

# %%
history_curves(histories, title="digits")
plt.show()

# %% [markdown]
# ## 9. AdamW、梯度裁剪，以及如何找到学习率
#
# **AdamW。** 权重衰减（第 02 讲）在每一步都让每个权重缩小一点。对 SGD 来说，它等同于在损失上加上 L2 惩罚项 $\tfrac\lambda2\lVert\theta\rVert^2$，其梯度 $\lambda\theta$ 并入 $g_t$。对 Adam 来说并非如此：带 `weight_decay` $\lambda$ 的 `torch.optim.Adam` 在除以 $\sqrt{\hat v_t}$ *之前*把 $\lambda\theta$ 加到梯度上，因此梯度大的权重几乎不衰减，而梯度极小的权重每一步几乎衰减 $\eta$。**AdamW** 把两者解耦：
#
# $$\theta \leftarrow \theta\,(1 - \eta\lambda), \qquad \text{再只用 } g_t
# \text{ 走 Adam 的一步},$$
#
# 即先衰减，再只用损失的梯度走 Adam 的一步，于是每个权重都按同一个因子缩小。从零实现只需在 `adam_step` 前面加一行：


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
# 在第 8 节的手写数字网络上（Adam，$\eta = 0.01$，相同的起点和批次），我们分别加上 L2（$\lambda = 0.01$）或 AdamW 的衰减（$\lambda = 0.1$），把第一层的每个权重与不加衰减时训练出的值相比较，并按梯度大小（那次训练结束时的 $\sqrt{\hat v}$）分成四个四分位组：

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
# 加 L2 时，衰减跟着梯度走：梯度最小的那些权重最终只有不加衰减时的五分之一左右，梯度最大的那些则保留一半以上。有三个像素在每张图像上都是空白的，它们的权重得不到任何来自损失的梯度，于是 Adam 把极小的 $\lambda\theta$ 放大成大小为 $\eta$ 的步子，把这些权重清零。AdamW 则让所有权重同样地缩小。验证准确率几乎不变；不同的是*哪些*权重被缩小。
#
# **梯度裁剪。** 一个巨大的梯度可能把参数抛到很远的地方，那里的梯度更大。**梯度裁剪**（gradient clipping）把所有梯度合在一起重新缩放，使其范数至多为 $c$：$g \leftarrow g \cdot \min(1, c/\lVert g\rVert)$，方向保持不变。`torch.nn.utils.clip_grad_norm_` 原地处理每个 `.grad`（在范数上加 $10^{-6}$），`course_lib.optim.clip_grad_norm_` 则处理一组 NumPy 数组：

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
# 裁剪能防范偶尔出现的巨大梯度，又不必在其余的训练中降低学习率。在 Rosenbrock 曲面上从陡壁上的 $(-2, -1)$ 出发，$\eta = 0.002$ 的 SGD 会被抛出去并发散；$\eta = 0.001$ 时它能撑下来，但很慢。在 $c = 100$ 处裁剪后，$\eta = 0.002$ 就能正常工作：


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
# 裁剪的那次训练只在开头裁剪了几步，以受限的步幅走下陡壁，之后就是较大学习率下的普通 SGD，最终的损失远低于 $\eta = 0.001$ 的那次训练。Adam 会除以梯度自身的尺度（第 3 节），所以对 Adam 来说，裁剪几乎不起作用，也不能代替预热。
#
# **如何找到学习率。** **学习率范围测试**（learning-rate range test）只需一次短暂的训练：在 100 个小批次中把 $\eta$ 从 $10^{-4}$ 按几何级数增大到 10，用带偏差修正的 EMA 平滑损失，一旦它超过自身最小值的 4 倍就停止。损失下降最快的地方大约比最小值对应的学习率低一个数量级；取那个学习率的十分之一。对第 8 节网络上的 Adam：


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
# 损失在 $\eta = 0.2$ 附近最低，所以测试建议约 0.02，与第 8 节的 0.01 很接近。最小值处的学习率本身对一次完整的训练来说太高了：测试中每个学习率只用了一步。下面各训练 8 个轮次：

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
# ## 10. 课程库、要点、练习与作业
#
# **`course_lib` 中的实现。** `course_lib.optim` 包含 `SGD`、`Adagrad`、`RMSprop`、`Adam` 和 `AdamW`，名称、默认值和运算顺序都与 `torch.optim` 相同，还有 `clip_grad_norm_`；`course_lib.schedules` 包含 `constant`、`step_decay`、`exponential`、`cosine`、`linear_warmup`、`warmup_cosine` 和 `transformer`，每个都是步数的函数，其值等于 `torch.optim.lr_scheduler` 报告的学习率；`course_lib.surfaces.WindingValley` 就是第 6 节的山谷。调度通过 `opt.lr` 驱动优化器，从现在起的每个训练循环都采用这种模式：

# %%
p = rosen.start.copy()
opt = optim.Adam([p], lr=0.5)
schedule = schedules.warmup_cosine(0.5, warmup_steps=50, total_steps=1000)
for k in range(1000):
    opt.lr = schedule(k)
    opt.step([rosen.grad(p)])
print(f"Adam with warm-up + cosine on Rosenbrock: final point {p}, loss {rosen.value(p):.1e}")

# %% [markdown]
# **要点。**
#
# - 损失停滞并不能证明到了临界点：要检查梯度范数。在狭长的曲面上，没有哪个固定的学习率能同时做到稳定和快速。
# - **自适应学习率**（adaptive learning rate）把每个参数的步长除以 $\sigma_i$，即该参数过去梯度的 RMS：AdaGrad 对所有步取平均（步长只会缩小），RMSProp 使用 EMA，Adam 再加上动量和**偏差修正**；除非 $|g| \lesssim \epsilon$，Adam 的步长都约为 $\eta$。
# - **学习率调度**让全局学习率随时间变化：衰减，以及**预热**——Adam 需要预热，因为它的矩估计在开始时并不可靠。没有衰减时，AdaGrad 的 RMS 形式会从山谷中爆发出来。
# - 每一步都是 $\eta \times s(k) \times 1/\sigma_i$。没有哪个优化器在所有曲面上都取胜。
# - AdamW 让每个权重同样地缩小；Adam 中的 L2 则放过梯度大的权重。裁剪能挡住偶尔出现的巨大梯度；范围测试用一次短暂的训练就能找到学习率。
# - 我们的优化器、梯度裁剪和学习率调度都与 PyTorch 一致，误差在舍入误差范围内。
#
# **术语表。** 加粗的术语都收录在课程的[术语表](glossary.md)中，附有英文和中文。

# %% [markdown]
# **练习。** 先预测答案，再运行代码，然后打开答案。

# %% [markdown]
# **1.** 在第 3 节中，给 Adam 输入大小为 $10^{-9}$ 的恒定梯度来代替 0.5（保持 $\epsilon = 10^{-8}$）。它的步长会接近 $\eta$、$\eta/10$，还是 SGD 的 $\eta\,|g|$？

# %% tags=["answer"]
tiny = step_sizes(adam_step, np.full(100, 1e-9), eps=1e-8) / 1e-3  # step / lr
print(f"step / lr for g = 1e-9: {tiny[0]:.4f} at t = 1, {tiny[-1]:.4f} at t = 100; 1/11 = {1 / 11:.4f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 接近 $\eta/10$：每一步都恰好是 $\eta/11$。对于恒定的梯度，$\hat m_t = g$，$\sqrt{\hat v_t} = |g|$，所以步长是 $\eta\,|g|/(|g| + \epsilon) = \eta \cdot 10^{-9}/(1.1 \cdot 10^{-8}) = \eta/11$。SGD 的步长 $\eta \cdot 10^{-9}$ 则要小一亿倍。在 $\epsilon$ 附近，Adam 按梯度大小缩放步长的作用逐渐消失，正如第 3 节图中右侧面板所示。
# </details>

# %% [markdown]
# **2.** 在第 5 节中，以 `lr=0.1` 并带预热运行 `warmup_run`。第一层会有多少单元死亡？然后在标准化的像素上、以 0.05 且不预热再运行一次：还会有单元死亡吗？早期的损失还会跳升吗？

# %% tags=["answer"]
at_high = warmup_run(0, factors["warm-up"], lr=0.1)[1][-1]  # seed 0
pixels_raw, pixels = pixels, torch.tensor(standardize(X_tr)[0], dtype=torch.float32)
standardized = warmup_run(0, factors["no warm-up"])  # dead units counted on the same inputs
pixels = pixels_raw
print(f"lr 0.1 with warm-up: more than 80 of 128 units dead at the end: {at_high > 80}")
print(f"standardized, lr 0.05, no warm-up: dead units {standardized[1][-1]}; "
      f"batch loss above ln 10 in steps 1-30: {standardized[0][:30].max() > math.log(10)}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 在 $\eta = 0.1$ 时，即使预热，第一层的大部分单元也会死亡：对这个网络来说，这个学习率本身就太高了，预热只是推迟了损害。像素标准化之后，没有单元死亡：每个输入在不同图像上有正有负，所以一步在某些图像上降低 $z$ 时，会在另一些图像上升高它。不过早期的损失仍然会跳到 $\ln 10$ 以上：这部分问题来自 Adam 最初几步的完整步长，要靠预热而不是标准化来解决。
# </details>

# %% [markdown]
# **3.** 在 $d = 512$ 的 Transformer 调度中取 $W = 8000$。峰值会变为原来的多少倍？它出现在哪里？

# %% tags=["answer"]
longer = np.array([schedules.transformer(512, warmup_steps=8000)(k) for k in range(40_000)])
print(f"peak {longer.max():.3e} at t = {longer.argmax() + 1}; ratio to the W = 4000 peak "
      f"{longer.max() / paper_rates.max():.4f}; 1/sqrt(2) = {2**-0.5:.4f}")  # fmt: skip
print(f"the two schedules agree from t = 8000 on: {np.allclose(longer[7999:], paper_rates[7999:])}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 峰值 $d^{-0.5}W^{-0.5}$ 变为原来的 $1/\sqrt 2 \approx 0.707$，即 $4.94 \times 10^{-4}$，并移到 $t = W = 8000$。越过峰值之后，两个调度都是同一条曲线 $d^{-0.5}t^{-0.5}$，所以从 $t = 8000$ 起两者完全相同：更长的预热只是更缓慢地爬到一个更低的峰值，之后没有任何区别。
# </details>

# %% [markdown]
# **4.** 在第 6 节中，把恒定调度的学习率从 0.2 换成 $\eta = 0.1$。$DH$ 的最大特征值还会在 600 步之内超过 2 吗？会更早还是更晚？

# %% tags=["answer"]
path_01, rates_01 = adagrad_rms_run(winding, schedules.constant(0.1), 1500)
root = np.sqrt(rates_01)
sharp_01 = np.linalg.eigvalsh(root[:, :, None] * H_min * root[:, None, :])[:, -1]
print(f"largest eigenvalue of DH in the first 600 steps: {sharp_01[:600].max():.2f}; "
      f"first above 2 at step {np.flatnonzero(sharp_01 > 2)[0] + 1}")  # fmt: skip
print(f"loss after 600 steps below 1e-15: {winding.value(path_01[600]) < 1e-15}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 更晚，而且在 600 步之内不会：特征值一直低于 1.55，损失持续下降。学习率减半后，$\sigma_i$ 必须缩小到原来的一半，$DH$ 才能达到同样的特征值。但一旦梯度变得极小，过去所有梯度的 RMS 就会像 $1/\sqrt t$ 那样不断缩小，所以 $\eta/\sigma_i$ 还在增大，特征值在第 1000 步超过 2：更小的恒定学习率只能推迟爆发，只有衰减的学习率才能消除它。
# </details>

# %% [markdown]
# **5.** 对动量为 0.9 的 SGD（`lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)`）运行第 9 节的范围测试。损失在哪里最低？那个学习率的十分之一与第 8 节所用的 0.05 相比如何？

# %% tags=["answer"]
# NBVAL_IGNORE_OUTPUT
rates_m, smooth_m = range_test(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))
best_m = rates_m[np.argmin(smooth_m)]
print(f"momentum: lowest smoothed loss at lr {best_m:.2f}, a tenth of it {best_m / 10:.3f}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 损失在 $\eta = 0.8$ 附近最低，所以测试建议约 0.08，与第 8 节所用的 0.05（当时没有做测试）是同一个数量级。不同优化器的学习率不能直接比较：Adam 的 $\eta$ 是步长，而对 SGD 和动量法来说，$\eta$ 是乘在梯度上的系数。
# </details>

# %% [markdown]
# **作业。** `homework/hw04_adaptive_lr.ipynb`：实现 RMSProp、带偏差修正的 Adam 以及预热 + 余弦调度，并把三者都与 PyTorch 对照验证。
