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
# Lectures 01–06 built gradients, optimizers and layers from scratch. This lecture is about
# the PyTorch toolkit itself, and about a project that runs on any device, survives an
# interruption and reports numbers worth trusting: first on a table of diabetes patients,
# then on images of handwritten digits.
#
# 1. Tensors: creation, dtype, shape, device, NumPy
# 2. Autograd, a recap of lecture 01
# 3. `Dataset` and `DataLoader`
# 4. Model, loss, optimizer and a device-safe training loop
# 5. Training, validation and test data
# 6. Train and eval mode, checkpoints, early stopping, seeding
# 7. A complete project: diabetes progression
# 8. The library's `fit`, and what early stopping saved
# 9. A project's files: a CNN on the digits, augmentation, seeded workers
# 10. Takeaways, homework and exercises

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

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
# (`course_lib.training.get_device()` also tries Apple's MPS); the output depends on the
# machine and is not checked. This lecture runs on the CPU, where results repeat exactly.

# %%
# NBVAL_IGNORE_OUTPUT
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"device on this machine: {device}; course_lib.training.get_device(): {get_device()}")

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
# The first project uses the diabetes data that ship with scikit-learn (no download): 442
# patients, 10 measurements each (age, sex, body-mass index, blood pressure, six blood
# serum values), and a measure of disease progression one year later as the target.

# %%
X_all, y_all, feature_names = load_diabetes()
print(f"X {X_all.shape}, y {y_all.shape}; features: {', '.join(feature_names)}")
print(f"feature means: {X_all.mean(axis=0).round(1)}")
print(f"target: min {y_all.min():.0f}, mean {y_all.mean():.1f}, max {y_all.max():.0f}")

# %% [markdown]
# We split the data once, with a seed: 70 % for training, 15 % for validation, 15 % for a
# test set used once, at the end (section 5). The features have very different scales (age
# in years, sex coded 1/2, serum values in the hundreds), so we standardise each one, and
# the target, with the *training* set's mean and standard deviation, applied unchanged to
# the other sets. Statistics of all the data would let the held-out sets leak into training
# (**data leakage**).

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

# %% [markdown]
# ## 4. Model, loss, optimizer and a device-safe training loop
#
# A model is a subclass of `nn.Module`, PyTorch's **module**: `__init__` creates the layers,
# `forward` says how an input flows through them, and `model(x)` calls `forward`. Ours is a
# **multilayer perceptron** (MLP): two hidden layers of 128 ReLU units with dropout
# (section 6), and one output, returned with shape $(B,)$ to match the targets (section 1's
# bug). It has far more parameters than we have patients: section 8 watches it overfit.


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
# **Choosing the loss by task.**
#
# - regression (a real-valued target, as here): the mean squared error, `nn.MSELoss()`,
#   $\frac1N\sum_i (\hat y_i - y_i)^2$;
# - classification: `nn.CrossEntropyLoss()`, on raw scores $(B, C)$ and int64 labels
#   $(B,)$, with the softmax built in (lecture 05);
# - other tasks have their own. A predicted 3-D point cloud is a *set* of points in no
#   particular order, so the **Chamfer distance** matches each point with its nearest
#   neighbour in the other set.
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
# For point sets $A$ and $B$ the (squared) Chamfer distance is
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
# **The optimizer.** An **optimizer** (`torch.optim`, lectures 03 and 04) holds the
# parameters it updates and its hyperparameters, e.g.
# `torch.optim.Adam(model.parameters(), lr=1e-3)`; `step()` updates each parameter from its
# `.grad`, `zero_grad()` clears them.
#
# **The training loop.** For every mini-batch: `optimizer.zero_grad()`; the forward pass
# `loss_fn(model(x), y)`, which records the graph; `loss.backward()`, which fills every
# `.grad` with $\partial L/\partial\theta$; `optimizer.step()`. Two lines make the loop
# device-safe: the model goes to `device` (build the optimizer after its first move), and
# so does every batch. The losses are summed on the device and read once per epoch:
# `loss.item()` after every batch would make the CPU wait for the GPU.


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
# A machine without a GPU can still check that no batch stays behind. The `meta` device
# holds shapes and dtypes but no numbers: every operation runs without computing, and
# mixing a meta tensor with a CPU tensor is an error. On `meta`, the loop succeeds only if
# it moves every batch, inputs and targets.

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
# Why `zero_grad` comes first: without it, `step()` after two batches would use the sum of
# both batches' gradients. We compare the accumulated gradient with the two computed
# separately:

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
# ## 5. Training, validation and test data
#
# - Training data have labels and drive the updates.
# - Validation data have labels too, but never update the parameters. They *choose*: the
#   epoch to stop at, the model, the learning rate.
# - Test data are what the finished model is for, and come *without* labels in use or in a
#   competition. Our projects keep test labels to report one honest number, once, at the
#   end.
#
# Much of the literature says "test set" for a validation set; what matters is the use:
# data that helped choose are no longer unseen. A competition (Kaggle, lecture 02) shows
# scores on part of the hidden test set, the public board, and decides on the rest. A
# simulation: 500 submissions guess 400 binary labels at random (true accuracy 50 %), 200
# scored publicly, 200 privately; we keep the best public one.

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
# The public winner looks far better than chance and is back near chance on the private
# board: it was selected for its luck. A validation set used for very many decisions
# overfits the same way.

