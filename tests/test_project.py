"""course_lib.project (lecture 07's digits project) against loops, references and reruns."""

from __future__ import annotations

import runpy
import sys

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.data import load_digits
from course_lib.project import dataset, model, train

torch.set_num_threads(1)

MOVES = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def shifted_by_loop(image, dy, dx):
    """out[i, j] = image[i - dy, j - dx] where that pixel exists, else 0."""
    height, width = image.shape
    out = np.zeros_like(image)
    for i in range(height):
        for j in range(width):
            if 0 <= i - dy < height and 0 <= j - dx < width:
                out[i, j] = image[i - dy, j - dx]
    return out


@pytest.mark.parametrize(("dy", "dx"), [*MOVES, (2, -3), (-4, 0)])
def test_shift_matches_its_definition_for_arrays_and_tensors(dy, dx):
    image = np.random.default_rng(0).random((5, 7))
    expected = shifted_by_loop(image, dy, dx)
    np.testing.assert_array_equal(dataset.shift(image, dy, dx), expected)
    batch = torch.tensor(np.stack([image, 2 * image]))[:, None]  # (2, 1, 5, 7)
    out = dataset.shift(batch, dy, dx)
    assert isinstance(out, torch.Tensor) and out.shape == batch.shape
    np.testing.assert_array_equal(out[1, 0].numpy(), 2 * expected)
    assert np.array_equal(batch[0, 0].numpy(), image)  # the input is left as it was


def small_digits(n=40, augment=False, seed=0):
    X, y = load_digits()
    return dataset.DigitsDataset(X[:n], y[:n], augment=augment, seed=seed)


def test_digits_dataset_items_and_batches():
    X, y = load_digits()
    data = small_digits()
    image, label = data[3]
    assert len(data) == 40 and image.shape == (1, 8, 8) and image.dtype == torch.float32
    np.testing.assert_array_equal(image[0].numpy(), X[3].reshape(8, 8).astype(np.float32))
    assert label == y[3] and isinstance(label, int)
    images, labels = next(iter(dataset.make_loader(data, batch_size=16)))
    assert images.shape == (16, 1, 8, 8) and labels.dtype == torch.int64


def test_augmentation_draws_every_move_about_equally_and_keeps_the_label():
    data = small_digits(n=1, augment=True)
    image = data.images[0, 0].numpy()
    candidates = [shifted_by_loop(image, dy, dx) for dy, dx in MOVES]
    counts = np.zeros(len(MOVES))
    for _ in range(1800):
        out, label = data[0]
        matches = [k for k, c in enumerate(candidates) if np.array_equal(out[0].numpy(), c)]
        assert matches and label == data.labels[0]
        counts[matches[0]] += 1
    # 200 expected per move; the binomial standard deviation is about 13.
    assert counts.min() > 140 and counts.max() < 260


def test_splits_are_fixed_stratified_and_disjoint():
    first, again = dataset.digits_splits(), dataset.digits_splits(augment=True, seed=5)
    sizes = [len(part) for part in first]
    assert sizes == [len(part) for part in again] and sum(sizes) == 1797
    for a, b in zip(first, again, strict=True):
        assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert again[0].augment and not again[1].augment and not again[2].augment
    rows = [{tuple(im.flatten().tolist()) for im in part.images} for part in first]
    assert not (rows[1] & rows[2])  # no validation image is also a test image
    for part in first:
        assert np.bincount(part.labels.numpy(), minlength=10).min() > 0.08 * len(part)


def epochs_of_shifts(worker_init_fn, epochs=2, num_workers=2):
    loader = dataset.make_loader(
        small_digits(n=64, augment=True),
        batch_size=16,
        num_workers=num_workers,
        worker_init_fn=worker_init_fn,
    )
    return [torch.cat([images for images, _ in loader]) for _ in range(epochs)]


def test_without_seed_worker_every_epoch_repeats_the_same_shifts():
    first, second = epochs_of_shifts(None)
    assert torch.equal(first, second)


