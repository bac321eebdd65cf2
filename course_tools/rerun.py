"""Re-execute a jupytext-paired notebook in place after its ``.py`` twin was edited.

Command line: ``python -m course_tools execute NOTEBOOK [...]``. For each notebook: bring the
``.ipynb`` up to date with its ``.py`` (jupytext), execute it top to bottom in a fresh kernel
of this interpreter, merge consecutive stream outputs (a progress bar that redraws one line
per epoch is stored as one output, not one per epoch), write it, and re-pair.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from jupytext.cli import jupytext as jupytext_cli
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from course_tools.timing import execute


def sync(path: Path) -> None:
    """``jupytext --sync``: the newer file of the pair updates the other."""
    jupytext_cli(["--sync", "--quiet", str(path)])


def rerun(path: Path | str) -> float:
    """Execute ``path`` (the ``.ipynb`` or its ``.py``) in place; return the seconds taken."""
    path = Path(path)
    notebook = path.with_suffix(".ipynb")
    if not notebook.exists() and not path.with_suffix(".py").exists():
        raise ValueError(f"path {path} has neither an .ipynb nor a .py twin")
    sync(path if path.suffix == ".py" else notebook)
    start = time.perf_counter()
    executed = execute(notebook)
    seconds = time.perf_counter() - start
    executed, _ = CoalesceStreamsPreprocessor().preprocess(executed, {})
    nbformat.write(executed, notebook)
    sync(notebook)
    return seconds
