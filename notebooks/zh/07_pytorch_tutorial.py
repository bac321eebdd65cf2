# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 第 07 讲 — PyTorch 教程
#
# 第 01–06 讲从零实现了梯度、优化器和各种层。这一讲讲的是 PyTorch 这套工具本身，以及怎样搭建一个项目：它能在任何设备上运行，中断之后能接着跑，报告的数字值得信赖。先用一张糖尿病患者的数据表，再用手写数字的图像。
#
# 1. 张量：创建、dtype、形状、设备、NumPy
# 2. 自动微分：回顾第 01 讲
# 3. `Dataset` 与 `DataLoader`
# 4. 模型、损失、优化器与设备安全的训练循环
# 5. 训练数据、验证数据与测试数据
# 6. 训练模式与评估模式、检查点、提前停止、设定随机种子
# 7. 一个完整的项目：糖尿病病情进展
# 8. 课程库中的 `fit`，以及提前停止帮我们避免了什么
# 9. 项目的文件：在数字上训练 CNN、数据增强、设定种子的工作进程
# 10. 要点、作业与练习

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %% tags=["language"]
from course_lib.language import set_language

set_language("zh")

# %%
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from course_lib.data import load_diabetes, standardize, train_val_test_split
from course_lib.gradcheck import format_bound
from course_lib.plots import color, use_style
from course_lib.training import evaluate, fit, get_device, set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
use_style()

# %% [markdown]
# ## 1. 张量：创建、dtype、形状、设备、NumPy
#
# **张量**（tensor）就是 PyTorch 的数组：一个 $n$ 维的数字网格，所有元素类型相同。它还可以放在 GPU 上，并记录施加在它身上的运算，以便自动微分。张量可以由 Python 列表或工厂函数创建；生成随机张量的函数接受一个 `torch.Generator`，因此只要固定一个种子，无论程序在别处还抽了多少随机数，这些张量的值都不会变。

# %%
gen = torch.Generator().manual_seed(0)
examples = {
    "tensor([[1., 2., 3.], [4., 5., 6.]])": torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    "tensor([2, 0, 1])": torch.tensor([2, 0, 1]),
    "zeros(2, 3)": torch.zeros(2, 3),
    "ones(3)": torch.ones(3),
    "arange(0, 10, 2)": torch.arange(0, 10, 2),
    "randn(2, 3, generator=gen)": torch.randn(2, 3, generator=gen),
}
for name, t in examples.items():
    print(f"{name:37s} shape {tuple(t.shape)!s:8s} dtype {t.dtype}")
again = torch.randn(2, 3, generator=torch.Generator().manual_seed(0))
print(
    f"same seed, same random tensor: {torch.equal(again, examples['randn(2, 3, generator=gen)'])}"
)

# %% [markdown]
# 每个张量都有一个**数据类型**（dtype），即其元素的类型。浮点数默认是 `float32`（4 字节，约 7 位有效数字）：对训练来说足够了，内存只有 `float64` 的一半，通常也更快。整数默认是 `int64`，这正是 `nn.CrossEntropyLoss` 要求的标签类型。NumPy 默认用 `float64`，而 `torch.tensor(array)` 会保留这个类型。不同 dtype 混合运算时，结果取较宽的那一种，这叫**类型提升**（type promotion）；整数做真除法，得到默认的浮点类型。

# %%
f32, f64, i64 = torch.ones(2), torch.ones(2, dtype=torch.float64), torch.tensor([3, 4])
print(
    f"default float dtype: {torch.get_default_dtype()}, from NumPy: {torch.tensor(np.ones(2)).dtype}"
)
print(f"float32 + float64 -> {(f32 + f64).dtype}")
print(f"int64   + float32 -> {(i64 + f32).dtype}")
print(f"int64   / int64   -> {(i64 / i64).dtype};  int64 // int64 -> {(i64 // i64).dtype}")
print(f"bytes per entry: float32 {f32.element_size()}, float64 {f64.element_size()}")

# %% [markdown]
# 层*不会*做类型提升：`nn.Linear` 的权重是 float32，遇到 float64 的输入会直接报错。把 NumPy 数据直接喂给模型时，几乎人人都会碰到这个错误；用 `torch.tensor(X, dtype=torch.float32)`（或 `.float()`）转换一下即可。

# %%
layer = nn.Linear(3, 1)
x64 = torch.tensor(np.ones((2, 3)))
try:
    layer(x64)
except RuntimeError as error:
    print(f"RuntimeError: {error}")
print(f"after .float(): output shape {tuple(layer(x64.float()).shape)}")

# %% [markdown]
# **形状**（shape）说明元素是如何排列的。`view` 以新的形状重新解释同一块内存（不复制），它要求元素在内存中按顺序排列，即**连续存储**（contiguous）；`reshape` 在必要时会复制，例如在转置之后。`unsqueeze(d)` 在位置 `d` 插入一个长度为 1 的轴；`squeeze(d)` 则删去一个。

# %%
x = torch.arange(12.0)
m = x.view(3, 4)
print(
    f"x {tuple(x.shape)} -> view(3, 4) {tuple(m.shape)}, shares memory: {m.data_ptr() == x.data_ptr()}"
)
print(
    f"m.T is contiguous: {m.T.is_contiguous()}; m.T.reshape(12) copies: {m.T.reshape(12).data_ptr() != x.data_ptr()}"
)
print(f"m.T.reshape(12) = {m.T.reshape(12).tolist()}")
print(
    f"unsqueeze: {tuple(x.unsqueeze(0).shape)} and {tuple(x.unsqueeze(1).shape)}; squeeze back: {tuple(x.unsqueeze(1).squeeze(1).shape)}"
)
m.view(12)[0] = 100.0  # writes through to x: one block of memory, two shapes
print(f"after writing through the view, x[0] = {x[0].item()}")

# %% [markdown]
# **广播**（broadcasting）让一个运算可以组合形状不同的张量。形状从右端对齐；长度为 1 的轴（或缺失的轴）会被拉伸，以匹配另一个张量。因此，一个列 $(3, 1)$ 加上一个行 $(4,)$，得到一张 $(3, 4)$ 的表 $c_{ij} = a_i + b_j$。我们用显式循环来验证这条规则。

# %%
col = torch.tensor([[0.0], [10.0], [20.0]])  # shape (3, 1)
row = torch.tensor([1.0, 2.0, 3.0, 4.0])  # shape (4,)
table = col + row
loop = torch.tensor([[col[i, 0] + row[j] for j in range(4)] for i in range(3)])
print(f"(3, 1) + (4,) -> {tuple(table.shape)}\n{table.numpy()}")
print(f"max |broadcast - explicit loop| = {format_bound((table - loop).abs().max().item(), 1e-12)}")
assert torch.equal(table, loop)

# %% [markdown]
# 广播也是一个经典的“静默” bug。形状为 $(B, 1)$ 的预测和形状为 $(B,)$ 的目标放在一起计算，会得到一张 $(B, B)$ 的表：每个预测都和每个目标比了一遍。它的均值仍然是一个数，所以程序不会崩溃，但那并不是我们要的损失（`nn.MSELoss` 会给出警告）。要让两者的形状一致，例如用 `squeeze(-1)`。

# %%
pred = torch.tensor([[1.0], [2.0], [3.0]])  # (B, 1), as nn.Linear(..., 1) returns
target = torch.tensor([1.0, 2.0, 3.0])  # (B,)
wrong = ((pred - target) ** 2).mean()
right = ((pred.squeeze(-1) - target) ** 2).mean()
print(f"(B, 1) - (B,) has shape {tuple((pred - target).shape)}: 'MSE' = {wrong.item():.4f}")
print(
    f"(B,)   - (B,) has shape {tuple((pred.squeeze(-1) - target).shape)}: MSE = {right.item():.4f}"
)

# %% [markdown]
# 张量存放在某个**设备**（device）上，即 CPU 的内存或某块 GPU 的显存；一个运算要求它用到的所有张量都在同一个设备上。常见的写法是：有 CUDA GPU 就用它，否则用 CPU（`course_lib.training.get_device()` 还会尝试 Apple 的 MPS）；输出取决于所用的机器，所以不做检查。本讲在 CPU 上运行，结果能精确复现。

