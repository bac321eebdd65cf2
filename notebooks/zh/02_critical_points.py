# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 第 02 讲 — 临界点与海森矩阵
#
# 训练网络失败，可能出于三种不同的原因，每一种需要不同的对策。本讲先说明如何区分这三种情况，然后专门研究其中属于优化的那一种：梯度下降会停在梯度为零的地方。这样的**临界点**（critical point）可能是最小值、最大值，也可能是**鞍点**（saddle point）；由二阶导数组成的矩阵，即**海森矩阵**（Hessian），能告诉我们它是哪一种。我们会用三种方法计算海森矩阵，沿鞍点的下坡方向逃离鞍点，统计一个小网络的临界点中有多少是鞍点，观察海森矩阵的**条件数**（condition number）如何拖慢梯度下降，最后介绍二阶方法以及能用于大模型的工具：海森向量积和幂迭代。
#
# 1. 训练失败时：是模型偏差、优化问题，还是过拟合？
# 2. 临界点与泰勒展开
# 3. 求海森矩阵的三种方法
# 4. 有鞍点的最小网络
# 5. 鞍点比最小值多：最小值比率
# 6. 病态问题与条件数
# 7. 二阶方法、海森向量积与幂迭代
# 8. 课程库
# 9. 要点、术语表与练习

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
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from course_lib import plots
from course_lib.data import make_moons, train_val_test_split
from course_lib.gradcheck import format_bound, rel_error
from course_lib.hessian import classify_critical_point, hessian, minimum_ratio
from course_lib.plots import contour_with_paths, eigenvalue_spectrum, loss_curves, use_style
from course_lib.surfaces import IllConditionedQuadratic, Rosenbrock, TwoWeightNet
from course_lib.training import evaluate, fit, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. 训练失败时：是模型偏差、优化问题，还是过拟合？
#
# 模型在新数据上表现很差。先别急着改动任何东西：首先看**训练损失**（training loss），再看留出数据（held-out data）上的损失：
#
# | 观察到的现象 | 诊断 | 有效的做法 |
# |---|---|---|
# | 训练损失高，而且换更大的模型也不见好转 | **模型偏差**（model bias）：没有任何一组参数能拟合这些数据 | 更有弹性的模型：更多特征、更多层、更多单元 |
# | 训练损失高，但一个*更小*的模型反而能达到更低的训练损失 | **优化**（optimization）失败：好的参数是存在的，只是梯度下降没有找到 | 更好的优化器、更好的网络架构（第 03、04、06 讲） |
# | 训练损失低，留出数据上的损失高 | **过拟合**（overfitting） | 更多数据、数据增强、弹性更小的模型、正则化、提前停止 |

# %% [markdown]
# 中间那一行是值得记住的诊断方法。较深的网络能做到较浅的网络能做的一切（原则上，多出来的层可以把输入几乎原封不动地传下去）。所以，如果较深的网络最终的*训练损失反而更高*，那么问题既不是过拟合（过拟合会体现在留出数据上，而不是训练集上），也不是模型偏差，而是优化。
#
# 我们来做这个测试。在同一份双月（two-moons）数据上训练两个*朴素的*多层感知机：一个有 2 个线性层，另一个有 12 个；都用 sigmoid 激活函数，没有批次标准化，没有残差连接，都用学习率相同的普通 SGD。数据划分为训练集、验证集和测试集。

# %%
X, y = make_moons(400, noise=0.2, seed=0)
split = train_val_test_split(X, y, val_fraction=0.2, test_fraction=0.2, seed=0)
X_train, y_train, X_val, y_val, X_test, y_test = (torch.tensor(a) for a in split)
train_batches = [(X_train[i : i + 40], y_train[i : i + 40]) for i in range(0, len(X_train), 40)]


def plain_mlp(n_linear, width=16, activation=nn.Sigmoid):
    """n_linear Linear layers with an activation (a sigmoid) between them (float64)."""
    layers, d = [], 2
    for _ in range(n_linear - 1):
        layers += [nn.Linear(d, width), activation()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, 2)).double()


print(f"train / val / test sizes: {len(X_train)} / {len(X_val)} / {len(X_test)}")

# %%
models, histories = {}, {}
for depth in (2, 12):
    set_seed(0)
    models[depth] = plain_mlp(depth)
    opt = torch.optim.SGD(models[depth].parameters(), lr=1.0)
    histories[depth] = fit(
        models[depth], train_batches, nn.CrossEntropyLoss(), opt,
        epochs=30, val_loader=[(X_val, y_val)], progress=False,
    )  # fmt: skip
curves = {
    f"{d} layers, {part}": getattr(h, f"{part}_loss")
    for d, h in histories.items()
    for part in ("train", "val")
}
loss_curves(
    curves,
    ylabel="cross-entropy loss",
    title="same data, same SGD: the deeper plain net does not train",
)
plt.show()

# %%
loss_fn = nn.CrossEntropyLoss()
print("layers  parameters  train loss  train acc  val loss  val acc")
for depth, model in models.items():
    tr = evaluate(model, [(X_train, y_train)], loss_fn)
    va = evaluate(model, [(X_val, y_val)], loss_fn)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"{depth:6d}  {n_params:10d}  {tr['loss']:10.4f}  {tr['accuracy']:9.3f}  {va['loss']:8.4f}  {va['accuracy']:7.3f}"
    )
deep_train = evaluate(models[12], [(X_train, y_train)], loss_fn)["loss"]
shallow_train = evaluate(models[2], [(X_train, y_train)], loss_fn)["loss"]
assert deep_train > shallow_train + 0.2

# %% [markdown]
# 12 层的网络参数更多，却连训练集都拟合不好；而 2 层的网络（12 层的网络本可以模仿它）表现要好得多。所以它的失败是优化的失败。但它是不是*卡在了临界点*上，也就是梯度为零的地方？训练结束后，在整个训练集上做的两项测量给出了否定的回答。下面的单元格打印每一层权重的梯度范数，并把训练损失与 $\ln 2$（按 50/50 瞎猜时的损失）以及最佳常数猜测的损失（标签频率的熵）放在一起比较。

# %%
deep = models[12]
deep.zero_grad()
loss_deep = loss_fn(deep(X_train), y_train)
loss_deep.backward()
norms = [layer.weight.grad.norm().item() for layer in deep if isinstance(layer, nn.Linear)]
print("gradient norm of each layer's weights, layer 1 (input) to 12 (output):")
print("  " + "  ".join(f"{n:.0e}" for n in norms))
q = y_train.double().mean().item()  # fraction of class 1
best_constant = -(q * math.log(q) + (1 - q) * math.log(1 - q))
print(f"training loss {loss_deep.item():.3f}; ln 2 = {math.log(2):.3f}; best constant guess {best_constant:.3f}")  # fmt: skip
assert loss_deep.item() > math.log(2) > best_constant and norms[-1] > 1e-2 > 1e-6 > norms[0]

# %% [markdown]
# 输出层的梯度远不为零，而且损失*高于*最佳常数猜测的损失，而单靠输出层的偏置就能达到那个损失：所以这不是临界点，而是*梯度消失造成的平台*（vanishing-gradient plateau）。反向经过第 $k$ 层时，反向信号 $\delta_k = \partial L/\partial z_k$（在该层的输出 $z_k$ 处）先乘以权重，再乘以 sigmoid 的斜率：$\delta_{k-1} = (\delta_k W_k) \odot \sigma'(z_{k-1})$。所以经过一层，信号的大小至多变为原来的 $\lVert W_k\rVert_2 \max\sigma'$ 倍（最大奇异值乘以最大斜率），而 $\sigma' \le 1/4$。对这个网络的权重来说，每一层的这个上界都小于 1：

