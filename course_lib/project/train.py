"""train.py of the digits project: the loop, evaluation, a resumable checkpoint, a command line.

Lecture 07, section 9. Run ``python -m course_lib.project.train --help``; with no arguments
it trains the CNN of ``model.py`` on the digits of ``dataset.py`` for a few epochs on the
CPU. Public names:
    train_one_epoch: one pass over a loader; the model and every batch go to ``device``.
    evaluate: the mean loss over a loader, in eval mode, without gradients.
    predict: the model's outputs for every example of a loader, on the CPU.
    save_checkpoint, load_checkpoint: everything a run needs to continue where it stopped.
    Config, train, main: the training run and its command line.

The loop sums the losses on the device and returns 0-d tensors: ``loss.item()`` after
every batch would make the CPU wait for the GPU each time; ``float(...)`` once per epoch
waits once.
"""

from __future__ import annotations

import argparse
import dataclasses

import torch
from torch import nn

from course_lib.project.dataset import digits_splits, make_loader
from course_lib.project.model import DigitsCNN


def train_one_epoch(model, loader, loss_fn, optimizer, device) -> torch.Tensor:
    """One pass over ``loader`` in train mode, one optimizer step per batch.

    Args:
        model: an ``nn.Module``; moved to ``device`` (a no-op once it is there: build the
            optimizer after the first move).
        loader: iterable of (inputs (B, ...), targets (B, ...)) batches, on any device.
        loss_fn: ``loss_fn(outputs, targets)`` -> the batch's mean loss.
        optimizer: a ``torch.optim`` optimizer over ``model.parameters()``.
        device: a ``torch.device`` or its name ('cpu', 'cuda', 'mps', 'meta').

    Returns:
        0-d tensor on ``device``: the mean loss over the examples (batches weighted by
        their size).
    """
    model.to(device).train()
    total, count = torch.zeros((), device=device), 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total = total + loss.detach() * len(targets)  # keeps the loss dtype
        count += len(targets)
    return total / count


def evaluate(model, loader, loss_fn, device) -> torch.Tensor:
    """Mean loss of ``model`` over ``loader`` in eval mode under ``torch.no_grad()``.

    Same arguments as ``train_one_epoch`` without the optimizer; returns a 0-d tensor on
    ``device``. The model is left in eval mode.
    """
    model.to(device).eval()
    total, count = torch.zeros((), device=device), 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            total = total + loss_fn(model(inputs), targets) * len(targets)
            count += len(targets)
    return total / count


def predict(model, loader, device) -> torch.Tensor:
    """The outputs of ``model`` for every example of ``loader``, in the loader's order.

    Runs in eval mode without gradients on ``device``; returns the outputs concatenated on
    the CPU, shape (N, ...), e.g. (N, 10) logits.
    """
    model.to(device).eval()
    with torch.no_grad():
        return torch.cat([model(inputs.to(device)).cpu() for inputs, _ in loader])


