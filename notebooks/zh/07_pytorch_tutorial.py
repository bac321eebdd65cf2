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
# 第 01–06 讲从零实现了梯度、优化器和各种层，PyTorch 只是用来对照的参考。这一讲讲的是 PyTorch 这套工具本身：每个训练程序由哪些部件组成，它们又是怎样配合的。我们从张量讲起，一直做到一个完整的小项目：根据十项临床指标，预测糖尿病一年后的病情进展。项目包括数据管线、模型、带提前停止的训练循环、基线、可信的验证集与测试集结果，以及写入文件的预测结果。
#
# 1. 张量：创建、dtype、形状、设备、NumPy
# 2. 自动微分：回顾第 01 讲
# 3. `Dataset` 与 `DataLoader`
# 4. 模型、损失、优化器与训练循环
# 5. 训练数据、验证数据与测试数据
# 6. 训练模式、评估模式、保存、提前停止、设定随机种子
# 7. 一个完整的项目：糖尿病病情进展
# 8. 进度条，以及课程库中的 `fit`
# 9. 要点、作业与练习

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn import metrics
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from course_lib.data import load_diabetes, standardize, train_val_test_split
from course_lib.gradcheck import format_bound
from course_lib.plots import color, loss_curves, use_style
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
# 张量存放在某个**设备**（device）上，即 CPU 的内存或某块 GPU 的显存；一个运算要求它用到的所有张量都在同一个设备上。常见的写法是：有 CUDA GPU 就用它，否则用 CPU（`course_lib.training.get_device()` 还会尝试 Apple 的 MPS）。结果取决于所用的机器，所以下面的单元格不做检查。本讲始终使用 CPU：这些小数据在 CPU 上跑得很快，结果也能精确复现。

# %%
# NBVAL_IGNORE_OUTPUT
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"device on this machine: {device}; course_lib.training.get_device(): {get_device()}")

# %%
t = torch.randn(4, generator=torch.Generator().manual_seed(1))
round_trip = t.to(device).cpu()  # a model and its batches go to the device the same way
assert device.type in ("cuda", "cpu") and torch.equal(round_trip, t)
print("a tensor moved to the chosen device and back is unchanged")

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
assert a[0] == shared[0] == 5.0 and copied[0] == 0.0

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
assert torch.allclose(w.grad, 2 * by_hand)
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
# 本项目使用 scikit-learn 自带的糖尿病数据（无需下载）：442 名患者，每人 10 项指标（年龄、性别、身体质量指数、血压和六项血清指标），目标是一年后病情进展程度的一个量化指标。

# %%
X_all, y_all, feature_names = load_diabetes()
print(f"X {X_all.shape}, y {y_all.shape}; features: {', '.join(feature_names)}")
print(f"feature means: {X_all.mean(axis=0).round(1)}")
print(f"target: min {y_all.min():.0f}, mean {y_all.mean():.1f}, max {y_all.max():.0f}")

# %% [markdown]
# 我们用一个固定的种子把数据一次性划分好：70 % 用于训练，15 % 用于验证，15 % 作为测试集，到最后才动用（原因见第 5 节）。各项特征的尺度相差很大（年龄以年计，性别编码为 1/2，血清值在几百左右），所以我们把每一项特征以及目标都标准化为均值 0、标准差 1，所用的统计量来自*训练*集，并原样用于其他两部分。如果用全部数据来计算统计量，留出的数据就会渗入训练过程，这叫**数据泄漏**（data leakage），它们的分数也就不再能反映模型在新患者身上的表现。

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
assert np.abs(X_train.mean(0)).max() < 1e-12 and np.allclose(X_train.std(0), 1)

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
# **数据加载器**（data loader，即 `DataLoader`）把数据集变成一个个小批量：它抽取索引，对每个索引调用 `__getitem__`，再把结果沿一个新的第一个轴堆叠起来。设置 `shuffle=True` 时，它每个轮次都会抽取一个新的顺序；给它一个设了种子的 `torch.Generator`，这些顺序在每次运行时都会重复出现。验证集的加载器不需要打乱：顺序改变不了均值。

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
assert orders[0] == orders[1] and orders[0][0] != orders[0][1]

