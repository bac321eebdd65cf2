"""``python -m course_tools translate update | build | check | coverage | figures [--lang CODE]``.

``update`` adds entries for new or changed cells (a changed cell keeps its old translation,
marked ``=== <lang> · stale``, for the translator to revise); ``build`` writes the translated
files, executing a translated lecture when its figures must be drawn again; ``check``
reports what is missing, stale, unfaithful or out of date and exits 1 if anything is;
``coverage`` counts the translated units per file; ``figures`` lists the figure labels the
built notebooks drew without a translation, as catalogue lines to fill in
(``course_lib/figures/<lang>.toml``), and exits 1 if there are any. Without ``--lang``, every
translated language of the manifest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from course_tools.course import course_of
from course_tools.translation.edition import (
    build,
    check,
    language,
    sources,
    status,
    untranslated_labels,
    update,
)
from course_tools.translation.lint import lint


def _check_files(root: Path, lang: str, files: list[str]) -> list[str]:
    wanted = {Path(f).as_posix() for f in files}
    chosen = [s for s in sources(root, lang) if s.translation.as_posix() in wanted]
    problems = [p for s in chosen for p in status(root, s, lang).problems()]
    return problems + [p for s in chosen for p in lint(root, s, language(root, lang))]


def _coverage(root: Path, lang: str) -> None:
    done = total = 0
    for source in sources(root, lang):
        result = status(root, source, lang)
        done, total = done + len(result.translated), total + result.total
        print(f"{source.english}: {len(result.translated)}/{result.total}")
    print(f"all ({lang}): {done}/{total} ({100 * done / max(total, 1):.0f} %)")


def _figures(root: Path, lang: str) -> int:
    found = untranslated_labels(root, lang)
    labels = list(dict.fromkeys(label for _, _, label in found))
    for path, cell, label in found:
        print(f"# {path}: cell {cell}: {label}")
    for label in labels:
        print(f'{json.dumps(label, ensure_ascii=False)} = ""')
    print(f"{len(labels)} figure labels without a translation in course_lib/figures/{lang}.toml")
    return 1 if labels else 0


def run(action: str, root: Path, lang: str, files: list[str]) -> int:
    """One action for one language; the exit status."""
    if action == "update":
        for path in update(root, lang):
            print(f"updated {path}")
        return 0
    if action == "build":
        for path in build(root, lang):
            print(f"wrote {path}")
        return 0
    if action == "coverage":
        _coverage(root, lang)
        return 0
    if action == "figures":
        return _figures(root, lang)
    problems = _check_files(root, lang, files) if files else check(root, lang)
    print("\n".join(problems) or f"the {lang} edition is complete and up to date")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools translate", description=__doc__)
    parser.add_argument("action", choices=("update", "build", "check", "coverage", "figures"))
    parser.add_argument("--lang", help="one language code (default: every translated language)")
    parser.add_argument("--root", default=".")
    parser.add_argument("files", nargs="*", help="check only these translation files")
    args = parser.parse_args(argv[1:] if argv[:1] == ["translate"] else argv)
    root = Path(args.root)
    codes = [args.lang] if args.lang else [lang.code for lang in course_of(root).translations]
    try:
        for code in codes:
            language(root, code)
    except ValueError as exc:
        parser.error(str(exc))
    return max(run(args.action, root, code, args.files) for code in codes)
