"""Cell builders shared by the notebook generators (tools/make_notebook*.py)."""

from nbformat.v4 import new_code_cell, new_markdown_cell


def md(text):
    """A markdown cell."""
    return new_markdown_cell(text.strip("\n"))


def code(text, tags=()):
    """A code cell with optional cell tags."""
    c = new_code_cell(text.strip("\n"))
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def solution(text):
    """An exercise solution: tagged ``solution``, source hidden so it opens collapsed."""
    c = code(text, tags=("solution",))
    c.metadata["jupyter"] = {"source_hidden": True}
    return c


def widget_cell(text):
    """A cell that displays widgets: nbval ignores its output (widget model ids, Output capture)."""
    return code(text, tags=("nbval-ignore-output",))