# %% [markdown]
# 对于图像，批次会有更多的轴：形状为 $[128, 1, 224, 224]$ 的批次包含 128 张图像，每张 1 个通道（灰度图；彩色图有 3 个通道），224 行、224 列。下面的数据集用来代替图像文件：`__getitem__` 只在被请求时才生成第 $i$ 张图像（这里用一个设了种子的生成器来生成，真实项目中则是解码第 $i$ 个文件）。


# %%
class FakeImages(Dataset):
    """n grayscale 224 x 224 'images', made on demand: item i is ((1, 224, 224), label)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        image = torch.rand(1, 224, 224, generator=torch.Generator().manual_seed(i))
        return image, i % 10


images, labels = next(iter(DataLoader(FakeImages(256), batch_size=128)))
print(
    f"image batch {list(images.shape)} {images.dtype}, labels {list(labels.shape)} {labels.dtype}"
)

# %% [markdown]
# **工作进程。** `DataLoader(..., num_workers=k)` 会启动 $k$ 个进程，在主进程训练的同时并行地准备批次；默认值 0 表示在主进程中加载。批次的顺序仍由加载器的生成器决定，所以设了种子的加载器无论用不用工作进程，给出的批次都相同。每个工作进程都是一个新进程，带着自己的一份数据集副本：启动它们要花时间，只有在加载很慢时（例如从磁盘解码图像）才划算，对内存中的表格数据则不值得。（在 Windows 和 macOS 上，工作进程必须能导入数据集的类，所以要用定义在模块里的类，例如 `TensorDataset`。）下面分别用两个工作进程和不用工作进程跑一个轮次：


# %%
def one_epoch(num_workers):
    """All batches of one seeded, shuffled epoch over the training table, and the seconds."""
    table = TensorDataset(train_set.X, train_set.y)  # importable by a freshly started worker
    gen = torch.Generator().manual_seed(0)
    loader = DataLoader(table, batch_size=32, shuffle=True, num_workers=num_workers, generator=gen)
    start = time.perf_counter()
    batches = list(loader)
    return batches, time.perf_counter() - start


# %%
# NBVAL_IGNORE_OUTPUT
(batches_0, seconds_0), (batches_2, seconds_2) = one_epoch(0), one_epoch(2)
print(f"one epoch: num_workers=0 {seconds_0:.3f} s, num_workers=2 {seconds_2:.3f} s")

# %%
same = len(batches_0) == len(batches_2) and all(
    torch.equal(xa, xb) and torch.equal(ya, yb)
    for (xa, ya), (xb, yb) in zip(batches_0, batches_2, strict=True)
)
print(f"{len(batches_0)} batches, identical with and without workers: {same}")
assert same

# %% [markdown]
# ## 4. 模型、损失、优化器与训练循环
#
# 模型是 `nn.Module` 的子类，也就是 PyTorch 的**模块**（module）：`__init__` 创建各层（也就创建了它们的参数），`forward` 规定输入如何流经这些层；调用 `model(x)` 就会调用 `forward`（以及所有钩子）。我们的模型是一个**多层感知机**（multilayer perceptron，MLP），有两个隐藏层，各含 256 个 ReLU 单元，每层后面接一个 dropout（见第 6 节），最后是一个输出。它的参数远比患者多，这是有意为之：第 7 节要看着它过拟合。`forward` 返回形状 $(B,)$，与目标一致，从而避开第 1 节讲的广播 bug。在实际项目中，这个类单独放在文件 `model.py` 里，由训练脚本导入；之后加载已保存权重的脚本也导入它。


# %%
class MLP(nn.Module):
    """x (B, in_features) -> prediction (B,): two hidden ReLU layers with dropout, a Linear."""

    def __init__(self, in_features, hidden=256, dropout=0.1):
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
print(f"parameters: {n_params} = (10 + 1) * 256 + (256 + 1) * 256 + (256 + 1) * 1")
print(
    f"training patients: {len(train_set)}, parameters per patient: {n_params / len(train_set):.0f}"
)
assert n_params == 11 * 256 + 257 * 256 + 257
print(f"output for one batch: {tuple(model(xb).shape)}")

# %% [markdown]
# **按任务选择损失。** 损失把“模型错得有多离谱”变成一个要最小化的数：
#
# - 回归（目标是实数，如本例）：均方误差 `nn.MSELoss()`，即 $\frac1N\sum_i (\hat y_i - y_i)^2$；
# - 分类：`nn.CrossEntropyLoss()`，它接受形状为 $(B, C)$ 的原始分数和形状为 $(B,)$ 的 int64 标签，并在内部自己做 softmax（第 05 讲）；
# - 其他任务有各自的损失。一个以点云形式预测三维形状的模型，输出的是一个没有特定顺序的点*集合*，拿第 $i$ 个点和第 $i$ 个点比较毫无意义；**倒角距离**（Chamfer distance）则改为把每个点与另一个集合中离它最近的点配对。
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
# 对于点集 $A$ 和 $B$，（平方）倒角距离先在每个集合内，对每个点到另一个集合中最近邻的平方距离取平均，再把两个平均值相加：
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
# **优化器。** `torch.optim` 中有第 03 讲和第 04 讲的各种更新规则。**优化器**（optimizer）接收它要更新的参数 `model.parameters()` 以及超参数，例如 `torch.optim.SGD(model.parameters(), lr=0.01)`，或常用的默认选择 `torch.optim.Adam(model.parameters(), lr=1e-3)`；`optimizer.step()` 根据每个参数的 `.grad` 做一次更新，`optimizer.zero_grad()` 则把这些梯度清零。
#
# **训练循环。** 对每个小批量：
#
# 1. `optimizer.zero_grad()`：清除上一个批次的梯度（梯度会累积）；
# 2. 前向：先 `pred = model(x)`，再 `loss = loss_fn(pred, y)`，这一过程会记录计算图；
# 3. `loss.backward()`：把 $\partial L/\partial\theta$ 填入每个参数的 `.grad`；
# 4. `optimizer.step()`：更新参数。
#
# 下面是训练一个轮次的代码。它返回按样本平均的训练损失（每个批次按其大小加权，因为最后一个批次比较小）。


# %%
def train_one_epoch(model, loader, loss_fn, optimizer):
    """One pass over loader, updating model; returns the example-weighted mean loss."""
    model.train()  # dropout on (section 6)
    total = 0.0
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    return total / len(loader.dataset)


# %%
set_seed(0)
model = MLP(10)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(
    train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
)
losses = [train_one_epoch(model, loader, nn.MSELoss(), optimizer) for _ in range(5)]
print(f"training loss (standardised units) over 5 epochs: {np.round(losses, 4)}")
assert losses[-1] < losses[0]

# %% [markdown]
# 为什么需要第一步：如果不调用 `zero_grad`，处理完两个批次后 `step()` 用到的梯度是两个批次梯度之和，于是更新的步子太大，方向也有一部分指向旧的方向。我们先分别计算两个批次的梯度，再在中间不清零的情况下计算一遍：

# %%
(x1, y1), (x2, y2) = list(DataLoader(train_set, batch_size=32))[:2]
loss_fn = nn.MSELoss()
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
# 划分出的三部分各有各的用途。
#
# - 训练数据有标签，用来驱动参数更新：计算损失、反向传播、更新一步。
# - 验证数据也有标签，但从不用来更新参数。它们的损失用来*做选择*：在哪个轮次停下、网络取多大、学习率取多少。
# - 测试数据才是训练好的模型真正要面对的数据。在实际应用或比赛中，它们是*没有*标签的。我们的项目保留了测试标签，只为在最后报告一次：一个关于未见数据的可信数字。
#
# 注意名称：很多文献所说的“测试集”其实是验证集，也就是用来比较模型、带标签的留出数据。判断的标准在于用途：帮你做过选择的数据，就不再是未见数据了。
#
# 比赛（Kaggle，第 02 讲）会在隐藏测试集的一部分上显示每次提交的分数，这就是公开排行榜；私有排行榜到最后才揭晓，它用其余部分打分，决定最终名次。按公开排行榜来挑选，会让胜出者的分数偏于乐观。我们来模拟一下：500 份提交随机猜 400 个二元标签（真实准确率 50 %），其中 200 个公开评分，200 个私下评分；我们留下公开分数最好的那一份。

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
fig, ax = plt.subplots(figsize=(5.6, 4.2))
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
# 公开排行榜上的胜出者看起来远好于随机猜测；到了私有排行榜上，它又回到随机水平附近——它被选中，只是因为在那 200 个样本上运气好。一个被用来做很多次决策的验证集也会以同样的方式过拟合，所以测试集只在最后用一次。

# %% [markdown]
# ## 6. 训练模式、评估模式、保存、提前停止、设定随机种子
#
# 有些层在训练时和预测时的行为不一样。**丢弃法**（dropout）在训练时以概率 $p$ 把每个激活置零，并把保留下来的激活乘以 $1/(1-p)$，使期望值保持不变；预测时它什么也不做。批次标准化（第 06 讲）在训练时用批次的统计量，训练之后用滑动平均。`model.train()` 和 `model.eval()` 让模型及其所有子模块在这两种模式之间切换（`model.training` 表示当前处于哪种模式）。预测前忘了调用 `model.eval()`，预测结果就会带有随机性（dropout）或依赖于批次（BN）。

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
assert torch.equal(drop.eval()(ones), ones) and abs(mean_train - 1) < 0.01

# %% [markdown]
# 所以，评估就意味着 `model.eval()` 加上 `torch.no_grad()`。我们的函数按样本对损失取平均，结果必须与 `course_lib.training.evaluate` 完全相同（后者还会把模型恢复到原来的模式）。


# %%
def evaluate_loss(model, loader, loss_fn):
    """Example-weighted mean loss of model over loader, in eval mode, without gradients."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += loss_fn(model(x), y).item() * len(y)
    return total / len(loader.dataset)


