"""Sphinx configuration of the brainlearn documentation (``make docs``).

The example gallery (``examples/``) is executed at build time. ``BRAINLEARN_DOCS_TINY=1``
(set by the docs test) makes every example run at tiny sizes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT / "src"))

import brainlearn  # noqa: E402

project = "brainlearn"
author = "the brainlearn authors"
copyright = "2026, the brainlearn authors"  # noqa: A001
release = version = brainlearn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "brainlearn_numpydoc_once",
    "sphinx_gallery.gen_gallery",
    "brainlearn_tables",
    "brainlearn_markdown",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]
root_doc = "index"

autosummary_generate = True
autosummary_imported_members = False
# scikit-learn's metadata-routing setters and inherited score refer to scikit-learn's own
# documentation labels; they are scikit-learn's API, documented there
autodoc_default_options = {
    "members": True,
    "show-inheritance": False,
    "exclude-members": ",".join(
        f"set_{m}_request" for m in ("fit", "score", "predict", "predict_proba",
                                     "partial_fit", "transform", "decision_function")
    ) + ",score,get_metadata_routing",
}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
# module docstrings are written for readers, not in numpydoc's section grammar: numpydoc
# warns about free-form section titles ("Public API", "Classes") but renders them fine
suppress_warnings = [
    "autosummary.import_cycle",
    # numpydoc renames a module docstring's References ([1], [2]) to unique labels; where
    # the module text does not cite them itself (the class docstring below does) Sphinx
    # calls them unreferenced
    "ref.citation",
    # short module references inside the package (":mod:`.contributions`") match a runner
    # and a figures module of the same name; Sphinx picks the nearest, which is the meant one
    "ref.python",
]

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
}
# the build must not need the network (the docs test runs offline): no inventories
if os.environ.get("BRAINLEARN_DOCS_OFFLINE", "1") == "1":
    intersphinx_mapping = {}

try:
    import pydata_sphinx_theme  # noqa: F401

    html_theme = "pydata_sphinx_theme"
    html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
except ImportError:  # pragma: no cover - the plain theme works too
    html_theme = "alabaster"
html_title = f"brainlearn {release}"
html_static_path: list[str] = []

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # files named plot_*.py are executed at build time; the other scripts are shown with
    # their code only (they fit Brian2 networks, which compile C++ for 40-120 s)
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
    "plot_gallery": "True",
}
