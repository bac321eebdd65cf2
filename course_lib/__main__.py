"""``python -m course_lib book|time|execute``: an alias of ``python -m course_tools``."""

import sys

from course_tools.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
