"""Grading submitted homework notebooks (``python -m course_tools grade``)."""
