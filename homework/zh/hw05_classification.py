# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 作业 05 — 分类的损失函数
#
# 第 05 讲比较了用于分类的各种损失。在这份作业里，你要亲手写出其中数值稳定的部分，为一个讲义中没有求导的损失（标签平滑）推导梯度，并在一个真实的网络上看清：为什么交叉熵训练得动，而概率上的均方误差却停滞不前。
#
# | 题目 | 你要写的 | 分值 |
# |---|---|---|
# | Q1 | `log_softmax(z)`：对任何 logits 都稳定 | 2 |
# | Q2 | `cross_entropy(logits, labels, label_smoothing)`：先推导梯度，再实现 | 3 |
# | Q3 | `mse_on_softmax(logits, labels)`：概率与独热向量之间的 MSE，连同梯度 | 2 |
# | Q4 | `train_softmax_regression(X, y, loss_fn, lr, steps)`：全批次梯度下降 | 2 |
# | Q5 | `bad_start_experiment(seed)`：从饱和的起点出发，分别用两种损失训练一个 MLP | 2 |
#
# C 部分还有一道书面题（2 分，由任课老师批阅）。
#
# **怎么做。** 把每一处 `# YOUR CODE HERE` / `raise NotImplementedError` 换成你的代码，然后运行它下方的 `check(...)` 单元格：它会把你的函数与 PyTorch 进行比较，并打印哪些用例通过了；对未通过的用例，它会给出输入、期望的输出和实际的输出，以及它识别出的错误和一条提示。评分只计算同类的隐藏用例，检查认出的错误会让该题不得分。
#
# **规则。** 只能使用 NumPy：不能用 `torch`，也不能用 `course_lib.losses`（里面就有答案）。保持函数名和参数不变。提交之前，请运行 *Kernel → Restart and Run All*。

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

from course_lib.data import make_blobs
from course_lib.homework.hw05 import EXPERIMENT, check, mlp_problem
from course_lib.plots import use_style

use_style()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## A 部分：稳定的 softmax 损失
#
# ### Q1（2 分）：log-softmax
#
# 返回 `z` 每一行的 softmax 的对数（输入形状 (N, C)，输出形状 (N, C)），对任何有限的 logits 都不能上溢，也不能出现 `log(0)`：有一个检查用例的 logits 达到几千。第 05 讲第 2 节演示了如何稳定地计算 softmax；把这个思路推广到它的对数上。


# %% nbgrader={"grade": false, "grade_id": "hw05-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_softmax(z):
    """逐行的 log-softmax，对任何有限的 logits 都数值稳定。

    参数：
        z：logits，形状 (N, C)。

    返回：
        由对数概率组成的数组 (N, C)；每一行取 exp 后之和为 1。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", log_softmax)

# %% [markdown]
# ### Q2（3 分）：标签平滑，先推导再实现
#
# *标签平滑*（label smoothing）用一个软化的目标代替独热向量来训练：设平滑系数为 $s$、类别数为 $C$，PyTorch 的目标 $t$（`label_smoothing=s`）保留独热向量的 $1 - s$，再把剩下的 $s$ 平均分给全部 $C$ 个类别（正确类别也包括在内）。损失是 $N$ 个样本上 $t$ 与 $p = \mathrm{softmax}(z)$ 之间交叉熵的平均值。
#
# 1. 在纸上：写出 $t$，然后推导单个样本的 $\partial L / \partial z$，再推导批次平均的。第 05 讲第 3 节对独热目标推导过它；这里的目标是软的，所以要重新推导，而且只能用到 $t$ 的各项之和为 1 这一点。
# 2. 实现它：返回损失（一个浮点数）和 `dlogits`（形状 (N, C)）。使用你的 `log_softmax`。


# %% nbgrader={"grade": false, "grade_id": "hw05-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cross_entropy(logits, labels, label_smoothing=0.0):
    """带可选标签平滑的平均交叉熵及其梯度。

    参数：
        logits：形状 (N, C)。
        labels：整数类别 id，形状 (N,)。
        label_smoothing：s，在 [0, 1) 中。

    返回：
        tuple (loss, dlogits)：一个 float 和一个形状为 (N, C) 的数组。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", cross_entropy)

# %% [markdown]
# ### Q3（2 分）：概率上的均方误差
#
# 这正是第 05 讲第 4 节警告过的那种替代方案：概率 $p = \mathrm{softmax}(z)$ 与独热目标之间的平方距离，对各类别求和，再对样本取平均。返回损失及其对 logits 的梯度，形状为 (N, C)。梯度必须经过 softmax。


