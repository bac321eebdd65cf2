"""Running a planted mistake through an assignment's check (tests/test_hwNN_mistakes.py)."""

from __future__ import annotations

from typing import Any

import numpy as np


def failure_message(assignment: Any, key: str, fn: Any) -> str:
    """The message of question ``key`` for the student function ``fn``, which must fail."""
    with np.errstate(all="ignore"):
        result = assignment.evaluate(key, fn)
    assert result.status == "failed", result.message
    return result.message


def assert_named(assignment: Any, key: str, fn: Any, named: str) -> None:
    """Question ``key`` fails for ``fn`` with a message containing ``named``."""
    message = failure_message(assignment, key, fn)
    assert named in message, message
