"""A markdown page of the repository as a page of this site, without a markdown parser.

``.. brainlearn-markdown:: ../RESULTS.md`` converts the file (relative to the document)
to reStructuredText and parses it in place, section titles included. The results page is
written by ``brainlearn figures --readme README.md`` in the markdown that renders on
GitHub; this converter understands the part of markdown that the page and its generated
blocks use:

* ``#`` headings (a level that skips one is lifted, as reStructuredText requires); a
  heading that a link of the page points to (``[text](#slug)``) gets the GitHub anchor
  ``slug`` as its label, so the link works here too;
* paragraphs, ``-`` bullet lists, fenced code blocks, pipe tables (as ``list-table``),
  images on a line of their own, HTML comments (dropped: the block markers);
* inline code, ``**strong**``, ``*emphasis*`` and links: web links stay links, links into
  ``docs/`` become ``:doc:`` references, other files of the repository are named as paths.

Plain text is escaped, so nothing in a table cell can become markup by accident.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path, PurePosixPath

from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

__all__ = ["github_slug", "markdown_to_rst"]

_UNDERLINE = "=-~^\"'"
_INLINE = re.compile(
    r"(?P<code>`[^`]+`)"
    r"|\[(?P<ltext>[^\]]+)\]\((?P<url>[^)\s]+)\)"
    r"|\*\*(?P<strong>.+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^\s*](?:.*?[^\s*])?)\*(?![\w*])"
)
_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^([-*])\s+(.*)$")


def github_slug(title: str) -> str:
    """The anchor GitHub gives a markdown heading: the text of ``title`` (markup removed)
    lowercased, everything but letters, digits, spaces, hyphens and underscores dropped,
    spaces as hyphens."""
    text = _plain(title).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _plain(text: str) -> str:
    """``text`` without inline markup (link targets dropped, code and emphasis unwrapped)."""
    def repl(m):
        if m.group("code"):
            return m.group("code")[1:-1]
        if m.group("ltext") is not None:
            return _plain(m.group("ltext"))
        return _plain(m.group("strong") or m.group("em") or "")
    return html.unescape(_INLINE.sub(repl, text)).replace("\\|", "|")


def _escape(text: str) -> str:
    text = html.unescape(text.replace("\\|", "|"))
    return re.sub(r"([\\*`|_\[\]<>])", r"\\\1", text)


def _literal(text: str) -> str:
    # an inline literal cannot hold two backquotes in a row, nor start or end with a space
    text = text.strip() or " "
    if "``" in text:
        return _escape(text)
    return f"\\ ``{text}``\\ "


def _emphasised(inner: str, mark: str) -> str:
    """``inner`` wrapped in ``mark`` (``*`` or ``**``); reStructuredText cannot nest inline
    markup, so the code spans and links inside are set apart and each run of text between
    them is wrapped on its own."""
    out = []
    pos = 0
    for m in _INLINE.finditer(inner):
        out.append(("text", inner[pos:m.start()]))
        out.append(("markup", _inline(m.group(0))))
        pos = m.end()
    out.append(("text", inner[pos:]))
    parts = []
    for kind, s in out:
        if kind == "markup":
            parts.append(s)
            continue
        core = s.strip()
        if not core:
            parts.append(s)
            continue
        lead = s[:len(s) - len(s.lstrip())]
        trail = s[len(s.rstrip()):]
        parts.append(f"{lead}\\ {mark}{_escape(core)}{mark}\\ {trail}")
    return "".join(parts)


def _link(text: str, url: str) -> str:
    label = _escape(_plain(text)) or _escape(url)
    if re.match(r"^[a-z]+://", url) or url.startswith("mailto:"):
        return f"\\ `{label} <{url}>`__\\ "
    if url.startswith("#"):
        return f"\\ :ref:`{label} <{url[1:]}>`\\ "
    path, _, _anchor = url.partition("#")
    p = PurePosixPath(path)
    if p.parts and p.parts[0] == "docs" and p.suffix == ".rst":
        doc = "/" + str(p.relative_to("docs").with_suffix(""))
        return f"\\ :doc:`{label} <{doc}>`\\ "
    # another file of the repository: named, since this site does not hold it
    shown = _plain(text)
    if shown.strip("`") == path:
        return _literal(path)
    return f"{_escape(shown)} ({_literal(path)})"


def _inline(text: str) -> str:
    """One paragraph (or table cell) of markdown as reStructuredText inline text."""
    out = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        if m.group("code"):
            out.append(_literal(m.group("code")[1:-1]))
        elif m.group("ltext") is not None:
            out.append(_link(m.group("ltext"), m.group("url")))
        elif m.group("strong") is not None:
            out.append(_emphasised(m.group("strong"), "**"))
        else:
            out.append(_emphasised(m.group("em"), "*"))
        pos = m.end()
    out.append(_escape(text[pos:]))
    s = "".join(out).strip()
    # an escaped space at either end has nothing to set apart (and a lone backslash at
    # the end of a line would escape the line break)
    if s.startswith("\\ "):
        s = s[2:]
    if s.endswith("\\") and not s.endswith("\\\\"):
        s = s[:-1].rstrip()
    return s


def _cells(row: str) -> list[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def _table(rows: list[str]) -> list[str]:
    body = [r for r in rows if not re.fullmatch(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?", r.strip())]
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in body:
        for k, cell in enumerate(_cells(row)):
            text = _inline(cell) or "\\ "
            out.append(f"   {'* -' if k == 0 else '  -'} {text}")
    return out + [""]


def markdown_to_rst(text: str, prefix: str = "") -> str:
    """``text`` (markdown) as reStructuredText; ``prefix`` is put in front of relative
    image paths (the way from the document to the markdown file's directory)."""
    lines = text.splitlines()
    linked = {m.group(1) for m in re.finditer(r"\]\(#([^)\s]+)\)", text)}
    out: list[str] = []
    level = 0
    i = 0
    para: list[str] = []

    def flush():
        if para:
            out.extend([_inline(" ".join(s.strip() for s in para)), ""])
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("<!--"):
            flush()
            while "-->" not in lines[i]:
                i += 1
            i += 1
            continue
        if stripped.startswith("```"):
            flush()
            lang = stripped[3:].strip() or "text"
            i += 1
            code = []
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            i += 1
            out += [f".. code-block:: {lang}", ""] + [f"   {c}" if c else "" for c in code] + [""]
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            level = min(len(m.group(1)), level + 1)
            title = _inline(m.group(2))
            slug = github_slug(m.group(2))
            if slug in linked:
                out += [f".. _{slug}:", ""]
            out += [title, _UNDERLINE[level - 1] * (len(title) + 2), ""]
            i += 1
            continue
        m = _IMAGE.match(stripped)
        if m:
            flush()
            src = m.group("src")
            if not re.match(r"^[a-z]+://", src) and not src.startswith("/"):
                src = prefix + src
            out += [f".. image:: {src}", f"   :alt: {m.group('alt')}", ""]
            i += 1
            continue
        if stripped.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out += _table(rows)
            continue
        m = _BULLET.match(line)
        if m and not para:
            item = [m.group(2)]
            i += 1
            while (i < len(lines) and lines[i].startswith("  ") and lines[i].strip()
                   and not _BULLET.match(lines[i])):
                item.append(lines[i])
                i += 1
            out.append("* " + _inline(" ".join(s.strip() for s in item)))
            if i >= len(lines) or not _BULLET.match(lines[i]):
                out.append("")
            continue
        if not stripped:
            flush()
            i += 1
            continue
        para.append(line)
        i += 1
    flush()
    return "\n".join(out) + "\n"


class MarkdownPage(SphinxDirective):
    """``.. brainlearn-markdown:: PATH``: the markdown file PATH (relative to this
    document) converted and parsed in place."""

    required_arguments = 1
    has_content = False

    def run(self):
        rel, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        path = Path(path)
        self.env.note_dependency(str(path))
        doc_dir = Path(self.env.doc2path(self.env.docname)).parent
        prefix = Path(os.path.relpath(path.parent, doc_dir)).as_posix()
        prefix_s = "" if prefix == "." else prefix + "/"
        rst = markdown_to_rst(path.read_text(encoding="utf-8"), prefix_s)
        self.state_machine.insert_input(StringList(rst.splitlines(), str(path)), str(path))
        return []


def setup(app):
    app.add_directive("brainlearn-markdown", MarkdownPage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
