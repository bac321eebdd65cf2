# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 第 05 讲 — 分类的损失函数
#
# 分类器为每个类别输出一个分数。该用什么损失把这些分数变成训练信号？我们先把类别编码成独热向量，用数值稳定的 softmax 把分数变成概率，再比较均方误差和交叉熵，交叉熵的误差曲面说明了它为什么胜出；接着讲 PyTorch 里的坑、合页损失、作为似然的损失，最后讲为什么在训练数据上表现好的分类器，往往在所有数据上都表现好。
#
# 1. 用独热向量表示类别
# 2. 稳定地计算 softmax
# 3. 交叉熵及其梯度
# 4. MSE 与交叉熵
# 5. PyTorch 的 `CrossEntropyLoss` 接收的是 logits
# 6. 二元分类与合页损失
# 7. 每个损失都是负对数似然；标签平滑
# 8. 为什么更多数据或更小的假设集能带来泛化
# 9. 所有损失逐一与 PyTorch 对照
# 10. 课程库、要点、术语表与练习

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

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import losses, plots
from course_lib.data import load_digits, make_blobs, standardize, train_val_test_split
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.plots import decision_boundary, loss_curves, use_style
from course_lib.training import fit, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. 用独热向量表示类别
#
# 在**分类**（classification）问题中，目标是 $C$ 个类别之一，而不是一个数。把类别编号为 1、2、3，再对这个编号做回归，看起来很诱人，但数字自带顺序和距离：用平方误差时，把类别 1 的样本预测成 2 的代价是 $(2-1)^2 = 1$，预测成 3 的代价是 $(3-1)^2 = 4$，就好像类别 1 离类别 2 比离类别 3 更近。这只是我们编号方式的性质，与数据无关。
#
# **独热向量**（one-hot vector）把类别 $k$ 编码成第 $k$ 个单位向量 $\mathbf e_k$：$[1, 0, 0]$、$[0, 1, 0]$、$[0, 0, 1]$。这样一来，任意两个不同类别之间的距离都是 $\sqrt 2$。

# %%
ids = np.array([1.0, 2.0, 3.0])
one_hot = np.eye(3)
dist_ids = np.abs(ids[:, None] - ids[None, :])
dist_one_hot = np.linalg.norm(one_hot[:, None, :] - one_hot[None, :, :], axis=-1)
print("distance between classes as numbers 1, 2, 3:\n", dist_ids)
print("distance between classes as one-hot vectors:\n", dist_one_hot)
off_diagonal = dist_one_hot[~np.eye(3, dtype=bool)]
assert np.allclose(off_diagonal, np.sqrt(2))

# %% [markdown]
# 多出来的这层结构会改变模型学到的东西。取直线上的 150 个点，分成三簇，分别位于 $x = -2$（“左”）、$0$（“中”）和 $2$（“右”）。我们用最小二乘法对类别编号拟合一条直线 $\hat y = wx + b$，再预测最接近的编号：一次取左、中、右 = 1、2、3，一次取 1、3、2。