# %%
# NBVAL_IGNORE_OUTPUT
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"device on this machine: {device}; course_lib.training.get_device(): {get_device()}")

# %% [markdown]
# **与 NumPy 互通。** `torch.from_numpy(a)` 包装一个数组而*不复制*：改写其中一个，另一个也会跟着变（dtype 也仍是 float64）；`torch.tensor(a)` 则会复制一份。`t.numpy()` 与 CPU 上的张量共享内存，`t.item()` 把只含一个元素的张量变成 Python 数值。

# %%
a = np.zeros(3)
shared, copied = torch.from_numpy(a), torch.tensor(a)
a[0] = 5.0
print(f"after a[0] = 5: from_numpy -> {shared.tolist()}, torch.tensor -> {copied.tolist()}")
back = shared.numpy()
back[1] = 7.0
print(f"after writing into .numpy(): a = {a}")
total = shared.sum()
print(f"sum as a tensor: {total!r}; .item(): {total.item()} ({type(total.item()).__name__})")

# %% [markdown]
# ## 2. 自动微分：回顾第 01 讲
#
# 在[第 01 讲](01_backprop.ipynb)中，用 `requires_grad=True` 创建的张量会记录施加在它身上的每一个运算，`loss.backward()` 执行反向过程，梯度则存入 `.grad`。对于在 $N$ 个样本上用均方误差训练的线性模型，
#
# $$L(\mathbf w) = \frac1N \lVert X\mathbf w - \mathbf y \rVert^2, \qquad
# \nabla_{\mathbf w} L = \frac2N X^\top (X\mathbf w - \mathbf y),$$
#
# PyTorch 算出的梯度必须与这个公式一致（在 float64 下，只差舍入误差）。

# %%
gen = torch.Generator().manual_seed(0)
X_toy = torch.randn(8, 3, generator=gen, dtype=torch.float64)
y_toy = torch.randn(8, generator=gen, dtype=torch.float64)
w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
loss = ((X_toy @ w - y_toy) ** 2).mean()
loss.backward()
by_hand = 2 / len(y_toy) * X_toy.T @ (X_toy @ w.detach() - y_toy)
err = (w.grad - by_hand).abs().max().item()
print(f"w.grad = {w.grad.numpy()}\nmax |autograd - 2/N X^T (Xw - y)| = {format_bound(err, 1e-12)}")
assert err < 1e-12

# %% [markdown]
# 每个训练循环都要注意两条规则。第一，`backward()` 会把梯度*累加*到 `.grad` 上，这叫**梯度累积**（gradient accumulation），所以在下一次反向传播之前必须把梯度清零：用 `w.grad.zero_()`，或者用 `optimizer.zero_grad()` / `model.zero_grad()` 一次清零所有参数（它们把 `.grad` 设为 `None`，效果等同于零）。第二，写在 `with torch.no_grad():` 里的代码不会被记录，参数更新和评估正需要这样：不建计算图，因此更快、更省内存。

# %%
((X_toy @ w - y_toy) ** 2).mean().backward()  # a second backward without zeroing
print(f"after a second backward(): w.grad / by_hand = {(w.grad / by_hand).numpy()}")
w.grad.zero_()
with torch.no_grad():
    w -= 0.1 * by_hand  # an update must not be recorded in the graph
    out = X_toy @ w
print(
    f"after zero_(): w.grad = {w.grad.numpy()}; output made under no_grad requires grad: {out.requires_grad}"
)

# %% [markdown]
# ## 3. `Dataset` 与 `DataLoader`
#
# 第一个项目使用 scikit-learn 自带的糖尿病数据（无需下载）：442 名患者，每人 10 项指标（年龄、性别、身体质量指数、血压和六项血清指标），目标是一年后病情进展程度的一个量化指标。

# %%
X_all, y_all, feature_names = load_diabetes()
print(f"X {X_all.shape}, y {y_all.shape}; features: {', '.join(feature_names)}")
print(f"feature means: {X_all.mean(axis=0).round(1)}")
print(f"target: min {y_all.min():.0f}, mean {y_all.mean():.1f}, max {y_all.max():.0f}")

# %% [markdown]
# 我们用一个固定的种子把数据一次性划分好：70 % 用于训练，15 % 用于验证，15 % 作为测试集，只在最后用一次（见第 5 节）。各项特征的尺度相差很大（年龄以年计，性别编码为 1/2，血清值在几百左右），所以我们把每一项特征以及目标都标准化，所用的均值和标准差来自*训练*集，并原样用于其他两部分。如果用全部数据的统计量，留出的数据就会渗入训练过程，这叫**数据泄漏**（data leakage）。

# %%
split = train_val_test_split(X_all, y_all, val_fraction=0.15, test_fraction=0.15, seed=0)
X_train, X_val, X_test, x_mean, x_std = standardize(split.X_train, split.X_val, split.X_test)
y_train, y_val, y_test, y_mean, y_std = standardize(split.y_train, split.y_val, split.y_test)
print(f"train / val / test: {len(X_train)} / {len(X_val)} / {len(X_test)} patients")
print(f"target scale from the training set: mean {y_mean:.2f}, std {y_std:.2f}")
print(
    f"training features: max |mean| {format_bound(np.abs(X_train.mean(0)).max(), 1e-12)}, std {X_train.std(0).min():.4f}..{X_train.std(0).max():.4f}"
)
print(f"validation features (not exactly 0 / 1): max |mean| {np.abs(X_val.mean(0)).max():.4f}")

# %% [markdown]
# PyTorch 中的**数据集**（dataset）要回答两个问题：一共有多少个样本（`__len__`），以及第 $i$ 个样本是什么（`__getitem__`，返回输入及其目标）。我们的数组都在内存里，所以 `__init__` 一次性把它们转换成 float32 张量；如果是存放在磁盘上的图像，`__getitem__` 就会去读第 $i$ 个文件。


# %%
class DiabetesDataset(Dataset):
    """Standardised diabetes rows as (features, target) pairs.

    Args:
        X: array of shape (N, 10). y: array of shape (N,).

    Item i is (x_i float32 of shape (10,), y_i float32 of shape ()).
    """

    def __init__(self, X, y):
        self.X = torch.tensor(X, dtype=torch.float32)
        self.y = torch.tensor(y, dtype=torch.float32)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


# %%
train_set = DiabetesDataset(X_train, y_train)
val_set, test_set = DiabetesDataset(X_val, y_val), DiabetesDataset(X_test, y_test)
x0, y0 = train_set[0]
print(
    f"len(train_set) = {len(train_set)}; item 0: x {tuple(x0.shape)} {x0.dtype}, y {tuple(y0.shape)} {y0.dtype}"
)

# %% [markdown]
# **数据加载器**（data loader，即 `DataLoader`）把数据集变成一个个小批次：它抽取索引，对每个索引调用 `__getitem__`，再把结果沿一个新的第一个轴堆叠起来。设置 `shuffle=True` 时，它每个轮次都会抽取一个新的顺序；给它一个设了种子的 `torch.Generator`，这些顺序在每次运行时都会重复出现。验证集的加载器不需要打乱：顺序改变不了均值。

# %%
batch_size = 32
train_loader = DataLoader(
    train_set, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(0)
)
val_loader = DataLoader(val_set, batch_size=128)
xb, yb = next(iter(train_loader))
sizes = [len(b[1]) for b in train_loader]
print(f"one batch: inputs {tuple(xb.shape)}, targets {tuple(yb.shape)}")
print(
    f"{len(train_loader)} batches per epoch, sizes {sizes} (the last one holds the remaining {sizes[-1]})"
)

# %% [markdown]
# 为了看清顺序，我们加载的是索引本身：一个 `range` 就是合法的数据集。种子相同的两个加载器给出相同的顺序；同一个加载器到了第二个轮次，则会给出新的顺序。


