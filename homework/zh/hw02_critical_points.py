# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 作业 02 — 临界点与海森矩阵
#
# 第 02 讲从损失曲面的二阶导数解读了它的形状。在这份作业里，你要手算并用自动微分计算海森矩阵，判断临界点的类型，沿负曲率方向离开鞍点，执行牛顿步，最后找出一个曲面以及一个小网络的所有临界点。
#
# | 题目 | 你要编写的内容 | 分值 |
# |---|---|---|
# | Q1 | `hessian_of_f(p)`：Himmelblau 函数的海森矩阵，手工推导 | 2 |
# | Q2 | `autograd_hessian(f, x)`：用 `torch.autograd.grad` 求任意函数的海森矩阵 | 2 |
# | Q3 | `classify(H, tol)`：局部最小值、局部最大值、鞍点或退化 | 2 |
# | Q4 | `escape_direction(H)`：最负的特征值及其单位特征向量 | 2 |
# | Q5 | `newton_step(x, g, H)`：由二次模型推导出的一步牛顿更新 | 2 |
# | Q6 | `find_critical_points(grad, hess, starts, tol)`：找出所有临界点并分类 | 3 |
# | W1 | 关于这个网络临界点的书面回答（人工评分） | 2 |
#
# **怎么做。** 把每一处 `# YOUR CODE HERE` / `raise NotImplementedError` 换成你的代码，然后运行它下方的 `check(...)` 单元格：它会在若干输入上把你的函数与参考实现做比较，并打印哪些用例通过了；对于没有通过的用例，它会打印输入、期望值和实际值、这看起来像是哪一种错误，以及一条提示。评分只计算同类的隐藏用例（换用其他的点、矩阵、起点和数据），检查认出的错误会让该题不得分。在你作答之前，用到你的函数的单元格会抛出 `NotImplementedError`；*Run All* 遇到它们会继续往下运行。
#
# **规则。** 使用 NumPy 和 `torch.autograd.grad`，不要使用 `torch.autograd.functional.hessian` 或 `course_lib.hessian`（它们里面就有答案）。保持函数名和参数不变；你可以添加单元格。提交之前，请运行 *Kernel → Restart and Run All*：评分程序也会用同样的方式，在全新的内核中运行你的笔记本。

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %% tags=["language"]
from course_lib.language import set_language

set_language("zh")

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
    """标量 torch 函数 f 在点 p（一个 NumPy 数组）处的梯度，由自动微分求得。"""
    point = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    return torch.autograd.grad(f(point), point)[0].numpy()

# %% [markdown]
# ## A 部分：海森矩阵
#
# 我们贯穿始终的例子是 *Himmelblau 函数*，一个经典的测试曲面：
#
# $$f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 .$$
#
# 它有几个最小值、一个最大值，以及位于它们之间的鞍点；你将在 D 部分把它们全部找出来。（第 02 讲第 2 节用的是 $x^3 + y^3 - 3xy$，在这里可以通过 `f_xy` 使用。）
#
# ### Q1（2 分）：手算海森矩阵
#
# 在纸上先推导出 $f$ 的梯度，再推导出**海森矩阵**（Hessian）$H_{ij} = \partial^2 f / \partial
# p_i \partial p_j$，然后返回它在点 `p = (x, y)` 处的值，形式为 (2, 2) 数组。

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hessian_of_f(p):
    """Himmelblau 函数的海森矩阵，闭式解。

    参数：
        p：形状为 (2,) 的数组，即点 (x, y)。

    返回：
        形状为 (2, 2) 的数组。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", hessian_of_f)

# %% [markdown]
# ### Q2（2 分）：用自动微分求任意函数的海森矩阵
#
# 手算无法推广到大规模的问题。编写 `autograd_hessian(f, x)`：求标量 torch 函数 `f` 在点 `x`（形状为 (n,) 的 float64 张量）处的海森矩阵，形状为 (n, n)，要求调用两次 `torch.autograd.grad`（第 02 讲第 3 节展示了自动微分如何对梯度再求导）。

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def autograd_hessian(f, x):
    """对梯度再求导，得到标量 torch 函数的海森矩阵。

    参数：
        f：可调用对象，把形状为 (n,) 的 float64 张量映射为标量张量。
        x：形状为 (n,) 的 float64 张量，即所在的点。

    返回：
        形状为 (n, n) 的数组或张量。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", autograd_hessian)

