"""The package's layering, checked in fresh interpreters (``python -c``) from its own
source: no module imports another's private names, and no modules import each other in a
circle."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import subprocess_env

#: every ``from X import _name`` in the package whose ``X._name`` is not a module of its own
#: (a package may import its private submodules, e.g. ``from . import _kernels``)
PRIVATE_IMPORTS = textwrap.dedent("""
    import ast, importlib.util, json, pathlib
    import brainlearn

    root = pathlib.Path(brainlearn.__file__).parent
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if parts[-1] == "__init__" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                 package)
            for alias in node.names:
                name = alias.name
                if not name.startswith("_") or name.startswith("__"):
                    continue
                where = root.parent.joinpath(*source.split("."), name)
                if where.with_suffix(".py").is_file() or (where / "__init__.py").is_file():
                    continue  # a private submodule, imported by its package
                bad.append(f"{module}:{node.lineno} imports {name} from {source}")
    print(json.dumps(bad))
""")


def _python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=subprocess_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_no_module_imports_another_modules_private_names():
    assert json.loads(_python(PRIVATE_IMPORTS)) == []


def test_the_check_finds_a_private_import(tmp_path):
    """The check above is not vacuous: a module importing a private name is caught."""
    pkg = tmp_path / "brainlearn"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("_secret = 1\n")
    (pkg / "b.py").write_text("def f():\n    from .a import _secret\n    return _secret\n")
    code = PRIVATE_IMPORTS.replace("import brainlearn\n",
                                   f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
                                   "import brainlearn\n")
    assert json.loads(_python(code)) == ["brainlearn.b:2 imports _secret from brainlearn.a"]


#: circles among the package's modules, from every run-time import (function-local ones
#: included; those under ``if TYPE_CHECKING:`` are not run)
CIRCLES = textwrap.dedent("""
    import ast, importlib.util, json, pathlib
    import brainlearn

    root = pathlib.Path(brainlearn.__file__).parent
    graph = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if parts[-1] == "__init__" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", "") == "TYPE_CHECKING"
                       for n in ast.walk(node)}
        deps = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                src = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                  package)
                for alias in node.names:
                    sub = root.parent.joinpath(*src.split("."), alias.name)
                    is_module = (sub.with_suffix(".py").is_file()
                                 or (sub / "__init__.py").is_file())
                    deps.add(f"{src}.{alias.name}" if is_module else src)
            elif isinstance(node, ast.Import):
                deps |= {alias.name for alias in node.names}
        graph[module] = deps - {module}

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for w in graph.get(todo.pop(), ()):
                if w in graph and w not in seen:
                    seen.add(w)
                    todo.append(w)
        return seen

    reachable = {m: reach(m) for m in graph}
    circles = {tuple(sorted(m2 for m2 in reachable[m] if m in reachable[m2]))
               for m in graph if m in reachable[m]}
    print(json.dumps(sorted(circles)))
""")


def test_no_import_circles():
    """E.g. stats <-> contributions <-> two_by_two once held each other by function-local
    imports; the statistics are now below the words (report.py)."""
    assert json.loads(_python(CIRCLES)) == []


def test_the_circle_check_finds_a_function_local_circle(tmp_path):
    pkg = tmp_path / "brainlearn"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import g\n\ndef f():\n    return 1\n")
    (pkg / "b.py").write_text("def g():\n    from .a import f\n    return f()\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\n\n"
                              "if TYPE_CHECKING:\n    from .d import x\n")
    (pkg / "d.py").write_text("from .c import TYPE_CHECKING as x\n")
    code = CIRCLES.replace("import brainlearn\n",
                           f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
                           "import brainlearn\n")
    assert json.loads(_python(code)) == [["brainlearn.a", "brainlearn.b"]]


def test_the_runner_talks_to_program_objects_not_to_the_spiking_build():
    """No module of the runner imports ``brainlearn.snn.build`` (at import time or in a
    function): programs reach it as the objects a model's ``programs()`` returns."""
    import ast
    import pathlib

    import brainlearn

    runner = pathlib.Path(brainlearn.__file__).parent / "runner"
    offenders = []
    for path in sorted(runner.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                mod = ("." * node.level) + (node.module or "")
                names = {a.name for a in node.names}
                if mod.endswith("snn.build") or (mod.endswith("snn") and "build" in names):
                    offenders.append(f"{path.name}:{node.lineno}")
            elif isinstance(node, ast.Import):
                if any(a.name.startswith("brainlearn.snn.build") for a in node.names):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
    code = ("import sys, brainlearn.runner, brainlearn.runner.prebuild, brainlearn.runner.sweep, "
            "brainlearn.runner.models, brainlearn.runner.spec\n"
            "from brainlearn.runner.models import check_model, build_model\n"
            "check_model(build_model('mlp-wide', {}))\n"
            "assert 'brainlearn.snn.build' not in sys.modules, 'imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=subprocess_env())
    assert proc.returncode == 0, proc.stderr