# %%
zs, h = [], X_train
for layer in deep:  # the forward pass again, keeping every z_k and its gradient
    h = layer(h)
    if isinstance(layer, nn.Linear):
        h.retain_grad()
        zs.append(h)
loss_fn(h, y_train).backward()
linears = [layer for layer in deep if isinstance(layer, nn.Linear)]
bounds, ratios = [], []
for k in range(11, 0, -1):  # from the output layer back to the first
    slope = torch.sigmoid(zs[k - 1]) * (1 - torch.sigmoid(zs[k - 1]))
    bounds.append((torch.linalg.matrix_norm(linears[k].weight, 2) * slope.max()).item())
    ratios.append((zs[k - 1].grad.norm() / zs[k].grad.norm()).item())
print("‖δ_{k-1}‖ / ‖δ_k‖, k = 12 … 2: " + " ".join(f"{r:.2f}" for r in ratios))
print("bound ‖W_k‖·max σ':          " + " ".join(f"{b:.2f}" for b in bounds))
assert all(r <= b for r, b in zip(ratios, bounds, strict=True)) and max(bounds) < 1

# %% [markdown]
# 因此梯度每经过一层都会缩小几个数量级（见前面打印的范数）；最前面的几层几乎收不到梯度，学不到东西，于是网络的输出几乎不依赖于它的输入：

# %%
with torch.no_grad():
    spread = torch.softmax(deep(X_train), dim=1)[:, 1].std().item()
print(f"spread (std) of the predicted P(class 1) over the {len(X_train)} training inputs: {format_bound(spread, 1e-6)}")  # fmt: skip
assert spread < 1e-6

# %% [markdown]
# 第 04 讲会再回到这个问题：损失停滞不等于梯度为零，所以要逐层查看梯度范数。第 06 讲的批次标准化是一种解决办法。
#
# 本讲接下来的内容（先简单谈谈如何选择模型）讨论的都是梯度真正为零的那些点。
#
# **选择模型：验证集。** 假设我们尝试了很多模型，并保留在某份留出数据上得分最好的那个。这个分数就偏乐观了：我们选中这个模型，*正是因为*它恰好在这些样本上表现好。Kaggle 让这一点变得很具体。它的**公开排行榜**（public leaderboard）用隐藏测试数据的一部分，一次又一次地给提交结果打分；**私有排行榜**（private leaderboard）只在比赛结束时公布，用的是其余的数据。一支针对公开排行榜调参的队伍，可以在公开排行榜上一路攀升，到了私有排行榜上却名次下滑。我们自己也是一样：用**验证集**（validation set）在模型（以及超参数）之间做选择，而**测试集**（test set）只在最后用一次，用来报告新用户实际会看到的效果。

# %%
chosen = min(models, key=lambda d: evaluate(models[d], [(X_val, y_val)], loss_fn)["loss"])
test = evaluate(models[chosen], [(X_test, y_test)], loss_fn)
print(f"chosen by validation loss: {chosen} layers")
print(f"its test loss {test['loss']:.4f}, test accuracy {test['accuracy']:.3f} (measured once)")

# %% [markdown]
# ## 2. 临界点与泰勒展开
#
# 在任意一点 $\theta'$ 附近，损失都可以用它的二阶**泰勒展开**（Taylor expansion）来近似：
#
# $$L(\theta) \approx L(\theta') + g^\top(\theta-\theta') + \tfrac12(\theta-\theta')^\top
# H\,(\theta-\theta'),\qquad g = \nabla L(\theta'),\quad H_{ij} = \frac{\partial^2 L}
# {\partial\theta_i\,\partial\theta_j}(\theta').$$
#
# 在**临界点**上梯度为零，即 $g = 0$，于是只剩下海森矩阵那一项。记 $v = \theta - \theta'$，那么由 $v^\top H v$ 的符号来判断：
#
# - 对每个 $v \ne 0$ 都有 $v^\top H v > 0$：损失往任何方向都上升，这是**局部最小值**（local minimum）；
# - 对每个 $v \ne 0$ 都有 $v^\top H v < 0$：这是**局部最大值**（local maximum）；
# - 对某些 $v$ 为正、对另一些为负：这是**鞍点**。
#
# 我们不可能试遍所有的 $v$，但也没有必要。$H$ 是对称矩阵，所以 $H = \sum_k \lambda_k u_k u_k^\top$，其中 $u_k$ 是标准正交的特征向量，于是 $v^\top H v = \sum_k \lambda_k (u_k^\top v)^2$。所有**特征值**（eigenvalue）都为正，即 H **正定**（positive definite）：最小值。全部为负：最大值。有正有负：鞍点。若有些特征值为零，而其余的特征值不异号，仅凭二阶导数就无法判断，这种情形称为**退化**（degenerate）。

# %% [markdown]
# 以 $f(x, y) = x^3 - 3xy + y^3$ 为例。它的梯度 $(3x^2 - 3y,\; 3y^2 - 3x)$ 在 $(0, 0)$ 和 $(1, 1)$ 处为零，它的海森矩阵是
# $H = \begin{pmatrix} 6x & -3 \\ -3 & 6y\end{pmatrix}$。


# %%
def cubic(p):
    x, y = p[..., 0], p[..., 1]
    return x**3 - 3 * x * y + y**3


def cubic_grad(p):
    x, y = p
    return np.array([3 * x**2 - 3 * y, 3 * y**2 - 3 * x])


def cubic_hessian(p):
    x, y = p
    return np.array([[6 * x, -3.0], [-3.0, 6 * y]])


# %%
for point in ([0.0, 0.0], [1.0, 1.0]):
    p = np.array(point)
    H = cubic_hessian(p)
    print(
        f"{p}: gradient {cubic_grad(p)}, eigenvalues {np.linalg.eigvalsh(H)} -> {classify_critical_point(H)}"
    )

# %% [markdown]
# 在鞍点 $(0, 0)$ 处，$H = \begin{pmatrix} 0 & -3 \\ -3 & 0\end{pmatrix}$：沿 $v = (1, 1)$ 方向，$v^\top H v = -6$，$f$ 下降；沿 $v = (1, -1)$ 方向，$v^\top Hv = +6$，$f$ 上升。取一个很小的 $t$，验证预测 $f(tv) \approx \tfrac12 t^2 v^\top H v$：

# %%
H0, t = cubic_hessian(np.zeros(2)), 1e-3
for v in (np.array([1.0, 1.0]), np.array([1.0, -1.0])):
    predicted = 0.5 * t**2 * v @ H0 @ v
    print(
        f"v = {v}: vᵀHv = {v @ H0 @ v:+.0f}, f(tv) = {cubic(t * v):+.4e}, ½t²vᵀHv = {predicted:+.4e}"
    )
    assert abs(cubic(t * v) - predicted) <= 2 * t**3 + 1e-15  # the rest is the cubic term

# %% [markdown]
# **二次近似有多准？** 在最小值点 $\theta' = (1, 1)$ 处，对一个固定的单位方向 $d$ 取 $\theta = \theta' + t\,d$。二阶泰勒模型的误差是三阶小量，所以 $t$ 每减半一次，误差应当除以 8：比值“误差$/t^3$”会稳定在一个常数上。（对三次函数来说，这个比值恰好等于三阶项 $d_x^3 + d_y^3$。）