# %%
ours = evaluate_loss(model, val_loader, loss_fn)
library = evaluate(model, val_loader, loss_fn)["loss"]
print(
    f"validation MSE: ours {ours:.4f}, course_lib evaluate {library:.4f}, identical: {ours == library}"
)
assert ours == library

# %% [markdown]
# **保存与加载。** 模型的**状态字典**（state dict，即 `model.state_dict()`）把参数（以及缓冲区）的名称映射到张量：学到的东西全在里面，此外别无他物。我们保存的是它，而不是模型对象；加载时先用类（在 `model.py` 中）重建网络结构，再调用 `load_state_dict`。重新加载的模型必须预测出完全相同的数值。

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
assert diff == 0.0

# %% [markdown]
# **提前停止。** 训练得足够久之后，网络就开始拟合训练集中的噪声：训练损失继续下降，验证损失却开始回升。**提前停止**（early stopping）在每个轮次之后查看验证损失，记住迄今为止最好的那个轮次的权重，一旦验证损失连续 `patience` 个轮次没有改善就停下来，这个容忍的轮数叫**耐心值**（patience），用来吸收轮次之间的波动；停下之后再恢复最好的权重。保存的权重必须是副本（`clone()`）：状态字典里的张量就是正在训练的参数本身。这里的轮次从 0 开始计数（与第 8 节的 `History.best_epoch` 一致）；课程库的进度条则从 1 开始计数。


