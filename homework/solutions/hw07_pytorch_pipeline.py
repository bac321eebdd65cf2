# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 07 — A complete PyTorch pipeline, judged like a competition
#
# Lecture 07 built a training pipeline piece by piece. Now build one yourself for a new
# task: recognise handwritten digits of 8 × 8 pixels (scikit-learn's digits, each image
# slightly rotated, scaled and shifted, with a little noise). You get a training pool of
# 1437 labelled digits and 360 test digits *without their labels*.
#
# | question | you write | points |
# |---|---|---|
# | Q1 | `DigitsDataset(X, y)`: a `torch.utils.data.Dataset` | 2 |
# | Q2 | `make_loaders(X_train, y_train, X_val, y_val, batch_size, seed)`: two `DataLoader`s | 2 |
# | Q3 | `run_pipeline(X_train, y_train, X_test, seed)`: the competition | 8 |
#
# Q3 is scored like a Kaggle competition with a public and a private leaderboard
# (lecture 07, section 5): your check shows a *validation* score, the grader scores hidden
# test digits, and four tiers set by models the course trains decide the points.
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError` with your
# code, then run the `check(...)` cell below it. Cells that use your functions raise
# `NotImplementedError` until you have answered; *Run All* carries on past them.
#
# **Rules.** PyTorch and NumPy; not `course_lib.training` (it contains most of the answer).
# Do not load the digits yourself. Keep the names and arguments; you may add cells and
# helper functions. Before you submit, run *Kernel → Restart and Run All*: the grader runs
# your notebook the same way, in a fresh kernel.

# %%
import subprocess  # On Google Colab only: install course_lib (Colab's torch and numpy stay).
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "git+https://github.com/dl-fundamentals/course"], check=True)  # fmt: skip

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from course_lib.homework.hw07 import check, split
from course_lib.plots import color, use_style

torch.manual_seed(0)
torch.set_num_threads(1)
use_style()

X_train, y_train, X_test = split()  # the test labels stay with the grader
levels = np.unique(X_train * 16)
print(f"training pool {X_train.shape}, labels {y_train.shape}, test inputs {X_test.shape}")
print(f"pixel values k/16 for k = {levels.min():.0f}..{levels.max():.0f}")

# %%
fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
for ax, image, label in zip(axes, X_train[:8], y_train[:8], strict=True):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"label {label}", fontsize=9)
    ax.axis("off")
fig.suptitle("the first training digits", y=1.08)
plt.show()

# %% [markdown]
# ## Q1 (2 points): a `Dataset`
#
# Write `DigitsDataset`, a dataset over the arrays `X` (N, 64) and `y` (N,). Its length is
# N; item `i` is the pair (pixels of digit `i`, its label). The pixels come out as a tensor
# of shape (64,) in the dtype of `nn.Linear`'s weights, the label as a tensor of shape ()
# in the dtype cross-entropy expects for class indices.
#
# Lecture 07 built such a dataset for the diabetes data (section 3); section 1 is about
# dtypes.

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
# Write `make_loaders`: it returns a training and a validation `DataLoader`, each over a
# `DigitsDataset`, both in batches of `batch_size` (the last batch of an epoch may be
# smaller; no example is left out).
#
# - The training loader visits the examples in a new random order every epoch, and a
#   loader made again with the same `seed` repeats the same orders exactly.
# - The validation loader keeps the order of `X_val`.
#
# Keep `num_workers=0`, the default: the main process loads the batches, which for data
# this small is faster than worker processes (lecture 07, section 3).

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
# ## Q3 (8 points): the competition
#
# Write `run_pipeline(X_train, y_train, X_test, seed)`: train a model of your choice on the
# labelled digits and return its predicted labels for `X_test`, integers of shape (M,).
# Seed everything from `seed`; one call must take well under a minute on a laptop CPU.
#
# - *Public board* (your check): it trains `run_pipeline` on the first 1077 digits of
#   your pool and scores the other 360, whose labels your pool holds: a validation score.
# - *Private board* (the grader): it trains `run_pipeline` on 1437 other warped copies of
#   the pool's digits and scores 360 hidden test digits. Only this score counts.
#
# | tier | set by the model | validation | test | points |
# |---|---|---|---|---|
# | simple | logistic regression, 10 epochs | 0.72 | 0.78 | 2 |
# | medium | an MLP, one hidden layer of 64, 30 epochs | 0.79 | 0.86 | 4 |
# | strong | an MLP, two hidden layers of 256, dropout, weight decay, 60 epochs | 0.85 | 0.92 | 6 |
# | boss | a small CNN: two 3 × 3 convolutions, 32 and 64 channels, max pooling, 20 epochs | 0.91 | 0.965 | 8 |
#
# All four models train on every row they are given, with AdamW under a warm-up and cosine
# learning-rate schedule (lecture 04). Each threshold sits a margin below the accuracy of
# its model and above that of the model one tier below. The validation thresholds are lower: the check
# trains on fewer digits, and its 360 happen to be harder ones.
#
# Use the validation score to choose, and choose rarely: every look at it that changes a
# decision makes it more optimistic (lecture 07, section 5, on the public board).

# %%
def run_pipeline(X_train, y_train, X_test, seed):
    """Train on (X_train, y_train) and predict X_test.

    Args:
        X_train: pixels, shape (N, 64); y_train: labels, shape (N,).
        X_test: pixels, shape (M, 64).
        seed: seed for everything random.

    Returns:
        predicted labels for X_test, integers of shape (M,).
    """
    ### BEGIN SOLUTION
    torch.manual_seed(seed)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 0.05  # training statistics only

    def scaled(X):
        return (X - mean) / std

    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(DigitsDataset(scaled(X_train), y_train), 64, shuffle=True, generator=generator)
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),  # the 64 pixels as an image with one channel
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(48 * 4 * 4, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip
    epochs, peak_lr = 14, 3e-3
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak_lr, weight_decay=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, peak_lr, total_steps=epochs * len(loader))
    history.clear()
    for _ in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(yb)
        history.append(total / len(loader.dataset))
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(scaled(X_test), dtype=torch.float32)).argmax(dim=1).numpy()
    ### END SOLUTION


history = []  # training loss per epoch, filled by run_pipeline (optional, for the plot)

# %% tags=["nbval-ignore-output"]
check("q3", run_pipeline)

# %% [markdown]
# Predictions go to a CSV file, one row per test digit, as a competition would expect.

# %%
predictions = run_pipeline(X_train, y_train, X_test, seed=0)
path = Path(tempfile.mkdtemp()) / "predictions.csv"
np.savetxt(path, np.column_stack([np.arange(len(predictions)), predictions]), fmt="%d",
           delimiter=",", header="id,label", comments="")
print(path.read_text().splitlines()[0], f"and {len(predictions)} rows")

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.arange(1, len(history) + 1), history, marker="o", color=color("train"), label="train")
ax.set_xlabel("epoch")
ax.set_ylabel("mean training loss")
ax.set_title("the final training run, on the whole pool")
ax.legend()
plt.show()

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed (Q3: the tier your validation score reaches). Then submit this notebook file.
