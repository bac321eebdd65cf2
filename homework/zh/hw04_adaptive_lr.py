# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 作业 04 — 自适应学习率
#
# 第 04 讲给每个参数配上了各自的步长，并让全局步长随时间变化。在本次作业中，你要写出 RMSProp，修好一个有错误的 Adam，写出预热 + 余弦调度，然后用它们在一个只有预热才行得通的学习率下训练一个小网络。
#
# | 题目 | 你要写的内容 | 分值 |
# |---|---|---|
# | Q1 | `rmsprop_step(theta, grad, square_avg, lr, alpha, eps)` | 2 |
# | Q2 | `adam_step(theta, grad, m, v, t, lr, betas, eps)`：找出并修复一份草稿中的错误 | 4 |
# | Q3 | `warmup_cosine_lr(step, lr, warmup_steps, total_steps)` | 2 |
# | Q4 | `train_adam(seed, lr, warmup_steps, steps)`：在小网络上用 Adam 训练 | 2 |
# | Q5 | `warmup_experiment(seeds)`：在高学习率下分别做有预热和无预热的训练 | 2 |
#
# C 部分还有一道书面题（2 分，由任课老师批阅）。
#
# **怎么做。** 把每一处 `# YOUR CODE HERE` / `raise NotImplementedError` 换成你的代码，然后运行它下方的 `check(...)` 单元格。优化器的检查会在一个简单的示例曲面上把你的单步函数执行 40 步，并把整条路径与 `torch.optim` 比较；调度的检查会把每一步都与 `torch.optim.lr_scheduler` 比较。检查不通过时，会指出它识别出的错误。评分只计算同类的隐藏用例，检查认出的错误会让该题不得分。
#
# **规则。** 只能使用 NumPy 和 `math`：不能用 `torch`，也不能用 `course_lib.optim` 或 `course_lib.schedules`（它们里面就有答案）。保持函数名和参数不变；你可以添加单元格。提交之前，请运行 *Kernel → Restart and Run All*。

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

from course_lib.homework.hw04 import EXPERIMENT, check, network_problem
from course_lib.plots import color, use_style

use_style()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## A 部分：自适应优化器
#
# ### Q1（2 分）：RMSProp
#
# 按照 `torch.optim.RMSprop` 的做法（不带动量，也不是 centered 版本）写出 RMSProp 的一步：返回新的梯度平方移动平均和新的参数。第 04 讲第 3 节给出了更新公式；`eps` 的位置要与 PyTorch 一致。所有数组的形状都是 (n,)。


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rmsprop_step(theta, grad, square_avg, lr, alpha, eps):
    """RMSProp 的一步（不带动量、不做中心化的 torch.optim.RMSprop）。

    参数：
        theta：参数，形状 (n,)。
        grad：theta 处的梯度，形状 (n,)。
        square_avg：梯度平方的移动平均，形状 (n,)（开始时为零）。
        lr：学习率。
        alpha：[0, 1) 中的平滑常数，即过去的权重。
        eps：加在分母上。

    返回：
        这一步之后的 tuple (theta, square_avg)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", rmsprop_step)

# %% [markdown]
# ### Q2（4 分）：找出并修复 Adam 草稿中的错误
#
# 一位同学写了下面这份草稿。它能运行，第一步甚至看起来也说得过去，但几步之后，它的路径就偏离了 `torch.optim.Adam` 的路径。其中有*三个*错误。请对照第 04 讲第 3 节的更新公式把它们找出来（哪些量必须作为状态保存？哪个修正对应哪个平均？`eps` 应该放在哪里？），然后写出一个参数相同、正确的 `adam_step`。检查会告诉你还剩下哪个错误（如果还有的话）。


# %%
def adam_step_draft(theta, grad, m, v, t, lr, betas, eps):
    """Adam 一步的草稿。它与 torch.optim.Adam 不一致：找出它的三个错误。"""
    b1, b2 = betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad * grad
    m = m / (1 - b1**t)
    v_hat = v / (1 - b1**t)
    return theta - lr * m / np.sqrt(v_hat + eps), m, v


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam_step(theta, grad, m, v, t, lr, betas, eps):
    """Adam 的一步（不带权重衰减或 amsgrad 的 torch.optim.Adam）。

    参数：
        theta, grad：参数和那里的梯度，形状 (n,)。
        m, v：一阶和二阶矩估计，形状 (n,)（开始时为零）。
        t：步数，从 1 开始。
        lr, betas, eps：学习率、(beta1, beta2)、加在分母上的数。

    返回：
        这一步之后的 tuple (theta, m, v)：m 和 v 是下一步的状态。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", adam_step)

