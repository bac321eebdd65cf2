# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 作业 06 — 批次标准化
#
# 第 06 讲在网络内部对激活值做了标准化。在这份作业里，你要实现批次标准化（训练和推理两种前向过程，以及一个由你自己推导的反向过程），每一部分都要与 `torch.nn.BatchNorm1d` 的结果一致；然后重做 CS231n 的一项研究：面对选得很糟的权重初始化尺度，BN 能在多大程度上保护深层网络？
#
# | 题目 | 你要写的函数 | 分值 |
# |---|---|---|
# | Q1 | `batchnorm_train(x, gamma, beta, running_mean, running_var)` | 3 |
# | Q2 | `batchnorm_eval(x, gamma, beta, running_mean, running_var)` | 2 |
# | Q3 | `batchnorm_backward(dout, x, gamma)`：先推导，再实现 | 4 |
# | Q4 | `running_statistics(batches)` | 1 |
# | Q5 | `init_scale_study(seed)`：在不同初始化尺度下，有 BN 与无 BN 对比 | 2 |
#
# D 部分还有一道书面题（2 分）。全程使用 PyTorch 的默认值 `eps = 1e-5` 和滑动平均系数 `momentum = 0.1`。
#
# **怎么做。** 把每一处 `# YOUR CODE HERE` / `raise NotImplementedError` 换成你的代码，然后运行它下方的 `check(...)` 单元格：它会把你的函数与 PyTorch 对比，并指出它能识别出的错误。评分只计算同类的隐藏用例，检查认出的错误会让该题不得分。
#
# **规则。** 只能使用 NumPy：不能用 `torch`，也不能用 `course_lib.layers`（里面就有答案）。保持函数名和参数不变。提交之前，请运行 *Kernel → Restart and Run All*。

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
from course_lib.homework.hw06 import EXPERIMENT, check, train_network
from course_lib.plots import color, use_style

EPS, MOMENTUM = 1e-5, 0.1
use_style()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## A 部分：前向过程
#
# ### Q1（3 分）：训练模式
#
# 对于形状为 (N, D) 的批次 `x`，返回 `BatchNorm1d` 在训练模式下返回和存储的内容：一是输出 (N, D)，即先用该批次的统计量对每个特征做标准化，再用 `gamma` 缩放、用 `beta` 平移；二是处理完这个批次之后的滑动均值和滑动方差 (D,)。第 06 讲第 3 节讲了前向过程，第 5 节讲了滑动统计量。有一个细节要弄对：哪个方差用在哪里（存储的是*无偏*方差）。统计量请返回新的数组（不要依赖原地更新）。


# %% nbgrader={"grade": false, "grade_id": "hw06-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_train(x, gamma, beta, running_mean, running_var):
    """训练模式下的批次标准化。

    参数：
        x：批次，形状 (N, D)，N >= 2。
        gamma, beta：缩放和平移，形状 (D,)。
        running_mean, running_var：这个批次之前的滑动统计量，形状 (D,)。

    返回：
        tuple (out, running_mean, running_var)：out (N, D) 和更新后的统计量 (D,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", batchnorm_train)

# %% [markdown]
# ### Q2（2 分）：评估模式
#
# 对于形状为 (N, D) 的输入（N >= 1 任意），返回 `BatchNorm1d` 在评估模式下的输出（第 06 讲第 5 节：推理时，一个预测不能取决于和它同在一个批次里的是哪些样本）。


# %% nbgrader={"grade": false, "grade_id": "hw06-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_eval(x, gamma, beta, running_mean, running_var):
    """评估模式下的批次标准化。

    参数：
        x：输入，形状 (N, D)（任意 N >= 1）。
        gamma, beta：缩放和平移，形状 (D,)。
        running_mean, running_var：滑动统计量，形状 (D,)。

    返回：
        out，形状 (N, D)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", batchnorm_eval)

# %% [markdown]
# ## B 部分：推导反向过程
#
# ### Q3（4 分）
#
# 给定训练模式输出的上游梯度 `dout` $= \partial L/\partial y$ (N, D)，返回 $\partial L/\partial x$ (N, D)、$\partial L/\partial \gamma$ (D,) 和 $\partial L/\partial \beta$ (D,)。
#
# 1. 先在纸上推导：把前向过程写成一张图，$x \to \mu_B,\ \sigma^2_B \to \hat x \to
#    y$。每个 $x_i$ 都经由 $\mu_B$ 和 $\sigma^2_B$ 到达它所在列的每一个 $y_j$，
#    所以要逐个节点往回推，并在路径汇合的地方把梯度相加（第 01 讲：分叉处求和）。一直化简到 $\partial L/\partial x$ 只用 $\hat x$、$\sigma$ 和对批次的求和来表示为止：不能有对样本的循环。
# 2. 实现你的结果。检查会把它与自动微分的结果对比；紧接着的下一个单元格还会用中心差分再检查一次。