# %%
p_min, d = np.array([1.0, 1.0]), np.array([0.6, 0.8])
H1 = cubic_hessian(p_min)
print("     t      error   error / t³")
for t in (1e-1, 5e-2, 2.5e-2, 1e-2, 1e-3):
    delta = t * d
    quadratic = cubic(p_min) + cubic_grad(p_min) @ delta + 0.5 * delta @ H1 @ delta
    err = abs(cubic(p_min + delta) - quadratic)
    print(f"{t:6.4f}  {err:9.2e}  {err / t**3:9.4f}")
assert abs(err / t**3 - (d**3).sum()) < 1e-6

# %%
surface = SimpleNamespace(
    value=cubic, name="f = x³ − 3xy + y³", minimum=p_min,
    default_xlim=(-1.2, 2.0), default_ylim=(-1.2, 2.0), axis_labels=("x", "y"),
)  # fmt: skip
ax = contour_with_paths(surface, levels=25, log_levels=False, colorbar_label="f(x, y)")
grid = np.stack(np.meshgrid(np.linspace(-1.2, 2, 200), np.linspace(-1.2, 2, 200)), axis=-1)
red = plots.color("highlight")
ax.contour(grid[..., 0], grid[..., 1], cubic(grid), levels=[0.0], colors=[red], linestyles="--")
ax.plot([], [], "--", color=red, label="level f = 0 through the saddle")
ax.plot(0, 0, "X", color=red, markersize=10, linestyle="none", label="saddle point")
ax.legend(loc="upper left", frameon=True)
plt.show()

# %% [markdown]
# ## 3. 求海森矩阵的三种方法
#
# 函数 $f:\mathbb R^n\to\mathbb R$ 的海森矩阵是 $n\times n$ 矩阵
# $H_{ij} = \partial^2 f / \partial x_i\,\partial x_j$。只要二阶导数连续，它就是对称的。下面以这个函数为例，介绍三种求法：
#
# $$g(x, y) = \sin(x)\,e^{y} + x^2 y .$$
#
# **1. 手算。** $g_x = \cos(x)e^y + 2xy$，$g_y = \sin(x)e^y + x^2$，所以
#
# $$H = \begin{pmatrix} -\sin(x)e^y + 2y & \cos(x)e^y + 2x \\
# \cos(x)e^y + 2x & \sin(x)e^y \end{pmatrix}.$$
#
# **2. 有限差分。** 同时扰动两个坐标：
#
# $$H_{ij} \approx \frac{g(x + he_i + he_j) - g(x + he_i - he_j) - g(x - he_i + he_j)
# + g(x - he_i - he_j)}{4h^2},$$
#
# 误差是 $h^2$ 量级，另外还有 $\epsilon_{\text{machine}}/h^2$ 量级的舍入误差。
#
# **3. 自动微分。** 对梯度再求一次导数，即 `torch.autograd.functional.hessian`。


# %%
def g_toy(p):  # p: float64 tensor of shape (2,)
    return torch.sin(p[0]) * torch.exp(p[1]) + p[0] ** 2 * p[1]


def g_toy_hessian(x, y):
    c, s, e = math.cos(x), math.sin(x), math.exp(y)
    return np.array([[-s * e + 2 * y, c * e + 2 * x], [c * e + 2 * x, s * e]])


# %%
def fd_hessian(f, x, h=1e-4):
    """Central-difference Hessian of f (a function of a float64 tensor) at x of shape (n,)."""
    E, H = np.eye(x.size) * h, np.empty((x.size, x.size))
    fx = lambda q: float(f(torch.tensor(q)))  # noqa: E731
    for i in range(x.size):
        for j in range(x.size):
            signs = ((1, 1), (1, -1), (-1, 1), (-1, -1))
            pp, pm, mp, mm = (fx(x + a * E[i] + b * E[j]) for a, b in signs)
            H[i, j] = (pp - pm - mp + mm) / (4 * h * h)
    return H


# %%
x0 = np.array([0.5, -0.3])
H_hand = g_toy_hessian(*x0)
H_fd = fd_hessian(g_toy, x0)
H_torch = torch.autograd.functional.hessian(g_toy, torch.tensor(x0)).numpy()
print("by hand:\n", H_hand)
err_fd, err_torch = rel_error(H_fd, H_hand), rel_error(H_torch, H_hand)
print(f"relative error, finite differences vs hand: {err_fd:.1e}")
print(f"relative error, torch.autograd vs hand:     {format_bound(err_torch, 1e-14)}")
assert err_fd < 1e-7 and err_torch < 1e-14

# %% [markdown]
# 自动微分与公式的结果只差舍入误差；有限差分的误差则在 $10^{-9}$ 左右。步长 $h$ 要在截断误差（$\propto h^2$）和舍入误差（$\propto 1/h^2$）之间权衡：

# %%
print("     h   rel. error vs hand")
for h in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
    print(f"{h:6.0e}   {rel_error(fd_hessian(g_toy, x0, h), H_hand):.1e}")

# %% [markdown]
# 这两种方法都在 `course_lib.hessian` 中：`finite_difference_hessian(f, x, h=1e-4)` 就是上面那个函数（它只计算 $i \le j$ 的元素，再镜像到另一半，所以结果严格对称）；`hessian(f, x)` 封装了 `torch.autograd.functional.hessian`，返回一个 float64 的 NumPy 数组。从现在起我们就用这两个函数。

# %%
from course_lib.hessian import finite_difference_hessian

err_lib_fd = rel_error(finite_difference_hessian(g_toy, x0), H_fd)
err_lib = rel_error(hessian(g_toy, x0), H_torch)
print(
    f"course_lib finite_difference_hessian vs ours: {format_bound(err_lib_fd, 1e-12)}; course_lib hessian vs torch: {format_bound(err_lib, 1e-15)}"
)
assert err_lib_fd < 1e-12 and err_lib < 1e-15

# %% [markdown]
# ## 4. 有鞍点的最小网络
#
# 网络 $\hat y = w_1 w_2 x$ 只有两个权重，没有激活函数。只用一个训练样本 $(x, y) = (1, 1)$ 时，它的损失是
#
# $$L(w_1, w_2) = (1 - w_1 w_2)^2 .$$
#
# 梯度为 $\partial L/\partial w_1 = -2w_2(1 - w_1w_2)$，
# $\partial L/\partial w_2 = -2w_1(1 - w_1w_2)$。它在原点为零，在整条曲线 $w_1 w_2 = 1$ 上也为零；在这条曲线上 $L = 0$，曲线上的每一点都是全局最小值。二阶导数为：
#
# $$H = \begin{pmatrix} 2w_2^2 & 4w_1w_2 - 2 \\ 4w_1w_2 - 2 & 2w_1^2 \end{pmatrix},
# \qquad H(0, 0) = \begin{pmatrix} 0 & -2 \\ -2 & 0 \end{pmatrix}.$$
#
# 这个曲面就是 `course_lib.surfaces.TwoWeightNet`，其中已经内置了这些公式；我们用自动微分来核对它们。

# %%
net = TwoWeightNet()
origin = np.zeros(2)
H_origin = net.hessian(origin)
err = rel_error(H_origin, hessian(net.value, origin))
lam, U = np.linalg.eigh(H_origin)
print(f"gradient at the origin: {net.grad(origin) + 0.0}")  # + 0.0 turns -0.0 into 0.0
print(
    f"Hessian at the origin:\n{H_origin}\nmax relative error vs autograd: {format_bound(err, 1e-12)}"
)
print(
    f"eigenvalues {lam}; eigenvector of λ = {lam[0]:+.0f}: {U[:, 0]}, of λ = {lam[1]:+.0f}: {U[:, 1]}"
)
print(f"the origin is a {classify_critical_point(H_origin)}")
assert err < 1e-12 and np.allclose(lam, [-2, 2])

