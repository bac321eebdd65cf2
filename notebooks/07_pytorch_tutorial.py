# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 07 — PyTorch tutorial
#
# Lectures 01–06 built gradients, optimizers and layers from scratch, with PyTorch as the
# reference. This lecture is about the PyTorch toolkit itself: the pieces every training
# program is made of and how they fit together. We go from tensors to a small complete
# project, predicting the progression of diabetes from ten clinical measurements: a data
# pipeline, a model, a training loop with early stopping, baselines, honest validation and
# test numbers, and predictions written to a file.
#
# 1. Tensors: creation, dtype, shape, device, NumPy
# 2. Autograd, a recap of lecture 01
# 3. `Dataset` and `DataLoader`
# 4. Model, loss, optimizer and the training loop
# 5. Training, validation and test data
# 6. Train mode, eval mode, saving, early stopping, seeding
# 7. A complete project: diabetes progression
# 8. A progress bar, and the library's `fit`
# 9. Takeaways, homework and exercises

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
# ## 1. Tensors: creation, dtype, shape, device, NumPy
#
# A **tensor** is PyTorch's array: an $n$-dimensional grid of numbers of one type that can
# also live on a GPU and record the operations applied to it for automatic differentiation.
# Tensors come from Python lists or factory functions; random ones take a
# `torch.Generator`, so one seed fixes their values whatever else the program draws.

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
# Every tensor has a **dtype**, the type of its entries. Floats default to `float32` (4
# bytes, about 7 significant digits): enough for training, half the memory of `float64` and
# usually faster. Integers default to `int64`, the type `nn.CrossEntropyLoss` wants for
# labels. NumPy defaults to `float64`, and `torch.tensor(array)` keeps it. Mixed dtypes give
# the wider one (**type promotion**); true division of integers gives the default float.

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
# Layers do *not* promote: an `nn.Linear` has float32 weights and refuses a float64 input.
# This is the error everyone meets when feeding NumPy data straight into a model; convert
# with `torch.tensor(X, dtype=torch.float32)` (or `.float()`).

# %%
layer = nn.Linear(3, 1)
x64 = torch.tensor(np.ones((2, 3)))
try:
    layer(x64)
except RuntimeError as error:
    print(f"RuntimeError: {error}")
print(f"after .float(): output shape {tuple(layer(x64.float()).shape)}")

# %% [markdown]
# **Shape** tells how the entries are arranged. `view` reinterprets the same memory with a
# new shape (no copy) and needs entries laid out in order (**contiguous**); `reshape` copies
# when it must, e.g. after a transpose. `unsqueeze(d)` inserts an axis of length 1 at
# position `d`; `squeeze(d)` removes one.

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
# **Broadcasting** lets an operation combine tensors of different shapes. Shapes are
# aligned from the right; an axis of length 1 (or a missing axis) is stretched to match the
# other tensor. So a column $(3, 1)$ plus a row $(4,)$ gives a $(3, 4)$ table
# $c_{ij} = a_i + b_j$. We check the rule against the explicit loop.

# %%
col = torch.tensor([[0.0], [10.0], [20.0]])  # shape (3, 1)
row = torch.tensor([1.0, 2.0, 3.0, 4.0])  # shape (4,)
table = col + row
loop = torch.tensor([[col[i, 0] + row[j] for j in range(4)] for i in range(3)])
print(f"(3, 1) + (4,) -> {tuple(table.shape)}\n{table.numpy()}")
print(f"max |broadcast - explicit loop| = {format_bound((table - loop).abs().max().item(), 1e-12)}")
assert torch.equal(table, loop)

