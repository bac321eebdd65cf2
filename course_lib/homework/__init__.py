"""The homework self-check students run, and the runner their self-grade shares with the grader.

Every assignment ``hwNN`` has a module here (``course_lib.homework.hw01`` …): its questions,
points and public cases, and ``check("q1", fn)`` for the notebook. No reference solution is
here: the answers of the public cases are stored data. Around them:

- :mod:`~course_lib.homework.checking`: questions, cases, running and scoring a check;
- :mod:`~course_lib.homework.stored`: the stored answers of the public cases (package data);
- :mod:`~course_lib.homework.standins`: stand-ins for earlier answers, so that the grader
  judges each question on its own;
- :mod:`~course_lib.homework.messages`: every text the checks show, by message id;
- :mod:`~course_lib.homework.digits`: warped digits (hw01's Q8, hw07);
- :mod:`~course_lib.homework.report`: the printed reports and tables;
- :mod:`~course_lib.homework.unanswered`: one line instead of a traceback for a cell that
  calls an answer not written yet;
- the runner, shared with the instructor's grader: :mod:`~course_lib.homework.notebook_file`
  (a submission read as data), :mod:`~course_lib.homework.runner` (a fresh kernel, plain
  data back, scoring outside the kernel), :mod:`~course_lib.homework.sandbox` (bubblewrap),
  :mod:`~course_lib.homework.driver` (the kernel's driver inside it),
  :mod:`~course_lib.homework.in_kernel` (the recorder in the kernel) and
  :mod:`~course_lib.homework.plain` (JSON + ``.npz``, never pickle);
- :mod:`~course_lib.homework.selfgrade`: the student's self-grade on the public cases.

Command line: ``python -m course_lib.homework grade NOTEBOOK`` (the self-grade). The
instructor's grader, with hidden cases, is ``python -m course_tools grade``.

Introduced with lecture 01 (its homework is ``hw01``).
"""

from course_lib.homework.assignment import REGISTRY, Assignment, load_assignment

__all__ = ["REGISTRY", "Assignment", "load_assignment"]
