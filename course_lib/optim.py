"""NumPy optimizers with the update rules and argument names of ``torch.optim`` (lectures 03-04).

Lecture 03 builds gradient descent, momentum and Nesterov momentum; lecture 04 adds the
adaptive methods. Every optimizer takes a list of float ndarrays and updates them in place::

    params = [W, b]
    opt = Adam(params, lr=1e-3)
    for batch in batches:
        dW, db = ...                # gradients, shaped like W and b
        opt.step([dW, db])          # W and b change in place

``opt.lr`` is a plain attribute: a schedule from ``course_lib.schedules`` may set it between
steps and the next step uses it, like ``param_group["lr"]`` in PyTorch. ``opt.state[i]`` is
a dict of per-parameter buffers named as in ``torch.optim`` (listed in each class), and
``opt.step_count`` counts the calls of ``step`` (``t`` in the equations).

Each update performs PyTorch's operations in PyTorch's order (for example Adam adds ``eps``
after dividing sqrt(v) by sqrt(1 - beta2^t)), so results agree with ``torch.optim`` up to
rounding error; ``tests/test_optim.py`` checks every option combination.

Public names:
    Optimizer: the base class (parameter and gradient checks, step counter, state).
    SGD: gradient descent with optional momentum, dampening, Nesterov, weight decay.
    Adagrad: per-coordinate step sizes from the sum of squared gradients.
    RMSprop: step sizes from a moving average of squared gradients.
    Adam: momentum plus RMSprop-style scaling, with bias correction (optional AMSGrad).
    AdamW: Adam with decoupled weight decay.
    clip_grad_norm_: rescale a list of gradients in place so that their total norm is at
        most ``max_norm`` (gradient clipping).
    torch_path: the points a ``torch.optim`` optimizer visits on a toy surface (the reference).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from course_lib._validation import (
    as_float_array,
    check_finite,
    check_float_ndarray,
    check_int,
    check_range,
    check_shape,
)


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def _check_nonnegative(value: Any, name: str) -> float:
    return check_range(value, name, low=0.0)


def _check_params(params: Any) -> list[np.ndarray]:
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"params must be a list of ndarrays, got {type(params).__name__}")
    if len(params) == 0:
        raise ValueError("params must hold at least one ndarray, got an empty list")
    first_index: dict[int, int] = {}
    for i, p in enumerate(params):
        check_float_ndarray(p, f"params[{i}]")
        if not p.flags.writeable:
            raise ValueError(f"params[{i}] is read-only, but the optimizer updates it in place")
        if id(p) in first_index:
            # The same array listed twice would be updated twice per step.
            raise ValueError(f"params[{i}] is the same array as params[{first_index[id(p)]}]")
        first_index[id(p)] = i
    return list(params)


def _subtract_scaled(p: np.ndarray, g: np.ndarray, lr: float, work: np.ndarray) -> None:
    """``p -= lr * g`` in place. NumPy needs two passes over memory for it (a product into
    ``work``, then the subtraction); torch's ``add_`` does it in one, on the very same
    memory (``torch.from_numpy`` copies nothing), which at 1e6 parameters halves the time."""
    shared = p.dtype == g.dtype and p.dtype.isnative and p.strides == g.strides
    if shared and g.flags.writeable and all(s > 0 for s in p.strides):
        import torch  # a dependency of the course; imported once, then a dict lookup

        torch.from_numpy(p).add_(torch.from_numpy(g), alpha=-lr)
    else:
        np.multiply(g, lr, out=work)
        p -= work


class Optimizer:
    """Base class: checks params and grads, counts steps, keeps per-parameter state.

    A subclass implements ``_update(p, g, state)``, which changes one parameter in place.

    Args:
        params: non-empty list (or tuple) of floating-point ndarrays of any shapes. They are
            updated in place, so the caller's references see every step.
        lr: learning rate, >= 0.

    Attributes:
        params: list of the very arrays passed in.
        lr: learning rate of the next ``step``; may be reassigned between steps.
        state: list aligned with ``params``; ``state[i]`` maps buffer names to ndarrays
            shaped like ``params[i]``.
        step_count: number of completed ``step`` calls.
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float) -> None:
        self.params = _check_params(params)
        self.lr = _check_nonnegative(lr, "lr")
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]
        self.step_count = 0
        # One work array per parameter, reused by every step: an update then allocates
        # nothing (at 1e6 parameters, fresh temporaries cost more than the arithmetic).
        self._work = [np.empty_like(p) for p in self.params]

    def step(self, grads: Sequence[Any]) -> None:
        """Update every parameter in place, using the current ``self.lr``.

        Args:
            grads: list aligned with ``params``; ``grads[i]`` has the shape of ``params[i]``
                and finite values. The gradients are only read, never modified.
        """
        grads = self._check_grads(grads)
        self.lr = _check_nonnegative(self.lr, "lr")
        self.step_count += 1
        for p, g, state, work in zip(self.params, grads, self.state, self._work, strict=True):
            self._scratch = work
            self._update(p, g, state)

    def _check_grads(self, grads: Any) -> list[np.ndarray]:
        if not isinstance(grads, (list, tuple)):
            raise TypeError(
                f"grads must be a list of arrays aligned with params, got {type(grads).__name__}"
            )
        if len(grads) != len(self.params):
            raise ValueError(
                f"grads has {len(grads)} arrays, expected {len(self.params)} (one per params entry)"
            )
        checked = []
        for i, (g, p) in enumerate(zip(grads, self.params, strict=True)):
            name = f"grads[{i}]"
            if isinstance(g, np.ndarray) and g.dtype.kind == "f":
                # Kept in its own dtype (no float64 round trip). A finite sum of squares
                # (one BLAS pass) proves every entry finite; only when it is not (a NaN, an
                # infinity, or squares too large to add up) does the exact check run.
                if not math.isfinite(float(np.vdot(g, g))):
                    check_finite(g, name)
            else:
                g = as_float_array(g, name)
            check_shape(g, p.shape, name, f"to match params[{i}]")
            checked.append(g.astype(p.dtype, copy=False))
        return checked

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    One step for a parameter p with gradient g, in PyTorch's order::

        g ← g + weight_decay·p
        if momentum > 0:
            b ← g                                   (first step)
            b ← momentum·b + (1 − dampening)·g      (later steps)
            g ← g + momentum·b   if nesterov,   else   g ← b
        p ← p − lr·g

    State: ``momentum_buffer`` (b), created on the first step when momentum > 0.

    Args:
        params: list of float ndarrays (any shapes), updated in place.
        lr: learning rate, >= 0. The default 1e-3 is that of torch 2.x.
        momentum: momentum factor, >= 0.
        dampening: scales the new gradient in the buffer update (1 − dampening).
        nesterov: Nesterov momentum; needs momentum > 0 and dampening == 0.
        weight_decay: L2 penalty coefficient, >= 0, added to the gradient.

    PyTorch counterpart: ``torch.optim.SGD`` (same arguments and defaults).
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        nesterov: bool = False,
        weight_decay: float = 0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_nonnegative(momentum, "momentum")
        self.dampening = check_range(dampening, "dampening")
        self.nesterov = _check_bool(nesterov, "nesterov")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay")
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening == 0, "
                f"got momentum={self.momentum:g}, dampening={self.dampening:g}"
            )

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        work = self._scratch
        if self.momentum != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()  # a copy: g may be the caller's array
            else:
                buf = state["momentum_buffer"]
                buf *= self.momentum
                if self.dampening == 0:
                    buf += g
                else:
                    np.multiply(g, 1 - self.dampening, out=work)
                    buf += work
            buf = state["momentum_buffer"]
            if self.nesterov:
                np.multiply(buf, self.momentum, out=work)
                work += g
                g = work
            else:
                g = buf
        _subtract_scaled(p, g, self.lr, work)


