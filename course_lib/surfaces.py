"""Toy loss surfaces for watching optimizers move (lectures 02-04).

Each surface has ``value(p)``, ``grad(p)`` and ``hessian(p)``. ``value`` and ``grad`` take
one point of shape (d,) or a batch of shape (..., d) (for contour plots); ``hessian``
takes one point. ``value`` uses only arithmetic, so it also accepts a torch tensor and can
be differentiated by ``torch.autograd`` (e.g. ``course_lib.hessian.hessian(s.value, p)``).

Public names:
    IllConditionedQuadratic: f = ½ pᵀAp with eigenvalues 1 and κ (lectures 02-04).
    Rosenbrock: the banana-shaped valley (03-04).
    Saddle: f = ½(x² - y²) (02).
    TwoWeightNet: L = (1 - w1·w2)², the smallest network with a saddle point (02).
    BumpyCurve: a 1-D curve with a local minimum behind which lies a lower one (03).
    WindingValley: a long valley winding along y = c sin x, flat along its floor (04).

Every surface also has a ``name``, a suggested ``start`` point, ``default_xlim`` /
``default_ylim`` and ``axis_labels`` for plots, ``minimum`` (None if unbounded below) and
``critical_points`` (shape (K, d)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib._validation import as_float_array, check_real


def _is_torch_tensor(p: Any) -> bool:
    # Duck-typed so that this module never imports torch.
    return type(p).__module__.split(".")[0] == "torch"


class _Surface:
    """Input checks shared by the surfaces; subclasses implement _value, _grad, _hessian."""

    dim = 2
    name = ""
    axis_labels = ("x", "y")
    minimum: np.ndarray | None = None

    def _points(self, p: Any, *, single: bool = False) -> Any:
        shape = f"({self.dim},)" if single else f"(..., {self.dim})"
        if _is_torch_tensor(p):  # left as a tensor so autograd can see the arithmetic
            if p.ndim == 0 or p.shape[-1] != self.dim:
                raise ValueError(f"p must have shape {shape}, got {tuple(p.shape)}")
            return p
        arr = as_float_array(p, "p")
        if arr.ndim == 0 or arr.shape[-1] != self.dim or (single and arr.ndim != 1):
            raise ValueError(f"p must have shape {shape}, got {arr.shape}")
        return arr

    def value(self, p: Any) -> Any:
        """Loss at p of shape (..., d) (ndarray or torch tensor); returns shape (...)."""
        return self._value(self._points(p))

    def grad(self, p: Any) -> np.ndarray:
        """Gradient at p of shape (..., d); returns an ndarray of shape (..., d)."""
        p = np.asarray(self._points(p), dtype=np.float64)
        return np.stack(np.broadcast_arrays(*self._grad(p)), axis=-1)

    def hessian(self, p: Any) -> np.ndarray:
        """Hessian at one point p of shape (d,); returns an ndarray of shape (d, d)."""
        p = np.asarray(self._points(p, single=True), dtype=np.float64)
        return np.array(self._hessian(p), dtype=np.float64).reshape(self.dim, self.dim)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class IllConditionedQuadratic(_Surface):
    """f(p) = ½ pᵀ A p with A = R diag(1, κ) Rᵀ and R the rotation by ``angle``.

    The curvature is 1 along one axis and κ along the other, so gradient descent zig-zags
    across the narrow valley; the Hessian A has condition number κ.

    Args:
        condition_number: κ >= 1, the ratio of the two eigenvalues of A.
        angle: rotation of the eigen-axes, in radians.
    """

    def __init__(self, condition_number: float = 10.0, angle: float = 0.0) -> None:
        kappa = check_real(condition_number, "condition_number")
        if kappa < 1:
            raise ValueError(f"condition_number must be >= 1, got {kappa:g}")
        angle = check_real(angle, "angle")
        c, s = np.cos(angle), np.sin(angle)
        R = np.array([[c, -s], [s, c]])
        self.condition_number, self.angle = kappa, angle
        self.A = R @ np.diag([1.0, kappa]) @ R.T
        self.name = f"quadratic, condition number {kappa:g}"
        self.minimum = np.zeros(2)
        self.critical_points = np.zeros((1, 2))
        self.start = R @ np.array([-2.5, 1.0])
        self.default_xlim = self.default_ylim = (-3.0, 3.0)

    def _value(self, p: Any) -> Any:
        x, y = p[..., 0], p[..., 1]
        (a, b), (_, d) = self.A
        return 0.5 * (a * x * x + 2 * b * x * y + d * y * y)

    def _grad(self, p: np.ndarray) -> tuple[np.ndarray, ...]:
        g = p @ self.A  # A is symmetric, so this is A p for every point
        return g[..., 0], g[..., 1]

    def _hessian(self, p: np.ndarray) -> np.ndarray:
        return self.A.copy()


class Rosenbrock(_Surface):
    """f(x, y) = (a - x)² + b (y - x²)², minimum 0 at (a, a²) at the end of a curved valley.

    Args:
        a: position of the minimum (any real).
        b: steepness of the valley walls (> 0).
    """

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = check_real(a, "a")
        self.b = check_real(b, "b")
        if self.b <= 0:
            raise ValueError(f"b must be > 0, got {self.b:g}")
        self.name = f"Rosenbrock (a={self.a:g}, b={self.b:g})"
        self.minimum = np.array([self.a, self.a**2])
        self.critical_points = self.minimum[None, :]
        self.start = np.array([-1.2, 1.0])
        self.default_xlim = (min(-2.0, self.a - 1), max(2.0, self.a + 1))
        self.default_ylim = (min(-1.0, self.a**2 - 1), max(3.0, self.a**2 + 1))

    def _value(self, p: Any) -> Any:
        x, y = p[..., 0], p[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def _grad(self, p: np.ndarray) -> tuple[np.ndarray, ...]:
        x, y = p[..., 0], p[..., 1]
        dx = -2 * (self.a - x) - 4 * self.b * x * (y - x * x)
        return dx, 2 * self.b * (y - x * x)

    def _hessian(self, p: np.ndarray) -> np.ndarray:
        x, y = p
        b = self.b
        return [[2 - 4 * b * y + 12 * b * x * x, -4 * b * x], [-4 * b * x, 2 * b]]


class Saddle(_Surface):
    """f(x, y) = ½(x² - y²): curving up along x, down along y; a saddle point at the origin.

    Unbounded below (``minimum`` is None). Gradient descent started near the x axis first
    slides towards the origin and only slowly escapes along y.
    """

    def __init__(self) -> None:
        self.name = "saddle ½(x² − y²)"
        self.critical_points = np.zeros((1, 2))
        self.start = np.array([1.5, 0.01])
        self.default_xlim = self.default_ylim = (-2.0, 2.0)

    def _value(self, p: Any) -> Any:
        x, y = p[..., 0], p[..., 1]
        return 0.5 * (x * x - y * y)

    def _grad(self, p: np.ndarray) -> tuple[np.ndarray, ...]:
        return p[..., 0], -p[..., 1]

    def _hessian(self, p: np.ndarray) -> np.ndarray:
        return np.diag([1.0, -1.0])


class TwoWeightNet(_Surface):
    """L(w1, w2) = (1 - w1·w2)²: the net ŷ = w1·w2·x on the single example (x=1, y=1).

    Critical points: the origin, a saddle point with Hessian [[0, -2], [-2, 0]]
    (eigenvalues ±2), and every point of the curve w1·w2 = 1, all global minima (L = 0).
    ``critical_points`` holds the origin; ``minimum`` is the point (1, 1) of that curve
    and ``minimum_curve`` gives the rest.
    """

    def __init__(self) -> None:
        self.name = "two-weight net (1 − w₁w₂)²"
        self.axis_labels = ("$w_1$", "$w_2$")
        self.minimum = np.array([1.0, 1.0])
        self.critical_points = np.zeros((1, 2))
        self.start = np.array([-1.5, 1.48])
        self.default_xlim = self.default_ylim = (-2.0, 2.0)

    def minimum_curve(self, w1: Any) -> np.ndarray:
        """The w2 = 1 / w1 that makes (w1, w2) a global minimum; same shape as w1 (no zeros)."""
        w1 = as_float_array(w1, "w1")
        if np.any(w1 == 0):
            raise ValueError("w1 must be nonzero: no minimum has w1 = 0")
        return 1.0 / w1

    def _value(self, p: Any) -> Any:
        return (1 - p[..., 0] * p[..., 1]) ** 2

    def _grad(self, p: np.ndarray) -> tuple[np.ndarray, ...]:
        w1, w2 = p[..., 0], p[..., 1]
        residual = 1 - w1 * w2
        return -2 * w2 * residual, -2 * w1 * residual

    def _hessian(self, p: np.ndarray) -> np.ndarray:
        w1, w2 = p
        cross = 4 * w1 * w2 - 2
        return [[2 * w2 * w2, cross], [cross, 2 * w1 * w1]]


class BumpyCurve(_Surface):
    """f(x) = 0.2 (x - 2)² + h / (1 + 2x²): a bowl with a bump of height h near x = 0.

    The bump splits the bowl: a shallow local minimum on its left and the lower global
    minimum on its right. Plain gradient descent from ``start`` = -4 stops in the local
    minimum; heavy-ball momentum 0.9 with lr ≈ 0.02-0.05 rolls over the default bump
    (h = 2) into the global one, but not over a bump of height 4.

    Points have shape (1,) (batches (..., 1)).

    Args:
        hill_height: h, the height of the bump added to the bowl; it must exceed about
            1.04, below which the bump is too low to make a local minimum.

    Attributes:
        local_minimum, hill_top, global_minimum: the three critical points, shape (1,).
    """

    dim = 1

    def __init__(self, hill_height: float = 2.0) -> None:
        self.hill_height = check_real(hill_height, "hill_height")
        roots = self._critical_xs()
        if roots.size != 3:
            raise ValueError(
                f"hill_height must exceed about 1.04 to make a local "
                f"minimum, got {self.hill_height:g}"
            )
        self.name = f"bumpy curve (hill height {self.hill_height:g})"
        self.axis_labels = ("x", "loss")
        self.critical_points = roots[:, None]
        self.local_minimum, self.hill_top, self.global_minimum = self.critical_points
        self.minimum = self.global_minimum
        self.start = np.array([-4.0])
        self.default_xlim = (-4.5, 4.5)

    def _critical_xs(self) -> np.ndarray:
        """Real roots of f'(x) = 0.4 (x - 2) - 4 h x / (1 + 2x²)², ascending."""
        # Multiplying by (1 + 2x²)² leaves a polynomial whose roots NumPy finds exactly.
        P = np.polynomial.Polynomial
        numerator = 0.4 * P([-2.0, 1.0]) * P([1.0, 0.0, 2.0]) ** 2 - P([0.0, 4 * self.hill_height])
        roots = numerator.roots()
        return np.sort(roots[np.abs(roots.imag) < 1e-9].real)

    def _value(self, p: Any) -> Any:
        x = p[..., 0]
        return 0.2 * (x - 2) ** 2 + self.hill_height / (1 + 2 * x * x)

    def _grad(self, p: np.ndarray) -> tuple[np.ndarray, ...]:
        x = p[..., 0]
        return (0.4 * (x - 2) - 4 * self.hill_height * x / (1 + 2 * x * x) ** 2,)

    def _hessian(self, p: np.ndarray) -> np.ndarray:
        x = p[0]
        u = 1 + 2 * x * x
        # d/dx [-4 h x u⁻²] = -4 h (u - 8x²) / u³
        return [[0.4 - 4 * self.hill_height * (u - 8 * x * x) / u**3]]