# %% [markdown]
# Broadcasting is also a classic silent bug. Predictions of shape $(B, 1)$ against targets
# of shape $(B,)$ give a $(B, B)$ table, every prediction against every target; its mean is
# a number, so nothing crashes, but it is not our loss (`nn.MSELoss` warns). Make the
# shapes equal, e.g. with `squeeze(-1)`.

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
# A tensor lives on a **device**, the CPU's memory or a GPU's, and an operation needs all
# its tensors on one device. The usual idiom picks a CUDA GPU when present, else the CPU
# (`course_lib.training.get_device()` also tries Apple's MPS). The answer depends on the
# machine, so the cell below is not checked. This lecture stays on the CPU, where the tiny
# data run fast and results repeat exactly.

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
# **NumPy interoperability.** `torch.from_numpy(a)` wraps an array *without copying*:
# writing into one changes the other (and the dtype stays float64); `torch.tensor(a)`
# copies. `t.numpy()` shares a CPU tensor's memory, and `t.item()` turns a one-element
# tensor into a Python number.

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
# ## 2. Autograd, a recap of lecture 01
#
# In [lecture 01](01_backprop.ipynb) a tensor created with `requires_grad=True` recorded
# every operation applied to it, `loss.backward()` ran the backward pass, and the gradient
# landed in `.grad`. For a linear model with the mean squared error over $N$ examples,
#
# $$L(\mathbf w) = \frac1N \lVert X\mathbf w - \mathbf y \rVert^2, \qquad
# \nabla_{\mathbf w} L = \frac2N X^\top (X\mathbf w - \mathbf y),$$
#
# and PyTorch's gradient must match the formula (in float64, to rounding error).

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
# Two rules matter in every training loop. `backward()` *adds* to `.grad` (**gradient
# accumulation**), so gradients must be reset before the next backward pass:
# `w.grad.zero_()`, or `optimizer.zero_grad()` / `model.zero_grad()` for all parameters
# (they set `.grad` to `None`, which counts as zero). And code inside
# `with torch.no_grad():` is not recorded, as we want for updates and evaluation: no graph,
# so faster and less memory.

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
# ## 3. `Dataset` and `DataLoader`
#
# The project uses the diabetes data that ship with scikit-learn (no download): 442
# patients, 10 measurements each (age, sex, body-mass index, blood pressure, six blood
# serum values), and a measure of disease progression one year later as the target.

# %%
X_all, y_all, feature_names = load_diabetes()
print(f"X {X_all.shape}, y {y_all.shape}; features: {', '.join(feature_names)}")
print(f"feature means: {X_all.mean(axis=0).round(1)}")
print(f"target: min {y_all.min():.0f}, mean {y_all.mean():.1f}, max {y_all.max():.0f}")

