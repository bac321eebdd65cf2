"""course_lib.stacked: R MLPs trained side by side equal R nets trained by torch.optim.SGD."""

from __future__ import annotations

import pytest
import torch

from course_lib.stacked import StackedMLPs, stack_weights


def mlp(seed: int, d: int = 5, h: int = 7, c: int = 3, dtype=torch.float64):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, c))
    return net.to(dtype)


def data(n: int = 40, d: int = 5, c: int = 3, seed: int = 0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen, dtype=dtype), torch.randint(c, (n,), generator=gen)


def test_stack_weights_holds_each_nets_transposed_weights():
    nets = [mlp(s) for s in range(3)]
    W1, b1, W2, b2 = stack_weights(nets)
    assert [W1.shape, b1.shape, W2.shape, b2.shape] == [(3, 5, 7), (3, 1, 7), (3, 7, 3), (3, 1, 3)]
    for r, net in enumerate(nets):
        torch.testing.assert_close(W1[r], net[0].weight.T, rtol=0, atol=0)
        torch.testing.assert_close(b2[r, 0], net[2].bias, rtol=0, atol=0)


def test_losses_equal_each_nets_own_cross_entropy():
    nets, (X, y) = [mlp(s) for s in range(4)], data()
    idx = torch.randint(40, (4, 8), generator=torch.Generator().manual_seed(1))
    got = StackedMLPs(nets).losses(X[idx], y[idx])
    want = torch.stack(
        [torch.nn.functional.cross_entropy(n(X[i]), y[i]) for n, i in zip(nets, idx, strict=True)]
    )
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_twenty_steps_match_torch_optim_sgd_run_by_run(dtype):
    nets, lrs = [mlp(s, dtype=dtype) for s in range(3)], [0.05, 0.2, 0.5]
    X, y = data(dtype=dtype)
    runs = StackedMLPs(nets)
    opts = [torch.optim.SGD(n.parameters(), lr=lr) for n, lr in zip(nets, lrs, strict=True)]
    gen = torch.Generator().manual_seed(2)
    for _ in range(20):
        idx = torch.randint(40, (3, 6), generator=gen)
        runs.step(lrs, X[idx], y[idx])
        for net, opt, i in zip(nets, opts, idx, strict=True):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X[i]), y[i]).backward()
            opt.step()
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    for got, want in zip(runs.params, stack_weights(nets), strict=True):
        torch.testing.assert_close(got.detach(), want, rtol=tol, atol=tol)


def test_evaluate_gives_every_runs_loss_on_one_data_set_and_leaves_the_nets_alone():
    nets, (X, y) = [mlp(s) for s in range(2)], data()
    before = [p.clone() for p in nets[0].parameters()]
    runs = StackedMLPs(nets)
    runs.step([0.3, 0.3], X[None].expand(2, -1, -1), y[None].expand(2, -1))
    got = runs.evaluate(X, y)
    assert not got.requires_grad and got.shape == (2,)
    for p, q in zip(nets[0].parameters(), before, strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    direct = runs.losses(X[None].expand(2, -1, -1), y[None].expand(2, -1)).detach()
    torch.testing.assert_close(got, direct, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("nets", "error", "match"),
    [
        ([], TypeError, "non-empty list"),
        (mlp(0), TypeError, "non-empty list"),
        ([mlp(0), torch.nn.Sequential(torch.nn.Linear(5, 3))], TypeError, r"nets\[1\]"),
        ([mlp(0), mlp(1, h=4)], ValueError, r"nets\[1\] has other layer sizes"),
        ([mlp(0), mlp(1, dtype=torch.float32)], ValueError, r"nets\[1\] has dtype"),
    ],
)
def test_bad_nets_are_rejected(nets, error, match):
    with pytest.raises(error, match=match):
        StackedMLPs(nets)


def test_bad_batches_and_learning_rates_are_rejected():
    runs, (X, y) = StackedMLPs([mlp(0), mlp(1)]), data()
    Xb, yb = X[None].expand(2, -1, -1), y[None].expand(2, -1)
    with pytest.raises(ValueError, match="X must have shape"):
        runs.losses(X, y)
    with pytest.raises(TypeError, match="dtype"):
        runs.losses(Xb.float(), yb)
    with pytest.raises(ValueError, match="y must have shape"):
        runs.losses(Xb, y)
    with pytest.raises(TypeError, match="int64"):
        runs.losses(Xb, yb.float())
    with pytest.raises(ValueError, match="lrs must hold 2"):
        runs.step([0.1, 0.1, 0.1], Xb, yb)
    with pytest.raises(ValueError, match=r"y must have shape \(N,\)"):
        runs.evaluate(X, yb)