# %% [markdown]
# 两种方法的答案必须一致。在一个随机点上验证：

# %% tags=["raises-exception"]
p = np.array([0.7, -1.3])
by_hand = hessian_of_f(p)
by_autograd = np.asarray(autograd_hessian(himmelblau, torch.tensor(p)))
print(f"by hand vs by autograd: relative error {format_bound(rel_error(by_hand, by_autograd), 1e-12)}")

# %% [markdown]
# ### Q3（2 分）：判断临界点的类型
#
# 编写 `classify(H, tol)`：根据临界点处的海森矩阵 `H`，返回 `"local
# minimum"`（局部最小值）、`"local maximum"`（局部最大值）或 `"saddle point"`（鞍点）；如果二阶检验无法判断，则返回 `"degenerate"`（退化）。判断的依据见第 02 讲第 2 节：$H$ 的特征值说明了什么。把满足 $|\lambda| \le$ `tol` 的特征值视为零。

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def classify(H, tol=1e-6):
    """由该点的海森矩阵判断临界点的类型。

    参数：
        H：形状为 (n, n) 的对称数组。
        tol：|lambda| <= tol 的特征值算作零。

    返回：
        "local minimum"、"local maximum"、"saddle point" 或 "degenerate"。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", classify)

# %% tags=["raises-exception"]
p = np.array([3.0, 2.0])
print(f"f at {p}: gradient {gradient(himmelblau, p)}, a {classify(hessian_of_f(p))}")

# %% [markdown]
# ## B 部分：逃离鞍点
#
# 在鞍点处梯度为零，所以梯度下降不会移动。但海森矩阵仍然指明了出路（第 02 讲第 4 节）。
#
# ### Q4（2 分）：逃离方向
#
# 编写 `escape_direction(H)`：返回 `H` 的最小特征值（一个浮点数）以及它对应的一个单位特征向量，形状为 (n,)（正负号均可）。

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def escape_direction(H):
    """曲率最负的方向。

    参数：
        H：形状为 (n, n) 的对称数组。

    返回：
        tuple (lambda_min, u)：最小的特征值（一个 float）和它的一个单位特征向量，
        形状 (n,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", escape_direction)

# %% [markdown]
# 从 `f_xy` 位于原点的鞍点出发迈出一步，把损失的变化量与二阶预测 $\tfrac12\lambda\eta^2$ 做比较（两者之差来自三次项）。

# %% tags=["raises-exception"]
lam, u = escape_direction(np.asarray(autograd_hessian(f_xy, torch.zeros(2, dtype=torch.float64))))
for eta in [0.1, 0.01]:
    change = f_xy(eta * u) - f_xy(np.zeros(2))
    print(f"eta = {eta}: f changes by {change:.3e}, prediction {0.5 * lam * eta**2:.3e}")

# %% [markdown]
# ## C 部分：牛顿法
#
# ### Q5（2 分）：一步牛顿法
#
# 牛顿法会直接跳到损失在 `x` 附近的局部二次模型的驻点（即二阶泰勒展开，第 02 讲第 7 节）。请先由这个模型推导出驻点，然后编写 `newton_step(x, g, H)`：给定点 `x` (n,)、该点处的梯度 `g` (n,) 和海森矩阵 `H`（(n, n)，可逆），返回新的点 (n,)。

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def newton_step(x, g, H):
    """牛顿法的一步。

    参数：
        x：当前点，形状 (n,)。
        g：x 处的梯度，形状 (n,)。
        H：x 处的海森矩阵，形状 (n, n)，可逆。

    返回：
        x 附近二次模型的驻点，形状 (n,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q5", newton_step)

# %% [markdown]
# 牛顿法寻找的是梯度的零点，而不是最小值：从某些起点出发，它会收敛到 Himmelblau 函数的某个最小值；从另一些起点出发，它则会收敛到鞍点或最大值。

# %% tags=["raises-exception"]
for start in [(2.5, 2.5), (0.0, 0.0), (-3.0, 0.0)]:
    p = np.array(start)
    for _ in range(8):
        p = newton_step(p, gradient(himmelblau, p), hessian_of_f(p))
    print(f"from {start}: after 8 steps at {np.round(p, 4) + 0.0}, a {classify(hessian_of_f(p))}")

# %% [markdown]
# ## D 部分：先找出所有临界点，再看一个网络的临界点
#
# ### Q6（3 分）：找出所有临界点并分类
#
# 编写 `find_critical_points(grad, hess, starts, tol)`。`grad(p)` 和 `hess(p)` 分别返回点 `p` (n,) 处的梯度 (n,) 和海森矩阵 (n, n)；`starts` 是由起点组成的数组 (S, n)。从每个起点出发运行牛顿法（即你的 Q5），最多 50 步，直到梯度范数小于 `tol`；如果某个起点没能达到这一要求（或者途中海森矩阵是奇异的），就丢弃这个起点。返回 `(points, kinds)`：一是到达的互不相同的点，组成数组 (K, n)，每个点只出现一次（距离小于 1e-6 的点算作同一个点）；二是它们的类型（用你的 Q3 判断），一个由 K 个字符串组成的列表。检查程序会评判你的列表：每个点都必须是临界点并且分类正确，不能有重复，也不能漏掉牛顿法从这些起点能到达的任何一个点。

# %% nbgrader={"grade": false, "grade_id": "hw02-answer-6", "locked": false, "schema_version": 3, "solution": true, "task": false}
def find_critical_points(grad, hess, starts, tol=1e-10):
    """牛顿法从各起点出发能到达的所有临界点，每个只列一次，并分好类。

    参数：
        grad：可调用对象，点 (n,) -> 梯度 (n,)。
        hess：可调用对象，点 (n,) -> 海森矩阵 (n, n)。
        starts：起点组成的数组 (S, n)。
        tol：梯度范数小于 tol 的点算作临界点。

    返回：
        tuple (points, kinds)：数组 (K, n) 和一个含 K 个字符串的 list。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q6", find_critical_points)

# %% [markdown]
# **最小的 tanh 网络。** 网络 $\hat y = w_2 \tanh(w_1 x)$ 有两个权重。在 $1.5\tanh(0.8x)$ 的 20 个带噪声的样本上，它的损失是均方误差加上第 02 讲第 5 节中的权重衰减 $10^{-2}\lVert w\rVert^2$。`tanh_net(data)` 以闭式返回它的损失、梯度和海森矩阵；先用你的 Q2 核对这个海森矩阵，然后从网格上的一组起点出发找出所有临界点，并打印每个临界点的类型和损失。

# %% tags=["raises-exception"]
loss, grad, hess = tanh_net(tanh_net_data(seed=0))
points, kinds = np.empty((0, 2)), []  # 答完 Q2 和 Q6 之前没有可画的点
w_test = np.array([0.7, -1.2])
err = rel_error(hess(w_test), np.asarray(autograd_hessian(loss, torch.tensor(w_test))))
print(f"closed-form Hessian vs your autograd_hessian: {format_bound(err, 1e-12)}")
axis = np.linspace(-3, 3, 7)
points, kinds = find_critical_points(grad, hess, np.array([(a, b) for a in axis for b in axis]))
for w, kind in sorted(zip(np.round(points, 3) + 0.0, kinds), key=lambda item: item[0][0]):
    print(f"w = ({w[0]:+.3f}, {w[1]:+.3f}): {kind:13s} loss {loss(w):.4f}")

# %% [markdown]
# 把这些点画在损失曲面上：两个极小值点关于原点互为镜像，鞍点位于它们之间的山脊上。

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
# **问题 W1（2 分，书面作答，人工评分）。** 看看打印出来的临界点。为什么两个最小值的损失相同？为什么从一个最小值走到另一个最小值的任何路径，都至少要爬升到鞍点所在区域的损失？请在下面的单元格中用两三句话回答。

# %% [markdown] nbgrader={"grade": false, "grade_id": "hw02-answer-7", "locked": false, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# **完成了吗？** 重启内核，运行所有单元格，确认每个 `check` 都报告所有用例通过。然后提交这个笔记本文件。