# %%
def first_indices(loader, epochs=2, k=8):
    """The first k indices the loader yields in each of its first epochs."""
    return [next(iter(loader))[:k].tolist() for _ in range(epochs)]


orders = [
    first_indices(
        DataLoader(
            range(310), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
        )
    )
    for _ in range(2)
]
print(f"loader A: epoch 1 {orders[0][0]}, epoch 2 {orders[0][1]}")
print(f"loader B: epoch 1 {orders[1][0]}, epoch 2 {orders[1][1]}")

# %% [markdown]
# ## 4. 模型、损失、优化器与设备安全的训练循环
#
# 模型是 `nn.Module` 的子类，也就是 PyTorch 的**模块**（module）：`__init__` 创建各层，`forward` 规定输入如何流经这些层，调用 `model(x)` 就会调用 `forward`。我们的模型是一个**多层感知机**（multilayer perceptron，MLP）：两个各含 128 个 ReLU 单元、带 dropout 的隐藏层（见第 6 节），外加一个输出；输出的形状是 $(B,)$，与目标一致（避开第 1 节的 bug）。它的参数远比患者多：第 8 节会看着它过拟合。


# %%
class MLP(nn.Module):
    """x (B, in_features) -> prediction (B,): two hidden ReLU layers with dropout, a Linear."""

    def __init__(self, in_features, hidden=128, dropout=0.1):
        super().__init__()
        self.hidden1 = nn.Linear(in_features, hidden)
        self.hidden2 = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.dropout(torch.relu(self.hidden1(x)))
        h = self.dropout(torch.relu(self.hidden2(h)))
        return self.out(h).squeeze(-1)


# %%
set_seed(0)
model = MLP(in_features=10)
for name, p in model.named_parameters():
    print(f"{name:14s} {tuple(p.shape)}")
n_params = sum(p.numel() for p in model.parameters())
print(f"parameters: {n_params} = (10 + 1) * 128 + (128 + 1) * 128 + (128 + 1) * 1")
print(
    f"training patients: {len(train_set)}, parameters per patient: {n_params / len(train_set):.0f}"
)
assert n_params == 11 * 128 + 129 * 128 + 129
print(f"output for one batch: {tuple(model(xb).shape)}")

# %% [markdown]
# **按任务选择损失。**
#
# - 回归（目标是实数，如本例）：均方误差 `nn.MSELoss()`，即 $\frac1N\sum_i (\hat y_i - y_i)^2$；
# - 分类：`nn.CrossEntropyLoss()`，输入形状为 $(B, C)$ 的原始分数和形状为 $(B,)$ 的 int64 标签，softmax 已经内置（第 05 讲）；
# - 其他任务有各自的损失。预测出的三维点云是一个没有特定顺序的点*集合*，所以**倒角距离**（Chamfer distance）把每个点与另一个集合中离它最近的点配对。
#
# 首先，把 `nn.MSELoss` 和它的公式对照一下：

# %%
with torch.no_grad():
    pred = model(xb)
mse_torch = nn.MSELoss()(pred, yb).item()
mse_formula = ((pred - yb) ** 2).sum().item() / len(yb)
print(
    f"nn.MSELoss {mse_torch:.4f}, formula {mse_formula:.4f}, difference {format_bound(abs(mse_torch - mse_formula), 1e-6)}"
)
assert abs(mse_torch - mse_formula) < 1e-6

# %% [markdown]
# 对于点集 $A$ 和 $B$，（平方）倒角距离为
#
# $$d_{\mathrm{CD}}(A, B) = \frac1{|A|}\sum_{a\in A}\min_{b\in B}\lVert a-b\rVert^2
# + \frac1{|B|}\sum_{b\in B}\min_{a\in A}\lVert a-b\rVert^2 .$$
#
# 借助 `torch.cdist`（计算所有两两之间的距离），只需两行可微的代码就能写出它。我们用双重循环来验证它，并演示：与 MSE 不同，它不受点的顺序影响。


# %%
def chamfer(a, b):
    """Squared Chamfer distance between point sets a (N, D) and b (M, D)."""
    d2 = torch.cdist(a, b) ** 2
    return d2.min(dim=1).values.mean() + d2.min(dim=0).values.mean()


# %%
gen = torch.Generator().manual_seed(0)
A = torch.randn(5, 3, generator=gen, dtype=torch.float64)
B = A + 0.1 * torch.randn(5, 3, generator=gen, dtype=torch.float64)  # a noisy copy
loop = sum(min(((a - b) ** 2).sum() for b in B) for a in A) / len(A)
loop = loop + sum(min(((a - b) ** 2).sum() for a in A) for b in B) / len(B)
shuffled = B[torch.randperm(5, generator=gen)]
print(f"Chamfer(A, B) = {chamfer(A, B).item():.4f}, double loop {loop.item():.4f}")
print(
    f"after shuffling B's points: Chamfer {chamfer(A, shuffled).item():.4f}; MSE {((A - B) ** 2).mean().item():.4f} -> {((A - shuffled) ** 2).mean().item():.4f}"
)
assert abs(chamfer(A, B) - loop) < 1e-12 and abs(chamfer(A, shuffled) - chamfer(A, B)) < 1e-12

# %% [markdown]
# **优化器。** **优化器**（optimizer，来自 `torch.optim`，见第 03 讲和第 04 讲）持有它要更新的参数和超参数，例如 `torch.optim.Adam(model.parameters(), lr=1e-3)`；`step()` 根据每个参数的 `.grad` 更新它，`zero_grad()` 则把梯度清零。
#
# **训练循环。** 对每个小批次：`optimizer.zero_grad()`；前向计算 `loss_fn(model(x), y)`，同时记录计算图；`loss.backward()` 把 $\partial L/\partial\theta$ 填入每个 `.grad`；`optimizer.step()`。再加两行，循环就是设备安全的：模型移到 `device` 上（优化器要在模型第一次移动之后再创建），每个批次也移过去。损失在设备上累加，每个轮次只读取一次：如果每个批次之后都调用 `loss.item()`，CPU 每次都得等 GPU。


