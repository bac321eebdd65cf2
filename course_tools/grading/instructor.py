"""The instructor's folder: the secret seed the grader's hidden cases are made from.

The folder (default ``<repo>/instructor``; ``--instructor DIR`` or the environment variable
``COURSE_INSTRUCTOR_DIR`` name another) holds ``secrets.json``::

    {"seed": <a 63-bit integer>}

``python -m course_tools init-instructor DIR`` writes a fresh folder with a new random seed.
A real course keeps its own folder outside the public repository: the one in the repository
is a demonstration whose seed anyone can read.

The grader scores every question on hidden cases only: the same kinds as the public cases,
made from a seed derived from the secret (:func:`case_seed`, recorded with each result),
with their answers computed by the references (:mod:`course_tools.grading.references`).
The public cases and their outputs are in every student's package, so reproducing them
earns nothing. Questions with hidden data of their own (hw01's and hw07's graded digits)
get their cases from :mod:`course_tools.grading.hidden`. The sandbox never mounts this
folder.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import secrets as random_source
from dataclasses import dataclass
from pathlib import Path

from course_lib.homework.assignment import Assignment, load_assignment
from course_lib.homework.checking import Case, Question
from course_tools.course import ROOT

ENVIRONMENT = "COURSE_INSTRUCTOR_DIR"

README = """# Instructor material (never give this folder to students)

`secrets.json` holds the secret seed from which the grader makes its hidden test cases
(cases of the same kinds as the public ones in `course_lib/homework/hwNN.py`; the grade
counts these only), hw01's graded digits and hw07's graded test digits (public digits
warped with this seed: a row lookup in scikit-learn's copy of the data fails, but warping
every public digit and matching nearest neighbours recovers most labels).

For a private leaderboard nobody can look up, put your own labelled digits here
(`hw07_test.npz` with `X` (n, 64) in [0, 1] and `y`, e.g. digits your students wrote, reduced
to 8 x 8 like scikit-learn's) with `init-instructor DIR --hw07-test FILE`, then run
`python -m course_tools hw07-tiers DIR`: it measures the tier thresholds on your digits
(`hw07_tiers.json`), and the grader scores hw07 q3 on them.

The grader reads this folder from `--instructor DIR`, else from the environment variable
`COURSE_INSTRUCTOR_DIR`, else `<repo>/instructor`. The sandbox never shows it to a submission,
and `python -m course_tools release DEST` leaves it out of the student copy.

The copy inside the public repository is a demonstration: anyone can read its seed. A real
course keeps its own folder outside the public repository, made with

    python -m course_tools init-instructor /path/to/private/instructor

and grades with `--instructor /path/to/private/instructor`.
"""


@dataclass(frozen=True)
class Secrets:
    """What ``secrets.json`` holds: the master ``seed``; and the ``folder`` it was read
    from, which may also hold hw07's graded digits (:mod:`course_tools.grading.hw07_digits`)."""

    seed: int
    folder: Path | None = None


def default_dir() -> Path:
    """``<repo>/instructor``."""
    return ROOT / "instructor"


def resolve(folder: str | Path | None) -> Path:
    """The instructor folder: ``folder``, else ``$COURSE_INSTRUCTOR_DIR``, else the default."""
    if folder is None:
        folder = os.environ.get(ENVIRONMENT) or default_dir()
    return Path(folder).expanduser().resolve()


def load(folder: Path) -> Secrets | None:
    """The secrets in ``folder``, or None when it has no ``secrets.json`` (public cases only).

    Raises:
        ValueError: when ``secrets.json`` exists but does not hold an integer ``seed``.
    """
    path = Path(folder) / "secrets.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    seed = data.get("seed") if isinstance(data, dict) else None
    if type(seed) is not int or seed < 0:
        raise ValueError(f"{path} must hold {{'seed': a non-negative integer}}, got {data!r}")
    return Secrets(seed, Path(folder))


def init(folder: str | Path) -> Path:
    """Write a fresh instructor folder with a new random seed; refuses to overwrite one.

    Raises:
        FileExistsError: when ``folder/secrets.json`` already exists.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secrets.json"
    if path.exists():
        raise FileExistsError(f"{path} exists; remove it first to make new secrets")
    path.write_text(json.dumps({"seed": random_source.randbits(63)}) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(README, encoding="utf-8")
    return folder


def case_seed(secrets: Secrets, assignment: str, key: str) -> int:
    """The seed of one question's hidden cases, derived from the master seed."""
    digest = hashlib.sha256(f"{secrets.seed}/{assignment}/{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def grading_cases(spec: Assignment, question: Question, secrets: Secrets | None) -> list[Case]:
    """The cases the grader scores: hidden ones made from the secret seed, with their
    answers, stand-ins and seed; without secrets, the public cases.

    Only the hidden cases count: the public ones, with their outputs, are in every
    student's package, so reproducing them earns nothing here.
    """
    if secrets is None:
        return question.make_cases()
    return list(_hidden_cases(spec.name, question.key, secrets))


@functools.lru_cache(maxsize=64)
def _hidden_cases(assignment: str, key: str, secrets: Secrets) -> tuple[Case, ...]:
    """The hidden cases of one question (computed once per grading process: the same for
    every submission of a batch)."""
    from course_tools.grading import hidden
    from course_tools.grading.references import prepare

    question = load_assignment(assignment).question(key)
    seed = case_seed(secrets, assignment, key)
    special = hidden.cases(assignment, key, seed, secrets.folder)
    if special is not None:
        return tuple(dataclasses.replace(c, seed=seed) for c in special)
    return tuple(prepare(question, question.inputs(seed=seed), seed))


def main(argv: list[str] | None = None) -> int:
    """``python -m course_tools init-instructor DIR``: a fresh folder with new secrets."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m course_tools init-instructor")
    parser.add_argument("command", choices=["init-instructor"])
    parser.add_argument("dir", help="the folder to create (outside the public repository)")
    parser.add_argument(
        "--hw07-test",
        type=Path,
        help="your own labelled digits for hw07's private leaderboard (.npz with X and y)",
    )
    args = parser.parse_args(argv)
    try:
        folder = init(args.dir)
        if args.hw07_test is not None:
            from course_tools.grading import hw07_digits

            hw07_digits.add_test(folder, args.hw07_test)
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {folder / 'secrets.json'}; grade with --instructor {folder}")
    return 0
