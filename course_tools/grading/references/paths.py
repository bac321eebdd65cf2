"""The paths ``torch.optim`` takes on the toy surfaces: the references of hw03's and hw04's
optimizer questions."""

from __future__ import annotations

import numpy as np

from course_lib import optim
from course_lib.homework.trajectories import SURFACES


def torch_path(optimizer: str, surface: str, start: np.ndarray, steps: int, **hyper) -> np.ndarray:
    """The points ``torch.optim.<optimizer>(**hyper)`` visits on ``SURFACES[surface]``.

    Returns:
        array of shape (steps + 1, 2): the start, then the point after each step.
    """
    return optim.torch_path(optimizer, SURFACES[surface], steps, start=start, **hyper)
