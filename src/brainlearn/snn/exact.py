"""Brian2's exact (linear) integration, with its symbolic solution kept on disk.

For linear equations Brian2's ``method="exact"`` solves ``dX/dt = M X + B`` symbolically:
the update over one step is ``X(t + dt) = exp(M dt) X(t) + (exp(M dt) - 1) M^-1 B``, and
SymPy computes the matrix exponential through a Jordan form. For the hidden equations
(membrane, two synaptic currents, adaptive threshold, traces, with symbolic time constants)
that takes 10-15 s of SymPy per group, in every new Python process: in the tests it was
36 of the 44 s of a two-fit runtime test, and it is part of every compiled program's build.

:class:`CachedExact` is Brian2's :class:`~brian2.stateupdaters.exact.LinearStateUpdater`
with that result stored under the cache (``$BRAINLEARN_CACHE/exact`` or
``~/.cache/brainlearn/exact``), keyed by what the solution is a function of: the linear
system (variable names, ``M`` and ``B`` as SymPy expressions), the ``simplify`` option and
the versions of Brian2 and SymPy. The code it returns is the string Brian2 would compute,
so the generated programs, and every number they produce, are unchanged. Brian2's checks
(stochastic equations, a matrix not constant over a step) run before the cache is read.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import tempfile
from pathlib import Path

__all__ = ["CachedExact", "state_updater"]

log = logging.getLogger(__name__)


def _solution_dir() -> Path | None:
    from .._paths import writable_cache_home

    try:
        return writable_cache_home() / "exact"
    except OSError:
        return None


def _updater_class():
    import brian2
    import sympy
    from brian2.equations.codestrings import is_constant_over_dt
    from brian2.stateupdaters.base import UnsupportedEquationsException, extract_method_options
    from brian2.stateupdaters.exact import LinearStateUpdater, get_linear_system

    class _CachedExact(LinearStateUpdater):
        def __call__(self, equations, variables=None, method_options=None):
            options = extract_method_options(method_options, {"simplify": True})
            if equations.is_stochastic or variables is None:
                return super().__call__(equations, variables, method_options)
            names, matrix, constants = get_linear_system(equations, variables)
            if matrix.shape == (0, 0):
                return ""
            dt_value = variables["dt"].get_value()[0] if "dt" in variables else None
            for entry in itertools.chain(matrix, constants):
                if not is_constant_over_dt(entry, variables, dt_value):
                    raise UnsupportedEquationsException(
                        f"Expression '{entry}' is not guaranteed to be constant over a "
                        "time step.")
            key = hashlib.sha256(repr((
                "exact-1", brian2.__version__, sympy.__version__, names,
                sympy.srepr(matrix), sympy.srepr(constants), bool(options["simplify"]),
            )).encode()).hexdigest()[:32]
            folder = _solution_dir()
            path = folder / f"{key}.txt" if folder is not None else None
            if path is not None:
                try:
                    return path.read_text(encoding="utf-8")
                except OSError:
                    pass
            code = super().__call__(equations, variables, method_options)
            if path is not None:
                _write(path, code)
            return code

        def __repr__(self):
            return "CachedExact()"

    return _CachedExact


def _write(path: Path, text: str) -> None:
    """Write atomically (a temporary file renamed), so that a parallel reader sees the whole
    solution or none; a cache that cannot be written only costs the next process time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as err:
        log.debug("could not store the exact solution %s: %s", path, err)


_INSTANCE = None


def CachedExact():  # noqa: N802 - a factory standing in for the class (Brian2 imported late)
    """The one cached exact state updater of this process (see the module docstring)."""
    global _INSTANCE
    if _INSTANCE is None:
        _INSTANCE = _updater_class()()
    return _INSTANCE


def state_updater(method: str):
    """What to give Brian2 as ``method`` for a population integrated with ``method``: the
    cached updater for ``"exact"`` and ``"linear"``, the name itself otherwise."""
    if method in ("exact", "linear"):
        return CachedExact()
    return method
