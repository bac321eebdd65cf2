"""course_lib.saved_tensors: the bytes autograd keeps for backward, checked against the graph.

The reference is independent of the hooks: it walks the autograd graph of a separate forward
pass and reads every ``_saved_*`` tensor PyTorch stores on its nodes.
"""

from __future__ import annotations

import pytest
import torch

from course_lib.saved_tensors import SavedTensors


def saved_by_graph(output: torch.Tensor, exclude=()) -> tuple[int, int]:
    """(bytes, count) of the distinct memory blocks saved on the nodes of output's graph."""
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    blocks, stack, visited = {}, [output.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in visited:
            continue
        visited.add(node)
        for name in dir(node):
            if not name.startswith("_saved_"):
                continue
            value = getattr(node, name)
            for tensor in value if isinstance(value, (tuple, list)) else [value]:
                if isinstance(tensor, torch.Tensor):
                    storage = tensor.untyped_storage()
                    if storage.data_ptr() not in skip:
                        blocks[storage.data_ptr()] = storage.nbytes()
        stack.extend(next_node for next_node, _ in node.next_functions)
    return sum(blocks.values()), len(blocks)


def tanh_chain(depth: int, batch: int = 16, width: int = 8, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    weights = [
        torch.randn(width, width, generator=gen, dtype=torch.float64).requires_grad_()
        for _ in range(depth)
    ]
    x = torch.randn(batch, width, generator=gen, dtype=torch.float64)
    return weights, x


def run_chain(weights, x):
    h = x
    for W in weights:
        h = torch.tanh(h @ W)
    return h.sum()


@pytest.mark.parametrize("depth", [1, 3, 7])
def test_a_tanh_chain_holds_its_input_and_every_layer_output(depth):
    weights, x = tanh_chain(depth)
    with SavedTensors(exclude=weights) as saved:
        loss = run_chain(weights, x)
    reference = saved_by_graph(run_chain(weights, x), exclude=weights)
    assert (saved.nbytes, saved.count) == reference
    assert saved.count == depth + 1  # x, h_1, ..., h_depth
    assert saved.nbytes == (depth + 1) * 16 * 8 * 8  # float64 activations of 16 x 8
    loss.backward()  # the saved tensors still serve the backward pass


def test_without_exclude_the_weights_count_too():
    weights, x = tanh_chain(3)
    with SavedTensors() as saved:
        out = run_chain(weights, x)
    assert (saved.nbytes, saved.count) == saved_by_graph(out)
    # W_2 and W_3 serve the gradient of the layer input; x needs no gradient, so W_1 is not kept
    assert saved.nbytes == 4 * 16 * 8 * 8 + 2 * 8 * 8 * 8


def test_a_tensor_saved_twice_counts_once():
    x = torch.randn(5, 3, requires_grad=True)
    with SavedTensors() as saved:
        y = x * x  # the product saves x as both of its inputs
    assert y.grad_fn is not None and saved.count == 1 and saved.nbytes == 5 * 3 * 4
    assert (saved.nbytes, saved.count) == saved_by_graph(x * x)


def test_a_small_network_matches_the_graph_and_its_gradients():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    x, y = torch.randn(4, 6), torch.tensor([0, 2, 1, 2])
    params = list(net.parameters())

    def loss_fn():
        return torch.nn.functional.cross_entropy(net(x), y)

    expected = torch.autograd.grad(loss_fn(), params)
    with SavedTensors(exclude=params) as saved:
        loss = loss_fn()
    assert (saved.nbytes, saved.count) == saved_by_graph(loss_fn(), exclude=params)
    assert saved.count > 0
    for got, want in zip(torch.autograd.grad(loss, params), expected, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_nothing_is_counted_outside_the_block_or_without_grad():
    x = torch.randn(3, requires_grad=True)
    with SavedTensors() as saved, torch.no_grad():
        torch.exp(x)
    torch.exp(x)  # after the block
    assert saved.count == 0 and saved.nbytes == 0


@pytest.mark.parametrize(
    ("exclude", "match"),
    [(3, "exclude must be an iterable"), ([torch.zeros(2), 1.0], r"exclude\[1\]")],
)
def test_bad_exclude_is_rejected_with_its_name(exclude, match):
    with pytest.raises(TypeError, match=match):
        SavedTensors(exclude=exclude)


def test_a_single_tensor_may_be_excluded_directly():
    W = torch.randn(4, 4, requires_grad=True)
    x = torch.randn(2, 4)
    with SavedTensors(exclude=W) as saved:
        torch.tanh(x @ W)
    assert saved.count == 2  # x and the tanh output, not W
