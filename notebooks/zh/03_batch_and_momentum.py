# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 第 03 讲 — 批次大小与动量
#
# 到目前为止，我们写的梯度下降每走一步之前都要看完所有训练样本。实际训练时，每次随机取一小份数据，即一个**小批次**（mini-batch），走一步，再取下一份。这一讲要回答三个问题：批次大小会改变什么（每次更新和每个轮次的耗时、梯度噪声、训练最终停在哪里）；**动量**（momentum）——保留上一步移动的一部分——如何滚过局部最小值、抑制之字形震荡；以及每种方法能承受多大的步长。我们从零实现每个部分，动手测量，再与 `torch.optim.SGD` 对照。
#
# 1. 批次、轮次与打乱
# 2. 梯度噪声
# 3. 每次更新的耗时与每个轮次的耗时
# 4. 带噪声的更新也有好处
# 5. 公平地比较批次大小
# 6. 动量
# 7. Nesterov 动量
# 8. 从零实现与 `torch.optim.SGD` 对比
# 9. 课程库、要点与练习

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
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from course_lib import optim, plots
from course_lib.data import load_digits, minibatches, standardize, train_val_test_split
from course_lib.explorers import OptimizerExplorer
from course_lib.gradcheck import format_bound
from course_lib.losses import cross_entropy
from course_lib.surfaces import BumpyCurve, IllConditionedQuadratic, Rosenbrock
from course_lib.training import set_seed

set_seed(0)
torch.set_num_threads(1)
np.set_printoptions(precision=4, suppress=True)
plots.use_style()

# %% [markdown]
# ## 1. 批次、轮次与打乱
#
# 训练损失是 $N$ 个训练样本上的平均值，它的梯度也是：
#
# $$L(\theta) = \frac1N \sum_{i=1}^N \ell_i(\theta), \qquad
# g = \nabla L(\theta) = \frac1N \sum_{i=1}^N \nabla \ell_i(\theta).$$
#
# 要精确算出 $g$，就得把 $N$ 个样本全部过一遍。我们的做法是把数据分成若干个**批次**（batch），每批 $B$ 个样本，每个批次走一步，用的是这个批次的平均梯度 $g_{\mathcal B} = \frac1B \sum_{i \in \mathcal B} \nabla \ell_i(\theta)$。把所有批次过一遍叫作一个**轮次**（epoch）：它进行 $\lceil N/B \rceil$ 次*更新*。每个轮次结束后，我们把数据**打乱**（shuffle），这样每个轮次的批次都不一样。
#
# 一个会打乱顺序的批次迭代器只需要几行代码：先抽出一个随机顺序，再把它切成若干段。


# %%
def shuffled_batches(X, y, batch_size, rng):
    """One epoch of (X_batch, y_batch) in a fresh random order; last batch may be smaller."""
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


# %% [markdown]
# 20 个样本，编号 0–19，每批 6 个：每个轮次有四个批次（6 + 6 + 6 + 2），每个样本恰好出现一次，第二个轮次换了一个新的顺序。

# %%
ids = np.arange(20)
rng = np.random.default_rng(0)
epochs = [[yb for _, yb in shuffled_batches(ids, ids, 6, rng)] for _ in range(2)]
for e, batches in enumerate(epochs):
    print(f"epoch {e}: " + " | ".join(" ".join(f"{i:2d}" for i in b) for b in batches))
order = [np.concatenate(batches) for batches in epochs]
assert all([len(b) for b in batches] == [6, 6, 6, 2] for batches in epochs)
assert sorted(order[0]) == sorted(order[1]) == list(range(20)) and (order[0] != order[1]).any()

# %% [markdown]
# 课程库里也有同样的迭代器：`course_lib.data.minibatches(X, y, batch_size,
# shuffle=True, rng=None)`。只要传入相同的 `numpy.random.Generator`，它每个轮次给出的批次都完全相同。从这里开始，我们使用课程库的版本。

# %%
rng_ours, rng_lib = np.random.default_rng(7), np.random.default_rng(7)
same = all(
    np.array_equal(a[1], b[1])
    for _ in range(5)
    for a, b in zip(
        shuffled_batches(ids, ids, 6, rng_ours), minibatches(ids, ids, 6, rng=rng_lib), strict=True
    )
)
print(f"5 epochs, ours vs course_lib.data.minibatches: identical batches = {same}")
assert same

# %% [markdown]
# **小批次 SGD。** 训练循环的伪代码如下：
#
# ```
# θ = initialise()
# for epoch in range(num_epochs):
#     for batch in shuffled_batches(data, batch_size):
#         g = gradient of the mean loss on batch at θ
#         θ = θ − η g
# ```
#
# 它的**超参数**（hyperparameters）包括：初始化、步数（轮次数或更新次数）、学习率 $\eta$、批次大小 $B$，以及批次的抽样方式。当 $B = N$ 时，它就是普通的（全批次）梯度下降；当 $B < N$ 时，它就是**随机梯度下降**（stochastic gradient descent，SGD）。
#
# 我们的第一个模型是用在手写数字数据上的 **softmax 回归**（softmax regression）。数据是 8×8 的图像，64 个特征，10 个类别：logits 为 $z = XW + b$，损失是平均交叉熵，它的梯度为 $\partial L/\partial W = X^\top \partial L/\partial z$（`course_lib.losses.cross_entropy` 返回损失和 $\partial L/\partial z$）。数据划分为训练集、验证集和测试集，并用训练集的统计量做标准化；这一讲自始至终不看测试集。

# %%
X, y = load_digits()
X_train, y_train, X_val, y_val, X_test, y_test = train_val_test_split(X, y, seed=0, stratify=True)
X_train, X_val, X_test, _, _ = standardize(X_train, X_val, X_test)
N = len(X_train)
print(f"train {X_train.shape}, validation {X_val.shape}, test {X_test.shape}")


def loss_and_grads(params, Xb, yb):
    """Softmax regression: mean cross-entropy of Xb @ W + b, and its gradients [dW, db]."""
    W, b = params
    loss, dlogits = cross_entropy(Xb @ W + b, yb)
    return loss, [Xb.T @ dlogits, dlogits.sum(axis=0)]


def accuracy(params, Xs, ys):
    W, b = params
    return float(np.mean((Xs @ W + b).argmax(axis=1) == ys))


# %% [markdown]
# 下面就是这个循环本身，所有超参数一目了然。它按更新次数计数，而不是按轮次。


# %%
def sgd_softmax(batch_size, num_updates, lr=0.1, seed=0):
    """Mini-batch SGD on softmax regression from zero weights; returns [W, b]."""
    rng = np.random.default_rng(seed)  # sampling: a new order every epoch
    params = [np.zeros((64, 10)), np.zeros(10)]  # initialisation
    done = 0
    while done < num_updates:  # one pass of this loop is one epoch
        for Xb, yb in minibatches(X_train, y_train, batch_size, rng=rng):
            _, grads = loss_and_grads(params, Xb, yb)
            for p, g in zip(params, grads, strict=True):
                p -= lr * g
            done += 1
            if done == num_updates:
                break
    return params


# %%
params = sgd_softmax(batch_size=32, num_updates=3 * math.ceil(N / 32))
print(
    f"3 epochs, batch 32: train accuracy {accuracy(params, X_train, y_train):.4f}, "
    f"validation accuracy {accuracy(params, X_val, y_val):.4f}"
)

# %% [markdown]
# ## 2. 梯度噪声
#
# 小批次梯度是对完整梯度的随机估计。如果批次是均匀地无放回抽取的，它就是*无偏*的：$\mathbb E[g_{\mathcal B}] = g$；它的离散程度，即**梯度噪声**（gradient noise），由单样本梯度 $g_i = \nabla\ell_i$ 的离散程度 $\sigma^2$ 决定：
#
# $$\mathbb E\,\lVert g_{\mathcal B} - g\rVert^2 = \frac{\sigma^2}{B}\cdot\frac{N-B}{N-1},
# \qquad \sigma^2 = \frac1N\sum_{i=1}^N \lVert g_i - g\rVert^2 .$$
#
# 所以噪声按 $1/\sqrt B$ 减小，到 $B = N$ 时消失。我们在 $W = 0, b = 0$ 处验证这个公式：先算出 $N$ 个单样本梯度（每个展平成 $64\cdot10 + 10 = 650$ 个数），它们的平均值必须等于完整梯度。


# %%
def flat(grads):
    return np.concatenate([g.ravel() for g in grads])


params0 = [np.zeros((64, 10)), np.zeros(10)]
G = np.array(
    [flat(loss_and_grads(params0, X_train[i : i + 1], y_train[i : i + 1])[1]) for i in range(N)]
)
g_full = flat(loss_and_grads(params0, X_train, y_train)[1])
err = np.abs(G.mean(axis=0) - g_full).max()
sigma2 = np.mean(np.sum((G - g_full) ** 2, axis=1))
print(
    f"per-example gradients {G.shape}; mean vs full gradient: max error {format_bound(err, 1e-12)}"
)
print(f"|g| = {np.linalg.norm(g_full):.4f}, sigma = {math.sqrt(sigma2):.4f}")
assert err < 1e-12

