"""Grade submitted homework notebooks, each in a fresh kernel.

Command line: ``python -m course_lib.homework grade PATH ...``.

For one submission the grader:

1. reads the file once (it never writes to it) and works out which assignment it is: from
   the ``grade_id`` of its answer cells, else from the file name (``alice_hw01.ipynb``);
2. starts a fresh Python kernel in an empty temporary folder and runs the submission's code
   cells in order, each with a time limit; a cell that raises, has a syntax error or runs
   past the limit is recorded and skipped over (a kernel that ignores the interrupt is
   restarted and the cells that worked are replayed);
3. for every question of the assignment (the assignment module is the source of truth for
   questions and points, whatever the submission contains) runs the student's function on
   the trusted inputs inside the kernel (``in_kernel``) and scores the outputs here, against
   the reference, in the grader's own process.

Deleting or editing check cells, redefining ``check`` or patching ``course_lib`` inside the
notebook therefore changes nothing. The grader is not a sandbox, though: a submission runs
arbitrary code with the grader's permissions, so grade in a container or a throwaway account.
"""

from __future__ import annotations

import pickle
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager

from course_lib.homework.assignment import Assignment, assignment_from_filename, load_assignment
from course_lib.homework.checking import QuestionResult, score
from course_lib.homework.in_kernel import fresh_import_line
from course_tools.kernelspec import current_kernel_manager

STARTUP_TIMEOUT = 60.0
#: Seconds a kernel gets to answer after an interrupt before it is restarted.
RECOVERY_TIMEOUT = 10.0


class CannotGrade(Exception):
    """The path is not a gradable notebook (missing, not JSON, unknown assignment)."""


@dataclass
class CellRun:
    """How one cell went: ``status`` is ``"ok"``, ``"error"``, ``"timeout"`` or ``"dead"``."""

    status: str
    error: str = ""


class Kernel:
    """A Python kernel from the grader's own environment, started in ``cwd``."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.km: KernelManager | None = None
        self.kc: Any = None
        self.start()

    def start(self) -> None:
        # IPC sockets in the private working folder: no TCP ports to collide when grading in
        # parallel, and no warning about unencrypted TCP.
        self.km = current_kernel_manager(transport="ipc")
        self.km.ip = str(Path(self.cwd, "kernel"))
        self.km.start_kernel(cwd=self.cwd)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)

    def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def run(self, code: str, timeout: float) -> CellRun:
        """Execute ``code``; on a timeout, interrupt the kernel and wait for it to recover."""
        errors: list[str] = []

        def on_output(msg: dict) -> None:
            if msg["header"]["msg_type"] == "error":
                errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}".rstrip(": "))

        try:
            reply = self.kc.execute_interactive(
                code, timeout=timeout, output_hook=on_output, store_history=False
            )
        except TimeoutError:
            if not self.km.is_alive():
                return CellRun("dead", "the kernel died")
            self.km.interrupt_kernel()
            return CellRun("timeout", f"ran longer than the {timeout:g} s limit")
        if not self.km.is_alive():
            return CellRun("dead", "the kernel died")
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            return CellRun("error", errors[0] if errors else content.get("ename", "error"))
        return CellRun("ok")

    def responsive(self, timeout: float) -> bool:
        """True when the kernel answers a trivial request within ``timeout`` seconds."""
        return self.km.is_alive() and self.run("pass", timeout).status == "ok"


@dataclass
class Submission:
    """The result of grading one notebook."""

    path: str
    assignment: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    max_score: float = 0.0
    error: str = ""  # set when the submission could not be graded at all
    cell_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(q.score for q in self.questions)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form documented in the README."""
        data = {
            "path": self.path,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "questions": [q.as_dict() for q in self.questions],
        }
        if self.error:
            data["error"] = self.error
        return data


