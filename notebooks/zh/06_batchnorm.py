# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 第 06 讲 — 批次标准化
#
# 第 03 讲和第 04 讲通过改变优化器来应付狭长的损失曲面；本讲则改变曲面本身。输入的尺度相差悬殊时，损失就成了一条狭窄的山谷，而把输入重新缩放就能让山谷变圆。我们先对网络的输入做标准化（**特征标准化**，feature normalization），再对网络内部的每一层做标准化（**批次标准化**，batch normalization），推导并检验 BN 的前向和反向过程，看看网络为什么在训练模式和评估模式下表现不同，并测量 BN 带来的好处。
#
# 1. 特征的尺度决定误差曲面的形状
# 2. 特征标准化：对输入，以及在网络内部
# 3. 批次标准化：训练时的前向过程
# 4. 反向过程：推导与检验
# 5. 推理：滑动平均、`train()` 与 `eval()`
# 6. 实验：同一个网络，带 BN 与不带 BN
# 7. 陷阱：批次大小为 1 与小批次
# 8. 图像、偏置、微调，以及 BN 为什么有用
# 9. 课程库、要点与作业
# 10. 练习

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %% tags=["language"]
from course_lib.language import set_language

set_language("zh")

# %%
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from course_lib.data import load_digits, make_regression, standardize, train_val_test_split
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.layers import BatchNorm1d, BatchNorm2d, Linear, ReLU, Sequential
from course_lib.plots import color, color_of, contour_with_paths, use_style
from course_lib.training import evaluate, fit, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. 特征的尺度决定误差曲面的形状
#
# 以线性模型 $\hat y = w_1 x_1 + w_2 x_2 + b$ 配合均方误差为例。损失随参数变化的图像，就是它的**误差曲面**（error surface）。设 $x_1$ 的尺度约为 1，$x_2$ 的尺度约为 100（比如同一个量改用小 100 倍的单位来度量）。这样一来，$w_2$ 的变化对 $\hat y$ 的影响是 $w_1$ 同样变化的 100 倍：损失沿 $w_2$ 方向很陡，沿 $w_1$ 方向很平，形成一条又长又窄的山谷。
#
# 我们用 `course_lib.data.make_regression` 生成数据（两个服从标准正态分布的特征，$y = X w_{\text{true}} + 1 + \text{噪声}$），再把第二个特征乘以 100，于是它的真实权重小了 100 倍。

# %%
X_unit, y_reg, true_w = make_regression(n_samples=200, n_features=2, noise=0.1, seed=0)
X_raw = X_unit * np.array([1.0, 100.0])
print(f"feature means {X_raw.mean(axis=0)}, standard deviations {X_raw.std(axis=0)}")
print(f"true weights for the raw features: w1 = {true_w[0]:.4f}, w2 = {true_w[1] / 100:.4f}")

# %% [markdown]
# 记 $\theta = (w_1, w_2, b)$，设计矩阵为 $A = [x_1\; x_2\; \mathbf 1]$（每个样本占一行），损失是一个二次函数：
#
# $$L(\theta) = \frac1N \lVert A\theta - y \rVert^2, \qquad \nabla L = H\theta - c, \qquad
# H = \frac2N A^\top A, \quad c = \frac2N A^\top y .$$
#
# 海森矩阵 $H$ 处处相同；在最小值点 $\theta^*$ 附近，损失恰好是 $L^* + \tfrac12 (\theta - \theta^*)^\top H (\theta - \theta^*)$。第 04 讲已经展示过梯度下降在这种碗形曲面上的行为：只有 $\eta < 2/\lambda_{\max}$ 时才稳定。最佳的固定学习率是 $\eta^* = 2/(\lambda_{\min} + \lambda_{\max})$；设条件数为 $\kappa = \lambda_{\max}/\lambda_{\min}$，这时误差每步缩小为 $(\kappa - 1)/(\kappa + 1)$ 倍，要达到给定的容差，大约需要 $\tfrac{\kappa}{4}\ln(\text{初始误差}/\text{容差})$ 步。


# %%
class LinearMSE:
    """MSE as a quadratic in theta = (w1, w2, b); ``value`` takes (w1, w2) with b at its best."""

    def __init__(self, X, y, name):
        A = np.column_stack([X, np.ones(len(X))])
        self.A, self.y, self.name, self.axis_labels = A, y, name, ("$w_1$", "$w_2$")
        self.H, self.c = 2 * A.T @ A / len(y), 2 * A.T @ y / len(y)
        self.theta_star = np.linalg.lstsq(A, y, rcond=None)[0]
        self.minimum, self.loss_min = self.theta_star[:2], self.loss(self.theta_star)
        self.default_xlim, self.default_ylim = [(m - 3.0, m + 3.0) for m in self.minimum]

    def loss(self, theta):
        return np.mean((self.A @ theta - self.y) ** 2)

    def grad(self, theta):
        return self.H @ theta - self.c

    def value(self, w):
        d = np.concatenate([w - self.minimum, np.zeros((*w.shape[:-1], 1))], axis=-1)
        return self.loss_min + 0.5 * np.einsum("...i,ij,...j->...", d, self.H, d)


# %% [markdown]
# 下面比较同一个模型在原始特征上和**标准化**（standardization）之后的表现（用 `course_lib.data.standardize` 把每个特征平移、缩放到均值 0、标准差 1；第 2 节会仔细讨论）。先验证一下：画等高线所用的二次型，与直接从数据算出的 MSE 相等：

# %%
X_stdz = standardize(X_raw)[0]
surfaces = {
    "raw inputs": LinearMSE(X_raw, y_reg, "raw inputs"),
    "standardized inputs": LinearMSE(X_stdz, y_reg, "standardized inputs"),
}
w_test = np.array([[0.5, -0.2], [-1.0, 0.7]])
for name, s in surfaces.items():
    direct = [s.loss(np.r_[w, s.theta_star[2]]) for w in w_test]
    err = np.abs(s.value(w_test) - direct).max() / max(direct)
    print(
        f"{name:<20} quadratic form vs MSE from the data: relative error {format_bound(err, 1e-12)}"
    )
    assert err < 1e-12

# %% [markdown]
# 现在从 $\theta = 0$ 出发做梯度下降（两个模型的起点是同一个函数：处处预测 0），各自使用最佳固定学习率 $\eta^*$，直到损失与其最小值之差不超过 $10^{-6}$。


# %%
def gradient_descent(surface, lr, tol=1e-6, max_steps=100_000):
    """Points theta visited by GD from 0 until loss - min < tol: shape (T, 3)."""
    theta = np.zeros(3)
    path = [theta]
    while surface.loss(theta) - surface.loss_min >= tol and len(path) <= max_steps:
        theta = theta - lr * surface.grad(theta)
        path.append(theta)
    return np.array(path)


# %%
runs = {}
for name, s in surfaces.items():
    lam = np.linalg.eigvalsh(s.H)
    kappa, lr = lam[-1] / lam[0], 2 / (lam[0] + lam[-1])
    runs[name] = gradient_descent(s, lr)
    estimate = kappa / 4 * np.log((s.loss(np.zeros(3)) - s.loss_min) / 1e-6)
    print(f"{name}: eigenvalues of H {lam}, condition number {kappa:.1f}, lr {lr:.1e}")
    print(
        f"  GD steps to tolerance 1e-6: {len(runs[name]) - 1} (estimate kappa/4 ln(...): {estimate:.0f})"
    )

# %%
raw, stdz = surfaces.values()
panels = [  # (surface, title, w2 limits): the middle panel stretches the w2 axis 100 times
    (raw, "raw, equal axes", None),
    (raw, "raw, $w_2$ axis stretched 100 times", raw.minimum[1] + np.array([-0.03, 0.03])),
    (stdz, "standardized, equal axes", None),
]
fig, axes = plt.subplots(1, 3, figsize=(12, 4.3), layout="constrained")
for ax, (s, title, ylim) in zip(axes, panels, strict=True):
    path = runs[s.name][:, :2]
    keep = np.unique(np.r_[0:30, np.geomspace(1, len(path) - 1, 200).astype(int)])
    contour_with_paths(
        s, {f"GD, {len(path) - 1} steps": path[keep[keep < len(path)]]}, ylim=ylim, ax=ax
    )
    ax.set_aspect("equal" if ylim is None else "auto")
    ax.set_title(title)