# %% [markdown]
# We split the data once, with a seed: 70 % for training, 15 % for validation, 15 % for a
# test set touched only at the very end (section 5 says why). The features live on very
# different scales (age in years, sex coded 1/2, serum values in the hundreds), so we
# standardise each one, and the target, to mean 0 and standard deviation 1, with the
# *training* set's statistics applied unchanged to the other sets. Statistics computed on
# all the data would let the held-out sets leak into training (**data leakage**), and their
# scores would no longer measure what a new patient would see.

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
# A **dataset** in PyTorch answers two questions: how many examples there are (`__len__`),
# and what example $i$ is (`__getitem__`, returning the input and its target). Our arrays
# are in memory, so `__init__` converts them once to float32 tensors; for images on disk,
# `__getitem__` would read file $i$.


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
# A **data loader** (`DataLoader`) turns a dataset into mini-batches: it draws indices,
# calls `__getitem__` for each, and stacks the results along a new first axis. With
# `shuffle=True` it draws a new order every epoch; a seeded `torch.Generator` makes the
# orders repeat from run to run. Validation loaders need no shuffling: it cannot change a
# mean.

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
# To see the order we load indices: a `range` is a valid dataset. Two loaders with the same
# seed give the same order; the second epoch of one loader gives a new one.


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
# For images the batch has more axes: a batch of shape $[128, 1, 224, 224]$ holds 128
# images of 1 channel (grayscale; colour has 3), 224 rows and 224 columns. The dataset
# below stands in for image files: `__getitem__` makes image $i$ only when asked (here
# from a seeded generator, in a real project by decoding file $i$).


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
# **Workers.** `DataLoader(..., num_workers=k)` starts $k$ processes that prepare batches
# in parallel while the main process trains; the default, 0, loads them in the main
# process. The order still comes from the loader's generator, so a seeded loader gives the
# same batches either way. Each worker is a new process with its own copy of the dataset:
# they cost start-up time and pay off only when loading is slow (decoding images from
# disk), not for an in-memory table. (On Windows and macOS a worker must import the
# dataset's class, so use one from a module, such as `TensorDataset`.) One epoch with and
# without two workers:


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
# ## 4. Model, loss, optimizer and the training loop
#
# A model is a subclass of `nn.Module`, PyTorch's **module**: `__init__` creates the layers
# (and so their parameters), `forward` says how an input flows through them; `model(x)`
# calls `forward` (and any hooks). Our model is a **multilayer perceptron** (MLP) with two
# hidden layers of 256 ReLU units, each followed by dropout (section 6), and one output. It
# has far more parameters than we have patients, on purpose: section 7 watches it overfit.
# `forward` returns shape $(B,)$ to match the targets, avoiding the broadcasting bug of
# section 1. In a project this class lives in its own file, `model.py`, which the training
# script imports, and so does the script that later loads the saved weights.


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
# **Choosing the loss by task.** The loss turns "how wrong is the model" into one number
# to minimise:
#
# - regression (a real-valued target, as here): the mean squared error, `nn.MSELoss()`,
#   $\frac1N\sum_i (\hat y_i - y_i)^2$;
# - classification: `nn.CrossEntropyLoss()`, which takes raw scores of shape $(B, C)$ and
#   int64 labels of shape $(B,)$ and applies the softmax itself (lecture 05);
# - other tasks have their own losses. A model that predicts a 3-D shape as a point cloud
#   outputs a *set* of points in no particular order, so comparing point $i$ with point $i$
#   makes no sense; the **Chamfer distance** matches every point with its nearest
#   neighbour in the other set instead.
#
# First, `nn.MSELoss` against its formula:

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
# For point sets $A$ and $B$, the (squared) Chamfer distance averages, over each set, the
# squared distance of each point to its nearest neighbour in the other set:
#
# $$d_{\mathrm{CD}}(A, B) = \frac1{|A|}\sum_{a\in A}\min_{b\in B}\lVert a-b\rVert^2
# + \frac1{|B|}\sum_{b\in B}\min_{a\in A}\lVert a-b\rVert^2 .$$
#
# With `torch.cdist` (all pairwise distances) it is two differentiable lines. We check it
# against a double loop, and show that, unlike the MSE, it ignores the order of the points.


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
# **The optimizer.** `torch.optim` holds the update rules of lectures 03 and 04. An
# **optimizer** receives the parameters it updates, `model.parameters()`, and the
# hyperparameters, e.g. `torch.optim.SGD(model.parameters(), lr=0.01)` or the common
# default `torch.optim.Adam(model.parameters(), lr=1e-3)`; `optimizer.step()` applies one
# update from each parameter's `.grad`, `optimizer.zero_grad()` clears them.
#
# **The training loop.** For every mini-batch:
#
# 1. `optimizer.zero_grad()`: clear the previous batch's gradients (they accumulate);
# 2. forward: `pred = model(x)`, then `loss = loss_fn(pred, y)`, which records the graph;
# 3. `loss.backward()`: fill every parameter's `.grad` with $\partial L/\partial\theta$;
# 4. `optimizer.step()`: update the parameters.
#
# Here it is for one epoch. It returns the training loss averaged over the examples (each
# batch weighted by its size, since the last batch is smaller).


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
# Why the first step: without `zero_grad`, the gradient used by `step()` after two batches
# is the sum of both batches' gradients, so the update is too large and points partly in an
# old direction. We compute the gradients of two batches separately, then without zeroing
# in between:

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
# ## 5. Training, validation and test data
#
# The three parts of the split have three jobs.
#
# - Training data have labels and drive the updates: loss, backward, step.
# - Validation data have labels too, but never update the parameters. Their loss is used to
#   *choose*: the epoch to stop at, the size of the network, the learning rate.
# - Test data are what the finished model is for. In use, or in a competition, they come
#   *without* labels. Our project keeps test labels to report, once, at the end, one honest
#   number for unseen data.
#
# Beware of the names: much of the literature says "test set" for what is really a
# validation set, a labelled held-out part used to compare models. The rule is about use:
# data that helped you choose are no longer unseen.
#
# A competition (Kaggle, lecture 02) shows each submission's score on part of the hidden
# test set, the public board; the private board, revealed at the end, scores the rest and
# decides. Choosing by the public board makes the winner's score optimistic. A simulation:
# 500 submissions guess 400 binary labels at random (true accuracy 50 %), 200 scored
# publicly, 200 privately; we keep the best public one.

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
# The public winner looks far better than chance; on the private board it is back near
# chance, selected for its luck on 200 examples. A validation set used for very many
# decisions overfits the same way, which is why the test set is used once, at the end.