# %% [markdown]
# ## B 部分：预热 + 余弦
#
# ### Q3（2 分）：调度
#
# 返回第 04 讲第 5 节用 PyTorch 的 `SequentialLR` 搭建的那个调度在第 `step` 步（k = 0, 1, …）的学习率：先是 `start_factor=1/3`、持续 `warmup_steps` 步的 `LinearLR` 预热，然后是在 `total_steps` 时降到 0 的 `CosineAnnealingLR`。你的函数还应接受 `warmup_steps = 0`：这时它就只是余弦衰减，第 0 步时为 `lr`（Q4 中不预热的训练会用到这一点）。


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def warmup_cosine_lr(step, lr, warmup_steps, total_steps):
    """线性预热加余弦衰减在第 ``step`` 步的学习率。

    参数：
        step：步数 k >= 0。
        lr：峰值学习率，在 k = warmup_steps 时达到。
        warmup_steps：w >= 0（0：不预热）。
        total_steps：T > w，学习率在这一步降到 0。

    返回：
        学习率，一个 float。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", warmup_cosine_lr)

# %% tags=["raises-exception"]
steps = np.arange(101)
plt.plot(steps, [warmup_cosine_lr(k, 0.1, 10, 100) for k in steps], color=color("warm-up"))
plt.xlabel("step k")
plt.ylabel("learning rate")
plt.title("warm-up for 10 steps, then cosine decay to step 100")
plt.show()

# %% [markdown]
# ## C 部分：在小网络上预热
#
# `network_problem(seed)` 在 1797 张手写数字上搭建一个 64 → 64 → 10 的 ReLU 网络，并交给你三样东西：它的参数（一个由数组组成的 dict）；`batch_loss(params, t)`，返回第 `t` = 1, 2, … 个小批次（每批 32 张数字）上的损失和梯度，梯度是一个键相同的 dict；以及 `full_loss(params)`，返回全部数字上的损失。它的 docstring 给出了各个数组的形状。
#
# ### Q4（2 分）：用你的 Adam 和你的调度训练它
#
# 用你的 `adam_step`（采用 PyTorch 默认的 betas 和 eps），按照你的 `warmup_cosine_lr` 给出的学习率（峰值为 `lr`，`total_steps = steps`），把 `network_problem(seed)` 得到的网络训练 `steps` 个小批次步。返回各个小批次上的损失（形状为 (steps,)）以及训练结束时的全量损失。每一步都要更新每一个参数数组。


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_adam(seed, lr, warmup_steps, steps):
    """在 network_problem(seed) 上用预热 + 余弦的 Adam：返回 (losses (steps,), final_loss)。"""
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", train_adam)

# %% [markdown]
# ### Q5（2 分）：实验
#
# `EXPERIMENT` 中存放着一个远高于 Adam 默认值的峰值学习率、一个预热长度和一个步数。对 `seeds` 中的每个种子，以相同的峰值学习率训练两次：一次不预热（`warmup_steps = 0`），一次带预热。返回一个 dict，键为 `"no warm-up"` 和 `"warm-up"`，每个键对应一个由最终全量损失组成的数组，每个种子一个值。检查要求两者的中位数各自落在某个阈值的正确一侧，这个阈值是在大量种子上测出来的。


# %% nbgrader={"grade": false, "grade_id": "hw04-answer-5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def warmup_experiment(seeds):
    """Adam 在 EXPERIMENT 的峰值学习率下、不预热和预热时的最终完整损失。

    返回：
        dict {"no warm-up": array (len(seeds),), "warm-up": array (len(seeds),)}。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q5", warmup_experiment)

# %% [markdown]
# 最初几步是两次训练差别最大的地方：在第 1 步，每个坐标移动的距离与初始权重的大小相比如何？

# %% tags=["raises-exception"]
params, batch_loss, _ = network_problem(0)
loss, grads = batch_loss(params, 1)
W0 = params["W0"]
for name, warmup in (("no warm-up", 0), ("warm-up", EXPERIMENT["warmup"])):
    rate = warmup_cosine_lr(0, EXPERIMENT["lr"], warmup, EXPERIMENT["steps"])
    moved, _, _ = adam_step(W0, grads["W0"], 0 * W0, 0 * W0, 1, rate, (0.9, 0.999), 1e-8)
    print(f"{name:10s}: step 1 moves W0 by {np.abs(moved - W0).max():.3f} at most")
print(f"initial |W0| entries: median {np.median(np.abs(W0)):.3f}")

# %% [markdown]
# **问题（书面作答，2 分）。** 为什么在这个学习率下，不预热的训练会失败，而带预热的训练却能正常训练？请结合上面打印的第一步大小和第 04 讲第 5 节，用三四句话回答。

# %% [markdown] nbgrader={"grade": false, "grade_id": "hw04-answer-6", "locked": false, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# **完成了吗？** 重启内核，运行所有单元格，确认每个 `check` 都报告所有用例通过。然后提交这个笔记本文件。
