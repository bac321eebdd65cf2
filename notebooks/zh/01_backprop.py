# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 第 01 讲 — 反向传播
#
# 训练一个网络，就是让它的参数 θ 沿着损失 $L$ 的梯度的反方向移动。一个网络有几千到几十亿个参数，所以这一讲要回答的问题是：**怎样一次求出损失对所有参数的偏导数，既省时又不出错**？答案就是**反向传播**（backpropagation）：先做一次前向过程，把中间值存下来；再做一次反向过程，从输出开始，把链式法则一路应用回每一个参数。我们先在小的计算图上手算，然后用大约四十行代码*亲手搭建*一个标量自动微分引擎，用它训练一个小网络，最后测量一下：存下前向过程的结果，在时间上省了多少，在内存上又花了多少。
#
# 1. 线性模型、穷举搜索与梯度下降
# 2. 为什么层与层之间需要非线性
# 3. 计算图：前向过程与反向过程
# 4. 把神经元看成由门组成的电路
# 5. 搭建引擎：四十行代码写出 `Value`
# 6. 用这个引擎训练一个小网络
# 7. 用形状匹配求矩阵梯度
# 8. 两层网络：手算反向过程
# 9. 数值梯度：调试时的参照
# 10. 为什么框架要存下前向过程的激活值：时间与内存
# 11. PyTorch 的视角：`requires_grad`、`.backward()`、`.grad`
# 12. 课程库中的版本
# 13. 题外话：平滑带噪声的损失曲线
# 14. 要点、练习与作业

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %% tags=["language"]
from course_lib.language import set_language

set_language("zh")

# %%
import functools
import math
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint_sequential

from course_lib import autograd, data, layers, losses, plots, saved_tensors
from course_lib.gradcheck import format_bound, numerical_gradient, rel_error
from course_lib.training import set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
plots.use_style()
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. 线性模型、穷举搜索与梯度下降
#
# 从最小的学习问题开始：三个点 $(x, y) = (1, 2), (2, 4), (3, 6)$，以及**线性模型**（linear model）$\hat y = w x + b$。一组 $(w, b)$ 好不好，我们用**均方误差**（mean squared error，MSE）来评判，也就是损失
#
# $$L(w, b) = \frac{1}{N}\sum_{n=1}^{N} (\hat y_n - y_n)^2 = \frac{1}{N}\sum_{n=1}^{N} (w x_n + b - y_n)^2 .$$
#
# 最笨的训练方法是**穷举搜索**（exhaustive search，也叫穷举法）：在候选值组成的网格上逐一计算损失，留下最好的那一组。这里用 41 × 41 个组合的网格就够了。

# %%
x_data = np.array([1.0, 2.0, 3.0])
y_data = np.array([2.0, 4.0, 6.0])


def cost(w, b):
    """MSE of the model y_hat = w * x + b on the three points."""
    return np.mean((w * x_data + b - y_data) ** 2)


ws, bs = np.linspace(0.0, 4.0, 41), np.linspace(-2.0, 2.0, 41)
grid = np.array([[cost(w, b) for b in bs] for w in ws])
i, j = np.unravel_index(grid.argmin(), grid.shape)
print(f"best of {grid.size} pairs: w = {ws[i]:.1f}, b = {bs[j]:.1f}, loss = {grid[i, j]:.4f}")

# %% [markdown]
# 固定 $b$ 的三个取值，损失作为 $w$ 的函数都是一条抛物线。最低点落在 $b = 0$ 的那条曲线上，它就是答案。两个参数时，穷举搜索还行得通；如果有一百万个参数，每个轴取 41 个值的网格就会有 $41^{10^6}$ 个点。

# %%
fig, ax = plt.subplots()
for k, shade in zip((10, 20, 30), plots.shades(3), strict=True):  # b = -1, 0, 1
    ax.plot(ws, grid[:, k], color=shade, label=f"b = {bs[k]:.0f}")
ax.plot(ws[i], grid[i, j], "o", color=plots.color("minimum"), label="best grid point")
ax.set(xlabel="w", ylabel="loss (MSE)", title="Exhaustive search: loss against w")
ax.legend()
plt.show()

# %% [markdown]
# **梯度下降**（gradient descent）不再用网格，而是一步一步往山下走。损失的导数是
#
# $$\frac{\partial L}{\partial w} = \frac{2}{N}\sum_n (\hat y_n - y_n)\,x_n, \qquad
# \frac{\partial L}{\partial b} = \frac{2}{N}\sum_n (\hat y_n - y_n),$$
#
# 每一步都以**学习率**（learning rate）$\eta$ 沿着它们的反方向移动：$w \leftarrow w - \eta\,\partial L/\partial w$，$b$ 也一样。我们先在任意一点用**中心差分**（centered difference）$(f(w + h) - f(w - h)) / 2h$ 检验这两个公式（第 9 节会详细讲这种检验）。


# %%
def grad_cost(w, b):
    """(dL/dw, dL/db) of the MSE above."""
    residual = w * x_data + b - y_data
    return np.array([2 * np.mean(residual * x_data), 2 * np.mean(residual)])


point = np.array([0.5, 0.3])
numeric = numerical_gradient(lambda p: cost(p[0], p[1]), point)
err = rel_error(grad_cost(*point), numeric)
print(f"analytic gradient {grad_cost(*point)}, numerical {numeric}")
print(f"relative error: {format_bound(err, 1e-7)}")
assert err < 1e-7

# %% [markdown]
# 现在从 $w = b = 0$ 出发，分别用三个学习率跑梯度下降。如果 $\eta$ 太大，每一步都会越过谷底，而且越过之后离谷底比出发时还远，损失就会*发散*。对这个二次的损失，上限是 $\eta < 2/\lambda_{\max}$，其中 $\lambda_{\max}$ 是最大的曲率（即海森矩阵的最大特征值，见第 02 讲）。


# %%
def gradient_descent(eta, epochs=60):
    """Full-batch gradient descent from w = b = 0; returns (w, b, loss per epoch)."""
    w, b, costs = 0.0, 0.0, []
    for _ in range(epochs):
        costs.append(cost(w, b))
        dw, db = grad_cost(w, b)
        w, b = w - eta * dw, b - eta * db
    return w, b, costs


runs = {eta: gradient_descent(eta) for eta in (0.02, 0.15, 0.25)}
hessian = 2 / 3 * np.array([[np.sum(x_data**2), np.sum(x_data)], [np.sum(x_data), 3.0]])
print(f"largest stable learning rate 2 / lambda_max = {2 / np.linalg.eigvalsh(hessian).max():.3f}")
for eta, (w, b, costs) in runs.items():
    print(f"eta = {eta}: w = {w:.4g}, b = {b:.4g}, loss after 60 epochs = {costs[-1]:.3g}")

# %%
curves = {f"eta = {eta}": costs for eta, (_, _, costs) in runs.items()}
loss_title = "Gradient descent: a too-large learning rate diverges"
plots.loss_curves(curves, ylabel="loss (MSE)", logy=True, title=loss_title)
plt.show()

# %% [markdown]
# $\eta$ 小虽然安全，但是慢；$\eta = 0.15$ 很快就接近最小值；$\eta = 0.25$ 超过了上面打印出的上限，损失每个轮次都按固定的倍数增大。训练失败时，首先要看的就是损失曲线是不是在往上走。
#
# ## 2. 为什么层与层之间需要非线性
#
# 网络是一串层。如果每一层都只是线性的（仿射变换 $W x + b$），这一串层就会坍缩成一层：
#
# $$W_2 (W_1 x + b_1) + b_2 = \underbrace{W_2 W_1}_{W}\, x + \underbrace{W_2 b_1 + b_2}_{b} = W x + b .$$
#
# 这样一来，加深网络毫无用处。用数值来验证一下（样本作为 $X$ 的列）：

# %%
W1, b1 = rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
W2, b2 = rng.standard_normal((2, 4)), rng.standard_normal((2, 1))
X = rng.standard_normal((3, 5))  # 5 examples, 3 features each
two_layers = W2 @ (W1 @ X + b1) + b2
W, b = W2 @ W1, W2 @ b1 + b2
with_relu = W2 @ np.maximum(W1 @ X + b1, 0.0) + b2
diff = np.max(np.abs(two_layers - (W @ X + b)))
print(f"max |two linear layers - one layer Wx + b|: {format_bound(diff, 1e-12)}")
print(f"the same with a ReLU in between:          {np.max(np.abs(with_relu - (W @ X + b))):.4f}")
assert diff < 1e-12