# %%
def train_early_stopping(model, train_loader, val_loader, loss_fn, optimizer, epochs, patience):
    """Train with early stopping on the validation loss; returns (history dict, best epoch)."""
    history = {"train": [], "val": []}
    best_loss, best_epoch, best_state = float("inf"), 0, None
    for epoch in range(epochs):
        history["train"].append(train_one_epoch(model, train_loader, loss_fn, optimizer))
        history["val"].append(evaluate_loss(model, val_loader, loss_fn))
        if history["val"][-1] < best_loss:
            best_loss, best_epoch = history["val"][-1], epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return history, best_epoch


# %% [markdown]
# **设定随机种子。** 一次运行在三个地方带有随机性：初始权重、打乱的顺序和 dropout 的掩码。为了**可复现性**（reproducibility），我们给它们全都设定种子：`set_seed(0)` 为 Python、NumPy 和 PyTorch 的全局生成器设定种子（决定权重和 dropout），加载器的生成器则固定顺序。这样，两次运行会给出完全相同的损失；换一个种子，就是另一次不同的运行。（在 GPU 上，有些运算做不到逐位复现。）


# %%
def short_run(seed, epochs=3):
    """Training losses of a seeded 3-epoch run of the MLP."""
    set_seed(seed)
    model = MLP(10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=gen)
    return [train_one_epoch(model, loader, loss_fn, optimizer) for _ in range(epochs)]


