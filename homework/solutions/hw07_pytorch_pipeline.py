# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 07 — A complete PyTorch pipeline
#
# Lecture 07 built a training pipeline piece by piece. Now build one yourself for a new
# task: recognise the 8 × 8 handwritten digits that ship with scikit-learn. You get 1437
# training digits and the 360 test digits *without their labels*; the check scores your
# test predictions.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `DigitsDataset(X, y)`: a `torch.utils.data.Dataset` | 2 |
# | Q2 | `make_loaders(X_train, y_train, X_val, y_val, batch_size, seed)`: two `DataLoader`s | 2 |
# | Q3 | `run_pipeline(X_train, y_train, X_test, seed)`: train and predict the test digits | 6 |
#
# Q3 earns 2 points for beating the **simple baseline** (always answer the most frequent
# class) and all 6 for beating the **strong baseline** (the nearest class mean on
# standardised pixels); its check prints your test accuracy and both baselines. It must run
# in well under a minute on a laptop CPU.
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it. Cells that use your functions raise
# `NotImplementedError` until you have answered; *Run All* carries on past them.
#
# **Rules.** PyTorch and NumPy; not `course_lib.training` (it contains most of the answer).
# Do not load the digits yourself or look at the test labels. Keep the names and arguments;
# you may add cells and helper functions. Before you submit, run *Kernel → Restart and Run
# All*: the grader runs your notebook the same way, in a fresh kernel.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import copy
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from course_lib.homework.hw07 import check, split
from course_lib.plots import use_style

torch.manual_seed(0)
torch.set_num_threads(1)
use_style()

X_train, y_train, X_test = split()  # the test labels stay with the grader
print(f"training pool {X_train.shape}, test inputs {X_test.shape}, pixel values 0..16")

# %% [markdown]
# ## Q1 (2 points): a `Dataset`
#
# A `Dataset` answers two questions: how many examples (`__len__`) and what is example
# `i` (`__getitem__`). Return the pixels as a `float32` tensor of shape (64,) and the label
# as an `int64` tensor, the types `nn.Linear` and `F.cross_entropy` expect.

# %%
class DigitsDataset(Dataset):
    """Digits as (pixels, label) pairs.

    Args:
        X: array of shape (N, 64).
        y: integer labels, shape (N,).
    """

    def __init__(self, X, y):
        ### BEGIN SOLUTION
        self.X = torch.tensor(X, dtype=torch.float32)
        self.y = torch.tensor(y, dtype=torch.int64)
        ### END SOLUTION

    def __len__(self):
        ### BEGIN SOLUTION
        return len(self.X)
        ### END SOLUTION

    def __getitem__(self, i):
        ### BEGIN SOLUTION
        return self.X[i], self.y[i]
        ### END SOLUTION


# %%
check("q1", DigitsDataset)

# %% [markdown]
# ## Q2 (2 points): `DataLoader`s
#
# The training loader shuffles, with a seeded `torch.Generator` so that a run can be
# repeated exactly; the validation loader keeps the order. (`num_workers=0`, the default,
# loads batches in the main process: with data this small, worker processes cost more than
# they save.)

# %%
def make_loaders(X_train, y_train, X_val, y_val, batch_size, seed):
    """The training and validation loaders.

    Args:
        X_train, y_train: training arrays, shapes (N, 64) and (N,).
        X_val, y_val: validation arrays, shapes (M, 64) and (M,).
        batch_size: examples per batch.
        seed: seeds the training loader's shuffling.

    Returns:
        tuple (train_loader, val_loader).
    """
    ### BEGIN SOLUTION
    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(DigitsDataset(X_train, y_train), batch_size, shuffle=True, generator=generator)
    val = DataLoader(DigitsDataset(X_val, y_val), batch_size, shuffle=False)
    return train, val
    ### END SOLUTION


# %%
check("q2", make_loaders)

# %% [markdown]
# ## Q3 (6 points): the whole pipeline
#
# Split a validation set off the training pool, standardise with the *training* statistics
# only, train a small network with early stopping on the validation loss, restore the best
# weights, and predict the test digits in evaluation mode. Return the predicted labels.

# %%
def run_pipeline(X_train, y_train, X_test, seed):
    """Train on (X_train, y_train) and predict X_test.

    Args:
        X_train: pixels, shape (N, 64); y_train: labels, shape (N,).
        X_test: pixels, shape (M, 64).
        seed: seed for everything random.

    Returns:
        predicted labels for X_test, shape (M,).
    """
    ### BEGIN SOLUTION
    def train_epoch(model, loader, optimizer):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()

    @torch.no_grad()
    def mean_loss(model, loader):
        model.eval()
        total = sum(nn.functional.cross_entropy(model(xb), yb, reduction="sum").item() for xb, yb in loader)
        return total / len(loader.dataset)

    torch.manual_seed(seed)
    order = np.random.default_rng(seed).permutation(len(X_train))
    val, train = order[:250], order[250:]
    mean, std = X_train[train].mean(axis=0), X_train[train].std(axis=0) + 1e-8
    scale = lambda X: (X - mean) / std  # noqa: E731
    train_loader, val_loader = make_loaders(
        scale(X_train[train]), y_train[train], scale(X_train[val]), y_train[val], 64, seed
    )
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    best, best_state, patience = float("inf"), None, 0
    history.clear()
    for _ in range(60):
        train_epoch(model, train_loader, optimizer)
        loss = mean_loss(model, val_loader)
        history.append(loss)
        if loss < best:
            best, best_state, patience = loss, copy.deepcopy(model.state_dict()), 0
        else:
            patience += 1
            if patience == 5:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(scale(X_test), dtype=torch.float32)).argmax(dim=1).numpy()
    ### END SOLUTION


history = []  # validation loss per epoch, filled by run_pipeline (optional, for the plot)

# %%
check("q3", run_pipeline)

# %% [markdown]
# Predictions go to a CSV file, one row per test digit, as a competition would expect.

# %%
predictions = run_pipeline(X_train, y_train, X_test, seed=0)
path = Path(tempfile.mkdtemp()) / "predictions.csv"
np.savetxt(path, np.column_stack([np.arange(len(predictions)), predictions]), fmt="%d",
           delimiter=",", header="id,label", comments="")
print(path.read_text().splitlines()[:3])

# %%
plt.plot(np.arange(1, len(history) + 1), history, marker="o")
plt.xlabel("epoch")
plt.ylabel("validation loss")
plt.title("early stopping: training stops 5 epochs after the best")
plt.show()

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed. Then submit this notebook file.