# %% nbgrader={"grade": false, "grade_id": "hw06-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_backward(dout, x, gamma):
    """训练模式下批次标准化的梯度。

    参数：
        dout：上游梯度，形状 (N, D)。
        x：前向过程的输入，形状 (N, D)。
        gamma：缩放，形状 (D,)。

    返回：
        tuple (dx, dgamma, dbeta)，形状分别为 (N, D)、(D,)、(D,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", batchnorm_backward)

# %% [markdown]
# 不借助 PyTorch 的同一项检查：对一个随机的 $d$，计算 $L = \sum y \cdot d$ 的中心差分；它关于 $x$ 的梯度，正好就是 `batchnorm_backward` 应当返回的结果。

# %% tags=["raises-exception"]
x, gamma, beta = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal(4)
dout = rng.standard_normal((6, 4))
dx, dgamma, dbeta = batchnorm_backward(dout, x, gamma)
loss = lambda: np.sum(batchnorm_train(x, gamma, beta, np.zeros(4), np.ones(4))[0] * dout)  # noqa: E731
for name, array, analytic in [("x", x, dx), ("gamma", gamma, dgamma), ("beta", beta, dbeta)]:
    err = rel_error(analytic, numerical_gradient(lambda _: loss(), array))
    print(f"d{name}: relative error vs centered differences {format_bound(err, 1e-7)}")

# %% [markdown]
# ## C 部分：滑动统计量
#
# ### Q4（1 分）
#
# 返回一个新建的 `BatchNorm1d` 在训练模式下依次处理完 `batches` 之后所持有的滑动均值和滑动方差（形状各为 (D,)）。起始值与 PyTorch 相同。


# %% nbgrader={"grade": false, "grade_id": "hw06-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def running_statistics(batches):
    """一串训练批次之后的滑动均值和滑动方差。

    参数：
        batches：数组的 list，每个形状为 (N, D)。

    返回：
        tuple (running_mean, running_var)，每个形状为 (D,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", running_statistics)

# %% [markdown]
# 滑动统计量以几何级数的速度逼近数据真实的均值和方差；这个单元格打印出在均值为 2、方差为 9 的数据上经过 1、10 和 60 个批次之后的结果。

# %% tags=["raises-exception"]
batches = [2.0 + 3.0 * rng.standard_normal((32, 1)) for _ in range(60)]
for k in [1, 10, 60]:
    mean, var = running_statistics(batches[:k])
    print(f"after {k:2d} batches: running mean {mean[0]:.3f}, running var {var[0]:.3f}")

# %% [markdown]
# ## D 部分：BN 与权重初始化尺度
#
# `train_network(seed, weight_scale, batchnorm)` 在手写数字数据上用全批次梯度下降训练一个 64 → 32 → 32 → 32 → 10 的 ReLU 网络，每个权重都按标准差 `weight_scale` 随机抽取，并返回最后一步的训练准确率。传入 `batchnorm=(batchnorm_train, batchnorm_backward)` 时，每个隐藏层都在 ReLU 之前用你的函数做标准化；传入 `batchnorm=None` 时，就是普通的网络。
#
# ### Q5（2 分）：这项研究
#
# 对 `EXPERIMENT["scales"]` 中的每个尺度（按顺序），用你的 BN 训练一次，不用 BN 再训练一次。返回一个以 `"bn"` 和 `"no bn"` 为键的字典，每个值都是一个准确率数组，每个尺度对应一个准确率。检查要求这些结果落在阈值正确的一侧，这些阈值是在多个种子上测出来的。


# %% nbgrader={"grade": false, "grade_id": "hw06-answer-5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def init_scale_study(seed):
    """有 BN 和没有 BN 时的训练准确率，EXPERIMENT["scales"] 的每个尺度一个。

    返回：
        dict {"bn": array (len(scales),), "no bn": array (len(scales),)}。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q5", init_scale_study)

# %% [markdown]
# 用一张图展示这项研究：在每个权重尺度下，使用和不使用 BN 时的训练准确率。

# %% tags=["raises-exception"]
study = init_scale_study(0)
for key, label in [("bn", "with BN"), ("no bn", "without BN")]:
    plt.plot(EXPERIMENT["scales"], study[key], "o-", color=color(key), label=label)
plt.xscale("log")
plt.xlabel("standard deviation of the initial weights")
plt.ylabel(f"training accuracy after {EXPERIMENT['steps']} steps")
plt.title("BN makes the initial weight scale almost irrelevant")
plt.legend()
plt.show()

# %% [markdown]
# **问题（书面题，2 分）。** 为什么普通网络在最小和最大的权重尺度下都会失败，而带 BN 的网络在所有尺度下都能训练？请用三四句话回答，从激活值逐层的大小入手。

# %% [markdown] nbgrader={"grade": false, "grade_id": "hw06-answer-6", "locked": false, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# **完成了吗？** 重启内核，运行所有单元格，确认每个 `check` 都报告所有用例通过。然后提交这个笔记本文件。