# %%
rng = np.random.default_rng(0)
x_line = np.concatenate([rng.normal(center, 0.5, 50) for center in (-2.0, 0.0, 2.0)])
cluster = np.repeat([0, 1, 2], 50)  # 0 = left, 1 = middle, 2 = right
numberings = {
    "left, middle, right = 1, 2, 3": [1, 2, 3],
    "left, middle, right = 1, 3, 2": [1, 3, 2],
}
fits = {}
for name, numbers in numberings.items():
    target = np.array(numbers, dtype=float)[cluster]
    A = np.column_stack([x_line, np.ones_like(x_line)])
    w, b = np.linalg.lstsq(A, target, rcond=None)[0]
    predicted = np.clip(np.rint(w * x_line + b), 1, 3)
    fits[name] = (target, w, b, np.mean(predicted == target))
    print(f"{name}: fitted line {w:.4f} x + {b:.4f}, accuracy {fits[name][3]:.4f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
grid = np.linspace(-3.5, 3.5, 2)
for ax, (name, (target, w, b, acc)) in zip(axes, fits.items(), strict=True):
    ax.scatter(x_line, target, s=12, alpha=0.5, label="examples (class number)")
    ax.plot(grid, w * grid + b, color=plots.color("highlight"), label="least-squares line")
    ax.set(xlabel="input x", ylabel="class number", title=f"{name}: accuracy {acc:.2f}")
    ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# 数据相同，模型相同，只因为我们给两个类别换了名字，准确率就一落千丈：直线必须先升后降，所以最好的直线几乎是平的，几乎对所有点都预测“2”。独热目标没有顺序；每个类别各有一个输出的模型对任何编号都一视同仁（第 3 节会验证这一点）。
#
# 所以分类器输出一个向量 $\mathbf z \in \mathbb R^C$，每个类别一个分数，再拿它和独热目标比较。这些原始分数叫作 **logits**（未归一化的分数）；接下来我们把它们变成概率。

# %% [markdown]
# ## 2. 稳定地计算 softmax
#
# **softmax 函数**（归一化指数函数）把 logits $\mathbf z \in \mathbb R^C$ 映射为概率：
#
# $$p_i = \mathrm{softmax}(\mathbf z)_i = \frac{e^{z_i}}{\sum_{j=1}^{C} e^{z_j}} .$$
#
# 每个 $p_i$ 都是正数，它们的和为 1，logit 越大，概率也越大。照公式直接计算的话，logits 一大就会出错：当 $z > 709.8$ 时 $e^{z}$ 超出 float64 的表示范围（上溢），所以像 $[1000, 1001, 1002]$ 这样的 logits 会得到 $\infty / \infty$ = nan。


# %%
def naive_softmax(z):
    """softmax(z) along the last axis, exactly as the formula is written."""
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


big = np.array([1000.0, 1001.0, 1002.0])
with np.errstate(over="ignore", invalid="ignore"):  # silence NumPy's overflow warning
    print(f"naive softmax of {big}: {naive_softmax(big)}")
print(f"naive softmax of {big - 1000}: {naive_softmax(big - 1000)}")

# %% [markdown]
# 解决办法：给每个 logit 加上同一个常数 $c$，分子和分母都会乘以 $e^{c}$，所以 $\mathrm{softmax}(\mathbf z + c) = \mathrm{softmax}(\mathbf z)$。取 $c = -m$，其中 $m = \max_j z_j$（原课程笔记也是这样减去每一行的最大值）。这样每个指数都 $\le 0$，分母落在 $[1, C]$ 之内：既不会上溢，也不会除以 0。


# %%
def softmax(z):
    """softmax(z) along the last axis, stable: subtract the maximum first."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


print(f"stable softmax of {big}: {softmax(big)}")
err = np.abs(softmax(big) - naive_softmax(big - 1000)).max()
print(f"softmax(z) vs softmax(z - 1000): max difference {format_bound(err, 1e-15)}")
assert err < 1e-15

# %% [markdown]
# 损失需要的是 $\log p_i$，而 softmax 取对数有它自己的陷阱：一个远低于其他 logits 的 logit，其概率会下溢成 0，得到 $\log 0 = -\infty$，尽管真实值是有限的。办法是改在对数空间里计算。**对数求和指数**（log-sum-exp）函数是
#
# $$\mathrm{LSE}(\mathbf z) = \log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m},
# \qquad m = \max_j z_j ,$$
#
# 而 $\log p_i = z_i - \mathrm{LSE}(\mathbf z)$，这样永远不会对 0 取对数。


# %%
def logsumexp(z):
    """log sum_j exp(z_j) along the last axis, stable."""
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def log_softmax(z):
    """log softmax(z) along the last axis: z - logsumexp(z)."""
    return z - logsumexp(z)[..., None]


far = np.array([0.0, -1000.0])
with np.errstate(divide="ignore"):  # silence NumPy's log(0) warning
    print(f"log(softmax({far})) = {np.log(softmax(far))}")
print(f"log_softmax({far})  = {log_softmax(far)}")

# %% [markdown]
# 两者都与 PyTorch 的 `torch.softmax`、`torch.logsumexp` 和 `torch.log_softmax` 一致，logits 达到几千时也是如此（全程使用 float64）：

# %%
z_test = np.concatenate([rng.normal(size=(6, 5)), 1000 * rng.normal(size=(2, 5))])
z_torch = torch.tensor(z_test)
checks = {
    "softmax vs torch.softmax": rel_error(softmax(z_test), torch.softmax(z_torch, dim=-1)),
    "logsumexp vs torch.logsumexp": rel_error(logsumexp(z_test), torch.logsumexp(z_torch, dim=-1)),
    "log_softmax vs torch.log_softmax": rel_error(
        log_softmax(z_test), torch.log_softmax(z_torch, dim=-1)
    ),
}
for name, err in checks.items():
    print(f"{name:<34} relative error {format_bound(err, 1e-12)}")
assert max(checks.values()) < 1e-12

# %% [markdown]
# 同样的函数以 `softmax(z, axis=-1)` 和 `log_softmax(z, axis=-1)` 的形式放在 `course_lib.losses` 中；本讲后面用的都是它们。

# %% [markdown]
# ## 3. 交叉熵及其梯度
#
# 原课程笔记把分类器画成 $x \to$ 网络 $\to y \to$ softmax $\to y' \leftrightarrow
# \hat y$；用我们的记号，$y$ 是 logits $\mathbf z$，$y'$ 是概率 $\mathbf p$，$\hat y$ 是独热目标 $\mathbf y$。**交叉熵**（cross-entropy）是
#
# $$e = -\sum_i \hat y_i \ln y'_i, \qquad\text{用我们的记号}\qquad
# L(\mathbf z, \mathbf y) = -\sum_{i=1}^{C} y_i \log p_i = -\log p_c ,$$
#
# 其中 $c$ 是正确的类别。当 $p_c = 1$ 时它为 0，当 $p_c \to 0$ 时它无限增大。
#
# **对 logits 的梯度。** 把 $\log p_i = z_i - \mathrm{LSE}(\mathbf z)$ 代入，并利用 $\sum_i y_i = 1$：
#
# $$L = -\sum_i y_i z_i + \mathrm{LSE}(\mathbf z), \qquad
# \frac{\partial\, \mathrm{LSE}}{\partial z_j} = \frac{e^{z_j}}{\sum_k e^{z_k}} = p_j
# \qquad\Longrightarrow\qquad
# \frac{\partial L}{\partial z_j} = p_j - y_j .$$
#
# 也就是“预测减去目标”，和最小二乘法一样。对 $N$ 个样本、logits 矩阵 $Z$ 和平均损失，梯度是 $(P - Y)/N$；原课程笔记里的代码算的正是这个。


# %%
def cross_entropy(logits, labels):
    """Mean cross-entropy of logits (N, C) against integer labels (N,), and its gradient."""
    n = logits.shape[0]
    log_p = losses.log_softmax(logits)
    loss = -log_p[np.arange(n), labels].mean()
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return loss, grad / n


# %% [markdown]
# 两项检验：中心差分数值梯度（`course_lib.gradcheck.numerical_gradient`，第 01 讲），以及用 autograd 对 PyTorch 的 `F.cross_entropy` 求导。

# %%
Z = rng.normal(size=(5, 4))
labels = rng.integers(0, 4, size=5)
loss, grad = cross_entropy(Z, labels)
num_grad = numerical_gradient(lambda z: cross_entropy(z, labels)[0], Z)
Z_t = torch.tensor(Z, requires_grad=True)
loss_t = F.cross_entropy(Z_t, torch.tensor(labels))
loss_t.backward()
print(f"loss {loss:.4f}, F.cross_entropy {loss_t.item():.4f}")
print(
    f"gradient vs numerical gradient: relative error {format_bound(rel_error(grad, num_grad), 1e-8)}"
)
print(
    f"gradient vs torch.autograd:     relative error {format_bound(rel_error(grad, Z_t.grad), 1e-12)}"
)
assert rel_error(grad, num_grad) < 1e-8 and rel_error(grad, Z_t.grad) < 1e-12

# %% [markdown]
# 单个样本的梯度是有界的。$\mathbf p - \mathbf y$ 在正确类别以外的各项之和为 $1 - p_c$，所以 $\lVert \mathbf p - \mathbf y \rVert^2 = (1-p_c)^2 + \sum_{j\ne c} p_j^2 \le 2(1-p_c)^2$：范数至多为 $\sqrt 2\,(1 - p_c)$，当模型自信地犯错时接近 $\sqrt 2$。第 4 节会说明梯度保持这么大为什么重要。

# %%
Z_many = 5 * rng.normal(size=(1000, 4))
labels_many = rng.integers(0, 4, size=1000)
p_many = losses.softmax(Z_many)
norms = np.linalg.norm(p_many - np.eye(4)[labels_many], axis=1)
p_correct = p_many[np.arange(1000), labels_many]
print(
    f"largest ratio |p - y| / (sqrt(2) (1 - p_c)) over 1000 random examples: "
    f"{(norms / (np.sqrt(2) * (1 - p_correct))).max():.4f}"
)
assert np.all(norms <= np.sqrt(2) * (1 - p_correct) + 1e-12)

# %% [markdown]
# **交叉熵就是最大似然。** 把 $p_c(\mathbf x)$ 理解为模型给出的“输入 $\mathbf x$ 属于类别 $c$”的概率。对相互独立的样本，模型赋予所有观测标签的概率，即**似然**（likelihood），是 $\prod_n p_{y_n}(\mathbf x_n)$，而
#
# $$-\frac1N \log \prod_{n=1}^N p_{y_n}(\mathbf x_n) = \frac1N \sum_{n=1}^N -\log p_{y_n}(\mathbf x_n)
# = \text{平均交叉熵},$$
#
# 所以最小化平均交叉熵就是**最大似然**（maximum likelihood）估计：选出让观测到的标签出现概率最大的参数。

# %%
Z20, labels20 = rng.normal(size=(20, 3)), rng.integers(0, 3, size=20)
likelihood = np.prod(losses.softmax(Z20)[np.arange(20), labels20])
mean_ce = cross_entropy(Z20, labels20)[0]
print(
    f"likelihood of 20 labels {likelihood:.3e}; -log(likelihood) / N = "
    f"{-np.log(likelihood) / 20:.6f}; mean cross-entropy = {mean_ce:.6f}"
)
assert abs(-np.log(likelihood) / 20 - mean_ce) < 1e-12

# %% [markdown]
# 回到第 1 节的那条直线。用交叉熵训练的 softmax 回归（第 03 讲：logits $z_k = w_k x + b_k$）并不在乎类别怎么编号：给类别改名只是交换了输出。下面用两种编号分别从零权重开始，在 PyTorch 中做 200 步全批次梯度下降：


# %%
def train_on_line(labels, steps=200, lr=1.0):
    """Softmax regression on x_line with cross-entropy; returns (model, accuracy)."""
    model = nn.Linear(1, 3).double()
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x_t, y_t = torch.tensor(x_line)[:, None], torch.tensor(labels)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x_t), y_t).backward()
        opt.step()
    return model, (model(x_t).argmax(dim=1) == y_t).double().mean().item()


# %%
trained = {}
for name, numbers in numberings.items():
    trained[name] = train_on_line(np.array(numbers)[cluster] - 1)  # classes 0, 1, 2
    print(f"{name}: accuracy {trained[name][1]:.4f}")
(m1, _), (m2, _) = trained.values()
swap = [0, 2, 1]  # the second numbering swaps the outputs of "middle" and "right"
err = (m1.weight[swap] - m2.weight).abs().max().item()
print(
    f"weights of the second model = weights of the first with two rows swapped: error {format_bound(err, 1e-12)}"
)
assert err < 1e-12

# %% [markdown]
# ## 4. MSE 与交叉熵
#
# 为什么不继续用概率上的均方误差，即原课程笔记记号中的 $e = \sum_i (\hat y_i - y'_i)^2$？它同样恰好在 $\mathbf p = \mathbf y$ 时为 0。原课程笔记用一张图回答了这个问题，下面我们把它算出来。三个类别，目标 $\mathbf y = [1, 0, 0]$，第三个 logit 固定为一个很低的值（$z_3 = -1000$，于是 $p_3 = 0$）；两个损失都只是 $(z_1, z_2)$ 的函数：
#
# $$L_{\text{MSE}}(z_1, z_2) = \sum_{i=1}^{3} (p_i - y_i)^2, \qquad
# L_{\text{CE}}(z_1, z_2) = -\log p_1 .$$
#
# （PyTorch 的 `F.mse_loss` 对 $C$ 个分量取平均而不是求和：相差一个因子 $1/C$。）当 $z_1 \gg z_2$ 时预测正确，而在 $(-10, 10)$ 这样的点上错得离谱。我们在 $[-10, 10]^2$ 的网格上用 autograd 求梯度。

# %%
Z3 = -1000.0
y_target = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)


def logits3(z12):
    """Append the fixed third logit Z3 to free logits of shape (..., 2)."""
    return torch.cat([z12, torch.full_like(z12[..., :1], Z3)], dim=-1)


surface_losses = {
    "MSE": lambda z12: ((torch.softmax(logits3(z12), dim=-1) - y_target) ** 2).sum(dim=-1),
    "cross-entropy": lambda z12: -torch.log_softmax(logits3(z12), dim=-1)[..., 0],
}


# %%
def loss_and_grad_norm(loss_fn, z12):
    """Loss and norm of its gradient with respect to (z1, z2), at points of shape (..., 2)."""
    z12 = torch.as_tensor(z12, dtype=torch.float64).clone().requires_grad_()
    loss = loss_fn(z12)
    (grad,) = torch.autograd.grad(loss.sum(), z12)  # points are independent: sum is safe
    return loss.detach().numpy(), grad.norm(dim=-1).numpy()


# %%
bad_start = np.array([-10.0, 10.0])
p_bad = losses.softmax(np.r_[bad_start, Z3])
print(
    f"at the badly wrong point (z1, z2) = {bad_start}: p1 = {p_bad[0]:.1e}, "
    f"1 - p2 = {1 - p_bad[1]:.1e}, p3 = {p_bad[2]:.1e}"
)
at_bad = {name: loss_and_grad_norm(fn, bad_start) for name, fn in surface_losses.items()}
for name, (value, norm) in at_bad.items():
    print(f"  {name:<14} loss {value:8.4f}   gradient norm {norm:.4e}")
assert at_bad["MSE"][1] < 1e-7 and abs(at_bad["cross-entropy"][1] - np.sqrt(2)) < 1e-6

# %% [markdown]
# 在错得离谱的那个点上，MSE 接近它的最大值 2，梯度却只有 $10^{-8}$ 量级：梯度下降根本动不了。交叉熵梯度的范数则是 $\sqrt 2$，正是第 3 节给出的上界。
#
# **只有 logits 之差才起作用。** 由于 $p_3 = 0$，又因为 softmax 不受所有 logits 同时平移的影响（第 2 节），有 $p_1 = \sigma(d)$，其中 $d = z_1 - z_2$（第 6 节的 sigmoid 函数）。所以 $L_{\text{CE}} = \log(1 + e^{-d})$ 和 $L_{\text{MSE}} = 2\,\sigma(-d)^2$ 沿每条对角线 $z_1 - z_2 = \text{常数}$ 都保持不变，梯度都沿 $(1, -1)$ 方向。下面在 1000 个随机点上检验这两个公式和平移不变性：

# %%
z12 = np.random.default_rng(5).uniform(-10, 10, size=(1000, 2))
d = z12[:, 0] - z12[:, 1]
in_d = {"MSE": 2 / (1 + np.exp(d)) ** 2, "cross-entropy": np.logaddexp(0.0, -d)}
errs = []
for name, fn in surface_losses.items():
    value, _ = loss_and_grad_norm(fn, z12)
    shifted, _ = loss_and_grad_norm(fn, z12 + 3.0)  # add 3 to both free logits
    errs += [rel_error(value, in_d[name]), rel_error(shifted, value)]
print(f"both surfaces vs their formulas in d = z1 - z2, and after shifting (z1, z2) by 3: {format_bound(max(errs), 1e-12)}")  # fmt: skip
assert max(errs) < 1e-12

# %% [markdown]
# 整个曲面讲的是同一个故事：

# %%
g1, g2 = np.meshgrid(np.linspace(-10, 10, 61), np.linspace(-10, 10, 61))
grid_points = np.stack([g1, g2], axis=-1)
norm_levels = np.linspace(-17, 1, 19)  # one colour scale for both gradient norms
fig, axes = plt.subplots(2, 2, figsize=(10, 8), layout="constrained")
for col, (name, fn) in enumerate(surface_losses.items()):
    value, norm = loss_and_grad_norm(fn, grid_points)
    panels = [(value, 20, f"{name} loss"), (np.log10(norm), norm_levels, f"log10 {name} gradient norm")]  # fmt: skip
    for ax, (field, levels, title) in zip(axes[:, col], panels, strict=True):
        fig.colorbar(ax.contourf(g1, g2, field, levels=levels, cmap="viridis"), ax=ax)
        ax.plot(*bad_start, "o", color=plots.color("highlight"), markersize=10, clip_on=False, zorder=5, label="badly wrong (-10, 10)")  # fmt: skip
        ax.set(xlabel="$z_1$ (logit of the correct class)", ylabel="$z_2$", title=title)
        ax.legend(loc="lower left", frameon=True)
plt.show()

# %% [markdown]
# MSE 曲面在整个错误的半边（左上方）是一片平台，只有在对角线附近梯度才大：损失恰恰在它大的地方是平的。交叉熵曲面则是一道斜坡，在整个错误的半边上梯度范数都接近 $\sqrt 2$。
#
# **为什么 MSE 曲面是平的。** MSE 的梯度要穿过 softmax，而 softmax 的雅可比矩阵是
#
# $$\frac{\partial p_i}{\partial z_j} = p_i\,([i = j] - p_j), \qquad
# \frac{\partial L_{\text{MSE}}}{\partial z_j} = \sum_i 2\,(p_i - y_i)\, p_i\,([i=j] - p_j).$$
#
# 在 $(-10, 10)$ 处 softmax 已经饱和，$p_2 \approx 1$，$p_1 \approx e^{-20}$，所以雅可比矩阵的每一项要么约为 $p_1 p_2 \approx 2 \times 10^{-9}$，要么是 0：很大的误差乘上一个几乎为零的雅可比矩阵。交叉熵的对数抵消了指数，它的梯度 $\mathbf p - \mathbf y$ 里没有雅可比因子。下面用 `torch.autograd.functional.jacobian` 检验雅可比公式（容差放宽了一些：在饱和点上，$1 - p_2$ 只剩大约七位有效数字）：


# %%
def softmax_jacobian(z):
    """d softmax(z)_i / d z_j = p_i ([i = j] - p_j), shape (C, C), for logits z of shape (C,)."""
    p = losses.softmax(z)
    return np.diag(p) - np.outer(p, p)


for z in (np.r_[bad_start, Z3], rng.normal(size=3)):
    J_torch = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=0), torch.tensor(z))
    J = softmax_jacobian(z)
    print(
        f"z = {z}: largest |entry| {np.abs(J).max():.1e}, "
        f"relative error vs torch {format_bound(rel_error(J, J_torch), 1e-6)}"
    )
    assert rel_error(J, J_torch) < 1e-6

# %% [markdown]
# **从糟糕的起点训练模型。** 现在换成一个真正的模型：在分成三簇的 300 个点上做 softmax 回归（$\mathbf z = W\mathbf x + \mathbf b$），并让它一开始就*自信地犯错*：$W$ 的第 $k$ 行是 $-s\,\mathbf c_k$，即簇 $k$ 的中心乘以 $s$ 再取负，这样每个点自己所属的类别得分最低。从同一个起点出发，用全批次梯度下降（`torch.optim.SGD`，学习率 1，300 步）分别最小化平均交叉熵或概率上的平均 MSE；第三次训练仍用 MSE，但从较温和的 $s = 2$ 而不是 $s = 3$ 出发。

# %%
centers = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
X3, y3 = make_blobs(n_samples=300, centers=centers, std=0.8, seed=0)
X3_t, y3_t = torch.tensor(X3), torch.tensor(y3)
Y3 = F.one_hot(y3_t, 3).double()
model_losses = {
    "cross-entropy": lambda z: F.cross_entropy(z, y3_t),
    "MSE": lambda z: ((torch.softmax(z, dim=1) - Y3) ** 2).sum(dim=1).mean(),
}


# %%
def train_from_bad_start(loss_fn, scale, steps=300, lr=1.0):
    """Softmax regression with W = -scale * centers, b = 0; accuracy and gradient norm per step."""
    model = nn.Linear(2, 3).double()
    with torch.no_grad():
        model.weight.copy_(-scale * torch.tensor(centers))
        model.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    record = {"accuracy": [], "grad norm": []}
    for _ in range(steps + 1):
        opt.zero_grad()
        z = model(X3_t)
        loss_fn(z).backward()
        record["accuracy"].append((z.argmax(dim=1) == y3_t).double().mean().item())
        record["grad norm"].append(torch.cat([q.grad.ravel() for q in model.parameters()]).norm().item())  # fmt: skip
        opt.step()
    return {key: np.array(values) for key, values in record.items()}


# %%
runs = {
    "cross-entropy, s = 3": train_from_bad_start(model_losses["cross-entropy"], 3.0),
    "MSE, s = 3": train_from_bad_start(model_losses["MSE"], 3.0),
    "MSE, s = 2 (milder start)": train_from_bad_start(model_losses["MSE"], 2.0),
}
for name, r in runs.items():
    reached = np.flatnonzero(r["accuracy"] >= 0.9)
    when = f"at step {reached[0]}" if reached.size else "never in 300 steps"
    print(f"{name:<26} accuracy: start {r['accuracy'][0]:.3f}, after 300 steps {r['accuracy'][-1]:.3f}; reaches 0.9 {when}")  # fmt: skip
ce, mse, mild = runs.values()
assert ce["accuracy"][10] > 0.9 > 0.1 > mse["accuracy"][-1] and mild["accuracy"][-1] > 0.9

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for ax, key in ((ax1, "accuracy"), (ax2, "grad norm")):
    for i, (name, r) in enumerate(runs.items()):
        style = "--" if "milder" in name else "-"
        ax.plot(r[key], style, color=plots.color_of(name, i), label=name)
    ax.set(xlabel="step", ylabel=f"training {key}", title=f"training {key}")
ax2.legend()  # one legend for both panels
ax2.set_yscale("log")
fig.suptitle("softmax regression from a confidently wrong start: the same model, two losses")
plt.show()

# %% [markdown]
# 交叉熵几步之内就纠正了这个自信犯错的模型。从同一起点出发的 MSE 在 300 步里一个点也没纠正过来：它的梯度一开始就小了约一百倍（右图），并且一直很小。从较温和的起点出发，它能走出来，但要先熬过很长的平台期。
#
# 这就是原课程笔记的教训：自信犯错的 softmax 处于**饱和**（saturation）状态，它的导数呈指数级地小；直接比较概率的损失（比如 MSE）会继承这种梯度消失。交叉熵的对数抵消了指数，所以恰恰在预测自信地犯错时，它的梯度很大。

# %% [markdown]
# ## 5. PyTorch 的 `CrossEntropyLoss` 接收的是 logits
#
# 原课程笔记的提示：在 PyTorch 中，交叉熵已经包含了 softmax。`nn.CrossEntropyLoss()(z,
# labels)`（以及 `F.cross_entropy`）直接从 logits 计算 $-\log \mathrm{softmax}(\mathbf z)_c$ 的平均值，用的是第 2 节那种稳定的 log-softmax，所以模型必须以线性层结尾，而不是以 `nn.Softmax` 结尾。
#
# 常见的错误是照样加上 softmax：损失变成 $-\log \mathrm{softmax}(\mathbf p)_c$，其中 $\mathbf p = \mathrm{softmax}(\mathbf z)$，做了两次 softmax。由于每个 $p_i \in [0, 1]$，即使是完美的 $\mathbf p = \mathbf e_c$，也只能得到 $\mathrm{softmax}(\mathbf e_c)_c = e / (e + C - 1)$，所以损失永远降不到下面这个下限以下：
#
# $$L_{\text{floor}} = \log\!\left(1 + \frac{C-1}{e}\right) \quad\text{（下面的单元格取 } C = 10\text{ 计算它）}.$$

# %%
C = 10
labels10 = torch.arange(C)
confident = 50.0 * torch.eye(C, dtype=torch.float64)  # every example confidently right
floor = np.log(1 + (C - 1) / np.e)
correct = nn.CrossEntropyLoss()(confident, labels10).item()
buggy = nn.CrossEntropyLoss()(torch.softmax(confident, dim=1), labels10).item()
print(f"{'correct: CrossEntropyLoss(logits)':<50} {correct:.4f}")
print(f"{'double softmax: CrossEntropyLoss(softmax(logits))':<50} {buggy:.4f}")
print(f"{'floor log(1 + (C - 1) / e)':<50} {floor:.4f}")
assert abs(buggy - floor) < 1e-12

# %% [markdown]
# 梯度也会变小：第二个 softmax 的输入被压缩在 $[0, 1]$ 内，而第一个 softmax 的雅可比矩阵会乘到每个梯度上，所以自信犯错的预测又几乎得不到梯度（这就是第 4 节的饱和，只不过如今藏在一个“交叉熵”损失里）。

# %%
cases = {
    "random logits": torch.randn(64, C, dtype=torch.float64),
    "confidently wrong logits": 10.0 * torch.eye(C, dtype=torch.float64)[(labels10 + 1) % C],
}
for case, z in cases.items():
    y_case = labels10.repeat(len(z) // C + 1)[: len(z)]
    norms = []
    for use_softmax in (False, True):
        z_req = z.clone().requires_grad_()
        loss = F.cross_entropy(torch.softmax(z_req, dim=1) if use_softmax else z_req, y_case)
        loss.backward()
        norms.append(z_req.grad.norm().item())
    print(f"{case:<25} gradient norm: correct {norms[0]:.1e}, double softmax {norms[1]:.1e}")

# %% [markdown]
# 换到真实数据上：在第 04 讲的手写数字数据（已标准化）上训练 64 → 32 → 10 的 ReLU 网络，用 `course_lib.training.fit` 以大小为 64 的小批次训练 5 个轮次，网络以 `nn.Softmax(dim=1)` 结尾（有错误）或以线性层结尾。两者权重和批次都相同，一次用 SGD（学习率 0.1），一次用 Adam（0.01）。

# %%
X, y = load_digits()
X_tr, y_tr, X_va, y_va, _, _ = train_val_test_split(X, y, seed=0, stratify=True)
X_tr, X_va, _, _ = standardize(X_tr, X_va)
digits_train = torch.utils.data.TensorDataset(
    torch.tensor(X_tr, dtype=torch.float32), torch.tensor(y_tr)
)
digits_val = [(torch.tensor(X_va, dtype=torch.float32), torch.tensor(y_va))]
optimizers = {
    "SGD": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "Adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
}


# %%
def train_digits(make_opt, double_softmax):
    """Train the 64-32-10 network for 5 epochs; returns fit's History."""
    set_seed(0)
    layers = [nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)]
    model = nn.Sequential(*layers, *([nn.Softmax(dim=1)] if double_softmax else []))
    loader = torch.utils.data.DataLoader(
        digits_train, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return fit(
        model,
        loader,
        nn.CrossEntropyLoss(),
        make_opt(model.parameters()),
        epochs=5,
        val_loader=digits_val,
        progress=False,
    )


# %%
histories = {
    f"{opt_name}, {'double softmax' if bug else 'logits (correct)'}": train_digits(make_opt, bug)
    for opt_name, make_opt in optimizers.items()
    for bug in (False, True)
}
print(f"{'run':<28} {'final train loss':>16} {'val accuracy':>13}")
for name, h in histories.items():
    print(f"{name:<28} {h.train_loss[-1]:16.4f} {h.val_accuracy[-1]:13.4f}")
assert all(h.train_loss[-1] > floor for name, h in histories.items() if "double" in name)

# %%
ax = loss_curves(
    {name: h.train_loss for name, h in histories.items()},
    logy=True,
    ylabel="training loss",
    title="digits: the double-softmax bug",
    ax=plt.subplots(layout="constrained")[1],
)
for line in ax.lines:  # the optimizer sets the colour, the line style tells the bug apart
    line.set_linestyle("--" if "double" in line.get_label() else "-")
ax.axhline(floor, color=plots.color("reference"), linestyle=":", label=f"floor {floor:.4f}")
ax.legend()
plt.show()

# %% [markdown]
# 用 SGD 时，有错误的网络学得很慢（如上面打印的，它的梯度更小），最终准确率也低得多。用 Adam 时，由于 Adam 会按每个梯度自身的大小重新缩放，它的准确率看起来还不错，这正是这个错误常常没人发现的原因；但它的损失停在下限上方一点点，完全反映不出模型有多自信。修正方法：模型里不要放 softmax，把 logits 传给 `CrossEntropyLoss`，只在需要概率的地方调用 `torch.softmax(logits, dim=1)`。

# %% [markdown]
# ## 6. 二元分类与合页损失
#
# 在**二元分类**（binary classification）中只有 0 和 1 两个类别，一个 logit $z$ 就够了。**sigmoid 函数**（sigmoid，S 型函数）$\sigma(z) = 1/(1 + e^{-z})$ 把它变成类别 1 的概率。它就是两个 logits $(z, 0)$ 的 softmax：$e^{z}/(e^{z} + e^{0}) = \sigma(z)$。第 3 节的交叉熵在目标 $t \in \{0, 1\}$ 下变成**二元交叉熵**（binary cross-entropy）
#
# $$\mathrm{BCE}(z, t) = -\big[t \log \sigma(z) + (1 - t) \log(1 - \sigma(z))\big],
# \qquad \frac{\partial\, \mathrm{BCE}}{\partial z} = \sigma(z) - t ,$$
#
# 同样是“预测减去目标”。

# %%
z_bin = np.linspace(-5, 5, 11)
sigmoid = 1 / (1 + np.exp(-z_bin))
err = np.abs(sigmoid - losses.softmax(np.column_stack([z_bin, np.zeros_like(z_bin)]))[:, 0]).max()
print(f"sigmoid(z) vs softmax((z, 0))[0]: max difference {format_bound(err, 1e-15)}")
assert err < 1e-15

# %% [markdown]
# 照原式计算，BCE 在 logits 很大时会失效。对 $z = 40$，$\sigma(z)$ 在 float64 中舍入为 1，于是 $\log(1 - \sigma(z)) = -\infty$；对 $z = -800$，$e^{800}$ 上溢，$0 \cdot \log 0$ 是 nan。利用 $\log \sigma(z) = -\log(1 + e^{-z})$ 和 $\log(1 - \sigma(z)) = -z - \log(1 + e^{-z})$，再按 $z$ 的正负整理，就得到一个既不会对很大的正数取指数、也不会对 0 取对数的形式：
#
# $$\mathrm{BCE}(z, t) = \max(z, 0) - z\,t + \log\!\left(1 + e^{-|z|}\right).$$


# %%
def naive_bce(z, t):
    s = 1 / (1 + np.exp(-z))
    return -(t * np.log(s) + (1 - t) * np.log(1 - s))


def bce_per_example(z, t):
    """Binary cross-entropy of each logit in z against its target in t, in the stable form."""
    return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))


