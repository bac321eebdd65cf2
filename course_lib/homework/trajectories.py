"""The toy surfaces of the optimizer questions (hw03, hw04), by name.

An optimizer question is checked on a whole path: ``steps`` updates from a start point, fed
the surface's NumPy gradient, compared point by point with the path ``torch.optim`` takes
from the same start (computed on the instructor's side and stored for the public cases). An
error anywhere in the recursion then shows up in the path.
"""

from __future__ import annotations

from course_lib.surfaces import IllConditionedQuadratic, Rosenbrock

QUADRATIC = "quadratic with condition number 10"
ROSENBROCK = "Rosenbrock"

#: Surfaces by name, so that check cases carry only strings and arrays.
SURFACES = {QUADRATIC: IllConditionedQuadratic(10.0), ROSENBROCK: Rosenbrock()}
