"""Where brainlearn keeps things on disk: one function per location.

Under an output directory ``DIR`` (``brainlearn run --out DIR``)::

    DIR/results/runs/<run-id>.json    one record per finished run
    DIR/results/failed/<run-id>.json  the traceback of a run that raised (redone next time)
    DIR/results/invalid/              records or manifests that failed validation, set aside
    DIR/results/manifest.json         the run ids of the last ``brainlearn run``
    DIR/figures/                      every figure, PNG + SVG
    DIR/.brainlearn_cache/            compiled Brian2 programs of the sweep's workers
                                      (unless $BRAINLEARN_CACHE names another place)

Outside a sweep, compiled programs live under :func:`cache_home` (``$BRAINLEARN_CACHE``,
else ``~/.cache/brainlearn``). When that directory cannot be written (a read-only home or
file system), :func:`cache_home` warns once and uses ``brainlearn-cache-<uid>`` in the
temporary directory instead; ``brainlearn run`` refuses a read-only cache with a message
(:func:`cache_problem`).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "cache_home",
    "failed_dir",
    "figures_dir",
    "invalid_dir",
    "manifest_path",
    "results_dir",
    "runs_dir",
    "sweep_cache_root",
]

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


def cache_home() -> Path:
    """The build cache of this process: ``$BRAINLEARN_CACHE``, else ``~/.cache/brainlearn``;
    if that cannot be written, a directory in the temporary directory (with a warning,
    once)."""
    env = os.environ.get(CACHE_ENV)
    home = Path(env) if env else Path.home() / ".cache" / "brainlearn"
    problem = cache_problem(home)
    if problem is None:
        return home
    import tempfile
    import warnings

    fallback = Path(tempfile.gettempdir()) / f"brainlearn-cache-{os.getuid()}"
    if str(home) not in _WARNED:
        _WARNED.add(str(home))
        warnings.warn(f"the build cache {home} cannot be written ({problem}); compiled "
                      f"programs go to {fallback} instead (set ${CACHE_ENV} to a writable "
                      "directory to keep them)", RuntimeWarning, stacklevel=2)
    return fallback


_WARNED: set[str] = set()


def sweep_cache_root(out: str | os.PathLike) -> Path:
    """The build cache of a sweep into ``out``: ``$BRAINLEARN_CACHE``, else
    ``out/.brainlearn_cache`` (so a results directory carries its own builds)."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(out) / ".brainlearn_cache"


def results_dir(out: str | os.PathLike) -> Path:
    return Path(out) / "results"


def runs_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "runs"


def failed_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "failed"


def invalid_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "invalid"


def manifest_path(out: str | os.PathLike) -> Path:
    return results_dir(out) / "manifest.json"


def figures_dir(out: str | os.PathLike) -> Path:
    return Path(out) / "figures"
