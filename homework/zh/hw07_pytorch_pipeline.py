# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 作业 07 — 一个完整的 PyTorch 管线，按比赛的方式评分
#
# 第 07 讲一步一步地搭建了一个训练管线。现在请你为一个新任务亲手搭建一个：识别 8 × 8 像素的手写数字（scikit-learn 的 digits 数据集，每张图像都经过轻微的旋转、缩放和平移，还加了一点噪声）。你会拿到一个含 1437 个带标签数字的训练池，以及 360 个*不带标签*的测试数字。
#
# | 题目 | 你要写的内容 | 分值 |
# |---|---|---|
# | Q1 | `DigitsDataset(X, y)`：一个 `torch.utils.data.Dataset` | 2 |
# | Q2 | `make_loaders(X_train, y_train, X_val, y_val, batch_size, seed)`：两个 `DataLoader` | 2 |
# | Q3 | `run_pipeline(X_train, y_train, X_test, seed)`：一条带早停的管线，按比赛的方式评分 | 8 |
#
# Q3 像 Kaggle 比赛一样评分，分公开排行榜和私有排行榜（第 07 讲第 5 节）：你的 check 显示的是一个*验证*分数，评分程序则在隐藏的测试数字上打分；课程训练的几个模型划出四个档次，由你达到的档次决定得分。
#
# **怎么做。** 把每一处 `# YOUR CODE HERE` / `raise NotImplementedError` 换成你的代码，然后运行它下方的 `check(...)` 单元格。在你作答之前，用到你的函数的单元格会抛出 `NotImplementedError`；*Run All* 会越过它们继续运行。
#
# **规则。** 可以使用 PyTorch 和 NumPy，但不能用 `course_lib.training`（答案的大部分都在里面）。不要自己加载 digits 数据。保持函数名和参数不变；你可以添加单元格和辅助函数。提交之前，请运行 *Kernel → Restart and Run All*：评分程序也会用同样的方式，在全新的内核中运行你的笔记本。

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

X_train, y_train, X_test = split()  # 测试标签留在评分程序那里
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
# ## Q1（2 分）：一个 `Dataset`
#
# 编写 `DigitsDataset`：一个基于数组 `X`（形状为 (N, 64)）和 `y`（形状为 (N,)）的数据集。它的长度是 N；第 `i` 项是一个二元组（第 `i` 个数字的像素，它的标签）。像素以形状为 (64,) 的张量返回，dtype 与 `nn.Linear` 的权重相同；标签以形状为 () 的张量返回，dtype 是交叉熵对类别索引所要求的类型。
#
# 第 07 讲为糖尿病数据构建过这样一个数据集（第 3 节）；dtype 见第 1 节。