# %%
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One pass over loader on device; returns the example-weighted mean loss (0-d tensor)."""
    model.to(device).train()  # dropout on (section 6)
    total, count = torch.zeros((), device=device), 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total = total + loss.detach() * len(y)  # the last batch is smaller: weight by size
        count += len(y)
    return total / count


# %%
set_seed(0)
model = MLP(10)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
loader = DataLoader(
    train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
)
loss_fn = nn.MSELoss()
losses = [train_one_epoch(model, loader, loss_fn, optimizer, "cpu").item() for _ in range(3)]
print(f"training loss (standardised units) over epochs 1-3: {np.round(losses, 4)}")

# %% [markdown]
# 没有 GPU 的机器，也能检查有没有批次被落在后面。`meta` 设备上的张量只有形状和 dtype，没有数值：每个运算都照常执行，却什么也不计算；而把 meta 张量和 CPU 张量混在一起会报错。在 `meta` 上，只有把每个批次（输入和目标）都移过去，循环才能跑通。

# %%
meta_model = MLP(10).to("meta")  # first the model, then its optimizer
meta_optimizer = torch.optim.Adam(meta_model.parameters(), lr=3e-4)
result = train_one_epoch(meta_model, loader, loss_fn, meta_optimizer, "meta")  # CPU batches
averages = [state["exp_avg"] for state in meta_optimizer.state.values()]
stepped = len(averages) == 6 and all(t.is_meta for t in averages)
print(f"one epoch on meta: loss on {result.device}; Adam stepped all 6 tensors there: {stepped}")
try:
    meta_model(xb)  # a batch that was not moved
except RuntimeError as error:
    print(f"a CPU batch into the meta model: RuntimeError: {error}")
assert stepped and result.device.type == "meta"

# %% [markdown]
# 为什么 `zero_grad` 要放在最前面：如果没有它，处理完两个批次后 `step()` 用的就是两个批次梯度之和。我们把累加出的梯度与分别计算出的两个梯度作比较：

# %%
(x1, y1), (x2, y2) = list(DataLoader(train_set, batch_size=32))[:2]
model.eval()  # no dropout, so both passes compute the same function
grads = []
for xs, ys in [(x1, y1), (x2, y2)]:
    model.zero_grad()
    loss_fn(model(xs), ys).backward()
    grads.append(model.out.weight.grad.clone())
model.zero_grad()
for xs, ys in [(x1, y1), (x2, y2)]:
    loss_fn(model(xs), ys).backward()  # no zero_grad in between
err = (model.out.weight.grad - (grads[0] + grads[1])).abs().max().item()
print(f"max |accumulated grad - (grad batch 1 + grad batch 2)|: {format_bound(err, 1e-6)}")
assert err < 1e-6

# %% [markdown]
# ## 5. 训练数据、验证数据与测试数据
#
# - 训练数据有标签，用来驱动参数更新。
# - 验证数据也有标签，但从不用来更新参数。它们用来*做选择*：在哪个轮次停下、选哪个模型、学习率取多少。
# - 测试数据才是训练好的模型真正要面对的数据；在实际应用或比赛中，它们*没有*标签。我们的项目保留了测试标签，只为在最后报告一次：一个可信的数字。
#
# 很多文献把验证集叫作“测试集”；关键在于用途：帮忙做过选择的数据，就不再是未见过的数据了。比赛（Kaggle，第 02 讲）在隐藏测试集的一部分上公布分数，这就是公开排行榜，最终名次则由其余部分决定。我们来模拟一下：500 份提交随机猜 400 个二元标签（真实准确率 50 %），其中 200 个公开评分，200 个私下评分；我们留下公开分数最好的那一份。

# %%
rng = np.random.default_rng(0)
truth = rng.integers(0, 2, size=400)
guesses = rng.integers(0, 2, size=(500, 400))
correct = guesses == truth
public, private = correct[:, :200].mean(axis=1), correct[:, 200:].mean(axis=1)
best = public.argmax()
print(
    f"best of 500 on the public board: public accuracy {public[best]:.3f}, private {private[best]:.3f}"
)
print(f"all submissions: mean public {public.mean():.3f}, mean private {private.mean():.3f}")
assert public[best] > 0.55 and abs(private[best] - 0.5) < 0.07

# %%
fig, ax = plt.subplots(figsize=(5.6, 4.2), layout="constrained")
ax.scatter(public, private, s=10, alpha=0.5, label="500 random submissions")
ax.scatter(
    public[best],
    private[best],
    s=90,
    marker="*",
    color=color("highlight"),
    label="best on the public board",
)
ax.axhline(0.5, color=color("reference"), linestyle="--", linewidth=1, label="true accuracy 0.5")
ax.set_xlabel("public leaderboard accuracy")
ax.set_ylabel("private leaderboard accuracy")
ax.set_title("choosing by the public board overfits it")
ax.set_ylim(0.3, 0.62)
ax.legend(loc="lower right", frameon=True, framealpha=0.9)
plt.show()

# %% [markdown]
# （图中每个点是一份提交：横轴是公开排行榜上的准确率，纵轴是私有排行榜上的准确率；红色星号是公开排行榜第一名，灰色虚线是真实准确率 0.5。）公开排行榜上的胜出者看起来远好于随机猜测，到了私有排行榜上又回到随机水平附近：它被选中只是因为运气好。一个被用来做很多次决策的验证集也会以同样的方式过拟合。

# %% [markdown]
# ## 6. 训练模式与评估模式、检查点、提前停止、设定随机种子
#
# 有些层在训练时和预测时的行为不一样。**丢弃法**（dropout）在训练时以概率 $p$ 把每个激活置零，并把保留下来的激活乘以 $1/(1-p)$，使期望值保持不变；预测时它什么也不做。批次标准化（第 06 讲）在训练时用批次的统计量，训练之后用滑动平均。`model.train()` 和 `model.eval()` 让模型及其子模块在两种模式之间切换；如果不调用 `model.eval()`，预测结果就会带有随机性（dropout）或依赖于批次（BN）。

# %%
drop = nn.Dropout(p=0.5)
ones = torch.ones(10)
set_seed(0)
drop.train()
print(f"train mode: {drop(ones).numpy()}")
drop.eval()
print(f"eval mode:  {drop(ones).numpy()}")
drop.train()
mean_train = drop(torch.ones(100_000)).mean().item()
print(f"train mode, mean over 100000 ones: {mean_train:.4f} (expected 1)")

# %% [markdown]
# 所以，评估就意味着在设备上使用 `model.eval()` 和 `torch.no_grad()`。我们的函数必须与 `course_lib.training.evaluate` 一致，只差 float32 的舍入误差（课程库把各批次的损失当作 Python 浮点数相加）。


# %%
def evaluate_loss(model, loader, loss_fn, device):
    """Example-weighted mean loss over loader (0-d tensor), in eval mode, without gradients."""
    model.to(device).eval()
    total, count = torch.zeros((), device=device), 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            total = total + loss_fn(model(x), y) * len(y)
            count += len(y)
    return total / count


# %%
ours = evaluate_loss(model, val_loader, loss_fn, "cpu").item()
library = evaluate(model, val_loader, loss_fn)["loss"]
print(f"validation MSE: ours {ours:.4f}, course_lib evaluate {library:.4f}")
print(f"relative difference: {format_bound(abs(ours - library) / library, 1e-6)}")
assert abs(ours - library) < 1e-6 * library

# %% [markdown]
# **保存与加载。** 模型的**状态字典**（state dict）把参数（以及缓冲区）的名称映射到张量：学到的东西全在里面，此外别无他物。我们保存的是它，而不是模型对象；加载时先用类（在 `model.py` 中）重建模型，再调用 `load_state_dict`。重新加载的模型必须预测出相同的数值。

# %%
X_val_t = torch.tensor(X_val, dtype=torch.float32)
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "mlp.pt"
    torch.save(model.state_dict(), path)
    reloaded = MLP(10)  # fresh random weights ...
    reloaded.load_state_dict(torch.load(path))  # ... replaced by the saved ones
print(f"state dict keys: {list(model.state_dict())}")
model.eval()
reloaded.eval()
with torch.no_grad():
    diff = (model(X_val_t) - reloaded(X_val_t)).abs().max().item()
print(f"original and reloaded model give identical outputs on the validation set: {diff == 0.0}")

# %% [markdown]
# **检查点。** 一次长时间的训练应当经得起中断（合上了笔记本电脑、Colab 会话结束了）。光有权重无法接着训练：Adam 的滑动平均、学习率调度器走到了哪一步、已经完成的轮数，以及随机数生成器（dropout、打乱顺序）都决定着接下来会发生什么。**检查点**（checkpoint）把它们全部保存下来。`map_location="cpu"` 让任何设备写下的检查点都能读入；`load_state_dict` 再把权重复制到模型所在的设备上。轮次从 1 开始计数。


# %%
def save_checkpoint(path, model, optimizer, scheduler, epoch, loader):
    """Save everything a run needs to continue after epoch `epoch` (numbered from 1)."""
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    state |= {"scheduler": scheduler.state_dict(), "epoch": epoch}
    state |= {"torch_rng": torch.get_rng_state(), "loader_rng": loader.generator.get_state()}
    torch.save(state, path)


def load_checkpoint(path, model, optimizer, scheduler, loader):
    """Restore a checkpoint into freshly built objects; returns the last finished epoch."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    loader.generator.set_state(state["loader_rng"])
    return state["epoch"]


# %% [markdown]
# **设定随机种子。** 一次训练在初始权重、打乱顺序和 dropout 掩码上带有随机性。为了**可复现性**（reproducibility），`set_seed(0)` 为 Python、NumPy 和 PyTorch 的全局生成器设定种子（决定权重和 dropout），加载器的生成器则固定顺序。检验方法：一口气训练四个轮次，必须与“训练两个轮次、停下、重新启动并从检查点恢复”得到完全相同的损失和权重。（在 GPU 上，有些运算做不到逐位复现。）