# %% [markdown]
# 在层与层之间加上激活函数（ReLU、sigmoid σ、tanh），就能打破这种坍缩；正因为如此，深层网络的表达能力才比线性模型强。
#
# ## 3. 计算图：前向过程与反向过程
#
# **计算图**（computational graph）把一个计算写成由运算连接起来的节点（值）。以一个神经元的某个权重为例：这个神经元激活前的加权和为 $z = w_1 x_1 + w_2 x_2 + b$，激活值为 $a = \sigma(z)$。由链式法则，$\dfrac{\partial L}{\partial w_1} = \dfrac{\partial z}{\partial w_1}\,\dfrac{\partial L}{\partial z}$。
#
# - **前向过程**（forward pass）：$\partial z/\partial w_1 = x_1$，也就是这一层的*输入*。前向计算一到达这个神经元，它就已经知道了。
# - **反向过程**（backward pass）：$\partial L/\partial z$ 取决于这个神经元之后的所有计算。假设 $a$ 接到两个神经元 $z' = w_3 a + b'$ 和 $z'' = w_4 a + b''$，那么
#
# $$\frac{\partial L}{\partial z} = \sigma'(z)\left[w_3 \frac{\partial L}{\partial z'} + w_4 \frac{\partial L}{\partial z''}\right].$$
#
# 这是一个*递归*：只要知道了 $\partial L/\partial z'$ 和 $\partial L/\partial z''$，就能得到 $\partial L/\partial z$。所以我们从输出开始往回走，一层一层地算，并重复利用前向过程中存下的值。我们在下面这个网络上验证一下：
#
# ```
# x1, x2 ──> z ─σ─> a ──w3──> z'  ─σ─> y'   ──┐
#                     └──w4──> z'' ─σ─> y''  ──┴──> L = ½[(y' − t')² + (y'' − t'')²]
# ```


# %%
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


x1, x2, t1, t2 = 1.0, -2.0, 1.0, 0.0  # inputs and targets
p = {"w1": 0.5, "w2": -0.3, "b": 0.1, "w3": 0.8, "w4": -1.2, "b3": 0.2, "b4": -0.1}
# forward pass: store every z and a
z = p["w1"] * x1 + p["w2"] * x2 + p["b"]
a = sigmoid(z)
z_p, z_pp = p["w3"] * a + p["b3"], p["w4"] * a + p["b4"]  # z' and z''
y_p, y_pp = sigmoid(z_p), sigmoid(z_pp)
loss_small = 0.5 * ((y_p - t1) ** 2 + (y_pp - t2) ** 2)
print(f"z = {z:.4f}, a = {a:.4f}, z' = {z_p:.4f}, z'' = {z_pp:.4f}, L = {loss_small:.4f}")

# %% [markdown]
# 反向过程：先算输出层（$\partial L/\partial z' = \sigma'(z')\,(y' - t')$，其中 $\sigma'(z) = \sigma(z)(1 - \sigma(z))$），再做递归，最后每个权重的梯度 =（它所在层的输入）×（它所属神经元的 $\partial L/\partial z$）。PyTorch 的 `torch.autograd` 必须给出同样的结果：

# %%
dL_dz_p = y_p * (1 - y_p) * (y_p - t1)
dL_dz_pp = y_pp * (1 - y_pp) * (y_pp - t2)
dL_dz = a * (1 - a) * (p["w3"] * dL_dz_p + p["w4"] * dL_dz_pp)  # the recursion
by_hand = {
    "w1": x1 * dL_dz, "w2": x2 * dL_dz, "b": dL_dz,
    "w3": a * dL_dz_p, "w4": a * dL_dz_pp, "b3": dL_dz_p, "b4": dL_dz_pp,
}  # fmt: skip
print("by hand: " + ", ".join(f"dL/d{k} = {v:.5f}" for k, v in by_hand.items()))
tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
a_t = torch.sigmoid(tp["w1"] * x1 + tp["w2"] * x2 + tp["b"])
y_p_t = torch.sigmoid(tp["w3"] * a_t + tp["b3"])
y_pp_t = torch.sigmoid(tp["w4"] * a_t + tp["b4"])
(0.5 * ((y_p_t - t1) ** 2 + (y_pp_t - t2) ** 2)).backward()
err = max(abs(by_hand[k] - tp[k].grad.item()) for k in p)
print(f"max |recursion by hand - torch.autograd| over the 7 parameters: {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# ## 4. 把神经元看成由门组成的电路
#
# 一个有两个输入的神经元计算 $f = \sigma(w_0 x_0 + w_1 x_1 + w_2)$：加权和加上偏置 $w_2$，再取 sigmoid。沿用 CS231n 讲义里的例子，$w = (2, -3, -3)$，$x = (-1, -2)$，把 $f$ 拆成一个个**门**（gate）。门是基本运算，每个门都有一个**局部导数**（local derivative），它只用到这个门自己的输入和输出：
#
# | 门 | 前向 | 局部导数 |
# |---|---|---|
# | 两个乘法 | $p_0 = w_0 x_0$，$p_1 = w_1 x_1$ | $\partial p_0/\partial w_0 = x_0$，$\partial p_0/\partial x_0 = w_0$（$p_1$ 同理） |
# | 求和 | $s = p_0 + p_1 + w_2$ | 对每个输入都是 $1$ |
# | 取负 | $n = -s$ | $-1$ |
# | 指数 | $e = \exp(n)$ | $e$（即存下的输出） |
# | 加一 | $d = 1 + e$ | $1$ |
# | 倒数 | $f = 1 / d$ | $-1/d^2$ |
#
# 反向过程从 $\partial f/\partial f = 1$ 开始，从输出往输入逐个乘上局部导数。求和之后的五个门合起来的导数是 $\sigma'(s) = \sigma(s)(1 - \sigma(s))$，下面的单元格会验证这一点。先手算：

# %%
w0, w1, w2, x0, x1 = 2.0, -3.0, -3.0, -1.0, -2.0
s = w0 * x0 + w1 * x1 + w2  # forward pass, keeping every intermediate value
n = -s
e = math.exp(n)
d = 1.0 + e
f = 1.0 / d
df_dd = -1.0 / d**2  # backward pass, from the output to the inputs
df_de = df_dd * 1.0
df_dn = df_de * e
df_ds = df_dn * -1.0  # the sum gate hands this on to each of its three inputs
by_hand = {"w0": df_ds * x0, "w1": df_ds * x1, "w2": df_ds, "x0": df_ds * w0, "x1": df_ds * w1}
print(f"f = {f:.4f}, df/ds = {df_ds:.4f}, sigma(s)(1 - sigma(s)) = {f * (1 - f):.4f}")
print("by hand: " + ", ".join(f"df/d{k} = {v:.3f}" for k, v in by_hand.items()))
assert abs(df_ds - f * (1 - f)) < 1e-12

# %% [markdown]
# ## 5. 搭建引擎：四十行代码写出 `Value`
#
# 每个门都做了两件事：计算自己的输出（前向），并记住自己的局部导数，以便之后应用它的**局部规则**（local rule）：把*上游梯度 × 局部导数*传回给每个输入。自动微分引擎对每个运算都自动做这件事。我们的 `Value` 包装一个数。每个运算都返回一个新的 `Value`，里面存着它的 `parents`（操作数）和 `local_grads`（$\partial\,\text{结果}/\partial\,\text{操作数}$）。普通的数也会被包装成 `Value`，所以 `2 * v` 和 `v + 1` 都能用。先有三种运算（`+`、`*`、`tanh`）就够了：


# %%
class Value:
    """A number that remembers how it was computed: its parents and d(self)/d(parent)."""

    def __init__(self, data, parents=(), local_grads=()):
        self.data, self.grad = float(data), 0.0
        self.parents, self.local_grads = parents, local_grads

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    __radd__, __rmul__ = __add__, __mul__  # for 2 + v and 2 * v


# %% [markdown]
# 反向过程需要一个顺序，让每个节点都排在它的父节点之后：这就是**拓扑排序**（topological order），从输出出发做一次深度优先遍历就能得到。`backward` 先令 $\partial\,\text{out}/\partial\,\text{out} = 1$，再按逆序访问这个顺序里的节点。每个节点把 `local * node.grad` 传给它的每个父节点：沿着一条链，局部导数是*相乘*的。如果一个值被用了两次（即**分叉**，fork），`+=` 就把沿每条路径传来的梯度*相加*。简而言之：*分叉相加，分层相乘*。和 PyTorch 一样，梯度会累加：做第二次反向过程之前，要先把它们清零。


# %%
def backward(self):
    """Set .grad of every Value that self depends on to d(self)/d(that Value)."""
    order, seen = [], set()

    def visit(node):  # depth first: a node is appended after all of its parents
        if node not in seen:
            seen.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)

    visit(self)
    self.grad = 1.0
    for node in reversed(order):  # from the output back to the leaves
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            parent.grad += local * node.grad  # chain rule; += sums the paths at a fork


