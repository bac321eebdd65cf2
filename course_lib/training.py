"""A small training loop for ``torch.nn`` models (lecture 07; used from lecture 02 on).

The loop is the one every PyTorch program writes by hand; lecture 07 builds it step by step
and then uses ``fit`` so later code stays short::

    for inputs, targets in train_loader:
        optimizer.zero_grad()                      # forget the previous batch's gradients
        loss = loss_fn(model(inputs), targets)     # forward pass
        loss.backward()                            # backward pass: fill p.grad
        optimizer.step()                           # update the parameters

Public names:
    set_seed: seed Python's, NumPy's and PyTorch's random generators.
    get_device: the best available device (CUDA, then Apple MPS, then CPU).
    History: per-epoch losses and accuracies recorded by ``fit``.
    fit: train for some epochs, with optional validation and early stopping.
    evaluate: mean loss (and accuracy) of a model over a data loader.

Accuracy is recorded only for classification: when the model's output has shape (N, C)
and the targets are class indices (integer dtype, e.g. ``torch.long``) of shape (N,).
"""

from __future__ import annotations

import copy
import random
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from course_lib._validation import check_int

Loader = Iterable[tuple[Any, Any]]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and CUDA).

    It does not set the number of threads (notebooks call ``torch.set_num_threads``) and
    does not turn on ``torch.use_deterministic_algorithms``: on CPU the course's results
    repeat exactly; some GPU kernels may still differ in the last digits between runs.

    Args:
        seed: an integer in [0, 2**32).
    """
    seed = check_int(seed, "seed", low=0)
    if seed >= 2**32:
        raise ValueError(f"seed must be < 2**32 (NumPy's limit), got {seed}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- seeding the legacy global RNG is the point
    torch.manual_seed(seed)  # seeds CUDA too when it is present
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def get_device() -> torch.device:
    """Return ``cuda`` if a CUDA GPU is available, else ``mps`` (Apple GPU), else ``cpu``."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass
class History:
    """What ``fit`` recorded, one entry per completed epoch.

    Attributes:
        train_loss: mean training loss of each epoch, averaged over examples while the
            weights were being updated (batches weighted by their size).
        val_loss: mean validation loss after each epoch; empty without a ``val_loader``.
        train_accuracy: fraction of correctly classified training examples per epoch;
            empty when the task is not classification (see the module docstring).
        val_accuracy: the same on the validation set.
        best_epoch: index (into the lists above, 0-based) of the lowest validation loss,
            or None without a ``val_loader``.
        stopped_epoch: index of the epoch after which early stopping ended training, or
            None if all requested epochs ran.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (lists copied)."""
        return asdict(self)


def _check_loader(loader: Any, name: str, *, reusable: bool) -> None:
    """Reject what is not a batch iterable, without iterating: starting an iteration over a
    ``DataLoader`` draws a random number, which would change the batches and dropout masks
    of the training that follows."""
    if isinstance(loader, Iterator):
        if reusable:
            raise TypeError(
                f"{name} is a one-shot iterator (e.g. a generator) and would be empty after "
                f"the first epoch; pass a list of batches or a torch DataLoader"
            )
        return
    if not isinstance(loader, Iterable) and not hasattr(type(loader), "__getitem__"):
        raise TypeError(
            f"{name} must be an iterable of (inputs, targets) batches, got {type(loader).__name__}"
        )


def _check_common(model: Any, loss_fn: Any, device: Any) -> torch.device | None:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (e.g. nn.CrossEntropyLoss()), got {loss_fn!r}")
    if device is None:
        return None
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be None or a torch device such as 'cpu', got {device!r}"
        ) from None


def _model_device(model: torch.nn.Module) -> torch.device | None:
    # A model without parameters has no device; its inputs are then left where they are.
    param = next(model.parameters(), None)
    return None if param is None else param.device


def _to(x: Any, device: torch.device | None) -> torch.Tensor:
    x = torch.as_tensor(x)
    return x if device is None else x.to(device)


def _run_epoch(
    model: torch.nn.Module,
    loader: Loader,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer | None,
    name: str,
) -> tuple[float, float | None]:
    """One pass over ``loader``; trains when ``optimizer`` is given, else only measures.

    Returns the example-weighted mean loss and the accuracy (None unless classification).
    """
    device = _model_device(model)
    total_loss, n_seen, n_correct, classification = 0.0, 0, 0, True
    for batch in loader:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError(f"{name} must yield (inputs, targets) pairs, got {type(batch)}")
        inputs, targets = _to(batch[0], device), _to(batch[1], device)
        if optimizer is not None:
            optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        if not (isinstance(loss, torch.Tensor) and loss.ndim == 0):
            raise ValueError("loss_fn must return a scalar tensor (use reduction='mean')")
        if optimizer is not None:
            loss.backward()
            optimizer.step()
        batch_n = len(targets)
        total_loss += loss.item() * batch_n
        n_seen += batch_n
        classification = classification and _is_classification(outputs, targets)
        if classification:
            n_correct += (outputs.argmax(dim=1) == targets).sum().item()
    if n_seen == 0:
        raise ValueError(f"{name} yielded no examples")
    return total_loss / n_seen, (n_correct / n_seen if classification else None)


def _is_classification(outputs: torch.Tensor, targets: torch.Tensor) -> bool:
    integer_targets = not (targets.is_floating_point() or targets.is_complex())
    return integer_targets and targets.ndim == 1 and outputs.ndim == 2


