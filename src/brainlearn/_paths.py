"""Where brainlearn keeps things on disk: one function per location.

Under an output directory ``DIR`` (``brainlearn run --out DIR``)::

    DIR/results/runs/<run-id>.json    one record per finished run
    DIR/results/failed/<run-id>.json  the traceback of a run that raised (redone next time)
    DIR/results/invalid/              records or manifests that failed validation, set aside
    DIR/results/manifest.json         the run ids of the last ``brainlearn run``
    DIR/figures/                      every figure, PNG + SVG

Compiled Brian2 programs live in one cache, the same for ``brainlearn run`` and for the
library (``SpikingClassifier.fit``), so a program built by one is used by the other:
:func:`cache_home`, ``$BRAINLEARN_CACHE`` if set, else ``~/.cache/brainlearn``. A sweep's
workers use it too (with ``--worker-cache separate``, one ``worker-<n>`` folder each under
it). When that directory cannot be created or written, :func:`writable_cache_home` falls back
to a temporary one (``$TMPDIR/brainlearn-cache-<user>``) with a warning: everything works,
but its programs are compiled again after the temporary directory is cleaned.
``brainlearn run`` refuses a cache that cannot be written with a message
(:func:`cache_problem`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "cache_home",
    "cache_problem",
    "configured_cache_home",
    "failed_dir",
    "figures_dir",
    "invalid_dir",
    "manifest_path",
    "results_dir",
    "runs_dir",
    "tuning_dir",
    "writable_cache_home",
]

log = logging.getLogger("brainlearn")

#: environment variable naming the directory of compiled Brian2 programs
CACHE_ENV = "BRAINLEARN_CACHE"


_PROBED: dict[str, str | None] = {}


def cache_problem(path: str | os.PathLike) -> str | None:
    """Why compiled programs cannot be stored under ``path`` (it cannot be created, or a
    file cannot be written in it), or None; probed once per path and process."""
    key = str(path)
    if key not in _PROBED:
        import tempfile

        try:
            Path(path).mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path, prefix=".brainlearn-probe-"):
                pass
            _PROBED[key] = None
        except OSError as exc:
            _PROBED[key] = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename
                                                        else "")
    return _PROBED[key]


def configured_cache_home() -> Path:
    """The build cache asked for: ``$BRAINLEARN_CACHE``, else ``~/.cache/brainlearn``
    (:func:`cache_home` is the one used, which falls back when this cannot be written)."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "brainlearn"


def cache_home() -> Path:
    """The build cache of this process: ``$BRAINLEARN_CACHE``, else ``~/.cache/brainlearn``;
    if that cannot be written, a directory in the temporary directory (with a warning,
    once)."""
    home = configured_cache_home()
    problem = cache_problem(home)
    if problem is None:
        return home

    fallback = Path(tempfile.gettempdir()) / f"brainlearn-cache-{os.getuid()}"
    if str(home) not in _WARNED:
        _WARNED.add(str(home))
        warnings.warn(f"the build cache {home} cannot be written ({problem}); compiled "
                      f"programs go to {fallback} instead (set ${CACHE_ENV} to a writable "
                      "directory to keep them)", RuntimeWarning, stacklevel=2)
    return fallback


_WARNED: set[str] = set()


def writable_cache_home() -> Path:
    """:func:`cache_home`, created: the configured cache, or (when that cannot be written)
    the temporary one, with the warning of :func:`cache_home`."""
    home = cache_home()
    home.mkdir(parents=True, exist_ok=True)
    return home


def results_dir(out: str | os.PathLike) -> Path:
    return Path(out) / "results"


def runs_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "runs"


def tuning_dir(out: str | os.PathLike) -> Path:
    """Where the tuning step keeps its studies (one journal file per tuned run)."""
    return results_dir(out) / "tuning"


def failed_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "failed"


def invalid_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "invalid"


def manifest_path(out: str | os.PathLike) -> Path:
    return results_dir(out) / "manifest.json"


def figures_dir(out: str | os.PathLike) -> Path:
    return Path(out) / "figures"