Value.backward = backward
Value.__sub__ = lambda self, other: self + (-1.0) * other  # a - b = a + (-1) b: no new rule

# %% [markdown]
# 在 $g = \tanh(ab + a)$ 中，输入 $a$ 用了两次，所以按这两条规则，$\partial g/\partial a = (1 - g^2)(b + 1)$。课程的库里有同样的引擎 `course_lib.autograd.Value`（运算更多，还会检查输入），PyTorch 也有自己的引擎。三者的结果必须一致：


# %%
def fork(a, b):
    return (a * b + a).tanh()


a0, b0 = 0.5, -2.0
leaves = {
    "ours": [Value(a0), Value(b0)],
    "course_lib": [autograd.Value(a0), autograd.Value(b0)],
    "torch": [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a0, b0)],
}
for pair in leaves.values():
    fork(*pair).backward()
grads = {name: np.array([float(v.grad) for v in pair]) for name, pair in leaves.items()}
rule = (1 - math.tanh(a0 * b0 + a0) ** 2) * (b0 + 1)  # (1 - g^2)(b + 1)
errs = [abs(grads["ours"][0] - rule)]
errs += [np.max(np.abs(grads["ours"] - grads[k])) for k in ("course_lib", "torch")]
print(f"dg/da = {grads['ours'][0]:.6f} (rule: {rule:.6f}), dg/db = {grads['ours'][1]:.6f}")
print(f"max |ours - rule|, |ours - course_lib|, |ours - torch|: {format_bound(max(errs), 1e-12)}")
assert max(errs) < 1e-12

# %% [markdown]
# 新增一个运算，只需写出它的前向公式和局部导数。第 4 节的电路需要 `sigmoid`，其局部导数是 $s(1 - s)$；下面的门模式需要 `maximum`。一个 `sigmoid` 节点就取代了求和之后的五个门：框架就是这样把常用的运算*融合*在一起的。引擎必须重现手算的结果和 PyTorch 的结果：


# %%
def sigmoid_op(self):
    s = 1.0 / (1.0 + math.exp(-self.data))
    return Value(s, (self,), (s * (1.0 - s),))


def maximum(self, other):
    first = self.data > other.data  # which input wins
    return Value(max(self.data, other.data), (self, other), (float(first), float(not first)))


Value.sigmoid, Value.maximum = sigmoid_op, maximum


# %%
def circuit(w0, w1, w2, x0, x1):
    return (w0 * x0 + w1 * x1 + w2).sigmoid()


inputs = {"w0": w0, "w1": w1, "w2": w2, "x0": x0, "x1": x1}
ours = {k: Value(v) for k, v in inputs.items()}
theirs = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in inputs.items()}
circuit(**ours).backward()
circuit(**theirs).backward()
err_hand = max(abs(ours[k].grad - by_hand[k]) for k in inputs)
err_torch = max(abs(ours[k].grad - theirs[k].grad.item()) for k in inputs)
print("engine: " + ", ".join(f"df/d{k} = {v.grad:.3f}" for k, v in ours.items()))
print(f"max |engine - by hand| {format_bound(err_hand, 1e-12)}, "
      f"max |engine - torch| {format_bound(err_torch, 1e-12)}")  # fmt: skip
assert err_hand < 1e-12 and err_torch < 1e-12

# %% [markdown]
# `course_lib.autograd.draw_graph` 画出库引擎为同一个电路建立的计算图，这个图由第 4 节的基本门构成，每个节点都标出了它的值（`data`）和梯度（`grad`）。常数 `1` 各自作为单独的叶节点出现：

# %%
lib = {k: autograd.Value(v, label=k) for k, v in inputs.items()}
nodes = {"p0": lib["w0"] * lib["x0"], "p1": lib["w1"] * lib["x1"]}
nodes["s"] = nodes["p0"] + nodes["p1"] + lib["w2"]
nodes["n"] = -nodes["s"]
nodes["e"] = nodes["n"].exp()
nodes["d"] = 1 + nodes["e"]
nodes["f"] = 1 / nodes["d"]
for label, node in nodes.items():
    node.label = label
nodes["f"].backward()
autograd.draw_graph(nodes["f"])
plt.show()

# %% [markdown]
# 从图上读出梯度，就会发现三种模式；掌握了它们，任何电路都能在脑子里轻松求导。记到达某个门输出端的梯度为 $g$：
#
# | 门 | 前向 | 传给输入的梯度 | 模式 |
# |---|---|---|---|
# | 加法 | $a + b$ | $g$，$g$ | 把 $g$ 原封不动地*分发*给每个输入 |
# | 乘法 | $a b$ | $g b$，$g a$ | 两个输入*互换*，再乘以 $g$ |
# | 取最大 | $\max(a, b)$ | 较大的输入得到 $g$，另一个得到 $0$ | 把 $g$ *路由*给胜出者 |
#
# 在电路里，求和门把同一个 $\partial f/\partial s$ 传给了 $p_0$、$p_1$ 和 $w_2$；乘法门 $w_0 x_0$ 把 $x_0$ 的值给了 $w_0$，把 $w_0$ 的值给了 $x_0$，两者都再乘以 $\partial f/\partial s$。下面用引擎和中心差分逐一检验这三种模式：

# %%
gates = {  # name: (the gate on Values, the same gate on floats, the pattern)
    "add": (Value.__add__, float.__add__, lambda a, b, g: (g, g)),
    "multiply": (Value.__mul__, float.__mul__, lambda a, b, g: (g * b, g * a)),
    "max": (Value.maximum, max, lambda a, b, g: (g * (a > b), g * (b > a))),
}
a0, b0, upstream = 1.5, -0.5, -2.0  # two inputs and the gradient arriving from above
err = 0.0
for name, (gate, float_gate, pattern) in gates.items():
    a, b = Value(a0), Value(b0)
    (gate(a, b) * upstream).backward()
    numeric = numerical_gradient(lambda v, f=float_gate: upstream * f(*v), np.array([a0, b0]))
    expected = np.array(pattern(a0, b0, upstream), dtype=float) + 0.0  # + 0.0: no "-0.0"
    err = max(err, np.abs([a.grad, b.grad] - expected).max(), np.abs(numeric - expected).max())
    print(f"{name:8s} a = {a0}, b = {b0}, g = {upstream}: gradients to (a, b) {expected}")
print(f"engine and centered differences agree with every pattern: {format_bound(err, 1e-8)}")
assert err < 1e-8

# %% [markdown]
# ## 6. 用这个引擎训练一个小网络
#
# `Value` 对网络一无所知：网络不过是一个更长的表达式。我们来给*双月*数据（two moons，`course_lib.data.make_moons`：两个交错的半圆，任何一条直线都分不开）分类，用一个 2-8-1 网络：2 个输入，8 个 tanh 隐藏单元，以及一个 tanh 输出单元，输出的正负号就是预测的类别。损失是输出与目标 $t = \pm 1$ 之间的 MSE。网络的规模是按纯 Python 的速度选的：$N = 60$ 个标准化后的点，每个权重和偏置都是一个 `Value`，用 $\eta = 0.5$ 做 30 步全批次梯度下降；每一步都要建立一个包含数千个 `Value` 的计算图，并对它求导。

# %%
X_raw, y_moons = data.make_moons(60, noise=0.1, seed=0)
X_new_raw, y_new = data.make_moons(1000, noise=0.1, seed=1)  # fresh points, for testing only
X_moons, X_new, _, _ = data.standardize(X_raw, X_new_raw)  # statistics of the 60 training points
points, targets = X_moons.tolist(), [2.0 * c - 1.0 for c in y_moons.tolist()]  # t = -1 or +1
init = np.random.default_rng(0)


def new_layer(n_in, n_out, std):
    """n_out neurons, each a list of n_in weights and then a bias, all engine Values."""
    rows = [[Value(init.normal(0.0, std)) for _ in range(n_in)] for _ in range(n_out)]
    return [[*row, Value(0.0)] for row in rows]


net = [new_layer(2, 8, std=1.4), new_layer(8, 1, std=0.35)]
parameters = [p for layer in net for neuron in layer for p in neuron]


# %%
def mlp(x):
    """The network's output for one point x (a list of two floats), as a Value."""
    h = x
    for layer in net:  # zip stops after the weights; neuron[-1] is the bias
        h = [
            sum((w * v for w, v in zip(neuron, h, strict=False)), neuron[-1]).tanh()
            for neuron in layer
        ]
    return h[0]


def mse_loss():
    """(MSE over the 60 points as a Value, the outputs)."""
    outputs = [mlp(x) for x in points]
    return sum((o - t) * (o - t) for o, t in zip(outputs, targets, strict=True)) * (1 / 60), outputs