# %% [markdown]
# 接下来，对每种批次大小各抽 200 个随机批次：把实测的、与完整梯度之间的均方根距离同公式相比，并给出噪声相对于 $\lVert g\rVert$ 的大小。


# %%
def noise_formula(B):
    return math.sqrt(sigma2 / B * (N - B) / (N - 1))


rng = np.random.default_rng(0)
batch_sizes = [1, 8, 32, 128, 512, N]
noise = {}
for B in batch_sizes:
    d2 = [
        np.sum((G[rng.choice(N, B, replace=False)].mean(axis=0) - g_full) ** 2) for _ in range(200)
    ]
    noise[B] = math.sqrt(np.mean(d2))
    ratio = noise_formula(B) / np.linalg.norm(g_full)
    print(f"B = {B:4d}: measured {noise[B]:.3f}, formula {noise_formula(B):.3f}, /|g| {ratio:.2f}")
    assert abs(noise[B] - noise_formula(B)) <= 0.1 * noise_formula(B) + 1e-12

# %%
Bs = np.unique(np.geomspace(1, N - 1, 300).round())
fig, ax = plt.subplots()
ax.loglog(Bs, [noise_formula(B) for B in Bs], color=plots.color_of("formula", 0), label="formula")
measured = [noise[B] for B in batch_sizes[:-1]]
ax.loglog(batch_sizes[:-1], measured, "o", color=plots.color_of("measured", 1), label="measured")
ax.axhline(np.linalg.norm(g_full), color=plots.color("reference"), linestyle="--", label=r"$\|g\|$")
ax.set(xlabel="batch size B", ylabel=r"noise $\sqrt{E\|g_B - g\|^2}$")
ax.set_title("mini-batch gradient noise on the digits (at W = 0)")
ax.legend()
plt.show()

# %% [markdown]
# 在 $B = 1$ 时，噪声是梯度本身的好几倍；$B = 32$ 左右时，噪声和梯度差不多大；$B = N$ 时噪声为零（所以没有画进双对数图）。
#
# ## 3. 每次更新的耗时与每个轮次的耗时
#
# 从这里开始，模型换成一个用 PyTorch 写的小型 MLP（64 个输入、32 个 ReLU 单元、10 个 logits，float32），用 `torch.optim.SGD` 训练。在 $B$ 个样本上做一次更新，开销分两部分：一部分是固定的（Python 本身、PyTorch 的算子分发、内存分配），另一部分随 $B$ 增长（矩阵乘法）；一个轮次要做 $\lceil N/B\rceil$ 次更新。

# %%
X_train_t, y_train_t = torch.tensor(X_train, dtype=torch.float32), torch.from_numpy(y_train)
X_val_t, y_val_t = torch.tensor(X_val, dtype=torch.float32), torch.from_numpy(y_val)


