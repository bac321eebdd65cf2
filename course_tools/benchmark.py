"""How fast the library is next to what it teaches: course_lib against PyTorch and micrograd.

Command line: ``python -m course_tools benchmark [--quick]``. Every measurement runs with one
thread (torch and the BLAS behind NumPy), takes the best of several repeats, and prints the
ratio library / reference; the goal is a ratio of at most 2 at every size the course uses.

Measured:
    SGD and Adam steps (``course_lib.optim`` against ``torch.optim``) on 1e3 … 1e6
    parameters, float32 and float64, plain and with momentum;
    a Hessian of n = 10 and n = 50 coordinates (``course_lib.hessian.hessian`` against
    ``torch.autograd.functional.hessian(..., vectorize=True)``);
    a layer of 100 relu neurons on 20 inputs (about 4 100 scalar operations), forward and
    backward (``course_lib.autograd.Value``
    against micrograd's ``Value``, when micrograd is installed).
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: The ratio library / reference the course aims for.
GOAL = 2.0


@dataclass(frozen=True)
class Comparison:
    """One measurement: seconds per call of the library and of the reference."""

    name: str
    ours: float
    reference: float
    reference_name: str

    @property
    def ratio(self) -> float:
        return self.ours / self.reference


def best_seconds(fn: Callable[[], object], repeat: int, number: int) -> float:
    """The best of ``repeat`` timings of ``number`` calls, per call."""
    fn()  # warm up (allocations, lazy imports)
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number


def _optimizer_pair(kind: str, n: int, dtype: str, momentum: float):
    """``(our step, torch's step, our parameter, torch's parameter)``, both starting from
    the same n parameters with the same fixed gradient."""
    import torch

    from course_lib import optim

    rng = np.random.default_rng(0)
    p = rng.standard_normal(n).astype(dtype)
    g = (1e-3 * rng.standard_normal(n)).astype(dtype)
    tp = torch.tensor(p, requires_grad=True)
    tp.grad = torch.tensor(g)
    if kind == "SGD":
        ours = optim.SGD([p], lr=1e-3, momentum=momentum)
        theirs = torch.optim.SGD([tp], lr=1e-3, momentum=momentum, foreach=False)
    else:
        ours = optim.Adam([p], lr=1e-3)
        theirs = torch.optim.Adam([tp], lr=1e-3, foreach=False)
    return (lambda: ours.step([g])), theirs.step, p, tp


def optimizer_comparisons(sizes: list[int]) -> list[Comparison]:
    found = []
    for kind, momentum in (("SGD", 0.0), ("SGD", 0.9), ("Adam", 0.0)):
        for dtype in ("float32", "float64"):
            for n in sizes:
                ours, theirs, _, _ = _optimizer_pair(kind, n, dtype, momentum)
                number = max(1, 200_000 // n)
                label = f"{kind}{' momentum 0.9' if momentum else ''} step, {n:.0e} {dtype}"
                found.append(
                    Comparison(
                        label,
                        best_seconds(ours, 7, number),
                        best_seconds(theirs, 7, number),
                        "torch.optim",
                    )
                )
    return found


def hessian_comparisons(sizes: list[int]) -> list[Comparison]:
    import torch

    from course_lib.hessian import hessian

    found = []
    for n in sizes:
        A = torch.tensor(np.random.default_rng(n).standard_normal((n, n)) / np.sqrt(n))

        def f(x, A=A):
            return torch.tanh(A @ x).pow(2).sum() + 0.1 * x.pow(4).sum()

        x = np.linspace(-1.0, 1.0, n)
        xt = torch.tensor(x)
        found.append(
            Comparison(
                f"Hessian, n = {n}",
                best_seconds(lambda f=f, x=x: hessian(f, x), 5, 5),
                best_seconds(
                    lambda f=f, xt=xt: torch.autograd.functional.hessian(f, xt, vectorize=True),
                    5,
                    5,
                ),
                "torch vectorize=True",
            )
        )
    return found


def _scalar_graph(value_class: type, neurons: int) -> None:
    """A layer of ``neurons`` relu units on 20 inputs, summed, then backward: about
    41 operations per neuron (20 multiplies, 20 adds, a relu), the shape of lecture 01's MLP."""
    xs = [value_class(0.1 * i - 1.0) for i in range(20)]
    total = value_class(0.0)
    for j in range(neurons):
        out = value_class(0.01 * j)
        for i, x in enumerate(xs):
            out = out + value_class(0.05 * ((i * 7 + j) % 11) - 0.25) * x
        total = total + out.relu()
    total.backward()


def value_comparisons(neurons: int) -> list[Comparison]:
    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        print("micrograd is not installed: `pip install micrograd` to compare Value with it")
        return []
    from course_lib.autograd import Value

    return [
        Comparison(
            f"Value: {neurons} relu neurons x 20 inputs, forward + backward",
            best_seconds(lambda: _scalar_graph(Value, neurons), 5, 3),
            best_seconds(lambda: _scalar_graph(MicrogradValue, neurons), 5, 3),
            "micrograd",
        )
    ]


def run(quick: bool = False) -> list[Comparison]:
    """Every comparison, with one thread for torch and for NumPy's BLAS."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    sizes = [1_000, 1_000_000] if quick else [1_000, 100_000, 1_000_000]
    with threadpool_limits(limits=1):
        return (
            optimizer_comparisons(sizes)
            + hessian_comparisons([10, 50])
            + value_comparisons(20 if quick else 100)
        )


def format_table(comparisons: list[Comparison]) -> str:
    width = max(len(c.name) for c in comparisons)
    lines = [f"{'measurement'.ljust(width)}  {'ours':>10}  {'reference':>10}  ratio  reference"]
    for c in comparisons:
        mark = "✓" if c.ratio <= GOAL else "✗"
        lines.append(
            f"{c.name.ljust(width)}  {c.ours * 1e6:8.1f}µs  {c.reference * 1e6:8.1f}µs  "
            f"{c.ratio:4.2f}{mark}  {c.reference_name}"
        )
    worst = max(comparisons, key=lambda c: c.ratio)
    lines.append(f"worst ratio {worst.ratio:.2f} ({worst.name}); goal ≤ {GOAL:g}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools benchmark", description=__doc__)
    parser.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer sizes, for a smoke test")
    args = parser.parse_args(argv)
    print(format_table(run(quick=args.quick)))
    return 0
