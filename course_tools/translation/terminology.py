"""One term per concept: the terminology lint of a translated edition.

``notebooks/terminology.toml`` (kept with the glossary) lists, per concept, the one form the
edition writes, the variants it must not write (regular expressions) and other books' forms
(aliases, e.g. d2l-zh's 批量规范化), which only the glossary may show. :func:`problems` names
every variant found in the edition's prose: each translation file's translations, the README's
parts in that language, the book's strings, the homework checks' messages in that language
(``course_lib/homework/messages/<lang>.toml``) and the glossary's and notation table's columns
in that language. Code, formulas, link targets and HTML tags are not prose and are masked first.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from course_tools.translation.entries import parse

TERMS = Path("notebooks") / "terminology.toml"
#: What is not prose: fenced code, code spans (kept as the word CODE, so that a rule can say
#: "a code span followed by 单元"), formulas, link targets, bare URLs and HTML tags.
_MASKS = (
    (re.compile(r"```.*?```", re.S), " "),
    (re.compile(r"<code>.*?</code>", re.S), "CODE"),
    (re.compile(r"`[^`\n]+`"), "CODE"),
    (re.compile(r"\$\$.+?\$\$", re.S), " "),
    (re.compile(r"\$(?:[^$\n]|\n(?!\s*\n))+?\$"), " "),
    (re.compile(r"\]\([^)\s]*\)"), "]"),
    (re.compile(r"https?://\S+"), " "),
    (re.compile(r"<[^>\n]+>"), " "),
)
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Term:
    """A concept's one form ``zh``, the ``avoid`` patterns, ``aliases`` (glossary only) and
    the ``files`` (name fragments) the rule is limited to, if any."""

    en: str
    zh: str
    avoid: tuple[re.Pattern, ...]
    aliases: tuple[str, ...]
    files: tuple[str, ...] = ()

    def applies_to(self, name: str) -> bool:
        return not self.files or any(part in name for part in self.files)


def language_of_terms(root: Path) -> str:
    """The language code the terminology file is for (its ``language`` key)."""
    return tomllib.loads((Path(root) / TERMS).read_text(encoding="utf-8")).get("language", "")


def load_terms(root: Path) -> list[Term]:
    """The terms of ``notebooks/terminology.toml``.

    Raises:
        ValueError: a term without ``en``/``zh``, or an ``avoid`` pattern that does not compile
            or that matches the term's own form.
    """
    data = tomllib.loads((Path(root) / TERMS).read_text(encoding="utf-8"))
    terms = []
    for number, row in enumerate(data.get("term", []), start=1):
        if not row.get("en") or not row.get("zh"):
            raise ValueError(f"{TERMS}: term {number} needs 'en' and 'zh'")
        try:
            avoid = tuple(re.compile(p) for p in row.get("avoid", []))
        except re.error as exc:
            raise ValueError(f"{TERMS}: term {row['en']!r}: bad avoid pattern: {exc}") from exc
        for pattern in avoid:
            if pattern.search(row["zh"]):
                raise ValueError(f"{TERMS}: {row['en']!r}: {pattern.pattern!r} forbids {row['zh']}")
        terms.append(
            Term(
                row["en"],
                row["zh"],
                avoid,
                tuple(row.get("aliases", [])),
                tuple(row.get("files", [])),
            )
        )
    return terms


def prose(text: str) -> str:
    """``text`` with code, formulas, link targets, URLs and HTML tags masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def variants(text: str, name: str, terms: list[Term], glossary: bool = False) -> list[str]:
    """``"<found> (write <form>)"`` for each forbidden variant in the prose of ``text``; in the
    glossary (``glossary=True``) a term's aliases are allowed."""
    text = prose(text)
    if glossary:
        for alias in sorted({a for t in terms for a in t.aliases}, key=len, reverse=True):
            text = text.replace(alias, " ")
    found = []
    for term in terms:
        if not term.applies_to(name):
            continue
        for pattern in term.avoid:
            for match in pattern.finditer(text):
                start, end = max(match.start() - 8, 0), match.end() + 8
                context = " ".join(text[start:end].split())
                found.append(f"{match[0]!r} in “…{context}…” (write {term.zh}: {term.en})")
    return found


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def language_parts(text: str) -> list[tuple[str, str]]:
    """``[(label, text)]``: the parts of an English Markdown page written in the other
    language -- sections whose heading is all Chinese (no Latin letter), and table cells
    with Chinese characters."""
    parts, in_section, heading = [], False, ""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"#+ ", line):
            in_section = bool(CJK.search(line)) and not re.search(r"[A-Za-z]", line)
            heading = line
            if in_section:
                parts.append((f"line {number}", line))
            continue
        if line.lstrip().startswith("|"):
            parts += [(f"line {number}", c) for c in _cells(line) if CJK.search(c)]
        elif in_section:
            parts.append((f"line {number} ({heading.strip('# ')})", line))
    return parts


def _messages(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    """``[(table.id, text)]`` of a homework messages file (nested tables of strings)."""
    found = []
    for key, value in data.items():
        if isinstance(value, dict):
            found += _messages(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            found.append((f"{prefix}{key}", value))
    return found


def _book_strings(data: dict) -> list[tuple[str, str]]:
    found = [(f"[strings] {key!r}", value) for key, value in data.get("strings", {}).items()]
    for number, lecture in data.get("lectures", {}).items():
        found += [(f"[lectures.{number}] {key}", value) for key, value in lecture.items()]
    return found


def problems(root: Path, lang: str = "zh") -> list[str]:
    """Every forbidden variant in the ``lang`` edition's prose, as ``file: where: what``;
    none when the course has no terminology for ``lang``."""
    root = Path(root)
    if not (root / TERMS).exists() or language_of_terms(root) != lang:
        return []
    terms, found = load_terms(root), []
    for path in sorted((root / "translations" / lang).rglob("*.md")):
        name = path.relative_to(root).as_posix()
        for entry in parse(path.read_text(encoding="utf-8"), lang):
            for problem in variants(entry.translated, name, terms, path.stem == "glossary"):
                found.append(f"{name}: {entry.label}: {problem}")
    book = root / "translations" / lang / "book.toml"
    if book.exists():
        for label, value in _book_strings(tomllib.loads(book.read_text(encoding="utf-8"))):
            found += [
                f"{book.relative_to(root)}: {label}: {p}" for p in variants(value, "book", terms)
            ]
    messages = root / "course_lib" / "homework" / "messages" / f"{lang}.toml"
    if messages.exists():
        for label, value in _messages(tomllib.loads(messages.read_text(encoding="utf-8"))):
            found += [
                f"{messages.relative_to(root).as_posix()}: {label}: {p}"
                for p in variants(value, "messages", terms)
            ]
    for page in ("README.md", "notebooks/glossary.md", "notebooks/notation.md"):
        if not (root / page).exists():
            continue
        for label, part in language_parts((root / page).read_text(encoding="utf-8")):
            found += [
                f"{page}: {label}: {p}" for p in variants(part, page, terms, "glossary" in page)
            ]
    return found