# %% [markdown]
# ## 6. Train and eval mode, checkpoints, early stopping, seeding
#
# Some layers behave differently in training and in prediction. **Dropout** zeroes each
# activation with probability $p$ in training and scales the survivors by $1/(1-p)$,
# keeping the expected value; in prediction it does nothing. Batch normalization
# (lecture 06) uses batch statistics in training and running averages afterwards.
# `model.train()` and `model.eval()` switch a model and its submodules; without
# `model.eval()` predictions are random (dropout) or batch-dependent (BN).

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
# Evaluation therefore means `model.eval()` and `torch.no_grad()`, on the device. Our
# function must agree with `course_lib.training.evaluate` to float32 rounding (the library
# adds the batch losses as Python floats).


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
# **Saving and loading.** A model's **state dict** maps parameter (and buffer) names to
# tensors: everything learned, nothing else. We save it, not the model object; loading
# rebuilds the model from its class (in `model.py`) and calls `load_state_dict`. The
# reloaded model must predict the same numbers.

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
# **Checkpoints.** A long run should survive an interruption (a closed laptop, an ended
# Colab session). Weights alone cannot continue it: Adam's moving averages, the scheduler's
# position, the number of finished epochs and the random generators (dropout, shuffling)
# decide what comes next. A **checkpoint** saves them all. `map_location="cpu"` reads it
# whatever device wrote it; `load_state_dict` copies the weights into the model on its
# device. Epochs count from 1.


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
# **Seeding.** A run is random in its initial weights, its shuffling and its dropout masks.
# For **reproducibility** `set_seed(0)` seeds Python, NumPy and PyTorch's global generator
# (weights, dropout); the loader's generator fixes the order. The test: four epochs in one
# go must equal two epochs, a stop, and a resumed fresh start, in losses and weights. (Some
# GPU operations are not bit-for-bit repeatable.)


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
# **Early stopping.** Trained long enough, a network fits the noise of its training set: the
# training loss keeps falling, the validation loss turns up. **Early stopping** keeps the
# weights of the best validation epoch so far and stops once the validation loss has not
# improved for `patience` epochs in a row (the **patience** absorbs noise); then it restores
# them. They are saved as copies (`clone()`): a state dict's tensors are the live
# parameters.


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
# ## 7. A complete project: diabetes progression
#
# An error means little on its own, so we first set up two **baselines**, simple predictors
# that a model worth training must beat:
#
# - the mean baseline predicts the training set's mean target for every patient;
# - linear regression, $\hat y = \mathbf x^\top\mathbf w + b$, fitted by least squares
#   (`np.linalg.lstsq` on the features with a column of ones, $A$). Its residual is
#   orthogonal to every column, $A^\top(A\mathbf w - \mathbf y) = \mathbf 0$ (the normal
#   equations), which we check.


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
# The **coefficient of determination** $R^2$ is the fraction of the target's variance
# explained: 1 is perfect, 0 is as good as predicting the mean $\bar y$ of the evaluated
# set. Checks: RMSE and MAE against PyTorch's losses, and $R^2$ against the squared
# correlation of $\hat y$ and $y$, which it equals for least squares with an intercept on
# its own training data.


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
# Now the MLP: Adam with learning rate $3\cdot10^{-4}$, batches of 32, at most 200 epochs,
# early stopping with patience 10. The loss is the MSE of the *standardised* target.

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
# Training helped: the kept epoch is far better than the first, though which epoch near the
# bottom is "best" is noise (section 8 shades the epochs within 2 % of the minimum).
#
# **Choosing by validation.** Predictions go back to the target's units,
# $\hat y = \hat y_{\text{std}}\cdot s_y + m_y$ ($m_y$, $s_y$: the training set's mean and
# standard deviation). Each candidate's validation RMSE decides; the test set stays closed.


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
# Validation picks linear regression, although the MLP's score is flattered (its epoch was
# chosen on these patients). Is the gap real? A **bootstrap** resamples the 66 validation
# patients with replacement, 2000 times, and recomputes the RMSE difference on each
# resample: the spread shows how much it would vary with other patients. Both fitted models
# stay fixed, so it says nothing about other seeds or splits.

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
# The interval contains zero: 66 patients cannot tell the models apart, and without
# evidence for the network the simpler model stays. These data are small and nearly linear;
# extra capacity pays off on richer inputs (section 9). Now, once, the test set, with a
# bootstrap interval for the chosen model's RMSE (from having only 66 test patients):