# %% [markdown]
# ## 6. Train mode, eval mode, saving, early stopping, seeding
#
# Some layers behave differently while training and while predicting. **Dropout** sets each
# activation to zero with probability $p$ during training and multiplies the survivors by
# $1/(1-p)$, keeping the expected value; at prediction time it does nothing. Batch
# normalization (lecture 06) uses batch statistics in training and running averages
# afterwards. `model.train()` and `model.eval()` switch a model and all its submodules
# between the two modes (`model.training` tells which is on). Forgetting `model.eval()`
# before predicting makes predictions random (dropout) or batch-dependent (BN).

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
# Evaluation therefore means `model.eval()` and `torch.no_grad()`. Our function averages
# the loss over examples and must give exactly what `course_lib.training.evaluate` gives
# (which also restores the model's mode).


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
# **Saving and loading.** A model's **state dict** (`model.state_dict()`) maps parameter
# (and buffer) names to tensors: everything learned, nothing else. We save it rather than
# the model object; loading rebuilds the architecture from the class (in `model.py`), then
# calls `load_state_dict`. The reloaded model must predict exactly the same numbers.

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
# **Early stopping.** Trained for long enough, a network starts to fit the noise of its
# training set: the training loss keeps falling while the validation loss turns up.
# **Early stopping** watches the validation loss after every epoch, remembers the weights
# of the best epoch so far, and stops once the validation loss has not improved for
# `patience` epochs in a row (the **patience** absorbs epoch-to-epoch noise); then it
# restores the best weights. The saved weights must be copies (`clone()`): the state dict's
# tensors are the live parameters. Epochs count from 0 here (as `History.best_epoch` of
# section 8 does); the library's progress bar counts from 1.


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
# **Seeding.** A run is random in three places: the initial weights, the shuffling order
# and the dropout masks. For **reproducibility** we seed them all: `set_seed(0)` seeds
# Python, NumPy and PyTorch's global generator (weights, dropout), the loader's generator
# fixes the order. Two runs then give identical losses; another seed gives another run. (On
# a GPU some operations are not bit-for-bit repeatable.)


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
# ## 7. A complete project: diabetes progression
#
# Everything is in place: the split and standardisation (section 3), the loaders, the model,
# the loop with early stopping. An error means little on its own, so we first set up two
# **baselines**, simple predictors that a model worth its training must beat:
#
# - the mean baseline predicts the training set's mean target for every patient;
# - linear regression, $\hat y = \mathbf x^\top\mathbf w + b$, fitted to the training set
#   by least squares (`np.linalg.lstsq` on the features with a column of ones $A$). Its
#   residual is orthogonal to every column, $A^\top(A\mathbf w - \mathbf y) = \mathbf 0$
#   (the normal equations), which we check.


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
# We report errors in the target's own units. With predictions $\hat y_i$ for $n$
# patients:
#
# $$\mathrm{RMSE} = \sqrt{\tfrac1n\textstyle\sum_i(\hat y_i - y_i)^2}, \qquad
# \mathrm{MAE} = \tfrac1n\textstyle\sum_i|\hat y_i - y_i|, \qquad
# R^2 = 1 - \frac{\sum_i(\hat y_i - y_i)^2}{\sum_i(y_i - \bar y)^2}.$$
#
# The **coefficient of determination** $R^2$ is the fraction of the target's variance the
# model explains: 1 is perfect, 0 is as good as predicting the mean $\bar y$ of the
# evaluated set, negative is worse. We check the formulas against scikit-learn's.


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
# Now the MLP: Adam with learning rate $10^{-3}$, batches of 32, at most 300 epochs, early
# stopping with patience 20. The loss is the MSE of the *standardised* target; predictions
# go back to the original units as $\hat y = \hat y_{\text{std}}\cdot s_y + m_y$, with the
# training set's mean $m_y$ and standard deviation $s_y$.

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
# Is the best epoch meaningful? Neighbouring epochs differ by noise, so we look at the band
# of epochs within 2 % of the minimum, and check that the rise after it is far larger than
# that: the validation loss at the stop, and its lowest value from 10 epochs after the best
# on, against the minimum; and the training loss over the same epochs.

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
# The MLP clearly beats the mean baseline, which explains none of the variance. Against
# linear regression the difference is small, on 66 test patients. Is it real? We resample
# the test patients with replacement (a **bootstrap**), 2000 times, and look at the spread of
# the RMSE differences; the same for the MLP against the mean baseline.

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
# The interval for the MLP against linear regression contains zero: these 66 patients
# cannot tell the two models apart. That is not "equally good": the data are compatible with
# either being better by a few points (the interval's ends), and more test patients would
# narrow the interval (roughly like $1/\sqrt n$). The same patients do separate the MLP from
# the mean baseline. The diabetes set is small and close to linear, so a network has little
# to add; extra capacity pays off with more data and strongly nonlinear inputs (images,
# sound, text). Only the baselines make the MLP's error interpretable.
#
# **Writing predictions.** A competition (or a colleague) expects the test predictions as a
# file, one row per example. We write a CSV with an id and the prediction into a temporary
# directory and read it back.

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
# **Learning curves.** The training and validation loss per epoch show what early stopping
# did. The training loss is measured in training mode, with dropout on and while the weights
# change, so early on it can sit above the validation loss.

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
# The validation loss bottoms out within the first few epochs (shaded: the epochs within
# 2 % of its minimum), then climbs while the training loss keeps falling: the network fits
# the noise of its 310 patients. Which epoch of the band is "best" is noise; the rise after
# it is not. After the patience's 20 more epochs the best weights came back.

