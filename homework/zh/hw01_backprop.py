# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 作业 01 — 反向传播
#
# 在第 01 讲中，你手推了两层网络的梯度，还搭建了一个标量自动微分引擎。这次作业里，你要亲手把它们写出来，推导一个课上没有讲到的层，并在真实的手写数字上训练你的网络：
#
# | 题目 | 你要写的 | 分值 |
# |---|---|---|
# | Q1 | `affine_backward(dout, x, W)`：`out = x @ W + b` 的梯度 | 2 |
# | Q2 | `relu_backward(dout, x)`：`out = max(x, 0)` 的梯度 | 1 |
# | Q3 | `softmax_loss(scores, y)`：softmax 交叉熵及其梯度 | 2 |
# | Q4 | `two_layer_loss(params, X, y, reg)`：整个网络的损失和全部四个梯度 | 3 |
# | Q5 | `sin(x)`：为 `course_lib.autograd.Value` 新增一个运算 | 1 |
# | Q6 | `power(a, b)`：两个 `Value` 的 `a ** b` | 1 |
# | Q7 | `silu_backward(dout, x)`：先推导、再实现一个课上跳过的层 | 2 |
# | Q8 | `train_two_layer(X, y, rng)`：训练网络；用它从没见过的数字来评分 | 2 |
# | W1 | 关于 Q8 实验的书面回答（人工评分） | 2 |
#
# **怎么做。** 把每一处 `# YOUR CODE HERE` / `raise NotImplementedError` 换成你的代码，然后运行它下方的 `check(...)` 单元格。检查会在若干输入上把你的函数与 PyTorch 比较，并打印哪些用例通过了；对没通过的用例，它会打印输入、期望输出和实际输出、这看起来像是哪种错误，以及一条提示。评分只计算同类的隐藏用例（由秘密种子生成），所以只凑对了打印出来的用例的代码是得不到分的；检查认出的错误会让该题不得分。在你作答之前，用到你的函数的单元格会抛出 `NotImplementedError`；*Run All* 会越过它们继续运行。
#
# **规则。** 只能用 NumPy 和 `math`：不能用 `torch`，也不能用 `course_lib.layers` 或 `course_lib.losses`（里面就有答案）。保持函数名和参数不变。你可以添加单元格。提交之前，请运行 *Kernel → Restart and Run All*，确认每个检查都通过；评分程序也会用同样的方式，在全新的内核中运行你的笔记本。

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

from course_lib.autograd import Value
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.homework.hw01 import check, digits_split
from course_lib.plots import color, use_style

use_style()
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## A 部分：两层网络的反向过程
#
# 这个网络把形状为 (N, D) 的一批输入 `X` 映射为形状为 (N, C) 的类别分数：
#
# $$h = \mathrm{ReLU}(X W_1 + b_1), \qquad s = h W_2 + b_2, \qquad
# L = \frac{1}{N}\sum_i -\log \mathrm{softmax}(s_i)_{y_i} + \lambda\left(\lVert W_1\rVert^2 + \lVert W_2\rVert^2\right).$$
#
# 反向传播沿着这条链，从损失一路往回走到权重。每一级都接收 `dout` = ∂L/∂(它的输出)，并返回对它各个输入的梯度。
#
# ### Q1（2 分）：仿射层
#
# 这个层计算 `out = x @ W + b`，其中 `x` 的形状为 (N, D)，`W` 为 (D, M)，`b` 为 (M,)；你会收到 `dout` = ∂L/∂out，形状为 (N, M)。返回 ∂L/∂x、∂L/∂W 和 ∂L/∂b，每个梯度的形状都与它的求导对象相同。第 01 讲第 7 节（用形状匹配求矩阵梯度）说明了如何仅凭形状就确定每个乘积；偏置由全部 N 个样本共用（第 5 节）。