# %%
def checkpoint_run(path, epochs=4, stop_after=None, resume=False, seed=0):
    """Train a small MLP with Adam and a cosine schedule, saving a checkpoint every epoch."""
    set_seed(seed)
    model = MLP(10, hidden=32)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=gen)
    done = load_checkpoint(path, model, optimizer, scheduler, loader) if resume else 0
    losses = []
    for epoch in range(done + 1, epochs + 1):
        losses.append(train_one_epoch(model, loader, loss_fn, optimizer, "cpu").item())
        scheduler.step()
        save_checkpoint(path, model, optimizer, scheduler, epoch, loader)
        if epoch == stop_after:
            break
    return losses, model


# %%
with tempfile.TemporaryDirectory() as folder:
    run_path, other_path = Path(folder) / "run.pt", Path(folder) / "other.pt"
    in_one_go, model_a = checkpoint_run(Path(folder) / "one_go.pt")
    first_half, _ = checkpoint_run(run_path, stop_after=2)
    second_half, model_b = checkpoint_run(run_path, resume=True)  # a fresh start
    other_seed, _ = checkpoint_run(other_path, seed=1)
weights_equal = all(
    torch.equal(a, b) for a, b in zip(model_a.parameters(), model_b.parameters(), strict=True)
)
print(f"epochs run before the stop: {len(first_half)}, after resuming: {len(second_half)}")
print(f"4 epochs in one go = 2 + resume + 2: losses {in_one_go == first_half + second_half}")
print(
    f"the same for the weights: {weights_equal}; another seed, other losses: {other_seed != in_one_go}"
)
assert in_one_go == first_half + second_half and weights_equal and other_seed != in_one_go

# %% [markdown]
# **提前停止。** 训练得足够久之后，网络就开始拟合训练集中的噪声：训练损失继续下降，验证损失却开始回升。**提前停止**（early stopping）记住迄今为止验证损失最好的那个轮次的权重，一旦验证损失连续 `patience` 个轮次没有改善就停下来（**耐心值**（patience）用来吸收波动），然后恢复那组权重。保存的权重必须是副本（`clone()`）：状态字典里的张量就是正在训练的参数本身。


# %%
def train_early_stopping(
    model, train_loader, val_loader, loss_fn, optimizer, epochs, patience, device
):
    """Train with early stopping on the validation loss; returns (history, best epoch)."""
    history = {"train": [], "val": []}  # entry k - 1 belongs to epoch k
    best_loss, best_epoch, best_state = float("inf"), 0, None
    for epoch in range(1, epochs + 1):
        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        history["train"].append(train_loss.item())
        history["val"].append(evaluate_loss(model, val_loader, loss_fn, device).item())
        if history["val"][-1] < best_loss:
            best_loss, best_epoch = history["val"][-1], epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return history, best_epoch


# %% [markdown]
# ## 7. 一个完整的项目：糖尿病病情进展
#
# 误差本身说明不了多少，所以我们先建立两个**基线**（baseline），也就是简单的预测器：一个值得训练的模型必须胜过它们。
#
# - 均值基线：对每位患者都预测训练集目标的均值；
# - 线性回归 $\hat y = \mathbf x^\top\mathbf w + b$，用最小二乘法拟合（对加了一列 1 的特征矩阵 $A$ 调用 `np.linalg.lstsq`）。它的残差与每一列都正交，即 $A^\top(A\mathbf w - \mathbf y) = \mathbf 0$（正规方程），我们会验证这一点。


# %%
def with_bias(X):
    """Append a column of ones, so the last weight is the intercept b."""
    return np.column_stack([X, np.ones(len(X))])


coef, *_ = np.linalg.lstsq(with_bias(X_train), split.y_train, rcond=None)
normal = with_bias(X_train).T @ (with_bias(X_train) @ coef - split.y_train)
print(f"linear regression on standardised features: w = {coef[:-1].round(1)}, b = {coef[-1]:.2f}")
ok = np.abs(normal).max() < 1e-8
print(f"normal equations hold to rounding error, max |A^T (A w - y)| < 1e-8: {ok}")
assert ok

# %% [markdown]
# 我们用目标本身的单位来报告误差。设对 $n$ 位患者的预测为 $\hat y_i$：
#
# $$\mathrm{RMSE} = \sqrt{\tfrac1n\textstyle\sum_i(\hat y_i - y_i)^2}, \qquad
# \mathrm{MAE} = \tfrac1n\textstyle\sum_i|\hat y_i - y_i|, \qquad
# R^2 = 1 - \frac{\sum_i(\hat y_i - y_i)^2}{\sum_i(y_i - \bar y)^2}.$$
#
# **决定系数**（coefficient of determination）$R^2$ 是被解释的目标方差所占的比例：1 表示完美，0 表示只相当于预测被评估数据的均值 $\bar y$。验证方法：RMSE 和 MAE 与 PyTorch 的损失函数对照；$R^2$ 与 $\hat y$ 和 $y$ 的相关系数的平方对照——对带截距的最小二乘模型，在它自己的训练数据上，两者相等。


# %%
def scores(pred, target):
    """RMSE, MAE and R^2 of predictions against targets (1-D arrays, same units)."""
    residual = pred - target
    rmse = np.sqrt(np.mean(residual**2))
    r2 = 1 - np.sum(residual**2) / np.sum((target - target.mean()) ** 2)
    return {"RMSE": rmse, "MAE": np.mean(np.abs(residual)), "R2": r2}


fitted = with_bias(X_train) @ coef
ours = scores(fitted, split.y_train)
p_t, y_t = torch.tensor(fitted), torch.tensor(split.y_train)
reference = [F.mse_loss(p_t, y_t).sqrt().item(), F.l1_loss(p_t, y_t).item()]
reference.append(np.corrcoef(fitted, split.y_train)[0, 1] ** 2)
err = np.abs(np.array(list(ours.values())) - reference).max()
print(f"max |our RMSE, MAE, R2 - references| = {format_bound(err, 1e-10)}")
assert err < 1e-10

# %% [markdown]
# 接下来是 MLP：使用 Adam，学习率 $3\cdot10^{-4}$，批次大小 32，最多 200 个轮次，提前停止的耐心值为 10。损失是*标准化后*目标的 MSE。

# %%
set_seed(0)
mlp = MLP(10)
optimizer = torch.optim.Adam(mlp.parameters(), lr=3e-4)
train_loader = DataLoader(
    train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
)
history, best_epoch = train_early_stopping(
    mlp, train_loader, val_loader, loss_fn, optimizer, epochs=200, patience=10, device="cpu"
)
val_mse = np.array(history["val"])
print(f"stopped after epoch {len(val_mse)}, 10 (the patience) after the best, epoch {best_epoch}")
print(f"validation MSE: epoch 1 {val_mse[0]:.3f}, epoch {best_epoch} {val_mse.min():.3f}")
assert len(val_mse) == best_epoch + 10 and val_mse.min() < 0.65 * val_mse[0]

# %% [markdown]
# 训练确实有用：保留下来的轮次比第一个轮次好得多；不过谷底附近哪个轮次算“最好”，是噪声决定的（第 8 节用阴影标出了落在最小值 2 % 以内的轮次）。
#
# **用验证集做选择。** 预测值换算回目标的单位：$\hat y = \hat y_{\text{std}}\cdot s_y + m_y$（$m_y$、$s_y$ 是训练集的均值和标准差）。由每个候选模型的验证 RMSE 来决定；测试集依然不动。


# %%
def predict_progression(model, X):
    """Predictions in the target's original units for standardised features X (N, 10)."""
    model.eval()
    with torch.no_grad():
        pred_std = model(torch.tensor(X, dtype=torch.float32)).numpy()
    return pred_std.astype(np.float64) * y_std + y_mean


# %%
candidates = {
    "mean of training targets": lambda X: np.full(len(X), y_mean),
    "linear regression (lstsq)": lambda X: with_bias(X) @ coef,
    "MLP, early stopping": lambda X: predict_progression(mlp, X),
}
val_rmse = {name: scores(f(X_val), split.y_val)["RMSE"] for name, f in candidates.items()}
for name, rmse in val_rmse.items():
    print(f"{name:27s} validation RMSE {rmse:5.1f}")