# %% [markdown]
# ## 8. A progress bar, and the library's `fit`
#
# This loop is the one every PyTorch program writes, so it lives in the library:
# `course_lib.training.fit(model, train_loader, loss_fn, optimizer, epochs=, val_loader=,
# patience=, restore_best=)` runs `train_one_epoch` and `evaluate_loss` every epoch, stops
# early, restores the best weights and returns a `History` of per-epoch losses (and
# accuracies, for classification); `course_lib.training.evaluate` is our `evaluate_loss`.
# `fit(progress=True)` redraws one progress line on stderr per epoch; its text changes from
# run to run, so that cell starts with `# NBVAL_IGNORE_OUTPUT` and the next prints the
# rounded results. `fit` draws exactly the random numbers our loop draws, so from the same
# seeds it must repeat the run of section 7 epoch for epoch.


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
# ## 9. Takeaways, homework and exercises
#
# - A tensor has a shape, a dtype and a device. Models want float32 inputs and int64 class
#   labels; NumPy gives float64, so convert. $(B, 1)$ against $(B,)$ silently broadcasts to
#   $(B, B)$. `torch.from_numpy` and `.numpy()` share memory; `torch.tensor` copies.
# - Autograd: `requires_grad`, `backward()`, `.grad`; gradients accumulate, so zero them
#   every step; `torch.no_grad()` for updates and evaluation.
# - A `Dataset` gives the number of examples and example $i$; a `DataLoader` batches and
#   shuffles (seeded by its generator, with or without worker processes).
# - A model is an `nn.Module` in `model.py`. The loss depends on the task: MSE, cross-entropy,
#   special losses such as the Chamfer distance.
# - The loop: `zero_grad`, forward, loss, `backward`, `step`; `model.eval()` and
#   `torch.no_grad()` to evaluate; save the `state_dict`; stop early on the validation loss
#   and restore the best weights; seed weights, shuffling and dropout.
# - Training data update, validation data choose, test data are used once.
# - Compare with baselines, and ask whether the test set can resolve the difference: on
#   66 patients the MLP and linear regression cannot be told apart.
#
# **Homework.** `homework/hw07_pytorch_pipeline.ipynb`: build the whole pipeline for the
# 8 × 8 handwritten digits: a `Dataset`, seeded `DataLoader`s, and a trained network whose
# test predictions must beat two stated baselines.
#
# **Glossary.** Every term set in bold above is in [glossary.md](glossary.md), in English
# and Chinese.

# %% [markdown]
# **Exercises.** Predict the answer before you run the code.
#
# 1. Give the MLP one hidden layer of 32 units. Does the validation loss still rise
#    clearly after its minimum, and does the test RMSE change?
# 2. Set `patience=5` in section 7. Which epoch is restored, and why is a small patience
#    risky on a noisy validation curve?
# 3. Bootstrap with only the first 33 test patients. How does the width of the interval
#    for MLP minus linear regression change (think $1/\sqrt n$)?
# 4. Time `one_epoch(num_workers)` for 0, 1, 2 and 4 workers. When would workers win?
# 5. Remove `.squeeze(-1)` from `MLP.forward`. What does `nn.MSELoss` do, and what happens
#    to the training?
