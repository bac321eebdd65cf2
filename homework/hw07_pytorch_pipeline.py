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
# | Q3 | `run_pipeline(X_train, y_train, X_test, seed)`: a pipeline with early stopping, judged like a competition | 8 |
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
from course_lib.project.dataset import shift
from course_lib.project.model import DigitsCNN

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
# ## Q3 (8 points): a pipeline, judged like a competition
#
# Write `run_pipeline(X_train, y_train, X_test, seed)`, the pipeline of lecture 07 (sections
# 3, 5 and 6) with your `DigitsDataset` and `make_loaders`:
#
# 1. hold out validation rows of `X_train` (seeded; stratified by digit is best);
# 2. fit the normalisation on the *training* rows only;
# 3. train, measure the validation rows after every epoch, save the best `state_dict` to a
#    file with `torch.save` and stop early once it has not improved for a few epochs;
# 4. load the saved `state_dict` into the model and predict in eval mode.
#
# Return a dict: `"predict"` (digits (n, 64) → predicted labels (n,), with the reloaded
# model), `"model"` (that model; it returns logits), `"normalise"` (digits (n, 64) → the
# model's inputs), `"checkpoint"` (the file you saved) and `"val_rows"` (the rows of
# `X_train` you held out). Seed everything from `seed`; one call must take well under a minute.
#
# The check names what it sees go wrong: predictions that change with the batch size or
# order, two runs with the same seed that differ (it runs two small ones), predictions that
# are not your checkpoint's, probabilities fed to `CrossEntropyLoss`, a normalisation fitted
# on more than the training rows. A named mistake earns no points.

# %% [markdown]
# The points come from the accuracy, as on a Kaggle leaderboard (lecture 07, section 5):
#
# - *Public board* (your check): it trains on 1077 digits of your pool and scores the other
#   360, 36 of each digit, whose labels your pool holds: a validation score.
# - *Private board* (the grader): it trains on 1437 other warped copies of the pool's digits
#   and scores 360 hidden test digits. Only this score counts.
#
# | tier | set by the model | validation | test | points |
# |---|---|---|---|---|
# | simple | logistic regression, 5 epochs | 0.695 | 0.745 | 2 |
# | medium | an MLP, one hidden layer of 64, 10 epochs | 0.755 | 0.830 | 4 |
# | strong | an MLP, two hidden layers of 256, dropout, weight decay, 8 epochs | 0.855 | 0.890 | 6 |
# | boss | lecture 07's small CNN with `BatchNorm2d`, digits moved by one pixel, 20 epochs | 0.940 | 0.945 | 8 |
#
# The tier models train on every row they are given, with AdamW under a warm-up and cosine
# schedule (lecture 04); the boss is `DigitsCNN` of `course_lib.project.model` with the
# one-pixel shifts of lecture 07, section 9 (`course_lib.project.dataset.shift`), which you
# may use. Each threshold sits a margin below its model's accuracy over three seeds and
# above that of the model one tier below, so a tier model lands in its tier on both boards.
# Choose with the validation score, and rarely: each look that changes a decision makes it
# more optimistic.

# %%
MAX_EPOCHS, PATIENCE = 20, 4  # early stopping: at most 20 epochs, stop after 4 without progress


def moved(images, generator):
    """Each image of (B, 64) moved by one pixel or none in each direction (lecture 07, section 9)."""
    moves = torch.randint(-1, 2, (len(images), 2), generator=generator)
    squares, out = images.reshape(-1, 8, 8), torch.empty(len(images), 8, 8)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            rows = (moves[:, 0] == dy) & (moves[:, 1] == dx)
            out[rows] = shift(squares[rows], dy, dx)
    return out.reshape(-1, 64)


# %% nbgrader={"grade": false, "grade_id": "hw07-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def run_pipeline(X_train, y_train, X_test, seed):
    """Hold out, train with early stopping, reload the best checkpoint, predict.

    Args:
        X_train: pixels, shape (N, 64); y_train: labels, shape (N,).
        X_test: pixels, shape (M, 64).
        seed: seed for everything random.

    Returns:
        dict with "predict", "model", "normalise", "checkpoint" and "val_rows".
    """
    # YOUR CODE HERE
    raise NotImplementedError


history = []  # validation loss per epoch, filled by run_pipeline (optional, for the plot)

# %% tags=["nbval-ignore-output"]
check("q3", run_pipeline)

# %% [markdown]
# Predictions go to a CSV file, one row per test digit, as a competition would expect.

# %% tags=["raises-exception"]
run = run_pipeline(X_train, y_train, X_test, seed=0)
predictions = run["predict"](X_test)
path = Path(tempfile.mkdtemp()) / "predictions.csv"
np.savetxt(path, np.column_stack([np.arange(len(predictions)), predictions]), fmt="%d",
           delimiter=",", header="id,label", comments="")
print(path.read_text().splitlines()[0], f"and {len(predictions)} rows")

# %% tags=["raises-exception"]
fig, ax = plt.subplots(figsize=(5, 3))
epochs = np.arange(1, len(history) + 1)
ax.plot(epochs, history, marker="o", color=color("validation"), label="validation rows")
if history:  # empty until run_pipeline has run
    ax.axvline(epochs[np.argmin(history)], color=color("reference"), linestyle=":", label="best epoch (kept)")
ax.set_xlabel("epoch")
ax.set_ylabel("validation loss")
ax.set_title("early stopping in the final run")
ax.legend()
plt.show()

# %% [markdown]
# **Done?** Restart the kernel, run all cells, and check that every `check` reports all
# cases passed (Q3: the tier your validation score reaches). Then submit this notebook file.
