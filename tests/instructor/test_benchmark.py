"""course_tools.benchmark: both sides compute the same thing, and the table is honest."""

from __future__ import annotations

import pytest

from course_tools import benchmark
from tests.instructor import require


def test_ratio_and_table_mark_the_goal():
    fast = benchmark.Comparison("fast", 1.0e-6, 1.0e-6, "torch.optim")
    slow = benchmark.Comparison("slow", 5.0e-6, 1.0e-6, "torch.optim")
    table = benchmark.format_table([fast, slow])
    assert fast.ratio == 1.0 and slow.ratio == pytest.approx(5.0)
    assert "1.00✓" in table and "5.00✗" in table
    assert "worst ratio 5.00 (slow)" in table


def test_the_scalar_graph_gives_the_same_gradients_in_both_engines():
    micrograd = require("micrograd.engine")
    from course_lib.autograd import Value

    leaves = {}

    def recording(cls):
        def make(x):
            v = cls(x)
            leaves.setdefault(cls, []).append(v)
            return v

        return make

    benchmark._scalar_graph(recording(Value), 5)
    benchmark._scalar_graph(recording(micrograd.Value), 5)
    ours, theirs = leaves[Value], leaves[micrograd.Value]
    assert len(ours) == len(theirs) > 100
    assert [v.grad for v in ours] == pytest.approx([v.grad for v in theirs], rel=1e-12, abs=1e-15)
    assert any(v.grad != 0 for v in ours)


@pytest.mark.parametrize(("kind", "momentum"), [("SGD", 0.0), ("SGD", 0.9), ("Adam", 0.0)])
def test_both_sides_of_an_optimizer_comparison_take_the_same_step(kind, momentum):
    import numpy as np

    ours, theirs, p, tp = benchmark._optimizer_pair(kind, 50, "float32", momentum)
    start = p.copy()
    for _ in range(2):
        ours()
        theirs()
    assert not np.allclose(p, start)
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-5, atol=1e-7)
