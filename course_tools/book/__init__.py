"""The offline HTML book of the course: ``python -m course_tools book`` (see ``build``)."""

from course_tools.book.build import Page, build_book, notebook_html, plan_pages

__all__ = ["Page", "build_book", "notebook_html", "plan_pages"]