def weights():
    """The current weights as arrays, one (n_out, n_in + 1) array per layer (bias last)."""
    return [np.array([[p.data for p in neuron] for neuron in layer]) for layer in net]


# %% [markdown]
# 训练之前，引擎算出的损失梯度必须在每个参数上都与 PyTorch 的结果（用张量写成的同一个网络）一致：

# %%
loss, _ = mse_loss()
loss.backward()
torch_weights = [torch.tensor(W, requires_grad=True) for W in weights()]
h = torch.tensor(X_moons)
for W in torch_weights:
    h = torch.tanh(h @ W[:, :-1].T + W[:, -1])
torch.mean((h[:, 0] - torch.tensor(targets)) ** 2).backward()
torch_grads = torch.cat([W.grad.ravel() for W in torch_weights]).numpy()
err = np.max(np.abs(np.array([p.grad for p in parameters]) - torch_grads))
print(
    f"max |engine - torch.autograd| over the {len(parameters)} gradients: {format_bound(err, 1e-12)}"
)
assert err < 1e-12

# %%
# NBVAL_IGNORE_OUTPUT
start, history = time.perf_counter(), []
for _ in range(30):
    loss, outputs = mse_loss()
    for p in parameters:
        p.grad = 0.0  # gradients accumulate: reset them before every backward pass
    loss.backward()
    for p in parameters:
        p.data -= 0.5 * p.grad  # a gradient-descent step with eta = 0.5
    history.append(loss.data)
print(f"30 training steps with the engine took {time.perf_counter() - start:.1f} s")


# %% [markdown]
# 要画出决策区域，就得在几万个网格点上计算网络的输出，所以 `predict` 用 NumPy 来跑训练好的权重（不需要梯度）。它在训练点上必须与引擎的结果一致：


# %%
def predict(P):
    """Class (0 or 1) of each row of P, shape (M, 2), with the trained weights."""
    h = P
    for W in weights():
        h = np.tanh(h @ W[:, :-1].T + W[:, -1])
    return (h[:, 0] > 0).astype(int)


_, outputs = mse_loss()
same = np.array_equal(predict(X_moons), [int(o.data > 0) for o in outputs])
train_acc, test_acc = np.mean(predict(X_moons) == y_moons), np.mean(predict(X_new) == y_new)
assert same and history[-1] < history[0] / 3 and train_acc >= 0.9 and test_acc >= 0.85
print("NumPy predictions = engine predictions; the loss fell below a third of its start ✓")
print("accuracy >= 0.9 on the 60 training points and >= 0.85 on 1000 new points ✓")

# %%
fig, (ax_loss, ax_regions) = plt.subplots(1, 2, figsize=(11, 4.2))
plots.loss_curves({"train": history}, xlabel="gradient-descent step", ylabel="loss (MSE)",
                  title="The engine trains a 2-8-1 network", ax=ax_loss)  # fmt: skip
plots.decision_boundary(predict, X_moons, y_moons, title="Decision regions", ax=ax_regions)
ax_regions.set(xlabel="$x_1$ (standardized)", ylabel="$x_2$ (standardized)")
plt.show()

# %% [markdown]
# 决策边界绕着两个月牙弯曲，这是任何线性模型都做不到的（第 2 节）。原理上，这个引擎已经完整了；它缺的是速度，因为每个标量都是一个 Python 对象。从现在起，我们像框架那样，以整个矩阵为单位来计算。
#
# ## 7. 用形状匹配求矩阵梯度
#
# 设 $D = W X$，$W$ 的形状为 (5, 10)，$X$ 的形状为 (10, 3)（样本是 $X$ 的*列*），并假设反向过程已经送来了 $dD = \partial L/\partial D$，它与 $D$ 形状相同，为 (5, 3)。每个梯度的形状都和求导对象的形状相同，而 $dD$ 与 $X$ 或 $W$ 的乘积中，只有一种恰好是这个形状——这就是**形状匹配**（shape matching）：
#
# $$dW = dD\, X^\top \quad (5{\times}3)(3{\times}10) = (5{\times}10), \qquad
# dX = W^\top dD \quad (10{\times}5)(5{\times}3) = (10{\times}3).$$
#
# 为了验证，取标量 $L = \sum_{ij} D_{ij} G_{ij}$，其中 $G$ 是一个固定的随机矩阵，这时 $dD$ 恰好就是 $G$；再与 `numerical_gradient` 比较：

# %%
W = rng.standard_normal((5, 10))
X = rng.standard_normal((10, 3))
G = rng.standard_normal((5, 3))  # plays the role of dL/dD
dW, dX = G @ X.T, W.T @ G
err_W = rel_error(dW, numerical_gradient(lambda W_: np.sum((W_ @ X) * G), W))
err_X = rel_error(dX, numerical_gradient(lambda X_: np.sum((W @ X_) * G), X))
print(f"relative error of dW = dD X^T and dX = W^T dD: {format_bound(max(err_W, err_X), 1e-7)}")
assert err_W < 1e-7 and err_X < 1e-7

# %% [markdown]
# `course_lib.layers.Linear`（和 PyTorch 一样，批次的每一行是一个样本）用的是*行*：`out = x @ W + b`，其中 `x` 的形状为 (N, in)，`W` 的形状为 (in, out)。规则不变，只是转置了：$dW = x^\top\, d\text{out}$，$dx = d\text{out}\, W^\top$，$db = \sum_i d\text{out}_i$。第 12 节会把我们的权重载入库里的层，并比较梯度。

# %% [markdown]
# ## 8. 两层网络：手算反向过程
#
# 本节的网络（行是样本，与 `Linear` 一样）是
#
# $$a = X W_1 + b_1,\quad h = \mathrm{ReLU}(a),\quad s = h W_2 + b_2,\quad
# p_{ij} = \frac{e^{s_{ij}}}{\sum_k e^{s_{ik}}},$$
#
# $$L = -\frac{1}{N}\sum_{i=1}^N \log p_{i y_i} + \lambda\left(\sum W_1^2 + \sum W_2^2\right).$$
#
# 这里 **L2 正则化**（L2 regularisation）的约定是 $\lambda$ 乘以普通的平方和（没有 ½ 这个因子），所以它给每个权重的梯度加上 $2\lambda W$，对偏置则没有影响。从损失往回走，记 $Y$ 为独热编码的标签：
#
# $$ds = \frac{P - Y}{N},\quad dW_2 = h^\top ds + 2\lambda W_2,\quad db_2 = \textstyle\sum_i ds_i,\quad
# dh = ds\, W_2^\top,$$
#
# $$da = dh \odot [a > 0],\quad dW_1 = X^\top da + 2\lambda W_1,\quad db_1 = \textstyle\sum_i da_i .$$
#
# softmax 的梯度 $p_{ij} - [j = y_i]$ 来自 $-\log p_{iy_i} = \log\sum_k e^{s_{ik}} - s_{iy_i}$；ReLU 在输入为正的地方让梯度通过，在其他地方把梯度挡住；$1/N$ 只在 $ds$ 里乘一次，之后所有对样本的求和都继承了它。前向过程把 $a$、$h$ 和 $p$ 存在一个*缓存*（cache）里，因为反向过程要用到它们。


# %%
def forward_pass(params, X, y, reg):
    """Loss of X -> affine -> ReLU -> affine -> softmax loss + L2, and the cache (a, h, p)."""
    a = X @ params["W1"] + params["b1"]
    h = np.maximum(a, 0.0)
    s = h @ params["W2"] + params["b2"]
    p = np.exp(s - s.max(axis=1, keepdims=True))  # shift: no overflow, same softmax
    p /= p.sum(axis=1, keepdims=True)
    data_loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    return data_loss + reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2)), (a, h, p)


def backward_pass(params, X, y, reg, cache):
    """Gradients of the loss with respect to W1, b1, W2, b2, from the stored (a, h, p)."""
    a, h, p = cache
    ds = p.copy()
    ds[np.arange(len(y)), y] -= 1.0
    ds /= len(y)
    da = (ds @ params["W2"].T) * (a > 0)
    return {"W1": X.T @ da + 2 * reg * params["W1"], "b1": da.sum(axis=0),
            "W2": h.T @ ds + 2 * reg * params["W2"], "b2": ds.sum(axis=0)}  # fmt: skip


# %% [markdown]
# 一个小例子：$N = 5$ 个样本，$D = 4$ 个特征，$H = 6$ 个隐藏单元，$C = 3$ 个类别，$\lambda = 0.05$。先算**数值梯度**（numerical gradient，对每个参数的每个元素做中心差分），再用 float64 的 `torch.autograd` 算一遍：