chosen = min(val_rmse, key=val_rmse.get)
print(f"chosen by validation: {chosen}")
assert chosen == "linear regression (lstsq)"

# %% [markdown]
# 验证集选中了线性回归，尽管 MLP 的分数还占了便宜（它的轮次正是在这些患者上选出来的）。这个差距是真的吗？**自助法**（bootstrap）对 66 位验证患者做 2000 次有放回的重抽样，在每次重抽样上重新计算 RMSE 之差：差值的分布显示，换一批患者时这个差会有多大的波动。两个拟合好的模型保持不变，所以它对换一个种子或换一种划分的情形什么也说明不了。

# %%
rng = np.random.default_rng(0)
idx = rng.integers(0, len(X_val), size=(2000, len(X_val)))  # 2000 resampled validation sets
val_pred = {name: f(X_val) for name, f in candidates.items()}


def boot_rmse(pred, target):
    """RMSE on each of the resampled sets: shape (2000,)."""
    return np.sqrt(np.mean((pred[idx] - target[idx]) ** 2, axis=1))


diffs = boot_rmse(val_pred["MLP, early stopping"], split.y_val) - boot_rmse(
    val_pred[chosen], split.y_val
)
low, high = np.percentile(diffs, [2.5, 97.5])
print(f"validation RMSE, MLP minus linear regression: 95 % interval [{low:.1f}, {high:.1f}]")
assert low < 0 < high

# %% [markdown]
# 区间包含零：66 位患者分辨不出这两个模型；既然没有证据支持网络，就保留更简单的模型。这份数据规模小，又接近线性；额外的容量要在更丰富的输入上才会有回报（第 9 节）。现在，只用一次测试集，并给出所选模型 RMSE 的自助法区间（反映测试患者只有 66 位带来的不确定性）：

# %%
test_pred = candidates[chosen](X_test)
final = scores(test_pred, split.y_test)
idx = rng.integers(0, len(X_test), size=(2000, len(X_test)))
low, high = np.percentile(boot_rmse(test_pred, split.y_test), [2.5, 97.5])
print(f"{chosen} on the test set: RMSE {final['RMSE']:.1f} (95 % interval [{low:.1f}, {high:.1f}])")
print(f"MAE {final['MAE']:.1f}, R2 {final['R2']:.3f}")

# %% [markdown]
# **写出预测结果。** 比赛或同事需要文件形式的测试集预测，每个样本一行：我们写一个包含 id 和预测值的 CSV，存到临时文件夹里，再读回来。

# %%
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "predictions.csv"
    rows = np.column_stack([np.arange(len(test_pred)), test_pred])
    np.savetxt(path, rows, fmt=["%d", "%.2f"], delimiter=",", header="id,progression", comments="")
    lines = path.read_text().splitlines()
    back = np.loadtxt(path, delimiter=",", skiprows=1)
print("\n".join(lines[:4]))
rounding = np.abs(back[:, 1] - test_pred).max()
print(
    f"read back: {back.shape[0]} rows x {back.shape[1]} columns; max rounding error {rounding:.3f}"
)

# %% [markdown]
# ## 8. 课程库中的 `fit`，以及提前停止帮我们避免了什么
#
# 这个循环在课程库中也有：`course_lib.training.fit(model, train_loader, loss_fn,
# optimizer, epochs=, val_loader=, patience=, device=)` 负责训练、验证、提前停止、恢复最好的权重，并返回一个记录每轮损失（以及准确率）的 `History`。从相同的种子出发、*不设*耐心值跑 30 个轮次，它的前几个轮次必须重现第 7 节的结果；之后的部分则显示：如果不停下，训练会走向哪里。它的进度行每次都不一样，不做检查。

# %%
# NBVAL_IGNORE_OUTPUT
set_seed(0)
mlp_fit = MLP(10)
optimizer = torch.optim.Adam(mlp_fit.parameters(), lr=3e-4)
train_loader = DataLoader(
    train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
)
fit_history = fit(
    mlp_fit, train_loader, loss_fn, optimizer, epochs=30, val_loader=val_loader, progress=True
)

# %%
shared = len(val_mse)
gap = max(
    np.abs(np.array(fit_history.val_loss[:shared]) - val_mse).max(),
    np.abs(np.array(fit_history.train_loss[:shared]) - history["train"]).max(),
)
print(f"fit repeats epochs 1-{shared} of section 7: max loss difference {format_bound(gap, 1e-5)}")
rise = fit_history.val_loss[-1] / val_mse.min() - 1
print(
    f"validation MSE at epoch 30: {fit_history.val_loss[-1]:.3f}, {100 * rise:.0f} % above the kept epoch"
)
assert gap < 1e-5 and rise > 0.05

# %%
fit_val, epochs = np.array(fit_history.val_loss), np.arange(1, 31)
band = epochs[fit_val < 1.02 * val_mse.min()]
fig, ax = plt.subplots(layout="constrained")
ax.plot(epochs, fit_history.train_loss, color=color("train"), label="training loss")
ax.plot(epochs, fit_val, color=color("validation"), label="validation loss")
ax.axvspan(
    band[0] - 0.5,
    band[-1] + 0.5,
    color=color("minimum"),
    alpha=0.2,
    label="within 2 % of the minimum",
)
ax.axvline(best_epoch, color=color("highlight"), linestyle="--", label="kept epoch")
ax.axvline(len(val_mse), color=color("reference"), linestyle=":", label="early stop")
ax.set(xlabel="epoch", ylabel="MSE (standardised target)", xlim=(0.5, 30.5))
ax.set_title("MLP on diabetes: what early stopping keeps")
ax.legend(loc="upper left", bbox_to_anchor=(0.6, 1.0))  # right of the stop line
plt.show()

# %% [markdown]
# （图中横轴是轮次，纵轴是标准化目标的 MSE；蓝线是训练损失，橙线是验证损失，绿色阴影是验证损失落在最小值 2 % 以内的轮次，红色虚线是保留的轮次，灰色点线是提前停止的位置。）验证损失先下降，在阴影区间内到达谷底，然后回升，而训练损失仍在下降：网络在拟合那 310 位患者数据中的噪声。提前停止保留了谷底，并在 10 个轮次之后停下。（训练损失是在开着 dropout 的情况下测得的，所以一开始它高于验证损失。）

# %% [markdown]
# ## 9. 项目的文件：在数字上训练 CNN、数据增强、设定种子的工作进程
#
# 真正的项目由几个相互导入、不依赖笔记本就能运行的文件组成。课程在 `course_lib/project/` 里放了一个小项目，安装课程时它会一起装上（在 Colab 上也是）；复制这三个文件，就能开始你自己的项目。
#
# | 文件 | 内容 |
# |---|---|
# | `dataset.py` | `DigitsDataset`（8 × 8 的数字图像，带数据增强），`make_loader`（设定了种子的加载器） |
# | `model.py` | `DigitsCNN`，一个带 `BatchNorm2d` 的小型卷积网络 |
# | `train.py` | 第 4 节的循环、第 6 节的检查点、`train(Config(...))`，以及命令行 |
#
# `python -m course_lib.project.train --help` 列出所有选项；不加选项时，它训练六个轮次。先运行 `--checkpoint run.pt --stop-after 3`，再运行 `--checkpoint run.pt --resume`，就能中断并接着训练；`tests/test_project.py` 检验这样做与不中断地跑一遍结果相同。本笔记本像 `train.py` 一样导入这些文件：

# %%
from course_lib.project.dataset import DigitsDataset, digits_splits, make_loader, seed_worker, shift
from course_lib.project.model import DigitsCNN
from course_lib.project.train import Config, predict, train