def mlp(seed, hidden=32):
    """64 -> hidden (ReLU) -> 10 logits, PyTorch's default initialisation drawn from `seed`."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )


# %% [markdown]
# 我们对 $B = 1, 4, 16, \dots, 1024$ 以及 $N$ 分别计时至多十次更新（重复三次，取最快的一次），只用一个线程：`torch.set_num_threads` 限制 PyTorch，`threadpoolctl.threadpool_limits` 限制 BLAS 以及所有 OpenMP 线程池。
#
# **并行。** 用两个线程时，PyTorch 会把一次矩阵乘法分给两个核心。只有当计算量足够分时，这才划算，所以我们还对一个*宽的* MLP（1024 个隐藏单元，每个样本的计算量是原来的 32 倍）分别用一个和两个线程计时。计时结果每次都不同，也因机器而异，测试不比较它们。


# %%
def best_mean_time(step, calls, repeats=3, sync=lambda: None):
    """Best of `repeats`: the mean wall-clock time of step(0), ..., step(calls - 1)."""
    best = math.inf
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        for i in range(calls):
            step(i)
        sync()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


# %%
def seconds_per_update(batch_size, hidden=32, threads=1, device="cpu"):
    """Time of one SGD update of mlp(0, hidden) on `device`, with `threads` CPU threads."""
    net, Xd, yd = mlp(0, hidden).to(device), X_train_t.to(device), y_train_t.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    calls = min(10, max(2, 512 // batch_size))  # at most 10 updates, 512 examples per repeat
    batches = [torch.randperm(N)[:batch_size].to(device) for _ in range(calls)]

    def update(i):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(Xd[batches[i]]), yd[batches[i]]).backward()
        opt.step()

    sync = torch.cuda.synchronize if device == "cuda" else lambda: None
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        threads_used[hidden, threads] = (torch.get_num_threads(), threadpool_info())
        seconds = best_mean_time(update, calls, sync=sync)
    torch.set_num_threads(1)
    return seconds


# %%
# NBVAL_IGNORE_OUTPUT
import os  # on a machine busy with other work, two threads wait for each other: skip them

timing_sizes, wide_sizes, threads_used = [4**k for k in range(6)] + [N], [1, 16, 256, N], {}
setups = {"32 hidden, 1 thread": (32, 1, timing_sizes), "1024 hidden, 1 thread": (1024, 1, wide_sizes),
          "1024 hidden, 2 threads": (1024, 2, wide_sizes)}  # fmt: skip
load = getattr(os, "getloadavg", lambda: (0.0,))()[0]  # not available on Windows
if load > (os.cpu_count() or 1) - 0.5:
    print(f"load average {load:.1f} on {os.cpu_count()} cores: the two-thread timing is skipped")
    del setups["1024 hidden, 2 threads"]
per_update = {s: {B: seconds_per_update(B, h, t) for B in Bs} for s, (h, t, Bs) in setups.items()}
print("seconds per update (per epoch)")
print(f"{'B':>5}" + "".join(f"{s:>26}" for s in setups))
for B in timing_sizes:
    cells = [
        f"{t[B]:.1e} ({t[B] * math.ceil(N / B):.1e})" if B in t else "" for t in per_update.values()
    ]
    print(f"{B:5d}" + "".join(f"{c:>26}" for c in cells))

# %%
per_epoch = {
    s: {B: t * math.ceil(N / B) for B, t in times.items()} for s, times in per_update.items()
}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
for ax, (what, table) in zip(axes, {"update": per_update, "epoch": per_epoch}.items(), strict=True):
    for i, (setup, times) in enumerate(table.items()):
        sizes = list(times)
        ax.loglog(sizes, list(times.values()), "o-", color=plots.color_of(setup, i), label=setup)
    ax.set(xlabel="batch size B", ylabel=f"seconds per {what}", title=f"time per {what}, CPU")
    ax.legend()
plt.show()

# %% [markdown]
# 从左往右看这张图。$B$ 较小时，固定开销占主导：$B$ 增大到 4 倍，一次更新的时间几乎不变，所以一个轮次只需要原来大约四分之一的时间。$B$ 较大时，计算量开始显现：每次更新的时间变长，每个轮次的时间下降得越来越慢，逐渐接近一个下限——每个轮次都必须完成的 $N$ 个样本的计算量。宽的 MLP 在更小的 $B$ 处就到了这个阶段。在最大的 $B$ 处，两个线程分担计算，缩短了时间；而在 $B = 1$ 时没有什么可分的。（只有一个核心，或者机器正忙于别的工作时，两个线程帮不上忙；这时那个单元格就跳过它们。）下面这些计数解释了这张图，它们在每台机器上都相同：

# %%
macs = 64 * 1024 + 1024 * 10  # forward multiply-adds per example, 1024 hidden units
print(f"{'B':>5} {'updates/epoch':>14} {'multiply-adds/update':>21} {'multiply-adds/epoch':>20}")
for B in wide_sizes:
    print(f"{B:5d} {math.ceil(N / B):14d} {B * macs:21.2e} {N * macs:20.2e}")
claimed = all(
    n_torch == threads and all(p["num_threads"] <= threads for p in pools)
    for (_, threads), (n_torch, pools) in threads_used.items()
)
print(f"each setup ran on the threads it claims (torch and every BLAS/OpenMP pool): {claimed}")
assert claimed and torch.get_num_threads() == 1

# %% [markdown]
# *在 GPU 上*，成千上万个运算单元分担一个批次的各行，所以在所有单元都忙起来之前，每次更新的时间几乎不随 $B$ 增长。不过每次更新还要付出启动核函数（kernel）的开销，所以对这么小的网络，在 $B$ 较小时 GPU 可能反而更慢。如果有 CUDA GPU，下面的单元格会在 GPU 上对同样的更新计时；因为 GPU 上的计算是异步执行的，要在 `torch.cuda.synchronize()` 之后再读时钟（其输出不参与比较）。

# %%
# NBVAL_IGNORE_OUTPUT
if torch.cuda.is_available():
    gpu = {B: seconds_per_update(B, device="cuda") for B in timing_sizes}
    print(f"{'batch size':>10} {'GPU s/update':>13} {'CPU s/update':>13}")
    for B in timing_sizes:
        print(f"{B:10d} {gpu[B]:13.2e} {per_update['32 hidden, 1 thread'][B]:13.2e}")
else:
    print("no CUDA GPU here: the GPU timing is skipped")

# %% [markdown]
# 两个极端，以及介于两者之间的小批次：
#
# | 批次大小 | 每个轮次的更新次数 | 单次更新的开销 | 梯度的噪声 |
# |---|---|---|---|
# | $N$（全批次） | 1 | 最大 | 没有：精确的梯度，步伐稳定 |
# | 1 | $N$ | 最小 | 最大：步伐带噪声 |
# | 32（一个小批次） | $\lceil N/32\rceil$ | 小 | 中等 |

# %% [markdown]
# ## 4. 带噪声的更新也有好处
#
# 梯度带噪声，听起来是件坏事。但在*完整*梯度为零的地方，也就是 $L$ 的局部最小值或鞍点，单个批次的梯度通常并不为零，所以 SGD 会继续移动，而全批次梯度下降却卡住了。
#
# 一个玩具问题能把这一点说得很精确。取 `course_lib.surfaces.BumpyCurve` 的一维曲线 $f$（一个中间有凸起的碗：左边是局部最小值，右边是全局最小值），再取八个让它倾斜的“样本”：$\ell_i(w) = f(w) + a_i w$，倾斜量 $a_i \in \{\pm1, \pm2, \pm3, \pm4\}$。这些倾斜量的平均为零，所以完整损失恰好就是 $f$。在 $f$ 的局部最小值 $w^\star$ 处，完整梯度为零，但一个批次的梯度是 $f'(w^\star) + \bar a_{\mathcal B} = \bar a_{\mathcal B}$，也就是这个批次的平均倾斜量。

# %%
curve = BumpyCurve()
tilts = np.array([-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0])
w_star = curve.local_minimum
print(
    f"local minimum w* = {w_star[0]:.4f}, full gradient there: {format_bound(abs(curve.grad(w_star)[0]), 1e-10)}"
)
rng = np.random.default_rng(0)
for B in (1, 2, 4, 8):
    norms = [
        abs(curve.grad(w_star)[0] + a.mean()) for a, _ in minibatches(tilts, tilts, B, rng=rng)
    ]
    print(f"B = {B}: batch gradient norms in one epoch: {np.round(norms, 3)}")
assert abs(curve.grad(w_star)[0]) < 1e-10

# %% [markdown]
# 每次训练都从 $w^\star$ 出发，用学习率 0.2 跑 30 个轮次的 SGD，每种批次大小用 20 个随机种子。全批次梯度下降（$B = 8$）根本不动。在 $B = 1$ 时，步子又大又随机；迟早会有连续几步把点推过凸起，进入右边更宽、更深的盆地，而要从那里出来就难得多了。


# %%
def sgd_on_tilts(B, seed, lr=0.2, epochs=30):
    rng, w = np.random.default_rng(seed), w_star.copy()
    path = [w[0]]
    for _ in range(epochs):
        for a, _ in minibatches(tilts, tilts, B, rng=rng):
            w -= lr * (curve.grad(w) + a.mean())
            path.append(w[0])
    return np.array(path)


escaped = {
    B: np.mean([sgd_on_tilts(B, s)[-1] > curve.hill_top[0] for s in range(20)])
    for B in (1, 2, 4, 8)
}
for B, frac in escaped.items():
    print(f"B = {B}: ends right of the bump in {frac:.0%} of 20 runs")
assert escaped[1] > 0.9 and escaped[8] == 0

# %%
fig, ax = plt.subplots(figsize=(8.5, 4.4), layout="constrained")
for B, colour in zip((1, 4, 8), plots.shades(3), strict=True):
    path = sgd_on_tilts(B, seed=0)
    ax.plot(np.arange(len(path)) * B / len(tilts), path, color=colour, label=f"batch size {B}")
for x, name, role, style in [
    (curve.global_minimum, "global minimum", "minimum", ":"),
    (curve.hill_top, "top of the bump", "axis", "--"),
    (curve.local_minimum, "local minimum", "highlight", ":"),
]:
    ax.axhline(x[0], color=plots.color(role), linestyle=style, linewidth=1, label=name)
ax.set(xlabel="epoch", ylabel="w", title="SGD started at a local minimum of the full loss")
ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
plt.show()

# %% [markdown]
# 同样的噪声也可能把点从好的盆地里再甩出去，有些训练在早期确实如此；但右边的盆地更宽、更深，所以这些训练最终都停在那里。这里的教训不是“批次越小越好”，而是“完整梯度为零，并不能让 SGD 停下来”。

# %% [markdown]
# ## 5. 公平地比较批次大小
#
# 更小的批次能训练出更好的模型吗？随着 $B$ 变化，每个轮次的更新次数、每次更新的噪声，以及（如果 $\eta$ 保持不变）一个轮次能走多远，都会跟着变。公平的实验要把它们分开：
#
# - 使用第 3 节的 MLP，$B$ = 8、32、128、512；
# - 以 $B_0 = 32$ 时的 $\eta_0 = 0.1$ 为基准，比较三种学习率规则：*固定* $\eta = \eta_0$；**平方根缩放**（square-root scaling）$\eta = \eta_0\sqrt{B/B_0}$；**线性缩放**（linear scaling）$\eta = \eta_0 B/B_0$；
# - 每种设置用三个随机种子（决定初始化和批次顺序），报告平均值和范围；
# - 分别在相同的*轮次*数（5）和相同的*更新*次数（100）之后评判。
#
# 为什么是这几种规则？一个轮次大约走 $N/B$ 步，每步的均值为 $-\eta g$，噪声方差约为 $\eta^2\sigma^2/B$（第 2 节）：在一个轮次里，漂移累加为 $(N/B)\,\eta\,g$，方差累加为 $(N/B)\,\eta^2\sigma^2/B$。线性缩放让这两者在每个轮次中都保持不变（前提是 $g$ 变化不大）；平方根缩放保持不变的则是*每次更新*的噪声。下面的单元格打印这两个累加量相对于 $B_0$ 的值。

# %%
N_EPOCHS, N_UPDATES, ETA0, B0, seeds = 5, 100, 0.1, 32, (0, 1, 2)
study_sizes = [8, 32, 128, 512]
rules = {
    "constant": lambda B: ETA0,
    "√B": lambda B: ETA0 * math.sqrt(B / B0),
    "linear": lambda B: ETA0 * B / B0,
}
print(f"{'rule':>8} {'B':>4} {'η':>6} {'drift per epoch':>16} {'variance per epoch':>19}")
for name, rule in rules.items():
    for B in study_sizes:
        eta = rule(B)
        drift = (N / B * eta) / (N / B0 * ETA0)
        noise_var = (N / B * eta**2 / B) / (N / B0 * ETA0**2 / B0)
        print(f"{name:>8} {B:4d} {eta:6.3f} {drift:16.3f} {noise_var:19.3f}")

# %% [markdown]
# $B$ 较小时，每次更新的 Python 开销占主导，所以我们把同一批次大小的九次训练（3 种规则 × 3 个种子）放在一起同时训练：第 $r$ 次训练的权重是堆叠张量的第 $r$ 个切片，每次训练抽取自己的批次，再由 `torch.baddbmm` 把它和自己的权重相乘。损失是各次训练平均损失之和，所以损失对第 $r$ 个切片的梯度，正是第 $r$ 次训练自己的梯度；每个切片用自己的 $\eta$ 更新。这套机制就是 `course_lib.stacked.StackedMLPs(nets)`：`.step(lrs, X, y)` 让每次训练在自己的批次上更新一次，`.evaluate(X, y)` 给出每次训练在同一个数据集上的损失。


# %% [markdown]
# 检验：两个学习率不同的堆叠训练，对照两个用 `torch.optim.SGD` 训练的 `nn.Sequential` 网络，使用相同的 20 个批次。

# %%
from course_lib.stacked import StackedMLPs, stack_weights

nets, lrs = [mlp(0), mlp(1)], [0.1, 0.4]
pair = StackedMLPs(nets)
opts = [torch.optim.SGD(net.parameters(), lr=lr) for net, lr in zip(nets, lrs, strict=True)]
batch_ids = torch.randint(N, (20, 2, 32), generator=torch.Generator().manual_seed(0))
for idx in batch_ids:  # idx[r]: the batch of run r
    pair.step(lrs, X_train_t[idx], y_train_t[idx])
    for net, opt, i in zip(nets, opts, idx, strict=True):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X_train_t[i]), y_train_t[i]).backward()
        opt.step()
err = max((p - q).abs().max().item() for p, q in zip(pair.params, stack_weights(nets), strict=True))
print(f"stacked runs vs torch.optim.SGD, 20 updates: max difference {format_bound(err, 1e-5)}")
assert err < 1e-5


# %%
def train_and_val_losses(stacked):
    """(R, 2): every run's mean loss on the whole training set and on the validation set."""
    train, val = stacked.evaluate(X_train_t, y_train_t), stacked.evaluate(X_val_t, y_val_t)
    return torch.stack([train, val], dim=1).numpy()


# %%
def train_stacked(B, lrs, run_seeds, num_updates, checkpoints):
    """SGD on one stacked MLP per seed; returns {update: (R, 2) train and val losses}."""
    stacked = StackedMLPs([mlp(s) for s in run_seeds])
    rngs = [torch.Generator().manual_seed(s) for s in run_seeds]
    log, done = {0: train_and_val_losses(stacked)}, 0
    while done < num_updates:  # one epoch: every run shuffles with its own generator
        order = torch.stack([torch.randperm(N, generator=g) for g in rngs])
        for start in range(0, N, B):
            idx = order[:, start : start + B]
            stacked.step(lrs, X_train_t[idx], y_train_t[idx])
            done += 1
            if done in checkpoints or start + B >= N:  # and at the end of every epoch
                log[done] = train_and_val_losses(stacked)
            if done == num_updates:
                break
    return log


