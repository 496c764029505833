"""Generated blocks of a README: text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

One parser for every block (the results tables, the speed figures, the spiking targets):
:func:`find_block` locates a block, :func:`replace_block` swaps its content, and
:func:`update_readme` rewrites the file (atomically) only when something changed.

Generated text cannot rewrite the README around its block: a block whose markers appear
more than once is an error (it is replaced exactly once or not at all), HTML comment
delimiters in the content are escaped (no content can open or close a block), and
:func:`md_cell` escapes text from the user (model labels) for a table cell: pipes,
newlines, ``<`` and ``>``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._io import write_text_atomic

__all__ = ["check_block", "find_block", "markers", "md_cell", "replace_block", "update_readme"]


def markers(block: str) -> tuple[str, str]:
    """The start and end markers of ``block``."""
    return f"<!-- {block}:start -->", f"<!-- {block}:end -->"


def md_cell(text) -> str:
    """``text`` safe inside a markdown table cell of a README block: ``|`` escaped, line
    breaks as spaces, ``&``, ``<`` and ``>`` as HTML entities (no comment markers, no
    tags)."""
    text = " ".join(str(text).splitlines())
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|"))


def _inert(content: str) -> str:
    """``content`` with HTML comment delimiters escaped: it cannot hold a block marker."""
    return content.replace("<!--", "&lt;!--").replace("-->", "--&gt;")


def find_block(text: str, block: str) -> tuple[int, int] | None:
    """``(start, end)`` offsets of the block's content (between its markers), or None when
    the markers are missing or out of order.

    Raises ValueError when a marker appears more than once (which of them is the block?)."""
    start_m, end_m = markers(block)
    for m in (start_m, end_m):
        if text.count(m) > 1:
            raise ValueError(f"marker {m} appears {text.count(m)} times; a block must appear "
                             "exactly once (remove the extra markers)")
    i = text.find(start_m)
    if i < 0:
        return None
    j = text.find(end_m, i + len(start_m))
    if j < 0:
        return None
    return i + len(start_m), j


def replace_block(text: str, block: str, content: str) -> str:
    """``text`` with the content of ``block`` replaced by ``content`` (on its own lines).

    Raises ValueError if the markers are missing or out of order.
    """
    span = find_block(text, block)
    if span is None:
        start_m, end_m = markers(block)
        raise ValueError(f"markers {start_m} ... {end_m} not found")
    a, b = span
    return f"{text[:a]}\n{_inert(content).rstrip()}\n{text[b:]}"


def check_block(readme: str | os.PathLike, block: str = "results") -> None:
    """Raise OSError if ``readme`` cannot be read, ValueError (naming the file) if it has
    no ``block``."""
    path = Path(readme)
    try:
        span = find_block(path.read_text(encoding="utf-8"), block)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if span is None:
        start_m, end_m = markers(block)
        raise ValueError(f"{path}: markers {start_m} ... {end_m} not found")


def update_readme(readme: str | os.PathLike, markdown: str, block: str = "results") -> bool:
    """Replace the content of ``block`` in the file ``readme`` with ``markdown``; returns
    whether the file changed. Raises ValueError (naming the file) if the markers are missing."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    try:
        new = replace_block(text, block, markdown)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if new == text:
        return False
    write_text_atomic(path, new)
    return True