# %% [markdown]
# **逃离鞍点。** 原点处的梯度为零，所以从原点出发的梯度下降永远不会移动。但海森矩阵仍然指出了下山的路：沿负特征值 $\lambda = -2$ 对应的特征向量 $u$ 走，泰勒展开预测
# $L(\text{原点} + \varepsilon u) \approx L(\text{原点}) + \tfrac12\lambda\varepsilon^2$，也就是损失会下降。这里 $u = \pm(1, 1)/\sqrt2$，所以精确地有
# $L(\varepsilon u) = (1 - \varepsilon^2/2)^2 = 1 - \varepsilon^2 + \varepsilon^4/4$。

# %%
u = U[:, 0] * np.sign(U[0, 0])  # eigenvectors have no preferred sign; take the one towards w1 > 0
for eps in (0.3, 0.1, 0.01):
    before, after = net.value(origin), net.value(origin + eps * u)
    predicted = before + 0.5 * lam[0] * eps**2
    print(
        f"ε = {eps:4}: loss before {before:.6f}, after {after:.6f}, predicted {predicted:.6f}, gap {abs(after - predicted):.1e}"
    )
    assert abs(after - predicted) <= eps**4 / 4 + 1e-15

# %% [markdown]
# 从逃离后的点出发，剩下的事交给普通的梯度下降就行了。作为对比，我们也从这个曲面建议的起点 $(-1.5, 1.48)$ 出发做梯度下降。这个起点几乎就在直线 $w_1 = -w_2$ 上，而这正是*正*特征值的方向，沿着这条路径，鞍点会把参数吸引过去。梯度下降就是第 01 讲里的那个循环；我们在这里写一次，后面反复使用。


# %%
def gradient_descent(surface, start, lr, steps, tol=None):
    """Points visited by p <- p - lr * grad(p), shape (T, 2).

    With tol, stops once ||p - surface.minimum|| <= tol * ||start - surface.minimum||.
    """
    p = np.array(start, dtype=float)
    path, target = [p.copy()], None if tol is None else tol * np.linalg.norm(p - surface.minimum)
    for _ in range(steps):
        p = p - lr * surface.grad(p)
        path.append(p.copy())
        if target is not None and np.linalg.norm(p - surface.minimum) <= target:
            break
    return np.array(path)


# %%
paths = {
    "from the origin": gradient_descent(net, origin, lr=0.1, steps=60),
    "from (−1.5, 1.48)": gradient_descent(net, net.start, lr=0.1, steps=60),
    "from the escape step 0.1·u": gradient_descent(net, 0.1 * u, lr=0.1, steps=60),
}
for name, path in paths.items():
    below = np.flatnonzero(net.value(path) < 1e-6)
    when = f"after {below[0]} steps" if below.size else "never"
    final = net.value(path[-1])
    shown = format_bound(final, 1e-10) if final < 1e-10 else f"{final:.1e}"
    print(f"GD {name}: loss < 1e-6 {when}; final point {path[-1]}, loss {shown}")
growth = (paths["from the escape step 0.1·u"] @ u)[:6]
print(f"component along u, first steps: {growth}; growth factors {growth[1:] / growth[:-1]}")
assert np.all(np.abs(growth[1:] / growth[:-1] - 1.2) < 0.01)

# %%
fig, ax = plt.subplots(figsize=(7, 6.5), layout="constrained")
moving = {k: v for k, v in paths.items() if k != "from the origin"}  # that path is one point
contour_with_paths(net, moving, levels=25, ax=ax)
w1, green, red = np.linspace(0.5, 2, 50), plots.color("minimum"), plots.color("highlight")
ax.plot(w1, net.minimum_curve(w1), "--", color=green, label="minima: w₁w₂ = 1")
ax.plot(-w1, net.minimum_curve(-w1), "--", color=green)
ax.plot(
    0, 0, "X", color=red, markersize=10, linestyle="none", label="saddle point (GD from it stays)"
)
ax.set_title("two-weight net: gradient descent near the saddle at the origin")
ax.set_aspect("equal")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=True)
plt.show()

# %% [markdown]
# 恰好从鞍点出发的梯度下降永远不动。从 $(-1.5, 1.48)$ 出发时，它先滑向鞍点（有好几步损失都停留在 1 附近，也就是鞍点处的损失值），然后沿负曲率方向离开。从逃离的那一步开始，线性化的更新 $p \leftarrow p - \eta H p$ 每一步都把沿 $u$ 的分量乘以 $1 - \eta\lambda = 1 + 0.1 \cdot 2 = 1.2$，与打印结果一致：逃离是指数式的，但它是从那一步扰动的大小开始增长的，所以一个很小的扰动大约需要 $\ln(1/\varepsilon)/\ln 1.2$ 步才能离开。实际训练中，我们并不知道鞍点在哪里，而且构造 $H$ 的代价太高（第 7 节）；小批次的噪声（第 03 讲）和动量起到了这一步逃离的作用。

# %% [markdown]
# ## 5. 鞍点比最小值多：最小值比率
#
# 在有 $n$ 个参数的临界点上，要成为最小值，需要 $n$ 个特征值全部为正；而要成为鞍点，只需要一个特征值为负。因此有理由猜想：在高维空间中，大多数临界点都是鞍点，而少数（几乎）所有特征值都为正的临界点损失较低。我们在一个小网络上来测量这一点。对海森矩阵为 $H$ 的临界点，定义**最小值比率**（minimum ratio）
#
# $$\text{最小值比率} = \frac{\#\{H \text{ 的特征值中} > \text{tol} \text{ 的}\}}{n},$$
#
# 即大于阈值 tol 的特征值所占的比例；在严格局部最小值处它等于 1（`course_lib.hessian.minimum_ratio`）。
#
# **网络。** 用一个 1-7-1 的 tanh 网络（22 个参数）拟合 $\sin(1.5x)$ 的 30 个带噪声的样本。损失是均方误差加上一个很小的**权重衰减**（weight decay）项
# $10^{-2}\lVert\theta\rVert^2$：如果没有它，网络就会有完全平坦的方向（某个隐藏单元的输出权重为零时，它的输入权重可以随意变化），它的临界点都是退化的，下面的搜索几乎一个也找不到。所有计算都用 float64，`theta` 可以装着一批参数向量，形状为 (..., 22)。

# %%
gen = torch.Generator().manual_seed(0)
x_reg = torch.linspace(-2, 2, 30, dtype=torch.float64)
y_reg = torch.sin(1.5 * x_reg) + 0.1 * torch.randn(30, generator=gen, dtype=torch.float64)
HIDDEN, WEIGHT_DECAY = 7, 1e-2
N_PARAMS = 3 * HIDDEN + 1


def net_loss(theta):
    """Training loss of the 1-7-1 tanh net; theta (..., 22) -> loss (...)."""
    W1, b1, w2 = (theta[..., k * HIDDEN : (k + 1) * HIDDEN, None] for k in range(3))
    prediction = (w2 * torch.tanh(W1 * x_reg + b1)).sum(-2) + theta[..., -1:]
    return ((prediction - y_reg) ** 2).mean(-1) + WEIGHT_DECAY * (theta**2).sum(-1)


