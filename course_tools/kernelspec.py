"""Jupyter kernels that run on the interpreter running this code, whatever is on PATH.

The grader and the notebook timer both start kernels this way, so a ``.venv`` Python never
ends up executing notebooks in some other environment's ``python3`` kernel.
"""

from __future__ import annotations

import sys

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager


class CurrentEnvironment(KernelSpecManager):
    """Kernel specs that all resolve to ``sys.executable``'s ipykernel."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"Python ({sys.executable})",
            language="python",
        )


def current_kernel_manager(**kwargs: object) -> KernelManager:
    """A ``KernelManager`` (not started) whose kernel runs on this interpreter."""
    return KernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnvironment(), **kwargs)
