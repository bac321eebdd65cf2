"""``python -m course_lib.homework grade NOTEBOOK [...]``: the student's self-grade.

The same as ``python -m course_lib grade`` (:mod:`course_lib.homework.selfgrade`).
"""

import sys

from course_lib.homework.selfgrade import main

if __name__ == "__main__":
    sys.exit(main())