# %% nbgrader={"grade": false, "grade_id": "hw01-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
def affine_backward(dout, x, W):
    """仿射层 out = x @ W + b 的反向过程。

    参数：
        dout：上游梯度 dL/d(out)，形状 (N, M)。
        x：这一层的输入，形状 (N, D)。
        W：权重，形状 (D, M)。

    返回：
        tuple (dx, dW, db)，形状分别为 (N, D)、(D, M)、(M,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q1", affine_backward)

# %% [markdown]
# ### Q2（1 分）：ReLU
#
# 逐元素计算 `out = max(x, 0)`。给定 `dout` = ∂L/∂out 和输入 `x`（形状相同），返回 ∂L/∂x。在 `x` 恰好为 0 的地方，导数没有定义：请取 PyTorch 所用的值（它的 ReLU 把 0 算作未激活）。第 01 讲第 4 节演示了一个门的反向过程。

# %% nbgrader={"grade": false, "grade_id": "hw01-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_backward(dout, x):
    """out = max(x, 0)（逐元素）的反向过程。

    参数：
        dout：上游梯度，任意形状。
        x：ReLU 的输入，形状与 dout 相同。

    返回：
        dx，形状与 x 相同。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", relu_backward)

# %% [markdown]
# ### Q3（2 分）：softmax 交叉熵
#
# 对于形状为 (N, C) 的分数 `s` 和形状为 (N,) 的整数标签 `y`，损失为
#
# $$p_{ij} = \frac{e^{s_{ij}}}{\sum_k e^{s_{ik}}}, \qquad
# L = -\frac{1}{N}\sum_i \log p_{i y_i}.$$
#
# 返回 `L`（一个浮点数）和 `dscores` = ∂L/∂s，形状为 (N, C)。梯度可以自己推导，也可以参照第 01 讲第 8 节。实际的分数可能很大：`np.exp(1000.0)` 会溢出，而且有一个检查用例的分数高达几千，所以你的函数在那种情况下也必须给出有限值。

# %% nbgrader={"grade": false, "grade_id": "hw01-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_loss(scores, y):
    """平均 softmax 交叉熵损失及其梯度。

    参数：
        scores：类别分数，形状 (N, C)。
        y：[0, C) 中的整数标签，形状 (N,)。

    返回：
        tuple (loss, dscores)：一个 float 和一个形状为 (N, C) 的数组。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q3", softmax_loss)

# %% [markdown]
# ### Q4（3 分）：整个网络
#
# 把各个部件组装起来。`params` 是一个字典，包含 `W1` (D, H)、`b1` (H,)、`W2` (H, C) 和 `b2` (C,)；`reg` 就是上面损失中的 λ（惩罚项只针对权重，不针对偏置）。返回损失，以及一个梯度字典，它的键和形状都与 `params` 相同。请复用你在 Q1–Q3 中写的函数。

# %% nbgrader={"grade": false, "grade_id": "hw01-answer-4", "locked": false, "schema_version": 3, "solution": true, "task": false}
def two_layer_loss(params, X, y, reg):
    """affine -> ReLU -> affine -> softmax 损失 + L2 的损失与梯度。

    参数：
        params：dict，含 W1 (D, H)、b1 (H,)、W2 (H, C)、b2 (C,)。
        X：输入，形状 (N, D)。
        y：整数标签，形状 (N,)。
        reg：L2 强度 lambda（一个 >= 0 的 float）。

    返回：
        tuple (loss, grads)：一个 float，以及一个与 params 键相同、
        数组形状也相同的 dict。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q4", two_layer_loss)

# %% [markdown]
# ## B 部分：为标量引擎添加两个新运算
#
# `course_lib.autograd.Value` 的每个运算都是用 `Value.from_op(data, op, parents, local_rule)` 构建的。**局部规则**（local rule）接收 `g`，即最终输出对这个运算结果的梯度，并为每个父节点返回一个梯度：这就是链式法则的一步。其余的事由 `backward()` 完成，包括在一个值被用了两次时把梯度相加。以平方为例：

# %%
def square(x):
    return Value.from_op(x.data**2, "square", (x,), lambda g: (g * 2 * x.data,))


x = Value(3.0)
f = square(x) + x  # x 用了两次：df/dx = 2x + 1
f.backward()
print(f"f = {f.data:g}, df/dx = {x.grad:g} (expected {2 * 3.0 + 1:g})")

# %% [markdown]
# ### Q5（1 分）：`sin`
#
# 对一个 `Value` 类型的 `x`，写出 `sin(x)`：它返回一个新的 `Value`，其值为 `x.data` 的 $\sin$，并且接入计算图，使 `backward()` 能给 `x` 正确的梯度。检查会用它构建三个计算图：单独使用、`x` 被用了两次，以及 `sin` 套 `sin`。