def test_without_seed_worker_the_workers_draw_the_same_shifts():
    # 32 copies of one digit: batch 0 (worker 0) equals batch 1 (worker 1) exactly when the
    # two workers draw the same moves (two different moves never give the same image here).
    X, y = load_digits()
    copies = dataset.DigitsDataset(X[[0] * 32], y[[0] * 32], augment=True)
    for worker_init_fn, expected in ((None, True), (dataset.seed_worker, False)):
        loader = dataset.make_loader(
            copies, batch_size=16, num_workers=2, worker_init_fn=worker_init_fn
        )
        (batch0, _), (batch1, _) = list(loader)
        assert torch.equal(batch0, batch1) == expected


def test_seed_worker_gives_new_shifts_every_epoch_that_repeat_from_run_to_run():
    first, second = epochs_of_shifts(dataset.seed_worker)
    same = (first == second).flatten(1).all(1).float().mean().item()
    assert same < 0.3  # one in nine by chance
    again = epochs_of_shifts(dataset.seed_worker)
    assert torch.equal(first, again[0]) and torch.equal(second, again[1])


def test_the_number_of_workers_is_part_of_the_seed():
    # Each way repeats from run to run, but 0 and 2 workers draw different shifts.
    main, workers = (epochs_of_shifts(dataset.seed_worker, 1, n)[0] for n in (0, 2))
    assert torch.equal(main, epochs_of_shifts(dataset.seed_worker, 1, 0)[0])
    assert not torch.equal(main, workers)


def test_a_loader_with_its_own_generator_ignores_other_random_draws():
    data = small_digits(n=64)

    def order(extra_draw):
        torch.manual_seed(0)
        loader = dataset.make_loader(data, batch_size=64, shuffle=True, seed=3)
        if extra_draw:
            torch.randn(5)
        return next(iter(loader))[1]

    assert torch.equal(order(False), order(True))


def test_cnn_shapes_parameters_and_batch_norm():
    torch.manual_seed(0)
    net = model.DigitsCNN(channels=(4, 6))
    logits = net(torch.rand(5, 1, 8, 8))
    assert logits.shape == (5, 10)
    expected = (9 * 4 + 2 * 4) + (9 * 4 * 6 + 2 * 6) + (6 * 16 * 10 + 10)
    assert sum(p.numel() for p in net.parameters()) == expected
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(norms) == len(convs) == 2 and all(c.bias is None for c in convs)


def test_cnn_forward_equals_the_layers_written_out():
    torch.manual_seed(1)
    net = model.DigitsCNN(channels=(3, 5)).double().eval()
    with torch.no_grad():
        for norm in (net.features[1], net.features[5]):
            norm.running_mean.uniform_(-1, 1)
            norm.running_var.uniform_(0.5, 2)
    x = torch.rand(4, 1, 8, 8, dtype=torch.float64)

    def bn(h, norm):
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        shift = norm.bias - norm.running_mean * scale
        return h * scale[:, None, None] + shift[:, None, None]

    conv1, conv2 = net.features[0], net.features[4]
    h = torch.relu(bn(nn.functional.conv2d(x, conv1.weight, padding=1), net.features[1]))
    h = nn.functional.max_pool2d(h, 2)
    h = torch.relu(bn(nn.functional.conv2d(h, conv2.weight, padding=1), net.features[5]))
    expected = h.flatten(1) @ net.classifier.weight.T + net.classifier.bias
    torch.testing.assert_close(net(x), expected, rtol=1e-12, atol=1e-12)


