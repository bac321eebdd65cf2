# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 作业 03 — 批次大小与动量
#
# 第 03 讲用小批次做训练，并给梯度下降加上了动量。在这份作业里，你要从零实现这两者，与 PyTorch 对照检验，在一个曲面和一个小网络上比较这几种优化器，并测量批次大小如何影响这个网络达到目标损失所需的更新次数和计算量。
#
# | 题目 | 你要编写的内容 | 分值 |
# |---|---|---|
# | Q1 | `minibatches(X, y, batch_size, rng)`：一个轮次的打乱小批次 | 2 |
# | Q2 | `momentum_step(theta, grad, velocity, lr, momentum)`：带动量的 SGD | 2 |
# | Q3 | `nesterov_step(theta, grad_fn, velocity, lr, momentum)`：Nesterov 动量 | 2 |
# | Q4 | `linear_regression_epoch(w, X, y, batch_size, lr, rng)`：一个轮次，梯度需自行推导 | 2 |
# | Q5 | `updates_to_target(loss_and_grad, theta, X, y, batch_size, lr, target, rng)`：实验中要做的测量 | 3 |
# | W1 | 关于批次大小实验的书面回答（人工评分） | 2 |
#
# **怎么做。** 把每一处 `# YOUR CODE HERE` / `raise NotImplementedError` 换成你的代码，然后运行它下方的 `check(...)` 单元格。优化器的检查会把你的单步函数执行 30 步，并把整条路径与 `torch.optim.SGD` 比较；未通过的用例会打印输入、预期路径和实际路径、看起来像是哪种错误，以及一条提示。评分只计算同类的隐藏用例（其他起点、数据和随机数生成器），检查认出的错误会让该题不得分。在你作答之前，用到你的函数的单元格会抛出 `NotImplementedError`；*Run All* 会跳过它们继续往下运行。
#
# **规则。** 只能使用 NumPy：不能用 `torch`，也不能用 `course_lib.data`（其中的 `minibatches`）或 `course_lib.optim`（它们里面就有答案）。保持函数名和参数不变；你可以添加单元格。提交之前，请运行 *Kernel → Restart and Run All*：评分程序也会用同样的方式，在全新的内核中运行你的笔记本。

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

from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.homework.hw03 import check
from course_lib.plots import contour_with_paths, use_style
from course_lib.surfaces import IllConditionedQuadratic

use_style()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## A 部分：小批次
#
# ### Q1（2 分）：会打乱顺序的小批次迭代器
#
# 编写 `minibatches(X, y, batch_size, rng)`：一个生成器，产出一个**轮次**（epoch）的打乱小批次 `(X_batch, y_batch)`，每个样本恰好出现一次，每批 `batch_size` 个（当 `batch_size` 不能整除 `len(X)` 时，最后一批更小）。每次调用都是一个新的轮次，使用新的随机顺序。为了让你的顺序与检查程序的一致，每个轮次只调用一次 `rng.permutation` 来抽取顺序，并从前往后依次使用。


# %% nbgrader={"grade": false, "grade_id": "hw03-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def minibatches(X, y, batch_size, rng):
    """逐个给出一个轮次的打乱后的小批次。

    参数：
        X：形状为 (N, ...) 的数组。
        y：形状为 (N, ...) 的数组，与 X 对齐。
        batch_size：每个批次的样本数，B >= 1。
        rng：一个 numpy Generator；每次调用都从它抽取一个新的排列。

    生成：
        (X_batch, y_batch)，形状为 (B, ...) 和 (B, ...)；最后一个可能更小。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", minibatches)

# %% [markdown]
# ## B 部分：动量
#
# ### Q2（2 分）：带动量的 SGD
#
# 按照第 03 讲第 6 节中的速度形式，编写带动量 SGD 的一步：**速度**（velocity）就是参数实际走的那一步（其中已经包含学习率），它通过动量系数记住过去的步。返回新的参数和新的速度。（PyTorch 存储的是速度除以 −η 的结果；学习率不变时，经过的点是一样的，检查比较的正是这些点。）


# %% nbgrader={"grade": false, "grade_id": "hw03-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def momentum_step(theta, grad, velocity, lr, momentum):
    """带动量的 SGD 的一步。

    参数：
        theta：参数，形状 (n,)。
        grad：损失在 theta 处的梯度，形状 (n,)。
        velocity：上一步的速度，形状 (n,)（第一步时为零）。
        lr：学习率。
        momentum：动量系数 m，在 [0, 1) 中。

    返回：
        这一步之后的 tuple (theta, velocity)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", momentum_step)

# %% [markdown]
# ### Q3（2 分）：Nesterov 动量
#
# Nesterov 动量（第 03 讲第 7 节）就是在**前瞻点**（look-ahead）处计算梯度的动量，前瞻点是单靠动量即将把参数带到的位置。按照与 Q2 相同的速度形式编写一步。正因为如此，这个函数接收的是梯度*函数* `grad_fn`。