# %% nbgrader={"grade": false, "grade_id": "hw01-answer-5", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sin(x):
    """一个 Value 的 sin，作为接入计算图的新 Value。

    参数：
        x：一个 Value。

    返回：
        一个 Value，其 data 为 sin(x.data)，父节点为 x。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q5", sin)

# %% [markdown]
# ### Q6（1 分）：指数为 `Value` 的 `power`
#
# 引擎的 `v ** c` 只接受常数指数。请为两个 `Value` 写出 `power(a, b)` $= a^b$（要求 `a.data > 0`），并给出对两者的梯度。先推导出两个偏导数：把它看作 `a` 的函数，它是幂函数；看作 `b` 的函数，它是指数函数。

# %% nbgrader={"grade": false, "grade_id": "hw01-answer-6", "locked": false, "schema_version": 3, "solution": true, "task": false}
def power(a, b):
    """两个 Value 的 a ** b（a.data > 0），对两者都有梯度。

    参数：
        a：底数，一个 data 为正的 Value。
        b：指数，一个 Value。

    返回：
        一个 Value，其 data 为 a.data ** b.data，父节点为 (a, b)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q6", power)

# %% [markdown]
# ## C 部分：不借助 PyTorch 检验你的梯度
#
# 上面的检查都是与 PyTorch 比较。没有参照时，就与**中心差分**（centered differences）$\partial f/\partial x_i \approx (f(x + h e_i) - f(x - h e_i)) / 2h$ 比较：它很慢（每个参数要计算两次），但除了损失本身什么都不需要。`course_lib.gradcheck.numerical_gradient` 负责计算它；`rel_error` 判断两者是否吻合（在 float64 下，低于约 1e-7 说明正确）。Q1–Q4 完成之后，这部分才能运行。

# %% tags=["raises-exception"]
N, D, H, C = 6, 5, 7, 3
params = {"W1": rng.standard_normal((D, H)), "b1": rng.standard_normal(H),
          "W2": rng.standard_normal((H, C)), "b2": rng.standard_normal(C)}
X, y = rng.standard_normal((N, D)), rng.integers(0, C, size=N)
loss, grads = two_layer_loss(params, X, y, reg=0.05)
for name in params:
    numeric = numerical_gradient(lambda _: two_layer_loss(params, X, y, 0.05)[0], params[name])
    err = rel_error(grads[name], numeric)
    print(f"{name}: relative error vs centered differences {format_bound(err, 1e-7)}")

# %% [markdown]
# 新运算也用同样的思路检验：对一个标量，在它两侧附近各求一次值。

# %% tags=["raises-exception"]
h = 1e-6
for a0, b0 in [(1.7, 2.5), (0.6, -1.5)]:
    a, b = Value(a0), Value(b0)
    power(a, b).backward()
    da = (a0 + h) ** b0 - (a0 - h) ** b0
    db = a0 ** (b0 + h) - a0 ** (b0 - h)
    print(f"a={a0}, b={b0}: rel error da {format_bound(rel_error(a.grad, da / (2 * h)), 1e-7)}, "
          f"db {format_bound(rel_error(b.grad, db / (2 * h)), 1e-7)}")

# %% [markdown]
# ### Q7（2 分）：推导一个课上跳过的层
#
# SiLU 激活函数（也叫 swish）是 $\mathrm{SiLU}(x) = x\,\sigma(x)$，逐元素计算，其中 $\sigma$ 是第 01 讲第 4 节中的 sigmoid。先在纸上推导 $d\,\mathrm{SiLU}/dx$，并只用 $\sigma(x)$ 把它写出来（不需要新的指数运算），然后实现反向过程：给定 `dout` = ∂L/∂out 和输入 `x`（形状相同），返回 ∂L/∂x。运行检查之前，先在某一点上用中心差分检验你的公式；检查之后的那个单元会在许多点上做这件事。