# %%
run_a, run_b, run_c = short_run(0), short_run(0), short_run(1)
for name, run in [("seed 0, run 1", run_a), ("seed 0, run 2", run_b), ("seed 1", run_c)]:
    print(f"{name:14s} training losses {np.round(run, 4)}")
assert run_a == run_b and run_a != run_c

# %% [markdown]
# ## 7. 一个完整的项目：糖尿病病情进展
#
# 所有部件都已就位：划分与标准化（第 3 节）、加载器、模型，以及带提前停止的训练循环。误差本身说明不了多少，所以我们先建立两个**基线**（baseline），也就是简单的预测器：一个值得花力气训练的模型，必须胜过它们。
#
# - 均值基线：对每位患者都预测训练集目标的均值；
# - 线性回归 $\hat y = \mathbf x^\top\mathbf w + b$，在训练集上用最小二乘法拟合（对加了一列 1 的特征矩阵 $A$ 调用 `np.linalg.lstsq`）。它的残差与每一列都正交，即 $A^\top(A\mathbf w - \mathbf y) = \mathbf 0$（正规方程），我们会验证这一点。


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
# **决定系数**（coefficient of determination）$R^2$ 是模型所解释的目标方差的比例：1 表示完美，0 表示只相当于预测被评估数据的均值 $\bar y$，负值表示比这还差。我们用 scikit-learn 的实现来验证这些公式。


# %%
def scores(pred, target):
    """RMSE, MAE and R^2 of predictions against targets (1-D arrays, same units)."""
    residual = pred - target
    rmse = np.sqrt(np.mean(residual**2))
    r2 = 1 - np.sum(residual**2) / np.sum((target - target.mean()) ** 2)
    return {"RMSE": rmse, "MAE": np.mean(np.abs(residual)), "R2": r2}


linear_test = with_bias(X_test) @ coef
reference = [
    np.sqrt(metrics.mean_squared_error(split.y_test, linear_test)),
    metrics.mean_absolute_error(split.y_test, linear_test),
    metrics.r2_score(split.y_test, linear_test),
]
err = np.abs(np.array(list(scores(linear_test, split.y_test).values())) - reference).max()
print(f"max |our RMSE, MAE, R2 - sklearn.metrics| = {format_bound(err, 1e-10)}")
assert err < 1e-10

# %% [markdown]
# 接下来是 MLP：使用 Adam，学习率 $10^{-3}$，批次大小 32，最多 300 个轮次，提前停止的耐心值为 20。损失是*标准化后*目标的 MSE；预测值按 $\hat y = \hat y_{\text{std}}\cdot s_y + m_y$ 换算回原始单位，其中 $m_y$ 和 $s_y$ 是训练集的均值和标准差。