# %%
test_pred = candidates[chosen](X_test)
final = scores(test_pred, split.y_test)
idx = rng.integers(0, len(X_test), size=(2000, len(X_test)))
low, high = np.percentile(boot_rmse(test_pred, split.y_test), [2.5, 97.5])
print(f"{chosen} on the test set: RMSE {final['RMSE']:.1f} (95 % interval [{low:.1f}, {high:.1f}])")
print(f"MAE {final['MAE']:.1f}, R2 {final['R2']:.3f}")

# %% [markdown]
# **Writing predictions.** A competition or a colleague expects the test predictions as a
# file, one row per example: a CSV with an id and the prediction, written to a temporary
# folder and read back.

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
# ## 8. The library's `fit`, and what early stopping saved
#
# This loop lives in the library: `course_lib.training.fit(model, train_loader, loss_fn,
# optimizer, epochs=, val_loader=, patience=, device=)` trains, validates, stops early,
# restores the best weights and returns a `History` of per-epoch losses (and accuracies).
# Run from the same seeds for 30 epochs *without* patience, its first epochs must repeat
# section 7's; the rest shows where the run would have gone. Its progress line varies and is
# not checked.

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
# The validation loss falls, bottoms out in the shaded band, then climbs while the training
# loss keeps falling: the network fits the noise of its 310 patients. Early stopping kept the
# bottom and stopped 10 epochs later. (The training loss is measured with dropout on, so
# early on it sits above the validation loss.)