plt.show()

# %% [markdown]
# （路径画出了前 30 步中的每一步，之后在整个过程中均匀取 200 步。）在两轴等比例时，原始特征的山谷看起来就像一条线：$w_2$ 移动 0.05 的代价与 $w_1$ 移动 5 相当。把 $w_2$ 轴拉长，就能看清梯度下降在谷中做了什么：在 $\eta^*$ 下，陡峭方向每步乘以 $1 - \eta^*\lambda_{\max} = -(\kappa - 1)/(\kappa + 1)
# \approx -0.9998$，所以 $w_2$ 在山谷两壁之间之字形震荡，而 $w_1$ 沿着谷底缓慢爬行。在标准化后的特征上，等高线几乎是圆，寥寥几步就够了；当 $\kappa$ 很大时，步数与 $\tfrac\kappa4 \ln(\cdot)$ 相符。稳定性的界限非常分明：学习率只要比 $2/\lambda_{\max}$ 高 5%，原始特征上的模型就会发散。

# %%
s = surfaces["raw inputs"]
lam_max = np.linalg.eigvalsh(s.H)[-1]
for factor in (0.95, 1.05):
    theta = np.zeros(3)
    for _ in range(300):
        theta = theta - factor * 2 / lam_max * s.grad(theta)
    print(f"lr = {factor:.2f} x 2/lambda_max: loss after 300 steps {s.loss(theta):.1e}")

# %% [markdown]
# ## 2. 特征标准化：对输入，以及在网络内部
#
# **特征标准化**（feature normalization）让每个输入维度都处在相同的范围内。它最常见的形式是标准化：对每个特征 $i$，在训练集的所有样本 $r$ 上计算
#
# $$m_i = \frac1N \sum_r x_i^r, \qquad \sigma_i = \sqrt{\frac1N \sum_r (x_i^r - m_i)^2},
# \qquad \tilde x_i^r = \frac{x_i^r - m_i}{\sigma_i} .$$
#
# 这些统计量只来自训练集，并原样用于验证集和测试集：这两个集合代表训练之后才到来的新数据（往往一次只来一个样本），它们自己的统计量是拿不到的。第 5 节会在网络内部再次遇到同样的问题。