def _sin(x: Any) -> Any:
    # np.sin cannot see through a tensor that requires grad; a tensor has its own .sin().
    return x.sin() if _is_torch_tensor(x) else np.sin(x)


class WindingValley(_Surface):
    """f(x, y) = a (√(1 + x²) − 1) + b/2 (y − c sin x)²: a long valley that winds along
    the curve y = c sin x, flat along its floor (slope at most a) and steep across it.

    The only critical point is the minimum 0 at the origin, where the Hessian is
    [[a + b c², −b c], [−b c, b]]. Lecture 04 uses it for AdaGrad's late burst.

    ``value`` computes the first term as a x² / (√(1 + x²) + 1), the same number
    written without the cancellation of √(1 + x²) − 1: that difference rounds to 0 in
    float64 once |x| is below about 1.5e-8, while the quotient keeps full relative
    precision for every x.

    Args:
        a: slope of the floor far from the minimum (> 0).
        b: curvature across the valley (> 0).
        c: amplitude of the winding (any real).
    """

    def __init__(self, a: float = 0.5, b: float = 10.0, c: float = 0.5) -> None:
        self.a, self.b, self.c = (check_real(v, n) for v, n in ((a, "a"), (b, "b"), (c, "c")))
        for value, name in ((self.a, "a"), (self.b, "b")):
            if value <= 0:
                raise ValueError(f"{name} must be > 0, got {value:g}")
        self.name = "winding valley"
        self.minimum = np.zeros(2)
        self.critical_points = np.zeros((1, 2))
        self.start = np.array([-8.0, 1.0])
        self.default_xlim, self.default_ylim = (-9.0, 2.0), (-1.5, 1.5)

    def _value(self, p: Any) -> Any:
        x, y = p[..., 0], p[..., 1]
        floor = self.a * x * x / ((1 + x * x) ** 0.5 + 1)
        return floor + self.b / 2 * (y - self.c * _sin(x)) ** 2

    def _grad(self, p: np.ndarray) -> tuple[np.ndarray, ...]:
        x, y = p[..., 0], p[..., 1]
        r = y - self.c * np.sin(x)
        return self.a * x / np.sqrt(1 + x * x) - self.b * self.c * r * np.cos(x), self.b * r

    def _hessian(self, p: np.ndarray) -> np.ndarray:
        x, y = p
        a, b, c = self.a, self.b, self.c
        r = y - c * np.sin(x)
        dxx = a / (1 + x * x) ** 1.5 + b * c * c * np.cos(x) ** 2 + b * c * r * np.sin(x)
        return [[dxx, -b * c * np.cos(x)], [-b * c * np.cos(x), b]]
