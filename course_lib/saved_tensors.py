"""What autograd keeps for the backward pass, counted (lecture 01, section 10).

Every backward rule needs values of the forward pass: a product its inputs, ``tanh`` and
``exp`` their outputs. PyTorch saves those tensors when the forward pass runs and frees them
after the backward pass. :class:`SavedTensors` watches the saving through
``torch.autograd.graph.saved_tensors_hooks`` and adds up the distinct tensors' bytes, so a
notebook can measure, in one ``with`` block, what storing the activations costs in memory:

    with SavedTensors(exclude=weights) as saved:
        loss = model(x).sum()
    saved.nbytes, saved.count

Public names:
    SavedTensors: context manager counting the distinct tensors saved for backward.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


def _storage(tensor: torch.Tensor) -> tuple[int, int]:
    """The address and size in bytes of the memory block behind ``tensor``: a tensor saved
    twice, or two views of one block, hold that memory once."""
    storage = tensor.untyped_storage()
    return storage.data_ptr(), storage.nbytes()


class SavedTensors(torch.autograd.graph.saved_tensors_hooks):
    """Count the distinct tensors autograd saves for the backward pass inside the block.

    Args:
        exclude: tensors not to count, e.g. the parameters, which exist anyway; an iterable
            of ``torch.Tensor``. A saved tensor is excluded when it lives in the memory
            block of one of them.

    Attributes (read them after or inside the ``with`` block):
        nbytes: total bytes of the memory blocks behind the saved tensors, an int. A tensor
            saved twice (say, one layer's output and the next layer's input), or two views
            of one block, count once.
        count: how many distinct memory blocks were saved, an int.

    The tensors themselves are passed through unchanged: the backward pass works as
    without the hooks. PyTorch counterpart: the hooks themselves,
    ``torch.autograd.graph.saved_tensors_hooks(pack, unpack)``.
    """

    def __init__(self, exclude: Iterable[torch.Tensor] = ()) -> None:
        if isinstance(exclude, torch.Tensor):
            exclude = [exclude]
        try:
            excluded = list(exclude)
        except TypeError as exc:
            raise TypeError(
                f"exclude must be an iterable of tensors, got {type(exclude).__name__}"
            ) from exc
        for i, tensor in enumerate(excluded):
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"exclude[{i}] must be a torch.Tensor, got {type(tensor).__name__}")
        self._skip = {_storage(tensor)[0] for tensor in excluded}
        self._seen: dict[int, int] = {}
        super().__init__(self._pack, self._unpack)

    def _pack(self, tensor: torch.Tensor) -> torch.Tensor:
        address, nbytes = _storage(tensor)
        if address not in self._skip:
            self._seen[address] = nbytes
        return tensor

    @staticmethod
    def _unpack(tensor: Any) -> Any:
        return tensor

    def __enter__(self) -> SavedTensors:
        super().__enter__()
        return self

    @property
    def nbytes(self) -> int:
        return sum(self._seen.values())

    @property
    def count(self) -> int:
        return len(self._seen)