# %% [markdown]
# **寻找临界点。** 各种类型的临界点都是梯度 $g(\theta)$ 的零点，而梯度的雅可比矩阵就是海森矩阵 $H$。对方程 $g = 0$ 使用**牛顿法**（Newton's method）（第 7 节会把它当作优化器来介绍）：做线性近似 $g(\theta - s) \approx g - Hs$，然后取步长 $s = H^{-1}g$。它不在乎这个零点是最小值还是鞍点，而这正是我们这里需要的。走完整的一步可能会冲过头，所以我们把步长不断减半，直到它能让 $\lVert g\rVert$ 变小。总有某次减半会奏效：$\tfrac12\lVert g\rVert^2$ 的梯度是 $Hg$，而 $(Hg)^\top s = g^\top H H^{-1} g = \lVert g
# \rVert^2 > 0$，所以 $-s$ 是 $\lVert g\rVert^2$ 的下降方向。（不减半步长，而是对步长做阻尼，就得到 Levenberg–Marquardt（列文伯格–马夸特）方法，这是一种常用的替代做法。）
#
# 我们同时进行许多次搜索，`theta` 的每一行对应一次。各行之间互相独立，所以把梯度的第 $k$ 个分量对所有行求和，它的梯度恰好由每一行海森矩阵的第 $k$ 行组成：22 次反向传播就能得到全部海森矩阵。这套机制放在 `course_lib.critical_points` 里：`batched_gradients`、`batched_hessians`，以及带步长减半的搜索 `newton_critical_points(loss, theta)`。这个单元格用 `course_lib.hessian.hessian` 核对成批算出的海森矩阵，并用自动微分验证上面的两个恒等式。

# %%
from course_lib.critical_points import batched_gradients, batched_hessians, newton_critical_points

theta_test = torch.randn(3, N_PARAMS, generator=gen, dtype=torch.float64)
H_test = batched_hessians(net_loss, theta_test)
g_test = batched_gradients(net_loss, theta_test)
err_h = max(rel_error(H, hessian(net_loss, t)) for H, t in zip(H_test, theta_test, strict=True))
t_req = theta_test.clone().requires_grad_()
(g_graph,) = torch.autograd.grad(net_loss(t_req).sum(), t_req, create_graph=True)
(grad_half_sq,) = torch.autograd.grad(0.5 * (g_graph**2).sum(), t_req)  # ∇ ½‖g‖² by autograd
Hg = (H_test @ g_test[..., None])[..., 0]
s_test = torch.linalg.solve(H_test, g_test)  # the Newton steps
err_hg = rel_error(grad_half_sq, Hg)
err_descent = rel_error((Hg * s_test).sum(1), (g_test**2).sum(1))
print(f"Hessians vs course_lib.hessian.hessian {format_bound(err_h, 1e-12)}; ∇½‖g‖² vs Hg {format_bound(err_hg, 1e-12)}; (Hg)ᵀs vs ‖g‖² {format_bound(err_descent, 1e-10)}")  # fmt: skip
assert err_h < 1e-12 and err_hg < 1e-12 and err_descent < 1e-10


# %% [markdown]
# **从哪里出发。** 完全随机的起点大多只能找到高损失的鞍点。为了也能到达低损失的区域，我们随机抽取 40 个参数向量 $\theta \sim \mathcal N(0, I)$，从它们同时出发，对损失做全批次梯度下降（学习率 0.1），再把第 0、30、300 和 1000 步之后的快照作为搜索的起点：一共 160 个起点。我们保留梯度范数低于某个阈值的点。

# %%
# NBVAL_IGNORE_OUTPUT
# The counts below can differ by a point or two on another CPU: a few starts are sensitive
# to rounding. The claims asserted two cells below hold everywhere.
GRAD_TOL = 1e-10
theta = torch.randn(40, N_PARAMS, generator=gen, dtype=torch.float64)
starts = []
for step in range(1001):
    if step in (0, 30, 300, 1000):
        starts.append(theta.clone())
    theta = theta - 0.1 * batched_gradients(net_loss, theta)
theta, grad_norm = newton_critical_points(net_loss, torch.cat(starts), iters=50)
found, rest = theta[grad_norm < GRAD_TOL], grad_norm[grad_norm >= GRAD_TOL]
print(f"starts: {len(theta)}; converged to ‖g‖ < {GRAD_TOL:.0e}: {len(found)}; the others stopped at ‖g‖ > {rest.min():.0e}")  # fmt: skip
assert rest.min() > 1e3 * GRAD_TOL  # a wide gap: no run sits near the threshold

# %% [markdown]
# 许多次搜索会收敛到同一个点（或者它的一个副本：交换隐藏单元的顺序，或者把某个单元的三个权重同时变号，损失都不会改变）。每个不同的损失值我们只保留一个点，然后计算每个点的海森矩阵谱和最小值比率。

# %%
# NBVAL_IGNORE_OUTPUT
EIG_TOL = 1e-6
points = {}
for theta in found:
    points.setdefault(round(float(net_loss(theta)), 6), theta)
losses = np.array(sorted(points))
hessians = [hessian(net_loss, points[loss]) for loss in losses]
spectra = [np.linalg.eigvalsh(H) for H in hessians]
ratios = np.array([minimum_ratio(H, EIG_TOL) for H in hessians])
negatives = np.array([(lam < -EIG_TOL).sum() for lam in spectra])
is_min = ratios == 1
print(f"distinct critical points: {len(losses)}; local minima (ratio 1): {is_min.sum()}; saddle points: {(~is_min).sum()}")  # fmt: skip
print("negative eigenvalues  min. ratio  points  loss range")
for n_neg in np.unique(negatives):
    group, ratio = losses[negatives == n_neg], ratios[negatives == n_neg][0]
    print(f"{n_neg:20d}  {ratio:10.3f}  {group.size:6d}  {group.min():.4f} – {group.max():.4f}")
all_eigenvalues = np.concatenate(spectra)
flat_mse = int((np.abs(all_eigenvalues - 2 * WEIGHT_DECAY) < EIG_TOL).sum())
print(f"eigenvalues equal to 2·weight decay = {2 * WEIGHT_DECAY:g} (the MSE alone is flat there): {flat_mse} of {all_eigenvalues.size}")  # fmt: skip

# %%
n_saddle, n_min, lowest_third = (~is_min).sum(), is_min.sum(), np.quantile(losses, 1 / 3)
# fmt: off
claims = {
    "saddle points outnumber local minima more than 3 to 1": n_saddle > 3 * n_min > 0,
    "the highest-loss point has the lowest minimum ratio": ratios[np.argmax(losses)] == ratios.min(),
    "every local minimum lies among the lowest third of the losses": losses[is_min].max() <= lowest_third,
    f"no eigenvalue within {EIG_TOL:.0e} of 0 (no degenerate point)": np.abs(all_eigenvalues).min() > 1e2 * EIG_TOL,
    "over 5% of all eigenvalues equal 2·weight decay (MSE flat)": flat_mse > 0.05 * all_eigenvalues.size,
}
# fmt: on
for claim, holds in claims.items():
    print(f"{claim}: {'✓' if holds else '✗'}")
assert all(claims.values())

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
edge = plots.color("axis")
ax1.scatter(ratios[~is_min], losses[~is_min], color=plots.color("negative"), edgecolor=edge, label="saddle point")  # fmt: skip
ax1.scatter(ratios[is_min], losses[is_min], color=plots.color("minimum"), marker="s", edgecolor=edge, label="local minimum")  # fmt: skip
ax1.set(xlabel="minimum ratio (fraction of eigenvalues > 1e-6)", ylabel="training loss (MSE + weight decay)",
        title=f"{len(losses)} critical points of a 22-parameter tanh net", yscale="log")  # fmt: skip
ax1.legend()
best_saddle = int(np.flatnonzero(~is_min)[0])
eigenvalue_spectrum(spectra[best_saddle], tol=EIG_TOL, ax=ax2,
                    title=f"Hessian spectrum of the lowest-loss saddle (loss {losses[best_saddle]:.4f})")  # fmt: skip
