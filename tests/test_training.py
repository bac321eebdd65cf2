"""course_lib.training against hand-written PyTorch loops on tiny float64 models."""

from __future__ import annotations

import copy
import io
import random
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import data, training

torch.set_num_threads(1)


def tensors(X, y):
    return torch.tensor(X), torch.tensor(y)


def as_batches(X, y, batch_size):
    return [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]


def small_mlp(seed, n_in=2, n_out=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 8), nn.Tanh(), nn.Linear(8, n_out)).double()


def fit_quietly(model, loader, loss_fn, lr=0.1, **kwargs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return training.fit(model, loader, loss_fn, optimizer, progress=False, **kwargs)


@pytest.mark.parametrize("seed", [0, 7, 2**32 - 1])
def test_set_seed_makes_python_numpy_and_torch_reproducible(seed):
    def draw():
        return random.random(), np.random.rand(3), torch.rand(3)  # noqa: NPY002

    training.set_seed(seed)
    first = draw()
    training.set_seed(seed)
    again = draw()
    training.set_seed(seed + 1 if seed < 2**32 - 1 else 0)
    other = draw()
    assert first[0] == again[0] and first[0] != other[0]
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    assert torch.equal(first[2], again[2]) and not torch.equal(first[2], other[2])
    assert training.set_seed(seed) is None


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    device = training.get_device()
    assert isinstance(device, torch.device) and device.type == expected


def test_get_device_without_patching_returns_a_device_that_computes():
    device = training.get_device()
    x = torch.arange(6.0).reshape(2, 3)
    assert torch.equal((x.to(device) @ x.T.to(device)).cpu(), x @ x.T)
    if not (torch.cuda.is_available() or torch.backends.mps.is_available()):
        assert device == torch.device("cpu")


def test_fit_and_evaluate_move_the_model_and_every_batch_to_the_device(monkeypatch):
    # The meta device has shapes but no data and refuses to mix with CPU tensors, so fit
    # runs there only if the model and every batch (inputs and targets) are moved. Reading
    # a number (.item()) needs data: it reads 0 on meta here.
    real_item = torch.Tensor.item
    monkeypatch.setattr(torch.Tensor, "item", lambda t: 0.0 if t.is_meta else real_item(t))
    X, y = tensors(*data.make_moons(n_samples=20, seed=0))
    batches = as_batches(X, y, 5)  # on the CPU
    # Moving to meta makes new parameter objects (CPU to GPU keeps them): so the optimizer
    # is built after the move, as fit's docstring asks whenever the device changes.
    model = small_mlp(0, n_out=2).to("meta")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = training.fit(
        model, batches, F.cross_entropy, optimizer, epochs=2, val_loader=batches,
        patience=1, progress=False, device="meta",
    )  # fmt: skip
    assert len(history.train_loss) == len(history.val_loss) == 2
    momentum = [state["momentum_buffer"] for state in optimizer.state.values()]
    assert len(momentum) == 4
    assert all(t.is_meta for t in [*model.parameters(), *momentum])
    assert training.evaluate(model, batches, F.cross_entropy)["loss"] == 0.0
    with pytest.raises(RuntimeError, match="meta"):  # the negative control: a CPU batch
        model(X)


def test_fit_learns_a_linearly_separable_set():
    X, y = tensors(*data.make_blobs(n_samples=200, centers=2, std=1.0, seed=0))
    torch.manual_seed(0)
    model = nn.Linear(2, 2).double()
    history = fit_quietly(model, as_batches(X, y, 32), F.cross_entropy, epochs=15)
    assert len(history.train_loss) == 15 and history.train_loss[-1] < 0.3 * history.train_loss[0]
    assert history.train_accuracy[-1] >= 0.98
    with torch.no_grad():
        assert (model(X).argmax(dim=1) == y).double().mean() >= 0.98
    assert history.val_loss == [] and history.best_epoch is None and history.stopped_epoch is None


@pytest.mark.parametrize(("batch_size", "momentum"), [(16, 0.0), (7, 0.9), (60, 0.5)])
def test_fit_history_matches_a_hand_written_loop(batch_size, momentum):
    X, y = tensors(*data.make_spirals(n_per_class=20, n_classes=3, seed=1))
    X_val, y_val = tensors(*data.make_spirals(n_per_class=10, n_classes=3, seed=2))
    train_batches = as_batches(X, y, batch_size)
    model = small_mlp(0)
    reference = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=momentum)
    history = training.fit(
        model,
        train_batches,
        nn.CrossEntropyLoss(),
        optimizer,
        epochs=3,
        val_loader=as_batches(X_val, y_val, 13),
        progress=False,
    )

    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.2, momentum=momentum)
    expected = {"train_loss": [], "train_accuracy": [], "val_loss": [], "val_accuracy": []}
    for _ in range(3):
        loss_sum, correct = 0.0, 0
        for xb, yb in train_batches:
            ref_opt.zero_grad()
            out = reference(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            ref_opt.step()
            loss_sum += loss.item() * len(yb)
            correct += (out.argmax(1) == yb).sum().item()
        expected["train_loss"].append(loss_sum / len(y))
        expected["train_accuracy"].append(correct / len(y))
        with torch.no_grad():
            out = reference(X_val)  # one full batch: a different summation order
        expected["val_loss"].append(F.cross_entropy(out, y_val).item())
        expected["val_accuracy"].append((out.argmax(1) == y_val).double().mean().item())

    for key, values in expected.items():
        np.testing.assert_allclose(getattr(history, key), values, rtol=1e-12, err_msg=key)
    for ours, ref in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    assert history.best_epoch == int(np.argmin(expected["val_loss"]))
    assert model.training


def test_fit_with_a_shuffling_dataloader_is_reproducible_after_set_seed():
    X, y = tensors(*data.make_moons(n_samples=64, seed=0))
    dataset = torch.utils.data.TensorDataset(X, y)

    def run():
        training.set_seed(3)
        loader = torch.utils.data.DataLoader(dataset, batch_size=10, shuffle=True)
        return fit_quietly(small_mlp(1, n_out=2), loader, F.cross_entropy, epochs=3)

    assert run().as_dict() == run().as_dict()


def test_fit_draws_the_same_random_numbers_as_a_hand_written_loop():
    # Shuffling loaders (one without its own generator) and dropout: fit must not start
    # extra iterations, or the batches and dropout masks would differ from the hand loop.
    X, y = tensors(*data.make_moons(n_samples=64, seed=0))
    train_set = torch.utils.data.TensorDataset(X[:48], y[:48])
    val_set = torch.utils.data.TensorDataset(X[48:], y[48:])

    def setup():
        training.set_seed(5)
        model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
        train = torch.utils.data.DataLoader(train_set, batch_size=8, shuffle=True)
        val = torch.utils.data.DataLoader(val_set, batch_size=8, shuffle=True)
        return model.double(), train, val, torch.optim.SGD(model.parameters(), lr=0.1)

    model, train, val, optimizer = setup()
    expected = []
    for _ in range(3):
        model.train()
        for inputs, targets in train:
            optimizer.zero_grad()
            F.cross_entropy(model(inputs), targets).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            total = sum(F.cross_entropy(model(a), b).item() * len(b) for a, b in val)
        expected.append(total / len(val_set))
    state_after_loop = torch.random.get_rng_state()

    model, train, val, optimizer = setup()
    history = training.fit(
        model, train, F.cross_entropy, optimizer, epochs=3, val_loader=val, progress=False
    )
    assert history.val_loss == pytest.approx(expected, rel=1e-12)
    assert torch.equal(torch.random.get_rng_state(), state_after_loop)


def test_fit_accepts_numpy_batches():
    X, y = data.make_moons(n_samples=40, seed=0)
    history = fit_quietly(small_mlp(0, n_out=2), as_batches(X, y, 8), F.cross_entropy, epochs=2)
    assert len(history.train_accuracy) == 2


def overfitting_setup():
    """Train on separable blobs; validate on the same points with flipped labels.

    Learning the training labels necessarily makes the validation loss worse, so early
    stopping must trigger.
    """
    X, y = tensors(*data.make_blobs(n_samples=60, centers=2, std=1.0, seed=4))
    torch.manual_seed(0)
    model = nn.Linear(2, 2).double()
    return model, as_batches(X, y, 20), [(X, 1 - y)]


@pytest.mark.parametrize("patience", [1, 3])
def test_early_stopping_stops_and_restores_the_best_weights(patience):
    model, train, val = overfitting_setup()
    history = fit_quietly(
        model, train, F.cross_entropy, epochs=50, val_loader=val, patience=patience
    )
    val_loss = np.array(history.val_loss)
    assert history.best_epoch == int(np.argmin(val_loss))
    assert history.stopped_epoch == history.best_epoch + patience == len(val_loss) - 1 < 49
    restored = training.evaluate(model, val, F.cross_entropy)["loss"]
    assert restored == pytest.approx(val_loss[history.best_epoch], rel=1e-12)
    assert restored < val_loss[-1] - 1e-3


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, train, val = overfitting_setup()
    history = fit_quietly(
        model, train, F.cross_entropy, epochs=50, val_loader=val, patience=2, restore_best=False
    )
    final = training.evaluate(model, val, F.cross_entropy)["loss"]
    assert final == pytest.approx(history.val_loss[-1], rel=1e-12)
    assert final > min(history.val_loss) + 1e-3


def test_without_patience_all_epochs_run_and_the_model_keeps_its_final_weights():
    model, train, val = overfitting_setup()
    history = fit_quietly(model, train, F.cross_entropy, epochs=6, val_loader=val)
    assert len(history.val_loss) == 6 and history.stopped_epoch is None
    final = training.evaluate(model, val, F.cross_entropy)["loss"]
    assert final == pytest.approx(history.val_loss[-1], rel=1e-12)


def test_patience_never_triggered_when_validation_keeps_improving():
    X, y = tensors(*data.make_blobs(n_samples=60, centers=2, seed=4))
    torch.manual_seed(0)
    model = nn.Linear(2, 2).double()
    batches = as_batches(X, y, 20)
    history = fit_quietly(
        model, batches, F.cross_entropy, lr=0.01, epochs=5, val_loader=batches, patience=1
    )
    assert history.stopped_epoch is None and history.best_epoch == 4
    assert np.all(np.diff(history.val_loss) < 0)


class ModeRecorder(nn.Module):
    """A linear layer that remembers whether it was in train mode and under no_grad."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2).double()
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.linear(x)


def test_fit_trains_in_train_mode_and_validates_in_eval_mode_without_grad():
    X, y = tensors(*data.make_moons(n_samples=20, seed=0))
    model = ModeRecorder()
    model.eval()
    fit_quietly(model, as_batches(X, y, 10), F.cross_entropy, epochs=2, val_loader=[(X, y)])
    per_epoch = [(True, True), (True, True), (False, False)]
    assert model.calls == per_epoch * 2


@pytest.mark.parametrize("was_training", [True, False])
def test_evaluate_uses_eval_mode_and_restores_the_previous_mode(was_training):
    X, y = tensors(*data.make_moons(n_samples=30, seed=0))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Dropout(0.5), nn.Linear(16, 2)).double()
    model.train(was_training)
    metrics = training.evaluate(model, as_batches(X, y, 7), nn.CrossEntropyLoss())
    assert model.training == was_training and all(m.training == was_training for m in model)
    with torch.no_grad():
        out = model[2](model[0](X))  # dropout is the identity in eval mode
    assert metrics["loss"] == pytest.approx(F.cross_entropy(out, y).item(), rel=1e-12)
    assert metrics["accuracy"] == pytest.approx((out.argmax(1) == y).double().mean().item())
    assert all(p.grad is None for p in model.parameters())


def test_evaluate_restores_the_mode_even_when_the_loss_fails():
    model = nn.Linear(2, 2).double()

    def broken_loss(out, target):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        training.evaluate(model, [(torch.zeros(1, 2).double(), torch.zeros(1))], broken_loss)
    assert model.training


def test_regression_targets_record_no_accuracy():
    X, y, _ = data.make_regression(n_samples=40, n_features=2, seed=0)
    X, y = torch.tensor(X), torch.tensor(y)[:, None]
    torch.manual_seed(0)
    model = nn.Linear(2, 1).double()
    batches = as_batches(X, y, 10)
    history = fit_quietly(model, batches, F.mse_loss, epochs=3, val_loader=batches)
    assert len(history.train_loss) == len(history.val_loss) == 3
    assert history.train_accuracy == [] and history.val_accuracy == []
    metrics = training.evaluate(model, batches, F.mse_loss)
    assert set(metrics) == {"loss"}
    with torch.no_grad():
        assert metrics["loss"] == pytest.approx(F.mse_loss(model(X), y).item(), rel=1e-12)


def test_history_as_dict_lists_every_field():
    history = training.History(train_loss=[1.0], best_epoch=0)
    assert history.as_dict() == {
        "train_loss": [1.0],
        "val_loss": [],
        "train_accuracy": [],
        "val_accuracy": [],
        "best_epoch": 0,
        "stopped_epoch": None,
    }


def moons_fit(progress, epochs=3, **kwargs):
    X, y = tensors(*data.make_moons(n_samples=20, seed=0))
    batches = as_batches(X, y, 10)
    model = small_mlp(0, n_out=2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return training.fit(
        model, batches, F.cross_entropy, optimizer, epochs=epochs, progress=progress, **kwargs
    )


@pytest.mark.parametrize("progress", [False, None])
def test_progress_off_prints_nothing(capsys, progress):
    moons_fit(progress)  # under capsys stderr is not a terminal, so None means off
    assert capsys.readouterr() == ("", "")


def test_progress_true_draws_one_line_on_stderr(capsys):
    moons_fit(True, epochs=4)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\r") == 4 and err.endswith("\n") and err.count("\n") == 1
    assert "epoch 4/4" in err and "train_loss" in err


def test_progress_auto_draws_when_stderr_is_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    moons_fit(None, epochs=2)
    assert "epoch 2/2" in terminal.getvalue()


def test_progress_reports_early_stopping(capsys):
    model, train, val = overfitting_setup()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    training.fit(
        model,
        train,
        F.cross_entropy,
        optimizer,
        epochs=50,
        val_loader=val,
        patience=1,
        progress=True,
    )
    assert "early stop" in capsys.readouterr().err


def test_fit_moves_the_model_to_the_requested_device():
    history = moons_fit(False, epochs=1, device="cpu")
    assert len(history.train_loss) == 1


def one_shot():
    yield torch.zeros(2, 2).double(), torch.zeros(2, dtype=torch.long)


MODEL = nn.Linear(2, 2).double()
BATCHES = [(torch.zeros(2, 2).double(), torch.zeros(2, dtype=torch.long))]
OPT = torch.optim.SGD(MODEL.parameters(), lr=0.1)

BAD_FIT_ARGS = [
    ({"model": "net"}, TypeError, "model"),
    ({"loss_fn": "mse"}, TypeError, "loss_fn"),
    ({"optimizer": 0.1}, TypeError, "optimizer"),
    ({"train_loader": 5}, TypeError, "train_loader"),
    ({"train_loader": one_shot()}, TypeError, "train_loader"),
    ({"train_loader": []}, ValueError, "train_loader"),
    ({"train_loader": [torch.zeros(2, 2)]}, ValueError, "train_loader"),
    ({"val_loader": one_shot()}, TypeError, "val_loader"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 2.5}, TypeError, "epochs"),
    ({"patience": 0, "val_loader": BATCHES}, ValueError, "patience"),
    ({"patience": 2}, ValueError, "patience"),
    ({"restore_best": "yes"}, TypeError, "restore_best"),
    ({"progress": 1}, TypeError, "progress"),
    ({"device": "no-such-device"}, ValueError, "device"),
    ({"loss_fn": lambda out, t: F.cross_entropy(out, t, reduction="none")}, ValueError, "loss_fn"),
]


@pytest.mark.parametrize(
    ("overrides", "error", "match"), BAD_FIT_ARGS, ids=[m for _, _, m in BAD_FIT_ARGS]
)
def test_fit_bad_input_raises_naming_the_argument(overrides, error, match):
    args = {
        "model": MODEL,
        "train_loader": BATCHES,
        "loss_fn": F.cross_entropy,
        "optimizer": OPT,
        "epochs": 1,
        "progress": False,
        **overrides,
    }
    with pytest.raises(error, match=match):
        training.fit(**args)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((None, BATCHES, F.cross_entropy), TypeError, "model"),
        ((MODEL, 3, F.cross_entropy), TypeError, "loader"),
        ((MODEL, [], F.cross_entropy), ValueError, "loader"),
        ((MODEL, BATCHES, None), TypeError, "loss_fn"),
    ],
)
def test_evaluate_bad_input_raises_naming_the_argument(args, error, match):
    with pytest.raises(error, match=match):
        training.evaluate(*args)


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), (2**32, ValueError), (1.0, TypeError)]
)
def test_set_seed_bad_input_raises_naming_the_argument(seed, error):
    with pytest.raises(error, match="seed"):
        training.set_seed(seed)