def bce_with_logits(z, t):
    """Mean binary cross-entropy of logits z against targets t (same shape), and its gradient."""
    e = np.exp(-np.abs(z))  # <= 1: sigmoid(z) = 1 / (1 + e) for z >= 0, e / (1 + e) for z < 0
    sigma = np.where(z >= 0, 1.0, e) / (1 + e)
    return bce_per_example(z, t).mean(), (sigma - t) / z.size


# %%
z_big, t_big = np.array([40.0, -800.0, -800.0]), np.array([0.0, 1.0, 0.0])
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    print(f"naive sigmoid + log:                   {naive_bce(z_big, t_big)}")
print(f"stable form:                           {bce_per_example(z_big, t_big)}")
z_t, t_t = torch.tensor(z_big), torch.tensor(t_big)
print(
    f"F.binary_cross_entropy_with_logits:    "
    f"{F.binary_cross_entropy_with_logits(z_t, t_t, reduction='none').numpy()}"
)
print(
    f"F.binary_cross_entropy(sigmoid(z)):    "
    f"{F.binary_cross_entropy(torch.sigmoid(z_t), t_t, reduction='none').numpy()}"
)

# %% [markdown]
# 稳定形式给出了精确的损失 40、800 和 0；PyTorch 的 `BCEWithLogitsLoss`（`F.binary_cross_entropy_with_logits`）用的就是这个公式。它的同类 `BCELoss` 接收的是概率，并把每个对数截断在 $-100$：不会出现 inf，但 40 和 800 都变成了 100。更糟的是，它会丢掉自信犯错的预测的梯度。它只看得到 $p = \sigma(z)$，所以 autograd 计算的是 $\partial L/\partial p \cdot \sigma'(z)$，其中 $\sigma'(z) = p(1 - p)$；$z$ 的两种符号以不同的方式出问题：
#
# - $z > 0$，目标为 0：1 附近的浮点数很稀疏，所以 $\sigma(z)$ 很早就恰好舍入为 1（在网络的默认数据类型 float32 中，大约从 $z = 16.6$ 起）。这时 $\sigma'(z) = 0$，梯度也就是 0。
# - $z < 0$，目标为 1：0 附近的浮点数很密，所以在 float32 中 $\sigma(z) \approx e^{z}$ 一直可以表示，直到 $z \approx -88.7$。但 `BCELoss` 的反向计算要除以 $\max(p(1-p), 10^{-12})$：在 $z \approx \ln 10^{-12} = -27.6$ 以下，梯度是 $-10^{12}\,p(1-p)$ 而不是 $-1$，并且呈指数衰减。（在 float64 中，这个截断也让 $z > 0$ 一侧的梯度衰减。）
#
# `BCEWithLogitsLoss` 在两侧都传回 $\sigma(z) - t \approx \pm 1$。$\sigma(z)$ 在哪里舍入为 1、在哪里舍入为 0？六个自信犯错的 logits 又能收到多大的梯度？

