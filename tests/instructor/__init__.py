"""The instructor's tests: the grader, the generator, the book, translation, release, CI checks.

They are not in the students' copy. Some need the instructor's packages (``make instructor``):
:func:`require` skips such a test with the reason when they are missing, except in CI
(``CI=true``), where a missing package fails the test instead of hiding it.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require(module: str) -> ModuleType:
    """Import ``module`` (an instructor package); skip without it, fail without it in CI."""
    try:
        return importlib.import_module(module)
    except ImportError:
        why = f"{module} is an instructor package: `make instructor` installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(why + " (CI=true: the instructor's tests must run)")
        pytest.skip(why, allow_module_level=True)