# %% nbgrader={"grade": false, "grade_id": "hw07-answer-1", "locked": false, "schema_version": 3, "solution": true, "task": false}
class DigitsDataset(Dataset):
    """以 (像素, 标签) 对给出的数字。

    参数：
        X：形状为 (N, 64) 的数组。
        y：整数标签，形状 (N,)。
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
# ## Q2（2 分）：`DataLoader`
#
# 编写 `make_loaders`：它返回一个训练用的和一个验证用的 `DataLoader`，各自基于一个 `DigitsDataset`，批次大小都是 `batch_size`（一个轮次的最后一个批次可以小一些；不能漏掉任何样本）。
#
# - 训练加载器每个轮次都以新的随机顺序遍历样本；用同一个 `seed` 重新创建的加载器，会一模一样地重复这些顺序。
# - 验证加载器保持 `X_val` 原有的顺序。
#
# 保持默认值 `num_workers=0`：由主进程加载批次。对于这么小的数据，这比使用工作进程更快（第 07 讲第 3 节）。

# %% nbgrader={"grade": false, "grade_id": "hw07-answer-2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_loaders(X_train, y_train, X_val, y_val, batch_size, seed):
    """训练加载器和验证加载器。

    参数：
        X_train, y_train：训练数组，形状 (N, 64) 和 (N,)。
        X_val, y_val：验证数组，形状 (M, 64) 和 (M,)。
        batch_size：每个批次的样本数。
        seed：训练加载器打乱顺序所用的种子。

    返回：
        tuple (train_loader, val_loader)。
    """
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check("q2", make_loaders)

# %% [markdown]
# ## Q3（8 分）：一条管线，按比赛的方式评分
#
# 编写 `run_pipeline(X_train, y_train, X_test, seed)`：第 07 讲（第 3、5、6 节）的管线，使用你自己的 `DigitsDataset` 和 `make_loaders`：
#
# 1. 从 `X_train` 中留出一部分行作为验证集（设定种子；最好按数字分层）；
# 2. 只在*训练*行上拟合标准化的统计量；
# 3. 训练，每个轮次之后在验证行上评估，用 `torch.save` 把最好的 `state_dict` 存到文件里，若干个轮次没有进步就提前停止；
# 4. 把存下的 `state_dict` 载入模型，在 eval 模式下预测。
#
# 返回一个 dict：`"predict"`（数字 (n, 64) → 预测标签 (n,)，用重新载入的模型）、`"model"`（这个模型；它输出 logits）、`"normalise"`（数字 (n, 64) → 模型的输入）、`"checkpoint"`（你保存的文件）以及 `"val_rows"`（你从 `X_train` 中留出的行）。所有随机性都由 `seed` 设定种子；一次调用的用时必须远少于一分钟。
#
# check 会指出它看到的错误：同样的数字换一个批次大小或顺序预测结果就变；同一个种子跑两次结果不同（它会跑两次小规模的运行）；预测不是来自你的检查点；把概率送进 `CrossEntropyLoss`；标准化的统计量用到了训练行以外的数据。被指出的错误不得分。

# %% [markdown]
# 得分取决于准确率，就像 Kaggle 排行榜一样（第 07 讲第 5 节）：
#
# - *公开排行榜*（你的 check）：在你训练池中的 1077 个数字上训练，再在其余 360 个数字上打分（每个数字各 36 个）；这些数字的标签就在你的训练池里，所以这是一个验证分数。
# - *私有排行榜*（评分程序）：在训练池数字的另外 1437 个变形副本上训练，再在 360 个隐藏的测试数字上打分。只有这个分数算数。
#
# | 档次 | 划定该档的模型 | 验证 | 测试 | 分值 |
# |---|---|---|---|---|
# | 简单（simple） | 逻辑回归，5 个轮次 | 0.695 | 0.745 | 2 |
# | 中等（medium） | 一个 MLP，一个含 64 个单元的隐藏层，10 个轮次 | 0.755 | 0.830 | 4 |
# | 强（strong） | 一个 MLP，两个含 256 个单元的隐藏层，dropout，权重衰减，8 个轮次 | 0.855 | 0.890 | 6 |
# | Boss（boss） | 第 07 讲带 `BatchNorm2d` 的小型 CNN，数字平移一个像素，20 个轮次 | 0.940 | 0.945 | 8 |
#
# 这些档次模型都在给定的全部数据行上训练，使用 AdamW，并配合预热和余弦学习率调度（第 04 讲）；Boss 模型是 `course_lib.project.model` 中的 `DigitsCNN`，加上第 07 讲第 9 节的一像素平移（`course_lib.project.dataset.shift`），这些你都可以使用。每个阈值都比对应模型在三个种子上的准确率低一段余量，同时高于下一档模型的准确率，所以每个档次模型在两个排行榜上都落在自己的档次里。用验证分数来做选择，而且要少做选择：每看一次它、并因此改变一个决定，它就会变得更乐观一些。

# %%
MAX_EPOCHS, PATIENCE = 20, 4  # 提前停止：最多 20 个轮次，连续 4 个轮次没有进步就停止


def moved(images, generator):
    """把 (B, 64) 中的每张图像在每个方向上平移一个像素或不平移（第 07 讲第 9 节）。"""
    moves = torch.randint(-1, 2, (len(images), 2), generator=generator)
    squares, out = images.reshape(-1, 8, 8), torch.empty(len(images), 8, 8)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            rows = (moves[:, 0] == dy) & (moves[:, 1] == dx)
            out[rows] = shift(squares[rows], dy, dx)
    return out.reshape(-1, 64)


# %% nbgrader={"grade": false, "grade_id": "hw07-answer-3", "locked": false, "schema_version": 3, "solution": true, "task": false}
def run_pipeline(X_train, y_train, X_test, seed):
    """留出验证集，带提前停止地训练，重新载入最好的检查点，再做预测。

    参数：
        X_train：像素，形状 (N, 64)；y_train：标签，形状 (N,)。
        X_test：像素，形状 (M, 64)。
        seed：所有随机性所用的种子。

    返回：
        一个 dict，含 "predict"、"model"、"normalise"、"checkpoint" 和 "val_rows"。
    """
    # YOUR CODE HERE
    raise NotImplementedError


history = []  # 每个轮次的验证损失，由 run_pipeline 填入（可选，用于画图）

# %% tags=["nbval-ignore-output"]
check("q3", run_pipeline)

# %% [markdown]
# 预测结果写入一个 CSV 文件，每个测试数字一行，就像比赛所要求的那样。

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
if history:  # run_pipeline 运行之前它是空的
    ax.axvline(epochs[np.argmin(history)], color=color("reference"), linestyle=":", label="best epoch (kept)")
ax.set_xlabel("epoch")
ax.set_ylabel("validation loss")
ax.set_title("early stopping in the final run")
ax.legend()
plt.show()

# %% [markdown]
# **完成了吗？** 重启内核，运行所有单元格，确认每个 `check` 都报告所有用例通过（Q3 报告的是你的验证分数达到的档次）。然后提交这个笔记本文件。