# %% [markdown]
# 每种批次大小都一直训练到既完成 5 个轮次、又完成 100 次更新为止，途中记录全部九次训练的训练损失和验证损失。

# %%
checkpoints = {1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, N_UPDATES}
runs = [(name, s) for name in rules for s in seeds]
study = {}  # B -> (updates logged (K,), losses (K, rules, seeds, [train, val]))
for B in study_sizes:
    total = max(N_EPOCHS * math.ceil(N / B), N_UPDATES)
    lrs = [rules[name](B) for name, _ in runs]
    log = train_stacked(B, lrs, [s for _, s in runs], total, checkpoints)
    steps = np.array(sorted(log))
    study[B] = steps, np.array([log[k] for k in steps]).reshape(len(steps), len(rules), -1, 2)


def judged(B, budget):
    """Losses (rules, seeds, 2) of batch size B after N_EPOCHS epochs or N_UPDATES updates."""
    steps, losses = study[B]
    k = N_EPOCHS * math.ceil(N / B) if budget == "epochs" else N_UPDATES
    return losses[list(steps).index(k)]


# %% [markdown]
# 结果如下：三个种子的平均值 [最小值–最大值]。最后几位数字取决于 CPU，所以测试只比较下面检验的那些结论。

# %%
# NBVAL_IGNORE_OUTPUT
for budget in ("epochs", "updates"):
    for j, metric in enumerate(("training", "validation")):
        print(f"same {budget}, {metric} loss: mean [min–max] of 3 seeds")
        print(f"{'rule':>8}" + "".join(f"{'B = ' + str(B):>23}" for B in study_sizes))
        for i, name in enumerate(rules):
            row = [judged(B, budget)[i, :, j] for B in study_sizes]
            cells = "".join(f"{a.mean():9.3f} [{a.min():.3f}–{a.max():.3f}]" for a in row)
            print(f"{name:>8}{cells}")


# %%
def per_seed(rule, budget, j=0):
    """(batch sizes, seeds): the training (j = 0) or validation (j = 1) loss of one rule."""
    k = list(rules).index(rule)
    return np.array([judged(B, budget)[k, :, j] for B in study_sizes])


def rises(a):
    """True when a (batch sizes, seeds) rises with the batch size in every seed."""
    return bool(np.all(np.diff(a, axis=0) > 0))


# %%
const, const_val = per_seed("constant", "epochs"), per_seed("constant", "epochs", j=1)
const_upd, lin_upd = per_seed("constant", "updates"), per_seed("linear", "updates")
lin = per_seed("linear", "epochs").mean(axis=1)
claims = {
    "constant η, same epochs: training loss rises with B": rises(const),
    "constant η, same epochs: validation loss rises with B": rises(const_val),
    "constant η, same updates: all B within 0.1": np.ptp(const_upd.mean(axis=1)) < 0.1,
    "linear η, same epochs: no B more than 0.01 above B = 32": lin.max() < lin[1] + 0.01,
    "linear η, same updates: training loss falls as B grows": rises(-lin_upd),
}
for claim, holds in claims.items():
    print(f"{claim:56}: {holds}")
assert all(claims.values())

# %%
colours = dict(zip(study_sizes, plots.shades(len(study_sizes)), strict=True))
fig, axes = plt.subplots(2, 2, figsize=(10, 6.8), layout="constrained", sharey=True)
for col, name in enumerate(("constant", "linear")):  # √B lies in between: see the table
    for B in study_sizes:
        steps, losses = study[B]
        train = losses[:, list(rules).index(name), :, 0]  # (logged steps, seeds)
        for ax, x, keep in [
            (axes[0, col], steps / math.ceil(N / B), steps <= N_EPOCHS * math.ceil(N / B)),
            (axes[1, col], steps, (steps >= 1) & (steps <= N_UPDATES)),
        ]:
            ax.plot(x[keep], train[keep].mean(1), color=colours[B], label=f"B = {B}")
            ax.fill_between(
                x[keep], train[keep].min(1), train[keep].max(1), color=colours[B], alpha=0.25
            )
    axes[0, col].set(title=f"{name} η: same epochs", xlabel="epoch", yscale="log")
    axes[1, col].set(title=f"{name} η: same updates", xlabel="update", xscale="log")
for ax in axes[:, 0]:
    ax.set_ylabel("training loss (mean and range)")
axes[0, 0].legend()
plt.show()

# %% [markdown]
# 解读这些结论，并逐列看图（每列对应一种学习率规则）：
#
# - *固定 $\eta$* 重现了那个朴素的发现：在相同的轮次之后，批次越大，训练集*和*验证集上的结果都越差。但在相同的更新次数之后，四种批次大小的结果都很接近。差距其实来自步数。
# - *线性缩放*消除了这个差距：在相同的轮次之后，$B$ = 8 … 128 的结果不相上下，$B = 512$ 也不差。平方根缩放（只见于表中）介于两者之间：它保持的是每次更新的噪声，而不是每个轮次的进展。
# - *按更新次数算*，在 $\eta$ 按比例缩放时，大批次遥遥领先：每次更新做的事更多。
#
# 那么泛化呢？下一张图把每次训练在两种预算下的结果都画在同一张图上。

# %%
fig, ax = plt.subplots()
for B in study_sizes:
    runs_B = np.concatenate([judged(B, b).reshape(-1, 2) for b in ("epochs", "updates")])
    ax.scatter(runs_B[:, 0], runs_B[:, 1], color=colours[B], s=18, label=f"B = {B}")
ax.plot([0.01, 2.3], [0.01, 2.3], color=plots.color("reference"), linestyle="--", label="equal")
ax.set(xscale="log", yscale="log", xlabel="training loss", ylabel="validation loss")
ax.set_title("validation vs training loss: every run, both budgets")
ax.legend()
plt.show()
lin_val = per_seed("linear", "epochs", j=1).mean(1)
same_val = np.ptp(lin[:3]) < 0.01 and np.ptp(lin_val[:3]) < 0.02
print(
    f"linear η, same epochs, B = 8, 32, 128: training within 0.01, validation within 0.02: {same_val}"
)
assert same_val

# %% [markdown]
# 所有批次大小都落在同一条曲线上：只要训练损失相同，无论 $B$ 是多少，验证损失都相同。这个小网络没有显示出小批次泛化更好的迹象。那种说法来自大型网络和非常大的批次：在那里，线性缩放最终会失效（步长超过稳定性上限，见第 7 节；第 04 讲的预热有帮助），而噪声可能有助于离开尖锐的区域（就像第 4 节的玩具例子）。在归咎于 $B$ 之前，先缩放 $\eta$，多用几个种子，并在两种预算下都做评判。

# %% [markdown]
# ## 6. 动量
#
# 一个从山坡上滚下来的球，不会停在第一个小坑里：它带着**动量**（momentum）。带动量的梯度下降维护一个**速度**（velocity）$v$，也就是上一步的移动；每一步都等于把上一步的移动乘以因子 $\beta \in [0, 1)$ 缩小，再减去当前的梯度步：
#
# $$v_t = \beta\, v_{t-1} - \eta\, g_t, \qquad \theta_t = \theta_{t-1} + v_t,
# \qquad v_0 = 0,$$
#
# 其中 $g_t = \nabla L(\theta_{t-1})$。当 $\beta = 0$ 时，它就是普通的梯度下降。把递推式展开可以看出，速度是*所有过去梯度的加权和*，越近的梯度权重越大：
#
# $$v_t = -\eta \sum_{k=1}^{t} \beta^{\,t-k}\, g_k .$$
#
# 这些权重之和为 $(1-\beta^t)/(1-\beta) \to 1/(1-\beta)$：当 $\beta = 0.9$ 时，如果梯度一直不变，最终的步长是普通梯度下降的 $1/(1-\beta)$ 倍。用 $\mathbb R^3$ 中的 50 个随机梯度验证一下：

# %%
rng = np.random.default_rng(1)
grad_seq = rng.standard_normal((50, 3))
beta, eta = 0.9, 0.1
v = np.zeros(3)
for g in grad_seq:
    v = beta * v - eta * g
weights = beta ** np.arange(len(grad_seq) - 1, -1, -1)  # β^(t-k) for k = 1..t
err = np.abs(v - (-eta * weights @ grad_seq)).max()
print(f"recursion vs weighted sum of past gradients: max difference {format_bound(err, 1e-12)}")
print(
    f"sum of weights {weights.sum():.4f}, formula (1 - β^t)/(1 - β) = {(1 - beta**50) / (1 - beta):.4f}"
)
assert err < 1e-12 and abs(weights.sum() - (1 - beta**50) / (1 - beta)) < 1e-12

# %% [markdown]
# 写成代码，适用于任意梯度函数（下面的每个曲面都会复用它）：