def save_checkpoint(path, *, model, optimizer, scheduler, epoch, loader, history) -> None:
    """Save what a run needs to continue exactly: the weights, the optimizer's and the
    scheduler's state, the number of finished epochs, the history so far, and every random
    generator the remaining epochs draw from (PyTorch's, the loader's, the dataset's)."""
    rng = {"torch": torch.get_rng_state(), "loader": loader.generator.get_state()}
    if torch.cuda.is_available():  # dropout on a GPU draws from the GPU's generators
        rng["cuda"] = torch.cuda.get_rng_state_all()
    if hasattr(loader.dataset, "rng"):
        rng["dataset"] = loader.dataset.rng.bit_generator.state
    checkpoint = {
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "history": history,
        "rng": rng,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path, *, model, optimizer, scheduler, loader) -> tuple[int, dict]:
    """Restore a checkpoint written by ``save_checkpoint`` into freshly built objects.

    Build them as the interrupted run did, the model already on its device.
    ``map_location="cpu"`` reads every tensor onto the CPU, whatever device wrote it (a
    checkpoint from a GPU opens on a laptop without one); ``load_state_dict`` then copies
    the weights into the model on its device, and the optimizer moves its state next to
    its parameters. Returns ``(epochs finished, history so far)``.
    """
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    rng = checkpoint["rng"]
    torch.set_rng_state(rng["torch"])
    loader.generator.set_state(rng["loader"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    if "dataset" in rng:
        loader.dataset.rng.bit_generator.state = rng["dataset"]
    return checkpoint["epoch"], checkpoint["history"]


@dataclasses.dataclass
class Config:
    """The settings of a run (the command line's options have the same names)."""

    epochs: int = 6
    batch_size: int = 64
    lr: float = 1e-2
    weight_decay: float = 1e-4
    augment: bool = True
    seed: int = 0
    num_workers: int = 0
    device: str = "cpu"
    checkpoint: str | None = None
    resume: bool = False
    stop_after: int | None = None


def train(config: Config) -> tuple[nn.Module, dict]:
    """Train ``DigitsCNN`` on the digits as ``config`` says.

    After every epoch it measures the validation set and, with ``config.checkpoint``,
    saves a checkpoint there; ``config.resume`` continues from that checkpoint;
    ``config.stop_after`` ends the run after that epoch (as if interrupted). The learning
    rate follows a cosine from ``lr`` to 0 over ``epochs`` epochs (lecture 04).

    Returns:
        ``(model, history)``: history has one entry per finished epoch (numbered from 1)
        in ``"epoch"``, ``"train_loss"``, ``"val_loss"`` and ``"val_accuracy"``.
    """
    if config.resume and config.checkpoint is None:
        raise ValueError("resume needs a checkpoint path to resume from")
    if isinstance(config.epochs, bool) or not isinstance(config.epochs, int) or config.epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {config.epochs!r}")
    device = torch.device(config.device)
    torch.manual_seed(config.seed)  # the initial weights
    train_set, val_set, _ = digits_splits(augment=config.augment, seed=config.seed)
    loader = make_loader(
        train_set,
        config.batch_size,
        shuffle=True,
        seed=config.seed,
        num_workers=config.num_workers,
    )
    val_loader = make_loader(val_set, 512)
    model = DigitsCNN().to(device)  # on the device before the optimizer is built
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    loss_fn = nn.CrossEntropyLoss()
    done, history = 0, {"epoch": [], "train_loss": [], "val_loss": [], "val_accuracy": []}
    if config.resume:
        done, history = load_checkpoint(
            config.checkpoint,
            model=model,
            optimizer=optimizer,
            scheduler=scheduler,
            loader=loader,
        )
    for epoch in range(done + 1, config.epochs + 1):
        train_loss = train_one_epoch(model, loader, loss_fn, optimizer, device)
        scheduler.step()
        val_loss = evaluate(model, val_loader, loss_fn, device)
        correct = predict(model, val_loader, device).argmax(1) == val_set.labels
        history["epoch"].append(epoch)
        history["train_loss"].append(float(train_loss))  # waits for the device once
        history["val_loss"].append(float(val_loss))
        history["val_accuracy"].append(correct.float().mean().item())
        if config.checkpoint is not None:
            save_checkpoint(
                config.checkpoint,
                model=model,
                optimizer=optimizer,
                scheduler=scheduler,
                epoch=epoch,
                loader=loader,
                history=history,
            )
        if epoch == config.stop_after:
            break
    return model, history


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m course_lib.project.train [options]``."""
    defaults = Config()
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.project.train",
        description="Train a small CNN on the 8 x 8 digits (lecture 07's project).",
    )
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr, help="peak learning rate")
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument(
        "--no-augment", dest="augment", action="store_false", help="no random pixel shifts"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--num-workers", type=int, default=defaults.num_workers)
    parser.add_argument(
        "--device",
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="cpu, cuda, mps, ... (default: cuda when there is one)",
    )
    parser.add_argument("--checkpoint", help="file to save after every epoch")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--stop-after", type=int, help="stop after this epoch")
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads (a tiny model runs fastest on 1)"
    )
    args = vars(parser.parse_args(argv))
    torch.set_num_threads(args.pop("threads"))
    config = Config(**args)
    _, history = train(config)
    for row in zip(*history.values(), strict=True):
        print("epoch {} train loss {:.4f} val loss {:.4f} val accuracy {:.3f}".format(*row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
