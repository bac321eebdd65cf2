"""The prose inside a homework's code cells: docstrings and comments, translated; code kept.

A homework's code cells explain themselves in docstrings (``Args:`` / ``Returns:``) and
comments. The translated edition replaces that prose and nothing else: a code cell's
translation is the whole cell with its docstrings and comments in the other language, and
:func:`code_problems` names every difference that is not prose -- a changed statement, name,
number or string, or a comment a tool reads (``# YOUR CODE HERE``, ``# fmt: skip`` …). The
comparison is between syntax trees with the docstrings removed (comments are not in a tree).
"""

from __future__ import annotations

import ast
import io
import tokenize

#: Comments that a tool reads (nbgrader, ruff, nbval …): kept exactly, never translated.
DIRECTIVES = ("# YOUR CODE HERE", "# fmt:", "# noqa", "# type:", "# NBVAL", "# pragma")


def _documented(tree: ast.AST) -> list[ast.AST]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [node for node in ast.walk(tree) if isinstance(node, kinds)]


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def docstrings(source: str) -> list[str]:
    """The docstrings of ``source``'s module, functions and classes, in order."""
    tree = ast.parse(source)
    return [n.body[0].value.value for n in _documented(tree) if n.body and _is_docstring(n.body[0])]


def comments(source: str) -> list[str]:
    """The comments of ``source`` (``# …``), in order."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.string for t in tokens if t.type == tokenize.COMMENT]


def has_prose(source: str) -> bool:
    """True when the code cell ``source`` has a docstring or a comment a person reads
    (Python that does not parse, e.g. a cell with magics, has none to translate)."""
    try:
        return bool(docstrings(source)) or any(not directive(c) for c in comments(source))
    except (SyntaxError, tokenize.TokenError):
        return False


def directive(comment: str) -> bool:
    """True for a comment a tool reads (:data:`DIRECTIVES`), anywhere in the comment."""
    return any(d in comment for d in DIRECTIVES)


def skeleton(source: str) -> str:
    """``source``'s syntax tree without its docstrings (a docstring becomes ``...``), as
    text: equal for two cells exactly when they differ in docstrings and comments only."""
    tree = ast.parse(source)
    for node in _documented(tree):
        if node.body and _is_docstring(node.body[0]):
            node.body[0] = ast.Expr(ast.Constant(...))
    return ast.dump(tree)


def code_problems(english: str, translated: str) -> list[str]:
    """What a code cell's translation changed besides its docstrings and comments."""
    try:
        same = skeleton(english) == skeleton(translated)
    except SyntaxError as exc:
        return [f"the translated code does not parse ({exc.msg}, line {exc.lineno})"]
    problems = [] if same else ["the code differs from the English (not only docstrings/comments)"]
    kept = [c for c in comments(english) if directive(c)]
    if [c for c in comments(translated) if directive(c)] != kept:
        problems.append(f"the comments a tool reads must stay as they are: {kept}")
    return problems