# %%
def heavy_ball(grad, x0, lr, momentum, steps):
    """Points visited by v <- momentum*v - lr*grad(x), x <- x + v; shape (steps + 1, d)."""
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    path = [x.copy()]
    for _ in range(steps):
        v = momentum * v - lr * grad(x)
        x = x + v
        path.append(x.copy())
    return np.array(path)


# %% [markdown]
# **球与凸起。** 在这条凹凸不平的曲线上，普通梯度下降从 $x = -4$ 出发，滑进局部最小值，然后就停在那里：梯度为零。取 $\beta = 0.9$ 时，球带着速度到达那里，靠剩下的速度爬过凸起，滚进全局最小值。如果下一座山太高（`hill_height=4` 而不是 2），速度在上坡途中就耗尽了，球又滚了回去。

# %%
balls = {}
for h in (2.0, 4.0):
    c = BumpyCurve(hill_height=h)
    settings = {"GD": 0.0, "momentum 0.9": 0.9}
    paths = {name: heavy_ball(c.grad, c.start, 0.03, mom, 300) for name, mom in settings.items()}
    balls[h] = (c, paths)
    for name, path in paths.items():
        minima = {"local": c.local_minimum[0], "global": c.global_minimum[0]}
        where = next((k for k, x in minima.items() if abs(path[-1, 0] - x) < 1e-3), "no")
        print(f"hill height {h:g}, {name:12s}: ends at x = {path[-1, 0]:.4f}, {where} minimum")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (h, (c, paths)) in zip(axes, balls.items(), strict=True):
    curves = {name: path[:, 0] for name, path in paths.items()}
    title = f"position vs step, hill height {h:g}"
    plots.loss_curves(curves, xlabel="step", ylabel="position x", title=title, ax=ax)
    for x, role in [(c.local_minimum, "highlight"), (c.global_minimum, "minimum")]:
        ax.axhline(x[0], color=plots.color(role), linestyle=":", linewidth=1)
plt.show()

# %% [markdown]
# 点线标出了局部最小值（红色）和全局最小值（绿色）。下面是各点最终停在曲线上的位置：

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (h, (c, paths)) in zip(axes, balls.items(), strict=True):
    xs = np.linspace(*c.default_xlim, 400)[:, None]
    ax.plot(xs[:, 0], c.value(xs), color=plots.color("reference"), label="loss f(x)")
    ax.plot(*c.start, c.value(c.start), "x", color=plots.color("axis"), ms=9, label="start")
    for i, ((name, path), marker) in enumerate(zip(paths.items(), ["o", "*"], strict=True)):
        end = (path[-1, 0], c.value(path[-1]))
        ax.plot(*end, marker, color=plots.color_of(name, i), ms=12, label=f"{name}: end")
    ax.set(xlabel="x", ylabel="loss", title=f"final points, hill height {h:g}")
    ax.legend()
plt.show()

# %%
(c2, p2), (c4, p4) = balls[2.0], balls[4.0]
ends = [p2["GD"][-1, 0], p2["momentum 0.9"][-1, 0], p4["momentum 0.9"][-1, 0]]
minima = [c2.local_minimum[0], c2.global_minimum[0], c4.local_minimum[0]]
assert np.allclose(ends, minima, rtol=0, atol=1e-3)  # the endings printed above
k = np.argmin(np.abs(p2["momentum 0.9"][:, 0] - c2.local_minimum[0]))
speed = abs(p2["momentum 0.9"][k + 1, 0] - p2["momentum 0.9"][k, 0])
gradient = abs(c2.grad(c2.local_minimum)[0])
print(f"momentum passes the local minimum near step {k} with speed {speed:.3f} per step")
print(f"(the gradient at the local minimum is {format_bound(gradient, 1e-10)})")
assert gradient < 1e-10

# %% [markdown]
# **抑制之字形震荡。** 在病态的二次函数 $L(\theta) = \tfrac12\theta^\top
# H\theta$（特征值为 1 和 $\kappa = 50$，坐标轴旋转 30°）上，学习率接近稳定性上限 $2/\kappa$ 的梯度下降会在狭窄山谷的两壁之间来回弹跳（第 02 讲）。横跨山谷方向的梯度正负交替，在速度中相互抵消；沿山谷方向的梯度指向同一边，于是不断累加。$\beta = 0.5$ 能抑制之字形震荡；$\beta = 0.9$ 保留了太多旧的速度，会冲过头。

# %%
quad = IllConditionedQuadratic(condition_number=50, angle=np.pi / 6)
zig = {
    "GD, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.0, 40),
    "momentum 0.5, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.5, 40),
    "momentum 0.9, lr 0.035": heavy_ball(quad.grad, quad.start, 0.035, 0.9, 40),
}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
for ax, name in zip(axes, list(zig)[1:], strict=True):
    plots.contour_with_paths(quad, {k: zig[k] for k in ("GD, lr 0.035", name)}, ax=ax)
    ax.set_title(f"40 steps, condition number 50: GD and {name.split(',')[0]}")
plt.show()

# %% [markdown]
# 需要多少步才能让 $\lVert\theta\rVert \le 10^{-3}\lVert\theta_0\rVert$？沿着特征值为 $\lambda$ 的特征向量，动量的一步是线性的：$\theta_{t+1} = (1 + \beta - \eta \lambda)\,\theta_t - \beta\, \theta_{t-1}$，所以它按 $|z|^t$ 缩小，其中 $z$ 是 $z^2 - (1 + \beta - \eta \lambda)z + \beta = 0$ 中模最大的根；最慢的方向决定了收敛的*速率*。由此可以得到两个经典结果：最佳的普通梯度下降（$\eta = 2/(1+\kappa)$）的速率为 $\frac{\kappa-1}{\kappa+1}$，而最佳的动量（$\eta = \frac{4}{(1+\sqrt\kappa)^2}$，$\beta = \big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\big)^2$）的速率为 $\frac{\sqrt\kappa-1}{\sqrt\kappa+1}$：容差较小时，后者所需的步数大约只有前者的 $\sqrt\kappa$ 分之一。


# %%
def rate(lr, momentum, eigenvalues=(1.0, 50.0), nesterov=False):
    """Largest |root| of z² - a z + c over the eigenvalues (heavy ball, or Nesterov: §7)."""
    radii = []
    for h in lr * np.asarray(eigenvalues, dtype=float):
        a, c = (1 + momentum) * (1 - h), momentum * (1 - h)
        poly = [1.0, -a, c] if nesterov else [1.0, h - 1 - momentum, momentum]
        radii.append(np.abs(np.roots(poly)).max())
    return max(radii)


# %%
def steps_to_tol(path, tol=1e-3):
    ratio = np.linalg.norm(path, axis=1) / np.linalg.norm(path[0])
    return int(np.argmax(ratio <= tol)) if (ratio <= tol).any() else None


kappa, sk = 50.0, math.sqrt(50.0)
best_gd, best_mom = (2 / (1 + kappa), 0.0), (4 / (1 + sk) ** 2, ((sk - 1) / (sk + 1)) ** 2)
for name, formula, (lr, mom) in [
    ("GD", (kappa - 1) / (kappa + 1), best_gd),
    ("momentum", (sk - 1) / (sk + 1), best_mom),
]:
    print(f"best {name}: rate from the roots {rate(lr, mom):.6f}, formula {formula:.6f}")
    assert abs(rate(lr, mom) - formula) < 1e-6

# %%
settings = {
    "GD, lr 0.035": (0.035, 0.0),
    "momentum 0.5, lr 0.035": (0.035, 0.5),
    "momentum 0.9, lr 0.035": (0.035, 0.9),
    "GD, best lr 2/(1+κ)": best_gd,
    "momentum, best lr and β": best_mom,
}
counts = {}
print(f"{'method':<26} {'lr':>6} {'β':>6} {'rate':>7} {'steps to 1e-3':>14}")
for name, (lr, mom) in settings.items():
    counts[name] = steps_to_tol(heavy_ball(quad.grad, quad.start, lr, mom, 2000))
    print(f"{name:<26} {lr:6.4f} {mom:6.4f} {rate(lr, mom):7.4f} {counts[name]:14d}")
assert (
    counts["momentum 0.5, lr 0.035"] < counts["GD, lr 0.035"]
    and 4 * counts["momentum, best lr and β"] < counts["GD, best lr 2/(1+κ)"]
)

# %% [markdown]
# 只要 $\beta$ 选得好，动量所需的步数就比最佳的普通梯度下降少好几倍（容差越小，两者之比越接近 $\sqrt{50}$）；动量太大时（这里是 $\beta = 0.9$），路径会螺旋打转，收益也就小一些。尽管如此，$\beta = 0.9$ 仍是常用的默认值：对真实的网络来说，$\kappa$ 非常大而且未知，$\eta$ 则是配合它一起调的。
#
# ## 7. Nesterov 动量
#
# 普通动量先在当前点计算梯度，再加上速度。**Nesterov 动量**（Nesterov momentum）则先按速度移动，看*那里*的梯度，再做修正：
#
# $$v_t = \beta\, v_{t-1} - \eta\, \nabla L(\theta_{t-1} + \beta\, v_{t-1}), \qquad
# \theta_t = \theta_{t-1} + v_t.$$
#
# 如果速度即将把点带上山谷对面的坡壁，前瞻点的梯度已经指向回头的方向，这一步就会被缩短。这样就抑制了螺旋打转。

