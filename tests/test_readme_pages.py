"""The README answers first and stays short; the long generated tables live on the results
page (RESULTS.md) beside it. Every generated block is in one of the two files and is what
the committed results generate; every link, anchor, image and path the two pages name
exists (issue 22 §2)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from brainlearn._readme import block_names, find_block, locate_blocks, results_page_for

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RESULTS = ROOT / "RESULTS.md"

#: at most this many lines: the README answers, the results page holds the tables
README_MAX_LINES = 250

#: where each generated block lives
README_BLOCKS = {"answer", "results-summary", "multiclass-summary", "local-summary",
                 "tuned-summary", "benchmarks-summary"}
RESULTS_BLOCKS = {"results", "multiclass", "local", "tuned", "targets", "benchmarks"}

#: the results page's section of each long block -> the README block that summarises it
SUMMARISED = {"results": "results-summary", "multiclass": "multiclass-summary",
              "local": "local-summary", "tuned": "tuned-summary", "targets": None,
              "benchmarks": "benchmarks-summary"}

#: paths the pages name that exist only once something is built
BUILT = {"docs/_build/html"}


def _slug(title: str) -> str:
    """GitHub's anchor of a heading (markup removed, lowercased, punctuation dropped)."""
    text = re.sub(r"`([^`]*)`", r"\1", title)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("**", "").replace("*", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _without_code(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def _anchors(path: Path) -> set[str]:
    """Every anchor GitHub gives the headings of ``path`` (repeats get -1, -2, ...)."""
    seen: dict[str, int] = {}
    out = set()
    for m in re.finditer(r"^#{1,6}\s+(.*?)\s*$", _without_code(path.read_text("utf-8")),
                         flags=re.M):
        s = _slug(m.group(1))
        n = seen.get(s, 0)
        out.add(s if n == 0 else f"{s}-{n}")
        seen[s] = n + 1
    return out


def _section_of(text: str, block: str) -> str:
    """The ``##`` heading above ``block`` in ``text``."""
    span = find_block(text, block)
    assert span is not None, block
    heads = re.findall(r"^##\s+(.*?)\s*$", _without_code(text[:span[0]]), flags=re.M)
    assert heads, block
    return heads[-1]


def _links(path: Path) -> list[str]:
    text = _without_code(path.read_text("utf-8"))
    return re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", text)


def test_the_readme_is_short_and_starts_with_the_answer():
    text = README.read_text("utf-8")
    n = len(text.splitlines())
    assert n <= README_MAX_LINES, f"README.md has {n} lines (at most {README_MAX_LINES}): " \
                                  "long tables go to RESULTS.md"
    first = text.split("\n## ", 1)[0]
    assert "<!-- answer:start -->" in first  # the answer before any section
    for heading in ("## Two commands", "## Use it in your code", "## Read more",
                    "## What is in it", "## Results at a glance"):
        assert f"\n{heading}\n" in text, heading
    # no long table in the README: its tables are the short summaries
    for block in README_BLOCKS - {"answer"}:
        a, b = find_block(text, block)
        rows = [ln for ln in text[a:b].splitlines() if ln.startswith("|")]
        assert len(rows) <= 12, (block, len(rows))


def test_every_block_lives_in_one_of_the_two_files():
    assert results_page_for(README) == RESULTS
    where = locate_blocks([README, RESULTS])  # raises if a block is in both
    assert {b for b, p in where.items() if p == README} == README_BLOCKS
    assert {b for b, p in where.items() if p == RESULTS} == RESULTS_BLOCKS
    for path in (README, RESULTS):
        text = path.read_text("utf-8")
        for name in block_names(text):
            assert text.count(f"<!-- {name}:start -->") == 1
            assert text.count(f"<!-- {name}:end -->") == 1


def test_the_readme_links_every_results_section_it_summarises():
    readme = README.read_text("utf-8")
    results = RESULTS.read_text("utf-8")
    for block, summary in SUMMARISED.items():
        slug = _slug(_section_of(results, block))
        assert f"](RESULTS.md#{slug})" in readme, (block, slug)
        if summary is not None:  # the link follows its summary, in the same README section
            a, b = find_block(readme, summary)
            rest = readme[b:].split("\n## ", 1)[0].split("\n### ", 1)[0]
            assert f"](RESULTS.md#{slug})" in rest, (summary, slug)
    # the results page lists its sections and links back to the README's summaries
    for block in SUMMARISED:
        assert f"](#{_slug(_section_of(results, block))})" in results, block
    assert "](README.md#results-at-a-glance)" in results


@pytest.mark.parametrize("page", [README, RESULTS], ids=lambda p: p.name)
def test_every_link_image_and_anchor_resolves(page):
    links = _links(page)
    assert links
    for link in links:
        if re.match(r"^[a-z]+://", link) or link.startswith("mailto:"):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path) if path else page
        assert target.exists(), f"{page.name}: {link} does not exist"
        if anchor:
            assert target.suffix == ".md", link
            assert anchor in _anchors(target), f"{page.name}: no heading #{anchor} in " \
                                               f"{target.name}"
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page.read_text("utf-8"))
    for src in images:  # images resolve from the page (both pages sit in the same folder)
        assert (page.parent / src).is_file(), src