# %%
for dtype in (torch.float32, torch.float64):
    s = torch.sigmoid(z_scan := torch.arange(-800.0, 60.0, 0.01, dtype=torch.float64).to(dtype))
    print(f"{dtype!s:<13}: σ(z) rounds to 1 from z ≈ {z_scan[s == 1][0]:.1f} and to 0 below z ≈ {z_scan[s == 0][-1]:.1f}")  # fmt: skip

# %%
z_wrong, grads = [20.0, 30.0, 50.0, -20.0, -30.0, -50.0], {}  # targets: 0 for z > 0, 1 for z < 0
for dtype in (torch.float32, torch.float64):
    z = torch.tensor(z_wrong, dtype=dtype, requires_grad=True)
    t = (z < 0).to(dtype)
    F.binary_cross_entropy(torch.sigmoid(z), t, reduction="sum").backward()
    grads[f"BCELoss, {str(dtype)[6:]}"] = z.grad.tolist()
    grads[f"BCEWithLogitsLoss, {str(dtype)[6:]}"] = torch.autograd.grad(F.binary_cross_entropy_with_logits(z, t, reduction="sum"), z)[0].tolist()  # fmt: skip
print("    z" + "".join(f"{name:>28}" for name in grads))
for i, zi in enumerate(z_wrong):
    print(f"{zi:5.0f}" + "".join(f"{g[i]:28.1e}" for g in grads.values()))