def hand_written_epoch(net, batches, loss_fn, optimizer):
    net.train()
    total = 0.0
    for inputs, targets in batches:
        optimizer.zero_grad()
        loss = loss_fn(net(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / sum(len(t) for _, t in batches)


def test_train_one_epoch_and_evaluate_match_a_hand_written_loop():
    data = small_digits(n=50)
    batches = [(data.images[i : i + 16], data.labels[i : i + 16]) for i in range(0, 50, 16)]
    nets = []
    for _ in range(2):
        torch.manual_seed(0)
        nets.append(model.DigitsCNN(channels=(4, 6)).double())
    batches = [(x.double(), y) for x, y in batches]
    opts = [torch.optim.SGD(n.parameters(), lr=0.1, momentum=0.9) for n in nets]
    loss_fn = nn.CrossEntropyLoss()
    ours = train.train_one_epoch(nets[0], batches, loss_fn, opts[0], "cpu")
    reference = hand_written_epoch(nets[1], batches, loss_fn, opts[1])
    assert ours.item() == pytest.approx(reference, rel=1e-12)
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert torch.equal(a, b)
    nets[1].eval()
    with torch.no_grad():
        expected = loss_fn(nets[1](torch.cat([x for x, _ in batches])), data.labels).item()
    assert train.evaluate(nets[0], batches, loss_fn, "cpu").item() == pytest.approx(expected)
    assert not nets[0].training


def test_the_loop_moves_every_batch_to_the_device():
    # The meta device has shapes but no data, and refuses to mix with CPU tensors: the loop
    # runs there only if every input and target is moved to it. (The model goes first, and
    # the optimizer is built after: moving to meta makes new parameter objects.)
    data = small_digits(n=48)
    loader = dataset.make_loader(data, batch_size=16, shuffle=True)  # batches on the CPU
    net = model.DigitsCNN(channels=(4, 6)).to("meta")
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2)
    loss = train.train_one_epoch(net, loader, nn.CrossEntropyLoss(), optimizer, "meta")
    assert loss.device.type == "meta" and loss.ndim == 0
    # Adam's moving averages (its step counter is a CPU scalar by design, on every device)
    state = [s[k] for s in optimizer.state.values() for k in ("exp_avg", "exp_avg_sq")]
    assert len(state) == 2 * len(list(net.parameters()))
    tensors = [*net.parameters(), *net.buffers(), *(p.grad for p in net.parameters()), *state]
    assert all(t.device.type == "meta" for t in tensors)
    assert train.evaluate(net, loader, nn.CrossEntropyLoss(), "meta").device.type == "meta"


@pytest.mark.parametrize("function", ["train_one_epoch", "evaluate", "predict"])
def test_the_loop_moves_the_model_to_the_device(monkeypatch, function):
    net = model.DigitsCNN(channels=(4, 6))
    moved_to = []
    real_to = net.to
    monkeypatch.setattr(net, "to", lambda device: moved_to.append(device) or real_to(device))
    batches = [(small_digits(n=8).images, small_digits(n=8).labels)]
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    args = {
        "train_one_epoch": (nn.CrossEntropyLoss(), optimizer),
        "evaluate": (nn.CrossEntropyLoss(),),
    }
    getattr(train, function)(net, batches, *args.get(function, ()), "cpu")
    assert moved_to == ["cpu"]


def test_predict_returns_the_outputs_in_the_loaders_order_on_the_cpu():
    data = small_digits(n=40)
    torch.manual_seed(0)
    net = model.DigitsCNN(channels=(4, 6)).eval()
    logits = train.predict(net, dataset.make_loader(data, batch_size=16), "cpu")
    with torch.no_grad():
        torch.testing.assert_close(logits, net(data.images))
    assert logits.device.type == "cpu"


def test_a_loop_that_forgets_to_move_the_batches_fails_on_meta():
    # The negative control of the test above: the meta device does catch a batch left behind.
    net = model.DigitsCNN(channels=(4, 6)).to("meta")
    images = small_digits(n=8).images
    with pytest.raises(RuntimeError, match="meta"):
        net(images)


def quick(tmp_path, **changes):
    tmp_path.mkdir(exist_ok=True)
    settings = {"epochs": 2, "batch_size": 128, "checkpoint": str(tmp_path / "run.pt")}
    return train.Config(**(settings | changes))


def same_weights(a, b):
    state_a, state_b = a.state_dict(), b.state_dict()
    return state_a.keys() == state_b.keys() and all(
        torch.equal(state_a[k], state_b[k]) for k in state_a
    )


@pytest.mark.parametrize("num_workers", [0, 2])
def test_stopping_and_resuming_gives_the_uninterrupted_run(tmp_path, num_workers):
    full_model, full = train.train(quick(tmp_path / "a", num_workers=num_workers))
    part_model, part = train.train(quick(tmp_path, num_workers=num_workers, stop_after=1))
    assert part["epoch"] == [1]
    resumed_model, resumed = train.train(quick(tmp_path, num_workers=num_workers, resume=True))
    assert resumed == full and resumed["epoch"] == [1, 2]
    assert same_weights(resumed_model, full_model)
    assert not same_weights(part_model, full_model)


def test_a_resumed_run_without_the_random_states_differs(tmp_path, monkeypatch):
    _, full = train.train(quick(tmp_path / "a"))
    train.train(quick(tmp_path, stop_after=1))
    checkpoint = torch.load(tmp_path / "run.pt", weights_only=True)
    checkpoint["rng"] = {
        "torch": torch.manual_seed(0).get_state(),
        "loader": torch.Generator().manual_seed(0).get_state(),
    }
    torch.save(checkpoint, tmp_path / "run.pt")
    _, resumed = train.train(quick(tmp_path, resume=True))
    assert resumed["epoch"] == full["epoch"] and resumed["train_loss"] != full["train_loss"]


# On meta, load_state_dict's copy of the values is a no-op, and PyTorch says so.
@pytest.mark.filterwarnings("ignore:for .*meta parameter:UserWarning")
def test_a_checkpoint_loads_onto_another_device(tmp_path):
    train.train(quick(tmp_path, epochs=1))
    fresh = model.DigitsCNN().to("meta")  # as a run on another device builds it
    optimizer = torch.optim.AdamW(fresh.parameters())
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=2)
    loader = dataset.make_loader(small_digits(n=16, augment=True), batch_size=8, shuffle=True)
    done, history = train.load_checkpoint(
        tmp_path / "run.pt",
        model=fresh,
        optimizer=optimizer,
        scheduler=scheduler,
        loader=loader,
    )
    assert done == 1 and history["epoch"] == [1]
    state = [s[k] for s in optimizer.state.values() for k in ("exp_avg", "exp_avg_sq")]
    assert state and all(t.device.type == "meta" for t in [*fresh.parameters(), *state])
    loss = train.train_one_epoch(fresh, loader, nn.CrossEntropyLoss(), optimizer, "meta")
    assert loss.device.type == "meta"


