"""What the scoring fork server loads once (:mod:`course_lib.homework.isolated`), so that each
scoring child starts ready: every assignment module, and PyTorch initialised on one thread
(its first operation costs half a second; the references then run at once).

Imported only by that server: importing it changes torch's thread count to 1.
"""

from __future__ import annotations

import importlib
import importlib.util

from course_lib.homework.assignment import REGISTRY

for _module in REGISTRY.values():
    importlib.import_module(_module)

if importlib.util.find_spec("torch") is not None:
    import torch

    torch.set_num_threads(1)  # no thread pool in a process that forks
    _x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    (_x * _x).sum().backward()
    torch.nn.functional.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]))
