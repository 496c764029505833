"""The documentation builds, warnings as errors, with every example of the gallery executed
(at tiny sizes: ``BRAINLEARN_DOCS_TINY=1``), so neither the pages nor the examples can rot;
and the hand-written TOML reference names every key the spec parser accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("sphinx_gallery")


@pytest.mark.slow
def test_the_docs_build_without_warnings_and_run_every_example(tmp_path):
    # a copy of docs/ beside links to the examples and the source: the build writes its
    # generated pages and the executed gallery into the copy, never into the checkout
    shutil.copytree(DOCS, tmp_path / "docs",
                    ignore=shutil.ignore_patterns("_build", "generated", "auto_examples",
                                                  "sg_execution_times.rst"))
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "src").symlink_to(ROOT / "src")
    # the results page (RESULTS.md, included by docs/results.rst) and the figures it shows
    for name in _results_page_sources():
        (tmp_path / name).symlink_to(ROOT / name)
    out = tmp_path / "html"
    env = subprocess_env(BRAINLEARN_DOCS_TINY="1", MPLBACKEND="Agg",
                         BRAINLEARN_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         str(tmp_path / "docs"), str(out)],
        capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-6000:] + proc.stdout[-2000:]
    examples = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    executed = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))
    assert executed, "no executed example"
    for name in examples:  # every script has its page, the executed ones their output
        page = out / "auto_examples" / f"{name}.html"
        assert page.is_file(), name
        if name in executed:
            assert "sphx-glr-script-out" in page.read_text(encoding="utf-8"), name
    # the generated tables are there: every analysis and option of the runner's table
    from brainlearn.runner.analyses import ANALYSES, default_options

    toml_page = (out / "guide" / "toml.html").read_text(encoding="utf-8")
    runner_page = (out / "guide" / "runner.html").read_text(encoding="utf-8")
    for key in [*default_options(), "trials", "validation", "metric"]:
        assert key in toml_page, key
    for name in ANALYSES:
        assert name in runner_page, name
    assert (out / "generated" / "brainlearn.plot.html").is_file()
    # the results page is a page of the site, its figures copied, its anchors kept
    results_page = (out / "results.html").read_text(encoding="utf-8")
    assert "Test accuracy" in results_page and "two_by_two.png" in results_page
    assert 'id="the-spiking-classifiers-targets"' in results_page


def _results_page_sources() -> list[str]:
    """The top-level entries of the checkout that the docs' results page reads: RESULTS.md
    and the folders of the images it shows."""
    text = (ROOT / "RESULTS.md").read_text(encoding="utf-8")
    tops = {src.split("/", 1)[0] for src in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)}
    return ["RESULTS.md", *sorted(tops)]


def _markdown_module():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import brainlearn_markdown
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    return brainlearn_markdown


def test_the_results_page_converts_to_restructuredtext_without_a_warning():
    """docs/results.rst shows RESULTS.md through the site's small markdown converter: every
    table, list, heading and image of the page parses cleanly (the fast part of the docs
    build; the slow test builds the whole site)."""
    from docutils.core import publish_doctree
    from docutils.parsers.rst import roles
    from docutils.utils import SystemMessage

    md = _markdown_module()
    assert (DOCS / "results.rst").read_text(encoding="utf-8").rstrip().endswith(
        ".. brainlearn-markdown:: ../RESULTS.md")
    rst = md.markdown_to_rst((ROOT / "RESULTS.md").read_text(encoding="utf-8"), "../")

    def sphinx_role(name, rawtext, text, lineno, inliner, options=None, content=None):
        from docutils import nodes
        return [nodes.inline(rawtext, text)], []

    for name in ("doc", "ref"):
        roles.register_local_role(name, sphinx_role)
    try:
        tree = publish_doctree(rst, settings_overrides={
            "halt_level": 2, "report_level": 2, "warning_stream": False})
    except SystemMessage as exc:  # pragma: no cover - the message says where
        pytest.fail(f"RESULTS.md as reStructuredText: {exc}")
    from docutils import nodes

    tables = list(tree.findall(nodes.table))
    images = [n["uri"] for n in tree.findall(nodes.image)]
    page = (ROOT / "RESULTS.md").read_text(encoding="utf-8")
    assert len(tables) == len(re.findall(r"^\|---", page, flags=re.M))
    assert len(images) == len(re.findall(r"^!\[", page, flags=re.M)) > 0
    for uri in images:  # relative to docs/, where results.rst is
        assert (DOCS / uri).resolve().is_file(), uri
    titles = [t.astext() for t in tree.findall(nodes.title)]
    assert "The default comparison" in titles and "Speed" in titles


def test_the_markdown_converter_escapes_text_and_keeps_markup():
    md = _markdown_module()
    rst = md.markdown_to_rst(
        "# T\n\n## A *b* c\n\n| x | y |\n|---|---|\n| **+0.1** [a, b], p 0.5 | a\\|b_ |\n"
        "| `snn-*` | |\n\n- **Part** (`a` − b) *x `y` z*\n  more\n\n[l](#a-b-c) and "
        "[g](docs/guide/cache.rst), [f](figures/captions.md)\n")
    assert "* - **+0.1**\\  \\[a, b\\], p 0.5" in rst  # text escaped, markup kept
    assert "a\\|b\\_" in rst and "* - ``snn-*``" in rst
    assert "* **Part**\\  (\\ ``a``\\  − b) \\ *x*\\  ``y`` \\ *z*\\  more" in rst
    assert ".. _a-b-c:\n\nA \\ *b*\\  c\n---" in rst and ":ref:`l <a-b-c>`" in rst
    assert ":doc:`g </guide/cache>`" in rst and "f (\\ ``figures/captions.md``\\ )" in rst
    assert md.github_slug("The spiking classifier's targets") == \
        "the-spiking-classifiers-targets"


def test_the_toml_reference_names_every_key_the_parser_accepts():
    from brainlearn.runner import spec

    text = (DOCS / "guide" / "toml.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\s+``(\w+)``", text, flags=re.M))
    tables = set(re.findall(r"^``\[\[?(\w+)\]\]?``", text, flags=re.M))
    assert tables == spec._TOP_KEYS
    for keys in (spec._EXPERIMENT_KEYS, spec._MODEL_KEYS, spec._SWEEP_KEYS):
        assert keys <= documented, keys - documented
    # [options] and [tune] are tables generated from the code (docs/_ext)
    assert ".. brainlearn-options::" in text and ".. brainlearn-tune-settings::" in text
    for name in spec.ANALYSES:
        assert f"``{name}``" in text, name


def test_make_docs_builds_with_warnings_as_errors():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    rule = makefile.split("\ndocs:", 1)[1].split("\n\n", 1)[0]
    assert "sphinx-build" in rule and "-W" in rule and "--keep-going" in rule
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for extra in ("docs", "dev"):
        block = pyproject.split(f"\n{extra} = [", 1)[1].split("]", 1)[0]
        for pkg in ("sphinx", "numpydoc", "sphinx-gallery"):
            assert f'"{pkg}>=' in block, (extra, pkg)



def test_citation_changelog_and_metadata_agree_with_the_package():
    import brainlearn

    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf"^version: {re.escape(brainlearn.__version__)}$", cff, re.M)
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{brainlearn.__version__}]" in changelog
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    description = re.search(r'^description = "(.*)"$', pyproject, re.M).group(1)
    assert "binary" not in description and "two or more classes" in description
    from brainlearn.cli import build_parser

    assert "binary" not in build_parser().description
