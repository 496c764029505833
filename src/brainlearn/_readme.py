"""Generated blocks of a README: text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

One parser for every block (the results tables, the speed figures, the spiking targets):
:func:`find_block` locates a block, :func:`replace_block` swaps its content, and
:func:`update_readme` rewrites the file (atomically) only when something changed.

The blocks of one project may be spread over two files, the README and its results page
(``RESULTS.md`` beside it: the long tables live there, the README keeps short summaries):
:func:`results_page_for` finds that page, :func:`locate_blocks` says which file holds each
block -- a block in both files is an error, so every block is written exactly once -- and
:func:`update_block` replaces a block wherever it lives.

Generated text cannot rewrite the README around its block: a block whose markers appear
more than once is an error (it is replaced exactly once or not at all), HTML comment
delimiters in the content are escaped (no content can open or close a block), and
:func:`md_cell` escapes text from the user (model labels) for a table cell: pipes,
newlines, ``<`` and ``>``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ._io import write_text_atomic

__all__ = ["RESULTS_PAGE", "block_names", "check_block", "find_block", "locate_blocks",
           "markers", "md_cell", "replace_block", "results_page_for", "update_block",
           "update_readme"]

#: the results page beside a README: it receives the long generated tables
RESULTS_PAGE = "RESULTS.md"

_START = re.compile(r"<!-- ([A-Za-z0-9_.-]+):start -->")


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


def block_names(text: str) -> list[str]:
    """The names of the blocks whose start marker ``text`` holds, in order (once each)."""
    return list(dict.fromkeys(_START.findall(text)))


def results_page_for(readme: str | os.PathLike) -> Path | None:
    """The results page of ``readme``: :data:`RESULTS_PAGE` in the same directory, when
    that file exists (and is not the README itself); else None."""
    path = Path(readme)
    page = path.with_name(RESULTS_PAGE)
    if page.is_file() and page.resolve() != path.resolve():
        return page
    return None


def locate_blocks(paths) -> dict[str, Path]:
    """Which file of ``paths`` (None entries skipped) holds each block: ``{name: path}``.

    Raises ValueError (naming both files) when a block appears in more than one of them,
    and, as :func:`find_block`, when its markers appear more than once in one file: every
    block is replaced exactly once."""
    where: dict[str, Path] = {}
    for p in paths:
        if p is None:
            continue
        p = Path(p)
        text = p.read_text(encoding="utf-8")
        for name in block_names(text):
            try:
                span = find_block(text, name)
            except ValueError as exc:
                raise ValueError(f"{p}: {exc}") from None
            if span is None:
                continue
            if name in where and where[name].resolve() != p.resolve():
                start_m, _ = markers(name)
                raise ValueError(f"{start_m} is in both {where[name]} and {p}; a block must "
                                 "live in one file (remove it from one of them)")
            where[name] = p
    return where


def update_block(paths, block: str, content: str) -> bool:
    """Replace ``block`` in whichever file of ``paths`` holds it (:func:`locate_blocks`);
    returns whether that file changed. Raises ValueError when no file holds it."""
    paths = [Path(p) for p in paths if p is not None]
    where = locate_blocks(paths)
    if block not in where:
        start_m, end_m = markers(block)
        raise ValueError(f"markers {start_m} ... {end_m} not found in "
                         + " or ".join(map(str, paths)))
    return update_readme(where[block], content, block=block)
