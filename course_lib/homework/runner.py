"""Run one submission in a fresh kernel and score what comes back: the grader's runner.

The student's self-grade (:mod:`course_lib.homework.selfgrade`, public cases) and the
instructor's grader (``course_tools.grading``, hidden cases) both call :func:`run_submission`:

1. it writes a job folder with a random name in a private folder of the process
   (:func:`private_root`): the code cells, and each question's inputs as plain data (JSON +
   ``.npz``, :mod:`course_lib.homework.plain`);
2. it runs the driver :mod:`~course_lib.homework.driver` on the job, inside ``bwrap`` when
   the machine has it (:mod:`~course_lib.homework.sandbox`): a fresh kernel runs the cells in
   order with a time limit each, then, per question, re-imports the recorder
   :mod:`course_lib.homework.in_kernel` from disk, which calls the student's function on the
   inputs and writes back only raw observations as plain data;
3. it reads those back (regular files only, bounded) without unpickling anything and
   compares and scores them outside the kernel, in a child process with its own time and
   memory limits (:mod:`course_lib.homework.isolated`,
   :func:`course_lib.homework.checking.score`), where the submission's code never runs; the
   driver's report (how each cell went, the record of imports) comes on its own channel.

Deleting or editing check cells, redefining ``check``, patching ``course_lib`` or NumPy
inside the notebook, or returning an object with a booby-trapped ``__reduce__`` therefore
changes nothing.
"""

from __future__ import annotations

import atexit
import json
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from course_lib.homework import isolated, plain, safe_files, sandbox
from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Outcome, QuestionResult, score, truncate
from course_lib.homework.messages import say
from course_lib.homework.notebook_file import first_line
from course_lib.language import get_language, set_language

#: Default wall-clock seconds for one whole submission (all cells and all checks).
SUBMISSION_TIMEOUT = 300.0


@dataclass(frozen=True)
class Limits:
    """How a submission runs.

    Attributes:
        timeout: seconds each cell (and each question's check) may run.
        submission_timeout: wall-clock seconds for the whole submission.
        memory: bytes of address space per process in the sandbox.
        sandboxed: run inside bwrap; None: when bwrap is available.
        hide: further folders the sandbox must not show (instructor folder, submissions).
    """

    timeout: float = 60.0
    submission_timeout: float = SUBMISSION_TIMEOUT
    memory: int = sandbox.DEFAULT_MEMORY
    sandboxed: bool | None = None
    hide: tuple[Path, ...] = ()


@dataclass
class Run:
    """What running a submission gave: one result per question, how each cell went
    (``{"status": "ok" | "error" | "timeout" | "dead", "error": str}``, aligned with the code
    cells that ran), and the record of what the kernel imported."""

    questions: list[QuestionResult]
    cells: list[dict[str, str]] = field(default_factory=list)
    #: the record of the kernel's audit hook (:mod:`course_lib.homework.audit`): the modules
    #: it tried to import and the ``course_lib`` files it opened.
    imports: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)

    def cell_errors(self, cells: list[str]) -> list[str]:
        """``"NameError: … at `first line of the cell`"`` for every cell that failed."""
        return [
            f"{run['error']} at `{first_line(code)}`"
            for code, run in zip(cells, self.cells, strict=False)
            if run["error"]
        ]


def failed(question, status: str, message: str) -> QuestionResult:
    """A question that earns nothing, with ``status`` and ``message``."""
    return QuestionResult(question.key, question.function, 0.0, question.points, status, message)


def _defines(code: str, function: str) -> bool:
    """True when a line of ``code`` starts with ``def function`` or ``class function`` (line
    by line, without a pattern that could backtrack on a submission's text)."""
    for line in code.splitlines():
        words = line.lstrip().split(None, 1)
        if len(words) == 2 and words[0] in ("def", "class"):
            name = words[1].split("(", 1)[0].split(":", 1)[0].strip()
            if name == function:
                return True
    return False


def _missing_text(function: str, found: Any) -> str:
    """``"affine_backward is not defined"`` or ``"… is a int, not a function"``, from the type
    name the kernel sent back (``""``: nothing of that name)."""
    found = truncate(str(found), 100)
    if not found:
        return say("run.not-defined", function=function)
    return say("run.not-callable", function=function, type=found)


def _missing_message(missing: str, function: str, cells: list[str], runs: list[dict]) -> str:
    """Explain a missing function by the failure of the cell that should define it."""
    for code, run in zip(cells, runs, strict=False):
        if run["error"] and _defines(code, function):
            line = first_line(code)
            return say("run.cell-failed", missing=missing, error=run["error"], line=line)
    return say("run.not-in-notebook", missing=missing)