def read_submission(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, read once; ``CannotGrade`` if it is not one."""
    if not path.is_file():
        raise CannotGrade(f"{path} is not a file")
    try:
        return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except Exception as exc:
        raise CannotGrade(f"{path} is not a readable notebook ({type(exc).__name__})") from exc


def identify(nb: nbformat.NotebookNode, path: Path, assignment: str | None) -> Assignment:
    """Which assignment ``nb`` answers.

    In order: the ``assignment`` argument; the ``grade_id`` of the answer cells; the
    ``course_lib.homework.hwNN`` module the notebook imports; the file name.
    """
    if assignment is None:
        ids = {
            str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
            for cell in nb.cells
        }
        names = {m.group(1) for i in ids if (m := re.match(r"(hw\d\d)-", i))}
        if not names:  # e.g. a solution notebook: look for `from course_lib.homework.hw01 ...`
            code = "\n".join(_code_cells(nb))
            names = set(re.findall(r"course_lib\.homework\.(hw\d\d)\b", code))
        assignment = names.pop() if len(names) == 1 else assignment_from_filename(path.name)
    if assignment is None:
        raise CannotGrade(f"cannot tell which assignment {path} is; pass --assignment")
    try:
        return load_assignment(assignment)
    except ValueError as exc:
        raise CannotGrade(str(exc)) from exc


# A cell holding nothing but self-check calls only prints: the grader runs its own checks.
_SELF_CHECK_CELL = re.compile(r"""(\s*check\(\s*["']q\d+["']\s*,\s*\w+\s*\)\s*;?\s*)+""")


def _code_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The submission's non-empty code cells, without the cells that only call ``check``."""
    return [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code"
        and cell.source.strip()
        and not _SELF_CHECK_CELL.fullmatch(cell.source)
    ]


def _recover(
    kernel: Kernel, run: CellRun, cells: list[str], runs: list[CellRun], timeout: float
) -> None:
    """After a timeout or a crash, make sure the kernel is usable with the student's state.

    A kernel that ignores the interrupt (say, a loop that catches KeyboardInterrupt) or has
    died is restarted, and the cells that completed before are run again.
    """
    if run.status not in ("timeout", "dead") or kernel.responsive(min(RECOVERY_TIMEOUT, timeout)):
        return
    kernel.restart()
    for code, earlier in zip(cells, runs, strict=False):
        if earlier.status in ("ok", "error"):
            kernel.run(code, timeout)


def _run_cells(kernel: Kernel, cells: list[str], timeout: float) -> list[CellRun]:
    """Run the submission's cells in order, recovering from timeouts and crashes."""
    runs: list[CellRun] = []
    for code in cells:
        run = kernel.run(code, timeout)
        _recover(kernel, run, cells, runs, timeout)
        runs.append(run)
    return runs


def _missing_message(missing: str, function: str, cells: list[str], runs: list[CellRun]) -> str:
    """Explain a missing function by the failure of the cell that should define it."""
    for code, run in zip(cells, runs, strict=True):
        if re.search(rf"^\s*(def|class)\s+{re.escape(function)}\b", code, re.M) and run.error:
            first_line = code.strip().splitlines()[0]
            return f"{missing}: its cell failed ({run.error}) at `{first_line}`"
    return f"{missing} in the notebook"


def _grade_questions(
    kernel: Kernel, assignment: Assignment, cells: list[str], runs: list[CellRun], timeout: float
) -> list[QuestionResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="grader-io-") as io_dir:
        for question in assignment.questions:
            cases = question.make_cases()
            in_path, out_path = (
                Path(io_dir, f"{question.key}.in"),
                Path(io_dir, f"{question.key}.out"),
            )
            in_path.write_bytes(pickle.dumps(cases))
            code = fresh_import_line(assignment.name, question.key, str(in_path), str(out_path))
            run = kernel.run(code, timeout)
            _recover(kernel, run, cells, runs, timeout)

            def failed(status: str, message: str, q=question) -> QuestionResult:
                return QuestionResult(q.key, q.function, 0.0, q.points, status, message)

            if not out_path.exists():
                if run.status == "timeout":
                    results.append(failed("timeout", f"the check {run.error}"))
                else:
                    results.append(failed("error", f"the check could not run: {run.error}"))
                continue
            data = pickle.loads(out_path.read_bytes())
            if "missing" in data:
                message = _missing_message(data["missing"], question.function, cells, runs)
                results.append(failed("missing", message))
            else:
                results.append(score(question, cases, data["outcomes"]))
    return results


def grade_submission(path: str, timeout: float = 60.0, assignment: str | None = None) -> Submission:
    """Grade the notebook at ``path``; never raises for a bad submission, never writes to it.

    Args:
        path: a ``.ipynb`` file.
        timeout: seconds each cell (and each question's check) may run.
        assignment: ``"hw01"`` …; worked out from the notebook when None.

    Returns:
        a :class:`Submission`; ``error`` is set when the file could not be graded at all.
    """
    start = time.perf_counter()
    result = Submission(path)
    try:
        nb = read_submission(Path(path))
        spec = identify(nb, Path(path), assignment)
    except CannotGrade as exc:
        result.error = str(exc)
        return result
    result.assignment, result.max_score = spec.name, spec.max_score
    cells = _code_cells(nb)
    with tempfile.TemporaryDirectory(prefix="grader-cwd-") as cwd:
        kernel = Kernel(cwd)
        try:
            runs = _run_cells(kernel, cells, timeout)
            result.cell_errors = [
                f"{r.error} at `{code.strip().splitlines()[0]}`"
                for code, r in zip(cells, runs, strict=True)
                if r.error
            ]
            result.questions = _grade_questions(kernel, spec, cells, runs, timeout)
        finally:
            kernel.shutdown()
    result.seconds = time.perf_counter() - start
    return result