bce32, logits32, bce64, _ = (np.array(g) for g in grads.values())
assert np.all(bce32[:3] == 0) and abs(bce32[3] + 1) < 1e-3 and -bce32[5] < 1e-9  # fmt: skip
assert 0.05 < -bce32[4] < 0.2 and 0.05 < bce64[1] < 0.2 and np.all(np.abs(np.abs(logits32) - 1) < 1e-6)  # fmt: skip

# %% [markdown]
# 所以在 PyTorch 中，和 `CrossEntropyLoss` 一样，要把 logits 交给损失。我们稳定版本的梯度 $\sigma(z) - t$ 与 autograd 的结果一致：

# %%
z_rand, t_rand = 10 * rng.normal(size=8), rng.uniform(size=8)  # soft targets are allowed
loss, grad = bce_with_logits(z_rand, t_rand)
z_req = torch.tensor(z_rand, requires_grad=True)
loss_t = F.binary_cross_entropy_with_logits(z_req, torch.tensor(t_rand))
loss_t.backward()
print(
    f"loss {loss:.4f} vs torch {loss_t.item():.4f}; gradient relative error vs autograd "
    f"{format_bound(rel_error(grad, z_req.grad), 1e-12)}"
)
assert abs(loss - loss_t.item()) < 1e-12 and rel_error(grad, z_req.grad) < 1e-12

# %% [markdown]
# 在模型中，二元分类意味着一个输出单元，以及形状相同的浮点型目标。下面在两个相互重叠的簇上，用 `nn.BCEWithLogitsLoss` 训练逻辑回归（只有一个 `nn.Linear(2, 1)`）：

# %%
X2, y2 = make_blobs(n_samples=200, centers=np.array([[-1.0, 0.0], [1.0, 0.5]]), std=0.8, seed=0)
X2_t, y2_t = torch.tensor(X2, dtype=torch.float32), torch.tensor(y2, dtype=torch.float32)
logistic = nn.Linear(2, 1)
opt = torch.optim.SGD(logistic.parameters(), lr=0.5)
for _ in range(200):
    opt.zero_grad()
    nn.BCEWithLogitsLoss()(logistic(X2_t)[:, 0], y2_t).backward()
    opt.step()
with torch.no_grad():
    logit2 = logistic(X2_t)[:, 0]
    bce2 = nn.BCEWithLogitsLoss()(logit2, y2_t).item()
print(
    f"logistic regression: BCE {bce2:.4f}, accuracy {((logit2 > 0) == (y2_t > 0.5)).float().mean():.4f}"
)


# %%
def predict_binary(points):
    with torch.no_grad():
        return (logistic(torch.tensor(points, dtype=torch.float32))[:, 0] > 0).long().numpy()


decision_boundary(predict_binary, X2, y2, title="logistic regression with BCEWithLogitsLoss")
plt.show()

# %% [markdown]
# **多类合页损失。** 原课程笔记为分数 $\mathbf s$（logits，而不是概率）给出了第二种经典损失：**多类合页损失**（multiclass hinge loss），也叫 SVM 损失。它要求正确类别的分数比每个错误类别都至少高出一个**间隔**（margin）$\Delta$（这里取 1）：
#
# $$L_i = \sum_{j \ne y_i} \max\!\big(0,\; s_j - s_{y_i} + \Delta\big).$$
#
# 错误类别只有在它离正确类别的分数不到 $\Delta$ 时才有贡献，其（次）梯度在 $s_j$ 上是 $+1$，在 $s_{y_i}$ 上是 $-1$。一旦所有间隔都满足，损失和梯度就恰好为 0；而交叉熵总是要求更多的自信。


# %%
def multiclass_hinge(scores, labels, margin=1.0):
    """Mean multiclass SVM loss of scores (N, C) against labels (N,), and its subgradient."""
    n = scores.shape[0]
    rows = np.arange(n)
    terms = np.maximum(0.0, scores - scores[rows, labels][:, None] + margin)
    terms[rows, labels] = 0.0  # the correct class is not compared with itself
    active = (terms > 0).astype(float)
    active[rows, labels] = -active.sum(axis=1)
    return terms.sum() / n, active / n


# %%
for s_example in ([3.0, 0.0, 0.0], [0.5, 0.0, 0.0], [-2.0, 0.0, 0.0]):
    s_row, label0 = np.array([s_example]), np.array([0])
    print(
        f"scores {s_row[0]}, correct class 0: hinge {multiclass_hinge(s_row, label0)[0]:.4f}, "
        f"cross-entropy {losses.cross_entropy(s_row, label0)[0]:.4f}"
    )

# %% [markdown]
# PyTorch 的 `F.multi_margin_loss` 计算的是同一个求和，但把每个样本的和除以了 $C$，所以我们拿它的 $C$ 倍来比较。梯度与 autograd 对照检验（分数是随机的，所以没有哪一项恰好落在折点上）：

# %%
S = rng.normal(size=(6, 5))
labels_s = rng.integers(0, 5, size=6)
loss, grad = multiclass_hinge(S, labels_s)
S_t = torch.tensor(S, requires_grad=True)
loss_t = 5 * F.multi_margin_loss(S_t, torch.tensor(labels_s), margin=1.0)
loss_t.backward()
print(
    f"hinge loss {loss:.4f}, 5 * F.multi_margin_loss {loss_t.item():.4f}, "
    f"gradient relative error vs autograd {format_bound(rel_error(grad, S_t.grad), 1e-12)}"
)
assert abs(loss - loss_t.item()) < 1e-12 and rel_error(grad, S_t.grad) < 1e-12

# %% [markdown]
# ## 7. 每个损失都是负对数似然；标签平滑
#
# 第 3 节把交叉熵理解为最大似然。其他损失也是同一个思路，只是给目标换了一个概率模型：每个损失都是**负对数似然**（negative log-likelihood）$-\log p(\text{目标} \mid \text{输出})$ 在样本上的平均。
#
# | 损失 | 目标的模型 | $-\log p$ |
# |---|---|---|
# | MSE | 高斯分布，$y \sim \mathcal N(\hat y, s^2)$，$s$ 固定 | $(y - \hat y)^2/(2s^2) + \tfrac12\log(2\pi s^2)$ |
# | BCE | 伯努利分布，$t = 1$ 的概率为 $\sigma(z)$ | $-t\log\sigma(z) - (1-t)\log(1-\sigma(z))$ |
# | CE | 类别分布，类别 $c$ 的概率为 $\mathrm{softmax}(\mathbf z)_c$ | $-\log p_c$ |
#
# 对 MSE 来说，尺度 $s$ 只是把损失放缩并加上一个常数：对每个 $s$，最好的 $\hat y$ 都一样。下面与 `torch.distributions` 对照：

# %%
rng7, tt = np.random.default_rng(7), torch.tensor
y_hat, y_obs, s = rng7.normal(size=6), rng7.normal(size=6), 0.5
z6, t6 = 3 * rng7.normal(size=6), rng7.integers(0, 2, size=6).astype(float)
Z6, c6 = rng7.normal(size=(6, 4)), rng7.integers(0, 4, size=6)
nll = {
    "MSE = Gaussian": (losses.mse(y_hat, y_obs)[0] / (2 * s**2) + 0.5 * np.log(2 * np.pi * s**2),
                       torch.distributions.Normal(tt(y_hat), s).log_prob(tt(y_obs))),
    "BCE = Bernoulli": (losses.binary_cross_entropy_with_logits(z6, t6)[0],
                        torch.distributions.Bernoulli(logits=tt(z6)).log_prob(tt(t6))),
    "CE = categorical": (losses.cross_entropy(Z6, c6)[0],
                         torch.distributions.Categorical(logits=tt(Z6)).log_prob(tt(c6))),
}  # fmt: skip
for name, (ours, log_prob) in nll.items():
    print(f"{name:<17} loss {ours:.4f}; mean -log p from torch.distributions {-log_prob.mean().item():.4f}")  # fmt: skip