ax2.set_yscale("symlog", linthresh=1e-2)  # linear within ±0.01, logarithmic outside
plt.show()

# %% [markdown]
# **图中显示了什么。** 鞍点的数量远远超过最小值，而且损失最高的临界点拥有最多的负方向（上面对这两点都做了断言，确切的数目见表格）。局部最小值位于损失最低的那些点之中；介于两者之间时，损失大体上随比率升高而下降，但各组之间有重叠：在底部附近，最小值旁边就是只有少数几个负方向的鞍点。右图中，少数几个特征值很大，许多特征值很小：在底部附近，负特征值与最大的特征值相比小得微不足道，所以离开这种鞍点的路是一段平缓的斜坡，梯度下降可能会在鞍点附近耗费很长时间。
#
# **注意事项。** 这个网络非常小；对于真实的网络，这一结论依靠的是其他证据（例如 Dauphin et al., 2014）。我们能找到哪些点取决于起点，也不能声称已经找到了*所有*临界点；没有收敛的搜索都被丢弃了。此外，权重衰减恰好给每个特征值都加上 $2 \cdot 10^{-2}$：那许多等于 $0.02$ 的特征值（见上面的输出）对应的是单看 MSE 时完全平坦的方向（**退化**方向），所以在这些方向上，决定特征值符号的是权重衰减，而不是数据。

# %% [markdown]
# ## 6. 病态问题与条件数
#
# 即使没有鞍点，梯度下降也可能很慢。在最小值附近，损失近似于一个二次函数 $\tfrac12 p^\top A p$（第 2 节，其中 $A = H$）。它的**条件数**是海森矩阵最大特征值与最小特征值之比：
#
# $$\kappa = \frac{\lambda_{\max}}{\lambda_{\min}} .$$
#
# 在特征向量构成的基下，一步梯度更新 $p \leftarrow p - \eta Ap$ 会把每个坐标乘以 $1 - \eta\lambda_k$。要在陡峭方向上保持稳定，需要 $\eta < 2/\lambda_{\max}$；但这样一来，平坦方向每一步只会缩小为原来的 $1 - \eta\lambda_{\min} > 1 - 2/\kappa$ 倍。最佳的固定步长 $\eta = 2/(\lambda_{\min} + \lambda_{\max})$ 让两个坐标每一步都缩小为原来的 $\rho = (\kappa - 1)/(\kappa + 1)$ 倍，而陡峭方向的坐标每一步都会变号：这就是**之字形震荡**（zig-zag）。要让距离缩小到初始距离的 $\varepsilon$ 倍，需要
#
# $$T = \left\lceil\frac{\ln(1/\varepsilon)}{\ln(1/\rho)}\right\rceil \approx
# \frac{\kappa}{2}\,\ln\frac1\varepsilon \text{ 步：步数与 } \kappa \text{ 成线性关系} .$$
#
# `course_lib.surfaces.IllConditionedQuadratic(κ)` 的海森矩阵特征值为 1 和 κ。

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
for kappa, ax in zip((2, 50), axes, strict=True):
    valley = IllConditionedQuadratic(kappa)
    lam = np.linalg.eigvalsh(valley.hessian(valley.start))
    lr = 2 / (lam[0] + lam[-1])
    path = gradient_descent(valley, valley.start, lr, steps=25)
    contour_with_paths(valley, {f"GD, lr = 2/(1+κ) = {lr:.3f}, 25 steps": path}, ax=ax)
    ax.legend(loc="lower right", frameon=True)
    ax.set_title(f"κ = λmax/λmin = {lam[-1] / lam[0]:g}")
plt.show()

# %%
eps = 1e-6
print("     κ  steps measured  predicted T  (κ/2)·ln(1/ε)")
for kappa in (3, 10, 30, 100, 300, 1000):
    valley = IllConditionedQuadratic(kappa)
    lam = np.linalg.eigvalsh(valley.hessian(valley.start))
    cond, lr = lam[-1] / lam[0], 2 / (lam[0] + lam[-1])
    steps = len(gradient_descent(valley, valley.start, lr, steps=100_000, tol=eps)) - 1
    rho = (cond - 1) / (cond + 1)
    predicted = math.ceil(math.log(1 / eps) / math.log(1 / rho))
    print(f"{cond:6g}  {steps:14d}  {predicted:11d}  {cond / 2 * math.log(1 / eps):13.0f}")
    assert abs(steps - predicted) <= 1

# %% [markdown]
# 步数与 κ 成正比增长，与预测一致。真实的损失远没有这么友好：第 03–04 讲中的 Rosenbrock 山谷，在它的最小值处条件数高达几千（见下面的输出）。

# %%
rosen = Rosenbrock()
for name, p in (("start", rosen.start), ("minimum", rosen.minimum)):
    lam = np.linalg.eigvalsh(rosen.hessian(p))
    print(
        f"Rosenbrock at the {name} {p}: eigenvalues {lam}, condition number {lam[-1] / lam[0]:.0f}"
    )

# %% [markdown]
# ## 7. 二阶方法、海森向量积与幂迭代
#
# **牛顿法。** 使用完整的二次模型
# $L(\theta + s) \approx L + g^\top s + \tfrac12 s^\top H s$，直接跳到它的驻点：令导数 $g + Hs$ 等于零，得到
#
# $$\theta_{\text{new}} = \theta - H^{-1} g .$$
#
# 如果 $L$ *本身就是*二次函数，那么无论 κ 是多少，一步就能正好落在临界点上：海森矩阵把狭长的形状还原了。我们求解方程 $Hs = g$，而不是去求 $H$ 的逆矩阵。


# %%
def newton_step(p, grad, H):
    return p - np.linalg.solve(H, grad)


valley = IllConditionedQuadratic(1000)
p1 = newton_step(valley.start, valley.grad(valley.start), valley.hessian(valley.start))
g1 = np.linalg.norm(valley.grad(p1))
print(
    f"κ = 1000: gradient norm {np.linalg.norm(valley.grad(valley.start)):.1f} at the start, {format_bound(g1, 1e-12)} after ONE Newton step"
)
assert g1 < 1e-12

# %% [markdown]
# 在非二次的曲面上，二次模型只在局部成立，所以牛顿法需要走好几步；在最小值附近，每走一步，正确的有效数字位数大约翻一倍（**二次收敛**（quadratic convergence））。在 Rosenbrock 函数上：

# %%
p, newton_path = rosen.start.copy(), [rosen.start.copy()]
print("step  loss        gradient norm")
for k in range(10):
    grad_norm = np.linalg.norm(rosen.grad(p))
    loss_k, tiny = rosen.value(p), "< 1e-10"  # below 1e-10 the digits are rounding
    print(f"{k:4d}  {f'{loss_k:.3e}' if loss_k >= 1e-10 else tiny:>10}  "
          f"{f'{grad_norm:.3e}' if grad_norm >= 1e-10 else tiny:>10}")  # fmt: skip
    if grad_norm < 1e-10:
        break
    p = newton_step(p, rosen.grad(p), rosen.hessian(p))
    newton_path.append(p.copy())
gd_path = gradient_descent(rosen, rosen.start, lr=1e-3, steps=2000)
print(f"gradient descent (lr 1e-3) after 2000 steps: loss {rosen.value(gd_path[-1]):.3e}")

# %%
rosen_paths = {"GD lr 1e-3, 2000 steps": gd_path, f"Newton, {len(newton_path) - 1} steps": np.array(newton_path)}  # fmt: skip
ax = contour_with_paths(rosen, rosen_paths, xlim=(-2, 2), ylim=(-3.5, 3))
ax.legend(loc="lower left", frameon=True)
plt.show()