def _read_report(report: bytes) -> dict[str, Any]:
    """The driver's report (its standard output: JSON lines, see
    :class:`course_lib.homework.driver.Report`) as ``{"cells": [...], "questions": {...},
    "imports": [...], "opened": [...]}``, or ``{}`` when it holds nothing usable; a line cut
    short (the run was killed) and lines of the wrong shape are skipped."""
    found: dict[str, Any] = {"cells": [], "questions": {}, "imports": [], "opened": []}

    def run(entry: Any) -> dict[str, str]:
        entry = entry if isinstance(entry, dict) else {}
        return {k: truncate(str(entry.get(k, "")), 2000) for k in ("status", "error")}

    usable = False
    for line in report.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(event, dict):
            continue
        usable = True
        if "cell" in event and len(found["cells"]) < 100_000:
            found["cells"].append(run(event["cell"]))
        question = event.get("question")
        if isinstance(question, list) and len(question) == 2 and len(found["questions"]) < 1000:
            found["questions"][str(question[0])[:20]] = run(question[1])
        for key in ("imports", "opened"):
            names = event.get(key)
            if isinstance(names, list) and len(found[key]) < 20_000:
                found[key] += [truncate(str(n), 300) for n in names[:20_000]]
    return found if usable else {}


def _outcomes(data: Any, count: int) -> list[Outcome] | str:
    """The outcomes the recorder wrote, checked for shape; a message when they are unusable."""
    entries = data.get("outcomes") if isinstance(data, dict) else None
    if not isinstance(entries, list) or len(entries) != count:
        return "the check sent back data of the wrong shape"
    outcomes = []
    for entry in entries:
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind not in ("returned", "raised", "not implemented"):
            return "the check sent back data of the wrong shape"
        value = entry.get("value")
        value = value if kind == "returned" else truncate(str(value))
        outcomes.append(Outcome(kind, value, *_notes(entry)))
    return outcomes