class Adagrad(Optimizer):
    """Adagrad: each coordinate's step shrinks with its accumulated squared gradients.

    Step t (t = 1, 2, ...) for a parameter p with gradient g::

        g ← g + weight_decay·p
        clr ← lr / (1 + (t − 1)·lr_decay)
        s ← s + g²
        p ← p − clr·g / (√s + eps)

    State: ``sum`` (s), starting at ``initial_accumulator_value`` everywhere.

    Args:
        params: list of float ndarrays (any shapes), updated in place.
        lr: learning rate, >= 0.
        lr_decay: learning-rate decay per step, >= 0.
        weight_decay: L2 penalty coefficient, >= 0, added to the gradient.
        initial_accumulator_value: starting value of s, >= 0.
        eps: added to √s for numerical stability, >= 0.

    PyTorch counterpart: ``torch.optim.Adagrad`` (same arguments and defaults).
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(params, lr)
        self.lr_decay = _check_nonnegative(lr_decay, "lr_decay")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay")
        self.initial_accumulator_value = _check_nonnegative(
            initial_accumulator_value, "initial_accumulator_value"
        )
        self.eps = _check_nonnegative(eps, "eps")
        for p, state in zip(self.params, self.state, strict=True):
            state["sum"] = np.full_like(p, self.initial_accumulator_value)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        clr = self.lr / (1 + (self.step_count - 1) * self.lr_decay)
        state["sum"] += g * g
        p -= clr * g / (np.sqrt(state["sum"]) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a moving root-mean-square of recent gradients.

    One step for a parameter p with gradient g, in PyTorch's order::

        g ← g + weight_decay·p
        v ← alpha·v + (1 − alpha)·g²
        if centered:   m ← alpha·m + (1 − alpha)·g;   d ← √(v − m²) + eps
        else:          d ← √v + eps
        if momentum > 0:   b ← momentum·b + g/d;   p ← p − lr·b
        else:              p ← p − lr·g/d

    State: ``square_avg`` (v); ``grad_avg`` (m) if centered; ``momentum_buffer`` (b) if
    momentum > 0. All start at zero.

    Args:
        params: list of float ndarrays (any shapes), updated in place.
        lr: learning rate, >= 0.
        alpha: smoothing constant of the moving averages, in [0, 1].
        eps: added to the root mean square, >= 0.
        weight_decay: L2 penalty coefficient, >= 0, added to the gradient.
        momentum: momentum factor, >= 0.
        centered: subtract the squared mean gradient, i.e. normalise by a variance estimate.

    PyTorch counterpart: ``torch.optim.RMSprop`` (same arguments and defaults).
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = check_range(alpha, "alpha", low=0.0, high=1.0)
        self.eps = _check_nonnegative(eps, "eps")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay")
        self.momentum = _check_nonnegative(momentum, "momentum")
        self.centered = _check_bool(centered, "centered")
        for p, state in zip(self.params, self.state, strict=True):
            state["square_avg"] = np.zeros_like(p)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        v = state["square_avg"]
        v *= self.alpha
        v += (1 - self.alpha) * g * g
        if self.centered:
            m = state["grad_avg"]
            m *= self.alpha
            m += (1 - self.alpha) * g
            d = np.sqrt(v - m * m) + self.eps
        else:
            d = np.sqrt(v) + self.eps
        if self.momentum > 0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += g / d
            p -= self.lr * buf
        else:
            p -= self.lr * g / d


class Adam(Optimizer):
    """Adam: momentum on the gradient, scaled by a moving RMS, with bias correction.

    Step t (t = 1, 2, ...) for a parameter p with gradient g, in PyTorch's order::

        g ← g + weight_decay·p                  (AdamW instead: p ← p·(1 − lr·weight_decay))
        m ← beta1·m + (1 − beta1)·g
        v ← beta2·v + (1 − beta2)·g²
        if amsgrad:   v_max ← max(v_max, v);  use v_max in place of v below
        d ← √v / √(1 − beta2^t) + eps
        p ← p − lr / (1 − beta1^t) · m / d

    State: ``exp_avg`` (m), ``exp_avg_sq`` (v) and, if amsgrad, ``max_exp_avg_sq`` (v_max).
    All start at zero.

    Args:
        params: list of float ndarrays (any shapes), updated in place.
        lr: learning rate, >= 0.
        betas: (beta1, beta2), decay rates of the two moving averages, each in [0, 1).
        eps: added to the denominator, >= 0.
        weight_decay: L2 penalty coefficient, >= 0, added to the gradient.
        amsgrad: normalise by the largest v seen so far (Reddi et al., 2018).

    PyTorch counterpart: ``torch.optim.Adam`` (same arguments and defaults).
    """

    _decoupled_weight_decay = False

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(
            check_range(b, f"betas[{i}]", low=0.0, high=1.0, high_inclusive=False)
            for i, b in enumerate(betas)
        )
        self.eps = _check_nonnegative(eps, "eps")
        self.weight_decay = _check_nonnegative(weight_decay, "weight_decay")
        self.amsgrad = _check_bool(amsgrad, "amsgrad")
        for p, state in zip(self.params, self.state, strict=True):
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        beta1, beta2 = self.betas
        t = self.step_count
        if self.weight_decay != 0:
            if self._decoupled_weight_decay:
                p *= 1 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * p
        m, v, work = state["exp_avg"], state["exp_avg_sq"], self._scratch
        m *= beta1
        np.multiply(g, 1 - beta1, out=work)
        m += work
        v *= beta2
        np.multiply(g, 1 - beta2, out=work)
        work *= g
        v += work
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        d = np.sqrt(v, out=work)  # d = sqrt(v) / sqrt(1 - beta2^t) + eps, in the work array
        d /= math.sqrt(1 - beta2**t)
        d += self.eps
        np.divide(m, d, out=work)
        work *= self.lr / (1 - beta1**t)
        p -= work


class AdamW(Adam):
    """AdamW: Adam with weight decay decoupled from the gradient (Loshchilov & Hutter, 2019).

    Identical to :class:`Adam` except for the first line of the step: instead of adding
    ``weight_decay·p`` to the gradient, the parameter shrinks before the Adam update::

        p ← p·(1 − lr·weight_decay)

    so the decay is not rescaled by the adaptive denominator.

    Args:
        params: list of float ndarrays (any shapes), updated in place.
        lr: learning rate, >= 0.
        betas: (beta1, beta2), each in [0, 1).
        eps: added to the denominator, >= 0.
        weight_decay: decoupled decay coefficient, >= 0 (default 1e-2, as in PyTorch).
        amsgrad: normalise by the largest v seen so far.

    PyTorch counterpart: ``torch.optim.AdamW`` (same arguments and defaults).
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