# %% [markdown]
# 牛顿法只用寥寥几步就到达了最小值，而梯度下降走了 2000 步仍未到达。注意表格中的两个警示。有些步的损失反而*上升*了：纯粹的牛顿法并不知道自己应该往下走，实用的版本会加上线搜索或阻尼（第 5 节就把它的步长减半）。另外，它会被*任何*临界点吸引，鞍点也不例外：这正是第 5 节用它来寻找鞍点的原因。
#
# **为什么不用于大型网络？** 如果有 $N$ 个参数，$H$ 就有 $N^2$ 个元素，求解 $Hs = g$ 大约需要 $N^3/3$ 次浮点运算，而且每一步都要做一次：

# %%
for n in (1e6, 1e8):
    memory_tb = 4 * n**2 / 1e12  # float32: 4 bytes per entry
    hours = (n**3 / 3) / 1e13 / 3600  # at 10 TFLOP/s
    duration = f"{hours:,.0f} hours" if hours < 8766 else f"{hours / 8766:,.0f} years"
    print(
        f"N = {n:.0e}: Hessian {memory_tb:,.0f} TB, one solve ≈ {duration} at 10 TFLOP/s; the gradient: {4 * n / 1e6:,.0f} MB"
    )

# %% [markdown]
# **海森向量积**（Hessian-vector product）。海森矩阵的许多用途只需要对某个向量 $v$ 求出 $Hv$，而这只需要大约两次梯度计算的代价，根本不必构造出 $H$：
#
# $$Hv = \nabla_\theta\big(\nabla_\theta L(\theta)^\top v\big),$$
#
# 也就是在第一次反向传播的计算图上再做一次反向传播（双重反向传播）。我们在第 5 节中损失最低的局部最小值处验证它。


# %%
from course_lib.hessian import hessian_vector_product, top_eigenvalue


def hvp(f, x, v):
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(grad @ v, x)[0]


theta_star = points[losses[is_min][0]]
H_star = hessian(net_loss, theta_star)
v = torch.randn(N_PARAMS, generator=gen, dtype=torch.float64)
err = rel_error(hvp(net_loss, theta_star, v).numpy(), H_star @ v.numpy())
err_lib = rel_error(hessian_vector_product(net_loss, theta_star, v), H_star @ v.numpy())
print(f"Hv by double backprop vs H @ v: {format_bound(err, 1e-12)}; course_lib.hessian.hessian_vector_product: {format_bound(err_lib, 1e-12)}")  # fmt: skip
assert err < 1e-12 and err_lib < 1e-12

# %% [markdown]
# **幂迭代**（power iteration）。反复执行 $v \leftarrow Hv / \lVert Hv\rVert$，会让 $v$ 逐渐转向绝对值最大的特征值所对应的特征向量，而瑞利商 $v^\top H v$ 会收敛到这个特征值。整个过程只需要计算乘积 $Hv$。（最大的特征值决定了稳定的学习率上限，$\eta < 2/\lambda_{\max}$，见第 6 节。）

# %%
v = torch.randn(N_PARAMS, generator=gen, dtype=torch.float64)
for _ in range(300):
    hv = hvp(net_loss, theta_star, v)
    v = hv / hv.norm()
estimate = float(v @ hvp(net_loss, theta_star, v))
exact = np.linalg.eigvalsh(H_star)[-1]
lib_estimate, _ = top_eigenvalue(net_loss, theta_star, num_iters=1000)
print(
    f"top eigenvalue: power iteration {estimate:.6f}, course_lib.top_eigenvalue {lib_estimate:.6f}, full spectrum {exact:.6f}"
)
print(
    f"relative error: {format_bound(abs(estimate - exact) / exact, 1e-8)}, {format_bound(abs(lib_estimate - exact) / exact, 1e-8)}"
)
assert abs(estimate - exact) / exact < 1e-8 and abs(lib_estimate - exact) / exact < 1e-8

# %% [markdown]
# 在最小值处，每个特征值都为正，所以绝对值最大的特征值就是最大的特征值。在鞍点处，幂迭代则可能返回一个负特征值；而当绝对值最大的两个特征值大小相等、符号相反时（例如双权重网络的 ±2），幂迭代就会失效。
#
# ## 8. 课程库
#
# | 组件 | 所在位置 | 后续用于 |
# |---|---|---|
# | 精确海森矩阵（自动微分，float64）、有限差分海森矩阵 | `course_lib.hessian.hessian`、`finite_difference_hessian` | 本讲中的检查（在 hw02 中你要自己实现） |
# | 判断临界点类型、最小值比率 | `classify_critical_point(H, tol)`、`minimum_ratio(H, tol)` | hw02 的自检 |
# | 海森向量积、幂迭代 | `hessian_vector_product(f, x, v)`、`top_eigenvalue(f, x)` | — |
# | 成批计算海森矩阵、牛顿法搜索临界点（第 5 节） | `course_lib.critical_points`：`batched_hessians(loss, theta)`、`newton_critical_points(loss, theta)` | — |
# | 带有 `value` / `grad` / `hessian` 的玩具曲面 | `course_lib.surfaces`：`IllConditionedQuadratic`、`Rosenbrock`、`Saddle`、`TwoWeightNet`、`BumpyCurve` | 03（在山谷和颠簸曲线上使用动量）、04（在山谷和 Rosenbrock 上使用自适应优化器） |
# | 带路径的等高线图、特征值谱、损失曲线 | `course_lib.plots` | 所有各讲 |
#
# 每个曲面都知道自己的临界点在哪里，所以海森矩阵工具可以直接给它们分类；而且这些曲面手写的海森矩阵与自动微分的结果一致：

# %%
from course_lib.surfaces import BumpyCurve, Saddle

for surface in (IllConditionedQuadratic(10), Rosenbrock(), Saddle(), TwoWeightNet(), BumpyCurve()):
    for point in surface.critical_points:
        H = surface.hessian(point)
        assert rel_error(H, hessian(surface.value, point)) < 1e-12
        print(f"{surface.name:32s} at {np.round(point, 4)}: {classify_critical_point(H)}")

# %% [markdown]
# ## 9. 要点、术语表与练习
#
# - 首先弄清楚你遇到的是*哪一种*问题。较深的网络如果比较浅的网络*训练损失更高*，那就是优化问题，而不是过拟合。损失停滞还不等于到了临界点：深层 sigmoid 网络停在了梯度消失造成的平台上，而梯度明显不为零。要用验证集来选择模型。
# - 在**临界点**（$g = 0$）上，由海森矩阵**特征值**的符号来判断：全为正，是最小值；全为负，是最大值；有正有负，是**鞍点**。手算、有限差分和自动微分得到的海森矩阵彼此一致。
# - 对于利用曲率的方法，鞍点并不是陷阱：负特征值对应的特征向量就是一条下山的路，损失的下降量与预测的 $\tfrac12\lambda\varepsilon^2$ 相符。
# - 对 $g = 0$ 使用牛顿法，找到了一个小网络的临界点：鞍点的数量远多于最小值，而最小值的损失都较低（但要注意第 5 节所说的局限）。
# - **条件数**会让梯度下降走之字形，需要大约 $(\kappa/2)\ln(1/\varepsilon)$ 步；牛顿法一步就能解决二次函数，但需要 $O(N^2)$ 的内存和 $O(N^3)$ 的时间。**海森向量积**和**幂迭代**只需几次梯度计算的代价，就能获得曲率信息。
#
# **作业。** `homework/hw02_critical_points.ipynb`：用解析方法和自动微分计算海森矩阵，判断临界点的类型，沿负曲率的特征向量逃离鞍点，并走一步牛顿法。
#
# **术语表。** 每个粗体术语都收录在课程的[术语表](glossary.md)中，附有英文和中文（例如 saddle point — 鞍点，Hessian — 海森矩阵，condition number — 条件数）。