def _outside_blocks(text: str) -> str:
    for name in block_names(text):
        a, b = find_block(text, name)
        text = text[:a] + text[b:]
    return _without_code(text)


@pytest.mark.parametrize("page", [README, RESULTS], ids=lambda p: p.name)
def test_every_path_the_prose_names_exists(page):
    """Paths in code spans of the hand-written text (outside the generated blocks) name
    files or folders of the repository."""
    text = _outside_blocks(page.read_text("utf-8"))
    spans = re.findall(r"`([^`]+)`", text)
    paths = [s for s in spans
             if "/" in s and not re.search(r"[\s<>$~:]", s)
             and not s.startswith(("-", ".")) and re.fullmatch(r"[\w./*-]+", s)]
    assert paths
    for p in paths:
        if p.rstrip("/") in BUILT:
            continue
        assert list(ROOT.glob(p.rstrip("/"))), f"{page.name}: `{p}` does not exist"


def test_the_pages_are_what_the_committed_results_generate(tmp_path):
    """Regenerating both pages from the committed results changes nothing: no number of
    either page is typed by hand (run `make figures` after new results)."""
    from brainlearn.runner.report import update_readme_from_results

    if not (ROOT / "results" / "summary.csv").is_file():
        pytest.skip("not a checkout with the committed results")
    readme, page = tmp_path / "README.md", tmp_path / "RESULTS.md"
    shutil.copy(README, readme)
    shutil.copy(RESULTS, page)
    changed = update_readme_from_results(readme, ROOT, results_page=page)
    for mine, theirs in ((readme, README), (page, RESULTS)):
        new, old = mine.read_text("utf-8"), theirs.read_text("utf-8")
        if new != old:
            where = next(i for i, (a, b) in enumerate(zip(new, old, strict=False)) if a != b)
            pytest.fail(f"{theirs.name} is not what the committed results generate (first "
                        f"difference at character {where}: {old[where - 80:where + 80]!r}); "
                        "run `make figures`")
    assert not changed


def test_the_results_page_ships_in_the_source_distribution():
    manifest = (ROOT / "MANIFEST.in").read_text("utf-8")
    assert re.search(r"^include\b.*\bRESULTS\.md\b", manifest, flags=re.M)


def test_hand_written_compile_times_and_python_version_match_the_code():
    """The compile time the README and the guide quote is the one the build notice uses,
    and the Python version is the one pyproject.toml requires."""
    import re
    import tomllib

    from brainlearn.snn.build import TYPICAL_BUILD_S

    root = Path(__file__).resolve().parent.parent
    quoted = f"{TYPICAL_BUILD_S[0]:.0f}-{TYPICAL_BUILD_S[1]:.0f} s"
    found = {}
    for name in ("README.md", "RESULTS.md", "docs/guide/cache.rst"):
        text = (root / name).read_text(encoding="utf-8")
        for m in re.finditer(r"(\d+)-(\d+) s\b[^.\n]*", text):
            if "compile" in text[max(0, m.start() - 120):m.end()]:
                assert m.group(0).startswith(quoted), (name, m.group(0))
                found[name] = found.get(name, 0) + 1
    assert found.get("README.md", 0) >= 1 and found.get("docs/guide/cache.rst", 0) >= 1, found
    readme = (root / "README.md").read_text(encoding="utf-8")
    required = tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"Python {required.replace('>=', '>= ')}" in readme