# %% [markdown]
# **PyTorch 采用的形式。** 前瞻需要在一个不是当前参数的点上求梯度。把前瞻点重新记为 $p_t = \theta_t + \beta v_t$，把缓冲量记为 $b_t = -v_t/\eta$，并记 $g_t = \nabla L(p_{t-1})$。于是
#
# $$p_t = \theta_t + \beta v_t = p_{t-1} - \beta v_{t-1} + (1+\beta)v_t
# = p_{t-1} - \eta g_t + \beta v_t,$$
#
# 最后一步用到了 $\beta v_{t-1} = v_t + \eta g_t$。把速度的更新式除以 $-\eta$，得到 $b_t = \beta b_{t-1} + g_t$，而 $\beta v_t = -\eta\beta\, b_t$。这恰好就是 `torch.optim.SGD(..., momentum=β, nesterov=True)`，梯度就在参数本身处求：
#
# $$b_t = \beta\, b_{t-1} + g_t, \qquad p_t = p_{t-1} - \eta\,(g_t + \beta\, b_t).$$
#
# 我们在 Rosenbrock 函数上验证这两种形式：把我们版本的前瞻点 $\theta_t + \beta v_t$ 与 `torch.optim.SGD` 的参数相比较，后者每一步的梯度由 `course_lib.optim.torch_path` 从曲面上算出来交给它。


# %%
def nesterov_lookahead(grad, x0, lr, momentum, steps):
    """Look-ahead Nesterov; returns the points x_t and the look-ahead points x_t + β v_t."""
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    xs, ahead = [x.copy()], [x.copy()]
    for _ in range(steps):
        v = momentum * v - lr * grad(x + momentum * v)
        x = x + v
        xs.append(x.copy())
        ahead.append(x + momentum * v)
    return np.array(xs), np.array(ahead)


# %%
rosen = Rosenbrock()
xs, ahead = nesterov_lookahead(rosen.grad, rosen.start, lr=1e-3, momentum=0.9, steps=300)
torch_points = optim.torch_path("SGD", rosen, 300, lr=1e-3, momentum=0.9, nesterov=True)
err = np.abs(ahead - torch_points).max()
print(
    f"look-ahead points vs torch.optim.SGD(nesterov=True): max difference {format_bound(err, 1e-10)}"
)
print(
    f"(the points x_t themselves differ from torch's by up to {np.abs(xs - torch_points).max():.1e})"
)
assert err < 1e-10

# %% [markdown]
# **稳定性上限。** $\eta$ 最大能取多少？沿着曲率为 $\lambda$ 的特征向量，每种方法都是关于 $h = \eta\lambda$ 的线性递推：梯度下降每步乘以 $1 - h$；重球法就是第 6 节的递推；Nesterov 的前瞻梯度为 $\lambda(\theta_t + \beta(\theta_t - \theta_{t-1}))$，于是得到
#
# $$\theta_{t+1} = (1+\beta)(1-h)\,\theta_t - \beta(1-h)\,\theta_{t-1}.$$
#
# 递推 $\theta_{t+1} = a\theta_t - c\,\theta_{t-1}$ 收缩，当且仅当 $z^2 - az + c$ 的两个根都在单位圆内：$|c| < 1$ 且 $|a| < 1 + c$。当 $0 \le \beta < 1$ 时，由此得到三个上限：
#
# $$\text{梯度下降：} \eta < \frac{2}{\lambda}, \qquad
# \text{重球法：} \eta < \frac{2(1+\beta)}{\lambda}, \qquad
# \text{Nesterov：} \eta < \frac{2(1+\beta)}{(1+2\beta)\lambda}.$$
#
# 取 $\beta = 0.9$ 时：$\eta\lambda$ 分别要小于 2、3.8 和 $3.8/2.8 \approx 1.357$。我们直接用步进函数来测量：在一个对角二次函数上跑一次，$\eta = 1$，曲率取 $h$ = 0.002, 0.004, …, 3.998（每个坐标一个），从 1 出发走 1000 步。


# %%
def run_method(name, grad, x0, lr, steps):
    """Points visited by "GD", "momentum 0.9" or "Nesterov 0.9": (steps + 1, *x0.shape).

    x0 may hold several starts as rows, with lr of shape (rows, 1): independent runs."""
    if name.startswith("Nesterov"):
        return nesterov_lookahead(grad, x0, lr, 0.9, steps)[0]
    return heavy_ball(grad, x0, lr, 0.0 if name == "GD" else 0.9, steps)


# %%
h_grid = np.arange(1, 2000) * 0.002
limits = {"GD": 2.0, "momentum 0.9": 2 * 1.9, "Nesterov 0.9": 2 * 1.9 / 2.8}
measured = {}
for name in limits:
    with np.errstate(over="ignore", invalid="ignore"):  # the unstable coordinates blow up
        end = run_method(name, lambda x: h_grid * x, np.ones_like(h_grid), 1.0, 1000)[-1]
    shrinks = np.abs(end) < 1
    edge = int(np.argmin(shrinks))  # the first h that does not shrink
    measured[name] = h_grid[edge - 1]
    print(
        f"{name:13s} largest stable ηλ on the grid {measured[name]:.3f}, formula {limits[name]:.3f}"
    )
    assert shrinks[:edge].all() and not shrinks[edge:].any()  # one edge, no stray point
    assert measured[name] < limits[name] <= measured[name] + 0.0021  # within one grid step

# %%
hs = np.linspace(0.01, 4.0, 400)
fig, ax = plt.subplots()
for i, name in enumerate(limits):
    beta, nesterov = (0.0, False) if name == "GD" else (0.9, name.startswith("Nesterov"))
    radius = [rate(h, beta, eigenvalues=(1.0,), nesterov=nesterov) for h in hs]
    ax.plot(hs, radius, color=plots.color_of(name, i), label=name)
    ax.plot(measured[name], 1.0, "o", color=plots.color_of(name, i), markerfacecolor="none")
ax.axhline(1.0, color=plots.color("reference"), linestyle="--", label="|z| = 1: the edge")
ax.set(xlabel=r"$h = \eta\lambda$", ylabel="largest |root| (shrink factor per step)", ylim=(0, 2))
ax.set_title("stability on a quadratic, β = 0.9 (circles: measured limits)")
ax.legend()
plt.show()

# %% [markdown]
# 在上限以内，Nesterov 的阻尼更强。在螺旋打转的方向上（复根），每步的收缩因子就是根的模：重球法为 $\sqrt\beta$，Nesterov 为 $\sqrt{\beta(1-h)}$，当 $0 < h < 1$ 时更小。在 $\kappa = 50$ 的二次函数上取 $\eta = 0.015$，最慢的方向（$\lambda = 1$）决定速率，Nesterov 的螺旋衰减得更快：

# %%
quad_paths = {
    "momentum 0.9": heavy_ball(quad.grad, quad.start, 0.015, 0.9, 200),
    "Nesterov 0.9": nesterov_lookahead(quad.grad, quad.start, 0.015, 0.9, 200)[0],
}
for name, path in quad_paths.items():
    nesterov = name.startswith("Nesterov")
    modulus = math.sqrt(0.9 * (1 - 0.015) if nesterov else 0.9)
    r = rate(0.015, 0.9, nesterov=nesterov)
    print(
        f"{name}: rate {r:.4f} (modulus formula {modulus:.4f}), steps to 1e-3: {steps_to_tol(path)}"
    )

# %% [markdown]
# **在 Rosenbrock 函数上。** 在最小值处，它的海森矩阵的 $\lambda_{\max} \approx 1002$（第 02 讲），所以 $\eta = 0.002$ 使 $\eta\lambda_{\max}$ 接近 2.0：超过了 Nesterov 的上限，也略微超过梯度下降的上限，但远在重球法的上限之内。$\eta = 0.001$ 时，三种方法在最小值附近都稳定：我们就在这里比较它们，每种方法都从 $(-1.2, 1)$ 出发走 4000 步：

# %%
lam_max = np.linalg.eigvalsh(rosen.hessian(rosen.minimum))[-1]
lrs = (1e-3, 2e-3)  # both learning rates side by side: one row each, lr of shape (2, 1)
both = {
    n: run_method(n, rosen.grad, np.tile(rosen.start, (2, 1)), np.array(lrs)[:, None], 4000)
    for n in limits
}
rosen_runs = {f"{n}, lr {lr}": both[n][:, j] for j, lr in enumerate(lrs) for n in limits}
for lr in lrs:
    print(f"lr {lr}: ηλmax = {lr * lam_max:.3f} at the minimum")
    for name in limits:
        d = np.linalg.norm(rosen_runs[f"{name}, lr {lr}"] - rosen.minimum, axis=1)
        hit, best = np.flatnonzero(d < 1e-6), d[-1000:].min()
        where = "> 0.1" if best > 0.1 else f"{best:.0e}"
        verdict = f"after {hit[0]} steps" if hit.size else f"never (last 1000 steps: {where})"
        print(f"  {name:13s}: within 1e-6 of the minimum {verdict}")