# %% [markdown]
# **练习。** 先预测答案，再运行代码。每道题的答案都折叠在题目下方。

# %% [markdown]
# **练习 1。** 在第 1 节中，构造 `plain_mlp(12, activation=nn.ReLU)`，在*训练之前*计算每一层权重的梯度范数，ReLU 和 sigmoid 各算一次。第一层的梯度范数还会比最后一层小好几个数量级吗？

# %% tags=["answer"]
for activation in (nn.Sigmoid, nn.ReLU):
    set_seed(0)
    model = plain_mlp(12, activation=activation)
    loss_fn(model(X_train), y_train).backward()
    g = [m.weight.grad.norm().item() for m in model if isinstance(m, nn.Linear)]
    print(f"{activation.__name__:7s} layer 1 to 12: " + " ".join(f"{n:.0e}" for n in g)
          + f"; last / first = {g[-1] / g[0]:.0e}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 还会，但小得多。用 sigmoid 时，在初始化时最后一层的梯度就已经是第一层的约 $4 \cdot 10^9$ 倍；用 ReLU 时约为 $3 \cdot 10^3$ 倍。ReLU 在激活时斜率为 1，而不是至多 1/4，所以第 1 节里 $\max\sigma'$ 这个因子消失了。剩下的是权重因子：PyTorch 默认初始化抽出的权重很小（在 $\pm 1/\sqrt{\text{fan-in}}$ 内均匀分布），每个 ReLU 层仍会让信号缩小大约一半（经过十一层就是三个数量级）。为 ReLU 调整过尺度的初始化（He 初始化，$\text{Var}\,w = 2/\text{fan-in}$）和批次标准化（第 06 讲）可以把这个因子也去掉。
# </details>

# %% [markdown]
# **练习 2。** 在第 4 节中，让梯度下降从 $10^{-8}u$ 而不是 $0.1u$ 出发。用增长因子 $1.2$ 预测：要让损失降到 $10^{-6}$ 以下，需要多走多少步？然后验证。

# %% tags=["answer"]
first_below = {}
for scale in (0.1, 1e-8):
    path = gradient_descent(net, scale * u, lr=0.1, steps=1000)
    first_below[scale] = int(np.flatnonzero(net.value(path) < 1e-6)[0])
print(
    f"steps until the loss < 1e-6: from 0.1·u {first_below[0.1]}, from 1e-8·u {first_below[1e-8]}"
)
print(f"difference {first_below[1e-8] - first_below[0.1]}; predicted ln(1e7) / ln(1.2) = "
      f"{math.log(1e7) / math.log(1.2):.1f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 大约多 88 步。在鞍点附近，沿 $u$ 的分量每步乘以 1.2，所以从 $10^{-8}$ 增长到 0.1（$10^7$ 倍）需要 $\ln(10^7)/\ln 1.2 \approx 88.4$ 步；此后两次训练就完全一样了。实测的差是 88 步。逃离鞍点是指数式的，但起点离鞍点非常近时，要先付出一段很长的平台期。
# </details>

# %% [markdown]
# **练习 3。** 在第 5 节中，只看均方误差时，它的海森矩阵等于损失的海森矩阵减去 $2 \cdot 10^{-2} I$（权重衰减那一部分）。在损失最低的局部最小值处，它有多少个特征值为零（在 $10^{-6}$ 以内）或为负？对单独的 MSE 而言，这个点是严格局部最小值吗？

# %% tags=["answer"]
lowest_min = int(np.flatnonzero(is_min)[0])
mse_spectrum = spectra[lowest_min] - 2 * WEIGHT_DECAY
zero = np.abs(mse_spectrum) < EIG_TOL
theta_min = points[losses[lowest_min]]
print(f"MSE gradient norm there: {float(2 * WEIGHT_DECAY * theta_min.norm()):.3f}")
print(f"loss {losses[lowest_min]:.4f}; MSE Hessian: {zero.sum()} eigenvalues zero, "
      f"{(mse_spectrum < -EIG_TOL).sum()} negative, smallest nonzero {np.abs(mse_spectrum[~zero]).min():.1e}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 不是。那里 MSE 的海森矩阵没有零特征值，却有 5 个负特征值：损失的海森矩阵中介于 0 和 0.02 之间的特征值，在去掉权重衰减的 $+0.02$ 之后就变成了负数。这个点也不是 MSE 的临界点：MSE 在那里的梯度是 $-2 \cdot 10^{-2}\theta$，正好被权重衰减的梯度抵消（打印出了它的范数）。只看数据，这个点位于一个斜坡上，某些方向还是向下弯的；是权重衰减让它成了严格最小值。正如第 5 节的说明所讲，在曲率很弱的方向上，起决定作用的是权重衰减，而不是数据。
# </details>

# %% [markdown]
# **练习 4。** 在第 6 节中，在 κ = 10 的山谷上用 $\eta = 2.1/\lambda_{\max}$ 做梯度下降。路径会怎样？为什么？

# %% tags=["answer"]
valley = IllConditionedQuadratic(10)
lam = np.linalg.eigvalsh(valley.hessian(valley.start))
path = gradient_descent(valley, valley.start, lr=2.1 / lam[-1], steps=50)
U_valley = np.linalg.eigh(valley.hessian(valley.start))[1]
coords = path @ U_valley  # coordinates along the flat and the steep eigenvector
print(f"steep coordinate, ratio per step: {coords[1:6, 1] / coords[:5, 1]}")
print(f"flat coordinate, ratio per step: {coords[1:4, 0] / coords[:3, 0]}")
print(
    f"distance to the minimum: {np.linalg.norm(path[0]):.2f} at the start, {np.linalg.norm(path[-1]):.1f} after 50 steps"
)

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 它在山谷两壁之间走之字形，摆幅越来越大，最终发散。在特征基下，每一步把每个坐标乘以 $1 - \eta\lambda_k$：沿陡峭方向是 $1 - 2.1 = -1.1$（符号翻转，大小每步增加 10%），沿平坦方向是 $1 - 0.21 = 0.79$。平坦方向的坐标收敛，但陡峭方向的坐标按 $1.1^t$ 增长：50 步之后，到最小值的距离是起点的 $1.1^{50} \approx 117$ 倍。$\eta$ 刚好超过了上限 $2/\lambda_{\max}$。
# </details>

# %% [markdown]
# **练习 5。** 在第 5 节损失最低的*鞍点*处执行第 7 节的幂迭代。它返回的是哪个特征值：最负的那个，还是最大的正特征值？

# %% tags=["answer"]
saddle_spectrum = spectra[best_saddle]
estimate_s, _ = top_eigenvalue(net_loss, points[losses[best_saddle]], num_iters=300)
print(f"power iteration: {estimate_s:.4f}; spectrum: most negative {saddle_spectrum[0]:.1e}, "
      f"largest {saddle_spectrum[-1]:.4f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 最大的正特征值。幂迭代找的是*绝对值*最大的特征值，而在这个鞍点上，负特征值与最大的正特征值相比非常小（见打印结果）。要找最负的特征值，可以对 $\lambda_{\max} I - H$ 做幂迭代（它的最大特征向量就是 $H$ 的最小特征向量），或者用 Lanczos 方法。
# </details>
