"""The instructor's tooling: everything a student never needs to import.

The teaching library students import is :mod:`course_lib` (with the homework self-check in
:mod:`course_lib.homework`). This package holds what the people who run the course use:

- :mod:`~course_tools.grading`: the grader (sandboxed kernels, scoring, gradebook exports);
- :mod:`~course_tools.generate`: student notebooks generated from the solutions;
- :mod:`~course_tools.book`: the offline HTML book;
- :mod:`~course_tools.timing` and :mod:`~course_tools.rerun`: executing notebooks, timing them;
- :mod:`~course_tools.course`: the course map (lectures, notebooks, budgets).

Command line: ``python -m course_tools COMMAND`` (``--help`` lists the commands). The older
spellings ``python -m course_lib book|time|execute`` and ``python -m course_lib.homework
grade|generate`` are aliases of the same commands.
"""