# %% [markdown]
# ## 9. A project's files: a CNN on the digits, augmentation, seeded workers
#
# A real project is a few files that import each other and run without a notebook. The
# course keeps a small one in `course_lib/project/`, so installing the course brings it
# along (on Colab too); copy its three files to start your own.
#
# | file | holds |
# |---|---|
# | `dataset.py` | `DigitsDataset` (the 8 × 8 digits, with augmentation), `make_loader` (seeded loaders) |
# | `model.py` | `DigitsCNN`, a small convolutional network with `BatchNorm2d` |
# | `train.py` | the loop of section 4, the checkpoint of section 6, `train(Config(...))`, a command line |
#
# `python -m course_lib.project.train --help` lists the options; with none it trains for six
# epochs. `--checkpoint run.pt --stop-after 3`, then `--checkpoint run.pt --resume`,
# interrupt and continue a run; `tests/test_project.py` checks that this equals an
# uninterrupted run. The notebook imports the files as `train.py` does:

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
# An image batch has more axes: $[64, 1, 8, 8]$ is 64 images of 1 channel, 8 × 8 pixels;
# colour photographs might be $[128, 3, 224, 224]$.
#
# **Data augmentation** makes new training examples by changes that keep the label. A digit
# moved by a pixel is the same digit, but a model trained on centred digits may not know it.
# `DigitsDataset(augment=True)` moves each training image, whenever it is read, by one of
# nine moves $d_y, d_x \in \{-1, 0, 1\}$, zeros entering at the edge:
# $\mathrm{out}_{ij} = \mathrm{image}_{i - d_y, j - d_x}$; validation and test images stay
# as they are. First, `shift` against the formula:

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
# **Seeded workers.** `DataLoader(num_workers=k)` starts $k$ processes (**workers**) that
# prepare batches while the main process trains, worth it when loading is slow (decoding
# images). Two arguments keep them reproducible, and `make_loader` sets both:
#
# - `generator`, the loader's own `torch.Generator`: it draws the order and the workers'
#   seeds, whatever the rest of the program drew from the global generator.
# - `worker_init_fn`, run in each new worker. PyTorch seeds `torch`, `random` and NumPy's
#   global generator in every worker, but a generator the dataset holds, like
#   `DigitsDataset.rng`, is copied in unchanged; `seed_worker` reseeds it.
#
# Workers must import both from a file (on Windows and macOS they start as new processes),
# another reason for `dataset.py`. We measure what each changes:


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
# Without `worker_init_fn`, epoch 2 repeats every shift of epoch 1: augmentation has
# silently become a fixed copy of the data. With `seed_worker` about one image in nine keeps
# its move, as chance gives. (The number of workers is part of the seed: 0 and 2 workers
# draw other shifts.)
#
# **A convolutional network.** An MLP sees 64 unrelated numbers; a **convolution**
# (`nn.Conv2d`) slides a small filter, here 3 × 3, over the image, looking for the same
# stroke everywhere with the same weights. `DigitsCNN` has two convolutions, each followed by
# `BatchNorm2d` (lecture 06, statistics per channel) and a ReLU, a 2 × 2 max pooling between
# them, and a linear layer.

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
# `train(Config(...))` trains it as `train.py` does: AdamW with weight decay $10^{-4}$ and a
# cosine schedule from $\eta = 10^{-2}$ (lecture 04), batches of 64, six epochs, without
# and with augmentation. Validation scores both on the digits as they are and moved by one
# pixel in each of the eight directions, and chooses by the mean of the two accuracies.

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
# On centred digits the two networks differ by a digit or two of 269, as much as seeds
# make them differ; on moved digits only the augmented one stays accurate, so validation
# chooses it. The test set, opened once, reports it:

# %%
chosen_cnn = cnns[chosen_augment]
moved_test = torch.cat([shift(digits_test.images, dy, dx) for dy, dx in moves])
test_clean = correct(chosen_cnn, digits_test.images, digits_test.labels).float().mean()
test_moved = correct(chosen_cnn, moved_test, digits_test.labels.repeat(len(moves))).float().mean()
print(
    f"augmented CNN on the test set: accuracy {test_clean:.3f}, moved by one pixel {test_moved:.3f}"
)

