"""The course's map: its lectures, where their notebooks live, and the time budget.

The book (``python -m course_tools book``), the timer (``python -m course_tools time``) and the
notebook tests all read the layout from here::

    notebooks/NN_topic.ipynb            lecture NN, executed, with outputs
    homework/hwNN_topic.ipynb           its homework as students get it (no outputs)
    homework/solutions/hwNN_topic.ipynb the executed solution
    notebooks/glossary.md               the bilingual glossary
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Seconds allowed on a 2-core CPU: per lecture, per solution, for hw07's training run, in all.
LECTURE_BUDGET = 20.0
SOLUTION_BUDGET = 10.0
PIPELINE_SOLUTION_BUDGET = 20.0
TOTAL_BUDGET = 120.0


@dataclass(frozen=True)
class Lecture:
    """One lecture: ``number`` "01", ``slug`` "backprop" (notebook ``01_backprop``),
    ``homework`` "hw01_backprop", its ``title`` and a one-line ``summary``."""

    number: str
    slug: str
    title: str
    homework: str
    summary: str

    @property
    def notebook(self) -> str:
        """The notebook's stem, e.g. ``01_backprop``."""
        return f"{self.number}_{self.slug}"


LECTURES: tuple[Lecture, ...] = (
    Lecture(
        "01",
        "backprop",
        "Backpropagation",
        "hw01_backprop",
        "gradient descent on a linear model, computational graphs, a scalar autograd engine, "
        "matrix gradients by shape matching, a two-layer net's backward pass checked "
        "numerically and against torch.autograd",
    ),
    Lecture(
        "02",
        "critical_points",
        "Critical points and the Hessian",
        "hw02_critical_points",
        "model bias vs optimization vs overfitting, saddle points, the Hessian three ways, "
        "escaping a saddle, condition number, Newton's step, Hessian-vector products",
    ),
    Lecture(
        "03",
        "batch_and_momentum",
        "Batch size and momentum",
        "hw03_batch_and_momentum",
        "batches and epochs, measured time per update and per epoch, why noise helps, "
        "momentum and Nesterov matching torch.optim.SGD",
    ),
    Lecture(
        "04",
        "adaptive_lr",
        "Adaptive learning rate",
        "hw04_adaptive_lr",
        "AdaGrad, RMSProp, Adam with bias correction, learning-rate schedules and warm-up "
        "matching torch.optim",
    ),
    Lecture(
        "05",
        "classification",
        "Classification losses",
        "hw05_classification",
        "softmax and its stable form, cross-entropy vs MSE, BCE with logits, the hinge loss, "
        "why more data generalises (Hoeffding)",
    ),
    Lecture(
        "06",
        "batchnorm",
        "Batch normalization",
        "hw06_batchnorm",
        "feature scaling and the error surface, BN forward and backward, running statistics, "
        "train() vs eval()",
    ),
    Lecture(
        "07",
        "pytorch_tutorial",
        "PyTorch tutorial",
        "hw07_pytorch_pipeline",
        "tensors, Dataset / DataLoader, nn.Module, the training loop, validation, early "
        "stopping, a complete tabular project",
    ),
)


def find_root(start: Path | str | None = None) -> Path:
    """The course repository: the first of ``start`` (default: the working directory) and
    its parents that holds both ``notebooks/`` and ``course_lib/``, else the checkout this
    package was imported from.

    Raises:
        FileNotFoundError: when neither is a course checkout.
    """
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    package_parent = Path(__file__).resolve().parents[1]
    for candidate in (here, *here.parents, package_parent):
        if (candidate / "notebooks").is_dir() and (candidate / "course_lib").is_dir():
            return candidate
    raise FileNotFoundError(
        f"start={str(here)!r} is not inside a course checkout (no notebooks/ and course_lib/)"
    )


def lecture_notebooks(root: Path) -> list[Path]:
    """``notebooks/*.ipynb`` (the lectures), sorted."""
    return sorted((root / "notebooks").glob("*.ipynb"))


def solution_notebooks(root: Path) -> list[Path]:
    """``homework/solutions/*.ipynb``, sorted."""
    return sorted((root / "homework" / "solutions").glob("*.ipynb"))


def student_notebooks(root: Path) -> list[Path]:
    """``homework/*.ipynb`` (generated from the solutions), sorted."""
    return sorted((root / "homework").glob("*.ipynb"))


def executed_notebooks(root: Path) -> list[Path]:
    """Notebooks stored with outputs: lectures, then solutions."""
    return lecture_notebooks(root) + solution_notebooks(root)


def budget(path: Path) -> float:
    """Seconds allowed to execute one lecture or solution notebook."""
    if path.parent.name != "solutions":
        return LECTURE_BUDGET
    if path.name.startswith("hw07"):
        return PIPELINE_SOLUTION_BUDGET
    return SOLUTION_BUDGET