# %%
X_tr, y_tr, X_va, y_va, _, _ = train_val_test_split(X_raw, y_reg, seed=0)
m, sigma = X_tr.mean(axis=0), X_tr.std(axis=0)  # training statistics only
Xn_tr, Xn_va = (X_tr - m) / sigma, (X_va - m) / sigma
print(
    f"training set:   means {np.round(Xn_tr.mean(axis=0), 4) + 0.0}, standard deviations {Xn_tr.std(axis=0)}"
)
print(f"validation set: means {Xn_va.mean(axis=0)}, standard deviations {Xn_va.std(axis=0)}")
err = max(np.abs(Xn_tr.mean(axis=0)).max(), np.abs(Xn_tr.std(axis=0) - 1).max())
print(f"training set: largest |mean| or |std - 1|: {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# 训练集被精确地标准化了；验证集只是近似标准化，新数据也会是这样。这正是 `course_lib.data.standardize` 所做的事（它还会把常数特征置为 0，而不是去除以 0）：

# %%
lib_tr, lib_va, _, _ = standardize(X_tr, X_va)
err = max(np.abs(lib_tr - Xn_tr).max(), np.abs(lib_va - Xn_va).max())
print(f"from scratch vs course_lib.data.standardize: max difference {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# **在网络内部。** 一层先计算 $z = W x + b$，再计算 $a = \sigma(z)$（或 ReLU），作为下一层的输入：隐藏层的值也是特征，第 1 节的论证同样适用于它们。即使输入已经标准化，这些值的尺度在不同单元、不同层之间仍然各不相同（它们取决于 $W$），而且每当训练改变了 $W$，它们也跟着变。下面是三层网络在初始权重下（`course_lib.layers.Linear`，采用 PyTorch 的初始化方式）作用于标准化后的手写数字数据（1797 张 8×8 像素的图像）的情况：

# %%
X_dig, y_dig = load_digits()
Xd_tr, yd_tr, Xd_va, yd_va, Xd_te, yd_te = train_val_test_split(X_dig, y_dig, seed=0, stratify=True)
Xd_tr, Xd_va, Xd_te, _, _ = standardize(Xd_tr, Xd_va, Xd_te)
a = Xd_tr
for k in range(1, 4):
    z = Linear(64, 64, rng=k).forward(a)
    mu_z, sd_z = z.mean(axis=0), z.std(axis=0)
    print(
        f"layer {k}: z per unit: mean in [{mu_z.min():+.3f}, {mu_z.max():+.3f}], std in [{sd_z.min():.3f}, {sd_z.max():.3f}]"
    )
    a = np.maximum(z, 0)

# %% [markdown]
# 数值的分散程度逐层缩小，而且同一层的不同单元之间能相差 2-3 倍。解决办法是在网络内部对每个隐藏单元再标准化一次：要么在激活函数之前对 $z$ 标准化，要么在之后对 $a$ 标准化。在 ReLU 之前标准化，下一层得到的值均值约为 0.4、标准差约为 0.6（若 $z$ 严格服从正态分布，经过 ReLU 后分别是 0.40 和 0.58）；在之后标准化，得到的均值为 0、标准差为 1。对 sigmoid 或 tanh 来说，在之前标准化能让 $z$ 停留在激活函数不平坦的区域。两种放法都有人用；`Linear → BatchNorm → ReLU` 最为常见。

# %%
z = Linear(64, 64, rng=1).forward(Xd_tr)
normalise = lambda v: (v - v.mean(axis=0)) / (v.std(axis=0) + 1e-8)  # noqa: E731
placements = {"before ReLU": np.maximum(normalise(z), 0), "after ReLU": normalise(np.maximum(z, 0))}
for name, nxt in placements.items():
    print(
        f"normalise {name}: next layer's inputs have mean {round(nxt.mean(), 3) + 0.0:.3f}, std {nxt.std():.3f}"
    )

# %% [markdown]
# ## 3. 批次标准化：训练时的前向过程
#
# 一个隐藏单元的 $\mu$ 和 $\sigma$ 应该用哪些样本来算？理想情况下是全部训练样本，但隐藏层的值每次更新之后都会改变，而每走一步之前都把一百万个样本送进网络跑一遍实在太慢。**批次标准化**（batch normalization，BN）直接使用这一步本来就要处理的小批次。对某一个单元的一个批次 $x_1, \dots, x_B$（$D$ 个单元各自分开处理）：
#
# $$\mu = \frac1B \sum_{i=1}^B x_i, \qquad \sigma^2 = \frac1B \sum_{i=1}^B (x_i - \mu)^2,
# \qquad \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
# y_i = \gamma \hat x_i + \beta .$$
#
# 这里的方差是有偏的（除以 $B$）；$\epsilon = 10^{-5}$ 用来避免除以零。可学习的缩放 $\gamma$ 和平移 $\beta$（每个单元一对，初始值分别为 1 和 0）把决定每个单元均值和分散程度的自由交还给网络；当 $\gamma = \sqrt{\sigma^2 + \epsilon}$、$\beta = \mu$ 时，这一层就是恒等映射。


# %%
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode BN of a batch x of shape (N, D); returns out (N, D) and a cache."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)  # biased: divides by B
    inv_sigma = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_sigma
    return gamma * x_hat + beta, (x_hat, inv_sigma, gamma)


# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 3)) * np.array([1.0, 10.0, 0.1]) + np.array([5.0, -3.0, 0.0])
out, _ = batchnorm_forward(x, np.ones(3), np.zeros(3))
print(f"input:  column means {x.mean(axis=0)}, stds {x.std(axis=0)}")
print(f"output: column means {np.round(out.mean(axis=0), 4) + 0.0}, stds {out.std(axis=0)}")
gamma, beta = np.array([2.0, 0.5, 1.0]), np.array([1.0, 0.0, -1.0])
out, _ = batchnorm_forward(x, gamma, beta)
print(
    f"with gamma {gamma}, beta {beta}: means {np.round(out.mean(axis=0), 4) + 0.0}, stds {out.std(axis=0)}"
)
identity, _ = batchnorm_forward(x, np.sqrt(x.var(axis=0) + 1e-5), x.mean(axis=0))
print(
    f"gamma = sqrt(var + eps), beta = mu gives back x: max error {format_bound(np.abs(identity - x).max(), 1e-12)}"
)
assert np.abs(identity - x).max() < 1e-12

# %% [markdown]
# （输出的标准差是 $\sqrt{\sigma^2/(\sigma^2 + \epsilon)}$；第三列的方差只有约 0.003，所以它的标准差比 1 略小一点点。）
#
# **一个批次，一次计算。** 没有 BN 时，每个样本各自通过网络；有了 BN，$\mu$ 和 $\sigma$ 取决于批次里的每一个样本，所以一个样本的输出也取决于其他样本。我们只改动样本 0，看看样本 1-7：

# %%
x_changed = x.copy()
x_changed[0] += 10.0
linear = Linear(3, 3, rng=0)
for name, layer in [
    ("Linear", linear.forward),
    ("BN", lambda v: batchnorm_forward(v, gamma, beta)[0]),
]:
    change = np.abs(layer(x_changed)[1:] - layer(x)[1:]).max()
    print(f"{name:<6}: largest change of the outputs of examples 1-7: {change:.4f}")

# %% [markdown]
# 线性层不会影响其他样本。BN 则把整个批次变成了一次计算：样本 0 的变化会移动 $\mu$ 和 $\sigma$，进而牵动其他每一个输出。梯度也以同样的方式耦合在一起。

# %% [markdown]
# ## 4. 反向过程：推导与验证
#
# 取一个单元（一列），记从上方传来的梯度为 $d_i = \partial L/\partial y_i$，并记 $s = \sqrt{\sigma^2 + \epsilon}$。参数的梯度很简单，因为 $y_i = \gamma \hat x_i + \beta$：
#
# $$\frac{\partial L}{\partial \beta} = \sum_i d_i, \qquad
# \frac{\partial L}{\partial \gamma} = \sum_i d_i \hat x_i, \qquad
# g_i := \frac{\partial L}{\partial \hat x_i} = \gamma d_i .$$
#
# 输入 $x_j$ 沿三条路径到达 $\hat x_i$：直接到达（仅当 $i = j$ 时）、经过 $\mu$、经过 $s$。利用 $\partial\mu/\partial x_j = 1/B$ 以及 $\sum_i (x_i - \mu) = 0$，可得
#
# $$\frac{\partial \sigma^2}{\partial x_j} = \frac2B (x_j - \mu), \qquad
# \frac{\partial s}{\partial x_j} = \frac{1}{2s}\frac{\partial \sigma^2}{\partial x_j} =
# \frac{\hat x_j}{B}, \qquad
# \frac{\partial \hat x_i}{\partial x_j} = \frac{\delta_{ij} - 1/B}{s} - \frac{x_i - \mu}{s^2}
# \frac{\hat x_j}{B} = \frac1s\Big(\delta_{ij} - \frac1B - \frac{\hat x_i \hat x_j}{B}\Big).$$
#
# 把各条路径的贡献加起来（分叉处求和，见第 01 讲），就得到简洁的公式
#
# $$\frac{\partial L}{\partial x_j} = \sum_i g_i \frac{\partial \hat x_i}{\partial x_j} =
# \frac{1}{B s}\Big(B g_j - \sum_i g_i - \hat x_j \sum_i g_i \hat x_i\Big).$$

# %% [markdown]
# 用一句话说：取 $g$，去掉它的均值和它沿 $\hat x$ 方向的分量，再除以 $s$。由此得到一个可以检验的推论：每一列都满足 $\sum_j \partial L/\partial x_j = 0$ 和 $\sum_j \hat x_j\, \partial L/\partial x_j = 0$（$\epsilon = 0$ 时严格成立；$\epsilon > 0$ 时，第二个和的量级为 $\epsilon/\sigma^2$）。把一整列平移或缩放不会改变 BN 的输出，所以梯度在这两个方向上没有分量。


# %%
def batchnorm_backward(dout, cache):
    """Gradients of training-mode BN: dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,)."""
    x_hat, inv_sigma, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = gamma * dout  # dL/dx_hat
    dx = inv_sigma * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, dgamma, dbeta


# %% [markdown]
# **验证 1：数值梯度。** 对一个固定的随机 $d$，标量 $L = \sum_{i,k} y_{ik} d_{ik}$ 满足 $\partial L/\partial y = d$，因此 `batchnorm_backward(d, cache)` 必须等于 $L$ 的中心差分梯度（`course_lib.gradcheck`，见第 01 讲）。

# %%
x = rng.normal(size=(6, 4)) * 3 + 1
gamma, beta, d = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(6, 4))
out, cache = batchnorm_forward(x, gamma, beta)
dx, dgamma, dbeta = batchnorm_backward(d, cache)
scalar = lambda: np.sum(batchnorm_forward(x, gamma, beta)[0] * d)  # noqa: E731
pairs = [(dx, x), (dgamma, gamma), (dbeta, beta)]
err = max(rel_error(ours, numerical_gradient(lambda _: scalar(), a)) for ours, a in pairs)
print(f"dx, dgamma, dbeta: max relative error vs centered differences {format_bound(err, 1e-8)}")
assert err < 1e-8
_, cache0 = batchnorm_forward(x, gamma, beta, eps=0.0)
dx0 = batchnorm_backward(d, cache0)[0]
sums = np.abs(dx0.sum(axis=0)).max(), np.abs((dx0 * cache0[0]).sum(axis=0)).max()
print(
    f"with eps = 0: largest column sum of dx {format_bound(sums[0], 1e-12)}, of x_hat * dx {format_bound(sums[1], 1e-12)}"
)
assert max(sums) < 1e-12

# %% [markdown]
# **验证 2：PyTorch。** 使用 float64、处于训练模式的 `torch.nn.BatchNorm1d`，代入我们的 $\gamma$（即它的 `weight`）和 $\beta$（即它的 `bias`），先做前向计算，再用自动微分求梯度：

# %%
bn = nn.BatchNorm1d(4, dtype=torch.float64)
with torch.no_grad():
    bn.weight.copy_(torch.tensor(gamma))
    bn.bias.copy_(torch.tensor(beta))
x_t = torch.tensor(x, requires_grad=True)
out_t = bn(x_t)
out_t.backward(torch.tensor(d))
pairs = [(out, out_t), (dx, x_t.grad), (dgamma, bn.weight.grad), (dbeta, bn.bias.grad)]
err = max(rel_error(ours, theirs) for ours, theirs in pairs)
print(f"out, dx, dgamma, dbeta: max relative error vs torch {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# 从零实现的前向过程和反向过程与 PyTorch 一致，差别只在舍入误差的量级。
#
# ## 5. 推理：滑动平均、`train()` 与 `eval()`
#
# 测试时，一个预测不应该取决于和它分在同一个批次里的是哪些样本，而且可能只有一个样本。所以 BN 在推理时需要固定的统计量。它在训练期间把这些统计量收集起来，做成各批次统计量的**滑动平均**（moving average），
#
# $$\bar\mu \leftarrow p\,\bar\mu + (1 - p)\,\mu_t ,$$
#
# 其中 $\mu_t$ 是第 $t$ 个批次的均值，$p$（例如 0.9 或 0.99）表示旧估计值保留多少；方差也用同样的方式更新。

# %% [markdown]
# PyTorch 的滑动平均系数 `momentum` 是 $1 - p$，即新批次的权重（默认为 0.1）；滑动方差中存的是批次的**无偏方差**（unbiased variance）$\frac{B}{B-1}\sigma_t^2$，而训练时做标准化用的是有偏的 $\sigma_t^2$：
#
# $$r_\mu \leftarrow (1 - m)\,r_\mu + m\,\mu_t, \qquad
# r_{\sigma^2} \leftarrow (1 - m)\,r_{\sigma^2} + m\,\frac{B}{B-1}\sigma_t^2, \qquad
# m = 0.1,\; r_\mu = 0,\; r_{\sigma^2} = 1 \text{（初始时）。}$$
#
# 在**评估模式**（evaluation mode）下，BN 改用滑动统计量：$y = \gamma\,(x - r_\mu)/\sqrt{r_{\sigma^2} + \epsilon} + \beta$，这对每个单元来说是一个固定的仿射变换，所以每个样本都被单独处理。我们把 30 个批次、每批 16 个样本（三个单元，均值分别为 2、-1、0，标准差分别为 3、0.5、1）分别送进上面的更新公式和处于**训练模式**（training mode）的 `torch.nn.BatchNorm1d`：

# %%
stream = [rng.normal(size=(16, 3)) * [3.0, 0.5, 1.0] + [2.0, -1.0, 0.0] for _ in range(30)]
momentum, r_mean, r_var, r_var_biased = 0.1, np.zeros(3), np.ones(3), np.ones(3)
bn = nn.BatchNorm1d(3, momentum=momentum, dtype=torch.float64)  # training mode by default
for batch in stream:
    n = len(batch)
    r_mean = (1 - momentum) * r_mean + momentum * batch.mean(axis=0)
    r_var = (1 - momentum) * r_var + momentum * batch.var(axis=0) * n / (n - 1)
    r_var_biased = (1 - momentum) * r_var_biased + momentum * batch.var(axis=0)
    bn(torch.tensor(batch))
err = max(
    np.abs(r_mean - bn.running_mean.numpy()).max(), np.abs(r_var - bn.running_var.numpy()).max()
)
biased = np.abs(r_var_biased - bn.running_var.numpy()).max()
print(f"running mean {r_mean}, running var {r_var}")
print(f"running mean and var: max error vs torch {format_bound(err, 1e-12)}")
print(f"(with the biased variance instead: error {biased:.1e})")
assert err < 1e-12

# %% [markdown]
# 经过 30 个批次后，初始值仍占 $0.9^{30} \approx 0.04$ 的权重，所以滑动统计量接近但并未等于真实的均值 $(2, -1, 0)$ 和方差 $(9, 0.25,
# 1)$。在评估模式下，PyTorch 就用它们来做标准化：

# %%
bn.eval()
x_new = rng.normal(size=(5, 3))
ours = (x_new - r_mean) / np.sqrt(r_var + bn.eps)  # gamma = 1 and beta = 0 here
err = np.abs(ours - bn(torch.tensor(x_new)).detach().numpy()).max()
print(f"evaluation mode: max error vs torch {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# **忘记调用 `eval()`。** `model.train()` 和 `model.eval()` 会切换模型中每一个 BN 层（以及 Dropout 层）的模式；新建的模型处于训练模式。在训练模式下评估模型照样能运行，所以这个错误不会有任何提示。我们在手写数字数据上训练一个带 BN 的小网络（三个隐藏层，每层 64 个单元，每个 ReLU 之前放一个 BN，用 SGD 训练 4 个轮次），然后在忘记调用 `eval()` 的情况下对 269 张测试图像做分类。

# %%
tensor = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
train_set = torch.utils.data.TensorDataset(tensor(Xd_tr), torch.tensor(yd_tr))
Xt_te, yt_te = tensor(Xd_te), torch.tensor(yd_te)


def make_mlp(batchnorm, width=64, hidden_layers=3, after_relu=False):
    """64 -> width (x hidden_layers) -> 10 with ReLU; BN before each ReLU (or after) if asked."""
    layers, d_in = [], 64
    for _ in range(hidden_layers):
        block = [nn.BatchNorm1d(width), nn.ReLU()] if batchnorm else [nn.ReLU()]
        layers += [nn.Linear(d_in, width), *(block[::-1] if after_relu else block)]
        d_in = width
    return nn.Sequential(*layers, nn.Linear(d_in, 10))


def digit_loader(seed):
    """The training images in shuffled batches of 32, the order fixed by the seed."""
    gen = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(train_set, batch_size=32, shuffle=True, generator=gen)


# %%
set_seed(0)
bn_model = make_mlp(batchnorm=True)
optimizer = torch.optim.SGD(bn_model.parameters(), lr=0.1)
history = fit(bn_model, digit_loader(0), nn.CrossEntropyLoss(), optimizer, epochs=4, progress=False)
print(f"final training loss {history.train_loss[-1]:.4f}; in training mode: {bn_model.training}")

# %% [markdown]
# 首先，把同一张测试图像（编号 0）分别放进两个不同的、各含四张图像的批次里分类。在训练模式下，它的 logits 取决于另外三张同批图像；在评估模式下则不会。

# %%
batch_a, batch_b = Xt_te[[0, 1, 2, 3]], Xt_te[[0, 4, 5, 6]]
with torch.no_grad():
    for mode in ("train", "eval"):
        bn_model.train(mode == "train")
        gap = (bn_model(batch_a)[0] - bn_model(batch_b)[0]).abs().max().item()
        print(f"{mode:<5} mode: largest change of image 0's logits between the batches: {gap:.4f}")

# %% [markdown]
# 下面比较测试集按四种方式分批时的测试准确率：269 张图像放在一个批次里；每批 8 张（有些批次 9 张，避免剩下单独一张）；每批 2 张；以及按标签顺序每批 32 张（测试数据常常是排好序到来的）。在评估模式下，四种方式的结果必须一致。`course_lib.training.evaluate` 会自行切换到评估模式（之后再切换回来）；训练模式下的数字来自一个在结束后恢复模型状态的循环，因为即使在 `torch.no_grad()` 下，训练模式的前向过程也会移动滑动统计量。


# %%
def accuracy_in_mode(model, batches, training):
    """Test accuracy with the model in training or evaluation mode (state restored)."""
    state, was_training = {k: v.clone() for k, v in model.state_dict().items()}, model.training
    model.train(training)
    with torch.no_grad():
        correct = sum((model(Xt_te[i]).argmax(dim=1) == yt_te[i]).sum().item() for i in batches)
    model.load_state_dict(state)
    model.train(was_training)
    return correct / len(yt_te)


# %%
n_te = len(yt_te)
batchings = {
    "one batch of 269": [np.arange(n_te)],
    "batches of 8-9": np.array_split(np.arange(n_te), n_te // 8),
    "batches of 2-3": np.array_split(np.arange(n_te), n_te // 2),
    "batches of 32-34, sorted by label": np.array_split(
        np.argsort(yd_te, kind="stable"), n_te // 32
    ),
}
print(f"{'test batches':<32} {'eval mode':>9} {'train mode':>10}")
for name, batches in batchings.items():
    loader_te = [(Xt_te[i], yt_te[i]) for i in batches]
    in_eval = evaluate(bn_model, loader_te, nn.CrossEntropyLoss())["accuracy"]
    print(f"{name:<32} {in_eval:9.3f} {accuracy_in_mode(bn_model, batches, True):10.3f}")

# %% [markdown]
# 在评估模式下，不管测试集怎么切分，准确率都一样。在训练模式下，只有批次又大又混杂（像训练批次那样）时结果才正常；批次很小，或者一个批次只有一个类别时，准确率就会崩溃，因为每个批次都用它自己的统计量做标准化：一个全是 0 的有序批次被平移到均值为 0，网络就再也看不出这些图像是 0 了。最后是那个悄无声息的副作用：

# %%
saved = {k: v.clone() for k, v in bn_model.state_dict().items()}
bn_model.train()
with torch.no_grad():
    bn_model(Xt_te[np.argsort(yd_te, kind="stable")[:32]])  # "evaluating" one sorted batch
shift = (bn_model[1].running_mean - saved["1.running_mean"]).abs().max().item()
bn_model.load_state_dict(saved)  # undo it
print(f"one training-mode forward pass moved the running mean by up to {shift:.4f}")

# %% [markdown]
# 当滑动平均系数（momentum）为 0.1 时，一个批次就会把滑动均值朝它自己的均值拉近 10%；在训练模式下“评估”测试集，会覆盖训练时保存下来的统计量。规则：在验证、测试和预测之前调用 `model.eval()`，重新训练之前调用 `model.train()`（`course_lib.training.fit` 和 `evaluate` 会替你做这件事）。
#
# ## 6. 实验：同一个网络，带 BN 与不带 BN
#
# 第 5 节的网络，分别带 BN 和不带 BN，用普通 SGD 训练（批次大小 32，每个轮次 40 步，共 4 个轮次），学习率分别取正常的 0.1 和偏高的 1.0，各用两个随机种子（每个种子为两个网络固定相同的初始权重和批次顺序）。每 10 步记录一次训练损失的平均值和验证准确率，并记下第一个损失不是有限值的步。


# %%
def train_and_watch(batchnorm, lr, seed, epochs=4, every=10, after_relu=False):
    """SGD on the digits -> (mean training loss of each `every` steps, validation accuracy
    after them, the first step whose loss is not finite or None)."""
    set_seed(seed)
    model, loss_fn = make_mlp(batchnorm, after_relu=after_relu), nn.CrossEntropyLoss()
    optimizer, loader = torch.optim.SGD(model.parameters(), lr=lr), digit_loader(seed)
    batch_losses, losses, accuracies, nan_step = [], [], [], None
    for x, y in (batch for _ in range(epochs) for batch in loader):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
        if nan_step is None and not np.isfinite(batch_losses[-1]):
            nan_step = len(batch_losses)
        if len(batch_losses) % every == 0:  # evaluate() switches to eval mode and back
            losses.append(np.mean(batch_losses[-every:]))
            accuracies.append(evaluate(model, val_batches, loss_fn)["accuracy"])
    return np.array(losses), np.array(accuracies), nan_step


# %%
# NBVAL_IGNORE_OUTPUT
# (the lr 1.0 runs amplify round-off: their numbers, even whether a run without BN
# diverges, depend on the CPU; the next cell checks what holds on every machine)
val_batches, runs, start = [(tensor(Xd_va), torch.tensor(yd_va))], {}, time.perf_counter()
for lr in (0.1, 1.0):
    for name in ("no BN", "BN"):
        runs[name, lr] = [train_and_watch(name == "BN", lr, seed) for seed in range(2)]
print(f"8 runs trained in {time.perf_counter() - start:.1f} s; per seed:")
for (name, lr), seeds in runs.items():
    end = [f"NaN from step {s}" if s else f"{loss[-4:].mean():.3f}" for loss, _, s in seeds]
    acc = ", ".join(f"{a[-1]:.3f}" for _, a, _ in seeds)
    print(f"{name:<5} lr {lr}: last-epoch training loss {', '.join(end)}; val accuracy {acc}")


# %%
def per_seed(f):
    """{(name, lr): array over the seeds of f(losses, accuracies)}."""
    return {key: np.array([f(loss, acc) for loss, acc, _ in v]) for key, v in runs.items()}


last = per_seed(lambda loss, _: np.nan_to_num(loss[-4:].mean(), nan=np.inf))  # last epoch
after_1, final = per_seed(lambda _, acc: acc[3]), per_seed(lambda _, acc: acc[-1])

# %%
claims = {
    "lr 0.1, after epoch 1: BN ahead by > 0.2 in validation accuracy, every seed": (
        after_1["BN", 0.1] - after_1["no BN", 0.1]
    ).min()
    > 0.2,
    "lr 1.0: BN's last-epoch training loss < half of no BN's, every seed": (
        2 * last["BN", 1.0] < last["no BN", 1.0]
    ).all(),
    "lr 1.0: BN ends with validation accuracy > 0.75, every seed": final["BN", 1.0].min() > 0.75,
    "lr 1.0: BN ahead by > 0.2 in mean final validation accuracy": (
        final["BN", 1.0].mean() - final["no BN", 1.0].mean() > 0.2
    ),
    "no BN: lr 1.0 ends > 0.1 behind lr 0.1 in mean validation accuracy": (
        final["no BN", 0.1].mean() - final["no BN", 1.0].mean() > 0.1
    ),
}
for claim, holds in claims.items():
    print(f"{claim}: {holds}")
assert all(claims.values())

# %%
per_epoch = len(digit_loader(0))  # steps per epoch
fig, axes = plt.subplots(2, 2, figsize=(11, 6.6), layout="constrained")
for (name, lr), seeds in runs.items():
    row = axes[int(lr == 1.0)]
    for seed, (losses, accuracies, nan_step) in enumerate(seeds):
        t = np.arange(1, len(losses) + 1) * 10 / per_epoch
        style = {"color": color_of(name), "linestyle": ("-", "--", ":")[seed]}
        row[0].semilogy(t, losses, label=f"{name}, seed {seed}", **style)
        row[1].plot(t, accuracies, **style)
        if nan_step is not None:  # a diverged run: mark its last finite loss and the NaN step
            k = max(np.isfinite(losses).argmin() - 1, 0)
            label = f"{name}, seed {seed}: loss NaN from step {nan_step}"
            row[0].plot(t[k], losses[k], "X", color=color("highlight"), ms=10, label=label)
            for ax in row:
                ax.axvline(nan_step / per_epoch, color=color("highlight"), lw=1)
for row, lr in zip(axes, (0.1, 1.0), strict=True):
    row[0].set(xlabel="epoch", ylabel="training loss", title=f"lr {lr}: training loss")
    row[1].set(xlabel="epoch", ylabel="validation accuracy", title=f"lr {lr}: validation accuracy")
fig.legend(*axes[1, 0].get_legend_handles_labels(), loc="outside right center", fontsize=8)
plt.show()

# %% [markdown]
# 在正常学习率下，不带 BN 的网络在每个种子下起步都很慢：第一轮的大部分时间里，它的损失都停在 10 个类别随机猜测的水平 $\ln 10 = 2.3$ 附近，验证准确率也远远落后。在高学习率下它很不稳定：一次训练要么发散（损失溢出，权重变成 NaN：曲线终止于叉号和红线处），要么虽然撑了下来，损失却远高于带 BN 的网络。哪些种子会发散、在什么时候发散，可能随 CPU 求和结果的最后几位而改变（表格是在本机上得到的）；但各项检查在任何机器上都成立。带 BN 时，每个种子在两种学习率下都能正常训练。不管下面的层做了什么，BN 都让每个单元在批次上的均值为 $\beta$、标准差为 $|\gamma|$（两者都是学出来的，初始为 0 和 1）；经过 ReLU 之后，下一层在开始时看到的均值约为 0.4、标准差约为 0.6（第 2 节）。第 8 节会讨论这为什么有用。
#
# ## 7. 陷阱：批次大小为 1 与小批次
#
# **训练模式下批次大小为 1。** 只有一个样本时，$\mu = x$，于是 $\hat x = 0$，无论输入是什么，输出都是 $\beta$。第 4 节的公式给出 $\partial L/\partial x = 0$ 和 $\partial L/\partial\gamma = 0$；只有 $\partial L/\partial\beta = \sum_i d_i$ 不为零，所以 $\beta$（以及上面的每一层）学到的只是去拟合一个常数。我们的函数与 PyTorch 的底层算子结果一致（`torch.batch_norm` 是 `nn.BatchNorm1d` 底层的运算，只是没有检查批次大小）：

# %%
x1, d1 = rng.normal(size=(1, 4)), rng.normal(size=(1, 4))
out1, cache1 = batchnorm_forward(x1, gamma, beta)
dx1, dgamma1, dbeta1 = batchnorm_backward(d1, cache1)
leaves = [torch.tensor(a, requires_grad=True) for a in (x1, gamma, beta)]
out1_t = torch.batch_norm(*leaves, None, None, True, 0.1, 1e-5, False)  # training mode
out1_t.backward(torch.tensor(d1))
print(f"B = 1: output == beta: {np.array_equal(out1[0], beta)}")
zero_ours, zero_torch = (
    not (dx1.any() or dgamma1.any()),
    not (leaves[0].grad.any() or leaves[1].grad.any()),
)
print(f"dL/dx == 0 and dL/dgamma == 0 exactly: ours {zero_ours}, torch {zero_torch}")
print(f"dL/dbeta = sum of d = {dbeta1}, non-zero: {bool(np.all(dbeta1 != 0))}")
err = max(rel_error(out1, out1_t), rel_error(dbeta1, leaves[2].grad))
print(f"output and dL/dbeta: max relative error vs torch {format_bound(err, 1e-12)}")
assert zero_ours and zero_torch and np.all(dbeta1 != 0) and err < 1e-12

# %% [markdown]
# PyTorch 的层会直接拒绝这样的批次，而评估模式可以处理单张图像：

# %%
bn_model.train()
try:
    bn_model(Xt_te[:1])
except ValueError as err:
    print(f"ValueError: {err}")
bn_model.eval()
with torch.no_grad():
    predicted = bn_model(Xt_te[:1]).argmax(dim=1).item()
print(f"in evaluation mode one image is fine: predicted {predicted}, label {yd_te[0]}")

# %% [markdown]
# 如果训练集的大小使最后一个批次只剩一个样本，这个错误就会在某一轮的中途出现；`DataLoader(..., drop_last=True)` 可以避免它。
#
# **批次大小为 2。** 这时每个值与均值的距离恰好都是两值之差的一半，因此无论输入是什么，BN 都会把每一对值映射为 $\pm 1$（忽略 $\epsilon$ 的影响）：

# %%
pair = rng.normal(size=(2, 5)) * 10
print(batchnorm_forward(pair, np.ones(5), np.zeros(5))[0])

# %% [markdown]
# **小批次的统计量有噪声。** $\mu_t$ 是 $B$ 个值的平均，所以它相对于整个训练集均值的分散程度约为 $\sigma/\sqrt B$。我们在训练好的模型的第一层上测量：对每种批次大小，取 200 个随机批次，计算 64 个单元各自的批次均值和批次方差，求它们在批次之间的标准差，再除以该单元的 $\sigma$（或 $\sigma^2$），最后对所有单元取平均。

# %%
with torch.no_grad():
    Z = bn_model[0](tensor(Xd_tr)).numpy().astype(np.float64)  # (N, 64) before the first BN
sizes = [2, 4, 8, 16, 32, 64, 128]
spread_mean, spread_var = [], []
for B in sizes:
    idx = rng.permuted(np.tile(np.arange(len(Z)), (200, 1)), axis=1)[:, :B]  # 200 batches
    batch_means, batch_vars = Z[idx].mean(axis=1), Z[idx].var(axis=1)  # (200, 64) each
    spread_mean.append(np.mean(batch_means.std(axis=0) / Z.std(axis=0)))
    spread_var.append(np.mean(batch_vars.std(axis=0) / Z.var(axis=0)))
ratio = np.array(spread_mean) * np.sqrt(sizes)
assert np.abs(ratio - 1).max() < 0.1, ratio  # within the noise of 200 batches
for B, sm, sv in zip(sizes, spread_mean, spread_var, strict=True):
    print(
        f"B = {B:3d}: spread of batch mean / sigma {sm:.3f} (1/sqrt(B) = {1 / np.sqrt(B):.3f}), of batch var / sigma^2 {sv:.3f}"
    )

# %%
fig, ax = plt.subplots(layout="constrained")
ax.loglog(sizes, spread_mean, "o-", color=color_of("batch mean", 0), label="batch mean (relative to $\\sigma$)")  # fmt: skip
ax.loglog(sizes, spread_var, "s-", color=color_of("batch variance", 1), label="batch variance (relative to $\\sigma^2$)")  # fmt: skip
ax.loglog(sizes, 1 / np.sqrt(sizes), "--", color=color("reference"), label="$1/\\sqrt{B}$")
ax.set(
    xlabel="batch size B", ylabel="spread across batches", title="noise of BN's batch statistics"
)
ax.legend()
plt.show()

# %% [markdown]
# 批次均值的分散程度在 200 个批次的噪声范围内符合 $1/\sqrt B$，批次方差的噪声还要更大。批次大小为 2 或 4 时，每一步做标准化所用的统计量都会偏差半个标准差甚至更多。让 BN 的批次保持在几十个样本以上；批次极小时，通常换用不依赖批次的标准化方法：**层标准化**（layer normalization）在每个样本自己的特征上做标准化（Transformer 就用它），组标准化则在通道组上做标准化。

# %% [markdown]
# ## 8. 图像、偏置、微调，以及 BN 为什么有用
#
# **BatchNorm2d。** 卷积层输出形状为 $(N, C, H, W)$ 的图像：$C$ 个通道，每个通道是一张 $H \times W$ 个位置的特征图，由同一个卷积核算出。因此 BN 对每个*通道*在全部 $N \cdot H \cdot W$ 个值上做标准化（每个通道一组 $\mu_c$、$\sigma_c^2$、$\gamma_c$、$\beta_c$），滑动方差里用的是 $B = NHW$。下面从零实现，并与 `torch.nn.BatchNorm2d` 和 `course_lib.layers.BatchNorm2d` 对照：


# %%
def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
    """Training-mode BN of images x (N, C, H, W): one mean and biased variance per channel."""
    mu, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    return gamma[:, None, None] * (x - mu) / np.sqrt(var + eps) + beta[:, None, None]


gamma3, beta3 = np.array([1.5, 0.5, 1.0]), np.array([0.0, 1.0, -1.0])
torch_bn2, lib_bn2 = nn.BatchNorm2d(3, dtype=torch.float64), BatchNorm2d(3)
with torch.no_grad():
    torch_bn2.weight.copy_(torch.tensor(gamma3))
    torch_bn2.bias.copy_(torch.tensor(beta3))
lib_bn2.params["gamma"][...], lib_bn2.params["beta"][...] = gamma3, beta3

# %%
errors2d = []
for k in range(3):  # three batches of 4 images with 3 channels of 5 x 5 on different scales
    xb = rng.normal(size=(4, 3, 5, 5)) * np.array([1.0, 10.0, 0.1])[:, None, None] + k
    db, xb_t = rng.normal(size=xb.shape), torch.tensor(xb, requires_grad=True)
    (out_t := torch_bn2(xb_t)).backward(torch.tensor(db))
    errors2d += [rel_error(batchnorm2d_forward(xb, gamma3, beta3), out_t),
                 rel_error(lib_bn2.forward(xb), out_t), rel_error(lib_bn2.backward(db), xb_t.grad)]  # fmt: skip
errors2d += [rel_error(lib_bn2.running_mean, torch_bn2.running_mean),
             rel_error(lib_bn2.running_var, torch_bn2.running_var)]  # fmt: skip
print(f"3 batches: output from scratch and course_lib, dx, running mean and variance vs "
      f"torch.nn.BatchNorm2d: max relative error {format_bound(max(errors2d), 1e-12)}")  # fmt: skip
assert max(errors2d) < 1e-12

# %% [markdown]
# **BN 之前不要偏置。** BN 会减去每个单元的批次均值，而紧挨在它前面加上的偏置 $b$ 正是这个均值的一部分：$\mathrm{BN}(Wx + b) = \mathrm{BN}(Wx)$。这个偏置不起任何作用，它的梯度为 0（$\partial L/\partial x$ 的每一列之和为零，见第 4 节）；它的工作由 $\beta$ 来做。所以 BN 前面的层不带偏置：`nn.Linear(..., bias=False)`、`nn.Conv2d(..., bias=False)`。

# %%
x_b, up = torch.tensor(Xd_tr[:32]), torch.tensor(rng.normal(size=(32, 16)))  # float64
lin_b, bn_b = nn.Linear(64, 16).double(), nn.BatchNorm1d(16).double()
out_b = bn_b(lin_b(x_b))
out_b.backward(up)  # any loss: a fixed upstream gradient
with torch.no_grad():
    lin_b.bias += 5.0
    moved = (bn_b(lin_b(x_b)) - out_b).abs().max().item()
bias_grad = lin_b.bias.grad.abs().max().item()
print(f"gradient of the bias before BN: {format_bound(bias_grad, 1e-12)}; shifting the bias by 5 "
      f"changes BN's output by {format_bound(moved, 1e-12)}")  # fmt: skip
print(f"parameters of nn.Linear(64, 16): {sum(q.numel() for q in lin_b.parameters())}, "
      f"with bias=False: {nn.Linear(64, 16, bias=False).weight.numel()}")  # fmt: skip
assert bias_grad < 1e-12 and moved < 1e-12

# %% [markdown]
# **微调时的 BN。** 训练好的网络常常要*微调*：在一个小的新数据集上，以小批次再训练一会儿。在训练模式下，BN 会用几个不具代表性的样本的统计量做标准化，还会用它们覆盖自己的滑动统计量。所以要让 BN 保持在评估模式：调用 `model.train()` 之后，再对每个 BN 层调用 `.eval()`，让它使用在大数据集上学到的统计量；$\gamma$ 和 $\beta$ 仍然照常学习。下面把第 5 节的网络在 30 张数字 0–2 的图像上，以大小为 4 的批次（学习率 0.01）微调 30 步，两种做法各来一次：


# %%
def fine_tune(freeze_bn, steps=30, seed=0):
    """A copy of bn_model after `steps` SGD steps on (x_few, y_few) in batches of 4."""
    model = copy.deepcopy(bn_model).train()
    if freeze_bn:
        for layer in model.modules():
            if isinstance(layer, nn.BatchNorm1d):
                layer.eval()  # normalise with the running statistics and keep them
    opt, gen = torch.optim.SGD(model.parameters(), lr=0.01), torch.Generator().manual_seed(seed)
    for _ in range(steps):
        batch = torch.randint(0, len(y_few), (4,), generator=gen)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x_few[batch]), y_few[batch]).backward()
        opt.step()
    return model


# %%
# NBVAL_IGNORE_OUTPUT
# (one test image more or less, depending on the CPU; the next cell states what holds)
few = np.flatnonzero(yd_va < 3)[:30]  # 30 validation images, all of them 0, 1 or 2
x_few, y_few = tensor(Xd_va[few]), torch.tensor(yd_va[few])
whole_test = [np.arange(n_te)]
before = accuracy_in_mode(bn_model, whole_test, False)
tuned = {"BN in training mode": fine_tune(False), "BN kept in eval()": fine_tune(True)}
after, drift = {}, {}
for name, model in tuned.items():
    after[name] = accuracy_in_mode(model, whole_test, False)
    drift[name] = max((model[k].running_mean - bn_model[k].running_mean).abs().max().item() for k in (1, 4, 7))  # fmt: skip
    print(f"{name:<20} test accuracy {after[name]:.3f} (before {before:.3f}); running means moved by up to {drift[name]:.2f}")  # fmt: skip

# %%
trained_bn, frozen_bn = tuned
print(f"{trained_bn}: accuracy falls by more than 0.03: {before - after[trained_bn] > 0.03}; "
      f"running means move by more than 0.1: {drift[trained_bn] > 0.1}")  # fmt: skip
print(f"{frozen_bn}: accuracy within 0.015 of before: {abs(before - after[frozen_bn]) < 0.015}; "
      f"running means unchanged: {drift[frozen_bn] == 0}")  # fmt: skip
assert before - after[trained_bn] > 0.03 and drift[trained_bn] > 0.1
assert abs(before - after[frozen_bn]) < 0.015 and drift[frozen_bn] == 0

# %% [markdown]
# BN 处于训练模式时，滑动均值被大幅拉向这三个数字，在全部十个数字上的准确率随之下降；保持在评估模式时，BN 的统计量纹丝不动，准确率几乎不变。
#
# **BN 为什么有用？一个尚无定论的问题。** 提出 BN 的论文（Ioffe 和 Szegedy，2015）把原因归于**内部协变量偏移**（internal covariate shift）：每次更新都会改变每一层输入的分布，下一层只能不停地追赶；BN 把这些输入的均值和方差固定下来。Santurkar 等人（2018）检验了这一说法：在 BN 之后注入噪声，让分布在每一步都发生偏移，训练效果与普通 BN 相差无几；而且按他们的度量，BN 并没有减少这种偏移。他们发现的是另一件事：损失变得更平滑了——沿着一步的方向，损失及其梯度的变化更小，所以可以安全地迈更大的步子。一个相关的效应很容易测量：BN 的输出不受前面权重尺度的影响，而这些权重的梯度会按同样的倍数缩小。

# %%
lin_s, bn_s = nn.Linear(64, 16, bias=False).double(), nn.BatchNorm1d(16).double()


def out_and_weight_grad(scale):
    """BN's output with lin_s's weights scaled by `scale`, and the gradient with respect to them."""
    w = (scale * lin_s.weight.detach()).requires_grad_()
    out = bn_s(x_b @ w.T)
    out.backward(up)
    return out.detach(), w.grad


(out_1, grad_1), (out_10, grad_10) = out_and_weight_grad(1.0), out_and_weight_grad(10.0)
change = (out_10 - out_1).abs().max().item()
print(f"weights x 10: BN's output changes by {format_bound(change, 1e-3)} (only through epsilon); "
      f"the weight gradient is x {(grad_10.norm() / grad_1.norm()).item():.3f}")  # fmt: skip
assert change < 1e-3 and abs(grad_10.norm() / grad_1.norm() - 0.1) < 1e-3

# %% [markdown]
# 所以大的权重迈出的步子相对较小：有效学习率会随权重的尺度自动调整。**我们的实验能说明什么：** 标准化的输入把狭窄的山谷变圆（第 1 节，在那里“更平滑”是严格成立的）；带 BN 的手写数字网络训练得更快，并能承受 $\eta = 1$（第 6 节）；BN 不受它下面那些权重的尺度影响。这些都与两种解释相符。**它们不能说明的：** 到底是哪种机制带来了好处。我们既没有测量每一层输入分布的偏移，也没有测量网络损失的平滑程度，没有做注入噪声的对照实验，而且只在 8×8 的手写数字上用两个随机种子训练了一个小网络。

# %% [markdown]
# ## 9. 课程库、要点与作业
#
# **`course_lib` 中的实现。** `course_lib.layers.BatchNorm1d(num_features, eps=1e-5,
# momentum=0.1)` 包含第 3 节的前向过程、第 4 节的反向过程和第 5 节的滑动统计量，遵循 PyTorch 的约定：`params["gamma"]`、`params["beta"]`、`running_mean`（初始为 0）、`running_var`（初始为 1，用无偏方差更新），以及 `train()` / `eval()`；`BatchNorm2d` 按通道做同样的事。两者都像 PyTorch 一样，在训练模式下拒绝每个单元只有一个值的输入。下面在三个训练批次（前向和反向）和一个评估批次上，与 `torch.nn.BatchNorm1d` 对照：

# %%
lib_bn, torch_bn = BatchNorm1d(4), nn.BatchNorm1d(4, dtype=torch.float64)
lib_bn.params["gamma"][...], lib_bn.params["beta"][...] = gamma, beta
with torch.no_grad():
    torch_bn.weight.copy_(torch.tensor(gamma))
    torch_bn.bias.copy_(torch.tensor(beta))
errors = []
for k in range(3):
    xb, db = rng.normal(size=(6, 4)) * 2 + k, rng.normal(size=(6, 4))
    xb_t = torch.tensor(xb, requires_grad=True)
    torch_bn.weight.grad = torch_bn.bias.grad = None
    out_t = torch_bn(xb_t)
    out_t.backward(torch.tensor(db))
    pairs = [(lib_bn.forward(xb), out_t), (lib_bn.backward(db), xb_t.grad)]
    pairs += [
        (lib_bn.grads["gamma"], torch_bn.weight.grad),
        (lib_bn.grads["beta"], torch_bn.bias.grad),
    ]
    errors += [rel_error(a, b) for a, b in pairs]

# %%
errors += [rel_error(lib_bn.running_mean, torch_bn.running_mean)]
errors += [rel_error(lib_bn.running_var, torch_bn.running_var)]
x_eval = rng.normal(size=(3, 4))
errors += [rel_error(lib_bn.eval().forward(x_eval), torch_bn.eval()(torch.tensor(x_eval)))]
print(
    "course_lib BatchNorm1d vs torch (3 training batches: forward, dx, dgamma, dbeta; running "
    f"statistics; evaluation mode): max relative error {format_bound(max(errors), 1e-12)}"
)
assert max(errors) < 1e-12

# %% [markdown]
# 配合同一模块中的 `Linear`、`ReLU` 和 `Sequential`，BN 就成了 NumPy 网络中的又一层；`Sequential` 用与 PyTorch 类似的名字来收集参数：

# %%
net = Sequential(Linear(64, 32, rng=0), BatchNorm1d(32), ReLU(), Linear(32, 10, rng=1))
print(net)
print(f"parameters: {list(net.params)}")
try:
    net.forward(Xd_te[:1])  # training mode: one row is refused
except ValueError as err:
    print(f"ValueError: {err}")
print(f"evaluation mode, one image -> logits of shape {net.eval().forward(Xd_te[:1]).shape}")

# %% [markdown]
# **要点。**
#
# - 不同尺度的特征使误差曲面成为一条狭窄的山谷，梯度下降在其中需要的步数是标准化之后的几千倍。
# - 特征标准化使用训练集的统计量，并把它们用于新数据；隐藏层的值也是特征，所以要在网络内部再标准化一次。
# - 批次标准化用小批次的均值和有偏方差对每个单元做标准化，再用 $\gamma$ 缩放、用 $\beta$ 平移；一个样本的输出和梯度都取决于整个批次。图像按通道做标准化；BN 前面的层不需要偏置。
# - 推理时 BN 使用滑动平均（PyTorch 的滑动平均系数 `momentum` 是新批次的权重；滑动方差是无偏的）。忘记调用 `model.eval()` 会让预测取决于批次；微调时要让 BN 保持在评估模式。
# - BN 在正常学习率下训练得更快，在高学习率下也能继续训练。至于原因是内部协变量偏移减少了，还是损失更平滑了，我们的实验无法判定。
# - 批次大小为 1 时，BN 不会把梯度传给它的输入；批次统计量的噪声按 $1/\sqrt B$ 变化。

# %% [markdown]
# **作业。** `homework/hw06_batchnorm.ipynb`：用 NumPy 写出 BN 带滑动统计量的训练前向过程、评估模式下的前向过程和反向过程，并与 `torch.nn.BatchNorm1d` 对照，包括滑动统计量。
#
# **术语表。** 加粗的术语都收录在课程的[术语表](glossary.md)中，附有英文和中文。
#
# ## 10. 练习
#
# 先预测答案，再运行代码，然后打开答案。

# %% [markdown]
# **1.** 在第 1 节中，把 $x_2$ 乘以 10 而不是 100。原始输入上的条件数和梯度下降的步数会变为原来的多少倍？

# %% tags=["answer"]
kappa = {}
for scale in (10.0, 100.0):
    lam = np.linalg.eigvalsh(LinearMSE(X_unit * np.array([1.0, scale]), y_reg, "").H)
    kappa[scale] = lam[-1] / lam[0]
s10 = LinearMSE(X_unit * np.array([1.0, 10.0]), y_reg, "x2 scaled by 10")
lam10 = np.linalg.eigvalsh(s10.H)
steps10 = len(gradient_descent(s10, 2 / (lam10[0] + lam10[-1]))) - 1
print(f"condition number: x2 x 10 {kappa[10.0]:.1f}, x2 x 100 {kappa[100.0]:.1f} (ratio {kappa[100.0] / kappa[10.0]:.0f}); "
      f"GD steps with x2 x 10: {steps10}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 条件数约缩小为原来的百分之一：它随尺度之比的*平方*增长，因为 $H = \frac2N A^\top A$ 会把 $x_2$ 的尺度乘上它自己。步数约为 $\tfrac\kappa4\ln(\cdot)$，也大约缩小同样的倍数，从第 1 节的 39 558 步降到 396 步。
# </details>

# %% [markdown]
# **2.** 用 BN 放在 ReLU 之后（`after_relu=True`）的 `make_mlp` 构建网络，并按第 6 节的方式以 lr 1.0（种子 0）训练。它还能训练吗？然后以 lr 3.0 训练通常的 BN 网络。

# %% tags=["answer"]
tries = {"BN after ReLU, lr 1.0": train_and_watch(True, 1.0, 0, after_relu=True),
         "BN before ReLU, lr 3.0": train_and_watch(True, 3.0, 0)}  # fmt: skip
for name, (loss, acc, nan_step) in tries.items():
    print(f"{name}: diverged {nan_step is not None}; last-epoch training loss below 0.3: "
          f"{loss[-4:].mean() < 0.3}; validation accuracy above 0.9 in the last epoch: {acc[-4:].max() > 0.9}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 能：BN 放在 ReLU 之后，网络在 lr 1.0 下的训练效果与 BN 放在之前时差不多，只是在这个学习率下，它的验证准确率在相邻两次评估之间起伏很大。在 lr 3.0 下，通常的 BN 网络仍然没有发散，而不带 BN 的网络在 1.0 时就已经失败了（第 6 节）；但它训练得更差：最后一个轮次的损失一直高于 0.3。BN 拓宽了可用学习率的范围，但并没有取消上限。
# </details>

# %% [markdown]
# **3.** 取 PyTorch 的 `momentum=0.01` 时，要经过多少个批次，初始的滑动方差所占的权重才会低于 0.04？用 `nn.BatchNorm1d` 验证一下。

# %% tags=["answer"]
slow = nn.BatchNorm1d(1, momentum=0.01, dtype=torch.float64)
weights = []
for _ in range(400):  # constant batches have variance 0, so running_var = 0.99^n exactly
    slow(torch.full((4, 1), 2.0, dtype=torch.float64))
    weights.append(slow.running_var.item())
first = next(n for n, w in enumerate(weights, 1) if w < 0.04)
print(f"the initial variance weighs {weights[first - 1]:.4f} after {first} batches "
      f"({weights[first - 2]:.4f} after {first - 1}); ln 0.04 / ln 0.99 = {np.log(0.04) / np.log(0.99):.1f}")  # fmt: skip
print(
    f"with momentum 0.1: below 0.04 after {next(n for n in range(1, 100) if 0.9**n < 0.04)} batches"
)

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 321 个批次之后：初始值的权重是 $(1 - m)^n = 0.99^n$，一旦 $n > \ln 0.04/\ln 0.99 = 320.3$，它就低于 0.04。momentum 为 0.1 时只需 31 个批次；更小的 momentum 在十倍多的批次上做平均，结果更平滑，但忘掉初始值（以及在训练改变权重时跟上变化）的速度也慢了十倍。
# </details>

# %% [markdown]
# **4.** 批次大小为 2 时，$\hat x = \pm 1$（在 $\epsilon$ 的误差范围内）。用第 4 节的公式预测 $d_1 = d_2$ 时的 $\partial L/\partial x$，再用 `batchnorm_backward` 验证。

# %% tags=["answer"]
x_pair, d_equal = rng.normal(size=(2, 3)), np.tile(rng.normal(size=(1, 3)), (2, 1))  # d_1 = d_2
dx_pair = batchnorm_backward(d_equal, batchnorm_forward(x_pair, np.ones(3), np.zeros(3))[1])[0]
print(f"dL/dx for d_1 = d_2: largest |entry| {format_bound(np.abs(dx_pair).max(), 1e-12)}")
assert np.abs(dx_pair).max() < 1e-12

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 为零。由于 $g_1 = g_2 = \gamma d$，且 $\hat x_2 = -\hat x_1$：$B g_j - \sum_i g_i =
# 2\gamma d - 2\gamma d = 0$，$\sum_i g_i \hat x_i = \gamma d(\hat x_1 + \hat x_2) = 0$。对两个样本相同的上游梯度要求把两个输出朝同一方向移动，而 BN 的输出恒为 $\pm 1$，无法那样移动。
# </details>

# %% [markdown]
# **5.** 在训练模式下，用按标签排好序的、每批 64 张的批次对测试集分类。准确率更接近评估模式下的数字，还是更接近每批 32 张有序批次的数字？

# %% tags=["answer"]
sorted_64 = np.array_split(np.argsort(yd_te, kind="stable"), n_te // 64)
print(f"training mode, sorted batches of {len(sorted_64[0])}-{len(sorted_64[-1])}: "
      f"accuracy {accuracy_in_mode(bn_model, sorted_64, True):.3f}; "
      f"evaluation mode {accuracy_in_mode(bn_model, whole_test, False):.3f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 更接近每批 32 张的有序批次（第 5 节中为 0.305），而不是评估模式：0.591。按标签排序时，一个 67 张的批次只包含两三个数字，它的统计量与训练批次的混合仍然相差很远。只有当批次是数据的混合样本时，更大的批次才有帮助；在评估模式下，怎么分批都无所谓。
# </details>
