"""pytest settings for the whole suite (the tests and the notebooks nbval runs).

- The test processes compute on one thread (BLAS, OpenMP, torch): the arrays are tiny, and two
  xdist workers on a 2-core machine then never compete with their own thread pools. The
  notebooks' kernels are other processes: each notebook fixes its own thread count.
- Property-based tests are derandomized and keep no example database: the same examples on
  every run and every machine, so a test never fails on one run and passes on the next.
"""

from __future__ import annotations

import numpy  # noqa: F401  (loads the BLAS that threadpool_limits below reaches)
import torch
from hypothesis import settings
from threadpoolctl import threadpool_limits

threadpool_limits(1)
torch.set_num_threads(1)

settings.register_profile("course", derandomize=True, database=None, deadline=None)
settings.load_profile("course")
