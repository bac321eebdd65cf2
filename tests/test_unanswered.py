"""A blank homework runs without tracebacks: a cell that calls an answer not written yet prints
one line naming the question to answer first (``course_lib.homework.unanswered``)."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_lib.homework.assignment import load_assignment
from course_lib.homework.unanswered import quiet_unanswered

BLANK = """
def affine_backward(dout, x, W):
    # YOUR CODE HERE
    raise NotImplementedError

def two_layer_loss(params, X, y, reg):
    return affine_backward(None, None, None)
"""


@pytest.fixture
def shell(capsys):
    shell = InteractiveShell.instance()
    quiet_unanswered(load_assignment("hw01"))
    shell.run_cell(BLANK)
    capsys.readouterr()
    yield shell
    shell.set_custom_exc((), None)


def test_a_cell_calling_an_unanswered_function_prints_one_line_and_still_fails(shell, capsys):
    result = shell.run_cell("two_layer_loss({}, None, None, 0.0)")
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert lines == [
        "affine_backward is not written yet: answer Q1 first, then run this cell again"
    ], out
    assert "Traceback" not in out.out + out.err
    assert isinstance(result.error_in_exec, NotImplementedError), "the cell still failed"


def test_other_errors_keep_their_traceback(shell, capsys):
    result = shell.run_cell("raise NotImplementedError('a helper of my own')")
    out = capsys.readouterr().out
    assert "a helper of my own" in out and "NotImplementedError" in out
    assert "not written yet" not in out
    assert isinstance(result.error_in_exec, NotImplementedError)
    shell.run_cell("1 / 0")
    assert "ZeroDivisionError" in capsys.readouterr().out
