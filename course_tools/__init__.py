"""The instructor's tooling: everything a student never needs to import.

The teaching library students import is :mod:`course_lib` (with the homework self-check in
:mod:`course_lib.homework`, whose runner -- the sandbox, the kernel driver, the plain-data
codec -- the grader shares). This package holds what the people who run the course use, and
imports from ``course_lib``; ``course_lib`` never imports from here. The student release
(:mod:`~course_tools.release`) leaves this package out.

- :mod:`~course_tools.grading`: the grader (hidden cases, flags, batches, gradebook exports);
- :mod:`~course_tools.generate`: student notebooks generated from the solutions;
- :mod:`~course_tools.book`: the offline HTML book;
- :mod:`~course_tools.timing` and :mod:`~course_tools.rerun`: executing notebooks, timing them;
- :mod:`~course_tools.course`: the course map (lectures, notebooks, budgets).

Command line: ``python -m course_tools COMMAND`` (``--help`` lists the commands). The
student's commands are ``python -m course_lib lab|grade``.
"""