# %%
N, D, H, C = 5, 4, 6, 3
reg = 0.05
X, y = rng.standard_normal((N, D)), rng.integers(0, C, size=N)
params = {"W1": 0.5 * rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
          "W2": 0.5 * rng.standard_normal((H, C)), "b2": 0.1 * rng.standard_normal(C)}  # fmt: skip
loss, cache = forward_pass(params, X, y, reg)
grads = backward_pass(params, X, y, reg, cache)
err = max(
    rel_error(grads[k], numerical_gradient(lambda _: forward_pass(params, X, y, reg)[0], params[k]))
    for k in params
)
print(f"loss = {loss:.6f}")
print(f"max relative error of dW1, db1, dW2, db2 vs numerical gradient: {format_bound(err, 1e-7)}")
assert err < 1e-7

# %%
X_t, y_t = torch.tensor(X), torch.tensor(y)


def torch_loss(W1, b1, W2, b2):
    """The same loss written with torch operations (used again by gradcheck below)."""
    s = torch.relu(X_t.to(W1.dtype) @ W1 + b1) @ W2 + b2
    return F.cross_entropy(s, y_t) + reg * ((W1**2).sum() + (W2**2).sum())


inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in params.values()]
loss_t = torch_loss(*inputs)
loss_t.backward()
err = max(rel_error(grads[k], t.grad) for k, t in zip(params, inputs, strict=True))
print(f"|loss - torch loss|: {format_bound(abs(loss - loss_t.item()), 1e-12)}, "
      f"max relative error vs torch.autograd: {format_bound(err, 1e-12)}")  # fmt: skip
assert abs(loss - loss_t.item()) < 1e-12 and err < 1e-12

# %% [markdown]
# ## 9. 数值梯度：调试时的参照
#
# 中心差分
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
#
# 的误差为 $O(h^2)$，而且除了函数本身什么都不需要。它的缺点是*慢*：每个参数要计算两次 $f$，$P$ 个参数就要 $2P$ 次前向过程，而反向传播只需要一次前向过程加一次反向过程。我们从不用它来训练，而是在很小的问题上用它来*调试*手写的反向过程。两者是否吻合，用**相对误差**（relative error）$\max|a - b| / \max(|a| + |b|)$（`rel_error`）来判断：在 float64 下，约 $10^{-7}$ 或更小说明正确；大于 $10^{-3}$ 几乎可以肯定有 bug。
#
# 一个经典的失误是除了两次 $N$，比如在 $ds$ 里除了一次，在 $db_2$ 里又除了一次。这个检验马上就能发现它：

# %%
buggy = backward_pass(params, X, y, reg, cache)
buggy["b2"] = buggy["b2"] / N  # the bug: the 1/N is already inside ds
numeric_b2 = numerical_gradient(lambda _: forward_pass(params, X, y, reg)[0], params["b2"])
print(f"db2 with the bug: relative error {rel_error(buggy['b2'], numeric_b2):.2f}")
print(f"db2 correct:      relative error {format_bound(rel_error(grads['b2'], numeric_b2), 1e-7)}")
assert rel_error(grads["b2"], numeric_b2) < 1e-7 < rel_error(buggy["b2"], numeric_b2)

# %% [markdown]
# PyTorch 也提供了同样的检验，即 `torch.autograd.gradcheck(func, inputs)`：它把 `func` 的解析雅可比矩阵与有限差分（步长 `eps=1e-6`）作比较，通过则返回 `True`，否则报错。它要求输入是 `float64`：

# %%
inputs = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in params.values())
print(f"gradcheck in float64: {torch.autograd.gradcheck(torch_loss, inputs)}")

# %% [markdown]
# 为什么不用 float32？它只有大约 7 位有效数字：在这个网络的损失值附近，相邻两个 float32 数之间的间隔（`np.spacing`）是一个 2 的幂，下面的单元格会把它打印出来。取 $h = 10^{-6}$ 时，差值 $f(x+h) - f(x-h)$ 只有寥寥几个这样的间隔，所以数值导数只能取 $\text{间隔}/(2h)$ 的整数倍——对这些梯度来说太粗糙了。同样的检验在 float32 下会失败（PyTorch 还会发出警告；我们屏蔽了警告，只打印错误信息的第一行）：

# %%
gap = float(np.spacing(np.float32(loss)))
print(f"float32 gap near the loss {loss:.3f}: 2^{np.log2(gap):.0f}; "
      f"resolution of a centered difference with h = 1e-6: {gap / 2e-6:.3f}")  # fmt: skip
inputs32 = tuple(torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in params.values())
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.autograd.gradcheck(torch_loss, inputs32)
    print("float32 gradcheck passed")
except RuntimeError as error:  # torch's GradcheckError is a RuntimeError
    print(f"float32 gradcheck failed: {str(error).splitlines()[0]}")

# %% [markdown]
# **前向模式与反向模式。** 反向传播就是**反向模式**（reverse-mode）的自动微分：一次反向过程计算一个*向量–雅可比积* $u^\top J$；对标量损失（$u = 1$）来说，这就是整个梯度，$P$ 个偏导数一次全部得到。**前向模式**（forward-mode）的微分则是在前向计算的同时带着导数往前走：一次前向过程计算一个*雅可比–向量积* $Jv$，即损失沿某一个方向 $v$ 的导数。取 $v = e_i$ 时，得到的是一个偏导数，所以整个梯度要做 $P$ 次前向模式的过程：它是精确的，不像有限差分（$2P$ 次）那样有误差，但次数一样多。PyTorch 两种都有：`loss.backward()`，以及 `torch.autograd.forward_ad` 中的对偶张量。前向模式适合输入少、输出多的函数；而损失函数的输入很多，输出只有一个。
#
# 我们用三种办法求第 8 节网络全部 $P$ 个偏导数，隐藏单元取 2、6 和 18 个，并统计每种办法经过损失函数的次数。


