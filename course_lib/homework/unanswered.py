"""One line instead of a traceback when a cell calls an answer that is not written yet.

A blank homework notebook has cells that use the student's functions (an experiment, a plot)
before the student has written them; each then raises ``NotImplementedError``. Inside IPython
(JupyterLab, Colab, the grader's kernel), :func:`quiet_unanswered` prints one line for such a
cell, ``affine_backward is not written yet: answer Q1 first, then run this cell again``,
instead of a traceback. The cell still fails (its status is an error, so the grader
records it, and *Run All* goes on past it because the generator tags it
``raises-exception``); any other error keeps its full traceback.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from course_lib.homework.messages import say

if TYPE_CHECKING:
    from course_lib.homework.assignment import Assignment


def unanswered_question(assignment: Assignment, tb: TracebackType | None) -> tuple[str, str] | None:
    """``(question key, function)`` for the innermost frame of ``tb`` that runs one of the
    assignment's functions as the notebook defines it, else None."""
    functions = {q.function: q.key for q in assignment.questions}
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        in_notebook = code.co_filename.startswith("<") or "ipykernel" in code.co_filename
        if in_notebook and code.co_name in functions:
            found = (functions[code.co_name], code.co_name)
        tb = tb.tb_next
    return found


def message(key: str, function: str) -> str:
    """The line shown for an unanswered question, in the notebook's language."""
    return say("grade.unanswered", function=function, key=key.upper())


def quiet_unanswered(assignment: Assignment) -> None:
    """In IPython, show ``NotImplementedError`` from ``assignment``'s functions as one line.

    Does nothing outside IPython. Calling it again (another assignment) replaces the handler.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell: Any, etype, value, tb, tb_offset=None) -> None:
        # IPython discards the return value: the handler shows the error itself.
        found = unanswered_question(assignment, tb)
        if found is None:
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        else:
            print(message(*found))

    shell.set_custom_exc((NotImplementedError,), handler)