digits_train, digits_val, digits_test = digits_splits()
images, labels = next(iter(make_loader(digits_train, batch_size=64, shuffle=True)))
sizes = f"{len(digits_train)} / {len(digits_val)} / {len(digits_test)}"
print(f"digits for training / validation / test: {sizes}")
print(
    f"a batch: images {list(images.shape)} {images.dtype}, labels {list(labels.shape)} {labels.dtype}"
)

# %% [markdown]
# 图像批次比表格多几个轴：$[64, 1, 8, 8]$ 是 64 张单通道、8 × 8 像素的图像；彩色照片的批次可能是 $[128, 3, 224, 224]$。
#
# **数据增强**（data augmentation）通过保持标签不变的改动，从已有的训练样本造出新的样本。一个数字平移一个像素仍是同一个数字，但只见过居中数字的模型未必知道这一点。`DigitsDataset(augment=True)` 在每次读取训练图像时，按九种平移之一（$d_y, d_x \in \{-1, 0, 1\}$）移动它，边缘补零：$\mathrm{out}_{ij} = \mathrm{image}_{i - d_y, j - d_x}$；验证图像和测试图像保持原样。先用这个公式来检验 `shift`：

# %%
image = digits_val.images[0, 0]
worst = 0.0
for dy, dx in [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]:
    looped = torch.zeros(8, 8)
    for i in range(8):
        for j in range(8):
            if 0 <= i - dy < 8 and 0 <= j - dx < 8:
                looped[i, j] = image[i - dy, j - dx]
    worst = max(worst, (shift(image, dy, dx) - looped).abs().max().item())
print(f"shift vs the formula, all nine moves: max difference {format_bound(worst, 1e-12)}")
assert worst == 0.0

# %% [markdown]
# **设定种子的工作进程。** `DataLoader(num_workers=k)` 会启动 $k$ 个进程，即**工作进程**（workers），在主进程训练的同时准备批次；加载很慢时（例如解码图像）才值得这样做。有两个参数能让它们可复现，`make_loader` 两个都设置了：
#
# - `generator`：加载器自己的 `torch.Generator`。它决定顺序和各工作进程的种子，与程序其余部分从全局生成器里抽了多少随机数无关。
# - `worker_init_fn`：在每个新工作进程启动时运行。PyTorch 会在每个工作进程中为 `torch`、`random` 和 NumPy 的全局生成器设定种子，但数据集自己持有的生成器（例如 `DigitsDataset.rng`）会原封不动地复制进去；`seed_worker` 为它重新设定种子。
#
# 工作进程必须能从文件中导入这两样东西（在 Windows 和 macOS 上，它们作为新进程启动），这是使用 `dataset.py` 的又一个理由。我们来测量两者各自带来的变化：


# %%
def first_labels(loader):
    """The labels of the first batch: enough to see the order."""
    return next(iter(loader))[1][:8].tolist()


orders = {}
for name, make in [
    ("global generator", lambda: DataLoader(digits_train, batch_size=64, shuffle=True)),
    ("own generator", lambda: make_loader(digits_train, batch_size=64, shuffle=True)),
]:
    set_seed(0)
    before = first_labels(make())
    set_seed(0)
    torch.randn(1)  # one more random draw elsewhere in the program
    orders[name] = before == first_labels(make())
print(f"same order after one extra draw elsewhere: {orders}")
assert orders == {"global generator": False, "own generator": True}

# %%
few = DigitsDataset(digits_train.images[:256].reshape(-1, 64), digits_train.labels[:256], True)


def same_shift_share(worker_init_fn):
    """Share of images read identically in epochs 1 and 2 (one worker, no shuffling)."""
    loader = make_loader(few, batch_size=64, num_workers=1, worker_init_fn=worker_init_fn)
    epoch1, epoch2 = (torch.cat([x for x, _ in loader]) for _ in range(2))
    return (epoch1 == epoch2).flatten(1).all(1).float().mean().item()


print("share of digits shifted identically in epochs 1 and 2, with a worker:")
print(
    f"without worker_init_fn {same_shift_share(None):.2f}; with seed_worker {same_shift_share(seed_worker):.2f}"
)

# %% [markdown]
# 没有 `worker_init_fn` 时，第 2 个轮次重复了第 1 个轮次的每一次平移：数据增强悄悄变成了数据的一份固定副本。有了 `seed_worker`，大约九张图像中有一张保持原来的平移，正是随机所给出的比例。（工作进程的数量也是种子的一部分：0 个和 2 个工作进程抽到的是另外的平移。）
#
# **卷积网络。** MLP 看到的是 64 个互不相关的数；**卷积**（convolution，即 `nn.Conv2d`）把一个小滤波器（这里是 3 × 3）在图像上滑动，用同一组权重在各处寻找同样的笔画。`DigitsCNN` 有两个卷积层，每个后面接 `BatchNorm2d`（第 06 讲，按通道统计）和 ReLU，两者之间是 2 × 2 的最大池化，最后是一个线性层。

# %%
cnn = DigitsCNN()
h = torch.zeros(2, 1, 8, 8)  # a batch of two images, to follow the shapes
for layer in [*cnn.features, nn.Flatten(), cnn.classifier]:
    h = layer(h)
    print(f"{type(layer).__name__:11s} -> {list(h.shape)}")
cnn_params = sum(p.numel() for p in cnn.parameters())
by_hand = (9 * 16 + 2 * 16) + (9 * 16 * 32 + 2 * 32) + (32 * 16 * 10 + 10)
print(f"parameters: {cnn_params} = (9*16 + 2*16) + (9*16*32 + 2*32) + (32*16*10 + 10)")
assert cnn_params == by_hand

# %% [markdown]
# `train(Config(...))` 按 `train.py` 的方式训练它：AdamW，权重衰减 $10^{-4}$，学习率从 $\eta = 10^{-2}$ 开始按余弦调度下降（第 04 讲），批次大小 64，六个轮次，分别不做和做数据增强。验证集在原样的数字上、以及在向八个方向各平移一个像素的数字上为两个网络打分，并按两个准确率的平均值做选择。

# %%
moves = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
moved_val = torch.cat([shift(digits_val.images, dy, dx) for dy, dx in moves])
moved_labels = digits_val.labels.repeat(len(moves))


def correct(model, images, labels):
    """For each image, whether the model's largest logit is its label: bool (N,)."""
    logits = predict(model, DataLoader(TensorDataset(images, labels), batch_size=512), "cpu")
    return logits.argmax(1) == labels


# %%
cnns = {augment: train(Config(augment=augment))[0] for augment in (False, True)}
hits = {a: correct(net, moved_val, moved_labels).view(len(moves), -1) for a, net in cnns.items()}
score = {}
for augment, net in cnns.items():
    clean = correct(net, digits_val.images, digits_val.labels).float().mean()
    moved = hits[augment].float().mean()
    score[augment] = (clean + moved) / 2
    print(
        f"augment={augment!s:5s}: validation accuracy {clean:.3f}, moved by one pixel {moved:.3f}"
    )
chosen_augment = max(score, key=score.get)
print(f"chosen by validation (mean of the two accuracies): augment={chosen_augment}")
assert chosen_augment

# %% [markdown]
# 在居中的数字上，两个网络相差 269 个中的一两个，和换种子带来的差别一样大；在平移过的数字上，只有做了数据增强的网络仍然准确，所以验证集选中了它。测试集只打开一次，报告它的成绩：

# %%
chosen_cnn = cnns[chosen_augment]
moved_test = torch.cat([shift(digits_test.images, dy, dx) for dy, dx in moves])
test_clean = correct(chosen_cnn, digits_test.images, digits_test.labels).float().mean()
test_moved = correct(chosen_cnn, moved_test, digits_test.labels.repeat(len(moves))).float().mean()
print(
    f"augmented CNN on the test set: accuracy {test_clean:.3f}, moved by one pixel {test_moved:.3f}"
)