# %%
def seconds(fn, repeat):
    """Best wall-clock time of `repeat` calls of fn()."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


passes = [0]  # calls of flat_loss, one forward pass each


def flat_loss(theta, shapes):
    """The section-8 loss of one parameter vector theta, cut into W1, b1, W2, b2 of `shapes`."""
    passes[0] += 1
    parts = torch.split(theta, [math.prod(shape) for shape in shapes])
    return torch_loss(*(part.view(shape) for part, shape in zip(parts, shapes, strict=True)))


# %%
def by_differences(theta, shapes):
    f = lambda v: flat_loss(torch.from_numpy(v), shapes).item()  # noqa: E731
    return numerical_gradient(f, theta.numpy().copy())  # 2 passes per parameter


def by_forward_mode(theta, shapes):
    fwd, partials = torch.autograd.forward_ad, []
    for e in torch.eye(len(theta), dtype=torch.float64):  # one pass per direction e_i
        with fwd.dual_level():  # theta carries the tangent e through the pass
            loss = flat_loss(fwd.make_dual(theta, e), shapes)
            partials.append(fwd.unpack_dual(loss).tangent.item())
    return np.array(partials)


# %%
def by_reverse_mode(theta, shapes):
    theta = theta.clone().requires_grad_()
    flat_loss(theta, shapes).backward()  # one forward pass, then one backward pass
    return theta.grad.numpy()


methods = {"finite differences": by_differences, "forward mode": by_forward_mode,
           "reverse mode": by_reverse_mode}  # fmt: skip


# %%
# NBVAL_IGNORE_OUTPUT
timing, counts, gradients = {}, {}, {}
warm_up = [(D, 2), (2,), (2, C), (C,)]  # the first forward-mode pass sets up its machinery
by_forward_mode(torch.zeros(8 * 2 + 3, dtype=torch.float64), warm_up)
for hidden in (2, 6, 18):
    shapes = [(D, hidden), (hidden,), (hidden, C), (C,)]
    theta = torch.from_numpy(0.5 * rng.standard_normal(sum(math.prod(s) for s in shapes)))
    P = len(theta)
    for name, method in methods.items():
        passes[0], start = 0, time.perf_counter()
        gradients[name, P] = method(theta, shapes)
        timing[name, P], counts[name, P] = time.perf_counter() - start, passes[0]
        if counts[name, P] == 1:  # one pass is too quick to time once: best of 20
            timing[name, P] = seconds(lambda m=method, t=theta, s=shapes: m(t, s), 20)
    print(f"P = {P:4d}: " + ", ".join(f"{n} {timing[n, P]:.1e} s" for n in methods))

# %%
Ps = sorted({P for _, P in counts})
print("passes through the loss for all P partial derivatives:")
for P in Ps:
    print(f"P = {P:4d}: " + ", ".join(f"{n} {counts[n, P]}" for n in methods))
exact = {P: gradients["reverse mode", P] for P in Ps}
err_fwd = max(np.abs(gradients["forward mode", P] - exact[P]).max() for P in Ps)
err_fd = max(rel_error(gradients["finite differences", P], exact[P]) for P in Ps)
print(f"forward vs reverse mode: max difference {format_bound(err_fwd, 1e-12)}; "
      f"finite differences: relative error {format_bound(err_fd, 1e-7)}")  # fmt: skip
assert (
    all([counts[n, P] for n in methods] == [2 * P, P, 1] for P in Ps)
    and err_fwd < 1e-12
    and err_fd < 1e-7
)

# %%
fig, ax = plt.subplots()
for i, name in enumerate(methods):
    ax.loglog(Ps, [timing[name, P] for P in Ps], "o-", color=plots.color_of(name, i), label=name)
ax.set_xticks(Ps, [str(P) for P in Ps], minor=False)
ax.set_xticks([], minor=True)  # no minor tick labels between the three P
ax.set(xlabel="number of parameters P", ylabel="seconds for all P partial derivatives")
ax.set_title("All gradients of the two-layer network, three ways")
ax.legend()
plt.show()

# %% [markdown]
# 有限差分和前向模式所需的次数与 $P$ 成正比增长，所花的时间也随之增长（前向模式的一次过程比普通的一次前向过程更费时：每个值都要带着一个切向量一起计算）；反向模式无论 $P$ 是多少，都只需要一次前向过程和一次反向过程。这就是训练网络用反向模式、而有限差分只用作检验参照的原因。

# %% [markdown]
# ## 10. 为什么框架要存下前向过程的激活值：时间与内存
#
# 到目前为止，每条反向规则都要用到前向过程中的值：乘法需要它的输入，`tanh` 和 `exp` 需要它们的输出，两层网络需要它的缓存 $(a, h, p)$。考虑一串 tanh 层 $h_k = \tanh(h_{k-1} W_k)$，$k = 1, \dots, K$，输入是 $B = 128$ 行、宽度为 64 的批次（float64），并令 $L = \sum h_K$。第 $k$ 层的反向步骤需要 $h_{k-1}$（用于 $\partial L/\partial W_k$）和 $h_k$（用于 $\tanh' = 1 - h_k^2$）。要得到它们，有三种办法：
#
# - *存储*：在前向过程中存下每个 $h_k$：共 $K$ 次层计算，$K + 1$ 个激活值一直保存到反向过程；
# - *重算*：每当第 $k$ 层的反向步骤需要 $h_{k-1}$，就从输入 $h_0$ 重新把它算出来：同一时刻只保存两个激活值，但共需 $K(K+1)/2$ 次层计算；
# - **梯度检查点**（gradient checkpointing，`torch.utils.checkpoint`）：把网络分成大约 $\sqrt K$ 段，只保留每段的输入，在反向过程中一次重算一段：大约保存 $2\sqrt K$ 个激活值，额外的计算量不到一次前向过程。
#
# 我们用 `course_lib.saved_tensors.SavedTensors` 统计自动微分为反向过程保存了多少字节。它是一个上下文管理器，建立在 PyTorch 的 `torch.autograd.graph.saved_tensors_hooks` 之上，能看到自动微分保存的每一个张量（我们排除权重，因为权重无论如何都存在）；层计算的次数则用一个计数器统计。

# %%
B_chain, width = 128, 64
evaluations = [0]  # layer evaluations, counted by layer()


def chain(depth, seed=0):
    """Weights W_1..W_depth (64 x 64, requiring grad) and an input batch (128 x 64)."""
    gen = torch.Generator().manual_seed(seed)
    Ws = [torch.randn(width, width, generator=gen, dtype=torch.float64) for _ in range(depth)]
    x = torch.randn(B_chain, width, generator=gen, dtype=torch.float64)
    return [(W / math.sqrt(width)).requires_grad_() for W in Ws], x


def layer(W, h):
    evaluations[0] += 1
    return torch.tanh(h @ W)


# %%
def stored(Ws, x):
    """Plain autograd; returns the bytes of activations held until the backward pass."""
    with saved_tensors.SavedTensors(exclude=Ws) as saved:
        h = x
        for W in Ws:
            h = layer(W, h)
    h.sum().backward()
    return saved.nbytes


def checkpointed(Ws, x):
    """torch.utils.checkpoint with about sqrt(depth) segments; returns the bytes held."""
    segments = round(math.sqrt(len(Ws)))
    with saved_tensors.SavedTensors(exclude=Ws) as saved:
        functions = [functools.partial(layer, W) for W in Ws]
        h = checkpoint_sequential(functions, segments, x, use_reentrant=False)
    h.sum().backward()
    return saved.nbytes


# %%
def recomputed(Ws, x):
    """Backward one layer at a time, recomputing its input from x; returns the most bytes held."""
    upstream, most = None, 0
    for k in reversed(range(len(Ws))):
        with torch.no_grad():  # recompute h_{k-1}, keeping nothing for backward
            h = functools.reduce(lambda h, W: layer(W, h), Ws[:k], x)
        h.requires_grad_()
        with saved_tensors.SavedTensors(exclude=Ws) as saved:
            out = layer(Ws[k], h)
        out.backward(torch.ones_like(out) if upstream is None else upstream)
        upstream, most = h.grad, max(most, saved.nbytes)
    return most


strategies = {"stored": stored, "recomputed": recomputed, "checkpointed": checkpointed}
activation = B_chain * width * 8  # bytes of one 128 x 64 float64 activation

# %% [markdown]
# 三种办法必须给出相同的梯度。下面的计数是根据形状精确算出来的，所以在任何机器上都一样：

# %%
table, seconds_run, err = {}, {}, 0.0
for depth in (9, 16, 36):
    reference = None
    for name, run in strategies.items():
        Ws, x = chain(depth)
        evaluations[0], start = 0, time.perf_counter()
        held = run(Ws, x) // activation
        seconds_run[depth, name] = time.perf_counter() - start  # printed two cells below
        table[depth, name] = (held, evaluations[0])
        flat = torch.cat([W.grad.ravel() for W in Ws])
        reference = flat if reference is None else reference
        err = max(err, (flat - reference).abs().max().item())
    row = ", ".join(f"{n} {table[depth, n][0]:2d} / {table[depth, n][1]:3d}" for n in strategies)
    print(f"K = {depth:2d}: activations held / layer evaluations: {row}")
print(f"max |gradient - stored gradient| over all runs: {format_bound(err, 1e-12)}")
assert err < 1e-12
for k in (9, 16, 36):
    assert table[k, "stored"] == (k + 1, k) and table[k, "recomputed"] == (2, k * (k + 1) // 2)

# %%
# NBVAL_IGNORE_OUTPUT
print("K = 36: " + ", ".join(f"{name} {seconds_run[36, name] * 1e3:.0f} ms" for name in strategies))

# %%
held = {name: table[36, name][0] * activation for name in strategies}
evals = {name: table[36, name][1] for name in strategies}
assert held["checkpointed"] < held["stored"] / 2 and held["stored"] > 36 * width * width * 8
assert evals["stored"] < evals["checkpointed"] < 2 * evals["stored"] < evals["recomputed"] / 9
print(f"K = 36: storing holds more bytes than the 36 weights; recomputing evaluates "
      f"{evals['recomputed'] // evals['stored']}x the layers ✓")  # fmt: skip
print("K = 36: checkpointing holds < half the memory of storing, for < 2x its layer evaluations ✓")

# %% [markdown]
# 存储所需的层计算次数最少，也是框架默认的做法；它的代价是内存随深度和批次大小增长：在这里，存下的激活值已经比权重还要多。全部重算让内存保持不变，但计算量随深度呈二次增长（上面打印的时间也是如此）。梯度检查点介于两者之间：`torch.utils.checkpoint.checkpoint`（可以包住任意函数）和 `checkpoint_sequential` 就是内存不够用时训练模型的办法。
#
# ## 11. PyTorch 的视角：`requires_grad`、`.backward()`、`.grad`
#
# 在 PyTorch 中，用 `requires_grad=True` 创建的张量是计算图的一个叶节点；对它做的每个运算都会记录下自己的反向规则（就像我们的 `Value` 一样）。`loss.backward()` 执行反向过程，并把 $\partial\,\text{损失}/\partial\,\text{叶节点}$ 存到 `leaf.grad` 里。有一条规则几乎人人都会栽一次跟头：*梯度会累加*。`backward()` 是把结果*加到* `.grad` 上，所以不清零就再调用一次，梯度就会翻倍（这样设计，是为了对多个损失或多个小批次的梯度求和）。以第 1 节的线性模型在 $w = 0$ 处为例：

# %%
x_t, y_t = torch.tensor(x_data), torch.tensor(y_data)
w = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
for call in range(1, 4):
    cost_t = ((w * x_t - y_t) ** 2).mean()
    cost_t.backward()
    print(f"after backward() call {call}: w.grad = {w.grad.item():.4f}")

# %% [markdown]
# 在训练循环里，这就是一个 bug：每一步用的都是过去所有梯度的和。解决办法是每一步之后（或之前）把梯度清零，用 `w.grad.zero_()`；如果参数由优化器管理，就用 `optimizer.zero_grad()`。我们用 $\eta = 0.02$ 以三种方式训练 $\hat y = w x + b$，并与第 1 节用 NumPy 写的梯度下降比较：


# %%
def train_torch(mode, eta=0.02, epochs=60):
    """Gradient descent on w, b with torch; mode is 'buggy', 'zero_' or 'optimizer'."""
    w, b = (torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in range(2))
    optimizer = torch.optim.SGD([w, b], lr=eta)
    for _ in range(epochs):
        ((w * x_t + b - y_t) ** 2).mean().backward()
        if mode == "optimizer":
            optimizer.step()
            optimizer.zero_grad()
            continue
        with torch.no_grad():  # the update itself must not be recorded in the graph
            w -= eta * w.grad
            b -= eta * b.grad
        if mode == "zero_":
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item()


# %%
w_np, b_np, _ = runs[0.02]
for mode in ("buggy", "zero_", "optimizer"):
    w_final, b_final = train_torch(mode)
    print(f"{mode:9s}: w = {w_final:.4g}, b = {b_final:.4g}")
err = max(abs(np.array(train_torch(mode)) - [w_np, b_np]).max() for mode in ("zero_", "optimizer"))
print(f"NumPy gradient descent: w = {w_np:.4g}, b = {b_np:.4g}; "
      f"max difference of the fixed loops {format_bound(err, 1e-12)}")  # fmt: skip
assert err < 1e-12

# %% [markdown]
# 有 bug 的循环远远冲过了 $w = 2$：当前的梯度早已掉头，累加起来的梯度却还在往旧的方向推。两种修正都精确地重现了我们的 NumPy 梯度下降（还在走向 $w = 2$ 的路上：$\eta = 0.02$ 正是第 1 节里那个慢的学习率）。
#
# ## 12. 课程库中的版本
#
# 从现在起，课程使用库里的代码，不再用笔记本里的代码：
#
# | 概念（本讲） | 所在位置 |
# |---|---|
# | 标量自动微分引擎、计算图绘制（第 4–6 节） | `course_lib.autograd.Value`（我们的引擎，外加 `-`、`/`、`**`、`exp`、`log`、`relu` 和输入检查），`draw_graph` |
# | 中心差分、相对误差（第 9 节） | `course_lib.gradcheck.numerical_gradient`，`rel_error` |
# | 带前向 / 反向过程的仿射层和 ReLU（第 7–8 节） | `course_lib.layers.Linear`，`ReLU`，`Sequential` |
# | softmax 和交叉熵，以及其梯度 $(P - Y)/N$（第 8 节） | `course_lib.losses.softmax`，`cross_entropy` |
# | 自动微分为反向过程保存的字节数（第 10 节） | `course_lib.saved_tensors.SavedTensors` |
#
# 每个层的 `forward` 会保存自己的缓存，`backward(dout)` 填好 `layer.grads`，并返回传给下面一层的梯度；`Sequential` 先按顺序调用各层的前向计算，再按逆序调用反向计算。这些层不知道正则化的存在，所以 $2\lambda W$ 要我们自己加上。载入同样的权重后，库里的网络必须重现我们的梯度：

# %%
net2 = layers.Sequential(layers.Linear(D, H, rng=0), layers.ReLU(), layers.Linear(H, C, rng=0))
for i, k in [(0, "1"), (2, "2")]:
    net2[i].params["W"][...] = params["W" + k]
    net2[i].params["b"][...] = params["b" + k]
data_loss, dscores = losses.cross_entropy(net2.forward(X), y)
net2.backward(dscores)
lib_grads = {"W1": net2.grads["0.W"] + 2 * reg * params["W1"], "b1": net2.grads["0.b"],
             "W2": net2.grads["2.W"] + 2 * reg * params["W2"], "b2": net2.grads["2.b"]}  # fmt: skip
lib_loss = data_loss + reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
err = max(rel_error(lib_grads[k], grads[k]) for k in grads)
print(f"|library loss - our loss|: {format_bound(abs(lib_loss - loss), 1e-12)}, "
      f"max relative error of the library gradients: {format_bound(err, 1e-12)}")  # fmt: skip
assert err < 1e-12 and abs(lib_loss - loss) < 1e-12

# %% [markdown]
# ## 13. 题外话：平滑带噪声的损失曲线
#
# **随机梯度下降**（stochastic gradient descent，SGD）每随机抽到一个样本就走一步，而不是每遍历一次数据才走一步。每一步的计算量都很小，但当前样本的损失上下乱跳，曲线很难看清。**指数移动平均**（exponential moving average，EMA）可以把它平滑。按照本课程的约定，$\beta$ 是*过去*的权重：
#
# $$m_0 = L_0, \qquad m_t = \beta\, m_{t-1} + (1 - \beta)\, L_t ,$$
#
# 所以 $\beta$ 越大，曲线越平滑。读李宏毅老师的原课程笔记时要注意：笔记里写的是 $C'_i = \beta C_i + (1-\beta)C'_{i-1}$，$\beta$ 是*新*值的权重，所以那里的 $\beta$ 就是我们的 $1 - \beta$。我们沿用 Adam（第 04 讲）的约定，让 $\beta$ 作为过去的权重。把递归展开，就能看出平均的到底是什么：权重按几何级数衰减，
#
# $$m_T = \beta^T L_0 + \sum_{t=1}^{T} (1-\beta)\, \beta^{T-t} L_t .$$
#
# 我们在取自 $y = 2x + 1$ 的 30 个带噪声的点上做 SGD，并记录每一步那个样本的损失。

# %%
ema_rng = np.random.default_rng(1)
x_noisy = ema_rng.uniform(0.0, 3.0, size=30)
y_noisy = 2.0 * x_noisy + 1.0 + 0.5 * ema_rng.standard_normal(30)
w, b, step_costs = 0.0, 0.0, []
for n in ema_rng.integers(0, 30, size=300):  # one random example per step
    residual = w * x_noisy[n] + b - y_noisy[n]
    step_costs.append(residual**2)
    w, b = w - 0.03 * 2 * residual * x_noisy[n], b - 0.03 * 2 * residual
print(f"after 300 SGD steps: w = {w:.4f}, b = {b:.4f}")


# %%
def smooth(costs, beta):
    """Exponential moving average m_t = beta * m_{t-1} + (1 - beta) * L_t, m_0 = L_0."""
    out = [costs[0]]
    for c in costs[1:]:
        out.append(beta * out[-1] + (1 - beta) * c)
    return np.array(out)


beta, raw = 0.9, np.array(step_costs)
smoothed = smooth(raw, beta)
T = len(raw) - 1
unrolled = beta**T * raw[0] + np.sum((1 - beta) * beta ** (T - np.arange(1, T + 1)) * raw[1:])
err = abs(smoothed[-1] - unrolled)
print(f"|recursion - unrolled sum| at the last step: {format_bound(err, 1e-12)}")
assert err < 1e-12

# %%
curves = {"single-example loss (raw)": raw, f"EMA, beta = {beta}": smoothed}
title = "Smoothing a noisy SGD loss curve"
ax = plots.loss_curves(curves, xlabel="SGD step", ylabel="loss", title=title)
ax.get_lines()[0].set_alpha(0.4)
ax.set_ylim(0.0, 3.0)  # the first few steps are off the top
ax.legend()
plt.show()

# %% [markdown]
# 平均后的曲线显示出了原始曲线掩盖住的趋势。代价是大约 $1/(1 - \beta)$ 步的*滞后*：在最初的几十步里，平均值还记着早期那些很大的损失。Adam（第 04 讲）用的也是这种平均，$\beta$ 的约定也相同。
#
# ## 14. 要点、练习与作业
#
# - 梯度下降需要每个参数的 $\partial L/\partial\theta$；学习率必须足够小，否则损失会发散。没有非线性，堆叠起来的线性层就会坍缩成一层。
# - 反向传播 = 在计算图上应用链式法则：前向过程存下局部导数需要的值，反向过程从输出往回把局部导数乘起来。分叉相加，分层相乘；加法分发，乘法互换，取最大路由。
# - 自动微分引擎只要几十行代码：每个运算记录它的父节点和局部导数；`backward` 按拓扑排序的逆序遍历节点。它足以训练一个网络。
# - 矩阵梯度由形状决定：$D = W X \Rightarrow dW = dD\,X^\top$，$dX = W^\top dD$。
# - 一次反向过程（反向模式）就能得到全部 $P$ 个梯度；前向模式需要 $P$ 次，有限差分需要 $2P$ 次。有限差分仍然是调试时的参照（float64 下，相对误差低于约 $10^{-7}$）。
# - 存下激活值，是用内存换来一遍完成的反向传播；检查点用一些重算换取更少的内存。在 PyTorch 中 `.grad` 会累加：每一步都要清零。
#
# 本讲的关键术语及其中文名称见[术语表](glossary.md)。

# %% [markdown]
# **作业。** `homework/hw01_backprop.ipynb`：实现仿射层、ReLU 和 softmax 损失的反向过程，组装出两层网络的损失和梯度，给标量引擎添加两个新运算（`sin`，以及指数是 `Value` 的 `power`），并且不用 PyTorch 对你的结果做梯度检验。
#
# **练习。** 先预测答案，再运行代码。每道题的答案都折叠在题目下方。

# %% [markdown]
# **练习 1。** 在第 4 节中，把偏置 $w_2$ 从 $-3$ 改为 $7$。关于 $w$ 和 $x$ 的梯度会变大还是变小？为什么？重新运行电路的那几个单元格来验证。

# %% tags=["answer"]
slopes = {}
for bias in (-3.0, 7.0):
    s_b = 2.0 * -1.0 + -3.0 * -2.0 + bias  # w0 x0 + w1 x1 + w2 with w = (2, -3), x = (-1, -2)
    f_b = 1.0 / (1.0 + math.exp(-s_b))
    slopes[bias] = f_b * (1 - f_b)  # df/ds; df/dw0 = df/ds * x0, and so on
    grads_b = [slopes[bias] * v for v in (-1.0, -2.0, 1.0, 2.0, -3.0)]  # w0, w1, w2, x0, x1
    print(f"w2 = {bias:+.0f}: s = {s_b:.0f}, f = {f_b:.5f}, df/ds = {slopes[bias]:.2e}, "
          f"gradients " + ", ".join(f"{g:.2e}" for g in grads_b))  # fmt: skip
print(f"every gradient is {slopes[-3.0] / slopes[7.0]:,.0f} times smaller")


# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 变小，而且全部缩小同样的倍数。每个梯度都是 $\partial f/\partial s$ 乘以一个输入或一个权重（加法分发，乘法互换），而 $\partial f/\partial s = \sigma(s)(1 - \sigma(s))$。当 $w_2 = 7$ 时，和为 $s = 11$，sigmoid 已经*饱和*（$f \approx 0.99998$），它的斜率从 0.197 降到 $1.7 \cdot 10^{-5}$：大约小了 12 000 倍（打印出的是 11 772）。饱和的单元几乎不把梯度往回传，这就是第 02 讲中的梯度消失，只不过发生在一个门里。
# </details>

# %% [markdown]
# **练习 2。** 把两个月亮网络的隐藏单元从 8 个改为 2 个（`new_layer(2, 2, ...)` 和 `new_layer(2, 1, ...)`）。决策边界还会绕着两个月亮弯曲吗？


# %% tags=["answer"]
def moons_weights(hidden):
    """Section 6's initial weights for `hidden` units: the same draws as new_layer."""
    draw, sizes = np.random.default_rng(0), ((2, hidden, 1.4), (hidden, 1, 0.35))
    rows = [
        [[*draw.normal(0.0, std, n_in), 0.0] for _ in range(n_out)] for n_in, n_out, std in sizes
    ]
    return [torch.tensor(W, dtype=torch.float64, requires_grad=True) for W in rows]