# %%
set_seed(0)
mlp = MLP(10)
optimizer = torch.optim.Adam(mlp.parameters(), lr=1e-3)
train_loader = DataLoader(
    train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
)
history, best_epoch = train_early_stopping(
    mlp, train_loader, val_loader, loss_fn, optimizer, epochs=300, patience=20
)
# How many epochs ran depends on which epoch was best, and neighbouring epochs differ by
# noise (see below); so we print that the run stopped where patience says it should.
stopped_on_time = len(history["val"]) == best_epoch + 1 + 20
print(f"stopped 20 epochs (the patience) after its best epoch: {stopped_on_time}")

# %% [markdown]
# 最好的轮次有意义吗？相邻轮次之间的差别只是噪声，所以我们考察验证损失落在最小值 2 % 以内的那一段轮次，并检查其后的上升远大于这个幅度：把停止时的验证损失、以及从最好轮次之后第 10 个轮次起的最低验证损失，分别与最小值比较；训练损失也在同样的轮次上比较。

# %%
val, train = np.array(history["val"]), np.array(history["train"])
band = np.flatnonzero(val < 1.02 * val.min())  # the bottom of the curve
later = val[best_epoch + 10 :].min()  # the lowest from 10 epochs after the best on
claims = {
    "the best epoch lies in the band of epochs within 2 % of the minimum": best_epoch in band,
    "validation MSE at the stop > 15 % above its minimum": val[-1] > 1.15 * val.min(),
    "every epoch from best + 10 on > 5 % above the minimum": later > 1.05 * val.min(),
    "training loss at the stop < 75 % of its value at the best epoch": (
        train[-1] < 0.75 * train[best_epoch]
    ),
}
for claim, holds in claims.items():
    print(f"{claim}: {holds}")
assert all(claims.values())


# %%
def predict(model, X):
    """Predictions in the target's original units for standardised features X (N, 10)."""
    model.eval()
    with torch.no_grad():
        pred_std = model(torch.tensor(X, dtype=torch.float32)).numpy()
    return pred_std.astype(np.float64) * y_std + y_mean


# %%
predictions = {
    "mean of training targets": (np.full(len(X_val), y_mean), np.full(len(X_test), y_mean)),
    "linear regression (lstsq)": (with_bias(X_val) @ coef, with_bias(X_test) @ coef),
    "MLP, early stopping": (predict(mlp, X_val), predict(mlp, X_test)),
}
table = {}
print(f"{'model':27s} {'val RMSE':>9s} {'test RMSE':>10s} {'test MAE':>9s} {'test R2':>8s}")
for name, (val_pred, test_pred) in predictions.items():
    val, test = scores(val_pred, split.y_val), scores(test_pred, split.y_test)
    table[name] = (val["RMSE"], test["RMSE"], test["MAE"], test["R2"])
    print(
        f"{name:27s} {val['RMSE']:9.1f} {test['RMSE']:10.1f} {test['MAE']:9.1f} {test['R2']:8.3f}"
    )
assert table["MLP, early stopping"][1] < 0.85 * table["mean of training targets"][1]

# %% [markdown]
# MLP 明显胜过均值基线，后者一点方差也解释不了。与线性回归相比，差距很小，而且只基于 66 位测试患者。这个差距是真实的吗？我们对测试患者做有放回的重抽样，即**自助法**（bootstrap），共 2000 次，观察 RMSE 差值的分布范围；MLP 与均值基线的比较也照此进行。

# %%
rng = np.random.default_rng(0)
idx = rng.integers(0, len(X_test), size=(2000, len(X_test)))  # 2000 resampled test sets
boot_rmse = {
    name: np.sqrt(np.mean((test_pred[idx] - split.y_test[idx]) ** 2, axis=1))
    for name, (_, test_pred) in predictions.items()
}
intervals = {}
for other in ("linear regression (lstsq)", "mean of training targets"):
    diffs = boot_rmse["MLP, early stopping"] - boot_rmse[other]
    intervals[other] = low, high = np.percentile(diffs, [2.5, 97.5])
    observed = table["MLP, early stopping"][1] - table[other][1]
    print(f"test RMSE, MLP minus {other}: {observed:.1f}, 95 % interval [{low:.1f}, {high:.1f}]")