# %% nbgrader={"grade": false, "grade_id": "hw01-answer-7", "locked": false, "schema_version": 3, "solution": true, "task": false}
def silu_backward(dout, x):
    """out = x * sigmoid(x)（逐元素）的反向过程。

    参数：
        dout：上游梯度，任意形状。
        x：SiLU 的输入，形状与 dout 相同。

    返回：
        dx，形状与 x 相同。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q7", silu_backward)

# %% tags=["raises-exception"]
x_test = np.linspace(-6, 6, 25)


def silu(x):
    return x / (1.0 + np.exp(-x))


numeric = (silu(x_test + 1e-6) - silu(x_test - 1e-6)) / 2e-6
err = rel_error(silu_backward(np.ones_like(x_test), x_test), numeric)
print(f"silu_backward vs centered differences at 25 points: {format_bound(err, 1e-7)}")

# %% [markdown]
# ## D 部分：在手写数字上训练
#
# 网络要学习，有你的 `two_layer_loss` 就够了。`course_lib.data.load_digits` 中的 8×8 数字图像有 D = 64 个像素，取值在 [0, 1] 之间，共 C = 10 个类别。这里每个数字都经过一次小的随机形变（旋转、平移、加噪声），这样用来评判网络的数字就是谁都没见过的图像。
#
# ### Q8（2 分）：训练网络，用它从没见过的数字来评分
#
# 编写 `train_two_layer(X, y, rng)`：用训练数字 `X` (N, 64) 和标签 `y` (N,)，以小批次梯度下降训练 Q4 的两层网络（使用你的 `two_layer_loss`），并返回它的 `params`（即 Q4 中的字典，隐藏层宽度 H 任选）。所有随机数（初始权重、批次顺序）都要从 `rng` 中抽取。宽度、学习率、批次大小、轮次数和 `reg` 都由你自己选。
#
# 检查不会把你的参数与任何东西比较：它让网络预测 500 个你的函数从未收到过的形变数字的类别，并按准确率打分：达到 0.78 得满分，达到 0.65 得一半分。评分程序会在用秘密种子形变的数字上做同样的事，这些数字没有任何学生见过。训练时间请控制在大约两秒以内。

# %% nbgrader={"grade": false, "grade_id": "hw01-answer-8", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_two_layer(X, y, rng):
    """用小批次梯度下降在 (X, y) 上训练 affine -> ReLU -> affine。

    参数：
        X：训练输入，形状 (N, D)。
        y：[0, C) 中的整数标签，形状 (N,)。
        rng：numpy Generator，所有随机选择都用它。

    返回：
        params：dict，含 W1 (D, H)、b1 (H,)、W2 (H, C)、b2 (C,)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q8", train_two_layer)

# %% [markdown]
# 现在就在检查所用的划分上，测一测检查所测的东西：`digits_split()` 返回检查用过的 1297 个形变训练数字和 500 个留出数字。在训练数字上训练网络，然后比较它在这些数字上的准确率和在留出数字上的准确率，先看总体，再逐个数字看。

# %% tags=["raises-exception"]
def accuracy(params, X, y):
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return np.mean(np.argmax(hidden @ params["W2"] + params["b2"], axis=1) == y)


X_train, y_train, X_held, y_held = digits_split()
trained = train_two_layer(X_train, y_train, np.random.default_rng(0))
print(f"training accuracy {accuracy(trained, X_train, y_train):.2f}, "
      f"held-out accuracy {accuracy(trained, X_held, y_held):.2f}")
digits = np.arange(10)
sets = [(X_train, y_train, "train"), (X_held, y_held, "validation")]
for offset, (X, y, label) in enumerate(sets):
    per_digit = [accuracy(trained, X[y == d], y[y == d]) for d in digits]
    plt.bar(digits + 0.4 * offset - 0.2, per_digit, width=0.4, color=color(label),
            label="training digits" if label == "train" else "held-out digits")
plt.xticks(digits)
plt.xlabel("digit")
plt.ylabel("accuracy")
plt.title("accuracy digit by digit: the digits it trained on, and new ones")
plt.legend()
plt.show()

# %% [markdown]
# **问题 W1（2 分，书面作答，人工评分）。** 比较上面打印出的两个准确率，以及图中两者之间的差距。这个差距说明了你的网络的什么情况？为什么要用网络从没见过的数字、而不是它的训练数字来给它评分？请在下面的单元格里用两三句话回答。

# %% [markdown] nbgrader={"grade": false, "grade_id": "hw01-answer-9", "locked": false, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# **完成了吗？** 重启内核，运行所有单元格，确认每个 `check` 都报告所有用例通过。然后提交这个笔记本文件。