def moons_output(Ws, P):
    h = torch.tensor(P)
    for W in Ws:
        h = torch.tanh(h @ W[:, :-1].T + W[:, -1])
    return h[:, 0]


# %% tags=["answer"]
for hidden in (8, 2):  # section 6's 30 steps with eta 0.5, written with torch tensors
    Ws = moons_weights(hidden)
    for _ in range(30):
        loss_h = torch.mean((moons_output(Ws, X_moons) - torch.tensor(targets)) ** 2)
        with torch.no_grad():
            for W, g in zip(Ws, torch.autograd.grad(loss_h, Ws), strict=True):
                W -= 0.5 * g
    with torch.no_grad():
        acc = [
            np.mean((moons_output(Ws, P) > 0).numpy() == c)
            for P, c in ((X_moons, y_moons), (X_new, y_new))
        ]
    print(
        f"{hidden} hidden units: accuracy {acc[0]:.2f} on the training points, {acc[1]:.2f} on new points"
    )


# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 只会弯一点点。每个隐藏单元沿一条直线贡献一个平滑的台阶，输出单元再把它们组合起来；只有两个单元时，边界只能在两条直线之间弯折一次，没法绕过两个月亮的尖端。同样训练 30 步后，训练点上的准确率从 0.97 降到 0.87，新点上从 0.96 降到 0.88（这个单元格用 torch 张量重放了第 6 节的训练，引擎的梯度已经与之对照过）。表达这个想法并不需要八个单元，但八个单元能给边界足够多的分段。
# </details>

