"""The student's commands: ``python -m course_lib COMMAND``.

    python -m course_lib lab [JUPYTERLAB OPTIONS ...]   open the course in JupyterLab (the README)
    python -m course_lib grade NOTEBOOK [...]           self-grade a homework notebook

``grade`` is also ``python -m course_lib.homework grade``. The instructor's and contributor's
commands (grading a class, building the book, timing, translation, release) are
``python -m course_tools COMMAND``, in the full repository only.
"""

from __future__ import annotations

import sys

#: Commands of ``python -m course_tools`` that people used to type here.
INSTRUCTOR_COMMANDS = ("book", "time", "execute", "generate", "release", "translate")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else ""
    if command == "lab":
        from course_lib import lab

        return lab.main(argv)
    if command == "grade":
        from course_lib.homework import selfgrade

        return selfgrade.main(argv)
    if command in INSTRUCTOR_COMMANDS:
        print(
            f"`{command}` is an instructor command: python -m course_tools {command} "
            "(in the full repository)",
            file=sys.stderr,
        )
        return 2
    print(__doc__.strip().split("\n\n")[1])
    return 0 if command in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())
