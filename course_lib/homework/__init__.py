"""The homework system: self-checks, student notebooks generated from solutions, a grader.

Every assignment ``hwNN`` has a module here (``course_lib.homework.hw01`` …) that is the
source of truth for its questions, points and checks. Around them:

- :mod:`~course_lib.homework.checking`: questions, cases, running and scoring a check;
- :mod:`~course_lib.homework.report`: the printed reports and tables;
- :mod:`~course_tools.generate`: the student notebook, generated from the solution;
- :mod:`~course_tools.grading.grader`: grading submitted notebooks, each in a sandbox;
- :mod:`~course_lib.homework.plain`: the plain data (JSON + ``.npz``) crossing the sandbox;
- :mod:`~course_lib.homework.in_kernel`: the recorder the grader runs in a submission's kernel.

Command line (``python -m course_lib.homework --help``)::

    python -m course_lib.homework grade PATH [PATH ...] [--timeout S] [--json FILE]
    python -m course_lib.homework generate [--check]

Introduced with lecture 01 (its homework is ``hw01``).
"""

from course_lib.homework.assignment import REGISTRY, Assignment, load_assignment

__all__ = ["REGISTRY", "Assignment", "load_assignment"]
