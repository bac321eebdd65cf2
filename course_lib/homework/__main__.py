"""``python -m course_lib.homework grade|generate``: an alias of ``python -m course_tools``."""

import sys

from course_tools.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