def _p_norm(a: np.ndarray, p: float) -> float:
    """The p-norm of the non-negative float64 array ``a``, scaled by its largest entry so
    that a huge but finite gradient does not overflow to inf."""
    largest = float(np.max(a, initial=0.0))
    if p == math.inf or largest == 0.0:
        return largest
    return largest * float(np.sum((a / largest) ** p)) ** (1.0 / p)


def clip_grad_norm_(grads: Sequence[np.ndarray], max_norm: float, norm_type: float = 2.0) -> float:
    """Gradient clipping: scale all gradients by one factor so their total norm is <= max_norm.

    The total norm treats the gradients as one long vector:
    ``total = (sum_i ||grads[i]||_p ** p) ** (1/p)`` (for ``norm_type=inf`` the largest
    absolute entry). When ``total > max_norm`` every gradient is multiplied in place by
    ``max_norm / (total + 1e-6)``, as in PyTorch, so the direction is kept and only the
    length shrinks; otherwise the gradients are left as they are. The norm is computed in
    float64 and scaled by the largest entry, so a huge but finite float32 gradient is
    clipped (PyTorch's float32 sum of squares overflows to inf and zeroes it instead).

    Args:
        grads: non-empty list of float ndarrays (any shapes), e.g. the gradients about to
            be passed to ``opt.step``. Modified in place.
        max_norm: the largest allowed total norm, >= 0.
        norm_type: p of the p-norm, > 0, or ``float("inf")``.

    Returns:
        the total norm before clipping (a float), useful to log how often clipping acts.

    Raises:
        ValueError: for a gradient holding NaN or infinity (PyTorch's
            ``error_if_nonfinite=True``): clipping cannot repair a non-finite gradient.

    Introduced in lecture 04. PyTorch counterpart: ``torch.nn.utils.clip_grad_norm_(
    parameters, max_norm, norm_type)``, which reads and rescales each parameter's ``.grad``.
    """
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be a list of ndarrays, got {type(grads).__name__}")
    if len(grads) == 0:
        raise ValueError("grads must hold at least one ndarray, got an empty list")
    for i, g in enumerate(grads):
        check_float_ndarray(g, f"grads[{i}]")
        if not g.flags.writeable:
            raise ValueError(f"grads[{i}] is read-only, but clipping rescales it in place")
        check_finite(g, f"grads[{i}]")
    max_norm = _check_nonnegative(max_norm, "max_norm")
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.floating)):
        raise TypeError(f"norm_type must be a positive number or inf, got {norm_type!r}")
    norm_type = float(norm_type)
    if not norm_type > 0:  # also rejects NaN
        raise ValueError(f"norm_type must be > 0 or inf, got {norm_type:g}")
    total = _p_norm(
        np.array([_p_norm(np.abs(g, dtype=np.float64), norm_type) for g in grads]), norm_type
    )
    factor = max_norm / (total + 1e-6)
    if factor < 1.0:
        for g in grads:
            g *= factor
    return total