# %% [markdown]
# ## 10. Takeaways, homework and exercises
#
# - A tensor has a shape, a dtype and a device. Models want float32 inputs and int64
#   labels; $(B, 1)$ against $(B,)$ broadcasts to $(B, B)$ without a word.
# - Gradients accumulate: zero them every step.
# - A `DataLoader` batches and shuffles, with its own `generator`, and a `worker_init_fn`
#   when the dataset holds a generator.
# - The loop moves the model and every batch to the device. A checkpoint holds weights,
#   optimizer, scheduler, epoch and random generators.
# - Training data update, validation data choose, test data are used once. Baselines make
#   an error interpretable; a bootstrap shows what a held-out set can resolve.
# - A project is `dataset.py`, `model.py` and `train.py`. Augmentation teaches a model what
#   to ignore; a convolution knows which pixels are neighbours.
#
# **Homework.** `homework/hw07_pytorch_pipeline.ipynb`: the whole pipeline for slightly
# warped 8 × 8 digits: a `Dataset`, seeded `DataLoader`s, and a network scored like a
# competition, in four tiers set by logistic regression, two MLPs and a small CNN.
#
# **Glossary.** Every term set in bold above is in [glossary.md](glossary.md), in English
# and Chinese.

# %% [markdown]
# **Exercises.** Predict the answer before you run the code.
#
# 1. In `load_checkpoint` (section 6), leave out the two random-generator states, and
#    resume the run again. Are epochs 3–4 still identical to the run in one go?


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
# <details><summary>Answer</summary>
#
# No. Weights, optimizer and scheduler continue correctly, but the generators are where a
# fresh start leaves them: the loader's generator at its seed, PyTorch's just after the
# initial weights. So epoch 3 repeats epoch 1's order of the patients and its dropout
# masks. The losses differ from the run in one go, and nothing warns: the run is no longer
# the one you would have had.
# </details>

# %% [markdown]
# 2. Set `patience=3`, then `patience=20`, in section 7. Which epoch is kept, and after
#    which epoch does training stop? (The 30 epochs of `fit_history` in section 8 are the
#    same run, so you can answer without training again.)


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
# <details><summary>Answer</summary>
#
# Here every patience keeps the same epoch, because the validation curve is smooth: it
# falls, then rises steadily. A larger patience only costs more epochs. On a noisy curve
# (fewer validation examples, a larger learning rate) a small patience can stop at the
# first bump, before the real minimum: choose a patience longer than the bumps you see on
# your validation curves.
# </details>

# %% [markdown]
# 3. Repeat the bootstrap of section 7 with only the first 33 validation patients. How
#    does the width of the interval for "MLP minus linear regression" change (think
#    $1/\sqrt n$)?


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
# <details><summary>Answer</summary>
#
# The interval widens, by roughly $\sqrt 2$: the spread of a mean over $n$ patients shrinks
# like $1/\sqrt n$, so halving $n$ multiplies it by $\sqrt2 \approx 1.41$. The ratio printed
# above is close to that, not equal: 33 patients are a different sample, and a bootstrap is
# itself random. To halve an interval you need four times the patients.
# </details>

# %% [markdown]
# 4. Remove `.squeeze(-1)` from `MLP.forward`. What does `nn.MSELoss` compute, and what
#    can the network learn then?

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
# <details><summary>Answer</summary>
#
# The output has shape $(B, 1)$ and the targets $(B,)$, so the difference broadcasts to
# $(B, B)$ and the loss is $\frac1{B^2}\sum_{i,j}(p_i - y_j)^2$, every prediction against
# every target (`nn.MSELoss` warns about the sizes, but runs). As checked above, this equals
# $\frac1B\sum_i (p_i - \bar y)^2 + \mathrm{Var}(y)$: it is smallest when every prediction
# is the batch mean $\bar y$. The network learns to predict the mean for every patient, the
# mean baseline, whatever the features say.
# </details>

# %% [markdown]
# 5. Which of the eight one-pixel moves hurt the network trained without augmentation
#    most, and which least? Measure both networks of section 9 on each move separately.

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
# <details><summary>Answer</summary>
#
# Without augmentation the diagonal moves hurt most and the sideways moves least; with
# augmentation every move stays above nine in ten. The last line says why: the digits of
# this data set are scaled to fill all eight rows, so every one has ink in the top and the
# bottom row, while the left and right columns are nearly empty. A vertical move pushes a
# row of ink out of the picture and leaves an empty row where the network has always seen
# ink; a sideways move mostly slides empty columns. A diagonal move does both.
# </details>
