"""Translated editions generated from the English course and one translation file per source.

- :mod:`~course_tools.translation.entries`: a translation file's entries, keyed to the English;
- :mod:`~course_tools.translation.lint`: what a translation must keep (math, code, links,
  headings) and the glossary's terms;
- :mod:`~course_tools.translation.edition`: the files of an edition, what is missing or
  stale, and building it;
- :mod:`~course_tools.translation.cli`: ``python -m course_tools translate update | build |
  check | coverage [--lang CODE]``.

The languages are data: the course's manifest (``course_lib/course.toml``) lists them with
their rules, and ``translations/<lang>/`` holds their text. See ``translations/README.md``.
"""