# %% [markdown]
# **练习 3。** 用两个相等的输入调用 `maximum`。我们的引擎把梯度送到哪里？`torch.maximum` 又送到哪里？两个都验证一下。

# %% tags=["answer"]
a_eq, b_eq = Value(1.0), Value(1.0)
a_eq.maximum(b_eq).backward()
a_t, b_t = (torch.tensor(1.0, requires_grad=True) for _ in range(2))
torch.maximum(a_t, b_t).backward()
print(
    f"our maximum: ({a_eq.grad}, {b_eq.grad}); torch.maximum: ({a_t.grad.item()}, {b_t.grad.item()})"
)

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 在两个输入相等时，$\max$ 没有导数，所以把上游梯度按权重分给两个输入、只要权重之和为 1，都是合理的选择（一个*次梯度*）。我们的引擎判断的是 `self.data > other.data`，相等时为假，于是把梯度全部送给第二个输入：$(0, 1)$。`torch.maximum` 则平分：$(0.5, 0.5)$。对于实数数据，相等的情况很少见；但如果梯度检验恰好落在相等处（或 ReLU 的 0 处），它就可能因为这个原因与有限差分不一致。
# </details>

# %% [markdown]
# **练习 4。** 把第 10 节的深度加倍到 $K = 72$。存下的激活值、重算所需的层计算次数，以及检查点保存的激活值，分别增长多少倍？

# %% tags=["answer"]
for name in ("stored", "checkpointed"):
    held_72 = strategies[name](*chain(72)) // activation
    print(f"K = 72, {name}: {held_72} activations held, {held_72 / table[36, name][0]:.2f}x K = 36")
print(f"K = 72, recomputed: {72 * 73 // 2} layer evaluations, {72 * 73 / (36 * 37):.2f}x K = 36")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 存储是线性增长：$K + 1$ 个激活值，从 37 到 73（$1.97\times$）。重算是二次增长：$K(K+1)/2$ 次层计算，从 666 到 2628（$3.95\times$，接近 4）。检查点按 $2\sqrt K$ 增长：从 12 到 17 个激活值（$1.42\times$，接近 $\sqrt 2$）。`round(sqrt(72))` = 8 段、每段 9 层，它保存 8 个段的输入，再加上正在重算的那一段的 9 个激活值。深度加倍时，检查点多花的内存远比存储少。
# </details>

# %% [markdown]
# **练习 5。** 在第 13 节中，设 $\beta = 0.99$。平滑后的曲线会滞后多少步？

# %% tags=["answer"]
for beta_lag in (0.9, 0.99):
    ages = np.arange(5000)
    mean_age = np.sum((1 - beta_lag) * beta_lag**ages * ages)  # weights (1 - β) β^k on age k
    rise = math.ceil(math.log(1 / math.e) / math.log(beta_lag))  # steps to follow 63% of a jump
    print(f"β = {beta_lag}: mean age of the averaged losses {mean_age:.1f} steps; "
          f"63% of a jump after {rise} steps")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 大约 100 步，而不是 10 步。平均值给 $k$ 步之前的损失的权重是 $(1-\beta)\beta^k$，所以它的平均“年龄”是 $\beta/(1-\beta)$：$\beta = 0.9$ 时是 9 步，$\beta = 0.99$ 时是 99 步；损失突然变化之后，大约要 $1/(1-\beta)$ 步（10 步和 100 步）才能追上变化的 63%。在一次 300 步的训练里，100 步的滞后掩盖了三分之一的过程：曲线很平滑，但它要很晚才告诉你损失已经变了。
# </details>
