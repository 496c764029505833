"""Tables of the documentation generated from the code, so they cannot go stale.

Directives:

``.. brainlearn-analyses::``
    every analysis of :data:`brainlearn.runner.analyses.TABLE` (name, what it measures,
    the capabilities it needs, its options, its figure), then the summary figures;
``.. brainlearn-options::``
    every ``[options]`` key with the analysis it belongs to, its default and meaning;
``.. brainlearn-tune-settings::``
    the keys of ``[tune]`` with their defaults (:class:`~brainlearn.runner.tune.TuneSettings`);
``.. brainlearn-models::``
    every registered model (name, family, description, whether it has a search space);
``.. brainlearn-tasks::``
    every task (classes, features, synthetic or real).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _list_table(header: list[str], rows: list[list[str]], widths: str | None = None) -> list[str]:
    out = [".. list-table::", "   :header-rows: 1"]
    if widths:
        out.append(f"   :widths: {widths}")
    out.append("")
    for row in [header, *rows]:
        for k, cell in enumerate(row):
            out.append(f"   {'* -' if k == 0 else '  -'} {_cell(cell) or ' '}")
    return out


def _literal(value) -> str:
    import json

    return f"``{json.dumps(value)}``"


def analyses_lines() -> list[str]:
    from brainlearn.runner.analyses import SUMMARY_FIGURES, TABLE
    from brainlearn.runner.capabilities import members

    rows = []
    for a in TABLE.values():
        needs = "; ".join(f":class:`~brainlearn.runner.capabilities.{c.__name__}` "
                          f"({', '.join(f'``{m}``' for m in members(c))})" for c in a.needs)
        opts = ", ".join(f"``{k}``" for k in a.options) or "--"
        fig = f"``{a.figure.rpartition(':')[2]}``" if a.figure else "--"
        rows.append([f"``{a.name}``", a.doc, needs or "any model", opts, fig])
    lines = _list_table(["analysis", "what it measures", "the model needs", "options",
                         "figure"], rows, "14 34 26 14 12")
    lines += ["", "Drawn from every run's metrics, without an analysis: "
              + ", ".join(f"``{n}``" for n in SUMMARY_FIGURES) + "."]
    return lines


def options_lines() -> list[str]:
    from brainlearn.runner.analyses import RUN_OPTIONS, TABLE

    rows = [[f"``{k}``", "every run", _literal(o.default), o.help]
            for k, o in RUN_OPTIONS.items()]
    for a in TABLE.values():
        rows += [[f"``{k}``", f"``{a.name}``", _literal(o.default), o.help]
                 for k, o in a.options.items()]
    return _list_table(["key", "used by", "default", "meaning"], rows, "22 18 16 44")


def tune_lines() -> list[str]:
    from brainlearn.runner.tune import METRICS, TuneSettings

    meaning = {"trials": "trials per (task, model, seed), the same for every tuned model",
               "validation": "share of the training split held out (stratified) to score "
                             "the trials",
               "metric": "the score the trials are chosen on: " + ", ".join(
                   f"``{m}``" for m in METRICS)}
    rows = [[f"``{f.name}``", _literal(f.default), meaning.get(f.name, "")]
            for f in dataclasses.fields(TuneSettings)]
    return _list_table(["key", "default", "meaning"], rows, "20 20 60")


def models_lines() -> list[str]:
    import brainlearn
    from brainlearn.registry import list_models, model_spec

    assert brainlearn  # registers the shipped configurations
    rows = []
    for name in list_models():
        s = model_spec(name)
        rows.append([f"``{name}``", s.family, s.description,
                     "yes" if s.search_space else "no"])
    return _list_table(["model", "family", "what it is", "tunable"], rows, "16 10 64 10")


def tasks_lines() -> list[str]:
    from brainlearn.tasks import list_tasks, task_info

    kinds = {"synthetic": "synthetic (any number of samples)", "real": "real data set",
             "files": "real, read from local files (``$BRAINLEARN_DATA``)"}
    rows = []
    for name in list_tasks():
        info = task_info(name)
        rows.append([f"``{name}``", str(info.n_classes), str(info.n_features),
                     str(info.n_rows or "--"), kinds.get(info.kind, info.kind)])
    return _list_table(["task", "classes", "features", "rows", "kind"], rows,
                       "18 10 10 12 50")


class _Generated(SphinxDirective):
    has_content = False
    lines = staticmethod(lambda: [])

    def run(self):
        container = nodes.container()
        self.state.nested_parse(StringList(self.lines(), source="<brainlearn-tables>"),
                                self.content_offset, container)
        return container.children


def _directive(fn):
    return type(fn.__name__, (_Generated,), {"lines": staticmethod(fn)})


def _references_section(doc: str) -> list[str]:
    """The lines of the ``References`` section of a numpydoc docstring (without its
    title), or []."""
    m = re.search(r"^References\n-{10}\n(.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", doc, re.M | re.S)
    return m.group(1).rstrip().splitlines() if m else []


def borrow_module_references(app, what, name, obj, options, lines):
    """A class docstring that cites ``[1]_`` whose references are listed in its module's
    docstring (the estimators keep one list per module) gets that list appended, so the
    citations resolve on the class's own page."""
    if what != "class":
        return
    text = "\n".join(lines)
    if not re.search(r"\[\d+\]_", text) or re.search(r"^\.\. \[\d+\]", text, re.M):
        return
    refs = _references_section(inspect.getdoc(sys.modules.get(obj.__module__)) or "")
    if refs:
        lines.extend(["", ".. rubric:: References", "", *refs])


def setup(app):
    # after numpydoc (priority 500), which renames the citations of a References section
    app.connect("autodoc-process-docstring", borrow_module_references, priority=600)
    app.add_directive("brainlearn-analyses", _directive(analyses_lines))
    app.add_directive("brainlearn-options", _directive(options_lines))
    app.add_directive("brainlearn-tune-settings", _directive(tune_lines))
    app.add_directive("brainlearn-models", _directive(models_lines))
    app.add_directive("brainlearn-tasks", _directive(tasks_lines))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