def torch_path(
    optimizer: str, surface: Any, steps: int, *, start: Any = None, **hyper: Any
) -> np.ndarray:
    """The points ``torch.optim.<optimizer>(**hyper)`` visits on a 2-D toy surface.

    The reference the NumPy optimizers here are compared with: torch is fed the surface's
    own NumPy gradient at every step, in float64, so the two can agree to rounding.

    Args:
        optimizer: a class name in ``torch.optim``, e.g. ``"SGD"`` or ``"Adam"``.
        surface: anything with ``grad(p)`` for points of shape (d,) and a ``start`` point
            (e.g. a ``course_lib.surfaces`` object).
        steps: number of updates, >= 0.
        start: the first point, shape (d,); default ``surface.start``.
        **hyper: the optimizer's arguments, e.g. ``lr=0.1, momentum=0.9``.

    Returns:
        array of shape (steps + 1, d): the start, then the point after each step.

    Introduced in lectures 03 and 04.
    """
    import torch

    steps = check_int(steps, "steps", low=0)
    if not hasattr(torch.optim, optimizer):
        raise ValueError(f"optimizer must name a class in torch.optim, got {optimizer!r}")
    first = as_float_array(surface.start if start is None else start, "start", ndim=1)
    p = torch.tensor(first, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, optimizer)([p], **hyper)
    points = [first.copy()]
    for _ in range(steps):
        p.grad = torch.from_numpy(np.asarray(surface.grad(p.detach().numpy()), dtype=float))
        opt.step()
        points.append(p.detach().numpy().copy())
    return np.array(points)