low, high = intervals["linear regression (lstsq)"]
print(f"vs linear regression: contains 0: {low < 0 < high}; width {high - low:.1f} points")
assert low < 0 < high and intervals["mean of training targets"][1] < 0

# %% [markdown]
# MLP 相对于线性回归的区间包含零：这 66 位患者分辨不出两个模型的高下。这并不等于“一样好”：数据同样容许其中任何一个好上几个点（即区间的两端），而更多的测试患者会让区间变窄（大致按 $1/\sqrt n$ 缩小）。同样这些患者，却能把 MLP 与均值基线区分开来。糖尿病数据集很小，而且接近线性，所以神经网络能带来的提升有限；额外的容量要在数据更多、输入高度非线性（图像、声音、文本）时才见成效。正是有了基线，MLP 的误差才能被解读。
#
# **写出预测结果。** 比赛（或同事）希望拿到一个文件形式的测试预测，每个样本一行。我们把含有 id 和预测值的 CSV 写入一个临时目录，再把它读回来。

# %%
mlp_pred = predictions["MLP, early stopping"][1]
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "predictions.csv"
    rows = np.column_stack([np.arange(len(mlp_pred)), mlp_pred])
    np.savetxt(path, rows, fmt=["%d", "%.2f"], delimiter=",", header="id,progression", comments="")
    lines = path.read_text().splitlines()
    back = np.loadtxt(path, delimiter=",", skiprows=1)
print("\n".join(lines[:4]))
rounding = np.abs(back[:, 1] - mlp_pred).max()
print(
    f"read back: {back.shape[0]} rows x {back.shape[1]} columns; max rounding error {rounding:.3f}"
)
assert back.shape == (len(X_test), 2) and rounding <= 0.005 + 1e-9

# %% [markdown]
# **学习曲线。** 每个轮次的训练损失和验证损失，展示了提前停止做了些什么。训练损失是在训练模式下测得的：dropout 处于开启状态，权重也在不断变化，所以在训练初期它可能高于验证损失。

# %%
ax = loss_curves(
    {"train loss": history["train"], "validation loss": history["val"]},
    ylabel="MSE (standardised target)",
    title="MLP on diabetes: early stopping keeps the best epoch",
)
ax.axvspan(band[0] - 0.5, band[-1] + 0.5, color=color("minimum"), alpha=0.2, label="within 2 %")
ax.axvline(best_epoch, color=color("highlight"), linestyle="--", linewidth=1, label="best epoch")
ax.legend()
plt.show()

# %% [markdown]
# 验证损失在最初几个轮次内就降到谷底（阴影部分：落在其最小值 2 % 以内的轮次），随后一路回升，而训练损失仍在下降：网络在拟合那 310 位患者数据中的噪声。阴影段内哪个轮次算“最好”，是噪声决定的；之后的上升则不是。又过了耐心值规定的 20 个轮次之后，最好的权重被恢复回来。

# %% [markdown]
# ## 8. 进度条，以及课程库中的 `fit`
#
# 每个 PyTorch 程序都要写这个循环，所以它被放进了课程库：`course_lib.training.fit(model, train_loader, loss_fn, optimizer, epochs=, val_loader=,
# patience=, restore_best=)` 在每个轮次运行 `train_one_epoch` 和 `evaluate_loss`，提前停止，恢复最好的权重，并返回一个记录每轮损失（对于分类任务还有准确率）的 `History`；`course_lib.training.evaluate` 就是我们的 `evaluate_loss`。`fit(progress=True)` 每个轮次在 stderr 上重绘一行进度；这行文字每次运行都不一样，所以那个单元格以 `# NBVAL_IGNORE_OUTPUT` 开头，由下一个单元格打印四舍五入后的结果。`fit` 抽取的随机数与我们的循环完全相同，因此从相同的种子出发，它必须逐个轮次地重现第 7 节的运行。


