"""Nothing in course_lib touches the network: import and exercise it with sockets blocked.

The work runs in a fresh interpreter so that every import (torch, sklearn, matplotlib and
course_lib itself) happens under the guard.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GUARD = textwrap.dedent(
    """
    import socket

    attempts = []

    class NetworkBlocked(OSError):
        pass

    def blocked(*args, **kwargs):
        attempts.append(args)
        raise NetworkBlocked(f"network access attempted: {args!r}")

    socket.socket.connect = blocked
    socket.socket.connect_ex = blocked
    socket.socket.sendto = blocked
    socket.create_connection = blocked
    socket.getaddrinfo = blocked
    """
)

EXERCISE = textwrap.dedent(
    """
    import numpy as np
    import torch
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib import (autograd, data, gradcheck, hessian, layers, losses, optim, plots,
                            schedules, surfaces, training)

    torch.set_num_threads(1)
    training.set_seed(0)
    training.get_device()

    X, y = data.load_digits()
    Xd, yd, _ = data.load_diabetes()
    Xm, ym = data.make_moons(n_samples=64, seed=0)
    data.make_spirals(seed=0)
    data.make_blobs(seed=0)
    splits = data.train_val_test_split(Xm, ym, seed=0)
    list(data.minibatches(Xm, ym, batch_size=16, rng=np.random.default_rng(0)))

    w, x = autograd.Value(0.5), autograd.Value(-1.2)
    out = 1 / (1 + (-(w * x)).exp())
    out.backward()
    plt.close(autograd.draw_graph(out))

    f = lambda t: (t ** 2).sum() + t[0] * t[1]
    hessian.classify_critical_point(hessian.hessian(f, np.array([0.3, -0.2])))
    hessian.finite_difference_hessian(f, np.array([0.3, -0.2]))

    net = layers.Sequential(layers.Linear(2, 8, rng=0), layers.BatchNorm1d(8), layers.ReLU(),
                            layers.Linear(8, 2, rng=1))
    logits = net.forward(Xm)
    loss, dlogits = losses.cross_entropy(logits, ym)
    net.backward(dlogits)
    opt = optim.Adam(list(net.params.values()), lr=schedules.cosine(1e-2, T_max=10)(0))
    opt.step(list(net.grads.values()))
    gradcheck.numerical_gradient(lambda a: float((a ** 2).sum()), np.ones(3))

    ax = plots.contour_with_paths(surfaces.Rosenbrock(), {"start": np.array([[-1.0, 1.0]])})
    plt.close("all")

    model = torch.nn.Linear(2, 2).double()
    loader = [(torch.tensor(Xm), torch.tensor(ym))]
    training.fit(model, loader, torch.nn.functional.cross_entropy,
                 torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=False)

    from course_lib.homework import load_assignment
    assert load_assignment("hw01").evaluate("q2", lambda d, x: d * (x > 0)).status == "passed"
    """
)


def run_guarded(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    script = GUARD + code + "\nassert not attempts, attempts\nprint('ok')\n"
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )


def test_socket_guard_blocks_a_connection():
    result = run_guarded("socket.create_connection(('127.0.0.1', 9))\n")
    assert result.returncode != 0
    assert "network access attempted" in result.stderr


def test_course_lib_imports_and_runs_with_the_network_blocked():
    result = run_guarded(EXERCISE)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
