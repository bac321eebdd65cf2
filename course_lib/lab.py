"""Open the course in JupyterLab: ``python -m course_lib lab [JUPYTERLAB OPTIONS ...]``.

``make lab`` runs this. It opens ``README.md`` rendered (JupyterLab's Markdown preview, so
its links to the lectures work) by setting the preview as the default viewer of Markdown
files in this environment's JupyterLab settings (``overrides.json``) and making the README
the server's default URL: the browser opens it, and with ``--no-browser`` the printed link
is ``…/lab/tree/README.md?token=…``. It adds ``--allow-root`` when run as root (JupyterLab
refuses to start as root otherwise, as in many containers) and passes every other option
through: ``--no-browser --port 8890`` for a headless start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: JupyterLab settings: Markdown files open in the rendered preview, not the text editor, and
#: JupyterLab does not ask to fetch news from the network (the course works offline).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Markdown Preview"}},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
}


def overrides_path(prefix: str | os.PathLike = sys.prefix) -> Path:
    """Where JupyterLab reads an environment's default settings (``overrides.json``)."""
    return Path(prefix, "share", "jupyter", "lab", "settings", "overrides.json")


def write_overrides(path: Path) -> None:
    """Merge :data:`LAB_SETTINGS` into the settings file at ``path`` (kept otherwise)."""
    settings = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if not isinstance(settings, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    for plugin, values in LAB_SETTINGS.items():
        current = settings.setdefault(plugin, {})
        for key, value in values.items():
            if isinstance(value, dict):
                current.setdefault(key, {}).update(value)
            else:
                current[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


#: The page JupyterLab opens first (and prints, with its token, when started headless).
START_PAGE = "/lab/tree/README.md"


def lab_command(options: list[str], is_root: bool) -> list[str]:
    """The ``jupyter lab`` command line that opens README.md with ``options``."""
    extra = ["--allow-root"] if is_root and "--allow-root" not in options else []
    start = [f"--LabApp.default_url={START_PAGE}"]
    return [sys.executable, "-m", "jupyterlab", *extra, *start, *options]


def course_folder(start: Path | None = None) -> Path:
    """The course's folder: ``start`` (default: the working directory) or the first of its
    parents that holds ``README.md`` and ``notebooks/``.

    Raises:
        FileNotFoundError: when there is none (naming ``start``).
    """
    here = (Path.cwd() if start is None else Path(start)).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "README.md").is_file() and (candidate / "notebooks").is_dir():
            return candidate
    raise FileNotFoundError(
        f"start={str(here)!r} is not inside the course's folder (no README.md and notebooks/)"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = argv[1:] if argv and argv[0] == "lab" else argv
    if options and options[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    try:
        folder = course_folder()
    except FileNotFoundError as exc:
        print(f"error: {exc}; run this from the course's folder", file=sys.stderr)
        return 2
    write_overrides(overrides_path())
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    command = lab_command(options, is_root)
    if os.name == "posix":
        # Become JupyterLab, so that Ctrl-C or a signal to this process reaches the server
        # itself instead of leaving it running without its parent.
        os.chdir(folder)
        os.execv(command[0], command)
    try:
        return subprocess.call(command, cwd=folder)
    except KeyboardInterrupt:
        return 0
