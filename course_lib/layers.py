"""Neural-network layers with explicit forward and backward passes (lectures 01 and 06).

Lecture 01 builds ``Linear`` and the activations to show backpropagation layer by layer;
lecture 06 adds ``Dropout``, ``BatchNorm1d``, ``BatchNorm2d`` and ``Sequential``. Every
layer follows one pattern (as in the CS231n assignments)::

    out = layer.forward(x)       # caches what backward needs
    dx = layer.backward(dout)    # dout = dL/dout, shaped like out; returns dL/dx
    layer.grads["W"]             # dL/dW, same keys as layer.params

``params`` and ``grads`` are dicts of float64 ndarrays with the same keys. ``grads`` holds
zeros until the first ``backward``; each ``backward`` OVERWRITES the same arrays in place
(no accumulation, unlike ``.grad`` in PyTorch), so references taken once stay valid. Copy a
gradient if you want to keep it across backward calls. ``train()`` and ``eval()`` set
``training`` and return the layer; only ``Dropout`` and the batch norms behave differently.

Public names:
    Layer: the base class (params, grads, train / eval, checks).
    Linear, ReLU, Sigmoid, Tanh, Dropout, BatchNorm1d, BatchNorm2d: the layers.
    Sequential: a chain of layers with flat ``params`` / ``grads`` dicts ("0.W", "1.gamma").

PyTorch counterparts: the ``torch.nn`` modules of the same names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from course_lib._validation import as_float_array, check_int, check_range, check_shape


def _make_rng(rng: Any) -> np.random.Generator:
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise TypeError(f"rng must be None, an int seed or a numpy Generator, got {rng!r}")
    return np.random.default_rng(check_int(rng, "rng", low=0))


class Layer:
    """Base class: ``params`` / ``grads`` dicts, the train / eval switch and shared checks.

    A subclass implements ``forward(x)``, which stores what backward needs in
    ``self._cache``, and ``backward(dout)``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True
        self._cache: Any = None
        self._out_shape: tuple[int, ...] | None = None

    def train(self, mode: bool = True) -> Layer:
        """Switch to training mode (``mode=False``: evaluation mode); return ``self``."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode; return ``self``. Same as ``train(False)``."""
        return self.train(False)

    def __call__(self, x: Any) -> np.ndarray:
        return self.forward(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def forward(self, x: Any) -> np.ndarray:
        """Return the layer's output for ``x`` and remember what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, dout: Any) -> np.ndarray:
        """Take dL/dout (shaped like the last output), fill ``grads``, return dL/dx."""
        raise NotImplementedError

    def _check_input(self, x: Any, features: int | None = None) -> np.ndarray:
        """Convert ``x``; with ``features``, require shape (N, features)."""
        x = as_float_array(x, "x")
        if features is not None and (x.ndim != 2 or x.shape[1] != features):
            raise ValueError(f"x has shape {x.shape}, expected (N, {features}) for {self!r}")
        return x

    def _check_dout(self, dout: Any) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError(f"backward called before forward for {self!r}")
        dout = as_float_array(dout, "dout")
        check_shape(dout, self._out_shape, "dout", f"to match the output of {self!r}")
        return dout


class Linear(Layer):
    """Affine layer out = x @ W + b.

    ``W`` has shape (in_features, out_features): the TRANSPOSE of ``torch.nn.Linear.weight``
    (out, in), so that a batch of rows is multiplied on the left. ``W`` and ``b`` start from
    U(-1/sqrt(in_features), 1/sqrt(in_features)), the same distribution as PyTorch's default.

    Args:
        in_features: size D of each input row, >= 1.
        out_features: size M of each output row, >= 1.
        rng: a numpy Generator, an int seed, or None (unseeded) for the initialisation.

    Shapes: forward (N, D) -> (N, M); backward (N, M) -> (N, D); grads "W" (D, M), "b" (M,).

    PyTorch counterpart: ``torch.nn.Linear(in_features, out_features)``.
    """

    def __init__(self, in_features: int, out_features: int, *, rng: Any = None) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features", low=1)
        self.out_features = check_int(out_features, "out_features", low=1)
        generator = _make_rng(rng)
        bound = 1.0 / np.sqrt(self.in_features)
        W = generator.uniform(-bound, bound, size=(self.in_features, self.out_features))
        self.params = {"W": W, "b": generator.uniform(-bound, bound, size=self.out_features)}
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features})"

    def forward(self, x: Any) -> np.ndarray:
        x = self._check_input(x, self.in_features)
        out = x @ self.params["W"] + self.params["b"]
        self._cache, self._out_shape = x, out.shape
        return out

    def backward(self, dout: Any) -> np.ndarray:
        dout = self._check_dout(dout)
        x = self._cache
        self.grads["W"][...] = x.T @ dout
        self.grads["b"][...] = dout.sum(axis=0)
        return dout @ self.params["W"].T


class _Elementwise(Layer):
    """An activation applied entry by entry: any input shape, no parameters.

    A subclass defines ``_function(x)`` and ``_derivative(x, out)``.
    """

    def forward(self, x: Any) -> np.ndarray:
        x = self._check_input(x)
        out = self._function(x)
        self._cache, self._out_shape = (x, out), out.shape
        return out

    def backward(self, dout: Any) -> np.ndarray:
        dout = self._check_dout(dout)
        x, out = self._cache
        return dout * self._derivative(x, out)


class ReLU(_Elementwise):
    """max(0, x) entrywise; derivative 1 where x > 0, else 0 (also at x = 0, like PyTorch).

    Shapes: any; output and gradient shaped like the input. Counterpart: ``torch.nn.ReLU``.
    """

    def _function(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0)

    def _derivative(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return (x > 0).astype(np.float64)


class Sigmoid(_Elementwise):
    """1 / (1 + exp(-x)) entrywise, without overflow; derivative s (1 - s).

    Shapes: any; output and gradient shaped like the input. Counterpart: ``torch.nn.Sigmoid``.
    """

    def _function(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(x))  # <= 1, so no overflow for large |x|
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def _derivative(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return out * (1.0 - out)


class Tanh(_Elementwise):
    """tanh(x) entrywise; derivative 1 - tanh(x)^2.

    Shapes: any; output and gradient shaped like the input. Counterpart: ``torch.nn.Tanh``.
    """

    def _function(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def _derivative(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return 1.0 - out**2


class Dropout(Layer):
    """Inverted dropout: in training, zero each entry with probability p, scale the rest.

    Kept entries are multiplied by 1 / (1 - p) so that E[out] = x, and evaluation mode can be
    the identity. Each training forward draws a new mask; backward multiplies ``dout`` by
    the mask of the last forward.

    Args:
        p: probability of zeroing an entry, in [0, 1).
        rng: a numpy Generator, an int seed, or None (unseeded) for the masks.

    Shapes: any; output and gradient shaped like the input.

    PyTorch counterpart: ``torch.nn.Dropout(p)``.
    """

    def __init__(self, p: float = 0.5, *, rng: Any = None) -> None:
        super().__init__()
        self.p = check_range(p, "p", low=0.0, high=1.0, high_inclusive=False)
        self._rng = _make_rng(rng)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"

    def forward(self, x: Any) -> np.ndarray:
        x = self._check_input(x)
        if self.training:
            mask = (self._rng.random(x.shape) >= self.p) / (1.0 - self.p)
        else:
            mask = np.ones(x.shape)
        self._cache, self._out_shape = mask, x.shape
        return x * mask

    def backward(self, dout: Any) -> np.ndarray:
        return self._check_dout(dout) * self._cache


class BatchNorm1d(Layer):
    """Batch normalisation over the batch axis, with PyTorch's conventions.

    Training: x_hat = (x - mu_B) / sqrt(var_B + eps) with the batch mean and the BIASED batch
    variance, out = gamma * x_hat + beta, and the running statistics move towards the batch:
    running_mean <- (1 - momentum) running_mean + momentum mu_B, and the same for
    running_var with the UNBIASED batch variance (N / (N - 1) var_B). Evaluation: x_hat uses
    ``running_mean`` and ``running_var`` instead, so the output of a row does not depend on
    the rest of the batch.

    Args:
        num_features: D, the number of columns.
        eps: > 0, added to the variance for stability.
        momentum: weight of the newest batch in the running statistics, in [0, 1].

    Shapes: forward (N, D) -> (N, D), N >= 2 in training; params and grads "gamma" and
    "beta" (D,); ``running_mean`` and ``running_var`` (D,) are updated in place.

    PyTorch counterpart: ``torch.nn.BatchNorm1d(num_features, eps, momentum)``.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features = check_int(num_features, "num_features", low=1)
        self.eps = check_range(eps, "eps", low=0.0, low_inclusive=False)
        self.momentum = check_range(momentum, "momentum", low=0.0, high=1.0)
        self.params = {"gamma": np.ones(self.num_features), "beta": np.zeros(self.num_features)}
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features})"

    def forward(self, x: Any) -> np.ndarray:
        x = self._check_input(x, self.num_features)
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    f"Expected more than 1 value per channel when training, got x of shape "
                    f"{x.shape}; use eval() to normalise single rows with the running stats"
                )
            mean, var = x.mean(axis=0), x.var(axis=0)
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * mean
            self.running_var *= 1.0 - m
            self.running_var += m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self._cache, self._out_shape = (x_hat, inv_std, self.training), x.shape
        return self.params["gamma"] * x_hat + self.params["beta"]

    def backward(self, dout: Any) -> np.ndarray:
        dout = self._check_dout(dout)
        x_hat, inv_std, used_batch_stats = self._cache
        self.grads["gamma"][...] = np.sum(dout * x_hat, axis=0)
        self.grads["beta"][...] = np.sum(dout, axis=0)
        g = dout * self.params["gamma"]  # dL/dx_hat
        if not used_batch_stats:
            return g * inv_std  # running statistics are constants
        # Per column, x_hat_i = (x_i - mu) / sigma with dmu/dx_i = 1/N and
        # dsigma/dx_i = x_hat_i / N. The chain rule through x_hat, mu and sigma collapses to
        #     dx_i = (g_i - mean(g) - x_hat_i * mean(g * x_hat)) / sigma.
        return inv_std * (g - g.mean(axis=0) - x_hat * np.mean(g * x_hat, axis=0))


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation of images: one mean and variance per channel, over (N, H, W).

    A convolutional feature map has a channel axis C and two spatial axes; every position of
    a channel is produced by the same filter, so BN treats all N·H·W values of a channel as
    that channel's batch: the same formulas as :class:`BatchNorm1d` applied to the
    (N·H·W, C) matrix of values, with B = N·H·W in the unbiased running variance.

    Args:
        num_features: C, the number of channels.
        eps: > 0, added to the variance for stability.
        momentum: weight of the newest batch in the running statistics, in [0, 1].

    Shapes: forward (N, C, H, W) -> (N, C, H, W), N·H·W >= 2 in training; params, grads,
    ``running_mean`` and ``running_var`` have shape (C,).

    Introduced in lecture 06. PyTorch counterpart:
    ``torch.nn.BatchNorm2d(num_features, eps, momentum)``.
    """

    def __repr__(self) -> str:
        return f"BatchNorm2d({self.num_features})"

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x, "x")
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(
                f"x has shape {x.shape}, expected (N, {self.num_features}, H, W) for {self!r}"
            )
        n, c, h, w = x.shape
        if self.training and n * h * w < 2:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got x of shape "
                f"{x.shape}; use eval() to normalise a single value with the running stats"
            )
        rows = super().forward(x.transpose(0, 2, 3, 1).reshape(-1, c))  # (N·H·W, C)
        self._image_shape = x.shape
        return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)

    def backward(self, dout: Any) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError(f"backward called before forward for {self!r}")
        dout = as_float_array(dout, "dout")
        check_shape(dout, self._image_shape, "dout", f"to match the output of {self!r}")
        n, c, h, w = dout.shape
        drows = super().backward(dout.transpose(0, 2, 3, 1).reshape(-1, c))
        return drows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


class Sequential(Layer):
    """Layers applied in order; backward runs through them in reverse.

    ``params`` and ``grads`` are flat dicts keyed "<index>.<name>" ("0.W", "1.gamma", ...)
    whose values ARE the layers' arrays (no copies): an optimizer that updates
    ``list(seq.params.values())`` in place updates the layers, and the two dicts list their
    keys in the same order. ``train()`` / ``eval()`` switch every layer.

    Args:
        *layers: ``Layer`` instances, applied from first to last.

    Shapes: forward takes what the first layer takes and returns what the last returns.

    PyTorch counterpart: ``torch.nn.Sequential(*layers)`` (parameter names "0.weight", ...).
    """

    def __init__(self, *layers: Layer) -> None:
        # Layer.__init__ is not called: it would assign params and grads, which here are
        # read-only views built from the layers on every access (so they never go stale).
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a Layer, got {type(layer).__name__}")
        self.layers = list(layers)
        self.training = True

    @property
    def params(self) -> dict[str, np.ndarray]:
        return self._flat("params")

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return self._flat("grads")

    def _flat(self, attribute: str) -> dict[str, np.ndarray]:
        return {
            f"{i}.{key}": array
            for i, layer in enumerate(self.layers)
            for key, array in getattr(layer, attribute).items()
        }

    def train(self, mode: bool = True) -> Sequential:
        for layer in self.layers:
            layer.train(mode)
        super().train(mode)
        return self

    def forward(self, x: Any) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: Any) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"