# %% nbgrader={"grade": false, "grade_id": "hw05-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mse_on_softmax(logits, labels):
    """softmax 概率与独热目标之间的均方误差及其梯度。

    参数：
        logits：形状 (N, C)。
        labels：整数类别 id，形状 (N,)。

    返回：
        tuple (loss, dlogits)：一个 float 和一个形状为 (N, C) 的数组。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", mse_on_softmax)

# %% [markdown]
# 在一个错得离谱、却又十分自信的预测上，两个梯度分别是：

# %% tags=["raises-exception"]
z, y = np.array([[12.0, -3.0, 0.5]]), np.array([1])
for name, loss_fn in [("cross-entropy", cross_entropy), ("MSE on softmax", mse_on_softmax)]:
    loss, grad = loss_fn(z, y)
    print(f"{name:15s} loss {loss:8.4f}  gradient norm {np.linalg.norm(grad):.2e}")

# %% [markdown]
# ## B 部分：训练
#
# ### Q4（2 分）：用梯度下降训练 softmax 回归
#
# 一个线性分类器，logits 为 $XW + b$，其中 $W$ 的形状为 (D, C)，$b$ 的形状为 (C,)，$C$ = `y.max() + 1`，两者都从零开始。以学习率 `lr` 训练 `steps` 步全批次梯度下降，用 `loss_fn(logits, y) -> (loss, dlogits)` 计算损失及其在 logits 处的梯度。返回 $W$、$b$，以及每一步更新之前的损失。


# %% nbgrader={"grade": false, "grade_id": "hw05-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_softmax_regression(X, y, loss_fn, lr, steps):
    """线性分类器的全批次梯度下降。

    参数：X (N, D)；y (N,)，[0, C) 中的标签；loss_fn (logits, labels) -> (loss, dlogits)；
    lr 学习率；steps 更新次数。

    返回：
        tuple (W, b, losses)：W (D, C)、b (C,)，以及每次更新之前的损失，形状 (steps,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", train_softmax_regression)

# %% [markdown]
# ## C 部分：在真实网络上，从糟糕的起点比较交叉熵与 MSE
#
# `mlp_problem(seed)` 给出一个在 600 个手写数字上的 64 → 32 → 10 ReLU 网络，它的起点很糟：输出层的偏置让每个数字都被自信地判为 0。它返回参数（一个 dict）、数字数据 `X`、`y`，以及 `network(params, X) -> (logits, backward)`，其中 `backward(dlogits)` 返回各参数的梯度（各形状见它的 docstring）。
#
# ### Q5（2 分）：实验
#
# 从这个起点出发，分别用你的 `cross_entropy` 和你的 `mse_on_softmax` 各训练一次网络：对所有参数做全批次梯度下降，使用 `EXPERIMENT` 中的 `lr` 和 `steps`。返回每种损失所达到的训练准确率（在 `X`、`y` 上），格式为一个 dict，键为 `"cross-entropy"` 和 `"MSE on softmax"`。检查会要求每个结果都落在某个阈值的正确一侧，这个阈值是在许多随机种子上测得的。


# %% nbgrader={"grade": false, "grade_id": "hw05-answer-5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bad_start_experiment(seed):
    """mlp_problem(seed) 的网络在 EXPERIMENT 的步数之后的训练准确率，每个损失一个。

    返回：
        dict {"cross-entropy": float, "MSE on softmax": float}。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q5", bad_start_experiment)

# %% [markdown]
# 下面把同样的比较换成 Q4 的线性分类器并画出来：纵轴是损失相对于起始值的比例，起点是给类别 0 的 logits 加上一个很大的常数。

# %% tags=["raises-exception"]
X, y = make_blobs(n_samples=150, centers=3, seed=0)
bad_bias = np.array([8.0, 0.0, 0.0])
for name, loss_fn in [("cross-entropy", cross_entropy), ("MSE on softmax", mse_on_softmax)]:
    shifted_loss = lambda z, t, f=loss_fn: f(z + bad_bias, t)  # noqa: E731
    W, b, losses = train_softmax_regression(X, y, shifted_loss, 0.5, 200)
    plt.plot(losses / losses[0], label=name)
plt.xlabel("step")
plt.ylabel("loss / initial loss")
plt.title("a linear classifier from a bad start")
plt.legend()
plt.show()

# %% [markdown]
# **问题（书面，2 分）。** 从这个起点出发，为什么 softmax 概率上的 MSE 毫无进展，而交叉熵却能训练下去？用两三句话回答，并用上 A 部分打印出的梯度范数。

# %% [markdown] nbgrader={"grade": false, "grade_id": "hw05-answer-6", "locked": false, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# **完成了吗？** 重启内核，运行所有单元格，确认每个 `check` 都报告所有用例通过。然后提交这个笔记本文件。