# %%
fig, (ax1, ax3) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
first_60 = {name: path[:61] for name, path in quad_paths.items()}
plots.contour_with_paths(quad, first_60, ax=ax1).set_title("60 steps, lr 0.015, κ = 50")
for i, (label, path) in enumerate(rosen_runs.items()):
    style = "-" if label.endswith("0.001") else ":"
    d = np.linalg.norm(path[::10] - rosen.minimum, axis=1)  # every 10th step is enough to draw
    ax3.semilogy(np.arange(0, len(path), 10), d, style, color=plots.color_of(label, i), label=label)
ax3.set(xlabel="step", ylabel="distance to the minimum", title="Rosenbrock, 4000 steps")
ax3.legend(fontsize=8)
plt.show()

# %% [markdown]
# 在三者都稳定的地方（$\eta = 0.001$），两种动量方法所需的步数差不多，而梯度下降还离得很远。$\eta = 0.002$ 时，重球法收敛的速度快了一倍，但 Nesterov 超过了自己的上限，一直在最小值附近来回弹跳（棕色虚线）；梯度下降也略微超过了它自己的上限。Nesterov 在上限*以内*阻尼更好，但它的上限更低。在 PyTorch 中，两者只差一个开关参数。

# %% [markdown]
# **自己动手试试。** 拖动滑块时，交互式探索器会重新绘制这些轨迹：可调的有 $\eta$、动量 $\beta$（滑块上写的是 β₁，这是第 04 讲中 Adam 对它的叫法；这里用不到 β₂）、步数和曲面。先找出梯度下降在山谷上仍能收敛的最大 $\eta$，再打开动量。它需要一个正在运行的内核。

# %%
# NBVAL_IGNORE_OUTPUT
OptimizerExplorer(
    ["SGD", "momentum", "Nesterov"],
    {"condition number 50": quad, "Rosenbrock": rosen},
    lr=0.015,
    beta1=0.9,
    steps=60,
)

# %% [markdown]
# ## 8. 从零实现与 `torch.optim.SGD` 对比
#
# PyTorch 用缓冲量 $b$ 而不是速度 $v$ 来写重球动量：
#
# $$b_t = \beta\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t,$$
#
# 这是同一种方法，因为当 $\eta$ 不变时 $v_t = -\eta\, b_t$（如果 $\eta$ 在训练中变化，PyTorch 的步长会立即按新的学习率变化）。Adam（第 04 讲）维护的是 $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$：对过去的加权方式相同，只是重新缩放成了平均值，所以当 $\beta_1 = \beta$ 时有 $m_t = (1-\beta)\,b_t$。下面是我们用缓冲形式写的优化器，采用课程库的 `step(grads)` 接口：普通 SGD、动量和 Nesterov。


# %%
class ScratchSGD:
    """SGD on a list of ndarrays (updated in place), with optional (Nesterov) momentum."""

    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        self.params, self.lr, self.beta, self.nesterov = params, lr, momentum, nesterov
        self.buffers = [None] * len(params)

    def step(self, grads):
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if self.beta:
                b = g.copy() if self.buffers[i] is None else self.beta * self.buffers[i] + g
                self.buffers[i] = b
                g = g + self.beta * b if self.nesterov else b
            p -= self.lr * g


# %% [markdown]
# 首先，缓冲形式经过的点与第 6 节的速度形式相同，而且它的缓冲量与 Adam 的一阶矩只差一个因子 $1-\beta$：

# %%
p = np.array(quad.start, dtype=float)
opt = ScratchSGD([p], lr=0.035, momentum=0.5)
buffer_path = [p.copy()]
for _ in range(40):
    opt.step([quad.grad(p)])
    buffer_path.append(p.copy())
err = np.abs(np.array(buffer_path) - zig["momentum 0.5, lr 0.035"]).max()
print(f"buffer form vs velocity form, 40 steps: max difference {format_bound(err, 1e-12)}")
b, m = np.zeros(3), np.zeros(3)
for g in grad_seq:  # the 50 gradients of section 6, β = β₁ = 0.9
    b, m = beta * b + g, beta * m + (1 - beta) * g
err_adam = np.abs(m - (1 - beta) * b).max()
print(f"Adam's m_t vs (1 - β) b_t, 50 steps: max difference {format_bound(err_adam, 1e-12)}")
assert err < 1e-12 and err_adam < 1e-12

# %% [markdown]
# 现在是真正的检验：在手写数字上做 softmax 回归，100 个大小为 32 的小批次，三种设置。PyTorch 用 float64 的 autograd 自己计算梯度；每一步之后，我们都比较全部参数。

# %%
rng = np.random.default_rng(0)
batches = [b for _ in range(3) for b in minibatches(X_train, y_train, 32, rng=rng)][:100]