def test_the_command_line_trains_and_prints_one_line_per_epoch(capsys, tmp_path):
    assert train.main(["--epochs", "2", "--batch-size", "256", "--no-augment"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", "1"], ["epoch", "2"]]


def test_the_module_runs_as_a_script(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["train", "--help"])
    monkeypatch.delitem(sys.modules, "course_lib.project.train")
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("course_lib.project.train", run_name="__main__")
    assert exit_info.value.code == 0 and "--resume" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: dataset.shift([[1.0]], 0, 0), TypeError, "images"),
        (lambda: dataset.shift(np.zeros((3, 3)), 3, 0), ValueError, "dy"),
        (lambda: dataset.shift(np.zeros((3, 3)), 0, 1.0), TypeError, "dx"),
        (lambda: dataset.DigitsDataset(np.zeros((4, 63)), np.zeros(4)), ValueError, "X"),
        (lambda: dataset.DigitsDataset(np.zeros((4, 64)), np.zeros(3)), ValueError, "y"),
        (lambda: dataset.DigitsDataset(np.zeros((1, 64)), [0], augment=1), TypeError, "augment"),
        (lambda: dataset.make_loader(small_digits(), batch_size=0), ValueError, "batch_size"),
        (lambda: dataset.make_loader(small_digits(), 4, num_workers=-1), ValueError, "workers"),
        (lambda: model.DigitsCNN()(torch.zeros(2, 64)), ValueError, "x must"),
        (lambda: train.train(train.Config(resume=True)), ValueError, "checkpoint"),
        (lambda: train.train(train.Config(epochs=0)), ValueError, "epochs"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
