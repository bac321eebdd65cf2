"""A pytest plugin that prints one line per test file (a notebook, for nbval) as it finishes.

``python -m course_tools portability`` runs nbval quietly on every notebook several times; with
``-p course_tools.pytest_progress`` each notebook gets a line when its last cell is done::

    notebooks/01_backprop.ipynb  passed  83 cells

It works with and without pytest-xdist: the controller learns each file's items when
collection finishes and counts their reports as they arrive.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

_expected: Counter[str] = Counter()
_done: Counter[str] = Counter()
_failed: defaultdict[str, int] = defaultdict(int)


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _count(nodeids) -> None:
    if not _expected:
        _expected.update(_file(n) for n in nodeids)


def pytest_collection_modifyitems(session, config, items) -> None:
    _count(item.nodeid for item in items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids) -> None:
    _count(ids)


def pytest_runtest_logreport(report) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        name = _file(report.nodeid)
        _done[name] += 1
        _failed[name] += report.outcome == "failed"
        if _done[name] == _expected.get(name):
            verdict = f"FAILED {_failed[name]} of" if _failed[name] else "passed"
            print(f"\n{name}  {verdict}  {_done[name]} cells", flush=True)