def run_torch(batches, **sgd_args):
    W = torch.zeros(64, 10, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    opt, history = torch.optim.SGD([W, b], **sgd_args), []
    for Xb, yb in batches:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(
            torch.from_numpy(Xb) @ W + b, torch.from_numpy(yb)
        ).backward()
        opt.step()
        history.append(flat([W.detach().numpy(), b.detach().numpy()]))
    return np.array(history)


# %%
def run_numpy(make_opt, batches):
    params = [np.zeros((64, 10)), np.zeros(10)]
    opt, history = make_opt(params), []
    for Xb, yb in batches:
        opt.step(loss_and_grads(params, Xb, yb)[1])
        history.append(flat(params))
    return np.array(history)


# %% [markdown]
# 同一个优化器，加上 PyTorch 的全部选项（`dampening`、`weight_decay`）和参数检查，就是 `course_lib.optim.SGD(params, lr, momentum=0, dampening=0,
# nesterov=False, weight_decay=0)`。两者都与 PyTorch 做比较，各占一行：

# %%
configs = {
    "SGD": {},
    "momentum 0.9": {"momentum": 0.9},
    "Nesterov 0.9": {"momentum": 0.9, "nesterov": True},
}
reference = {name: run_torch(batches, lr=0.1, **cfg) for name, cfg in configs.items()}
for label, make in [("ScratchSGD", ScratchSGD), ("course_lib.optim.SGD", optim.SGD)]:
    runs_ours = {
        n: run_numpy(lambda ps, c=c, m=make: m(ps, lr=0.1, **c), batches)
        for n, c in configs.items()
    }
    err = max(np.abs(runs_ours[n] - reference[n]).max() for n in configs)
    print(
        f"{label} vs torch.optim.SGD (plain, momentum, Nesterov; 100 steps): max error {format_bound(err, 1e-10)}"
    )
    assert err < 1e-10

# %% [markdown]
# ## 9. 课程库、要点与练习
#
# 从现在起，本课程使用课程库中的版本：
#
# - `course_lib.data.minibatches(X, y, batch_size, shuffle=True, rng=None)`：每次调用给出打乱后的一个轮次；始终传入同一个 `numpy.random.Generator`，每个轮次就会得到一个新的、可复现的顺序（PyTorch 中对应的是 `DataLoader(TensorDataset(X, y), batch_size, shuffle=True)`）。
# - `course_lib.optim.SGD`：普通 SGD、动量 SGD 和 Nesterov SGD，参数与 `torch.optim.SGD` 相同；`opt.step(grads)` 就地更新 `params`。第 04 讲会在同一个模块中加入 Adagrad、RMSprop 和 Adam。
# - `course_lib.surfaces`：`BumpyCurve`、`IllConditionedQuadratic` 和 `Rosenbrock`，用来观察优化器如何移动；`course_lib.plots.contour_with_paths` 用来把它们画出来。
#
# 例如，用课程库的优化器重现第 6 节中的球：

# %%
c = BumpyCurve(hill_height=2.0)
x = c.start.copy()
opt = optim.SGD([x], lr=0.03, momentum=0.9)
for _ in range(300):
    opt.step([c.grad(x)])
print(
    f"course_lib.optim.SGD(momentum=0.9) on the bumpy curve ends at x = {x[0]:.4f}, "
    f"global minimum at {c.global_minimum[0]:.4f}"
)
assert abs(x[0] - c.global_minimum[0]) < 1e-3

# %% [markdown]
# **要点。**
#
# - 一个轮次就是把打乱后的数据按每批 $B$ 个过一遍，共 $\lceil N/B\rceil$ 次更新。小批次梯度是无偏的，它的噪声按 $1/\sqrt B$ 减小。
# - 批次越大，每次更新的开销越大，但每个轮次的开销越小（固定开销支付的次数更少），直到计算量决定的下限。更多线程或 GPU 只有在一个批次的计算量足够分担时才有帮助。在完整梯度为零的地方，噪声让 SGD 继续移动。
# - 比较批次大小时，要缩放学习率（线性缩放保持每个轮次的进展和噪声不变），用多个种子，并在相同的轮次数*和*相同的更新次数下比较。如果 $\eta$ 固定不变，“大批次更差”衡量的只是更新次数。
# - 动量 $v_t = \beta v_{t-1} - \eta g_t$ 以权重 $\beta^{t-k}$ 累加过去的梯度：它能滚过小的局部最小值，并抑制狭窄山谷中的之字形震荡（调好时步数约为原来的 $\sqrt\kappa$ 分之一）。PyTorch 的缓冲量是 $b_t = -v_t/\eta$；Adam 的一阶矩是 $m_t = (1-\beta_1)\,b_t$。
# - Nesterov 动量在前瞻点 $\theta + \beta v$ 处求梯度（PyTorch：$b \leftarrow \beta b + g$，更新方向为 $g + \beta b$）。在二次函数上，稳定要求 $\eta\lambda$ 小于 2（GD）、$2(1+\beta)$（重球法）和 $2(1+\beta)/(1+2\beta)$（Nesterov）：Nesterov 在上限以内阻尼更强，但它的上限更低。

# %% [markdown]
# **作业。** `homework/hw03_batch_and_momentum.ipynb`：编写一个会打乱顺序的小批次迭代器，实现带动量和带 Nesterov 动量的 SGD，并在一个曲面和一个小网络上比较它们。
#
# **术语表。** 这一讲的关键术语都收录在课程的[术语表](glossary.md)中，中英对照。
#
# **练习。** 先预测，再修改代码并运行；每道题的答案都折叠在题目下方。

# %% [markdown]
# **练习 1。** 在第 2 节中，公式预测 $B = N/2$ 时的噪声相对于 $B = 1$ 是多少？用 200 个随机批次测量一下。

# %% tags=["answer"]
half = N // 2
rng_half = np.random.default_rng(1)
d2_half = [
    np.sum((G[rng_half.choice(N, half, replace=False)].mean(0) - g_full) ** 2) for _ in range(200)
]
print(f"B = {half}: measured {math.sqrt(np.mean(d2_half)):.4f}, formula {noise_formula(half):.4f}")
print(f"relative to B = 1: formula {noise_formula(half) / noise_formula(1):.4f}, "
      f"1/sqrt(N - 1) = {1 / math.sqrt(N - 1):.4f}")  # fmt: skip

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 当 $B = N/2$ 时，公式给出 $\frac{\sigma^2}{N/2}\cdot\frac{N/2}{N-1} =
# \frac{\sigma^2}{N-1}$（$N$ 为偶数时如此；这里 $N = 1259$ 是奇数，$B = 629$，差别在第四位数字之后），所以噪声是 $B = 1$ 时的 $1/\sqrt{N-1}$：约 0.028，大约小 35 倍。这里有限总体因子 $(N-B)/(N-1)$ 很重要：单纯的 $1/\sqrt B$ 规则会预测 $1/\sqrt{N/2}$，多出 $\sqrt 2$ 倍。200 个批次测出的值与公式相差不到 1%。
# </details>

# %% [markdown]
# **练习 2。** 在第 7 节中，取 $\beta = 0.5$。先用公式预测三个稳定性上限，再用扫描 $h$ 的那个单元格测量它们。

# %% tags=["answer"]
steppers = {"GD": (heavy_ball, 0.0), "momentum 0.5": (heavy_ball, 0.5),
            "Nesterov 0.5": (lambda *a: nesterov_lookahead(*a)[0], 0.5)}  # fmt: skip
for name, (method, beta_s) in steppers.items():
    with np.errstate(over="ignore", invalid="ignore"):
        end = method(lambda x: h_grid * x, np.ones_like(h_grid), 1.0, beta_s, 1000)[-1]
    edge = int(np.argmin(np.abs(end) < 1))
    formula = (
        2 * (1 + beta_s) / (1 + 2 * beta_s) if name.startswith("Nesterov") else 2 * (1 + beta_s)
    )
    print(f"{name:13s} largest stable ηλ on the grid {h_grid[edge - 1]:.3f}, formula {formula:.3f}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 梯度下降的上限与 $\beta$ 无关：$\eta\lambda < 2$。重球法：$2(1 + 0.5) = 3$。Nesterov：$2(1 + 0.5)/(1 + 1) = 1.5$。动量变小会降低重球法的上限，却会*提高* Nesterov 的上限（$\beta = 0.9$ 时是 1.357）：当 $\beta \to 0$ 时，两者都趋向梯度下降的 2。扫描在一个网格步长（0.002）之内找到了每个上限。
# </details>

# %% [markdown]
# **练习 3。** 在第 5 节中，设 `ETA0 = 0.2`。哪次训练最先失败？为什么？（看看线性缩放在 $B = 512$ 时的 $\eta$；回忆第 02 讲的稳定性上限。）

# %% tags=["answer"]
for rule_name, rule in rules.items():
    eta_512 = 0.2 * rule(512) / ETA0  # the rule with ETA0 = 0.2 at B = 512
    runs_512 = StackedMLPs([mlp(s) for s in seeds])
    shuffles = [torch.Generator().manual_seed(s) for s in seeds]
    for _ in range(5):  # five epochs of three updates
        order = torch.stack([torch.randperm(N, generator=g) for g in shuffles])
        for start in range(0, N, 512):
            idx = order[:, start : start + 512]
            runs_512.step([eta_512] * len(seeds), X_train_t[idx], y_train_t[idx])
    final = runs_512.evaluate(X_train_t, y_train_t).numpy()
    diverged = not (final <= math.log(10)).any()  # NaN counts as diverged
    verdict = "every seed above ln 10 = 2.30 (guessing)" if diverged else f"mean {final.mean():.1f}"
    print(f"{rule_name:>8} η = {eta_512:.1f}: training loss after 5 epochs {verdict}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 是 $B = 512$ 时的线性缩放训练，它的 $\eta = 0.2 \cdot 512/32 = 3.2$：五个轮次之后，每个种子的损失都比瞎猜还差，而固定规则（$\eta = 0.2$）和平方根规则（$\eta = 0.8$）的训练都很正常。第 02 讲的上限 $\eta < 2/\lambda_{\max}$ 针对的是损失最陡峭的方向：3.2 的步长沿这个方向冲过头的部分比得到的好处还多，误差一次比一次大。`ETA0 = 0.1` 时，同一次训练用的是 $\eta = 1.6$，是稳定的。线性缩放迟早会在某个批次大小上撞到这堵墙；预热（第 04 讲）可以把它推迟。
# </details>

# %% [markdown]
# **练习 4。** 在第 5 节中，把 $B = 512$ 的固定 $\eta$ 训练 20 个轮次，再一直训练到 200 次更新。$B = 512$ 能追上 $B = 32$ 在 5 个轮次（200 次更新）之后的结果吗？这对“大批次更差”这一说法意味着什么？

# %% tags=["answer"]
# NBVAL_IGNORE_OUTPUT
runs_const, shuffles = (
    StackedMLPs([mlp(s) for s in seeds]),
    [torch.Generator().manual_seed(s) for s in seeds],
)
done, seen = 0, {}
while done < 200:
    order = torch.stack([torch.randperm(N, generator=g) for g in shuffles])
    for idx in order.split(512, dim=1):  # one epoch of batches of 512
        runs_const.step([ETA0] * len(seeds), X_train_t[idx], y_train_t[idx])
        done += 1
        if done in (15, 60, 200):  # 5 epochs, 20 epochs, 200 updates
            seen[done] = runs_const.evaluate(X_train_t, y_train_t).numpy().mean()
        if done == 200:
            break
b32 = judged(32, "epochs")[0, :, 0].mean()  # constant η, B = 32, 5 epochs = 200 updates
print(
    f"B = 512: training loss {seen[15]:.2f} after 5 epochs, {seen[60]:.2f} after 20, {seen[200]:.2f} after 200 updates"
)
print(f"B = 32 after 5 epochs (200 updates): {b32:.2f}")

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# 20 个轮次之后，$B = 512$ 只做了 60 次更新，它的损失（约 0.65）仍远高于 $B = 32$ 在 5 个轮次之后的损失（约 0.15）。做完 200 次更新——和 $B = 32$ 在 5 个轮次里做的一样多——之后，它停在差不多相同的损失上。在 $\eta$ 固定时，损失跟随的是更新次数，而不是看过的样本数：“大批次更差”在相同轮次下只说明它们走的步数更少。（打印出的数值最后几位取决于 CPU，所以测试不比较它们。）
# </details>

# %% [markdown]
# **练习 5。** 在第 6 节中，在一组 $\beta$ 的网格上找出使 `rate(0.035, β)` 最小的 $\beta$。它能胜过最佳的普通梯度下降吗？

# %% tags=["answer"]
beta_grid = np.round(np.arange(0.0, 1.0, 0.01), 2)
rates = np.array([rate(0.035, b) for b in beta_grid])
best = int(np.argmin(rates))
print(f"best β on the grid {beta_grid[best]:.2f}: rate {rates[best]:.4f}")
print(
    f"gradient descent: rate {rate(0.035, 0.0):.4f} at lr 0.035, {rate(*best_gd):.4f} at its best lr"
)
print(
    f"steps of the best GD per step at the best β, for small tolerances: "
    f"{math.log(rates[best]) / math.log(rate(*best_gd)):.1f}"
)

# %% [markdown] tags=["answer"]
# <details><summary>答案</summary>
#
# $\beta = 0.67$，速率为 0.8185：远好于同样 $\eta = 0.035$ 下的梯度下降（0.965），甚至好于最佳 $\eta$ 下的梯度下降（0.9608）；对小的容差来说，步数大约少 5 倍（两个速率的对数之比）。同时调 $\eta$ 和 $\beta$ 还能更好：$(\sqrt\kappa - 1)/(\sqrt\kappa + 1) = 0.752$，见第 6 节。
# </details>