def _notes(entry: dict) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The positions of arguments changed in place and the earlier answers taken from the
    student, as the recorder noted them (anything malformed is dropped)."""
    changed, own = entry.get("changed"), entry.get("own")
    changed = changed if isinstance(changed, list) else []
    own = own if isinstance(own, list) else []
    return (
        tuple(i for i in changed[:64] if type(i) is int and 0 <= i < 64),
        tuple(truncate(n, 100) for n in own[:16] if type(n) is str),
    )


def _write_job(job: Path, spec: Assignment, cells: list[str], cases, timeout: float) -> None:
    for sub in ("in", "out", "work"):
        (job / sub).mkdir()
    for question in spec.questions:
        plain.dump([c.kernel_input() for c in cases[question.key]], job / "in" / question.key)
    job_spec = {
        "assignment": spec.name,
        "cells": cells,
        "timeout": timeout,
        "questions": [q.key for q in spec.questions],
    }
    (job / "job.json").write_text(json.dumps(job_spec), encoding="utf-8")


def memory_note(ran, limits) -> str:
    """`` (the sandbox reached its memory limit: --memory N MB)`` when it did, else ``""``."""
    if not ran.memory_exhausted:
        return ""
    return say("run.memory-reached", mb=f"{limits.memory / 2**20:g}")


def _no_output(question, status: dict[str, str], result, ran, limits) -> QuestionResult:
    """Why a question has no output, said as what happened to the run (never a hint about
    the student's work: these are failures of the run, not of the answer)."""
    if ran.timed_out:
        message = say("run.whole-timeout", limit=f"{limits.submission_timeout:g}")
        return failed(question, "timeout", message)
    if status["status"] == "timeout":
        return failed(question, "timeout", say("run.check-timeout", limit=f"{limits.timeout:g}"))
    if status["status"] == "dead":
        message = say("run.kernel-died-in-check", memory=memory_note(ran, limits))
        return failed(question, "error", message)
    if status["status"] == "error":
        return failed(question, "error", say("run.could-not-run", error=status["error"]))
    if not result:
        stderr = f": {ran.stderr}" if ran.stderr else ""
        why = memory_note(ran, limits) or say(
            "run.driver-status", status=ran.returncode, stderr=stderr
        )
        return failed(question, "error", say("run.ended-before-checks", why=why))
    why = memory_note(ran, limits) or say("run.kernel-stopped")
    return failed(question, "error", say("run.did-not-run", why=why))


#: Words of an exception that says the machine ran short, not that the answer is wrong.
_OUT_OF_MEMORY = (
    "MemoryError",
    "could not create a primitive",
    "can't allocate memory",
    "Cannot allocate memory",
    "std::bad_alloc",
    "out of memory",
)


def _environment_failure(question, outcomes: list[Outcome], limits) -> QuestionResult | None:
    """A result saying the check ran out of memory, when a case raised for that reason."""
    for outcome in outcomes:
        text = str(outcome.value) if outcome.kind == "raised" else ""
        if any(words in text for words in _OUT_OF_MEMORY):
            message = say(
                "run.out-of-memory", error=truncate(text, 200), mb=f"{limits.memory / 2**20:g}"
            )
            return failed(question, "error", message)
    return None


def _score_question(question, job: Path, cases, result, ran, cells, limits) -> QuestionResult:
    """The result of one question from what the kernel wrote back (or why there is none)."""
    status = result.get("questions", {}).get(question.key, {"status": "", "error": ""})
    try:
        data = plain.load(job / "out" / question.key)
    except FileNotFoundError:
        return _no_output(question, status, result, ran, limits)
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        message = say("run.unreadable-output", error=truncate(str(exc), 300))
        return failed(question, "error", message)
    if isinstance(data, dict) and "missing" in data:
        missing = _missing_text(question.function, data["missing"])
        message = _missing_message(missing, question.function, cells, result.get("cells", []))
        return failed(question, "missing", message)
    outcomes = _outcomes(data, len(cases))
    if isinstance(outcomes, str):
        return failed(question, "error", outcomes)
    environment = _environment_failure(question, outcomes, limits)
    if environment is not None:
        return environment
    try:
        return score(question, cases, outcomes)
    except Exception as exc:  # a reference or judge choking on odd data: that case fails
        message = say("run.not-compared", error=f"{type(exc).__name__}: {exc}")
        return failed(question, "error", truncate(message, 500))


def _score_job(
    name: str, job: str, cases: dict, ran: dict, cells: list[str], keys: list[str], language: str
):
    """Read back and score questions ``keys`` of assignment ``name`` from ``job``: JSON text
    ``{"cells": [...], "imports": [...], "opened": [...], "questions": [QuestionResult
    fields, ...]}``, its messages in ``language``. Runs in a child process
    (:func:`course_lib.homework.isolated.call`), so that no data can stop or starve the
    grader; the child starts from the fork server, not from this process, so it is told the
    language."""
    from course_lib.homework.assignment import load_assignment

    set_language(language)
    spec = load_assignment(name)
    result = _read_report(ran["report"])
    limits = Limits(
        timeout=ran["timeout"], submission_timeout=ran["submission_timeout"], memory=ran["memory"]
    )
    run = sandbox.JobRun(
        ran["returncode"], ran["timed_out"], b"", ran["memory_exhausted"], ran["stderr"]
    )
    questions = [
        _score_question(q, Path(job), cases[q.key], result, run, cells, limits)
        for q in spec.questions
        if q.key in keys
    ]
    record = {k: result.get(k, []) for k in ("cells", "imports", "opened")}
    return json.dumps({**record, "questions": [asdict(q) for q in questions]}, default=float)


_RESULT_FIELDS = {f.name: f.type for f in fields(QuestionResult)}


def _result_from(entry: Any, question) -> QuestionResult:
    """A :class:`QuestionResult` from the child's JSON, checked field by field."""
    if not isinstance(entry, dict) or set(entry) != set(_RESULT_FIELDS):
        raise ValueError("a malformed result")
    found = QuestionResult(**entry)
    numbers = (found.score, found.max_score, found.cases_passed, found.cases_total)
    if not all(isinstance(x, int | float) for x in numbers) or found.name != question.key:
        raise ValueError("a malformed result")
    if not isinstance(found.details, list):
        raise ValueError("a malformed result")
    found.message = truncate(str(found.message))
    found.details = [truncate(str(line)) for line in found.details[:50]]
    return found


#: Seconds and bytes the child that scores one submission may use.
SCORING_SECONDS = 120.0
SCORING_MEMORY = 3 * 2**30


def _score(spec: Assignment, job: Path, cases, ran, cells, limits) -> tuple[list, list, dict]:
    """Every question's result, the cells' runs and the import record, scored in child
    processes: one for the whole submission, else (when it fails) one per question, so that a
    question whose output stops its child costs only that question."""
    details = {
        "returncode": ran.returncode,
        "timed_out": ran.timed_out,
        "timeout": limits.timeout,
        "submission_timeout": limits.submission_timeout,
        "memory_exhausted": ran.memory_exhausted,
        "memory": limits.memory,
        "report": ran.report,
        "stderr": truncate(ran.stderr, 300),
    }
    keys = [q.key for q in spec.questions]
    seconds = max(SCORING_SECONDS, limits.timeout)

    def attempt(chosen: list[str]):
        args = (spec.name, str(job), cases, details, cells, chosen, get_language())
        answer = isolated.call(_score_job, args, seconds, SCORING_MEMORY)
        if isinstance(answer, isolated.Failure):
            return answer
        try:
            data = json.loads(answer)
            by_key = {q.key: q for q in spec.questions}
            found = [_result_from(e, by_key.get(e.get("name"))) for e in data["questions"]]
            record = {k: [str(x) for x in data[k]] for k in ("imports", "opened")}
            return found, list(data["cells"]), record
        except (ValueError, TypeError, KeyError, AttributeError):
            return isolated.Failure("died", "sent back a malformed answer")

    whole = attempt(keys)
    if not isinstance(whole, isolated.Failure):
        return whole[0], _explained(whole[1], ran, limits), whole[2]
    questions, cell_runs, record = [], [], {}
    for question in spec.questions:
        alone = attempt([question.key])
        if isinstance(alone, isolated.Failure):
            message = say("run.not-scored", why=alone.message)
            questions.append(failed(question, "error", message))
        else:
            questions.extend(alone[0])
            cell_runs, record = cell_runs or alone[1], record or alone[2]
    return questions, _explained(cell_runs, ran, limits), record


def _explained(cell_runs: list, ran, limits) -> list:
    """The cells' runs, a cell that died or ran out of memory saying under which limit."""
    cap = say("run.memory-limit", mb=f"{limits.memory / 2**20:g}")
    for run in cell_runs:
        if run.get("status") == "dead":
            run["error"] = say("run.kernel-died", memory=memory_note(ran, limits))
        elif run.get("status") == "timeout":
            run["error"] = say("run.cell-timeout", limit=f"{limits.timeout:g}")
        elif str(run.get("error", "")).startswith("MemoryError"):
            run["error"] = f"{run['error']}{cap}"
    return cell_runs


_ROOTS: dict[str, Path] = {}


def private_root() -> Path:
    """This process's folder for job folders in the current temporary folder: made with a
    random name (mode 0700), removed when the process exits; no sandbox ever sees it."""
    where = tempfile.gettempdir()
    if where not in _ROOTS or not _ROOTS[where].is_dir():
        _ROOTS[where] = Path(tempfile.mkdtemp(prefix="course-grader-"))
        atexit.register(safe_files.remove_tree, _ROOTS[where])
    return _ROOTS[where]


def run_submission(
    spec: Assignment,
    cells: list[str],
    cases: dict[str, list[Case]],
    limits: Limits,
    forbidden: tuple[str, ...] = (),
) -> Run:
    """Run ``cells`` in a fresh kernel, then every question of ``spec`` on its ``cases``.

    Args:
        spec: the assignment.
        cells: the submission's code cells (see
            :func:`course_lib.homework.notebook_file.code_cells`).
        cases: the cases of each question, by key.
        limits: time and memory limits, sandbox or not (:class:`Limits`).
        forbidden: modules hidden from the kernel (``"torch"``, ``"course_lib.layers"``).

    Returns:
        a :class:`Run`: one result per question of ``spec``, in order, and the cells' runs.
    """
    isolated.warm_up()  # the scoring processes' imports, while the kernel runs
    job = Path(tempfile.mkdtemp(prefix="job-", dir=private_root()))
    try:
        _write_job(job, spec, cells, cases, limits.timeout)
        sandboxed = sandbox.available() if limits.sandboxed is None else limits.sandboxed
        ran = sandbox.run_job(
            job,
            timeout=limits.submission_timeout,
            hide=list(limits.hide),
            memory=limits.memory,
            sandboxed=sandboxed,
            forbidden=forbidden,
        )
        questions, cell_runs, record = _score(spec, job, cases, ran, cells, limits)
    finally:
        safe_files.remove_tree(job)
    return Run(
        spec.conclude(questions, cases),
        cell_runs,
        record.get("imports", []),
        record.get("opened", []),
    )
