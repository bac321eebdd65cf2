"""Optimizer trajectories on the toy surfaces: the reference for optimizer questions (hw03, hw04).

An optimizer question is checked on a whole path: ``steps`` updates from a start point,
compared point by point with the path ``torch.optim`` takes from the same start, fed the
same NumPy gradients. An error anywhere in the recursion then shows up in the path.
"""

from __future__ import annotations

import numpy as np

from course_lib.surfaces import IllConditionedQuadratic, Rosenbrock

QUADRATIC = "quadratic with condition number 10"
ROSENBROCK = "Rosenbrock"

#: Surfaces by name, so that check cases carry only strings and arrays.
SURFACES = {QUADRATIC: IllConditionedQuadratic(10.0), ROSENBROCK: Rosenbrock()}


def torch_path(optimizer: str, surface: str, start: np.ndarray, steps: int, **hyper) -> np.ndarray:
    """The points ``torch.optim.<optimizer>(**hyper)`` visits on ``SURFACES[surface]``.

    Returns:
        array of shape (steps + 1, 2): the start, then the point after each step.

    Runs in the grader only: ``course_lib.optim`` is imported here, not at the top, because
    it is hidden from the kernel while hw03 and hw04 are graded.
    """
    from course_lib import optim

    return optim.torch_path(optimizer, SURFACES[surface], steps, start=start, **hyper)