# %%
# NBVAL_IGNORE_OUTPUT
set_seed(0)
mlp_fit = MLP(10)
optimizer = torch.optim.Adam(mlp_fit.parameters(), lr=1e-3)
train_loader = DataLoader(
    train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
)
fit_history = fit(
    mlp_fit,
    train_loader,
    loss_fn,
    optimizer,
    epochs=300,
    val_loader=val_loader,
    patience=20,
    progress=True,
)

# %%
same = fit_history.train_loss == history["train"] and fit_history.val_loss == history["val"]
print(f"fit: same best epoch as the hand-written loop: {fit_history.best_epoch == best_epoch}")
print(f"identical losses to the hand-written loop of section 7, every epoch: {same}")
rmse_fit, rmse_hand = (scores(predict(m, X_test), split.y_test)["RMSE"] for m in (mlp_fit, mlp))
print(
    f"test RMSE after restoring the best weights: fit {rmse_fit:.1f}, hand-written {rmse_hand:.1f}"
)
assert same and fit_history.best_epoch == best_epoch and rmse_fit == rmse_hand

# %% [markdown]
# ## 9. 要点、作业与练习
#
# - 张量有形状、dtype 和设备。模型需要 float32 的输入和 int64 的类别标签；NumPy 给出的是 float64，所以要转换。$(B, 1)$ 与 $(B,)$ 一起运算，会悄无声息地广播成 $(B, B)$。`torch.from_numpy` 和 `.numpy()` 共享内存；`torch.tensor` 会复制。
# - 自动微分：`requires_grad`、`backward()`、`.grad`；梯度会累积，所以每一步都要清零；参数更新和评估时使用 `torch.no_grad()`。
# - `Dataset` 给出样本数和第 $i$ 个样本；`DataLoader` 负责分批和打乱（由它的生成器设定种子，用不用工作进程都一样）。
# - 模型是写在 `model.py` 里的一个 `nn.Module`。损失取决于任务：MSE、交叉熵，或倒角距离这样的特殊损失。
# - 训练循环：`zero_grad`、前向、计算损失、`backward`、`step`；评估时用 `model.eval()` 和 `torch.no_grad()`；保存 `state_dict`；根据验证损失提前停止，并恢复最好的权重；为权重、打乱顺序和 dropout 设定种子。
# - 训练数据用来更新，验证数据用来选择，测试数据只用一次。
# - 要和基线比较，还要问一问：测试集能否分辨出这个差距？在 66 位患者上，MLP 和线性回归分不出高下。
#
# **作业。** `homework/hw07_pytorch_pipeline.ipynb`：为 8 × 8 的手写数字搭建完整的管线：一个 `Dataset`、设了种子的 `DataLoader`，以及一个训练好的网络，它在测试集上的预测必须胜过两个给定的基线。
#
# **术语表。** 上文所有加粗的术语都收录在 [glossary.md](glossary.md) 中，附有英文和中文。

# %% [markdown]
# **练习。** 先预测答案，再运行代码。
#
# 1. 让 MLP 只有一个含 32 个单元的隐藏层。验证损失在最小值之后是否仍明显回升？测试 RMSE 会变吗？
# 2. 在第 7 节中设 `patience=5`。恢复的是哪个轮次？为什么在噪声较大的验证曲线上，耐心值太小是有风险的？
# 3. 只用前 33 位测试患者做自助法。MLP 减去线性回归的区间宽度会怎样变化（想想 $1/\sqrt n$）？
# 4. 分别用 0、1、2、4 个工作进程为 `one_epoch(num_workers)` 计时。什么情况下用工作进程更快？
# 5. 把 `MLP.forward` 中的 `.squeeze(-1)` 去掉。`nn.MSELoss` 会怎么做？训练又会怎样？