# %% [markdown]
# ## 10. 要点、作业与练习
#
# - 张量有形状、dtype 和设备。模型需要 float32 的输入和 int64 的标签；$(B, 1)$ 与 $(B,)$ 一起运算，会不声不响地广播成 $(B, B)$。
# - 梯度会累积：每一步都要清零。
# - `DataLoader` 负责分批和打乱，用它自己的 `generator`；数据集持有自己的生成器时，还要加上 `worker_init_fn`。
# - 训练循环把模型和每个批次都移到设备上。检查点保存权重、优化器、调度器、轮次和随机数生成器。
# - 训练数据用来更新，验证数据用来选择，测试数据只用一次。基线让误差有了参照；自助法显示一个留出集能分辨出多大的差别。
# - 一个项目由 `dataset.py`、`model.py` 和 `train.py` 组成。数据增强教模型该忽略什么；卷积知道哪些像素是相邻的。
#
# **作业。** `homework/hw07_pytorch_pipeline.ipynb`：为略微变形的 8 × 8 手写数字搭建完整的管线：一个 `Dataset`、设定了种子的 `DataLoader`，以及一个像比赛一样计分的网络，分为四档，分别由逻辑回归、两个 MLP 和一个小型 CNN 设定。
#
# **术语表。** 上文所有加粗的术语都收录在 [glossary.md](glossary.md) 中，附有英文和中文。

# %% [markdown]
# **练习。** 运行代码之前，先预测答案。
#
# 1. 在 `load_checkpoint`（第 6 节）中去掉两个随机数生成器的状态，再恢复一次训练。第 3–4 个轮次还和一口气跑完的结果相同吗？


# %% tags=["answer"]
def load_without_rng(path, model, optimizer, scheduler, loader):
    """load_checkpoint without its two lines that restore the random generators."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return state["epoch"]


load_with_rng, load_checkpoint = load_checkpoint, load_without_rng  # the exercise's edit
with tempfile.TemporaryDirectory() as folder:
    checkpoint_run(Path(folder) / "run.pt", stop_after=2)
    resumed, _ = checkpoint_run(Path(folder) / "run.pt", resume=True)
load_checkpoint = load_with_rng
print(f"epochs 3-4 in one go:     {np.round(in_one_go[2:], 4)}")
print(f"resumed without the RNGs: {np.round(resumed, 4)}; identical: {resumed == in_one_go[2:]}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 不相同。权重、优化器和调度器都能正确接续，但随机数生成器停在一次全新启动所留下的位置：加载器的生成器在它的种子处，PyTorch 的生成器刚生成完初始权重。于是第 3 个轮次重复了第 1 个轮次的患者顺序和 dropout 掩码。损失与一口气跑完的结果不同，而且没有任何警告：这已经不是你本该得到的那次训练了。
# </details>

# %% [markdown]
# 2. 在第 7 节中先设 `patience=3`，再设 `patience=20`。保留的是哪个轮次？训练在哪个轮次之后停止？（第 8 节中 `fit_history` 的 30 个轮次就是同一次训练，所以不必重新训练就能回答。）


# %% tags=["answer"]
def stop_and_keep(val, patience):
    """(kept epoch, last epoch run) of early stopping on validation losses of epochs 1, 2, ..."""
    best = 1
    for epoch in range(2, len(val) + 1):
        if val[epoch - 1] < val[best - 1]:
            best = epoch
        elif epoch - best >= patience:
            return best, epoch
    return best, len(val)


for patience in (3, 10, 20):
    kept, last = stop_and_keep(fit_history.val_loss, patience)
    print(f"patience {patience:2d}: keeps epoch {kept}, stops after epoch {last}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 在这里，不同的耐心值保留的都是同一个轮次，因为验证曲线很平滑：先下降，再稳定地回升。耐心值越大，只是多花一些轮次。在有噪声的曲线上（验证样本更少、学习率更大），耐心值太小可能在第一个小起伏处就停下，错过真正的最小值：耐心值应当比你在验证曲线上看到的起伏更长。
# </details>

# %% [markdown]
# 3. 只用前 33 位验证患者重做第 7 节的自助法。“MLP 减去线性回归”的区间宽度会怎样变化（想想 $1/\sqrt n$）？


# %% tags=["answer"]
def interval_width(n, rng):
    """Width of the 95 % bootstrap interval of the RMSE difference on the first n patients."""
    pick = rng.integers(0, n, size=(2000, n))
    rmse = {
        k: np.sqrt(np.mean((p[:n][pick] - split.y_val[:n][pick]) ** 2, axis=1))
        for k, p in val_pred.items()
    }
    low, high = np.percentile(rmse["MLP, early stopping"] - rmse[chosen], [2.5, 97.5])
    return high - low


w66, w33 = (
    interval_width(66, np.random.default_rng(0)),
    interval_width(33, np.random.default_rng(0)),
)
print(f"interval width: 66 patients {w66:.1f}, 33 patients {w33:.1f}; ratio {w33 / w66:.2f}")
print(f"sqrt(2) = {np.sqrt(2):.2f}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 区间变宽了，大约是原来的 $\sqrt 2$ 倍：$n$ 位患者上的均值，其波动大致按 $1/\sqrt n$ 缩小，所以把 $n$ 减半，波动就乘以 $\sqrt2 \approx 1.41$。上面打印出的比值接近这个数，但并不相等：33 位患者是另一个样本，而自助法本身也带有随机性。要把区间缩小一半，需要四倍的患者。
# </details>

# %% [markdown]
# 4. 去掉 `MLP.forward` 中的 `.squeeze(-1)`。`nn.MSELoss` 计算的是什么？网络这时还能学到什么？

# %% tags=["answer"]
p_col = torch.randn(32, 1, generator=torch.Generator().manual_seed(0))  # (B, 1) predictions
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    broadcast = nn.MSELoss()(p_col, yb)  # yb: a batch of 32 targets, shape (B,)
print(f"nn.MSELoss warns about the sizes: {any('target size' in str(w.message) for w in caught)}")
split_form = ((p_col.squeeze(1) - yb.mean()) ** 2).mean() + yb.var(unbiased=False)
print(
    f"mean over all (i, j) of (p_i - y_j)^2 = mean (p_i - mean y)^2 + var y: {format_bound((broadcast - split_form).abs().item(), 1e-5)}"
)

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 输出的形状是 $(B, 1)$，目标是 $(B,)$，所以差值广播成 $(B, B)$，损失变成 $\frac1{B^2}\sum_{i,j}(p_i - y_j)^2$：每个预测都和每个目标比了一遍（`nn.MSELoss` 会对尺寸发出警告，但照常运行）。上面已经验证，它等于 $\frac1B\sum_i (p_i - \bar y)^2 + \mathrm{Var}(y)$：当每个预测都等于批次均值 $\bar y$ 时最小。于是网络学会对每位患者都预测均值，也就是均值基线，无论特征说了什么。
# </details>

# %% [markdown]
# 5. 八种单像素平移中，哪一种对没有做数据增强的网络伤害最大，哪一种最小？分别在每种平移上测量第 9 节的两个网络。

# %% tags=["answer"]
for k, (dy, dx) in enumerate(moves):
    plain, augmented = (hits[a][k].float().mean() for a in (False, True))
    print(
        f"move (dy, dx) = ({dy:2d}, {dx:2d}): without augmentation {plain:.2f}, with {augmented:.2f}"
    )
ink = digits_train.images[:, 0] > 0  # (N, 8, 8): where each training digit has ink
edges = {"top row": ink[:, 0], "bottom row": ink[:, 7], "left column": ink[:, :, 0]}
edges["right column"] = ink[:, :, 7]
shares = ", ".join(f"{k} {100 * v.any(1).float().mean():.0f} %" for k, v in edges.items())
print(f"training digits with ink in the {shares}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 没有数据增强时，斜向平移伤害最大，左右平移伤害最小；做了数据增强之后，每种平移下的准确率都保持在九成以上。最后一行说明了原因：这个数据集里的数字被缩放到占满全部八行，所以每个数字在最上面一行和最下面一行都有笔迹，而最左列和最右列几乎是空的。上下平移会把一行笔迹推出画面，并在网络一向看到笔迹的地方留下一行空白；左右平移大多只是挪动空列。斜向平移两者兼有。
# </details>