def evaluate(
    model: torch.nn.Module, loader: Loader, loss_fn: LossFn, *, device: Any = None
) -> dict[str, float]:
    """Mean loss (and accuracy for classification) of ``model`` over ``loader``.

    Runs in eval mode (dropout off, batch norm uses running statistics) under
    ``torch.no_grad()``, then puts the model back in the train/eval mode it was in.

    Args:
        model: a ``torch.nn.Module``.
        loader: iterable of ``(inputs, targets)`` batches: inputs (B, ...), targets (B, ...).
        loss_fn: ``loss_fn(outputs, targets)`` returning the batch's mean loss (a scalar).
        device: move the model there first; None keeps the model where it is. Batches are
            always moved to the model's device.

    Returns:
        ``{"loss": float}``, the example-weighted mean loss, plus ``"accuracy"`` (a fraction
        in [0, 1]) when the task is classification.
    """
    device = _check_common(model, loss_fn, device)
    _check_loader(loader, "loader", reusable=False)
    if device is not None:
        model.to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            loss, accuracy = _run_epoch(model, loader, loss_fn, None, "loader")
    finally:
        model.train(was_training)
    return {"loss": loss} if accuracy is None else {"loss": loss, "accuracy": accuracy}


def fit(
    model: torch.nn.Module,
    train_loader: Loader,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int = 10,
    val_loader: Loader | None = None,
    patience: int | None = None,
    restore_best: bool = True,
    progress: bool | None = None,
    device: Any = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Each batch: ``optimizer.zero_grad()``, forward, ``loss_fn``, ``backward()``,
    ``optimizer.step()``, with the model in train mode. After each epoch the validation set
    (if any) is measured with ``evaluate`` (eval mode, no gradients).

    Early stopping (``patience`` given): training ends once the validation loss has not
    improved (strictly decreased) for ``patience`` consecutive epochs; with ``restore_best``
    the model then gets back the weights of its best-validation epoch, also when all
    epochs ran. Without ``patience`` the model keeps its final weights.

    Args:
        model: a ``torch.nn.Module``; left in train mode.
        train_loader: re-iterable of ``(inputs, targets)`` batches, e.g. a
            ``torch.utils.data.DataLoader`` or a list of tensor pairs; inputs (B, ...),
            targets (B,) class indices or (B, ...) regression targets.
        loss_fn: ``loss_fn(outputs, targets)`` returning the batch's MEAN loss, a scalar
            tensor (``nn.CrossEntropyLoss()``, ``nn.functional.mse_loss``, ...).
        optimizer: a ``torch.optim`` optimizer over ``model.parameters()``.
        epochs: maximum number of epochs, >= 1.
        val_loader: batches for validation, or None.
        patience: epochs without improvement before stopping (>= 1), or None for no early
            stopping. Requires ``val_loader``.
        restore_best: with early stopping, end with the best validation weights.
        progress: None prints a one-line progress bar to stderr only when stderr is a
            terminal; True always; False never (nothing is printed at all).
        device: move the model there first (create the optimizer after moving if the
            device changes); None keeps the model where it is. Batches follow the model.

    Returns:
        A ``History`` with one entry per epoch that ran.
    """
    device = _check_common(model, loss_fn, device)
    if not (callable(getattr(optimizer, "step", None)) and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"optimizer must be a torch.optim optimizer, got {type(optimizer)}")
    _check_loader(train_loader, "train_loader", reusable=True)
    if val_loader is not None:
        _check_loader(val_loader, "val_loader", reusable=True)
    epochs = check_int(epochs, "epochs", low=1)
    if patience is not None:
        patience = check_int(patience, "patience", low=1)
        if val_loader is None:
            raise ValueError("patience (early stopping) requires a val_loader to watch")
    if not isinstance(restore_best, bool):
        raise TypeError(f"restore_best must be True or False, got {restore_best!r}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be None, True or False, got {progress!r}")
    if device is not None:
        model.to(device)
    show = sys.stderr.isatty() if progress is None else progress
    bar = _ProgressBar(epochs) if show else None

    history, best_loss, best_state = History(), float("inf"), None
    for epoch in range(epochs):
        model.train()
        loss, accuracy = _run_epoch(model, train_loader, loss_fn, optimizer, "train_loader")
        history.train_loss.append(loss)
        if accuracy is not None:
            history.train_accuracy.append(accuracy)
        if val_loader is not None:
            metrics = evaluate(model, val_loader, loss_fn)
            history.val_loss.append(metrics["loss"])
            if "accuracy" in metrics:
                history.val_accuracy.append(metrics["accuracy"])
            if metrics["loss"] < best_loss:
                best_loss, history.best_epoch = metrics["loss"], epoch
                if patience is not None and restore_best:
                    best_state = copy.deepcopy(model.state_dict())
        if bar is not None:
            bar.update(history)
        if patience is not None and epoch - (history.best_epoch or 0) >= patience:
            history.stopped_epoch = epoch
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if bar is not None:
        bar.close(history)
    return history


class _ProgressBar:
    """One line on stderr, redrawn with a carriage return after every epoch."""

    def __init__(self, epochs: int, width: int = 20) -> None:
        self.epochs, self.width, self.last_length = epochs, width, 0

    def update(self, history: History) -> None:
        done = len(history.train_loss)
        filled = round(self.width * done / self.epochs)
        text = f"epoch {done}/{self.epochs} [{'#' * filled}{'.' * (self.width - filled)}]"
        for name in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
            values = getattr(history, name)
            if values:
                text += f" {name} {values[-1]:.4f}"
        # Pad so a shorter line fully covers the previous one.
        sys.stderr.write("\r" + text.ljust(self.last_length))
        sys.stderr.flush()
        self.last_length = len(text)

    def close(self, history: History) -> None:
        if history.stopped_epoch is not None:
            sys.stderr.write(f" (early stop, best epoch {history.best_epoch + 1})")
        sys.stderr.write("\n")
        sys.stderr.flush()
