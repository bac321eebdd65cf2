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

# %% nbgrader={"grade": false, "grade_id": "hw07-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
class DigitsDataset(Dataset):
    """Digits as (pixels, label) pairs.

    Args:
        X: array of shape (N, 64).
        y: integer labels, shape (N,).
    """

    def __init__(self, X, y):
        # YOUR CODE HERE
        raise NotImplementedError

    def __len__(self):
        # YOUR CODE HERE
        raise NotImplementedError

    def __getitem__(self, i):
        # YOUR CODE HERE
        raise NotImplementedError


# %%
check("q1", DigitsDataset)

# %% [markdown]
# ## Q2 (2 points): `DataLoader`s
#
# The training loader shuffles, with a seeded `torch.Generator` so that a run can be
# repeated exactly; the validation loader keeps the order. (`num_workers=0`, the default,
# loads batches in the main process: with data this small, worker processes cost more than
# they save.)

# %% nbgrader={"grade": false, "grade_id": "hw07-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
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
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", make_loaders)

# %% [markdown]
# ## Q3 (6 points): the whole pipeline
#
# Split a validation set off the training pool, standardise with the *training* statistics
# only, train a small network with early stopping on the validation loss, restore the best
# weights, and predict the test digits in evaluation mode. Return the predicted labels.

# %% nbgrader={"grade": false, "grade_id": "hw07-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def run_pipeline(X_train, y_train, X_test, seed):
    """Train on (X_train, y_train) and predict X_test.

    Args:
        X_train: pixels, shape (N, 64); y_train: labels, shape (N,).
        X_test: pixels, shape (M, 64).
        seed: seed for everything random.

    Returns:
        predicted labels for X_test, shape (M,).
    """
    # YOUR CODE HERE
    raise NotImplementedError


history = []  # validation loss per epoch, filled by run_pipeline (optional, for the plot)

# %%
check("q3", run_pipeline)

# %% [markdown]
# Predictions go to a CSV file, one row per test digit, as a competition would expect.

# %% tags=["raises-exception"]
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