# %% nbgrader={"grade": false, "grade_id": "hw03-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def nesterov_step(theta, grad_fn, velocity, lr, momentum):
    """Nesterov 动量的一步（前瞻形式）。

    参数：
        theta：参数，形状 (n,)。
        grad_fn：返回某点处梯度的可调用对象，形状 (n,) -> (n,)。
        velocity：上一步的速度，形状 (n,)。
        lr：学习率。
        momentum：动量系数 m，在 [0, 1) 中。

    返回：
        这一步之后的 tuple (theta, velocity)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", nesterov_step)

# %% [markdown]
# ### Q4（2 分）：一个轮次的小批次 SGD
#
# 对线性回归来说，每个小批次的损失是它的均方误差 $\frac1B\sum_{i \in \text{批次}} (x_i^\top w - y_i)^2$。推导它对 `w`（形状为 (D,)）的梯度，然后编写一个轮次：对你的 `minibatches` 给出的每个小批次做一步普通 SGD，并把你收到的 `rng` 传给它。返回这个轮次结束后的权重。


# %% nbgrader={"grade": false, "grade_id": "hw03-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_regression_epoch(w, X, y, batch_size, lr, rng):
    """对 X @ w 的均方误差做一个轮次的小批次 SGD。

    参数：
        w：权重，形状 (D,)。
        X：输入，形状 (N, D)。
        y：目标，形状 (N,)。
        batch_size：每个批次的样本数。
        lr：学习率。
        rng：传给 minibatches 的 numpy Generator。

    返回：
        这个轮次之后的权重，形状 (D,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", linear_regression_epoch)

# %% [markdown]
# ## C 部分：比较
#
# 在一个狭长的二次函数（条件数为 50）上，用相同的学习率，统计每种方法需要多少步才能让损失降到 $10^{-6}$ 以下。

# %% tags=["raises-exception"]
surface = IllConditionedQuadratic(50.0)


def path_until_converged(step):
    """step(theta, velocity) -> (theta, velocity) 依次访问的点，直到损失 < 1e-6。"""
    theta, v, path = surface.start.copy(), np.zeros(2), [surface.start.copy()]
    while surface.value(theta) > 1e-6 and len(path) < 5000:
        theta, v = step(theta, v)
        path.append(theta)
    return np.array(path)


paths = {
    "gradient descent": path_until_converged(
        lambda t, v: momentum_step(t, surface.grad(t), v, 0.019, 0.0)
    ),
    "momentum 0.9": path_until_converged(
        lambda t, v: momentum_step(t, surface.grad(t), v, 0.019, 0.9)
    ),
    "Nesterov 0.9": path_until_converged(
        lambda t, v: nesterov_step(t, surface.grad, v, 0.019, 0.9)
    ),
}
for name, path in paths.items():
    print(f"{name:17s} {len(path) - 1:5d} steps")
contour_with_paths(surface, {k: p[:60] for k, p in paths.items()})
plt.title("the first 60 steps on a quadratic with condition number 50")
plt.show()

# %% [markdown]
# **在一个小网络上做同样的比较。** 一个 1-16-1 的 tanh 网络用均方误差去拟合 $\sin(2x)$ 的 128 个带噪声的样本。它的 49 个参数放在一个向量 `theta` 里；`net_loss_and_grad(theta, X, y)` 返回在 `(X, y)` 上的损失及其梯度，梯度是像第 01 讲那样手工推导的，下面会与数值梯度对照检验。然后用你的函数做全批次的更新，学习率为 0.1，直到损失不超过 0.05。

# %%
data_rng = np.random.default_rng(0)
X_net = data_rng.uniform(-2.0, 2.0, size=(128, 1))
y_net = np.sin(2 * X_net[:, 0]) + 0.1 * data_rng.standard_normal(128)
HIDDEN = 16
theta_net = np.random.default_rng(1).normal(size=3 * HIDDEN + 1)
theta_net[HIDDEN:] *= np.repeat([0.0, 0.25, 0.0], [HIDDEN, HIDDEN, 1])  # b1 = 0，W2 较小，b2 = 0


def net_loss_and_grad(theta, X, y):
    """1-16-1 tanh 网络在 X (B, 1)、y (B,) 上的均方误差；梯度形状 (49,)。"""
    W1, b1, W2, b2 = np.split(theta, [HIDDEN, 2 * HIDDEN, 3 * HIDDEN])
    h = np.tanh(X * W1 + b1)  # (B, 16)
    d_out = 2 * (h @ W2 + b2 - y) / len(y)  # dL/d(输出)，(B,)
    d_pre = np.outer(d_out, W2) * (1 - h**2)  # dL/d(激活前的值)，(B, 16)
    grad = np.concatenate([X[:, 0] @ d_pre, d_pre.sum(axis=0), h.T @ d_out, [d_out.sum()]])
    return np.mean((h @ W2 + b2 - y) ** 2), grad


def net_grad(theta):
    return net_loss_and_grad(theta, X_net, y_net)[1]


numeric = numerical_gradient(lambda t: net_loss_and_grad(t, X_net, y_net)[0], theta_net.copy())
err = rel_error(net_grad(theta_net), numeric)
print(f"gradient vs numerical gradient: relative error {format_bound(err, 1e-8)}")
print(f"loss at the start: {net_loss_and_grad(theta_net, X_net, y_net)[0]:.3f}")


# %% tags=["raises-exception"]
def net_steps_to_target(step, target=0.05, max_steps=2000):
    """用 step(theta, velocity) -> (theta, velocity) 走全批次的步，直到损失 <= target。"""
    theta, v, steps = theta_net.copy(), np.zeros_like(theta_net), 0
    while net_loss_and_grad(theta, X_net, y_net)[0] > target and steps < max_steps:
        theta, v = step(theta, v)
        steps += 1
    return steps


for name, step in {
    "gradient descent": lambda t, v: momentum_step(t, net_grad(t), v, 0.1, 0.0),
    "momentum 0.9": lambda t, v: momentum_step(t, net_grad(t), v, 0.1, 0.9),
    "Nesterov 0.9": lambda t, v: nesterov_step(t, net_grad, v, 0.1, 0.9),
}.items():
    print(f"{name:17s} {net_steps_to_target(step):5d} steps to a loss of 0.05")

# %% [markdown]
# ## D 部分：批次大小与达到目标损失所需的更新次数
#
# ### Q5（3 分）：统计更新次数
#
# 编写 `updates_to_target(loss_and_grad, theta, X, y, batch_size, lr, target, rng)`，它要适用于任何模型：`loss_and_grad(theta, X, y)` 返回模型在 `(X, y)` 上的损失及其关于 `theta` 的梯度，就像上面的 `net_loss_and_grad` 那样。从 `theta` 出发，一个轮次接一个轮次地做普通的小批次 SGD（用你的 `minibatches`，并把收到的 `rng` 传给它），返回更新次数（一个 int），即在全部 `X` 上的损失第一次不超过 `target` 时已做的更新次数。每次更新之后都要计算这个损失。如果到 `MAX_UPDATES` = 3000 次更新仍未达到，就放弃并返回 3000。（检查会在 Q4 的线性回归上、从 $w = 0$ 出发运行它。）

# %% nbgrader={"grade": false, "grade_id": "hw03-answer-5", "locked": false, "schema_version": 3, "solution": true, "task": false}
MAX_UPDATES = 3000


def updates_to_target(loss_and_grad, theta, X, y, batch_size, lr, target, rng):
    """从 theta 出发做小批次 SGD，直到整个 X 上的损失 <= target 所需的更新次数。

    参数：
        loss_and_grad：可调用对象 (theta, X, y) -> (损失, 与 theta 形状相同的梯度)。
        theta：起始参数，形状 (P,)。
        X：输入，形状 (N, D)。
        y：目标，形状 (N,)。
        batch_size：每个批次的样本数。
        lr：学习率。
        target：要达到的损失。
        rng：传给 minibatches 的 numpy Generator。

    返回：
        更新次数（一个 int），至多 MAX_UPDATES。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q5", updates_to_target)

# %% [markdown]
# **实验。** 用大小从 1 到整个数据集的小批次训练 C 部分的网络。让学习率随批次大小缩放（第 03 讲第 5 节的线性缩放规则），但不超过上限 0.15，超过它全批次的更新就会变得不稳定；然后统计每次训练达到损失 0.05 所需的更新次数和轮次数。每一行都是三个种子的中位数。

# %% tags=["raises-exception"]
print("batch size      lr  updates  epochs")
for batch_size in [1, 4, 16, 64, 128]:
    lr = min(0.01 * batch_size, 0.15)
    runs = [
        updates_to_target(
            net_loss_and_grad,
            theta_net,
            X_net,
            y_net,
            batch_size,
            lr,
            0.05,
            np.random.default_rng(s),
        )
        for s in range(3)
    ]
    updates = int(np.median(runs))
    print(f"{batch_size:10d} {lr:7.3f} {updates:8d} {updates * batch_size / 128:7.2f}")

# %% [markdown]
# **问题 W1（2 分，书面作答，人工评分）。** 在表中，在哪些批次大小上，更新次数随批次大小成比例地减少？又从哪里开始不再减少？为什么是在那里？这对每种批次大小所需的计算量（轮次数）意味着什么？请在下面的单元格中用两三句话作答。

# %% [markdown] nbgrader={"grade": false, "grade_id": "hw03-answer-6", "locked": false, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# **完成了吗？** 重启内核，运行所有单元格，确认每个 `check` 都报告所有用例通过。然后提交这个笔记本文件。