err = max(abs(ours + log_prob.mean().item()) for ours, log_prob in nll.values())
print(f"max difference {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# **交叉熵等于熵加 KL 散度。** 设目标是类别上的任意分布 $\mathbf q$（独热向量就是其中一种）。加上再减去 $\sum_i q_i \log q_i$，交叉熵 $H(\mathbf q, \mathbf p) = -\sum_i q_i\log p_i$ 就拆成两部分：
#
# $$H(\mathbf q, \mathbf p) = \underbrace{-\sum_i q_i \log q_i}_{H(\mathbf q)}
# + \underbrace{\sum_i q_i \log\frac{q_i}{p_i}}_{\mathrm{KL}(\mathbf q\,\|\,\mathbf p)} .$$
#
# **熵**（entropy）$H(\mathbf q)$ 与模型无关：即使是完美的模型也要付出这一部分。**KL 散度**（KL divergence）$\ge 0$，并且只在 $\mathbf p = \mathbf q$ 时为 0。所以最小化交叉熵就是把 $\mathbf p$ 拉向 $\mathbf q$；对独热的 $\mathbf q$，$H(\mathbf q) = 0$，交叉熵*就是* KL 散度。在软目标上检验：

# %%
Q, Zq = losses.softmax(rng7.normal(size=(5, 4))), rng7.normal(size=(5, 4))  # rows of Q sum to 1
log_p = losses.log_softmax(Zq)
ce, entropy, kl = -(Q * log_p).sum(1), -(Q * np.log(Q)).sum(1), (Q * (np.log(Q) - log_p)).sum(1)
q_dist, p_dist = torch.distributions.Categorical(probs=tt(Q)), torch.distributions.Categorical(logits=tt(Zq))  # fmt: skip
errs = [rel_error(entropy + kl, ce), rel_error(entropy, q_dist.entropy()),
        rel_error(kl, torch.distributions.kl_divergence(q_dist, p_dist)),
        rel_error(ce.mean(), F.cross_entropy(tt(Zq), tt(Q)).item())]  # fmt: skip
print(f"H(q) + KL(q || p) = H(q, p), and entropy, KL, cross-entropy vs torch: max relative error "
      f"{format_bound(max(errs), 1e-12)}; smallest KL {kl.min():.3f} > 0")  # fmt: skip
assert max(errs) < 1e-12 and kl.min() > 0

# %% [markdown]
# **标签平滑。** 用独热目标时，正确的 logit 与其他 logits 拉得越开，损失 $-\log p_c$ 就越小，而梯度 $\mathbf p - \mathbf y$ 永远不会变成 0：logits 被无休止地推开。**标签平滑**（label smoothing）改为以 $\mathbf q = (1 - \alpha)\,\mathbf y + \alpha/C$ 为目标（PyTorch：`CrossEntropyLoss(label_smoothing=α)`）。这时最小值在 $\mathbf p = \mathbf q$ 处，梯度 $\mathbf p - \mathbf q$ 在那里为 0，损失为 $H(\mathbf q) > 0$：正确类别得到 $1 - \alpha + \alpha/C$，它的 logit 比其他每个 logit 都高出一个有限的差距 $\log\big(1 + (1 - \alpha)C/\alpha\big)$。下面从零实现，并与 PyTorch 和 `course_lib.losses.cross_entropy(label_smoothing=α)` 对照：


# %%
def cross_entropy_smoothed(logits, labels, alpha):
    """Mean cross-entropy of logits (N, C) against (1 - alpha) one-hot + alpha / C, and its gradient."""
    n, c = logits.shape
    q = (1 - alpha) * np.eye(c)[labels] + alpha / c
    log_p = losses.log_softmax(logits)
    return -(q * log_p).sum(axis=1).mean(), (np.exp(log_p) - q) / n


loss, grad = cross_entropy_smoothed(Z, labels, 0.1)  # Z, labels: section 3's check
lib_loss, lib_grad = losses.cross_entropy(Z, labels, label_smoothing=0.1)
Z_t = torch.tensor(Z, requires_grad=True)
(loss_t := F.cross_entropy(Z_t, torch.tensor(labels), label_smoothing=0.1)).backward()
err = max(abs(loss - loss_t.item()), abs(lib_loss - loss_t.item()), rel_error(grad, Z_t.grad), rel_error(lib_grad, Z_t.grad))  # fmt: skip
print(f"smoothed cross-entropy and its gradient (P - Q) / N, from scratch and course_lib vs torch: {format_bound(err, 1e-12)}")  # fmt: skip
assert err < 1e-12

# %% [markdown]
# 一个样本，$C = 10$，从 0 开始对它的 logits 做梯度下降（学习率 1）：不平滑与平滑（$\alpha = 0.1$）时，正确 logit 与其他 logits 之间的差距：

# %%
alphas = np.array([[0.0], [0.1]])  # one row per run
q10 = (1 - alphas) * np.eye(10)[0] + alphas / 10  # class 0 is correct
z10, gaps = np.zeros((2, 10)), {}
for t in range(1, 10_001):
    z10 -= softmax(z10) - q10  # the gradient of each row's cross-entropy
    if t in (10, 100, 1000, 10_000):
        gaps[t] = z10[:, 0] - z10[:, 1]
print("  step   gap without smoothing   gap with smoothing (0.1)")
for t, (plain, smoothed) in gaps.items():
    print(f"{t:6d} {plain:23.2f} {smoothed:20.4f}")
print(f"log(1 + (1 - alpha) C / alpha) = log 91 = {np.log(91):.4f}")
assert gaps[10_000][0] > gaps[1000][0] + 2 and abs(gaps[10_000][1] - np.log(91)) < 1e-6

# %% [markdown]
# 不平滑时，步数每增加十倍，差距就增大约 $\ln 10 \approx 2.3$，永无止境：模型越来越自信。平滑时，差距停在 $\log 91$，此时正确类别的概率为 0.91。平滑是防止过度自信的一种廉价正则化方法（Transformer 论文用的是 $\alpha = 0.1$）；作业中会实现它。

# %% [markdown]
# ## 8. 为什么更多数据或更小的假设集能带来泛化
#
# 训练挑出的是在训练数据上最好的分类器。凭什么它在没见过的数据上也会表现好？原课程笔记用一个小小的理论回答了这个问题，下面我们来模拟它。
#
# - $D_{\text{all}}$ 是全部数据：1000 个点 $x \in [0, 1]$，当 $x > 0.37$ 时标签为 1，并翻转 10% 的标签，使得没有哪个分类器是完美的。
# - **假设集**（hypothesis set）$\mathcal H$ 是我们允许使用的分类器的集合；我们的分类器是阈值函数 $h_t(x) = 1[x > t]$：$\mathcal H_1 = \{0.5\}$，$\mathcal H_{10} = \{0.1, 0.2, \dots, 1.0\}$，$\mathcal H_{100} = \{0.01, 0.02, \dots, 1.00\}$。
# - $L(h, D)$ 是 $D$ 中被 $h$ 分错的样本所占的比例。
# - $D_{\text{train}}$ 是从 $D_{\text{all}}$ 中独立抽取的 $N$ 个样本；$h^{\text{train}}$ 在 $\mathcal H$ 中使 $L(h, D_{\text{train}})$ 最小，而 $h^{\text{all}}$ 使 $L(h, D_{\text{all}})$ 最小，是 $\mathcal H$ 所能提供的最好结果。

# %%
rng_h = np.random.default_rng(1)
x_all = rng_h.uniform(0, 1, 1000)
y_all = (x_all > 0.37).astype(int)
flipped = rng_h.random(1000) < 0.1
y_all[flipped] = 1 - y_all[flipped]
thresholds = np.arange(1, 101) / 100
mistakes = ((x_all[None, :] > thresholds[:, None]) != y_all[None, :]).astype(float)  # (100, 1000)
L_all = mistakes.mean(axis=1)  # L(h_t, D_all) for every threshold t
hypothesis_sets = {1: np.array([49]), 10: np.arange(9, 100, 10), 100: np.arange(100)}
for size, idx in hypothesis_sets.items():
    best = idx[np.argmin(L_all[idx])]
    print(
        f"|H| = {size:3d}: h_all has t = {thresholds[best]:.2f}, L(h_all, D_all) = {L_all[best]:.4f}"
    )

# %% [markdown]
# 我们希望 $L(h^{\text{train}}, D_{\text{all}}) - L(h^{\text{all}}, D_{\text{all}}) \le \delta$。如果 $D_{\text{train}}$ 对任何分类器的误判都不超过 $\varepsilon = \delta/2$，即对每个 $h \in \mathcal H$ 都有 $|L(h, D_{\text{train}}) - L(h, D_{\text{all}})| \le \varepsilon$，就称它是*好的*训练集。在好的训练集上，这个愿望就能实现：
#
# $$L(h^{\text{train}}, D_{\text{all}}) \le L(h^{\text{train}}, D_{\text{train}}) + \varepsilon
# \le L(h^{\text{all}}, D_{\text{train}}) + \varepsilon \le L(h^{\text{all}}, D_{\text{all}}) + 2\varepsilon .$$
#
# 对一个固定的 $h$，$L(h, D_{\text{train}})$ 是 $N$ 个独立的 0/1 值的平均，其期望是 $L(h, D_{\text{all}})$。**霍夫丁不等式**（Hoeffding's inequality）限定了它能偏离多远：$P\big(|L(h, D_{\text{train}}) - L(h, D_{\text{all}})| > \varepsilon\big) \le 2\exp(-2N\varepsilon^2)$。只要对至少一个 $h$ 发生这种情况，训练集就是坏的；而几个事件中至少发生一个的概率，不超过它们各自概率之和（即**联合界**，union bound）。所以
#
# $$P(D_{\text{train}} \text{ 是坏的}) \le |\mathcal H| \cdot 2 \exp(-2N\varepsilon^2) .$$
#
# 更多的数据或更少的假设都会让坏训练集更少见。我们对每个 $N$ 抽取 4000 个训练集，数出其中坏的有几个（$\varepsilon = 0.1$）。

# %%
eps, trials, sizes = 0.1, 4000, [10, 20, 40, 80, 160, 320]
sim = {}  # (N, |H|) -> frequency of bad sets, max gap on good sets, mean L(h_train, D_all)
for N in sizes:
    picks = rng_h.integers(0, 1000, size=(trials, N))  # each row is one training set
    counts = np.bincount(
        (np.arange(trials)[:, None] * 1000 + picks).ravel(), minlength=trials * 1000
    )
    L_train = counts.reshape(trials, 1000) @ mistakes.T / N  # (trials, 100)
    for size, idx in hypothesis_sets.items():
        bad = np.abs(L_train[:, idx] - L_all[idx]).max(axis=1) > eps
        h_train = idx[np.argmin(L_train[:, idx], axis=1)]
        gap = L_all[h_train] - L_all[idx].min()
        sim[N, size] = (bad.mean(), gap[~bad].max(initial=0.0), L_all[h_train].mean())


# %%
def hoeffding_bound(N, size):
    return size * 2 * np.exp(-2 * N * eps**2)


# %%
print(
    f"{'N':>4} " + "".join(f"{'|H| = ' + str(s) + ': freq / bound':>28}" for s in hypothesis_sets)
)
for N in sizes:
    cells = "".join(
        f" {sim[N, s][0]:15.4f} / {hoeffding_bound(N, s):9.4f}" for s in hypothesis_sets
    )
    print(f"{N:4d} {cells}")
assert all(sim[N, s][0] <= hoeffding_bound(N, s) for N in sizes for s in hypothesis_sets)
max_gap = max(sim[key][1] for key in sim)
print(
    f"largest L(h_train, D_all) - L(h_all, D_all) on a good training set: {max_gap:.4f} "
    f"(guaranteed <= 2 eps = {2 * eps})"
)
assert max_gap <= 2 * eps

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
N_grid = np.array(sizes)
for i, size in enumerate(hypothesis_sets):
    color = plots.color_of(f"|H| = {size}", i)
    freq = np.array([sim[N, size][0] for N in sizes])
    seen = freq > 0  # a frequency of 0 has no place on a log axis
    ax.plot(N_grid[seen], freq[seen], "o-", color=color, label=f"|H| = {size}: frequency")
    bound = hoeffding_bound(N_grid, size)
    ax.plot(N_grid, bound, "--", color=color, label=f"|H| = {size}: bound")
ax.axhline(1, color=plots.color("reference"), linewidth=0.8, label="probability 1")
ax.set(xscale="log", yscale="log", xlabel="training set size N", ylabel="P(D_train is bad)")
ax.set_title(f"bad training sets vs the Hoeffding bound (eps = {eps})")
ax.legend(ncol=2, fontsize=8)
plt.show()

# %% [markdown]
# 坏训练集出现的频率处处都在上界之下，并随 $N$ 指数下降；假设集越大，要得到同样的保证就需要越多的数据。但这个上界很松，在 $|\mathcal H| = 1$、根本不涉及联合界时就已经很松。对一个固定的 $h$，它在 $D_{\text{train}}$ 上犯错的次数服从试验次数为 $N$、概率 $p = L(h, D_{\text{all}})$ 的二项分布，所以 $P(D_{\text{train}}\text{ 是坏的})$ 可以精确算出。霍夫丁不等式必须对*每一个*取值在 $[0, 1]$ 中的随机变量都成立，包括方差为 $1/4$ 的最坏情形；它没有考虑到我们的犯错指示值方差更小，只有 $p(1 - p)$，尾部要薄得多：

# %%
p_h1 = L_all[hypothesis_sets[1][0]]  # L(h, D_all) of the single threshold 0.5
print(f"|H| = 1: p = {p_h1:.3f}, variance p(1 - p) = {p_h1 * (1 - p_h1):.3f} (Hoeffding allows 0.25)")  # fmt: skip
print("   N   exact P(bad)  simulated  Hoeffding  Hoeffding / exact")
exact_h1 = {}
for N in sizes:
    k = np.arange(N + 1)
    pmf = np.array([math.comb(N, j) for j in k], dtype=float) * p_h1**k * (1 - p_h1) ** (N - k)
    exact = pmf[np.abs(k / N - p_h1) > eps].sum()
    exact_h1[N] = exact
    print(f"{N:4d}  {exact:12.2e}  {sim[N, 1][0]:9.4f}  {hoeffding_bound(N, 1):9.4f}  {hoeffding_bound(N, 1) / exact:17.0f}")  # fmt: skip
assert all(hoeffding_bound(N, 1) / exact_h1[N] > 10 for N in (80, 160))
assert all(
    abs(sim[N, 1][0] - e) < 4 * np.sqrt(e * (1 - e) / trials) + 1e-3 for N, e in exact_h1.items()
)

# %% [markdown]
# 当 $|\mathcal H| > 1$ 时，联合界本身又带来了额外的松弛。各事件从不同时发生时，概率之和是精确的；事件相互重叠时，它就很松。相邻的阈值几乎在同一批样本上犯错，所以它们各自的“$h$ 被误判”事件大多同时发生，求和时就把同样的坏训练集一遍又一遍地重复计数：$|\mathcal H| = 100$ 时的频率远低于 $|\mathcal H| = 1$ 时的 100 倍。
#
# **权衡。** 更小的 $\mathcal H$ 更安全，但其中最好的成员更差（原课程笔记：“鱼与熊掌不可兼得”）：$L(h^{\text{all}}, D_{\text{all}})$（下表最后一行）随 $|\mathcal H|$ 增大而下降。我们实际得到的是 $L(h^{\text{train}}, D_{\text{all}})$，下面是它在 4000 个训练集上的平均值：

# %%
print(
    f"{'N':>4} "
    + "".join(f"{'|H| = ' + str(s):>10}" for s in hypothesis_sets)
    + "   (mean L(h_train, D_all))"
)
for N in sizes:
    print(f"{N:4d} " + "".join(f"{sim[N, s][2]:10.4f}" for s in hypothesis_sets))
best_all = [L_all[idx].min() for idx in hypothesis_sets.values()]
print("best " + "".join(f"{b:10.4f}" for b in best_all) + "   (L(h_all, D_all))")
assert best_all[0] > best_all[1] > best_all[2]
larger_wins = [N for N in sizes if sim[N, 100][2] < sim[N, 10][2]]
print(f"|H| = 100 beats |H| = 10 from N = {larger_wins[0]} on; below it |H| = 10 is better")
assert larger_wins == sizes[sizes.index(larger_wins[0]) :] and larger_wins[0] > sizes[0]

# %% [markdown]
# 训练集最小时，十个阈值的集合比一百个阈值的集合略好一些：多出来的阈值主要是让训练去拟合一个极小样本里的噪声。一旦 $N$ 足够大（上面打印了从哪里开始），较大的集合就会胜出：这时的数据已足以在其中找到更好的成员。单个阈值从不被误导，也从来不够好。这就是**泛化**（generalisation）背后的平衡，所谓泛化，就是在训练时没见过的数据上也表现良好：灵活的模型族需要足够多的数据，才能在其中选得好。

# %% [markdown]
# ## 9. 所有损失逐一与 PyTorch 对照
#
# 对本讲的所有损失做一次统一检验：从零实现的版本和 `course_lib.losses` 中的版本，都在相同的 float64 输入上（部分 logits 达到几千）与 `torch.nn.functional` 比较数值和梯度，最后用一行报告最大误差。从零实现的 MSE 就是第 01 讲中的那一行代码，梯度为 $2(\text{预测} - \text{目标})/n$。

# %%
Z8 = np.concatenate([3 * rng.normal(size=(6, 5)), 1000 * rng.normal(size=(2, 5))])
labels8 = rng.integers(0, 5, size=8)
targets8 = rng.uniform(size=(8, 5))


def torch_value_and_grad(fn, first, *rest):
    """fn(first, *rest) with PyTorch in float64, and its gradient with respect to ``first``."""
    t = torch.tensor(first, requires_grad=True)
    value = fn(t, *(torch.tensor(r) for r in rest))
    value.backward()
    return value.item(), t.grad.numpy()


def scratch_mse(pred, target):
    return np.mean((pred - target) ** 2), 2 * (pred - target) / pred.size


# %%
loss_cases = {  # name: (from scratch, course_lib, torch reference, inputs)
    "cross_entropy": (cross_entropy, losses.cross_entropy, F.cross_entropy, (Z8, labels8)),
    "mse": (scratch_mse, losses.mse, F.mse_loss, (Z8 / 1000, targets8)),
    "binary_cross_entropy_with_logits": (
        bce_with_logits,
        losses.binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits,
        (Z8, targets8),
    ),
    "multiclass_hinge": (
        multiclass_hinge,
        losses.multiclass_hinge,
        lambda s, y: 5 * F.multi_margin_loss(s, y),
        (Z8, labels8),
    ),
}

# %%
table = {
    "softmax": [
        rel_error(f(Z8), torch.softmax(torch.tensor(Z8), dim=-1)) for f in (softmax, losses.softmax)
    ],
    "log_softmax": [
        rel_error(f(Z8), torch.log_softmax(torch.tensor(Z8), dim=-1))
        for f in (log_softmax, losses.log_softmax)
    ],
}
for name, (scratch, library, reference, inputs) in loss_cases.items():
    ref_value, ref_grad = torch_value_and_grad(reference, *inputs)
    for fn in (scratch, library):
        value, grad = fn(*inputs)
        table.setdefault(name, []).append(
            max(rel_error(value, ref_value), rel_error(grad, ref_grad))
        )

# %%
worst = max(max(errs) for errs in table.values())
print(f"{len(table)} functions ({', '.join(table)}), from scratch and in course_lib, vs torch, value and gradient: max relative error {format_bound(worst, 1e-12)}")  # fmt: skip
assert worst < 1e-12

# %% [markdown]
# 从现在起，课程在 NumPy 代码中使用 `course_lib.losses`，在 PyTorch 模型中使用 `torch.nn.functional` / `torch.nn` 里的损失。
#
# ## 10. 课程库、要点、术语表与练习
#
# **`course_lib` 中的实现。** `course_lib.losses` 包含 `softmax` 和 `log_softmax`（对很大的 logits 也稳定），以及四个损失，每个都返回 `(loss, gradient with respect to the first argument)`，采用 PyTorch 的平均约简：`cross_entropy(logits, labels,
# label_smoothing=0.0)`、`mse(pred, target)`、`binary_cross_entropy_with_logits(logits,
# targets)` 和 `multiclass_hinge(scores, labels, margin=1.0)`（对错误类别求和）。梯度就是 NumPy 反向传播的起点，正如第 01 讲的网络那样：

# %%
logits = rng.normal(size=(4, 3))
labels4 = np.array([0, 2, 1, 2])
loss, dlogits = losses.cross_entropy(logits, labels4)
print(f"loss {loss:.4f}; dlogits (the start of the backward pass):\n{dlogits}")
print(f"each row of dlogits sums to 0: {np.allclose(dlogits.sum(axis=1), 0)}")
assert np.allclose(dlogits.sum(axis=1), 0)

# %% [markdown]
# **要点。**
#
# - 类别是独热向量，不是数字。稳定的 softmax 要减去最大的 logit。
# - 交叉熵的梯度是 $\mathbf p - \mathbf y$，范数至多为 $\sqrt 2$。softmax 概率上的 MSE 会饱和：从自信犯错的起点出发，它纹丝不动，交叉熵却几步就恢复了。
# - 给 PyTorch 的损失传 logits：在 `CrossEntropyLoss` 前面加 softmax，会给损失垫上一个下限；对 $\sigma(z)$ 使用 `BCELoss`，会丢掉自信犯错的预测的梯度：一旦 $\sigma(z)$ 舍入为 1，梯度就恰好为 0；在 $z \approx -27.6$ 以下梯度逐渐衰减。
# - 所有间隔都满足后，合页损失就不再在乎；交叉熵永远在乎。
# - 每个损失都是负对数似然；交叉熵等于熵加 KL 散度。标签平滑让 logits 的无限拉开停在一个有限的差距上。
# - $P(D_{\text{train}}\text{ 是坏的}) \le |\mathcal H| \cdot 2\exp(-2N\varepsilon^2)$：更多的数据或更小的 $\mathcal H$ 都有帮助，但更小的 $\mathcal H$ 里最好的成员更差。这个上界有两处松：霍夫丁不等式忽略了方差，联合界忽略了事件的重叠。

# %% [markdown]
# **作业。** `homework/hw05_classification.ipynb`：写出稳定的 log-softmax、带标签平滑的交叉熵及其梯度，以及 softmax 概率上的 MSE 及其梯度；然后从糟糕的起点出发，分别用这两种损失训练同一个 softmax 回归，并解释两者的差异。
#
# **术语表。** 加粗的术语都收录在课程的[术语表](glossary.md)中，附有英文和中文（例如 cross-entropy — 交叉熵，softmax — 归一化指数函数，saturation — 饱和）。

# %% [markdown]
# **练习。** 先预测答案，再运行代码，然后打开答案。

# %% [markdown]
# **1.** 在第 2 节中，`np.exp` 在 float32 中从哪个 logit 开始上溢，而在 float64 中呢？试试 `naive_softmax(big.astype(np.float32) - 920)` 和 `- 900`。

# %% tags=["answer"]
with np.errstate(over="ignore", invalid="ignore"):
    for shift in (920, 900):
        print(f"naive softmax of big - {shift} in float32: {naive_softmax(big.astype(np.float32) - shift)}")  # fmt: skip
print(f"exp overflows above z = {np.log(np.finfo(np.float32).max):.2f} in float32, "
      f"{np.log(np.finfo(np.float64).max):.2f} in float64")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 一旦 $z$ 超过最大浮点数的对数，$e^z$ 就会上溢：float32 中是 88.72，float64 中是 709.78。所以 $[80, 81, 82]$（big $-$ 920）在 float32 中仍能正常计算，而 $[100, 101,
# 102]$（big $-$ 900）会得到 $\infty/\infty$ = nan，尽管 float64 能处理它。网络的 logits 是 float32 的，这是减去最大值的又一个理由。
# </details>

# %% [markdown]
# **2.** 在第 4 节中，让 softmax 回归从更温和的 $s = 1$ 出发。MSE 还会卡住吗？它需要多少步才能达到准确率 0.9？

# %% tags=["answer"]
mildest = train_from_bad_start(model_losses["MSE"], 1.0)
print(f"MSE from s = 1: accuracy 0.9 first at step {np.flatnonzero(mildest['accuracy'] >= 0.9)[0]}")
print(f"gradient norm at the start: MSE from s = 1 {mildest['grad norm'][0]:.1e}, from s = 3 "
      f"{runs['MSE, s = 3']['grad norm'][0]:.1e}; cross-entropy from s = 3 {runs['cross-entropy, s = 3']['grad norm'][0]:.1e}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 不会卡住：从 $s = 1$ 出发，MSE 在第 32 步达到准确率 0.9，而从 $s = 2$ 出发要到第 227 步，从 $s = 3$ 出发则永远达不到。它起始时的梯度约为从 $s = 3$ 出发时的四倍，但仍远小于交叉熵的梯度：饱和越轻，MSE 越早走出平台期。交叉熵则不依赖这种运气。
# </details>

# %% [markdown]
# **3.** 在第 6 节中，用 `torch.float16` 重复这次扫描。现在 $\sigma(z)$ 从哪里开始舍入为 1？（float16 在 1 的正下方的间距是 $2^{-11}$。）

# %% tags=["answer"]
s16 = torch.sigmoid(z16 := torch.arange(-800.0, 60.0, 0.01, dtype=torch.float64).to(torch.float16))  # fmt: skip
print(f"float16: σ(z) rounds to 1 from z ≈ {z16[s16 == 1][0]:.2f} and to 0 below z ≈ {z16[s16 == 0][-1]:.1f}; "
      f"12 ln 2 = {12 * math.log(2):.2f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 在 $z = 8.3$ 附近。一旦 $1 - \sigma(z) \approx e^{-z}$ 小于间距的一半 $2^{-12}$，也就是 $z > 12 \ln 2 = 8.32$ 时，$\sigma(z) = 1/(1 + e^{-z})$ 就舍入为 1。从那里开始，由舍入后的 $\sigma(z)$ 算出的 $\sigma'(z)$ 为 0：在半精度下，基于概率的损失在 8.3 处就已经丢掉了自信犯错的 logit 的梯度。
# </details>

# %% [markdown]
# **4.** 在第 8 节中，不翻转任何标签。对 $|\mathcal H| = 1$，精确的 $P(D_{\text{train}}\text{ 是坏的})$ 和霍夫丁上界会怎样变化？用 $p(1 - p)$ 来解释。

# %% tags=["answer"]
p_clean = np.mean((x_all > 0.5) != (x_all > 0.37))  # L(h_0.5, D_all) without flipped labels
print(f"p = {p_clean:.3f}, p(1 - p) = {p_clean * (1 - p_clean):.3f} (with noise {p_h1:.3f}, {p_h1 * (1 - p_h1):.3f})")  # fmt: skip
print("   N   exact P(bad): clean  with noise   Hoeffding")
for N in sizes:
    k = np.arange(N + 1)
    pmf = (
        np.array([math.comb(N, j) for j in k], dtype=float) * p_clean**k * (1 - p_clean) ** (N - k)
    )
    print(f"{N:4d}  {pmf[np.abs(k / N - p_clean) > eps].sum():19.2e} {exact_h1[N]:11.2e} {hoeffding_bound(N, 1):11.4f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 没有噪声时，阈值 0.5 只会在 0.37 到 0.5 之间的点上犯错，所以 $p = 0.128$，方差 $p(1-p) = 0.112$ 比有噪声时（0.159）小。坏训练集的精确概率随 $N$ 下降得更快（在 $N = 160$ 时约低七倍），而霍夫丁上界纹丝不动：它从不看 $p$。
# </details>

# %% [markdown]
# **5.** 取标签平滑 $\alpha = 0.1$、$C = 10$，单个样本的交叉熵最低能到多少？此时正确类别的概率是多少？当 $\alpha = 0.01$ 时，最优的 logit 差距有多大？

# %% tags=["answer"]
q_best = (1 - 0.1) * np.eye(10)[0] + 0.1 / 10
print(f"alpha 0.1: lowest loss H(q) = {-(q_best * np.log(q_best)).sum():.4f}, p_correct = {q_best[0]:.2f}; "
      f"loss there {cross_entropy_smoothed(np.log(q_best)[None], np.array([0]), 0.1)[0]:.4f}")  # fmt: skip
print(f"optimal gap: alpha 0.1 {np.log(1 + 0.9 * 10 / 0.1):.2f}, alpha 0.01 {np.log(1 + 0.99 * 10 / 0.01):.2f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 最低的损失是平滑后目标的熵 $H(\mathbf q) = 0.500$，在模型恰好预测 $\mathbf q$ 本身时达到：正确类别 0.91，其他每个类别 0.01。当 $\alpha = 0.01$ 时，最优差距从 4.51 增大到 6.90：平滑越少，允许的自信越高；$\alpha \to 0$ 时差距趋于无穷。
# </details>
