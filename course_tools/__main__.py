"""``python -m course_tools COMMAND ...``: one entry point for every instructor command.

The student's commands (``lab``, the self-grade ``grade``) are ``python -m course_lib``;
``python -m course_tools grade`` is the instructor's grader (hidden cases, batches, gradebook).
"""

from __future__ import annotations

import importlib
import sys

#: command -> the module whose ``main(argv)`` runs it (argv starts with the command).
COMMANDS = {
    "grade": "course_tools.homework_cli",
    "generate": "course_tools.homework_cli",
    "book": "course_tools.course_cli",
    "time": "course_tools.course_cli",
    "execute": "course_tools.course_cli",
    "release": "course_tools.release",
    "init-instructor": "course_tools.grading.instructor",
    "portability": "course_tools.portability",
    "compared-numbers": "course_tools.compared_numbers",
    "oldest": "course_tools.oldest",
    "test-release": "course_tools.release_test",
    "export-nbgrader": "course_tools.grading.nbgrader_export",
    "benchmark": "course_tools.benchmark",
    "translate": "course_tools.translation.cli",
    "figure-font": "course_tools.figure_font",
    "hw07-tiers": "course_tools.grading.hw07_digits",
    "expected": "course_tools.grading.expected",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print("usage: python -m course_tools COMMAND [...]\ncommands: " + ", ".join(COMMANDS))
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv)


if __name__ == "__main__":
    sys.exit(main())
